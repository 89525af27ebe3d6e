"""`crmculture decide` on large JSON Lines and CSV files: records per second and peak memory.

Writes files of generated customers (seeded, one bad record in 10,000) in a temporary
directory, runs ``crmculture decide`` on each as a subprocess with the decisions written to a
file, and prints its time, rate and peak resident set size (RSS), for every format
(``jsonl``, ``csv``), output mode (``--emit directives``, ``--emit full``) and size. Each run
happens under its own small Python parent, so that ``resource.getrusage(RUSAGE_CHILDREN)
.ru_maxrss`` is the peak of that run alone. Flat peaks mean constant memory.

Baseline, measured in the same run: the record-by-record route (``CRMCULTURE_CHUNKED=0`` in
the environment makes ``decide`` skip the chunked route) on the smallest size, ``--emit
full``. Targets of issue 16: at least 300,000 records/s with ``--emit directives`` and 50,000
with ``--emit full`` on 1,000,000 records, and the same peak RSS at 100k and 1M records.

Run with ``python benchmarks/cli_stream.py`` (a few minutes), or choose sizes with
``--counts 10000 100000``. Unix only (the `resource` module). Rates include starting the
interpreter and importing (about 0.3 s).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXAMPLES = Path(__file__).parent.parent / "examples"
TIERS = ["bronze", "silver", "gold", "platinum"]
COLUMNS = ["credit_hold", "days_overdue", "annual_volume", "tier", "satisfaction", "open_tickets"]

_PARENT = """\
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL).returncode
print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def customers(count: int, seed: int = 20261123) -> list[dict[str, object]]:
    """`count` generated customers (one bad record in 10,000)."""
    rng = random.Random(seed)
    found = []
    for number in range(count):
        customer: dict[str, object] = {
            "credit_hold": rng.random() < 0.05,
            "days_overdue": rng.choice([0, 0, 0, 5, 20, 45, 90]),
            "annual_volume": rng.randrange(0, 2_000_000),
            "tier": rng.choice(TIERS),
            "satisfaction": round(rng.uniform(0, 10), 1),
            "open_tickets": rng.randrange(0, 6),
        }
        if number % 10_000 == 9_999:
            customer["tier"] = "diamond"  # bad records are reported, never dropped
        found.append(customer)
    return found


def write_customers(path: Path, count: int, seed: int = 20261123) -> None:
    """Write `count` customers as JSON Lines (``.jsonl``) or CSV (``.csv``), by suffix."""
    rows = customers(count, seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        if path.suffix == ".csv":
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            for row in rows:
                writer.writerow([json.dumps(row[name]).strip('"') for name in COLUMNS])
        else:
            handle.writelines(json.dumps(row) + "\n" for row in rows)


def decide_peak(
    culture: Path, source: Path, target: Path, emit: str, *, chunked: bool = True
) -> tuple[int, int, float]:
    """Run ``crmculture decide``; return its exit code, peak RSS in KiB and seconds."""
    command = [sys.executable, "-m", "crmculture", "decide", str(culture), str(source)]
    environment = {**os.environ, "CRMCULTURE_CHUNKED": "1" if chunked else "0"}
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", _PARENT, *command, "--emit", emit, "--output", str(target)],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
    )
    seconds = time.perf_counter() - started
    code, peak = (int(word) for word in result.stdout.split())
    return code, peak, seconds


def main() -> int:
    """Measure and print rates and peak RSS; exit 1 when a peak grows with the input."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[100_000, 1_000_000], metavar="N")
    parser.add_argument("--formats", nargs="+", default=["jsonl", "csv"])
    args = parser.parse_args()
    culture = EXAMPLES / "acme-culture.yaml"
    directory = Path(tempfile.mkdtemp(prefix="crmculture-bench-"))
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    header = f"{'format':>6} {'emit':>10} {'records':>10} {'exit':>5} {'peak RSS':>10}"
    print(header + f" {'seconds':>8} {'records/s':>10}")
    growth_ok = True
    try:
        smallest = min(args.counts)
        baseline = directory / f"customers-{smallest}.jsonl"
        write_customers(baseline, smallest)
        _, _, seconds = decide_peak(
            culture, baseline, directory / "out.jsonl", "full", chunked=False
        )
        print(
            f"baseline: record by record, --emit full, {smallest:,} records: "
            f"{smallest / seconds:,.0f} records/s"
        )
        for fmt in args.formats:
            for emit in ("directives", "full"):
                peaks = []
                for count in args.counts:
                    source = directory / f"customers-{count}.{fmt}"
                    if not source.exists():
                        write_customers(source, count)
                    target = directory / "decisions.jsonl"
                    code, peak, seconds = decide_peak(culture, source, target, emit)
                    with target.open(encoding="utf-8") as handle:
                        written = sum(1 for _ in handle)
                    assert written == count, f"{written} lines for {count} records"
                    peaks.append(peak)
                    rate = count / seconds
                    print(
                        f"{fmt:>6} {emit:>10} {count:>10,} {code:>5} {peak / 1024:>7.1f} MiB "
                        f"{seconds:>8.2f} {rate:>10,.0f}"
                    )
                    target.unlink()
                growth = peaks[-1] / peaks[0]
                growth_ok &= growth < 1.10
                print(f"{'':>6} {emit:>10} peak RSS, largest over smallest: {growth:.2f}x")
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0 if growth_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
