"""The conflicts check: customers for whom rules set a ``unique`` directive to two values.

For each ``unique`` directive, the search splits a box until every rule setting the directive
is decided, so that each box found has one exact set of conflicting rules; each distinct set is
one `crmculture.analysis.Conflict`. Directives that combine otherwise cannot conflict.
"""

from __future__ import annotations

from fractions import Fraction

from crmculture.analysis.check_setup import _certain, _coverage, _Setup
from crmculture.analysis.findings import Conflict, Finding, as_witness, confirm, outcomes_for
from crmculture.analysis.outcomes import Undetermined
from crmculture.analysis.report import AnalysisReport, Coverage
from crmculture.model.directives import Combine


def _conflicts(setup: _Setup) -> AnalysisReport:
    findings: list[Finding] = []
    coverage: list[Coverage] = []
    for directive in setup.policy.directives:
        if directive.combine is not Combine.UNIQUE:
            # Only `unique` directives can conflict: proved without a search.
            coverage.append(Coverage("conflicts", directive.name, "complete", 0, Fraction(1)))
            continue
        plan = setup.plans[directive.name]
        search, stop = _certain(setup, plan, Undetermined.CONFLICT)
        seen: set[tuple[str, ...]] = set()
        for box, _ in search:
            customer, department = setup.witness(box)
            evaluated = outcomes_for(setup.policy, customer, department)
            confirm(
                evaluated.outcomes[directive.name] is Undetermined.CONFLICT,
                f"a conflict on `{directive.name}` for {customer}",
            )
            values = evaluated.contributions[directive.name]
            # Where an overriding rule matches, only the overriding rules' values compete.
            winning = tuple(pair for pair in values if setup.policy.rule(pair[0]).overrides)
            values = winning or values
            key = tuple(rule for rule, _ in values)
            if key in seen:
                continue
            seen.add(key)
            findings.append(
                Conflict(
                    directive.name,
                    values,
                    as_witness(setup.policy, customer),
                    setup.space.contexts_of(box[-1]),
                )
            )
            if len(seen) >= setup.max_findings:
                stop()
        coverage.append(_coverage("conflicts", directive.name, search))
    return setup.report("conflicts", findings, coverage)
