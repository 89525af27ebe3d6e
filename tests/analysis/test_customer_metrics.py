"""Customers, not cases: org metrics weighed by a customer base equal a walk of each customer."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmculture import InvalidCustomer
from crmculture.analysis.org_metrics import (
    CustomerMetrics,
    RequestMetrics,
    analyze_org,
    customer_metrics,
)
from crmculture.batch.org_customers import frame_customer_metrics
from crmculture.culture import Culture
from crmculture.errors import OrgError
from crmculture.stories import acme_culture
from crmculture.testing.org_strategies import cultures
from crmculture.testing.strategies import customers

ACME_GOOD = {"credit_hold": False, "days_overdue": 0, "annual_volume": 0, "tier": "gold"}

_COUNTS = (
    "cases",
    "resolved",
    "referred",
    "first_contact",
    "dead_ends",
    "loops",
    "ambiguous",
    "long_journeys",
    "departments_to_resolution",
)


def brute_force(
    culture: Culture, people: list[dict[str, Any]], volumes: list[int], bound: int = 3
) -> dict[str, dict[str, int]]:
    """Walk every customer from every door with every request, and count by hand."""
    found: dict[str, dict[str, int]] = {}
    for person, weight in zip(people, volumes, strict=True):
        for door in culture.org.names:
            for request in culture.org.requests:
                journey = culture.journey(person, request, door=door)
                for key in (request, "*"):
                    if not weight:
                        continue
                    tally = found.setdefault(key, dict.fromkeys((*_COUNTS, "max"), 0))
                    tally["cases"] += weight
                    tally["max"] = max(tally["max"], journey.touched)
                    if journey.outcome == "resolved":
                        tally["resolved"] += weight
                        tally["departments_to_resolution"] += weight * journey.touched
                        tally["first_contact"] += weight * (len(journey.departments) == 1)
                    tally["referred"] += weight * (journey.outcome == "referred")
                    tally["dead_ends"] += weight * (journey.outcome == "dead_end")
                    tally["loops"] += weight * bool(journey.loop)
                    tally["ambiguous"] += weight * journey.ambiguous
                    tally["long_journeys"] += weight * (journey.touched > bound)
    return found


def as_counts(metrics: RequestMetrics) -> dict[str, int]:
    counts = {name: getattr(metrics, name) for name in _COUNTS}
    counts["max"] = metrics.max_departments
    return counts


def check(weighed: CustomerMetrics, expected: dict[str, dict[str, int]]) -> None:
    got = {metrics.request: as_counts(metrics) for metrics in weighed.requests}
    if expected:
        got["*"] = as_counts(weighed.total)
    assert got == expected


@settings(max_examples=30)
@given(st.data())
def test_weighed_metrics_equal_a_walk_of_each_customer(data: st.DataObject) -> None:
    """Law: for generated cultures and customer bases with volumes, the customer-weighted
    metrics, from records and from a frame, equal a brute-force walk of each customer."""
    culture = data.draw(cultures(max_departments=4, max_handoffs=6))
    schema = culture.policy.schema
    people = data.draw(st.lists(customers(schema), min_size=1, max_size=6))
    volumes = data.draw(st.lists(st.integers(0, 3), min_size=len(people), max_size=len(people)))
    report = analyze_org(culture)
    expected = brute_force(culture, people, volumes)
    records = [{**person, "volume": n} for person, n in zip(people, volumes, strict=True)]
    weighed = customer_metrics(culture, report, records, volume="volume")
    check(weighed, expected)
    assert weighed.customers == len(people)
    frame = pd.DataFrame(records, columns=[*schema.names, "volume"], dtype=object)
    assert frame_customer_metrics(culture, report, frame, volume="volume") == weighed


class TestAcme:
    def test_the_share_of_customers_touching_four_departments_or_more(self) -> None:
        """Three customers asking sales for a part, one of them a few days overdue."""
        culture = acme_culture()
        report = analyze_org(culture)
        base = [
            {**ACME_GOOD, "door": "sales", "request": "replacement_part"},
            {**ACME_GOOD, "days_overdue": 12, "door": "sales", "request": "replacement_part"},
            {**ACME_GOOD, "credit_hold": True, "door": "sales", "request": "replacement_part"},
        ]
        weighed = customer_metrics(culture, report, base, door="door", request="request")
        metrics = weighed.metrics("replacement_part")
        assert (metrics.cases, metrics.resolved, metrics.referred) == (3, 2, 1)
        assert weighed.share_touching(4, "replacement_part") == 0.333333
        assert weighed.load[0] == ("sales", 3)
        frame = pd.DataFrame(base)
        twin = frame_customer_metrics(culture, report, frame, door="door", request="request")
        assert twin == weighed

    def test_volumes_weigh_customers(self) -> None:
        """A customer with volume 3 counts three times; volume 0 not at all."""
        culture = acme_culture()
        report = analyze_org(culture, doors=["sales"], requests=["replacement_part"])
        base = [{**ACME_GOOD, "n": 3}, {**ACME_GOOD, "days_overdue": 12, "n": 0}]
        weighed = customer_metrics(culture, report, base, volume="n")
        assert (weighed.total.cases, weighed.total.max_departments) == (3, 3)

    def test_a_bad_record_is_named_with_its_position_and_nothing_is_counted(self) -> None:
        """The first invalid customer raises, with every problem and its index."""
        culture = acme_culture()
        report = analyze_org(culture)
        base = [ACME_GOOD, {**ACME_GOOD, "tier": "diamond", "days_overdue": -1}]
        with pytest.raises(InvalidCustomer) as caught:
            customer_metrics(culture, report, base)
        assert caught.value.index == 1
        assert len(caught.value.problems) == 2
        with pytest.raises(InvalidCustomer) as from_frame:
            frame_customer_metrics(culture, report, pd.DataFrame(base))
        assert from_frame.value.index == 1

    def test_a_door_the_report_does_not_cover_is_an_error(self) -> None:
        culture = acme_culture()
        report = analyze_org(culture, doors=["sales"])
        with pytest.raises(OrgError, match="no door `support`"):
            customer_metrics(culture, report, [{**ACME_GOOD, "d": "support"}], door="d")
        with pytest.raises(OrgError, match="no `support`"):
            frame_customer_metrics(
                culture, report, pd.DataFrame([{**ACME_GOOD, "d": "support"}]), door="d"
            )

    def test_a_bad_volume_is_an_invalid_customer(self) -> None:
        culture = acme_culture()
        report = analyze_org(culture, doors=["sales"])
        with pytest.raises(InvalidCustomer, match="index 0"):
            customer_metrics(culture, report, [{**ACME_GOOD, "n": -2}], volume="n")
