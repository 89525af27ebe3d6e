"""The stories of the design, told as analyses of ACME's culture."""

from __future__ import annotations

import attrs

from crmculture import F, Policy, ReferenceEvaluator, Rule
from crmculture.analysis import (
    MonotonicityBreak,
    NonUniform,
    Severity,
    analyze,
    check_monotonicity,
    check_uniformity,
)
from crmculture.stories import acme_policy


def with_company_rules(policy: Policy, *rules: Rule) -> Policy:
    """ACME's policy with some company rules replaced or added (by rule id)."""
    ids = {rule.id for rule in rules}
    kept = [rule for rule in policy.rules if rule.id not in ids]
    return attrs.evolve(policy, rules=(*kept, *rules))


def sales_only_credit_hold() -> Policy:
    policy = acme_policy()
    credit_hold = next(rule for rule in policy.rules if rule.id == "credit-hold")
    return with_company_rules(policy, attrs.evolve(credit_hold, departments=["sales"]))


def delinquent_discount() -> Policy:
    return with_company_rules(
        acme_policy(),
        Rule(
            "delinquent-discount",
            when=F.days_overdue > 30,
            then={"discount_pct": 15},
            rationale="Meant to win back late payers; rewards the delinquent instead.",
        ),
    )


class TestCreditHoldWrittenOnlyForSales:
    """Only sales was told about credit holds: engineering keeps helping a customer on hold."""

    def test_reported_as_non_uniform_with_an_engineering_counterexample(self) -> None:
        """`route_to` is non-uniform; engineering and sales disagree for the witness."""
        policy = sales_only_credit_hold()
        findings = [f for f in check_uniformity(policy).findings if isinstance(f, NonUniform)]
        route = [f for f in findings if f.directive == "route_to"]
        assert route, findings
        finding = route[0]
        assert finding.severity is Severity.ERROR
        assert finding.value_in("sales") == "accounts_receivable"
        assert finding.value_in("engineering") == "frontline"
        assert "credit-hold" in finding.rules

    def test_the_counterexample_reproduces_with_the_evaluator(self) -> None:
        """The reference interpreter treats the witness differently in the two departments."""
        policy = sales_only_credit_hold()
        finding = next(
            f
            for f in check_uniformity(policy).findings
            if isinstance(f, NonUniform) and f.directive == "route_to"
        )
        decide = ReferenceEvaluator(policy)
        in_engineering = decide(finding.record, "engineering")
        in_sales = decide(finding.record, "sales")
        assert in_engineering["route_to"] == "frontline"
        assert in_sales["route_to"] == "accounts_receivable"
        assert in_engineering["may_ship"] is True
        assert in_sales["may_ship"] is False

    def test_the_company_wide_rule_is_uniform(self) -> None:
        """ACME's own policy, where the rule applies in every department, is proved uniform."""
        report = check_uniformity(acme_policy())
        assert report.findings == ()
        assert report.clean("uniformity")


class TestDiscountThatRewardsTheDelinquent:
    """A discount keyed on ``days_overdue > 30`` gives late payers more than punctual ones."""

    def test_reported_as_a_monotonicity_break_with_the_pair_of_customers(self) -> None:
        """The better customer pays on time, the worse one is late, and the late one gets more."""
        report = check_monotonicity(delinquent_discount(), ["discount_pct"])
        findings = [f for f in report.findings if isinstance(f, MonotonicityBreak)]
        assert findings, report
        finding = findings[0]
        assert finding.directive == "discount_pct"
        assert finding.severity is Severity.ERROR
        assert "delinquent-discount" in finding.rules
        assert finding.facts == ("days_overdue",)
        assert finding.record["days_overdue"] <= 30 < finding.worse_record["days_overdue"]
        assert finding.better_value < finding.worse_value == 15

    def test_the_pair_reproduces_with_the_evaluator(self) -> None:
        """Evaluated again, the punctual customer gets the smaller discount."""
        policy = delinquent_discount()
        finding = next(
            f
            for f in check_monotonicity(policy, ["discount_pct"]).findings
            if isinstance(f, MonotonicityBreak)
        )
        decide = policy.compile()
        better = decide(finding.record, finding.department)["discount_pct"]
        worse = decide(finding.worse_record, finding.department)["discount_pct"]
        assert (better, worse) == (finding.better_value, finding.worse_value)
        assert better < worse

    def test_acme_discounts_are_proved_monotone(self) -> None:
        """Without the delinquent discount, no pair of customers breaks `discount_pct`."""
        report = check_monotonicity(acme_policy(), ["discount_pct"])
        assert report.findings == ()
        assert report.clean("monotonicity", "discount_pct")


class TestAcmeAsItIs:
    """The full analysis of ACME's culture proves it clean, and finds the break of the change
    the tutorial "Reward the best customers" catches."""

    def test_acme_as_shipped_is_clean(self) -> None:
        """No conflict, gap, non-uniform treatment or monotonicity break, proven."""
        report = analyze(acme_policy())
        assert report.complete
        assert report.findings == ()

    def test_unhappy_customers_jump_the_queue(self) -> None:
        """An unhappy customer gets priority service that a satisfied one does not: reported."""
        unhappy = Rule(
            "unhappy-customer", when=F.satisfaction < 5, then={"service_level": "priority"}
        )
        report = analyze(acme_policy().with_rules(unhappy))
        assert report.complete
        assert [f.kind for f in report.findings] == ["monotonicity_break"]
        finding = report.findings[0]
        assert isinstance(finding, MonotonicityBreak)
        assert finding.directive == "service_level"
        assert finding.facts == ("satisfaction",)
        assert finding.rules == ("unhappy-customer",)
