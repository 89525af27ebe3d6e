"""The argument parser: every command, its options, its help text and its examples.

Why argparse: it is in the standard library, so the console script costs no dependency on the
core install, and it does what the commands need (subcommands, shared options, help with
examples). What it lacks, wrapped help that keeps examples intact, is `_Formatter` below.
"""

from __future__ import annotations

import argparse
import datetime as dt
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
  crmculture convert model.dmn -o culture.yaml   # a DMN or spreadsheet decision table
  crmculture decide acme.yaml customers.jsonl --department sales
  cat customers.csv | crmculture decide acme.yaml --input-format csv
  crmculture explain acme.yaml --department engineering \\
      --customer '{{"credit_hold": true, "days_overdue": 0, "annual_volume": 9000, "tier": "gold"}}'
  crmculture journeys acme.yaml --request replacement_part --door sales
  crmculture render acme.yaml --request replacement_part --door sales \\
      --customer '{_CUSTOMER}' \\
      --output org.mmd
  crmculture serve acme.yaml --port 8080   # needs pip install 'crmculture[service]'
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

_DIFF_EXAMPLES = """\
examples:
  crmculture example acme -o acme.yaml   # the culture file the examples use
  crmculture diff acme.yaml acme-next.yaml
  crmculture diff acme.yaml acme-next.yaml --customers customers.parquet --id customer_id
  crmculture diff acme.yaml acme-next.yaml --log decisions.log --format markdown -o review.md
"""

_REPORT_EXAMPLES = """\
examples:
  crmculture example acme -o acme.yaml   # the culture file the examples use
  crmculture report acme.yaml --log decisions.log -o report.html
  crmculture report acme.yaml --log decisions.log --actions actions.csv \\
      --customers customers.csv --by month -o report.html
"""

_DRIFT_EXAMPLES = """\
examples:
  crmculture drift last-quarter.log this-quarter.log --culture acme.yaml
  crmculture drift decisions.log --culture acme-next.yaml   # as logged vs as acme-next decides
  crmculture drift last-quarter.log this-quarter.log --fail-on moderate --json
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

_CONVERT_EXAMPLES = """\
examples:
  crmculture convert model.dmn -o culture.yaml     # a DMN decision table as a culture
  crmculture convert pricing.xlsx -o culture.yaml  # a spreadsheet decision table
  crmculture convert model.dmn -o table.csv        # the table as a spreadsheet
  crmculture convert model.dmn --format json       # to standard output
  crmculture check model.dmn                       # check and decide read tables too
  crmculture convert rules.dmn --decision Routing -o routing.yaml   # one of several

A DMN model with several decision tables needs --decision NAME (the decision's name or
id); a table's inputs become facts and its outputs directives (see the how-to "Import DMN
decision tables"). The spreadsheet layout is in the
how-to "Turn the spreadsheet into a culture".
"""

_SERVE_EXAMPLES = """\
examples:
  crmculture example acme -o acme.yaml   # the culture file the examples use
  crmculture serve acme.yaml --host 127.0.0.1 --port 8080 --keep customer_id
  curl -s localhost:8080/v1/decide -H 'Content-Type: application/json' -d '{"customer":
      {"credit_hold": true, "days_overdue": 0, "annual_volume": 1, "tier": "gold"}}'
  curl -s 'localhost:8080/v1/decide-batch?department=sales' \\
      -H 'Content-Type: application/x-ndjson' --data-binary @customers.jsonl
  curl -s localhost:8080/v1/decide-batch -H 'Content-Type: text/csv' \\
      --data-binary @customers.csv
  kill -HUP "$(pgrep -f 'crmculture serve')"   # reload acme.yaml after editing it
  crmculture serve rules.dmn --decision Routing   # one decision table of a DMN model

Endpoints: POST /v1/decide, POST /v1/decide-batch, GET /v1/culture, GET /healthz, GET /metrics,
GET /openapi.json, POST /v1/reload. A reload (SIGHUP, or POST /v1/reload with the bearer token
set in CRMCULTURE_RELOAD_TOKEN; without it HTTP reload is off) serves the file again only when
it loads and keeps its promises: otherwise the old culture keeps serving. Needs the service
extra: pip install 'crmculture[service]'.
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
    decide.add_argument(
        "culture",
        metavar="CULTURE_FILE",
        help="the culture document, or a decision table (.dmn, .csv, .xlsx)",
    )
    decide.add_argument(
        "customers",
        metavar="CUSTOMERS",
        nargs="?",
        default="-",
        help="a JSON array, JSON Lines or CSV file; standard input by default",
    )
    decide.add_argument("--department", help="the department asking")
    decide.add_argument(
        "--as-of",
        type=_date,
        metavar="DATE",
        help="decide as of this day (YYYY-MM-DD): for conditions on `as_of` and rules' "
        "effective dates",
    )
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
    _decision_option(decide, "CULTURE_FILE")

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
        "--as-of",
        type=_date,
        metavar="DATE",
        help="decide as of this day (YYYY-MM-DD)",
    )
    explain.add_argument(
        "--json",
        action="store_true",
        help='write {"decision": {...}, "explanation": "..."} as JSON instead of the text',
    )
    _decision_option(explain, "CULTURE_FILE")

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
    check.add_argument(
        "culture",
        metavar="CULTURE_FILE",
        help="the culture document, or a decision table (.dmn, .csv, .xlsx)",
    )
    check.add_argument("--json", action="store_true", help="write the report as JSON")
    check.add_argument(
        "--as-of",
        type=_date,
        metavar="DATE",
        help="analyse the policy as it decides on this day (YYYY-MM-DD); required for a "
        "policy that uses `as_of`",
    )
    check.add_argument(
        "--require-owner",
        action="store_true",
        help="report every rule without an `owner` as an error finding",
    )
    _decision_option(check, "CULTURE_FILE")

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
        "replacement part and the reorganisation that fixes it, the verifier proving the policy "
        "and catching a change planted on purpose, bad data rejected, and one decision "
        "explained. --full adds every trace.",
        epilog="examples:\n  crmculture demo\n  crmculture demo --full | less",
        formatter_class=raw,
    )
    demo.add_argument(
        "--full", action="store_true", help="show everything: every decision's full trace"
    )

    convert = commands.add_parser(
        "convert",
        parents=[verbose],
        help="write a decision table (DMN, CSV, XLSX) as a culture document, or back",
        description="Read a DMN model's decision table, a spreadsheet decision table or a "
        "culture file, and write its policy as a culture document (.yaml, .json, .toml) or as "
        "a spreadsheet decision table (.csv, .xlsx), by the extension of --output.",
        epilog=_CONVERT_EXAMPLES,
        formatter_class=raw,
    )
    convert.add_argument(
        "source", metavar="SOURCE", help="a .dmn, .csv or .xlsx decision table, or a culture file"
    )
    convert.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    convert.add_argument(
        "--format",
        choices=["yaml", "json", "toml"],
        help="the culture document's format (default: from --output, else yaml)",
    )
    _decision_option(convert, "SOURCE")

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
    _decision_option(replay, "CULTURE_FILE")

    diff = commands.add_parser(
        "diff",
        parents=[verbose],
        help="what a new version of a culture changes, for whom, and what it breaks",
        description="Compare two versions of a culture over the whole fact space: each exact "
        "region of customers treated differently, with how, in which departments and an "
        "example customer; how each promise fares before and after. With --customers, the "
        "number of real customers in each region; with --log, how many logged decisions "
        "would change. --format markdown writes a review for a pull request. Exit 1 when some "
        "customer may be treated differently or some promise fares worse.",
        epilog=_DIFF_EXAMPLES,
        formatter_class=raw,
    )
    diff.add_argument("old", metavar="OLD", help="the culture in force")
    diff.add_argument("new", metavar="NEW", help="the proposed culture")
    diff.add_argument(
        "--customers",
        metavar="FILE",
        help="a Parquet, CSV, JSON Lines or JSON array file of customers to count per region",
    )
    diff.add_argument(
        "--id", dest="id_field", metavar="FIELD", help="the customers' id field, not a fact"
    )
    diff.add_argument(
        "--department", help="count customers as asking this department (default: every one)"
    )
    diff.add_argument("--log", metavar="FILE", help="a decision log to replay against NEW")
    diff.add_argument(
        "--as-of",
        type=_date,
        metavar="DATE",
        help="compare the versions as they decide on this day (YYYY-MM-DD): for conditions "
        "on `as_of` and rules' effective dates",
    )
    diff.add_argument(
        "--format",
        choices=["text", "json", "markdown"],
        default="text",
        help="text (default), json, or markdown for a pull request",
    )
    diff.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    _decision_option(diff, "OLD or NEW")

    report = commands.add_parser(
        "report",
        parents=[verbose],
        help="write one HTML page with charts about a culture in production (needs matplotlib)",
        description="Read a decision log (and, with --actions and --customers, what staff did) "
        "and write one self-contained HTML page: adherence by department, rule hits over time, "
        "drift flags and the distribution of each directive's values, with the tables behind "
        "them. The page opens in any browser without network. Over time means over windows of "
        "the log: --windows runs of equal length in log order, or one window per value of the "
        "kept field --by. Needs the report extra: pip install 'crmculture[report]'.",
        epilog=_REPORT_EXAMPLES,
        formatter_class=raw,
    )
    report.add_argument("culture", metavar="CULTURE_FILE", help="the culture in force")
    report.add_argument("--log", required=True, metavar="FILE", help="the decision log")
    report.add_argument("--actions", metavar="FILE", help="what staff did (see adherence)")
    report.add_argument("--customers", metavar="FILE", help="the customers the actions name")
    report.add_argument(
        "--id",
        dest="id_field",
        default="customer_id",
        metavar="FIELD",
        help="the field holding the customer's id (default: customer_id)",
    )
    report.add_argument(
        "--baseline", metavar="FILE", help="a log to compare with for drift (default: halves)"
    )
    report.add_argument(
        "--windows",
        type=_positive,
        default=10,
        metavar="N",
        help="windows of equal length in log order (default: 10)",
    )
    report.add_argument("--by", metavar="FIELD", help="a kept field naming each record's window")
    report.add_argument(
        "--as-of",
        type=_date,
        metavar="DATE",
        help="judge the actions by what the culture decides on this day (YYYY-MM-DD)",
    )
    report.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    _decision_option(report, "CULTURE_FILE")

    drift = commands.add_parser(
        "drift",
        parents=[verbose],
        help="compare the decisions of two logs, or of two culture versions over one log",
        description="Compare rule hit rates, directive values and the department mix between "
        "two decision logs (BASELINE and CURRENT, written by `crmculture decide --log`), or, "
        "given one log and --culture, between the log as decided and as CULTURE_FILE decides "
        "the same customers. Each distribution is measured by the population stability index: "
        "stable under 0.1, moderate from 0.1, significant from 0.25. Rules that never fired in "
        "the current decisions are listed. Exit 1 when a distribution shifted significantly "
        "(or moderately, with --fail-on moderate).",
        epilog=_DRIFT_EXAMPLES,
        formatter_class=raw,
    )
    drift.add_argument("baseline", metavar="BASELINE", help="the decision log to compare with")
    drift.add_argument("current", metavar="CURRENT", nargs="?", help="the decision log to compare")
    drift.add_argument(
        "--culture",
        metavar="CULTURE_FILE",
        help="the culture whose rules count (never-fired rules); with one log, the version "
        "to compare it with",
    )
    drift.add_argument(
        "--fail-on",
        choices=["moderate", "significant"],
        default="significant",
        help="the shift that makes the exit code 1 (default: significant)",
    )
    drift.add_argument("--json", action="store_true", help="write the report as JSON")
    _decision_option(drift, "CULTURE_FILE")

    adherence = commands.add_parser(
        "adherence",
        parents=[verbose],
        help="compare what staff did with what the culture decides",
        description="Read the actions staff took (a customer id, department, directive and "
        "the value given, one per record) and the customers (id and facts), decide each "
        "customer once per department, and report how often the actions followed the "
        "culture: overall, per department, per directive and per deciding rule, with the most "
        "frequent deviations. Actions that cannot be judged are counted by reason. Exit 1 "
        "when the rate is under --fail-under, or when no action could be judged.",
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
        "--fail-under",
        type=float,
        metavar="PCT",
        help="exit 1 when under PCT percent followed, or when no action could be judged",
    )
    adherence.add_argument(
        "--as-of",
        type=_date,
        metavar="DATE",
        help="judge by what the culture decides on this day (YYYY-MM-DD), for a culture "
        "that decides by the date",
    )
    adherence.add_argument("--json", action="store_true", help="write the report as JSON")
    _decision_option(adherence, "CULTURE_FILE")

    quality = commands.add_parser(
        "quality",
        parents=[verbose],
        help="report how good customer data is for the culture (needs the batch extra)",
        description="Read the customers and report, for the culture: per fact how many have it; "
        "invalid values by fact and reason, with example ids; duplicate ids; and which customers "
        "decided while a fact was missing would be treated differently if it were known (exact, "
        "not sampled). Exit 1 when invalid or such sensitive records exceed --fail-over (or there "
        "are no records at all).",
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
        "--as-of",
        type=_date,
        metavar="DATE",
        help="judge as of this day (YYYY-MM-DD): stale facts, and decisions that use `as_of`",
    )
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
        "fact, are more than PCT percent of all, or when there are no records",
    )
    quality.add_argument("--json", action="store_true", help="write the report as JSON")
    _decision_option(quality, "CULTURE_FILE")
    serve = commands.add_parser(
        "serve",
        parents=[verbose],
        help="serve decisions over HTTP (needs the service extra)",
        description="Serve the culture's decisions over HTTP, with safe reload, metrics and an "
        "OpenAPI document generated from the culture. Every answer names the fingerprint of the "
        "culture that gave it; anything wrong in a request is answered with an RFC 9457 problem "
        "listing every problem.",
        epilog=_SERVE_EXAMPLES,
        formatter_class=raw,
    )
    serve.add_argument(
        "culture",
        metavar="CULTURE_FILE",
        help="the culture document, or a decision table (.dmn, .csv, .xlsx)",
    )
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    serve.add_argument("--port", type=_port, default=8080, help="the port (default: 8080)")
    serve.add_argument(
        "--keep",
        action="append",
        default=[],
        metavar="FIELD",
        help="a field of each record that is not a fact (a customer id): copied into its "
        "answer and errors, never checked; repeatable",
    )
    serve.add_argument(
        "--max-body-bytes",
        type=_positive,
        default=32 * 1024 * 1024,
        metavar="N",
        help="the largest request body (default: 33554432, 32 MiB)",
    )
    serve.add_argument(
        "--max-records",
        type=_positive,
        default=100_000,
        metavar="N",
        help="the most records in one batch (default: 100000)",
    )
    serve.add_argument(
        "--timeout",
        type=_seconds,
        default=30.0,
        metavar="SECONDS",
        help="the time a request's body may take to arrive, and a batch to be decided "
        "(default: 30)",
    )
    serve.add_argument(
        "--access-log", action="store_true", help="log every request (costs throughput)"
    )
    serve.add_argument(
        "--log",
        metavar="FILE",
        help="append every decision to this decision log (read by replay, drift and report)",
    )
    _decision_option(serve, "CULTURE_FILE")
    return parser


def _decision_option(command: argparse.ArgumentParser, culture: str) -> None:
    """--decision, on every command that reads a culture file, which may be a DMN model."""
    command.add_argument(
        "--decision",
        metavar="NAME",
        help=f"when {culture} is a DMN model with several decision tables: the one to read, "
        "by its decision's name or id",
    )


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


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got `{text}`") from None


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got `{text}`") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is from 0 to 65535, not `{value}`")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got `{text}`") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not `{text}`")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got `{text}`") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not `{value}`")
    return value
