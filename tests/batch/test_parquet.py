"""`decide_parquet`: every row, in order, batch by batch; errors to their own file."""

from __future__ import annotations

import pathlib
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crmculture.batch import ERRORS_SCHEMA, FrameError, decide_frame, decide_parquet
from crmculture.stories import acme_policy


def customers(count: int) -> pa.Table:
    tiers = ["bronze", "silver", "gold", "platinum"]
    return pa.table(
        {
            "customer_id": [f"c{n}" for n in range(count)],
            "credit_hold": [n % 11 == 0 for n in range(count)],
            "days_overdue": [(n * 13) % 100 for n in range(count)],
            "annual_volume": [n * 1000 for n in range(count)],
            "tier": [tiers[n % 4] for n in range(count)],
            "satisfaction": [None if n % 3 else float(n % 10) for n in range(count)],
        }
    )


def plain(column: pd.Series) -> list[Any]:
    """Values as Python objects: lists as tuples, missing as None."""
    return [
        tuple(v) if isinstance(v, tuple | list | np.ndarray) else None if pd.isna(v) else v
        for v in column.astype(object)
    ]


def test_every_row_in_order_across_batches(tmp_path: pathlib.Path) -> None:
    table = customers(1000)
    pq.write_table(table, tmp_path / "in.parquet", row_group_size=300)
    summary = decide_parquet(
        acme_policy(),
        tmp_path / "in.parquet",
        tmp_path / "out.parquet",
        "support",
        batch_size=128,
        keep=["customer_id"],
    )
    assert (summary.rows, summary.failed) == (1000, 0)
    written = pq.read_table(tmp_path / "out.parquet").to_pandas()
    expected = decide_frame(acme_policy(), table, "support", keep=["customer_id"])
    assert list(written["customer_id"]) == [f"c{n}" for n in range(1000)]
    for column in expected.columns:
        assert plain(written[column]) == plain(expected[column]), column


def test_bad_rows_are_reported_by_row_number(tmp_path: pathlib.Path) -> None:
    rows = customers(300).to_pylist()
    rows[5]["tier"] = "diamond"
    rows[250]["days_overdue"] = -1
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "in.parquet")
    summary = decide_parquet(
        acme_policy(),
        tmp_path / "in.parquet",
        tmp_path / "out.parquet",
        errors=tmp_path / "errors.parquet",
        on_error="report",
        batch_size=100,
        keep=["customer_id"],
    )
    assert (summary.rows, summary.failed) == (300, 2)
    errors = pq.read_table(tmp_path / "errors.parquet")
    assert errors.schema == ERRORS_SCHEMA
    assert errors.column("row").to_pylist() == [5, 250]
    assert errors.column("path").to_pylist() == ["customer.tier", "customer.days_overdue"]
    written = pq.read_table(tmp_path / "out.parquet")
    assert written.num_rows == 300
    assert written.column("route_to")[5].as_py() is None


def test_raise_leaves_no_decisions_file(tmp_path: pathlib.Path) -> None:
    rows = customers(50).to_pylist()
    rows[42]["tier"] = "diamond"
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "in.parquet")
    with pytest.raises(FrameError, match=r"1 of 50 rows could not be decided\n  - row 42"):
        decide_parquet(
            acme_policy(),
            tmp_path / "in.parquet",
            tmp_path / "out.parquet",
            batch_size=16,
            keep=["customer_id"],
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet"]


def test_report_needs_an_errors_file(tmp_path: pathlib.Path) -> None:
    with pytest.raises(ValueError, match="errors"):
        decide_parquet(acme_policy(), tmp_path / "a", tmp_path / "b", on_error="report")
