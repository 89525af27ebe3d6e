"""The checks of the verifier on small policies whose answers are known by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from crmculture import Directive, F, Fact, Policy, Rule, Schema, UnknownDirectiveError
from crmculture.analysis import (
    CHECKS,
    Conflict,
    DeadRule,
    Gap,
    MonotonicityBreak,
    NonUniform,
    Severity,
    ShadowedRule,
    analyze,
    check_conflicts,
    check_gaps,
    check_monotonicity,
    check_rules,
    check_uniformity,
    check_unmatched,
)

OVERDUE = Schema([Fact.int("days_overdue", min=0, max=365, better="lower")])


def policy_of(directive: Directive, *rules: Rule, schema: Schema = OVERDUE, **kw: Any) -> Policy:
    return Policy("p", schema, [directive], rules, **kw)


def late(rule_id: str, threshold: int, value: Any, directive: str, **kw: Any) -> Rule:
    return Rule(rule_id, when=F.days_overdue > threshold, then={directive: value}, **kw)


class TestConflicts:
    def test_overlapping_rules_with_different_values_conflict(self) -> None:
        """Two unique-directive rules that overlap above 60 days give one conflict at 61."""
        route = Directive.text("route_to", default="frontline", combine="unique")
        policy = policy_of(
            route,
            late("late", 30, "collections", "route_to"),
            late("very", 60, "legal", "route_to"),
        )
        (finding,) = check_conflicts(policy).findings
        assert isinstance(finding, Conflict)
        assert finding.record == {"days_overdue": 61}
        assert finding.rules == ("late", "very")
        assert finding.severity is Severity.ERROR

    def test_overlapping_rules_with_the_same_value_do_not_conflict(self) -> None:
        """Agreeing rules are proved conflict-free."""
        route = Directive.text("route_to", default="frontline", combine="unique")
        policy = policy_of(
            route, late("late", 30, "legal", "route_to"), late("very", 60, "legal", "route_to")
        )
        report = check_conflicts(policy)
        assert report.findings == ()
        assert report.clean("conflicts", "route_to")

    def test_only_unique_directives_can_conflict(self) -> None:
        """A `first` directive is proved conflict-free without a search."""
        route = Directive.text("route_to", default="frontline")
        policy = policy_of(
            route,
            late("late", 30, "collections", "route_to"),
            late("very", 60, "legal", "route_to"),
        )
        report = check_conflicts(policy)
        assert report.clean("conflicts")
        assert report.coverage[0].boxes == 0

    def test_one_finding_per_distinct_set_of_conflicting_rules(self) -> None:
        """Above 20 days two rules conflict, above 30 three: two findings; with a quota of one,
        the search stops at the first and says so."""
        route = Directive.text("route_to", default="frontline", combine="unique")
        policy = policy_of(
            route,
            late("a", 10, "x", "route_to"),
            late("b", 20, "y", "route_to"),
            late("c", 30, "z", "route_to"),
        )
        findings = check_conflicts(policy).findings
        assert [(f.rules, f.record) for f in findings if isinstance(f, Conflict)] == [
            (("a", "b"), {"days_overdue": 21}),
            (("a", "b", "c"), {"days_overdue": 31}),
        ]
        limited = check_conflicts(policy, max_findings=1)
        assert len(limited.findings) == 1
        assert limited.coverage[0].status == "quota"
        assert not limited.clean("conflicts")


class TestGaps:
    def test_a_directive_without_default_left_unset(self) -> None:
        """Customers no rule covers are a gap: the witness is one of them."""
        route = Directive.text("route_to")
        policy = policy_of(route, late("late", 30, "collections", "route_to"))
        (finding,) = check_gaps(policy).findings
        assert isinstance(finding, Gap)
        assert finding.directive == "route_to"
        assert finding.record == {"days_overdue": 0}

    def test_complementary_rules_leave_no_gap(self) -> None:
        """Rules covering both sides of a threshold are proved gap-free."""
        route = Directive.text("route_to")
        policy = policy_of(
            route,
            late("late", 30, "collections", "route_to"),
            Rule("on-time", when=F.days_overdue <= 30, then={"route_to": "frontline"}),
        )
        assert check_gaps(policy).clean("gaps")

    def test_customers_no_rule_matches(self) -> None:
        """On request, a customer no rule matches is reported, with severity info."""
        route = Directive.text("route_to", default="frontline")
        policy = policy_of(route, late("late", 30, "collections", "route_to"))
        (finding,) = check_unmatched(policy).findings
        assert isinstance(finding, Gap)
        assert (finding.directive, finding.severity) == (None, Severity.INFO)
        assert finding.record["days_overdue"] <= 30


class TestDeadAndShadowedRules:
    def test_a_contradictory_rule_is_dead(self) -> None:
        """No customer is both over 60 and under 30 days overdue."""
        route = Directive.text("route_to", default="frontline")
        never = Rule(
            "never",
            when=(F.days_overdue > 60) & (F.days_overdue < 30),
            then={"route_to": "legal"},
        )
        (finding,) = check_rules(policy_of(route, never)).findings
        assert finding == DeadRule("never", ("route_to",))

    def test_a_rule_outside_the_domain_is_dead(self) -> None:
        """A missing test on a fact that is never missing in practice: the domain decides."""
        schema = Schema([Fact.enum("tier", ["gold"]), Fact.bool("vip")])
        route = Directive.text("route_to", default="frontline")
        rule = Rule("r", when=(F.tier != "gold") & F.vip, then={"route_to": "x"})
        assert [f.kind for f in check_rules(policy_of(route, rule, schema=schema)).findings] == [
            "dead_rule"
        ]

    @pytest.mark.parametrize(
        ("combine", "first", "second", "shadowed"),
        [
            ("first", "x", "y", "second"),
            ("unique", "x", "y", "second"),  # wherever `second` matches, the directive conflicts
            ("unique", "x", "x", None),  # agreeing unique rules all determine the value
        ],
        ids=["first", "unique-conflicting", "unique-agreeing"],
    )
    def test_text_strategies(
        self, combine: str, first: str, second: str, shadowed: str | None
    ) -> None:
        """A later `first` rule inside an earlier one's region never decides; a `unique` rule
        that only matches where the directive conflicts never decides either."""
        directive = Directive.text("d", default="none", combine=combine)
        policy = policy_of(
            directive,
            Rule("first", when=F.days_overdue > 30, then={"d": first}),
            Rule("second", when=F.days_overdue > 60, then={"d": second}, priority=1),
        )
        found = [f.rule for f in check_rules(policy).findings if isinstance(f, ShadowedRule)]
        assert found == ([shadowed] if shadowed else [])

    @pytest.mark.parametrize(
        ("combine", "outer", "inner", "shadowed"),
        [
            ("max", 10, 5, ["inner"]),  # the outer, larger value always wins
            ("max", 5, 10, []),  # above 60 the inner value wins
            ("min", 5, 10, ["inner"]),
            ("sum", 5, 10, []),  # every contributor determines a sum
        ],
        ids=["max-shadowed", "max-wins", "min-shadowed", "sum"],
    )
    def test_number_strategies(
        self, combine: str, outer: int, inner: int, shadowed: list[str]
    ) -> None:
        """A rule inside another's region is shadowed when the other's value always wins."""
        directive = Directive.int("d", default=0, combine=combine)
        policy = policy_of(
            directive,
            Rule("outer", when=F.days_overdue > 30, then={"d": outer}),
            Rule("inner", when=F.days_overdue > 60, then={"d": inner}),
        )
        found = [f.rule for f in check_rules(policy).findings if isinstance(f, ShadowedRule)]
        assert found == shadowed

    @pytest.mark.parametrize(
        ("combine", "outer", "inner", "shadowed"),
        [
            ("all", False, True, ["inner"]),  # one `false` decides `all`
            ("all", True, False, []),
            ("any", True, False, ["inner"]),  # one `true` decides `any`
            ("any", False, False, []),  # all `false` rules determine a `false` result
        ],
        ids=["all-false-wins", "all-true-loses", "any-true-wins", "any-all-false"],
    )
    def test_bool_strategies(
        self, combine: str, outer: bool, inner: bool, shadowed: list[str]
    ) -> None:
        """`all`, `any`: a rule with the losing value is shadowed where the deciding one matches."""
        directive = Directive.bool("d", default=True, combine=combine)
        policy = policy_of(
            directive,
            Rule("outer", when=F.days_overdue > 30, then={"d": outer}),
            Rule("inner", when=F.days_overdue > 60, then={"d": inner}),
        )
        found = [f.rule for f in check_rules(policy).findings if isinstance(f, ShadowedRule)]
        assert found == shadowed

    def test_the_shadowed_witness_names_the_winner(self) -> None:
        """The witness is a customer the rule matches, and the winner is named."""
        directive = Directive.int("d", default=0, combine="max")
        policy = policy_of(
            directive,
            Rule("outer", when=F.days_overdue > 30, then={"d": 10}),
            Rule("inner", when=F.days_overdue > 60, then={"d": 5}),
        )
        (finding,) = check_rules(policy).findings
        assert isinstance(finding, ShadowedRule)
        assert finding.overridden_by == ("outer",)
        assert finding.record == {"days_overdue": 61}

    def test_a_rule_scoped_out_of_every_overlap_is_not_shadowed(self) -> None:
        """A later rule in a department where the earlier one does not apply decides there."""
        directive = Directive.text("d", default="none")
        policy = policy_of(
            directive,
            Rule("first", when=F.days_overdue > 30, then={"d": "x"}, departments=["sales"]),
            Rule("second", when=F.days_overdue > 60, then={"d": "y"}, priority=1),
            departments=["sales", "support"],
        )
        assert check_rules(policy).clean("rules")


class TestUniformity:
    def test_uniform_directives_are_checked_by_default(self) -> None:
        """Only the directive declared uniform is searched unless others are asked for."""
        schema = Schema([Fact.bool("vip")])
        policy = Policy(
            "p",
            schema,
            [
                Directive.text("route_to", default="frontline", uniform=True),
                Directive.int("discount_pct", default=0),
            ],
            [Rule("vip", when=F.vip, then={"discount_pct": 5}, departments=["sales"])],
            departments=["sales", "support"],
        )
        assert check_uniformity(policy).findings == ()
        (finding,) = check_uniformity(policy, ["discount_pct"]).findings
        assert isinstance(finding, NonUniform)
        assert finding.severity is Severity.WARNING
        assert finding.values == (("sales", 5), ("support", 0))
        assert finding.record == {"vip": True}

    def test_undeclared_departments_compare_with_any_other(self) -> None:
        """Without declared departments, a rule for sales differs from every other department,
        which the finding shows as None."""
        directive = Directive.int("d", default=0)
        policy = policy_of(directive, late("r", 30, 5, "d", departments=["sales"]))
        (finding,) = check_uniformity(policy, ["d"]).findings
        assert isinstance(finding, NonUniform)
        assert finding.values == (("sales", 5), (None, 0))

    def test_unknown_directive(self) -> None:
        """An unknown directive name is the library's KeyError, with a plain message."""
        directive = Directive.int("discount", default=0)
        with pytest.raises(UnknownDirectiveError) as caught:
            check_uniformity(policy_of(directive), ["discont"])
        assert isinstance(caught.value, KeyError)
        assert str(caught.value) == "unknown directive `discont` (did you mean `discount`?)"


class TestMonotonicity:
    def test_bool_facts_true_is_better_when_higher(self) -> None:
        """For a bool fact with ``better="higher"``, the customer with true is the better one."""
        schema = Schema([Fact.bool("pays_by_direct_debit", better="higher")])
        may_ship = Directive.bool("may_ship", default=True, combine="all", monotone=True)
        rule = Rule("odd", when=F.pays_by_direct_debit, then={"may_ship": False})
        (finding,) = check_monotonicity(policy_of(may_ship, rule, schema=schema)).findings
        assert isinstance(finding, MonotonicityBreak)
        assert finding.record == {"pays_by_direct_debit": True}
        assert finding.worse_record == {"pays_by_direct_debit": False}
        assert (finding.better_value, finding.worse_value) == (False, True)

    def test_facts_without_direction_must_be_equal(self) -> None:
        """A discount for one region compares only customers of the same region: no break."""
        schema = Schema([Fact.enum("region", ["amer", "emea"]), *OVERDUE])
        discount = Directive.int("discount_pct", default=0, combine="max", monotone=True)
        rule = Rule("emea", when=F.region == "emea", then={"discount_pct": 5})
        assert check_monotonicity(policy_of(discount, rule, schema=schema)).clean("monotonicity")

    def test_missing_is_comparable_only_with_missing(self) -> None:
        """A rule for never-surveyed customers does not break monotonicity in the score."""
        schema = Schema([Fact.float("satisfaction", min=0, max=10, optional=True, better="higher")])
        level = Directive.enum("level", ["low", "high"], default="low", monotone=True)
        rule = Rule("new", when=F.satisfaction.is_missing(), then={"level": "high"})
        assert check_monotonicity(policy_of(level, rule, schema=schema)).clean("monotonicity")

    def test_favourable_lower(self) -> None:
        """For a directive where lower is better for the customer, more is worse."""
        hours = Directive.int(
            "callback_hours", default=48, combine="min", monotone=True, better="lower"
        )
        rule = late("slow", 30, 4, "callback_hours")
        (finding,) = check_monotonicity(policy_of(hours, rule)).findings
        assert isinstance(finding, MonotonicityBreak)
        assert (finding.better_value, finding.worse_value) == (48, 4)

    def test_text_directives_have_no_order(self) -> None:
        """Asking for the monotonicity of a text directive is an error."""
        route = Directive.text("route_to", default="frontline")
        with pytest.raises(ValueError, match="no order"):
            check_monotonicity(policy_of(route), ["route_to"])

    def test_collect_directives_are_reported_unsupported(self) -> None:
        """A monotone collect directive is not checked, and the report says so."""
        notes = Directive.int("notes", combine="collect", monotone=True)
        report = check_monotonicity(policy_of(notes, late("r", 3, [1], "notes")))
        assert report.coverage[0].status == "unsupported"
        assert not report.complete
        assert not report.clean("monotonicity")


class TestCells:
    """Every fact type is cut into cells that witnesses can be built from."""

    @pytest.mark.parametrize(
        ("fact", "condition", "expected"),
        [
            (Fact.float("score", min=0, max=10), F.score > 7.5, {"score": 10.0}),
            (Fact.float("score", min=0, max=10), F.score.between(2.5, 7.5), {"score": 2.5}),
            (Fact.float("score", min=0, max=10), (F.score > 2.5) & (F.score < 7.5), {"score": 5.0}),
            (Fact.float("score"), F.score > 7.5, {"score": 8.5}),
            (
                Fact.decimal("balance", min=0),
                F.balance > Decimal("99.99"),
                {"balance": Decimal("100.99")},
            ),
            (
                Fact.date("renewal", min=dt.date(2026, 1, 1)),
                F.renewal > dt.date(2026, 6, 30),
                {"renewal": dt.date(2026, 7, 1)},
            ),
            (Fact.int("n"), F.n > 5, {"n": 6}),
            (Fact.int("n", optional=True), F.n.is_missing(), {"n": None}),
            (Fact.enum("tier", ["a", "b", "c"], better="higher"), F.tier >= "b", {"tier": "b"}),
        ],
        ids=[
            "float",
            "float-point",
            "float-open",
            "float-unbounded",
            "decimal",
            "date",
            "int",
            "missing",
            "enum",
        ],
    )
    def test_witness_of_each_fact_type(
        self, fact: Fact, condition: Any, expected: dict[str, Any]
    ) -> None:
        """The gap left by a single rule is witnessed in the rule's own cell."""
        route = Directive.text("route_to")
        never_both = Rule("r", when=~condition, then={"route_to": "x"})
        (finding,) = check_gaps(policy_of(route, never_both, schema=Schema([fact]))).findings
        assert isinstance(finding, Gap)
        assert finding.record == expected


class TestBudget:
    def test_an_exhausted_budget_is_reported_not_claimed_clean(self) -> None:
        """With a budget of one box the search stops, and nothing is claimed."""
        route = Directive.text("route_to", default="frontline", combine="unique")
        policy = policy_of(
            route,
            late("late", 30, "collections", "route_to"),
            late("very", 60, "legal", "route_to"),
        )
        report = check_conflicts(policy, budget=1)
        assert report.findings == ()
        assert not report.complete
        assert not report.clean("conflicts")
        (coverage,) = report.incomplete
        assert (coverage.status, coverage.boxes) == ("budget", 1)
        assert coverage.covered < 1
        assert "not proved: conflicts `route_to`: budget after 1 boxes" in str(report)

    def test_analyze_rejects_unknown_checks(self) -> None:
        """A misspelt check is a ValueError with a suggestion."""
        with pytest.raises(ValueError, match="did you mean `conflicts`"):
            analyze(policy_of(Directive.int("d", default=0)), checks=["conflict"])

    def test_analyze_runs_every_check_and_sorts_findings(self) -> None:
        """Findings come sorted by severity, then kind; every check leaves coverage."""
        route = Directive.text("route_to", combine="unique")
        policy = policy_of(
            route,
            late("late", 30, "collections", "route_to"),
            late("very", 60, "legal", "route_to"),
        )
        report = analyze(policy, checks=CHECKS)
        # `very` only matches where the unique directive conflicts: it is shadowed too.
        assert [f.kind for f in report.findings] == ["conflict", "gap", "shadowed_rule", "gap"]
        assert [f.severity for f in report.findings] == [
            Severity.ERROR,
            Severity.ERROR,
            Severity.WARNING,
            Severity.INFO,
        ]
        assert set(report.checks) == set(CHECKS)
