"""Hypothesis strategies for org graphs and cultures.

Generated orgs shrink towards few departments, few handoffs, unguarded handoffs for every
request and zero minutes; departments are ``d0``, ``d1``, ... and request types come from a
small vocabulary, so that failing examples read easily.

Examples:
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=10)
    ... @given(org_graphs(min_departments=2))
    ... def test_handoffs_join_departments(org):
    ...     assert all(h.source in org.names and h.target in org.names for h in org.handoffs)
    >>> test_handoffs_join_departments()
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import attrs
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from crmculture.culture import Culture
from crmculture.errors import did_you_mean
from crmculture.model.conditions import ALWAYS, DECISION, Compare, Condition, In
from crmculture.model.directives import Directive
from crmculture.model.facts import Schema
from crmculture.model.policies import Policy
from crmculture.org.graph import Department, Handoff, OrgGraph, Referral
from crmculture.testing.policy_strategies import conditions, directive_values, rules
from crmculture.testing.strategies import _boundaries, _customers, schemas

__all__ = ["REQUESTS", "cultures", "guards_for", "journey_cases", "org_graphs"]

REQUESTS = ("part", "quote", "refund")
"""The default request types of generated orgs."""


def _check_int(name: str, value: object, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise InvalidArgument(f"{name}={value!r} must be an int of at least {low}")


def _check_sizes(
    min_departments: int, max_departments: int, max_handoffs: int, requests: Sequence[str]
) -> tuple[str, ...]:
    _check_int("min_departments", min_departments, 1)
    _check_int("max_departments", max_departments, 1)
    _check_int("max_handoffs", max_handoffs, 0)
    if max_departments < min_departments:
        raise InvalidArgument(
            f"max_departments={max_departments!r} must be at least "
            f"min_departments={min_departments!r}"
        )
    if isinstance(requests, str):
        raise InvalidArgument(f"requests must be a list of strings, not the string {requests!r}")
    chosen = tuple(requests)
    if not chosen or any(not isinstance(r, str) or not r for r in chosen):
        raise InvalidArgument(f"requests must be a non-empty list of non-empty strings: {chosen!r}")
    if len(set(chosen)) != len(chosen):
        raise InvalidArgument(f"requests lists a request type twice: {chosen!r}")
    return chosen


@st.composite
def _org(
    draw: st.DrawFn,
    min_departments: int,
    max_departments: int,
    max_handoffs: int,
    requests: tuple[str, ...],
    guards: st.SearchStrategy[Condition],
    policy_departments: tuple[str, ...] | None,
    resolution_guards: bool = False,
) -> OrgGraph:
    count = draw(st.integers(min_departments, max_departments))
    names = [f"d{index}" for index in range(count)]
    departments = []
    for name in names:
        resolves = draw(st.lists(st.sampled_from(requests), max_size=2, unique=True))
        decides_as = None
        if policy_departments is not None:
            decides_as = draw(st.sampled_from(policy_departments))
        resolves_when: dict[str, Condition] = {}
        if resolution_guards:
            # Drawn after the rest, so that the guards shrink to ALWAYS on their own.
            resolves_when = {request: draw(guards) for request in resolves}
        departments.append(
            Department(name, resolves, decides_as=decides_as, resolves_when=resolves_when)
        )
    handoffs: list[Handoff] = []
    if count > 1:
        handoff = st.builds(
            _handoff,
            st.integers(0, count - 1),
            st.integers(1, count - 1),
            st.one_of(st.none(), st.lists(st.sampled_from(requests), min_size=1, unique=True)),
            guards,
            st.integers(0, 30),
            st.just(names),
        )
        handoffs = draw(st.lists(handoff, max_size=max_handoffs, unique=True))
    if resolution_guards:
        # Referrals last, so that they shrink away on their own: at most one a department,
        # to a department or outside, for some requests, under a guard.
        referral = st.builds(
            Referral,
            st.sampled_from([*names, "partner"]),
            st.one_of(st.none(), st.lists(st.sampled_from(requests), min_size=1, unique=True)),
            when=guards,
            message=st.sampled_from(["", "see them"]),
        )
        for position, department in enumerate(departments):
            made = draw(st.lists(referral, max_size=1))
            if made:
                departments[position] = attrs.evolve(
                    department,
                    refers=[attrs.evolve(r, outside=r.to not in names) for r in made],
                )
    return OrgGraph(departments, handoffs)


def _handoff(
    source: int,
    offset: int,
    requests: list[str] | None,
    when: Condition,
    minutes: int,
    names: list[str],
) -> Handoff:
    # The target is `offset` steps after the source, round the list: never the source itself.
    target = (source + offset) % len(names)
    return Handoff(names[source], names[target], requests, when=when, minutes=minutes)


def org_graphs(
    *,
    min_departments: int = 1,
    max_departments: int = 5,
    max_handoffs: int = 10,
    requests: Sequence[str] = REQUESTS,
) -> st.SearchStrategy[OrgGraph]:
    """Valid org graphs of departments ``d0``, ``d1``, ... with unguarded handoffs.

    Args:
        min_departments: The fewest departments (at least 1).
        max_departments: The most departments.
        max_handoffs: The most handoffs; parallel handoffs and cycles are generated too.
        requests: The request types departments resolve and handoffs carry.

    Raises:
        InvalidArgument: for sizes out of order or below their minimum, or bad request types.

    Examples:
        >>> from hypothesis import given, settings
        >>> @settings(max_examples=10)
        ... @given(org_graphs(max_departments=3))
        ... def test_size(org):
        ...     assert 1 <= len(org) <= 3
        >>> test_size()
    """
    chosen = _check_sizes(min_departments, max_departments, max_handoffs, requests)
    return _org(min_departments, max_departments, max_handoffs, chosen, st.just(ALWAYS), None)


def _decision_atoms(directives: Sequence[Directive]) -> list[st.SearchStrategy[Condition]]:
    atoms: list[st.SearchStrategy[Condition]] = []
    for directive in directives:
        if directive.collects:
            continue
        name = DECISION + directive.name
        values = directive_values(directive)
        atoms.append(st.builds(Compare, st.just(name), st.sampled_from(["==", "!="]), values))
        atoms.append(
            st.builds(In, st.just(name), st.lists(values, min_size=1, max_size=2), st.booleans())
        )
    return atoms


def guards_for(policy: Policy) -> st.SearchStrategy[Condition]:
    """Handoff guards valid for `policy`: ``ALWAYS`` (what they shrink to), conditions on
    customer facts, and tests of the decision's single-valued directives."""
    options: list[st.SearchStrategy[Condition]] = [st.just(ALWAYS)]
    options.extend(_decision_atoms(policy.directives))
    if len(policy.schema):
        options.append(conditions(policy.schema, max_leaves=2))
    return st.one_of(options)


def _safe_directives() -> list[Directive]:
    """Directives every customer gets a value for, without conflicts: generated cultures
    decide everyone."""
    return [
        Directive.text("route_to", values=["desk", "finance", "partners"], default="desk"),
        Directive.enum("level", ["standard", "priority", "top"], default="standard", combine="max"),
        Directive.bool("may_ship", default=True, combine="all"),
    ]


@st.composite
def _culture(
    draw: st.DrawFn,
    policy: Policy | None,
    min_departments: int,
    max_departments: int,
    max_handoffs: int,
    requests: tuple[str, ...],
) -> Culture:
    if policy is None:
        schema: Schema = draw(schemas(max_facts=3))
        directives = _safe_directives()
        company = draw(rules(schema, directives, max_size=4))
        policy = Policy("generated", schema, directives, company)
    org = draw(
        _org(
            min_departments,
            max_departments,
            max_handoffs,
            requests,
            guards_for(policy),
            policy.departments,
            resolution_guards=True,
        )
    )
    return Culture(policy, org)


def cultures(
    *,
    policy: Policy | None = None,
    min_departments: int = 1,
    max_departments: int = 5,
    max_handoffs: int = 10,
    requests: Sequence[str] = REQUESTS,
) -> st.SearchStrategy[Culture]:
    """Valid cultures: a policy (given, or generated so that it decides every customer) and a
    generated org whose handoffs, departments' resolutions (``resolves_when``) and referrals
    (``refers``, at most one a department) are guarded by conditions on facts and on the
    decision.

    Args:
        policy: A fixed policy; by default a small one is generated (up to 3 facts, a
            ``route_to``, a ``level`` and a ``may_ship`` directive, up to 4 rules).
        min_departments: The fewest departments (at least 1).
        max_departments: The most departments.
        max_handoffs: The most handoffs.
        requests: The request types.

    Raises:
        InvalidArgument: for bad sizes or request types, or a `policy` that is not a Policy.

    Examples:
        >>> from hypothesis import given, settings
        >>> @settings(max_examples=5)
        ... @given(cultures(min_departments=2))
        ... def test_departments(culture):
        ...     assert len(culture.org) >= 2
        >>> test_departments()
    """
    chosen = _check_sizes(min_departments, max_departments, max_handoffs, requests)
    if policy is not None and not isinstance(policy, Policy):
        raise InvalidArgument(f"cultures(): policy must be a Policy, not {policy!r}")
    return _culture(policy, min_departments, max_departments, max_handoffs, chosen)


def choose_names(
    where: str, label: str, chosen: Iterable[str] | None, known: Sequence[str]
) -> tuple[str, ...]:
    """Check a choice of request types or doors (`label`) among the `known` ones, for the
    function `where`; None chooses all of them."""
    if chosen is None:
        if not known:
            raise InvalidArgument(f"{where}(): the org has no {label}")
        return tuple(known)
    if isinstance(chosen, str) or not isinstance(chosen, Iterable):
        raise InvalidArgument(f"{where}(): {label} must be a list of names, not {chosen!r}")
    names = tuple(dict.fromkeys(chosen))
    if not names:
        raise InvalidArgument(f"{where}(): {label} must not be empty")
    for name in names:
        if name not in known:
            raise InvalidArgument(
                f"{where}(): unknown {label[:-1]} `{name}`" + did_you_mean(str(name), known)
            )
    return names


def journey_cases(
    culture: Culture,
    *,
    requests: Iterable[str] | None = None,
    doors: Iterable[str] | None = None,
) -> st.SearchStrategy[tuple[dict[str, Any], str, str]]:
    """Journeys to walk: ``(customer, request, door)`` for `culture.journey`.

    Customers are valid for the culture's policy and lean, as `crmculture.testing.customers`
    does, to the values its rules and its handoff guards compare facts with; requests and
    doors shrink towards the first ones.

    Args:
        culture: The culture.
        requests: The request types (default: every request type of the org).
        doors: The departments customers contact first (default: every department).

    Raises:
        InvalidArgument: for a `culture` that is not a Culture, an org without request types,
            or unknown requests or doors.

    Examples:
        >>> from hypothesis import find
        >>> from crmculture.stories import acme_culture
        >>> culture = acme_culture()
        >>> customer, request, door = find(journey_cases(culture, doors=["sales"]),
        ...     lambda case: culture.journey(case[0], case[1], door=case[2]).touched > 3)
        >>> customer, request, door
        ({'credit_hold': False, 'days_overdue': 1, 'annual_volume': 0, 'tier': 'bronze'}, \
'replacement_part', 'sales')
    """
    if not isinstance(culture, Culture):
        raise InvalidArgument(f"journey_cases() needs a Culture, not {culture!r}")
    chosen_requests = choose_names("journey_cases", "requests", requests, culture.org.requests)
    chosen_doors = choose_names("journey_cases", "doors", doors, culture.org.names)
    policy = culture.policy
    # Lean to the constants of the rules and of the handoff guards: where journeys branch.
    conditions = [rule.when for rule in policy.effective_rules]
    conditions.extend(culture.guard(handoff) for handoff in culture.org.handoffs)
    people = _customers(policy.schema, _boundaries(policy.schema, conditions), {})
    return st.tuples(people, st.sampled_from(chosen_requests), st.sampled_from(chosen_doors))
