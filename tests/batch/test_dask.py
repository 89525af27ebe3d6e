"""`decide_dask` on a two-worker local cluster gives exactly the single-process result."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator
from decimal import Decimal

import dask.dataframe as dd
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from distributed import Client, LocalCluster

from crmculture import Directive, F, Fact, Policy, Rule, Schema, UnknownDepartmentError
from crmculture.batch import FrameError, decide_frame
from crmculture.dask import ERROR_COLUMN, decide_dask, parquet_schema


def policy() -> Policy:
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
    return Policy("dask", schema, directives, rules, departments=["sales"])


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
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as connected,
    ):
        yield connected


def test_two_workers_give_the_single_process_result(client: Client) -> None:
    """Same values, rules, index and order as `decide_frame` on the same data in one process
    (Dask stores the ids as its own string type, hence `compute()` for the reference)."""
    frame = dd.from_pandas(customers(3000), npartitions=6)
    expected = decide_frame(policy(), frame.compute(), passthrough=["customer_id"])
    lazy = decide_dask(policy(), frame, passthrough=["customer_id"])
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
        passthrough=["customer_id"],
    )
    schema = parquet_schema(policy(), pa.schema([("customer_id", pa.string())]), on_error="report")
    lazy.to_parquet(tmp_path / "decided", schema=schema, write_index=False)
    written = pq.read_table(tmp_path / "decided")
    assert written.schema.equals(schema)
    report = decide_frame(policy(), frame, on_error="report", passthrough=["customer_id"])
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
