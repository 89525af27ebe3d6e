"""Rule coverage: rules never matched, rules that never determined a directive, and clauses
that never decided their rule's outcome (MC/DC independence)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmculture import Directive, F, Fact, Policy, Rule, Schema, UnknownRuleError
from crmculture.evaluate.truth import holds
from crmculture.model.conditions import And, Atom, Condition, Not, Or
from crmculture.stories import acme_policy, example_customers
from crmculture.testing import coverage, customers, policies

SCHEMA = Schema(
    [
        Fact.bool("credit_hold"),
        Fact.int("days_overdue", min=0, max=365),
        Fact.enum("tier", ["bronze", "gold"]),
    ]
)
ROUTE = Directive.text("route_to", default="frontline")
POLICY = Policy(
    "p",
    SCHEMA,
    [ROUTE],
    [
        Rule("hold", when=F.credit_hold | (F.days_overdue > 60), then={"route_to": "ar"}),
        Rule("gold", when=(F.tier == "gold") & ~F.credit_hold, then={"route_to": "vip"}),
        Rule("late-gold", when=F.days_overdue > 90, then={"route_to": "ar"}, priority=5),
    ],
)


def customer(hold: bool, overdue: int, tier: str = "bronze") -> dict[str, Any]:
    return {"credit_hold": hold, "days_overdue": overdue, "tier": tier}


class TestCoverage:
    def test_an_empty_suite_covers_nothing(self) -> None:
        """With no customers, every rule is unmatched and every clause undecided."""
        report = coverage(POLICY, [])
        assert report.customers == 0
        assert report.never_matched == ("gold", "hold", "late-gold")
        assert len(report.undecided_clauses) == 5
        assert not report.complete

    def test_clauses_count_only_when_they_decide(self) -> None:
        """In ``credit_hold or days_overdue > 60``, a customer on hold and 70 days late is
        matched, but neither clause alone decided it; one on hold and on time makes the
        first clause decide a true outcome."""
        both = coverage(POLICY, [customer(True, 70)]).rule("hold")
        assert both.matched == 1
        assert [(c.made_true, c.made_false) for c in both.clauses] == [(0, 0), (0, 0)]
        one = coverage(POLICY, [customer(True, 0)]).rule("hold")
        assert [(c.clause, c.made_true, c.made_false) for c in one.clauses] == [
            ("credit_hold", 1, 0),
            ("days_overdue > 60", 0, 0),
        ]

    def test_mcdc_pairs_cover_every_clause(self) -> None:
        """Three customers (the MC/DC minimum for a two-clause `or`) cover both clauses both
        ways."""
        suite = [customer(False, 0), customer(True, 0), customer(False, 61)]
        report = coverage(POLICY, suite).rule("hold")
        assert all(clause.covered for clause in report.clauses)

    def test_a_shadowed_rule_matches_but_never_determines(self) -> None:
        """`hold` comes first (priority 0) and decides `route_to`: `late-gold` matches a
        customer 100 days late but never determines anything."""
        report = coverage(POLICY, [customer(False, 100)])
        assert report.rule("late-gold").matched == 1
        assert "late-gold" in report.never_determined
        assert "hold" not in report.never_determined

    def test_decisions_count_with_their_department(self) -> None:
        """Decisions are accepted as input; a department-layer rule counts only for its
        department."""
        policy = acme_policy()
        decide = policy.compile()
        tickets = {**example_customers()["platinum, unhappy, many tickets"]}
        report = coverage(policy, [decide(tickets, "support"), decide(tickets, "sales")])
        assert report.rule("support-many-tickets").in_scope == 1
        assert report.rule("support-many-tickets").matched == 1
        assert report.rule("credit-hold").in_scope == 2

    def test_summary_and_dict(self) -> None:
        """The summary lists what was never exercised; to_dict is JSON."""
        report = coverage(acme_policy(), example_customers().values())
        text = str(report)
        assert text == report.summary()
        assert "never matched (1): `support-many-tickets`" in text
        assert "`resellers-to-partners`: not credit_hold" in text
        document = json.loads(json.dumps(report.to_dict()))
        assert document["never_matched"] == ["support-many-tickets"]
        assert document["rules"][0]["clauses"][0]["clause"] == 'tier >= "gold"'

    def test_unknown_rule_id(self) -> None:
        """Asking for a rule the policy does not have raises the library's `KeyError`,
        which says what it might be."""
        report = coverage(acme_policy(), [])
        with pytest.raises(UnknownRuleError, match="did you mean `credit-hold`"):
            report.rule("credit-hol")


def is_clause(node: Condition) -> bool:
    return isinstance(node, Atom) or (isinstance(node, Not) and isinstance(node.item, Atom))


def negate_clause(node: Condition, position: int, counter: list[int]) -> Condition:
    """The condition with its clause number `position` (left to right) negated."""
    if is_clause(node):
        counter[0] += 1
        return Not(node) if counter[0] - 1 == position else node
    if isinstance(node, And | Or):
        return type(node)(tuple(negate_clause(item, position, counter) for item in node.items))
    if isinstance(node, Not):
        return Not(negate_clause(node.item, position, counter))
    return node


@given(policies(max_rules=4), st.data())
def test_coverage_agrees_with_negating_each_clause(policy: Policy, data: st.DataObject) -> None:
    """A clause decided the outcome exactly when the rule's condition with that clause
    negated (and nothing else changed) comes out differently; match counts agree too."""
    crowd = data.draw(st.lists(customers(policy), max_size=5))
    report = coverage(policy, crowd)
    assert report.customers == len(crowd)
    schema = policy.schema
    facts = [schema.validate(c) for c in crowd]
    for rule, entry in zip(policy.effective_rules, report.rules, strict=True):
        assert entry.rule == rule.id
        if not rule.applies_to(None):  # a department layer's rule: not consulted
            assert (entry.in_scope, entry.matched) == (0, 0)
            assert all(clause.never_decided for clause in entry.clauses)
            continue
        assert entry.matched == sum(holds(rule.when, f, schema) for f in facts)
        for clause in entry.clauses:
            negated = negate_clause(rule.when, clause.position, [0])
            made = [0, 0]
            for f in facts:
                outcome = holds(rule.when, f, schema)
                if holds(negated, f, schema) is not outcome:
                    made[0 if outcome else 1] += 1
            assert (clause.made_true, clause.made_false) == tuple(made), (rule.id, clause)
