"""Adherence over many actions: how fast what staff did is compared with the culture.

Generates customers of the ACME example and actions on them (seeded: a customer id, a
department, a directive and a value, 90% of them the culture's own value), then times
`crmculture.adherence.adherence` in one process and prints the time and rate against the
target of issue 20: 1,000,000 actions in under 5 seconds. Reading the files is not timed.

Run with ``python benchmarks/adherence.py [--actions N] [--customers N]``.
"""

from __future__ import annotations

import argparse
import os
import random
import time

from crmculture.adherence import adherence
from crmculture.model.values import json_value
from crmculture.stories import acme_policy

TIERS = ["bronze", "silver", "gold", "platinum"]
DEPARTMENTS = [None, "sales", "support", "shipping", "engineering"]


def main() -> int:
    """Measure and print; exit 1 when the target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    args = parser.parse_args()
    rng = random.Random(20261205)
    policy = acme_policy()
    decide = policy.compile()
    customers = [
        {
            "customer_id": f"c{n}",
            "credit_hold": rng.random() < 0.05,
            "days_overdue": rng.choice([0, 0, 0, 5, 20, 45, 90]),
            "annual_volume": rng.randrange(0, 2_000_000),
            "tier": rng.choice(TIERS),
        }
        for n in range(args.customers)
    ]
    names = [directive.name for directive in policy.directives]
    actions = []
    for _ in range(args.actions):
        customer = rng.choice(customers)
        department = rng.choice(DEPARTMENTS)
        name = rng.choice(names)
        facts = {k: v for k, v in customer.items() if k != "customer_id"}
        value = json_value(decide(facts, department).directives[name])
        if rng.random() < 0.1:
            value = "frontline" if name == "route_to" else 7
        actions.append(
            {
                "customer_id": customer["customer_id"],
                "department": department,
                "directive": name,
                "value": ", ".join(value) if isinstance(value, list) else str(value),
            }
        )
    print(f"load average: {os.getloadavg()[0]:.2f}")
    started = time.perf_counter()
    found = adherence(actions, customers, policy)
    seconds = time.perf_counter() - started
    print(
        f"{found.actions:,} actions on {args.customers:,} customers in {seconds:.2f} s "
        f"({found.actions / seconds:,.0f}/s): {found.rate:.1%} followed"
    )
    target = 5.0 * args.actions / 1_000_000
    met = "met" if seconds < target else "NOT met"
    print(f"target: under {target:.1f} s for {args.actions:,} actions: {met}")
    return 0 if seconds < target else 1


if __name__ == "__main__":
    raise SystemExit(main())
