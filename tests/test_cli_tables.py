"""The command line reads decision tables: `check` and `decide` take .dmn, .csv and .xlsx
files where they take a culture file, and `convert` writes a table as a culture document
or a culture's policy as a table."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from crmculture import load_policy
from crmculture.cli import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from crmculture.io.dmn import EXAMPLE, load_dmn
from crmculture.io.spreadsheets import dump_xlsx_table, load_csv_table

TCK = Path(__file__).parent / "io" / "dmn_tck" / "compliance-level-2"
OUTPUT_ORDER = TCK / "0110-outputOrder-hitpolicy" / "0110-outputOrder-hitpolicy.dmn"
MIN_COLLECT = TCK / "0114-min-collect-hitpolicy" / "0114-min-collect-hitpolicy.dmn"

Cli = Callable[..., tuple[int, str, str]]


class TestCheck:
    def test_a_dmn_model(self, cli: Cli) -> None:
        """`check model.dmn` analyses the table: a collect-min table has a gap and shadowing."""
        code, out, _ = cli("check", str(MIN_COLLECT), "--json")
        report = json.loads(out)
        kinds = sorted({finding["kind"] for finding in report["findings"]})
        assert (code, kinds) == (EXIT_FINDINGS, ["gap", "shadowed_rule"])

    def test_a_complete_table_has_no_findings(self, cli: Cli) -> None:
        """A rule-order table that covers every customer: no findings, exit 0."""
        code, out, _ = cli("check", str(OUTPUT_ORDER))
        assert (code, "no findings" in out) == (EXIT_OK, True)

    @pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
    def test_a_spreadsheet(self, cli: Cli, tmp_path: Path, suffix: str) -> None:
        """`check table.csv` and `check table.xlsx` read spreadsheet tables."""
        path = tmp_path / f"table{suffix}"
        assert cli("convert", str(OUTPUT_ORDER), "-o", str(path))[0] == EXIT_OK
        code, out, _ = cli("check", str(path))
        assert (code, "policy `Approval_Status`" in out) == (EXIT_OK, True)

    def test_a_bad_table_is_a_usage_error(self, cli: Cli, tmp_path: Path) -> None:
        """A malformed DMN model: exit 2, its problems named by element id."""
        path = tmp_path / "bad.dmn"
        path.write_text(EXAMPLE.replace("&lt; 18", "Age + 1"), "utf-8")
        code, _, err = cli("check", str(path))
        assert code == EXIT_USAGE
        assert "inputEntry.e1.text: `Age + 1`" in err

    def test_several_decisions_are_refused(self, cli: Cli, tmp_path: Path) -> None:
        """A model with two decision tables names them: a command reads one."""
        second = EXAMPLE.replace('id="decision" name="Verdict"', 'id="d2" name="Other"')
        second = second[second.index("<decision ") : second.index("</decision>") + 11]
        path = tmp_path / "two.dmn"
        path.write_text(EXAMPLE.replace("<inputData", second + "<inputData", 1), "utf-8")
        code, _, err = cli("check", str(path))
        assert code == EXIT_USAGE
        assert "2 decision tables (`Verdict`, `Other`)" in err


class TestDecide:
    def test_decides_with_a_dmn_model(self, cli: Cli, tmp_path: Path) -> None:
        """`decide model.dmn` decides customers by the table's facts, lists in output order."""
        customers = tmp_path / "customers.jsonl"
        customers.write_text('{"Age": 17, "RiskCategory": "High", "isAffordable": true}\n')
        code, out, _ = cli("decide", str(OUTPUT_ORDER), str(customers), "--emit", "directives")
        assert code == EXIT_OK
        assert json.loads(out)["directives"]["Approved_Declined"] == ["Approved", "Declined"]


class TestConvert:
    def test_dmn_to_culture_document(self, cli: Cli, tmp_path: Path) -> None:
        """`convert model.dmn -o culture.yaml` writes a document that loads as the policy."""
        target = tmp_path / "culture.yaml"
        assert cli("convert", str(OUTPUT_ORDER), "-o", str(target)) == (EXIT_OK, "", "")
        assert load_dmn(OUTPUT_ORDER)[0].policy == load_policy(target)

    @pytest.mark.parametrize("format_", ["json", "toml"])
    def test_to_standard_output(self, cli: Cli, format_: str) -> None:
        """Without --output, the document goes to standard output in --format."""
        code, out, _ = cli("convert", str(OUTPUT_ORDER), "--format", format_)
        assert code == EXIT_OK
        assert load_dmn(OUTPUT_ORDER)[0].policy == load_policy(out, format_)  # type: ignore[arg-type]

    def test_to_a_spreadsheet_and_back(self, cli: Cli, tmp_path: Path) -> None:
        """A table converted to CSV and XLSX reads back as the same policy."""
        policy = load_dmn(OUTPUT_ORDER)[0].policy
        csv_path, xlsx_path = tmp_path / "t.csv", tmp_path / "t.xlsx"
        cli("convert", str(OUTPUT_ORDER), "-o", str(csv_path))
        cli("convert", str(csv_path), "-o", str(xlsx_path))
        assert policy == load_csv_table(csv_path)
        yaml_path = tmp_path / "t.yaml"
        assert cli("convert", str(xlsx_path), "-o", str(yaml_path))[0] == EXIT_OK
        assert policy == load_policy(yaml_path)
        dump_xlsx_table(policy, tmp_path / "again.xlsx")

    @pytest.mark.parametrize("model", sorted(TCK.glob("*/*.dmn")), ids=lambda m: m.stem)
    def test_every_tck_table_survives_csv(self, cli: Cli, tmp_path: Path, model: Path) -> None:
        """Every TCK table converted to CSV reads back as the policy the import gives."""
        target = tmp_path / "t.csv"
        assert cli("convert", str(model), "-o", str(target))[0] == EXIT_OK
        assert load_csv_table(target) == load_dmn(model)[0].policy

    def test_unknown_output_extension(self, cli: Cli, tmp_path: Path) -> None:
        """An output that is neither a document nor a table is a usage error."""
        code, _, err = cli("convert", str(OUTPUT_ORDER), "-o", str(tmp_path / "t.txt"))
        assert (code, "use .yaml, .yml, .json, .toml, .csv or .xlsx" in err) == (EXIT_USAGE, True)

    def test_a_policy_that_is_no_table(self, cli: Cli, tmp_path: Path) -> None:
        """A culture with layers and mixed combine strategies cannot be a spreadsheet."""
        culture = Path(__file__).parent.parent / "examples" / "acme-culture.yaml"
        code, _, err = cli("convert", str(culture), "-o", str(tmp_path / "t.csv"))
        assert (code, "does not fit a decision table" in err) == (EXIT_USAGE, True)
