"""The `crmculture` command line: check, decide, explain, journeys, render and demo.

Run ``crmculture --help`` (or ``python -m crmculture --help``); every command has ``--help``
with examples. Mistakes in the command or in the culture file (a missing file, a malformed
document, bad ``--customer`` JSON, an unknown department, request type or door) are one clear
line on standard error and exit code 2; ``--verbose`` adds the detail. Never a traceback.

Exit codes, for every command:

- 0: done, nothing to report;
- 1: done, and something needs attention: error findings (``check``), records that could not
  be decided (``decide``), journeys with org findings (``journeys``);
- 2: the command could not run: a user mistake, reported in one line.

``decide`` streams: records are read, decided and written one at a time, so memory does not
grow with the input.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, NoReturn

from crmculture.analysis.findings import Finding, MonotonicityBreak, Severity
from crmculture.analysis.org_metrics import OrgFinding, RequestMetrics, analyze_org
from crmculture.analysis.verifier import analyze
from crmculture.culture import Culture
from crmculture.demo import run as run_demo
from crmculture.errors import CrmCultureError, InvalidCustomer, did_you_mean
from crmculture.evaluate.reference import check_department
from crmculture.evaluate.truth import holds
from crmculture.io.documents import load, load_policy
from crmculture.io.records import Record, RecordError, RecordFormat, read_records, typed_customer
from crmculture.model.facts import Schema
from crmculture.model.policies import Policy
from crmculture.model.values import json_value
from crmculture.org.journeys import Journey
from crmculture.org.render import to_dot, to_mermaid

__all__ = ["EXIT_FINDINGS", "EXIT_OK", "EXIT_USAGE", "main"]

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

_CUSTOMER = '{"credit_hold": false, "days_overdue": 12, "annual_volume": 9000, "tier": "gold"}'

_EXAMPLES = f"""\
exit codes: 0 done, nothing to report; 1 done, something needs attention (error findings,
records that could not be decided, journeys with findings); 2 a mistake in the command or
the culture file (one line on standard error; --verbose shows the detail)

examples:
  crmculture demo
  crmculture check examples/acme-culture.yaml
  crmculture decide examples/acme-culture.yaml customers.jsonl --department sales
  cat customers.csv | crmculture decide examples/acme-culture.yaml --input-format csv
  crmculture explain examples/acme-culture.yaml --department engineering \\
      --customer '{{"credit_hold": true, "days_overdue": 0, "annual_volume": 9000, "tier": "gold"}}'
  crmculture journeys examples/acme-culture.yaml --request replacement_part --door sales
  crmculture render examples/acme-culture.yaml --request replacement_part --door sales \\
      --customer '{_CUSTOMER}' --output org.mmd
"""

_DECIDE_EXAMPLES = """\
examples:
  crmculture decide examples/acme-culture.yaml customers.jsonl --department sales \\
      > decisions.jsonl
  crmculture decide examples/acme-culture.yaml customers.csv --explain -o decisions.jsonl
  cat customers.json | crmculture decide examples/acme-culture.yaml --input-format json
  crmculture decide examples/acme-culture.yaml customers.parquet -o decisions.parquet \
      --keep customer_id

Each output line is {"record": N, "line": L, "decision": {...}} or, for a record that could
not be decided, {"record": N, "line": L, "error": "...", "problems": [...]}. When standard
error is a terminal (and the decisions are not written to it), a count of decided records is
shown there while a large input is decided.

Parquet (needs the batch extra: pip install 'crmculture[batch]'): a .parquet file of customers,
one column per fact, is decided in batches into a Parquet file of decisions (--output), one
row per customer in input order: a column per directive and a `<directive>.rule` column with
the rule that set it. Rows that could not be decided have empty values and their problems
in the errors file (--errors, by default next to the output: NAME.errors.parquet).
"""

_EXPLAIN_EXAMPLES = """\
example:
  crmculture explain examples/acme-culture.yaml --department engineering \\
      --customer '{"credit_hold": true, "days_overdue": 0, "annual_volume": 1, "tier": "gold"}'
"""

_CHECK_EXAMPLES = """\
examples:
  crmculture check examples/acme-culture.yaml
  crmculture check examples/acme-culture.yaml --json > report.json
"""

_JOURNEYS_EXAMPLES = f"""\
examples:
  # every customer segment, from every door, with the org findings for the request
  crmculture journeys examples/acme-culture.yaml --request replacement_part
  # one door only, as JSON
  crmculture journeys examples/acme-culture.yaml --request replacement_part --door sales --json
  # one customer's journeys, from every door
  crmculture journeys examples/acme-culture.yaml --request replacement_part \\
      --customer '{_CUSTOMER}'
"""

_RENDER_EXAMPLES = f"""\
examples:
  crmculture render examples/acme-culture.yaml > org.mmd
  crmculture render examples/acme-culture.yaml --format dot | dot -Tsvg > org.svg
  # highlight one customer's journey (from --door; without it, their longest journey)
  crmculture render examples/acme-culture.yaml --request replacement_part --door sales \\
      --customer '{_CUSTOMER}' --output org.mmd
"""


class _UsageError(Exception):
    """A user mistake: reported in one line, exit code 2."""


def _parser() -> argparse.ArgumentParser:
    # `--verbose` is accepted before and after the command; SUPPRESS keeps a command's
    # default from overriding `crmculture --verbose COMMAND`.
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument(
        "--verbose", action="store_true", default=argparse.SUPPRESS, help="show error detail"
    )
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="crmculture",
        description="Customer-treatment policies as executable rules.",
        epilog=_EXAMPLES,
        formatter_class=raw,
    )
    parser.add_argument("--verbose", action="store_true", help="show the detail of errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    decide = commands.add_parser(
        "decide",
        parents=[verbose],
        help="decide customers from a file or standard input (JSON Lines out)",
        description="Decide every customer and write one JSON line per record, in input order. "
        "An invalid record becomes an error line with its line number and problems; none is "
        "dropped, and the exit code is 1 when any record failed. Records are streamed: memory "
        "does not grow with the input.",
        epilog=_DECIDE_EXAMPLES,
        formatter_class=raw,
    )
    decide.add_argument("culture", metavar="CULTURE_FILE", help="the culture document")
    decide.add_argument(
        "customers",
        metavar="CUSTOMERS",
        nargs="?",
        default="-",
        help="a JSON array, JSON Lines or CSV file; standard input by default",
    )
    decide.add_argument("--department", help="the department asking")
    decide.add_argument("--explain", action="store_true", help="add each decision's explanation")
    decide.add_argument(
        "--input-format",
        choices=["json", "jsonl", "csv", "parquet"],
        help="the format of CUSTOMERS (default: from the extension, else jsonl)",
    )
    decide.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    decide.add_argument(
        "--errors",
        metavar="FILE",
        help="Parquet only: where to write the rows that could not be decided "
        "(default: next to --output, NAME.errors.parquet)",
    )
    decide.add_argument(
        "--keep",
        action="append",
        default=[],
        metavar="COLUMN",
        help="Parquet only: copy this column (a customer id) into the decisions; repeatable",
    )

    explain = commands.add_parser(
        "explain",
        parents=[verbose],
        help="explain the decision for one customer",
        description="Decide one customer and print the readable explanation: each directive "
        "with the rule that set it and why, the rules it overrode, the rules that did not match.",
        epilog=_EXPLAIN_EXAMPLES,
        formatter_class=raw,
    )
    explain.add_argument("culture", metavar="CULTURE_FILE", help="the culture document")
    explain.add_argument(
        "--customer", required=True, metavar="JSON", help="the customer as a JSON object"
    )
    explain.add_argument("--department", help="the department asking")

    check = commands.add_parser(
        "check",
        parents=[verbose],
        help="load, validate and analyse a culture (for CI)",
        description="Load and validate the culture, run the policy verifier and, when the "
        "document has an org, the org analysis. Exit 0 when there is no error finding, 1 when "
        "there is one, 2 when the file is invalid. Org findings are listed but do not fail the "
        "check: gate them with `crmculture journeys`.",
        epilog=_CHECK_EXAMPLES,
        formatter_class=raw,
    )
    check.add_argument("culture", metavar="CULTURE_FILE", help="the culture document")
    check.add_argument("--json", action="store_true", help="write the report as JSON")

    journeys = commands.add_parser(
        "journeys",
        parents=[verbose],
        help="the journeys of a request through the org, and what is wrong with them",
        description="Without --customer: every customer segment the culture tells apart, the "
        "journey it takes from each door (every department, or --door), the request's metrics "
        "and its org findings (long journeys, dead ends, loops, ambiguous routes). With "
        "--customer: that customer's journey from each door, and the findings that concern "
        "them. Exit 0 when there is no finding, 1 when there is one, 2 on a mistake.",
        epilog=_JOURNEYS_EXAMPLES,
        formatter_class=raw,
    )
    journeys.add_argument("culture", metavar="CULTURE_FILE", help="the culture document")
    journeys.add_argument("--request", required=True, help="the request type")
    journeys.add_argument("--door", help="the department contacted first (default: every one)")
    journeys.add_argument("--customer", metavar="JSON", help="one customer, as a JSON object")
    journeys.add_argument(
        "--max-departments",
        type=_positive,
        default=3,
        metavar="N",
        help="a journey touching more departments is a finding (default: 3)",
    )
    journeys.add_argument("--json", action="store_true", help="write the journeys as JSON")

    render = commands.add_parser(
        "render",
        parents=[verbose],
        help="draw the org as Mermaid or Graphviz DOT, a customer's journey highlighted",
        description="Write the org as a Mermaid flowchart or a Graphviz DOT digraph. With "
        "--request and --customer, the customer's journey is highlighted: the one from --door, "
        "or without it, their longest journey from any door.",
        epilog=_RENDER_EXAMPLES,
        formatter_class=raw,
    )
    render.add_argument("culture", metavar="CULTURE_FILE", help="the culture document")
    render.add_argument(
        "--format", choices=["mermaid", "dot"], default="mermaid", help="default: mermaid"
    )
    render.add_argument("--request", help="the request type of the journey to highlight")
    render.add_argument("--customer", metavar="JSON", help="the customer, as a JSON object")
    render.add_argument("--door", help="the department the customer contacts first")
    render.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")

    commands.add_parser(
        "demo",
        parents=[verbose],
        help="show the built-in example culture end to end",
        description="Decide and explain a few customers of the built-in ACME culture, walk a "
        "journey through its org, show what the verifier finds and try a reorganisation.",
        epilog="example:\n  crmculture demo | less",
        formatter_class=raw,
    )
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got `{text}`") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not `{value}`")
    return value


# -- shared ---------------------------------------------------------------------------------


def _culture_file(path: str) -> Path:
    if not Path(path).exists():
        raise _UsageError(f"culture file `{path}` does not exist")
    if not Path(path).is_file():
        raise _UsageError(f"culture file `{path}` is not a file")
    return Path(path)


def _load(path: str) -> Policy:
    return load_policy(_culture_file(path))


def _load_culture(path: str) -> Culture:
    culture = load(_culture_file(path))
    if not culture.org.departments:
        raise _UsageError(f"culture file `{path}` has no org: add an `org` section")
    return culture


def _customer(text: str, schema: Schema) -> dict[str, Any]:
    """The --customer option: a JSON object typed through the schema."""
    try:
        customer = json.loads(text)
    except ValueError as error:
        raise _UsageError(f"--customer is not JSON: {error}") from None
    if not isinstance(customer, dict):
        raise _UsageError("--customer must be a JSON object")
    return typed_customer(schema, customer)


def _check_request(culture: Culture, request: str) -> None:
    if request not in culture.org.requests:
        known = ", ".join(f"`{name}`" for name in culture.org.requests) or "none"
        suggestion = did_you_mean(request, culture.org.requests)
        raise _UsageError(
            f"unknown request type `{request}`" + (suggestion or f"; the org knows {known}")
        )


def _record_format(path: str, given: str | None) -> RecordFormat:
    if given:
        return given  # type: ignore[return-value]
    suffix = Path(path).suffix.lower()
    return {".json": "json", ".csv": "csv"}.get(suffix, "jsonl")  # type: ignore[return-value]


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _open_output(path: str | None, out: IO[str]) -> IO[str]:
    if path is None:
        return out
    try:
        return open(path, "w", encoding="utf-8")
    except OSError as error:
        raise _UsageError(f"cannot write `{path}`: {error.strerror}") from None


# -- decide ---------------------------------------------------------------------------------


class _Progress:
    """A one-line count of decided records on standard error, only when it is a terminal.

    The clock is read every `every` records and the line rewritten at most every `interval`
    seconds; nothing is shown for an input decided within the first `interval`. The clock
    only ever changes this display, never what is decided or written.
    """

    def __init__(
        self,
        stream: IO[str],
        *,
        active: bool,
        clock: Callable[[], float] | None = None,
        interval: float = 0.25,
        every: int = 256,
    ) -> None:
        self.stream = stream
        self.active = active
        # Looked up per progress, not bound at import: the display's only source of time.
        self.clock = clock or time.monotonic
        self.interval = interval
        self.every = every
        self.count = 0
        self.failed = 0
        self.shown = False
        self.due = self.clock() + interval if active else 0.0

    def tick(self, failed: bool) -> None:
        self.count += 1
        self.failed += failed
        if self.active and self.count % self.every == 0:
            now = self.clock()
            if now >= self.due:
                self.stream.write("\r" + self._text())
                self.stream.flush()
                self.shown = True
                self.due = now + self.interval

    def _text(self) -> str:
        text = f"decided {self.count:,} records"
        return text + (f", {self.failed:,} failed" if self.failed else "")

    def done(self) -> None:
        if self.shown:
            self.stream.write("\r" + self._text() + "\n")
            self.stream.flush()


def _decide(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    policy = _load(args.culture)
    check_department(policy, args.department)
    if args.input_format == "parquet" or (
        args.input_format is None and Path(args.customers).suffix.lower() in _PARQUET
    ):
        return _decide_parquet(args, policy, err)
    if args.errors is not None or args.keep:
        raise _UsageError("--errors and --keep apply to Parquet input only")
    decide = policy.compile()
    fmt = _record_format(args.customers, args.input_format)
    stream: IO[str]
    if args.customers == "-":
        stream = sys.stdin
    else:
        try:
            stream = open(args.customers, encoding="utf-8", newline="")  # noqa: SIM115
        except OSError as error:
            raise _UsageError(f"cannot read `{args.customers}`: {error.strerror}") from None
    try:
        target = _open_output(args.output, out)
    except _UsageError:
        if stream is not sys.stdin:
            stream.close()
        raise
    # Never draw over the decisions themselves when they go to the same terminal.
    progress = _Progress(err, active=_isatty(err) and not (target is out and _isatty(out)))
    try:
        for item in read_records(stream, policy.schema, fmt):
            line = _decision_line(decide, item, args.department, args.explain)
            target.write(json.dumps(line, sort_keys=True, ensure_ascii=False) + "\n")
            progress.tick("error" in line)
    except UnicodeDecodeError as error:
        raise _UsageError(
            f"cannot read `{args.customers}`: not UTF-8 text after record {progress.count}: "
            f"byte `{error.object[error.start]:#04x}`"
        ) from None
    finally:
        progress.done()
        if stream is not sys.stdin:
            stream.close()
        if target is not out:
            target.close()
    if progress.failed:
        err.write(
            f"crmculture: {progress.failed} of {progress.count} records could not be decided\n"
        )
    return EXIT_FINDINGS if progress.failed else EXIT_OK


_PARQUET = (".parquet", ".pq")


def _decide_parquet(args: argparse.Namespace, policy: Policy, err: IO[str]) -> int:
    """Parquet in, Parquet out, through the columnar evaluator; nothing is dropped."""
    if args.customers == "-":
        raise _UsageError("Parquet cannot be read from standard input: give the file")
    if args.output is None or Path(args.output).suffix.lower() not in _PARQUET:
        raise _UsageError("Parquet customers are decided into Parquet: give --output FILE.parquet")
    if args.explain:
        raise _UsageError("--explain is not available for Parquet; use JSON Lines or CSV")
    try:
        import pyarrow

        from crmculture.batch import decide_parquet
    except ImportError:
        raise _UsageError(
            "Parquet needs the batch extra: pip install 'crmculture[batch]'"
        ) from None
    output = Path(args.output)
    errors = Path(args.errors) if args.errors else output.with_suffix(".errors.parquet")
    if not Path(args.customers).is_file():
        raise _UsageError(f"cannot read `{args.customers}`: no such file")
    try:
        summary = decide_parquet(
            policy,
            args.customers,
            output,
            args.department,
            errors=errors,
            on_error="report",
            passthrough=args.keep,
        )
    except (OSError, pyarrow.ArrowException) as error:
        raise _UsageError(f"cannot decide `{args.customers}`: {error}") from None
    if summary.failed:
        err.write(
            f"crmculture: {summary.failed} of {summary.rows} records could not be decided; "
            f"their problems are in {errors}\n"
        )
        return EXIT_FINDINGS
    return EXIT_OK


def _decision_line(
    decide: Any, item: Record | RecordError, department: str | None, explain: bool
) -> dict[str, Any]:
    if isinstance(item, RecordError):
        return {"record": item.index, "line": item.line, "error": item.message, "problems": []}
    try:
        decision = decide(item.customer, department)
    except InvalidCustomer as error:
        return {
            "record": item.index,
            "line": item.line,
            "error": "invalid customer",
            "problems": [{"path": p.path_text, "message": p.message} for p in error.problems],
        }
    except CrmCultureError as error:
        return {"record": item.index, "line": item.line, "error": str(error), "problems": []}
    line: dict[str, Any] = {"record": item.index, "line": item.line, "decision": decision.to_dict()}
    if explain:
        line["explanation"] = decision.explain()
    return line


# -- check ----------------------------------------------------------------------------------


def _finding_document(finding: Finding) -> dict[str, Any]:
    document: dict[str, Any] = {
        "kind": finding.kind,
        "severity": finding.severity.value,
        "message": str(finding),
        "rules": list(finding.rules),
        "directives": list(finding.directives),
        "departments": list(finding.departments),
    }
    if finding.customer:
        document["customer"] = json_value(finding.record)
    if isinstance(finding, MonotonicityBreak):
        document["better_customer"] = json_value(finding.record)
        document["worse_customer"] = json_value(finding.worse_record)
    return document


def _org_finding_document(finding: OrgFinding) -> dict[str, Any]:
    return {
        "kind": finding.kind,
        "door": finding.door,
        "request": finding.request,
        "segment": str(finding.segment),
        "message": finding.message,
        "customer": json_value(finding.record),
    }


def _check(args: argparse.Namespace, out: IO[str]) -> int:
    culture = load(_culture_file(args.culture))
    report = analyze(culture.policy)
    org_findings = analyze_org(culture).findings if culture.org.departments else ()
    errors = [f for f in report.findings if f.severity is Severity.ERROR]
    if args.json:
        document = {
            "culture": culture.policy.name,
            "version": culture.policy.version,
            "complete": report.complete,
            "findings": [_finding_document(f) for f in report.findings],
            "org_findings": [_org_finding_document(f) for f in org_findings],
        }
        out.write(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        return EXIT_FINDINGS if errors else EXIT_OK
    out.write(
        f"{args.culture}: policy `{culture.policy.name}` version "
        f"{culture.policy.version}, {len(culture.org)} departments\n"
    )
    for severity in Severity:
        found = [f for f in report.findings if f.severity is severity]
        if found:
            out.write(f"\n{severity.value}s ({len(found)}):\n")
            out.writelines(f"  - {finding}\n" for finding in found)
    if org_findings:
        out.write(f"\norg findings ({len(org_findings)}):\n")
        _write_org_findings(out, org_findings)
    if not report.complete:
        out.write(
            "\nthe analysis is incomplete: a search budget was reached; the clean "
            "results above cover only what was searched\n"
        )
    if not report.findings and not org_findings:
        out.write("no findings\n")
    return EXIT_FINDINGS if errors else EXIT_OK


def _write_org_findings(out: IO[str], findings: Sequence[OrgFinding], limit: int = 20) -> None:
    shown = findings[:limit]
    out.writelines(f"  - {f.message}; for example {_show(f.record)}\n" for f in shown)
    if len(findings) > len(shown):
        out.write(f"  ... and {len(findings) - len(shown)} more (see --json)\n")


def _show(customer: dict[str, Any]) -> str:
    return json.dumps(json_value(customer), ensure_ascii=False)


# -- explain --------------------------------------------------------------------------------


def _explain(args: argparse.Namespace, out: IO[str]) -> int:
    policy = _load(args.culture)
    customer = _customer(args.customer, policy.schema)
    check_department(policy, args.department)
    decision = policy.compile()(customer, args.department)
    out.write(decision.explain() + "\n")
    return EXIT_OK


# -- journeys -------------------------------------------------------------------------------


def _journey_document(
    door: str, journey: Journey, segment: str | None, customer: dict[str, Any] | None
) -> dict[str, Any]:
    document: dict[str, Any] = {"door": door}
    if segment is not None:
        document["segment"] = segment
    if customer is not None:
        document["customer"] = json_value(customer)
    document.update(
        {
            "departments": list(journey.departments),
            "outcome": journey.outcome,
            "touched": journey.touched,
            "handoffs": len(journey.handoffs),
            "minutes": journey.minutes,
            "ambiguous": journey.ambiguous,
            "truncated": journey.truncated,
            "routes": [
                {
                    "departments": list(route.departments),
                    "outcome": route.outcome,
                    "minutes": route.minutes,
                }
                for route in journey.routes
            ],
        }
    )
    return document


def _metrics_document(metrics: RequestMetrics) -> dict[str, Any]:
    return {
        "cases": metrics.cases,
        "resolved": metrics.resolved,
        "first_contact": metrics.first_contact,
        "dead_ends": metrics.dead_ends,
        "loops": metrics.loops,
        "ambiguous": metrics.ambiguous,
        "long_journeys": metrics.long_journeys,
        "max_departments": metrics.max_departments,
        "mean_departments": metrics.mean_departments,
    }


def _journeys(args: argparse.Namespace, out: IO[str]) -> int:
    culture = _load_culture(args.culture)
    _check_request(culture, args.request)
    if args.door is not None:
        culture.org.department(args.door)  # an unknown door: one line, with a suggestion
    doors = [args.door] if args.door is not None else list(culture.org.names)
    schema = culture.policy.schema
    customer = None if args.customer is None else _customer(args.customer, schema)
    # Validate first: a bad record is reported before any analysis runs.
    facts = None if customer is None else schema.validate(customer)
    report = analyze_org(
        culture, max_departments=args.max_departments, doors=doors, requests=[args.request]
    )
    findings: Sequence[OrgFinding] = report.findings
    entries: list[tuple[str, Journey, str | None, dict[str, Any]]] = []
    if customer is None:
        entries = [(c.door, c.journey, str(c.segment), c.record) for c in report.cases]
    else:
        assert facts is not None
        entries = [
            (door, culture.journey(customer, args.request, door=door), None, customer)
            for door in doors
        ]
        # Segments partition the customers: the findings of this customer's segments.
        findings = [f for f in findings if holds(f.segment, facts, schema)]
    if args.json:
        document = {
            "culture": culture.policy.name,
            "version": culture.policy.version,
            "request": args.request,
            "doors": doors,
            "customer": None if customer is None else json_value(customer),
            "max_departments": args.max_departments,
            "journeys": [
                _journey_document(door, journey, segment, None if customer else example)
                for door, journey, segment, example in entries
            ],
            "metrics": None if customer is not None else _metrics_document(report.total),
            "findings": [_org_finding_document(f) for f in findings],
        }
        out.write(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        return EXIT_FINDINGS if findings else EXIT_OK
    if customer is None:
        out.write(
            f"{args.culture}: request `{args.request}`, {len(doors)} "
            f"door{'' if len(doors) == 1 else 's'}, {len(entries)} customer segments\n"
        )
        door = None
        for here, journey, segment, _ in entries:
            if here != door:
                out.write(f"\nfrom `{here}`:\n")
                door = here
            out.write(f"  {segment}\n      {journey}\n")
        total = report.total
        out.write(
            f"\n{total.resolved} of {total.cases} cases resolved, {total.first_contact} by the "
            f"door itself; the longest journey touches {total.max_departments} departments\n"
        )
    else:
        out.write(f"{args.culture}: request `{args.request}` for {_show(customer)}\n\n")
        width = max(len(door) for door in doors)
        out.writelines(f"  from {door:<{width}}  {journey}\n" for door, journey, _, _ in entries)
    if findings:
        out.write(f"\nfindings ({len(findings)}):\n")
        _write_org_findings(out, findings)
    else:
        out.write("\nno findings\n")
    return EXIT_FINDINGS if findings else EXIT_OK


# -- render ---------------------------------------------------------------------------------


def _render(args: argparse.Namespace, out: IO[str]) -> int:
    culture = _load_culture(args.culture)
    journey: Journey | None = None
    if args.request is None and args.customer is None:
        if args.door is not None:
            raise _UsageError("--door needs --request and --customer")
    elif args.request is None or args.customer is None:
        raise _UsageError("--request and --customer go together: give both, or neither")
    else:
        _check_request(culture, args.request)
        if args.door is not None:
            culture.org.department(args.door)
        customer = _customer(args.customer, culture.policy.schema)
        doors = [args.door] if args.door is not None else culture.org.names
        journeys = [culture.journey(customer, args.request, door=door) for door in doors]
        # The longest journey (most departments, then minutes), ties by door name.
        journey = min(journeys, key=lambda j: (-j.touched, -j.minutes, j.door))
    draw = to_mermaid if args.format == "mermaid" else to_dot
    text = draw(culture.org, journey=journey) + "\n"
    target = _open_output(args.output, out)
    try:
        target.write(text)
    finally:
        if target is not out:
            target.close()
    return EXIT_OK


# -- main -----------------------------------------------------------------------------------


def _fail(err: IO[str], message: str, detail: str | None, verbose: bool) -> NoReturn:
    first, _, rest = message.partition("\n")
    err.write(f"crmculture: error: {first}\n")
    if verbose and (rest or detail):
        err.write((rest + "\n" if rest else "") + (detail + "\n" if detail else ""))
    elif rest:
        err.write("(run with --verbose for every problem)\n")
    raise SystemExit(EXIT_USAGE)


_COMMANDS: dict[str, Callable[[argparse.Namespace, IO[str], IO[str]], int]] = {
    "check": lambda args, out, err: _check(args, out),
    "decide": _decide,
    "explain": lambda args, out, err: _explain(args, out),
    "journeys": lambda args, out, err: _journeys(args, out),
    "render": lambda args, out, err: _render(args, out),
}


def main(
    argv: Sequence[str] | None = None, out: IO[str] | None = None, err: IO[str] | None = None
) -> int:
    """Run the command line; return the exit code.

    Args:
        argv: The arguments after the program name (default: ``sys.argv[1:]``).
        out: Where results go (default: standard output).
        err: Where errors and progress go (default: standard error).

    Returns:
        0 when done with nothing to report, 1 when something needs attention (error
        findings, records that could not be decided, journeys with findings).

    Raises:
        SystemExit: with code 2 for a mistake in the command or the culture file, after one
            line on `err`; with code 0 after ``--help``.

    Examples:
        >>> import io
        >>> out = io.StringIO()
        >>> main(["explain", "examples/acme-culture.yaml", "--customer",
        ...       '{"credit_hold": true, "days_overdue": 0, "annual_volume": 1, "tier": "gold"}'],
        ...      out=out)
        0
        >>> print(out.getvalue().splitlines()[4])
          route_to = "accounts_receivable"
    """
    out = out or sys.stdout
    err = err or sys.stderr
    # argparse writes --help to stdout and its own errors to stderr: send them to ours.
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        args = _parser().parse_args(argv)
    verbose = bool(getattr(args, "verbose", False))
    try:
        if args.command == "demo":
            run_demo(out)
            return EXIT_OK
        return _COMMANDS[args.command](args, out, err)
    except _UsageError as error:
        _fail(err, str(error), None, verbose)
    except CrmCultureError as error:
        _fail(err, str(error), None, verbose)
    except BrokenPipeError:
        # The reader went away (`crmculture decide ... | head`): stop quietly. Python would
        # complain again when it flushes standard output at exit, so point that at devnull.
        if out is sys.stdout:
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FINDINGS
    except OSError as error:
        where = f" `{error.filename}`" if error.filename else ""
        _fail(err, f"cannot access{where}: {error.strerror or error}", repr(error), verbose)
    except KeyboardInterrupt:
        err.write("\ncrmculture: interrupted\n")
        return 130
