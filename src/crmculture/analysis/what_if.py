"""What-if: compare two cultures (a reorganisation, a new handoff, a policy change).

`compare` analyses both cultures (`crmculture.analysis.org_metrics.analyze_org`) and lines
them up: the change of every metric, and every journey that changed, side by side, for each
customer segment that either culture's conditions distinguish, with an example customer that
both cultures' evaluators walk again.

Doors are matched by name; a door of the first culture that a merge absorbed is matched with
the department that lists it in ``merged_from``. Doors with no match, and request types only
one culture knows, are left out of the side-by-side journeys (their cases still count in each
culture's own metrics).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
from crmculture.model.conditions import Condition
from crmculture.org.graph import OrgError, OrgGraph
from crmculture.org.journeys import MAX_ROUTES, Journey, Walk

__all__ = ["ChangedJourney", "Comparison", "MetricDelta", "compare", "match_doors"]

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
    """

    before: OrgReport
    after: OrgReport
    deltas: tuple[MetricDelta, ...]
    changed: tuple[ChangedJourney, ...]
    skipped: tuple[tuple[str, str], ...] = ()

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
