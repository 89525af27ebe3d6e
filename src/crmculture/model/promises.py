"""Promises: the culture's non-negotiables, stated once, and proven by the verifier.

A promise says that for every valid customer for whom `when` holds, asking any department in
its scope, the decision satisfies `then`: directive values (``{"may_ship": False}``) or a
condition over the decision (``D.discount_pct <= 15``, in documents
``decision.discount_pct <= 15``). A policy holds its promises (``Policy(..., promises=[...])``)
and checks them like its rules; `crmculture.analysis.check_promises` proves them over the whole
fact space, or refutes them with a customer.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from crmculture.errors import PolicyError, Problem
from crmculture.model.conditions import Condition, FactRef, as_condition
from crmculture.model.rules import governance_checks, tags_of

__all__ = ["Promise", "PromiseThen"]

_PROMISE_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:/-]*\Z")

PromiseThen = Condition | tuple[tuple[str, Any], ...]
"""What a promise promises: a condition over the decision, or ``(directive, value)`` pairs
sorted by directive name."""


def _invalid(promise_id: object, field: str, message: str, value: object = None) -> PolicyError:
    return PolicyError(
        f"invalid promise `{promise_id}`",
        [Problem(("promises", promise_id, field), message, value)],
    )


def _condition(value: Any) -> Any:
    """Fact references and bools become conditions; anything else is left for the check."""
    if isinstance(value, Condition | FactRef | bool):
        return as_condition(value)
    return value


def _then(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(
            sorted(
                ((name, tuple(v) if isinstance(v, list) else v) for name, v in value.items()),
                key=lambda pair: str(pair[0]),
            )
        )
    if isinstance(value, Condition | FactRef):
        return as_condition(value)
    return value


def _departments(value: str | Iterable[str] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    return tuple(sorted(set(value)))


def _check_id(instance: Promise, attribute: Any, value: str) -> None:
    if not isinstance(value, str) or not _PROMISE_ID.match(value):
        raise _invalid(
            value, "id", "a promise id is a non-empty string of letters, digits and `_.:/-`", value
        )


def _check_when(instance: Promise, attribute: Any, value: Any) -> None:
    if not isinstance(value, Condition):
        raise _invalid(
            instance.id,
            "when",
            f"`when` is a condition over facts, not {type(value).__name__} `{value!r}`",
            value,
        )


def _check_then(instance: Promise, attribute: Any, value: Any) -> None:
    if isinstance(value, Condition):
        return
    if isinstance(value, tuple) and all(
        isinstance(pair, tuple) and len(pair) == 2 for pair in value
    ):
        if not value:
            raise _invalid(instance.id, "then", "the promise promises nothing: `then` is empty")
        names = [name for name, _ in value]
        for name in names:
            if not isinstance(name, str):
                raise _invalid(instance.id, "then", f"directive name `{name!r}` is not a string")
        return
    raise _invalid(
        instance.id,
        "then",
        "`then` is directive values ({directive: value}) or a condition over the decision "
        f"(`D.discount_pct <= 15`), not {type(value).__name__} `{value!r}`",
        value,
    )


def _check_rationale(instance: Promise, attribute: Any, value: Any) -> None:
    if not isinstance(value, str):
        raise _invalid(instance.id, "rationale", f"a rationale is text, not `{value!r}`", value)


def _check_text(instance: Promise, attribute: Any, value: Any) -> None:
    if not isinstance(value, str):
        raise _invalid(instance.id, attribute.name, f"`{attribute.name}` is text, not `{value!r}`")


_check_tags, _check_date, _check_until = governance_checks(_invalid)


@attrs.frozen
class Promise:
    """For every customer for whom `when` holds, asking any department in scope, the decision
    satisfies `then`.

    Attributes:
        id: Unique among the policy's promises; letters, digits and ``_.:/-``.
        when: The customers the promise is about: a condition over facts (``True`` for every
            customer).
        then: What they are promised: ``{directive: value}`` (stored as sorted pairs), or a
            condition over the decision built with `crmculture.D` (``D.discount_pct <= 15``).
        departments: The departments whose decisions it is about; ``None`` (the default)
            means every department, and decisions asked without a department.
        rationale: Why the culture will not compromise on it, in business words.
        owner: Who answers for the promise; governance metadata, as for `crmculture.Rule`.
        approved_by: Who approved it; governance metadata.
        ticket: The change request it came from; governance metadata.
        tags: Free labels, stored sorted; governance metadata.
        effective_from: The first day the promise is in force (inclusive), or None.
        effective_until: The last day it is in force (inclusive), or None. The analysis
            proves a promise with effective dates only as of a day within them.

    A customer whose decision cannot be made (rules conflict on, or leave undecided, a
    directive the promise names) does not get what was promised: the promise is broken.

    Examples:
        >>> from crmculture import D, F
        >>> hold = Promise("credit-hold-never-ships", when=F.credit_hold,
        ...                then={"may_ship": False, "route_to": "accounts_receivable"})
        >>> hold.then, hold.directives
        ((('may_ship', False), ('route_to', 'accounts_receivable')), ('may_ship', 'route_to'))
        >>> cap = Promise("discount-cap", when=True, then=D.discount_pct <= 15)
        >>> str(cap.then), cap.directives
        ('decision.discount_pct <= 15', ('discount_pct',))
    """

    id: str = attrs.field(validator=_check_id)
    when: Condition = attrs.field(converter=_condition, validator=_check_when)
    then: PromiseThen = attrs.field(converter=_then, validator=_check_then)
    departments: tuple[str, ...] | None = attrs.field(
        default=None, converter=_departments, kw_only=True
    )
    rationale: str = attrs.field(default="", validator=_check_rationale, kw_only=True)
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
        """Whether proving the promise needs the as-of date: it has effective dates, or a
        condition of it compares a fact with `crmculture.AS_OF`."""
        dated = self.effective_from is not None or self.effective_until is not None
        then_uses = isinstance(self.then, Condition) and self.then.uses_as_of()
        return dated or self.when.uses_as_of() or then_uses

    def in_force(self, as_of: dt.date) -> bool:
        """Whether the promise is in force as of `as_of` (within its effective dates)."""
        if self.effective_from is not None and as_of < self.effective_from:
            return False
        return self.effective_until is None or as_of <= self.effective_until

    @property
    def values(self) -> dict[str, Any] | None:
        """``then`` as a dict of directive to value, or None when `then` is a condition."""
        return None if isinstance(self.then, Condition) else dict(self.then)

    @property
    def directives(self) -> tuple[str, ...]:
        """The names of the directives the promise is about, sorted."""
        if isinstance(self.then, Condition):
            return self.then.directives()
        return tuple(name for name, _ in self.then)

    def applies_to(self, department: str | None) -> bool:
        """Whether a decision asked by `department` is in the promise's scope."""
        return self.departments is None or department in self.departments
