"""Referrals (`crmculture.Referral`): a department's intended answer, checked against the
policy, read and written in documents, and counted by the org analysis apart from resolved."""

from __future__ import annotations

from typing import Any

import pytest

from crmculture import D, Department, DocumentError, F, OrgGraph, Referral, dump, load
from crmculture.analysis.org_metrics import analyze_org
from crmculture.culture import Culture
from crmculture.errors import OrgError
from crmculture.stories import acme_culture, acme_policy

ON_HOLD: dict[str, Any] = {
    "credit_hold": True,
    "days_overdue": 0,
    "annual_volume": 9000,
    "tier": "gold",
}

DOCUMENT = """\
format: crmculture/1
name: tiny
facts:
  vip: {type: bool}
directives:
  route_to: {type: text, default: desk}
rules:
  - id: vips-to-partners
    when: vip
    then: {route_to: partners}
org:
  departments:
    desk:
      refers:
        - {to: partner_desk, requests: [quote], when: 'decision.route_to == "partners"'}
        - {to: bank, outside: true, requests: [loan], message: Ask your bank.}
    partner_desk: {resolves: [quote]}
  handoffs:
    - {from: desk, to: partner_desk}
"""


class TestCulture:
    def test_the_guard_is_checked_against_the_policy(self) -> None:
        """A referral guard naming an unknown directive is an OrgError with its place."""
        org = OrgGraph([Department("sales", refers=[Referral("sales", when=D.rout_to == "x")])])
        with pytest.raises(OrgError) as caught:
            Culture(acme_policy(), org)
        (problem,) = caught.value.problems
        assert problem.path == ("departments", "sales", "refers", 0, "when")
        assert "did you mean `route_to`" in problem.message

    def test_the_guard_reads_the_decision_at_the_referring_department(self) -> None:
        """Customers for whom the guard holds are referred; the others are handed on."""
        culture = load(DOCUMENT)
        vip = culture.journey({"vip": True}, "quote", door="desk")
        assert vip.referred
        assert vip.departments == ("desk",)
        assert vip.referral is not None
        assert vip.referral.to == "partner_desk"
        other = culture.journey({"vip": False}, "quote", door="desk")
        assert other.resolved
        assert other.departments == ("desk", "partner_desk")

    def test_outside_the_company(self) -> None:
        """A referral outside the company names anyone and says so."""
        journey = load(DOCUMENT).journey({"vip": False}, "loan", door="desk")
        assert str(journey) == "desk (referred to bank (outside), 0 handoffs, 0 minutes)"
        assert journey.referral is not None
        assert journey.referral.message == "Ask your bank."


class TestAnalysis:
    def test_acme_credit_hold_cases_are_referred_not_dead_ends(self) -> None:
        """Every door refers credit-hold customers (and those over 60 days overdue)."""
        report = analyze_org(acme_culture(), requests=["replacement_part"])
        metrics = report.metrics("replacement_part")
        assert (metrics.cases, metrics.resolved, metrics.referred) == (20, 8, 12)
        assert (metrics.dead_ends, metrics.referred_share) == (0, 0.6)
        assert report.of_kind("dead_end") == ()
        referred = [case for case in report.cases if case.journey.referred]
        assert {case.door for case in referred} == set(acme_culture().org.names)
        assert all(case.journey.departments == (case.door,) for case in referred)

    def test_every_segment_walks_as_its_example_customer(self) -> None:
        """The segments' journeys, referrals included, are those of the culture's own walk."""
        culture = load(DOCUMENT)
        cases = analyze_org(culture).cases
        assert {case.journey.outcome for case in cases} == {"resolved", "referred", "dead_end"}
        for case in cases:
            for vip in (False, True):  # a fact the segment leaves open takes any value
                record = {"vip": vip, **case.record}
                assert culture.journey(record, case.request, door=case.door) == case.journey

    def test_a_referral_is_not_a_dead_end_but_no_referral_is(self) -> None:
        """Where the referral does not apply (here: for customers who are not VIPs), the
        same journeys are dead ends."""
        culture = load(DOCUMENT)
        assert analyze_org(culture, doors=["desk"], requests=["loan"]).of_kind("dead_end") == ()
        desk = culture.org.department("desk")
        bare = culture.with_org(
            OrgGraph(
                [
                    Department(
                        "desk", refers=[Referral("bank", ["loan"], outside=True, when=F.vip)]
                    ),
                    culture.org.department("partner_desk"),
                ],
                culture.org.handoffs,
            )
        )
        report = analyze_org(bare, doors=["desk"], requests=["loan"])
        assert desk.refers
        assert [str(finding.segment) for finding in report.of_kind("dead_end")] == ["not vip"]


class TestDocuments:
    @pytest.mark.parametrize("kind", ["yaml", "json", "toml"])
    def test_round_trip_in_every_format(self, kind: str) -> None:
        """Referrals survive dump and load, and dumping again changes nothing."""
        culture = load(DOCUMENT)
        text = dump(culture, kind)  # type: ignore[arg-type]
        assert load(text, kind) == culture  # type: ignore[arg-type]
        assert dump(load(text, kind), kind) == text  # type: ignore[arg-type]

    def test_a_bad_target_is_reported_at_its_place_in_the_document(self) -> None:
        """The position is the document's, though referrals are stored in canonical order."""
        text = DOCUMENT.replace("- {to: bank, outside: true,", "- {to: bnk,")
        with pytest.raises(DocumentError) as caught:
            load(text)
        (problem,) = caught.value.problems
        assert problem.path_text == "org.departments.desk.refers[1].to"
        assert problem.line == 16
        assert "unknown department `bnk`" in problem.message

    def test_a_bad_guard_is_reported_with_its_place(self) -> None:
        """A guard naming an unknown directive, with its path and line."""
        text = DOCUMENT.replace("decision.route_to ==", "decision.route ==")
        with pytest.raises(DocumentError) as caught:
            load(text)
        (problem,) = caught.value.problems
        assert problem.path_text == "org.departments.desk.refers[0].when"
        assert problem.line == 15
        assert "did you mean `route_to`" in problem.message

    def test_the_json_schema_describes_referrals(self) -> None:
        """Editors see `refers` and its fields."""
        from crmculture.io.json_schema import json_schema

        definitions = json_schema()["$defs"]
        assert "refers" in definitions["DepartmentDoc"]["properties"]
        assert sorted(definitions["ReferralDoc"]["properties"]) == [
            "message",
            "outside",
            "requests",
            "to",
            "when",
        ]
        assert definitions["ReferralDoc"]["required"] == ["to"]


def test_one_referral_object_made_by_two_departments_reads_each_one_s_decision() -> None:
    """The same Referral object in two departments: each reads the decision where it stands
    (a department-scoped rule makes the guard hold at one and not the other)."""
    from crmculture import Directive, Fact, Layer, Policy, Rule, Schema

    schema = Schema([Fact.bool("vip")])
    policy = Policy(
        "scoped",
        schema,
        [Directive.text("route_to", default="desk")],
        [],
        layers=[
            Layer(
                "east",
                ["east"],
                [Rule("east-vips", F.vip, {"route_to": "partners"})],
            )
        ],
        departments=["east", "west", "partners"],
    )
    shared = Referral("partners", when=D.route_to == "partners")
    org = OrgGraph(
        [
            Department("east", refers=[shared]),
            Department("west", refers=[shared]),
            Department("partners", ["quote"]),
        ]
    )
    culture = Culture(policy, org)
    assert culture.journey({"vip": True}, "quote", door="east").referred
    assert culture.journey({"vip": True}, "quote", door="west").dead_end
    report = analyze_org(culture, requests=["quote"])
    outcomes = {(c.door, str(c.segment)): c.journey.outcome for c in report.cases}
    assert outcomes[("east", "vip")] == "referred"
    assert outcomes[("west", "true")] == "dead_end"
