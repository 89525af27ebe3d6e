"""Invalid customer records with known faults, for testing that every fault is reported.

`invalid_customers` plants faults in a valid record and says which: a test then asserts that
the library names each one (`crmculture.InvalidCustomer` lists every problem at once).

Examples:
    >>> from hypothesis import given, settings
    >>> from crmculture import InvalidCustomer
    >>> from crmculture.stories import acme_schema
    >>> schema = acme_schema()
    >>> @settings(max_examples=20)
    ... @given(invalid_customers(schema))
    ... def test_every_fault_is_named(case):
    ...     record, faults = case
    ...     try:
    ...         schema.validate(record)
    ...     except InvalidCustomer as error:
    ...         assert set(error.facts) == {fault.fact for fault in faults}
    ...     else:
    ...         raise AssertionError("accepted an invalid record")
    >>> test_every_fault_is_named()
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Final, Literal, TypeAlias

import attrs
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from crmculture.model.facts import Fact, Schema
from crmculture.testing.strategies import customers

__all__ = ["FAULT_KINDS", "Fault", "FaultKind", "invalid_customers"]

FaultKind: TypeAlias = Literal[
    "wrong_type", "out_of_domain", "not_finite", "missing_required", "unknown_fact"
]
"""What is wrong with one fact of a record."""

FAULT_KINDS: Final[tuple[FaultKind, ...]] = (
    "wrong_type",
    "out_of_domain",
    "not_finite",
    "missing_required",
    "unknown_fact",
)
"""Every kind of fault `invalid_customers` plants."""

# Values of the wrong type for each fact type (a bool is not an int here, nor a float a
# Decimal, nor a datetime a date), and values of no fact's type at all.
_ANY_WRONG: tuple[Any, ...] = (object(), [1], {"a": 1}, b"bytes", complex(1, 2))
_WRONG: dict[str, tuple[Any, ...]] = {
    "bool": (1, "true", 0.0),
    "int": (True, "1", 1.5, Decimal(1)),
    "float": (True, "1.5", Decimal("1.5")),
    "decimal": (True, 1.5, "1.5"),
    "enum": (1, True, ("bronze",)),
    "date": (dt.datetime(2026, 1, 1), "2026-01-01", 20260101),
}
_NOT_FINITE: dict[str, tuple[Any, ...]] = {
    # A float NaN is not here: it is how frames write a missing value, and counts as missing.
    "float": (float("inf"), float("-inf")),
    "decimal": (Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")),
}
_UNKNOWN_NAMES: tuple[str, ...] = ("zz_extra", "yy_other", "xx_unknown")


@attrs.frozen
class Fault:
    """A fault planted in a customer record.

    Attributes:
        fact: The fact whose value is wrong, or the unknown name that was added.
        kind: ``wrong_type``, ``out_of_domain`` (below the minimum, above the maximum, not an
            allowed enum value), ``not_finite`` (an infinity, or a decimal NaN),
            ``missing_required`` (left out or None) or ``unknown_fact`` (a name the schema
            does not have).
        value: The planted value (None for a missing fact).
    """

    fact: str
    kind: FaultKind
    value: Any = attrs.field(default=None, eq=False)

    @property
    def path(self) -> tuple[str, str]:
        """The path `crmculture.Problem` gives the fault: ``("customer", fact)``."""
        return ("customer", self.fact)


def _out_of_domain(fact: Fact) -> list[Any]:
    """Values of the fact's type outside its domain."""
    if fact.type == "enum":
        return ["zz_not_allowed"]
    found: list[Any] = []
    if fact.type == "date":
        day = dt.timedelta(days=1)
        if fact.min is not None and fact.min > dt.date.min:
            found.append(fact.min - day)
        if fact.max is not None and fact.max < dt.date.max:
            found.append(fact.max + day)
        return found
    step: Any = {"int": 1, "float": 0.5, "decimal": Decimal("0.01")}.get(fact.type)
    if step is None:
        return []
    if fact.min is not None:
        found.append(fact.min - step)
    if fact.max is not None:
        found.append(fact.max + step)
    return found


def _kinds(fact: Fact) -> list[FaultKind]:
    kinds: list[FaultKind] = ["wrong_type"]
    if _out_of_domain(fact):
        kinds.append("out_of_domain")
    if fact.type in _NOT_FINITE:
        kinds.append("not_finite")
    if not fact.optional:
        kinds.append("missing_required")
    return kinds


@st.composite
def _invalid(
    draw: st.DrawFn, schema: Schema, min_faults: int, max_faults: int
) -> tuple[dict[str, Any], tuple[Fault, ...]]:
    record = dict(draw(customers(schema)))
    unknown = [name for name in _UNKNOWN_NAMES if name not in schema]
    # Each slot is a fact of the schema or an unknown name; each takes at most one fault.
    slots = [*schema.names, *unknown]
    count = draw(st.integers(min(min_faults, len(slots)), min(max_faults, len(slots))))
    chosen = draw(st.lists(st.sampled_from(slots), min_size=count, max_size=count, unique=True))
    faults: list[Fault] = []
    for name in chosen:
        if name not in schema:
            value = draw(st.sampled_from([1, "x", None, True]))
            record[name] = value
            faults.append(Fault(name, "unknown_fact", value))
            continue
        fact = schema[name]
        kind = draw(st.sampled_from(_kinds(fact)))
        if kind == "missing_required":
            if draw(st.booleans()):
                record.pop(name, None)
            else:
                record[name] = None
            faults.append(Fault(name, kind))
            continue
        if kind == "wrong_type":
            value = draw(st.sampled_from(_WRONG[fact.type] + _ANY_WRONG))
        elif kind == "out_of_domain":
            value = draw(st.sampled_from(_out_of_domain(fact)))
        else:
            value = draw(st.sampled_from(_NOT_FINITE[fact.type]))
        record[name] = value
        faults.append(Fault(name, kind, value))
    # Report order: schema order, then unknown names in record order (as
    # `Schema.validate` reports them).
    names = [*schema.names, *(key for key in record if key not in schema)]
    order = {name: position for position, name in enumerate(names)}
    return record, tuple(sorted(faults, key=lambda fault: order[fault.fact]))


def invalid_customers(
    schema: Schema, *, min_faults: int = 1, max_faults: int | None = None
) -> st.SearchStrategy[tuple[dict[str, Any], tuple[Fault, ...]]]:
    """Customer records with faults planted in them, and the faults: ``(record, faults)``.

    Each fact of the schema gets at most one fault, chosen among those its type and domain
    allow (a bool has no out-of-domain value, an optional fact cannot be missing), and unknown
    facts (``zz_extra``, ...) may be added. Every other fact keeps a valid value, so the
    faults are exactly what is wrong with the record. Faults come in the order
    `crmculture.Schema.validate` reports them: schema order, then unknown facts in the
    record's order.

    Args:
        schema: The schema the records are for.
        min_faults: The fewest faults (0 allows valid records).
        max_faults: The most faults (default: as many as there are facts, and unknown names).

    Raises:
        InvalidArgument: for a `schema` that is not a Schema, or bad fault counts.

    Examples:
        >>> from hypothesis import find, settings
        >>> from crmculture.stories import acme_schema
        >>> record, faults = find(invalid_customers(acme_schema(), max_faults=1),
        ...                       lambda case: case[1][0].kind == "out_of_domain",
        ...                       settings=settings(max_examples=100, database=None))
        >>> faults
        (Fault(fact='annual_volume', kind='out_of_domain', value=-1),)
        >>> record["annual_volume"]
        -1
    """
    if not isinstance(schema, Schema):
        raise InvalidArgument(f"invalid_customers() needs a Schema, not {schema!r}")
    if isinstance(min_faults, bool) or not isinstance(min_faults, int) or min_faults < 0:
        raise InvalidArgument(f"min_faults={min_faults!r} must be an int of at least 0")
    if max_faults is None:
        max_faults = len(schema) + len(_UNKNOWN_NAMES)
    if isinstance(max_faults, bool) or not isinstance(max_faults, int) or max_faults < min_faults:
        raise InvalidArgument(f"max_faults={max_faults!r} must be an int of at least min_faults")
    if max_faults < 1:
        raise InvalidArgument("max_faults must be at least 1")
    return _invalid(schema, min_faults, max_faults)
