"""The rules check: dead rules and shadowed rules.

A dead rule matches no customer; a shadowed rule matches some, but never determines any
directive it sets.

For each rule, a first search looks for a box where the rule determines one of its directives;
if there is none, a second search looks for a customer the rule matches: its witness makes the
rule a `crmculture.analysis.ShadowedRule`, and its absence, proved, a
`crmculture.analysis.DeadRule`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from crmculture.analysis.check_setup import _coverage, _Setup
from crmculture.analysis.fact_space import FALSE, TRUE, UNKNOWN, Box, CompiledRule
from crmculture.analysis.findings import (
    DeadRule,
    Finding,
    ShadowedRule,
    as_witness,
    confirm,
    outcomes_for,
)
from crmculture.analysis.outcomes import Plan
from crmculture.analysis.report import AnalysisReport, Coverage
from crmculture.analysis.search import FOUND, PRUNE, Search, Verdict, effective
from crmculture.model.directives import Combine


def _determines(
    plan: Plan, index: int, truth: Callable[[int], int]
) -> tuple[int, tuple[int, int] | None]:
    """Whether rule `index` determines `plan`'s directive (three-valued), and a split to make
    as ``(rule index, preferred truth)``."""
    own = truth(index)
    if own == FALSE:
        return FALSE, None
    strategy = plan.directive.combine
    own_value = next(value for i, value in plan.order if i == index)
    # An overriding rule competes with the other overriding rules only; a rule that does not
    # override loses to every overriding rule, and competes with the others.
    flags = plan.overriding or (False,) * len(plan.order)
    mine = next(o for (i, _), o in zip(plan.order, flags, strict=True) if i == index)
    group = [(i, v) for (i, v), o in zip(plan.order, flags, strict=True) if o == mine]
    rivals: list[int] = (
        [] if mine else [i for (i, _), o in zip(plan.order, flags, strict=True) if o]
    )
    if strategy in (Combine.SUM, Combine.COLLECT, Combine.LIST):
        pass
    elif strategy in (Combine.FIRST, Combine.MIN, Combine.MAX):
        position = next(p for p, (i, _) in enumerate(group) if i == index)
        rivals += [i for i, _ in group[:position]]
    elif strategy in (Combine.ALL, Combine.ANY):
        deciding = strategy is Combine.ANY
        rivals += [] if own_value is deciding else [i for i, v in group if v is deciding]
    else:  # unique: determined by all unless some rule sets another value (a conflict)
        rivals += [i for i, v in group if i != index and v != own_value]
    result = own
    split = None if own == TRUE else (index, TRUE)
    for rival in rivals:
        status = truth(rival)
        if status == TRUE:
            return FALSE, None
        if status == UNKNOWN:
            result = UNKNOWN
            if split is None:
                split = (rival, FALSE)
    return result, split


def _rule_verdict(setup: _Setup, compiled: CompiledRule) -> tuple[list[Finding], Coverage]:
    rule = compiled.rule
    plans = [setup.plans[name] for name, _ in rule.then]
    relevant = {i for plan in plans for i in plan.rules}

    def determines(box: Box, statuses: Sequence[list[int]]) -> Verdict:
        truth = setup.truth(statuses[0], box[-1])
        split = None
        for plan in plans:
            result, wanted = _determines(plan, compiled.index, truth)
            if result == TRUE:
                return FOUND
            if result == UNKNOWN and split is None:
                split = wanted
        if split is None:
            return PRUNE
        return (0, split[0], split[1])

    search = Search(setup.space, setup.rules, relevant, determines, budget=setup.budget)
    for _ in search:
        search.stop()
        return [], Coverage("rules", rule.id, "complete", search.boxes, search.covered)
    if search.status == "budget":
        return [], _coverage("rules", rule.id, search)

    def matches(box: Box, statuses: Sequence[list[int]]) -> Verdict:
        truth = effective(statuses[0], compiled, box[-1])
        if truth == UNKNOWN:
            return (0, compiled.index, TRUE)
        return FOUND if truth == TRUE else PRUNE

    alive = Search(setup.space, setup.rules, [compiled.index], matches, budget=setup.budget)
    boxes = search.boxes
    for box, _ in alive:
        customer, department = setup.witness(box)
        evaluated = outcomes_for(setup.policy, customer, department)
        names = tuple(name for name, _ in rule.then)
        confirm(
            rule.id in evaluated.matched
            and all(rule.id not in evaluated.determined_by[name] for name in names),
            f"that rule `{rule.id}` matches {customer} and determines nothing",
        )
        winners = tuple(
            dict.fromkeys(winner for name in names for winner in evaluated.determined_by[name])
        )
        finding = ShadowedRule(
            rule.id,
            names,
            winners,
            as_witness(setup.policy, customer),
            (department,),
        )
        return [finding], Coverage(
            "rules", rule.id, "complete", boxes + alive.boxes, search.covered
        )
    if alive.status == "budget":
        return [], Coverage("rules", rule.id, "budget", boxes + alive.boxes, alive.covered)
    dead = DeadRule(rule.id, tuple(name for name, _ in rule.then))
    return [dead], Coverage("rules", rule.id, "complete", boxes + alive.boxes, alive.covered)


def _rules(setup: _Setup) -> AnalysisReport:
    findings: list[Finding] = []
    coverage: list[Coverage] = []
    for compiled in setup.rules:
        found, covered = _rule_verdict(setup, compiled)
        findings.extend(found)
        coverage.append(covered)
    return setup.report("rules", findings, coverage)
