"""Org analysis: every journey of every customer segment, from every door, and what is wrong.

For each door (every department) and each request type, `analyze_org` splits the customers
into the *segments* the culture's conditions distinguish and walks one journey per segment. A
segment is found by walking with a partial customer: the walk asks for facts as guards and
rules need them, and each fact asked for splits the segment into the cells of that fact's
values which the conditions tell apart (``days_overdue`` against ``> 0`` and ``> 60``: 0, 1-60,
61 and more). Facts never asked for stay open. So the segments cover every customer, every
customer of a segment has the same journey, and the analysis is exact; each segment comes
with an example customer, and each finding's example is walked again with the culture's own
evaluator before it is reported. The segment search is in `crmculture.analysis.segments`, the
walk of partial customers it splits with in `crmculture.analysis.symbolic_walk`.

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
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal, TypeAlias

import attrs
import networkx as nx

from crmculture.analysis.findings import Customer
from crmculture.analysis.segments import _describe, _filled, _segments, representatives
from crmculture.analysis.symbolic_walk import _atoms, _Symbolic
from crmculture.culture import Culture
from crmculture.errors import Problem
from crmculture.model.conditions import Condition
from crmculture.org.graph import OrgError
from crmculture.org.journeys import MAX_ROUTES, Journey

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
