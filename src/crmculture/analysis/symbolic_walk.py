"""Journeys of partial customers: the walk the org analysis splits customer segments with.

`_Symbolic` walks the journeys of one culture for a *partial* customer, some of whose facts are
known. A guard or rule that reads a fact not yet known raises `_Need` with that fact (and the
walk so far, to resume from); the segment search (`crmculture.analysis.segments`) then splits
the customers on that fact's cells. `_Recorder` notes which guards each part of the search
consulted, so that cells whose customers would be asked the same questions are not searched
twice. Nothing here is public: `crmculture.analysis.org_metrics.analyze_org` and
`crmculture.analysis.what_if.compare` walk with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import repeat
from typing import Any, TypeAlias

from crmculture.culture import Culture
from crmculture.evaluate.combine import combine
from crmculture.evaluate.truth import holds
from crmculture.model.conditions import DECISION, Atom, Condition
from crmculture.model.directives import Combine
from crmculture.model.facts import Schema
from crmculture.model.rules import Rule
from crmculture.org.graph import Handoff, Referral
from crmculture.org.journeys import Journey, Suffixes, Walk


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
        # Routes found, by request and partial customer (see `Suffixes`).
        self.suffixes: dict[tuple[str, frozenset[tuple[str, Any]]], Suffixes] = {}
        # Per handoff (by identity: the org's own objects), its test (guard and the policy
        # department of its source; see `Culture`) and every fact the guard's answer can
        # depend on, through the decision too.
        # Each test's answers are remembered by the values of the facts it reads.
        answers: dict[int, dict[tuple[Any, ...], tuple[bool, Any]]] = {}
        self.made: dict[int, _Test] = {}  # by test number
        self.tests: dict[Any, _Test] = {}
        for handoff in culture.org.handoffs:
            self.tests[id(handoff)] = self._test(culture._tests[id(handoff)], answers)
        for key, test in culture._resolutions.items():
            self.tests[key] = self._test(test, answers)
        for (name, number), test in culture._referrals.items():
            self.tests[("referral", name, number)] = self._test(test, answers)

    def _test(
        self,
        test: tuple[int, Condition, str],
        answers: dict[int, dict[tuple[Any, ...], tuple[bool, Any]]],
    ) -> _Test:
        number, guard, scope = test
        made = self.made.get(number)
        if made is not None:
            # Handoffs sharing a test share everything about it, the atoms it consults too:
            # the segment search then compares each test's atoms once, not once per handoff.
            return made
        reads = set(guard.facts())
        conditions = [guard]
        for name in guard.directives():
            reads.update(self.reads[name])
            conditions.extend(rule.when for rule, _ in self.setting[name])
        atoms: dict[str, tuple[Atom, ...]] = {}
        for atom in _atoms(conditions):
            atoms[atom.fact] = (*atoms.get(atom.fact, ()), atom)
        made = (answers.setdefault(number, {}), guard, scope, tuple(sorted(reads)), atoms)
        self.made[number] = made
        return made

    def conditions(self) -> list[Condition]:
        culture = self.culture
        conditions = [rule.when for rule in culture.policy.effective_rules]
        conditions.extend(culture.guard(handoff) for handoff in culture.org.handoffs)
        conditions.extend(
            culture.resolution_guard(department.name, request)
            for department in culture.org.departments
            for request, _ in department.resolves_when
        )
        conditions.extend(
            culture.referral_guard(referral)
            for department in culture.org.departments
            for referral in department.refers
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

        def refers(department: str, referral: Referral) -> bool:
            return answer(("referral", department, id(referral)))

        recording = self.recorder.current
        # Walks of the same request for the same partial customer get the same answers,
        # whatever the door: they share the routes found (see `Suffixes`). A resumed walk
        # knows the customer better than when it was interrupted: it shares those of the
        # customers known now. Most walks remember nothing: a memo is kept only once used.
        memo = None
        if self.suffixes:
            memo = self.suffixes.get((request, frozenset(known.items())))
        if resume is None:
            walking = Walk(
                culture.org, request, door, cutoff=cutoff, max_routes=max_routes, suffixes=memo
            )
        else:
            walking = resume.copy()
            walking.suffixes = Suffixes() if memo is None else memo
        notes = walking.notes
        # A route told again consulted its guards when it was found: the segment search must
        # know (see `_Recorder`); all of the walk's, so perhaps more than it needs.
        reuse = None if recording is None else recording.update

        def answer(test: Any) -> bool:
            answers, guard, scope, reads, atoms = self.tests[test]
            notes[id(atoms)] = atoms
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

        try:
            return walking.run(applies, resolves, reuse, refers)
        except _Need as need:
            need.state = walking
            raise
        finally:
            if memo is None and walking.suffixes:
                self.suffixes[request, frozenset(known.items())] = walking.suffixes

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
        setting = self.setting[name]
        first = directive.combine is Combine.FIRST
        overriding = first and any(rule.overrides for rule, _ in setting)
        contributions = []
        for rule, value in setting:
            if rule.applies_to(department) and holds(rule.when, facts, self.schema):
                contributions.append((rule, value))
                if first and (rule.overrides or not overriding):
                    # Rules come in (priority, id) order: the first match decides, unless a
                    # later rule overrides it.
                    break
        return combine(directive, contributions).value
