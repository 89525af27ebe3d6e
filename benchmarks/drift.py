"""Counting decision logs for drift and the HTML report: time, CPU time and peak memory.

Writes a decision log of generated ACME customers (seeded; decided by the example culture,
with a customer id and a month kept), and a second log of 100,000 decisions from a shifted
population, then measures, median of ``--repeat`` runs:

- ``html_report`` on the whole log (the work of ``crmculture report``): the log counted
  through Arrow a chunk at a time (`crmculture.drift.DecisionCounts.from_log`) and read once;
  in 10 equal windows, then by month (a kept field);
- ``drift`` of the first ``--drift-records`` decisions of the log against the shifted log
  (the work of ``crmculture drift BASELINE CURRENT``);
- drift of those decisions against what a new version of the culture (one more rule)
  decides for the same customers (the work of ``crmculture drift LOG --culture NEW``).

Each against its baseline measured in the same run: the same call counting record by record
(the route of a core install, without pyarrow; for the new version, the route the command
took before: every record decided again by `crmculture.drift.redecide`), which must give the
same page and the same report (the script checks that they do). The commands then run once
each in a fresh process, by both routes, which prints its wall time and peak resident set
size.

Run with ``python benchmarks/drift.py [--records N] [--drift-records M] [--repeat R]``
(default 1,000,000, 100,000 and 3). Linux only (peak memory from ``/proc/self/status``, which
a fresh process starts afresh).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import crmculture.drift as drift_module
from crmculture import F, Rule
from crmculture.drift import DecisionCounts, DriftReport, _redecided, compare, drift, redecide
from crmculture.html_report import html_report
from crmculture.log import DecisionLog
from crmculture.stories import acme_policy

TIERS = ["bronze", "silver", "gold", "platinum"]
DEPARTMENTS = [None, "sales", "support", "shipping"]
ROOT = Path(__file__).parent.parent
CULTURE = ROOT / "examples" / "acme-culture.yaml"

_CHILD = """\
import sys, time
import crmculture.drift
from crmculture.cli import main
if sys.argv[1] == "--record-by-record":
    crmculture.drift._arrow_available = lambda: False
started = time.perf_counter()
code = main(sys.argv[2:])
wall = time.perf_counter() - started
with open("/proc/self/status") as status:
    peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
print(code, wall, peak, file=sys.stderr)
"""


def write_log(path: Path, records: int, seed: int, shifted: bool) -> None:
    """A log of `records` ACME decisions; `shifted` draws bigger, later-paying customers."""
    rng = random.Random(seed)
    decide = acme_policy().compile()
    overdue = [0, 0, 5, 45, 90, 120] if shifted else [0, 0, 0, 5, 20, 45, 90]
    with DecisionLog(path) as log:
        for n in range(records):
            customer = {
                "credit_hold": rng.random() < (0.12 if shifted else 0.05),
                "days_overdue": rng.choice(overdue),
                "annual_volume": rng.randrange(0, 3_000_000 if shifted else 2_000_000),
                "tier": rng.choice(TIERS),
                "satisfaction": round(rng.uniform(0, 10), 1),
            }
            month = f"2026-{1 + 12 * n // records:02d}"
            log.write(
                decide(customer, rng.choice(DEPARTMENTS)),
                {"customer_id": f"c{n}", "month": month},
            )


@contextmanager
def record_by_record() -> Iterator[None]:
    """Count as a core install does: without Arrow."""
    saved = drift_module._arrow_available
    drift_module._arrow_available = lambda: False
    try:
        yield
    finally:
        drift_module._arrow_available = saved


def timed(run: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall and CPU seconds of calling `run`, and its result."""
    started, cpu = time.perf_counter(), time.process_time()
    result = run()
    return time.perf_counter() - started, time.process_time() - cpu, result


def measure(
    name: str,
    run: Callable[[], Any],
    repeat: int,
    target: float,
    baseline: Callable[[], Any] | None = None,
) -> tuple[float, bool]:
    """Print the chunked route's median against the baseline (by default `run` counting
    record by record); return the median and whether both routes agree."""
    runs = [timed(run) for _ in range(repeat)]
    wall = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    with record_by_record():
        base_wall, base_cpu, base = timed(baseline or run)
    same = all(r[2] == base for r in runs)
    print(
        f"{name}: chunked {wall:.2f} s, median of {repeat} "
        f"({min(r[0] for r in runs):.2f}-{max(r[0] for r in runs):.2f}), {cpu:.2f} CPU s; "
        f"record by record (baseline) {base_wall:.2f} s, {base_cpu:.2f} CPU s; "
        f"{base_wall / wall:.1f}x faster (CPU time: {base_cpu / cpu:.1f}x); "
        f"target {target:.1f} s: {'met' if wall <= target else 'NOT met'}"
    )
    if not same:
        print(f"{name}: the chunked route and the record-by-record route DISAGREE")
    return wall, same


def command(route: str, *args: str) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of a command run in a fresh process, by `route`
    (``--chunked`` or ``--record-by-record``)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, route, *args], capture_output=True, text=True, env=env
    )
    code, wall, kib = result.stderr.split()[-3:]
    if code not in ("0", "1"):
        raise SystemExit(f"`crmculture {' '.join(args)}` failed: {result.stderr}")
    return float(wall), int(kib) / 1024


def main() -> int:
    """Measure and print; exit 1 when a route disagrees."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--drift-records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    policy = acme_policy()
    directory = Path(tempfile.mkdtemp(prefix="crmculture-drift-"))
    try:
        path, shifted, first = (directory / n for n in ("d.log", "shifted.log", "first.log"))
        write_log(path, args.records, 20261206, shifted=False)
        write_log(shifted, args.drift_records, 20261207, shifted=True)
        with path.open("rb") as source, first.open("wb") as target:
            for n, line in enumerate(source):
                if n >= args.drift_records:
                    break
                target.write(line)
        print(f"load average before: {os.getloadavg()[0]:.2f}")
        print(
            f"logs: {args.records:,} decisions ({path.stat().st_size / 2**20:.0f} MiB), "
            f"{args.drift_records:,} + {args.drift_records:,} for drift"
        )
        drift(first, shifted, policy=policy)  # imports Arrow, as any first count does
        scale = args.records / 1_000_000
        _, report_same = measure(
            f"report, {args.records:,} decisions",
            lambda: html_report(path, policy),
            args.repeat,
            15.0 * scale,
        )
        _, by_same = measure(
            f"report by month, {args.records:,} decisions",
            lambda: html_report(path, policy, by="month"),
            args.repeat,
            15.0 * scale,
        )
        scale = args.drift_records / 100_000
        _, drift_same = measure(
            f"drift, {args.drift_records:,} + {args.drift_records:,} decisions",
            lambda: drift(first, shifted, policy=policy),
            args.repeat,
            2.0 * scale,
        )
        found: DriftReport = drift(first, shifted, policy=policy)
        print(f"  ({len(found.flagged)} distributions flagged)")
        new = policy.with_rules(
            Rule("big-discount", F.annual_volume >= 1_500_000, {"discount_pct": 12})
        )

        def versions() -> DriftReport:  # what the command does now
            rejected: Counter[str] = Counter()
            now = _redecided(first, new, rejected)
            before = DecisionCounts.from_log(first, side="baseline", policy=new)
            return compare(before, now, policy=new, rejected=rejected)

        def versions_before() -> DriftReport:  # what the command did before
            rejected: Counter[str] = Counter()
            current = list(redecide(first, new, rejected))
            return drift(first, current, policy=new, rejected=rejected)

        _, versions_same = measure(
            f"drift against a new version, {args.drift_records:,} decisions",
            versions,
            args.repeat,
            2.0 * scale,
            baseline=versions_before,
        )
        out = str(directory / "report.html")
        for route in ("--chunked", "--record-by-record"):
            wall, peak = command(route, "report", str(CULTURE), "--log", str(path), "-o", out)
            print(
                f"crmculture report {route}, fresh process: {wall:.2f} s, peak RSS {peak:.0f} MiB"
            )
            wall, peak = command(
                route, "drift", str(first), str(shifted), "--culture", str(CULTURE)
            )
            print(f"crmculture drift {route}, fresh process: {wall:.2f} s, peak RSS {peak:.0f} MiB")
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        return 0 if report_same and by_same and drift_same and versions_same else 1
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
