"""Identify, attract and retain the most profitable customer.

Run it: ``python examples/profitable_customer.py``. It loads the policy from
examples/profitable-customers.yaml, segments a few customers and a prospect, and proves that
the segment is monotone. The story is in docs/tutorials/profitable-customer.md.
"""

from __future__ import annotations

from pathlib import Path

from crmculture import analyze, load_policy

POLICY = Path(__file__).parent / "profitable-customers.yaml"

CUSTOMERS: dict[str, dict[str, object]] = {
    "the star": {
        "annual_revenue": 800_000,
        "margin_pct": 34.0,
        "years_as_customer": 6,
        "churn_risk": "high",
    },
    "solid": {
        "annual_revenue": 150_000,
        "margin_pct": 22.0,
        "years_as_customer": 2,
        "churn_risk": "low",
    },
    "busy, unprofitable": {
        "annual_revenue": 900_000,
        "margin_pct": 2.5,
        "years_as_customer": 8,
        "churn_risk": "medium",
    },
    "lookalike prospect": {
        "annual_revenue": 0,
        "years_as_customer": 0,
        "churn_risk": "low",
        "is_prospect": True,
        "lookalike_score": 85,
    },
}


def main() -> int:
    """Segment the customers, then ask the verifier about every customer."""
    policy = load_policy(POLICY)
    decide = policy.compile()
    for name, customer in CUSTOMERS.items():
        decision = decide(customer)
        offer = ", ".join(decision["offer"]) or "-"
        retain = ", ".join(decision["retention_action"]) or "-"
        print(f"{name:<19} segment={decision['segment']:<16} offer={offer:<33} retain={retain}")
    report = analyze(policy)
    print(f"verifier: {len(report.findings)} findings, complete: {report.complete}")
    return 0 if not report.findings else 1


if __name__ == "__main__":
    raise SystemExit(main())
