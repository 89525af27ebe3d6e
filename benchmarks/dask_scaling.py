"""Deciding Parquet into Parquet on Dask, against `decide_parquet` in one process.

The 24-rule benchmark policy of ``benchmarks/evaluator.py`` decides ``--rows`` customers
(10,000,000 by default) written, before timing, to ``--files`` Parquet files in a temporary
directory, in row groups of ``--row-group`` rows. The customers are drawn, seeded, from the
distributions of ``benchmarks/evaluator.py``'s generator, with numpy (drawing ten million
dicts one by one would take minutes). The same files are decided into Parquet, each way timed
from the call to the last file written, as the median of ``--repeats`` runs after one warm-up
run, with the CPU time of every process that takes part (per million rows):

- ``decide_parquet``: `crmculture.batch.decide_parquet` on each file in turn, in this process,
  and in 2 processes without Dask (each on every other file: what 2 cores give on this machine
  at the time, the ceiling for 2 workers);
- ``decide_dask_parquet`` on a ``distributed.LocalCluster`` of 1 worker process with 1 thread
  (one core, as one process), and of 2 worker processes with 1 thread each: one task per
  ``PARTITION_ROWS`` rows, each writing its own part file; the scheduler runs in this process.

Worker processes, not threads: a good part of deciding is Python (building frames, per-batch
bookkeeping) that holds the GIL, so threads of one process do not scale (``--threads`` adds a
1-worker, 2-thread cluster to show it). With ``--dataframe`` the script also times the
DataFrame route, ``decide_dask(policy, dd.read_parquet(...)).to_parquet(...,
schema=parquet_schema(...))``, on the same clusters; with ``--sweep``, 1 worker with tasks of
at most 125,000 to 2,000,000 rows (use ``--row-group 125000``). Before timing, the Dask output
for the first file is checked to be the table `decide_parquet` writes. The targets (issue #16):
2 workers at least 1.6x the throughput of 1 worker, and 1 worker at least 0.7x
``decide_parquet``.

The machine may be shared: the load average is printed before and after; the ratios are only
meaningful on an otherwise idle machine with at least 2 cores. Run with
``python benchmarks/dask_scaling.py [--rows N]``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pathlib
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from evaluator import REGIONS, SEGMENTS, TIERS, benchmark_policy

from crmculture import Policy
from crmculture.batch import decide_parquet

TARGET_SCALING = 1.6
TARGET_ONE_WORKER = 0.7
SWEEP = (125_000, 250_000, 500_000, 1_000_000, 2_000_000)


def customer_chunk(count: int, seed: int) -> pa.Table:
    """`count` customers drawn, seeded, from the distributions of
    ``benchmarks/evaluator.py``'s `customers`, with the Arrow types Parquet gives them."""
    rng = np.random.default_rng(seed)

    def pick(values: list[Any], dtype: Any = None) -> Any:
        return np.asarray(values, dtype=dtype)[rng.integers(0, len(values), count)]

    balance = pa.array(pick([0, 0, 1200, 25_000, 80_000], np.int64))
    return pa.table(
        {
            "credit_hold": rng.random(count) < 0.05,
            "days_overdue": pick([0, 0, 0, 3, 10, 20, 31, 46, 61, 120], np.int64),
            "annual_volume": pick([5_000, 60_000, 120_000, 300_000, 1_500_000], np.int64),
            "tier": pa.array(pick(TIERS, object), pa.string()),
            "region": pa.array(pick(REGIONS, object), pa.string()),
            "segment": pa.array(pick(SEGMENTS, object), pa.string()),
            "satisfaction": np.round(rng.uniform(0, 10, count), 1),
            "open_tickets": pick([0, 0, 1, 2, 5, 25], np.int64),
            "is_reseller": rng.random(count) < 0.1,
            "balance": balance.cast(pa.decimal128(21, 2)).cast(pa.decimal128(18, 2)),
        }
    )


def write_customers(folder: pathlib.Path, rows: int, files: int, row_group: int) -> list[str]:
    """Write `rows` customers to `files` Parquet files; their paths, in order."""
    paths = []
    per_file = -(-rows // files)
    for number in range(files):
        count = min(per_file, rows - number * per_file)
        if count <= 0:
            break
        path = folder / f"customers.{number:03d}.parquet"
        pq.write_table(
            customer_chunk(count, seed=20261205 + number), path, row_group_size=row_group
        )
        paths.append(str(path))
    return paths


class Timings(NamedTuple):
    """The wall-clock times of some runs, and the CPU time each used (every process)."""

    walls: list[float]
    cpus: list[float]

    def rate(self, rows: int) -> float:
        """Rows per second, from the median time."""
        return rows / statistics.median(self.walls)

    def best(self, rows: int) -> float:
        """Rows per second, from the shortest time: the least disturbed by other load."""
        return rows / min(self.walls)

    def cpu_per_million(self, rows: int) -> float:
        """CPU seconds per million rows, from the median CPU time."""
        return statistics.median(self.cpus) / rows * 1_000_000

    def text(self, rows: int) -> str:
        walls = ", ".join(f"{t:.2f}" for t in self.walls)
        return (
            f"{self.rate(rows):>12,.0f} rows/s, best {self.best(rows):,.0f}  ({walls} s; "
            f"{self.cpu_per_million(rows):.2f} CPU s per 1M rows)"
        )


def in_process(policy: Policy, paths: list[str], out: pathlib.Path) -> None:
    for path in paths:
        decide_parquet(policy, path, out / pathlib.Path(path).name)


def check(policy: Policy, paths: list[str], out: pathlib.Path, row_group: int) -> None:
    """The Dask output for the first file, one part per row group, is the table
    `decide_parquet` writes."""
    from crmculture.dask import decide_dask_parquet

    decide_parquet(policy, paths[0], out / "single.parquet")
    decide_dask_parquet(policy, paths[0], out / "dask", partition_rows=row_group)
    if not pq.read_table(out / "dask").equals(pq.read_table(out / "single.parquet")):
        raise SystemExit("DISAGREE: decide_dask_parquet and decide_parquet")


class Way(NamedTuple):
    """One way of deciding the files: a label, a run, and how to read the CPU time it uses."""

    label: str
    run: Callable[[], object]
    cpu: Callable[[], float]


def cluster(stack: contextlib.ExitStack, workers: int, threads: int) -> Any:
    """A local cluster of worker processes and a client for it (not the default client)."""
    from distributed import Client, LocalCluster

    local = stack.enter_context(
        LocalCluster(
            n_workers=workers,
            threads_per_worker=threads,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
    )
    return stack.enter_context(Client(local, set_as_default=False))


def cluster_cpu(client: Any) -> Callable[[], float]:
    """CPU time of this process (the client and the scheduler) and of the workers."""
    return lambda: time.process_time() + sum(client.run(time.process_time).values())


def on_cluster(
    client: Any, run: Callable[[], object], durations: list[float] | None = None
) -> Callable[[], None]:
    """`run` with `client` as the current client; the compute times of its decide tasks
    added to `durations`."""
    from distributed import get_task_stream

    def call() -> None:
        with client.as_current(), get_task_stream(client) as stream:
            run()
        if durations is not None:
            durations.extend(
                part["stop"] - part["start"]
                for task in stream.data
                if "decide-parquet" in str(task["key"])
                for part in task["startstops"]
                if part["action"] == "compute"
            )

    return call


def ways(
    stack: contextlib.ExitStack,
    policy: Policy,
    paths: list[str],
    out: pathlib.Path,
    args: argparse.Namespace,
    durations: dict[str, list[float]],
) -> list[Way]:
    """Every way to time, each ready to run (process pool and clusters started)."""
    import dask.dataframe as dd
    import psutil

    from crmculture.dask import decide_dask, decide_dask_parquet, parquet_schema

    pool = stack.enter_context(ProcessPoolExecutor(2, mp_context=get_context("spawn")))
    list(pool.map(time.sleep, [0.5, 0.5]))  # both processes started, so that:
    children = psutil.Process().children()  # the pool's, before any cluster's

    def pool_cpu() -> float:
        return time.process_time() + sum(sum(child.cpu_times()[:2]) for child in children)

    halves = [paths[0::2], paths[1::2]]
    found = [
        Way(
            "decide_parquet, one process", lambda: in_process(policy, paths, out), time.process_time
        ),
        Way(
            "decide_parquet, 2 processes, no Dask",
            lambda: list(pool.map(in_process, [policy, policy], halves, [out, out])),
            pool_cpu,
        ),
    ]
    schema = parquet_schema(policy)
    configurations = [(1, 1), (2, 1)] + ([(1, 2)] if args.threads else [])
    for workers, threads in configurations:
        client = cluster(stack, workers, threads)
        label = f"{workers} worker{'s' if workers > 1 else ''} x {threads} thread"
        label += "s" if threads > 1 else ""
        durations[label] = []
        found.append(
            Way(
                f"decide_dask_parquet, {label}",
                on_cluster(
                    client,
                    lambda: decide_dask_parquet(policy, paths, out / "decided"),
                    durations[label],
                ),
                cluster_cpu(client),
            )
        )
        if args.dataframe:

            def through_dataframe() -> None:
                lazy = decide_dask(policy, dd.read_parquet(paths))
                lazy.to_parquet(out / "decided", schema=schema, write_index=False)

            found.append(
                Way(
                    f"  read_parquet -> decide_dask -> to_parquet, {label}",
                    on_cluster(client, through_dataframe),
                    cluster_cpu(client),
                )
            )
        if args.sweep and (workers, threads) == (1, 1):
            for rows in SWEEP:
                found.append(
                    Way(
                        f"  tasks of at most {rows:,} rows, {label}",
                        on_cluster(
                            client,
                            lambda rows=rows: decide_dask_parquet(
                                policy, paths, out / "decided", partition_rows=rows
                            ),
                        ),
                        cluster_cpu(client),
                    )
                )
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--row-group", type=int, default=250_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", action="store_true", help="also 1 worker with 2 threads")
    parser.add_argument("--dataframe", action="store_true", help="also the DataFrame route")
    parser.add_argument(
        "--sweep",
        action="store_true",
        help="also 1 worker with tasks of 125,000 to 2,000,000 rows (use --row-group 125000)",
    )
    args = parser.parse_args(argv)
    # "Sending large graph" and "port in use" (another cluster's dashboard) are not ours.
    warnings.filterwarnings("ignore", category=UserWarning, module="distributed")

    from crmculture.dask import PARTITION_ROWS

    policy = benchmark_policy()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="crmculture-dask-") as temporary:
        folder = pathlib.Path(temporary)
        (folder / "in").mkdir()
        print(f"writing {args.rows:,} customers to {args.files} Parquet files ...", flush=True)
        paths = write_customers(folder / "in", args.rows, args.files, args.row_group)
        rows = args.rows
        size = sum(os.path.getsize(path) for path in paths)
        check(policy, paths, folder, args.row_group)
        print("decide_dask_parquet writes what decide_parquet writes (first file)")

        out = folder / "out"

        def reset() -> None:
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir()

        durations: dict[str, list[float]] = {}
        timings: dict[str, Timings] = {}
        with contextlib.ExitStack() as stack:
            rotation = ways(stack, policy, paths, out, args, durations)
            print(
                f"timing {len(rotation)} ways in turn, {args.repeats} rounds after a warm-up ...",
                flush=True,
            )
            for round_number in range(args.repeats + 1):
                for way in rotation:
                    reset()
                    cpu_start = way.cpu()
                    start = time.perf_counter()
                    way.run()
                    wall = time.perf_counter() - start
                    if round_number:
                        found = timings.setdefault(way.label, Timings([], []))
                        found.walls.append(wall)
                        found.cpus.append(way.cpu() - cpu_start)
    load_after = os.getloadavg()

    print(
        f"\n{rows:,} customers in {len(paths)} files ({size / 2**20:,.0f} MiB, row groups of "
        f"{args.row_group:,}), {os.cpu_count()} cores, median of {args.repeats} rounds; "
        f"tasks of at most {PARTITION_ROWS:,} rows"
    )
    for label, found in timings.items():
        print(f"  {label:<48}{found.text(rows)}")
        worker = label.removeprefix("decide_dask_parquet, ")
        if durations.get(worker):
            tasks = len(durations[worker]) // (args.repeats + 1)
            median = statistics.median(durations[worker]) * 1000
            print(f"    {tasks} tasks, median {median:,.0f} ms each on a worker")

    def ratio(label: str, base: str) -> str:
        """The ratio of two ways' throughputs, from the medians and from the best runs."""
        median = timings[label].rate(rows) / timings[base].rate(rows)
        best = timings[label].best(rows) / timings[base].best(rows)
        return f"{median:.2f}x (best runs: {best:.2f}x)"

    def verdict(label: str, base: str, target: float) -> str:
        met = timings[label].rate(rows) / timings[base].rate(rows) >= target
        return f"target >= {target}x: {'met' if met else 'NOT met'}"

    single = "decide_parquet, one process"
    one, two = (f"decide_dask_parquet, {n} x 1 thread" for n in ("1 worker", "2 workers"))
    print(f"  2 workers / 1 worker:        {ratio(two, one)}; {verdict(two, one, TARGET_SCALING)}")
    print(
        f"  1 worker / decide_parquet:   {ratio(one, single)}; "
        f"{verdict(one, single, TARGET_ONE_WORKER)}"
    )
    ceiling = ratio("decide_parquet, 2 processes, no Dask", single)
    print(f"  2 processes / 1 process, no Dask: {ceiling} (what 2 workers could get in this run)")
    if args.threads:
        threads = ratio("decide_dask_parquet, 1 worker x 2 threads", one)
        print(f"  1 worker x 2 threads / 1 x 1: {threads}")
    print(
        "  load average (1, 5, 15 min) before "
        + ", ".join(f"{load:.2f}" for load in load_before)
        + "; after "
        + ", ".join(f"{load:.2f}" for load in load_after)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
