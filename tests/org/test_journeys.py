"""Journeys: the walk's rules, the culture that drives it, and ACME's replacement-part story."""

from __future__ import annotations

from typing import Any

import pytest

from crmculture import D, F, InvalidCustomer, UnknownDepartmentError
from crmculture.culture import Culture
from crmculture.org import Department, Handoff, OrgError, OrgGraph, Referral, walk
from crmculture.stories import acme_culture, acme_org, acme_policy

GOOD = {"credit_hold": False, "days_overdue": 0, "annual_volume": 9000, "tier": "gold"}
ON_HOLD = {**GOOD, "credit_hold": True}
LATE = {**GOOD, "days_overdue": 12}


def always(handoff: Handoff) -> bool:
    return True


def line(*names: str, resolves: dict[str, list[str]] | None = None) -> list[Department]:
    resolves = resolves or {}
    return [Department(name, resolves.get(name, [])) for name in names]


class TestTheStory:
    """The replacement-part story of the issue, with ACME's culture."""

    def test_credit_hold_is_referred_to_accounts_receivable_by_sales(self) -> None:
        """From the sales door a credit-hold customer is referred to accounts receivable:
        the culture's answer, not a dead end."""
        journey = acme_culture().journey(ON_HOLD, "replacement_part", door="sales")
        assert journey.departments == ("sales",)
        assert journey.outcome == "referred"
        assert journey.referred
        assert not journey.dead_end
        assert not journey.resolved
        assert journey.referral is not None
        assert journey.referral.to == "accounts_receivable"
        assert "accounts receivable clears the balance" in journey.referral.message
        assert str(journey) == "sales (referred to accounts_receivable, 0 handoffs, 0 minutes)"

    def test_good_standing_goes_to_engineering_then_shipping(self) -> None:
        """A customer in good standing gets the part in three departments."""
        journey = acme_culture().journey(GOOD, "replacement_part", door="sales")
        assert journey.departments == ("sales", "engineering", "shipping")
        assert journey.resolved
        assert journey.minutes == 50
        assert not journey.ambiguous

    def test_a_late_payer_meets_five_departments_then_three_after_the_merge(self) -> None:
        """The detour through billing and accounts receivable disappears in the merge."""
        culture = acme_culture()
        before = culture.journey(LATE, "replacement_part", door="sales")
        assert before.touched == 5
        merged = culture.with_org(
            culture.org.merge(["sales", "billing", "accounts_receivable"], into="commercial")
        )
        after = merged.journey(LATE, "replacement_part", door="commercial")
        assert after.departments == ("commercial", "engineering", "shipping")
        assert after.touched <= 3

    def test_every_door_refers_credit_hold_to_accounts_receivable(self) -> None:
        """Whoever the customer contacts, the answer is: talk to accounts receivable."""
        culture = acme_culture()
        for door in culture.org.names:
            journey = culture.journey(ON_HOLD, "replacement_part", door=door)
            assert journey.departments == (door,)
            assert journey.referral is not None
            assert journey.referral.to == "accounts_receivable"

    def test_a_credit_hold_payment_plan_is_still_resolved_at_accounts_receivable(self) -> None:
        """Referrals answer replacement parts only: a payment plan is handed on and resolved."""
        journey = acme_culture().journey(ON_HOLD, "payment_plan", door="sales")
        assert journey.departments == ("sales", "accounts_receivable")
        assert journey.resolved


def refer(to: str = "ar", requests: list[str] | None = None, **kw: Any) -> Referral:
    return Referral(to, requests, **kw)


class TestReferrals:
    """A referral ends the journey where it is made, as referred."""

    def test_a_referral_ends_the_journey_at_the_door(self) -> None:
        """The door refers: one department, outcome referred, the referral on the journey."""
        org = OrgGraph(
            [Department("a", refers=[refer("b", message="see b")]), Department("b", ["q"])],
            [Handoff("a", "b")],
        )
        journey = walk(org, "q", "a", always)
        assert journey.departments == ("a",)
        assert journey.outcome == "referred"
        assert journey.referral == Referral("b", message="see b")
        assert not journey.dead_end

    def test_resolving_comes_before_referring(self) -> None:
        """A department that resolves the request does not refer it."""
        org = OrgGraph([Department("a", ["q"], refers=[refer("a")])])
        assert walk(org, "q", "a", always).outcome == "resolved"

    def test_a_referral_for_other_requests_does_not_apply(self) -> None:
        """Referrals answer the requests they name; others are handed on as usual."""
        org = OrgGraph(
            [Department("a", refers=[refer("b", ["other"])]), Department("b", ["q"])],
            [Handoff("a", "b")],
        )
        journey = walk(org, "q", "a", always)
        assert journey.departments == ("a", "b")
        assert journey.resolved

    def test_a_guard_that_does_not_hold_hands_the_customer_on(self) -> None:
        """`refers` says whether the guard holds; when it does not, the walk goes on."""
        org = OrgGraph(
            [Department("a", refers=[refer("b", when=F.vip)]), Department("b", ["q"])],
            [Handoff("a", "b")],
        )
        assert walk(org, "q", "a", always, refers=lambda d, r: False).resolved
        assert walk(org, "q", "a", always, refers=lambda d, r: True).referred

    def test_a_referral_midway_ends_the_route_there(self) -> None:
        """A department reached by a handoff can refer too."""
        org = OrgGraph(
            [Department("a"), Department("b", refers=[refer("x", outside=True)])],
            [Handoff("a", "b")],
        )
        journey = walk(org, "q", "a", always)
        assert journey.departments == ("a", "b")
        assert str(journey) == "a -> b (referred to x (outside), 1 handoff, 0 minutes)"

    def test_the_first_referral_in_canonical_order_is_made(self) -> None:
        """Several apply: the first in canonical order, however they were listed."""
        referrals = [refer("c", ["q"]), refer("b")]
        for order in (referrals, referrals[::-1]):
            org = OrgGraph([Department("a", refers=order), Department("b"), Department("c")])
            journey = walk(org, "q", "a", always)
            assert journey.referral == refer("b")  # every request sorts before a list

    def test_resolved_routes_come_before_referred_before_the_rest(self) -> None:
        """An ambiguous journey lists resolved, then referred, then dead ends."""
        org = OrgGraph(
            [
                Department("a"),
                Department("b", refers=[refer("x", outside=True)]),
                Department("c"),
                Department("d", ["q"]),
            ],
            [Handoff("a", "b"), Handoff("a", "c"), Handoff("a", "d")],
        )
        journey = walk(org, "q", "a", always)
        assert [route.outcome for route in journey.routes] == ["resolved", "referred", "dead_end"]

    def test_a_referral_is_made_before_the_cutoff(self) -> None:
        """Like resolving, referring at the last department a cutoff allows is kept."""
        org = OrgGraph(
            [Department("a"), Department("b", refers=[refer("x", outside=True)])],
            [Handoff("a", "b")],
        )
        assert walk(org, "q", "a", always, cutoff=2).referred
        assert walk(org, "q", "a", always, cutoff=1).outcome == "cutoff"


class TestWalk:
    def test_a_ping_pong_is_a_loop(self) -> None:
        """Sales -> support -> sales is found and reported as a loop."""
        org = OrgGraph(
            line("sales", "support"), [Handoff("sales", "support"), Handoff("support", "sales")]
        )
        journey = walk(org, "refund", "sales", always)
        assert journey.outcome == "loop"
        assert journey.departments == ("sales", "support", "sales")
        assert journey.loop == ("sales", "support", "sales")
        assert journey.touched == 2

    def test_the_door_resolving_means_one_department(self) -> None:
        """Resolution is checked before any handoff."""
        org = OrgGraph(line("a", "b", resolves={"a": ["q"]}), [Handoff("a", "b")])
        assert walk(org, "q", "a", always).departments == ("a",)

    def test_no_applicable_handoff_is_a_dead_end(self) -> None:
        """Guards that do not hold leave the customer where they are."""
        org = OrgGraph(line("a", "b", resolves={"b": ["q"]}), [Handoff("a", "b")])
        journey = walk(org, "q", "a", lambda handoff: False)
        assert journey.dead_end
        assert journey.departments == ("a",)

    def test_handoffs_for_other_requests_are_not_followed(self) -> None:
        """A handoff only carries the request types it lists."""
        org = OrgGraph(line("a", "b", resolves={"b": ["q"]}), [Handoff("a", "b", ["other"])])
        assert walk(org, "q", "a", always).dead_end

    def test_parallel_handoffs_take_the_quickest(self) -> None:
        """Two handoffs to the same department are one route, the fewer minutes taken."""
        org = OrgGraph(
            line("a", "b", resolves={"b": ["q"]}),
            [Handoff("a", "b", minutes=30), Handoff("a", "b", kind="fast", minutes=5)],
        )
        journey = walk(org, "q", "a", always)
        assert not journey.ambiguous
        assert journey.minutes == 5
        assert journey.handoffs[0].kind == "fast"

    def test_two_targets_make_an_ambiguous_journey(self) -> None:
        """Every route is returned, best first, and the journey says it is ambiguous."""
        org = OrgGraph(
            line("a", "b", "c", resolves={"c": ["q"]}),
            [Handoff("a", "b"), Handoff("a", "c"), Handoff("b", "c")],
        )
        journey = walk(org, "q", "a", always)
        assert journey.ambiguous
        assert [route.departments for route in journey.routes] == [("a", "c"), ("a", "b", "c")]
        assert journey.shortest_resolution == ("a", "c")

    def test_cutoff_bounds_a_route(self) -> None:
        """A route that reaches `cutoff` departments stops and says so."""
        org = OrgGraph(line("a", "b", "c"), [Handoff("a", "b"), Handoff("b", "c")])
        journey = walk(org, "q", "a", always, cutoff=2)
        assert journey.outcome == "cutoff"
        assert journey.departments == ("a", "b")

    def test_max_routes_bounds_enumeration(self) -> None:
        """A complete graph is not enumerated forever: the journey says it was truncated."""
        names = [f"d{i}" for i in range(7)]
        org = OrgGraph(
            [Department(name) for name in names],
            [Handoff(a, b) for a in names for b in names if a != b],
        )
        journey = walk(org, "q", "d0", always, max_routes=10)
        assert journey.truncated
        assert len(journey.routes) == 10

    def test_the_walk_is_the_same_every_time(self) -> None:
        """The same inputs give equal journeys, routes in the same order."""
        org = acme_org()
        first = walk(org, "replacement_part", "sales", always)
        assert walk(org, "replacement_part", "sales", always) == first


class TestCulture:
    def test_guards_are_checked_when_the_culture_is_built(self) -> None:
        """Unknown facts and directives in guards, and unknown departments, are reported."""
        org = OrgGraph(
            [Department("sales"), Department("shipping", decides_as="shiping")],
            [
                Handoff("sales", "shipping", when=F.credit_hol),
                Handoff("shipping", "sales", when=D.rout_to == "x"),
            ],
        )
        with pytest.raises(OrgError) as info:
            Culture(acme_policy(), org)
        assert [str(p) for p in info.value.problems] == [
            "departments.shipping.decides_as: policy `acme` does not know department "
            "`shiping` (did you mean `shipping`?)",
            "handoffs[0].when: unknown fact `credit_hol` (did you mean `credit_hold`?)",
            "handoffs[1].when: unknown directive `rout_to` (did you mean `route_to`?)",
        ]

    @pytest.mark.parametrize(
        ("customer", "request_type", "door", "error", "message"),
        [
            (GOOD, "replacement_part", "sale", UnknownDepartmentError, "did you mean `sales`"),
            (GOOD, "replacment_part", "sales", OrgError, "did you mean `replacement_part`"),
            ({"tier": "gold"}, "replacement_part", "sales", InvalidCustomer, "3 problems"),
        ],
        ids=["door", "request", "customer"],
    )
    def test_bad_input_names_the_problem(
        self, customer: dict[str, Any], request_type: str, door: str, error: type, message: str
    ) -> None:
        """Unknown doors and requests, and bad customers, raise the library's errors."""
        with pytest.raises(error, match=message):
            acme_culture().journey(customer, request_type, door=door)

    def test_bad_bounds_are_rejected(self) -> None:
        """A cutoff or max_routes below one is an error."""
        with pytest.raises(OrgError, match="cutoff must be at least 1"):
            acme_culture().journey(GOOD, "replacement_part", door="sales", cutoff=0)
        with pytest.raises(OrgError, match="max_routes"):
            acme_culture().journey(GOOD, "replacement_part", door="sales", max_routes=0)

    def test_decide_asks_the_policy_for_the_department(self) -> None:
        """A merged department decides as the first department merged."""
        culture = acme_culture()
        merged = culture.with_org(culture.org.merge(["support", "sales"], into="front"))
        decision = merged.decide(GOOD, department="front")
        assert decision.department == "support"
