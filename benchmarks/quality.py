"""`crmculture quality` on a large Parquet file: time and memory of the data-quality report.

Writes a Parquet file of generated customers of the ACME example (seeded: a customer id, one
id in 1,000 repeated, one record in 10,000 with an invalid tier, the optional facts missing
in about half the records), then runs ``crmculture quality`` on it as a subprocess and prints
its time, rate and peak resident set size, against the target of issue 18: 1,000,000 rows
in under 10 seconds.

Run with ``python benchmarks/quality.py [--rows N]`` (default 1,000,000). Unix only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

EXAMPLES = Path(__file__).parent.parent / "examples"
TIERS = np.array(["bronze", "silver", "gold", "platinum"], dtype=object)

_PARENT = """\
import resource, subprocess, sys
result = subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL, capture_output=True, text=True)
print(result.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(result.stdout)
"""


def customers(rows: int, seed: int = 20261205) -> pd.DataFrame:
    """Generated customers with planted faults (see the module)."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"c{n}" for n in range(rows)], dtype=object)
    ids[::1000] = ids[1::1000][: len(ids[::1000])] if rows > 1 else ids[::1000]
    tier = TIERS[rng.integers(0, 4, rows)]
    tier[9_999::10_000] = "diamond"
    missing = rng.random(rows) < 0.5
    satisfaction = np.round(rng.uniform(0, 10, rows), 1)
    return pd.DataFrame(
        {
            "customer_id": ids,
            "credit_hold": rng.random(rows) < 0.05,
            "days_overdue": rng.choice([0, 0, 0, 5, 20, 45, 90], rows),
            "annual_volume": rng.integers(0, 2_000_000, rows),
            "tier": tier,
            "satisfaction": np.where(missing, np.nan, satisfaction),
            "region": pd.array(np.where(rng.random(rows) < 0.5, None, "emea"), dtype="string"),
        }
    )


def main() -> int:
    """Measure and print; exit 1 when the target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="crmculture-quality-"))
    try:
        source = directory / "customers.parquet"
        customers(args.rows).to_parquet(source)
        command = [
            sys.executable,
            "-m",
            "crmculture",
            "quality",
            str(source),
            "--culture",
            str(EXAMPLES / "acme-culture.yaml"),
            "--id",
            "customer_id",
            "--json",
        ]
        print(f"load average before: {os.getloadavg()[0]:.2f}")
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-c", _PARENT, *command], capture_output=True, text=True, check=True
        )
        seconds = time.perf_counter() - started
        first, _, rest = result.stdout.partition("\n")
        code, peak = (int(word) for word in first.split())
        report = json.loads(rest)
        print(
            f"{args.rows:,} rows: {seconds:.2f} s ({args.rows / seconds:,.0f} rows/s), "
            f"peak RSS {peak / 1024:.0f} MiB, exit {code}"
        )
        print(
            f"  invalid records {report['invalid_records']:,}, duplicate ids "
            f"{report['duplicates']['ids']:,}, decided on missing data that matters "
            f"{report['sensitive_records']:,}"
        )
        target = 10.0 * args.rows / 1_000_000
        met = "met" if seconds < target else "NOT met"
        print(f"  target: under {target:.1f} s for {args.rows:,} rows: {met}")
        return 0 if seconds < target else 1
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
