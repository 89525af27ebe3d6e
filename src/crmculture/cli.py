"""The `crmculture` command line: check, decide, explain and demo.

Run ``crmculture --help`` (or ``python -m crmculture --help``). Mistakes in the command or in
the culture file are one clear line on standard error and exit code 2; ``--verbose`` adds the
detail. ``decide`` streams: records are read, decided and written one at a time.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, NoReturn

from crmculture.analysis.findings import Severity
from crmculture.analysis.org_metrics import analyze_org
from crmculture.analysis.verifier import analyze
from crmculture.demo import run as run_demo
from crmculture.errors import CrmCultureError, InvalidCustomer
from crmculture.evaluate.reference import check_department
from crmculture.io.documents import load, load_policy
from crmculture.io.records import Record, RecordError, RecordFormat, read_records, typed_customer
from crmculture.model.policies import Policy
from crmculture.model.values import json_value

__all__ = ["main"]

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

_EXAMPLES = """\
examples:
  crmculture demo
  crmculture check examples/acme-culture.yaml
  crmculture decide examples/acme-culture.yaml customers.jsonl --department sales
  cat customers.csv | crmculture decide examples/acme-culture.yaml --input-format csv
  crmculture explain examples/acme-culture.yaml --department engineering \\
      --customer '{"credit_hold": true, "days_overdue": 0, "annual_volume": 9000, "tier": "gold"}'
"""


class _UsageError(Exception):
    """A user mistake: reported in one line, exit code 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crmculture",
        description="Customer-treatment policies as executable rules.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--verbose", action="store_true", help="show the detail of errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    decide = commands.add_parser(
        "decide",
        help="decide customers from a file or standard input (JSON Lines out)",
        description="Decide every customer and write one JSON line per record, in input order. "
        "An invalid record becomes an error line with its line number and problems; the exit "
        "code is 1 when any record failed.",
        epilog="example:\n  crmculture decide examples/acme-culture.yaml customers.jsonl "
        "--department sales > decisions.jsonl",
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
        choices=["json", "jsonl", "csv"],
        help="the format of CUSTOMERS (default: from the extension, else jsonl)",
    )
    decide.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")

    explain = commands.add_parser(
        "explain",
        help="explain the decision for one customer",
        epilog="example:\n  crmculture explain examples/acme-culture.yaml --customer "
        '\'{"credit_hold": true, "days_overdue": 0, "annual_volume": 1, "tier": "gold"}\'',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    explain.add_argument("culture", metavar="CULTURE_FILE", help="the culture document")
    explain.add_argument(
        "--customer", required=True, metavar="JSON", help="the customer as a JSON object"
    )
    explain.add_argument("--department", help="the department asking")

    check = commands.add_parser(
        "check",
        help="load, validate and analyse a culture (for CI)",
        description="Load and validate the culture, run the policy verifier and, when the "
        "document has an org, the org analysis. Exit 0 when clean, 1 when there are error "
        "findings, 2 when the file is invalid.",
        epilog="example:\n  crmculture check examples/acme-culture.yaml --json > report.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("culture", metavar="CULTURE_FILE", help="the culture document")
    check.add_argument("--json", action="store_true", help="write the report as JSON")

    commands.add_parser(
        "demo",
        help="show the built-in example culture end to end",
        epilog="example:\n  crmculture demo",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser


def _culture_file(path: str) -> Path:
    if not Path(path).is_file():
        raise _UsageError(f"culture file `{path}` does not exist")
    return Path(path)


def _load(path: str) -> Policy:
    return load_policy(_culture_file(path))


def _record_format(path: str, given: str | None) -> RecordFormat:
    if given:
        return given  # type: ignore[return-value]
    suffix = Path(path).suffix.lower()
    return {".json": "json", ".csv": "csv"}.get(suffix, "jsonl")  # type: ignore[return-value]


class _Progress:
    """A one-line progress count on standard error, only when it is a terminal."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.active = stream.isatty()
        self.count = 0

    def tick(self) -> None:
        self.count += 1
        if self.active and self.count % 10_000 == 0:
            self.stream.write(f"\rdecided {self.count:,} records")
            self.stream.flush()

    def done(self) -> None:
        if self.active and self.count >= 10_000:
            self.stream.write(f"\rdecided {self.count:,} records\n")


def _decide(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    policy = _load(args.culture)
    check_department(policy, args.department)
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
        target = out if args.output is None else open(args.output, "w", encoding="utf-8")  # noqa: SIM115
    except OSError as error:
        raise _UsageError(f"cannot write `{args.output}`: {error.strerror}") from None
    failed = 0
    progress = _Progress(err)
    try:
        for item in read_records(stream, policy.schema, fmt):
            line = _decision_line(decide, item, args.department, args.explain)
            failed += "error" in line
            target.write(json.dumps(line, sort_keys=True, ensure_ascii=False) + "\n")
            progress.tick()
    finally:
        progress.done()
        if stream is not sys.stdin:
            stream.close()
        if target is not out:
            target.close()
    if failed:
        err.write(f"crmculture: {failed} of {progress.count} records could not be decided\n")
    return EXIT_FINDINGS if failed else EXIT_OK


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
            "problems": [{"path": p.path, "message": p.message} for p in error.problems],
        }
    except CrmCultureError as error:
        return {"record": item.index, "line": item.line, "error": str(error), "problems": []}
    line: dict[str, Any] = {"record": item.index, "line": item.line, "decision": decision.to_dict()}
    if explain:
        line["explanation"] = decision.explain()
    return line


def _finding_document(finding: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "kind": finding.kind,
        "severity": finding.severity.value,
        "message": str(finding),
        "rules": list(finding.rules),
        "directives": list(finding.directives),
        "departments": list(finding.departments),
    }
    for name in ("customer", "better_customer", "worse_customer"):
        if hasattr(finding, name):
            document[name] = json_value(getattr(finding, name))
    return document


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
            "org_findings": [
                {
                    "kind": f.kind,
                    "door": f.door,
                    "request": f.request,
                    "segment": str(f.segment),
                    "message": f.message,
                    "customer": json_value(dict(f.customer)),
                }
                for f in org_findings
            ],
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
        shown = org_findings[:20]
        out.writelines(
            f"  - {f.message}; for example {json_value(dict(f.customer))}\n" for f in shown
        )
        if len(org_findings) > len(shown):
            out.write(f"  ... and {len(org_findings) - len(shown)} more (see --json)\n")
    if not report.complete:
        out.write(
            "\nthe analysis is incomplete: a search budget was reached; the clean "
            "results above cover only what was searched\n"
        )
    if not report.findings and not org_findings:
        out.write("no findings\n")
    return EXIT_FINDINGS if errors else EXIT_OK


def _explain(args: argparse.Namespace, out: IO[str]) -> int:
    policy = _load(args.culture)
    try:
        customer = json.loads(args.customer)
    except ValueError as error:
        raise _UsageError(f"--customer is not JSON: {error}") from None
    if not isinstance(customer, dict):
        raise _UsageError("--customer must be a JSON object")
    decision = policy.compile()(typed_customer(policy.schema, customer), args.department)
    out.write(decision.explain() + "\n")
    return EXIT_OK


def _fail(err: IO[str], message: str, detail: str | None, verbose: bool) -> NoReturn:
    first, _, rest = message.partition("\n")
    err.write(f"crmculture: error: {first}\n")
    if verbose and (rest or detail):
        err.write((rest + "\n" if rest else "") + (detail or ""))
    elif rest:
        err.write("(run with --verbose for every problem)\n")
    raise SystemExit(EXIT_USAGE)


def main(
    argv: Sequence[str] | None = None, out: IO[str] | None = None, err: IO[str] | None = None
) -> int:
    """Run the command line; return the exit code.

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
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            run_demo(out)
            return EXIT_OK
        if args.command == "decide":
            return _decide(args, out, err)
        if args.command == "check":
            return _check(args, out)
        return _explain(args, out)
    except _UsageError as error:
        _fail(err, str(error), None, args.verbose)
    except CrmCultureError as error:
        _fail(err, str(error), None, args.verbose)
