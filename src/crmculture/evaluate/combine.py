"""How the values of several matching rules combine into one directive value.

One function, `combine`, states the semantics of every `Combine` strategy and records who
determined the result and who was overridden, and why. The reference interpreter calls it for
every decision; the compiled evaluator generates specialised code with the same results (a
property test holds them equal) and decisions call `combine` lazily to explain themselves.

`precedence` gives, per strategy, the order in which contributions are tried by the
``first``-like strategies (``first``, ``min``, ``max``, ``all``, ``any``): the first matching
contribution in that order determines the value. The compiler builds its if/elif chains from
the same function, so that both evaluators break ties identically.

Overriding rules (``Rule(..., overrides=True)``) come first: when any matching rule that sets
a directive overrides, only the overriding rules' values combine, and every other matching
rule is overridden by them. `precedence` therefore lists the overriding contributions (in
their own precedence order) before the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from crmculture.errors import ConflictError, UndecidedError
from crmculture.model.directives import Combine, Directive
from crmculture.model.rules import Rule
from crmculture.model.values import NO_DEFAULT, value_text

__all__ = ["DirectiveOutcome", "Overridden", "combine", "precedence"]


@attrs.frozen
class Overridden:
    """A matching rule whose value did not become the directive's value, and why."""

    rule: str
    value: Any
    reason: str


@attrs.frozen
class DirectiveOutcome:
    """How one directive got its value in one decision.

    Attributes:
        directive: The directive's name.
        value: The final value.
        source: ``"rule"`` when matching rules set it, ``"default"`` otherwise.
        determined_by: The ids of the rules whose values made the final value: the winner
            for ``first``, ``min``, ``max``; every rule with the deciding value for ``all``,
            ``any``, ``unique``; every contributor for ``sum``, ``collect`` and ``list``.
        overridden: The matching rules whose values lost, each with the reason.
    """

    directive: str
    value: Any
    source: str
    determined_by: tuple[str, ...] = ()
    overridden: tuple[Overridden, ...] = ()

    @property
    def rule(self) -> str | None:
        """The first rule that determined the value, or None for a default."""
        return self.determined_by[0] if self.determined_by else None


Contribution = tuple[Rule, Any]
"""A matching rule and the value it sets for one directive."""


def precedence(directive: Directive, contributions: Sequence[Contribution]) -> list[Contribution]:
    """Order contributions so that the first matching one determines a first-like strategy.

    `contributions` must be in ``(priority, rule id)`` order; that order breaks every tie.
    Only meaningful for ``first``, ``min``, ``max``, ``all`` and ``any``. Contributions of
    overriding rules come before all others.
    """
    winning = [c for c in contributions if c[0].overrides]
    if winning and len(winning) < len(contributions):
        rest = [c for c in contributions if not c[0].overrides]
        return _precedence(directive, winning) + _precedence(directive, rest)
    return _precedence(directive, contributions)


def _precedence(directive: Directive, contributions: Sequence[Contribution]) -> list[Contribution]:
    strategy = directive.combine
    if strategy is Combine.FIRST:
        return list(contributions)
    if strategy in (Combine.MIN, Combine.MAX):
        sign = 1 if strategy is Combine.MIN else -1
        ranked = sorted(
            enumerate(contributions),
            key=lambda item: (sign * _rank(directive, item[1][1]), item[0]),
        )
        return [contribution for _, contribution in ranked]
    if strategy in (Combine.ALL, Combine.ANY):
        deciding = strategy is Combine.ANY  # the value that decides as soon as one rule says it
        return [c for c in contributions if c[1] is deciding] + [
            c for c in contributions if c[1] is not deciding
        ]
    raise ValueError(f"combine `{strategy.value}` has no precedence order")


def _rank(directive: Directive, value: Any) -> Any:
    return directive.order_key(value)


def combine(directive: Directive, contributions: Sequence[Contribution]) -> DirectiveOutcome:
    """Combine the values matching rules set for `directive` into its outcome.

    Args:
        directive: The directive being decided.
        contributions: ``(rule, value)`` for every matching rule that sets the directive, in
            ``(priority, rule id)`` order.

    Raises:
        ConflictError: for a ``unique`` directive set to two different values.
        UndecidedError: when nothing sets a directive that has no default.

    Examples:
        >>> from crmculture import Directive, Rule
        >>> level = Directive.enum("level", ["standard", "priority", "white_glove"],
        ...                        default="standard", combine="max")
        >>> a = Rule("a", when=True, then={"level": "priority"})
        >>> b = Rule("b", when=True, then={"level": "white_glove"})
        >>> outcome = combine(level, [(a, "priority"), (b, "white_glove")])
        >>> outcome.value, outcome.determined_by, outcome.overridden[0].reason
        ('white_glove', ('b',), '`max` keeps "white_glove" from rule `b`')

        An overriding rule wins whatever the strategy:

        >>> cap = Rule("cap", when=True, then={"level": "standard"}, overrides=True)
        >>> outcome = combine(level, [(a, "priority"), (cap, "standard")])
        >>> outcome.value, outcome.determined_by, outcome.overridden[0].reason
        ('standard', ('cap',), 'rule `cap` overrides it')
    """
    winning = [c for c in contributions if c[0].overrides]
    if winning and len(winning) < len(contributions):
        outcome = _combine(directive, winning)
        reason = _rules_text(outcome.determined_by) + (
            " overrides it" if len(outcome.determined_by) == 1 else " override it"
        )
        lost = tuple(
            Overridden(rule.id, value, reason)
            for rule, value in contributions
            if not rule.overrides
        )
        return attrs.evolve(outcome, overridden=outcome.overridden + lost)
    return _combine(directive, contributions)


def _rules_text(ids: Sequence[str]) -> str:
    named = ", ".join(f"`{rule_id}`" for rule_id in ids)
    return ("rule " if len(ids) == 1 else "rules ") + named


def _combine(directive: Directive, contributions: Sequence[Contribution]) -> DirectiveOutcome:
    name = directive.name
    if not contributions:
        if directive.default is NO_DEFAULT:
            raise UndecidedError(name)
        return DirectiveOutcome(name, directive.default, "default")
    strategy = directive.combine
    if strategy is Combine.UNIQUE:
        values = {value for _, value in contributions}
        if len(values) > 1:
            raise ConflictError(name, [(rule.id, value) for rule, value in contributions])
        return DirectiveOutcome(
            name, contributions[0][1], "rule", tuple(rule.id for rule, _ in contributions)
        )
    if strategy is Combine.SUM:
        total = contributions[0][1]
        for _, value in contributions[1:]:
            total = total + value
        return DirectiveOutcome(name, total, "rule", tuple(rule.id for rule, _ in contributions))
    if strategy in (Combine.COLLECT, Combine.LIST):
        items = [item for _, value in contributions for item in value]
        return DirectiveOutcome(
            name,
            directive.collect_sorted(items) if strategy is Combine.COLLECT else tuple(items),
            "rule",
            tuple(rule.id for rule, _ in contributions),
        )
    ordered = precedence(directive, contributions)
    winner, value = ordered[0]
    if strategy in (Combine.ALL, Combine.ANY):
        determined = tuple(rule.id for rule, v in contributions if v is value)
        reason = (
            f"`{strategy.value}` gives {value_text(value)} because rule `{winner.id}` "
            f"says {value_text(value)}"
        )
    else:
        determined = (winner.id,)
        if strategy is Combine.FIRST:
            reason = f"rule `{winner.id}` comes first (priority {winner.priority}, then rule id)"
        else:
            reason = f"`{strategy.value}` keeps {value_text(value)} from rule `{winner.id}`"
    same = f"rule `{winner.id}` sets the same value and comes first"
    overridden = tuple(
        Overridden(rule.id, v, same if v == value else reason)
        for rule, v in contributions
        if rule.id not in determined
    )
    return DirectiveOutcome(name, value, "rule", determined, overridden)
