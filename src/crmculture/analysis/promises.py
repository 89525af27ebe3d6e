"""The promises check: each of the policy's promises proven over the whole fact space.

For a promise, the search looks for a box of customers, in the departments of its scope, for
whom `when` certainly holds and `then` certainly fails: it splits on the promise's own
condition first, then on the rules that decide the directives the promise names, until the
outcome of those directives is decided (`crmculture.analysis.outcomes.possible`). A box where
`then` certainly holds (or `when` certainly fails) is pruned. A search that ends without a box
proves the promise; the first box found refutes it, with a customer re-evaluated by the
reference interpreter (`crmculture.analysis.BrokenPromise`); a search that runs out of budget
says so (`crmculture.analysis.UnprovenPromise`), never a silent pass.

A customer whose decision cannot be made (rules conflict on, or leave undecided, a directive
the promise names) does not get what was promised: that breaks the promise too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, assert_never

import attrs

from crmculture.analysis.check_setup import _branch, _coverage, _Setup
from crmculture.analysis.fact_space import FALSE, TRUE, UNKNOWN, Box, CompiledRule
from crmculture.analysis.findings import (
    BrokenPromise,
    Finding,
    UnprovenPromise,
    as_witness,
    confirm,
    outcomes_for,
)
from crmculture.analysis.outcomes import Possible, Undetermined, possible
from crmculture.analysis.report import AnalysisReport, Coverage
from crmculture.analysis.search import FOUND, PRUNE, Search, Verdict
from crmculture.evaluate.truth import holds
from crmculture.model.conditions import DECISION, And, Atom, Condition, Const, Not, Or
from crmculture.model.policies import Policy
from crmculture.model.promises import Promise
from crmculture.model.rules import Rule

__all__ = ["keeps_promise", "promise_holds"]


def promise_holds(
    policy: Policy, promise: Promise, outcomes: Mapping[str, Any], facts: Mapping[str, Any]
) -> bool:
    """Whether a decision keeps `promise`, for a customer in its scope.

    Args:
        policy: The policy (for its schema and directives).
        promise: The promise.
        outcomes: Directive name to its value, or an `Undetermined` member when the evaluator
            raises (as `crmculture.analysis.findings.outcomes_for` gives them).
        facts: The customer's normalized facts.

    Returns:
        True when `when` does not hold, or when `then` holds of the outcomes.
    """
    if not holds(promise.when, facts, policy.schema):
        return True
    if any(isinstance(outcomes[name], Undetermined) for name in promise.directives):
        return False
    if isinstance(promise.then, tuple):
        return all(_equal(outcomes[name], value) for name, value in promise.then)
    decision = {DECISION + name: outcomes[name] for name in promise.directives}
    return holds(promise.then, decision, policy.schema, policy.directive_index)


def keeps_promise(
    policy: Policy, promise: Promise, customer: Mapping[str, Any], department: str | None = None
) -> bool:
    """Whether the policy keeps `promise` for one customer asking one department, by the
    reference interpreter: out of scope, `when` false, or `then` true of the decision.

    Raises:
        InvalidCustomer: for a record the schema rejects.

    Examples:
        >>> from crmculture import D, F, Promise
        >>> from crmculture.stories import acme_policy
        >>> cap = Promise("discount-cap", when=True, then=D.discount_pct <= 5)
        >>> customer = {"credit_hold": False, "days_overdue": 0, "annual_volume": 1,
        ...             "tier": "platinum"}
        >>> keeps_promise(acme_policy(), cap, customer, "sales")
        False
    """
    if not promise.applies_to(department):
        return True
    facts = dict(zip(policy.schema.names, policy.schema.normalize(customer), strict=True))
    evaluated = outcomes_for(policy, facts, department)
    return promise_holds(policy, promise, evaluated.outcomes, facts)


def _equal(value: Any, promised: Any) -> bool:
    return type(value) is type(promised) and bool(value == promised)


def _values_truth(found: Possible, test: Any) -> int:
    """The truth of ``test(value)`` over the possible values of a directive (three-valued).

    `Undetermined` outcomes are left out: they break the promise on their own account."""
    if found.open:
        return UNKNOWN
    answers = {bool(test(value)) for value in found.values if not isinstance(value, Undetermined)}
    if answers == {True}:
        return TRUE
    if answers == {False}:
        return FALSE
    return UNKNOWN if answers else TRUE


def _condition_truth(
    node: Condition,
    found: Mapping[str, Possible],
    policy: Policy,
) -> int:
    if isinstance(node, Const):
        return TRUE if node.value else FALSE
    if isinstance(node, Atom):
        name = node.fact.removeprefix(DECISION)
        schema, directives = policy.schema, policy.directive_index
        return _values_truth(
            found[name],
            lambda value: holds(node, {node.fact: value}, schema, directives),
        )
    if isinstance(node, Not):
        inner = _condition_truth(node.item, found, policy)
        return inner if inner == UNKNOWN else 1 - inner
    if isinstance(node, And | Or):
        stop, rest = (FALSE, TRUE) if isinstance(node, And) else (TRUE, FALSE)
        result = rest
        for item in node.items:
            value = _condition_truth(item, found, policy)
            if value == stop:
                return stop
            if value == UNKNOWN:
                result = UNKNOWN
        return result
    assert_never(node)


def _then_truth(promise: Promise, found: Mapping[str, Possible], policy: Policy) -> int:
    """Whether `then` holds for every customer of a box (TRUE), for none (FALSE), or for some
    (UNKNOWN), given the possible outcomes of the directives it names."""
    undetermined = False
    for name in promise.directives:
        outcomes = found[name]
        if outcomes.decided and isinstance(outcomes.outcome, Undetermined):
            return FALSE
        if any(isinstance(value, Undetermined) for value in outcomes.values):
            undetermined = True
    if isinstance(promise.then, tuple):
        result = TRUE
        for name, promised in promise.then:
            value = _values_truth(found[name], lambda v, p=promised: _equal(v, p))
            if value == FALSE:
                return FALSE
            if value == UNKNOWN:
                result = UNKNOWN
    else:
        result = _condition_truth(promise.then, found, policy)
    if result == TRUE and undetermined:
        return UNKNOWN
    return result


def _scope(setup: _Setup, promise: Promise) -> int:
    """The department contexts a promise is about."""
    space = setup.space
    if promise.departments is None:
        return (1 << len(space.contexts)) - 1
    mask = 0
    for department in promise.departments:
        # A department the policy's rules do not name decides like a decision without one.
        context = department if department in space.contexts else None
        mask |= 1 << space.contexts.index(context)
    return mask


def _carrier(promise: Promise) -> Rule:
    """A rule that carries a promise's `when` through the search (never evaluated as a rule)."""
    return Rule(f"promise:{promise.id}", when=promise.when, then={"promise": True})


def _check_promise(setup: _Setup, promise: Promise) -> tuple[list[Finding], Coverage]:
    policy = setup.policy
    space = setup.space
    scope = _scope(setup, promise)
    index = len(setup.rules)
    compiled = attrs.evolve(space.compile(_carrier(promise), index), scope=scope)
    rules: Sequence[CompiledRule] = (*setup.rules, compiled)
    names = promise.directives
    plans = [setup.plans[name] for name in names]
    relevant = {index, *(i for plan in plans for i in plan.rules)}

    def query(box: Box, statuses: Sequence[list[int]]) -> Verdict:
        current = statuses[0]
        when = current[index]
        if when == FALSE:
            return PRUNE
        if when == UNKNOWN:
            return (0, index, TRUE)
        truth = setup.truth(current, box[-1])
        found = {name: possible(plan, truth) for name, plan in zip(names, plans, strict=True)}
        result = _then_truth(promise, found, policy)
        if result == TRUE:
            return PRUNE
        if result == FALSE:
            return FOUND
        # Split on a rule of the first directive still undecided (where it matches first).
        undecided = next(found[name] for name in names if not found[name].decided)
        return _branch(undecided)

    search = Search(space, rules, relevant, query, budget=setup.budget, start=space.full_box(scope))
    for box, _ in search:
        customer, department = setup.witness(box)
        if department is None and promise.departments is not None:
            # The None context stands for the promise's departments the rules do not name.
            department = next(d for d in promise.departments if d not in space.contexts)
        evaluated = outcomes_for(policy, customer, department)  # AnalysisError if invalid
        facts = dict(zip(policy.schema.names, policy.schema.normalize(customer), strict=True))
        confirm(promise.applies_to(department), f"promise `{promise.id}` applies to {department}")
        confirm(
            holds(promise.when, facts, policy.schema)
            and not promise_holds(policy, promise, evaluated.outcomes, facts),
            f"that promise `{promise.id}` is broken for {customer}",
        )
        deciding = tuple(
            dict.fromkeys(rule for name in names for rule in _deciders(evaluated, name))
        )
        finding = BrokenPromise(
            promise.id,
            tuple((name, evaluated.outcomes[name]) for name in names),
            as_witness(policy, customer),
            (department,),
            deciding,
            promise.rationale,
        )
        search.stop()
        return [finding], _coverage("promises", promise.id, search, "complete")
    coverage = _coverage("promises", promise.id, search)
    if search.status == "budget":
        return [UnprovenPromise(promise.id, names, search.covered)], coverage
    return [], coverage


def _deciders(evaluated: Any, name: str) -> tuple[str, ...]:
    """The rules that decided a directive at the witness; for an undetermined outcome, the
    rules that set it (a conflict's)."""
    determined: tuple[str, ...] = evaluated.determined_by[name]
    if determined:
        return determined
    return tuple(rule for rule, _ in evaluated.contributions[name])


def _promise_setup(policy: Policy, budget: int, max_findings: int) -> _Setup:
    """The verifier's setup for `policy`, its fact space cut at the promises' conditions."""
    return _Setup(policy, budget, max_findings, [p.when for p in policy.promises])


def _promises(setup: _Setup, promises: Iterable[Promise]) -> AnalysisReport:
    findings: list[Finding] = []
    coverage: list[Coverage] = []
    for promise in promises:
        found, covered = _check_promise(setup, promise)
        findings.extend(found)
        coverage.append(covered)
    return setup.report("promises", findings, coverage)
