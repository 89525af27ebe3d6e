"""Throughput of columnar decisions (`decide_frame`, Dask) against the per-record evaluator.

The 24-rule benchmark policy of ``benchmarks/evaluator.py`` decides 1,000,000 generated
customers (seeded, the same generator). Measured, each as the median of ``--repeats`` runs, with the
garbage collector on as in ``benchmarks/evaluator.py`` (the per-record evaluator is also timed
with it off, as `timeit` would: it then runs much faster, since it keeps 100,000 decisions):

- ``per-record``: ``policy.compile()`` called on each customer dict, on a sample of
  ``--sample`` customers (100,000 by default) and scaled to rows per second: deciding all of
  them record by record would take minutes and tells nothing more;
- ``decide_frame`` on the customers as an Arrow table (as read from Parquet), on one core (the
  CPU time it uses per second of wall time is printed: 1.00 is one core);
- ``decide_frame`` on the same table with its enum columns dictionary-encoded (as
  `decide_parquet` reads them, and as pandas categories arrive);
- ``decide_frame`` on the same customers as a pandas frame (``Table.to_pandas()`` types with a
  nullable int; decimals as ``Decimal`` objects, which cost a conversion);
- ``decide_dask`` on a ``distributed.LocalCluster`` with 1 and with 2 worker processes (one
  thread each), the input persisted on the workers first; the time is from submitting to the
  decisions being held by the workers (``persist`` + ``wait``), without bringing them back
  (``benchmarks/dask_scaling.py`` measures Dask from Parquet to Parquet on 10,000,000 rows).

Before timing, `decide_frame` is checked against the per-record evaluator on the sample
(every value and determining rule). Peak memory: a child process builds the table, resets the
kernel's high-water mark (``/proc/self/clear_refs``), runs `decide_frame` once and reads
``VmHWM``; the increase over the resident size before the call is printed relative to the
table's size (``Table.nbytes``). Run with ``python benchmarks/batch.py [--customers N]``.
The machine may be shared: the medians damp, but do not remove, the noise.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import pandas as pd
import pyarrow as pa

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from evaluator import benchmark_policy, customers

from crmculture import Policy
from crmculture.batch import FramePlan, rule_column


def customer_table(policy: Policy, count: int) -> pa.Table:
    """The benchmark's customers as an Arrow table with the types a Parquet file would have."""
    people = customers(count)
    types = {
        "bool": pa.bool_(),
        "int": pa.int64(),
        "float": pa.float64(),
        "decimal": pa.decimal128(18, 2),
        "enum": pa.string(),
    }
    return pa.table(
        {
            fact.name: pa.array([person[fact.name] for person in people], type=types[fact.type])
            for fact in policy.schema
        }
    )


def timed(run: Callable[[], object], repeats: int, *, collect: bool = True) -> float:
    """The median time of `run`; with ``collect=False`` the garbage collector is off while
    timing (as `timeit` does)."""
    timings = []
    for _ in range(repeats):
        gc.collect()
        if not collect:
            gc.disable()
        try:
            start = time.perf_counter()
            run()
            timings.append(time.perf_counter() - start)
        finally:
            gc.enable()
    return statistics.median(timings)


def check(policy: Policy, table: pa.Table, sample: list[dict[str, Any]]) -> None:
    decided = FramePlan(policy).decide(table.slice(0, len(sample)))
    compiled = policy.compile()
    for row, person in enumerate(sample):
        decision = compiled(person)
        for directive in policy.directives:
            name = directive.name
            value = decided[name].iloc[row]
            rule = decided[rule_column(name)].iloc[row]
            expected_rule = decision.outcomes[name].rule
            if value != decision.directives[name] or (
                (None if pd.isna(rule) else rule) != expected_rule
            ):
                raise SystemExit(f"DISAGREE on row {row}, directive {name}")


def peak_memory(count: int) -> dict[str, float]:
    """Run `decide_frame` once in a child process and report its memory high-water mark."""
    script = f"""
import gc, json, sys
sys.path.insert(0, {str(pathlib.Path(__file__).parent)!r})
from batch import benchmark_policy, customer_table
from crmculture.batch import FramePlan

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024

policy = benchmark_policy()
table = customer_table(policy, {count})
plan = FramePlan(policy)
plan.decide(table.slice(0, 1000))
gc.collect()
with open("/proc/self/clear_refs", "w") as handle:
    handle.write("5")
before = status("VmRSS:")
decisions = plan.decide(table)
peak = status("VmHWM:")
print(json.dumps({{"input": table.nbytes, "before": before, "peak": peak,
                   "output": int(decisions.memory_usage(deep=True).sum())}}))
"""
    output = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    ).stdout
    result: dict[str, float] = json.loads(output)
    return result


def dask_rates(frame: pd.DataFrame, policy: Policy, repeats: int) -> dict[int, float]:
    import dask.dataframe as dd
    from distributed import Client, LocalCluster, wait

    # "Sending large graph": the input is shipped once, before timing; "port in use": the
    # dashboard of a cluster someone else runs.
    warnings.filterwarnings("ignore", category=UserWarning, module="distributed")

    from crmculture.dask import decide_dask

    rates = {}
    for workers in (1, 2):
        with (
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            ) as cluster,
            Client(cluster) as client,
        ):
            lazy = dd.from_pandas(frame, npartitions=8).persist()
            wait(lazy)

            def run(lazy: Any = lazy, client: Any = client) -> None:
                result = client.persist(decide_dask(policy, lazy))
                wait(result)
                del result

            run()  # warm up: workers import crmculture and prepare the plan
            rates[workers] = len(frame) / timed(run, repeats)
    return rates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args(argv)

    policy = benchmark_policy()
    print(f"generating {args.customers:,} customers ...", flush=True)
    table = customer_table(policy, args.customers)
    sample = customers(min(args.sample, args.customers))
    check(policy, table, sample)
    print(f"decide_frame agrees with the per-record evaluator on {len(sample):,} customers")

    compiled = policy.compile()
    per_record = len(sample) / timed(lambda: [compiled(p) for p in sample], args.repeats)
    per_record_no_gc = len(sample) / timed(
        lambda: [compiled(p) for p in sample], args.repeats, collect=False
    )
    plan = FramePlan(policy)
    plan.decide(table.slice(0, 1000))
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    arrow_time = timed(lambda: plan.decide(table), args.repeats)
    cpu_share = (time.process_time() - cpu_start) / (time.perf_counter() - wall_start)
    arrow_time_no_gc = timed(lambda: plan.decide(table), args.repeats, collect=False)
    encoded = pa.table(
        {
            name: column.dictionary_encode() if pa.types.is_string(column.type) else column
            for name, column in zip(table.column_names, table.columns, strict=True)
        }
    )
    encoded_time = timed(lambda: plan.decide(encoded), args.repeats)
    frame = table.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
    pandas_time = timed(lambda: plan.decide(frame), args.repeats)
    rows = table.num_rows
    print(
        f"\n{len(policy.effective_rules)} rules, {len(policy.schema)} facts, {rows:,} customers, "
        f"median of {args.repeats}"
    )
    print(
        f"  per-record compiled  {per_record:>12,.0f} rows/s  "
        f"(on {len(sample):,} customers, scaled)"
    )
    print(
        f"  decide_frame, Arrow  {rows / arrow_time:>12,.0f} rows/s  "
        f"({arrow_time:.2f} s for {rows:,}; target < 3 s per 1M)"
    )
    print(f"  (decide_frame: {cpu_share:.2f} s of CPU time per second of wall time)")
    print(
        f"  decide_frame, Arrow, enums dictionary-encoded {rows / encoded_time:>12,.0f} rows/s  "
        f"({encoded_time:.2f} s; as decide_parquet reads them)"
    )
    print(
        f"  decide_frame, pandas {rows / pandas_time:>12,.0f} rows/s  "
        f"({pandas_time:.2f} s; Decimal objects converted)"
    )
    print(f"  ratio Arrow / per-record:  {rows / arrow_time / per_record:.1f}x (target >= 20x)")
    print(
        f"  without the garbage collector: per-record {per_record_no_gc:,.0f} rows/s, "
        f"decide_frame {rows / arrow_time_no_gc:,.0f} rows/s, "
        f"ratio {rows / arrow_time_no_gc / per_record_no_gc:.1f}x"
    )
    print(f"  ratio pandas / per-record: {rows / pandas_time / per_record:.1f}x")

    if os.path.exists("/proc/self/clear_refs"):
        memory = peak_memory(args.customers)
        extra = memory["peak"] - memory["before"]
        print(
            f"\npeak memory of decide_frame: {extra / 2**20:,.0f} MiB above the "
            f"{memory['before'] / 2**20:,.0f} MiB resident before the call, "
            f"{extra / memory['input']:.1f}x the input table ({memory['input'] / 2**20:,.0f} "
            f"MiB); the decisions frame holds {memory['output'] / 2**20:,.0f} MiB "
            "(method: VmHWM after clear_refs, child process)"
        )

    if not args.no_dask:
        dask_frame = table.to_pandas(types_mapper=pd.ArrowDtype)
        rates = dask_rates(dask_frame, policy, max(1, args.repeats // 2))
        print("\nDask, LocalCluster, 8 partitions, input persisted, results kept on the workers")
        for workers, rate in rates.items():
            print(f"  {workers} worker{'s' if workers > 1 else ' '}  {rate:>12,.0f} rows/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
