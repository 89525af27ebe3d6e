"""Conditions that test the customer's decision (`decision.<directive>`), used by handoff guards."""

from __future__ import annotations

import pytest

from crmculture import D, F, Policy, PolicyError, Rule
from crmculture.evaluate.truth import holds, why_not
from crmculture.model.checker import check_condition
from crmculture.stories import acme_policy

POLICY = acme_policy()
DIRECTIVES = POLICY.directive_index


def facts_with_decision(**decision: object) -> dict[str, object]:
    customer = POLICY.schema.validate(
        {"credit_hold": True, "days_overdue": 0, "annual_volume": 1, "tier": "gold"}
    )
    return {**customer, **{f"decision.{name}": value for name, value in decision.items()}}


class TestBuilding:
    def test_d_builds_decision_atoms(self) -> None:
        """`D.x` refers to directive x of the decision, and prints with the prefix."""
        guard = (D.route_to == "accounts_receivable") & F.credit_hold
        assert str(guard) == 'decision.route_to == "accounts_receivable" and credit_hold'
        assert guard.directives() == ("route_to",)
        assert guard.facts() == ("credit_hold",)


class TestChecking:
    @pytest.mark.parametrize(
        ("guard", "message"),
        [
            (D.rout_to == "x", "unknown directive `rout_to` (did you mean `route_to`?)"),
            (D.may_ship == "yes", "directive `may_ship`: expected a bool"),
            (D.route_to > "a", "`>` needs an ordered directive"),
            (D.notify == "x", "collects a list of values"),
            (D.route_to.is_missing(), "always has a value"),
            (D.service_level == "gold", "is not one of the allowed values"),
        ],
        ids=["unknown", "wrong-type", "unordered", "collect", "missing", "outside-values"],
    )
    def test_bad_guards_are_reported(self, guard: object, message: str) -> None:
        """Each mistake in a decision atom is reported with the reason."""
        _, problems = check_condition(guard, POLICY.schema, DIRECTIVES)
        assert len(problems) == 1
        assert message in problems[0].message

    def test_rules_cannot_test_decisions(self) -> None:
        """A rule's condition reads customer facts only."""
        with pytest.raises(PolicyError, match="only handoff guards can"):
            Policy(
                "p",
                POLICY.schema,
                POLICY.directives,
                [Rule("r", when=~D.may_ship, then={"discount_pct": 1})],
            )

    def test_good_guards_are_normalized(self) -> None:
        """A valid guard passes and keeps its meaning."""
        guard = (D.service_level >= "priority") | D.discount_pct.between(5, 10)
        checked, problems = check_condition(guard, POLICY.schema, DIRECTIVES)
        assert problems == ()
        assert checked == guard


class TestHolds:
    def test_guards_read_the_decision(self) -> None:
        """Decision atoms compare the decision's values, ordered directives by their order."""
        facts = facts_with_decision(
            route_to="accounts_receivable", service_level="priority", may_ship=False, discount_pct=5
        )
        schema = POLICY.schema
        assert holds(D.route_to == "accounts_receivable", facts, schema, DIRECTIVES)
        assert holds(D.service_level >= "priority", facts, schema, DIRECTIVES)
        assert not holds(D.service_level > "priority", facts, schema, DIRECTIVES)
        assert holds(~D.may_ship, facts, schema, DIRECTIVES)
        assert holds(D.discount_pct.between(5, 10) & F.credit_hold, facts, schema, DIRECTIVES)

    def test_why_not_speaks_of_the_decision(self) -> None:
        """A failing guard explains itself with the decision's value."""
        facts = facts_with_decision(route_to="frontline")
        reasons = why_not(D.route_to == "accounts_receivable", facts, POLICY.schema, DIRECTIVES)
        assert reasons == [
            'decision.route_to is "frontline", the rule needs == "accounts_receivable"'
        ]

    def test_ordering_a_decision_without_directives_is_an_error(self) -> None:
        """Without the directives, the order of an ordered directive is unknown."""
        facts = facts_with_decision(service_level="priority")
        with pytest.raises(ValueError, match="no directives were given"):
            holds(D.service_level >= "priority", facts, POLICY.schema)
