"""The fact space: every fact's domain split into cells, and conditions compiled over boxes.

A policy's conditions compare facts only with constants. Between two consecutive constants
every atom of every condition has the same truth value, so the domain of each fact splits into
finitely many *cells* (see `crmculture.analysis.cells`), each with a representative value.
Every atom is then a set of cells, and any customer can be replaced by the representatives of
its cells without changing which rules match.

A *box* is, for each fact, a set of cells (a bit mask), and a set of department contexts. A
rule compiled against the fact space (`CompiledRule`) evaluates its condition three-valued over
a box and names an undecided atom to split on; `crmculture.analysis.search` searches the boxes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final, TypeAlias, assert_never

import attrs

from crmculture.analysis.cells import Cell, Dimension, _cells, _constants, _run_condition
from crmculture.errors import AsOfRequiredError
from crmculture.evaluate.truth import holds
from crmculture.model.conditions import And, Atom, Condition, Const, Missing, Not, Or
from crmculture.model.facts import Schema
from crmculture.model.policies import Policy
from crmculture.model.rules import Rule

__all__ = [
    "FALSE",
    "TRUE",
    "UNKNOWN",
    "Box",
    "CompiledRule",
    "FactSpace",
    "check_resolved",
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


def check_resolved(*policies: Policy) -> None:
    """Refuse a policy that uses the as-of date: cells are cut at fixed values, so the
    analysis works on the policy as it decides on one day, ``policy.at(as_of)``.

    Raises:
        AsOfRequiredError: naming the rules and promises that use the as-of date.
    """
    for policy in policies:
        users = policy.as_of_users
        if users:
            raise AsOfRequiredError(policy.name, users)


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
        >>> from crmculture import F, Fact
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
            >>> from crmculture import F, Fact
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
