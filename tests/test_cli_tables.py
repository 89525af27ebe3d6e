"""The command line reads decision tables: `check` and `decide` take .dmn, .csv and .xlsx
files where they take a culture file, and `convert` writes a table as a culture document
or a culture's policy as a table."""

from __future__ import annotations

import json
import os
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

    def test_several_decisions_are_refused(self, cli: Cli, two_tables: Path) -> None:
        """A model with two decision tables names them: a command reads one, --decision."""
        code, _, err = cli("check", str(two_tables))
        assert code == EXIT_USAGE
        assert "2 decision tables (`Verdict`, `Other`); pick one with --decision NAME" in err


def _two_tables(path: Path) -> Path:
    """A DMN model with two rule-order tables over the same inputs: `Verdict` (id `decision`)
    says `Review` to a high risk, `Other` (id `d2`) says `Escalate`."""
    second = EXAMPLE.replace('id="decision" name="Verdict"', 'id="d2" name="Other"')
    second = second.replace('"Review"', '"Escalate"')
    second = second[second.index("<decision ") : second.index("</decision>") + 11]
    path.write_text(EXAMPLE.replace("<inputData", second + "<inputData", 1), "utf-8")
    return path


@pytest.fixture
def two_tables(tmp_path: Path) -> Path:
    return _two_tables(tmp_path / "two.dmn")


HIGH_RISK = {"customer_id": "c1", "Age": 30, "Risk": "High"}

# Every command that reads a culture file, with MODEL where the file goes; the files each
# needs are written by `_command_files`.
COMMANDS = {
    "check": ["check", "MODEL"],
    "decide": ["decide", "MODEL", "CUSTOMERS", "--keep", "customer_id"],
    "explain": ["explain", "MODEL", "--customer", '{"Age": 30, "Risk": "High"}'],
    "convert": ["convert", "MODEL"],
    "replay": ["replay", "LOG", "MODEL"],
    "quality": ["quality", "CUSTOMERS", "--culture", "MODEL", "--id", "customer_id"],
    "adherence": ["adherence", "ACTIONS", "--customers", "CUSTOMERS", "--culture", "MODEL"],
    "drift": ["drift", "LOG", "--culture", "MODEL"],
    "diff": ["diff", "MODEL", "MODEL"],
    "report": ["report", "MODEL", "--log", "LOG", "-o", "REPORT"],
}


def _command(cli: Cli, name: str, model: Path, tmp_path: Path) -> list[str]:
    customers = tmp_path / "customers.jsonl"
    customers.write_text(json.dumps(HIGH_RISK) + "\n")
    actions = tmp_path / "actions.csv"
    actions.write_text("customer_id,department,directive,value\nc1,,Verdict,Escalate\n")
    log = tmp_path / "decisions.log"
    if not log.exists():
        code, _, err = cli(
            "decide", str(_two_tables(tmp_path / "log.dmn")), str(customers),
            "--decision", "Verdict", "--keep", "customer_id", "--log", str(log), "-o", os.devnull,
        )  # fmt: skip
        assert code == EXIT_OK, err
    files = {
        "MODEL": str(model),
        "CUSTOMERS": str(customers),
        "ACTIONS": str(actions),
        "LOG": str(log),
        "REPORT": str(tmp_path / "report.html"),
    }
    return [files.get(argument, argument) for argument in COMMANDS[name]]


class TestDecisionOption:
    """--decision NAME picks one decision table of a DMN model, by name or id, wherever a
    command reads a culture file."""

    @pytest.mark.parametrize("name", sorted(COMMANDS))
    def test_every_command_picks_the_table(
        self, cli: Cli, two_tables: Path, tmp_path: Path, name: str
    ) -> None:
        """Without --decision the model is refused; with it, the command runs."""
        command = _command(cli, name, two_tables, tmp_path)
        code, _, err = cli(*command)
        assert (code, "pick one with --decision NAME" in err) == (EXIT_USAGE, True)
        code, _, err = cli(*command, "--decision", "Other")
        assert code in (EXIT_OK, EXIT_FINDINGS), err

    @pytest.mark.parametrize("name", sorted(COMMANDS))
    def test_an_unknown_decision_lists_the_tables(
        self, cli: Cli, two_tables: Path, tmp_path: Path, name: str
    ) -> None:
        """An unknown name is a usage error naming the model's decision tables."""
        code, _, err = cli(*_command(cli, name, two_tables, tmp_path), "--decision", "Othr")
        assert code == EXIT_USAGE
        assert err.splitlines()[0] == (
            "crmculture: error: DMN model has no decision `Othr` (did you mean `Other`?): "
            "definitions: its decision tables are `Verdict` (id `decision`), `Other` (id `d2`)"
        )

    @pytest.mark.parametrize("name", sorted(COMMANDS))
    def test_not_a_dmn_model_is_a_usage_error(self, cli: Cli, tmp_path: Path, name: str) -> None:
        """--decision with a culture document (or a spreadsheet table) is a usage error."""
        culture = Path(__file__).parent.parent / "examples" / "acme-culture.yaml"
        code, _, err = cli(*_command(cli, name, culture, tmp_path), "--decision", "Other")
        assert code == EXIT_USAGE
        assert f"--decision picks a decision table of a DMN model: `{culture}` is not a .dmn" in err

    def test_a_spreadsheet_is_not_a_dmn_model(self, cli: Cli, tmp_path: Path) -> None:
        """A .csv decision table has one table: --decision does not apply to it."""
        table = tmp_path / "t.csv"
        assert cli("convert", str(OUTPUT_ORDER), "-o", str(table))[0] == EXIT_OK
        code, _, err = cli("check", str(table), "--decision", "x")
        assert (code, "is not a .dmn file" in err) == (EXIT_USAGE, True)

    @pytest.mark.parametrize("decision", ["Other", "d2"])
    def test_decide_with_the_table_named(self, cli: Cli, two_tables: Path, decision: str) -> None:
        """The decisions are the picked table's: by the decision's name or its id."""
        code, out, _ = cli("explain", str(two_tables), "--decision", decision, "--json",
                           "--customer", '{"Age": 30, "Risk": "High"}')  # fmt: skip
        document = json.loads(out)
        assert (code, document["decision"]["directives"]) == (EXIT_OK, {"Verdict": ["Escalate"]})
        assert document["decision"]["policy"]["name"] == "Other"

    def test_the_first_table_by_its_name(self, cli: Cli, two_tables: Path) -> None:
        """`Verdict` picks the other table, whose answer differs."""
        code, out, _ = cli("convert", str(two_tables), "--decision", "Verdict", "--format", "json")
        assert code == EXIT_OK
        assert json.loads(out)["rules"][1]["then"] == {"Verdict": ["Review"]}

    def test_replay_with_the_other_table(self, cli: Cli, two_tables: Path, tmp_path: Path) -> None:
        """Decisions logged with one table, replayed with the other: each one changes."""
        command = _command(cli, "replay", two_tables, tmp_path)
        code, out, _ = cli(*command, "--decision", "Other", "--json")
        assert (code, json.loads(out)["changed"]) == (EXIT_FINDINGS, 1)
        code, out, _ = cli(*command, "--decision", "Verdict", "--json")
        assert (code, json.loads(out)["changed"]) == (EXIT_OK, 0)

    def test_diff_picks_the_table_of_the_dmn_side(
        self, cli: Cli, two_tables: Path, tmp_path: Path
    ) -> None:
        """`diff culture.yaml model.dmn --decision X`: the document is read whole, X picked from
        the model; the two tables differ for high-risk adults."""
        verdict = tmp_path / "verdict.yaml"
        cli("convert", str(two_tables), "--decision", "Verdict", "-o", str(verdict))
        code, _, err = cli("diff", str(verdict), str(two_tables), "--decision", "Verdict")
        assert code == EXIT_OK, err
        code, out, _ = cli("diff", str(verdict), str(two_tables), "--decision", "Other")
        assert (code, "Escalate" in out) == (EXIT_FINDINGS, True)

    def test_drift_needs_the_culture(self, cli: Cli, tmp_path: Path) -> None:
        """drift --decision without --culture: there is no model to pick from."""
        log = tmp_path / "empty.log"
        log.write_text("")
        code, _, err = cli("drift", str(log), "--decision", "Other")
        assert (code, "give --culture" in err) == (EXIT_USAGE, True)


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
