"""The demo: ACME Industrial's customer culture, end to end (``make demo``).

Run it with ``crmculture demo``. It prints how the built-in culture treats a few customers,
with the explanation of each decision, shows that a uniform directive is the same from every
department, decides a small batch with one bad record in it, walks the replacement-part
journey through the org and shows what the org analysis flags, shows what the verifier
finds, tries a reorganisation, and ends with the commands to try next.
"""

from __future__ import annotations

import sys
from typing import IO

from crmculture.analysis.org_metrics import analyze_org
from crmculture.analysis.verifier import analyze
from crmculture.analysis.what_if import compare
from crmculture.errors import CrmCultureError
from crmculture.stories import ACME_DEPARTMENTS, acme_culture, acme_policy, example_customers

__all__ = ["main", "run"]

_RULE = "-" * 78


def run(out: IO[str]) -> None:
    """Print the demo to `out`."""
    policy = acme_policy()
    decide = policy.compile()
    layers = ", ".join(layer.name for layer in policy.layers) or "none"
    print(
        f"crmculture demo: the customer culture of ACME Industrial (policy `{policy.name}` "
        f"version {policy.version})",
        file=out,
    )
    print(
        f"{len(policy.schema)} facts, {len(policy.directives)} directives, "
        f"{len(policy.effective_rules)} rules, department layers: {layers}",
        file=out,
    )
    print(f"policy fingerprint {policy.fingerprint[:16]}", file=out)
    print(
        "\nWhat follows: four customers decided and explained; one customer asking every "
        "department;\na batch with a bad record; a journey through the org; what the "
        "verifier and the org\nanalysis find; and a reorganisation tried before it is made.",
        file=out,
    )

    asked_by = {
        "on credit hold, asking engineering": "engineering",
        "high volume, pays on time": "sales",
        "platinum, unhappy, many tickets": "support",
        "delinquent reseller": "shipping",
    }
    customers = example_customers()
    for number, (name, customer) in enumerate(customers.items(), start=1):
        decision = decide(customer, department=asked_by[name])
        print(f"\n{_RULE}\n{number}. {name}\n{_RULE}", file=out)
        print(decision.explain(), file=out)
        print(f"fingerprint {decision.fingerprint[:16]}", file=out)

    print(
        f"\n{_RULE}\nOne customer, every department: uniform directives do not depend on "
        f"whom the customer talks to\n{_RULE}",
        file=out,
    )
    on_hold = customers["on credit hold, asking engineering"]
    for department in ACME_DEPARTMENTS:
        decision = decide(on_hold, department=department)
        print(
            f"  {department:<20} route_to={decision['route_to']:<20} "
            f"may_ship={str(decision['may_ship']).lower():<6} "
            f"service_level={decision['service_level']}",
            file=out,
        )

    print(
        f"\n{_RULE}\nA batch with a bad record: nothing is dropped, nothing half-evaluated"
        f"\n{_RULE}",
        file=out,
    )
    batch = [
        *customers.values(),
        {
            "credit_hold": "no",
            "days_overdue": -4,
            "tier": "diamond",
            "annual_volume": 10,
            "segmnet": "smb",
        },
    ]
    for index, result in enumerate(decide.decide_many(batch, on_error="report")):
        if isinstance(result, CrmCultureError):
            reason = str(result).replace("\n", "\n    ")
            print(f"  record {index}: rejected: {reason}", file=out)
        else:
            print(
                f"  record {index}: route_to={result['route_to']}, "
                f"service_level={result['service_level']}",
                file=out,
            )
    _org_part(out)


def _org_part(out: IO[str]) -> None:
    culture = acme_culture()
    base = {"credit_hold": False, "days_overdue": 0, "annual_volume": 9_000, "tier": "gold"}
    print(f"\n{_RULE}\nA replacement part, asked for at the sales door\n{_RULE}", file=out)
    for label, customer in (
        ("in good standing", base),
        ("12 days overdue", {**base, "days_overdue": 12}),
        ("on credit hold", {**base, "credit_hold": True}),
    ):
        journey = culture.journey(customer, "replacement_part", door="sales")
        print(f"  {label:<17} {journey}", file=out)
    report_org = analyze_org(culture, requests=["replacement_part"])
    print("  The org analysis walks every customer segment from every door, and flags:", file=out)
    for long_journey in report_org.of_kind("long_journey"):
        print(f"  - {long_journey.message}", file=out)
        print(f"    for every customer with {long_journey.segment}", file=out)

    print(
        f"\n{_RULE}\nWhat the verifier finds in the policy (every customer, not a sample)\n{_RULE}",
        file=out,
    )
    report = analyze(culture.policy)
    for finding in report.findings[:4]:
        print(f"  {finding}", file=out)
    count = len(report.findings)
    print(
        f"  {count} finding{'' if count == 1 else 's'} in all; the search is "
        f"{'complete' if report.complete else 'incomplete'}",
        file=out,
    )

    print(
        f"\n{_RULE}\nWhat if sales, billing and accounts receivable became one desk?\n{_RULE}",
        file=out,
    )
    longest = analyze_org(culture).total.max_departments
    proposal = culture.with_org(
        culture.org.merge(["sales", "billing", "accounts_receivable"], into="commercial")
    )
    comparison = compare(culture, proposal)
    print(f"  the longest journey today touches {longest} departments", file=out)
    for metric in ("max_departments", "long_journeys", "dead_ends"):
        print(f"  {comparison.delta(metric)}", file=out)
    print(
        f"\n{_RULE}\nTry it yourself\n{_RULE}\n"
        "  crmculture check examples/acme-culture.yaml\n"
        "  crmculture journeys examples/acme-culture.yaml --request replacement_part --door sales\n"
        "  crmculture render examples/acme-culture.yaml > org.mmd\n"
        "  the tutorials: docs/tutorials/ (credit hold, best customers, replacement part, ...)",
        file=out,
    )


def main() -> int:
    """Run the demo on standard output."""
    run(sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
