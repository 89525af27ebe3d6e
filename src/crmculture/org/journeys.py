"""Journeys: the walk a customer with one request takes through the org, from the door on.

`walk` is the one definition of a journey; `crmculture.culture.Culture.journey` and the org
analysis both call it, with different ways of deciding whether a handoff applies.

The walk, step by step, at department ``here``:

1. If ``here`` resolves the request, the route is *resolved*. A department that resolves it
   under a guard (``Department.resolves_when``) resolves it only when the guard holds for the
   customer there; otherwise it is like any department that does not resolve it.
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
there says so (``truncated``). Routes come back best first: resolved before the rest, then
fewer departments, fewer minutes, then by department names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, TypeAlias

import attrs

from crmculture.org.graph import Handoff, OrgGraph

__all__ = ["MAX_ROUTES", "Journey", "Outcome", "Route", "Walk", "walk"]

Outcome: TypeAlias = Literal["resolved", "dead_end", "loop", "cutoff"]
"""How a route ends."""

MAX_ROUTES = 64
"""The most routes an ambiguous journey enumerates by default."""


@attrs.frozen
class Route:
    """One way through the org: the departments in order and the handoffs taken.

    Attributes:
        departments: The departments in the order the customer meets them, the door first.
            A loop route ends with the department it came back to.
        handoffs: The handoffs taken, one fewer than the departments.
        outcome: ``resolved``, ``dead_end``, ``loop`` or ``cutoff``.
    """

    departments: tuple[str, ...]
    handoffs: tuple[Handoff, ...]
    outcome: Outcome

    @property
    def minutes(self) -> int:
        """The minutes of every handoff taken, added up."""
        return sum(handoff.minutes for handoff in self.handoffs)

    @property
    def touched(self) -> int:
        """How many different departments the customer talks to."""
        return len(set(self.departments))

    @property
    def resolved(self) -> bool:
        """Whether the route ends at a department that resolves the request."""
        return self.outcome == "resolved"

    @property
    def loop(self) -> tuple[str, ...]:
        """For a loop route, the cycle from the revisited department back to it
        (``("sales", "support", "sales")``); empty otherwise."""
        if self.outcome != "loop":
            return ()
        return self.departments[self.departments.index(self.departments[-1]) :]

    def __str__(self) -> str:
        return " -> ".join(self.departments) + f" ({self.outcome.replace('_', ' ')})"


def _route_key(route: Route) -> tuple[bool, int, int, tuple[str, ...]]:
    return (not route.resolved, len(route.departments), route.minutes, route.departments)


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
            + f" ({best.outcome.replace('_', ' ')}, {steps} handoff{'' if steps == 1 else 's'}"
            + f", {best.minutes} minutes)"
        )
        if self.ambiguous:
            more = len(self.routes) - 1
            text += f" [ambiguous: {more} other route{'' if more == 1 else 's'}"
            text += ", truncated]" if self.truncated else "]"
        return text


class Walk:
    """A walk in progress: the routes found so far and the branches still to follow.

    `run` takes one step after another. A step either completes or, when `applies` raises,
    leaves the walk as it was before the step, so that a walk interrupted by a question it
    could not answer yet (the org analysis asks for customer facts as guards need them) can
    be copied and resumed once per answer, instead of walked again from the door.

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
        "max_routes",
        "org",
        "request",
        "routes",
        "stack",
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
    ) -> None:
        self.org = org
        self.request = request
        self.door = door
        self.cutoff = cutoff
        self.max_routes = max_routes
        self.view = org._request_view(request)
        self.routes: list[Route] = []
        self.truncated = False
        self.stack: list[tuple[tuple[str, ...], tuple[Handoff, ...]]] = [((door,), ())]

    def copy(self) -> Walk:
        """An independent copy of the walk in its current state."""
        twin = Walk.__new__(Walk)
        twin.org, twin.request, twin.door = self.org, self.request, self.door
        twin.cutoff, twin.max_routes, twin.view = self.cutoff, self.max_routes, self.view
        twin.routes, twin.truncated, twin.stack = (
            list(self.routes),
            self.truncated,
            list(self.stack),
        )
        return twin

    def run(
        self,
        applies: Callable[[Handoff], bool],
        resolves: Callable[[str], bool] | None = None,
    ) -> Journey:
        """Walk on to the end, following the handoffs that `applies` accepts; `resolves` says
        whether a department resolving the request under a guard does so for the customer
        (None: every such guard holds)."""
        resolvers, guarded, out = self.view
        cutoff, routes, stack = self.cutoff, self.routes, self.stack
        while stack:
            if len(routes) >= self.max_routes:
                self.truncated = True
                break
            departments, taken = stack[-1]
            here = departments[-1]
            if here in resolvers or (here in guarded and (resolves is None or resolves(here))):
                stack.pop()
                routes.append(Route(departments, taken, "resolved"))
                continue
            if cutoff is not None and len(departments) >= cutoff:
                stack.pop()
                routes.append(Route(departments, taken, "cutoff"))
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
                routes.append(Route(departments, taken, "dead_end"))
                continue
            # Reverse order on the stack, so that branches are explored in name order.
            for target in sorted(best, reverse=True):
                step = ((*departments, target), (*taken, best[target]))
                if target in departments:
                    routes.append(Route(*step, "loop"))
                else:
                    stack.append(step)
        found = sorted(routes, key=_route_key)
        truncated = self.truncated or len(found) > self.max_routes
        return Journey(self.request, self.door, tuple(found[: self.max_routes]), truncated)


def walk(
    org: OrgGraph,
    request: str,
    door: str,
    applies: Callable[[Handoff], bool],
    *,
    resolves: Callable[[str], bool] | None = None,
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
    return Walk(org, request, door, cutoff=cutoff, max_routes=max_routes).run(applies, resolves)
