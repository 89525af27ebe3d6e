"""Resolving a policy for one as-of date: relative dates become dates, and rules out of force
never match.

A policy whose conditions compare facts with the as-of date (``verified_on < as_of - 365
days``) or whose rules have effective dates decides differently on different days. For one
as-of date it is an ordinary policy: `policy_at` writes it so, and the evaluators, the columnar
path and the analysis then work on that policy as on any other. Evaluators keep the original
policy for what decisions show (its fingerprint, its rules as written), and the resolved one
for what they compute.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, assert_never

import attrs

from crmculture.model.conditions import (
    NEVER,
    And,
    Atom,
    Between,
    Compare,
    Condition,
    Const,
    In,
    Missing,
    Not,
    Op,
    Or,
)
from crmculture.model.facts import Fact, Schema
from crmculture.model.values import AsOf

if TYPE_CHECKING:
    from crmculture.model.policies import Policy

__all__ = ["policy_at", "resolve_condition"]

# `x OP d` for a date `d` below every date the fact may hold, as the same test at the lowest
# date it may hold (`lo`): `x < d` is false for every valid x, and so is `x < lo`.
_BELOW: dict[str, Op] = {"<": "<", "<=": "<", "==": "<", ">": ">=", ">=": ">=", "!=": ">="}
# And above every date it may hold, at the highest (`hi`): `x < d` is true, and so `x <= hi`.
_ABOVE: dict[str, Op] = {"<": "<=", "<=": "<=", "!=": "<=", ">": ">", ">=": ">", "==": ">"}


def _bounds(fact: Fact) -> tuple[dt.date, dt.date]:
    low = fact.min if isinstance(fact.min, dt.date) else dt.date.min
    high = fact.max if isinstance(fact.max, dt.date) else dt.date.max
    return low, high


def _place(value: Any, as_of: dt.date, fact: Fact) -> tuple[str, dt.date]:
    """Where a compared value falls for the fact: ``("in", date)``, ``("below", lo)`` or
    ``("above", hi)``; literal dates are inside the fact's domain already (checked)."""
    if not isinstance(value, AsOf):
        return "in", value
    low, high = _bounds(fact)
    try:
        date = value.resolve(as_of)
    except OverflowError:
        return ("below", low) if value.days < 0 else ("above", high)
    if date < low:
        return "below", low
    if date > high:
        return "above", high
    return "in", date


def _atom(atom: Atom, schema: Schema, as_of: dt.date) -> Condition:
    if isinstance(atom, Compare):
        if not isinstance(atom.value, AsOf):
            return atom
        fact = schema[atom.fact]
        where, date = _place(atom.value, as_of, fact)
        if where == "below":
            return Compare(atom.fact, _BELOW[atom.op], date)
        if where == "above":
            return Compare(atom.fact, _ABOVE[atom.op], date)
        return Compare(atom.fact, atom.op, date)
    if isinstance(atom, Between):
        if not isinstance(atom.low, AsOf) and not isinstance(atom.high, AsOf):
            return atom
        fact = schema[atom.fact]
        low_where, low = _place(atom.low, as_of, fact)
        high_where, high = _place(atom.high, as_of, fact)
        lowest = _bounds(fact)[0]
        if low_where == "above" or high_where == "below" or low > high:
            # No date the fact may hold is inside: a test no value passes.
            return Compare(atom.fact, "<", lowest)
        return Between(atom.fact, low, high)
    if isinstance(atom, In | Missing):
        return atom
    assert_never(atom)


def resolve_condition(condition: Condition, schema: Schema, as_of: dt.date) -> Condition:
    """`condition` with every date relative to ``as_of`` replaced by the date it names.

    A relative date outside the dates the fact may hold (its ``min`` and ``max``, or the
    calendar's ends) becomes the nearest end with the operator that keeps the meaning, so
    that the result is a condition the schema accepts.

    Examples:
        >>> from crmculture import AS_OF, F, Fact, Schema
        >>> schema = Schema([Fact.date("verified_on", optional=True)])
        >>> str(resolve_condition(F.verified_on < AS_OF.minus(days=365), schema,
        ...                       dt.date(2026, 3, 1)))
        'verified_on < 2025-03-01'
    """
    if isinstance(condition, Atom):
        return _atom(condition, schema, as_of)
    if isinstance(condition, And):
        return And(tuple(resolve_condition(item, schema, as_of) for item in condition.items))
    if isinstance(condition, Or):
        return Or(tuple(resolve_condition(item, schema, as_of) for item in condition.items))
    if isinstance(condition, Not):
        return Not(resolve_condition(condition.item, schema, as_of))
    if isinstance(condition, Const):
        return condition
    assert_never(condition)


def policy_at(policy: Policy, as_of: dt.date) -> Policy:
    """`policy` as it decides on `as_of`: relative dates resolved (`resolve_condition`), rules
    out of force never matching (their condition is ``false``), promises out of force left out,
    and no effective dates left. A policy that does not use the as-of date is returned as is.

    The result has the same rules in the same order (``effective_rules`` line up with the
    original's), so decisions' rule flags mean the same in both.
    """
    if type(as_of) is not dt.date:
        raise TypeError(f"as_of must be a datetime.date, not `{as_of!r}`")
    if not policy.uses_as_of and not any(promise.uses_as_of for promise in policy.promises):
        return policy
    schema = policy.schema

    def rule_at(rule: Any) -> Any:
        when = resolve_condition(rule.when, schema, as_of) if rule.in_force(as_of) else NEVER
        return attrs.evolve(rule, when=when, effective_from=None, effective_until=None)

    def promise_at(promise: Any) -> Any:
        return attrs.evolve(
            promise,
            when=resolve_condition(promise.when, schema, as_of),
            effective_from=None,
            effective_until=None,
        )

    return attrs.evolve(
        policy,
        rules=tuple(rule_at(rule) for rule in policy.rules),
        layers=tuple(
            attrs.evolve(layer, rules=tuple(rule_at(rule) for rule in layer.rules))
            for layer in policy.layers
        ),
        promises=tuple(
            promise_at(promise) for promise in policy.promises if promise.in_force(as_of)
        ),
    )
