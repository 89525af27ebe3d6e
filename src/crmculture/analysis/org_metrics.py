"""Org analysis: every journey of every customer segment, from every door, and what is wrong.

For each door (every department) and each request type, `analyze_org` splits the customers
into the *segments* the culture's conditions distinguish and walks one journey per segment. A
segment is found by walking with a partial customer: the walk asks for facts as guards and
rules need them, and each fact asked for splits the segment into the cells of that fact's
values which the conditions tell apart (``days_overdue`` against ``> 0`` and ``> 60``: 0, 1-60,
61 and more). Facts never asked for stay open. So the segments cover every customer, every
customer of a segment has the same journey, and the analysis is exact; each segment comes
with an example customer, and each finding's example is walked again with the culture's own
evaluator before it is reported.

Findings:

- ``long_journey``: the journey touches more than `max_departments` departments;
- ``dead_end``: the request cannot be resolved from this door for this segment;
- ``loop``: the journey comes back to a department it left (a ping-pong);
- ``ambiguous``: handoffs to different departments apply at the same step;
- ``cutoff``: the walk stopped at a bound (`cutoff` departments, `max_routes` routes).

The report also gives, per request and in total, departments to resolution and the share of
cases resolved by the door (first-contact resolution), the load of each department (how many
cases' journeys touch it, the bottlenecks first), betweenness centrality on the handoff graph,
and the departments no journey reaches from another door.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import repeat
from typing import Any, Literal, TypeAlias

import attrs
import networkx as nx

from crmculture.analysis.fact_space import FactSpace
from crmculture.analysis.findings import Customer
from crmculture.culture import Culture
from crmculture.errors import Problem
from crmculture.evaluate.combine import combine
from crmculture.evaluate.truth import holds
from crmculture.model.conditions import (
    ALWAYS,
    DECISION,
    And,
    Atom,
    Condition,
    Missing,
    Not,
    Or,
)
from crmculture.model.directives import Combine
from crmculture.model.facts import Fact, Schema
from crmculture.model.rules import Rule
from crmculture.org.graph import Handoff, OrgError
from crmculture.org.journeys import MAX_ROUTES, Journey, Walk

__all__ = [
    "Case",
    "FindingKind",
    "OrgFinding",
    "OrgReport",
    "RequestMetrics",
    "analyze_org",
]

FindingKind: TypeAlias = Literal["long_journey", "dead_end", "loop", "ambiguous", "cutoff"]
"""What an org finding reports."""

_KIND_ORDER: tuple[FindingKind, ...] = ("long_journey", "dead_end", "loop", "ambiguous", "cutoff")


@attrs.frozen
class Case:
    """One door, one request, one customer segment, and the journey every customer of the
    segment takes.

    Attributes:
        door: The department contacted first.
        request: The request type.
        segment: The customers of the segment, as a condition (``ALWAYS`` for everyone).
        customer: An example customer of the segment, as ``(fact, value)`` pairs in schema
            order, leaving out the facts the segment leaves open; `record` gives a dict.
        journey: The journey.
    """

    door: str
    request: str
    segment: Condition
    customer: Customer
    journey: Journey

    @property
    def record(self) -> dict[str, Any]:
        """The customer as a dict, a record `crmculture.Culture.journey` accepts."""
        return dict(self.customer)


@attrs.frozen
class OrgFinding:
    """Something wrong with the journeys of one segment from one door.

    Attributes:
        kind: ``long_journey``, ``dead_end``, ``loop``, ``ambiguous`` or ``cutoff``.
        door: The department contacted first.
        request: The request type.
        segment: The customers concerned, as a condition.
        customer: An example customer, checked with the culture's evaluator, as
            ``(fact, value)`` pairs in schema order (every required fact, and the optional
            ones the segment decides); `record` gives a dict.
        journey: Their journey.
        message: The finding in words.
    """

    kind: FindingKind
    door: str
    request: str
    segment: Condition
    customer: Customer
    journey: Journey
    message: str

    @property
    def record(self) -> dict[str, Any]:
        """The customer as a dict, a record `crmculture.Culture.journey` accepts."""
        return dict(self.customer)

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


@attrs.frozen
class RequestMetrics:
    """Journey metrics over the cases (door x segment) of one request type, or of all.

    Every case counts once, whatever the size of its segment.

    Attributes:
        request: The request type, or ``*`` for all of them.
        cases: The number of (door, segment) cases.
        resolved: Cases whose journey resolves the request.
        first_contact: Cases resolved by the door itself.
        dead_ends: Cases ending where nothing applies.
        loops: Cases ending in a loop.
        ambiguous: Cases with more than one route.
        long_journeys: Cases touching more than the bound of departments.
        departments_to_resolution: Departments touched, added up over resolved cases.
        max_departments: The most departments any case's journey touches.
    """

    request: str
    cases: int = 0
    resolved: int = 0
    first_contact: int = 0
    dead_ends: int = 0
    loops: int = 0
    ambiguous: int = 0
    long_journeys: int = 0
    departments_to_resolution: int = 0
    max_departments: int = 0

    @property
    def mean_departments(self) -> float | None:
        """Mean departments touched by resolved journeys, or None when none resolves."""
        if not self.resolved:
            return None
        return round(self.departments_to_resolution / self.resolved, 6)

    @property
    def first_contact_share(self) -> float | None:
        """The share of cases resolved by the door (None when there are no cases)."""
        return round(self.first_contact / self.cases, 6) if self.cases else None

    @property
    def resolved_share(self) -> float | None:
        """The share of cases resolved at all (None when there are no cases)."""
        return round(self.resolved / self.cases, 6) if self.cases else None


def _count(request: str, cases: Iterable[Case], max_departments: int) -> RequestMetrics:
    totals = dict.fromkeys(
        (
            "cases",
            "resolved",
            "first_contact",
            "dead_ends",
            "loops",
            "ambiguous",
            "long_journeys",
            "departments_to_resolution",
        ),
        0,
    )
    deepest = 0
    for case in cases:
        journey = case.journey
        totals["cases"] += 1
        deepest = max(deepest, journey.touched)
        if journey.resolved:
            totals["resolved"] += 1
            totals["departments_to_resolution"] += journey.touched
            if len(journey.departments) == 1:
                totals["first_contact"] += 1
        totals["dead_ends"] += journey.dead_end
        totals["loops"] += bool(journey.loop)
        totals["ambiguous"] += journey.ambiguous
        totals["long_journeys"] += journey.touched > max_departments
    return RequestMetrics(request, **totals, max_departments=deepest)


@attrs.frozen
class OrgReport:
    """The org analysis of one culture.

    Attributes:
        max_departments: The bound on departments a journey may touch.
        cases: Every (door, request, segment) case with its journey, by door and request.
        findings: Everything wrong, by kind, then door, request and segment.
        requests: Metrics per request type, by name.
        total: Metrics over every case.
        load: ``(department, cases whose journey touches it)``, busiest first.
        betweenness: ``(department, betweenness centrality on the handoff graph)``, highest
            first, rounded to 6 places.
        unreachable: Departments no journey from another door reaches, sorted.
    """

    max_departments: int
    cases: tuple[Case, ...]
    findings: tuple[OrgFinding, ...]
    requests: tuple[RequestMetrics, ...]
    total: RequestMetrics
    load: tuple[tuple[str, int], ...]
    betweenness: tuple[tuple[str, float], ...]
    unreachable: tuple[str, ...]

    def of_kind(self, kind: FindingKind) -> tuple[OrgFinding, ...]:
        """The findings of one kind."""
        return tuple(finding for finding in self.findings if finding.kind == kind)

    def metrics(self, request: str) -> RequestMetrics:
        """The metrics of one request type (``*`` for the total).

        Raises:
            KeyError: for a request type the report does not cover.
        """
        if request == "*":
            return self.total
        for metrics in self.requests:
            if metrics.request == request:
                return metrics
        raise KeyError(f"no metrics for request type `{request}`")

    def bottlenecks(self, n: int = 3) -> tuple[str, ...]:
        """The `n` departments on the most journeys (ties by name)."""
        return tuple(name for name, count in self.load[:n] if count)


# -- the segments --------------------------------------------------------------------------


class _Need(Exception):
    """The walk needs a fact the partial customer does not have yet.

    `state` is what the asker had done before it asked (a `Walk` in progress, say), for it to
    resume from once the fact is known; None to start again.
    """

    def __init__(self, fact: str, state: Any = None) -> None:
        super().__init__(fact)
        self.fact = fact
        self.state = state


class _Partial(Mapping[str, Any]):
    """Customer facts, some known; reading an unknown one raises `_Need`. Reading
    ``decision.<directive>`` asks `directive` for its value."""

    __slots__ = ("_directive", "known")

    def __init__(self, known: Mapping[str, Any], directive: Callable[[str], Any]) -> None:
        self.known = known
        self._directive = directive

    def __getitem__(self, key: str) -> Any:
        if key in self.known:
            return self.known[key]
        if key.startswith(DECISION):
            return self._directive(key[len(DECISION) :])
        raise _Need(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self.known)

    def __len__(self) -> int:
        return len(self.known)


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


def _atoms(conditions: Iterable[Condition]) -> list[Atom]:
    found: dict[Atom, None] = {}
    for condition in conditions:
        for node in condition.walk():
            if isinstance(node, Atom) and not node.fact.startswith(DECISION):
                found.setdefault(node)
    return sorted(found, key=str)


_Test: TypeAlias = tuple[
    dict[tuple[Any, ...], tuple[bool, Any]],
    Condition,
    str,
    tuple[str, ...],
    dict[str, tuple[Atom, ...]],
]
"""A guard's memo of answers (by the values of the facts it reads), the guard, the policy
department it is read at, those facts, and by fact the atoms its answer can depend on
(its own, and those of the rules setting the directives it reads)."""


class _Recorder:
    """Which guards a part of the segment search consulted (see `_segments`): each guard's
    atoms by fact, by identity."""

    __slots__ = ("current", "schema", "truth")

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.current: dict[int, dict[str, tuple[Atom, ...]]] | None = None
        self.truth: dict[tuple[Atom, Any], bool] = {}

    def same(
        self,
        consulted: Mapping[int, Mapping[str, tuple[Atom, ...]]],
        fact: str,
        one: Any,
        other: Any,
    ) -> bool:
        """Whether every atom on `fact` that the consulted guards can read answers the same
        for the values `one` and `other`."""
        truth = self.truth
        for atoms in consulted.values():
            for atom in atoms.get(fact, ()):
                answers = []
                for value in (one, other):
                    key = (atom, value)
                    answer = truth.get(key)
                    if answer is None:
                        answer = truth[key] = holds(atom, {fact: value}, self.schema)
                    answers.append(answer)
                if answers[0] != answers[1]:
                    return False
        return True


class _Symbolic:
    """Walks journeys of one culture for partial customers (raising `_Need`)."""

    def __init__(self, culture: Culture, recorder: _Recorder | None = None) -> None:
        self.culture = culture
        self.recorder = _Recorder(culture.policy.schema) if recorder is None else recorder
        policy = culture.policy
        self.schema = policy.schema
        self.directives = policy.directive_index
        self.setting: dict[str, list[tuple[Rule, Any]]] = {name: [] for name in self.directives}
        for rule in policy.effective_rules:
            for name, value in rule.then:
                self.setting[name].append((rule, value))
        # The facts each directive's value can depend on, and a memo of values (or of the
        # fact still needed) by department and those facts' known values: the same partial
        # customers come back for every door and request.
        self.reads = {
            name: tuple(sorted({fact for rule, _ in rules for fact in rule.when.facts()}))
            for name, rules in self.setting.items()
        }
        self.memo: dict[tuple[Any, ...], tuple[bool, Any]] = {}
        # Per handoff (by identity: the org's own objects), its test (guard and the policy
        # department of its source; see `Culture`) and every fact the guard's answer can
        # depend on, through the decision too.
        # Each test's answers are remembered by the values of the facts it reads.
        answers: dict[int, dict[tuple[Any, ...], tuple[bool, Any]]] = {}
        self.tests: dict[Any, _Test] = {}
        for handoff in culture.org.handoffs:
            self.tests[id(handoff)] = self._test(culture._tests[id(handoff)], answers)
        for key, test in culture._resolutions.items():
            self.tests[key] = self._test(test, answers)

    def _test(
        self,
        test: tuple[int, Condition, str],
        answers: dict[int, dict[tuple[Any, ...], tuple[bool, Any]]],
    ) -> _Test:
        number, guard, scope = test
        reads = set(guard.facts())
        conditions = [guard]
        for name in guard.directives():
            reads.update(self.reads[name])
            conditions.extend(rule.when for rule, _ in self.setting[name])
        atoms: dict[str, tuple[Atom, ...]] = {}
        for atom in _atoms(conditions):
            atoms[atom.fact] = (*atoms.get(atom.fact, ()), atom)
        return (answers.setdefault(number, {}), guard, scope, tuple(sorted(reads)), atoms)

    def conditions(self) -> list[Condition]:
        culture = self.culture
        conditions = [rule.when for rule in culture.policy.effective_rules]
        conditions.extend(culture.guard(handoff) for handoff in culture.org.handoffs)
        conditions.extend(
            culture.resolution_guard(department.name, request)
            for department in culture.org.departments
            for request, _ in department.resolves_when
        )
        return conditions

    def journey(
        self,
        request: str,
        door: str,
        cutoff: int | None,
        max_routes: int,
        known: Mapping[str, Any],
        resume: Walk | None = None,
    ) -> Journey:
        """The journey of the customers `known` describes; raises `_Need` (with the walk so
        far as its state, to `resume` from) when a guard needs a fact not in `known`."""
        culture, schema = self.culture, self.schema
        facts = _Partial(known, lambda name: None)
        views: dict[str, _Partial] = {}

        def at(scope: str) -> _Partial:
            view = views.get(scope)
            if view is None:
                values: dict[str, Any] = {}

                def directive(name: str) -> Any:
                    if name not in values:
                        values[name] = self.cached_value(name, scope, known, facts)
                    return values[name]

                view = views[scope] = _Partial(known, directive)
            return view

        def applies(handoff: Handoff) -> bool:
            return answer(id(handoff))

        def resolves(department: str) -> bool:
            return answer((department, request))

        recording = self.recorder.current

        def answer(test: Any) -> bool:
            answers, guard, scope, reads, atoms = self.tests[test]
            if recording is not None:
                recording[id(atoms)] = atoms
            key = tuple(map(known.get, reads, repeat(_Need)))
            hit = answers.get(key)
            if hit is None:
                try:
                    hit = (True, holds(guard, at(scope), schema, self.directives))
                except _Need as need:
                    hit = (False, need.fact)
                answers[key] = hit
            if hit[0]:
                return bool(hit[1])
            raise _Need(str(hit[1]))

        if resume is None:
            walking = Walk(culture.org, request, door, cutoff=cutoff, max_routes=max_routes)
        else:
            walking = resume.copy()
        try:
            return walking.run(applies, resolves)
        except _Need as need:
            need.state = walking
            raise

    def cached_value(
        self, name: str, department: str, known: Mapping[str, Any], facts: _Partial
    ) -> Any:
        """`value`, remembered by department and the known values of the facts it reads."""
        key = (name, department, *(known.get(fact, _Need) for fact in self.reads[name]))
        hit = self.memo.get(key)
        if hit is None:
            try:
                hit = (True, self.value(name, department, facts))
            except _Need as need:
                hit = (False, need.fact)
            self.memo[key] = hit
        if hit[0]:
            return hit[1]
        raise _Need(str(hit[1]))

    def value(self, name: str, department: str, facts: _Partial) -> Any:
        """The decision's value of directive `name` at `department`: the reference
        semantics, reading only the facts the deciding rules need."""
        directive = self.directives[name]
        contributions = []
        for rule, value in self.setting[name]:
            if rule.applies_to(department) and holds(rule.when, facts, self.schema):
                contributions.append((rule, value))
                if directive.combine is Combine.FIRST:
                    break  # rules come in (priority, id) order: the first match decides
        return combine(directive, contributions).value


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


def _check_bounds(max_departments: object, cutoff: object, max_routes: object) -> list[Problem]:
    problems = []
    for name, value, allow_none in (
        ("max_departments", max_departments, False),
        ("cutoff", cutoff, True),
        ("max_routes", max_routes, False),
    ):
        if value is None and allow_none:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            problems.append(Problem((name,), f"{name} must be an int of at least 1: `{value!r}`"))
    return problems


def _choose(
    given: Iterable[str] | None, known: Sequence[str], what: str, problems: list[Problem]
) -> tuple[str, ...]:
    if given is None:
        return tuple(known)
    chosen = sorted(set(given))
    problems.extend(
        Problem((what,), f"unknown {what[:-1].replace('_', ' ')} `{name}`", name)
        for name in chosen
        if name not in known
    )
    return tuple(chosen)


def _message(kind: FindingKind, case: Case, max_departments: int) -> str:
    journey = case.journey
    where = f"`{case.request}` from `{case.door}`"
    path = " -> ".join(journey.departments)
    if kind == "long_journey":
        return (
            f"{where} touches {journey.touched} departments ({path}); "
            f"the bound is {max_departments}"
        )
    if kind == "dead_end":
        return f"{where} cannot be resolved: the journey ends at `{journey.departments[-1]}`"
    if kind == "loop":
        return f"{where} goes round in a loop: {' -> '.join(journey.loop)}"
    if kind == "ambiguous":
        count = f"{len(journey.routes)}{'+' if journey.truncated else ''}"
        return f"{where} has {count} routes: the culture gives no single answer"
    return f"{where} stopped at a bound after {path}"


def _kinds(journey: Journey, max_departments: int) -> list[FindingKind]:
    kinds: list[FindingKind] = []
    if journey.touched > max_departments:
        kinds.append("long_journey")
    if journey.dead_end:
        kinds.append("dead_end")
    if journey.loop:
        kinds.append("loop")
    if journey.ambiguous:
        kinds.append("ambiguous")
    if journey.truncated or any(route.outcome == "cutoff" for route in journey.routes):
        kinds.append("cutoff")
    return kinds


class _Confirm:
    """Walks example customers again with the culture's own evaluator (validation, compiled
    policy, `Culture.journey`'s walk), one walker per distinct example: many cases share an
    example customer, and a walker decides once per department."""

    def __init__(self, culture: Culture, cutoff: int | None, max_routes: int) -> None:
        self.culture = culture
        self.cutoff = cutoff
        self.max_routes = max_routes
        self.walkers: dict[tuple[tuple[str, Any], ...], Callable[..., Journey]] = {}

    def __call__(self, record: Mapping[str, Any], journey: Journey) -> None:
        key = tuple(record.items())
        walker = self.walkers.get(key)
        if walker is None:
            walker = self.walkers[key] = self.culture._walker(record)
        # INVARIANT: every example is walked again with the culture's own evaluator.
        again = walker(journey.request, journey.door, self.cutoff, self.max_routes)
        if again != journey:  # pragma: no cover - would be a bug in the segment search
            raise AssertionError(
                f"internal error: the example customer {dict(record)} takes {again}, not {journey}"
            )


def analyze_org(
    culture: Culture,
    *,
    max_departments: int = 3,
    doors: Iterable[str] | None = None,
    requests: Iterable[str] | None = None,
    cutoff: int | None = None,
    max_routes: int = MAX_ROUTES,
) -> OrgReport:
    """Walk every customer segment from every door with every request, and report.

    Args:
        culture: The policy and its org.
        max_departments: Journeys touching more departments than this are findings.
        doors: The doors to start from (default: every department).
        requests: The request types (default: every request type of the org).
        cutoff: The most departments a route may hold (None: no bound).
        max_routes: The most routes enumerated for an ambiguous journey.

    Returns:
        The report; see the module documentation.

    Raises:
        OrgError: for unknown doors or request types, or bad bounds.

    Examples:
        >>> from crmculture.stories import acme_culture
        >>> report = analyze_org(acme_culture())
        >>> long = [f for f in report.of_kind("long_journey") if f.door == "sales"][0]
        >>> print(long.message)
        `replacement_part` from `sales` touches 5 departments (sales -> billing -> accounts_receivable -> engineering -> shipping); the bound is 3
        >>> print(long.segment)
        not credit_hold and days_overdue > 0 and not days_overdue > 60
        >>> long.record
        {'credit_hold': False, 'days_overdue': 1, 'annual_volume': 0, 'tier': 'bronze'}
    """  # noqa: E501
    problems = _check_bounds(max_departments, cutoff, max_routes)
    org = culture.org
    chosen_doors = _choose(doors, org.names, "doors", problems)
    chosen_requests = _choose(requests, org.requests, "requests", problems)
    if problems:
        raise OrgError("invalid org analysis", problems)
    symbolic = _Symbolic(culture)
    schema = culture.policy.schema
    atoms = _atoms(symbolic.conditions())
    cells = representatives(schema, atoms)
    cases: list[Case] = []
    memo: dict[tuple[str, Any], tuple[list[Condition], list[str]]] = {}
    confirm = _Confirm(culture, cutoff, max_routes)
    keyed: list[tuple[tuple[int, str, str, str], OrgFinding]] = []
    for door in chosen_doors:
        for request in chosen_requests:
            probe = functools.partial(symbolic.journey, request, door, cutoff, max_routes)
            for known, journey in _segments(cells, probe, symbolic.recorder):
                segment, example, text = _describe(schema, atoms, cells, known, memo)
                case = Case(door, request, segment, example, journey)
                cases.append(case)
                kinds = _kinds(journey, max_departments)
                if not kinds:
                    continue
                record = _filled(schema, cells, example)
                confirm(record, journey)
                full = tuple(record.items())
                keyed.extend(
                    (
                        (_KIND_ORDER.index(kind), door, request, text),
                        OrgFinding(
                            kind,
                            door,
                            request,
                            segment,
                            full,
                            journey,
                            _message(kind, case, max_departments),
                        ),
                    )
                    for kind in kinds
                )
    keyed.sort(key=lambda item: item[0])
    findings = [finding for _, finding in keyed]
    return _report(culture, max_departments, cases, findings)


def _report(
    culture: Culture, max_departments: int, cases: list[Case], findings: list[OrgFinding]
) -> OrgReport:
    org = culture.org
    by_request: dict[str, list[Case]] = {}
    load = dict.fromkeys(org.names, 0)
    reached: set[str] = set()
    for case in cases:
        by_request.setdefault(case.request, []).append(case)
        for name in {name for route in case.journey.routes for name in route.departments}:
            load[name] += 1
        for route in case.journey.routes:
            reached.update(route.departments[1:])
    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_nodes_from(org.names)
    graph.add_edges_from((handoff.source, handoff.target) for handoff in org.handoffs)
    # The networkx implementation, whatever backend is installed: the same numbers everywhere.
    central: dict[Any, float] = nx.betweenness_centrality(graph, backend="networkx")
    return OrgReport(
        max_departments=max_departments,
        cases=tuple(cases),
        findings=tuple(findings),
        requests=tuple(
            _count(request, by_request[request], max_departments) for request in sorted(by_request)
        ),
        total=_count("*", cases, max_departments),
        load=tuple(sorted(load.items(), key=lambda item: (-item[1], item[0]))),
        betweenness=tuple(
            sorted(
                ((name, round(float(central[name]), 6)) for name in org.names),
                key=lambda item: (-item[1], item[0]),
            )
        ),
        unreachable=tuple(name for name in org.names if name not in reached),
    )
