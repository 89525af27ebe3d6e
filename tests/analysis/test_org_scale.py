"""Org analysis of long chains and wide graphs, from every door: it finishes, or stops at its
budget and says so.

The hostile-input campaign's finding: an org of 2,000 departments in a chain, analysed from
every door, hung for more than a minute. These tests walk such orgs (and wide ones, and
chains with a loop) from every door under a shallow stack, so that a walk recursing per
department would fail, and check the budget that bounds genuinely large work.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import pairwise
from types import FrameType

import pytest

from crmculture import D, F
from crmculture.analysis.org_metrics import BUDGET, analyze_org
from crmculture.analysis.what_if import compare
from crmculture.culture import Culture
from crmculture.model.conditions import ALWAYS, Condition
from crmculture.org import Department, Handoff, OrgError, OrgGraph
from crmculture.stories import ACME_DEPARTMENTS, acme_policy

REQUEST = "replacement_part"
GOOD = {"credit_hold": False, "days_overdue": 0, "annual_volume": 9000, "tier": "gold"}


def names(count: int) -> list[str]:
    width = len(str(count - 1))
    return [f"d{index:0{width}d}" for index in range(count)]


def departments(count: int, resolving: set[int]) -> list[Department]:
    """Departments deciding as ACME's departments in turn (so decisions differ along the
    way); those in `resolving` resolve the request."""
    scopes = sorted(ACME_DEPARTMENTS)
    return [
        Department(name, [REQUEST] if at in resolving else [], decides_as=scopes[at % 6])
        for at, name in enumerate(names(count))
    ]


def chain(count: int, *, back_to: int | None = None, when: Condition = ALWAYS) -> Culture:
    """d0 -> d1 -> ... -> d(count-1), the last resolving, or handing back to `back_to`."""
    ns = names(count)
    handoffs = [Handoff(a, b, [REQUEST], when=when, minutes=1) for a, b in pairwise(ns)]
    if back_to is not None:
        handoffs.append(Handoff(ns[-1], ns[back_to], [REQUEST], when=when, minutes=1))
    resolving = set() if back_to is not None else {count - 1}
    return Culture(acme_policy(), OrgGraph(departments(count, resolving), handoffs))


def fan(count: int) -> Culture:
    """One door handing off to every other department; the last resolves."""
    ns = names(count)
    handoffs = [Handoff(ns[0], name, [REQUEST]) for name in ns[1:]]
    return Culture(acme_policy(), OrgGraph(departments(count, {count - 1}), handoffs))


def ladder(count: int) -> Culture:
    """Each department hands off to the next two: routes multiply along the chain."""
    ns = names(count)
    handoffs = [Handoff(a, b, [REQUEST]) for a, b in pairwise(ns)]
    handoffs += [Handoff(a, b, [REQUEST]) for a, b in zip(ns, ns[2:], strict=False)]
    return Culture(acme_policy(), OrgGraph(departments(count, {count - 1}), handoffs))


@contextmanager
def shallow_stack(frames: int = 50) -> Iterator[None]:
    """Allow only `frames` more frames than the caller has: a walk or analysis recursing
    per department would raise RecursionError."""
    depth = 0
    frame: FrameType | None = sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + frames)
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


class TestEveryDoor:
    def test_a_chain_of_2000_departments_from_every_door(self) -> None:
        """The campaign's case: about a second and a half, complete, every journey right."""
        culture = chain(2000)
        with shallow_stack():
            report = analyze_org(culture)
        assert report.complete
        assert len(report.cases) == 2000
        ns = names(2000)
        for position, case in enumerate(report.cases):
            assert case.door == ns[position]
            assert case.journey.departments == tuple(ns[position:])
            assert case.journey.resolved
        assert report.total.max_departments == 2000
        assert report.total.long_journeys == 2000 - 3
        assert report.unreachable == ("d0000",)
        # Department i of a chain lies on i x (1999 - i) of the 1999 x 1998 paths.
        central = dict(report.betweenness)
        assert central["d0999"] == round(999 * 1000 / (1999 * 1998), 6)
        assert central["d0999"] == report.betweenness[0][1]
        assert central["d0000"] == central["d1999"] == 0.0

    def test_culture_journeys_from_every_door_of_a_chain(self) -> None:
        culture = chain(2000)
        ns = names(2000)
        with shallow_stack():
            journeys = culture.journeys(GOOD, REQUEST)
            first = culture.journey(GOOD, REQUEST, door="d0000")
        assert list(journeys) == ns
        assert journeys["d0000"] == first
        assert all(journeys[door].departments == tuple(ns[at:]) for at, door in enumerate(ns))

    def test_a_chain_with_a_loop_back_from_every_door(self) -> None:
        culture = chain(1000, back_to=500)
        ns = names(1000)
        with shallow_stack():
            report = analyze_org(culture)
        assert report.complete
        for position, case in enumerate(report.cases):
            journey = case.journey
            assert journey.outcome == "loop"
            entered = ns[max(position, 500)]
            assert journey.departments[-1] == entered
            assert set(journey.loop) == set(ns[500:])
        assert len(report.of_kind("loop")) == 1000

    def test_a_guarded_chain_splits_customers_and_every_case_is_their_journey(self) -> None:
        """Guards on the decision and a fact: segments per door, each walked again here with
        the culture's own walk."""
        culture = chain(300, when=D.may_ship | F.credit_hold)
        with shallow_stack():
            report = analyze_org(culture)
        assert report.complete
        assert len(report.cases) > 300
        for case in report.cases[::7]:
            record = case.record
            for name in ("credit_hold", "days_overdue", "annual_volume", "tier"):
                record.setdefault(name, GOOD[name])
            again = culture.journey(record, REQUEST, door=case.door)
            assert again == case.journey

    def test_a_door_fanning_out_to_2000_departments(self) -> None:
        culture = fan(2000)
        with shallow_stack():
            report = analyze_org(culture)
        assert report.complete
        door = [case for case in report.cases if case.door == "d0000"]
        assert len(door) == 1
        assert door[0].journey.truncated
        assert len(door[0].journey.routes) == 64
        assert len(report.of_kind("dead_end")) == 2000 - 1


class TestBudget:
    def test_the_default_budget_is_documented_and_fits_the_2000_chain(self) -> None:
        assert BUDGET == 5_000_000
        assert analyze_org(chain(300)).complete

    def test_a_ladder_stops_at_the_budget_and_says_what_it_left_out(self) -> None:
        """Routes multiply on a ladder: 64 routes of up to 200 departments from each door."""
        culture = ladder(200)
        report = analyze_org(culture, budget=200_000)
        assert not report.complete
        pairs = [(door, REQUEST) for door in culture.org.names]
        walked = sorted({(case.door, case.request) for case in report.cases})
        assert walked + list(report.skipped) == pairs
        assert 0 < len(walked) < len(pairs)
        assert not report.betweenness_skipped
        assert {finding.door for finding in report.findings} <= {door for door, _ in walked}

    def test_without_a_budget_the_ladder_is_analysed_completely(self) -> None:
        culture = ladder(60)
        bounded = analyze_org(culture, budget=20_000)
        unbounded = analyze_org(culture, budget=None)
        assert not bounded.complete
        assert unbounded.complete
        assert len(unbounded.cases) == 60
        # What the budget let through is what the whole analysis says for those doors.
        walked = {case.door for case in bounded.cases}
        assert bounded.cases == tuple(case for case in unbounded.cases if case.door in walked)

    def test_betweenness_is_left_out_when_it_would_cost_more_than_the_budget(self) -> None:
        culture = chain(100)
        report = analyze_org(culture, budget=2_000)
        assert report.betweenness_skipped
        assert report.betweenness == ()
        assert not report.complete
        assert analyze_org(culture, budget=20_000).betweenness != ()

    @pytest.mark.parametrize("budget", [0, -1, True, 1.5, "many"])
    def test_a_bad_budget_is_an_org_error(self, budget: object) -> None:
        with pytest.raises(OrgError, match="budget must be an int of at least 1"):
            analyze_org(chain(20), budget=budget)  # type: ignore[arg-type]

    def test_a_comparison_stops_at_the_budget_too(self) -> None:
        before = ladder(120)
        after = before.with_org(before.org.merge(["d000", "d001"], into="d000"))
        comparison = compare(before, after, budget=100_000)
        assert not comparison.complete
        assert comparison.skipped
        assert not compare(chain(30), chain(30)).skipped


@pytest.mark.slow
class TestLarger:
    def test_a_chain_of_5000_departments_from_every_door_without_a_budget(self) -> None:
        with shallow_stack():
            report = analyze_org(chain(5000), budget=None)
        assert report.complete
        assert len(report.cases) == 5000

    def test_a_chain_of_5000_stops_at_the_default_budget(self) -> None:
        report = analyze_org(chain(5000))
        assert report.skipped
        assert report.betweenness_skipped
        assert len(report.cases) + len(report.skipped) == 5000

    def test_a_ladder_of_2000_stops_at_the_default_budget(self) -> None:
        report = analyze_org(ladder(2000))
        assert report.skipped
        assert report.cases
