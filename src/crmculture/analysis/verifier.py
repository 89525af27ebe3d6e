"""The checks of the verifier, and `analyze`, which runs them all.

Each check is a search of the fact space (see `crmculture.analysis.fact_space`) with a query
that says, for a box of customers, whether the problem is certain there, impossible there, or
which rule to split on. Every box where it is certain gives a witness: the customer made of the
representatives of the box's first cells, re-evaluated with the reference interpreter before the
finding is returned. The searches of each check are in `crmculture.analysis.conflicts`,
`gaps`, `shadowing`, `uniformity` and `monotonicity`, sharing `check_setup`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Final

import attrs

from crmculture.analysis.check_setup import _Setup
from crmculture.analysis.conflicts import _conflicts
from crmculture.analysis.fact_space import department_contexts
from crmculture.analysis.gaps import _gaps, _unmatched
from crmculture.analysis.monotonicity import _monotonicity
from crmculture.analysis.promises import _promise_setup, _promises
from crmculture.analysis.report import AnalysisReport
from crmculture.analysis.shadowing import _rules
from crmculture.analysis.uniformity import _uniformity
from crmculture.errors import UnknownDirectiveError, did_you_mean
from crmculture.model.directives import Directive
from crmculture.model.policies import Policy, require_policy
from crmculture.model.promises import Promise

__all__ = [
    "CHECKS",
    "DEFAULT_BUDGET",
    "DEFAULT_CHECKS",
    "DEFAULT_MAX_FINDINGS",
    "analyze",
    "check_conflicts",
    "check_gaps",
    "check_monotonicity",
    "check_promises",
    "check_rules",
    "check_uniformity",
    "check_unmatched",
]

CHECKS: Final = (
    "conflicts",
    "gaps",
    "unmatched",
    "rules",
    "uniformity",
    "monotonicity",
    "promises",
)
"""Every check `analyze` knows."""
DEFAULT_CHECKS: Final = ("conflicts", "gaps", "rules", "uniformity", "monotonicity", "promises")
"""The checks `analyze` runs unless told otherwise (``unmatched`` is on request)."""
DEFAULT_BUDGET: Final = 200_000
"""The most boxes one search may look at."""
DEFAULT_MAX_FINDINGS: Final = 5
"""The most distinct findings one search reports (per directive, for conflicts, non-uniform
treatment and monotonicity breaks)."""


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


def check_promises(
    policy: Policy,
    promises: Iterable[str | Promise] | None = None,
    *,
    budget: int = DEFAULT_BUDGET,
) -> AnalysisReport:
    """Prove each of the policy's promises over the whole fact space, or refute it.

    A promise is proven when no valid customer, asking any department in its scope, for whom
    its `when` holds gets a decision that breaks its `then`. A refuted promise is a
    `BrokenPromise` with a customer, the department, the directives' values and the rules that
    decided them, re-evaluated by the reference interpreter. A search that runs out of budget
    is an `UnprovenPromise` (and the report is not `complete`): never a silent pass.

    Args:
        policy: The policy.
        promises: The promises to check, by id, or `crmculture.Promise` values the policy
            does not hold (checked against its schema and directives first); by default
            every promise of the policy.
        budget: The most boxes each promise's search may look at.

    Raises:
        KeyError: for an unknown promise id (with a did-you-mean).
        PolicyError: for a given promise that does not fit the policy.

    Examples:
        >>> from crmculture import D, Directive, F, Fact, Policy, Promise, Rule, Schema
        >>> schema = Schema([Fact.bool("credit_hold"), Fact.int("volume", min=0)])
        >>> discount = Directive.int("discount_pct", min=0, max=30, default=0, combine="max")
        >>> rules = [Rule("big", when=F.volume >= 1000, then={"discount_pct": 20})]
        >>> promises = [Promise("no-discount-on-hold", when=F.credit_hold,
        ...                     then={"discount_pct": 0}),
        ...             Promise("cap", when=True, then=D.discount_pct <= 25)]
        >>> policy = Policy("p", schema, [discount], rules, promises=promises)
        >>> report = check_promises(policy)
        >>> [(f.promise, f.record, f.values, f.rules) for f in report.findings]
        [('no-discount-on-hold', {'credit_hold': True, 'volume': 1000}, (('discount_pct', 20),), ('big',))]
        >>> report.clean("promises", "cap")
        True

        An overriding rule keeps the promise, without touching the reward rule:

        >>> hold = Rule("credit-hold", when=F.credit_hold, then={"discount_pct": 0},
        ...             overrides=True)
        >>> check_promises(policy.with_rules(hold)).clean("promises")
        True
    """  # noqa: E501 - a finding's repr is one line
    chosen = policy.promises
    if promises is not None:
        if isinstance(promises, str):
            raise TypeError(f"expected a list of promise ids, got the string `{promises}`")
        chosen = tuple(
            item if isinstance(item, Promise) else policy.promise(item) for item in promises
        )
        if any(promise not in policy.promises for promise in chosen):
            # The policy checks the promises (and normalizes their constants).
            policy = attrs.evolve(policy, promises=chosen)
            chosen = policy.promises
    if not chosen:
        # Nothing to prove: no need to build the fact space.
        return AnalysisReport(
            policy.name, policy.version, (), (), department_contexts(policy), ("promises",)
        )
    return _promises(_promise_setup(policy, budget, 1), chosen)


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
    promises: Iterable[str] | None = None,
    budget: int = DEFAULT_BUDGET,
    max_findings: int = DEFAULT_MAX_FINDINGS,
    as_of: dt.date | None = None,
) -> AnalysisReport:
    """Run the checks of the verifier over the whole fact space of a policy.

    Args:
        policy: The policy.
        checks: Which checks to run, from `CHECKS`: ``conflicts``, ``gaps``, ``unmatched``
            (customers no rule matches; not run by default), ``rules`` (dead and shadowed
            rules), ``uniformity``, ``monotonicity``, ``promises`` (see `check_promises`).
        uniform: The directives checked for uniformity; by default those declared uniform.
        monotone: The directives checked for monotonicity; by default those declared monotone.
        promises: The ids of the promises to check (``promises`` check); by default every one.
        budget: The most boxes one search may look at; a search that reaches it reports
            ``budget`` in the coverage and the report is not `complete`.
        max_findings: The most distinct findings per directive and check.
        as_of: Analyse the policy as it decides on this day (``policy.at(as_of)``: dates
            relative to it resolved, rules out of force never matching); required when the
            policy uses the as-of date.

    Returns:
        The findings, sorted, each confirmed by the reference interpreter, and the coverage of
        every search.

    Raises:
        ValueError: for an unknown check, or a text directive asked to be monotone.
        UnknownDirectiveError: for an unknown directive name (a `KeyError`).
        AsOfRequiredError: when the policy uses the as-of date and `as_of` is None.

    Examples:
        >>> from crmculture.stories import acme_policy
        >>> from crmculture import F, Rule
        >>> report = analyze(acme_policy())
        >>> report.complete, report.findings
        (True, ())
        >>> unhappy = Rule("unhappy", when=F.satisfaction < 5, then={"service_level": "priority"})
        >>> report = analyze(acme_policy().with_rules(unhappy))
        >>> report.complete, [finding.kind for finding in report.findings]
        (True, ['monotonicity_break'])
        >>> finding = report.findings[0]
        >>> finding.facts, finding.better_value, finding.worse_value, finding.rules
        (('satisfaction',), 'standard', 'priority', ('unhappy',))
    """
    policy = require_policy(policy, "policy")
    if as_of is not None:
        policy = policy.at(as_of)
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
    if "promises" in chosen:
        report = report.merge(check_promises(policy, promises, budget=budget))
    return report
