"""Rule coverage: which rules and clauses a set of customers exercised.

`coverage` evaluates a policy for a set of customers (a test suite's examples, or production
records) and reports, for each rule, how often it matched, how often it determined a
directive, and which clauses of its condition ever decided its outcome.

A *clause* is an atom of the rule's condition (a comparison, membership, range or missing
test) or a negated atom (``not credit_hold``), counted once per occurrence. A clause
*decided* the outcome for a customer when flipping that clause's truth alone, the others
kept, flips the whole condition: this is the independence criterion of MC/DC (modified
condition/decision coverage). A clause is covered both ways when it decided a true outcome
for some customer and a false one for another; ``made_true`` and ``made_false`` count those
customers. Clauses of a rule out of scope for the asking department are not counted: the
rule's condition is not consulted there.

Examples:
    >>> from crmculture.stories import acme_policy, example_customers
    >>> report = coverage(acme_policy(), example_customers().values())
    >>> report.never_matched, report.never_determined
    (('support-many-tickets',), ('support-many-tickets', 'resellers-to-partners'))
    >>> report.partial_clauses[-1]
    ('resellers-to-partners', 'not credit_hold')
    >>> print(report.summary().splitlines()[0])
    coverage of policy `acme` version 2026.11 over 4 customers: 5 of 6 rules matched
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, assert_never

import attrs
from hypothesis.errors import InvalidArgument

from crmculture.analysis.findings import outcomes_for
from crmculture.errors import UnknownRuleError, did_you_mean
from crmculture.evaluate.decision import Decision
from crmculture.evaluate.truth import holds
from crmculture.model.conditions import And, Atom, Condition, Const, Not, Or
from crmculture.model.facts import Schema
from crmculture.model.policies import Policy

__all__ = ["ClauseCoverage", "CoverageReport", "RuleCoverage", "coverage"]


@attrs.frozen
class ClauseCoverage:
    """How often one clause of a rule's condition decided the rule's outcome.

    Attributes:
        clause: The clause as condition text, e.g. ``days_overdue > 60``.
        position: Its position among the rule's clauses (0-based, left to right).
        made_true: Customers for whom the condition held and flipping this clause alone
            would make it fail.
        made_false: Customers for whom the condition failed and flipping this clause alone
            would make it hold.
    """

    clause: str
    position: int
    made_true: int = 0
    made_false: int = 0

    @property
    def covered(self) -> bool:
        """Whether the clause decided the outcome both ways (MC/DC independence)."""
        return self.made_true > 0 and self.made_false > 0

    @property
    def never_decided(self) -> bool:
        """Whether the clause never decided the outcome at all."""
        return self.made_true == 0 and self.made_false == 0

    def to_dict(self) -> dict[str, Any]:
        """The clause's counts as a JSON-ready dict."""
        return {
            "clause": self.clause,
            "position": self.position,
            "made_true": self.made_true,
            "made_false": self.made_false,
        }


@attrs.frozen
class RuleCoverage:
    """How one rule was exercised.

    Attributes:
        rule: The rule id.
        in_scope: Customers whose asking department the rule applies to.
        matched: Customers the rule matched (in scope and true).
        determined: Customers for whom it determined at least one directive.
        clauses: Each clause of its condition, left to right.
    """

    rule: str
    in_scope: int
    matched: int
    determined: int
    clauses: tuple[ClauseCoverage, ...]

    def to_dict(self) -> dict[str, Any]:
        """The rule's counts as a JSON-ready dict."""
        return {
            "rule": self.rule,
            "in_scope": self.in_scope,
            "matched": self.matched,
            "determined": self.determined,
            "clauses": [clause.to_dict() for clause in self.clauses],
        }


@attrs.frozen
class CoverageReport:
    """Which rules and clauses a set of customers exercised; see `coverage`.

    Attributes:
        policy: The policy's name.
        version: The policy's version.
        customers: How many customers (decisions) were evaluated.
        rules: One entry per rule, in the policy's ``effective_rules`` order.
    """

    policy: str
    version: str
    customers: int
    rules: tuple[RuleCoverage, ...]

    @property
    def never_matched(self) -> tuple[str, ...]:
        """The rules no customer matched."""
        return tuple(r.rule for r in self.rules if r.matched == 0)

    @property
    def never_determined(self) -> tuple[str, ...]:
        """The rules that never determined a directive (whether or not they matched)."""
        return tuple(r.rule for r in self.rules if r.determined == 0)

    @property
    def undecided_clauses(self) -> tuple[tuple[str, str], ...]:
        """``(rule id, clause)`` for every clause that never decided its rule's outcome."""
        return tuple((r.rule, c.clause) for r in self.rules for c in r.clauses if c.never_decided)

    @property
    def partial_clauses(self) -> tuple[tuple[str, str], ...]:
        """``(rule id, clause)`` for every clause that decided only one way."""
        return tuple(
            (r.rule, c.clause)
            for r in self.rules
            for c in r.clauses
            if not c.covered and not c.never_decided
        )

    @property
    def complete(self) -> bool:
        """Whether every rule matched and determined something and every clause was
        covered both ways."""
        return not (
            self.never_matched
            or self.never_determined
            or self.undecided_clauses
            or self.partial_clauses
        )

    def rule(self, rule_id: str) -> RuleCoverage:
        """The coverage of one rule.

        Raises:
            UnknownRuleError: (a `KeyError`) with a did-you-mean, for an unknown rule id.
        """
        for entry in self.rules:
            if entry.rule == rule_id:
                return entry
        raise UnknownRuleError(rule_id, [entry.rule for entry in self.rules])

    def summary(self) -> str:
        """The report as text: what was never exercised first, then rule by rule."""
        matched = sum(1 for r in self.rules if r.matched)
        lines = [
            f"coverage of policy `{self.policy}` version {self.version} over "
            f"{self.customers} customers: {matched} of {len(self.rules)} rules matched"
        ]

        def listed(title: str, ids: Iterable[str]) -> None:
            shown = [f"`{rule}`" for rule in ids]
            if shown:
                lines.append(f"  {title} ({len(shown)}): " + ", ".join(shown))

        listed("never matched", self.never_matched)
        listed("never determined a directive", self.never_determined)
        undecided = [f"`{rule}`: {clause}" for rule, clause in self.undecided_clauses]
        if undecided:
            lines.append(f"  clauses that never decided their rule ({len(undecided)}):")
            lines.extend(f"    {line}" for line in undecided)
        partial = [f"`{rule}`: {clause}" for rule, clause in self.partial_clauses]
        if partial:
            lines.append(f"  clauses that decided one way only ({len(partial)}):")
            lines.extend(f"    {line}" for line in partial)
        lines.append("  rule by rule (matched/in scope, determined; clause: made true/false):")
        for r in self.rules:
            clauses = ", ".join(f"{c.clause}: {c.made_true}/{c.made_false}" for c in r.clauses)
            lines.append(
                f"    {r.rule}: {r.matched}/{r.in_scope}, {r.determined}"
                + (f"; {clauses}" if clauses else "")
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict."""
        return {
            "policy": self.policy,
            "version": self.version,
            "customers": self.customers,
            "never_matched": list(self.never_matched),
            "never_determined": list(self.never_determined),
            "undecided_clauses": [list(pair) for pair in self.undecided_clauses],
            "partial_clauses": [list(pair) for pair in self.partial_clauses],
            "rules": [r.to_dict() for r in self.rules],
        }


# -- evaluation with one clause flipped -------------------------------------------------------


def _is_clause(node: Condition) -> bool:
    """An atom, or a negated atom (``not credit_hold`` is one clause)."""
    return isinstance(node, Atom) or (isinstance(node, Not) and isinstance(node.item, Atom))


def _clauses(condition: Condition) -> list[Condition]:
    """The clauses of a condition, left to right, one per occurrence."""
    found: list[Condition] = []

    def visit(node: Condition) -> None:
        if _is_clause(node):
            found.append(node)
            return
        for child in node.children():
            visit(child)

    visit(condition)
    return found


def _value(node: Condition, truths: list[bool], counter: list[int]) -> bool:
    """Evaluate `node` reading clause truths in left-to-right order from `truths`."""
    if isinstance(node, Atom) or _is_clause(node):  # `isinstance` tells mypy atoms end here
        index = counter[0]
        counter[0] += 1
        return truths[index]
    if isinstance(node, Const):
        return node.value
    if isinstance(node, Not):
        return not _value(node.item, truths, counter)
    if isinstance(node, And | Or):
        # Evaluate every child (no short circuit) so that clause positions stay aligned.
        values = [_value(item, truths, counter) for item in node.items]
        return all(values) if isinstance(node, And) else any(values)
    assert_never(node)


def _deciding(
    condition: Condition, clauses: list[Condition], facts: Mapping[str, Any], schema: Schema
) -> tuple[bool, list[bool]]:
    """The condition's outcome, and for each clause whether flipping it alone flips it."""
    truths = [holds(clause, facts, schema) for clause in clauses]
    outcome = _value(condition, truths, [0])
    deciding = []
    for index in range(len(clauses)):
        flipped = list(truths)
        flipped[index] = not flipped[index]
        deciding.append(_value(condition, flipped, [0]) is not outcome)
    return outcome, deciding


def coverage(
    policy: Policy, customers: Iterable[Mapping[str, Any] | Decision], department: str | None = None
) -> CoverageReport:
    """Evaluate `policy` for `customers` and report which rules and clauses they exercised.

    Args:
        policy: The policy.
        customers: Customer records, or decisions of `policy` (each then counts with its own
            department).
        department: The department asking for the records (None: decisions without
            department).

    Returns:
        The report: rules never matched, rules that never determined a directive, and clauses
        that never decided (or decided only one way) their rule's outcome.

    Raises:
        InvalidCustomer: for an invalid record (nothing is counted from bad data).
        InvalidArgument: for a `policy` that is not a Policy, a decision of another policy,
            or an unknown department.

    Examples:
        >>> from crmculture.stories import acme_policy
        >>> customer = {"credit_hold": True, "days_overdue": 0, "annual_volume": 0,
        ...             "tier": "gold"}
        >>> report = coverage(acme_policy(), [customer])
        >>> for clause in report.rule("credit-hold").clauses:
        ...     print(clause.clause, clause.made_true, clause.made_false)
        credit_hold 1 0
        days_overdue > 60 0 0
    """
    if not isinstance(policy, Policy):
        raise InvalidArgument(f"coverage() needs a Policy, not {type(policy).__name__}")
    if (
        department is not None
        and policy.departments is not None
        and department not in policy.departments
    ):
        raise InvalidArgument(
            f"coverage(): unknown department `{department}`"
            + did_you_mean(str(department), policy.departments)
        )
    if isinstance(customers, Mapping | Decision) or not isinstance(customers, Iterable):
        raise InvalidArgument(
            f"coverage(): customers must be an iterable of records or decisions: {customers!r}"
        )
    schema = policy.schema
    rules = policy.effective_rules
    atoms = [_clauses(rule.when) for rule in rules]
    in_scope = [0] * len(rules)
    matched = [0] * len(rules)
    determined = [0] * len(rules)
    made = [[[0, 0] for _ in rule_atoms] for rule_atoms in atoms]
    count = 0
    for item in customers:
        if isinstance(item, Decision):
            if item.policy.fingerprint != policy.fingerprint:
                raise InvalidArgument(
                    f"coverage(): a decision of policy `{item.policy.name}` version "
                    f"{item.policy.version}, not of `{policy.name}` version {policy.version}"
                )
            facts: Mapping[str, Any] = item.customer
            asked = item.department
        else:
            facts = schema.validate(item)
            asked = department
        count += 1
        evaluated = outcomes_for(policy, facts, asked)
        deciders = {rule for ids in evaluated.determined_by.values() for rule in ids}
        hits = set(evaluated.matched)
        for index, rule in enumerate(rules):
            if not rule.applies_to(asked):
                continue
            in_scope[index] += 1
            matched[index] += rule.id in hits
            determined[index] += rule.id in deciders
            outcome, deciding = _deciding(rule.when, atoms[index], facts, schema)
            for position, decided in enumerate(deciding):
                if decided:
                    made[index][position][0 if outcome else 1] += 1
    return CoverageReport(
        policy.name,
        policy.version,
        count,
        tuple(
            RuleCoverage(
                rule.id,
                in_scope[index],
                matched[index],
                determined[index],
                tuple(
                    ClauseCoverage(str(atom), position, *made[index][position])
                    for position, atom in enumerate(atoms[index])
                ),
            )
            for index, rule in enumerate(rules)
        ),
    )
