"""`decide_dask` and `decide_dask_parquet` on a two-worker local cluster give exactly the
single-process result; the plan travels once per worker."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator
from decimal import Decimal

import dask
import dask.dataframe as dd
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from distributed import Client, LocalCluster, get_task_stream

from crmculture import Directive, F, Fact, Policy, Rule, Schema, UnknownDepartmentError
from crmculture.batch import ERRORS_SCHEMA, FrameError, FramePlan, decide_frame, decide_parquet
from crmculture.batch.frames import PlanCacheInfo, shared_plan_info
from crmculture.dask import (
    ERROR_COLUMN,
    decide_dask,
    decide_dask_parquet,
    parquet_schema,
    shipped_plan,
)


def policy(version: str = "1") -> Policy:
    schema = Schema(
        [
            Fact.bool("credit_hold"),
            Fact.int("days_overdue", min=0),
            Fact.enum("tier", ["bronze", "silver", "gold"], better="higher"),
            Fact.decimal("balance", min=0, optional=True),
        ]
    )
    directives = [
        Directive.text("route_to", default="frontline"),
        Directive.enum("level", ["standard", "priority"], default="standard", combine="max"),
        Directive.decimal("fee", default=0, combine="sum"),
        Directive.text("notify", combine="collect"),
    ]
    rules = [
        Rule("hold", when=F.credit_hold | (F.days_overdue > 60), then={"route_to": "ar"}),
        Rule("gold", when=F.tier >= "gold", then={"level": "priority", "notify": "am"}),
        Rule("fee", when=F.balance > Decimal("100.5"), then={"fee": Decimal("2.5")}),
        Rule("late", when=F.days_overdue > 30, then={"fee": 1, "notify": "ar"}),
    ]
    return Policy("dask", schema, directives, rules, version=version, departments=["sales"])


def customers(count: int) -> pd.DataFrame:
    """Customers with the balance as an Arrow decimal: Dask turns ``object`` columns (of
    Decimals) into strings, which the schema rightly rejects."""
    tiers = ["bronze", "silver", "gold"]
    frame = pd.DataFrame(
        {
            "customer_id": [f"c{n}" for n in range(count)],
            "credit_hold": [n % 17 == 0 for n in range(count)],
            "days_overdue": [(n * 7) % 90 for n in range(count)],
            "tier": [tiers[n % 3] for n in range(count)],
            "balance": [None if n % 5 == 0 else Decimal(n % 300) / 2 for n in range(count)],
        },
        index=pd.RangeIndex(1000, 1000 + count),
    )
    return frame.astype({"balance": pd.ArrowDtype(pa.decimal128(10, 1))})


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    """Two worker processes, one thread each; no dashboard (its port may be taken)."""
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as connected,
    ):
        yield connected


def test_two_workers_give_the_single_process_result(client: Client) -> None:
    """Same values, rules, index and order as `decide_frame` on the same data in one process
    (Dask stores the ids as its own string type, hence `compute()` for the reference)."""
    frame = dd.from_pandas(customers(3000), npartitions=6)
    expected = decide_frame(policy(), frame.compute(), keep=["customer_id"])
    lazy = decide_dask(policy(), frame, keep=["customer_id"])
    assert lazy.npartitions == 6
    result = client.compute(lazy).result()
    pd.testing.assert_frame_equal(result, expected)
    assert list(result.index) == list(range(1000, 4000))


def test_bad_rows_raise_on_compute(client: Client) -> None:
    frame = customers(100)
    frame.loc[1042, "tier"] = "diamond"
    lazy = decide_dask(policy(), dd.from_pandas(frame.drop(columns="customer_id"), npartitions=4))
    with pytest.raises(FrameError, match="row 1042: invalid customer at index 1042"):
        client.compute(lazy).result()


def test_report_mode_adds_the_error_column(client: Client) -> None:
    frame = customers(100).drop(columns="customer_id")
    frame.loc[1042, "tier"] = "diamond"
    lazy = decide_dask(policy(), dd.from_pandas(frame, npartitions=4), on_error="report")
    result = client.compute(lazy).result()
    failed = result[result[ERROR_COLUMN].notna()]
    assert list(failed.index) == [1042]
    assert failed.loc[1042, ERROR_COLUMN].startswith("invalid customer at index 1042")
    expected = decide_frame(policy(), frame, on_error="report").decisions
    pd.testing.assert_frame_equal(result.drop(columns=ERROR_COLUMN), expected)


def test_unknown_department_fails_at_once() -> None:
    with pytest.raises(UnknownDepartmentError):
        decide_dask(policy(), dd.from_pandas(customers(3), npartitions=1), "billing")


def test_parquet_in_and_out_with_the_parquet_schema(client: Client, tmp_path: pathlib.Path) -> None:
    """Read Parquet, decide, write Parquet on the cluster: decimals, `collect` lists and the
    error column are written with their types and read back as `decide_frame` decides."""
    frame = customers(500)
    frame.loc[1007, "days_overdue"] = -1
    frame.to_parquet(tmp_path / "customers.parquet")
    lazy = decide_dask(
        policy(),
        dd.read_parquet(tmp_path / "customers.parquet"),
        on_error="report",
        keep=["customer_id"],
    )
    schema = parquet_schema(policy(), pa.schema([("customer_id", pa.string())]), on_error="report")
    lazy.to_parquet(tmp_path / "decided", schema=schema, write_index=False)
    written = pq.read_table(tmp_path / "decided")
    assert written.schema.equals(schema)
    report = decide_frame(policy(), frame, on_error="report", keep=["customer_id"])
    expected = report.decisions
    assert written.column("customer_id").to_pylist() == frame["customer_id"].tolist()
    assert written.column("fee").to_pylist() == [
        None if pd.isna(fee) else fee for fee in expected["fee"]
    ]
    assert written.column("notify").to_pylist() == [
        None if notify is None else list(notify) for notify in expected["notify"]
    ]
    errors = written.column(ERROR_COLUMN).to_pylist()
    assert [n for n, error in enumerate(errors) if error is not None] == [7]


def test_the_graph_holds_the_plan_once() -> None:
    """Every task depends on one plan node instead of embedding a pickled plan."""
    lazy = decide_dask(policy(), dd.from_pandas(customers(100), npartitions=5))
    graph = dict(lazy.__dask_graph__())
    plans = [
        key for key, node in graph.items() if isinstance(getattr(node, "value", None), FramePlan)
    ]
    assert len(plans) == 1
    decide_keys = [key for key in graph if "decide_partition" in str(key)]
    assert len(decide_keys) == 5
    assert all(plans[0] in graph[key].dependencies for key in decide_keys)
    assert shipped_plan(policy(), "sales").key == shipped_plan(policy(), "sales").key
    assert shipped_plan(policy(), "sales").key != shipped_plan(policy(), None).key


def _infos(client: Client) -> dict[str, PlanCacheInfo]:
    return {worker: PlanCacheInfo(*info) for worker, info in client.run(shared_plan_info).items()}


def test_each_worker_receives_the_plan_once(client: Client, tmp_path: pathlib.Path) -> None:
    """Twelve tasks over two workers: each worker prepares a new policy's plan once, and
    unpickles it at most twice (it may drop its copy between tasks and fetch it again)."""
    fresh = policy(version=str(tmp_path))  # a fingerprint no worker has seen
    before = _infos(client)
    frame = dd.from_pandas(customers(1200), npartitions=12)
    lazy = decide_dask(fresh, frame, keep=["customer_id"])
    assert len(client.compute(lazy).result()) == 1200
    after = _infos(client)
    prepared = {w: after[w].prepared - before[w].prepared for w in after}
    received = {w: prepared[w] + after[w].hits - before[w].hits for w in after}
    assert set(prepared.values()) <= {0, 1}
    assert sum(prepared.values()) >= 1
    assert all(count <= 2 for count in received.values()), received


def _files(
    tmp_path: pathlib.Path, counts: list[int], *, bad: bool = True
) -> tuple[pd.DataFrame, list[pathlib.Path]]:
    """Customers written to one file per count, in row groups of 40 rows (Arrow types as
    Parquet gives them), with rows 7 and 203 bad if `bad`; all of them in one frame, rows
    numbered from 0."""
    frame = customers(sum(counts)).reset_index(drop=True)
    if bad:
        frame.loc[7, "days_overdue"] = -1
        frame.loc[203, "tier"] = "diamond"
    paths = []
    start = 0
    for number, count in enumerate(counts):
        path = tmp_path / "customers" / f"part-{number}.parquet"
        path.parent.mkdir(exist_ok=True)
        table = pa.Table.from_pandas(frame.iloc[start : start + count], preserve_index=False)
        pq.write_table(table, path, row_group_size=40)
        paths.append(path)
        start += count
    return frame, paths


def test_parquet_to_parquet_is_decide_parquet(client: Client, tmp_path: pathlib.Path) -> None:
    """Three files, pieces of two row groups: the parts, read back in order, are the table
    `decide_parquet` writes for all the rows in one file, and so are the errors."""
    frame, _ = _files(tmp_path, [100, 150, 0, 50])
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp_path / "all.parquet")
    expected = decide_parquet(
        policy(),
        tmp_path / "all.parquet",
        tmp_path / "expected.parquet",
        "sales",
        errors=tmp_path / "expected-errors.parquet",
        on_error="report",
        keep=["customer_id"],
    )
    summary = decide_dask_parquet(
        policy(),
        tmp_path / "customers",
        tmp_path / "decided",
        "sales",
        errors=tmp_path / "errors.parquet",
        on_error="report",
        keep=["customer_id"],
        partition_rows=80,
        batch_size=32,
    )
    assert summary == expected
    assert (summary.rows, summary.failed) == (300, 2)
    parts = sorted(path.name for path in (tmp_path / "decided").iterdir())
    # 100 rows: 80 + 20; 150: 80 + 70; none; 50.
    assert parts == [f"part.{n:05d}.parquet" for n in range(6)]
    assert pq.read_table(tmp_path / "decided").equals(pq.read_table(tmp_path / "expected.parquet"))
    errors = pq.read_table(tmp_path / "errors.parquet")
    assert errors.equals(pq.read_table(tmp_path / "expected-errors.parquet"))
    assert errors.column("row").to_pylist() == [7, 203]
    assert not list(tmp_path.glob("decided.partial-*"))


def test_parquet_tasks_spread_over_the_workers(client: Client, tmp_path: pathlib.Path) -> None:
    """Two pieces, two workers: one piece each, although the plan they depend on is computed
    on one worker (the tasks are marked as producing data, as Dask's readers are)."""
    _, paths = _files(tmp_path, [100, 100], bad=False)
    with get_task_stream(client) as stream:
        decide_dask_parquet(policy(), paths, tmp_path / "decided", keep=["customer_id"])
    workers = [task["worker"] for task in stream.data if "decide-parquet" in str(task["key"])]
    assert len(workers) == 2
    assert len(set(workers)) == 2


def test_parquet_bad_rows_raise_and_leave_nothing(client: Client, tmp_path: pathlib.Path) -> None:
    _, paths = _files(tmp_path, [100, 150])
    with pytest.raises(FrameError) as caught:
        decide_dask_parquet(policy(), paths, tmp_path / "decided", keep=["customer_id"])
    error = caught.value
    assert error.labels == (7, 203)
    assert error.rows == 250
    assert list(error.errors.index) == [7, 203]
    assert "row 203: invalid customer at index 203" in str(error)
    assert not (tmp_path / "decided").exists()
    assert not list(tmp_path.glob("decided.partial-*"))


def test_parquet_destination_and_arguments(tmp_path: pathlib.Path) -> None:
    """On the synchronous scheduler: an existing destination is kept unless `overwrite`; bad
    arguments fail before any work."""
    frame = customers(30).drop(columns="customer_id").reset_index(drop=True)
    source = tmp_path / "in.parquet"
    frame.to_parquet(source, index=False)
    target = tmp_path / "out"
    target.mkdir()
    (target / "old.parquet").write_bytes(b"")
    with pytest.raises(FileExistsError):
        decide_dask_parquet(policy(), source, target)
    with dask.config.set(scheduler="sync"):
        summary = decide_dask_parquet(policy(), source, target, overwrite=True)
    assert (summary.rows, summary.failed) == (30, 0)
    assert sorted(path.name for path in target.iterdir()) == ["part.00000.parquet"]
    expected = decide_frame(policy(), frame)
    assert pq.read_table(target).column("route_to").to_pylist() == list(expected["route_to"])
    with pytest.raises(UnknownDepartmentError):
        decide_dask_parquet(policy(), source, tmp_path / "x", "billing")
    with pytest.raises(ValueError, match="needs an `errors` path"):
        decide_dask_parquet(policy(), source, tmp_path / "x", on_error="report")
    with pytest.raises(ValueError, match="kept column `customer_id` is not in"):
        decide_dask_parquet(policy(), source, tmp_path / "x", keep=["customer_id"])
    with pytest.raises(ValueError, match="partition_rows must be at least 1"):
        decide_dask_parquet(policy(), source, tmp_path / "x", partition_rows=0)
    with pytest.raises(ValueError, match="no Parquet files"):
        decide_dask_parquet(policy(), [], tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_parquet_kept_column_types_must_agree(tmp_path: pathlib.Path) -> None:
    frame = customers(10).reset_index(drop=True)
    frame.to_parquet(tmp_path / "a.parquet", index=False)
    frame.assign(customer_id=range(10)).to_parquet(tmp_path / "b.parquet", index=False)
    with pytest.raises(ValueError, match="other types"):
        decide_dask_parquet(
            policy(),
            [tmp_path / "a.parquet", tmp_path / "b.parquet"],
            tmp_path / "out",
            keep=["customer_id"],
        )


def test_parquet_errors_file_is_written_empty(tmp_path: pathlib.Path) -> None:
    frame = customers(20).reset_index(drop=True)
    frame.to_parquet(tmp_path / "in.parquet", index=False)
    summary = decide_dask_parquet(
        policy(),
        tmp_path / "in.parquet",
        tmp_path / "out",
        errors=tmp_path / "errors.parquet",
        keep=["customer_id"],
    )
    assert summary.failed == 0
    errors = pq.read_table(tmp_path / "errors.parquet")
    assert errors.num_rows == 0
    assert errors.schema.equals(ERRORS_SCHEMA)
