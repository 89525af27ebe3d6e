"""The uniformity check: customers treated differently depending on the department that asks.

The search runs over the compared department contexts at once and finds boxes where the
directive is decided in each context, with two different outcomes; each distinct set of
outcomes is one `crmculture.analysis.NonUniform`. A directive whose rules each apply to all the
compared departments or to none of them is uniform without a search.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from crmculture.analysis.check_setup import _branch, _coverage, _Setup
from crmculture.analysis.fact_space import FALSE, Box
from crmculture.analysis.findings import (
    Finding,
    NonUniform,
    Severity,
    as_witness,
    confirm,
    outcomes_for,
    sort_key,
)
from crmculture.analysis.outcomes import Plan, possible
from crmculture.analysis.report import AnalysisReport, Coverage
from crmculture.analysis.search import FOUND, PRUNE, Search, Verdict
from crmculture.model.directives import Directive


def _uniformity(setup: _Setup, directives: Sequence[Directive]) -> AnalysisReport:
    findings: list[Finding] = []
    coverage: list[Coverage] = []
    space = setup.space
    compared = space.context_mask(setup.compared)
    contexts = [1 << space.contexts.index(name) for name in setup.compared]
    for directive in directives:
        plan = setup.plans[directive.name]
        scoped = [i for i in plan.rules if setup.rules[i].scope & compared not in (0, compared)]
        if len(contexts) < 2 or not scoped:
            # Every compared department runs the same rules: the same outcome, proved.
            coverage.append(Coverage("uniformity", directive.name, "complete", 0, Fraction(1)))
            continue

        def query(
            box: Box, statuses: Sequence[list[int]], plan: Plan = plan, scoped: list[int] = scoped
        ) -> Verdict:
            current = statuses[0]
            if all(current[i] == FALSE for i in scoped):
                return PRUNE
            outcomes = []
            for context in contexts:
                found = possible(plan, setup.truth(current, context))
                if not found.decided:
                    return _branch(found)
                outcomes.append(sort_key(found.outcome))
            return FOUND if len(set(outcomes)) > 1 else PRUNE

        search = Search(
            space,
            setup.rules,
            plan.rules,
            query,
            budget=setup.budget,
            start=space.full_box(compared),
        )
        seen: set[tuple[str, ...]] = set()
        for box, _ in search:
            customer, _department = setup.witness(box)
            values = tuple(
                (name, outcomes_for(setup.policy, customer, name).outcomes[directive.name])
                for name in setup.compared
            )
            keys = tuple(sort_key(value) for _, value in values)
            confirm(len(set(keys)) > 1, f"non-uniform `{directive.name}` for {customer}")
            first = values[0]
            second = next(pair for pair in values if sort_key(pair[1]) != keys[0])
            if keys in seen:
                continue
            seen.add(keys)
            rules: set[str] = set()
            for name in (first[0], second[0]):
                rules.update(
                    outcomes_for(setup.policy, customer, name).determined_by[directive.name]
                )
            findings.append(
                NonUniform(
                    directive.name,
                    values,
                    as_witness(setup.policy, customer),
                    (first[0], second[0]),
                    tuple(sorted(rules)),
                    Severity.ERROR if directive.uniform else Severity.WARNING,
                )
            )
            if len(seen) >= setup.max_findings:
                search.stop()
        coverage.append(_coverage("uniformity", directive.name, search))
    return setup.report("uniformity", findings, coverage)
