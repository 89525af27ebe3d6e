"""Credit hold: every department sends the customer to accounts receivable.

Run it: ``python examples/credit_hold.py``. The story, step by step, is in
docs/tutorials/credit-hold.md.
"""

from __future__ import annotations

from pathlib import Path

from crmculture import load
from crmculture.analysis import check_uniformity

CULTURE = Path(__file__).parent / "acme-culture.yaml"


def main() -> int:
    """Ask every department about a customer on credit hold, then prove it for everyone."""
    culture = load(CULTURE)
    on_hold = {"credit_hold": True, "days_overdue": 0, "annual_volume": 9000, "tier": "gold"}
    print("A gold customer on credit hold asks every department:")
    for department in culture.org.names:
        decision = culture.decide(on_hold, department=department)
        print(
            f"  {department:<20} route_to={decision['route_to']}  "
            f"may_ship={decision['may_ship']}  may_quote={decision['may_quote']}"
        )
    why = culture.decide(on_hold, department="engineering").outcomes["route_to"]
    rule = culture.policy.rule(why.determined_by[0])
    print(f"Why: `{rule.id}`: {rule.rationale}")

    report = check_uniformity(culture.policy)
    verdict = "no customer" if not report.findings else f"{len(report.findings)} findings"
    print(f"Uniform for every customer in every department: {verdict} is treated differently")

    print("Asking for a payment plan, from every door:")
    for door in culture.org.names:
        print(f"  {culture.journey(on_hold, 'payment_plan', door=door)}")
    return 0 if not report.findings else 1


if __name__ == "__main__":
    raise SystemExit(main())
