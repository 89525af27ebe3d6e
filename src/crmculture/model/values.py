"""The values facts and directives take, and their canonical text and JSON forms.

A value is a `bool`, `int`, `float`, `decimal.Decimal`, `str` or `datetime.date`, or (for
``collect`` directives) a tuple of those. These helpers are shared by the printer of
conditions, the canonical JSON of decisions and the fingerprints of policies, so that one
value always has one spelling.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import math
from decimal import Decimal
from typing import Any, Final, TypeAlias

import attrs

__all__ = [
    "AS_OF",
    "MAX_DAYS",
    "MAX_DIGITS",
    "MAX_EXPONENT",
    "NO_DEFAULT",
    "AsOf",
    "Operand",
    "Scalar",
    "Value",
    "canonical_json",
    "decimal_text",
    "json_value",
    "literal_text",
    "number_problem",
    "value_text",
]

Scalar: TypeAlias = bool | int | float | Decimal | str | dt.date
"""One fact or directive value."""

Value: TypeAlias = Scalar | tuple[Scalar, ...]
"""A directive value: a scalar, or a sorted tuple of scalars for ``collect`` directives."""


MAX_DAYS: Final = 3_000_000
"""The largest shift from the as-of date a condition may name, in days (about 8,200 years,
beyond the span of `datetime.date`)."""


def _check_days(instance: AsOf, attribute: Any, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"an as-of shift is a whole number of days, not `{value!r}`")
    if abs(value) > MAX_DAYS:
        raise ValueError(f"an as-of shift of `{value}` days is beyond ±{MAX_DAYS}")


@attrs.frozen(order=True)
class AsOf:
    """The decision's as-of date shifted by `days`: a value conditions compare date facts with.

    `AS_OF` is the as-of date itself; ``AS_OF.minus(days=365)`` (or ``AS_OF -
    datetime.timedelta(days=365)``) is 365 days before it, written ``as_of - 365 days`` in
    the condition syntax. The as-of date is an input of each decision, never read from a
    clock; a policy whose conditions name it needs it (`crmculture.AsOfRequiredError`).

    Examples:
        >>> str(AS_OF.minus(days=365)), str(AS_OF.plus(days=1)), str(AS_OF)
        ('as_of - 365 days', 'as_of + 1 day', 'as_of')
        >>> (AS_OF - dt.timedelta(days=30)).resolve(dt.date(2026, 3, 31))
        datetime.date(2026, 3, 1)
    """

    days: int = attrs.field(default=0, validator=_check_days)

    def minus(self, *, days: int) -> AsOf:
        """`days` days earlier."""
        return AsOf(self.days - days)

    def plus(self, *, days: int) -> AsOf:
        """`days` days later."""
        return AsOf(self.days + days)

    def __sub__(self, other: dt.timedelta) -> AsOf:
        if not isinstance(other, dt.timedelta):
            return NotImplemented
        return self.minus(days=_whole_days(other))

    def __add__(self, other: dt.timedelta) -> AsOf:
        if not isinstance(other, dt.timedelta):
            return NotImplemented
        return self.plus(days=_whole_days(other))

    def resolve(self, as_of: dt.date) -> dt.date:
        """The date this names for a decision made as of `as_of`.

        Raises:
            OverflowError: when the date is before 0001-01-01 or after 9999-12-31.
        """
        return as_of + dt.timedelta(days=self.days)

    def __str__(self) -> str:
        if self.days == 0:
            return "as_of"
        unit = "day" if abs(self.days) == 1 else "days"
        return f"as_of {'-' if self.days < 0 else '+'} {abs(self.days)} {unit}"


def _whole_days(delta: dt.timedelta) -> int:
    if delta.seconds or delta.microseconds:
        raise ValueError(f"an as-of shift is a whole number of days, not `{delta}`")
    return delta.days


AS_OF: Final = AsOf(0)
"""The decision's as-of date, for conditions: ``F.verified_on < AS_OF.minus(days=365)``."""

Operand: TypeAlias = Scalar | AsOf
"""What a condition compares a fact with: a value, or a date relative to the as-of date."""


class _NoDefault(enum.Enum):
    NO_DEFAULT = "NO_DEFAULT"

    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Final = _NoDefault.NO_DEFAULT
"""Marks a fact or directive that has no default value."""

MAX_DIGITS: Final = 1000
"""The most digits a number may have, in a document, in condition text, in a customer record or
built in Python: every value must have a text that reads back, and Python refuses to read
integers of more than 4,300 digits."""

MAX_EXPONENT: Final = 1000
"""The largest exponent a decimal may have (``1e1000``), either way: a decimal is written
without exponent, so ``1e999999999`` would be a billion characters."""

_INT_LIMIT: Final = 10**MAX_DIGITS


def number_problem(value: object) -> str | None:
    """Why a number is beyond what crmculture reads and writes, or None.

    Examples:
        >>> number_problem(10**1000), number_problem(Decimal("1e-1001")), number_problem(7)
        ('the number has more than 1000 digits', "the number's exponent is beyond ±1000", None)
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        if -_INT_LIMIT < value < _INT_LIMIT:
            return None
        return f"the number has more than {MAX_DIGITS} digits"
    if isinstance(value, Decimal) and value.is_finite():
        if len(value.as_tuple().digits) > MAX_DIGITS:
            return f"the number has more than {MAX_DIGITS} digits"
        if abs(value.adjusted()) > MAX_EXPONENT:
            return f"the number's exponent is beyond ±{MAX_EXPONENT}"
    return None


def json_value(value: Any) -> Any:
    """Return the JSON-ready form of a value: decimals and dates become strings.

    Examples:
        >>> json_value(Decimal("12.50")), json_value(dt.date(2027, 1, 31)), json_value((1, 2))
        ('12.5', '2027-01-31', [1, 2])
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"value `{value}` is not a finite number")
        return value + 0.0  # -0.0 == 0.0, so both get one spelling
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [json_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): json_value(item) for key, item in value.items()}
    raise TypeError(f"value `{value!r}` of type `{type(value).__name__}` has no JSON form")


def decimal_text(value: Decimal) -> str:
    """The one spelling of a decimal: equal decimals get equal text, without exponent.

    Examples:
        >>> [decimal_text(Decimal(t)) for t in ("12.50", "12.5", "5E+2", "-0.00", "-0.0012")]
        ['12.5', '12.5', '500', '0', '-0.0012']
        >>> decimal_text(Decimal("1234567890123456789012345678901.50"))
        '1234567890123456789012345678901.5'
    """
    if value == 0:
        return "0"
    if not value.is_finite():  # never held by a valid policy; shown as Python does
        return str(value)
    # Not `value.normalize()`: it rounds to the context's 28 digits.
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int), value  # finite
    kept = list(digits)
    while exponent < 0 and kept[-1] == 0:
        kept.pop()
        exponent += 1
    text = "".join(map(str, kept))
    if exponent >= 0:
        text += "0" * exponent
    elif len(text) + exponent > 0:
        text = f"{text[: len(text) + exponent]}.{text[len(text) + exponent :]}"
    else:
        text = "0." + "0" * -(len(text) + exponent) + text
    return "-" + text if sign else text


def canonical_json(document: Any) -> str:
    """Serialise a JSON-ready document canonically: sorted keys, no spaces, ASCII only.

    Examples:
        >>> canonical_json({"b": 1, "a": [True, None]})
        '{"a":[true,null],"b":1}'
    """
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    )


def literal_text(value: Operand) -> str:
    """Spell a value as a literal of the condition syntax.

    Strings are double-quoted with JSON escapes, booleans are ``true``/``false``, dates are ISO
    ``YYYY-MM-DD``; equal numbers get equal text (`decimal_text`, and ``0.0`` for ``-0.0``).

    Examples:
        >>> [literal_text(v) for v in (True, 60, Decimal("2.50"), "gold", dt.date(2027, 1, 31))]
        ['true', '60', '2.5', '"gold"', '2027-01-31']
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        return repr(value + 0.0)
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)  # ints, and as-of dates (`as_of - 365 days`)


def value_text(value: Any) -> str:
    """How explanations and findings show a value: a literal, a list for ``collect``
    directives, ``missing`` for an absent fact.

    Examples:
        >>> value_text(("ar", "legal")), value_text(None), value_text(Decimal("12.50"))
        ('["ar", "legal"]', 'missing', '12.5')
    """
    if value is None:
        return "missing"
    if isinstance(value, tuple):
        return "[" + ", ".join(literal_text(item) for item in value) + "]"
    return literal_text(value)
