"""Org metrics weighed by a customer base held in a frame, column by column.

`frame_customer_metrics` is `crmculture.analysis.org_metrics.customer_metrics` for a pandas
DataFrame or an Arrow table: the segments of the org analysis are conditions over facts, so
each becomes one boolean mask over the customers' columns (each distinct atom evaluated
once), and a case's weight is the number (or the summed volume) of the rows in its mask.
The result is the same, exactly: the segments of a (door, request) pair partition the
customers, which the function checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, assert_never

import numpy as np

from crmculture.analysis.org_metrics import (
    CustomerMetrics,
    OrgReport,
    _case_groups,
    weighed_metrics,
)
from crmculture.batch.columns import FactColumn, cells, decimal_places, read_fact
from crmculture.batch.frames import Frame, _Input, _records
from crmculture.batch.plan import Conditions
from crmculture.culture import Culture
from crmculture.errors import InvalidCustomer, OrgError, Problem
from crmculture.model.conditions import (
    And,
    Between,
    Compare,
    Condition,
    Const,
    In,
    Missing,
    Not,
    Or,
)
from crmculture.model.facts import Schema
from crmculture.model.values import NO_DEFAULT

__all__ = ["frame_customer_metrics"]


def _constants(schema: Schema, conditions: Sequence[Condition]) -> dict[str, list[Any]]:
    """Per fact, its default and every constant the conditions compare it with."""
    found: dict[str, list[Any]] = {
        fact.name: [] if fact.default is NO_DEFAULT else [fact.default] for fact in schema
    }
    for condition in conditions:
        for node in condition.walk():
            if isinstance(node, Compare):
                found[node.fact].append(node.value)
            elif isinstance(node, In):
                found[node.fact].extend(node.values)
            elif isinstance(node, Between):
                found[node.fact].extend((node.low, node.high))
            elif isinstance(node, Missing | Const | And | Or | Not):
                continue
            else:
                assert_never(node)
    return found


def _scale(schema: Schema, name: str, compared: Sequence[Any]) -> int:
    fact = schema[name]
    if fact.type != "decimal":
        return 0
    return max(
        [
            decimal_places(value)
            for value in [fact.min, fact.max, *compared]
            if isinstance(value, Decimal | int) and not isinstance(value, bool)
        ]
        or [0]
    )


def _first_invalid(schema: Schema, source: _Input, row: int, names: list[str]) -> InvalidCustomer:
    (record,) = _records(source, [row], names)
    _, problems = schema.problems(record)
    return InvalidCustomer(f"invalid customer at index {row}", problems, index=row)


def frame_customer_metrics(
    culture: Culture,
    report: OrgReport,
    frame: Frame,
    *,
    volume: str | None = None,
    door: str | None = None,
    request: str | None = None,
) -> CustomerMetrics:
    """`crmculture.analysis.org_metrics.customer_metrics` for a frame of customers.

    Args:
        culture: The culture `report` analysed.
        report: Its org analysis.
        frame: The customers: a pandas DataFrame or an Arrow table, one row a customer, a
            column a fact (plus the columns named below).
        volume: The column holding each customer's number of requests (whole numbers).
        door: The column holding the department each customer contacts first.
        request: The column holding each customer's request type.

    Raises:
        InvalidCustomer: for the first row that is not a valid customer (its position in
            ``index``, every problem); nothing is counted.
        OrgError: for a door or request a row names that the report does not cover.
        ValueError: for a column named by `volume`, `door` or `request` that the frame lacks.

    Examples:
        >>> import pandas as pd
        >>> from crmculture.analysis.org_metrics import analyze_org
        >>> from crmculture.stories import acme_culture
        >>> culture = acme_culture()
        >>> report = analyze_org(culture, doors=["sales"], requests=["replacement_part"])
        >>> frame = pd.DataFrame({"credit_hold": False, "days_overdue": [0, 0, 5, 90],
        ...                       "annual_volume": 0, "tier": "gold"})
        >>> weighed = frame_customer_metrics(culture, report, frame)
        >>> weighed.total.cases, weighed.total.resolved, weighed.total.referred
        (4, 3, 1)
    """
    schema = culture.policy.schema
    source = _Input(frame)
    length = source.length
    named = {"volume": volume, "door": door, "request": request}
    extra = [key for key in named.values() if key is not None]
    for what, key in named.items():
        if key is not None and key not in source.names:
            raise ValueError(f"the {what} column `{key}` is not in the frame")
    segments = [case.segment for case in report.cases]
    compared = _constants(schema, segments)
    columns: dict[str, FactColumn] = {
        fact.name: read_fact(
            fact,
            source.source(fact.name) if fact.name in source.names else None,
            length,
            _scale(schema, fact.name, compared[fact.name]),
            compared[fact.name],
        )
        for fact in schema
    }
    facts = [name for name in source.names if name not in extra]
    invalid = np.zeros(length, dtype=np.bool_)
    for column in columns.values():
        if column.bad is not None:
            invalid |= column.bad
    if any(name not in schema for name in facts):
        invalid[:] = True
    weights = np.ones(length, dtype=np.int64)
    if volume is not None:
        raw = cells(source.source(volume), list(range(length)))
        for row, value in enumerate(raw):
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
                raise InvalidCustomer(
                    f"invalid customer at index {row}",
                    [
                        Problem(
                            ("customer", volume),
                            f"a volume is a whole number of at least 0: `{value!r}`",
                        )
                    ],
                    index=row,
                )
        weights = np.asarray(raw, dtype=np.int64)
    if invalid.any():
        raise _first_invalid(schema, source, int(np.flatnonzero(invalid)[0]), facts)
    groups = _case_groups(report)
    doors = (
        np.asarray(cells(source.source(door), list(range(length))), dtype=object) if door else None
    )
    asked = (
        np.asarray(cells(source.source(request), list(range(length))), dtype=object)
        if request
        else None
    )
    for key, values, known in (
        (door, doors, {d for d, _ in groups}),
        (request, asked, {r for _, r in groups}),
    ):
        if values is None:
            continue
        for row, value in enumerate(values):
            if value not in known:
                raise OrgError(
                    "cannot weigh the customers",
                    [Problem(("customers", row, str(key)), f"the report has no `{value}`", value)],
                )
    masks = Conditions(columns, length)
    case_weights = [0] * len(report.cases)
    everyone = np.ones(length, dtype=np.bool_)
    for (at, name), positions in groups.items():
        wanted = everyone
        if doors is not None:
            wanted = wanted & (doors == at)
        if asked is not None:
            wanted = wanted & (asked == name)
        if not wanted.any():
            continue
        covered = np.zeros(length, dtype=np.int64)
        for position in positions:
            mask = masks(segments[position]) & wanted
            covered += mask
            case_weights[position] = int(weights[mask].sum())
        # INVARIANT: the segments of a (door, request) pair partition the customers.
        if not np.array_equal(covered, wanted.astype(np.int64)):  # pragma: no cover
            raise AssertionError(f"segments of `{name}` from `{at}` do not partition the rows")
    return weighed_metrics(report, case_weights, length)
