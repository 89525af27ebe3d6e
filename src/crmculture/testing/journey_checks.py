"""The check over journeys: `assert_journey_bound`, no customer talks to more than so many
departments.

The org analysis answers it exactly where it can; see `crmculture.testing.checks` for how a
check searches and what `CheckFailed` holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

import hypothesis
from hypothesis.errors import InvalidArgument

from crmculture.analysis.findings import outcomes_for
from crmculture.analysis.org_metrics import analyze_org
from crmculture.culture import Culture
from crmculture.org.journeys import Journey
from crmculture.testing.check_arguments import _settings
from crmculture.testing.checks import CheckFailed, Method, _determined, _method, _run
from crmculture.testing.org_strategies import choose_names, journey_cases

__all__ = ["assert_journey_bound"]


def _journey_failure(
    culture: Culture,
    customer: Mapping[str, Any],
    journey: Journey,
    max_departments: int,
    found_by: Literal["hypothesis", "verifier"],
) -> CheckFailed:
    values: dict[str, Any] = {}
    rules: list[str] = []
    for handoff in journey.handoffs:
        tested = culture.guard(handoff).directives()
        if not tested:
            continue
        evaluated = outcomes_for(
            culture.policy, customer, culture.policy_department(handoff.source)
        )
        for name in tested:
            values[f"{name} at {handoff.source}"] = evaluated.outcomes[name]
            rules.extend(_determined(evaluated, name))
    return CheckFailed(
        "assert_journey_bound",
        f"`{journey.request}` from `{journey.door}` touches {journey.touched} departments; "
        f"the bound is {max_departments}",
        customer=customer,
        department=journey.door,
        values=values,
        rules=rules,
        found_by=found_by,
        details=[f"route: {journey.route}"],
    )


def assert_journey_bound(
    culture: Culture,
    max_departments: int = 3,
    *,
    requests: Iterable[str] | None = None,
    doors: Iterable[str] | None = None,
    settings: hypothesis.settings | None = None,
    method: Method = "auto",
) -> None:
    """Check that no customer's journey touches more than `max_departments` departments.

    The journey is `crmculture.Culture.journey` from each door with each request; its best
    route counts. With ``method="auto"``, `crmculture.analysis.analyze_org` answers exactly
    (it walks every customer segment); when a walk stopped at a bound, hypothesis searches
    too.

    Args:
        culture: The policy and its org.
        max_departments: The most departments a journey may touch (at least 1).
        requests: The request types (default: every request type of the org).
        doors: The departments customers contact first (default: every department).
        settings: Hypothesis settings (default: the profile in effect).
        method: ``auto``, ``exact`` (the org analysis only) or ``hypothesis``.

    Raises:
        CheckFailed: naming the customer, the door, the request, the route, and the decision
            values the route's handoff guards tested, with the rules that determined them.
        InvalidArgument: for bad arguments.

    Examples:
        >>> from crmculture.stories import acme_culture
        >>> assert_journey_bound(acme_culture(), 5)
        >>> assert_journey_bound(acme_culture(), 3, doors=["sales"])
        Traceback (most recent call last):
        ...
        crmculture.testing.checks.CheckFailed: assert_journey_bound: `replacement_part` from `sales` touches 5 departments; the bound is 3
          customer: {"credit_hold": false, "days_overdue": 1, "annual_volume": 0, "tier": "bronze"}
          department: `sales`
          route: sales -> billing -> accounts_receivable -> engineering -> shipping (resolved)
          values: route_to at sales = "frontline", ...
          rules: none (defaults)
          found by: the verifier (exact)
    """  # noqa: E501
    check = "assert_journey_bound"
    if not isinstance(culture, Culture):
        raise InvalidArgument(f"{check}() needs a Culture, not {type(culture).__name__}")
    if isinstance(max_departments, bool) or not isinstance(max_departments, int):
        raise InvalidArgument(f"{check}(): max_departments must be an int: {max_departments!r}")
    if max_departments < 1:
        raise InvalidArgument(f"{check}(): max_departments={max_departments} must be at least 1")
    chosen_requests = choose_names(check, "requests", requests, culture.org.requests)
    chosen_doors = choose_names(check, "doors", doors, culture.org.names)
    method = _method(check, method)
    if method != "hypothesis":
        report = analyze_org(
            culture, max_departments=max_departments, doors=chosen_doors, requests=chosen_requests
        )
        long = report.of_kind("long_journey")
        if long:
            finding = long[0]
            raise _journey_failure(
                culture, finding.record, finding.journey, max_departments, "verifier"
            )
        if not report.of_kind("cutoff"):
            return
        if method == "exact":
            raise CheckFailed(
                check,
                "the org analysis stopped at a bound before answering",
                customer=None,
                found_by="verifier",
            )

    def body(case: tuple[dict[str, Any], str, str]) -> None:
        customer, request, door = case
        journey = culture.journey(customer, request, door=door)
        if journey.touched > max_departments:
            raise _journey_failure(culture, customer, journey, max_departments, "hypothesis")

    strategy = journey_cases(culture, requests=chosen_requests, doors=chosen_doors)
    _run(check, strategy, body, _settings(settings))
