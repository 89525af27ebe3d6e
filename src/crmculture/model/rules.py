"""Rules: when a condition holds, set directives, with the reason why."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from crmculture.errors import PolicyError, Problem
from crmculture.model.conditions import Condition, as_condition

__all__ = ["Rule", "in_force_text", "tags_of"]

_RULE_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:/-]*\Z")


def _then_pairs(then: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> tuple[tuple[str, Any], ...]:
    pairs = then.items() if isinstance(then, Mapping) else then
    return tuple(
        sorted(
            ((name, tuple(value) if isinstance(value, list) else value) for name, value in pairs),
            key=lambda pair: str(pair[0]),
        )
    )


def _departments(value: str | Iterable[str] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    return tuple(sorted(set(value)))


def _invalid(rule_id: object, field: str, message: str, value: object = None) -> PolicyError:
    return PolicyError(
        f"invalid rule `{rule_id}`", [Problem(("rules", rule_id, field), message, value)]
    )


def _check_id(instance: Rule, attribute: Any, value: str) -> None:
    if not isinstance(value, str) or not _RULE_ID.match(value):
        raise _invalid(
            value, "id", "a rule id is a non-empty string of letters, digits and `_.:/-`", value
        )


def _check_then(instance: Rule, attribute: Any, value: tuple[tuple[str, Any], ...]) -> None:
    if not value:
        raise _invalid(instance.id, "then", "the rule sets no directive: `then` is empty")
    names = [name for name, _ in value]
    for name in names:
        if not isinstance(name, str):
            raise _invalid(instance.id, "then", f"directive name `{name!r}` is not a string")
    if len(set(names)) != len(names):
        raise _invalid(instance.id, "then", "the rule sets a directive twice")


def _check_overrides(instance: Rule, attribute: Any, value: bool) -> None:
    if not isinstance(value, bool):
        raise _invalid(
            instance.id, "overrides", f"overrides must be true or false, not `{value!r}`", value
        )


def tags_of(value: str | Iterable[str]) -> tuple[str, ...]:
    """Tags as stored: sorted, each once (a lone string is one tag)."""
    if isinstance(value, str):
        return (value,)
    return tuple(sorted(set(value)))


def _check_text(instance: Rule, attribute: Any, value: Any) -> None:
    if not isinstance(value, str):
        raise _invalid(instance.id, attribute.name, f"`{attribute.name}` is text, not `{value!r}`")


Check = Callable[[Any, Any, Any], None]


def governance_checks(invalid: Callable[..., PolicyError]) -> tuple[Check, Check, Check]:
    """The attrs validators of the governance metadata a rule and a promise share: `tags`,
    `effective_from` and `effective_until` (not before `effective_from`); `invalid` makes
    the error, at the owner's place in the document."""

    def check_tags(instance: Any, attribute: Any, value: tuple[Any, ...]) -> None:
        for tag in value:
            if not isinstance(tag, str) or not tag:
                raise invalid(instance.id, "tags", f"a tag is non-empty text, not `{tag!r}`", tag)

    def check_date(instance: Any, attribute: Any, value: Any) -> None:
        if value is not None and type(value) is not dt.date:
            raise invalid(
                instance.id, attribute.name, f"`{attribute.name}` is a date, not `{value!r}`", value
            )

    def check_until(instance: Any, attribute: Any, value: dt.date | None) -> None:
        check_date(instance, attribute, value)
        start = instance.effective_from
        if value is not None and start is not None and value < start:
            raise invalid(
                instance.id,
                "effective_until",
                f"`effective_until` {value.isoformat()} is before `effective_from` "
                f"{start.isoformat()}",
                value,
            )

    return check_tags, check_date, check_until


_check_tags, _check_date, _check_until = governance_checks(_invalid)


def in_force_text(effective_from: dt.date | None, effective_until: dt.date | None) -> str:
    """When a rule or promise is in force, in words: ``from 2026-01-01 until 2026-06-30``."""
    parts = []
    if effective_from is not None:
        parts.append(f"from {effective_from.isoformat()}")
    if effective_until is not None:
        parts.append(f"until {effective_until.isoformat()}")
    return " ".join(parts) or "always"


def _check_priority(instance: Rule, attribute: Any, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(instance.id, "priority", f"priority must be an int, not `{value!r}`", value)


@attrs.frozen
class Rule:
    """When `when` holds for a customer, the rule sets the directives in `then`.

    Attributes:
        id: Unique within a policy; letters, digits and ``_.:/-``.
        when: The condition (a `Condition`, a fact reference such as ``F.credit_hold``
            meaning ``credit_hold == true``, or ``True`` for every customer).
        then: ``{directive name: value}``; stored as sorted ``(name, value)`` pairs.
        priority: Lower comes first where rules compete (``first`` combining, explanations).
        departments: The departments the rule applies to; ``None`` means every department.
        rationale: Why the culture treats the customer this way, in business words.
        overrides: Whether the rule *overrides*: for each directive it sets, its value wins
            over the values of every matching rule that does not override, whatever the
            directive's combine strategy; among overriding rules the strategy applies as usual.
        owner: Who answers for the rule (a person or a team); governance metadata.
        approved_by: Who approved it; governance metadata.
        ticket: The change request it came from; governance metadata.
        tags: Free labels, stored sorted; governance metadata.
        effective_from: The first day the rule is in force (inclusive), or None.
        effective_until: The last day the rule is in force (inclusive), or None. A rule with
            effective dates matches only in decisions made as of a day within them, so a
            policy holding one needs an ``as_of`` for every decision.

    Governance metadata (`owner`, `approved_by`, `ticket`, `tags`) never changes a decision:
    it is not part of the policy's fingerprint, nor of any decision's JSON. Effective dates
    change decisions, and are part of both.

    Examples:
        >>> from crmculture.model.conditions import F
        >>> rule = Rule("credit-hold", when=F.credit_hold, then={"route_to": "accounts_receivable"})
        >>> str(rule.when), rule.then
        ('credit_hold', (('route_to', 'accounts_receivable'),))
        >>> cap = Rule("credit-hold-caps", when=F.credit_hold, then={"discount_pct": 0},
        ...            overrides=True)
        >>> cap.overrides
        True
        >>> import datetime as dt
        >>> promo = Rule("spring-promo", when=True, then={"discount_pct": 5}, owner="sales-ops",
        ...              effective_from=dt.date(2026, 3, 1), effective_until=dt.date(2026, 5, 31))
        >>> promo.in_force(dt.date(2026, 6, 1)), promo.uses_as_of
        (False, True)
    """

    id: str = attrs.field(validator=_check_id)
    when: Condition = attrs.field(converter=as_condition)
    then: tuple[tuple[str, Any], ...] = attrs.field(converter=_then_pairs, validator=_check_then)
    priority: int = attrs.field(default=0, validator=_check_priority, kw_only=True)
    departments: tuple[str, ...] | None = attrs.field(
        default=None, converter=_departments, kw_only=True
    )
    rationale: str = attrs.field(default="", kw_only=True)
    overrides: bool = attrs.field(default=False, validator=_check_overrides, kw_only=True)
    owner: str = attrs.field(default="", validator=_check_text, kw_only=True)
    approved_by: str = attrs.field(default="", validator=_check_text, kw_only=True)
    ticket: str = attrs.field(default="", validator=_check_text, kw_only=True)
    tags: tuple[str, ...] = attrs.field(
        default=(), converter=tags_of, validator=_check_tags, kw_only=True
    )
    effective_from: dt.date | None = attrs.field(default=None, validator=_check_date, kw_only=True)
    effective_until: dt.date | None = attrs.field(
        default=None, validator=_check_until, kw_only=True
    )

    @property
    def uses_as_of(self) -> bool:
        """Whether deciding with the rule needs the as-of date: it has effective dates, or its
        condition compares a fact with `crmculture.AS_OF`."""
        dated = self.effective_from is not None or self.effective_until is not None
        return dated or self.when.uses_as_of()

    def in_force(self, as_of: dt.date) -> bool:
        """Whether the rule is in force in a decision made as of `as_of` (within its
        effective dates, both ends included)."""
        if self.effective_from is not None and as_of < self.effective_from:
            return False
        return self.effective_until is None or as_of <= self.effective_until

    @property
    def sets(self) -> dict[str, Any]:
        """``then`` as a dict of directive name to value."""
        return dict(self.then)

    @property
    def order_key(self) -> tuple[int, str]:
        """``(priority, id)``: the order in which rules are listed and compete."""
        return (self.priority, self.id)

    def applies_to(self, department: str | None) -> bool:
        """Whether the rule is in scope for a decision asked by `department`.

        A rule scoped to departments is out of scope when no department is given.
        """
        return self.departments is None or department in self.departments
