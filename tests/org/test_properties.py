"""Laws of journeys on generated cultures (the issue's property tests)."""

from __future__ import annotations

from typing import Any

from hypothesis import assume, event, given
from hypothesis import strategies as st

from crmculture.culture import Culture
from crmculture.evaluate.truth import holds
from crmculture.model.conditions import DECISION
from crmculture.org import Handoff, Journey
from crmculture.testing.org_strategies import cultures, guards_for, journey_cases

ROUTES = 10_000  # generated orgs are small: enumeration never stops at this bound


@st.composite
def walks(draw: st.DrawFn, /, **options: Any) -> tuple[Culture, dict[str, Any], str, str]:
    culture = draw(cultures(**options))
    assume(culture.org.requests)
    customer, request, door = draw(journey_cases(culture))
    return culture, customer, request, door


def journey(culture: Culture, customer: dict[str, Any], request: str, door: str) -> Journey:
    return culture.journey(customer, request, door=door, max_routes=ROUTES)


def guard_holds(culture: Culture, customer: dict[str, Any], handoff: Handoff) -> bool:
    decision = culture.decide(customer, department=handoff.source)
    facts = {**decision.customer}
    facts.update({DECISION + name: value for name, value in decision.directives.items()})
    policy = culture.policy
    return holds(culture.guard(handoff), facts, policy.schema, policy.directive_index)


def resolves_here(
    culture: Culture, customer: dict[str, Any], department: str, request: str
) -> bool:
    """Whether `department` resolves `request` for the customer: it resolves the request, and
    its resolution guard holds for the customer's decision there."""
    if not culture.org.resolves(department, request):
        return False
    decision = culture.decide(customer, department=department)
    facts = {**decision.customer}
    facts.update({DECISION + name: value for name, value in decision.directives.items()})
    policy = culture.policy
    guard = culture.resolution_guard(department, request)
    return holds(guard, facts, policy.schema, policy.directive_index)


@given(walks())
def test_every_journey_is_a_walk_of_handoffs_that_apply(
    case: tuple[Culture, dict[str, Any], str, str],
) -> None:
    """Each route follows handoffs of the graph that carry the request and whose guard holds
    for the customer's decision at the source; its end matches its outcome."""
    culture, customer, request, door = case
    org = culture.org
    found = journey(culture, customer, request, door)
    assert found.routes
    for route in found.routes:
        assert route.departments[0] == door
        assert len(route.handoffs) == len(route.departments) - 1
        for step, handoff in enumerate(route.handoffs):
            assert handoff in org.handoffs
            assert (handoff.source, handoff.target) == route.departments[step : step + 2]
            assert handoff.carries(request)
            assert guard_holds(culture, customer, handoff)
        last = route.departments[-1]
        assert route.resolved == resolves_here(culture, customer, last, request)
        for passed in route.departments[:-1]:
            assert not resolves_here(culture, customer, passed, request)
        if route.outcome == "loop":
            assert last in route.departments[:-1]
        else:
            assert len(set(route.departments)) == len(route.departments)
        if route.outcome == "dead_end":
            assert not any(
                guard_holds(culture, customer, h) for h in org.out_handoffs(last, request)
            )


@given(walks())
def test_a_request_the_door_resolves_is_a_one_department_journey(
    case: tuple[Culture, dict[str, Any], str, str],
) -> None:
    """When the door resolves the request (for this customer), nobody else is involved."""
    culture, customer, request, door = case
    found = journey(culture, customer, request, door)
    if resolves_here(culture, customer, door, request):
        assert found.departments == (door,)
        assert found.routes == (found.route,)


@st.composite
def with_extra_handoff(draw: st.DrawFn) -> tuple[Culture, Culture, dict[str, Any], str, str]:
    culture, customer, request, door = draw(walks(min_departments=2))
    names = culture.org.names
    source = draw(st.sampled_from(names))
    target = draw(st.sampled_from([name for name in names if name != source]))
    requests = draw(st.one_of(st.none(), st.just([request])))
    extra = Handoff(
        source,
        target,
        requests,
        when=draw(guards_for(culture.policy)),
        minutes=draw(st.integers(0, 30)),
    )
    assume(extra not in culture.org.handoffs)
    return culture, culture.with_org(culture.org.with_handoff(extra)), customer, request, door


@given(with_extra_handoff())
def test_adding_a_handoff_never_makes_the_shortest_resolution_longer(
    case: tuple[Culture, Culture, dict[str, Any], str, str],
) -> None:
    """More ways to be handed on never lengthen the shortest way to resolution."""
    before, after, customer, request, door = case
    old = journey(before, customer, request, door).shortest_resolution
    new = journey(after, customer, request, door).shortest_resolution
    if old is not None:
        assert new is not None
        assert len(new) <= len(old)


@st.composite
def with_merge(draw: st.DrawFn) -> tuple[Culture, Culture, dict[str, Any], str, str, str]:
    culture, customer, request, door = draw(walks(min_departments=2))
    merged = draw(st.lists(st.sampled_from(culture.org.names), min_size=2, max_size=3, unique=True))
    into = draw(st.sampled_from([*merged, "merged"]))
    after = culture.with_org(culture.org.merge(merged, into=into))
    new_door = into if door in merged else door
    # The law holds when the merged departments decide alike for this customer: a merge that
    # changes the decision changes the treatment, which the what-if comparison reports.
    decisions = {culture.decide(customer, department=name).values for name in merged}
    assume(len(decisions) == 1)
    return culture, after, customer, request, door, new_door


@given(with_merge())
def test_a_merge_keeps_every_resolvable_request_resolvable(
    case: tuple[Culture, Culture, dict[str, Any], str, str, str],
) -> None:
    """What could be resolved before a merge can be resolved after it, from the same door."""
    before, after, customer, request, door, new_door = case
    old = journey(before, customer, request, door)
    if request not in after.org.requests:
        # Only handoffs inside the merge named it, and no department resolves it.
        event("the merge removed the request")
        assert old.shortest_resolution is None
    else:
        new = journey(after, customer, request, new_door)
        assert not new.truncated
        if old.shortest_resolution is not None:
            event("resolvable before the merge")
            assert new.shortest_resolution is not None
            assert len(new.shortest_resolution) <= len(old.shortest_resolution)
