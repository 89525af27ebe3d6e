"""The monotonicity check: a better customer who gets a worse value of a monotone directive.

A pair search (`crmculture.analysis.search.Pairing`) looks at two customers at once, the second
no better than the first on every fact with a `better` direction and equal on every other fact,
and finds boxes where the first customer's value is certainly less favourable; each is confirmed
on the two customers and reported as a `crmculture.analysis.MonotonicityBreak`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

from crmculture.analysis.check_setup import _branch, _coverage, _Setup
from crmculture.analysis.fact_space import Box
from crmculture.analysis.findings import (
    Finding,
    MonotonicityBreak,
    Severity,
    as_witness,
    confirm,
    outcomes_for,
    sort_key,
)
from crmculture.analysis.outcomes import Plan, Undetermined, possible
from crmculture.analysis.report import AnalysisReport, Coverage
from crmculture.analysis.search import FOUND, PRUNE, Pairing, Search, Verdict
from crmculture.model.directives import Directive
from crmculture.model.policies import Policy


def _orderable(directive: Directive) -> bool:
    return directive.type != "text" and not directive.collects


def _monotonicity(setup: _Setup, directives: Sequence[Directive]) -> AnalysisReport:
    findings: list[Finding] = []
    coverage: list[Coverage] = []
    policy = setup.policy
    space = setup.space
    facts = policy.schema.facts

    def allowed(dim: int, better: int, worse: int) -> bool:
        fact = facts[dim]
        cells = space.dimensions[dim].cells
        if fact.better is None or cells[better].missing or cells[worse].missing:
            return better == worse
        return better >= worse if fact.better == "higher" else better <= worse

    pairing = Pairing.build(space, allowed)
    for directive in directives:
        if not _orderable(directive):
            coverage.append(Coverage("monotonicity", directive.name, "unsupported", 0, Fraction(0)))
            continue
        plan = setup.plans[directive.name]
        key = plan.value_key

        def query(
            box: Box,
            statuses: Sequence[list[int]],
            plan: Plan = plan,
            key: Callable[[Any], Any] = key,
        ) -> Verdict:
            better = possible(plan, setup.truth(statuses[0], box[-1]))
            worse = possible(plan, setup.truth(statuses[1], box[-1]))
            if not better.open and not worse.open:
                better_keys = [key(v) for v in better.values if not isinstance(v, Undetermined)]
                worse_keys = [key(v) for v in worse.values if not isinstance(v, Undetermined)]
                if not better_keys or not worse_keys or min(better_keys) >= max(worse_keys):
                    return PRUNE
                if better.decided and worse.decided:
                    return FOUND
            if not better.decided:
                return _branch(better, 0)
            return _branch(worse, 1)

        search = Search(space, setup.rules, plan.rules, query, budget=setup.budget, pairing=pairing)
        seen: set[tuple[Any, ...]] = set()
        for box, _ in search:
            chosen = [
                pairing.pairs[dim][(mask & -mask).bit_length() - 1]
                for dim, mask in enumerate(box[:-1])
            ]
            better = space.customer([pair[0] for pair in chosen])
            worse = space.customer([pair[1] for pair in chosen])
            department = space.contexts[(box[-1] & -box[-1]).bit_length() - 1]
            found = _confirm_break(policy, directive, plan, better, worse, department)
            differing = tuple(name for name in policy.schema.names if better[name] != worse[name])
            identity = (differing, sort_key(found[0]), sort_key(found[1]))
            if identity in seen:
                continue
            seen.add(identity)
            findings.append(
                MonotonicityBreak(
                    directive.name,
                    as_witness(policy, better),
                    as_witness(policy, worse),
                    found[0],
                    found[1],
                    differing,
                    found[2],
                    space.contexts_of(box[-1]),
                    Severity.ERROR if directive.monotone else Severity.WARNING,
                )
            )
            if len(seen) >= setup.max_findings:
                search.stop()
        coverage.append(_coverage("monotonicity", directive.name, search))
    return setup.report("monotonicity", findings, coverage)


def _at_least_as_good(policy: Policy, better: dict[str, Any], worse: dict[str, Any]) -> bool:
    for fact in policy.schema:
        a, b = better[fact.name], worse[fact.name]
        if fact.better is None or a is None or b is None:
            if a != b:
                return False
            continue
        if fact.type == "enum":
            a, b = fact.rank(a), fact.rank(b)
        if (a < b) if fact.better == "higher" else (a > b):
            return False
    return True


def _confirm_break(
    policy: Policy,
    directive: Directive,
    plan: Plan,
    better: dict[str, Any],
    worse: dict[str, Any],
    department: str | None,
) -> tuple[Any, Any, tuple[str, ...]]:
    first = outcomes_for(policy, better, department)
    second = outcomes_for(policy, worse, department)
    better_value = first.outcomes[directive.name]
    worse_value = second.outcomes[directive.name]
    confirm(
        _at_least_as_good(policy, better, worse)
        and not isinstance(better_value, Undetermined)
        and not isinstance(worse_value, Undetermined)
        and plan.value_key(better_value) < plan.value_key(worse_value),
        f"a monotonicity break on `{directive.name}` between {better} and {worse}",
    )
    rules = sorted({*first.determined_by[directive.name], *second.determined_by[directive.name]})
    return better_value, worse_value, tuple(rules)
