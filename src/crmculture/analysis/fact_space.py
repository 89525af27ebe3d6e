"""The fact space: every fact's domain split into cells, and the search over boxes of cells.

A policy's conditions compare facts only with constants. Between two consecutive constants
every atom of every condition has the same truth value, so the domain of each fact splits into
finitely many *cells* (ints and dates: the constants and the intervals between them; floats and
decimals: the constants and the open intervals between them; enums: each value; bools: false and
true; an optional fact without default: one more cell for *missing*), each with a representative
value. Every atom is then a set of cells, and any customer can be replaced by the representatives
of its cells without changing which rules match.

The search works on *boxes*: for each fact a set of cells (a bit mask), and a set of department
contexts. It evaluates every rule's condition three-valued over a box (true for every customer in
it, false for every one, or undecided), asks a *query* whether the box answers its question (a
conflict is certain, impossible, ...), and otherwise splits the box on one undecided atom of one
rule: one fact at a time. A subtree whose answer is already decided is never split further, so
the cost follows the structure of the rules that matter to the question, not the product of all
cells. A budget bounds the number of boxes; when it is reached the search says so, with the share
of the space it did resolve.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Any, Final, Literal, TypeAlias, assert_never

import attrs

from crmculture.evaluate.truth import holds
from crmculture.model.conditions import (
    And,
    Atom,
    Between,
    Compare,
    Condition,
    Const,
    In,
    Missing,
    Not,
    Or,
)
from crmculture.model.facts import Fact, Schema
from crmculture.model.policies import Policy
from crmculture.model.rules import Rule

__all__ = [
    "FALSE",
    "TRUE",
    "UNKNOWN",
    "Box",
    "Branch",
    "Cell",
    "CompiledRule",
    "Dimension",
    "FactSpace",
    "Search",
    "SearchStatus",
    "department_contexts",
]

FALSE: Final = 0
"""Three-valued truth: false for every customer of the box."""
TRUE: Final = 1
"""Three-valued truth: true for every customer of the box."""
UNKNOWN: Final = 2
"""Three-valued truth: true for some customers of the box and false for others."""

Box: TypeAlias = tuple[int, ...]
"""One bit mask of cells per fact (schema order), then a bit mask of department contexts."""

Tri: TypeAlias = int
TriFn: TypeAlias = Callable[[Box], Tri]
FindFn: TypeAlias = Callable[[Box], "tuple[int, int] | None"]

SearchStatus: TypeAlias = Literal["exhausted", "stopped", "budget"]
"""How a search ended: it resolved the whole space (``exhausted``), it had its answer before
that (``stopped``), or it ran out of budget (``budget``)."""

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
        >>> from crmculture import F
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


def department_contexts(*policies: Policy) -> tuple[str | None, ...]:
    """The department contexts in which a policy can decide differently, None last.

    A policy that declares its departments decides for each of them and for a decision without
    department (None). A policy that does not declare them treats every department its rules do
    not name like a decision without department, so None stands for all of those.

    Examples:
        >>> from crmculture.stories import acme_policy
        >>> department_contexts(acme_policy())[-3:]
        ('shipping', 'support', None)
    """
    named: set[str] = set()
    for policy in policies:
        if policy.departments is not None:
            named.update(policy.departments)
        else:
            for rule in policy.effective_rules:
                named.update(rule.departments or ())
    valid = [
        name
        for name in named
        if all(p.departments is None or name in p.departments for p in policies)
    ]
    return (*sorted(valid), None)


@attrs.frozen
class CompiledRule:
    """A rule compiled against a fact space: its condition's three-valued truth over a box, the
    undecided atom to split on, the dimensions it reads and the contexts it is in scope for."""

    rule: Rule
    index: int
    truth: TriFn
    find: FindFn
    dims: frozenset[int]
    scope: int


class FactSpace:
    """The cells of every fact of a schema, cut at the constants of some conditions.

    Args:
        schema: The facts.
        conditions: The conditions whose constants cut the domains (a policy's rule conditions;
            for a diff, both policies'; for the org analysis, rules and guards). Atoms on names
            that are not facts of the schema (a guard's ``decision.<directive>``) cut nothing.
        contexts: The department contexts (the last dimension of every box).

    Attributes:
        atoms: By fact, the distinct atoms of the conditions on it, in the order first met.
        dimensions: The cells of each fact, in schema order.

    Examples:
        >>> from crmculture import F
        >>> schema = Schema([Fact.bool("credit_hold"), Fact.int("days_overdue", min=0)])
        >>> space = FactSpace(schema, [F.credit_hold | (F.days_overdue > 60)])
        >>> [len(d.cells) for d in space.dimensions], space.size
        ([2, 3], 6)
    """

    def __init__(
        self,
        schema: Schema,
        conditions: Iterable[Condition],
        contexts: Sequence[str | None] = (None,),
    ) -> None:
        found: dict[str, dict[Atom, None]] = {name: {} for name in schema.names}
        for condition in conditions:
            for node in condition.walk():
                if isinstance(node, Atom) and node.fact in found:
                    found[node.fact].setdefault(node)
        self.schema = schema
        self.atoms: dict[str, tuple[Atom, ...]] = {
            name: tuple(atoms) for name, atoms in found.items()
        }
        self.contexts: tuple[str | None, ...] = tuple(contexts)
        self.dimensions: tuple[Dimension, ...] = tuple(
            Dimension(fact.name, cells, len(cells))
            for fact in schema
            for cells in [_cells(fact, _constants(self.atoms[fact.name]))]
        )
        self.index: dict[str, int] = {fact.name: i for i, fact in enumerate(schema)}
        self.department = len(self.dimensions)
        self.sizes: tuple[int, ...] = (
            *(d.size for d in self.dimensions),
            len(self.contexts),
        )
        self._truth_cache: dict[Atom, int] = {}

    @property
    def size(self) -> int:
        """The number of cell combinations (departments not counted)."""
        return math.prod(d.size for d in self.dimensions)

    def representatives(self) -> dict[str, tuple[Any, ...]]:
        """One value of each fact per set of its values that the atoms tell apart.

        Cells on which every atom on the fact gives the same answer are one set, wherever they
        lie (``x in [0, 5]`` puts 0 and 5 in one set, 1 to 4 and 6 upwards in another); the
        set's value is the representative of its first cell. The values come in cell order
        (increasing; declared order for enums), missing (None) last, in a set of its own, for
        optional facts without default. The org analysis splits customers on these values.

        Examples:
            >>> from crmculture import F
            >>> schema = Schema([Fact.int("days_overdue", min=0), Fact.bool("credit_hold")])
            >>> space = FactSpace(schema, [F.days_overdue > 60, F.days_overdue == 0])
            >>> [cell.value for cell in space.dimensions[0].cells]
            [0, 1, 60, 61]
            >>> space.representatives()
            {'days_overdue': (0, 1, 61), 'credit_hold': (False,)}
        """
        chosen: dict[str, tuple[Any, ...]] = {}
        for dimension in self.dimensions:
            masks = [self.truth_mask(atom) for atom in self.atoms[dimension.name]]
            seen: set[tuple[int, ...]] = set()
            values: list[Any] = []
            for cell in dimension.cells:
                answers = tuple(mask >> cell.index & 1 for mask in masks)
                if cell.missing:
                    values.append(None)
                elif answers not in seen:
                    seen.add(answers)
                    values.append(cell.value)
            chosen[dimension.name] = tuple(values)
        return chosen

    def full_box(self, contexts: int | None = None) -> Box:
        """The box of every customer, in the given contexts (all by default)."""
        department = (1 << len(self.contexts)) - 1 if contexts is None else contexts
        return (*(d.full for d in self.dimensions), department)

    def context_mask(self, departments: Iterable[str | None]) -> int:
        """The mask of the given contexts (unknown ones ignored)."""
        mask = 0
        for name in departments:
            if name in self.contexts:
                mask |= 1 << self.contexts.index(name)
        return mask

    def scope_mask(self, rule: Rule) -> int:
        """The contexts a rule is in scope for."""
        if rule.departments is None:
            return (1 << len(self.contexts)) - 1
        return self.context_mask(rule.departments)

    def truth_mask(self, atom: Atom) -> int:
        """The cells of the atom's fact where the atom holds, by the reference semantics."""
        cached = self._truth_cache.get(atom)
        if cached is not None:
            return cached
        dimension = self.dimensions[self.index[atom.fact]]
        mask = 0
        for cell in dimension.cells:
            # INVARIANT: every atom has one truth value per cell, so the representative decides.
            if holds(atom, {atom.fact: cell.value}, self.schema):
                mask |= 1 << cell.index
        self._truth_cache[atom] = mask
        return mask

    def compile(self, rule: Rule, index: int) -> CompiledRule:
        """Compile a rule's condition to three-valued functions over boxes."""
        truth, find, dims = self._compile(rule.when)
        return CompiledRule(rule, index, truth, find, frozenset(dims), self.scope_mask(rule))

    def _compile(self, node: Condition) -> tuple[TriFn, FindFn, set[int]]:
        if isinstance(node, Const):
            value = TRUE if node.value else FALSE
            return (lambda box: value), (lambda box: None), set()
        if isinstance(node, Atom):
            dim = self.index[node.fact]
            full = self.dimensions[dim].full
            true_mask = self.truth_mask(node)
            if true_mask in (0, full):
                constant = TRUE if true_mask else FALSE
                return (lambda box: constant), (lambda box: None), set()

            def atom_truth(box: Box) -> Tri:
                mask = box[dim]
                hit = mask & true_mask
                if hit == mask:
                    return TRUE
                return FALSE if not hit else UNKNOWN

            def atom_find(box: Box) -> tuple[int, int] | None:
                mask = box[dim]
                hit = mask & true_mask
                return (dim, true_mask) if hit and hit != mask else None

            return atom_truth, atom_find, {dim}
        if isinstance(node, Not):
            inner, inner_find, dims = self._compile(node.item)

            def not_truth(box: Box) -> Tri:
                value = inner(box)
                return value if value == UNKNOWN else 1 - value

            return not_truth, inner_find, dims
        if not isinstance(node, And | Or):
            assert_never(node)
        parts = [self._compile(item) for item in node.items]
        truths = tuple(part[0] for part in parts)
        finds = tuple(part[1] for part in parts)
        dims = set().union(*(part[2] for part in parts))
        # `and` is decided false by one false item; `or` is decided true by one true item.
        stop, rest = (FALSE, TRUE) if isinstance(node, And) else (TRUE, FALSE)

        def junction_truth(box: Box) -> Tri:
            result = rest
            for truth in truths:
                value = truth(box)
                if value == stop:
                    return stop
                if value == UNKNOWN:
                    result = UNKNOWN
            return result

        def junction_find(box: Box) -> tuple[int, int] | None:
            for truth, find in zip(truths, finds, strict=True):
                if truth(box) == UNKNOWN:
                    return find(box)
            return None

        return junction_truth, junction_find, dims

    def lowest_cells(self, box: Box) -> tuple[int, ...]:
        """The index of the first cell of each dimension of `box`."""
        return tuple((mask & -mask).bit_length() - 1 for mask in box)

    def customer(self, cells: Sequence[int]) -> dict[str, Any]:
        """The customer made of the representatives of the given cells (one per fact)."""
        return {
            dimension.name: dimension.cells[cell].value
            for dimension, cell in zip(self.dimensions, cells, strict=False)
        }

    def contexts_of(self, mask: int) -> tuple[str | None, ...]:
        """The department contexts in a mask, in context order (None last)."""
        return tuple(name for i, name in enumerate(self.contexts) if mask >> i & 1)

    def mask_condition(self, dim: int, mask: int) -> Condition | None:
        """The condition that selects the cells of `mask` of one fact; None for every cell."""
        dimension = self.dimensions[dim]
        if mask == dimension.full:
            return None
        chosen = [cell for cell in dimension.cells if mask >> cell.index & 1]
        present = [cell for cell in chosen if not cell.missing]
        parts: list[Condition] = []
        every_present = len(present) == sum(1 for c in dimension.cells if not c.missing)
        if present and every_present:
            parts.append(Missing(dimension.name, negated=True))
        elif present and not present[0].is_range:
            parts.append(_run_condition(dimension.name, present))
        elif present:
            run: list[Cell] = [present[0]]
            for cell in present[1:]:
                if cell.index == run[-1].index + 1:
                    run.append(cell)
                else:
                    parts.append(_run_condition(dimension.name, run))
                    run = [cell]
            parts.append(_run_condition(dimension.name, run))
        if len(present) < len(chosen):
            parts.append(Missing(dimension.name))
        return parts[0] if len(parts) == 1 else Or(parts)

    def box_condition(self, box: Box) -> Condition:
        """The customers of a box as a condition (departments not included)."""
        parts = [
            part
            for dim, mask in enumerate(box[: self.department])
            for part in [self.mask_condition(dim, mask)]
            if part is not None
        ]
        if not parts:
            return Const(True)
        return parts[0] if len(parts) == 1 else And(parts)


Branch: TypeAlias = tuple[int, int, int]
"""A query's request to split: ``(copy, rule index, preferred truth of that rule)``."""

PRUNE: Final = 0
"""A query's answer: nothing to find in this box."""
FOUND: Final = 1
"""A query's answer: this box answers the question (every customer of it does)."""

Verdict: TypeAlias = int | Branch
Query: TypeAlias = Callable[[Box, Sequence[list[int]]], Verdict]


@attrs.frozen
class Pairing:
    """How the boxes of a pair search map to the boxes of its two copies.

    In a pair search each fact's dimension holds pairs of cells ``(a, b)``; copy 0 sees the
    first cells, copy 1 the second. `pairs[dim]` lists the pairs; `project[dim][copy][cell]` is
    the mask of pairs whose cell in that copy is `cell`.
    """

    pairs: tuple[tuple[tuple[int, int], ...], ...]
    project: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]

    @classmethod
    def build(cls, space: FactSpace, allowed: Callable[[int, int, int], bool]) -> Pairing:
        """Pairs of cells per fact for which ``allowed(dim, a, b)``, diagonal pairs first (so
        that the first pair of a mask changes as few facts as possible)."""
        all_pairs = []
        projections = []
        for dim, dimension in enumerate(space.dimensions):
            cells = range(dimension.size)
            pairs = sorted(
                ((a, b) for a in cells for b in cells if allowed(dim, a, b)),
                key=lambda pair: (abs(pair[0] - pair[1]), pair),
            )
            first = [0] * dimension.size
            second = [0] * dimension.size
            for bit, (a, b) in enumerate(pairs):
                first[a] |= 1 << bit
                second[b] |= 1 << bit
            all_pairs.append(tuple(pairs))
            projections.append((tuple(first), tuple(second)))
        return cls(tuple(all_pairs), tuple(projections))


class Search:
    """A depth-first search of boxes for a query, within a budget of boxes.

    `queries` are asked about each box with the three-valued truth of every relevant rule's
    condition (per copy: one copy, or two for a pair search); a query answers `PRUNE`,
    `FOUND` or a `Branch`. Iterating the search yields the boxes found, in a deterministic
    order. Afterwards `status`, `boxes` and `covered` say what was resolved.

    Args:
        space: The fact space.
        rules: The compiled rules, indexed by their ``index``.
        relevant: The indices of the rules the query reads.
        query: The query.
        budget: The most boxes to look at.
        start: The box to start from (by default every customer in every context).
        pairing: For a pair search, how boxes map to the two copies.
    """

    def __init__(
        self,
        space: FactSpace,
        rules: Sequence[CompiledRule],
        relevant: Iterable[int],
        query: Query,
        *,
        budget: int,
        start: Box | None = None,
        pairing: Pairing | None = None,
    ) -> None:
        self.space = space
        self.rules = rules
        self.relevant = tuple(sorted(set(relevant)))
        self.query = query
        self.budget = budget
        self.pairing = pairing
        self.copies = 1 if pairing is None else 2
        if pairing is None:
            self.start = start if start is not None else space.full_box()
            self.sizes = space.sizes
        else:
            sizes = [len(pairs) for pairs in pairing.pairs]
            department = space.full_box()[-1] if start is None else start[-1]
            self.start = (*((1 << size) - 1 for size in sizes), department)
            self.sizes = (*sizes, len(space.contexts))
        self.by_dim: dict[int, tuple[int, ...]] = {
            dim: tuple(i for i in self.relevant if dim in rules[i].dims)
            for dim in range(space.department)
        }
        self._projection: dict[tuple[int, int, int], int] = {}
        self._lift: dict[tuple[int, int, int], int] = {}
        self.boxes = 0
        self.status: SearchStatus = "exhausted"
        self._resolved = 0
        self._stop = False
        self.total = math.prod(self.sizes[:-1]) * self.start[-1].bit_count()

    def stop(self) -> None:
        """End the search after the current box: the query has its answer."""
        self._stop = True

    @property
    def covered(self) -> Fraction:
        """The share of the searched space (cell combinations times contexts) resolved."""
        return Fraction(self._resolved, self.total) if self.total else Fraction(1)

    def _volume(self, box: Box) -> int:
        return math.prod(mask.bit_count() for mask in box)

    def project(self, box: Box, copy: int) -> Box:
        """The box a copy sees (the box itself outside pair searches)."""
        pairing = self.pairing
        if pairing is None:
            return box
        result = []
        cache = self._projection
        for dim, mask in enumerate(box[:-1]):
            key = (dim, mask, copy)
            projected = cache.get(key)
            if projected is None:
                projected = 0
                for cell, pairs in enumerate(pairing.project[dim][copy]):
                    if pairs & mask:
                        projected |= 1 << cell
                cache[key] = projected
            result.append(projected)
        result.append(box[-1])
        return tuple(result)

    def _lift_mask(self, dim: int, cells: int, copy: int) -> int:
        """The pairs whose cell in `copy` is in `cells`."""
        assert self.pairing is not None
        key = (dim, cells, copy)
        lifted = self._lift.get(key)
        if lifted is None:
            lifted = 0
            for cell, pairs in enumerate(self.pairing.project[dim][copy]):
                if cells >> cell & 1:
                    lifted |= pairs
            self._lift[key] = lifted
        return lifted

    def _statuses(self, box: Box) -> list[list[int]]:
        result = []
        for copy in range(self.copies):
            view = self.project(box, copy)
            statuses = [UNKNOWN] * len(self.rules)
            for i in self.relevant:
                statuses[i] = self.rules[i].truth(view)
            result.append(statuses)
        return result

    def _child(self, box: Box, dim: int, mask: int, parent: list[list[int]]) -> tuple[Box, Any]:
        child = (*box[:dim], mask, *box[dim + 1 :])
        if dim == self.space.department:
            return child, parent  # departments do not change conditions, only scopes
        statuses = []
        for copy in range(self.copies):
            view = self.project(child, copy)
            updated = parent[copy][:]
            for i in self.by_dim[dim]:
                if updated[i] == UNKNOWN:
                    updated[i] = self.rules[i].truth(view)
            statuses.append(updated)
        return child, statuses

    def __iter__(self) -> Iterator[tuple[Box, list[list[int]]]]:
        stack: list[tuple[Box, list[list[int]]]] = [(self.start, self._statuses(self.start))]
        while stack:
            if self.boxes >= self.budget:
                self.status = "budget"
                return
            box, statuses = stack.pop()
            self.boxes += 1
            verdict = self.query(box, statuses)
            if verdict == PRUNE:
                self._resolved += self._volume(box)
                continue
            if verdict == FOUND:
                self._resolved += self._volume(box)
                yield box, statuses
                if self._stop:
                    if stack:
                        self.status = "stopped"
                    return
                continue
            assert isinstance(verdict, tuple)
            copy, index, prefer = verdict
            rule = self.rules[index]
            assert index in self.relevant, f"query branched on irrelevant rule {rule.rule.id}"
            if statuses[copy][index] == UNKNOWN:
                found = rule.find(self.project(box, copy))
                assert found is not None
                dim, cells = found
                inside = cells if self.pairing is None else self._lift_mask(dim, cells, copy)
                # The first child makes the rule's atom true; try the preferred side first.
                children = [
                    self._child(box, dim, box[dim] & inside, statuses),
                    self._child(box, dim, box[dim] & ~inside, statuses),
                ]

                ranks = [_rank(child[1][copy][index], prefer) for child in children]
                if ranks[1] < ranks[0]:
                    children.reverse()
            else:
                dim = self.space.department
                scope = rule.scope
                children = [
                    self._child(box, dim, box[dim] & scope, statuses),
                    self._child(box, dim, box[dim] & ~scope, statuses),
                ]
                if prefer == FALSE:
                    children.reverse()
            # INVARIANT: a split cuts the box in two non-empty boxes, so the search ends.
            assert children[0][0][dim], "a split must cut the box"
            assert children[1][0][dim], "a split must cut the box"
            stack.append(children[1])
            stack.append(children[0])


def _rank(truth: Tri, prefer: Tri) -> int:
    """Children are tried in this order: the preferred truth, undecided, the other truth."""
    return 0 if truth == prefer else (1 if truth == UNKNOWN else 2)


def effective(statuses: Sequence[int], rule: CompiledRule, contexts: int) -> Tri:
    """A rule's truth in the given contexts: its condition's truth where it is in scope."""
    scope = rule.scope
    inside = contexts & scope
    if inside == contexts:
        return statuses[rule.index]
    if not inside:
        return FALSE
    return FALSE if statuses[rule.index] == FALSE else UNKNOWN
