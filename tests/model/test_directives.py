"""Specification of `Directive` and `Combine`: types, combine strategies, defaults and checks."""

from __future__ import annotations

import enum
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs
import pytest

from crmculture.errors import CrmCultureError, PolicyError
from crmculture.model import NO_DEFAULT, Combine, Directive

LEVELS = ["standard", "priority", "white_glove"]


class Percent(enum.IntEnum):
    FIVE = 5


def _messages(error: pytest.ExceptionInfo[PolicyError]) -> list[str]:
    return [problem.message for problem in error.value.problems]


class TestCombine:
    """`Combine` names how competing rule values combine, and parses from strings."""

    @pytest.mark.parametrize(
        ("build", "expected"),
        [
            pytest.param(lambda c: Directive.text("d", combine=c), Combine.FIRST, id="first"),
            pytest.param(lambda c: Directive.text("d", combine=c), Combine.UNIQUE, id="unique"),
            pytest.param(lambda c: Directive.int("d", combine=c), Combine.MIN, id="min"),
            pytest.param(lambda c: Directive.int("d", combine=c), Combine.MAX, id="max"),
            pytest.param(lambda c: Directive.bool("d", combine=c), Combine.ALL, id="all"),
            pytest.param(lambda c: Directive.bool("d", combine=c), Combine.ANY, id="any"),
            pytest.param(lambda c: Directive.int("d", combine=c), Combine.SUM, id="sum"),
            pytest.param(lambda c: Directive.text("d", combine=c), Combine.COLLECT, id="collect"),
        ],
    )
    def test_parsed_from_string(self, build: Callable[[str], Directive], expected: Combine) -> None:
        """Each strategy can be given by its lowercase name."""
        assert expected is build(expected.value).combine

    def test_enum_member_accepted(self) -> None:
        """A `Combine` member is kept as is."""
        assert Combine.UNIQUE is Directive.text("d", combine=Combine.UNIQUE).combine

    def test_direct_construction_parses_too(self) -> None:
        """Calling the class with a string also parses it."""
        assert Combine.MAX is Directive("d", "int", combine="max").combine  # type: ignore[arg-type]

    def test_default_is_first(self) -> None:
        """Without `combine`, the first rule by `(priority, rule id)` wins."""
        assert Combine.FIRST is Directive.int("d").combine

    def test_repr(self) -> None:
        """A member's repr is its qualified name."""
        expected = "Combine.COLLECT"
        assert expected == repr(Combine.COLLECT)

    @pytest.mark.parametrize(
        ("given", "expected"),
        [
            pytest.param(
                "mx", "unknown combine strategy `mx` (did you mean `max`?)", id="typo-max"
            ),
            pytest.param(
                "colect",
                "unknown combine strategy `colect` (did you mean `collect`?)",
                id="typo-collect",
            ),
            pytest.param("MAX", "unknown combine strategy `MAX`", id="uppercase"),
            pytest.param("average", "unknown combine strategy `average`", id="no-suggestion"),
        ],
    )
    def test_unknown_strategy(self, given: str, expected: str) -> None:
        """An unknown strategy raises `PolicyError`, with a did-you-mean when one is close."""
        with pytest.raises(PolicyError) as error:
            Directive.int("discount_pct", combine=given)
        assert [expected] == _messages(error)

    def test_unknown_strategy_is_a_value_error(self) -> None:
        """The error for an unknown strategy is a `CrmCultureError` and a `ValueError`."""
        with pytest.raises(ValueError, match="unknown combine strategy") as error:
            Directive.int("discount_pct", combine="mx")
        assert isinstance(error.value, CrmCultureError)


class TestDirectiveConstructors:
    """The typed constructors build directives of the right kind."""

    def test_text(self) -> None:
        """`Directive.text` builds a free-text directive."""
        directive = Directive.text("route_to", default="frontline", uniform=True)
        expected = ("route_to", "text", None, Combine.FIRST, "frontline", True, False)
        assert expected == (
            directive.name,
            directive.type,
            directive.values,
            directive.combine,
            directive.default,
            directive.uniform,
            directive.monotone,
        )

    def test_text_with_values(self) -> None:
        """`Directive.text` with values keeps them as a tuple in the given order."""
        directive = Directive.text("notify", values=iter(["sales", "billing"]))
        expected = ("sales", "billing")
        assert expected == directive.values

    def test_enum(self) -> None:
        """`Directive.enum` keeps its values from least to most favourable."""
        directive = Directive.enum("service_level", LEVELS, combine="max", monotone=True)
        expected = ("enum", tuple(LEVELS), Combine.MAX, True)
        assert expected == (
            directive.type,
            directive.values,
            directive.combine,
            directive.monotone,
        )

    def test_bool(self) -> None:
        """`Directive.bool` builds a yes/no directive."""
        directive = Directive.bool("may_ship", default=True, combine="all", uniform=True)
        expected = ("bool", True, Combine.ALL, True)
        assert expected == (
            directive.type,
            directive.default,
            directive.combine,
            directive.uniform,
        )

    def test_int(self) -> None:
        """`Directive.int` keeps its range."""
        directive = Directive.int("discount_pct", min=0, max=30, default=0, combine="max")
        expected = ("int", 0, 30, 0)
        assert expected == (directive.type, directive.min, directive.max, directive.default)

    def test_decimal_bounds_become_decimals(self) -> None:
        """`Directive.decimal` stores int bounds as `Decimal`."""
        directive = Directive.decimal("credit_limit", min=0, max=10_000)
        expected = [(Decimal(0), Decimal), (Decimal(10_000), Decimal)]
        assert expected == [(v, type(v)) for v in (directive.min, directive.max)]

    def test_no_default(self) -> None:
        """A directive without default has `NO_DEFAULT` and no default."""
        directive = Directive.text("route_to")
        expected = (NO_DEFAULT, False)
        assert expected == (directive.default, directive.has_default)

    def test_description(self) -> None:
        """A description is kept as given."""
        expected = "Who handles the customer."
        assert expected == Directive.text("route_to", description=expected).description

    def test_directives_are_frozen(self) -> None:
        """A directive cannot be changed after it is built."""
        directive = Directive.text("route_to")
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            directive.name = "other"  # type: ignore[misc]

    def test_equal_by_value(self) -> None:
        """Directives built the same way are equal and hash alike."""
        first = Directive.enum("level", LEVELS, default="standard", combine="max")
        second = Directive.enum("level", LEVELS, default="standard", combine="max")
        assert first == second
        assert hash(first) == hash(second)


BAD_DIRECTIVES: list[Any] = [
    pytest.param(
        lambda: Directive.text("notify", combine="all"),
        "combine `all` does not apply to a `text` directive "
        "(use one of collect, first, list, unique)",
        id="all-on-text",
    ),
    pytest.param(
        lambda: Directive.text("notify", combine="any"),
        "combine `any` does not apply to a `text` directive "
        "(use one of collect, first, list, unique)",
        id="any-on-text",
    ),
    pytest.param(
        lambda: Directive.text("route_to", combine="max"),
        "combine `max` does not apply to a `text` directive "
        "(use one of collect, first, list, unique)",
        id="max-on-unordered-text",
    ),
    pytest.param(
        lambda: Directive.text("route_to", values=["a", "b"], combine="min"),
        "combine `min` does not apply to a `text` directive "
        "(use one of collect, first, list, unique)",
        id="min-on-text-with-values",
    ),
    pytest.param(
        lambda: Directive.bool("may_ship", combine="sum"),
        "combine `sum` does not apply to a `bool` directive "
        "(use one of all, any, first, list, unique)",
        id="sum-on-bool",
    ),
    pytest.param(
        lambda: Directive.bool("may_ship", combine="max"),
        "combine `max` does not apply to a `bool` directive "
        "(use one of all, any, first, list, unique)",
        id="max-on-bool",
    ),
    pytest.param(
        lambda: Directive.bool("may_ship", combine="collect"),
        "combine `collect` does not apply to a `bool` directive "
        "(use one of all, any, first, list, unique)",
        id="collect-on-bool",
    ),
    pytest.param(
        lambda: Directive.enum("level", LEVELS, combine="sum"),
        "combine `sum` does not apply to a `enum` directive "
        "(use one of collect, first, list, max, min, unique)",
        id="sum-on-enum",
    ),
    pytest.param(
        lambda: Directive.int("discount_pct", combine="all"),
        "combine `all` does not apply to a `int` directive "
        "(use one of collect, first, list, max, min, sum, unique)",
        id="all-on-int",
    ),
    pytest.param(
        lambda: Directive.decimal("credit", combine="any"),
        "combine `any` does not apply to a `decimal` directive "
        "(use one of collect, first, list, max, min, sum, unique)",
        id="any-on-decimal",
    ),
    pytest.param(
        lambda: Directive("route_to", "txt"),  # type: ignore[arg-type]
        "unknown directive type `txt` (did you mean `text`?)",
        id="unknown-type",
    ),
    pytest.param(
        lambda: Directive.enum("level", []),
        "an enum directive needs its values, from least to most favourable",
        id="enum-without-values",
    ),
    pytest.param(
        lambda: Directive("may_ship", "bool", values=("yes", "no")),
        "only text and enum directives have values, not `bool`",
        id="values-on-bool",
    ),
    pytest.param(
        lambda: Directive.enum("level", ["standard", "priority", "standard"]),
        "a value is listed twice",
        id="duplicate-value",
    ),
    pytest.param(
        lambda: Directive.text("notify", values=["sales", 3]),  # type: ignore[list-item]
        "values must be strings",
        id="non-string-value",
    ),
    pytest.param(
        lambda: Directive("route_to", "text", min=1),
        "only number directives have a min or max",
        id="min-on-text",
    ),
    pytest.param(
        lambda: Directive("may_ship", "bool", max=True),
        "only number directives have a min or max",
        id="max-on-bool",
    ),
    pytest.param(
        lambda: Directive("route_to", "text", monotone=True),
        "a monotone directive needs an order; text directives have none",
        id="monotone-text",
    ),
    pytest.param(
        lambda: Directive.int("discount_pct", better="lower"),
        "better is only meaningful on a monotone directive",
        id="better-without-monotone",
    ),
    pytest.param(
        lambda: Directive.int("discount_pct", monotone=True, better="sideways"),  # type: ignore[arg-type]
        "better must be `higher` or `lower`, not `sideways`",
        id="bad-better",
    ),
    pytest.param(
        lambda: Directive.int("discount_pct", default="5"),
        "expected an int, got str `'5'`",
        id="default-wrong-type",
    ),
    pytest.param(
        lambda: Directive.int("discount_pct", default=True),
        "expected an int, got bool `True`",
        id="bool-default-on-int",
    ),
    pytest.param(
        lambda: Directive.int("discount_pct", max=30, default=50),
        "`50` is above the maximum 30",
        id="default-above-max",
    ),
    pytest.param(
        lambda: Directive.decimal("credit", default=1.5),
        "expected a Decimal or an int, got float `1.5`",
        id="float-default-on-decimal",
    ),
    pytest.param(
        lambda: Directive.enum("level", LEVELS, default="gold"),
        "`gold` is not one of the allowed values: `standard`, `priority`, `white_glove`",
        id="default-not-in-values",
    ),
    pytest.param(
        lambda: Directive.bool("may_ship", default="yes"),
        "expected a bool, got str `'yes'`",
        id="str-default-on-bool",
    ),
    pytest.param(
        lambda: Directive.text("notify", values=["sales"], combine="collect", default=["x"]),
        "`x` is not one of the allowed values: `sales`",
        id="collect-default-not-in-values",
    ),
    pytest.param(
        lambda: Directive.text("or"),
        "directive name `or` is a reserved word of the condition syntax",
        id="reserved-name",
    ),
    pytest.param(
        lambda: Directive.text("route-to"),
        "directive name `route-to` must be an identifier (letters, digits, underscores)",
        id="non-identifier-name",
    ),
]


class TestDirectiveDefinition:
    """An invalid directive definition raises `PolicyError` naming the directive."""

    @pytest.mark.parametrize(("build", "expected"), BAD_DIRECTIVES)
    def test_invalid_definitions(self, build: Callable[[], Directive], expected: str) -> None:
        """Each invalid definition is reported with its reason."""
        with pytest.raises(PolicyError) as error:
            build()
        assert expected in _messages(error)

    def test_path_and_summary_name_the_directive(self) -> None:
        """The problem path is `directives.<name>` and the summary names the directive."""
        with pytest.raises(PolicyError) as error:
            Directive.bool("may_ship", combine="sum")
        expected = ["directives.may_ship.combine"]
        assert expected == [problem.path_text for problem in error.value.problems]
        assert str(error.value).startswith("invalid directive `may_ship`: ")

    def test_every_problem_reported_at_once(self) -> None:
        """Several faults of one directive are all reported."""
        with pytest.raises(PolicyError) as error:
            Directive("route_to", "text", combine="sum", min=0, monotone=True, default=3)
        expected = [
            "combine `sum` does not apply to a `text` directive "
            ""
            "(use one of collect, first, list, unique)",
            "only number directives have a min or max",
            "a monotone directive needs an order; text directives have none",
            "expected a string, got int `3`",
        ]
        assert expected == _messages(error)

    def test_values_given_as_one_string_rejected(self) -> None:
        """Values given as one string, not a list of strings, are rejected (as for enum facts)."""
        with pytest.raises(PolicyError):
            Directive.enum("tone", "warm")

    def test_min_above_max_rejected(self) -> None:
        """A number directive whose min is above its max is rejected, as for facts."""
        with pytest.raises(PolicyError):
            Directive.int("discount_pct", min=30, max=0)

    @pytest.mark.parametrize("bound", ["min", "max"])
    def test_a_broken_bound_is_reported_not_compared_with_the_default(self, bound: str) -> None:
        """A bound that is not a number is one problem, not a TypeError from checking the
        default against it (found by the document fuzz test under the larger profile)."""
        with pytest.raises(PolicyError) as caught:
            Directive("discount_pct", "int", default=0, **{bound: ""})
        assert [p.message for p in caught.value.problems] == [
            f"{bound} must be a finite number, not `''`"
        ]

    @pytest.mark.parametrize(
        "build",
        [
            pytest.param(lambda: Directive.enum("lvl", LEVELS, monotone=True), id="enum"),
            pytest.param(lambda: Directive.bool("may_ship", monotone=True), id="bool"),
            pytest.param(lambda: Directive.int("pct", monotone=True), id="int"),
            pytest.param(lambda: Directive.decimal("credit", monotone=True), id="decimal"),
        ],
    )
    def test_monotone_allowed_on_ordered_types(self, build: Callable[[], Directive]) -> None:
        """Directives with an order may be monotone."""
        assert build().monotone is True


class TestDirectiveDefaults:
    """Defaults are checked and normalised when the directive is built."""

    def test_decimal_default_normalised(self) -> None:
        """An int default of a decimal directive becomes a `Decimal`."""
        default = Directive.decimal("credit_limit", default=0, combine="min").default
        expected = (Decimal(0), Decimal)
        assert expected == (default, type(default))

    def test_int_enum_default_normalised(self) -> None:
        """An `IntEnum` default of an int directive becomes a plain int."""
        default = Directive.int("discount_pct", default=Percent.FIVE).default
        expected = (5, int)
        assert expected == (default, type(default))

    @pytest.mark.parametrize(
        "build",
        [
            pytest.param(lambda: Directive.text("notify", combine="collect"), id="text"),
            pytest.param(lambda: Directive.enum("l", LEVELS, combine="collect"), id="enum"),
            pytest.param(lambda: Directive.int("codes", combine="collect"), id="int"),
        ],
    )
    def test_collect_default_is_empty_tuple(self, build: Callable[[], Directive]) -> None:
        """A `collect` directive without default defaults to the empty tuple."""
        directive = build()
        expected = ((), True)
        assert expected == (directive.default, directive.has_default)

    @pytest.mark.parametrize(
        ("build", "expected"),
        [
            pytest.param(
                lambda: Directive.enum(
                    "level",
                    LEVELS,
                    combine="collect",
                    default=["white_glove", "standard", "white_glove"],
                ),
                ("standard", "white_glove"),
                id="enum-declared-order",
            ),
            pytest.param(
                lambda: Directive.text("notify", combine="collect", default=["sales", "billing"]),
                ("billing", "sales"),
                id="text-alphabetical",
            ),
            pytest.param(
                lambda: Directive.int("codes", combine="collect", default=[10, 2, 10]),
                (2, 10),
                id="int-numeric",
            ),
            pytest.param(
                lambda: Directive.text("notify", combine="collect", default="sales"),
                ("sales",),
                id="single-value",
            ),
            pytest.param(
                lambda: Directive.decimal("fees", combine="collect", default=[2, Decimal("1.5")]),
                (Decimal("1.5"), Decimal(2)),
                id="decimal",
            ),
        ],
    )
    def test_collect_default_normalised(
        self, build: Callable[[], Directive], expected: tuple[Any, ...]
    ) -> None:
        """A `collect` default becomes a sorted tuple without duplicates."""
        assert expected == build().default

    def test_non_collect_default_kept(self) -> None:
        """A scalar default of a non-collect directive is kept as given."""
        expected = "frontline"
        assert expected == Directive.text("route_to", default="frontline").default


class TestDirectiveCheck:
    """`Directive.check` validates a value a rule sets, and normalises it."""

    @pytest.mark.parametrize(
        ("directive", "value", "expected"),
        [
            pytest.param(Directive.text("route_to"), "anyone", "anyone", id="free-text"),
            pytest.param(Directive.text("n", values=["a", "b"]), "b", "b", id="text-values"),
            pytest.param(Directive.enum("l", LEVELS), "priority", "priority", id="enum"),
            pytest.param(Directive.bool("may_ship"), False, False, id="bool"),
            pytest.param(Directive.int("pct", min=0, max=30), 30, 30, id="int-at-max"),
            pytest.param(Directive.int("pct", min=0, max=30), 0, 0, id="int-at-min"),
            pytest.param(Directive.int("pct"), -3, -3, id="int-unbounded"),
            pytest.param(Directive.decimal("c"), Decimal("2.50"), Decimal("2.50"), id="decimal"),
        ],
    )
    def test_valid_values(self, directive: Directive, value: object, expected: object) -> None:
        """A valid value passes."""
        assert (expected, None) == directive.check(value)

    @pytest.mark.parametrize(
        ("directive", "value", "expected"),
        [
            pytest.param(Directive.decimal("c"), 3, (Decimal(3), Decimal), id="int-to-decimal"),
            pytest.param(Directive.int("pct"), Percent.FIVE, (5, int), id="int-enum-to-int"),
        ],
    )
    def test_normalisation(
        self, directive: Directive, value: object, expected: tuple[object, type]
    ) -> None:
        """Ints become `Decimal` for decimal directives; int subclasses become plain ints."""
        normalized, problem = directive.check(value)
        assert (expected, None) == ((normalized, type(normalized)), problem)

    @pytest.mark.parametrize(
        ("directive", "value", "expected"),
        [
            pytest.param(
                Directive.text("route_to"), 3, "expected a string, got int `3`", id="int-for-text"
            ),
            pytest.param(
                Directive.text("n", values=["a", "b"]),
                "c",
                "`c` is not one of the allowed values: `a`, `b`",
                id="text-not-in-values",
            ),
            pytest.param(
                Directive.enum("l", LEVELS),
                "gold",
                "`gold` is not one of the allowed values: `standard`, `priority`, `white_glove`",
                id="enum-not-in-values",
            ),
            pytest.param(
                Directive.enum("l", LEVELS), 1, "expected a string, got int `1`", id="int-for-enum"
            ),
            pytest.param(
                Directive.bool("may_ship"), 1, "expected a bool, got int `1`", id="int-for-bool"
            ),
            pytest.param(
                Directive.bool("may_ship"),
                "yes",
                "expected a bool, got str `'yes'`",
                id="str-for-bool",
            ),
            pytest.param(
                Directive.int("pct"), True, "expected an int, got bool `True`", id="bool-for-int"
            ),
            pytest.param(
                Directive.int("pct"), 1.5, "expected an int, got float `1.5`", id="float-for-int"
            ),
            pytest.param(
                Directive.int("pct"),
                Decimal(1),
                "expected an int, got Decimal `1`",
                id="decimal-for-int",
            ),
            pytest.param(
                Directive.int("pct"), "5", "expected an int, got str `'5'`", id="str-for-int"
            ),
            pytest.param(
                Directive.int("pct", min=0, max=30),
                31,
                "`31` is above the maximum 30",
                id="int-above-max",
            ),
            pytest.param(
                Directive.int("pct", min=0, max=30),
                -1,
                "`-1` is below the minimum 0",
                id="int-below-min",
            ),
            pytest.param(
                Directive.decimal("c"),
                1.5,
                "expected a Decimal or an int, got float `1.5`",
                id="float-for-decimal",
            ),
            pytest.param(
                Directive.decimal("c"),
                False,
                "expected a Decimal or an int, got bool `False`",
                id="bool-for-decimal",
            ),
            pytest.param(
                Directive.decimal("c"),
                Decimal("NaN"),
                "`NaN` is not a finite number",
                id="decimal-nan",
            ),
            pytest.param(
                Directive.decimal("c"),
                Decimal("-Infinity"),
                "`-Infinity` is not a finite number",
                id="decimal-infinite",
            ),
            pytest.param(
                Directive.decimal("c", min=0, max=10),
                Decimal("10.5"),
                "`10.5` is above the maximum 10",
                id="decimal-above-max",
            ),
        ],
    )
    def test_invalid_values(self, directive: Directive, value: object, expected: str) -> None:
        """An invalid value is returned unchanged with the reason."""
        actual_value, problem = directive.check(value)
        assert expected == problem
        assert actual_value is value

    @pytest.mark.parametrize(
        ("directive", "value", "expected"),
        [
            pytest.param(
                Directive.text("notify", combine="collect"), "sales", ("sales",), id="one-value"
            ),
            pytest.param(
                Directive.text("notify", combine="collect"),
                ["sales", "billing", "sales"],
                ("billing", "sales"),
                id="list",
            ),
            pytest.param(
                Directive.text("notify", combine="collect"),
                ("sales", "billing"),
                ("billing", "sales"),
                id="tuple",
            ),
            pytest.param(Directive.text("notify", combine="collect"), [], (), id="empty"),
            pytest.param(
                Directive.enum("l", LEVELS, combine="collect"),
                ["white_glove", "standard", "priority"],
                ("standard", "priority", "white_glove"),
                id="enum-declared-order",
            ),
            pytest.param(
                Directive.int("codes", combine="collect"), [30, 4, 4], (4, 30), id="int-numeric"
            ),
        ],
    )
    def test_collect_values(self, directive: Directive, value: object, expected: object) -> None:
        """A collect directive takes one value or a list; it comes back sorted and unique."""
        assert (expected, None) == directive.check(value)

    def test_collect_bad_item(self) -> None:
        """A bad item of a collect list rejects the whole value, returned unchanged."""
        directive = Directive.text("notify", values=["sales", "billing"], combine="collect")
        value = ["sales", "marketing"]
        actual_value, problem = directive.check(value)
        expected = "`marketing` is not one of the allowed values: `sales`, `billing`"
        assert expected == problem
        assert actual_value is value

    def test_non_collect_rejects_a_list(self) -> None:
        """A list is not a valid value for a non-collect directive."""
        _, problem = Directive.text("route_to").check(["a", "b"])
        expected = "expected a string, got list `['a', 'b']`"
        assert expected == problem


class TestDirectiveOrder:
    """Order keys, collect sorting and the better direction of monotone directives."""

    def test_order_key_of_enum_follows_declaration(self) -> None:
        """An enum directive's key is the position in its declared values."""
        directive = Directive.enum("level", LEVELS)
        expected = [0, 1, 2]
        assert expected == [directive.order_key(value) for value in LEVELS]

    def test_order_key_of_numbers_is_the_value(self) -> None:
        """A number directive's key is the value itself."""
        expected = Decimal("2.5")
        assert expected == Directive.decimal("credit").order_key(Decimal("2.5"))

    def test_collect_sorted(self) -> None:
        """`collect_sorted` sorts by the directive's order and drops duplicates."""
        directive = Directive.enum("level", LEVELS, combine="collect")
        expected = ("standard", "white_glove")
        assert expected == directive.collect_sorted(["white_glove", "standard", "standard"])

    @pytest.mark.parametrize(
        ("directive", "expected"),
        [
            pytest.param(Directive.int("pct", monotone=True), "higher", id="default-higher"),
            pytest.param(
                Directive.int("waiting_days", monotone=True, better="lower"), "lower", id="lower"
            ),
            pytest.param(
                Directive.enum("l", LEVELS, monotone=True, better="higher"),
                "higher",
                id="higher",
            ),
            pytest.param(Directive.text("route_to"), "higher", id="not-monotone"),
        ],
    )
    def test_favourable(self, directive: Directive, expected: str) -> None:
        """`favourable` is the declared better direction, `higher` unless declared."""
        assert expected == directive.favourable
