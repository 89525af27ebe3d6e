"""The five-department replacement part: find it, draw it, fix it with a merger.

Run it: ``python examples/replacement_part.py [--mermaid]``. The story is in
docs/tutorials/replacement-part.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

from crmculture import load
from crmculture.analysis import analyze_org, compare
from crmculture.org import to_mermaid

CULTURE = Path(__file__).parent / "acme-culture.yaml"


def main(argv: list[str]) -> int:
    """Walk three customers, analyse every segment, try the merger."""
    culture = load(CULTURE)
    good = {"credit_hold": False, "days_overdue": 0, "annual_volume": 9000, "tier": "gold"}
    customers = {
        "in good standing": good,
        "12 days overdue": {**good, "days_overdue": 12},
        "on credit hold": {**good, "credit_hold": True},
    }
    print("A replacement part, asked for at the sales door:")
    for label, customer in customers.items():
        print(f"  {label:<17} {culture.journey(customer, 'replacement_part', door='sales')}")

    report = analyze_org(culture, max_departments=3)
    print("Long journeys, for every customer segment and door:")
    for finding in report.of_kind("long_journey"):
        print(f"  {finding.message}")
        print(f"    for every customer with {finding.segment}")

    merged = culture.with_org(
        culture.org.merge(["sales", "billing", "accounts_receivable"], into="commercial")
    )
    comparison = compare(culture, merged)
    print("What if sales, billing and accounts receivable became one commercial desk?")
    for metric in ("max_departments", "long_journeys"):
        print(f"  {comparison.delta(metric)}")
    late = merged.journey(customers["12 days overdue"], "replacement_part", door="commercial")
    print(f"  12 days overdue   {late}")
    if "--mermaid" in argv:
        print(to_mermaid(merged.org, journey=late))
    return 0 if comparison.after.total.max_departments <= 3 else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
