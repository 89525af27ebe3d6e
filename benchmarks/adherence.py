"""Adherence over many actions: how fast what staff did is compared with the culture.

Generates customers of the ACME example and actions on them (seeded: a customer id, a
department, a directive and a value, 90% of them the culture's own value), then times
`crmculture.adherence.adherence` in one process (the columnar route: customers that match
the same rules decided once per department, actions compared column by column), median of
``--repeat`` runs, against the baseline measured in the same run: the record-by-record route
(each customer decided on its own, action by action; the script checks that both give the
same report). Prints both, the ratio and the target of issue 20: 1,000,000 actions in under
5 seconds. Generating the actions is not timed.

Memory: adherence runs again in fresh processes on actions generated one at a time (not
held in a list), a tenth of them and all of them, and prints each one's peak resident set
size: the customer table is held, the actions should not be.

Run with ``python benchmarks/adherence.py [--actions N] [--customers N] [--repeat R]``
(default 1,000,000, 100,000 and 3). Linux only (peak memory from ``/proc/self/status``,
which a fresh process starts afresh; ``getrusage`` would count the parent's).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import crmculture.adherence as adherence_module
from crmculture.adherence import AdherenceReport, adherence
from crmculture.model.policies import Policy
from crmculture.model.values import json_value
from crmculture.stories import acme_policy

TIERS = ["bronze", "silver", "gold", "platinum"]
DEPARTMENTS = [None, "sales", "support", "shipping", "engineering"]

_CHILD = """\
import sys
sys.path.insert(0, sys.argv[3])
from adherence import customers_of, actions_of
from crmculture.adherence import adherence
from crmculture.stories import acme_policy
policy = acme_policy()
customers = customers_of(int(sys.argv[2]))
found = adherence(actions_of(int(sys.argv[1]), customers, policy), customers, policy)
with open("/proc/self/status") as status:
    peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
print(found.actions, peak)
"""


def customers_of(count: int) -> list[dict[str, Any]]:
    """Generated customers with an id (seeded)."""
    rng = random.Random(20261205)
    return [
        {
            "customer_id": f"c{n}",
            "credit_hold": rng.random() < 0.05,
            "days_overdue": rng.choice([0, 0, 0, 5, 20, 45, 90]),
            "annual_volume": rng.randrange(0, 2_000_000),
            "tier": rng.choice(TIERS),
        }
        for n in range(count)
    ]


def actions_of(
    count: int, customers: list[dict[str, Any]], policy: Policy
) -> Iterator[dict[str, Any]]:
    """Generated actions, one at a time (seeded): 90% give the culture's own value."""
    rng = random.Random(20261206)
    decide = policy.compile()
    names = [directive.name for directive in policy.directives]
    for _ in range(count):
        customer = rng.choice(customers)
        department = rng.choice(DEPARTMENTS)
        name = rng.choice(names)
        facts = {k: v for k, v in customer.items() if k != "customer_id"}
        value = json_value(decide(facts, department).directives[name])
        if rng.random() < 0.1:
            value = "frontline" if name == "route_to" else 7
        yield {
            "customer_id": customer["customer_id"],
            "department": department,
            "directive": name,
            "value": ", ".join(value) if isinstance(value, list) else str(value),
        }


def timed(run: Callable[[], AdherenceReport]) -> tuple[float, float, AdherenceReport]:
    """Wall and CPU seconds of calling `run`, and its result."""
    started, cpu = time.perf_counter(), time.process_time()
    result = run()
    return time.perf_counter() - started, time.process_time() - cpu, result


def by_record(
    actions: list[dict[str, Any]], customers: list[dict[str, Any]], policy: Policy
) -> AdherenceReport:
    """The record-by-record route (the baseline)."""
    original = adherence_module._columns_available
    adherence_module._columns_available = lambda: False
    try:
        return adherence(actions, customers, policy)
    finally:
        adherence_module._columns_available = original


def peak(actions: int, customers: int) -> tuple[int, float]:
    """Actions judged and peak RSS (MiB) of adherence over generated actions, in a fresh
    process."""
    here = Path(__file__).parent
    env = {**os.environ, "PYTHONPATH": str(here.parent / "src")}
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, str(actions), str(customers), str(here)],
        capture_output=True,
        text=True,
        env=env,
    )
    judged, kib = result.stdout.split()
    return int(judged), int(kib) / 1024


def main() -> int:
    """Measure and print; exit 1 when the target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    policy = acme_policy()
    customers = customers_of(args.customers)
    actions = list(actions_of(args.actions, customers, policy))
    adherence(actions[:100], customers[:100], policy)  # imports numpy and the batch layer
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    runs = [timed(lambda: adherence(actions, customers, policy)) for _ in range(args.repeat)]
    wall = statistics.median(run[0] for run in runs)
    cpu = statistics.median(run[1] for run in runs)
    found = runs[0][2]
    base_wall, base_cpu, base = timed(lambda: by_record(actions, customers, policy))
    if found != base:
        print("the columnar route and the record-by-record route DISAGREE")
        return 2
    print(
        f"columnar: {found.actions:,} actions on {args.customers:,} customers in {wall:.2f} s, "
        f"median of {args.repeat} ({min(r[0] for r in runs):.2f}-{max(r[0] for r in runs):.2f})"
        f", {cpu:.2f} CPU s ({found.actions / wall:,.0f}/s): {found.rate:.1%} followed"
    )
    print(f"record by record (baseline): {base_wall:.2f} s, {base_cpu:.2f} CPU s")
    print(
        f"columnar / record by record: {base_wall / wall:.1f}x faster "
        f"(CPU time: {base_cpu / cpu:.1f}x)"
    )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    (small, small_peak) = peak(args.actions // 10, args.customers)
    (large, large_peak) = peak(args.actions, args.customers)
    print(
        f"peak RSS, actions generated one at a time: {small_peak:.0f} MiB for {small:,} "
        f"actions, {large_peak:.0f} MiB for {large:,} ({large_peak / small_peak:.2f}x)"
    )
    target = 5.0 * args.actions / 1_000_000
    met = "met" if wall < target else "NOT met"
    print(f"target: under {target:.1f} s for {args.actions:,} actions: {met}")
    return 0 if wall < target else 1


if __name__ == "__main__":
    raise SystemExit(main())
