"""The command line: decide, explain, demo; exit codes; streaming in constant memory."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crmculture.cli import main

CULTURE = str(Path(__file__).parent.parent / "examples" / "acme-culture.yaml")
ON_HOLD = {"credit_hold": True, "days_overdue": 0, "annual_volume": 9000, "tier": "gold"}
GOOD = {"credit_hold": False, "days_overdue": 3, "annual_volume": 400000, "tier": "silver"}


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    """Run the CLI in this process; return the exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)
    try:
        code = main(list(args), out=out, err=err)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    finally:
        sys.stdin = old_stdin
    return code, out.getvalue(), err.getvalue()


def lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


class TestDecide:
    def test_json_lines_in_input_order(self, tmp_path: Path) -> None:
        """One output line per record, in order, with the decision."""
        source = tmp_path / "customers.jsonl"
        source.write_text("\n".join(json.dumps(c) for c in (ON_HOLD, GOOD)) + "\n")
        code, out, _ = run("decide", CULTURE, str(source), "--department", "sales")
        assert code == 0
        results = lines(out)
        assert [r["record"] for r in results] == [0, 1]
        assert [r["decision"]["directives"]["route_to"] for r in results] == [
            "accounts_receivable",
            "frontline",
        ]

    def test_bad_records_become_error_lines_and_exit_1(self) -> None:
        """Invalid records are reported with their line number and problems; none dropped."""
        text = (
            "\n".join(
                [json.dumps(ON_HOLD), '{"credit_hold": "x"}', "not json", "[1]", json.dumps(GOOD)]
            )
            + "\n"
        )
        code, out, err = run("decide", CULTURE, stdin=text)
        assert code == 1
        results = lines(out)
        assert [r["line"] for r in results] == [1, 2, 3, 4, 5]
        assert [("decision" in r) for r in results] == [True, False, False, False, True]
        assert results[1]["problems"][0] == {
            "path": "customer.credit_hold",
            "message": "expected a bool, got str `'x'`",
        }
        assert "3 of 5 records could not be decided" in err

    def test_csv_is_typed_through_the_schema(self, tmp_path: Path) -> None:
        """CSV cells become bools, ints, Decimals; empty cells are missing."""
        source = tmp_path / "customers.csv"
        source.write_text(
            "credit_hold,days_overdue,annual_volume,tier,balance,satisfaction\n"
            "false,0,300000,platinum,12.50,\n"
            "yes,0,1,bronze,,4.5\n"
        )
        code, out, _ = run("decide", CULTURE, str(source))
        assert code == 0
        first, second = lines(out)
        assert first["decision"]["customer"]["balance"] == "12.5"
        assert first["decision"]["directives"]["discount_pct"] == 10
        assert second["decision"]["directives"]["route_to"] == "accounts_receivable"
        assert second["decision"]["customer"]["satisfaction"] == 4.5

    def test_a_json_array_is_streamed(self, tmp_path: Path) -> None:
        """A JSON array file works, decimals and all."""
        source = tmp_path / "customers.json"
        source.write_text(json.dumps([ON_HOLD, {**GOOD, "balance": 12.25}], indent=2))
        code, out, _ = run("decide", CULTURE, str(source), "--explain")
        assert code == 0
        first, second = lines(out)
        assert second["line"] == 8
        assert second["decision"]["customer"]["balance"] == "12.25"
        assert first["explanation"].startswith("Decision by policy `acme`")

    def test_output_file(self, tmp_path: Path) -> None:
        """--output writes the JSON lines to a file."""
        target = tmp_path / "out.jsonl"
        code, out, _ = run("decide", CULTURE, "-o", str(target), stdin=json.dumps(GOOD) + "\n")
        assert (code, out) == (0, "")
        assert lines(target.read_text())[0]["decision"]["directives"]["route_to"] == "frontline"

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["decide", "missing.yaml"], "culture file `missing.yaml` does not exist"),
            (["decide", CULTURE, "--department", "sals"], "did you mean `sales`"),
            (["decide", CULTURE, "nowhere.jsonl"], "cannot read `nowhere.jsonl`"),
            (["explain", CULTURE, "--customer", "{nope"], "--customer is not JSON"),
            (["explain", CULTURE, "--customer", "[]"], "--customer must be a JSON object"),
            (["explain", CULTURE, "--customer", "{}"], "invalid customer"),
        ],
        ids=["no-culture", "bad-department", "no-input", "bad-json", "not-object", "invalid"],
    )
    def test_mistakes_are_one_line_and_exit_2(self, args: list[str], message: str) -> None:
        """User mistakes never show a traceback."""
        code, _, err = run(*args, stdin="")
        assert code == 2
        assert err.startswith("crmculture: error: ")
        assert message in err.splitlines()[0]
        assert "Traceback" not in err

    def test_an_invalid_culture_file_is_exit_2_with_verbose_detail(self, tmp_path: Path) -> None:
        """A broken document: one line, and every problem with --verbose."""
        broken = tmp_path / "broken.yaml"
        broken.write_text(
            Path(CULTURE)
            .read_text()
            .replace("days_overdue > 60", "days > 60")
            .replace("then: {discount_pct: 10", "then: {discount: 10")
        )
        code, _, err = run("decide", str(broken), stdin="")
        assert code == 2
        assert "2 problems" in err.splitlines()[0]
        code, _, err = run("--verbose", "decide", str(broken), stdin="")
        assert "unknown fact `days`" in err
        assert "unknown directive `discount`" in err


class TestExplainAndDemo:
    def test_explain_prints_the_trace(self) -> None:
        """explain prints the readable explanation of one decision."""
        code, out, _ = run(
            "explain", CULTURE, "--department", "engineering", "--customer", json.dumps(ON_HOLD)
        )
        assert code == 0
        assert "set by `credit-hold`" in out

    def test_demo(self) -> None:
        """The demo runs."""
        code, out, _ = run("demo")
        assert code == 0
        assert "crmculture demo" in out

    def test_python_dash_m_and_help(self) -> None:
        """`python -m crmculture --help` shows the commands and examples."""
        result = subprocess.run(
            [sys.executable, "-m", "crmculture", "--help"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert "decide" in result.stdout
        assert "examples:" in result.stdout


def test_decide_streams_in_constant_memory(tmp_path: Path) -> None:
    """Memory does not grow with the input: 10x the records, about the same peak."""

    def records(count: int) -> Iterator[str]:
        for number in range(count):
            yield json.dumps({**GOOD, "annual_volume": number}) + "\n"

    peaks = []
    for count in (1_000, 10_000):
        source = tmp_path / f"c{count}.jsonl"
        with source.open("w") as handle:
            handle.writelines(records(count))
        target = tmp_path / f"out{count}.jsonl"
        tracemalloc.start()
        code, _, _ = run("decide", CULTURE, str(source), "-o", str(target))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert code == 0
        peaks.append(peak)
    assert peaks[1] < peaks[0] * 1.5, peaks


class TestCheck:
    def test_error_findings_exit_1_with_their_counterexample(self) -> None:
        """The ACME culture has a monotonicity break: reported with customers, exit 1."""
        code, out, _ = run("check", CULTURE)
        assert code == 1
        assert "errors (1):" in out
        assert "monotonicity break on `service_level`" in out
        assert "`replacement_part` from `sales` touches 5 departments" in out

    def test_json_report(self) -> None:
        """--json writes the findings with their witnesses, for CI."""
        code, out, _ = run("check", CULTURE, "--json")
        assert code == 1
        report = json.loads(out)
        assert report["complete"] is True
        assert [f["kind"] for f in report["findings"]] == ["monotonicity_break"]
        assert report["findings"][0]["better_customer"]["satisfaction"] == 5.0
        assert any(f["kind"] == "long_journey" for f in report["org_findings"])

    def test_a_clean_culture_exits_0(self, tmp_path: Path) -> None:
        """A culture without findings says so and exits 0."""
        clean = tmp_path / "clean.yaml"
        clean.write_text(
            "format: crmculture/1\nname: clean\nfacts:\n  credit_hold: {type: bool}\n"
            "directives:\n  route_to: {type: text, default: frontline, uniform: true}\n"
            "rules:\n  - {id: hold, when: credit_hold, then: {route_to: accounts_receivable}}\n"
        )
        code, out, _ = run("check", str(clean))
        assert (code, out.splitlines()[-1]) == (0, "no findings")

    def test_an_invalid_culture_exits_2(self, tmp_path: Path) -> None:
        """A document that does not load is exit 2 with one line."""
        broken = tmp_path / "broken.yaml"
        broken.write_text("format: crmculture/1\nname: x\nfacts: {}\ndirectives: {}\nrulez: []\n")
        code, _, err = run("check", str(broken))
        assert code == 2
        assert "unknown key `rulez` (did you mean `rules`?)" in err
