"""Journeys: the walk a customer with one request takes through the org, from the door on.

`walk` is the one definition of a journey; `crmculture.culture.Culture.journey` and the org
analysis both call it, with different ways of deciding whether a handoff applies.

The walk, step by step, at department ``here``:

1. If ``here`` resolves the request, the route is *resolved*. A department that resolves it
   under a guard (``Department.resolves_when``) resolves it only when the guard holds for the
   customer there; otherwise it is like any department that does not resolve it.
1a. Otherwise, if one of ``here``'s referrals (``Department.refers``) answers the request and
   its guard holds, the route is *referred*: the culture's intended answer is to send the
   customer elsewhere, with a message (the first such referral in canonical order). The
   journey ends there, by design; it is not a dead end.
2. If the route already holds `cutoff` departments, it stops at the bound (*cutoff*).
3. Otherwise take the handoffs from ``here`` for the request whose guard applies. None: a
   *dead end*. Several to the same department: the quickest (fewest minutes, then canonical
   order) is taken. Several to different departments: the route is *ambiguous*, and every
   branch is followed.
4. A handoff back to a department already on the route closes a *loop* (a ping-pong such as
   sales -> support -> sales): the route ends there, the loop reported. For one customer the
   decision at a department is always the same, so revisiting a department revisits the
   state (department, decision) and the walk would never end.

Routes are enumerated depth first and at most `max_routes` are kept; a journey that stopped
there says so (``truncated``). Routes come back best first: resolved, then referred, then the
rest, then fewer departments, fewer minutes, then by department names.

The walk is iterative, and a step costs the same however long the route behind it; a long
stretch with one way on is remembered and told again by later walks that reach it with the
same answers (see `Walk` and `Suffixes`), so walking a chain of departments from each of its
doors costs about one walk of it. The journeys are those of the plain step-by-step walk.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any, Literal, TypeAlias

import attrs

from crmculture.org.graph import Handoff, OrgGraph, Referral

__all__ = ["MAX_ROUTES", "Journey", "Outcome", "Route", "Suffixes", "Walk", "walk"]

Outcome: TypeAlias = Literal["resolved", "referred", "dead_end", "loop", "cutoff"]
"""How a route ends."""

MAX_ROUTES = 64
"""The most routes an ambiguous journey enumerates by default."""

_MINUTES = attrgetter("minutes")
_ANSWERED = frozenset(("resolved", "referred"))
"""The outcomes in which the culture answered the request where the route ends."""


@attrs.frozen
class Route:
    """One way through the org: the departments in order and the handoffs taken.

    Attributes:
        departments: The departments in the order the customer meets them, the door first.
            A loop route ends with the department it came back to.
        handoffs: The handoffs taken, one fewer than the departments.
        outcome: ``resolved``, ``referred``, ``dead_end``, ``loop`` or ``cutoff``.
        referral: For a referred route, the referral its last department made; else None.
    """

    departments: tuple[str, ...]
    handoffs: tuple[Handoff, ...]
    outcome: Outcome
    referral: Referral | None = None

    @property
    def minutes(self) -> int:
        """The minutes of every handoff taken, added up."""
        return sum(map(_MINUTES, self.handoffs))

    @property
    def touched(self) -> int:
        """How many different departments the customer talks to."""
        return len(set(self.departments))

    @property
    def resolved(self) -> bool:
        """Whether the route ends at a department that resolves the request."""
        return self.outcome == "resolved"

    @property
    def referred(self) -> bool:
        """Whether the route ends with a referral, the culture's intended answer."""
        return self.outcome == "referred"

    @property
    def loop(self) -> tuple[str, ...]:
        """For a loop route, the cycle from the revisited department back to it
        (``("sales", "support", "sales")``); empty otherwise."""
        if self.outcome != "loop":
            return ()
        return self.departments[self.departments.index(self.departments[-1]) :]

    def __str__(self) -> str:
        return " -> ".join(self.departments) + f" ({_ending(self)})"


def _ending(route: Route) -> str:
    """How a route ends, in words: ``referred to accounts_receivable`` for a referral."""
    referral = route.referral
    if referral is None:
        return route.outcome.replace("_", " ")
    return f"referred to {referral.to}" + (" (outside)" if referral.outside else "")


_RANK = {"resolved": 0, "referred": 1}


def _route_key(route: Route) -> tuple[int, int, int, tuple[str, ...]]:
    rank = _RANK.get(route.outcome, 2)
    return (rank, len(route.departments), route.minutes, route.departments)


@attrs.frozen
class Journey:
    """The journey of one customer with one request, from the department first contacted.

    A culture should give one answer: normally there is one route. When handoffs to
    different departments apply at the same step the journey is *ambiguous* and holds every
    route (up to a bound), best first. The properties `departments`, `handoffs`, `minutes`,
    `touched`, `outcome` and `loop` describe the best route, ``routes[0]``.

    Attributes:
        request: The request type.
        door: The department the customer contacted first.
        routes: Every route found, best first (resolved, then shortest).
        truncated: Whether enumeration stopped at `max_routes`, so that routes may be missing.

    Examples:
        >>> from crmculture.stories import acme_culture
        >>> journey = acme_culture().journey(
        ...     {"credit_hold": False, "days_overdue": 0, "annual_volume": 9000, "tier": "gold"},
        ...     "replacement_part", door="sales")
        >>> print(journey)
        sales -> engineering -> shipping (resolved, 2 handoffs, 50 minutes)
        >>> journey.touched, journey.ambiguous
        (3, False)
    """

    request: str
    door: str
    routes: tuple[Route, ...]
    truncated: bool = False

    @property
    def route(self) -> Route:
        """The best route."""
        return self.routes[0]

    @property
    def departments(self) -> tuple[str, ...]:
        """The departments of the best route, in order."""
        return self.routes[0].departments

    @property
    def handoffs(self) -> tuple[Handoff, ...]:
        """The handoffs of the best route."""
        return self.routes[0].handoffs

    @property
    def minutes(self) -> int:
        """The minutes of the best route."""
        return self.routes[0].minutes

    @property
    def touched(self) -> int:
        """How many different departments the best route touches."""
        return self.routes[0].touched

    @property
    def outcome(self) -> Outcome:
        """How the best route ends."""
        return self.routes[0].outcome

    @property
    def resolved(self) -> bool:
        """Whether the best route resolves the request (for an ambiguous journey: some route
        does, since resolved routes come first)."""
        return self.routes[0].resolved

    @property
    def referred(self) -> bool:
        """Whether the best route ends with a referral (no route resolves the request)."""
        return self.routes[0].outcome == "referred"

    @property
    def referral(self) -> Referral | None:
        """The referral the best route ends with, or None."""
        return self.routes[0].referral

    @property
    def dead_end(self) -> bool:
        """Whether the best route ends where no handoff applies and nothing is resolved."""
        return self.routes[0].outcome == "dead_end"

    @property
    def loop(self) -> tuple[str, ...]:
        """The cycle of the best route, when it ends in a loop; empty otherwise."""
        return self.routes[0].loop

    @property
    def ambiguous(self) -> bool:
        """Whether handoffs to different departments applied at some step."""
        return len(self.routes) > 1 or self.truncated

    @property
    def shortest_resolution(self) -> tuple[str, ...] | None:
        """The departments of the shortest resolved route, or None when no route resolves."""
        return self.routes[0].departments if self.routes[0].resolved else None

    def __str__(self) -> str:
        best = self.routes[0]
        steps = len(best.handoffs)
        text = (
            " -> ".join(best.departments)
            + f" ({_ending(best)}, {steps} handoff{'' if steps == 1 else 's'}"
            + f", {best.minutes} minutes)"
        )
        if self.ambiguous:
            more = len(self.routes) - 1
            text += f" [ambiguous: {more} other route{'' if more == 1 else 's'}"
            text += ", truncated]" if self.truncated else "]"
        return text


class _Run:
    """A route a walk found, to be told again from its departments (see `Suffixes`).

    `departments` and `handoffs` are the route's; a loop route ends with the department it
    came back to, which is at `loop_at` (-1 when the route is not a loop). `notes` are the
    walk's notes when it found the route (see `Walk`).
    """

    __slots__ = ("departments", "handoffs", "loop_at", "notes", "outcome", "referral")

    def __init__(
        self,
        departments: tuple[str, ...],
        handoffs: tuple[Handoff, ...],
        outcome: Outcome,
        loop_at: int,
        notes: dict[int, Any],
        referral: Referral | None = None,
    ) -> None:
        self.departments = departments
        self.handoffs = handoffs
        self.outcome: Outcome = outcome
        self.referral = referral
        self.loop_at = loop_at
        self.notes = notes

    def tail(self, start: int) -> tuple[tuple[str, ...], tuple[Handoff, ...], int]:
        """The route from ``departments[start]`` as the door: its departments, its handoffs,
        and where in them the loop closes (-1 when it is not a loop).

        From a department before the loop (or on a route without one) that is the rest of
        the route. From a department on the loop it is the loop entered there: on to the
        end, back to where the loop closes, and round to the department again.
        """
        loop_at = self.loop_at
        if loop_at < 0:
            return self.departments[start:], self.handoffs[start:], -1
        if start <= loop_at:
            return self.departments[start:], self.handoffs[start:], loop_at - start
        end = len(self.handoffs)
        return (
            self.departments[start:end] + self.departments[loop_at : start + 1],
            self.handoffs[start:end] + self.handoffs[loop_at:start],
            0,
        )

    def before_on_loop(self, start: int) -> str | None:
        """The department before ``departments[start]`` on the loop, when it is on it."""
        loop_at = self.loop_at
        if loop_at < 0 or start < loop_at:
            return None
        return self.departments[start - 1 if start > loop_at else len(self.handoffs) - 1]


_AHEAD = 16
"""The fewest departments ahead for which a route is remembered (see `Suffixes`): walking a
shorter stretch again costs less than remembering it."""


class Suffixes(dict[str, tuple[_Run, int]]):
    """Routes remembered by department, to be told again instead of walked again.

    When the walk from a department on has one way on at every step, to its end, the route
    from there is the same whatever came before, as long as the customer gets the same
    answers (the same decisions, so the same handoffs apply). A `Walk` remembers such
    departments here as it finds routes (those with at least 16 departments ahead), and a
    walk reaching one takes the remembered route in one step, cut at its `cutoff` if it has
    one. That is the route the step-by-step walk would take: the route cannot run into a
    department the walk met before, except when the department is on the route's loop and
    the walk came to it from the loop (it then closes the loop sooner), and that one case is
    walked step by step. A chain of departments walked from every door costs one walk, not
    one per door.

    One `Suffixes` serves the walks of one request with the same answers: `walk` keeps one
    per call, `crmculture.Culture.journey` one per customer and request, the org analysis one
    per request and partial customer.
    """

    __slots__ = ()


class Walk:
    """A walk in progress: the routes found so far and the branches still to follow.

    `run` takes one step after another. A step either completes or, when `applies` raises,
    leaves the walk as it was before the step, so that a walk interrupted by a question it
    could not answer yet (the org analysis asks for customer facts as guards need them) can
    be copied and resumed once per answer, instead of walked again from the door.

    The walk is iterative (no recursion, however long a route is), and a step costs the same
    however long the route behind it: the route being followed is held once, as a path that
    grows and shrinks with the depth-first search (with the position of each of its
    departments, for the loop test), and each branch still to follow is held by its depth on
    that path. Only a route that ends is copied out. Long stretches with one way on are
    remembered in `suffixes` (see `Suffixes`), so walking one again costs one step. `notes`
    is the caller's: what it notes there while the walk runs is kept with the routes
    remembered, and given back (to `run`'s `reuse`) when one is told again.

    Examples:
        >>> from crmculture.org.graph import Department, Handoff, OrgGraph
        >>> org = OrgGraph([Department("sales"), Department("billing", ["refund"])],
        ...                [Handoff("sales", "billing")])
        >>> print(Walk(org, "refund", "sales").run(lambda handoff: True))
        sales -> billing (resolved, 1 handoff, 0 minutes)
    """

    __slots__ = (
        "cutoff",
        "door",
        "hops",
        "max_routes",
        "notes",
        "on_path",
        "org",
        "path",
        "request",
        "routes",
        "single",
        "stack",
        "suffixes",
        "truncated",
        "view",
    )

    def __init__(
        self,
        org: OrgGraph,
        request: str,
        door: str,
        *,
        cutoff: int | None = None,
        max_routes: int = MAX_ROUTES,
        suffixes: Suffixes | None = None,
    ) -> None:
        self.org = org
        self.request = request
        self.door = door
        self.cutoff = cutoff
        self.max_routes = max_routes
        self.view = org._request_view(request)
        self.suffixes = Suffixes() if suffixes is None else suffixes
        self.routes: list[Route] = []
        self.truncated = False
        self.notes: dict[int, Any] = {}
        # The route followed now: its departments, the handoffs between them, each
        # department's position (they are distinct: a route ends where it would come back),
        # and for each department left, whether there was one way on from it.
        self.path: list[str] = []
        self.hops: list[Handoff] = []
        self.on_path: dict[str, int] = {}
        self.single: list[bool] = []
        # The branches still to follow: ``(depth, department, handoff to it)``. When a branch
        # is taken the route to it is ``path[:depth]``: the search is depth first, so every
        # branch taken before it extends that part of the path.
        self.stack: list[tuple[int, str, Handoff | None]] = [(0, door, None)]

    def copy(self) -> Walk:
        """An independent copy of the walk in its current state (sharing `suffixes`)."""
        twin = Walk.__new__(Walk)
        twin.org, twin.request, twin.door = self.org, self.request, self.door
        twin.cutoff, twin.max_routes, twin.view = self.cutoff, self.max_routes, self.view
        twin.suffixes, twin.truncated = self.suffixes, self.truncated
        twin.routes, twin.stack, twin.notes = list(self.routes), list(self.stack), dict(self.notes)
        twin.path, twin.hops = list(self.path), list(self.hops)
        twin.on_path, twin.single = dict(self.on_path), list(self.single)
        return twin

    def run(
        self,
        applies: Callable[[Handoff], bool],
        resolves: Callable[[str], bool] | None = None,
        reuse: Callable[[dict[int, Any]], None] | None = None,
        refers: Callable[[str, Referral], bool] | None = None,
    ) -> Journey:
        """Walk on to the end, following the handoffs that `applies` accepts; `resolves` says
        whether a department resolving the request under a guard does so for the customer
        (None: every such guard holds), `refers` whether a referral's guard holds for the
        customer at the department making it (None: every one holds). `reuse` is given the
        notes of each remembered route the walk takes instead of walking it."""
        resolvers, guarded, out, referrals = self.view
        cutoff, routes, stack = self.cutoff, self.routes, self.stack
        path, hops, on_path, single = self.path, self.hops, self.on_path, self.single
        found = self.suffixes
        while stack:
            if len(routes) >= self.max_routes:
                self.truncated = True
                break
            depth, here, arrival = stack[-1]
            # Stand at the branch: back up the path to its depth (after a route ended, or a
            # step was interrupted) and step onto it. Doing it again after an interrupted
            # step changes nothing, so the walk stays resumable.
            if len(path) > depth:
                for name in path[depth:]:
                    del on_path[name]
                del path[depth:], single[depth:], hops[max(depth - 1, 0) :]
            on_path[here] = depth
            path.append(here)
            if arrival is not None:
                hops.append(arrival)
            if found:
                remembered = found.get(here)
                if remembered is not None and self._reuse(*remembered, reuse):
                    stack.pop()
                    continue
            if here in resolvers or (here in guarded and (resolves is None or resolves(here))):
                stack.pop()
                self._end(Route(tuple(path), tuple(hops), "resolved"))
                continue
            made = None
            for referral in referrals.get(here, ()):
                if refers is None or refers(here, referral):
                    made = referral
                    break
            if made is not None:
                stack.pop()
                self._end(Route(tuple(path), tuple(hops), "referred", made))
                continue
            if cutoff is not None and depth + 1 >= cutoff:
                stack.pop()
                routes.append(Route(tuple(path), tuple(hops), "cutoff"))
                continue
            best: dict[str, Handoff] = {}
            for handoff in out.get(here, ()):
                chosen = best.get(handoff.target)
                # Handoffs come in canonical order: the first applicable one wins a tie.
                if chosen is not None and chosen.minutes <= handoff.minutes:
                    continue
                if applies(handoff):
                    best[handoff.target] = handoff
            stack.pop()  # the step is complete: only now does the walk change
            if not best:
                self._end(Route(tuple(path), tuple(hops), "dead_end"))
                continue
            if len(best) == 1:
                single.append(True)
                ((target, handoff),) = best.items()
                if target in on_path:
                    self._end(Route((*path, target), (*hops, handoff), "loop"), on_path[target])
                else:
                    stack.append((depth + 1, target, handoff))
                continue
            single.append(False)
            # Reverse order on the stack, so that branches are explored in name order.
            for target in sorted(best, reverse=True):
                if target in on_path:
                    routes.append(Route((*path, target), (*hops, best[target]), "loop"))
                else:
                    stack.append((depth + 1, target, best[target]))
        ordered = sorted(routes, key=_route_key) if len(routes) > 1 else list(routes)
        truncated = self.truncated or len(ordered) > self.max_routes
        return Journey(self.request, self.door, tuple(ordered[: self.max_routes]), truncated)

    def _end(self, route: Route, loop_at: int = -1) -> None:
        """Keep a route that ends at the end of `path` (closing a loop at `loop_at`), and
        remember it from the departments on it from which there was one way on to the end."""
        self.routes.append(route)
        if len(route.departments) < _AHEAD:
            return
        single = self.single
        start = len(self.path) - 1
        while start > 0 and single[start - 1]:
            start -= 1
        if loop_at < 0 or start <= loop_at:
            # (From a department on the loop, the walk goes round the loop, which has a way
            # off when the stretch with one way on starts inside it.)
            self._remember(route, loop_at, start, len(self.path) - 1)

    def _remember(self, route: Route, loop_at: int, start: int, stop: int) -> None:
        """Remember `route` from its departments `start` to `stop` (inclusive) that have at
        least `_AHEAD` departments ahead on it."""
        departments = route.departments
        stop = min(stop, len(departments) - _AHEAD)
        found = self.suffixes
        run = None
        for at in range(stop, start - 1, -1):
            name = departments[at]
            if name not in found:
                if run is None:
                    run = _Run(
                        departments,
                        route.handoffs,
                        route.outcome,
                        loop_at,
                        self.notes,
                        route.referral,
                    )
                found[name] = (run, at)

    def _reuse(self, run: _Run, start: int, reuse: Callable[[dict[int, Any]], None] | None) -> bool:
        """Take the route remembered from the department at the end of `path` (`start` in
        `run`), unless the walk came to it from the loop it is on; whether it was taken. The
        route ends where the step-by-step walk would, at `cutoff` too."""
        path = self.path
        here = len(path) - 1  # where the remembered route starts on the path
        if here and path[here - 1] == run.before_on_loop(start):
            return False
        departments, handoffs, loop_at = run.tail(start)
        outcome = run.outcome
        if here:
            departments = (*path[:here], *departments)
            handoffs = (*self.hops, *handoffs)
            if loop_at >= 0:
                loop_at += here
        # The departments the route stands at (a loop's last one is one it stood at before).
        stood = len(departments) - (outcome == "loop")
        cutoff = self.cutoff
        if cutoff is not None and (
            stood > cutoff or (stood == cutoff and outcome not in _ANSWERED)
        ):
            self.routes.append(Route(departments[:cutoff], handoffs[: cutoff - 1], "cutoff"))
        else:
            route = Route(departments, handoffs, outcome, run.referral)
            self.routes.append(route)
            if here and self.single[here - 1] and len(departments) >= _AHEAD:
                at = here - 1
                while at > 0 and self.single[at - 1]:
                    at -= 1
                self._remember(route, loop_at, at, here - 1)
        if run.notes:
            self.notes.update(run.notes)
            if reuse is not None:
                reuse(run.notes)
        return True


def walk(
    org: OrgGraph,
    request: str,
    door: str,
    applies: Callable[[Handoff], bool],
    *,
    resolves: Callable[[str], bool] | None = None,
    refers: Callable[[str, Referral], bool] | None = None,
    cutoff: int | None = None,
    max_routes: int = MAX_ROUTES,
) -> Journey:
    """Walk the org from `door` with `request`, following the handoffs that apply.

    Args:
        org: The org.
        request: The request type.
        door: The department the customer contacts first; must be in `org`.
        applies: Whether a handoff's guard holds for the customer at its source.
        resolves: Whether a department that resolves the request under a guard
            (``Department.resolves_when``) resolves it for the customer; None: it does.
        refers: Whether a referral's guard (``Referral.when``) holds for the customer at
            the referring department, given that department and the referral; None: every
            one holds.
        cutoff: The most departments a route may hold; None for no bound (loops still end
            every route).
        max_routes: The most routes enumerated when the journey is ambiguous.

    Returns:
        The journey; see the module documentation for the rules of the walk.

    Examples:
        >>> from crmculture.org.graph import Department, Handoff, OrgGraph
        >>> org = OrgGraph([Department("sales"), Department("support")],
        ...                [Handoff("sales", "support"), Handoff("support", "sales")])
        >>> journey = walk(org, "refund", "sales", lambda handoff: True)
        >>> journey.outcome, journey.loop
        ('loop', ('sales', 'support', 'sales'))
    """
    return Walk(org, request, door, cutoff=cutoff, max_routes=max_routes).run(
        applies, resolves, refers=refers
    )
