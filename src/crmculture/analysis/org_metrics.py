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
- ``dead_end``: the request cannot be resolved from this door for this segment, and no
  referral answers it (a journey ending with a referral, the culture's intended answer, is
  *referred*: counted apart from resolved, and never a finding);
- ``loop``: the journey comes back to a department it left (a ping-pong);
- ``ambiguous``: handoffs to different departments apply at the same step;
- ``cutoff``: the walk stopped at a bound (`cutoff` departments, `max_routes` routes).

The report also gives, per request and in total, departments to resolution and the share of
cases resolved by the door (first-contact resolution), the load of each department (how many
cases' journeys touch it, the bottlenecks first), betweenness centrality on the handoff graph,
and the departments no journey reaches from another door.

The analysis has a budget (`BUDGET`, 5 million units by default: 20 per walk of a segment from
a door, one per department of each route found). Where routes branch at every step, or many
segments take many long routes, the work is genuinely large; the analysis then stops at the
budget, lists the (door, request) pairs it left out (`OrgReport.skipped`) and says it is not
complete (`OrgReport.complete`). Long chains and wide orgs fit: every door of a chain of 2,000
departments costs about 2 million units, and walks are iterative, so no org is too deep.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal, TypeAlias

import attrs

from crmculture.analysis.findings import Customer
from crmculture.analysis.segments import _describe, _filled, _segments, representatives
from crmculture.analysis.symbolic_walk import _atoms, _Symbolic
from crmculture.culture import Culture
from crmculture.errors import InvalidCustomer, Problem
from crmculture.evaluate.truth import holds
from crmculture.model.conditions import Condition
from crmculture.org.graph import OrgError
from crmculture.org.journeys import MAX_ROUTES, Journey

__all__ = [
    "BUDGET",
    "Case",
    "CustomerMetrics",
    "FindingKind",
    "OrgFinding",
    "OrgReport",
    "RequestMetrics",
    "analyze_org",
    "customer_metrics",
    "weighed_metrics",
]

FindingKind: TypeAlias = Literal["long_journey", "dead_end", "loop", "ambiguous", "cutoff"]
"""What an org finding reports."""

_KIND_ORDER: tuple[FindingKind, ...] = ("long_journey", "dead_end", "loop", "ambiguous", "cutoff")

BUDGET = 5_000_000
"""The work an org analysis does at most by default, in units (see `analyze_org`).

Each walk of a customer segment from a door costs 20 units (a walk interrupted to split the
segment on a fact too), and each department of each route it finds one unit more. The
betweenness centrality has a budget of its own of the same size: one unit per department
reached and per handoff followed, over the searches from every department. ACME's org costs
about 1,000 units; a chain of 2,000 departments from every door about 2 million (and 4 million
for its centrality); the 200-department org of ``benchmarks/journeys.py`` about 3.3 million.
On the machine of the performance page a million units take about a second or less.
"""

_WALK = 20
"""The units a walk costs before the departments of its routes (see `BUDGET`)."""


class _OutOfBudget(Exception):
    """The analysis has spent its budget."""


class _Budget:
    """The units an analysis may spend (see `BUDGET`); None: no bound.

    `walked` wraps a walk so that it is counted: a walk starts only while the units spent
    are fewer than the budget, so an analysis stops at the first walk after its budget is
    spent (raising `_OutOfBudget`), having spent at most one walk's units more.
    """

    __slots__ = ("spent", "units")

    def __init__(self, units: int | None) -> None:
        self.units = units
        self.spent = 0

    def walked(self, walk: Callable[..., Journey]) -> Callable[..., Journey]:
        units = self.units
        if units is None:
            return walk

        def walked(*args: Any) -> Journey:
            if self.spent >= units:
                raise _OutOfBudget
            self.spent += _WALK
            journey = walk(*args)
            self.spent += sum(len(route.departments) for route in journey.routes)
            return journey

        return walked


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
        dead_ends: Cases ending where nothing applies (neither resolved nor referred).
        loops: Cases ending in a loop.
        ambiguous: Cases with more than one route.
        long_journeys: Cases touching more than the bound of departments.
        departments_to_resolution: Departments touched, added up over resolved cases.
        max_departments: The most departments any case's journey touches.
        referred: Cases whose journey ends with a referral (`crmculture.Referral`): the
            culture's intended answer, counted apart from `resolved`, never a dead end.
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
    referred: int = 0

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

    @property
    def referred_share(self) -> float | None:
        """The share of cases referred (None when there are no cases)."""
        return round(self.referred / self.cases, 6) if self.cases else None


def _count(request: str, cases: Iterable[Case], max_departments: int) -> RequestMetrics:
    """The metrics of cases, each counted once (`_weighted` with every weight 1)."""
    return _weighted(request, ((case, 1) for case in cases), max_departments)


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
        skipped: The ``(door, request)`` pairs left out because the analysis spent its
            budget (see `BUDGET`), in the order they would have been walked: doors by name,
            then requests by name. Their cases are missing from `cases`, `findings`, the
            metrics, `load` and `unreachable`; empty when every pair was analysed.
        betweenness_skipped: Whether the betweenness centrality was left out (`betweenness`
            is then empty) because it would cost more than the budget.
    """

    max_departments: int
    cases: tuple[Case, ...]
    findings: tuple[OrgFinding, ...]
    requests: tuple[RequestMetrics, ...]
    total: RequestMetrics
    load: tuple[tuple[str, int], ...]
    betweenness: tuple[tuple[str, float], ...]
    unreachable: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...] = ()
    betweenness_skipped: bool = False

    @property
    def complete(self) -> bool:
        """Whether nothing was left out for the budget (see `skipped`)."""
        return not self.skipped and not self.betweenness_skipped

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


def _check_bounds(
    max_departments: object, cutoff: object, max_routes: object, budget: object = None
) -> list[Problem]:
    problems = []
    for name, value, allow_none in (
        ("max_departments", max_departments, False),
        ("cutoff", cutoff, True),
        ("max_routes", max_routes, False),
        ("budget", budget, True),
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
    budget: int | None = BUDGET,
) -> OrgReport:
    """Walk every customer segment from every door with every request, and report.

    Args:
        culture: The policy and its org.
        max_departments: Journeys touching more departments than this are findings.
        doors: The doors to start from (default: every department).
        requests: The request types (default: every request type of the org).
        cutoff: The most departments a route may hold (None: no bound).
        max_routes: The most routes enumerated for an ambiguous journey.
        budget: The most work, in units (see `BUDGET`: 20 per walk of a customer segment
            from a door, plus one per department of each route found), before the analysis
            stops; the (door, request) pair it was walking then and every pair after it are
            left out and listed in `OrgReport.skipped`. The betweenness centrality is left
            out (`OrgReport.betweenness_skipped`) when its searches would cost more units
            (one per department reached and per handoff followed). None: no bound. Walking
            each finding's example customer again comes on top, and costs no more than the
            analysis's own walks.

    Returns:
        The report; see the module documentation. ``report.complete`` says whether the
        budget left anything out.

    Raises:
        OrgError: for unknown doors or request types, or bad bounds.

    Examples:
        >>> from crmculture.stories import acme_culture
        >>> report = analyze_org(acme_culture())
        >>> report.complete
        True
        >>> long = [f for f in report.of_kind("long_journey") if f.door == "sales"][0]
        >>> print(long.message)
        `replacement_part` from `sales` touches 5 departments (sales -> billing -> accounts_receivable -> engineering -> shipping); the bound is 3
        >>> print(long.segment)
        not credit_hold and days_overdue > 0 and not days_overdue > 60
        >>> long.record
        {'credit_hold': False, 'days_overdue': 1, 'annual_volume': 0, 'tier': 'bronze'}
    """  # noqa: E501
    problems = _check_bounds(max_departments, cutoff, max_routes, budget)
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
    spending = _Budget(budget)
    walk = spending.walked(symbolic.journey)
    pairs = [(door, request) for door in chosen_doors for request in chosen_requests]
    skipped: tuple[tuple[str, str], ...] = ()
    for position, (door, request) in enumerate(pairs):
        probe = functools.partial(walk, request, door, cutoff, max_routes)
        try:
            found = _segments(cells, probe, symbolic.recorder)
        except _OutOfBudget:
            skipped = tuple(pairs[position:])
            break
        for known, journey in found:
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
    return _report(culture, max_departments, cases, findings, skipped, budget)


def _betweenness(
    names: Sequence[str], edges: Iterable[tuple[str, str]], budget: int | None = None
) -> dict[str, float] | None:
    """Betweenness centrality of the departments on the handoff graph (directed, normalised,
    endpoints left out): networkx's ``betweenness_centrality`` on the ``DiGraph`` of `names`
    and `edges`, the same numbers to the last bit.

    It is Brandes' algorithm as networkx runs it (the same sources in the same order, the
    same breadth-first order, the same additions in the same order), so the floating-point
    results are identical; but a search from a department costs what it reaches, not the
    whole org, and nothing is looked up through graph views. On a chain of 2,000 departments
    that is 5x faster; the work is still one search per department. None when the searches
    reach more departments and follow more handoffs, together, than `budget` (None: no
    bound): they stop there.

    Examples:
        >>> import networkx as nx
        >>> edges = [("a", "b"), ("b", "c"), ("a", "c"), ("c", "d")]
        >>> graph = nx.DiGraph(edges)
        >>> _betweenness("abcd", edges) == nx.betweenness_centrality(graph, backend="networkx")
        True
    """
    count = len(names)
    index = {name: at for at, name in enumerate(names)}
    successors: list[dict[int, None]] = [{} for _ in names]
    for tail, head in edges:
        successors[index[tail]].setdefault(index[head])
    following = [tuple(targets) for targets in successors]
    central = [0.0] * count
    spent = 0
    for source, first in enumerate(following):
        if not first:
            continue  # nothing reached: nothing to add
        if budget is not None and spent >= budget:
            return None
        # Breadth first from `source` (`order` grows as it is read): the departments in the
        # order reached (networkx's stack S), their distance, the number of shortest paths
        # to them and their predecessors on those paths.
        order = [source]
        distance = [-1] * count
        distance[source] = 0
        paths = [0.0] * count
        paths[source] = 1.0
        # Only the predecessors of departments reached are read, each set on first reaching.
        before: list[list[int]] = [[]] * count
        for here in order:
            further = distance[here] + 1
            reached = paths[here]
            for target in following[here]:
                seen = distance[target]
                if seen < 0:
                    order.append(target)
                    distance[target] = further
                    paths[target] = 0.0 + reached
                    before[target] = [here]
                elif seen == further:
                    paths[target] += reached
                    before[target].append(here)
        spent += len(order) + sum(map(len, map(following.__getitem__, order)))
        # Accumulation, from the farthest back; the source itself (first in `order`) has no
        # predecessor and adds nothing to itself, so it is left out.
        delta = [0.0] * count
        for target in order[:0:-1]:
            coefficient = (1 + delta[target]) / paths[target]
            for here in before[target]:
                delta[here] += paths[here] * coefficient
            central[target] += delta[target]
    # networkx's rescaling: normalised, directed, without endpoints.
    pairs = len(names) - 1
    if pairs >= 2:
        scale = 1 / (pairs * (pairs - 1))
        if scale != 1:
            central = [value * scale for value in central]
    return dict(zip(names, central, strict=True))


def _report(
    culture: Culture,
    max_departments: int,
    cases: list[Case],
    findings: list[OrgFinding],
    skipped: tuple[tuple[str, str], ...] = (),
    budget: int | None = None,
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
    central = _betweenness(
        org.names, [(handoff.source, handoff.target) for handoff in org.handoffs], budget
    )
    return OrgReport(
        max_departments=max_departments,
        cases=tuple(cases),
        findings=tuple(findings),
        requests=tuple(
            _count(request, by_request[request], max_departments) for request in sorted(by_request)
        ),
        total=_count("*", cases, max_departments),
        load=tuple(sorted(load.items(), key=lambda item: (-item[1], item[0]))),
        betweenness=()
        if central is None
        else tuple(
            sorted(
                ((name, round(central[name], 6)) for name in org.names),
                key=lambda item: (-item[1], item[0]),
            )
        ),
        unreachable=tuple(name for name in org.names if name not in reached),
        skipped=skipped,
        betweenness_skipped=central is None,
    )


# -- customers, not cases ---------------------------------------------------------------


@attrs.frozen
class CustomerMetrics:
    """The org metrics of a customer base: customers (and their requests), not cases.

    Each customer falls in exactly one segment of each (door, request) pair of the report
    (segments partition the customers), so each customer's journey is known exactly, and
    every metric of `RequestMetrics` is counted over customers: a customer counts once for
    each door and request they are counted at, times their volume.

    Attributes:
        customers: How many customer records were weighed.
        requests: The metrics per request type (by name), with ``cases`` the weight of the
            customers counted (customers times doors times volume), ``resolved`` the weight
            of those whose journey resolves the request, and so on.
        total: The same over every request type.
        touched: ``(request, departments touched, weight)``: how the weight spreads over
            the number of departments journeys touch, by request then departments (request
            ``*`` for all of them).
        load: ``(department, weight of customers whose journey touches it)``, busiest
            first.
    """

    customers: int
    requests: tuple[RequestMetrics, ...]
    total: RequestMetrics
    touched: tuple[tuple[str, int, int], ...]
    load: tuple[tuple[str, int], ...]

    def metrics(self, request: str) -> RequestMetrics:
        """The metrics of one request type (``*`` for the total).

        Raises:
            KeyError: for a request type with no customer counted.
        """
        if request == "*":
            return self.total
        for metrics in self.requests:
            if metrics.request == request:
                return metrics
        raise KeyError(f"no customer asks for request type `{request}`")

    def share_touching(self, at_least: int, request: str = "*") -> float | None:
        """The share of the weight whose journey touches `at_least` departments or more
        (None when nothing is counted for `request`)."""
        counted = [(n, weight) for name, n, weight in self.touched if name == request]
        total = sum(weight for _, weight in counted)
        if not total:
            return None
        return round(sum(weight for n, weight in counted if n >= at_least) / total, 6)


def _case_groups(report: OrgReport) -> dict[tuple[str, str], list[int]]:
    """The positions of the report's cases by (door, request), in the report's order."""
    groups: dict[tuple[str, str], list[int]] = {}
    for position, case in enumerate(report.cases):
        groups.setdefault((case.door, case.request), []).append(position)
    return groups


def _optional_key(record: Mapping[str, Any], key: str | None, position: int) -> Any:
    if key is None:
        return None
    if key not in record:
        raise InvalidCustomer(
            f"invalid customer at index {position}",
            [Problem(("customer", key), "the field is missing", None)],
            index=position,
        )
    return record[key]


def _volume(value: Any, key: str, position: int) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidCustomer(
            f"invalid customer at index {position}",
            [Problem(("customer", key), f"a volume is a whole number of at least 0: `{value!r}`")],
            index=position,
        )
    return value


def customer_metrics(
    culture: Culture,
    report: OrgReport,
    customers: Iterable[Mapping[str, Any]],
    *,
    volume: str | None = None,
    door: str | None = None,
    request: str | None = None,
) -> CustomerMetrics:
    """Weigh the org metrics of `report` by a customer base, exactly, customer by customer.

    Each customer is counted at every door and request of the report, or only at their own
    when a field says which (`door`, `request`), times their volume (`volume`: the
    number of requests they make, a whole number; 1 each by default). Fields named by
    `volume`, `door` and `request` are not facts: they are taken out before the record is
    validated. `crmculture.batch.org_customers.frame_customer_metrics` does the same for a
    pandas or Arrow frame, column by column, with the same result.

    Args:
        culture: The culture `report` analysed.
        report: Its org analysis (`analyze_org`), complete for the doors and requests the
            customers are counted at.
        customers: Customer records (mappings of facts, plus the fields named below).
        volume: The field holding each customer's number of requests.
        door: The field holding the department each customer contacts first.
        request: The field holding each customer's request type.

    Raises:
        InvalidCustomer: for the first record that is not a valid customer, with its
            position (``index``) and every problem; nothing is counted.
        OrgError: for a door or request a customer names that the report does not cover.

    Examples:
        >>> from crmculture.stories import acme_culture
        >>> culture = acme_culture()
        >>> report = analyze_org(culture, doors=["sales"], requests=["replacement_part"])
        >>> base = [{"credit_hold": False, "days_overdue": d, "annual_volume": 0,
        ...          "tier": "gold"} for d in (0, 0, 5, 90)]
        >>> weighed = customer_metrics(culture, report, base)
        >>> weighed.total.cases, weighed.total.resolved, weighed.total.referred
        (4, 3, 1)
        >>> weighed.share_touching(4)   # one in four touches five departments
        0.25
    """
    schema = culture.policy.schema
    groups = _case_groups(report)
    by_door: dict[str, list[tuple[str, list[int]]]] = {}
    for (at, asked), positions in groups.items():
        by_door.setdefault(at, []).append((asked, positions))
    cases = report.cases
    weights = [0] * len(cases)
    extra = {key for key in (volume, door, request) if key is not None}
    count = 0
    for position, record in enumerate(customers):
        count += 1
        weight = (
            1
            if volume is None
            else _volume(_optional_key(record, volume, position), volume, position)
        )
        at = _optional_key(record, door, position)
        asked = _optional_key(record, request, position)
        facts_only = {k: v for k, v in record.items() if k not in extra} if extra else record
        try:
            facts = schema.validate(facts_only)
        except InvalidCustomer as error:
            raise InvalidCustomer(
                f"invalid customer at index {position}", error.problems, index=position
            ) from None
        doors = by_door if at is None else {at: by_door.get(at, [])}
        if at is not None and at not in by_door:
            raise OrgError(
                "cannot weigh the customers",
                [Problem(("customers", position, door), f"the report has no door `{at}`", at)],
            )
        for pairs in doors.values():
            for name, positions in pairs:
                if asked is not None and name != asked:
                    continue
                for case_position in positions:
                    if holds(cases[case_position].segment, facts, schema):
                        weights[case_position] += weight
                        break
                else:  # pragma: no cover - segments partition the customers
                    raise AssertionError(f"customer {position} is in no segment")
        if asked is not None and not any(
            name == asked for pairs in by_door.values() for name, _ in pairs
        ):
            raise OrgError(
                "cannot weigh the customers",
                [
                    Problem(
                        ("customers", position, request),
                        f"the report has no request `{asked}`",
                        asked,
                    )
                ],
            )
    return weighed_metrics(report, weights, count)


def weighed_metrics(report: OrgReport, weights: Sequence[int], customers: int) -> CustomerMetrics:
    """The metrics of `report` with each case counted `weights[i]` times (the weight of the
    customers in its segment); what `customer_metrics` and its frame twin share."""
    cases = report.cases
    bound = report.max_departments
    by_request: dict[str, list[tuple[Case, int]]] = {}
    touched: dict[tuple[str, int], int] = {}
    load = dict.fromkeys((name for name, _ in report.load), 0)
    for case, weight in zip(cases, weights, strict=True):
        if not weight:
            continue
        by_request.setdefault(case.request, []).append((case, weight))
        n = case.journey.touched
        for key in ((case.request, n), ("*", n)):
            touched[key] = touched.get(key, 0) + weight
        for name in {name for route in case.journey.routes for name in route.departments}:
            load[name] += weight
    everything = [pair for request in sorted(by_request) for pair in by_request[request]]
    return CustomerMetrics(
        customers=customers,
        requests=tuple(
            _weighted(request, by_request[request], bound) for request in sorted(by_request)
        ),
        total=_weighted("*", everything, bound),
        touched=tuple(
            (request, n, weight)
            for (request, n), weight in sorted(
                touched.items(), key=lambda item: (item[0][0] != "*", item[0])
            )
        ),
        load=tuple(sorted(load.items(), key=lambda item: (-item[1], item[0]))),
    )


def _weighted(
    request: str, pairs: Iterable[tuple[Case, int]], max_departments: int
) -> RequestMetrics:
    totals = dict.fromkeys(
        (
            "cases",
            "resolved",
            "referred",
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
    for case, weight in pairs:
        journey = case.journey
        touched = journey.touched
        totals["cases"] += weight
        deepest = max(deepest, touched)
        if journey.resolved:
            totals["resolved"] += weight
            totals["departments_to_resolution"] += touched * weight
            if len(journey.departments) == 1:
                totals["first_contact"] += weight
        totals["referred"] += weight * journey.referred
        totals["dead_ends"] += weight * journey.dead_end
        totals["loops"] += weight * bool(journey.loop)
        totals["ambiguous"] += weight * journey.ambiguous
        totals["long_journeys"] += weight * (touched > max_departments)
    return RequestMetrics(request, **totals, max_departments=deepest)
