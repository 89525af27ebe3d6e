"""Facts about a customer, and the schema that validates customer records.

A `Fact` has a name, a type (``bool``, ``int``, ``float``, ``decimal``, ``enum``, ``date``), a
domain (a range, or the allowed values of an enum), whether it is optional (and its default
when absent), and for ordered facts which direction is *better for the company*. A `Schema` is
an ordered set of facts; `Schema.validate` checks a customer record and reports every problem
at once.
"""

from __future__ import annotations

import builtins
import datetime as dt
import keyword
import math
import re
import sys
import typing
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any, Literal, TypeAlias

import attrs

from crmculture.errors import (
    InvalidCustomer,
    Problem,
    SchemaError,
    UnknownFactError,
    did_you_mean,
)
from crmculture.model.values import NO_DEFAULT, Scalar, literal_text, number_problem

__all__ = [
    "BETTER",
    "FACT_TYPES",
    "Better",
    "Fact",
    "FactType",
    "Freshness",
    "Schema",
    "check_name",
]

FactType: TypeAlias = Literal["bool", "int", "float", "decimal", "enum", "date"]
"""The types a fact can have."""

Better: TypeAlias = Literal["higher", "lower"]
"""Which direction of an ordered fact is better for the company (for booleans, ``higher`` means
``true`` is better)."""

FACT_TYPES: tuple[FactType, ...] = typing.get_args(FactType)
"""Every fact type, in the order the documentation lists them."""

BETTER: tuple[Better, ...] = typing.get_args(Better)
"""The two directions of `Better`."""
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Words of the condition syntax: a fact with one of these names could not be written in text.
RESERVED_WORDS = frozenset(
    {"and", "or", "not", "in", "is", "between", "missing", "true", "false", "decision"}
)

_Int = builtins.int
_Bool = builtins.bool
_Float = builtins.float


def check_name(name: object, what: str) -> str | None:
    """Return why `name` cannot name a fact or directive, or None when it can.

    Examples:
        >>> check_name("days_overdue", "fact") is None
        True
        >>> check_name("and", "fact")
        'fact name `and` is a reserved word of the condition syntax'
    """
    if not isinstance(name, str):
        return f"{what} name must be a string, not `{type(name).__name__}`"
    if not _NAME.match(name):
        return f"{what} name `{name}` must be an identifier (letters, digits, underscores)"
    if name in RESERVED_WORDS or keyword.iskeyword(name):
        return f"{what} name `{name}` is a reserved word of the condition syntax"
    return None


_LARGEST_FLOAT = int(sys.float_info.max)


def _fractional(value: object) -> bool:
    """Whether `value` is a finite float or Decimal with a fractional part."""
    if isinstance(value, float):
        return math.isfinite(value) and not value.is_integer()
    if isinstance(value, Decimal):
        return value.is_finite() and value != value.to_integral_value()
    return False


def _type_name(value: object) -> str:
    return type(value).__name__


@attrs.frozen
class Freshness:
    """How long a fact's value stays fresh: `days` days after the date in fact `since`.

    As of a day later than that (``since < as_of - days``), or when `since` is missing, the
    value is *stale*: present, but not to be trusted. `crmculture.quality.report` counts stale
    values and treats them like missing ones when it asks whether knowing a fact would change
    a decision. Freshness never changes a decision itself.

    Examples:
        >>> fresh = Freshness(365, since="verified_on")
        >>> fresh.is_stale(dt.date(2025, 1, 1), dt.date(2026, 1, 2))
        True
        >>> day = dt.date(2026, 1, 2)
        >>> fresh.is_stale(dt.date(2025, 1, 2), day), fresh.is_stale(None, day)
        (False, True)
    """

    days: int
    since: str

    def is_stale(self, since: dt.date | None, as_of: dt.date) -> _Bool:
        """Whether a value dated `since` (None: undated) is stale as of `as_of`."""
        return since is None or (as_of - since).days > self.days


@attrs.frozen
class Fact:
    """One thing a culture knows about a customer.

    Build facts with the typed constructors (`Fact.bool`, `Fact.int`, `Fact.float`,
    `Fact.decimal`, `Fact.enum`, `Fact.date`) rather than calling the class directly.

    Attributes:
        name: An identifier, e.g. ``days_overdue``.
        type: One of ``bool``, ``int``, ``float``, ``decimal``, ``enum``, ``date``.
        values: The allowed values of an enum fact, in their declared order.
        ordered: Whether values can be compared with ``<``/``>``; always true except for
            enums declared without an order.
        min: The smallest allowed value (numbers and dates), inclusive.
        max: The largest allowed value (numbers and dates), inclusive.
        optional: Whether a customer record may leave the fact out (or give ``None``).
        default: The value an optional fact takes when absent; `NO_DEFAULT` leaves it missing,
            so that only ``is missing`` tests are true of it.
        better: For ordered facts, which direction is better for the company.
        description: Free text for documentation.
        fresh_for: How long a value stays fresh (`Freshness`), or None: values never go stale.

    Examples:
        >>> Fact.int("days_overdue", min=0, max=3650, better="lower").check(12)
        (12, None)
        >>> Fact.enum("tier", ["bronze", "gold"]).check("diamond")[1]
        '`diamond` is not one of the allowed values: `bronze`, `gold`'
    """

    name: str
    type: FactType
    values: tuple[str, ...] | None = None
    ordered: _Bool = True
    min: Any = None
    max: Any = None
    optional: _Bool = False
    default: Any = NO_DEFAULT
    better: Better | None = None
    description: str = ""
    fresh_for: Freshness | None = None

    def __attrs_post_init__(self) -> None:
        problems = [
            Problem(("facts", self.name) if field is None else ("facts", self.name, field), m)
            for field, m in self._definition_problems()
        ]
        if problems:
            raise SchemaError(f"invalid fact `{self.name}`", problems)
        # Bounds and defaults are stored normalized (ints become floats for float facts and
        # Decimals for decimal facts), so that equal facts have one canonical form.
        for bound in ("min", "max"):
            value = getattr(self, bound)
            if value is not None and self.type in ("float", "decimal"):
                object.__setattr__(
                    self, bound, float(value) if self.type == "float" else Decimal(value)
                )
        if self.default is not NO_DEFAULT:
            # An absent fact and one given explicitly agree.
            object.__setattr__(self, "default", self.check(self.default)[0])

    def _definition_problems(self) -> Iterator[tuple[str | None, str]]:
        """Each problem of the definition, with the field it is about (None: the whole fact)."""
        name_problem = check_name(self.name, "fact")
        if name_problem:
            yield None, name_problem
        if self.type not in FACT_TYPES:
            yield (
                "type",
                f"unknown fact type `{self.type}`" + did_you_mean(str(self.type), FACT_TYPES),
            )
            return
        if self.type == "enum":
            yield from (("values", problem) for problem in _enum_problems(self.values))
        elif self.values is not None:
            yield "values", f"only enum facts have values, not `{self.type}` facts"
        if self.type in ("bool", "enum") and (self.min is not None or self.max is not None):
            yield (
                ("min" if self.min is not None else "max"),
                f"`{self.type}` facts have no min or max",
            )
        bounds_ok = True
        for label, bound in (("min", self.min), ("max", self.max)):
            if bound is not None:
                bound_problem = self._type_problem(bound)
                if bound_problem:
                    bounds_ok = False
                    yield label, bound_problem
        if (
            self.min is not None
            and self.max is not None
            and not self._type_problem(self.min)
            and not self._type_problem(self.max)
            and self.min > self.max
        ):
            yield "min", f"min `{self.min}` is greater than max `{self.max}`"
        if self.better is not None and self.better not in ("higher", "lower"):
            yield "better", f"better must be `higher` or `lower`, not `{self.better}`"
        if self.better is not None and not self.ordered:
            yield "better", "an unordered enum has no better direction; declare it ordered"
        fresh = self.fresh_for
        if fresh is not None and (
            not isinstance(fresh, Freshness)
            or isinstance(fresh.days, bool)
            or not isinstance(fresh.days, int)
            or fresh.days < 0
            or not isinstance(fresh.since, str)
        ):
            yield (
                "fresh_for",
                "fresh_for is `Freshness(days, since=DATE_FACT)` with days a whole number >= 0, "
                f"not `{fresh!r}`",
            )
        if self.default is not NO_DEFAULT:
            if not self.optional:
                yield "default", "only optional facts have a default"
            elif bounds_ok:  # a default cannot be checked against a broken bound
                default_problem = self.check(self.default)[1]
                if default_problem:
                    yield "default", default_problem

    @property
    def is_ordered(self) -> _Bool:
        """Whether ``<``, ``<=``, ``>``, ``>=`` and ``between`` apply to this fact."""
        return self.ordered

    @property
    def has_default(self) -> _Bool:
        """Whether an absent value is replaced by a default."""
        return self.default is not NO_DEFAULT

    def rank(self, value: Scalar) -> _Int:
        """The position of an enum value in the declared order."""
        assert self.values is not None
        return self.values.index(str(value))

    def _type_problem(self, value: object) -> str | None:
        """Why `value` is not of this fact's type, or None (domain not checked)."""
        kind = self.type
        too_big = number_problem(value)
        if too_big:
            return too_big
        if kind == "bool":
            ok = isinstance(value, bool)
        elif kind == "int":
            ok = isinstance(value, int) and not isinstance(value, bool)
            if _fractional(value):
                return f"expected an int: `{value}` is not a whole number"
        elif kind == "float":
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            if ok and isinstance(value, int) and abs(value) > _LARGEST_FLOAT:
                return f"`{value}` is too large for a float"
            if ok and not math.isfinite(value):  # type: ignore[arg-type]
                return f"`{value}` is not a finite number"
        elif kind == "decimal":
            ok = isinstance(value, int | Decimal) and not isinstance(value, bool)
            if ok and isinstance(value, Decimal) and not value.is_finite():
                return f"`{value}` is not a finite number"
            if isinstance(value, float):
                return f"expected a Decimal, got float `{value}` (floats lose cents; use Decimal)"
        elif kind == "enum":
            ok = isinstance(value, str)
        else:
            ok = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
        if not ok:
            shown = value if isinstance(value, Decimal) else repr(value)
            return f"expected {_EXPECTED[kind]}, got {_type_name(value)} `{shown}`"
        return None

    def check(self, value: object) -> tuple[Any, str | None]:
        """Check a present value: return ``(normalized value, None)`` or ``(value, why not)``.

        Normalisation turns ints into floats for float facts and into `Decimal` for decimal
        facts, and int subclasses (such as `enum.IntEnum`) into plain ints.
        """
        problem = self._type_problem(value)
        if problem:
            return value, problem
        normalized: Any = value
        if self.type == "int":
            normalized = int(value)  # type: ignore[call-overload]
        elif self.type == "float":
            normalized = float(value)  # type: ignore[arg-type]
        elif self.type == "decimal" and not isinstance(value, Decimal):
            normalized = Decimal(value)  # type: ignore[arg-type]
        elif self.type == "enum":
            assert self.values is not None
            if value not in self.values:
                allowed = ", ".join(f"`{v}`" for v in self.values)
                return value, f"`{value}` is not one of the allowed values: {allowed}"
            normalized = str(value)
        if self.min is not None and normalized < self.min:
            return value, f"`{literal_text(normalized)}` is below the minimum {self.min}"
        if self.max is not None and normalized > self.max:
            return value, f"`{literal_text(normalized)}` is above the maximum {self.max}"
        return normalized, None

    def describe(self) -> str:
        """A short human description of the type and domain, e.g. ``int 0..3650``."""
        if self.type == "enum":
            assert self.values is not None
            text = ("ordered enum " if self.ordered else "enum ") + "|".join(self.values)
        elif self.min is not None or self.max is not None:
            low = "" if self.min is None else str(self.min)
            high = "" if self.max is None else str(self.max)
            text = f"{self.type} {low}..{high}"
        else:
            text = self.type
        if self.optional:
            text += ", optional"
        if self.better:
            text += f", {self.better} is better"
        return text

    # The typed constructors come last: inside the class body their names shadow the
    # builtins `bool`, `int` and `float`.

    @classmethod
    def bool(
        cls,
        name: str,
        *,
        optional: _Bool = False,
        default: Any = NO_DEFAULT,
        better: Better | None = None,
        description: str = "",
        fresh_for: Freshness | None = None,
    ) -> Fact:
        """A yes/no fact, e.g. ``credit_hold``. For ``better``, ``higher`` means true is better.

        Examples:
            >>> Fact.bool("credit_hold").type
            'bool'
        """
        return cls(
            name,
            "bool",
            optional=optional,
            default=default,
            better=better,
            description=description,
            fresh_for=fresh_for,
        )

    @classmethod
    def int(
        cls,
        name: str,
        *,
        min: _Int | None = None,
        max: _Int | None = None,
        optional: _Bool = False,
        default: Any = NO_DEFAULT,
        better: Better | None = None,
        description: str = "",
        fresh_for: Freshness | None = None,
    ) -> Fact:
        """A whole-number fact with an optional inclusive range.

        Examples:
            >>> Fact.int("days_overdue", min=0, better="lower").describe()
            'int 0.., lower is better'
        """
        return cls(
            name,
            "int",
            min=min,
            max=max,
            optional=optional,
            default=default,
            better=better,
            description=description,
            fresh_for=fresh_for,
        )

    @classmethod
    def float(
        cls,
        name: str,
        *,
        min: _Int | _Float | None = None,
        max: _Int | _Float | None = None,
        optional: _Bool = False,
        default: Any = NO_DEFAULT,
        better: Better | None = None,
        description: str = "",
        fresh_for: Freshness | None = None,
    ) -> Fact:
        """A floating-point fact (finite values only), e.g. a satisfaction score.

        Examples:
            >>> Fact.float("satisfaction", min=0, max=10).check(7)
            (7.0, None)
        """
        return cls(
            name,
            "float",
            min=min,
            max=max,
            optional=optional,
            default=default,
            better=better,
            description=description,
            fresh_for=fresh_for,
        )

    @classmethod
    def decimal(
        cls,
        name: str,
        *,
        min: _Int | Decimal | None = None,
        max: _Int | Decimal | None = None,
        optional: _Bool = False,
        default: Any = NO_DEFAULT,
        better: Better | None = None,
        description: str = "",
        fresh_for: Freshness | None = None,
    ) -> Fact:
        """An exact decimal fact, for money.

        Examples:
            >>> Fact.decimal("balance", min=0).check(Decimal("12.50"))
            (Decimal('12.50'), None)
        """
        return cls(
            name,
            "decimal",
            min=None if min is None else Decimal(min),
            max=None if max is None else Decimal(max),
            optional=optional,
            default=default,
            better=better,
            description=description,
            fresh_for=fresh_for,
        )

    @classmethod
    def enum(
        cls,
        name: str,
        values: Iterable[str],
        *,
        ordered: _Bool | None = None,
        optional: _Bool = False,
        default: Any = NO_DEFAULT,
        better: Better | None = None,
        description: str = "",
        fresh_for: Freshness | None = None,
    ) -> Fact:
        """A fact taking one of a fixed list of strings.

        The enum is ordered (in the order the values are listed, first is lowest) when
        ``ordered=True`` or when ``better`` is given.

        Examples:
            >>> Fact.enum("tier", ["bronze", "silver", "gold"], better="higher").ordered
            True
        """
        is_ordered = (better is not None) if ordered is None else ordered
        return cls(
            name,
            "enum",
            values=_as_tuple(values),
            ordered=is_ordered,
            optional=optional,
            default=default,
            better=better,
            description=description,
            fresh_for=fresh_for,
        )

    @classmethod
    def date(
        cls,
        name: str,
        *,
        min: dt.date | None = None,
        max: dt.date | None = None,
        optional: _Bool = False,
        default: Any = NO_DEFAULT,
        better: Better | None = None,
        description: str = "",
        fresh_for: Freshness | None = None,
    ) -> Fact:
        """A calendar date (`datetime.date`, not a datetime).

        Examples:
            >>> Fact.date("renewal_date").check(dt.date(2027, 1, 31))
            (datetime.date(2027, 1, 31), None)
        """
        return cls(
            name,
            "date",
            min=min,
            max=max,
            optional=optional,
            default=default,
            better=better,
            description=description,
            fresh_for=fresh_for,
        )


_EXPECTED = {
    "bool": "a bool",
    "int": "an int",
    "float": "a number",
    "decimal": "a Decimal or an int",
    "enum": "a string",
    "date": "a date",
}


def _as_tuple(values: Iterable[Any] | None) -> Any:
    if values is None or isinstance(values, str):
        return values
    return tuple(values)


def _enum_problems(values: tuple[str, ...] | None) -> Iterator[str]:
    if not values:
        yield "an enum fact needs at least one value"
        return
    if not isinstance(values, tuple):
        yield "enum values must be a list of strings"
        return
    for value in values:
        if not isinstance(value, str):
            yield f"enum value `{value!r}` is not a string"
    seen: set[str] = set()
    for value in values:
        if value in seen:
            yield f"enum value `{value}` is listed twice"
        seen.add(value)


def _facts_tuple(facts: Iterable[Fact]) -> tuple[Fact, ...]:
    return tuple(facts)


@attrs.frozen
class Schema:
    """The facts a culture talks about, in declared order; validates customer records.

    Attributes:
        facts: The facts; names must be unique.

    Examples:
        >>> schema = Schema([Fact.bool("credit_hold"), Fact.int("days_overdue", min=0)])
        >>> schema.validate({"credit_hold": False, "days_overdue": 12})
        {'credit_hold': False, 'days_overdue': 12}
        >>> schema.validate({"credit_hold": "no", "days_overdu": 1})
        Traceback (most recent call last):
        ...
        crmculture.errors.InvalidCustomer: invalid customer: 3 problems
          - customer.credit_hold: expected a bool, got str `'no'`
          - customer.days_overdue: required fact is missing
          - customer.days_overdu: unknown fact (did you mean `days_overdue`?)
    """

    facts: tuple[Fact, ...] = attrs.field(converter=_facts_tuple)
    _by_name: dict[str, Fact] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        by_name: dict[str, Fact] = {}
        for position, fact in enumerate(self.facts):
            if not isinstance(fact, Fact):
                problems.append(
                    Problem(
                        ("facts", position), f"expected a Fact, got {_type_name(fact)} `{fact!r}`"
                    )
                )
            elif fact.name in by_name:
                problems.append(Problem(("facts", fact.name), "fact is declared twice"))
            else:
                by_name[fact.name] = fact
        for fact in by_name.values():
            if fact.fresh_for is None:
                continue
            since = by_name.get(fact.fresh_for.since)
            if since is None or since.type != "date":
                dates = [f.name for f in by_name.values() if f.type == "date"]
                hint = did_you_mean(fact.fresh_for.since, dates) if since is None else ""
                problems.append(
                    Problem(
                        ("facts", fact.name, "fresh_for", "since"),
                        f"`since` names a date fact of the schema, not `{fact.fresh_for.since}`"
                        + hint,
                    )
                )
        if problems:
            raise SchemaError("invalid schema", problems)
        object.__setattr__(self, "_by_name", by_name)

    def __getitem__(self, name: str) -> Fact:
        """The fact called `name`.

        Raises:
            UnknownFactError: (a `KeyError`) with a did-you-mean, when there is no such fact.
        """
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownFactError(name, self.names) from None

    def __contains__(self, name: object) -> _Bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[Fact]:
        return iter(self.facts)

    def __len__(self) -> _Int:
        return len(self.facts)

    @property
    def names(self) -> tuple[str, ...]:
        """The fact names in declared order."""
        return tuple(self._by_name)

    def problems(self, customer: object) -> tuple[tuple[Any, ...], list[Problem]]:
        """Check a record; return its normalized values in schema order and every problem.

        `customer` is a mapping of fact names to values, or any object with the facts as
        attributes (attrs classes, dataclasses, pydantic models). A missing value, ``None``
        or a float ``NaN`` counts as absent. Values of absent optional facts are their
        default, or ``None``.
        """
        problems: list[Problem] = []
        values: list[Any] = []
        if isinstance(customer, Mapping):
            read = customer.get
            for key in customer:
                if key not in self._by_name:
                    problems.append(
                        Problem(
                            ("customer", key),
                            "unknown fact" + did_you_mean(str(key), self.names),
                            customer[key],
                        )
                    )
        else:

            def read(name: str, default: Any = None) -> Any:
                return getattr(customer, name, default)

        for fact in self.facts:
            value = read(fact.name, None)
            # NaN is how frames and spreadsheets write a missing number: missing everywhere.
            if value is None or (isinstance(value, float) and math.isnan(value)):
                if not fact.optional:
                    problems.append(Problem(("customer", fact.name), "required fact is missing"))
                values.append(None if fact.default is NO_DEFAULT else fact.default)
                continue
            normalized, problem = fact.check(value)
            if problem:
                problems.append(Problem(("customer", fact.name), problem, value))
            values.append(normalized)
        # Report in schema order, unknown facts last, whatever order the record had.
        problems.sort(key=lambda p: p.path[1] not in self._by_name)
        return tuple(values), problems

    def normalize(self, customer: object, *, index: _Int | None = None) -> tuple[Any, ...]:
        """Validate a record and return its values in schema order.

        Raises:
            InvalidCustomer: listing every problem, when the record does not fit the schema.
        """
        values, problems = self.problems(customer)
        if problems:
            summary = "invalid customer" if index is None else f"invalid customer at index {index}"
            raise InvalidCustomer(summary, problems, index=index)
        return values

    def parse(self, record: Mapping[str, Any], *, keep: Iterable[str] = ()) -> dict[str, Any]:
        """A record from text (JSON, CSV, a form, an ERP export) as a customer: every value
        converted to its fact's type (``"42210.0"`` for an int, ``"2026-03-01"`` for a date,
        ``"yes"`` for a bool, blank for missing), the whole checked, and the normalized values
        returned by fact, in schema order. Fields in `keep` (a customer id) are left out,
        unchecked. The table of conversions is in `crmculture.model.intake`.

        Raises:
            InvalidCustomer: listing every problem of the record.

        Examples:
            >>> schema = Schema([Fact.int("volume"), Fact.date("since", optional=True)])
            >>> schema.parse({"id": "c7", "volume": "42210.0", "since": ""}, keep=["id"])
            {'volume': 42210, 'since': None}
        """
        from crmculture.model.intake import parse

        return parse(self, record, keep=keep)

    def validate(self, customer: object) -> dict[str, Any]:
        """Validate a record and return it as a dict of normalized values in schema order.

        Raises:
            InvalidCustomer: listing every problem, when the record does not fit the schema.
        """
        return dict(zip(self.names, self.normalize(customer), strict=True))
