"""The cells of a fact: its domain cut at the constants that conditions compare it with.

A policy's conditions compare facts only with constants. Between two consecutive constants
every atom of every condition has the same truth value, so the domain of each fact splits into
finitely many *cells* (ints and dates: the constants and the intervals between them; floats and
decimals: the constants and the open intervals between them; enums: each value; bools: false and
true; an optional fact without default: one more cell for *missing*), each with a representative
value. `crmculture.analysis.fact_space.FactSpace` holds the cells of every fact of a schema.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from decimal import Decimal, localcontext
from typing import Any, assert_never

import attrs

from crmculture.model.conditions import And, Atom, Between, Compare, Condition, In, Missing
from crmculture.model.facts import Fact

__all__ = ["Cell", "Dimension"]

_DATE_STEP = dt.timedelta(days=1)
_DECIMAL_PRECISION = 200


@attrs.frozen
class Cell:
    """A set of values of one fact on which every atom of the analysed conditions agrees.

    Attributes:
        fact: The fact's name.
        index: The cell's position among the fact's cells (ordered cells in increasing order,
            the missing cell last).
        value: A representative value (None for the missing cell).
        missing: Whether this is the cell of customers who left the fact out.
        low: For cells of ordered numbers and dates, the lower bound, or None when the cell
            reaches the lower end of the domain.
        low_closed: Whether `low` belongs to the cell.
        high: The upper bound, or None when the cell reaches the upper end of the domain.
        high_closed: Whether `high` belongs to the cell.

    Examples:
        >>> from crmculture import F, Schema
        >>> from crmculture.analysis.fact_space import FactSpace
        >>> space = FactSpace(Schema([Fact.int("days_overdue", min=0)]), [F.days_overdue > 30])
        >>> [str(cell.condition()) for cell in space.dimensions[0].cells]
        ['days_overdue <= 29', 'days_overdue == 30', 'days_overdue >= 31']
    """

    fact: str
    index: int
    value: Any
    missing: bool = False
    low: Any = None
    low_closed: bool = True
    high: Any = None
    high_closed: bool = True

    @property
    def is_range(self) -> bool:
        """Whether the cell is an interval of an ordered number or date fact."""
        return not self.missing and not isinstance(self.value, bool | str)

    def condition(self) -> Condition:
        """The cell as a condition (``x is missing``, ``x == 3``, ``x between 4 and 9``, ...)."""
        return _run_condition(self.fact, [self])


def _run_condition(fact: str, run: Sequence[Cell]) -> Condition:
    """A condition for consecutive ordered cells (or a single cell of any kind)."""
    first, last = run[0], run[-1]
    if first.missing:
        return Missing(fact)
    if not first.is_range:
        if len(run) == 1:
            return Compare(fact, "==", first.value)
        return In(fact, [cell.value for cell in run])
    low, high = first.low, last.high
    if low is not None and high is not None and first.low_closed and last.high_closed:
        if low == high:
            return Compare(fact, "==", low)
        return Between(fact, low, high)
    parts: list[Condition] = []
    if low is not None:
        parts.append(Compare(fact, ">=" if first.low_closed else ">", low))
    if high is not None:
        parts.append(Compare(fact, "<=" if last.high_closed else "<", high))
    if not parts:
        return Missing(fact, negated=True)
    return parts[0] if len(parts) == 1 else And(parts)


def _constants(atoms: Iterable[Atom]) -> list[Any]:
    """The constants the atoms compare their fact with."""
    constants: list[Any] = []
    for atom in atoms:
        if isinstance(atom, Compare):
            constants.append(atom.value)
        elif isinstance(atom, In):
            constants.extend(atom.values)
        elif isinstance(atom, Between):
            constants.extend((atom.low, atom.high))
        elif not isinstance(atom, Missing):
            assert_never(atom)
    return constants


def _below(value: Any) -> Any:
    """A value strictly below `value` (floats and decimals), or None when there is none."""
    if isinstance(value, float):
        candidate = value - 1.0
        if not candidate < value:
            candidate = math.nextafter(value, -math.inf)
        return candidate if math.isfinite(candidate) else None
    with localcontext() as context:
        context.prec = _DECIMAL_PRECISION
        step = Decimal(1) if value - 1 < value else abs(value)
        return value - step


def _above(value: Any) -> Any:
    """A value strictly above `value` (floats and decimals), or None when there is none."""
    if isinstance(value, float):
        candidate = value + 1.0
        if not candidate > value:
            candidate = math.nextafter(value, math.inf)
        return candidate if math.isfinite(candidate) else None
    with localcontext() as context:
        context.prec = _DECIMAL_PRECISION
        step = Decimal(1) if value + 1 > value else abs(value)
        return value + step


def _between(low: Any, high: Any) -> Any:
    """A value strictly between `low` and `high`, or None when there is none (adjacent floats)."""
    if isinstance(low, float):
        middle = low / 2 + high / 2
    else:
        with localcontext() as context:
            context.prec = _DECIMAL_PRECISION
            middle = (low + high) / 2
    return middle if low < middle < high else None


def _discrete_cells(fact: Fact, points: list[Any]) -> list[Cell]:
    """Cells of an int or date fact: each constant, and the runs of values between them."""
    step: Any = _DATE_STEP if fact.type == "date" else 1
    low_end = fact.min if fact.min is not None else (dt.date.min if fact.type == "date" else None)
    high_end = fact.max if fact.max is not None else (dt.date.max if fact.type == "date" else None)
    cells: list[Cell] = []

    def add_run(first: Any, last: Any) -> None:
        # `first`/`last` are inclusive; None means unbounded on that side.
        if first is not None and last is not None and first > last:
            return
        value = first if first is not None else (last if last is not None else 0)
        cells.append(
            Cell(
                fact.name,
                len(cells),
                value,
                low=None if first is None or first == low_end else first,
                high=None if last is None or last == high_end else last,
            )
        )

    previous = low_end
    for point in points:
        if low_end is None or point > low_end:
            add_run(previous, point - step)
        cells.append(Cell(fact.name, len(cells), point, low=point, high=point))
        if high_end is not None and point >= high_end:
            return cells
        previous = point + step
    add_run(previous, high_end)
    return cells


def _dense_cells(fact: Fact, points: list[Any]) -> list[Cell]:
    """Cells of a float or decimal fact: each constant, and the open intervals between them."""
    cells: list[Cell] = []

    def add(value: Any, low: Any, low_closed: bool, high: Any, high_closed: bool) -> None:
        cells.append(Cell(fact.name, len(cells), value, False, low, low_closed, high, high_closed))

    low_end, high_end = fact.min, fact.max
    if not points:
        value = low_end if low_end is not None else (high_end if high_end is not None else 0)
        add(fact.check(value)[0], None, True, None, True)
        return cells
    first = points[0]
    if low_end is None:
        below = _below(first)
        if below is not None:
            add(below, None, True, first, False)
    elif low_end < first:
        add(low_end, None, True, first, False)
    for position, point in enumerate(points):
        add(point, point, True, point, True)
        if position + 1 < len(points):
            middle = _between(point, points[position + 1])
            if middle is not None:
                add(middle, point, False, points[position + 1], False)
    last = points[-1]
    if high_end is None:
        above = _above(last)
        if above is not None:
            add(above, last, False, None, True)
    elif last < high_end:
        add(high_end, last, False, None, True)
    return cells


def _cells(fact: Fact, constants: Iterable[Any]) -> tuple[Cell, ...]:
    if fact.type == "bool":
        cells = [Cell(fact.name, 0, False), Cell(fact.name, 1, True)]
    elif fact.type == "enum":
        assert fact.values is not None
        cells = [Cell(fact.name, index, value) for index, value in enumerate(fact.values)]
    else:
        points = sorted(
            {normalized for normalized, problem in map(fact.check, constants) if problem is None}
        )
        if fact.type in ("int", "date"):
            cells = _discrete_cells(fact, points)
        else:
            cells = _dense_cells(fact, points)
    if fact.optional and not fact.has_default:
        cells.append(Cell(fact.name, len(cells), None, missing=True))
    return tuple(cells)


@attrs.frozen
class Dimension:
    """The cells of one fact (or, for the last dimension, the department contexts).

    Attributes:
        name: The fact's name, or ``department``.
        cells: The fact's cells; empty for the department dimension.
        size: How many cells (or contexts).
    """

    name: str
    cells: tuple[Cell, ...]
    size: int

    @property
    def full(self) -> int:
        """The mask of every cell."""
        return (1 << self.size) - 1
