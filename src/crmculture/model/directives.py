"""Directives: the aspects of treatment a policy decides, and how competing rules combine.

A `Directive` is one thing the culture decides for a customer: where to route them, their
service level, whether goods may ship, their discount. It has a type (``text``, ``enum``,
``bool``, ``int``, ``decimal``), optional allowed values, a default, a `Combine` strategy for
when several matching rules set it, and whether it must be *uniform* (the same in every
department).
"""

from __future__ import annotations

import builtins
import enum
import typing
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any, Literal, TypeAlias

import attrs

from crmculture.errors import PolicyError, Problem, did_you_mean
from crmculture.model.facts import Better, check_name
from crmculture.model.values import NO_DEFAULT, Scalar, Value, number_problem

__all__ = ["ALLOWED_COMBINE", "DIRECTIVE_TYPES", "Combine", "Directive", "DirectiveType"]

DirectiveType: TypeAlias = Literal["text", "enum", "bool", "int", "decimal"]
"""The types a directive can have. An ``enum`` directive's values are ordered, from least to
most favourable to the customer, as in culture documents."""

_Int = builtins.int
_Bool = builtins.bool


class Combine(enum.Enum):
    """How the values set by several matching rules combine into one.

    Ties are broken by ``(priority, rule id)``, never by the order rules were written in.
    """

    FIRST = "first"
    """The value of the first matching rule by ``(priority, rule id)``: lowest priority wins."""
    UNIQUE = "unique"
    """Every matching rule must set the same value; two different values are a conflict."""
    MIN = "min"
    """The smallest value (for enum directives, the earliest in the declared order)."""
    MAX = "max"
    """The largest value (for enum directives, the latest in the declared order)."""
    ALL = "all"
    """Booleans: true only if every matching rule says true."""
    ANY = "any"
    """Booleans: true if any matching rule says true."""
    SUM = "sum"
    """Numbers: the sum of the values of all matching rules."""
    COLLECT = "collect"
    """The sorted, de-duplicated union of the values of all matching rules."""
    LIST = "list"
    """The values of all matching rules in ``(priority, rule id)`` order, repeats kept (a DMN
    rule-order or output-order table)."""

    def __repr__(self) -> str:
        return f"Combine.{self.name}"


DIRECTIVE_TYPES: tuple[DirectiveType, ...] = typing.get_args(DirectiveType)
"""Every directive type."""

ALLOWED_COMBINE: dict[str, frozenset[Combine]] = {
    "text": frozenset({Combine.FIRST, Combine.UNIQUE, Combine.COLLECT, Combine.LIST}),
    "enum": frozenset(
        {Combine.FIRST, Combine.UNIQUE, Combine.MIN, Combine.MAX, Combine.COLLECT, Combine.LIST}
    ),
    "bool": frozenset({Combine.FIRST, Combine.UNIQUE, Combine.ALL, Combine.ANY, Combine.LIST}),
    "int": frozenset(
        {
            Combine.FIRST,
            Combine.UNIQUE,
            Combine.MIN,
            Combine.MAX,
            Combine.SUM,
            Combine.COLLECT,
            Combine.LIST,
        }
    ),
    "decimal": frozenset(
        {
            Combine.FIRST,
            Combine.UNIQUE,
            Combine.MIN,
            Combine.MAX,
            Combine.SUM,
            Combine.COLLECT,
            Combine.LIST,
        }
    ),
}
"""The combine strategies each directive type allows."""


def _to_combine(value: Combine | str) -> Any:
    """The `Combine` member for `value`; an unknown name is kept and reported by the directive."""
    if isinstance(value, Combine):
        return value
    try:
        return Combine(value)
    except ValueError:
        return value


def _values_tuple(values: Iterable[str] | None) -> Any:
    if values is None or isinstance(values, str):
        return values
    return tuple(values)


def _finite_number(value: object) -> bool:
    """Whether `value` can bound a number directive: an int or a finite Decimal, not a bool."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return False
    if number_problem(value):
        return False
    return not isinstance(value, Decimal) or value.is_finite()


@attrs.frozen
class Directive:
    """One aspect of treatment that a policy decides.

    Build directives with `Directive.text`, `Directive.enum`, `Directive.bool`,
    `Directive.int` and `Directive.decimal`.

    Attributes:
        name: An identifier, e.g. ``route_to``.
        type: ``text``, ``enum``, ``bool``, ``int`` or ``decimal``.
        values: Allowed values: required for ``enum`` (listed from least to most favourable
            to the customer), optional for ``text``.
        combine: How the values of several matching rules combine.
        default: The value when no matching rule sets it; `NO_DEFAULT` makes a customer no
            rule covers an error (`crmculture.UndecidedError`). ``collect`` and ``list`` directives
            default to the empty tuple.
        uniform: Whether every department must give the same value: department layers may
            not set it.
        monotone: Whether a better customer must never get a worse value (checked by the
            analysis). Needs an order: ``enum``, ``bool``, ``int`` or ``decimal``.
        better: For monotone directives, which direction is better for the customer.
        min: The smallest allowed value of a number directive.
        max: The largest allowed value of a number directive.
        description: Free text for documentation.

    Examples:
        >>> level = Directive.enum("level", ["standard", "priority"], combine="max")
        >>> level.check("gold")[1]
        '`gold` is not one of the allowed values: `standard`, `priority`'
    """

    name: str
    type: DirectiveType
    values: tuple[str, ...] | None = attrs.field(default=None, converter=_values_tuple)
    combine: Combine = attrs.field(default=Combine.FIRST, converter=_to_combine)
    default: Any = NO_DEFAULT
    uniform: _Bool = False
    monotone: _Bool = False
    better: Better | None = None
    min: Any = None
    max: Any = None
    description: str = ""

    def __attrs_post_init__(self) -> None:
        if self.collects and self.default is NO_DEFAULT:
            object.__setattr__(self, "default", ())
        if (
            self.default is not NO_DEFAULT
            and self.type in DIRECTIVE_TYPES
            and all(_finite_number(bound) for bound in (self.min, self.max) if bound is not None)
        ):
            # A default cannot be normalized against a broken bound; the bound is reported.
            normalized, problem = self.check(self.default)
            if problem is None:
                object.__setattr__(self, "default", normalized)
        problems = [
            Problem(
                ("directives", self.name) if field is None else ("directives", self.name, field), m
            )
            for field, m in self._definition_problems()
        ]
        if problems:
            raise PolicyError(f"invalid directive `{self.name}`", problems)
        if self.type == "decimal":
            for bound in ("min", "max"):
                if getattr(self, bound) is not None:
                    object.__setattr__(self, bound, Decimal(getattr(self, bound)))

    def _definition_problems(self) -> Iterator[tuple[str | None, str]]:
        """Each problem of the definition, with its field (None: the whole directive)."""
        name_problem = check_name(self.name, "directive")
        if name_problem:
            yield None, name_problem
        if self.type not in DIRECTIVE_TYPES:
            yield (
                "type",
                (
                    f"unknown directive type `{self.type}`"
                    + did_you_mean(str(self.type), DIRECTIVE_TYPES)
                ),
            )
            return
        if not isinstance(self.combine, Combine):
            names = [c.value for c in Combine]
            yield (
                "combine",
                (
                    f"unknown combine strategy `{self.combine}`"
                    + did_you_mean(str(self.combine), names)
                ),
            )
            return
        if isinstance(self.values, str):
            yield "values", "values must be a list of strings, not one string"
            return
        if self.type == "enum" and not self.values:
            yield "values", "an enum directive needs its values, from least to most favourable"
        if self.type not in ("text", "enum") and self.values is not None:
            yield "values", f"only text and enum directives have values, not `{self.type}`"
        if self.values is not None:
            if not self.values:
                yield "values", "the list of values is empty"
            if any(not isinstance(v, str) for v in self.values):
                yield "values", "values must be strings"
            elif len(set(self.values)) != len(self.values):
                yield "values", "a value is listed twice"
        if self.combine not in ALLOWED_COMBINE[self.type]:
            allowed = ", ".join(sorted(c.value for c in ALLOWED_COMBINE[self.type]))
            yield (
                "combine",
                (
                    f"combine `{self.combine.value}` does not apply to a `{self.type}` directive "
                    f"(use one of {allowed})"
                ),
            )
        if self.type not in ("int", "decimal") and (self.min is not None or self.max is not None):
            yield (
                ("min" if self.min is not None else "max"),
                "only number directives have a min or max",
            )
        else:
            for label, bound in (("min", self.min), ("max", self.max)):
                if bound is not None and not _finite_number(bound):
                    too_big = number_problem(bound)
                    yield label, too_big or f"{label} must be a finite number, not `{bound!r}`"
                    return
            if self.min is not None and self.max is not None and self.min > self.max:
                yield "min", f"min `{self.min}` is greater than max `{self.max}`"
        if self.better is not None and self.better not in ("higher", "lower"):
            yield "better", f"better must be `higher` or `lower`, not `{self.better}`"
        if self.monotone and self.type == "text":
            yield "monotone", "a monotone directive needs an order; text directives have none"
        if self.better is not None and not self.monotone:
            yield "better", "better is only meaningful on a monotone directive"
        if self.default is not NO_DEFAULT:
            problem = self.check(self.default)[1]
            if problem:
                yield "default", problem

    @property
    def collects(self) -> _Bool:
        """Whether the value is a tuple of the matching rules' values (``collect``, ``list``).

        Examples:
            >>> Directive.text("offers", combine="list").collects
            True
        """
        return self.combine in (Combine.COLLECT, Combine.LIST)

    @property
    def has_default(self) -> _Bool:
        """Whether the directive has a default value."""
        return self.default is not NO_DEFAULT

    @property
    def favourable(self) -> Better:
        """For monotone directives, which way is better for the customer (``higher`` unless
        declared otherwise)."""
        return self.better or "higher"

    def order_key(self, value: Scalar) -> Any:
        """A sort key following the directive's order (declared order for enum values)."""
        if self.type == "enum":
            assert self.values is not None
            return self.values.index(str(value))
        return value

    def _check_scalar(self, value: object) -> tuple[Any, str | None]:
        kind = self.type
        too_big = number_problem(value)
        if too_big:
            return value, too_big
        if kind in ("text", "enum"):
            if not isinstance(value, str):
                return value, f"expected a string, got {type(value).__name__} `{value!r}`"
            if self.values is not None and value not in self.values:
                allowed = ", ".join(f"`{v}`" for v in self.values)
                return value, f"`{value}` is not one of the allowed values: {allowed}"
            return value, None
        if kind == "bool":
            if not isinstance(value, bool):
                return value, f"expected a bool, got {type(value).__name__} `{value!r}`"
            return value, None
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            expected = "an int" if kind == "int" else "a Decimal or an int"
            return value, f"expected {expected}, got {type(value).__name__} `{value!r}`"
        if kind == "int" and isinstance(value, Decimal):
            return value, f"expected an int, got Decimal `{value}`"
        normalized: Any = int(value) if kind == "int" else Decimal(value)
        if kind == "decimal" and not normalized.is_finite():
            return value, f"`{value}` is not a finite number"
        if self.min is not None and normalized < self.min:
            return value, f"`{normalized}` is below the minimum {self.min}"
        if self.max is not None and normalized > self.max:
            return value, f"`{normalized}` is above the maximum {self.max}"
        return normalized, None

    def check(self, value: object) -> tuple[Any, str | None]:
        """Check a value a rule sets: return ``(normalized value, None)`` or ``(value, why)``.

        For ``collect`` directives a rule may set one value or a list of values; the
        normalized form is a sorted tuple without duplicates. For ``list`` directives it is
        a tuple in the order given, repeats kept.
        """
        if not self.collects:
            return self._check_scalar(value)
        items = list(value) if isinstance(value, list | tuple) else [value]
        normalized_items = []
        for item in items:
            normalized, problem = self._check_scalar(item)
            if problem:
                return value, problem
            normalized_items.append(normalized)
        if self.combine is Combine.LIST:
            return tuple(normalized_items), None
        return self.collect_sorted(normalized_items), None

    def collect_sorted(self, items: Iterable[Scalar]) -> tuple[Scalar, ...]:
        """Sort and de-duplicate values for a ``collect`` directive."""
        return tuple(sorted(set(items), key=self.order_key))

    # Typed constructors last: inside the class body they shadow the builtins `bool`/`int`.

    @classmethod
    def text(
        cls,
        name: str,
        *,
        values: Iterable[str] | None = None,
        default: Value | Any = NO_DEFAULT,
        combine: Combine | str = Combine.FIRST,
        uniform: _Bool = False,
        description: str = "",
    ) -> Directive:
        """A free-text (or, with `values`, enumerated) directive such as ``route_to``.

        Examples:
            >>> Directive.text("route_to", default="frontline", uniform=True).combine
            Combine.FIRST
        """
        return cls(
            name,
            "text",
            values=_values_tuple(values),
            combine=_to_combine(combine),
            default=default,
            uniform=uniform,
            description=description,
        )

    @classmethod
    def enum(
        cls,
        name: str,
        values: Iterable[str],
        *,
        default: Value | Any = NO_DEFAULT,
        combine: Combine | str = Combine.FIRST,
        uniform: _Bool = False,
        monotone: _Bool = False,
        better: Better | None = None,
        description: str = "",
    ) -> Directive:
        """A directive over ordered values, listed from least to most favourable.

        The directive counterpart of an ordered `crmculture.Fact.enum`: ``min`` and ``max``
        follow the declared order, not the alphabet.

        Examples:
            >>> d = Directive.enum("service_level", ["standard", "priority", "white_glove"],
            ...                    default="standard", combine="max")
            >>> d.order_key("white_glove")
            2
        """
        return cls(
            name,
            "enum",
            values=_values_tuple(values),
            combine=_to_combine(combine),
            default=default,
            uniform=uniform,
            monotone=monotone,
            better=better,
            description=description,
        )

    @classmethod
    def bool(
        cls,
        name: str,
        *,
        default: Value | Any = NO_DEFAULT,
        combine: Combine | str = Combine.FIRST,
        uniform: _Bool = False,
        monotone: _Bool = False,
        better: Better | None = None,
        description: str = "",
    ) -> Directive:
        """A yes/no directive such as ``may_ship``; combine with ``all`` or ``any``.

        Examples:
            >>> Directive.bool("may_ship", default=True, combine="all").check("yes")[1]
            "expected a bool, got str `'yes'`"
        """
        return cls(
            name,
            "bool",
            combine=_to_combine(combine),
            default=default,
            uniform=uniform,
            monotone=monotone,
            better=better,
            description=description,
        )

    @classmethod
    def int(
        cls,
        name: str,
        *,
        min: _Int | None = None,
        max: _Int | None = None,
        default: Value | Any = NO_DEFAULT,
        combine: Combine | str = Combine.FIRST,
        uniform: _Bool = False,
        monotone: _Bool = False,
        better: Better | None = None,
        description: str = "",
    ) -> Directive:
        """A whole-number directive such as ``discount_pct``.

        Examples:
            >>> Directive.int("discount_pct", min=0, max=50, default=0, combine="max").check(60)[1]
            '`60` is above the maximum 50'
        """
        return cls(
            name,
            "int",
            combine=_to_combine(combine),
            default=default,
            uniform=uniform,
            monotone=monotone,
            better=better,
            min=min,
            max=max,
            description=description,
        )

    @classmethod
    def decimal(
        cls,
        name: str,
        *,
        min: _Int | Decimal | None = None,
        max: _Int | Decimal | None = None,
        default: Value | Any = NO_DEFAULT,
        combine: Combine | str = Combine.FIRST,
        uniform: _Bool = False,
        monotone: _Bool = False,
        better: Better | None = None,
        description: str = "",
    ) -> Directive:
        """An exact decimal directive, for amounts such as a credit limit.

        Examples:
            >>> Directive.decimal("credit_limit", default=0, combine="min").default
            Decimal('0')
        """
        return cls(
            name,
            "decimal",
            combine=_to_combine(combine),
            default=default,
            uniform=uniform,
            monotone=monotone,
            better=better,
            min=None if min is None else Decimal(min),
            max=None if max is None else Decimal(max),
            description=description,
        )
