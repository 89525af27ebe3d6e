"""The argument parser: every command, its options, its help text and its examples.

Why argparse: it is in the standard library, so the console script costs no dependency on the
core install, and it does what the commands need (subcommands, shared options, help with
examples). What it lacks, wrapped help that keeps examples intact, is `_Formatter` below.
"""

from __future__ import annotations

import argparse
import re
import textwrap
from importlib.metadata import PackageNotFoundError, version

_CUSTOMER = '{"credit_hold": false, "days_overdue": 12, "annual_volume": 9000, "tier": "gold"}'

_EXAMPLES = f"""\
exit codes: 0 done, nothing to report; 1 done, something needs attention (error findings,
records that could not be decided, journeys with findings); 2 a mistake in the command or
the culture file (one line on standard error, its problems below; --verbose shows the
detail; with --json, a JSON object on standard output too); 141 the reader of standard output
went away (a closed pipe, as in `crmculture decide ... | head`); 130 interrupted

examples:
  crmculture demo
  crmculture example                     # list the example cultures
  crmculture example acme -o acme.yaml   # write one out; the examples below use it
  crmculture check acme.yaml
  crmculture decide acme.yaml customers.jsonl --department sales
  cat customers.csv | crmculture decide acme.yaml --input-format csv
  crmculture explain acme.yaml --department engineering \\
      --customer '{{"credit_hold": true, "days_overdue": 0, "annual_volume": 9000, "tier": "gold"}}'
  crmculture journeys acme.yaml --request replacement_part --door sales
  crmculture render acme.yaml --request replacement_part --door sales \\
      --customer '{_CUSTOMER}' \\
      --output org.mmd
"""

_DECIDE_EXAMPLES = """\
examples:
  crmculture example acme -o acme.yaml   # the culture file the examples use
  echo '{"credit_hold": true, "days_overdue": 0, "annual_volume": 1, "tier": "gold"}' \\
      | crmculture decide acme.yaml --department sales
  crmculture decide acme.yaml customers.jsonl --department sales \\
      > decisions.jsonl
  crmculture decide acme.yaml customers.csv --explain -o decisions.jsonl
  cat customers.json | crmculture decide acme.yaml --input-format json
  crmculture decide acme.yaml customers.parquet -o decisions.parquet \\
      --keep customer_id

Each output line is {"decision": {...}, "line": L, "record": N} or, for a record that could
not be decided, {"error": "...", "line": L, "problems": [...], "record": N}. When standard
error is a terminal (and the decisions are not written to it), a count of decided records is
shown there while a large input is decided.

Parquet (needs the batch extra: pip install 'crmculture[batch]'): a .parquet file of customers,
one column per fact, is decided in batches into a Parquet file of decisions (--output), one
row per customer in input order: a column per directive and a `<directive>.rule` column with
the rule that set it. Rows that could not be decided have empty values and their problems
in the errors file (--errors, by default next to the output: NAME.errors.parquet).
"""

_EXPLAIN_EXAMPLES = """\
examples:
  crmculture example acme -o acme.yaml   # the culture file the example uses
  crmculture explain acme.yaml --department engineering \\
      --customer '{"credit_hold": true, "days_overdue": 0, "annual_volume": 1, "tier": "gold"}'
"""

_CHECK_EXAMPLES = """\
examples:
  crmculture example acme -o acme.yaml
  crmculture check acme.yaml
  crmculture check acme.yaml --json > report.json
"""

_JOURNEYS_EXAMPLES = f"""\
examples:
  crmculture example acme -o acme.yaml   # the culture file the examples use
  # every customer segment, from every door, with the org findings for the request
  crmculture journeys acme.yaml --request replacement_part
  # one door only, as JSON
  crmculture journeys acme.yaml --request replacement_part --door sales --json
  # one customer's journeys, from every door
  crmculture journeys acme.yaml --request replacement_part \\
      --customer '{_CUSTOMER}'
  # what staff at the sales door say to each customer segment, and why
  crmculture journeys acme.yaml --request replacement_part --door sales --scripts
  # the metrics over your customers (JSON Lines, JSON, CSV or Parquet), not cases
  crmculture journeys acme.yaml --request replacement_part --customers customers.csv
"""

_RENDER_EXAMPLES = f"""\
examples:
  crmculture example acme -o acme.yaml   # the culture file the examples use
  crmculture render acme.yaml > org.mmd
  crmculture render acme.yaml --format dot | dot -Tsvg > org.svg
  # highlight one customer's journey (from --door; without it, their longest journey)
  crmculture render acme.yaml --request replacement_part --door sales \\
      --customer '{_CUSTOMER}' \\
      --output org.mmd
"""

_REPLAY_EXAMPLES = """\
examples:
  crmculture example acme -o acme.yaml   # the culture file the examples use
  crmculture decide acme.yaml customers.jsonl --log decisions.log > /dev/null
  crmculture replay decisions.log acme-next.yaml
  crmculture replay decisions.log acme-next.yaml --json
"""

_ADHERENCE_EXAMPLES = """\
examples:
  crmculture example acme -o acme.yaml   # the culture file the examples use
  crmculture adherence actions.csv --customers customers.csv --culture acme.yaml
  crmculture adherence actions.parquet --customers customers.parquet --culture acme.yaml \\
      --fail-under 95 --json
"""

_QUALITY_EXAMPLES = """\
examples:
  crmculture example acme -o acme.yaml   # the culture file the examples use
  crmculture quality customers.parquet --culture acme.yaml --id customer_id
  crmculture quality customers.csv --culture acme.yaml --id customer_id --fail-over 2
  crmculture quality customers.jsonl --culture acme.yaml --json
"""

_EXAMPLE_EXAMPLES = """\
examples:
  crmculture example
  crmculture example acme -o acme.yaml
  crmculture example profitable-customers > profitable.yaml
"""


def _parser() -> argparse.ArgumentParser:
    # `--verbose` is accepted before and after the command; SUPPRESS keeps a command's
    # default from overriding `crmculture --verbose COMMAND`.
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument(
        "--verbose", action="store_true", default=argparse.SUPPRESS, help="show error detail"
    )
    raw = _Formatter
    parser = argparse.ArgumentParser(
        prog="crmculture",
        description="Customer-treatment policies as executable rules.",
        epilog=_EXAMPLES,
        formatter_class=raw,
    )
    parser.add_argument("--verbose", action="store_true", help="show the detail of errors")
    parser.add_argument("--version", action="version", version=f"crmculture {_version()}")
    # Not required: a bare `crmculture` prints this help (see `main`).
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

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
        "--emit",
        choices=["full", "directives"],
        default="full",
        help="what each output line holds: the full decision with its trace (the default) "
        "or the directives only, the fastest; JSON Lines output only",
    )
    decide.add_argument(
        "--input-format",
        choices=["json", "jsonl", "csv", "parquet"],
        help="the format of CUSTOMERS (default: from the extension, else jsonl)",
    )
    decide.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    decide.add_argument(
        "--log",
        metavar="FILE",
        help="also append every decision to this decision log (JSON Lines; see "
        "`crmculture replay`)",
    )
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
        help="copy this field (a customer id, not a fact) from each record into its output "
        '(under "keep" in JSON Lines, a column in Parquet); repeatable',
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
    explain.add_argument(
        "--json",
        action="store_true",
        help='write {"decision": {...}, "explanation": "..."} as JSON instead of the text',
    )

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
    journeys.add_argument(
        "--scripts",
        action="store_true",
        help="also write what staff at each door say to each customer segment, in plain "
        "language, with the rationales behind it",
    )
    journeys.add_argument(
        "--customers",
        metavar="FILE",
        help="weigh the metrics by these customers (JSON Lines, JSON, CSV or Parquet, read "
        "as `crmculture decide` reads them): each counted at every door, or at its own "
        "with --door-field",
    )
    journeys.add_argument(
        "--input-format",
        choices=["json", "jsonl", "csv", "parquet"],
        help="the format of --customers (default: from the extension, else jsonl)",
    )
    journeys.add_argument(
        "--volume-field",
        metavar="FIELD",
        help="with --customers: the field holding each customer's number of requests",
    )
    journeys.add_argument(
        "--door-field",
        metavar="FIELD",
        help="with --customers: the field holding the department each customer contacts first",
    )

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
    render.add_argument(
        "--condensed",
        action="store_true",
        help="merge parallel handoffs with the same guard, and write guards as short labels "
        "(G1, G2, ...) with a legend: readable at page width",
    )
    render.add_argument(
        "--journey-only",
        action="store_true",
        help="with --request and --customer: draw only the journey (implies --condensed)",
    )

    demo = commands.add_parser(
        "demo",
        parents=[verbose],
        help="show the built-in example culture end to end",
        description="The built-in ACME culture in a screen or two, in the order that matters "
        "to a CEO: one customer treated alike by every department, the five-department "
        "replacement part and the reorganisation that fixes it, what the verifier finds, "
        "bad data rejected, and one decision explained. --full adds every trace.",
        epilog="examples:\n  crmculture demo\n  crmculture demo --full | less",
        formatter_class=raw,
    )
    demo.add_argument(
        "--full", action="store_true", help="show everything: every decision's full trace"
    )

    example = commands.add_parser(
        "example",
        parents=[verbose],
        help="list the example cultures, or write one out",
        description="The example cultures ship with crmculture. Without NAME, list them; with "
        "NAME, write that culture document to standard output or to --output, ready to check, "
        "decide with or edit.",
        epilog=_EXAMPLE_EXAMPLES,
        formatter_class=raw,
    )
    example.add_argument("name", metavar="NAME", nargs="?", help="the example to write out")
    example.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    example.add_argument("--json", action="store_true", help="list the examples as JSON")

    replay = commands.add_parser(
        "replay",
        parents=[verbose],
        help="decide logged customers with another culture: who would be treated differently",
        description="Read a decision log (written by `crmculture decide --log`) and decide "
        "every logged customer again with CULTURE_FILE, for the logged department. Report "
        "each decision that changes, old -> new per directive, with counts by directive, "
        "department and deciding rule. Exit 1 when some decision changes, or some record "
        "cannot be decided or read.",
        epilog=_REPLAY_EXAMPLES,
        formatter_class=raw,
    )
    replay.add_argument("log", metavar="LOG", help="the decision log")
    replay.add_argument("culture", metavar="CULTURE_FILE", help="the culture to replay with")
    replay.add_argument("--json", action="store_true", help="write the report as JSON")

    adherence = commands.add_parser(
        "adherence",
        parents=[verbose],
        help="compare what staff did with what the culture decides",
        description="Read the actions staff took (a customer id, department, directive and "
        "the value given, one per record) and the customers (id and facts), decide each "
        "customer once per department, and report how often the actions followed the "
        "culture: overall, per department, per directive and per deciding rule, with the most "
        "frequent deviations. Actions that cannot be judged are counted by reason. Exit 1 "
        "when the rate is under --fail-under.",
        epilog=_ADHERENCE_EXAMPLES,
        formatter_class=raw,
    )
    adherence.add_argument(
        "actions", metavar="ACTIONS", help="a CSV, JSON Lines, JSON array or Parquet file"
    )
    adherence.add_argument(
        "--customers", required=True, metavar="FILE", help="the customers: id and facts"
    )
    adherence.add_argument(
        "--culture", required=True, metavar="CULTURE_FILE", help="the culture document"
    )
    adherence.add_argument(
        "--id",
        dest="id_field",
        default="customer_id",
        metavar="FIELD",
        help="the field holding the customer's id (default: customer_id)",
    )
    adherence.add_argument(
        "--fail-under", type=float, metavar="PCT", help="exit 1 when under PCT percent followed"
    )
    adherence.add_argument("--json", action="store_true", help="write the report as JSON")

    quality = commands.add_parser(
        "quality",
        parents=[verbose],
        help="report how good customer data is for the culture (needs the batch extra)",
        description="Read the customers and report, for the culture: per fact how many have it; "
        "invalid values by fact and reason, with example ids; duplicate ids; and which customers "
        "decided while a fact was missing would be treated differently if it were known (exact, "
        "not sampled). Exit 1 when invalid or such sensitive records exceed --fail-over.",
        epilog=_QUALITY_EXAMPLES,
        formatter_class=raw,
    )
    quality.add_argument(
        "customers",
        metavar="CUSTOMERS",
        help="a Parquet, CSV, JSON Lines or JSON array file of customers",
    )
    quality.add_argument(
        "--culture", required=True, metavar="CULTURE_FILE", help="the culture document"
    )
    quality.add_argument("--department", help="the department whose decisions count")
    quality.add_argument(
        "--input-format",
        choices=["json", "jsonl", "csv", "parquet"],
        help="the format of CUSTOMERS (default: from the extension, else jsonl)",
    )
    quality.add_argument(
        "--id", dest="id_field", metavar="FIELD", help="the field that identifies a customer"
    )
    quality.add_argument(
        "--keep",
        action="append",
        default=[],
        metavar="FIELD",
        help="a field that is not a fact and not an error; repeatable",
    )
    quality.add_argument(
        "--fail-over",
        type=float,
        metavar="PCT",
        help="exit 1 when invalid records, or records whose treatment depends on a missing "
        "fact, are more than PCT percent of all",
    )
    quality.add_argument("--json", action="store_true", help="write the report as JSON")
    return parser


def _version() -> str:
    try:
        return version("crmculture")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Help text wrapped to the terminal, with examples kept as written.

    A paragraph (lines between blank lines) whose lines are all flush left is prose, and is
    wrapped; a paragraph with an indented line (a command, a continuation) is kept line for
    line, since wrapping it would break the commands.
    """

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        paragraphs = re.split(r"\n\s*\n", text.strip("\n"))
        filled = []
        for paragraph in paragraphs:
            lines = paragraph.splitlines()
            if any(line[:1].isspace() for line in lines):
                filled.append("\n".join(indent + line for line in lines))
            else:
                filled.append(
                    textwrap.fill(
                        " ".join(line.strip() for line in lines),
                        width,
                        initial_indent=indent,
                        subsequent_indent=indent,
                        break_on_hyphens=False,
                    )
                )
        return "\n\n".join(filled)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got `{text}`") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not `{value}`")
    return value
