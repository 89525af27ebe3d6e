"""Decisions: the trace, the explanation, canonical JSON, fingerprints, equality and pickling."""

from __future__ import annotations

import json
import pickle
from typing import Any

import attrs
import pytest

from crmculture import Decision, Directive, F, Fact, Policy, Rule, Schema
from crmculture.stories import acme_policy

ON_HOLD = {"credit_hold": True, "days_overdue": 0, "annual_volume": 9000, "tier": "gold"}
GOOD = {"credit_hold": False, "days_overdue": 12, "annual_volume": 300_000, "tier": "silver"}


class TestTrace:
    def test_matched_rules_come_in_priority_then_id_order(self, evaluator: Any) -> None:
        """`matched` lists matching rule ids by (priority, id)."""
        decision = evaluator(acme_policy())(
            {
                **ON_HOLD,
                "credit_hold": False,
                "days_overdue": 0,
                "tier": "platinum",
                "is_reseller": True,
                "annual_volume": 300_000,
            }
        )
        assert decision.matched == (
            "best-customers",
            "high-volume-pays-on-time",
            "platinum-loyalty",
            "resellers-to-partners",
        )

    def test_defaults_used_lists_directives_no_rule_set(self, evaluator: Any) -> None:
        """Directives left to their defaults are listed."""
        decision = evaluator(acme_policy())(ON_HOLD)
        assert decision.defaults_used == ("service_level", "discount_pct")

    @pytest.mark.parametrize(
        ("overrides", "reason"),
        [(False, "comes first"), (True, "rule `credit-hold` overrides it")],
    )
    def test_overridden_rules_say_why(self, evaluator: Any, overrides: bool, reason: str) -> None:
        """A rule that lost under `first`, or to an overriding rule (ACME's credit hold), is
        reported with the winner and the reason."""
        policy = acme_policy()
        hold = attrs.evolve(policy.rule("credit-hold"), overrides=overrides)
        policy = attrs.evolve(
            policy, rules=[hold, *(r for r in policy.rules if r.id != "credit-hold")]
        )
        decision = evaluator(policy)(
            {**ON_HOLD, "is_reseller": True, "credit_hold": False, "days_overdue": 90}
        )
        outcome = decision.outcomes["route_to"]
        assert outcome.rule == "credit-hold"
        assert [(o.rule, o.value) for o in outcome.overridden] == [
            ("resellers-to-partners", "channel_partners")
        ]
        assert reason in outcome.overridden[0].reason


class TestExplain:
    def test_explain_names_the_deciding_rule_and_its_rationale(self, evaluator: Any) -> None:
        """The explanation shows the value, the rule and why the culture wants it."""
        text = evaluator(acme_policy())(ON_HOLD, department="engineering").explain()
        assert 'route_to = "accounts_receivable"' in text
        assert (
            "set by `credit-hold`: Whoever the customer talks to sends them to accounts "
            "receivable." in text
        )
        assert "department `engineering`" in text

    def test_explain_says_why_not(self, evaluator: Any) -> None:
        """For a rule that did not match, the failing clause with the customer's value."""
        text = evaluator(acme_policy())(GOOD).explain()
        assert "days_overdue is 12, the rule needs > 60" in text
        assert 'best-customers: tier is "silver", the rule needs >= "gold"' in text

    def test_explain_negates_requirements_under_not(self, evaluator: Any) -> None:
        """A clause that fails inside `not` states the negated requirement."""
        schema = Schema([Fact.int("days", min=0, max=100)])
        flag = Directive.bool("ok", default=False)
        policy = Policy("p", schema, [flag], [Rule("r", when=~(F.days > 30), then={"ok": True})])
        text = evaluator(policy)({"days": 45}).explain()
        assert "r: days is 45, the rule needs <= 30" in text

    def test_explain_lists_rules_out_of_scope(self, evaluator: Any) -> None:
        """Rules of other departments are listed as out of scope, with their departments."""
        text = evaluator(acme_policy())(GOOD, department="sales").explain()
        assert "Rules out of scope for `sales`:\n  support-many-tickets: applies to support" in text

    def test_explain_mentions_missing_facts(self, evaluator: Any) -> None:
        """A comparison that failed because the fact is missing says so."""
        unhappy = Rule("unhappy", when=F.satisfaction < 5, then={"notify": "customer_success"})
        text = evaluator(acme_policy().with_rules(unhappy))(GOOD).explain()
        assert "satisfaction is missing, the rule needs a value < 5.0" in text


class TestJson:
    def test_json_is_canonical_and_complete(self, evaluator: Any) -> None:
        """Sorted keys, no spaces, and the policy, customer, directives and trace."""
        decision = evaluator(acme_policy())(ON_HOLD, department="sales")
        text = decision.to_json()
        document = json.loads(text)
        assert text == json.dumps(document, sort_keys=True, separators=(",", ":"))
        assert document["directives"]["route_to"] == "accounts_receivable"
        assert document["directives"]["notify"] == ["accounts_receivable"]
        assert document["customer"]["balance"] == "0"
        assert document["policy"] == {
            "name": "acme",
            "version": "2026.11",
            "fingerprint": acme_policy().fingerprint,
        }
        assert document["outcomes"]["route_to"]["determined_by"] == ["credit-hold"]
        assert document["fingerprint"] == decision.fingerprint
        assert document["department"] == "sales"

    def test_fingerprint_depends_on_policy_customer_and_department(self, evaluator: Any) -> None:
        """Changing any of the three changes the fingerprint; nothing else does."""
        decide = evaluator(acme_policy())
        base = decide(ON_HOLD, department="sales").fingerprint
        assert decide(dict(ON_HOLD), department="sales").fingerprint == base
        assert decide(ON_HOLD, department="support").fingerprint != base
        assert decide({**ON_HOLD, "annual_volume": 9001}, department="sales").fingerprint != base
        other = acme_policy().with_rules(Rule("extra", when=False, then={"discount_pct": 1}))
        assert evaluator(other)(ON_HOLD, department="sales").fingerprint != base


class TestValueSemantics:
    def test_equal_inputs_give_equal_hashable_decisions(self, evaluator: Any) -> None:
        """Decisions compare and hash by value."""
        decide = evaluator(acme_policy())
        assert decide(ON_HOLD) == decide(dict(ON_HOLD))
        assert len({decide(ON_HOLD), decide(dict(ON_HOLD)), decide(GOOD)}) == 2
        assert decide(ON_HOLD) != decide(GOOD)
        assert decide(ON_HOLD) != "a string"

    def test_decisions_are_immutable(self, evaluator: Any) -> None:
        """Setting an attribute or a directive fails."""
        decision = evaluator(acme_policy())(ON_HOLD)
        with pytest.raises(AttributeError):
            decision.department = "sales"  # type: ignore[misc]
        with pytest.raises(TypeError):
            decision.directives["route_to"] = "x"  # type: ignore[index]

    def test_decisions_pickle(self, evaluator: Any) -> None:
        """A decision survives pickling with its trace."""
        decision = evaluator(acme_policy())(ON_HOLD, department="support")
        copy = pickle.loads(pickle.dumps(decision))
        assert copy == decision
        assert copy.to_json() == decision.to_json()
        assert copy.explain() == decision.explain()

    def test_repr_shows_directives(self, evaluator: Any) -> None:
        """The repr shows the policy, department and directive values."""
        text = repr(evaluator(acme_policy())(ON_HOLD, department="sales"))
        assert text.startswith("Decision(policy='acme', department='sales', route_to=")

    def test_the_public_constructor_builds_the_same_decision(self, evaluator: Any) -> None:
        """`Decision(...)` from the parts of a decision equals it."""
        decision = evaluator(acme_policy())(ON_HOLD)
        rebuilt = Decision(decision.policy, decision.department, decision.facts, decision.values)
        assert rebuilt == decision
