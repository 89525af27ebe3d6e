"""Customer records as they arrive (JSON, CSV, form data, an ERP export) typed into customers.

`parse` (also `crmculture.Schema.parse`) converts each value to its fact's type, then checks
the whole record, and returns the customer or raises `crmculture.InvalidCustomer` with every
problem at once. The Python evaluators stay strict (``decide({"days_overdue": "3"})`` is
invalid); intake is for text.

- ``bool``: ``true``/``false``, ``yes``/``no``, ``1``/``0`` in any case, surrounding spaces
  ignored. Rejected: any other text, numbers.
- ``int``: digit text (``"42210"``, ``"-3"``, ``"+3"``) and whole numbers written as decimals
  (``"42210.0"``, ``42210.0``). Rejected: ``"42.5"``, ``42.5``, ``"1_000"``, ``"1e3"``,
  booleans.
- ``float``: numbers and number text (``"9.5"``, ``"1e3"``). Rejected: ``"nan"``, ``"inf"``,
  other text.
- ``decimal``: numbers (a float by its shortest text: ``0.1`` is ``Decimal("0.1")``) and number
  text (``"12.50"``). Rejected: other text, infinities.
- ``enum``: the declared values, exactly. Rejected: anything else, with a did-you-mean
  (``Gold`` for ``gold``).
- ``date``: ``YYYY-MM-DD`` text and `datetime.date`. Rejected: other text (``20260301``, a
  time of day), datetimes.

Number text is ASCII digits with an optional sign, fraction and exponent, surrounding spaces
ignored. Empty or blank text, None and a float ``NaN`` mean missing: an optional fact takes
its default (or stays missing), a required one is reported missing. Values already of the
fact's type pass unchanged. Keys that are neither facts nor among the kept fields are unknown
facts (with a did-you-mean); kept fields (a customer id) are left out of the customer,
unchecked.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from crmculture.errors import InvalidCustomer, Problem, did_you_mean
from crmculture.model.values import MAX_DIGITS

if TYPE_CHECKING:
    from crmculture.model.facts import Fact, Schema

__all__ = ["FALSE_SPELLINGS", "TRUE_SPELLINGS", "convert", "parse"]

TRUE_SPELLINGS = ("true", "yes", "1")
"""Text read as true for a ``bool`` fact (any case, surrounding spaces ignored)."""

FALSE_SPELLINGS = ("false", "no", "0")
"""Text read as false for a ``bool`` fact (any case, surrounding spaces ignored)."""

_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?", re.ASCII)
_WHOLE = re.compile(r"([+-]?[0-9]+)(\.0+)?", re.ASCII)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def convert(fact: Fact, value: Any) -> tuple[Any, str | None]:
    """One value for `fact`: ``(converted value, None)``, or ``(value, why not)``.

    Blank text and None convert to None (missing). A value it does not convert and cannot
    say why about is returned unchanged, for the fact's own check to word the problem.

    Examples:
        >>> from crmculture import Fact
        >>> convert(Fact.int("volume"), "42210.0"), convert(Fact.int("volume"), "42.5")
        ((42210, None), ('42.5', '`42.5` is not a whole number'))
        >>> convert(Fact.bool("hold"), " Yes "), convert(Fact.date("since"), "2026-03-01")
        ((True, None), (datetime.date(2026, 3, 1), None))
        >>> convert(Fact.enum("tier", ["gold", "silver"]), "Gold")
        ('Gold', '`Gold` is not one of the allowed values: `gold`, `silver` (did you mean `gold`?)')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None, None
    if isinstance(value, str):
        if not value.strip():
            return None, None
        return _from_text(fact, value)
    kind = fact.type
    if kind == "int" and type(value) is float and math.isfinite(value):
        if value.is_integer():
            return int(value), None
        return value, f"`{value!r}` is not a whole number"
    if kind == "float" and isinstance(value, Decimal):
        return float(value), None
    if kind == "decimal" and type(value) is float:
        if not math.isfinite(value):
            return value, f"`{value!r}` is not a finite number"
        return Decimal(repr(value)), None
    return value, None


def _from_text(fact: Fact, text: str) -> tuple[Any, str | None]:
    kind = fact.type
    if kind == "enum":
        assert fact.values is not None
        if text in fact.values:
            return text, None
        allowed = ", ".join(f"`{v}`" for v in fact.values)
        same = {v.lower(): v for v in fact.values}.get(text.strip().lower())
        hint = f" (did you mean `{same}`?)" if same else did_you_mean(text, fact.values)
        return text, f"`{text}` is not one of the allowed values: {allowed}{hint}"
    stripped = text.strip()
    if kind in ("int", "float", "decimal") and len(stripped) > MAX_DIGITS:
        return text, f"the number has more than {MAX_DIGITS} digits"
    if kind == "bool":
        spelled = stripped.lower()
        if spelled in TRUE_SPELLINGS:
            return True, None
        if spelled in FALSE_SPELLINGS:
            return False, None
        spellings = "/".join(TRUE_SPELLINGS) + " or " + "/".join(FALSE_SPELLINGS)
        return text, f"`{text}` is not a boolean: write {spellings}"
    if kind == "date":
        if _DATE.fullmatch(stripped):
            try:
                return dt.date.fromisoformat(stripped), None
            except ValueError:
                return text, f"`{text}` is not a day of the calendar"
        return text, f"`{text}` is not a date: write YYYY-MM-DD"
    if kind == "int":
        whole = _WHOLE.fullmatch(stripped)
        if whole:
            return int(whole.group(1)), None
        if _NUMBER.fullmatch(stripped):
            return text, f"`{text}` is not a whole number"
        return text, f"`{text}` is not a number"
    if not _NUMBER.fullmatch(stripped):
        return text, f"`{text}` is not a number"
    if kind == "float":
        number = float(stripped)
        if not math.isfinite(number):
            return text, f"`{text}` is too large for a float"
        return number, None
    try:
        return Decimal(stripped), None
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        return text, f"`{text}` is not a number"


def parse(schema: Schema, record: Mapping[str, Any], *, keep: Iterable[str] = ()) -> dict[str, Any]:
    """A record from text as a customer: every value converted to its fact's type and the
    whole checked. Returns the customer's normalized values by fact, in schema order (absent
    optional facts as their default, or None).

    Raises:
        InvalidCustomer: with every problem of the record (conversions and checks alike).

    Examples:
        >>> from crmculture.stories import acme_schema
        >>> customer = parse(acme_schema(), {"customer_id": "c7", "credit_hold": "no",
        ...     "days_overdue": "0", "annual_volume": "42210.0", "tier": "gold",
        ...     "balance": "12.50", "region": ""}, keep=["customer_id"])
        >>> customer["annual_volume"], customer["balance"], customer["region"]
        (42210, Decimal('12.50'), None)
        >>> parse(acme_schema(), {"credit_hold": "maybe", "days_overdue": "1.5",
        ...     "annual_volume": 1, "tier": "Gold"})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        crmculture.errors.InvalidCustomer: invalid customer: 3 problems
          - customer.credit_hold: `maybe` is not a boolean: write true/yes/1 or false/no/0
          - customer.days_overdue: `1.5` is not a whole number
          - customer.tier: `Gold` is not one of the allowed values: ... (did you mean `gold`?)
    """
    kept = frozenset(keep)
    converted: dict[str, Any] = {}
    problems: dict[str, Problem] = {}
    for key, value in record.items():
        if key in kept:
            continue
        if key not in schema:
            converted[key] = value  # the schema reports it, with a did-you-mean
            continue
        fact = schema[key]
        typed, problem = convert(fact, value)
        if problem is not None:
            problems[key] = Problem(("customer", key), problem, value)
        else:
            converted[key] = typed
    values, found = schema.problems({k: v for k, v in converted.items() if k not in problems})
    every = [p for p in found if p.path[-1] not in problems]
    every.extend(problems.values())
    if every:
        order = {name: n for n, name in enumerate(schema.names)}
        every.sort(key=lambda p: (order.get(str(p.path[-1]), len(order)), str(p.path[-1])))
        raise InvalidCustomer("invalid customer", every)
    return dict(zip(schema.names, values, strict=True))
