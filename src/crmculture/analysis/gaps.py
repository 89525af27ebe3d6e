"""The gaps checks: customers a directive without default leaves undecided, or no rule matches.

``gaps`` looks, for each directive without default, for customers no rule sets it for;
``unmatched`` looks for customers no rule matches at all.

Both report a `crmculture.analysis.Gap`: one witness per directive, and one customer without
directive, of severity info, for ``unmatched``. A directive with a default has no gap.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from crmculture.analysis.check_setup import _certain, _coverage, _Setup
from crmculture.analysis.fact_space import FALSE, TRUE, UNKNOWN, Box
from crmculture.analysis.findings import (
    Finding,
    Gap,
    Severity,
    as_witness,
    confirm,
    outcomes_for,
)
from crmculture.analysis.outcomes import Undetermined
from crmculture.analysis.report import AnalysisReport, Coverage
from crmculture.analysis.search import FOUND, PRUNE, Search, Verdict, effective


def _gaps(setup: _Setup) -> AnalysisReport:
    findings: list[Finding] = []
    coverage: list[Coverage] = []
    for directive in setup.policy.directives:
        if directive.has_default:
            # A directive with a default always has a value: proved without a search.
            coverage.append(Coverage("gaps", directive.name, "complete", 0, Fraction(1)))
            continue
        plan = setup.plans[directive.name]
        search, stop = _certain(setup, plan, Undetermined.UNDECIDED)
        for box, _ in search:
            customer, department = setup.witness(box)
            evaluated = outcomes_for(setup.policy, customer, department)
            confirm(
                evaluated.outcomes[directive.name] is Undetermined.UNDECIDED,
                f"a gap in `{directive.name}` for {customer}",
            )
            findings.append(
                Gap(
                    directive.name,
                    as_witness(setup.policy, customer),
                    setup.space.contexts_of(box[-1]),
                )
            )
            stop()
        coverage.append(_coverage("gaps", directive.name, search))
    return setup.report("gaps", findings, coverage)


def _unmatched(setup: _Setup) -> AnalysisReport:
    rules = setup.rules

    def query(box: Box, statuses: Sequence[list[int]]) -> Verdict:
        branch = None
        for rule in rules:
            truth = effective(statuses[0], rule, box[-1])
            if truth == TRUE:
                return PRUNE
            if truth == UNKNOWN and branch is None:
                branch = rule.index
        return FOUND if branch is None else (0, branch, FALSE)

    search = Search(setup.space, rules, range(len(rules)), query, budget=setup.budget)
    findings: list[Finding] = []
    for box, _ in search:
        customer, department = setup.witness(box)
        confirm(
            not outcomes_for(setup.policy, customer, department).matched,
            f"that no rule matches {customer}",
        )
        findings.append(
            Gap(
                None,
                as_witness(setup.policy, customer),
                setup.space.contexts_of(box[-1]),
                Severity.INFO,
            )
        )
        search.stop()
    return setup.report("unmatched", findings, [_coverage("unmatched", "", search)])
