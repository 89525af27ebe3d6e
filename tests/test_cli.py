"""The command line: check, decide, explain, journeys, render, demo; help, exit codes and
one-line errors; streaming in constant memory; the progress display."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crmculture.cli import main
from crmculture.cli.decisions import _Progress
from crmculture.io import decision_stream
from crmculture.org.render import to_dot, to_mermaid
from crmculture.stories import acme_culture

ROOT = Path(__file__).parent.parent
CULTURE = str(ROOT / "examples" / "acme-culture.yaml")
GOLDEN = Path(__file__).parent / "org" / "golden"
LATE = {"credit_hold": False, "days_overdue": 12, "annual_volume": 9000, "tier": "gold"}
CLEAN_WITH_ORG = """\
format: crmculture/1
name: clean
facts:
  credit_hold: {type: bool}
directives:
  route_to: {type: text, default: frontline, uniform: true}
rules:
  - {id: hold, when: credit_hold, then: {route_to: accounts_receivable}}
org:
  departments:
    sales: {}
    accounts_receivable: {resolves: [payment_plan]}
  handoffs:
    - {from: sales, to: accounts_receivable, requests: [payment_plan]}
"""
ON_HOLD = {"credit_hold": True, "days_overdue": 0, "annual_volume": 9000, "tier": "gold"}
GOOD = {"credit_hold": False, "days_overdue": 3, "annual_volume": 400000, "tier": "silver"}


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    """Run the CLI in this process; return the exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)
    try:
        # argparse's own messages (--help, usage errors) must also land in `out` and `err`.
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
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
            "message": "`x` is not a boolean: write true/yes/1 or false/no/0",
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


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "one-by-one"])
def test_decide_streams_in_constant_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunked: bool
) -> None:
    """Memory does not grow with the input: 10x the records, about the same peak (with
    chunks of 100 records, so that both sizes span several, and more distinct values than
    the bounded encoding tables remember)."""
    monkeypatch.setattr(decision_stream, "CHUNK_SIZE", 100)
    if not chunked:
        monkeypatch.setitem(sys.modules, "pyarrow.json", None)

    def records(count: int) -> Iterator[str]:
        for number in range(count):
            yield json.dumps({**GOOD, "annual_volume": number}) + "\n"

    peaks = []
    for count in (2_000, 20_000):
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


UNHAPPY_RULE = """\
  - id: unhappy-customer
    when: satisfaction < 5
    then: {service_level: priority, notify: customer_success}
"""


def acme_with_unhappy_rule(tmp_path: Path) -> str:
    """The ACME example with a rule that breaks monotonicity: an unhappy customer gets
    priority service, so a happier one is served worse (the tutorial's proposed change)."""
    text = Path(CULTURE).read_text(encoding="utf-8")
    anchor = "  - id: resellers-to-partners\n"
    assert anchor in text
    path = tmp_path / "acme-unhappy.yaml"
    path.write_text(text.replace(anchor, UNHAPPY_RULE + anchor), encoding="utf-8")
    return str(path)


class TestCheck:
    def test_the_example_culture_exits_0(self) -> None:
        """The ACME example has no error finding: exit 0, its long journeys listed."""
        code, out, err = run("check", CULTURE)
        assert (code, err) == (0, ""), out
        assert "errors" not in out
        assert "promises: 3 of 3 proven" in out
        assert "`replacement_part` from `sales` touches 5 departments" in out

    def test_error_findings_exit_1_with_their_counterexample(self, tmp_path: Path) -> None:
        """A monotonicity break is reported with its customers, and exits 1."""
        code, out, _ = run("check", acme_with_unhappy_rule(tmp_path))
        assert code == 1
        assert "errors (1):" in out
        assert "monotonicity break on `service_level`" in out
        assert "`replacement_part` from `sales` touches 5 departments" in out

    def test_json_report(self, tmp_path: Path) -> None:
        """--json writes the findings with their witnesses, for CI."""
        code, out, _ = run("check", acme_with_unhappy_rule(tmp_path), "--json")
        assert code == 1
        report = json.loads(out)
        assert report["complete"] is True
        assert [f["kind"] for f in report["findings"]] == ["monotonicity_break"]
        assert report["findings"][0]["better_customer"]["satisfaction"] == 5.0
        assert report["findings"][0]["customer"] == report["findings"][0]["better_customer"]
        assert any(f["kind"] == "long_journey" for f in report["org_findings"])
        # Every finding's customer is a JSON object of facts, verifier's and org's alike.
        findings = [*report["findings"], *report["org_findings"]]
        assert all(isinstance(f["customer"], dict) for f in findings)

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
        broken.write_text(
            "format: crmculture/1\nname: x\nfacts: {}\n"
            "directives: {d: {type: bool, default: false}}\nrulez: []\n"
        )
        code, _, err = run("check", str(broken))
        assert code == 2
        assert "unknown key `rulez` (did you mean `rules`?)" in err


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


class TestBatchErrors:
    def test_every_bad_record_is_reported_in_place_csv(self, tmp_path: Path) -> None:
        """CSV: bad rows become error lines with their line numbers and problems, in order."""
        source = write(
            tmp_path,
            "customers.csv",
            "credit_hold,days_overdue,annual_volume,tier\n"
            "false,0,300000,platinum\n"
            "maybe,-1,10,diamond\n"
            "true,0,1,bronze,extra\n"
            "false,3,5,gold\n",
        )
        code, out, err = run("decide", CULTURE, source)
        assert code == 1
        results = lines(out)
        assert [(r["record"], r["line"], "decision" in r) for r in results] == [
            (0, 2, True),
            (1, 3, False),
            (2, 4, False),
            (3, 5, True),
        ]
        assert [p["path"] for p in results[1]["problems"]] == [
            "customer.credit_hold",
            "customer.days_overdue",
            "customer.tier",
        ]
        assert "more cells than the header" in results[2]["error"]
        assert "2 of 4 records could not be decided" in err

    def test_a_bad_element_of_a_json_array_is_reported(self, tmp_path: Path) -> None:
        """JSON array: an element that is not an object is an error line; the rest decide."""
        source = write(tmp_path, "c.json", json.dumps([GOOD, 7, {"tier": "gold"}, ON_HOLD]))
        code, out, _ = run("decide", CULTURE, source)
        assert code == 1
        results = lines(out)
        assert [("decision" in r) for r in results] == [True, False, False, True]
        assert results[1]["error"] == "a customer is a JSON object, not int"
        assert {p["path"] for p in results[2]["problems"]} == {
            "customer.credit_hold",
            "customer.days_overdue",
            "customer.annual_volume",
        }

    def test_an_unknown_department_is_a_mistake_not_a_record_error(self) -> None:
        """A wrong --department stops before any record: exit 2, nothing written."""
        code, out, err = run("decide", CULTURE, "--department", "finance", stdin=json.dumps(GOOD))
        assert (code, out) == (2, "")
        assert "unknown department `finance`" in err


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class TestProgress:
    def test_counts_are_shown_on_a_terminal_at_most_every_interval(self) -> None:
        """A carriage-return counter, throttled by the clock, ends with a newline."""
        now = [0.0]
        stream = FakeTerminal()
        progress = _Progress(stream, active=True, clock=lambda: now[0], interval=0.25, every=10)
        for number in range(100):
            now[0] = number * 0.01  # 100 records a second
            progress.tick(failed=number == 50)
        progress.done()
        shown = stream.getvalue().split("\r")[1:]
        assert shown[-1] == "decided 100 records, 1 failed\n"
        assert len(shown) == 4  # at 0.3 s, 0.6 s, 0.9 s, and the final count

    def test_nothing_is_shown_for_a_quick_input(self) -> None:
        """An input decided within the first interval shows nothing at all."""
        stream = FakeTerminal()
        progress = _Progress(stream, active=True, clock=lambda: 0.0, every=1)
        for _ in range(1000):
            progress.tick(failed=False)
        progress.done()
        assert stream.getvalue() == ""

    def test_decide_shows_progress_only_on_a_terminal_and_output_is_the_same(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The clock drives the display only: the decisions are identical either way."""
        source = write(tmp_path, "c.jsonl", "".join(json.dumps(GOOD) + "\n" for _ in range(600)))
        ticks = iter(range(10**6))
        monkeypatch.setattr("crmculture.cli.decisions.time.monotonic", lambda: float(next(ticks)))
        outputs = []
        for err in (FakeTerminal(), io.StringIO()):
            out = io.StringIO()
            assert main(["decide", CULTURE, source], out=out, err=err) == 0
            outputs.append(out.getvalue())
            if isinstance(err, FakeTerminal):
                assert err.getvalue().endswith("\rdecided 600 records\n")
            else:
                assert err.getvalue() == ""
        assert outputs[0] == outputs[1]

    def test_no_progress_over_decisions_written_to_the_same_terminal(self) -> None:
        """When the decisions go to the terminal, the counter would garble them: none."""
        err, out = FakeTerminal(), FakeTerminal()
        old = sys.stdin
        sys.stdin = io.StringIO("".join(json.dumps(GOOD) + "\n" for _ in range(300)))
        try:
            assert main(["decide", CULTURE], out=out, err=err) == 0
        finally:
            sys.stdin = old
        assert err.getvalue() == ""


class TestJourneys:
    def test_segments_from_one_door_with_findings_exit_1(self) -> None:
        """Without a customer: every segment's journey, the metrics and the findings."""
        code, out, _ = run("journeys", CULTURE, "--request", "replacement_part", "--door", "sales")
        assert code == 1
        assert "request `replacement_part`, 1 door, 4 customer segments" in out
        assert (
            "  not credit_hold and days_overdue > 0 and not days_overdue > 60\n"
            "      sales -> billing -> accounts_receivable -> engineering -> shipping" in out
        )
        assert "2 of 4 cases resolved, 0 by the door itself; 2 referred" in out
        assert "      sales (referred to accounts_receivable, 0 handoffs, 0 minutes)" in out
        assert "findings (1):" in out
        assert "`replacement_part` from `sales` touches 5 departments" in out

    def test_every_door_by_default(self) -> None:
        """Without --door, every department is a door."""
        code, out, _ = run("journeys", CULTURE, "--request", "payment_plan")
        assert code == 0
        assert "request `payment_plan`, 6 doors" in out
        assert out.count("\nfrom `") == 6
        assert "16 of 16 cases resolved" in out
        assert out.endswith("\nno findings\n")

    def test_one_customer_from_every_door(self) -> None:
        """With a customer: their journey from each door, and only their findings."""
        code, out, _ = run(
            "journeys", CULTURE, "--request", "replacement_part", "--customer", json.dumps(LATE)
        )
        assert code == 1
        assert (
            "  from sales                sales -> billing -> accounts_receivable -> "
            "engineering -> shipping (resolved, 4 handoffs, 70 minutes)" in out
        )
        assert "findings (2):" in out
        assert "cannot be resolved" not in out  # dead ends concern other customers

    def test_json(self) -> None:
        """--json: the journeys, metrics and findings as data."""
        code, out, _ = run(
            "journeys", CULTURE, "--request", "replacement_part", "--door", "sales", "--json"
        )
        assert code == 1
        document = json.loads(out)
        assert document["request"] == "replacement_part"
        assert document["doors"] == ["sales"]
        assert document["customer"] is None
        assert document["metrics"]["max_departments"] == 5
        late = document["journeys"][1]
        assert late["segment"] == "not credit_hold and days_overdue > 0 and not days_overdue > 60"
        assert late["departments"][0] == "sales"
        assert late["touched"] == 5
        assert late["customer"] == {"credit_hold": False, "days_overdue": 1}
        assert [f["kind"] for f in document["findings"]] == ["long_journey"]
        assert document["metrics"]["referred"] == 2
        on_hold = document["journeys"][-1]
        assert on_hold["outcome"] == "referred"
        assert on_hold["referral"]["to"] == "accounts_receivable"
        assert on_hold["referral"]["outside"] is False
        assert "clears the balance" in on_hold["referral"]["message"]

    def test_json_for_one_customer(self) -> None:
        """--json with a customer: one journey per door, no metrics."""
        code, out, _ = run(
            "journeys",
            CULTURE,
            "--request",
            "replacement_part",
            "--door",
            "sales",
            "--customer",
            json.dumps(LATE),
            "--json",
        )
        document = json.loads(out)
        assert (code, document["metrics"]) == (1, None)
        assert document["customer"] == LATE
        (journey,) = document["journeys"]
        assert journey["routes"][0]["outcome"] == "resolved"
        assert [f["kind"] for f in document["findings"]] == ["long_journey"]

    def test_a_higher_bound_and_a_clean_request_exit_0(self, tmp_path: Path) -> None:
        """No finding: exit 0 and says so."""
        culture = write(tmp_path, "clean.yaml", CLEAN_WITH_ORG)
        code, out, _ = run("journeys", culture, "--request", "payment_plan")
        assert code == 0
        assert out.endswith("no findings\n")

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["--request", "replacement_prt"], "unknown request type `replacement_prt` (did you"),
            (["--request", "refund"], "unknown request type `refund`; the org knows"),
            (["--request", "payment_plan", "--door", "sals"], "unknown department `sals`"),
            (["--request", "payment_plan", "--customer", "{"], "--customer is not JSON"),
            (["--request", "payment_plan", "--customer", '{"tier": 1}'], "invalid customer"),
            (["--request", "payment_plan", "--max-departments", "0"], "must be at least 1"),
        ],
        ids=["request-typo", "unknown-request", "door", "bad-json", "bad-customer", "bound"],
    )
    def test_mistakes(self, args: list[str], message: str) -> None:
        """Unknown names, bad JSON, bad customers: one line, exit 2."""
        code, out, err = run("journeys", CULTURE, *args)
        assert (code, out) == (2, "")
        assert message in err
        assert "Traceback" not in err

    def test_a_culture_without_org(self, tmp_path: Path) -> None:
        """A document without an org section has no journeys: exit 2 and why."""
        culture = write(tmp_path, "p.yaml", CLEAN_WITH_ORG.split("org:")[0])
        code, _, err = run("journeys", culture, "--request", "payment_plan")
        assert code == 2
        assert "has no org: add an `org` section" in err


class TestRender:
    def test_mermaid_with_a_journey_is_the_golden_picture(self) -> None:
        """The late customer's journey from sales, as to_mermaid draws it."""
        code, out, _ = run(
            "render",
            CULTURE,
            "--request",
            "replacement_part",
            "--door",
            "sales",
            "--customer",
            json.dumps(LATE),
        )
        assert code == 0
        assert out == (GOLDEN / "acme.mmd").read_text(encoding="utf-8")

    def test_without_a_door_the_longest_journey_is_highlighted(self) -> None:
        """No --door: the customer's longest journey (here: from sales)."""
        code, out, _ = run(
            "render", CULTURE, "--request", "replacement_part", "--customer", json.dumps(LATE)
        )
        assert code == 0
        assert out == (GOLDEN / "acme.mmd").read_text(encoding="utf-8")

    def test_dot_to_a_file(self, tmp_path: Path) -> None:
        """--format dot --output FILE writes the plain org to the file."""
        target = tmp_path / "org.dot"
        code, out, _ = run("render", CULTURE, "--format", "dot", "--output", str(target))
        assert (code, out) == (0, "")
        assert target.read_text(encoding="utf-8") == to_dot(acme_culture().org) + "\n"

    def test_plain_mermaid(self) -> None:
        """Without a journey: the org alone."""
        code, out, _ = run("render", CULTURE)
        assert (code, out) == (0, to_mermaid(acme_culture().org) + "\n")

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["--request", "replacement_part"], "--request and --customer go together"),
            (["--customer", "{}"], "--request and --customer go together"),
            (["--door", "sales"], "--door needs --request and --customer"),
            (["--request", "part", "--customer", "{}"], "unknown request type `part`"),
            (["--format", "svg"], "invalid choice: 'svg'"),
            (["--output", "/nonexistent/dir/org.mmd"], "cannot write `/nonexistent/dir/org.mmd`"),
        ],
        ids=["request-alone", "customer-alone", "door-alone", "request", "format", "output"],
    )
    def test_mistakes(self, args: list[str], message: str) -> None:
        """Options that do not go together, or unknown names: one line, exit 2."""
        code, _, err = run("render", CULTURE, *args)
        assert code == 2
        assert message in err
        assert "Traceback" not in err


COMMANDS = [
    "check",
    "decide",
    "explain",
    "journeys",
    "render",
    "demo",
    "example",
    "quality",
    "replay",
    "adherence",
    "serve",
]


class TestHelpAndMistakes:
    @pytest.mark.parametrize("command", COMMANDS)
    def test_every_command_has_help_with_examples(self, command: str) -> None:
        """`crmculture COMMAND --help` exits 0 and shows at least one example."""
        code, out, _ = run(command, "--help")
        assert code == 0
        assert f"usage: crmculture {command}" in out
        assert "example" in out
        assert f"crmculture {command}" in out.split("example", 1)[1]

    def test_top_level_help_lists_every_command_and_the_exit_codes(self) -> None:
        """`crmculture --help`: the commands, exit codes and examples."""
        code, out, _ = run("--help")
        assert code == 0
        for command in COMMANDS:
            assert command in out
        assert "exit codes:" in out

    @pytest.mark.parametrize(
        "args",
        [
            ["check", "missing.yaml"],
            ["explain", "missing.yaml", "--customer", "{}"],
            ["journeys", "missing.yaml", "--request", "x"],
            ["render", "missing.yaml"],
        ],
        ids=["check", "explain", "journeys", "render"],
    )
    def test_a_missing_culture_file(self, args: list[str]) -> None:
        """Every command: a missing culture file is one line, exit 2."""
        code, _, err = run(*args)
        assert code == 2
        assert err == "crmculture: error: culture file `missing.yaml` does not exist\n"

    def test_a_directory_is_not_a_culture_file(self, tmp_path: Path) -> None:
        """A directory given as the culture file: one line, exit 2."""
        code, _, err = run("check", str(tmp_path))
        assert code == 2
        assert err == f"crmculture: error: culture file `{tmp_path}` is not a file\n"

    @pytest.mark.parametrize(
        "text",
        ["facts: [unclosed\n", "{not json", "\x00\x01binary", "- a list\n- of things\n"],
        ids=["yaml-syntax", "json-syntax", "binary", "not-a-mapping"],
    )
    def test_a_malformed_document(self, tmp_path: Path, text: str) -> None:
        """Syntax errors and documents of the wrong shape: one line, exit 2, no traceback."""
        culture = write(tmp_path, "bad.yaml", text)
        for command in (["check", culture], ["journeys", culture, "--request", "x"]):
            code, out, err = run(*command)
            assert (code, out) == (2, "")
            assert err.startswith("crmculture: error: ")
            assert "Traceback" not in err

    def test_verbose_after_the_command_shows_every_problem(self, tmp_path: Path) -> None:
        """--verbose works after the command too."""
        broken = write(
            tmp_path,
            "broken.yaml",
            "format: crmculture/1\nname: x\nfacts: {a: {type: boo}}\ndirectives: {}\nrulez: []\n",
        )
        code, _, err = run("check", broken)
        assert err.splitlines()[1].startswith("  - ")  # the problems, without --verbose
        code, _, err = run("check", broken, "--verbose")
        assert code == 2
        assert "unknown fact type `boo` (did you mean `bool`?)" in err
        assert "unknown key `rulez` (did you mean `rules`?)" in err

    def test_misuse_of_the_command_is_exit_2(self) -> None:
        """Unknown options and missing arguments: argparse's one-line error, exit 2."""
        code, _, err = run("journeys", CULTURE)
        assert code == 2
        assert "the following arguments are required: --request" in err
        code, _, err = run("decide", CULTURE, "--nope")
        assert code == 2
        assert "unrecognized arguments: --nope" in err

    def test_unknown_department_in_explain(self) -> None:
        """explain with a department the policy does not know: did-you-mean, exit 2."""
        code, _, err = run(
            "explain", CULTURE, "--department", "shiping", "--customer", json.dumps(GOOD)
        )
        assert code == 2
        assert "unknown department `shiping` (did you mean `shipping`?)" in err

    def test_a_closed_pipe_is_not_a_traceback(self, tmp_path: Path) -> None:
        """`crmculture decide ... | head -1`: the reader goes away; exit 141, no traceback
        (tests/test_cli_conventions.py pipes through a real shell too)."""
        source = write(tmp_path, "c.jsonl", "".join(json.dumps(GOOD) + "\n" for _ in range(5000)))
        process = subprocess.Popen(
            [sys.executable, "-m", "crmculture", "decide", CULTURE, source, "--explain"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert process.stdout is not None
        assert process.stderr is not None
        assert process.stdout.readline().startswith(b'{"decision"')
        process.stdout.close()
        error = process.stderr.read().decode()
        process.stderr.close()
        assert process.wait(timeout=60) == 141
        assert "Traceback" not in error


def peak_rss_kib(culture: str, source: Path, target: Path) -> int:
    """Run `crmculture decide` in a fresh process and return its peak RSS in KiB."""
    script = (
        "import resource, subprocess, sys\n"
        "subprocess.run(sys.argv[1:], check=False)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    command = [sys.executable, "-m", "crmculture", "decide", culture, str(source), "-o"]
    result = subprocess.run(
        [sys.executable, "-c", script, *command, str(target)],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(result.stdout.split()[-1])


@pytest.mark.slow
def test_decide_peak_memory_is_flat_200k_vs_600k(tmp_path: Path) -> None:
    """3x the records in a separate process: peak RSS within 10% (and 8 MiB).

    Both inputs are larger than what `decide` reads and decides at once (a 4 MiB block of
    text, chunks of 16,384 records), so the comparison measures growth with the input, not an
    input that fits in one block against one that does not (20,000 records do: 2 MB).
    """
    peaks = []
    for count in (200_000, 600_000):
        source = tmp_path / f"c{count}.jsonl"
        with source.open("w", encoding="utf-8") as handle:
            for number in range(count):
                handle.write(json.dumps({**GOOD, "annual_volume": number}) + "\n")
        peaks.append(peak_rss_kib(CULTURE, source, tmp_path / "out.jsonl"))
    small, large = peaks
    assert large - small < max(small * 0.10, 8 * 1024), peaks


class TestParquet:
    """Parquet in, Parquet out, through the columnar evaluator (the batch extra)."""

    @staticmethod
    def write(path: Path, rows: list[dict[str, Any]]) -> None:
        pa = pytest.importorskip("pyarrow")
        import pyarrow.parquet as pq

        columns = {name: [row.get(name) for row in rows] for name in rows[0]}
        pq.write_table(pa.table(columns), path)

    def test_decisions_equal_the_per_record_evaluator_in_input_order(self, tmp_path: Path) -> None:
        import pyarrow.parquet as pq

        customers = [
            {**ON_HOLD, "customer_id": "c1"},
            {**GOOD, "customer_id": "c2"},
            {**LATE, "customer_id": "c3"},
        ]
        self.write(tmp_path / "in.parquet", customers)
        output = tmp_path / "out.parquet"
        code, _, err = run(
            "decide",
            CULTURE,
            str(tmp_path / "in.parquet"),
            "-o",
            str(output),
            "--department",
            "sales",
            "--keep",
            "customer_id",
        )
        assert (code, err) == (0, "")
        table = pq.read_table(output).to_pylist()
        decide = acme_culture().policy.compile()
        assert [row["customer_id"] for row in table] == ["c1", "c2", "c3"]
        for row, customer in zip(table, customers, strict=True):
            record = {k: v for k, v in customer.items() if k != "customer_id"}
            decision = decide(record, "sales")
            for name, value in decision.directives.items():
                # Parquet holds a collected tuple as a list.
                got = tuple(row[name]) if isinstance(row[name], list) else row[name]
                assert got == value
                assert row[f"{name}.rule"] == decision.outcomes[name].rule
        assert pq.read_table(tmp_path / "out.errors.parquet").num_rows == 0

    def test_an_invalid_row_is_kept_and_its_problems_written(self, tmp_path: Path) -> None:
        import pyarrow.parquet as pq

        self.write(tmp_path / "in.parquet", [GOOD, {**GOOD, "days_overdue": -5}, ON_HOLD])
        errors = tmp_path / "problems.parquet"
        code, _, err = run(
            "decide",
            CULTURE,
            str(tmp_path / "in.parquet"),
            "-o",
            str(tmp_path / "out.parquet"),
            "--errors",
            str(errors),
        )
        assert code == 1
        assert "1 of 3 records could not be decided" in err
        assert pq.read_table(tmp_path / "out.parquet").num_rows == 3
        (problem,) = pq.read_table(errors).to_pylist()
        assert problem["row"] == 1
        assert problem["path"] == "customer.days_overdue"

    @pytest.mark.parametrize(
        ("extra", "message"),
        [
            ((), "give --output FILE.parquet"),
            (("-o", "out.jsonl"), "give --output FILE.parquet"),
            (("-o", "out.parquet", "--explain"), "--explain is not available for Parquet"),
        ],
    )
    def test_misuse_is_one_line(
        self,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        extra: tuple[str, ...],
        message: str,
    ) -> None:
        self.write(tmp_path / "in.parquet", [GOOD])
        monkeypatch.chdir(tmp_path)
        code, _, err = run("decide", CULTURE, "in.parquet", *extra)
        assert code == 2
        assert message in err
        assert len(err.strip().splitlines()) == 1

    def test_a_file_that_is_not_parquet(self, tmp_path: Path) -> None:
        (tmp_path / "in.parquet").write_text("not parquet")
        code, _, err = run(
            "decide", CULTURE, str(tmp_path / "in.parquet"), "-o", str(tmp_path / "o.parquet")
        )
        assert code == 2
        assert err.startswith("crmculture: error: cannot decide")

    def test_errors_is_for_parquet_only(self) -> None:
        code, _, err = run("decide", CULTURE, "--errors", "e.parquet", stdin="")
        assert code == 2
        assert "Parquet input only" in err
