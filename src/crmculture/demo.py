"""The demo: ACME Industrial's customer culture, end to end (``make demo``).

Run it with ``crmculture demo``. It tells the story in the order that matters to a CEO, in a
screen or two: one customer gets the same answer from every department (proven for every
customer); a replacement part takes five departments, and a reorganisation tried before it
is made brings that down; the verifier proves the policy and catches a bad change before it
ships (the change is planted by the demo, and labelled so); bad data (planted too, and
labelled) is rejected, never half-evaluated; and every decision explains itself.
It ends with the commands to try next. ``crmculture demo --full`` adds every detail: four
customers' full traces, the whole batch, the org analysis's findings and every metric.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from crmculture.analysis.findings import Finding
from crmculture.analysis.org_metrics import analyze_org
from crmculture.analysis.verifier import analyze
from crmculture.analysis.what_if import compare
from crmculture.culture import Culture
from crmculture.errors import CrmCultureError
from crmculture.evaluate import CompiledPolicy
from crmculture.log import DecisionLog, replay
from crmculture.model import F, Policy, Rule
from crmculture.stories import ACME_DEPARTMENTS, acme_culture, example_customers

__all__ = ["main", "run"]

_WIDTH = 88
_ON_HOLD = "on credit hold, asking engineering"
_ASKED_BY = {
    _ON_HOLD: "engineering",
    "high volume, pays on time": "sales",
    "platinum, unhappy, many tickets": "support",
    "delinquent reseller": "shipping",
}
# A change the demo proposes on purpose, so that the verifier has something to catch: priority
# service for unhappy customers serves a happier customer worse. Every finding it brings is
# labelled as planted where it is shown, so that nobody takes it for a flaw of the example.
_PROPOSED = Rule(
    "unhappy-customer",
    when=F.satisfaction < 5,
    then={"service_level": "priority", "notify": "customer_success"},
    rationale="A customer who told us they are unhappy is called back first.",
)
_PLANTED = (
    'planted on purpose by the demo: the tutorial "Reward the best customers" catches '
    "this change and fixes it"
)
# A change proposed for the replay, as a CEO might: a discount for every big buyer.
_DISCOUNT = Rule(
    "volume-discount",
    when=F.annual_volume >= 250_000,
    then={"discount_pct": 8},
    rationale="Whoever buys 250,000 a year or more gets 8%.",
)
_BAD_RECORD = {
    "credit_hold": "no",
    "days_overdue": -4,
    "tier": "diamond",
    "annual_volume": 10,
    "segmnet": "smb",
}


def _heading(out: IO[str], number: int, title: str) -> None:
    print(f"\n{number}. {title}", file=out)


def _say(out: IO[str], text: str, indent: str = "   ") -> None:
    """Prose, wrapped to the demo's width."""
    print(_fill(text, indent, indent), file=out)


def _fill(text: str, first: str, rest: str) -> str:
    """Wrap at spaces only: names such as `high-volume-pays-on-time` stay whole."""
    return textwrap.fill(
        text,
        _WIDTH,
        initial_indent=first,
        subsequent_indent=rest,
        break_on_hyphens=False,
        break_long_words=False,
    )


def run(out: IO[str], *, full: bool = False) -> None:
    """Print the demo to `out`: a screen or two, or with `full` every detail."""
    culture = acme_culture()
    policy = culture.policy
    decide = policy.compile()
    customers = example_customers()
    print(
        f"crmculture demo: ACME Industrial's customer culture, run as code\n"
        f"policy `{policy.name}` version {policy.version}: {len(policy.schema)} facts, "
        f"{len(policy.directives)} directives, {len(policy.effective_rules)} rules, "
        f"{len(culture.org)} departments",
        file=out,
    )
    report = analyze(policy)

    _heading(out, 1, "Every department gives the same answer")
    on_hold = customers[_ON_HOLD]
    _say(out, "A gold customer on credit hold asks each department for something:")
    for department in ACME_DEPARTMENTS:
        decision = decide(on_hold, department=department)
        print(
            f"     {department:<20} route_to={decision['route_to']:<20} "
            f"may_ship={str(decision['may_ship']).lower():<6} "
            f"service_level={decision['service_level']}",
            file=out,
        )
    uniform = [d.name for d in policy.directives if d.uniform]
    broken = {d for f in report.findings if f.kind == "non_uniform" for d in f.directives}
    kept = [name for name in uniform if name not in broken]
    if kept:
        _say(
            out,
            "The verifier proves it for every possible customer, not a sample: "
            + ", ".join(f"`{name}`" for name in kept)
            + " never depend on whom the customer asks.",
        )

    _heading(out, 2, "A replacement part should not take five departments")
    base = {"credit_hold": False, "days_overdue": 0, "annual_volume": 9_000, "tier": "gold"}
    _say(out, "Asked for at the sales door:")
    for label, customer in (
        ("in good standing", base),
        ("12 days overdue", {**base, "days_overdue": 12}),
        ("on credit hold", {**base, "credit_hold": True}),
    ):
        journey = culture.journey(customer, "replacement_part", door="sales")
        route = " -> ".join(journey.departments)
        outcome = journey.outcome.replace("_", " ")
        if journey.referral is not None:
            outcome = f"referred to {journey.referral.to} (the culture's answer)"
        print(f"     {label:<17} {route}: {outcome}, {journey.minutes} minutes", file=out)
    if full:
        _org_findings(out, culture)
    proposal = culture.with_org(
        culture.org.merge(["sales", "billing", "accounts_receivable"], into="commercial")
    )
    comparison = compare(culture, proposal)
    _say(out, "What if sales, billing and accounts receivable became one desk? Tried before it")
    _say(out, "is made, over every customer segment and every door:")
    metrics = (
        ("max_departments", "long_journeys", "dead_ends")
        if full
        else ("max_departments", "long_journeys")
    )
    for metric in metrics:
        print(f"   {comparison.delta(metric)}", file=out)

    _heading(out, 3, "The verifier checks every customer, not a sample")
    _findings(out, report.findings, limit=None if full else 3)
    summary = _summary(report.findings, report.complete)
    if not report.findings and report.complete:
        summary += ", so none exists"
    _say(out, f"ACME as shipped: {summary}.")
    proposed = analyze(policy.with_rules(_PROPOSED))
    _say(
        out,
        "A proposed change, planted here on purpose: give unhappy customers (satisfaction "
        "below 5) priority service. Checked before it ships:",
    )
    _findings(out, proposed.findings, limit=None if full else 3, planted=_PLANTED)
    _say(out, f"With the change: {_summary(proposed.findings, proposed.complete)}.")

    _heading(out, 4, "Bad data is rejected, never half-evaluated")
    batch = [*customers.values(), _BAD_RECORD] if full else [_BAD_RECORD]
    first = 0 if full else len(customers)
    which = f"Record {len(batch) - 1} has" if full else "A record with"
    _say(out, f"{which} four mistakes planted on purpose, in types, ranges, values and names:")
    for index, result in enumerate(decide.decide_many(batch, on_error="report"), start=first):
        if isinstance(result, CrmCultureError):
            reason = str(result).replace("\n", "\n   ")
            print(f"   {f'record {index}: ' if full else ''}rejected: {reason}", file=out)
        else:
            print(
                f"   record {index}: route_to={result['route_to']}, "
                f"service_level={result['service_level']}",
                file=out,
            )

    _heading(out, 5, "Every decision explains itself")
    if full:
        for name, customer in customers.items():
            decision = decide(customer, department=_ASKED_BY[name])
            print(f"\n   {name}:", file=out)
            print(textwrap.indent(decision.explain(), "   "), file=out)
            print(f"   fingerprint {decision.fingerprint[:16]}", file=out)
    else:
        name = "high volume, pays on time"
        decision = decide(customers[name], department=_ASKED_BY[name])
        print(f"   A customer with {name}, asking {_ASKED_BY[name]}:", file=out)
        for line in _directive_lines(decision.explain()):
            print(f"     {line}", file=out)
        _say(
            out,
            f"Same policy, same customer, same department: the same decision, fingerprint "
            f"{decision.fingerprint[:16]}, in any process. `crmculture demo --full` shows "
            "every trace, with the rules that did not match and why.",
        )

    _heading(out, 6, "A change is replayed over the decisions already made, before it ships")
    _replayed(out, policy, decide)

    print(
        "\nTry it yourself:\n"
        "   crmculture example acme -o acme.yaml      # the culture above, as a YAML document\n"
        "   crmculture check acme.yaml                # the verifier, as CI runs it\n"
        "   crmculture journeys acme.yaml --request replacement_part --door sales\n"
        "   crmculture render acme.yaml > org.mmd     # the org as a Mermaid diagram\n"
        "   and the tutorials, in docs/tutorials/ of the repository",
        file=out,
    )


def _replayed(out: IO[str], policy: Policy, decide: CompiledPolicy) -> None:
    """Log the decisions of a grid of customers at every department, then replay `_DISCOUNT`
    over the log (in a temporary directory, removed afterwards)."""
    customers = [
        {"credit_hold": hold, "days_overdue": days, "annual_volume": volume, "tier": tier}
        for hold in (False, True)
        for days in (0, 12, 45, 75)
        for volume in (9_000, 120_000, 400_000)
        for tier in ("bronze", "silver", "gold", "platinum")
    ]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "decisions.jsonl"
        with DecisionLog(path) as log:
            for number, customer in enumerate(customers, start=1):
                for department in ACME_DEPARTMENTS:
                    log.write(decide(customer, department), keep={"customer_id": number})
        _say(
            out,
            f"{log.written:,} decisions logged as they were made ({len(customers)} customers "
            f"asking each of {len(ACME_DEPARTMENTS)} departments).",
        )
        _say(out, "Proposed: 8% off for anyone buying 250,000 a year or more. Replayed:")
        found = replay(path, policy.with_rules(_DISCOUNT))
    print(f"     {found.changed:,} of {found.records:,} logged decisions would change:", file=out)
    for directive, old, new, count in found.transitions:
        print(f"       {directive} {old} -> {new}: {count:,}", file=out)


def _directive_lines(explanation: str) -> list[str]:
    """The directives a rule set, each with the first line of why, from an explanation's
    "Directives:" part (the defaults left out)."""
    lines = explanation.splitlines()
    groups: list[list[str]] = []
    for line in lines[lines.index("Directives:") + 1 :]:
        if not line.strip():
            break
        if line.startswith("    "):
            groups[-1].append(line.strip())
        else:
            groups.append([line.strip()])
    return [
        f"{group[0]}\n       {group[1]}"
        for group in groups
        if len(group) > 1 and not group[1].startswith("default")
    ]


def _summary(findings: Sequence[Finding], complete: bool) -> str:
    count = len(findings)
    return (
        f"{count} finding{'' if count == 1 else 's'}; the search is "
        f"{'complete' if complete else 'incomplete'}"
    )


def _findings(
    out: IO[str], findings: Sequence[Finding], limit: int | None, planted: str | None = None
) -> None:
    """Print `findings` (the first `limit`); each followed by the `planted` label if given."""
    shown = findings if limit is None else findings[:limit]
    for finding in shown:
        print(_fill(str(finding), "   ", "     "), file=out)
        if planted is not None:
            _say(out, f"({planted})", indent="     ")
    if len(findings) > len(shown):
        print(f"   ... and {len(findings) - len(shown)} more (crmculture demo --full)", file=out)


def _org_findings(out: IO[str], culture: Culture) -> None:
    report = analyze_org(culture, requests=["replacement_part"])
    _say(out, "The org analysis walks every customer segment from every door, and flags:")
    for long_journey in report.of_kind("long_journey"):
        print(f"   - {long_journey.message}", file=out)
        print(f"     for every customer with {long_journey.segment}", file=out)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo on standard output (``--full`` for every detail)."""
    parser = argparse.ArgumentParser(prog="python -m crmculture.demo")
    parser.add_argument("--full", action="store_true", help="show every detail")
    args = parser.parse_args(argv)
    run(sys.stdout, full=args.full)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
