"""The checks of the verifier, and `analyze`, which runs them all.

Each check is a search of the fact space (see `crmculture.analysis.fact_space`) with a query
that says, for a box of customers, whether the problem is certain there, impossible there, or
which rule to split on. Every box where it is certain gives a witness: the customer made of the
representatives of the box's first cells, re-evaluated with the reference interpreter before the
finding is returned.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction
from typing import Any, Final

from crmculture.analysis.fact_space import (
    FALSE,
    FOUND,
    PRUNE,
    TRUE,
    UNKNOWN,
    Box,
    CompiledRule,
    FactSpace,
    Pairing,
    Search,
    Verdict,
    department_contexts,
    effective,
)
from crmculture.analysis.findings import (
    AnalysisReport,
    Conflict,
    Coverage,
    CoverageStatus,
    DeadRule,
    Finding,
    Gap,
    MonotonicityBreak,
    NonUniform,
    Severity,
    ShadowedRule,
    as_witness,
    confirm,
    outcomes_for,
    sort_key,
)
from crmculture.analysis.outcomes import Plan, Possible, Undetermined, possible
from crmculture.errors import UnknownDirectiveError, did_you_mean
from crmculture.model.directives import Combine, Directive
from crmculture.model.policies import Policy

__all__ = [
    "CHECKS",
    "DEFAULT_BUDGET",
    "DEFAULT_CHECKS",
    "DEFAULT_MAX_FINDINGS",
    "analyze",
    "check_conflicts",
    "check_gaps",
    "check_monotonicity",
    "check_rules",
    "check_uniformity",
    "check_unmatched",
]

CHECKS: Final = ("conflicts", "gaps", "unmatched", "rules", "uniformity", "monotonicity")
"""Every check `analyze` knows."""
DEFAULT_CHECKS: Final = ("conflicts", "gaps", "rules", "uniformity", "monotonicity")
"""The checks `analyze` runs unless told otherwise (``unmatched`` is on request)."""
DEFAULT_BUDGET: Final = 200_000
"""The most boxes one search may look at."""
DEFAULT_MAX_FINDINGS: Final = 5
"""The most distinct findings one search reports (per directive, for conflicts, non-uniform
treatment and monotonicity breaks)."""


class _Setup:
    """A policy compiled against its fact space, shared by the checks of one analysis."""

    def __init__(self, policy: Policy, budget: int, max_findings: int) -> None:
        if budget < 1 or max_findings < 1:
            raise ValueError(
                f"budget ({budget}) and max_findings ({max_findings}) must be at least 1"
            )
        self.policy = policy
        self.budget = budget
        self.max_findings = max_findings
        self.contexts = department_contexts(policy)
        self.space = FactSpace(
            policy.schema, [rule.when for rule in policy.effective_rules], self.contexts
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


# -- conflicts and gaps ---------------------------------------------------------------------


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


# -- dead and shadowed rules ----------------------------------------------------------------


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
    if strategy in (Combine.SUM, Combine.COLLECT):
        rivals: list[int] = []
    elif strategy in (Combine.FIRST, Combine.MIN, Combine.MAX):
        position = next(p for p, (i, _) in enumerate(plan.order) if i == index)
        rivals = [i for i, _ in plan.order[:position]]
    elif strategy in (Combine.ALL, Combine.ANY):
        deciding = strategy is Combine.ANY
        rivals = [] if own_value is deciding else [i for i, v in plan.order if v is deciding]
    else:  # unique: determined by all unless some rule sets another value (a conflict)
        rivals = [i for i, v in plan.order if i != index and v != own_value]
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


# -- uniformity -----------------------------------------------------------------------------


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


# -- monotonicity ---------------------------------------------------------------------------


def _orderable(directive: Directive) -> bool:
    return directive.type != "text" and directive.combine is not Combine.COLLECT


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


# -- public entry points --------------------------------------------------------------------


def _directives(
    policy: Policy, names: Iterable[str] | None, declared: Callable[[Directive], bool]
) -> list[Directive]:
    if names is None:
        return [d for d in policy.directives if declared(d)]
    if isinstance(names, str):
        raise TypeError(f"expected a list of directive names, got the string `{names}`")
    wanted = set(names)
    unknown = sorted(wanted - {d.name for d in policy.directives})
    if unknown:
        raise UnknownDirectiveError(unknown[0], [d.name for d in policy.directives])
    return [d for d in policy.directives if d.name in wanted]


def check_conflicts(
    policy: Policy, *, budget: int = DEFAULT_BUDGET, max_findings: int = DEFAULT_MAX_FINDINGS
) -> AnalysisReport:
    """Find customers for whom rules set a ``unique`` directive to two different values.

    Args:
        policy: The policy.
        budget: The most boxes each search may look at.
        max_findings: The most distinct conflicts (sets of rules) reported per directive.

    Returns:
        A report with one `Conflict` per distinct set of conflicting rules.

    Examples:
        >>> from crmculture import Directive, F, Fact, Policy, Rule, Schema
        >>> schema = Schema([Fact.int("days_overdue", min=0, max=365)])
        >>> route = Directive.text("route_to", default="frontline", combine="unique")
        >>> policy = Policy("p", schema, [route], [
        ...     Rule("late", when=F.days_overdue > 30, then={"route_to": "collections"}),
        ...     Rule("very-late", when=F.days_overdue > 60, then={"route_to": "legal"}),
        ... ])
        >>> [(f.values, f.record) for f in check_conflicts(policy).findings]
        [((('late', 'collections'), ('very-late', 'legal')), {'days_overdue': 61})]
    """
    return _conflicts(_Setup(policy, budget, max_findings))


def check_gaps(policy: Policy, *, budget: int = DEFAULT_BUDGET) -> AnalysisReport:
    """Find, for each directive without default, a customer for whom no rule sets it.

    Examples:
        >>> from crmculture import Directive, F, Fact, Policy, Rule, Schema
        >>> schema = Schema([Fact.bool("credit_hold")])
        >>> policy = Policy("p", schema, [Directive.text("route_to")], [
        ...     Rule("hold", when=F.credit_hold, then={"route_to": "accounts_receivable"}),
        ... ])
        >>> [finding.customer for finding in check_gaps(policy).findings]
        [(('credit_hold', False),)]
    """
    return _gaps(_Setup(policy, budget, 1))


def check_unmatched(policy: Policy, *, budget: int = DEFAULT_BUDGET) -> AnalysisReport:
    """Find a customer no rule matches (a `Gap` without directive, of severity info).

    Examples:
        >>> from crmculture.stories import acme_policy
        >>> check_unmatched(acme_policy()).findings[0].directive is None
        True
    """
    return _unmatched(_Setup(policy, budget, 1))


def check_rules(policy: Policy, *, budget: int = DEFAULT_BUDGET) -> AnalysisReport:
    """Find dead rules (no customer matches them) and shadowed rules (they match, but never
    determine any directive they set).

    Examples:
        >>> from crmculture import Directive, F, Fact, Policy, Rule, Schema
        >>> schema = Schema([Fact.int("days_overdue", min=0, max=365)])
        >>> route = Directive.text("route_to", default="frontline")
        >>> policy = Policy("p", schema, [route], [
        ...     Rule("late", when=F.days_overdue > 30, then={"route_to": "collections"}),
        ...     Rule("very-late", when=F.days_overdue > 60, then={"route_to": "legal"},
        ...          priority=1),
        ...     Rule("never", when=(F.days_overdue > 60) & (F.days_overdue < 30),
        ...          then={"route_to": "legal"}),
        ... ])
        >>> for finding in check_rules(policy).findings:
        ...     print(finding.kind, finding.rules, finding.customer)
        dead_rule ('never',) ()
        shadowed_rule ('very-late', 'late') (('days_overdue', 61),)
    """
    return _rules(_Setup(policy, budget, 1))


def check_uniformity(
    policy: Policy,
    directives: Iterable[str] | None = None,
    *,
    budget: int = DEFAULT_BUDGET,
    max_findings: int = DEFAULT_MAX_FINDINGS,
) -> AnalysisReport:
    """Find customers treated differently depending on the department that asks.

    Args:
        policy: The policy.
        directives: The directives to check; by default those declared ``uniform``.
        budget: The most boxes each search may look at.
        max_findings: The most distinct findings per directive.

    Examples:
        >>> from crmculture import Directive, F, Fact, Policy, Rule, Schema
        >>> schema = Schema([Fact.bool("credit_hold")])
        >>> route = Directive.text("route_to", default="frontline", uniform=True)
        >>> policy = Policy("p", schema, [route], [
        ...     Rule("hold", when=F.credit_hold, then={"route_to": "accounts_receivable"},
        ...          departments=["sales"]),
        ... ], departments=["engineering", "sales"])
        >>> finding = check_uniformity(policy).findings[0]
        >>> finding.record, finding.values
        ({'credit_hold': True}, (('engineering', 'frontline'), ('sales', 'accounts_receivable')))
    """
    chosen = _directives(policy, directives, lambda d: d.uniform)
    return _uniformity(_Setup(policy, budget, max_findings), chosen)


def check_monotonicity(
    policy: Policy,
    directives: Iterable[str] | None = None,
    *,
    budget: int = DEFAULT_BUDGET,
    max_findings: int = DEFAULT_MAX_FINDINGS,
) -> AnalysisReport:
    """Find a better customer who gets a worse value of a monotone directive.

    "Better" follows each fact's `better` direction: the better customer is at least as good
    on every such fact and equal on every other fact. "Worse value" follows the directive's
    order (``favourable`` direction).

    Args:
        policy: The policy.
        directives: The directives to check; by default those declared ``monotone``. Text
            directives have no order and cannot be checked (`ValueError`).
        budget: The most boxes each search may look at.
        max_findings: The most distinct findings per directive.

    Raises:
        ValueError: for a requested text directive.

    Examples:
        >>> from crmculture import Directive, F, Fact, Policy, Rule, Schema
        >>> schema = Schema([Fact.int("days_overdue", min=0, max=365, better="lower")])
        >>> discount = Directive.int("discount_pct", default=0, combine="max", monotone=True)
        >>> policy = Policy("p", schema, [discount], [
        ...     Rule("oops", when=F.days_overdue > 30, then={"discount_pct": 15}),
        ... ])
        >>> finding = check_monotonicity(policy).findings[0]
        >>> better, worse = finding.record, finding.worse_record
        >>> better, finding.better_value, worse, finding.worse_value
        ({'days_overdue': 30}, 0, {'days_overdue': 31}, 15)
    """
    chosen = _monotone(policy, directives)
    return _monotonicity(_Setup(policy, budget, max_findings), chosen)


def _monotone(policy: Policy, names: Iterable[str] | None) -> list[Directive]:
    chosen = _directives(policy, names, lambda d: d.monotone)
    for directive in chosen:
        if directive.type == "text":
            raise ValueError(
                f"directive `{directive.name}` is a text directive: it has no order, so it "
                "cannot be monotone"
            )
    return chosen


def analyze(
    policy: Policy,
    *,
    checks: Iterable[str] = DEFAULT_CHECKS,
    uniform: Iterable[str] | None = None,
    monotone: Iterable[str] | None = None,
    budget: int = DEFAULT_BUDGET,
    max_findings: int = DEFAULT_MAX_FINDINGS,
) -> AnalysisReport:
    """Run the checks of the verifier over the whole fact space of a policy.

    Args:
        policy: The policy.
        checks: Which checks to run, from `CHECKS`: ``conflicts``, ``gaps``, ``unmatched``
            (customers no rule matches; not run by default), ``rules`` (dead and shadowed
            rules), ``uniformity``, ``monotonicity``.
        uniform: The directives checked for uniformity; by default those declared uniform.
        monotone: The directives checked for monotonicity; by default those declared monotone.
        budget: The most boxes one search may look at; a search that reaches it reports
            ``budget`` in the coverage and the report is not `complete`.
        max_findings: The most distinct findings per directive and check.

    Returns:
        The findings, sorted, each confirmed by the reference interpreter, and the coverage of
        every search.

    Raises:
        ValueError: for an unknown check, or a text directive asked to be monotone.
        UnknownDirectiveError: for an unknown directive name (a `KeyError`).

    Examples:
        >>> from crmculture.stories import acme_policy
        >>> report = analyze(acme_policy())
        >>> report.complete, [finding.kind for finding in report.findings]
        (True, ['monotonicity_break'])
        >>> finding = report.findings[0]
        >>> finding.facts, finding.better_value, finding.worse_value
        (('satisfaction',), 'standard', 'priority')
    """
    chosen = tuple(checks)
    for check in chosen:
        if check not in CHECKS:
            raise ValueError(f"unknown check `{check}`" + did_you_mean(str(check), CHECKS))
    setup = _Setup(policy, budget, max_findings)
    uniform_directives = _directives(policy, uniform, lambda d: d.uniform)
    monotone_directives = _monotone(policy, monotone)
    report = setup.report("", (), ())
    if "conflicts" in chosen:
        report = report.merge(_conflicts(setup))
    if "gaps" in chosen:
        report = report.merge(_gaps(setup))
    if "unmatched" in chosen:
        report = report.merge(_unmatched(setup))
    if "rules" in chosen:
        report = report.merge(_rules(setup))
    if "uniformity" in chosen:
        report = report.merge(_uniformity(setup, uniform_directives))
    if "monotonicity" in chosen:
        report = report.merge(_monotonicity(setup, monotone_directives))
    return report
