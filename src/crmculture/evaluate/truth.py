"""Whether a condition holds for a customer, and why not: the reference semantics of conditions.

`holds` is the definition the compiled evaluator is tested against. `why_not` explains a
condition that does not hold in business words (``days_overdue is 12, the rule needs > 60``);
it is only called when an explanation is asked for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, TypeAlias, assert_never

from crmculture.model.as_of import resolve_condition
from crmculture.model.conditions import (
    DECISION,
    NEGATED_OP,
    And,
    Atom,
    Between,
    Compare,
    Condition,
    Const,
    In,
    Missing,
    Not,
    Or,
)
from crmculture.model.directives import Directive
from crmculture.model.facts import Schema
from crmculture.model.policies import Policy
from crmculture.model.values import AsOf, literal_text

__all__ = ["Directives", "holds", "paired", "reasons", "rule_matches", "why_not"]

Directives: TypeAlias = Mapping[str, Directive] | None
"""Directive name to directive, for conditions that test a decision (handoff guards)."""


def _key(schema: Schema, fact: str, value: Any, directives: Directives) -> Any:
    """The value as compared by ordering operators (ranks for ordered enums and directives)."""
    if fact.startswith(DECISION):
        if directives is None:
            raise ValueError(f"`{fact}` tests a decision, but no directives were given")
        return directives[fact.removeprefix(DECISION)].order_key(value)
    definition = schema[fact]
    return definition.rank(value) if definition.type == "enum" else value


def _atom_holds(
    atom: Atom, facts: Mapping[str, Any], schema: Schema, directives: Directives
) -> bool:
    value = facts[atom.fact]
    if isinstance(atom, Missing):
        return (value is None) is not atom.negated
    if value is None:
        # A comparison involving a missing fact is false, whatever the operator.
        return False
    if isinstance(atom, In):
        return (value in atom.values) is not atom.negated
    if isinstance(atom, Between):
        key = _key(schema, atom.fact, value, directives)
        low = _key(schema, atom.fact, atom.low, directives)
        return bool(low <= key <= _key(schema, atom.fact, atom.high, directives))
    if isinstance(atom, Compare):
        op = atom.op
        if op == "==":
            return bool(value == atom.value)
        if op == "!=":
            return bool(value != atom.value)
        left = _key(schema, atom.fact, value, directives)
        right = _key(schema, atom.fact, atom.value, directives)
        if op == "<":
            return bool(left < right)
        if op == "<=":
            return bool(left <= right)
        if op == ">":
            return bool(left > right)
        return bool(left >= right)
    assert_never(atom)


def holds(
    condition: Condition,
    facts: Mapping[str, Any],
    schema: Schema,
    directives: Directives = None,
) -> bool:
    """Whether `condition` holds for a validated customer.

    Args:
        condition: A condition checked against `schema` (as in a built `Policy`).
        facts: Fact name to normalized value (``None`` for a missing optional fact); for
            handoff guards also ``decision.<directive>`` to the decision's value.
        schema: The schema, for the order of enum facts.
        directives: Directive name to directive, for guards that test a decision.

    Examples:
        >>> from crmculture import F, Fact, Schema
        >>> schema = Schema([Fact.int("days_overdue"), Fact.bool("credit_hold")])
        >>> holds(F.credit_hold | (F.days_overdue > 60), {"days_overdue": 12,
        ...       "credit_hold": False}, schema)
        False
    """
    if isinstance(condition, And):
        return all(holds(item, facts, schema, directives) for item in condition.items)
    if isinstance(condition, Or):
        return any(holds(item, facts, schema, directives) for item in condition.items)
    if isinstance(condition, Not):
        return not holds(condition.item, facts, schema, directives)
    if isinstance(condition, Const):
        return condition.value
    if isinstance(condition, Atom):
        return _atom_holds(condition, facts, schema, directives)
    assert_never(condition)


def rule_matches(
    policy: Policy, facts: Mapping[str, Any], department: str | None
) -> tuple[bool, ...]:
    """For each of the policy's ``effective_rules``: in scope for `department`, and true.

    Examples:
        >>> from crmculture.stories import acme_policy
        >>> policy = acme_policy()
        >>> facts = policy.schema.validate({"credit_hold": True, "days_overdue": 0,
        ...                                 "annual_volume": 1, "tier": "gold"})
        >>> [r.id for r, hit in zip(policy.effective_rules, rule_matches(policy, facts, None))
        ...  if hit]
        ['credit-hold']
    """
    return tuple(
        rule.applies_to(department) and holds(rule.when, facts, policy.schema)
        for rule in policy.effective_rules
    )


def _same_text(text: str) -> str:
    return text


def _requirement(atom: Atom, negated: bool, as_of: dt.date | None = None) -> str:
    """What an atom asks of its fact, without the fact's name: ``> 60``, ``not in [...]``;
    dates relative to the as-of date are followed by the dates they name on `as_of`:
    ``< as_of - 365 days (2025-03-01)``."""
    if isinstance(atom, Compare):
        if isinstance(atom.value, bool) and atom.op in ("==", "!="):
            wanted = atom.value if atom.op == "==" else not atom.value
            return literal_text(wanted is not negated)
        op = NEGATED_OP[atom.op] if negated else atom.op
        return f"{op} {literal_text(atom.value)}" + _dates((atom.value,), as_of)
    if isinstance(atom, In):
        listed = ", ".join(literal_text(v) for v in atom.values)
        return f"{'not in' if atom.negated is not negated else 'in'} [{listed}]"
    if isinstance(atom, Between):
        inner = f"between {literal_text(atom.low)} and {literal_text(atom.high)}"
        inner += _dates((atom.low, atom.high), as_of)
        return f"not {inner}" if negated else inner
    if isinstance(atom, Missing):
        return "is missing" if atom.negated is negated else "is not missing"
    assert_never(atom)


def _dates(values: tuple[Any, ...], as_of: dt.date | None) -> str:
    """`` (2025-03-01)``: the dates `values` name on `as_of`, when one of them is relative to
    it; nothing otherwise."""
    if as_of is None or not any(isinstance(value, AsOf) for value in values):
        return ""
    named = []
    for value in values:
        if isinstance(value, AsOf):
            try:
                value = value.resolve(as_of)
            except OverflowError:
                named.append("beyond the calendar")
                continue
        named.append(literal_text(value))
    return f" ({' and '.join(named)})"


def paired(original: Condition, resolved: Condition) -> dict[Condition, Condition]:
    """Each node of `original` with the node of `resolved` in its place, for a condition and
    the same condition resolved for an as-of date (`crmculture.model.as_of.resolve_condition`
    keeps its shape).

    Examples:
        >>> import datetime as dt
        >>> from crmculture import AS_OF, F, Fact, Schema
        >>> schema = Schema([Fact.date("verified_on"), Fact.bool("vip")])
        >>> stale = F.verified_on < AS_OF.minus(days=365)
        >>> at = resolve_condition(stale & ~F.vip, schema, dt.date(2026, 3, 1))
        >>> str(paired(stale & ~F.vip, at)[stale])
        'verified_on < 2025-03-01'
    """
    found: dict[Condition, Condition] = {original: resolved}
    if isinstance(original, And | Or) and isinstance(resolved, And | Or):
        for mine, theirs in zip(original.items, resolved.items, strict=True):
            found.update(paired(mine, theirs))
    elif isinstance(original, Not) and isinstance(resolved, Not):
        found.update(paired(original.item, resolved.item))
    return found


def reasons(
    condition: Condition,
    want: bool,
    truth: Callable[[Condition], bool],
    describe: Callable[[Atom], tuple[str, bool]],
    escape: Callable[[str], str] = _same_text,
    as_of: dt.date | None = None,
) -> list[str]:
    """Why `condition` is not `want`, one reason per clause that would have to change.

    The explanation logic shared by both evaluators: the reference `why_not` answers `truth`
    with `holds`, and a compiled decision with the node truths its compiled code computed.

    Args:
        condition: The condition to explain.
        want: The value the condition should have had.
        truth: Whether a node of `condition` holds for the customer.
        describe: For an atom, its fact's value as shown (``12``, ``"gold"``, ``missing``)
            and whether the value is missing.
        escape: Applied to every piece of text that does not come from `describe` (the
            compiled explanation builds `str.format` templates with it).
        as_of: The date a decision was made for; requirements relative to it (in a
            condition as written, not resolved) name the dates they mean on that day.

    Examples:
        >>> from crmculture import F
        >>> condition = (F.days > 60) & (F.tier == "gold")
        >>> late, gold = condition.items
        >>> truth = {condition: False, late: False, gold: True}
        >>> reasons(condition, True, truth.__getitem__, lambda atom: ("12", False))
        ['days is 12, the rule needs > 60']
    """
    if truth(condition) is want:
        return []
    if isinstance(condition, Not):
        return reasons(condition.item, not want, truth, describe, escape, as_of)
    if isinstance(condition, Const):
        return ["the condition is always " + ("true" if condition.value else "false")]
    if isinstance(condition, Atom):
        shown, missing = describe(condition)
        if missing and not isinstance(condition, Missing):
            needs = f"a value {_requirement(condition, not want, as_of)}"
        else:
            needs = _requirement(condition, not want, as_of)
        return [f"{escape(condition.fact)} is {shown}, the rule needs {escape(needs)}"]
    if isinstance(condition, And | Or):
        # Every failing child must change (all must hold / none may hold) ...
        every = isinstance(condition, And) is want
        groups = [reasons(item, want, truth, describe, escape, as_of) for item in condition.items]
        if every:
            return [reason for group in groups for reason in group]
        # ... or any one of the children changing would do.
        alternatives = ["; ".join(group) for group in groups if group]
        if len(alternatives) > 1:
            return [" or ".join(f"({alternative})" for alternative in alternatives)]
        return alternatives
    assert_never(condition)


def why_not(
    condition: Condition,
    facts: Mapping[str, Any],
    schema: Schema,
    directives: Directives = None,
    *,
    as_of: dt.date | None = None,
) -> list[str]:
    """Why `condition` does not hold for a customer, one reason per failing clause.

    Returns an empty list when the condition holds. A condition that compares dates with the
    as-of date is judged as of `as_of`, and its reasons name both: ``< as_of - 365 days
    (2025-03-01)``.

    Examples:
        >>> from crmculture import F, Fact, Schema
        >>> schema = Schema([Fact.int("days_overdue"), Fact.bool("credit_hold")])
        >>> why_not((F.days_overdue > 60) & ~F.credit_hold,
        ...         {"days_overdue": 12, "credit_hold": True}, schema)
        ['days_overdue is 12, the rule needs > 60', 'credit_hold is true, the rule needs false']
        >>> import datetime as dt
        >>> from crmculture import AS_OF
        >>> schema = Schema([Fact.date("verified_on")])
        >>> why_not(F.verified_on < AS_OF.minus(days=365), {"verified_on": dt.date(2025, 6, 1)},
        ...         schema, as_of=dt.date(2026, 3, 1))
        ['verified_on is 2025-06-01, the rule needs < as_of - 365 days (2025-03-01)']
    """
    resolved: Mapping[Condition, Condition] = (
        {} if as_of is None else paired(condition, resolve_condition(condition, schema, as_of))
    )

    def truth(node: Condition) -> bool:
        return holds(resolved.get(node, node), facts, schema, directives)

    def describe(atom: Atom) -> tuple[str, bool]:
        value = facts[atom.fact]
        return ("missing" if value is None else literal_text(value)), value is None

    return reasons(condition, True, truth, describe, as_of=as_of)
