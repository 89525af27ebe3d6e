"""Helpers for the batch tests: frames built from customer records, values read back."""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from crmculture import (
    CrmCultureError,
    EvaluationError,
    Fact,
    Policy,
    ReferenceEvaluator,
    Schema,
)
from crmculture.batch import FramePlan, rule_column
from crmculture.batch.columns import decimal_places

_ARROW_TYPES = {
    "bool": pa.bool_(),
    "int": pa.int64(),
    "float": pa.float64(),
    "enum": pa.string(),
    "date": pa.date32(),
}


def arrow_type(fact: Fact, values: Sequence[Any]) -> pa.DataType:
    """The Arrow type a Parquet file would give the fact's column."""
    if fact.type == "decimal":
        places = max([decimal_places(v) for v in values if v is not None] or [0])
        return pa.decimal128(38, places)
    return _ARROW_TYPES[fact.type]


def arrow_table(schema: Schema, records: Sequence[dict[str, Any]]) -> pa.Table:
    """Records as a typed Arrow table, one column per fact (absent facts are nulls)."""
    columns = {}
    for fact in schema:
        values = [record.get(fact.name) for record in records]
        columns[fact.name] = pa.array(values, type=arrow_type(fact, values))
    return pa.table(columns)


def object_frame(schema: Schema, records: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """Records as a pandas frame of ``object`` columns holding exactly the records' values."""
    return pd.DataFrame(
        {
            fact.name: pd.Series([record.get(fact.name) for record in records], dtype=object)
            for fact in schema
        },
        index=pd.RangeIndex(len(records)),
    )


def py(value: Any) -> Any:
    """A cell of a decisions frame as a plain Python value (None when missing)."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def column_values(frame: pd.DataFrame, name: str) -> list[Any]:
    return [py(value) for value in frame[name].astype(object).tolist()]


def expected(evaluators: Any, record: dict[str, Any], department: str | None) -> Any:
    """The compiled evaluator's decision or error, after checking the reference agrees."""
    outcomes = []
    for evaluate in evaluators:
        try:
            outcomes.append(evaluate(record, department))
        except EvaluationError as error:
            outcomes.append(error)
    compiled, reference = outcomes
    if isinstance(compiled, EvaluationError):
        assert str(compiled) == str(reference)
    else:
        assert compiled == reference
    return compiled


def _snapshot(frame: Any) -> list[Any]:
    """The cells of a frame as Python values (to tell whether something wrote into it)."""
    if isinstance(frame, pd.DataFrame):
        return [[repr(cell) for cell in row] for row in frame.itertuples(index=True)]
    return [repr(row) for row in frame.to_pylist()]


def check_rows(
    policy: Policy,
    records: list[dict[str, Any]],
    department: str | None,
    frame: Any,
    as_of: dt.date | None = None,
) -> None:
    """Decide `frame` (built from `records`) and compare every row with both evaluators,
    all as of `as_of`."""
    evaluators = (
        functools.partial(policy.compile(), as_of=as_of),
        functools.partial(ReferenceEvaluator(policy), as_of=as_of),
    )
    outcomes = [expected(evaluators, record, department) for record in records]
    before = _snapshot(frame)
    report = FramePlan(policy, department, as_of=as_of).decide(frame, on_error="report")
    assert _snapshot(frame) == before, "decide_frame changed its input"
    decisions, errors = report.decisions, report.errors
    assert list(decisions.index) == list(range(len(records)))
    for row, outcome in enumerate(outcomes):
        for directive in policy.directives:
            name = directive.name
            value = py(decisions[name].iloc[row])
            rule = py(decisions[rule_column(name)].iloc[row])
            if isinstance(outcome, CrmCultureError):
                assert value is None
                assert rule is None
            else:
                assert value == outcome.directives[name], (row, name)
                assert type(value) is type(outcome.directives[name]), (row, name)
                assert rule == outcome.outcomes[name].rule, (row, name)
        if isinstance(outcome, CrmCultureError):
            mine = errors.loc[[row]]
            assert list(mine["error"]) == [type(outcome).__name__]
            assert list(mine["message"]) == [str(outcome)]
    failed_rows = {
        row for row, outcome in enumerate(outcomes) if isinstance(outcome, CrmCultureError)
    }
    assert set(errors.index) == failed_rows


@pytest.fixture(scope="session")
def frames() -> SimpleNamespace:
    """The helpers above, for test modules (``--import-mode=importlib`` cannot import them)."""
    return SimpleNamespace(
        arrow_table=arrow_table,
        object_frame=object_frame,
        py=py,
        column_values=column_values,
        check_rows=check_rows,
        expected=expected,
    )
