"""What the checks of the verifier share: the policy compiled against its fact space.

`crmculture.analysis.verifier` builds one `_Setup` per analysis and hands it to each check
(`conflicts`, `gaps`, `shadowing`, `uniformity`, `monotonicity` in `crmculture.analysis`). A
check is a search of the fact space with a query that says, for a box of customers, whether the
problem is certain there, impossible there, or which rule to split on; `_Setup.witness` makes
the customer of a box found, and `_coverage` says what the search covered. `_certain` is the
search for customers whose directive certainly comes out one way (conflicts and gaps).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from crmculture.analysis.fact_space import (
    TRUE,
    UNKNOWN,
    Box,
    CompiledRule,
    FactSpace,
    check_resolved,
    department_contexts,
)
from crmculture.analysis.findings import Finding
from crmculture.analysis.outcomes import Plan, Possible, Undetermined, possible
from crmculture.analysis.report import AnalysisReport, Coverage, CoverageStatus
from crmculture.analysis.search import FOUND, PRUNE, Search, Verdict, effective
from crmculture.model.conditions import Condition
from crmculture.model.policies import Policy


class _Setup:
    """A policy compiled against its fact space, shared by the checks of one analysis."""

    def __init__(
        self,
        policy: Policy,
        budget: int,
        max_findings: int,
        conditions: Iterable[Condition] = (),
    ) -> None:
        if budget < 1 or max_findings < 1:
            raise ValueError(
                f"budget ({budget}) and max_findings ({max_findings}) must be at least 1"
            )
        check_resolved(policy)
        self.policy = policy
        self.budget = budget
        self.max_findings = max_findings
        self.contexts = department_contexts(policy)
        # `conditions` cut the fact space too (the `when` of promises).
        self.space = FactSpace(
            policy.schema,
            [*(rule.when for rule in policy.effective_rules), *conditions],
            self.contexts,
        )
        self.rules: tuple[CompiledRule, ...] = tuple(
            self.space.compile(rule, index) for index, rule in enumerate(policy.effective_rules)
        )
        self.plans = {d.name: Plan.build(d, self.rules) for d in policy.directives}
        # Uniformity compares the declared departments; without a declaration, the named ones
        # and None, which stands for every department the policy does not name.
        compared = [c for c in self.contexts if c is not None or policy.departments is None]
        self.compared: tuple[str | None, ...] = tuple(compared)

    def truth(self, statuses: Sequence[int], contexts: int) -> Callable[[int], int]:
        rules = self.rules
        return lambda index: effective(statuses, rules[index], contexts)

    def witness(self, box: Box) -> tuple[dict[str, Any], str | None]:
        cells = self.space.lowest_cells(box)
        return self.space.customer(cells), self.space.contexts[cells[-1]]

    def report(
        self, check: str, findings: Iterable[Finding], coverage: Iterable[Coverage]
    ) -> AnalysisReport:
        return AnalysisReport(
            self.policy.name,
            self.policy.version,
            tuple(findings),
            tuple(coverage),
            self.contexts,
            (check,) if check else (),
        )


def _status(search: Search) -> CoverageStatus:
    return {"exhausted": "complete", "stopped": "quota", "budget": "budget"}[search.status]  # type: ignore[return-value]


def _coverage(
    check: str, subject: str, search: Search, status: CoverageStatus | None = None
) -> Coverage:
    return Coverage(check, subject, status or _status(search), search.boxes, search.covered)


def _branch(found: Possible, copy: int = 0) -> Verdict:
    assert found.branch is not None, "an undecided outcome has an undecided rule"
    return (copy, found.branch, TRUE)


def _certain(setup: _Setup, plan: Plan, outcome: Undetermined) -> tuple[Search, Callable[[], None]]:
    """A search for boxes where `plan`'s directive certainly comes out as `outcome`.

    For conflicts, a box is split until every rule setting the directive is decided, so that
    each box found has one exact set of conflicting rules.
    """
    exact = outcome is Undetermined.CONFLICT

    def query(box: Box, statuses: Sequence[list[int]]) -> Verdict:
        truth = setup.truth(statuses[0], box[-1])
        found = possible(plan, truth)
        if outcome not in found.values and not found.open:
            return PRUNE
        if exact:
            for index in plan.rules:
                if truth(index) == UNKNOWN:
                    return (0, index, TRUE)
        if found.decided:
            return FOUND if found.outcome is outcome else PRUNE
        return _branch(found)

    search = Search(setup.space, setup.rules, plan.rules, query, budget=setup.budget)
    return search, search.stop
