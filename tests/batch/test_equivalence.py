"""The law of the batch layer: `decide_frame` decides every row as the per-record evaluators do.

Generated policies (every directive type and combine strategy, optional facts, department
layers and scopes) decide generated customers, record by record with the compiled evaluator and
the reference interpreter, and as one frame (a typed Arrow table and a pandas frame of
``object`` columns): values, determining rules and errors agree row by row.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from crmculture import Policy
from crmculture.batch import FramePlan
from crmculture.testing import customers, departments_for, policies


@st.composite
def cases(draw: st.DrawFn) -> tuple[Policy, list[dict[str, Any]], str | None]:
    policy = draw(policies(max_rules=6))
    records = draw(st.lists(customers(policy), min_size=0, max_size=12))
    department = draw(departments_for(policy))
    return policy, records, department


@given(case=cases())
def test_arrow_table_rows_match_the_per_record_evaluators(
    case: tuple[Policy, list[dict[str, Any]], str | None], frames: SimpleNamespace
) -> None:
    """A typed Arrow table (as read from Parquet) is decided as its rows are."""
    policy, records, department = case
    frames.check_rows(policy, records, department, frames.arrow_table(policy.schema, records))


@given(case=cases(), data=st.data())
def test_sliced_arrow_table_rows_match_the_per_record_evaluators(
    case: tuple[Policy, list[dict[str, Any]], str | None],
    data: st.DataObject,
    frames: SimpleNamespace,
) -> None:
    """A slice of a table, whose arrays start at an offset into their buffers (bit-packed
    booleans and validity, decimal words), is decided as its rows are."""
    policy, records, department = case
    prefix = data.draw(st.lists(customers(policy), min_size=1, max_size=9), label="prefix")
    table = frames.arrow_table(policy.schema, prefix + records).slice(len(prefix))
    frames.check_rows(policy, records, department, table)


@given(case=cases())
def test_dictionary_encoded_rows_match_the_per_record_evaluators(
    case: tuple[Policy, list[dict[str, Any]], str | None], frames: SimpleNamespace
) -> None:
    """Enum columns dictionary-encoded (pandas categories, Parquet's ``read_dictionary``)
    are decided as their rows are."""
    policy, records, department = case
    table = frames.arrow_table(policy.schema, records)
    encoded = pa.table(
        {
            name: column.dictionary_encode() if pa.types.is_string(column.type) else column
            for name, column in zip(table.column_names, table.columns, strict=True)
        }
    )
    frames.check_rows(policy, records, department, encoded)


@given(case=cases())
def test_object_frame_rows_match_the_per_record_evaluators(
    case: tuple[Policy, list[dict[str, Any]], str | None], frames: SimpleNamespace
) -> None:
    """A pandas frame of ``object`` columns holding the records' own values is decided as
    its rows are."""
    policy, records, department = case
    frames.check_rows(policy, records, department, frames.object_frame(policy.schema, records))


_JUNK = [
    None,
    "zzz",
    10**9,
    -(10**9),
    1.5,
    True,
    math.inf,
    Decimal("NaN"),
    Decimal("0.001"),
    dt.datetime(2026, 1, 1, 12),
    dt.date(1900, 1, 1),
]


@st.composite
def spoiled(draw: st.DrawFn) -> tuple[Policy, list[dict[str, Any]]]:
    """Valid customers with some cells replaced by junk (wrong types, out of range, missing)."""
    policy = draw(policies(max_rules=3, layers=False))
    records = draw(st.lists(customers(policy), min_size=1, max_size=8))
    names = list(policy.schema.names)
    for record in records:
        for name in draw(st.lists(st.sampled_from(names), max_size=2, unique=True)):
            record[name] = draw(st.sampled_from(_JUNK))
    return policy, records


@given(case=spoiled())
def test_invalid_rows_get_every_problem_a_record_gets(
    case: tuple[Policy, list[dict[str, Any]]], frames: SimpleNamespace
) -> None:
    """A row is invalid exactly when its record is, with the same problems, in order."""
    policy, records = case
    frame = frames.object_frame(policy.schema, records)
    report = FramePlan(policy).decide(frame, on_error="report")
    invalid = report.errors[report.errors["error"] == "InvalidCustomer"]
    for row, record in enumerate(records):
        problems = [(p.path_text, p.message) for p in policy.schema.problems(record)[1]]
        mine = invalid.loc[invalid.index == row]
        assert list(zip(mine["path"], mine["message"], strict=True)) == problems, row
