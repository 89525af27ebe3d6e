"""Fact columns: one frame column per fact, checked column-wise and decoded to numpy arrays.

A column arrives as an Arrow array (Arrow tables, and every pandas column with a typed dtype) or
as a list of Python values (pandas ``object`` columns holding anything unusual). Either way it
leaves as a `FactColumn`: which rows have a value, which rows break the fact's contract, and the
values in a form numpy compares quickly and exactly:

========  ==============================================================================
bool      ``numpy.bool_``
int       ``int64`` (Python ints in an ``object`` array when they do not fit)
float     ``float64``
decimal   ``int64`` scaled by ``10**scale``, exact (``Decimal``s in an ``object`` array when
          they do not fit)
enum      the value's position in the declared values (its rank), ``-1`` when absent
date      days since 1970-01-01
========  ==============================================================================

Missing values are nulls in Arrow and ``None``, ``NaN``, ``pd.NA`` or ``NaT`` in pandas; a frame
cannot tell a missing float from ``NaN``, so ``NaN`` is missing here, where a record with
``NaN`` would be invalid. Every other check is exactly `crmculture.Fact.check`: the checks here
only find the bad rows, and the messages come from `crmculture.Schema.problems` on those rows.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
import sys
from collections.abc import Sequence
from decimal import Decimal
from itertools import repeat
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crmculture.model.facts import Fact
from crmculture.model.values import NO_DEFAULT

__all__ = ["FactColumn", "Source", "cells", "decimal_places", "read_fact", "source_of"]

Source: TypeAlias = "pa.Array | list[Any]"
"""A column as read from a frame: an Arrow array, or the Python values of an ``object`` column."""

BoolArray: TypeAlias = npt.NDArray[np.bool_]

_EPOCH = dt.date(1970, 1, 1)
_INT64_MAX = 2**63 - 1
# The Python types whose values Arrow converts exactly as `Fact.check` normalizes them; an
# ``object`` column holding only these goes through Arrow, anything else is checked value by value.
_PLAIN_TYPES: dict[str, frozenset[type]] = {
    "bool": frozenset({bool}),
    "int": frozenset({int}),
    "float": frozenset({float, int}),
    "decimal": frozenset({Decimal, int}),
    "enum": frozenset({str}),
    "date": frozenset({dt.date}),
}


def decimal_places(value: Decimal | int) -> int:
    """How many digits a decimal has after the point (0 for integers and ``5E+2``).

    Examples:
        >>> decimal_places(Decimal("12.50")), decimal_places(Decimal("5E+2")), decimal_places(3)
        (2, 0, 0)
    """
    if isinstance(value, int):
        return 0
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def is_missing(value: object) -> bool:
    """Whether a cell counts as absent: None, NaN, ``pd.NA`` or ``NaT``."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, np.floating | np.datetime64 | np.timedelta64):
        return bool(np.isnan(value))
    return False


class FactColumn:
    """One fact's column, checked and decoded.

    Attributes:
        fact: The fact.
        present: Rows that have a value (an absent optional fact with a default has one); None
            when every row has one.
        bad: Rows whose cell breaks the fact's contract (type, domain, a required fact
            missing); None when no row does.
        data: The values, decoded as in the module's table; meaningless where not present.
        scale: For decimal facts decoded to integers, the power of ten they are scaled by;
            None when `data` holds Python values.
    """

    __slots__ = ("bad", "data", "fact", "present", "scale")

    def __init__(
        self,
        fact: Fact,
        present: BoolArray | None,
        bad: BoolArray | None,
        data: np.ndarray[Any, Any],
        scale: int | None,
    ) -> None:
        self.fact = fact
        self.scale = scale
        self.data = data
        if present is not None and fact.default is not NO_DEFAULT:
            data = data.copy()
            data[~present] = self.key(fact.default)
            self.data = data
            present = None
        elif present is not None and not fact.optional:
            bad = _or(bad, ~present)
        self.present = present
        self.bad = bad

    def key(self, value: Any) -> Any:
        """A normalized value of the fact (a condition's constant) as `data` holds it."""
        kind = self.fact.type
        if kind == "enum":
            return self.fact.rank(value)
        if kind == "date":
            return (value - _EPOCH).days
        if kind == "float":
            return float(value)
        if kind == "decimal" and self.scale is not None:
            return int(Decimal(value).scaleb(self.scale))
        return value


def source_of(column: pd.Series[Any] | pa.Array | pa.ChunkedArray) -> Source:
    """Turn a frame column into an Arrow array, or a list of Python values for ``object``
    columns whose values Arrow could not convert exactly."""
    if isinstance(column, pa.ChunkedArray):
        return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
    if isinstance(column, pa.Array):
        return column
    if column.dtype == object:
        return list(column.to_numpy())
    return pa.array(column, from_pandas=True)


def cells(source: Source, rows: Sequence[int]) -> list[Any]:
    """The Python values of some rows of a column, absent ones as None (for messages)."""
    if isinstance(source, list):
        picked = [source[row] for row in rows]
    else:
        picked = source.take(pa.array(rows, type=pa.int64())).to_pylist()
    return [None if is_missing(value) else value for value in picked]


def _valid(array: pa.Array) -> BoolArray | None:
    """The rows of `array` that are not null; None when all are."""
    if array.null_count == 0:
        return None
    mask: BoolArray = array.is_valid().to_numpy(zero_copy_only=False)
    return mask


def _or(first: BoolArray | None, second: BoolArray | None) -> BoolArray | None:
    """Either mask, None standing for no row."""
    if first is None:
        return second
    if second is None:
        return first
    return first | second


def _and(mask: BoolArray, valid: BoolArray | None) -> BoolArray | None:
    """The rows of `mask` that are also `valid` (None: every row); None when there are none."""
    if valid is not None:
        mask = mask & valid
    return mask if mask.any() else None


def _numpy(array: pa.Array, fill: Any) -> np.ndarray[Any, Any]:
    if array.null_count:
        array = array.fill_null(fill)
    result: np.ndarray[Any, Any] = array.to_numpy(zero_copy_only=False)
    return result


def _objects(values: Sequence[Any], fill: Any) -> np.ndarray[Any, Any]:
    result = np.empty(len(values), dtype=object)
    result[:] = [fill if value is None else value for value in values]
    return result


def _scaled_decimals(
    array: pa.Array, valid: BoolArray | None, scale: int
) -> np.ndarray[Any, Any] | None:
    """The decimals of `array` as int64 scaled by ``10**scale``, or None when they do not fit."""
    kind = array.type
    if kind.scale < 0 or kind.scale > scale or sys.byteorder != "little":
        return None
    if isinstance(kind, pa.Decimal256Type):
        try:
            array = array.cast(pa.decimal128(38, kind.scale))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
    length = len(array)
    if length == 0:
        return np.zeros(0, dtype=np.int64)
    words = np.frombuffer(array.buffers()[1], dtype="<i8")
    pairs = words[2 * array.offset : 2 * (array.offset + length)].reshape(length, 2)
    # A copy, never a view of the caller's buffer, which is scaled in place below. Null slots
    # hold anything: zero them.
    low = pairs[:, 0].copy() if valid is None else np.where(valid, pairs[:, 0], 0)
    high = pairs[:, 1] if valid is None else np.where(valid, pairs[:, 1], 0)
    # A 128-bit value fits in 64 bits when its high word only repeats the low word's sign; the
    # first test settles the usual case, values that are not negative, in two cheap passes.
    simple = not high.any() and low.min() >= 0
    if not simple and not np.array_equal(high, low >> 63):
        return None
    factor = 10 ** (scale - kind.scale)
    if factor > 1:
        limit = _INT64_MAX // factor
        if low.min() < -limit or low.max() > limit:
            return None
        low *= factor
    return low


def _plain(values: list[Any], fact: Fact) -> bool:
    allowed = _PLAIN_TYPES[fact.type]
    kinds = set(map(type, values))
    kinds.discard(type(None))
    # A float among other values is NaN (missing) or a wrong type; only float facts take it
    # through Arrow, which reads NaN as null.
    return kinds <= allowed


def read_fact(
    fact: Fact,
    source: Source | None,
    length: int,
    scale: int,
    constants: Sequence[Any] = (),
) -> FactColumn:
    """Check and decode one fact's column.

    Integer data (int and decimal facts, dates) is held in the smallest integer type that
    holds every value of the column and every one of `constants`, so that comparing it
    with them reads fewer bytes.

    Args:
        fact: The fact.
        source: The column, or None when the frame has no column for the fact.
        length: The number of rows.
        scale: For decimal facts, the fewest digits after the point to keep (the most any
            constant the plan compares the fact with has); ignored for other facts.
        constants: The values the plan compares the fact with.
    """
    column = _read(fact, source, length, scale)
    _narrow(column, constants)
    return column


def _narrow(column: FactColumn, constants: Sequence[Any]) -> None:
    """Hold integer data in the smallest type that also holds every one of `constants`."""
    data = column.data
    if data.dtype.kind != "i" or data.dtype.itemsize == 1 or not len(data):
        return
    keys = [column.key(constant) for constant in constants]
    low = min([int(data.min()), *keys])
    high = max([int(data.max()), *keys])
    for kind in (np.int8, np.int16, np.int32):
        if kind(0).itemsize >= data.dtype.itemsize:
            return
        limits = np.iinfo(kind)
        if limits.min <= low and high <= limits.max:
            column.data = data.astype(kind)
            return


def _read(fact: Fact, source: Source | None, length: int, scale: int) -> FactColumn:
    if source is None:
        nowhere = np.zeros(length, dtype=np.bool_)
        return _without_values(fact, length, nowhere, None, scale)
    if isinstance(source, list):
        if _plain(source, fact):
            try:
                return _read_arrow(fact, _plain_array(fact, source, scale), length, scale)
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
                pass
        return _read_values(fact, source, length, scale)
    return _read_arrow(fact, source, length, scale)


def _plain_array(fact: Fact, values: list[Any], scale: int) -> pa.Array:
    """Plain Python values as an Arrow array; raises when Arrow cannot hold them exactly."""
    if fact.type != "decimal":
        return pa.array(values, from_pandas=fact.type == "float")
    # Inferring a decimal type is slow (per value); try a few scales instead, starting with
    # cents, which money usually has.
    for places in sorted({max(scale, 2), max(scale, 6), max(scale, 12)}):
        try:
            array = pa.array(values, type=pa.decimal128(38, places))
        except pa.ArrowInvalid:
            continue
        # Should Arrow ever read Decimal("NaN") as null: `Fact.check` calls it not finite.
        # Counted by identity: `list.count` would call Decimal.__eq__ on every value.
        if array.null_count != sum(map(operator.is_, values, repeat(None))):
            break
        return array
    raise pa.ArrowInvalid("decimals Arrow cannot hold exactly")


def _read_values(fact: Fact, values: list[Any], length: int, scale: int) -> FactColumn:
    """The exact path: `Fact.check` on every value of an ``object`` column."""
    bad = np.zeros(length, dtype=np.bool_)
    normalized: list[Any] = []
    for row, value in enumerate(values):
        if is_missing(value):
            normalized.append(None)
            continue
        checked, problem = fact.check(value)
        if problem:
            bad[row] = True
            normalized.append(None)
        else:
            normalized.append(checked)
    arrow_type = {
        "bool": pa.bool_(),
        "int": pa.int64(),
        "float": pa.float64(),
        "decimal": None,
        "enum": pa.string(),
        "date": pa.date32(),
    }[fact.type]
    found_bad = bad if bad.any() else None
    try:
        if arrow_type is None:
            array = _plain_array(fact, normalized, scale)
        else:
            array = pa.array(normalized, type=arrow_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        present = np.array([value is not None for value in normalized], dtype=np.bool_)
        fill = Decimal(0) if fact.type == "decimal" else 0
        return FactColumn(fact, present, found_bad, _objects(normalized, fill), None)
    column = _read_arrow(fact, array, length, scale)
    column.bad = _or(column.bad, found_bad)
    return column


def _is_text(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind)
    )


def _ranks(found: pa.Array, count: int) -> np.ndarray[Any, Any]:
    """Positions among `count` declared values (-1 where not found), in the smallest type."""
    ranks = _numpy(found, -1)
    return ranks.astype(np.int8) if count < 128 else ranks


def _read_enum_dictionary(fact: Fact, array: pa.Array) -> FactColumn:
    """A dictionary-encoded enum column (pandas categories, Parquet read with
    ``read_dictionary``): rank the few dictionary values, then look the ranks up per row."""
    assert fact.values is not None
    ranks = _ranks(
        pc.index_in(array.dictionary.cast(pa.string()), value_set=pa.array(fact.values)),
        len(fact.values),
    )
    valid = _valid(array)
    data = ranks[_numpy(array.indices, 0)]
    return FactColumn(fact, valid, _and(data < 0, valid), data, None)


def _without_values(
    fact: Fact, length: int, present: BoolArray | None, bad: BoolArray | None, scale: int
) -> FactColumn:
    """A column none of whose values is usable (absent, or of another type): only a default
    can give rows a value, so the data has the type that holds the default exactly."""
    if fact.type == "float":
        return FactColumn(fact, present, bad, np.zeros(length, dtype=np.float64), scale)
    if fact.type == "decimal" and fact.default is not NO_DEFAULT:
        scaled = Decimal(fact.default).scaleb(scale)
        if scaled != scaled.to_integral_value() or abs(scaled) > _INT64_MAX:
            return FactColumn(fact, present, bad, _objects([Decimal(0)] * length, 0), None)
    return FactColumn(fact, present, bad, np.zeros(length, dtype=np.int64), scale)


def _read_arrow(fact: Fact, array: pa.Array, length: int, scale: int) -> FactColumn:
    """The column-wise path over a typed Arrow array."""
    kind = array.type
    if isinstance(kind, pa.DictionaryType):
        if fact.type == "enum" and _is_text(kind.value_type) and len(array.dictionary):
            return _read_enum_dictionary(fact, array)
        array = array.dictionary_decode()
        kind = array.type
    valid = _valid(array)
    bad: BoolArray | None = None
    data: np.ndarray[Any, Any] | None = None
    column_scale: int | None = scale
    if pa.types.is_null(kind):
        return _without_values(fact, length, valid, None, scale)
    if fact.type == "bool" and pa.types.is_boolean(kind):
        data = _numpy(array, False)
    elif fact.type == "int" and pa.types.is_integer(kind):
        try:
            data = _numpy(array.cast(pa.int64()), 0)
        except pa.ArrowInvalid:
            data = _objects(array.to_pylist(), 0)
    elif fact.type == "float" and (pa.types.is_floating(kind) or pa.types.is_integer(kind)):
        data = _numpy(array.cast(pa.float64()), 0.0)
        finite = np.isfinite(data)
        if not finite.all():
            nan = np.isnan(data)
            if nan.any():
                valid = ~nan if valid is None else valid & ~nan
                data = np.where(nan, 0.0, data)
            bad = _and(~finite & ~nan, valid)
    elif fact.type == "decimal" and pa.types.is_decimal(kind):
        column_scale = max(scale, kind.scale)
        data = _scaled_decimals(array, valid, column_scale)
        if data is None:
            column_scale = None
            data = _objects(array.to_pylist(), Decimal(0))
    elif fact.type == "decimal" and pa.types.is_integer(kind):
        try:
            ints = _numpy(array.cast(pa.int64()), 0)
            limit = _INT64_MAX // 10**scale
            if len(ints) and (int(ints.min()) < -limit or int(ints.max()) > limit):
                raise OverflowError
            data = ints * 10**scale
        except (pa.ArrowInvalid, OverflowError):
            column_scale = None
            data = _objects([None if v is None else Decimal(v) for v in array.to_pylist()], 0)
    elif fact.type == "enum" and _is_text(kind):
        assert fact.values is not None
        found = pc.index_in(array.cast(pa.string()), value_set=pa.array(fact.values))
        data = _ranks(found, len(fact.values))
        if found.null_count > array.null_count:
            bad = _and(data < 0, valid)
    elif fact.type == "date" and (pa.types.is_date32(kind) or pa.types.is_date64(kind)):
        data = _numpy(array.cast(pa.date32()).cast(pa.int32()), 0)
    if data is None:
        # A column of another type: every value in it breaks the fact's type.
        every = np.ones(length, dtype=np.bool_) if valid is None else valid
        return _without_values(fact, length, valid, _and(every, None), scale)
    column = FactColumn(fact, valid, bad, data, column_scale)
    column.bad = _or(column.bad, _out_of_bounds(column, valid))
    return column


def _out_of_bounds(column: FactColumn, valid: BoolArray | None) -> BoolArray | None:
    """The rows whose value lies outside the fact's ``min`` and ``max``; None when none does."""
    fact, data = column.fact, column.data
    low = None if fact.min is None else column.key(fact.min)
    high = None if fact.max is None else column.key(fact.max)
    if (low is None and high is None) or len(data) == 0:
        return None
    # Usually every value is within bounds, which the smallest and largest tell at once.
    if (low is None or data.min() >= low) and (high is None or data.max() <= high):
        return None
    out = np.zeros(len(data), dtype=np.bool_)
    if low is not None:
        out |= np.asarray(data < low, dtype=np.bool_)
    if high is not None:
        out |= np.asarray(data > high, dtype=np.bool_)
    return _and(out, valid)
