"""Replaying a decision log against a new culture version: time, CPU time and peak memory.

Writes a decision log of generated ACME customers (seeded; decided by the example culture,
with a customer id kept), then replays it against a new version that adds one rule:
`crmculture.log.replay` on the file (the chunked route: Arrow reads, records grouped by
department, matching rules and logged values, each group decided once), median of
``--repeat`` runs, against the baseline measured in the same run: replaying the same records
one by one (``replay(read_log(path), policy)``, the route the chunked one must agree with;
the script checks that they do). Prints both, the ratio and the target of issue 20:
1,000,000 logged decisions in under 10 seconds. Writing the log is timed too (it is what
``crmculture decide --log`` adds).

Memory: the chunked replay runs again in fresh processes on the first tenth of the log and
on all of it, and prints each one's peak resident set size; memory is bounded when the two
are close.

With ``--as-of``, the culture decides by the date: ACME with a ``verified_on`` fact and a
rule that sends customers verified more than 365 days before the as-of date to re-verify; the
log holds decisions made on 30 days, and the new version re-verifies after 180 days. The
chunked route reads the rules for each logged day (no peak memory is measured then).

Run with ``python benchmarks/replay.py [--records N] [--repeat R] [--as-of]`` (default
1,000,000 and 3). Linux only (peak memory from ``/proc/self/status``,
which a fresh process starts afresh; ``getrusage`` would count the parent's).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from crmculture import AS_OF, F, Fact, Policy, Rule, Schema
from crmculture.log import DecisionLog, ReplayReport, read_log, replay
from crmculture.stories import acme_policy

TIERS = ["bronze", "silver", "gold", "platinum"]

_CHILD = """\
import sys
from crmculture import F, Rule
from crmculture.log import replay
from crmculture.stories import acme_policy
new = acme_policy().with_rules(
    Rule("big-discount", F.annual_volume >= 1_500_000, {"discount_pct": 12}))
found = replay(sys.argv[1], new)
with open("/proc/self/status") as status:
    peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
print(found.records, peak)
"""


def peak(path: Path) -> tuple[int, float]:
    """Records replayed and peak RSS (MiB) of the chunked replay in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent / "src")}
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, env=env
    )
    records, kib = result.stdout.split()
    return int(records), int(kib) / 1024


def timed(run: Callable[[], ReplayReport]) -> tuple[float, float, ReplayReport]:
    """Wall and CPU seconds of calling `run`, and its result."""
    started, cpu = time.perf_counter(), time.process_time()
    result = run()
    return time.perf_counter() - started, time.process_time() - cpu, result


FIRST_DAY = dt.date(2026, 11, 1)


def dated(days: int) -> Policy:
    """ACME with a `verified_on` fact, re-verifying customers verified more than `days` days
    before the as-of date."""
    policy = acme_policy()
    schema = Schema([*policy.schema, Fact.date("verified_on", min=dt.date(2000, 1, 1))])
    rule = Rule(
        "re-verify", F.verified_on < AS_OF.minus(days=days), {"route_to": "accounts_receivable"}
    )
    return Policy(
        policy.name, schema, policy.directives, (*policy.rules, rule), version=f"{days} days"
    )


def main() -> int:
    """Measure and print; exit 1 when the target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--as-of", action="store_true", help="a culture that decides by the date, 30 days"
    )
    args = parser.parse_args()
    rng = random.Random(20261205)
    old = dated(365) if args.as_of else acme_policy()
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
                day = None
                if args.as_of:
                    day = FIRST_DAY + dt.timedelta(days=n % 30)
                    customer["verified_on"] = day - dt.timedelta(days=rng.randrange(0, 730))
                decision = decide(customer, rng.choice(departments), as_of=day)
                log.write(decision, {"customer_id": f"c{n}"})
        written = time.perf_counter() - started
        size = path.stat().st_size
        print(f"load average before: {os.getloadavg()[0]:.2f}")
        print(
            f"wrote {args.records:,} records ({size / 2**20:.0f} MiB) in {written:.2f} s "
            f"({args.records / written:,.0f}/s)"
        )
        new = (
            dated(180)
            if args.as_of
            else old.with_rules(
                Rule("big-discount", F.annual_volume >= 1_500_000, {"discount_pct": 12})
            )
        )
        tenth = directory / "tenth.log"
        with path.open("rb") as source, tenth.open("wb") as target:
            for n, line in enumerate(source):
                if n >= args.records // 10:
                    break
                target.write(line)
        replay(tenth, new)  # imports Arrow and the batch layer, as any first replay does
        runs = [timed(lambda: replay(path, new)) for _ in range(args.repeat)]
        wall = statistics.median(run[0] for run in runs)
        cpu = statistics.median(run[1] for run in runs)
        found = runs[0][2]
        base_wall, base_cpu, base = timed(lambda: replay(read_log(path), new))
        if found != base:
            print("the chunked replay and the record-by-record replay DISAGREE")
            return 2
        print(
            f"chunked replay: {found.records:,} in {wall:.2f} s, median of {args.repeat} "
            f"({min(r[0] for r in runs):.2f}-{max(r[0] for r in runs):.2f}), "
            f"{cpu:.2f} CPU s; {found.changed:,} would change"
        )
        print(f"record by record (baseline): {base_wall:.2f} s, {base_cpu:.2f} CPU s")
        print(
            f"chunked / record by record: {base_wall / wall:.1f}x faster "
            f"(CPU time: {base_cpu / cpu:.1f}x)"
        )
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        if not args.as_of:
            (small, small_peak), (large, large_peak) = peak(tenth), peak(path)
            print(
                f"peak RSS: {small_peak:.0f} MiB for {small:,} records, {large_peak:.0f} MiB "
                f"for {large:,} ({large_peak / small_peak:.2f}x)"
            )
        target = 10.0 * args.records / 1_000_000
        met = "met" if wall < target else "NOT met"
        print(f"target: under {target:.1f} s for {args.records:,} records: {met}")
        return 0 if wall < target else 1
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
