"""How fast hostile input fails: each document of the hostile corpus, loaded and refused.

Every file in ``tests/io/hostile/`` (numbers of 5,001 digits, exponents of a billion, a YAML
alias bomb, values of the wrong shape) must fail with a `crmculture.DocumentError` in well
under a second; the medians of 5 loads are printed, with the baseline of loading the valid
document the corpus is built from, measured in the same run. Target: every case < 1 s.
Run with ``python benchmarks/hostile.py``.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from crmculture import DocumentError, load

ROOT = Path(__file__).parent.parent / "tests" / "io"


def median_seconds(path: Path, *, expect_error: bool, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        try:
            load(path)
        except DocumentError:
            if not expect_error:
                raise
        else:
            if expect_error:
                raise AssertionError(f"{path.name} loaded")
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    baseline = median_seconds(ROOT / "malformed" / "_base.yaml", expect_error=False)
    print(f"valid base document: {baseline * 1000:8.1f} ms (baseline)")
    slowest = 0.0
    for path in sorted((ROOT / "hostile").iterdir()):
        seconds = median_seconds(path, expect_error=True)
        slowest = max(slowest, seconds)
        print(f"{path.name:50} {seconds * 1000:8.1f} ms  {seconds / baseline:6.1f}x baseline")
    print(f"slowest hostile case: {slowest * 1000:.1f} ms (target < 1000 ms)")


if __name__ == "__main__":
    main()
