"""Customer segments: the customers split until every one of a segment takes the same journey.

The split starts from the cells of each fact (`representatives`): one value per set of values
that the culture's conditions tell apart. The segmentation asks a probe (a journey walk of
`crmculture.analysis.symbolic_walk`) about a partial customer and splits on each fact the probe
needs, merging again the cells whose customers get the same answers; each segment is then
described as a condition with an example customer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from crmculture.analysis.fact_space import FactSpace
from crmculture.analysis.findings import Customer
from crmculture.analysis.symbolic_walk import _Need, _Recorder
from crmculture.evaluate.truth import holds
from crmculture.model.conditions import ALWAYS, And, Atom, Condition, Missing, Not, Or
from crmculture.model.facts import Fact, Schema

__all__ = ["representatives"]


def representatives(schema: Schema, atoms: Iterable[Atom]) -> dict[str, tuple[Any, ...]]:
    """One value of each fact per cell of the values that `atoms` tell apart.

    Two values are in the same cell when every atom on the fact gives the same answer for
    both. The representatives come in increasing order (declared order for enums), missing
    (None) last for optional facts without default. They are those of the verifier's fact
    space (`crmculture.analysis.fact_space.FactSpace.representatives`).

    Examples:
        >>> from crmculture import F, Fact, Schema
        >>> schema = Schema([Fact.int("days_overdue", min=0), Fact.bool("credit_hold")])
        >>> representatives(schema, [F.days_overdue > 60, F.days_overdue == 0,
        ...                        F.credit_hold == True])
        {'days_overdue': (0, 1, 61), 'credit_hold': (False, True)}
        >>> representatives(schema, [])  # no atom tells values apart: one cell each
        {'days_overdue': (0,), 'credit_hold': (False,)}
    """
    return FactSpace(schema, atoms).representatives()


@attrs.frozen
class _AnyOf:
    """Several cells of one fact, merged into one segment because the answer is the same."""

    values: tuple[Any, ...]


def _segments(
    cells: Mapping[str, tuple[Any, ...]],
    probe: Callable[[Mapping[str, Any], Any], Any],
    recorder: _Recorder,
) -> list[tuple[dict[str, Any], Any]]:
    """Split the customers until `probe` answers without needing another fact.

    ``probe(known, state)`` answers for the customers `known` describes or raises `_Need`;
    `state` is the state of the `_Need` that split the parent segment (None at the top), for
    the probe to resume from: what it did before it asked holds for every part.

    Cells of the split fact whose customers get the same segments below, with the same
    answers, are merged again (all of them: the fact does not matter there).

    The probe's guards report to `recorder` what they consulted. A cell is not searched at
    all when every atom on the fact that the guards consulted below an earlier cell answers
    the same for both: the search below it would ask the same questions and get the same
    answers, so its segments are that cell's.
    """

    def explore(
        known: dict[str, Any], state: Any
    ) -> tuple[list[tuple[dict[str, Any], Any]], dict[int, dict[str, tuple[Atom, ...]]]]:
        consulted: dict[int, dict[str, tuple[Atom, ...]]] = {}
        recorder.current = consulted
        try:
            return [(known, probe(known, state))], consulted
        except _Need as need:
            fact, state = need.fact, need.state
            if fact in known:  # pragma: no cover - a bug guard: no fact is asked for twice
                raise AssertionError(f"internal error: `{fact}` asked for twice") from None
        finally:
            recorder.current = None
        # Group the fact's cells by what the customers of each get: the same segments
        # below (without the fact) with the same answers. A group is one segment of the
        # fact; a single group means the fact does not matter here at all.
        groups: list[tuple[list[tuple[dict[str, Any], Any]], list[Any]]] = []
        searched: list[tuple[Any, dict[int, dict[str, tuple[Atom, ...]]], int]] = []
        for value in cells[fact]:
            alike = next(
                (
                    group
                    for seen, below, group in searched
                    if recorder.same(below, fact, seen, value)
                ),
                None,
            )
            if alike is not None:
                groups[alike][1].append(value)
                continue
            part, below = explore({**known, fact: value}, state)
            consulted.update(below)
            shape = [({k: v for k, v in sub.items() if k != fact}, answer) for sub, answer in part]
            for position, (seen_shape, values) in enumerate(groups):
                if seen_shape == shape:
                    values.append(value)
                    searched.append((value, below, position))
                    break
            else:
                groups.append((shape, [value]))
                searched.append((value, below, len(groups) - 1))
        if len(groups) == 1:
            return groups[0][0], consulted
        result: list[tuple[dict[str, Any], Any]] = []
        for shape, values in groups:
            chosen = values[0] if len(values) == 1 else _AnyOf(tuple(values))
            result.extend(({**sub, fact: chosen}, answer) for sub, answer in shape)
        return result, consulted

    return explore({}, None)[0]


def _literals(
    schema: Schema, fact: Fact, atoms: Sequence[Atom], cells: tuple[Any, ...], values: Any
) -> list[Condition]:
    """The cell(s) of one fact as literals (atoms or their negations), without those the
    others imply; checked on one value per cell, so exactly."""
    chosen = list(values.values) if isinstance(values, _AnyOf) else [values]
    present = [value for value in chosen if value is not None]
    if not present:
        return [Missing(fact.name)]
    tests = [atom for atom in atoms if atom.fact == fact.name and not isinstance(atom, Missing)]

    def truth(condition: Condition, value: Any) -> bool:
        return value is not None and holds(condition, {fact.name: value}, schema)

    own: list[Condition] = []
    for atom in tests:
        answers = {truth(atom, value) for value in present}
        if answers == {True}:
            own.append(atom)
        elif answers == {False}:
            own.append(Not(atom))
    others = [value for value in cells if value is not None]
    kept = list(own)
    for literal in own:
        rest = [item for item in kept if item is not literal]
        if rest and all(
            truth(literal, value) for value in others if all(truth(i, value) for i in rest)
        ):
            kept = rest
    exact = {value for value in others if all(truth(item, value) for item in kept)}
    if exact == set(present) and len(present) == len(chosen):
        if None in cells:  # the fact may be missing, and this segment says it is not
            kept.append(Missing(fact.name, negated=True))
        return kept
    # The merged cells are not one conjunction: list them one by one.
    alternatives = [
        And(cell) if len(cell) > 1 else cell[0] if cell else ALWAYS
        for cell in (_literals(schema, fact, atoms, cells, value) for value in chosen)
    ]
    return [Or(alternatives)]


def _describe(
    schema: Schema,
    atoms: Sequence[Atom],
    cells: Mapping[str, tuple[Any, ...]],
    known: Mapping[str, Any],
    memo: dict[tuple[str, Any], tuple[list[Condition], list[str]]] | None = None,
) -> tuple[Condition, Customer, str]:
    """The segment of `known` as a condition, an example customer of it, and the segment's
    text (``str(segment)``, put together from the texts of its literals).

    Per fact, the segment is the cell of its value: each atom on the fact, or its negation,
    without the literals the others imply: ``days_overdue > 0 and days_overdue <= 30``, not
    also ``not days_overdue == 0``. `memo` keeps each fact's literals between calls.
    """
    if memo is None:
        memo = {}
    literals: list[Condition] = []
    texts: list[str] = []
    example: list[tuple[str, Any]] = []
    for fact in schema:
        if fact.name not in known:
            continue
        value = known[fact.name]
        first = value.values[0] if isinstance(value, _AnyOf) else value
        if first is not None:
            example.append((fact.name, first))
        key = (fact.name, value)
        found = memo.get(key)
        if found is None:
            own = _literals(schema, fact, atoms, cells[fact.name], value)
            found = memo[key] = (own, [literal.text(And.precedence) for literal in own])
        literals.extend(found[0])
        texts.extend(found[1])
    if not literals:
        return ALWAYS, tuple(example), str(ALWAYS)
    if len(literals) == 1:
        return literals[0], tuple(example), str(literals[0])
    return And(literals), tuple(example), " and ".join(texts)


def _filled(
    schema: Schema, cells: Mapping[str, tuple[Any, ...]], example: Customer
) -> dict[str, Any]:
    """The example with every required fact it leaves open set to its first cell's value."""
    given = dict(example)
    record = {}
    for fact in schema:
        name = fact.name
        if name in given:
            record[name] = given[name]
        elif not fact.optional:
            record[name] = next(v for v in cells[name] if v is not None)
    return record
