"""What-if: compare two cultures (a reorganisation, a new handoff, a policy change).

`compare` analyses both cultures (`crmculture.analysis.org_metrics.analyze_org`) and lines
them up: the change of every metric, and every journey that changed, side by side, for each
customer segment that either culture's conditions distinguish, with an example customer that
both cultures' evaluators walk again.

Doors are matched by name; a door of the first culture that a merge absorbed is matched with
the department that lists it in ``merged_from``. Doors with no match, and request types only
one culture knows, are left out of the side-by-side journeys (their cases still count in each
culture's own metrics).

Next to the metrics, `compare` reports the *checkpoints* the change removes, weakens or adds
(`CheckpointChange`): the guards on handoffs, on resolutions (``resolves_when``) and on
referrals, each with the customer segments it affects. A metric can only improve when a merge
turns a guarded handoff into an internal step; the checkpoint report says which guard went,
and which customers it used to stop now skip which departments.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from typing import Any, Literal, TypeAlias

import attrs

from crmculture.analysis.findings import Customer
from crmculture.analysis.org_metrics import (
    BUDGET,
    OrgReport,
    RequestMetrics,
    _Budget,
    _Confirm,
    _OutOfBudget,
    analyze_org,
)
from crmculture.analysis.segments import _describe, _filled, _segments, representatives
from crmculture.analysis.symbolic_walk import _atoms, _Need, _Recorder, _Symbolic
from crmculture.culture import Culture
from crmculture.errors import Problem
from crmculture.evaluate.truth import holds
from crmculture.model.conditions import ALWAYS, DECISION, Condition
from crmculture.org.graph import OrgError, OrgGraph, Referral
from crmculture.org.journeys import MAX_ROUTES, Journey, Route, Walk

__all__ = [
    "ChangedJourney",
    "Checkpoint",
    "CheckpointChange",
    "Comparison",
    "MetricDelta",
    "compare",
    "match_doors",
]

_METRICS = (
    "cases",
    "resolved_share",
    "referred_share",
    "first_contact_share",
    "mean_departments",
    "max_departments",
    "long_journeys",
    "dead_ends",
    "loops",
    "ambiguous",
)


@attrs.frozen
class MetricDelta:
    """One metric before and after.

    Attributes:
        request: The request type, or ``*`` for all.
        metric: The metric's name: ``cases``, ``resolved_share``, ``referred_share``,
            ``first_contact_share``,
            ``mean_departments``, ``max_departments``, ``long_journeys``, ``dead_ends``,
            ``loops`` or ``ambiguous`` (each an attribute or property of `RequestMetrics`).
            The counts ``resolved``, ``referred`` and ``first_contact`` are compared as
            shares, since two
            cultures may have different numbers of cases.
        before: Its value in the first culture (None when undefined there).
        after: Its value in the second culture.
    """

    request: str
    metric: str
    before: float | int | None
    after: float | int | None

    @property
    def changed(self) -> bool:
        """Whether the value differs."""
        return self.before != self.after

    def __str__(self) -> str:
        return f"{self.request} {self.metric}: {self.before} -> {self.after}"


@attrs.frozen
class ChangedJourney:
    """A segment whose journey differs between the two cultures.

    Attributes:
        door: The door in the first culture.
        door_after: The matching door in the second.
        request: The request type.
        segment: The customers concerned, as a condition.
        customer: An example customer, walked again in both cultures, as ``(fact, value)``
            pairs in schema order; `record` gives a dict.
        before: The journey in the first culture.
        after: The journey in the second.
    """

    door: str
    door_after: str
    request: str
    segment: Condition
    customer: Customer
    before: Journey
    after: Journey

    @property
    def record(self) -> dict[str, Any]:
        """The customer as a dict, a record `crmculture.Culture.journey` accepts."""
        return dict(self.customer)

    def __str__(self) -> str:
        return f"{self.request} from {self.door}: {self.before}  =>  {self.after}"


CheckpointKind: TypeAlias = Literal["handoff", "resolution", "referral"]
"""Where a checkpoint's guard sits."""


@attrs.frozen
class Checkpoint:
    """A guard the org checks a customer against: on a handoff, on resolving a request
    (``Department.resolves_when``) or on a referral (``Referral.when``).

    Attributes:
        kind: ``handoff``, ``resolution`` or ``referral``.
        department: Where the check is made: the handoff's source, the resolving or the
            referring department.
        target: The handoff's target, or where the referral sends the customer; None for
            a resolution.
        requests: The request types it concerns (None: every request).
        guard: The guard.
    """

    kind: CheckpointKind
    department: str
    target: str | None
    requests: tuple[str, ...] | None
    guard: Condition

    def __str__(self) -> str:
        requests = "every request" if self.requests is None else ", ".join(self.requests)
        if self.kind == "handoff":
            where = f"handoff {self.department} -> {self.target}"
        elif self.kind == "referral":
            where = f"referral {self.department} -> {self.target}"
        else:
            where = f"resolution at {self.department}"
        return f"{where} [{requests}] when {self.guard}"


ChangeKind: TypeAlias = Literal["removed", "weakened", "added"]
"""What a change did to a checkpoint."""


@attrs.frozen
class CheckpointChange:
    """A checkpoint the change removed, weakened or added, and the customers it affects.

    Attributes:
        change: ``removed`` (the check is gone: its handoff became internal in a merge or
            was removed, its department is gone, a resolution is now unconditional, a
            referral is gone), ``weakened`` (the check is still there, but customers it
            stopped now pass: another guard, or a parallel handoff, lets them through) or
            ``added`` (a new check stops customers who passed before).
        checkpoint: The checkpoint, as in the culture it belongs to: the first culture for
            ``removed`` and ``weakened``, the second for ``added``.
        reason: Why, in words (``internal after the merge into `fulfilment```).
        customers: The segments whose journey the change of this checkpoint changed, with
            an example customer each (see `skipped` for what changed for them): for a
            handoff, the customers its guard stopped (or now stops) whose route no longer
            goes (or now goes) through a department; for a resolution, those it did not
            resolve there who are resolved now (or the reverse); for a referral, those it
            referred who are not referred now (or the reverse).
        skipped: For each of `customers`, the departments (of the first culture) the
            route went through before and no longer does, in route order; empty where
            nothing is skipped.
    """

    change: ChangeKind
    checkpoint: Checkpoint
    reason: str
    customers: tuple[ChangedJourney, ...] = ()
    skipped: tuple[tuple[str, ...], ...] = ()

    def __str__(self) -> str:
        count = len(self.customers)
        text = f"{self.change}: {self.checkpoint} ({self.reason})"
        if not count:
            return text + "; no customer segment affected"
        text += f"; {count} customer segment{'' if count == 1 else 's'} affected"
        skipped = sorted({name for names in self.skipped for name in names})
        if skipped:
            text += ", who no longer go through " + ", ".join(f"`{n}`" for n in skipped)
        else:
            text += ", who skip no department"
        return text


@attrs.frozen
class Comparison:
    """Two cultures side by side.

    Attributes:
        before: The analysis of the first culture.
        after: The analysis of the second.
        deltas: Every metric, in total (``*``) then per request type both know.
        changed: Every segment whose journey changed, by door, request and segment.
        skipped: The ``(door, request)`` pairs (doors of the first culture) whose journeys
            were not lined up because the comparison spent its budget (see `compare`), in
            the order they would have been: doors, then requests, by name. Each analysis
            lists what it left out itself (`OrgReport.skipped`).
        checkpoints: The checkpoints the change removed, weakened or added, with the
            customer segments each affects (among `changed`): removed first, then
            weakened, then added, each by kind, department, target and guard.
    """

    before: OrgReport
    after: OrgReport
    deltas: tuple[MetricDelta, ...]
    changed: tuple[ChangedJourney, ...]
    skipped: tuple[tuple[str, str], ...] = ()
    checkpoints: tuple[CheckpointChange, ...] = ()

    def lost(self) -> tuple[CheckpointChange, ...]:
        """The checkpoints removed or weakened that affect some customer: what the change
        loses."""
        return tuple(
            change for change in self.checkpoints if change.change != "added" and change.customers
        )

    def summary(self) -> str:
        """The metrics that changed, then every checkpoint change, one a line.

        Examples:
            >>> from crmculture.stories import acme_culture
            >>> today = acme_culture()
            >>> merged = today.with_org(today.org.merge(["billing", "accounts_receivable"],
            ...                                         into="finance"))
            >>> print(compare(today, merged).summary().splitlines()[0])
            metrics:
        """
        lines = ["metrics:"]
        lines.extend(
            f"  {delta}" for delta in self.deltas if delta.changed and delta.request == "*"
        )
        lines.append("checkpoints:")
        lines.extend(f"  {change}" for change in self.checkpoints)
        if not self.checkpoints:
            lines.append("  none removed, weakened or added")
        return "\n".join(lines)

    @property
    def complete(self) -> bool:
        """Whether nothing was left out for the budget, here or in either analysis."""
        return not self.skipped and self.before.complete and self.after.complete

    def delta(self, metric: str, request: str = "*") -> MetricDelta:
        """The delta of one metric (in total, or for one request type).

        Raises:
            KeyError: for an unknown metric or request type.
        """
        for delta in self.deltas:
            if delta.metric == metric and delta.request == request:
                return delta
        raise KeyError(f"no metric `{metric}` for request type `{request}`")


def match_doors(before: OrgGraph, after: OrgGraph) -> dict[str, str]:
    """Each department of `before` to the department of `after` that stands for it: the same
    name, or the merged department whose ``merged_from`` lists it.

    Examples:
        >>> from crmculture.stories import acme_org
        >>> org = acme_org()
        >>> merged = org.merge(["billing", "accounts_receivable"], into="finance")
        >>> match_doors(org, merged)["billing"]
        'finance'
    """
    absorbed = {name: d.name for d in after.departments for name in d.merged_from}
    matched = {}
    for name in before.names:
        if name in after:
            matched[name] = name
        elif name in absorbed:
            matched[name] = absorbed[name]
    return matched


def _deltas(before: OrgReport, after: OrgReport) -> list[MetricDelta]:
    pairs: list[tuple[str, RequestMetrics, RequestMetrics]] = [("*", before.total, after.total)]
    known_after = {metrics.request: metrics for metrics in after.requests}
    pairs.extend(
        (metrics.request, metrics, known_after[metrics.request])
        for metrics in before.requests
        if metrics.request in known_after
    )
    return [
        MetricDelta(request, metric, getattr(old, metric), getattr(new, metric))
        for request, old, new in pairs
        for metric in _METRICS
    ]


def compare(
    before: Culture,
    after: Culture,
    *,
    max_departments: int = 3,
    cutoff: int | None = None,
    max_routes: int = MAX_ROUTES,
    budget: int | None = BUDGET,
) -> Comparison:
    """Compare the journeys of two cultures over the same customer facts.

    Args:
        before: The culture as it is.
        after: The culture after the change (another org, another policy, or both).
        max_departments: The bound for long journeys, in both analyses.
        cutoff: The most departments a route may hold (None: no bound).
        max_routes: The most routes enumerated for an ambiguous journey.
        budget: The most work, in the units of
            `crmculture.analysis.org_metrics.BUDGET`, for each of the two analyses and for
            lining their journeys up; what the budget leaves out is listed in
            `Comparison.skipped` and each report's `skipped`. None: no bound.

    Raises:
        OrgError: when the two policies have different schemas, or for bad bounds.

    Examples:
        >>> from crmculture.stories import acme_culture
        >>> today = acme_culture()
        >>> merged = today.with_org(today.org.merge(
        ...     ["sales", "billing", "accounts_receivable"], into="commercial"))
        >>> comparison = compare(today, merged)
        >>> print(comparison.delta("max_departments"))
        * max_departments: 5 -> 3
        >>> for change in comparison.changed:
        ...     if change.door == "sales" and change.request == "replacement_part":
        ...         print(change.segment, "|", change.before.departments, "=>", change.after.departments)
        not credit_hold and not days_overdue > 0 | ('sales', 'engineering', 'shipping') => ('commercial', 'engineering', 'shipping')
        not credit_hold and days_overdue > 0 and not days_overdue > 60 | ('sales', 'billing', 'accounts_receivable', 'engineering', 'shipping') => ('commercial', 'engineering', 'shipping')
    """  # noqa: E501
    if before.policy.schema != after.policy.schema:
        raise OrgError(
            "cannot compare",
            [Problem(("after", "policy", "schema"), "the two cultures talk about different facts")],
        )
    report_before = analyze_org(
        before,
        max_departments=max_departments,
        cutoff=cutoff,
        max_routes=max_routes,
        budget=budget,
    )
    report_after = analyze_org(
        after, max_departments=max_departments, cutoff=cutoff, max_routes=max_routes, budget=budget
    )
    recorder = _Recorder(before.policy.schema)
    old, new = _Symbolic(before, recorder), _Symbolic(after, recorder)
    schema = before.policy.schema
    atoms = _atoms([*old.conditions(), *new.conditions()])
    cells = representatives(schema, atoms)
    doors = match_doors(before.org, after.org)
    requests = sorted(set(before.org.requests) & set(after.org.requests))
    changed: list[ChangedJourney] = []
    confirm_before = _Confirm(before, cutoff, max_routes)
    confirm_after = _Confirm(after, cutoff, max_routes)
    spending = _Budget(budget)
    walk_before, walk_after = spending.walked(old.journey), spending.walked(new.journey)
    pairs = [(door, request) for door in doors for request in requests]
    skipped: tuple[tuple[str, str], ...] = ()
    for position, (door, request) in enumerate(pairs):
        door_after = doors[door]

        def probe(
            known: Mapping[str, Any],
            state: tuple[Journey | Walk | None, Walk | None] | None,
            request: str = request,
            door: str = door,
            door_after: str = door_after,
        ) -> tuple[Journey, Journey]:
            # The state says how far the two walks got before the last question: the
            # journey before (when it was complete) and the walks in progress.
            first, second = state if state is not None else (None, None)
            if isinstance(first, Journey):
                journey_before = first
            else:
                try:
                    journey_before = walk_before(request, door, cutoff, max_routes, known, first)
                except _Need as need:
                    need.state = (need.state, None)
                    raise
            try:
                journey_after = walk_after(request, door_after, cutoff, max_routes, known, second)
            except _Need as need:
                need.state = (journey_before, need.state)
                raise
            return journey_before, journey_after

        try:
            found = _segments(cells, probe, recorder)
        except _OutOfBudget:
            skipped = tuple(pairs[position:])
            break
        for known, (journey_before, journey_after) in found:
            if _same_walk(journey_before, journey_after, doors):
                continue
            segment, example, _ = _describe(schema, atoms, cells, known)
            record = _filled(schema, cells, example)
            confirm_before(record, journey_before)
            confirm_after(record, journey_after)
            changed.append(
                ChangedJourney(
                    door,
                    door_after,
                    request,
                    segment,
                    tuple(record.items()),
                    journey_before,
                    journey_after,
                )
            )
    return Comparison(
        report_before,
        report_after,
        tuple(_deltas(report_before, report_after)),
        tuple(changed),
        skipped,
        _checkpoint_changes(before, after, doors, changed),
    )


def _same_walk(before: Journey, after: Journey, doors: Mapping[str, str]) -> bool:
    """Whether two journeys take the same departments (renamed by the door matching) with
    the same outcomes, minutes and referrals (their targets renamed too)."""
    if len(before.routes) != len(after.routes) or before.truncated != after.truncated:
        return False
    for old, new in zip(before.routes, after.routes, strict=True):
        renamed = tuple(doors.get(name, "") for name in old.departments)
        if (renamed, old.outcome, old.minutes) != (new.departments, new.outcome, new.minutes):
            return False
        if (old.referral is None) != (new.referral is None):
            return False
        if old.referral is not None and new.referral is not None:
            target = old.referral.to if old.referral.outside else doors.get(old.referral.to, "")
            if (target, old.referral.message) != (new.referral.to, new.referral.message):
                return False
    return True


# -- checkpoints --------------------------------------------------------------------------


class _Guards:
    """Guards evaluated for example customers at departments, with a culture's own
    evaluator (validation, compiled policy): each customer decided once per policy
    department."""

    def __init__(self, culture: Culture) -> None:
        self.culture = culture
        policy = culture.policy
        self.names = [DECISION + directive.name for directive in policy.directives]
        self.known: dict[tuple[str, tuple[tuple[str, Any], ...]], Mapping[str, Any]] = {}

    def holds(self, guard: Condition, department: str, customer: Customer) -> bool:
        culture = self.culture
        policy = culture.policy
        scope = culture.policy_department(department)
        known = self.known.get((scope, customer))
        if known is None:
            facts = policy.schema.validate(dict(customer))
            decided = dict(facts)
            decided.update(zip(self.names, culture._decide(facts, scope).values, strict=True))
            known = self.known[scope, customer] = decided
        return holds(guard, known, policy.schema, policy.directive_index)


def _stood(route: Route) -> list[int]:
    """The positions on `route` of the departments at which the walk looked at handoffs:
    every department it left, and the last one of a dead end."""
    count = len(route.handoffs)
    return [*range(count), *([count] if route.outcome == "dead_end" else [])]


def _skipped(before: Route, start: int, after: Route, doors: Mapping[str, str]) -> tuple[str, ...]:
    """The departments of `before` after position `start` whose counterpart (by the door
    matching) `after` does not go through, in route order."""
    reached = set(after.departments)
    later = before.departments[start + 1 :]
    return tuple(dict.fromkeys(name for name in later if doors.get(name) not in reached))


def _requests_text(requests: tuple[str, ...] | None) -> tuple[str, ...] | None:
    return None if requests is None else tuple(requests)


_ORDER = {"removed": 0, "weakened": 1, "added": 2}
_KIND_ORDER = {"handoff": 0, "resolution": 1, "referral": 2}


def _checkpoint_changes(
    before: Culture,
    after: Culture,
    doors: Mapping[str, str],
    changed: Iterable[ChangedJourney],
) -> tuple[CheckpointChange, ...]:
    """Every checkpoint of `before` that `after` removes or weakens, and every checkpoint
    `after` adds, with the changed segments each affects (see `CheckpointChange`)."""
    journeys = list(changed)
    old, new = _Guards(before), _Guards(after)
    found: list[CheckpointChange] = []
    found.extend(_handoff_changes(before, after, doors, journeys, old, new))
    found.extend(_resolution_changes(before, after, doors, journeys, old, new))
    found.extend(_referral_changes(before, after, doors, journeys))
    found.sort(
        key=lambda change: (
            _ORDER[change.change],
            _KIND_ORDER[change.checkpoint.kind],
            change.checkpoint.department,
            str(change.checkpoint.target),
            str(change.checkpoint.requests),
            str(change.checkpoint.guard),
        )
    )
    return tuple(found)


def _handoff_changes(
    before: Culture,
    after: Culture,
    doors: Mapping[str, str],
    journeys: list[ChangedJourney],
    old: _Guards,
    new: _Guards,
) -> list[CheckpointChange]:
    found: list[CheckpointChange] = []
    for handoff in before.org.handoffs:
        if handoff.when == ALWAYS:
            continue
        source, target = doors.get(handoff.source), doors.get(handoff.target)
        status: ChangeKind = "removed"
        internal = False
        if source is None or target is None:
            gone = handoff.source if source is None else handoff.target
            reason = f"department `{gone}` is gone"
        elif source == target:
            internal = True
            reason = f"internal after the merge into `{source}`"
        else:
            parallel = [
                h
                for h in after.org.out_handoffs(source)
                if h.target == target
                and (
                    h.requests is None
                    or handoff.requests is None
                    or set(h.requests) & set(handoff.requests)
                )
            ]
            if not parallel:
                reason = f"no handoff from `{source}` to `{target}` any more"
            else:
                status = "weakened"
                guards = sorted({str(h.when) for h in parallel})
                reason = f"`{source}` -> `{target}` now when " + " or ".join(
                    f"`{text}`" for text in guards
                )
        guard = before.guard(handoff)
        customers: list[ChangedJourney] = []
        skipped: list[tuple[str, ...]] = []
        for journey in journeys:
            if not handoff.carries(journey.request):
                continue
            route, later = journey.before.route, journey.after.route
            for position in _stood(route):
                if route.departments[position] != handoff.source:
                    continue
                passed = old.holds(guard, handoff.source, journey.customer)
                if status == "weakened":
                    # Stopped by the check before, and through to its target now.
                    pairs = itertools.pairwise(later.departments)
                    if not passed and (source, target) in set(pairs):
                        customers.append(journey)
                        skipped.append(_skipped(route, position, later, doors))
                elif internal != passed:
                    # Internal: the check that stopped them is gone. Removed: the way the
                    # check let them through is gone. Either way: what do they skip now?
                    gone_now = _skipped(route, position, later, doors)
                    if gone_now:
                        customers.append(journey)
                        skipped.append(gone_now)
                break
        if status == "weakened" and not customers:
            continue  # the same check, or a stricter one: nothing lost
        found.append(
            CheckpointChange(
                status,
                Checkpoint("handoff", handoff.source, handoff.target, handoff.requests, guard),
                reason,
                tuple(customers),
                tuple(skipped),
            )
        )
    # Checks the change adds: a guarded handoff of `after` that no handoff of `before`
    # between the departments it stands for had, with the same guard.
    inverse: dict[str, list[str]] = {}
    for name, image in doors.items():
        inverse.setdefault(image, []).append(name)
    had = {
        (doors.get(h.source), doors.get(h.target), str(h.when), _requests_text(h.requests))
        for h in before.org.handoffs
    }
    for handoff in after.org.handoffs:
        key = (handoff.source, handoff.target, str(handoff.when), _requests_text(handoff.requests))
        if handoff.when == ALWAYS or key in had:
            continue
        guard = after.guard(handoff)
        sources, targets = inverse.get(handoff.source, []), inverse.get(handoff.target, [])
        customers, skipped = [], []
        for journey in journeys:
            if not handoff.carries(journey.request):
                continue
            route = journey.after.route
            if not any(route.departments[p] == handoff.source for p in _stood(route)):
                continue
            if new.holds(guard, handoff.source, journey.customer):
                continue
            # It stops them now: did they pass that way before?
            earlier = journey.before.route.departments
            if any(a in sources and b in targets for a, b in itertools.pairwise(earlier)):
                customers.append(journey)
                reached = set(route.departments)
                skipped.append(tuple(n for n in earlier if doors.get(n) not in reached))
        found.append(
            CheckpointChange(
                "added",
                Checkpoint("handoff", handoff.source, handoff.target, handoff.requests, guard),
                "a new guard on this handoff",
                tuple(customers),
                tuple(skipped),
            )
        )
    return found


def _resolution_changes(
    before: Culture,
    after: Culture,
    doors: Mapping[str, str],
    journeys: list[ChangedJourney],
    old: _Guards,
    new: _Guards,
) -> list[CheckpointChange]:
    found: list[CheckpointChange] = []
    for department in before.org.departments:
        for request, _ in department.resolves_when:
            guard = before.resolution_guard(department.name, request)
            image = doors.get(department.name)
            status: ChangeKind = "removed"
            if image is None:
                reason = f"department `{department.name}` is gone"
            elif not after.org.resolves(image, request):
                reason = f"`{image}` does not resolve `{request}`"
            else:
                now = after.resolution_guard(image, request)
                if now == ALWAYS:
                    reason = f"`{image}` resolves `{request}` for everyone"
                elif str(now) == str(guard):
                    continue
                else:
                    status = "weakened"
                    reason = f"`{image}` resolves `{request}` when `{now}`"
            customers, skipped = [], []
            for journey in journeys:
                if journey.request != request:
                    continue
                route = journey.before.route
                if department.name not in route.departments:
                    continue
                position = route.departments.index(department.name)
                if old.holds(guard, department.name, journey.customer):
                    continue
                later = journey.after.route
                if later.resolved and later.departments[-1] == image:
                    customers.append(journey)
                    skipped.append(_skipped(route, position, later, doors))
            if status == "weakened" and not customers:
                continue
            found.append(
                CheckpointChange(
                    status,
                    Checkpoint("resolution", department.name, None, (request,), guard),
                    reason,
                    tuple(customers),
                    tuple(skipped),
                )
            )
    for department in after.org.departments:
        members = [d for d in before.org.departments if doors.get(d.name) == department.name]
        for request, _ in department.resolves_when:
            guard = after.resolution_guard(department.name, request)
            if any(
                str(before.resolution_guard(m.name, request)) == str(guard)
                and before.org.resolves(m.name, request)
                for m in members
            ):
                continue
            customers = []
            names = {m.name for m in members}
            for journey in journeys:
                if journey.request != request:
                    continue
                was, now_route = journey.before.route, journey.after.route
                if (
                    was.resolved
                    and was.departments[-1] in names
                    and department.name in now_route.departments
                    and not (now_route.resolved and now_route.departments[-1] == department.name)
                    and not new.holds(guard, department.name, journey.customer)
                ):
                    customers.append(journey)
            found.append(
                CheckpointChange(
                    "added",
                    Checkpoint("resolution", department.name, None, (request,), guard),
                    "a new guard on resolving here",
                    tuple(customers),
                    tuple(() for _ in customers),
                )
            )
    return found


def _same_referral(first: Referral, second: Referral, doors: Mapping[str, str]) -> bool:
    """Whether `second` (of the second culture) stands for `first`: the same requests and
    guard, to the department that stands for `first`'s (or the same name outside)."""
    target = first.to if first.outside else doors.get(first.to)
    return (target, first.outside, first.requests, str(first.when)) == (
        second.to,
        second.outside,
        second.requests,
        str(second.when),
    )


def _referral_changes(
    before: Culture,
    after: Culture,
    doors: Mapping[str, str],
    journeys: list[ChangedJourney],
) -> list[CheckpointChange]:
    found: list[CheckpointChange] = []
    for department in before.org.departments:
        image = doors.get(department.name)
        made_after = () if image is None else after.org.department(image).refers
        for referral in department.refers:
            if referral.when == ALWAYS:
                continue
            if any(_same_referral(referral, other, doors) for other in made_after):
                continue
            if image is None:
                reason = f"department `{department.name}` is gone"
            else:
                reason = f"`{image}` makes no such referral"
            customers = [
                journey
                for journey in journeys
                if journey.before.route.referral is referral
                and journey.before.route.departments[-1] == department.name
                and not (
                    journey.after.route.referral is not None
                    and journey.after.route.departments[-1] == image
                    and _same_referral(referral, journey.after.route.referral, doors)
                )
            ]
            found.append(
                CheckpointChange(
                    "removed",
                    Checkpoint(
                        "referral",
                        department.name,
                        referral.to,
                        referral.requests,
                        before.referral_guard(referral),
                    ),
                    reason,
                    tuple(customers),
                    tuple(() for _ in customers),
                )
            )
    for department in after.org.departments:
        members = [d for d in before.org.departments if doors.get(d.name) == department.name]
        for referral in department.refers:
            if referral.when == ALWAYS:
                continue
            if any(_same_referral(r, referral, doors) for m in members for r in m.refers):
                continue
            customers = [
                journey
                for journey in journeys
                if journey.after.route.referral is referral
                and journey.after.route.departments[-1] == department.name
                and journey.before.route.referral is None
            ]
            found.append(
                CheckpointChange(
                    "added",
                    Checkpoint(
                        "referral",
                        department.name,
                        referral.to,
                        referral.requests,
                        after.referral_guard(referral),
                    ),
                    "a new referral",
                    tuple(customers),
                    tuple(() for _ in customers),
                )
            )
    return found
