"""The property checks: each passes where its law holds and fails with a readable, shrunk
counterexample (customer, department, values, rules) where it does not."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from hypothesis import settings

from crmculture import Decision, Directive, F, Fact, Policy, ReferenceEvaluator, Rule, Schema
from crmculture.stories import acme_culture, acme_policy
from crmculture.testing import (
    CheckFailed,
    assert_always,
    assert_deterministic,
    assert_journey_bound,
    assert_monotone,
    assert_uniform,
)
from crmculture.testing import checks as checks_module

FEW = settings(max_examples=25)


def sales_only_hold() -> Policy:
    """Credit hold routes to accounts receivable, but only when sales asks."""
    schema = Schema([Fact.bool("credit_hold"), Fact.int("days_overdue", min=0, max=365)])
    route = Directive.text("route_to", default="frontline", uniform=True)
    return Policy(
        "p",
        schema,
        [route],
        [
            Rule(
                "hold",
                when=F.credit_hold,
                then={"route_to": "accounts_receivable"},
                departments=["sales"],
            )
        ],
        departments=["engineering", "sales"],
    )


def late_discount() -> Policy:
    """A late payer gets a discount a punctual one does not: a monotonicity break."""
    schema = Schema([Fact.int("days_overdue", min=0, max=365, better="lower")])
    discount = Directive.int("discount_pct", default=0, combine="max", monotone=True)
    return Policy(
        "p", schema, [discount], [Rule("oops", when=F.days_overdue > 30, then={"discount_pct": 15})]
    )


def acme_with_unhappy_rule() -> Policy:
    """ACME with the change the tutorial "Reward the best customers" catches: an unhappy
    customer gets priority service, so a happier one is served worse."""
    return acme_policy().with_rules(
        Rule("unhappy-customer", when=F.satisfaction < 5, then={"service_level": "priority"})
    )


def failure(call: Any) -> CheckFailed:
    with pytest.raises(CheckFailed) as raised:
        call()
    return raised.value


class TestCheckFailed:
    def test_is_an_assertion_error_that_pickles(self) -> None:
        """Pytest shows it as a failed assertion; it survives pickling (xdist)."""
        error = CheckFailed(
            "assert_x", "broken", customer={"a": 1}, values={"d": 1}, rules=["r", "r"]
        )
        assert isinstance(error, AssertionError)
        assert error.rules == ("r",)
        again = pickle.loads(pickle.dumps(error))
        assert str(again) == str(error)
        assert again.customer == {"a": 1}


class TestSettings:
    def test_the_profile_in_effect_and_the_settings_argument_are_respected(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without `settings=`, a check runs as many examples as the loaded profile says;
        with it, as many as it says."""
        calls: list[int] = []
        real = checks_module.outcomes_for

        def counting(*args: Any) -> Any:
            calls.append(1)
            return real(*args)

        monkeypatch.setattr(checks_module, "outcomes_for", counting)
        law = {"when": "credit_hold", "then": {"may_ship": False}}
        assert_always(
            acme_policy(),
            **law,  # type: ignore[arg-type]
            settings=settings(max_examples=7),
            method="hypothesis",
        )
        assert len(calls) == 7
        calls.clear()
        assert_always(acme_policy(), **law, method="hypothesis")  # type: ignore[arg-type]
        assert len(calls) == settings().max_examples


class TestAssertDeterministic:
    def test_passes_for_acme(self) -> None:
        """ACME decides the same however it is asked."""
        assert_deterministic(acme_policy(), settings=FEW)

    def test_fails_when_an_evaluator_disagrees(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A reference interpreter that treats platinum customers as gold is caught, and the
        smallest platinum customer is named."""

        class Skewed:
            def __init__(self, policy: Policy) -> None:
                self.inner = ReferenceEvaluator(policy)

            def __call__(self, customer: Any, department: str | None = None) -> Decision:
                if customer.get("tier") == "platinum":
                    customer = {**customer, "tier": "gold"}
                return self.inner(customer, department)

        monkeypatch.setattr(checks_module, "ReferenceEvaluator", Skewed)
        error = failure(lambda: assert_deterministic(acme_policy()))
        message = str(error)
        assert "the decision differs with the reference interpreter" in message
        assert (
            'customer: {"credit_hold": false, "days_overdue": 0, "annual_volume": 0, '
            '"tier": "platinum"}' in message
        )
        assert "`platinum-loyalty`" in message
        assert error.customer == {
            "credit_hold": False,
            "days_overdue": 0,
            "annual_volume": 0,
            "tier": "platinum",
        }


class TestAssertUniform:
    def test_passes_for_acme(self) -> None:
        """ACME's uniform directives are proved uniform by the verifier."""
        assert_uniform(acme_policy())
        assert_uniform(acme_policy(), ["route_to", "may_ship"], method="hypothesis", settings=FEW)

    @pytest.mark.parametrize("method", ["auto", "exact", "hypothesis"])
    def test_fails_with_the_departments_and_the_rule(self, method: Any) -> None:
        """Both searches name the customer, both departments' values and the rule."""
        error = failure(lambda: assert_uniform(sales_only_hold(), method=method))
        message = str(error)
        assert (
            '`route_to` is "frontline" when `engineering` asks and "accounts_receivable" '
            "when `sales` asks" in message
        )
        assert '"credit_hold": true' in message
        assert "rules: `hold`" in message
        assert error.customer is not None
        assert error.customer["credit_hold"] is True
        expected = "the verifier (exact)" if method != "hypothesis" else "hypothesis"
        assert f"found by: {expected}" in message

    def test_a_subset_of_departments_is_searched_with_hypothesis(self) -> None:
        """Comparing chosen departments falls back to hypothesis, which shrinks the customer
        to the smallest one on credit hold."""
        error = failure(lambda: assert_uniform(sales_only_hold(), departments=["sales", None]))
        assert error.found_by == "hypothesis"
        assert error.customer == {"credit_hold": True, "days_overdue": 0}


class TestAssertMonotone:
    def test_passes_where_proved(self) -> None:
        """ACME never withholds shipping from a better customer."""
        assert_monotone(acme_policy(), "may_ship")
        assert_monotone(acme_policy(), "discount_pct", department="sales", settings=FEW)

    def test_acme_service_level_is_proved_monotone(self) -> None:
        """ACME as shipped never gives a better customer a worse service level."""
        assert_monotone(acme_policy(), "service_level")

    def test_the_unhappy_customer_rule_breaks_service_level(self) -> None:
        """The verifier finds the break of the proposed rule: an unhappy customer gets
        priority."""
        error = failure(lambda: assert_monotone(acme_with_unhappy_rule(), "service_level"))
        message = str(error)
        assert 'gets a worse `service_level`: "standard" instead of "priority"' in message
        assert "better on: satisfaction 5.0 instead of 0.0" in message
        assert "rules: `unhappy-customer`" in message
        assert "worse customer: {" in message

    def test_hypothesis_shrinks_the_pair(self) -> None:
        """Searching with hypothesis finds the smallest pair around the threshold."""
        error = failure(
            lambda: assert_monotone(late_discount(), "discount_pct", method="hypothesis")
        )
        message = str(error)
        assert "customer: {" in message
        assert 'worse customer: {"days_overdue": 31}' in message
        assert "values: better customer = 0, worse customer = 15" in message
        assert "rules: `oops`" in message
        assert error.found_by == "hypothesis"


class TestAssertAlways:
    def test_credit_hold_always_routes_to_accounts_receivable(self) -> None:
        """The issue's laws hold for ACME, condition as text or as a Condition."""
        policy = acme_policy()
        assert_always(
            policy, when="credit_hold", then={"route_to": "accounts_receivable"}, settings=FEW
        )
        assert_always(policy, when=F.credit_hold, then={"may_ship": False}, settings=FEW)
        assert_always(
            policy,
            when='tier >= "gold" and not credit_hold',
            then={"service_level": "white_glove"},
            department="sales",
            settings=FEW,
        )

    def test_the_verifier_fails_with_the_lowest_customer_and_the_rules(self) -> None:
        """Gold customers on credit hold do not get white glove: the verifier names the
        lowest such customer (unhappy, so `unhappy-customer` gives priority) and the rule."""
        error = failure(
            lambda: assert_always(
                acme_with_unhappy_rule(),
                when='tier >= "gold"',
                then={"service_level": "white_glove"},
            )
        )
        assert error.found_by == "verifier"
        assert error.customer is not None
        assert error.customer["credit_hold"] is True
        assert error.customer["tier"] == "gold"
        assert error.values == {"service_level": "priority"}
        assert error.rules == ("unhappy-customer",)
        assert "found by: the verifier (exact)" in str(error)

    def test_fails_with_the_smallest_customer_and_the_rules(self) -> None:
        """Searched with hypothesis: the smallest such customer is named, with the value and
        the fact that no rule set it."""
        error = failure(
            lambda: assert_always(
                acme_policy(),
                when='tier >= "gold"',
                then={"service_level": "white_glove"},
                method="hypothesis",
            )
        )
        message = str(error)
        assert (
            'when `tier >= "gold"`, `service_level` must be "white_glove" but is "standard"'
        ) in message
        assert (
            'customer: {"credit_hold": true, "days_overdue": 0, "annual_volume": 0, '
            '"tier": "gold"}' in message
        )
        assert 'values: service_level = "standard"' in message
        assert "rules: none (defaults)" in message

    def test_names_the_deciding_rule(self) -> None:
        """When a rule set the wrong value, its id is in the message."""
        error = failure(
            lambda: assert_always(acme_policy(), when="credit_hold", then={"may_quote": True})
        )
        assert error.rules == ("credit-hold",)
        assert error.values == {"may_quote": False}


class TestAssertJourneyBound:
    def test_passes_with_a_loose_bound(self) -> None:
        """No ACME journey touches more than five departments."""
        assert_journey_bound(acme_culture(), 5)
        assert_journey_bound(acme_culture(), 5, method="hypothesis", settings=FEW)

    @pytest.mark.parametrize("method", ["auto", "hypothesis"])
    def test_the_five_department_replacement_part(self, method: Any) -> None:
        """A customer one day overdue asking sales for a part talks to five departments."""
        error = failure(
            lambda: assert_journey_bound(acme_culture(), 3, doors=["sales"], method=method)
        )
        message = str(error)
        assert "`replacement_part` from `sales` touches 5 departments; the bound is 3" in message
        assert (
            'customer: {"credit_hold": false, "days_overdue": 1, "annual_volume": 0, '
            '"tier": "bronze"}' in message
        )
        assert "route: sales -> billing -> accounts_receivable -> engineering -> shipping" in (
            message
        )
        assert 'route_to at sales = "frontline"' in message
