"""What the verifier finds: findings with witnesses, and how a witness is confirmed.

Every finding that concerns customers carries a *witness*: a concrete customer (and the
department that asks) for which the reference interpreter reproduces the problem. Every finding
holds its customer in one shape, `Customer`: ``(fact, value)`` pairs in schema order, a frozen
and hashable value like the finding itself; its ``record`` property gives the same customer as a
dict, a record the evaluators and `crmculture.Culture.journey` accept. The verifier
re-evaluates every witness before it returns a finding (`outcomes_for`); a witness that does not
reproduce is a bug in the verifier and raises `AnalysisError` rather than being reported or
silently dropped. The report that holds the findings, and what each search covered, is in
`crmculture.analysis.report`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, TypeAlias

import attrs

from crmculture.analysis.outcomes import Undetermined, show_outcome
from crmculture.errors import (
    AnalysisError,
    ConflictError,
    CrmCultureError,
    EvaluationError,
    UndecidedError,
)
from crmculture.evaluate.combine import DirectiveOutcome, combine
from crmculture.evaluate.reference import ReferenceEvaluator
from crmculture.evaluate.truth import rule_matches
from crmculture.model.policies import Policy
from crmculture.model.values import canonical_json, json_value, value_text

__all__ = [
    "AnalysisError",
    "BrokenPromise",
    "Conflict",
    "DeadRule",
    "Finding",
    "Gap",
    "MonotonicityBreak",
    "NonUniform",
    "Severity",
    "ShadowedRule",
    "UnprovenPromise",
    "outcomes_for",
]


class Severity(enum.Enum):
    """How serious a finding is."""

    ERROR = "error"
    """The policy breaks its own contract: some customer makes evaluation fail, or is treated
    in a way the policy declares forbidden (non-uniform, non-monotone)."""
    WARNING = "warning"
    """Probably a mistake: a rule that can never act, or a requested property that fails."""
    INFO = "info"
    """Worth knowing: customers no rule talks about."""

    def __repr__(self) -> str:
        return f"Severity.{self.name}"


_SEVERITY_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}

Customer: TypeAlias = tuple[tuple[str, Any], ...]
"""A finding's customer: ``(fact, value)`` pairs in schema order. The verifier's witnesses
give every fact (None when missing); the org analysis's examples leave out the optional facts
the segment does not decide. ``dict(customer)`` is a record the evaluators accept."""


def _show_customer(pairs: Customer) -> str:
    return ", ".join(f"{name}={value_text(value)}" for name, value in pairs)


def _show_department(department: str | None) -> str:
    return "no department" if department is None else f"`{department}`"


def _ids(ids: Iterable[str]) -> str:
    return ", ".join(f"`{rule}`" for rule in ids)


def _json_key(value: Any) -> str:
    if isinstance(value, Undetermined):
        return f"<{value.value}>"
    return canonical_json(json_value(value))


@attrs.frozen
class Conflict:
    """Matching rules set a ``unique`` directive to different values for one customer.

    Attributes:
        directive: The directive.
        values: ``(rule id, value)`` for every matching rule that sets it, at the witness.
        customer: The witness, as ``(fact, value)`` pairs; `record` gives a dict.
        departments: The departments asking which the customer meets the conflict (None: a
            decision without department, or any department the policy does not name).
        severity: Always `Severity.ERROR`: evaluation raises `crmculture.ConflictError`.
    """

    kind: ClassVar[str] = "conflict"
    directive: str
    values: tuple[tuple[str, Any], ...]
    customer: Customer
    departments: tuple[str | None, ...]
    severity: Severity = Severity.ERROR

    @property
    def rules(self) -> tuple[str, ...]:
        """The ids of the conflicting rules."""
        return tuple(rule for rule, _ in self.values)

    @property
    def directives(self) -> tuple[str, ...]:
        """The directive involved."""
        return (self.directive,)

    @property
    def record(self) -> dict[str, Any]:
        """The customer as a dict, a record the evaluators accept."""
        return dict(self.customer)

    @property
    def department(self) -> str | None:
        """The department of the witness decision."""
        return self.departments[0]

    def __str__(self) -> str:
        listed = ", ".join(f"`{rule}` sets {show_outcome(v)}" for rule, v in self.values)
        return (
            f"{self.severity.value}: conflict on unique directive `{self.directive}`: {listed} "
            f"for {_show_customer(self.customer)} ({_show_department(self.department)})"
        )


@attrs.frozen
class Gap:
    """A customer for whom a directive without default gets no value (or, with `directive`
    None, a customer no rule matches at all).

    Attributes:
        directive: The directive left undecided, or None for customers no rule matches.
        customer: The witness, as ``(fact, value)`` pairs; `record` gives a dict.
        departments: The departments asking which the customer falls in the gap.
        severity: `Severity.ERROR` for a directive (evaluation raises
            `crmculture.UndecidedError`), `Severity.INFO` for customers no rule matches.
    """

    kind: ClassVar[str] = "gap"
    directive: str | None
    customer: Customer
    departments: tuple[str | None, ...]
    severity: Severity = Severity.ERROR

    @property
    def rules(self) -> tuple[str, ...]:
        """No rule is involved: that is the point."""
        return ()

    @property
    def directives(self) -> tuple[str, ...]:
        """The undecided directive, if any."""
        return () if self.directive is None else (self.directive,)

    @property
    def record(self) -> dict[str, Any]:
        """The customer as a dict, a record the evaluators accept."""
        return dict(self.customer)

    @property
    def department(self) -> str | None:
        """The department of the witness decision."""
        return self.departments[0]

    def __str__(self) -> str:
        what = (
            "no rule matches"
            if self.directive is None
            else f"directive `{self.directive}` has no default and no rule sets it"
        )
        return (
            f"{self.severity.value}: gap: {what} for {_show_customer(self.customer)} "
            f"({_show_department(self.department)})"
        )


@attrs.frozen
class DeadRule:
    """A rule that no valid customer matches, in any department it applies to.

    There is no witness: the finding is the proof that none exists (the search covered the
    whole fact space). Its customer is empty, so that every finding has one.

    Attributes:
        rule: The rule's id.
        directives: The directives it would set.
        severity: `Severity.WARNING`.
        customer: Always ``()``.
        departments: Always ``()``.
    """

    kind: ClassVar[str] = "dead_rule"
    rule: str
    directives: tuple[str, ...]
    severity: Severity = Severity.WARNING
    customer: Customer = ()
    departments: tuple[str | None, ...] = ()

    @property
    def rules(self) -> tuple[str, ...]:
        """The dead rule."""
        return (self.rule,)

    @property
    def record(self) -> dict[str, Any]:
        """No customer: an empty dict."""
        return dict(self.customer)

    def __str__(self) -> str:
        return (
            f"{self.severity.value}: dead rule `{self.rule}`: no customer within the schema's "
            "domains matches it"
        )


@attrs.frozen
class ShadowedRule:
    """A rule that matches some customers but never determines any directive it sets: where
    it matches, other rules always win (or its directive always conflicts).

    Attributes:
        rule: The rule's id.
        directives: The directives it sets.
        overridden_by: At the witness, the rules that determined those directives.
        customer: A customer the rule matches, where it determines nothing (the witness).
        departments: The department of the witness decision.
        severity: `Severity.WARNING`.
    """

    kind: ClassVar[str] = "shadowed_rule"
    rule: str
    directives: tuple[str, ...]
    overridden_by: tuple[str, ...]
    customer: Customer
    departments: tuple[str | None, ...]
    severity: Severity = Severity.WARNING

    @property
    def rules(self) -> tuple[str, ...]:
        """The shadowed rule, then the rules that won at the witness."""
        return (self.rule, *self.overridden_by)

    @property
    def record(self) -> dict[str, Any]:
        """The customer as a dict, a record the evaluators accept."""
        return dict(self.customer)

    @property
    def department(self) -> str | None:
        """The department of the witness decision."""
        return self.departments[0]

    def __str__(self) -> str:
        return (
            f"{self.severity.value}: shadowed rule `{self.rule}`: it matches customers but never "
            f"determines {_ids(self.directives)}; e.g. for "
            f"{_show_customer(self.customer)} ({_show_department(self.department)}) "
            f"{_ids(self.overridden_by) or 'no rule'} decide instead"
        )


@attrs.frozen
class NonUniform:
    """One customer gets different values of a directive depending on the department asking.

    Attributes:
        directive: The directive.
        values: ``(department, outcome)`` for every department compared, at the witness.
        customer: The witness, as ``(fact, value)`` pairs; `record` gives a dict.
        departments: Two departments that disagree (the first compared one and the first
            that differs from it).
        rules: The rules that determined the differing values.
        severity: `Severity.ERROR` for a directive declared uniform, `Severity.WARNING` for
            one checked on request.
    """

    kind: ClassVar[str] = "non_uniform"
    directive: str
    values: tuple[tuple[str | None, Any], ...]
    customer: Customer
    departments: tuple[str | None, ...]
    rules: tuple[str, ...]
    severity: Severity = Severity.ERROR

    @property
    def directives(self) -> tuple[str, ...]:
        """The directive involved."""
        return (self.directive,)

    @property
    def record(self) -> dict[str, Any]:
        """The customer as a dict, a record the evaluators accept."""
        return dict(self.customer)

    def value_in(self, department: str | None) -> Any:
        """The directive's outcome at the witness when `department` asks."""
        return dict(self.values)[department]

    def __str__(self) -> str:
        first, second = self.departments
        return (
            f"{self.severity.value}: non-uniform `{self.directive}`: "
            f"{show_outcome(self.value_in(first))} when {_show_department(first)} asks, "
            f"{show_outcome(self.value_in(second))} when {_show_department(second)} asks, "
            f"for {_show_customer(self.customer)}"
        )


@attrs.frozen
class MonotonicityBreak:
    """A better customer gets a worse value of a monotone directive than a worse customer.

    The better customer is at least as good on every fact that has a `better` direction and
    equal on every other fact (a missing value is comparable only with missing).

    Attributes:
        directive: The directive.
        customer: The better customer (the witness); `record` gives a dict.
        worse: The worse customer, in the same shape; `worse_record` gives a dict.
        better_value: The directive's value for the better customer.
        worse_value: The value for the worse customer: more favourable, which is the break.
        facts: The facts on which the two customers differ.
        rules: The rules that determined the two values.
        departments: The department asking, for both.
        severity: `Severity.ERROR` for a directive declared monotone, `Severity.WARNING` for
            one checked on request.
    """

    kind: ClassVar[str] = "monotonicity_break"
    directive: str
    customer: Customer
    worse: Customer
    better_value: Any
    worse_value: Any
    facts: tuple[str, ...]
    rules: tuple[str, ...]
    departments: tuple[str | None, ...]
    severity: Severity = Severity.ERROR

    @property
    def directives(self) -> tuple[str, ...]:
        """The directive involved."""
        return (self.directive,)

    @property
    def record(self) -> dict[str, Any]:
        """The better customer as a dict, a record the evaluators accept."""
        return dict(self.customer)

    @property
    def worse_record(self) -> dict[str, Any]:
        """The worse customer as a dict."""
        return dict(self.worse)

    @property
    def department(self) -> str | None:
        """The department asking."""
        return self.departments[0]

    def __str__(self) -> str:
        better = self.record
        worse = self.worse_record
        changes = ", ".join(
            f"{fact} {value_text(better[fact])} instead of {value_text(worse[fact])}"
            for fact in self.facts
        )
        return (
            f"{self.severity.value}: monotonicity break on `{self.directive}`: a customer with "
            f"{changes} gets {show_outcome(self.better_value)} instead of "
            f"{show_outcome(self.worse_value)} ({_show_department(self.department)}); "
            f"otherwise {_show_customer(tuple(p for p in self.customer if p[0] not in self.facts))}"
        )


@attrs.frozen
class BrokenPromise:
    """A customer for whom the decision breaks one of the policy's promises.

    Attributes:
        promise: The promise's id.
        values: ``(directive, outcome)`` for every directive the promise names, at the
            witness (an outcome is a value, or an `Undetermined` member when no decision can
            be made).
        customer: The witness, as ``(fact, value)`` pairs; `record` gives a dict.
        departments: The department asking (the witness decision's).
        rules: The rules that decided those directives at the witness: the rules that break
            the promise.
        rationale: The promise's rationale.
        severity: Always `Severity.ERROR`: the culture does not keep its word.
    """

    kind: ClassVar[str] = "broken_promise"
    promise: str
    values: tuple[tuple[str, Any], ...]
    customer: Customer
    departments: tuple[str | None, ...]
    rules: tuple[str, ...]
    rationale: str = ""
    severity: Severity = Severity.ERROR

    @property
    def directives(self) -> tuple[str, ...]:
        """The directives the promise names."""
        return tuple(name for name, _ in self.values)

    @property
    def record(self) -> dict[str, Any]:
        """The customer as a dict, a record the evaluators accept."""
        return dict(self.customer)

    @property
    def department(self) -> str | None:
        """The department asking."""
        return self.departments[0]

    def __str__(self) -> str:
        values = ", ".join(f"{name} = {show_outcome(value)}" for name, value in self.values)
        decided = f", decided by {_ids(self.rules)}" if self.rules else " (defaults)"
        return (
            f"{self.severity.value}: broken promise `{self.promise}`: "
            f"{_show_customer(self.customer)} ({_show_department(self.department)}) gets "
            f"{values}{decided}"
        )


@attrs.frozen
class UnprovenPromise:
    """A promise the verifier could neither prove nor refute within its budget.

    There is no witness: no broken customer was found in the part of the fact space the
    search covered, and nothing is claimed about the rest. Raise the budget to finish the
    proof.

    Attributes:
        promise: The promise's id.
        directives: The directives it names.
        covered: The share of the customers in its scope the search resolved.
        severity: `Severity.WARNING`: the proof is incomplete.
        customer: Always ``()``.
        departments: Always ``()``.
    """

    kind: ClassVar[str] = "unproven_promise"
    promise: str
    directives: tuple[str, ...]
    covered: Any
    severity: Severity = Severity.WARNING
    customer: Customer = ()
    departments: tuple[str | None, ...] = ()

    @property
    def rules(self) -> tuple[str, ...]:
        """No rule is blamed."""
        return ()

    @property
    def record(self) -> dict[str, Any]:
        """No customer: an empty dict."""
        return dict(self.customer)

    def __str__(self) -> str:
        percent = f"{float(self.covered) * 100:.1f}%"
        return (
            f"{self.severity.value}: promise `{self.promise}` is not proved: the search budget "
            f"ran out with {percent} of the customers covered (no broken customer among them)"
        )


Finding: TypeAlias = (
    Conflict
    | Gap
    | DeadRule
    | ShadowedRule
    | NonUniform
    | MonotonicityBreak
    | BrokenPromise
    | UnprovenPromise
)
"""Any finding."""

KINDS: tuple[str, ...] = (
    "conflict",
    "gap",
    "dead_rule",
    "shadowed_rule",
    "non_uniform",
    "monotonicity_break",
    "broken_promise",
    "unproven_promise",
)


def finding_key(finding: Finding) -> tuple[Any, ...]:
    """The deterministic sort key of findings: severity, kind, directives, rules, witness."""
    return (
        _SEVERITY_RANK[finding.severity],
        KINDS.index(finding.kind),
        finding.directives,
        finding.rules,
        tuple("" if d is None else "~" + d for d in finding.departments),
        canonical_json(json_value(finding.record)),
    )


def _outcome(outcome: DirectiveOutcome | EvaluationError) -> Any:
    if isinstance(outcome, ConflictError):
        return Undetermined.CONFLICT
    if isinstance(outcome, UndecidedError):
        return Undetermined.UNDECIDED
    assert isinstance(outcome, DirectiveOutcome)
    return outcome.value


@attrs.frozen
class Evaluated:
    """A witness re-evaluated by the reference interpreter.

    Attributes:
        matched: The ids of the matching rules.
        outcomes: Directive name to its value, or an `Undetermined` member when evaluating it
            raises.
        determined_by: Directive name to the ids of the rules that determined it (empty for a
            default or an error).
        contributions: Directive name to ``(rule id, value)`` of every matching rule setting it.
    """

    matched: tuple[str, ...]
    outcomes: Mapping[str, Any]
    determined_by: Mapping[str, tuple[str, ...]]
    contributions: Mapping[str, tuple[tuple[str, Any], ...]]


def outcomes_for(policy: Policy, customer: Mapping[str, Any], department: str | None) -> Evaluated:
    """Re-evaluate a witness with the reference interpreter, directive by directive.

    The whole decision comes from `crmculture.ReferenceEvaluator`. When it raises (a conflict
    or an undecided directive anywhere in the decision), each directive is evaluated on its own
    with the interpreter's own parts (`rule_matches`, `combine`), so that one directive's error
    does not hide another's outcome.

    Raises:
        AnalysisError: when the witness is not a valid customer (a bug in the verifier).

    Examples:
        >>> from crmculture.stories import acme_policy
        >>> evaluated = outcomes_for(acme_policy(), {"credit_hold": True, "days_overdue": 0,
        ...     "annual_volume": 1, "tier": "gold"}, "engineering")
        >>> evaluated.outcomes["route_to"], evaluated.determined_by["route_to"]
        ('accounts_receivable', ('credit-hold',))
    """
    try:
        decision = ReferenceEvaluator(policy).decide(customer, department)
    except EvaluationError:
        pass
    except CrmCultureError as error:
        raise AnalysisError(f"the verifier built an invalid witness: {error}") from error
    else:
        outcomes = decision.outcomes
        return Evaluated(
            decision.matched,
            {name: o.value for name, o in outcomes.items()},
            {name: o.determined_by for name, o in outcomes.items()},
            {
                name: tuple(
                    (rule.id, value)
                    for rule in policy.effective_rules
                    if rule.id in decision.matched
                    for key, value in rule.then
                    if key == name
                )
                for name in outcomes
            },
        )
    facts = dict(zip(policy.schema.names, policy.schema.normalize(customer), strict=True))
    flags = rule_matches(policy, facts, department)
    matched = [rule for rule, hit in zip(policy.effective_rules, flags, strict=True) if hit]
    values: dict[str, Any] = {}
    determined: dict[str, tuple[str, ...]] = {}
    contributions: dict[str, tuple[tuple[str, Any], ...]] = {}
    for directive in policy.directives:
        pairs = [
            (rule, value) for rule in matched for name, value in rule.then if name == directive.name
        ]
        contributions[directive.name] = tuple((rule.id, value) for rule, value in pairs)
        try:
            outcome = combine(directive, pairs)
        except EvaluationError as error:
            values[directive.name] = _outcome(error)
            determined[directive.name] = ()
        else:
            values[directive.name] = outcome.value
            determined[directive.name] = outcome.determined_by
    return Evaluated(tuple(rule.id for rule in matched), values, determined, contributions)


def confirm(condition: bool, what: str) -> None:
    """Raise `AnalysisError` unless the reference interpreter confirmed a witness."""
    if not condition:
        raise AnalysisError(f"the reference interpreter does not confirm {what}")


def as_witness(policy: Policy, customer: Mapping[str, Any]) -> Customer:
    """A witness as a finding's `Customer`: every fact of the schema, in order."""
    return tuple((name, customer.get(name)) for name in policy.schema.names)


def sort_key(value: Any) -> str:
    """A deterministic key for outcomes of one directive (for de-duplicating findings)."""
    return _json_key(value)
