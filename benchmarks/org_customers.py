"""Customers, not cases: ACME's org metrics weighed by 1,000,000 customers.

A seeded generator builds a customer base (every ACME fact, optional ones sometimes absent,
a door and a number of requests per customer) as a pandas DataFrame.
`crmculture.batch.org_customers.frame_customer_metrics` weighs the org analysis of the
replacement-part request by it, column by column; it is timed 3 times and the medians of
wall-clock and CPU time are printed. Target: under 10 s for 1,000,000 customers.

Baselines measured in the same run, on samples, per customer: the record-by-record route
(`crmculture.analysis.org_metrics.customer_metrics`) on 20,000 customers, and a brute-force
walk of each customer (`Culture.journey` from their door) on 2,000; the ratios say how many
times faster the columnar route is per customer. The run also checks that the columnar and
the record-by-record routes agree on the sample.

Run with ``python benchmarks/org_customers.py`` (``--customers N`` for quick runs).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from crmculture.analysis.org_metrics import analyze_org, customer_metrics
from crmculture.batch.org_customers import frame_customer_metrics
from crmculture.stories import acme_culture

REQUEST = "replacement_part"


def customer_base(count: int, seed: int = 21) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    doors = np.array(
        ["accounts_receivable", "billing", "engineering", "sales", "shipping", "support"]
    )
    return pd.DataFrame(
        {
            "credit_hold": rng.random(count) < 0.05,
            "days_overdue": rng.choice([0, 0, 0, 5, 12, 30, 45, 61, 90, 400], count),
            "annual_volume": rng.integers(0, 1_000_000, count),
            "tier": pd.Categorical(
                rng.choice(["bronze", "silver", "gold", "platinum"], count),
                categories=["bronze", "silver", "gold", "platinum"],
            ),
            "satisfaction": rng.uniform(0, 10, count).round(1),
            "door": doors[rng.integers(0, len(doors), count)],
            "calls": rng.integers(1, 4, count),
        }
    )


def timed(function: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    args = parser.parse_args()
    culture = acme_culture()
    report = analyze_org(culture, requests=[REQUEST])
    frame = customer_base(args.customers)
    fields = {"volume": "calls", "door": "door"}

    wall, cpu, weighed = timed(
        lambda: frame_customer_metrics(culture, report, frame, **fields), repeat=3
    )
    print(f"org_customers: {args.customers:,} customers, request `{REQUEST}`")
    print(f"  columnar (frame_customer_metrics): median {wall:.2f} s wall, {cpu:.2f} s CPU")
    print(f"    target < 10 s: {'met' if wall < 10 else 'MISSED'}")
    total = weighed.total
    print(
        f"    {total.cases:,} requests counted: {total.resolved / total.cases:.1%} resolved, "
        f"{total.referred / total.cases:.1%} referred, "
        f"{weighed.share_touching(4):.1%} touch 4 departments or more"
    )

    sample = frame.head(20_000)
    records = sample.to_dict("records")
    for record in records:
        record["tier"] = str(record["tier"])
    record_wall, _, by_record = timed(
        lambda: customer_metrics(culture, report, records, **fields), repeat=3
    )
    same = by_record == frame_customer_metrics(culture, report, sample, **fields)
    per_record = record_wall / len(records)
    print(
        f"  baseline, record by record (customer_metrics) on {len(records):,}: median "
        f"{record_wall:.2f} s, {per_record * 1e6:.1f} us a customer; same result: {same}"
    )
    walkers = records[:2_000]

    def brute() -> None:
        for record in walkers:
            facts = {k: v for k, v in record.items() if k not in ("door", "calls")}
            culture.journey(facts, REQUEST, door=record["door"])

    brute_wall, _, _ = timed(brute, repeat=3)
    per_walk = brute_wall / len(walkers)
    print(
        f"  baseline, a walk of each customer (Culture.journey) on {len(walkers):,}: median "
        f"{brute_wall:.2f} s, {per_walk * 1e6:.1f} us a customer"
    )
    per_column = wall / args.customers
    print(
        f"  ratio per customer: columnar is {per_record / per_column:.0f}x the record route, "
        f"{per_walk / per_column:.0f}x the walk"
    )
    if not same:
        raise SystemExit("the columnar and the record-by-record routes disagree")


if __name__ == "__main__":
    main()
