"""Change impact: which customers two versions of a policy treat differently, and how.

`diff` searches the fact space cut at the constants of *both* policies, so that every box it
ends in is treated uniformly by each. A box where some directive differs is a changed region;
boxes with the same changes that differ in one fact only are merged, and each region is shown
as a readable condition with an example customer that both policies are evaluated on again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from crmculture.analysis.fact_space import (
    TRUE,
    Box,
    CompiledRule,
    FactSpace,
    check_resolved,
    department_contexts,
)
from crmculture.analysis.findings import (
    AnalysisError,
    Customer,
    as_witness,
    confirm,
    outcomes_for,
    sort_key,
)
from crmculture.analysis.outcomes import Plan, possible, show_outcome
from crmculture.analysis.report import Coverage, CoverageStatus
from crmculture.analysis.search import FOUND, PRUNE, Search, Verdict, effective
from crmculture.evaluate.truth import holds
from crmculture.model.conditions import Condition
from crmculture.model.facts import Schema
from crmculture.model.policies import Policy, require_policy
from crmculture.model.rules import Rule

__all__ = ["DiffRegion", "DirectiveChange", "PolicyDiff", "diff"]

DEFAULT_BUDGET = 200_000
MAX_REGIONS = 10_000


@attrs.frozen
class DirectiveChange:
    """One directive whose outcome changes: ``old`` → ``new`` (values, or `Undetermined`
    members when evaluation raises)."""

    directive: str
    old: Any
    new: Any

    def __str__(self) -> str:
        return f"{self.directive}: {show_outcome(self.old)} -> {show_outcome(self.new)}"


@attrs.frozen
class DiffRegion:
    """Customers the two policies treat differently, all in the same way.

    Attributes:
        condition: The customers of the region, as a condition (`str` gives its text).
        departments: The departments in which they are treated differently (None: a decision
            without department, or any department neither policy names).
        changes: The directives that change, old → new, sorted by directive name.
        customer: A customer of the region, as ``(fact, value)`` pairs in schema order, like a
            finding's; `record` gives a dict.
        department: The department `customer` was evaluated in (one of `departments`).
    """

    condition: Condition
    departments: tuple[str | None, ...]
    changes: tuple[DirectiveChange, ...]
    customer: Customer
    department: str | None

    @property
    def record(self) -> dict[str, Any]:
        """The customer as a dict, a record the evaluators accept."""
        return dict(self.customer)

    def __str__(self) -> str:
        where = ", ".join("no department" if d is None else d for d in self.departments)
        changes = "; ".join(str(change) for change in self.changes)
        return f"when {self.condition} ({where}): {changes}"


@attrs.frozen
class PolicyDiff:
    """What changes between two versions of a policy.

    Attributes:
        old: The old policy's name and version.
        new: The new policy's name and version.
        regions: The changed regions, sorted by their changes, departments and condition text.
        added_directives: Directives only the new policy decides.
        removed_directives: Directives only the old policy decides.
        departments: The department contexts compared.
        coverage: What the search covered; when its status is not ``complete``, customers
            outside the reported regions may still be treated differently.
        schema: The schema of both policies.
    """

    old: str
    new: str
    regions: tuple[DiffRegion, ...]
    added_directives: tuple[str, ...]
    removed_directives: tuple[str, ...]
    departments: tuple[str | None, ...]
    coverage: Coverage
    schema: Schema = attrs.field(repr=False)

    @property
    def complete(self) -> bool:
        """Whether the search resolved the whole fact space."""
        return self.coverage.status == "complete"

    @property
    def is_empty(self) -> bool:
        """Whether it is proved that no customer in the domain is treated differently."""
        return (
            self.complete
            and not self.regions
            and not self.added_directives
            and not self.removed_directives
        )

    def region_of(self, customer: object, department: str | None) -> DiffRegion | None:
        """The reported region that holds `customer` asking in `department`, or None.

        Raises:
            InvalidCustomer: when `customer` does not fit the schema.
        """
        facts = self.schema.validate(customer)
        context = department if department in self.departments else None
        for region in self.regions:
            if context in region.departments and holds(region.condition, facts, self.schema):
                return region
        return None

    def __str__(self) -> str:
        state = "" if self.complete else " (INCOMPLETE: " + str(self.coverage) + ")"
        lines = [f"diff {self.old} -> {self.new}: {len(self.regions)} changed regions{state}"]
        lines.extend(f"  {region}" for region in self.regions)
        if self.added_directives:
            lines.append("  added directives: " + ", ".join(self.added_directives))
        if self.removed_directives:
            lines.append("  removed directives: " + ", ".join(self.removed_directives))
        return "\n".join(lines)


def _same_plan(old: Plan, new: Plan, rules: Mapping[tuple[str, int], Rule]) -> bool:
    """Whether two plans always give the same outcome: same directive, same rules, same values."""
    if old.directive != new.directive or len(old.order) != len(new.order):
        return False
    if old.overriding != new.overriding:
        return False
    return all(
        rules["old", a] == rules["new", b] and va == vb
        for (a, va), (b, vb) in zip(old.order, new.order, strict=True)
    )


def diff(
    old: Policy,
    new: Policy,
    *,
    budget: int = DEFAULT_BUDGET,
    as_of: dt.date | None = None,
) -> PolicyDiff:
    """The customers two versions of a policy treat differently, region by region.

    Both policies must have the same schema. Directives are compared by name; those only one
    policy decides are listed apart. Each region's example customer is evaluated again by the
    reference interpreter with both policies before it is reported.

    Args:
        old: The policy in force.
        new: The proposed policy.
        budget: The most boxes the search may look at.
        as_of: Compare the two as they decide on this day (``old.at(as_of)`` with
            ``new.at(as_of)``); required when either uses the as-of date.

    Returns:
        The changed regions; an empty, complete diff proves that no customer in the schema's
        domain is treated differently, in any department.

    Raises:
        AnalysisError: when the schemas differ.
        AsOfRequiredError: when a policy uses the as-of date and `as_of` is None.

    Examples:
        >>> from crmculture import Directive, F, Fact, Policy, Rule, Schema
        >>> schema = Schema([Fact.int("days_overdue", min=0, max=3650)])
        >>> route = Directive.text("route_to", default="frontline")
        >>> old = Policy("p", schema, [route], [
        ...     Rule("late", when=F.days_overdue > 60, then={"route_to": "collections"})])
        >>> new = Policy("p", schema, [route], [
        ...     Rule("late", when=F.days_overdue > 45, then={"route_to": "collections"})],
        ...     version="2")
        >>> changes = diff(old, new)
        >>> [(str(region.condition), region.record) for region in changes.regions]
        [('days_overdue between 46 and 60', {'days_overdue': 46})]
        >>> print(changes.regions[0].changes[0])
        route_to: "frontline" -> "collections"
    """
    old = require_policy(old, "old")
    new = require_policy(new, "new")
    if as_of is not None:
        old, new = old.at(as_of), new.at(as_of)
    check_resolved(old, new)
    if old.schema != new.schema:
        raise AnalysisError(
            "cannot diff policies over different schemas: facts "
            f"{', '.join(old.schema.names)} vs {', '.join(new.schema.names)}"
        )
    if budget < 1:
        raise ValueError(f"budget ({budget}) must be at least 1")
    contexts = department_contexts(old, new)
    space = FactSpace(
        old.schema,
        [rule.when for policy in (old, new) for rule in policy.effective_rules],
        contexts,
    )
    # Rules equal in both versions are compiled once and share their truth.
    compiled: list[CompiledRule] = []
    shared: dict[Any, int] = {}

    def compile_all(policy: Policy) -> list[CompiledRule]:
        result = []
        for rule in policy.effective_rules:
            key = (rule.when, rule.departments)
            index = shared.get(key)
            if index is None:
                index = len(compiled)
                shared[key] = index
                compiled.append(space.compile(rule, index))
            result.append(attrs.evolve(compiled[index], rule=rule))
        return result

    old_rules, new_rules = compile_all(old), compile_all(new)
    by_index = {
        **{("old", c.index): c.rule for c in old_rules},
        **{("new", c.index): c.rule for c in new_rules},
    }
    old_names = [d.name for d in old.directives]
    new_names = [d.name for d in new.directives]
    common = [name for name in old_names if name in new_names]
    pairs: list[tuple[str, Plan, Plan]] = []
    for name in common:
        old_plan = Plan.build(old.directive(name), old_rules)
        new_plan = Plan.build(new.directive(name), new_rules)
        if not _same_plan(old_plan, new_plan, by_index):
            pairs.append((name, old_plan, new_plan))
    relevant = sorted({i for _, a, b in pairs for i in (*a.rules, *b.rules)})

    def query(box: Box, statuses: Sequence[list[int]]) -> Verdict:
        current = statuses[0]
        contexts_mask = box[-1]

        def truth(index: int) -> int:
            return effective(current, compiled[index], contexts_mask)

        changed = False
        for _, old_plan, new_plan in pairs:
            before = possible(old_plan, truth)
            after = possible(new_plan, truth)
            if not before.decided:
                assert before.branch is not None
                return (0, before.branch, TRUE)
            if not after.decided:
                assert after.branch is not None
                return (0, after.branch, TRUE)
            if sort_key(before.outcome) != sort_key(after.outcome):
                changed = True
        return FOUND if changed else PRUNE

    search = Search(space, compiled, relevant, query, budget=budget)
    leaves: list[tuple[Box, tuple[DirectiveChange, ...]]] = []
    for box, statuses in search:
        current = statuses[0]

        def truth(index: int, current: list[int] = current, mask: int = box[-1]) -> int:
            return effective(current, compiled[index], mask)

        changes = []
        for name, old_plan, new_plan in pairs:
            before = possible(old_plan, truth).outcome
            after = possible(new_plan, truth).outcome
            if sort_key(before) != sort_key(after):
                changes.append(DirectiveChange(name, before, after))
        leaves.append((box, tuple(sorted(changes, key=lambda c: c.directive))))
        if len(leaves) >= MAX_REGIONS:
            search.stop()
    status: CoverageStatus = {"exhausted": "complete", "stopped": "quota", "budget": "budget"}[  # type: ignore[assignment]
        search.status
    ]
    coverage = Coverage("diff", "", status, search.boxes, search.covered)
    regions = [_region(space, old, new, box, changes) for box, changes in _merge(leaves)]
    regions.sort(
        key=lambda r: (
            tuple(c.directive for c in r.changes),
            tuple(sort_key(c.old) + sort_key(c.new) for c in r.changes),
            tuple("~" if d is None else d for d in r.departments),
            str(r.condition),
        )
    )
    return PolicyDiff(
        f"{old.name} {old.version}",
        f"{new.name} {new.version}",
        tuple(regions),
        tuple(name for name in new_names if name not in old_names),
        tuple(name for name in old_names if name not in new_names),
        contexts,
        coverage,
        old.schema,
    )


def _merge(
    leaves: list[tuple[Box, tuple[DirectiveChange, ...]]],
) -> list[tuple[Box, tuple[DirectiveChange, ...]]]:
    """Merge boxes with the same changes that differ in one dimension only, until none do."""
    current = list(leaves)
    dims = len(current[0][0]) if current else 0
    merged_any = True
    while merged_any:
        merged_any = False
        for dim in range(dims):
            groups: dict[Any, list[int]] = {}
            for position, (box, changes) in enumerate(current):
                key = (changes, box[:dim], box[dim + 1 :])
                groups.setdefault(key, []).append(position)
            if all(len(members) == 1 for members in groups.values()):
                continue
            merged_any = True
            result = []
            for (changes, before, after), members in groups.items():
                mask = 0
                for position in members:
                    mask |= current[position][0][dim]
                result.append(((*before, mask, *after), changes))
            current = result
    return current


def _region(
    space: FactSpace, old: Policy, new: Policy, box: Box, changes: tuple[DirectiveChange, ...]
) -> DiffRegion:
    cells = space.lowest_cells(box)
    customer = space.customer(cells)
    department = space.contexts[cells[-1]]
    before = outcomes_for(old, customer, department).outcomes
    after = outcomes_for(new, customer, department).outcomes
    changed = {change.directive for change in changes}
    for change in changes:
        confirm(
            sort_key(before[change.directive]) == sort_key(change.old)
            and sort_key(after[change.directive]) == sort_key(change.new),
            f"the change {change} for {customer}",
        )
    for name in before:
        if name in after and name not in changed:
            confirm(
                sort_key(before[name]) == sort_key(after[name]),
                f"that `{name}` does not change for {customer}",
            )
    condition = space.box_condition(box)
    return DiffRegion(
        condition, space.contexts_of(box[-1]), changes, as_witness(old, customer), department
    )
