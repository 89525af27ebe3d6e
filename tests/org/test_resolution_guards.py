"""Departments that resolve a request only for some customers (`Department.resolves_when`)."""

from __future__ import annotations

from typing import Any

import pytest

from crmculture import D, Department, DocumentError, F, Handoff, OrgGraph, dump, load
from crmculture.analysis.org_metrics import analyze_org
from crmculture.culture import Culture
from crmculture.errors import OrgError
from crmculture.model.conditions import ALWAYS, Or
from crmculture.org.journeys import walk
from crmculture.stories import acme_culture, acme_policy

ON_HOLD: dict[str, Any] = {
    "credit_hold": True,
    "days_overdue": 0,
    "annual_volume": 9000,
    "tier": "gold",
}
GOOD: dict[str, Any] = {**ON_HOLD, "credit_hold": False}


class TestDepartment:
    def test_unconditional_guards_are_left_out(self) -> None:
        """``ALWAYS`` is the same as no guard, so equal departments compare equal."""
        plain = Department("shipping", ["replacement_part"])
        spelled = Department(
            "shipping", ["replacement_part"], resolves_when={"replacement_part": True}
        )
        assert plain == spelled
        assert spelled.resolves_when == ()
        assert spelled.resolution_guard("replacement_part") == ALWAYS

    def test_guards_are_stored_sorted_by_request(self) -> None:
        department = Department(
            "desk", ["b", "a"], resolves_when={"b": F.credit_hold, "a": D.may_ship}
        )
        assert [request for request, _ in department.resolves_when] == ["a", "b"]

    def test_a_guard_for_a_request_the_department_does_not_resolve(self) -> None:
        department = Department(
            "shipping", ["replacement_part"], resolves_when={"replacment_part": D.may_ship}
        )
        with pytest.raises(OrgError) as caught:
            OrgGraph([department])
        (problem,) = caught.value.problems
        assert problem.path == ("departments", "shipping", "resolves_when", "replacment_part")
        assert "does not resolve" in problem.message
        assert "did you mean `replacement_part`" in problem.message

    def test_a_guard_that_is_not_a_condition(self) -> None:
        with pytest.raises(TypeError, match="expected a condition"):
            Department("shipping", ["part"], resolves_when={"part": "decision.may_ship"})  # type: ignore[dict-item]

    def test_to_networkx_shows_the_guards_as_text(self) -> None:
        graph = acme_culture().org.to_networkx()
        assert graph.nodes["shipping"]["resolves_when"] == {"replacement_part": "decision.may_ship"}
        assert graph.nodes["sales"]["resolves_when"] == {}


class TestCulture:
    def test_the_guard_is_checked_against_the_policy(self) -> None:
        org = OrgGraph(
            [Department("shipping", ["part"], resolves_when={"part": D.may_shp})],
        )
        with pytest.raises(OrgError) as caught:
            Culture(acme_policy(), org)
        (problem,) = caught.value.problems
        assert problem.path == ("departments", "shipping", "resolves_when", "part")
        assert "did you mean `may_ship`" in problem.message

    def test_a_customer_on_hold_is_referred_from_the_shipping_desk(self) -> None:
        """Shipping does not resolve for them (the guard fails), so its referral answers."""
        culture = acme_culture()
        held = culture.journey(ON_HOLD, "replacement_part", door="shipping")
        assert held.departments == ("shipping",)
        assert held.referred
        assert held.referral is not None
        assert held.referral.to == "accounts_receivable"
        good = culture.journey(GOOD, "replacement_part", door="shipping")
        assert good.departments == ("shipping",)
        assert good.resolved

    def test_each_desk_has_its_own_guard(self) -> None:
        """A gold customer is resolved at the desk that serves gold, and handed from the
        desk that serves platinum only."""
        org = OrgGraph(
            [
                Department(
                    "front", ["part"], decides_as="sales", resolves_when={"part": F.tier >= "gold"}
                ),
                Department(
                    "back",
                    ["part"],
                    decides_as="support",
                    resolves_when={"part": F.tier >= "platinum"},
                ),
            ],
            [Handoff("back", "front")],
        )
        culture = Culture(acme_policy(), org)
        assert culture.journey(GOOD, "part", door="front").departments == ("front",)
        assert culture.journey(GOOD, "part", door="back").departments == ("back", "front")

    def test_walk_without_a_resolves_callback_lets_every_guard_hold(self) -> None:
        org = acme_culture().org
        journey = walk(org, "replacement_part", "shipping", lambda handoff: False)
        assert journey.resolved
        refused = walk(
            org, "replacement_part", "shipping", lambda handoff: False, resolves=lambda d: False
        )
        assert refused.referred  # without a `refers` callback every referral guard holds too
        neither = walk(
            org,
            "replacement_part",
            "shipping",
            lambda handoff: False,
            resolves=lambda d: False,
            refers=lambda d, r: False,
        )
        assert neither.dead_end


class TestAnalysis:
    def test_the_analysis_splits_the_shipping_door_by_the_guard(self) -> None:
        report = analyze_org(acme_culture(), doors=["shipping"], requests=["replacement_part"])
        outcomes = sorted((str(case.segment), case.journey.outcome) for case in report.cases)
        assert outcomes == [
            ("credit_hold", "referred"),
            ("not credit_hold and days_overdue > 60", "referred"),
            ("not credit_hold and not days_overdue > 60", "resolved"),
        ]
        assert report.of_kind("dead_end") == ()
        assert report.total.referred == 2

    def test_merge_joins_guards_with_or_and_unguarded_wins(self) -> None:
        org = OrgGraph(
            [
                Department("a", ["part", "plan"], resolves_when={"part": D.may_ship}),
                Department("b", ["part", "plan"], resolves_when={"part": F.tier >= "gold"}),
                Department("c", ["plan"], resolves_when={"plan": F.credit_hold}),
            ]
        )
        merged = org.merge(["a", "b", "c"], into="desk").department("desk")
        guard = merged.resolution_guard("part")
        assert isinstance(guard, Or)
        assert str(guard) == 'decision.may_ship or tier >= "gold"'
        assert merged.resolution_guard("plan") == ALWAYS


class TestDocuments:
    def test_round_trip_in_every_format(self) -> None:
        culture = acme_culture()
        for kind in ("yaml", "json", "toml"):
            assert load(dump(culture, kind), kind) == culture

    def test_a_bad_guard_is_reported_with_its_place(self) -> None:
        text = dump(acme_culture(), "yaml").replace(
            "replacement_part: decision.may_ship", "replacement_part: decision.may_shp"
        )
        assert "decision.may_shp" in text
        with pytest.raises(DocumentError) as caught:
            load(text, "yaml")
        (problem,) = caught.value.problems
        assert problem.path_text == "org.departments.shipping.resolves_when.replacement_part"
        assert problem.line is not None
        assert "did you mean `may_ship`" in problem.message
