"""Replaying a decision log against a new culture version: records per second.

Writes a decision log of generated ACME customers (seeded; decided by the example culture,
with a customer id kept), then times `crmculture.log.replay` of that log against a new
version that adds one rule, and prints the time, the rate and the number of changed
decisions, against the target of issue 20: 1,000,000 logged decisions in under 10 seconds.
Writing the log is timed too (it is what ``crmculture decide --log`` adds).

Run with ``python benchmarks/replay.py [--records N]`` (default 1,000,000).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import tempfile
import time
from pathlib import Path

from crmculture import F, Rule
from crmculture.log import DecisionLog, replay
from crmculture.stories import acme_policy

TIERS = ["bronze", "silver", "gold", "platinum"]


def main() -> int:
    """Measure and print; exit 1 when the target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args()
    rng = random.Random(20261205)
    old = acme_policy()
    decide = old.compile()
    departments = [None, "sales", "support", "shipping"]
    directory = Path(tempfile.mkdtemp(prefix="crmculture-replay-"))
    try:
        path = directory / "decisions.log"
        started = time.perf_counter()
        with DecisionLog(path) as log:
            for n in range(args.records):
                customer = {
                    "credit_hold": rng.random() < 0.05,
                    "days_overdue": rng.choice([0, 0, 0, 5, 20, 45, 90]),
                    "annual_volume": rng.randrange(0, 2_000_000),
                    "tier": rng.choice(TIERS),
                    "satisfaction": round(rng.uniform(0, 10), 1),
                }
                log.write(decide(customer, rng.choice(departments)), {"customer_id": f"c{n}"})
        written = time.perf_counter() - started
        size = path.stat().st_size
        print(f"load average: {os.getloadavg()[0]:.2f}")
        print(
            f"wrote {args.records:,} records ({size / 2**20:.0f} MiB) in {written:.2f} s "
            f"({args.records / written:,.0f}/s)"
        )
        new = old.with_rules(
            Rule("big-discount", F.annual_volume >= 1_500_000, {"discount_pct": 12})
        )
        started = time.perf_counter()
        found = replay(path, new)
        seconds = time.perf_counter() - started
        print(
            f"replayed {found.records:,} in {seconds:.2f} s ({found.records / seconds:,.0f}/s): "
            f"{found.changed:,} would change"
        )
        target = 10.0 * args.records / 1_000_000
        met = "met" if seconds < target else "NOT met"
        print(f"target: under {target:.1f} s for {args.records:,} records: {met}")
        return 0 if seconds < target else 1
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
