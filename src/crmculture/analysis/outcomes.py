"""What a directive can come out as over a box of customers, when some rules are undecided.

`possible` mirrors `crmculture.evaluate.combine.combine` for rules whose match is true, false or
undecided (`UNKNOWN`) over a box: it returns every value the directive may take for some
customer of the box (an over-approximation: undecided rules are treated as independent), and an
undecided rule worth splitting on. A single possible value means the directive is decided for
the whole box, exactly.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from crmculture.analysis.fact_space import FALSE, TRUE, UNKNOWN, CompiledRule
from crmculture.evaluate.combine import precedence
from crmculture.model.directives import Combine, Directive
from crmculture.model.values import NO_DEFAULT, literal_text

__all__ = ["Plan", "Possible", "Undetermined", "possible", "show_outcome"]


class Undetermined(enum.Enum):
    """An outcome that is not a value: the evaluator raises instead."""

    CONFLICT = "conflict"
    """Rules set a ``unique`` directive to different values (`crmculture.ConflictError`)."""
    UNDECIDED = "undecided"
    """No rule sets a directive without default (`crmculture.UndecidedError`)."""

    def __repr__(self) -> str:
        return self.name


_PRECEDENCE = frozenset({Combine.FIRST, Combine.MIN, Combine.MAX, Combine.ALL, Combine.ANY})


def show_outcome(outcome: Any) -> str:
    """An outcome in the condition syntax's spelling, or ``<conflict>``/``<undecided>``.

    Examples:
        >>> show_outcome("gold"), show_outcome(("a", "b")), show_outcome(Undetermined.CONFLICT)
        ('"gold"', '["a", "b"]', '<conflict>')
    """
    if isinstance(outcome, Undetermined):
        return f"<{outcome.value}>"
    if isinstance(outcome, tuple):
        return "[" + ", ".join(literal_text(item) for item in outcome) + "]"
    return literal_text(outcome)


@attrs.frozen
class Plan:
    """One directive of one policy, ready for the search.

    Attributes:
        directive: The directive.
        order: ``(rule index, value)`` for every rule that sets it: in precedence order for the
            ``first``-like strategies, in ``(priority, rule id)`` order otherwise.
        empty: The outcome when no rule matches: the default, or `Undetermined.UNDECIDED`.
        overriding: For each entry of `order`, whether its rule overrides (see
            `crmculture.Rule.overrides`); empty when none does. The ``first``-like strategies
            need nothing more, as their order lists the overriding rules first. (Flags per
            entry, not rule indices: a diff compiles equal conditions once, so two rules may
            share an index.)
    """

    directive: Directive
    order: tuple[tuple[int, Any], ...]
    empty: Any
    overriding: tuple[bool, ...] = ()

    @classmethod
    def build(cls, directive: Directive, rules: Sequence[CompiledRule]) -> Plan:
        """The plan of `directive` over compiled rules given in ``(priority, rule id)`` order."""
        contributions = [
            (compiled.rule, value)
            for compiled in rules
            for name, value in compiled.rule.then
            if name == directive.name
        ]
        index = {id(compiled.rule): compiled.index for compiled in rules}
        if directive.combine in _PRECEDENCE:
            contributions = precedence(directive, contributions)
        order = tuple((index[id(rule)], value) for rule, value in contributions)
        empty = Undetermined.UNDECIDED if directive.default is NO_DEFAULT else directive.default
        flags = tuple(rule.overrides for rule, _ in contributions)
        return cls(directive, order, empty, flags if any(flags) else ())

    @property
    def rules(self) -> tuple[int, ...]:
        """The indices of the rules that set the directive."""
        return tuple(index for index, _ in self.order)

    def value_key(self, value: Any) -> Any:
        """A sort key in which larger is more favourable to the customer."""
        key = self.directive.order_key(value)
        return -key if self.directive.favourable == "lower" else key


@attrs.frozen
class Possible:
    """The outcomes a directive may take over a box.

    Attributes:
        values: Outcomes known to be possible (values, `Undetermined` members).
        open: Whether other values are possible too (``sum`` and ``collect`` with undecided
            rules: their values are not enumerated).
        branch: An undecided rule whose split would help, or None.
    """

    values: frozenset[Any]
    open: bool
    branch: int | None

    @property
    def decided(self) -> bool:
        """Whether the directive has one outcome for the whole box."""
        return not self.open and len(self.values) == 1

    @property
    def outcome(self) -> Any:
        """The one outcome of a decided directive."""
        assert self.decided
        return next(iter(self.values))


def possible(plan: Plan, truth: Callable[[int], int]) -> Possible:
    """The outcomes `plan`'s directive may take when rule ``i`` matches with ``truth(i)``.

    Examples:
        >>> from crmculture import Directive, Rule
        >>> from crmculture.analysis.fact_space import CompiledRule
        >>> level = Directive.enum("level", ["low", "high"], default="low", combine="max")
        >>> rule = Rule("r", when=True, then={"level": "high"})
        >>> compiled = CompiledRule(rule, 0, lambda box: UNKNOWN, lambda box: None, frozenset(), 1)
        >>> plan = Plan.build(level, [compiled])
        >>> sorted(possible(plan, lambda i: UNKNOWN).values), possible(plan, lambda i: TRUE).outcome
        (['high', 'low'], 'high')
    """
    strategy = plan.directive.combine
    if strategy in _PRECEDENCE:
        found: set[Any] = set()
        branch = None
        for index, value in plan.order:
            status = truth(index)
            if status == FALSE:
                continue
            found.add(value)
            if status == TRUE:
                return Possible(frozenset(found), False, branch)
            if branch is None:
                branch = index
        found.add(plan.empty)
        return Possible(frozenset(found), False, branch)
    if plan.overriding:
        return _possible_overriding(plan, truth)
    return _possible_combined(plan, plan.order, truth)


def _possible_overriding(plan: Plan, truth: Callable[[int], int]) -> Possible:
    """`possible` for ``unique``, ``sum`` and ``collect`` when some rules override: only the
    overriding rules count when one of them matches, the others only when none does."""
    pairs = list(zip(plan.order, plan.overriding, strict=True))
    winning = tuple(pair for pair, overrides in pairs if overrides)
    rest = tuple(pair for pair, overrides in pairs if not overrides)
    statuses = [truth(index) for index, _ in winning]
    if TRUE in statuses:
        return _possible_combined(plan, winning, truth)
    if all(status == FALSE for status in statuses):
        return _possible_combined(plan, rest, truth)
    # Some overriding rule may match: either side may decide. Split on it first.
    branch = next(index for (index, _), status in zip(winning, statuses, strict=True) if status)
    first = _possible_combined(plan, winning, truth)
    second = _possible_combined(plan, rest, truth)
    # The first side's values include "no overriding rule matched" (over-approximated: the
    # search splits on `branch` until one side is certain).
    return Possible(first.values | second.values, first.open or second.open, branch)


def _possible_combined(
    plan: Plan, order: Sequence[tuple[int, Any]], truth: Callable[[int], int]
) -> Possible:
    strategy = plan.directive.combine
    true_values: list[Any] = []
    unknown_values: list[Any] = []
    branch = None
    for index, value in order:
        status = truth(index)
        if status == TRUE:
            true_values.append(value)
        elif status == UNKNOWN:
            unknown_values.append(value)
            if branch is None:
                branch = index
    if strategy is Combine.UNIQUE:
        distinct_true = set(true_values)
        if len(distinct_true) > 1:
            return Possible(frozenset({Undetermined.CONFLICT}), False, None)
        distinct_unknown = set(unknown_values)
        if distinct_true:
            outcomes = set(distinct_true)
            if distinct_unknown - distinct_true:
                outcomes.add(Undetermined.CONFLICT)
        else:
            outcomes = {plan.empty, *distinct_unknown}
            if len(distinct_unknown) > 1:
                outcomes.add(Undetermined.CONFLICT)
        return Possible(frozenset(outcomes), False, branch)
    directive = plan.directive
    if strategy in (Combine.SUM, Combine.LIST):  # numbers add up, lists concatenate in order
        if not true_values:
            return Possible(frozenset({plan.empty}), bool(unknown_values), branch)
        total = true_values[0]
        for value in true_values[1:]:
            total = total + value
        return Possible(frozenset({total}), bool(unknown_values), branch)
    assert strategy is Combine.COLLECT
    if not true_values:
        return Possible(frozenset({plan.empty}), bool(unknown_values), branch)
    items = {item for value in true_values for item in value}
    extra = any(item not in items for value in unknown_values for item in value)
    return Possible(frozenset({directive.collect_sorted(items)}), extra, branch if extra else None)
