"""The search over boxes of the fact space, for a query, within a budget.

The search works on *boxes* (`crmculture.analysis.fact_space.Box`): for each fact a set of cells
(a bit mask), and a set of department contexts. It evaluates every rule's condition three-valued
over a box (true for every customer in it, false for every one, or undecided), asks a *query*
whether the box answers its question (a conflict is certain, impossible, ...), and otherwise
splits the box on one undecided atom of one rule: one fact at a time. A subtree whose answer is
already decided is never split further, so the cost follows the structure of the rules that
matter to the question, not the product of all cells. A budget bounds the number of boxes; when
it is reached the search says so, with the share of the space it did resolve.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from fractions import Fraction
from typing import Any, Final, Literal, TypeAlias

import attrs

from crmculture.analysis.fact_space import FALSE, UNKNOWN, Box, CompiledRule, FactSpace, Tri

__all__ = ["Branch", "Search", "SearchStatus"]

SearchStatus: TypeAlias = Literal["exhausted", "stopped", "budget"]
"""How a search ended: it resolved the whole space (``exhausted``), it had its answer before
that (``stopped``), or it ran out of budget (``budget``)."""

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
