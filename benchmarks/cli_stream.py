"""`crmculture decide` streams: peak memory does not grow with the number of records.

Writes JSON Lines files of 10k, 100k and 1M customer records (generated and written one record
at a time, in a temporary directory), runs ``crmculture decide`` on each as a subprocess with
the decisions written to a file, and prints the peak resident set size (RSS) of that process,
its time and rate. Each run happens under its own small Python parent, so that
``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` is the peak of that run alone. Flat peaks
mean constant memory; a reader or writer that kept records would grow 100x from 10k to 1M.

Run with ``python benchmarks/cli_stream.py`` (several minutes for 1M records), or choose
sizes with ``--counts 10000 100000``. Unix only (the `resource` module).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXAMPLES = Path(__file__).parent.parent / "examples"
TIERS = ["bronze", "silver", "gold", "platinum"]

_PARENT = """\
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL).returncode
print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def write_customers(path: Path, count: int, seed: int = 20261123) -> None:
    """Write `count` customer records as JSON Lines, one at a time (one bad record in 10,000)."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as handle:
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
            handle.write(json.dumps(customer) + "\n")


def decide_peak(culture: Path, source: Path, target: Path) -> tuple[int, int, float]:
    """Run ``crmculture decide``; return its exit code, peak RSS in KiB and seconds."""
    command = [sys.executable, "-m", "crmculture", "decide", str(culture), str(source)]
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", _PARENT, *command, "--output", str(target)],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - started
    code, peak = (int(word) for word in result.stdout.split())
    return code, peak, seconds


def main() -> int:
    """Measure and print the peak RSS of `crmculture decide` for each size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--counts", type=int, nargs="+", default=[10_000, 100_000, 1_000_000], metavar="N"
    )
    args = parser.parse_args()
    culture = EXAMPLES / "acme-culture.yaml"
    directory = Path(tempfile.mkdtemp(prefix="crmculture-bench-"))
    peaks: list[int] = []
    print(f"{'records':>10} {'exit':>5} {'peak RSS':>10} {'seconds':>9} {'records/s':>10}")
    try:
        for count in args.counts:
            source = directory / f"customers-{count}.jsonl"
            write_customers(source, count)
            target = directory / "decisions.jsonl"
            code, peak, seconds = decide_peak(culture, source, target)
            with target.open(encoding="utf-8") as handle:
                written = sum(1 for _ in handle)
            assert written == count, f"{written} lines for {count} records"
            peaks.append(peak)
            print(
                f"{count:>10,} {code:>5} {peak / 1024:>7.1f} MiB {seconds:>9.1f} "
                f"{count / seconds:>10,.0f}"
            )
            source.unlink()
            target.unlink()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    growth = peaks[-1] / peaks[0]
    print(f"peak RSS, largest over smallest input: {growth:.2f}x (flat is 1.00x)")
    return 0 if growth < 1.25 else 1


if __name__ == "__main__":
    raise SystemExit(main())
