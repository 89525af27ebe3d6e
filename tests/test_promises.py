"""Promises and overriding rules: stated once, proven over every customer, kept by the gates.

The story of issue 17: a culture of 8 departments and 25 rules gains a reward rule scoped to
sales that gives credit-hold customers ``rfp_priority: high``. The promise "a credit-hold
customer's RFPs get normal priority" must be refuted exactly, by `check_promises`, by
`crmculture check` (exit 1) and by `assert_always` under any hypothesis profile, every run;
an overriding credit-hold rule repairs it without touching the reward rules.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import hypothesis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmculture import (
    D,
    Directive,
    F,
    Fact,
    Policy,
    PolicyError,
    Promise,
    ReferenceEvaluator,
    Rule,
    Schema,
    dump,
    load,
)
from crmculture.analysis import (
    BrokenPromise,
    Undetermined,
    UnprovenPromise,
    analyze,
    check_promises,
)
from crmculture.analysis.fact_space import department_contexts
from crmculture.analysis.promises import keeps_promise
from crmculture.culture import Culture
from crmculture.org.graph import OrgGraph
from crmculture.testing import CheckFailed, assert_always, policies

DEPARTMENTS = [
    "accounts_receivable",
    "billing",
    "engineering",
    "marketing",
    "procurement",
    "sales",
    "shipping",
    "support",
]


def rfp_culture(*, overriding_hold: bool = False) -> Policy:
    """8 departments, 25 rules, and a reward rule scoped to sales that forgets credit hold."""
    schema = Schema(
        [
            Fact.bool("credit_hold", better="lower"),
            Fact.int("days_overdue", min=0, max=3650, better="lower"),
            Fact.int("annual_volume", min=0, better="higher"),
            Fact.enum("tier", ["bronze", "silver", "gold", "platinum"], better="higher"),
            Fact.int("open_rfps", min=0, max=50),
        ]
    )
    directives = [
        Directive.text("route_to", default="frontline", uniform=True),
        Directive.enum(
            "rfp_priority", ["normal", "high", "urgent"], default="normal", combine="max"
        ),
        Directive.int("discount_pct", min=0, max=30, default=0, combine="max"),
        Directive.bool("may_ship", default=True, combine="all", uniform=True),
    ]
    hold = Rule(
        "credit-hold",
        when=F.credit_hold | (F.days_overdue > 60),
        then={"route_to": "accounts_receivable", "may_ship": False}
        | ({"rfp_priority": "normal", "discount_pct": 0} if overriding_hold else {}),
        overrides=overriding_hold,
        rationale="Whoever the customer talks to sends them to accounts receivable.",
    )
    rules = [hold]
    for n in range(22):
        tier = ["bronze", "silver", "gold", "platinum"][n % 4]
        rules.append(
            Rule(
                f"volume-{n}",
                when=(F.annual_volume >= 10_000 * (n + 1)) & (F.tier >= tier) & ~F.credit_hold,
                then={"discount_pct": n % 10},
                departments=[DEPARTMENTS[n % len(DEPARTMENTS)]] if n % 3 == 0 else None,
            )
        )
    rules.append(
        Rule(
            "busy-buyer",
            when=(F.open_rfps >= 5) & ~F.credit_hold & (F.days_overdue <= 60),
            then={"rfp_priority": "high"},
        )
    )
    # The reward rule someone added later: scoped to sales, and it forgot the credit hold.
    rules.append(
        Rule(
            "sales-reward",
            when=F.open_rfps >= 10,
            then={"rfp_priority": "high"},
            departments=["sales"],
            rationale="Sales answers big buyers' RFPs first.",
        )
    )
    promise = Promise(
        "credit-hold-rfps-normal",
        when=F.credit_hold,
        then={"rfp_priority": "normal"},
        rationale="A customer on credit hold does not jump the RFP queue.",
    )
    assert len(rules) == 25
    return Policy("rfp", schema, directives, rules, departments=DEPARTMENTS, promises=[promise])


class TestTheIssueCase:
    def test_check_promises_refutes_it_with_customer_department_and_rule(self) -> None:
        """The finding names a credit-hold customer, `sales`, and the `sales-reward` rule."""
        report = check_promises(rfp_culture())
        (finding,) = report.findings
        assert isinstance(finding, BrokenPromise)
        assert finding.promise == "credit-hold-rfps-normal"
        assert finding.department == "sales"
        assert finding.rules == ("sales-reward",)
        assert finding.values == (("rfp_priority", "high"),)
        assert finding.record["credit_hold"] is True
        decision = ReferenceEvaluator(rfp_culture())(finding.record, "sales")
        assert decision["rfp_priority"] == "high"

    def test_analyze_reports_it_as_an_error(self) -> None:
        """`analyze` runs the promises check by default; a broken promise is an error."""
        report = analyze(rfp_culture())
        broken = report.of_kind("broken_promise")
        assert [f.severity.value for f in broken] == ["error"]
        assert not report.clean("promises")

    @pytest.mark.parametrize("profile", ["ci", "default"])
    def test_assert_always_fails_every_run_under_every_profile(self, profile: str) -> None:
        """20 runs out of 20, under the ci profile and hypothesis' default."""
        policy = rfp_culture()
        chosen = settings.get_profile(profile)
        for _ in range(20):
            with pytest.raises(CheckFailed) as raised:
                assert_always(
                    policy, when="credit_hold", then={"rfp_priority": "normal"}, settings=chosen
                )
            assert raised.value.found_by == "verifier"
            assert raised.value.department == "sales"
            assert raised.value.rules == ("sales-reward",)

    def test_an_overriding_credit_hold_rule_repairs_it(self) -> None:
        """The overriding rule caps `rfp_priority` and `discount_pct` in every department."""
        policy = rfp_culture(overriding_hold=True)
        assert check_promises(policy).clean("promises")
        assert_always(policy, when="credit_hold", then={"rfp_priority": "normal"})
        assert_always(policy, when="credit_hold", then=D.discount_pct == 0)

    def test_crmculture_check_exits_1_and_lists_the_promise_in_json(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`crmculture check --json` exits 1 and lists the broken promise with its customer."""
        from crmculture.cli import main

        path = tmp_path / "rfp.yaml"
        path.write_text(dump(Culture(rfp_culture(), OrgGraph([])), format="yaml"))
        code = main(["check", str(path), "--json"])
        document = json.loads(capsys.readouterr().out)
        assert code == 1
        (finding,) = [f for f in document["findings"] if f["kind"] == "broken_promise"]
        assert finding["severity"] == "error"
        assert finding["rules"] == ["sales-reward"]
        assert finding["departments"] == ["sales"]
        assert finding["customer"]["credit_hold"] is True
        repaired = tmp_path / "repaired.yaml"
        repaired.write_text(
            dump(Culture(rfp_culture(overriding_hold=True), OrgGraph([])), format="yaml")
        )
        main(["check", str(repaired), "--json"])
        document = json.loads(capsys.readouterr().out)
        assert not [f for f in document["findings"] if f["kind"] == "broken_promise"]


class TestPromiseModel:
    def test_promises_are_sorted_by_id_and_round_trip_through_documents(self) -> None:
        """load(dump(culture)) == culture, with promises of both kinds and an overriding rule."""
        policy = rfp_culture(overriding_hold=True).with_promises(
            Promise("cap", when=True, then=D.discount_pct <= 15, departments=["sales"])
        )
        assert [p.id for p in policy.promises] == ["cap", "credit-hold-rfps-normal"]
        culture = Culture(policy, OrgGraph([]))
        for format in ("yaml", "json", "toml"):
            assert load(dump(culture, format=format), format) == culture

    def test_canonical_form_shows_overrides_and_promises_only_when_there_are_any(self) -> None:
        """A policy without them keeps its canonical form; with them, the fingerprint changes."""
        plain = Policy(
            "p",
            Schema([Fact.bool("a")]),
            [Directive.int("n", default=0, combine="max")],
            [Rule("r", when=F.a, then={"n": 1})],
        )
        document = plain.canonical()
        assert "promises" not in document
        assert "overrides" not in document["rules"][0]
        overriding = plain.with_rules(Rule("o", when=F.a, then={"n": 0}, overrides=True))
        assert overriding.canonical()["rules"][0]["overrides"] is True
        promised = plain.with_promises(Promise("x", when=True, then={"n": 1}))
        assert promised.canonical()["promises"][0]["then"] == {"n": 1}
        assert len({plain.fingerprint, overriding.fingerprint, promised.fingerprint}) == 3

    @pytest.mark.parametrize(
        ("promise", "path", "message"),
        [
            (
                Promise("p", when=F.credit_hol, then={"may_ship": False}),
                "promises.p.when",
                "unknown fact `credit_hol` (did you mean `credit_hold`?)",
            ),
            (
                Promise("p", when=F.credit_hold, then={"may_shp": False}),
                "promises.p.then.may_shp",
                "unknown directive `may_shp` (did you mean `may_ship`?)",
            ),
            (
                Promise("p", when=F.credit_hold, then={"rfp_priority": "highest"}),
                "promises.p.then.rfp_priority",
                "`highest` is not one of the allowed values",
            ),
            (
                Promise("p", when=True, then=D.discount_pc <= 15),
                "promises.p.then",
                "unknown directive `discount_pc` (did you mean `discount_pct`?)",
            ),
            (
                Promise("p", when=True, then=F.discount_pct <= 15),
                "promises.p.then",
                "did you mean `decision.discount_pct`?",
            ),
            (
                Promise("p", when=True, then=D.rfp_priority >= "highest"),
                "promises.p.then",
                "highest",
            ),
            (
                Promise("p", when=True, then={"may_ship": False}, departments=["sails"]),
                "promises.p.departments",
                "unknown department `sails` (did you mean `sales`?)",
            ),
        ],
        ids=[
            "unknown-fact",
            "unknown-directive",
            "value-outside-domain",
            "unknown-decision-directive",
            "then-reads-a-fact",
            "decision-value-outside-domain",
            "unknown-department",
        ],
    )
    def test_bad_promises_are_policy_errors_with_path_and_did_you_mean(
        self, promise: Promise, path: str, message: str
    ) -> None:
        """Each problem names the promise's path; names get a did-you-mean."""
        with pytest.raises(PolicyError) as raised:
            rfp_culture().with_promises(promise)
        (problem,) = raised.value.problems
        assert problem.path_text == path
        assert message in problem.message

    @pytest.mark.parametrize(
        ("build", "field"),
        [
            (lambda: Promise("p", when="credit_hold", then={"may_ship": False}), "when"),
            (lambda: Promise("p", when=True, then=["may_ship"]), "then"),
            (lambda: Promise("p", when=True, then={}), "then"),
            (lambda: Promise("p q", when=True, then={"may_ship": False}), "id"),
            (lambda: Rule("r", when=True, then={"n": 1}, overrides="yes"), "overrides"),
        ],
        ids=["when-text", "then-list", "then-empty", "bad-id", "overrides-not-bool"],
    )
    def test_values_of_the_wrong_type_are_policy_errors(self, build: Any, field: str) -> None:
        """Nothing but a PolicyError, naming the field."""
        with pytest.raises(PolicyError) as raised:
            build()
        assert raised.value.problems[0].path[-1] == field


class TestOverridingRules:
    """The overriding semantics, in both evaluators (the law tests cover generated policies)."""

    @staticmethod
    def policy(combine: str, *, values: tuple[Any, Any, Any]) -> Policy:
        kind = {"first": "int", "max": "int", "min": "int", "sum": "int", "unique": "int"}
        schema = Schema([Fact.bool("a"), Fact.bool("b"), Fact.bool("c")])
        if combine in ("all", "any"):
            directive = Directive.bool("d", default=True, combine=combine)
        elif combine == "collect":
            directive = Directive.text("d", values=["x", "y", "z"], combine="collect")
        else:
            assert kind[combine] == "int"
            directive = Directive.int("d", default=0, combine=combine)
        rules = [
            Rule("reward", when=F.a, then={"d": values[0]}),
            Rule("hold", when=F.b, then={"d": values[1]}, overrides=True),
            Rule("hold-2", when=F.c, then={"d": values[2]}, overrides=True, priority=1),
        ]
        return Policy("p", schema, [directive], rules)

    @pytest.mark.parametrize(
        ("combine", "values", "expected"),
        [
            # (reward only, hold only, hold-2 only, all three)
            ("first", (5, 1, 2), (5, 1, 2, 1)),
            ("max", (5, 1, 2), (5, 1, 2, 2)),
            ("min", (0, 3, 2), (0, 3, 2, 2)),
            ("sum", (5, 1, 2), (5, 1, 2, 3)),
            ("all", (True, False, True), (True, False, True, False)),
            ("any", (True, False, False), (True, False, False, False)),
            ("collect", (("x",), ("y",), ("z",)), (("x",), ("y",), ("z",), ("y", "z"))),
            ("unique", (5, 1, 1), (5, 1, 1, 1)),
        ],
    )
    def test_overriding_values_win_whatever_the_strategy(
        self, combine: str, values: tuple[Any, Any, Any], expected: tuple[Any, ...]
    ) -> None:
        """An overriding value wins over the others; among overriding rules the strategy
        applies; the compiled and the reference evaluator agree, trace included."""
        policy = self.policy(combine, values=values)
        cases = [
            {"a": True, "b": False, "c": False},
            {"a": False, "b": True, "c": False},
            {"a": False, "b": False, "c": True},
            {"a": True, "b": True, "c": True},
        ]
        for customer, wanted in zip(cases, expected, strict=True):
            compiled = policy.compile()(customer)
            reference = ReferenceEvaluator(policy)(customer)
            assert compiled["d"] == reference["d"] == wanted
            assert compiled.to_json() == reference.to_json()

    @pytest.mark.parametrize("combine", ["sum", "collect", "unique"])
    def test_only_overriding_rules_compile_and_agree(self, combine: str) -> None:
        """A directive set only by overriding rules (no second phase) decides as usual."""
        schema = Schema([Fact.bool("a")])
        if combine == "collect":
            directive = Directive.text("d", values=["x", "y"], combine="collect")
            value: Any = ("x",)
        else:
            directive = Directive.int("d", default=0, combine=combine)
            value = 3
        policy = Policy(
            "p", schema, [directive], [Rule("o", when=F.a, then={"d": value}, overrides=True)]
        )
        for customer in ({"a": True}, {"a": False}):
            assert (
                policy.compile()(customer).to_json()
                == ReferenceEvaluator(policy)(customer).to_json()
            )

    def test_unique_conflicts_only_among_overriding_rules(self) -> None:
        """Two overriding rules that disagree conflict in both evaluators; a disagreeing rule
        that does not override is simply overridden."""
        from crmculture import ConflictError

        policy = self.policy("unique", values=(5, 1, 2))
        customer = {"a": True, "b": True, "c": False}
        assert policy.compile()(customer)["d"] == ReferenceEvaluator(policy)(customer)["d"] == 1
        both = {"a": False, "b": True, "c": True}
        for evaluator in (policy.compile(), ReferenceEvaluator(policy)):
            with pytest.raises(ConflictError) as raised:
                evaluator(both)
            assert "hold" in str(raised.value)
            assert "reward" not in str(raised.value)

    def test_the_explanation_says_who_was_overridden_by_which_rule(self) -> None:
        """`explain()` and the outcome's `overridden` name the overriding rule."""
        policy = self.policy("max", values=(5, 1, 2))
        decision = policy.compile()({"a": True, "b": True, "c": False})
        (lost,) = decision.outcomes["d"].overridden
        assert (lost.rule, lost.value, lost.reason) == ("reward", 5, "rule `hold` overrides it")
        assert "overrides `reward` (5): rule `hold` overrides it" in decision.explain()

    def test_a_conflict_among_overriding_rules_is_a_conflict(self) -> None:
        """For `unique`, only the overriding rules' values can conflict where one matches."""
        policy = self.policy("unique", values=(5, 1, 2))
        report = analyze(policy, checks=["conflicts"])
        (conflict,) = report.findings
        assert conflict.rules == ("hold", "hold-2")

    def test_shadowing_and_coverage_know_the_overriding_rule(self) -> None:
        """A rule that only matches where an overriding rule wins is shadowed."""
        schema = Schema([Fact.bool("a")])
        level = Directive.int("d", default=0, combine="max")
        policy = Policy(
            "p",
            schema,
            [level],
            [
                Rule("reward", when=F.a, then={"d": 9}),
                Rule("cap", when=F.a, then={"d": 1}, overrides=True),
            ],
        )
        (finding,) = analyze(policy, checks=["rules"]).findings
        assert (finding.kind, finding.rules) == ("shadowed_rule", ("reward", "cap"))
        from crmculture.testing import coverage

        report = coverage(policy, [{"a": True}, {"a": False}])
        assert report.never_determined == ("reward",)

    def test_a_department_layer_may_not_hold_an_overriding_rule_on_a_uniform_directive(
        self,
    ) -> None:
        """A PolicyError at the rule's directive; a non-uniform directive is fine."""
        from crmculture import Layer

        policy = rfp_culture()
        bad = Layer(
            "sales",
            ["sales"],
            [Rule("vip", when=True, then={"route_to": "vip"}, overrides=True)],
        )
        with pytest.raises(PolicyError) as raised:
            policy.with_layer(bad)
        (problem,) = raised.value.problems
        assert problem.path_text == "layers.sales.rules.vip.then.route_to"
        assert "may not hold an overriding rule that sets the uniform directive" in (
            problem.message
        )
        good = Layer(
            "sales",
            ["sales"],
            [Rule("rfp-cap", when=F.credit_hold, then={"rfp_priority": "normal"}, overrides=True)],
        )
        fixed = policy.with_layer(good)
        assert check_promises(fixed).findings == ()

    def test_diff_sees_a_rule_become_overriding(self) -> None:
        """Marking a rule overriding changes the treatment of the customers it caps."""
        from crmculture.analysis import diff

        schema = Schema([Fact.bool("a"), Fact.bool("b")])
        level = Directive.int("d", default=0, combine="max")
        reward = Rule("reward", when=F.a, then={"d": 9})
        old = Policy("p", schema, [level], [reward, Rule("cap", when=F.b, then={"d": 1})])
        new = Policy(
            "p", schema, [level], [reward, Rule("cap", when=F.b, then={"d": 1}, overrides=True)]
        )
        (region,) = diff(old, new).regions
        assert region.record == {"a": True, "b": True}


# -- the exact check against brute force -------------------------------------------------------


def every_customer(policy: Policy) -> Iterator[dict[str, Any]]:
    """Every customer of a small policy (bools, enums, small int ranges)."""
    domains = []
    for fact in policy.schema:
        if fact.type == "bool":
            values: list[Any] = [False, True]
        elif fact.type == "enum":
            values = list(fact.values or ())
        else:
            assert fact.type == "int"
            assert fact.min is not None
            assert fact.max is not None
            values = list(range(fact.min, fact.max + 1))
        if fact.optional and not fact.has_default:
            values.append(None)
        domains.append(values)
    for combination in itertools.product(*domains):
        yield dict(zip(policy.schema.names, combination, strict=True))


def small_schemas() -> st.SearchStrategy[Schema]:
    fact = st.sampled_from(
        [
            Fact.bool("hold"),
            Fact.bool("vip", optional=True),
            Fact.int("late", min=0, max=4),
            Fact.enum("tier", ["bronze", "silver", "gold"], better="higher"),
            Fact.enum("region", ["amer", "emea"], optional=True),
        ]
    )
    return st.lists(fact, min_size=1, max_size=3, unique_by=lambda f: f.name).map(Schema)


@st.composite
def promised_policies(draw: st.DrawFn) -> Policy:
    """A small generated policy with a few promises of both kinds."""
    from crmculture.testing import conditions, directive_values

    policy = draw(policies(schema=small_schemas(), max_rules=4))
    # Half the rules override (more than `policies` draws).
    rules = [attrs.evolve(rule, overrides=draw(st.booleans())) for rule in policy.rules]
    policy = attrs.evolve(policy, rules=rules)
    promises = []
    for n in range(draw(st.integers(1, 3))):
        directive = draw(st.sampled_from(policy.directives))
        when = draw(conditions(policy.schema, max_leaves=2))
        value = draw(directive_values(directive))
        scope = draw(
            st.one_of(
                st.none(),
                st.lists(st.sampled_from(policy.departments or ["sales", "support"]), min_size=1),
            )
        )
        ordered = directive.type in ("enum", "int", "decimal") and not directive.collects
        if ordered and draw(st.booleans()):
            op = draw(st.sampled_from(["<=", ">=", "!=", "=="]))
            from crmculture.model.conditions import Compare

            then: Any = Compare(f"decision.{directive.name}", op, value)
        else:
            then = {directive.name: value}
        promises.append(Promise(f"p{n}", when=when, then=then, departments=scope))
    return policy.with_promises(*promises)


@settings(max_examples=100)
@given(promised_policies())
def test_check_promises_agrees_with_brute_force(policy: Policy) -> None:
    """A promise is proven exactly when no customer and department breaks it, and a broken
    promise's witness breaks it."""
    report = check_promises(policy)
    assert report.complete
    broken = {f.promise: f for f in report.findings if isinstance(f, BrokenPromise)}
    assert not [f for f in report.findings if isinstance(f, UnprovenPromise)]
    departments: list[str | None] = [*department_contexts(policy)]
    if policy.departments is None:
        departments.append("elsewhere")  # a department no rule names
    for promise in policy.promises:
        kept = all(
            keeps_promise(policy, promise, customer, department)
            for customer in every_customer(policy)
            for department in [*departments, *(promise.departments or ())]
        )
        assert kept == (promise.id not in broken), promise
        if promise.id in broken:
            finding = broken[promise.id]
            assert not keeps_promise(policy, promise, finding.record, finding.department)


class TestCheckPromises:
    def test_a_conflict_on_a_promised_directive_breaks_the_promise(self) -> None:
        """No decision is not what was promised: the finding shows `<conflict>`."""
        schema = Schema([Fact.bool("a")])
        owner = Directive.text("owner", default="pool", combine="unique")
        policy = Policy(
            "p",
            schema,
            [owner],
            [Rule("x", when=F.a, then={"owner": "x"}), Rule("y", when=F.a, then={"owner": "y"})],
            promises=[Promise("pool", when=True, then=D.owner != "z")],
        )
        (finding,) = check_promises(policy).findings
        assert isinstance(finding, BrokenPromise)
        assert finding.values == (("owner", Undetermined.CONFLICT),)
        assert finding.rules == ("x", "y")
        assert "<conflict>" in str(finding)

    def test_a_department_the_rules_do_not_name_is_checked_and_reported_by_name(self) -> None:
        """For a policy that declares no departments, a promise about `billing` (named by no
        rule) is checked as billing decides, and the finding says `billing`."""
        schema = Schema([Fact.bool("a")])
        level = Directive.int("d", default=0, combine="max")
        policy = Policy(
            "p",
            schema,
            [level],
            [
                Rule("sales-only", when=F.a, then={"d": 9}, departments=["sales"]),
                Rule("all", when=F.a, then={"d": 5}),
            ],
            promises=[
                Promise("cap", when=True, then=D.d <= 5, departments=["billing"]),
                Promise("cap-sales", when=True, then=D.d <= 5, departments=["sales"]),
            ],
        )
        report = check_promises(policy)
        (finding,) = report.findings
        assert (finding.promise, finding.department) == ("cap-sales", "sales")
        assert report.clean("promises", "cap")

    def test_promises_are_chosen_by_id_or_given(self) -> None:
        """Ids select the policy's promises; a given promise is checked against the policy."""
        policy = rfp_culture()
        assert check_promises(policy, ["credit-hold-rfps-normal"]).findings
        with pytest.raises(KeyError, match="did you mean"):
            check_promises(policy, ["credit-hold-rfps"])
        extra = Promise("cap", when=True, then=D.discount_pct <= 9)
        assert check_promises(policy, [extra]).clean("promises", "cap")
        with pytest.raises(PolicyError):
            check_promises(policy, [Promise("bad", when=True, then=D.discount <= 9)])


def test_the_budget_running_out_is_said_never_a_silent_pass() -> None:
    """With a budget too small to finish, the promise is unproven, and the report incomplete."""
    policy = rfp_culture(overriding_hold=True)
    report = check_promises(policy, budget=2)
    (finding,) = report.findings
    assert isinstance(finding, UnprovenPromise)
    assert not report.complete
    assert "not proved" in str(finding)


def test_assert_always_falls_back_to_hypothesis_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When the verifier cannot decide, hypothesis searches, and the failure says why."""
    from crmculture.analysis import verifier

    monkeypatch.setattr(verifier, "DEFAULT_BUDGET", 1)
    monkeypatch.setattr(verifier.check_promises, "__kwdefaults__", {"budget": 1})
    with pytest.raises(CheckFailed) as raised:
        assert_always(
            rfp_culture(),
            when="credit_hold",
            then={"rfp_priority": "normal"},
            settings=hypothesis.settings(max_examples=300, derandomize=True, database=None),
        )
    assert raised.value.found_by == "hypothesis"
    assert "not proved exactly: the verifier ran out of budget" in str(raised.value)
