"""Laws of the analysis on generated policies: it is sound (every finding reproduces with the
evaluators) and complete (where it proves a property, no customer hypothesis finds breaks it),
and `diff` reports exactly the customers two policies treat differently."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
from hypothesis import given
from hypothesis import strategies as st

from crmculture import (
    ConflictError,
    CrmCultureError,
    Directive,
    Layer,
    Policy,
    ReferenceEvaluator,
    UndecidedError,
)
from crmculture.analysis import (
    CHECKS,
    AnalysisReport,
    Conflict,
    DeadRule,
    Gap,
    MonotonicityBreak,
    NonUniform,
    ShadowedRule,
    Undetermined,
    analyze,
    diff,
)
from crmculture.evaluate.combine import combine
from crmculture.evaluate.truth import rule_matches
from crmculture.testing import comparable_customers, customers, policies, rules

CONFLICT = Undetermined.CONFLICT
UNDECIDED = Undetermined.UNDECIDED
# What `crmculture.testing.departments_for` draws from when a policy declares no departments.
GENERATED_DEPARTMENTS = ("billing", "sales", "support")


# -- an oracle built from the reference interpreter's parts, independent of the analysis ------


def facts_of(policy: Policy, customer: dict[str, Any]) -> dict[str, Any]:
    return policy.schema.validate(customer)


def evaluate(
    policy: Policy, customer: dict[str, Any], department: str | None
) -> tuple[dict[str, Any], dict[str, tuple[str, ...]], tuple[str, ...]]:
    """Per directive: its outcome (a value, CONFLICT or UNDECIDED) and who determined it; and
    the matching rules. One directive's error does not hide another's outcome."""
    facts = facts_of(policy, customer)
    flags = rule_matches(policy, facts, department)
    matched = [rule for rule, hit in zip(policy.effective_rules, flags, strict=True) if hit]
    outcomes: dict[str, Any] = {}
    determined: dict[str, tuple[str, ...]] = {}
    for directive in policy.directives:
        pairs = [(r, v) for r in matched for name, v in r.then if name == directive.name]
        try:
            outcome = combine(directive, pairs)
        except ConflictError:
            outcomes[directive.name], determined[directive.name] = CONFLICT, ()
        except UndecidedError:
            outcomes[directive.name], determined[directive.name] = UNDECIDED, ()
        else:
            outcomes[directive.name] = outcome.value
            determined[directive.name] = outcome.determined_by
    return outcomes, determined, tuple(rule.id for rule in matched)


def contexts(policy: Policy) -> tuple[str | None, ...]:
    """Every department a decision can be asked for, as drawn by the testing strategies."""
    return (*(policy.departments or GENERATED_DEPARTMENTS), None)


def compared(policy: Policy) -> tuple[str | None, ...]:
    """The departments uniformity compares (declared ones; else any department, and None)."""
    if policy.departments is not None:
        return policy.departments
    return (*GENERATED_DEPARTMENTS, None)


def orderable(policy: Policy) -> list[str]:
    return [d.name for d in policy.directives if d.type != "text" and not d.collects]


def favourable_key(directive: Directive, value: Any) -> Any:
    key = directive.order_key(value)
    return -key if directive.favourable == "lower" else key


def at_least_as_good(policy: Policy, better: dict[str, Any], worse: dict[str, Any]) -> bool:
    for fact in policy.schema:
        a, b = better[fact.name], worse[fact.name]
        if fact.better is None or a is None or b is None:
            if a != b:
                return False
        elif fact.type == "enum":
            if (fact.rank(a) - fact.rank(b)) * (1 if fact.better == "higher" else -1) < 0:
                return False
        elif (a < b) if fact.better == "higher" else (a > b):
            return False
    return True


def full_analysis(policy: Policy) -> AnalysisReport:
    names = [d.name for d in policy.directives]
    return analyze(policy, checks=CHECKS, uniform=names, monotone=orderable(policy))


@st.composite
def analysed(draw: st.DrawFn) -> tuple[Policy, AnalysisReport, list[dict[str, Any]]]:
    policy = draw(policies())
    crowd = draw(st.lists(customers(policy), min_size=1, max_size=12))
    return policy, full_analysis(policy), crowd


# -- soundness ------------------------------------------------------------------------------


def check_reproduces(policy: Policy, finding: Any) -> None:
    """Assert that the reference interpreter reproduces one finding's witness."""
    if isinstance(finding, Conflict):
        for department in finding.departments:
            outcomes, _, _ = evaluate(policy, finding.record, department)
            assert outcomes[finding.directive] == CONFLICT
    elif isinstance(finding, Gap):
        outcomes, _, matched = evaluate(policy, finding.record, finding.department)
        if finding.directive is None:
            assert matched == ()
        else:
            assert outcomes[finding.directive] == UNDECIDED
    elif isinstance(finding, ShadowedRule):
        _, determined, matched = evaluate(policy, finding.record, finding.department)
        assert finding.rule in matched
        assert all(finding.rule not in determined[name] for name in finding.directives)
    elif isinstance(finding, NonUniform):
        values = {
            department: evaluate(policy, finding.record, department)[0][finding.directive]
            for department, _ in finding.values
        }
        first, second = finding.departments
        assert values[first] != values[second]
        assert values == dict(finding.values)
    elif isinstance(finding, MonotonicityBreak):
        directive = policy.directive(finding.directive)
        better = evaluate(policy, finding.record, finding.department)[0]
        worse = evaluate(policy, finding.worse_record, finding.department)[0]
        assert at_least_as_good(
            policy,
            facts_of(policy, finding.record),
            facts_of(policy, finding.worse_record),
        )
        assert (better[directive.name], worse[directive.name]) == (
            finding.better_value,
            finding.worse_value,
        )
        assert favourable_key(directive, finding.better_value) < favourable_key(
            directive, finding.worse_value
        )
    else:
        assert isinstance(finding, DeadRule)
        assert finding.customer == ()


@given(analysed())
def test_every_finding_reproduces_with_the_reference_interpreter(
    case: tuple[Policy, AnalysisReport, list[dict[str, Any]]],
) -> None:
    """Each conflict, gap, shadowed rule, non-uniform directive and monotonicity break has a
    witness that the reference interpreter, evaluated independently, reproduces."""
    policy, report, _ = case
    for finding in report.findings:
        check_reproduces(policy, finding)


@given(analysed())
def test_witness_decisions_agree_between_evaluators(
    case: tuple[Policy, AnalysisReport, list[dict[str, Any]]],
) -> None:
    """The compiled evaluator decides every witness exactly as the reference interpreter does."""
    policy, report, _ = case
    compiled, reference = policy.compile(), ReferenceEvaluator(policy)
    for finding in report.findings:
        if isinstance(finding, DeadRule):
            continue
        pair = (
            (finding.record, finding.worse_record)
            if isinstance(finding, MonotonicityBreak)
            else (finding.record,)
        )
        for customer in pair:
            for department in contexts(policy):
                try:
                    expected: Any = reference(customer, department).to_json()
                except CrmCultureError as error:
                    expected = type(error).__name__
                try:
                    actual: Any = compiled(customer, department).to_json()
                except CrmCultureError as error:
                    actual = type(error).__name__
                assert expected == actual


# -- completeness ---------------------------------------------------------------------------


@given(analysed())
def test_proved_free_of_conflicts_and_gaps_means_no_customer_finds_one(
    case: tuple[Policy, AnalysisReport, list[dict[str, Any]]],
) -> None:
    """Where the report proves a directive conflict-free or gap-free, no generated customer,
    in any department, makes its evaluation raise."""
    policy, report, crowd = case
    assert report.complete
    for directive in policy.directives:
        no_conflict = report.clean("conflicts", directive.name)
        no_gap = report.clean("gaps", directive.name)
        for customer in crowd:
            for department in contexts(policy):
                outcome = evaluate(policy, customer, department)[0][directive.name]
                assert not (no_conflict and outcome == CONFLICT), (directive.name, customer)
                assert not (no_gap and outcome == UNDECIDED), (directive.name, customer)


@given(analysed())
def test_dead_rules_never_match_and_shadowed_rules_never_decide(
    case: tuple[Policy, AnalysisReport, list[dict[str, Any]]],
) -> None:
    """A dead rule matches no generated customer; a shadowed one determines nothing for them;
    and a rule every customer leaves unmatched is only ever reported when proved."""
    policy, report, crowd = case
    dead = {f.rule for f in report.findings if isinstance(f, DeadRule)}
    shadowed = {f.rule for f in report.findings if isinstance(f, ShadowedRule)}
    for customer in crowd:
        for department in contexts(policy):
            _, determined, matched = evaluate(policy, customer, department)
            assert dead.isdisjoint(matched)
            for rule_id in shadowed & set(matched):
                names = [name for name, _ in policy.rule(rule_id).then]
                assert all(rule_id not in determined[name] for name in names)
    unmatched_proved = report.clean("unmatched")
    if unmatched_proved:
        for customer in crowd:
            for department in contexts(policy):
                assert evaluate(policy, customer, department)[2] != ()


@given(analysed())
def test_proved_uniform_means_every_department_agrees(
    case: tuple[Policy, AnalysisReport, list[dict[str, Any]]],
) -> None:
    """Where the report proves a directive uniform, every compared department gives every
    generated customer the same outcome."""
    policy, report, crowd = case
    for directive in policy.directives:
        if not report.clean("uniformity", directive.name):
            continue
        for customer in crowd:
            outcomes = [
                evaluate(policy, customer, department)[0][directive.name]
                for department in compared(policy)
            ]
            assert all(outcome == outcomes[0] for outcome in outcomes), (directive.name, customer)


@st.composite
def comparable_pairs(
    draw: st.DrawFn,
) -> tuple[Policy, AnalysisReport, list[tuple[dict[str, Any], dict[str, Any]]]]:
    """A policy, its analysis, and pairs (better, worse) of customers: the better one takes,
    fact by fact, the better of two drawn values (where the fact has a direction)."""
    policy = draw(policies())
    pairs = draw(st.lists(comparable_customers(policy), min_size=1, max_size=10))
    return policy, full_analysis(policy), pairs


@given(comparable_pairs())
def test_proved_monotone_means_no_better_customer_gets_less(
    case: tuple[Policy, AnalysisReport, list[tuple[dict[str, Any], dict[str, Any]]]],
) -> None:
    """Where the report proves a directive monotone, no generated better customer gets a less
    favourable value than the worse one, in any department."""
    policy, report, pairs = case
    for name in orderable(policy):
        if not report.clean("monotonicity", name):
            continue
        directive = policy.directive(name)
        for better, worse in pairs:
            assert at_least_as_good(policy, better, worse)
            for department in contexts(policy):
                a = evaluate(policy, better, department)[0][name]
                b = evaluate(policy, worse, department)[0][name]
                if CONFLICT in (a, b) or UNDECIDED in (a, b):
                    continue
                assert favourable_key(directive, a) >= favourable_key(directive, b), (
                    name,
                    better,
                    worse,
                    department,
                )


# -- diff -----------------------------------------------------------------------------------


@st.composite
def policy_pairs(draw: st.DrawFn) -> tuple[Policy, Policy, list[dict[str, Any]]]:
    """An old policy and a new one over the same schema and directives: some rules kept, some
    dropped, some new, maybe a changed layer."""
    old = draw(policies())
    kept = [rule for rule in old.rules if draw(st.booleans())]
    fresh = draw(rules(old.schema, old.directives, max_size=4, departments=old.departments or None))
    renamed = [attrs.evolve(rule, id=f"n{rule.id}") for rule in fresh]
    layers: Sequence[Layer] = old.layers
    drop_layer_rule: bool = draw(st.booleans())
    if layers and drop_layer_rule:
        layers = [attrs.evolve(layer, rules=layer.rules[:-1]) for layer in layers]
    new = Policy(
        old.name,
        old.schema,
        old.directives,
        [*kept, *renamed],
        layers=layers,
        departments=old.departments,
        version="2",
    )
    crowd = draw(st.lists(customers(old), min_size=1, max_size=12))
    return old, new, crowd


def treatment(policy: Policy, customer: dict[str, Any], department: str | None) -> dict[str, Any]:
    return evaluate(policy, customer, department)[0]


@given(policy_pairs())
def test_diff_reports_exactly_the_customers_treated_differently(
    case: tuple[Policy, Policy, list[dict[str, Any]]],
) -> None:
    """A generated customer treated differently lies in a reported region with the same
    changes; one treated the same lies in none; every region's example is treated differently."""
    old, new, crowd = case
    changes = diff(old, new)
    assert changes.complete
    for region in changes.regions:
        before = treatment(old, region.record, region.department)
        after = treatment(new, region.record, region.department)
        assert region.department in region.departments
        assert changes.region_of(region.record, region.department) == region
        assert {c.directive for c in region.changes} == {
            name for name in before if before[name] != after[name]
        }
    for customer in crowd:
        for department in contexts(old):
            before, after = (
                treatment(old, customer, department),
                treatment(new, customer, department),
            )
            changed = {name for name in before if before[name] != after[name]}
            found = changes.region_of(customer, department)
            if not changed:
                assert found is None, (customer, department)
            else:
                assert found is not None, (customer, department, changed)
                assert {(c.directive, repr(c.old), repr(c.new)) for c in found.changes} == {
                    (name, repr(before[name]), repr(after[name])) for name in changed
                }


@given(policies())
def test_a_policy_does_not_differ_from_itself(policy: Policy) -> None:
    """The diff of a policy with itself is empty, and proved so."""
    assert diff(policy, policy).is_empty
