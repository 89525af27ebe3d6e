"""Walks on long chains and wide graphs: iterative, linear, and equal to the plain walk.

A walk remembers the stretches of the org where there is one way on (`Suffixes`) and tells
them again instead of walking them; these tests hold it equal to a plain depth-first walk
written out here (a copy of the path at every step, as the walk was first written), on
generated orgs made of long stretches with branches, loops, guards, referrals, cut-offs and
interruptions, walked from every door with one memo.
"""

from __future__ import annotations

import random
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import pairwise
from types import FrameType
from typing import Any, ClassVar, TypeAlias

import attrs
from hypothesis import given
from hypothesis import strategies as st

from crmculture import ALWAYS, F
from crmculture.org import Department, Handoff, Journey, OrgGraph, Referral, Route, walk
from crmculture.org.journeys import Suffixes, Walk

REQUEST = "part"


def names(count: int) -> list[str]:
    width = len(str(count - 1))
    return [f"d{index:0{width}d}" for index in range(count)]


def chain(count: int, *, back_to: int | None = None) -> OrgGraph:
    """d0 -> d1 -> ... -> d(count-1); the last resolves, or hands back to `back_to`."""
    ns = names(count)
    resolves = [REQUEST] if back_to is None else []
    departments = [Department(name, resolves if name == ns[-1] else []) for name in ns]
    handoffs = [Handoff(a, b, [REQUEST]) for a, b in pairwise(ns)]
    if back_to is not None:
        handoffs.append(Handoff(ns[-1], ns[back_to], [REQUEST]))
    return OrgGraph(departments, handoffs)


def fan(count: int) -> OrgGraph:
    """One door handing off to every other department; the last resolves."""
    ns = names(count)
    departments = [Department(name, [REQUEST] if name == ns[-1] else []) for name in ns]
    return OrgGraph(departments, [Handoff(ns[0], name, [REQUEST]) for name in ns[1:]])


def always(handoff: Handoff) -> bool:
    return True


@contextmanager
def shallow_stack(frames: int = 50) -> Iterator[None]:
    """Allow only `frames` more frames than the caller has: a walk recursing per department
    would raise RecursionError."""
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


def reference(
    org: OrgGraph,
    door: str,
    applies: Callable[[Handoff], bool],
    resolves: Callable[[str], bool] | None,
    cutoff: int | None,
    max_routes: int,
    refers: Callable[[str, Referral], bool] | None = None,
) -> Journey:
    """The walk of `crmculture.org.journeys`, written plainly: each branch holds its route."""
    resolvers, guarded, out, referrals = org._request_view(REQUEST)
    routes: list[Route] = []
    truncated = False
    stack: list[tuple[tuple[str, ...], tuple[Handoff, ...]]] = [((door,), ())]
    while stack:
        if len(routes) >= max_routes:
            truncated = True
            break
        departments, taken = stack.pop()
        here = departments[-1]
        if here in resolvers or (here in guarded and (resolves is None or resolves(here))):
            routes.append(Route(departments, taken, "resolved"))
            continue
        made = [r for r in referrals.get(here, ()) if refers is None or refers(here, r)]
        if made:
            routes.append(Route(departments, taken, "referred", made[0]))
            continue
        if cutoff is not None and len(departments) >= cutoff:
            routes.append(Route(departments, taken, "cutoff"))
            continue
        best: dict[str, Handoff] = {}
        for handoff in out.get(here, ()):
            chosen = best.get(handoff.target)
            if chosen is not None and chosen.minutes <= handoff.minutes:
                continue
            if applies(handoff):
                best[handoff.target] = handoff
        if not best:
            routes.append(Route(departments, taken, "dead_end"))
            continue
        for target in sorted(best, reverse=True):
            step = ((*departments, target), (*taken, best[target]))
            if target in departments:
                routes.append(Route(*step, "loop"))
            else:
                stack.append(step)
    found = sorted(
        routes,
        key=lambda route: (
            {"resolved": 0, "referred": 1}.get(route.outcome, 2),
            len(route.departments),
            route.minutes,
            route.departments,
        ),
    )
    truncated = truncated or len(found) > max_routes
    return Journey(REQUEST, door, tuple(found[:max_routes]), truncated)


class TestLongChains:
    def test_a_chain_of_2000_from_the_first_door_is_one_walk_without_recursion(self) -> None:
        org = chain(2000)
        with shallow_stack():
            journey = walk(org, REQUEST, "d0000", always)
        assert journey.resolved
        assert journey.touched == 2000
        assert journey.departments == tuple(names(2000))
        assert len(journey.handoffs) == 1999

    def test_a_chain_of_2000_from_every_door_with_one_memo(self) -> None:
        """With one memo the first walk is remembered and the others are told again."""
        org = chain(2000)
        memo = Suffixes()
        ns = names(2000)
        with shallow_stack():
            journeys = [Walk(org, REQUEST, door, suffixes=memo).run(always) for door in ns]
        for position, journey in enumerate(journeys):
            assert journey.departments == tuple(ns[position:])
            assert journey.resolved
            assert not journey.ambiguous
        # Every department with 16 or more departments ahead is remembered.
        assert len(memo) == 2000 - 15

    def test_a_chain_that_loops_back_from_every_door(self) -> None:
        """d0 ... d1999 -> d1000: every door ends in the loop d1000 ... d1999 -> d1000,
        entered where the door first meets it."""
        org = chain(2000, back_to=1000)
        ns = names(2000)
        memo = Suffixes()
        with shallow_stack():
            for position, door in enumerate(ns):
                journey = Walk(org, REQUEST, door, suffixes=memo).run(always)
                assert journey.outcome == "loop"
                if position <= 1000:
                    assert journey.departments == (*ns[position:], ns[1000])
                    assert journey.loop == (*ns[1000:], ns[1000])
                else:
                    expected = (*ns[position:], *ns[1000 : position + 1])
                    assert journey.departments == expected
                    assert journey.loop == expected
                assert journey.touched == len(journey.departments) - 1

    def test_a_cutoff_cuts_a_remembered_route_where_the_walk_would(self) -> None:
        org = chain(300)
        ns = names(300)
        memo = Suffixes()
        Walk(org, REQUEST, ns[0], suffixes=memo).run(always)  # remembered, uncut
        for cutoff in (1, 2, 50, 299, 300, 301):
            for door in (ns[0], ns[1], ns[150]):
                got = Walk(org, REQUEST, door, cutoff=cutoff, suffixes=memo).run(always)
                assert got == reference(org, door, always, None, cutoff, 64), (cutoff, door)


class TestWideGraphs:
    def test_a_door_fanning_out_to_2000_departments_stops_at_max_routes(self) -> None:
        with shallow_stack():
            journey = walk(fan(2000), REQUEST, "d0000", always)
        assert journey.truncated
        assert len(journey.routes) == 64
        assert journey.ambiguous

    def test_without_a_bound_every_branch_is_followed(self) -> None:
        journey = walk(fan(2000), REQUEST, "d0000", always, max_routes=5000)
        assert not journey.truncated
        assert len(journey.routes) == 1999
        assert journey.routes[0].departments == ("d0000", "d1999")
        assert journey.resolved


# -- the remembered walk equals the plain walk ------------------------------------------


Case: TypeAlias = tuple[OrgGraph, frozenset[int], frozenset[str], "int | None", int]


def stretchy(seed: int) -> Case:
    """A backbone chain of 20 to 60 departments with a few extra handoffs (often a long way
    back, making a loop; forward, back, parallel), resolvers (some under a guard), referrals
    (one or two per department, to another department or outside), handoffs that do not
    apply, guarded resolvers and referrals that do not hold, a cutoff and a route bound.
    Departments named in `refusing` neither resolve under their guard nor refer when their
    referral is guarded."""
    rng = random.Random(seed)
    count = rng.randint(20, 60)
    ns = names(count)
    resolving = set(rng.sample(range(count), rng.choice([0, 0, 1, 2, 3])))
    guarded = set(rng.sample(sorted(resolving), min(len(resolving), rng.randint(0, 2))))
    # Referrals from a generator of their own, so that the rest of each org is as before.
    other = random.Random(-1 - seed)
    referring = set(other.sample(range(count), other.choice([0, 0, 0, 1, 2])))
    departments = [
        Department(
            name,
            [REQUEST] if at in resolving else [],
            resolves_when={REQUEST: F.vip} if at in guarded else None,
            refers=[
                Referral(
                    ns[other.randrange(count)] if other.random() < 0.5 else "partner",
                    other.choice([None, [REQUEST], [REQUEST, "other"]]),
                    when=other.choice([True, F.vip, F.vip]),
                    outside=False,
                    message=f"go {choice}",
                )
                for choice in range(other.choice([1, 2]))
            ]
            if at in referring
            else [],
        )
        for at, name in enumerate(ns)
    ]
    departments = [
        d
        if all(r.to in ns for r in d.refers)
        else attrs.evolve(
            d,
            refers=[r if r.to in ns else attrs.evolve(r, outside=True) for r in d.refers],
        )
        for d in departments
    ]
    handoffs: dict[tuple[str, str, int], Handoff] = {}
    for a, b in pairwise(ns):
        handoffs[a, b, 0] = Handoff(a, b, [REQUEST])
    if rng.random() < 0.6:
        # A long loop: from late in the chain back to early in it.
        source = rng.randint(count * 2 // 3, count - 1)
        target = rng.randint(0, count // 3)
        handoffs[ns[source], ns[target], 0] = Handoff(ns[source], ns[target], [REQUEST])
    for _ in range(rng.choice([0, 0, 1, 2, 4, 6])):
        source, target = rng.randrange(count), rng.randrange(count)
        minutes = rng.randint(0, 2)
        if source != target:
            handoffs.setdefault(
                (ns[source], ns[target], minutes),
                Handoff(ns[source], ns[target], [REQUEST], minutes=minutes),
            )
    org = OrgGraph(departments, handoffs.values())
    blocked = frozenset(rng.sample(range(len(org.handoffs)), rng.choice([0, 0, 1, 3])))
    refusing = frozenset(rng.sample(ns, rng.choice([0, 1, 2])))
    cutoff = rng.choice([None, None, rng.randint(1, count + 2)])
    max_routes = rng.choice([1, 2, 3, 64])
    return org, blocked, refusing, cutoff, max_routes


def answers(
    org: OrgGraph, blocked: frozenset[int], refusing: frozenset[str]
) -> tuple[Callable[[Handoff], bool], Callable[[str], bool], Callable[[str, Referral], bool]]:
    positions = {id(handoff): at for at, handoff in enumerate(org.handoffs)}

    def applies(handoff: Handoff) -> bool:
        return positions[id(handoff)] not in blocked

    def resolves(department: str) -> bool:
        return department not in refusing

    def refers(department: str, referral: Referral) -> bool:
        return referral.when == ALWAYS or department not in refusing

    return applies, resolves, refers


@given(st.integers(0, 2**32))
def test_walks_sharing_a_memo_equal_the_plain_walk(seed: int) -> None:
    """From every door, in a shuffled order, with one memo: the same journeys as the plain
    walk (routes, order, outcomes, truncation)."""
    org, blocked, refusing, cutoff, max_routes = stretchy(seed)
    applies, _, _ = answers(org, blocked, refusing)
    doors = list(org.names)
    random.Random(seed).shuffle(doors)
    memo = Suffixes()
    for door in doors:
        got = Walk(org, REQUEST, door, cutoff=cutoff, max_routes=max_routes, suffixes=memo)
        assert got.run(applies) == reference(org, door, applies, None, cutoff, max_routes)


@given(st.integers(0, 2**32))
def test_guarded_resolvers_and_interrupted_walks_equal_the_plain_walk(seed: int) -> None:
    """Departments whose resolution or referral guard does not hold, and walks interrupted
    at every step then copied and resumed (as the org analysis does), change nothing."""
    org, blocked, refusing, cutoff, max_routes = stretchy(seed)
    applies, resolves, refers = answers(org, blocked, refusing)

    class Interrupt(Exception):
        pass

    memo = Suffixes()
    for door in org.names:
        expected = reference(org, door, applies, resolves, cutoff, max_routes, refers)
        walking = Walk(org, REQUEST, door, cutoff=cutoff, max_routes=max_routes, suffixes=memo)
        interrupting, interrupting_resolves = interrupted(applies, resolves, Interrupt)
        asked: set[int] = set()

        def interrupting_refers(
            department: str, referral: Referral, asked: set[int] = asked
        ) -> bool:
            if id(referral) not in asked:
                asked.add(id(referral))
                raise Interrupt
            return refers(department, referral)

        while True:
            try:
                got = walking.run(interrupting, interrupting_resolves, refers=interrupting_refers)
                break
            except Interrupt:
                walking = walking.copy()
        assert got == expected


def interrupted(
    applies: Callable[[Handoff], bool],
    resolves: Callable[[str], bool],
    interrupt: type[Exception],
) -> tuple[Callable[[Handoff], bool], Callable[[str], bool]]:
    """`applies` and `resolves` raising `interrupt` the first time each question is asked."""
    asked: set[object] = set()

    def interrupting(handoff: Handoff) -> bool:
        if id(handoff) not in asked:
            asked.add(id(handoff))
            raise interrupt
        return applies(handoff)

    def interrupting_resolves(department: str) -> bool:
        if department not in asked:
            asked.add(department)
            raise interrupt
        return resolves(department)

    return interrupting, interrupting_resolves


class Counting(Walk):
    """A walk counting how remembered routes are used: told again from a department on a
    loop, told again elsewhere, or walked because the walk came from the loop."""

    counts: ClassVar[Counter[str]] = Counter()

    def _reuse(self, run: Any, start: int, reuse: Any) -> bool:
        taken = super()._reuse(run, start, reuse)
        on_loop = 0 <= run.loop_at <= start
        Counting.counts[("on loop " if on_loop else "") + ("taken" if taken else "walked")] += 1
        return taken


def test_fixed_seeds_equal_the_plain_walk_and_use_every_kind_of_remembered_route() -> None:
    """200 fixed orgs, from every door with one memo: equal to the plain walk, and the memo
    is used every way (so the property tests above can meet every case)."""
    Counting.counts.clear()
    referred = 0
    for seed in range(200):
        org, blocked, refusing, cutoff, max_routes = stretchy(seed)
        applies, resolves, refers = answers(org, blocked, refusing)
        memo = Suffixes()
        doors = list(org.names)
        random.Random(seed).shuffle(doors)
        for door in doors:
            walking = Counting(
                org, REQUEST, door, cutoff=cutoff, max_routes=max_routes, suffixes=memo
            )
            got = walking.run(applies, resolves, refers=refers)
            expected = reference(org, door, applies, resolves, cutoff, max_routes, refers)
            assert got == expected, seed
            referred += any(route.referred for route in got.routes)
    assert set(Counting.counts) == {"taken", "on loop taken", "on loop walked"}
    assert min(Counting.counts.values()) >= 10
    assert referred >= 50  # referrals are met, remembered and told again too
