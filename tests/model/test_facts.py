"""Specification of `Fact` and `Schema`: fact types, domains, definitions and customer records."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import pickle
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs
import pytest

from crmculture.errors import (
    CrmCultureError,
    InvalidCustomer,
    Problem,
    SchemaError,
    UnknownFactError,
)
from crmculture.model import NO_DEFAULT, Fact, Schema


class Priority(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Tier(enum.StrEnum):
    GOLD = "gold"


def acme_schema() -> Schema:
    """A small schema with required, optional and defaulted facts of several types."""
    return Schema(
        [
            Fact.bool("credit_hold", better="lower"),
            Fact.int("days_overdue", min=0, max=3650, better="lower"),
            Fact.enum("tier", ["bronze", "silver", "gold"], better="higher"),
            Fact.decimal("balance", min=0, optional=True),
            Fact.int("open_tickets", min=0, optional=True, default=0),
        ]
    )


GOOD_CUSTOMER = {"credit_hold": False, "days_overdue": 12, "tier": "gold"}


def _problems(error: pytest.ExceptionInfo[Any]) -> list[tuple[str, str]]:
    return [(problem.path_text, problem.message) for problem in error.value.problems]


class TestFactConstructors:
    """The typed constructors `Fact.bool`, `Fact.int`, ... build facts of the right kind."""

    def test_bool(self) -> None:
        """`Fact.bool` builds an ordered boolean fact without range or values."""
        fact = Fact.bool("credit_hold", better="lower", description="on hold")
        expected = ("credit_hold", "bool", None, True, None, None, "lower", "on hold")
        assert expected == (
            fact.name,
            fact.type,
            fact.values,
            fact.ordered,
            fact.min,
            fact.max,
            fact.better,
            fact.description,
        )

    def test_int(self) -> None:
        """`Fact.int` keeps its inclusive range and better direction."""
        fact = Fact.int("days_overdue", min=0, max=3650, better="lower")
        expected = ("int", 0, 3650, "lower", True)
        assert expected == (
            fact.type,
            fact.min,
            fact.max,
            fact.better,
            fact.is_ordered,
        )

    def test_float_bounds_become_floats(self) -> None:
        """`Fact.float` stores int bounds as floats."""
        fact = Fact.float("satisfaction", min=0, max=10)
        expected = (0.0, 10.0)
        assert expected == (fact.min, fact.max)
        assert (float, float) == (type(fact.min), type(fact.max))

    def test_decimal_bounds_become_decimals(self) -> None:
        """`Fact.decimal` stores int bounds as `Decimal`."""
        fact = Fact.decimal("balance", min=0, max=1000)
        assert (Decimal(0), Decimal(1000)) == (fact.min, fact.max)
        assert (Decimal, Decimal) == (type(fact.min), type(fact.max))

    def test_enum_values_kept_in_declared_order(self) -> None:
        """`Fact.enum` keeps the values as a tuple in the order they were listed."""
        fact = Fact.enum("tier", iter(["bronze", "silver", "gold"]))
        expected = ("bronze", "silver", "gold")
        assert expected == fact.values

    def test_enum_is_unordered_by_default(self) -> None:
        """An enum without `ordered` or `better` cannot be compared with `<`."""
        assert False is Fact.enum("region", ["amer", "emea"]).ordered

    def test_enum_with_better_is_ordered(self) -> None:
        """Giving `better` makes an enum ordered."""
        assert True is Fact.enum("tier", ["bronze", "gold"], better="higher").ordered

    def test_enum_ordered_explicitly(self) -> None:
        """`ordered=True` makes an enum ordered without a better direction."""
        fact = Fact.enum("size", ["s", "m", "l"], ordered=True)
        expected = (True, None)
        assert expected == (fact.ordered, fact.better)

    def test_enum_rank_follows_declared_order(self) -> None:
        """`rank` is the position of a value in the declared order."""
        fact = Fact.enum("tier", ["bronze", "silver", "gold"], better="higher")
        expected = [0, 1, 2]
        assert expected == [fact.rank(v) for v in ("bronze", "silver", "gold")]

    def test_date(self) -> None:
        """`Fact.date` keeps date bounds."""
        low, high = dt.date(2020, 1, 1), dt.date(2030, 12, 31)
        fact = Fact.date("renewal_date", min=low, max=high)
        assert ("date", low, high) == (fact.type, fact.min, fact.max)

    def test_optional_without_default(self) -> None:
        """An optional fact without default has `NO_DEFAULT` and no default."""
        fact = Fact.enum("region", ["amer"], optional=True)
        expected = (True, NO_DEFAULT, False)
        assert expected == (fact.optional, fact.default, fact.has_default)

    def test_optional_with_default(self) -> None:
        """An optional fact with a default reports it."""
        fact = Fact.int("open_tickets", optional=True, default=0)
        expected = (0, True)
        assert expected == (fact.default, fact.has_default)

    def test_a_broken_bound_is_reported_not_compared_with_the_default(self) -> None:
        """A bound of the wrong type is one problem; the default is not checked against it
        (found by the document fuzz test: ``min: ''`` raised a TypeError)."""
        with pytest.raises(SchemaError) as caught:
            Fact("open_tickets", "int", min="", optional=True, default=0)
        assert [p.message for p in caught.value.problems] == ["expected an int, got str `''`"]

    def test_facts_are_frozen(self) -> None:
        """A fact cannot be changed after it is built."""
        fact = Fact.int("days_overdue")
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            fact.name = "other"  # type: ignore[misc]

    def test_facts_equal_by_value(self) -> None:
        """Two facts built the same way are equal and hash alike."""
        first = Fact.int("days_overdue", min=0)
        second = Fact.int("days_overdue", min=0)
        assert first == second
        assert hash(first) == hash(second)

    @pytest.mark.parametrize(
        ("fact", "expected"),
        [
            pytest.param(Fact.bool("hold"), "bool", id="bool"),
            pytest.param(
                Fact.int("days", min=0, better="lower"), "int 0.., lower is better", id="int-min"
            ),
            pytest.param(Fact.float("score", max=10), "float ..10.0", id="float-max"),
            pytest.param(
                Fact.enum("tier", ["a", "b"], better="higher"),
                "ordered enum a|b, higher is better",
                id="ordered-enum",
            ),
            pytest.param(
                Fact.enum("region", ["x", "y"], optional=True),
                "enum x|y, optional",
                id="optional-enum",
            ),
        ],
    )
    def test_describe(self, fact: Fact, expected: str) -> None:
        """`describe` names the type, domain, optionality and better direction."""
        assert expected == fact.describe()


class TestFactCheck:
    """`Fact.check` validates one present value and normalises it."""

    @pytest.mark.parametrize(
        ("fact", "value", "expected"),
        [
            pytest.param(Fact.bool("hold"), True, True, id="bool"),
            pytest.param(Fact.int("days"), 12, 12, id="int"),
            pytest.param(Fact.float("score"), 7.5, 7.5, id="float"),
            pytest.param(Fact.decimal("balance"), Decimal("12.50"), Decimal("12.50"), id="decimal"),
            pytest.param(Fact.enum("tier", ["bronze", "gold"]), "gold", "gold", id="enum"),
            pytest.param(
                Fact.date("renewal"), dt.date(2027, 1, 31), dt.date(2027, 1, 31), id="date"
            ),
        ],
    )
    def test_valid_values_pass(self, fact: Fact, value: object, expected: object) -> None:
        """A value of the right type inside the domain passes unchanged."""
        assert (expected, None) == fact.check(value)

    def test_int_becomes_float_for_float_facts(self) -> None:
        """An int given for a float fact is normalised to a float."""
        normalized, problem = Fact.float("score").check(7)
        assert (7.0, float, None) == (normalized, type(normalized), problem)

    def test_int_becomes_decimal_for_decimal_facts(self) -> None:
        """An int given for a decimal fact is normalised to a `Decimal`."""
        normalized, problem = Fact.decimal("balance").check(12)
        assert (Decimal(12), Decimal, None) == (normalized, type(normalized), problem)

    def test_int_enum_becomes_plain_int(self) -> None:
        """An `IntEnum` member given for an int fact is normalised to a plain int."""
        normalized, problem = Fact.int("priority").check(Priority.HIGH)
        assert (2, int, None) == (normalized, type(normalized), problem)

    def test_str_enum_becomes_plain_str(self) -> None:
        """A `StrEnum` member given for an enum fact is normalised to a plain str."""
        normalized, problem = Fact.enum("tier", ["gold"]).check(Tier.GOLD)
        assert ("gold", str, None) == (normalized, type(normalized), problem)

    @pytest.mark.parametrize(
        ("fact", "value", "expected"),
        [
            pytest.param(
                Fact.int("days"), True, "expected an int, got bool `True`", id="bool-is-not-int"
            ),
            pytest.param(
                Fact.int("days"),
                1.5,
                "expected an int: `1.5` is not a whole number",
                id="float-for-int",
            ),
            pytest.param(Fact.int("days"), "3", "expected an int, got str `'3'`", id="str-for-int"),
            pytest.param(
                Fact.float("score"),
                False,
                "expected a number, got bool `False`",
                id="bool-is-not-float",
            ),
            pytest.param(
                Fact.float("score"), float("nan"), "`nan` is not a finite number", id="nan"
            ),
            pytest.param(
                Fact.float("score"), float("inf"), "`inf` is not a finite number", id="inf"
            ),
            pytest.param(
                Fact.float("score"), float("-inf"), "`-inf` is not a finite number", id="minus-inf"
            ),
            pytest.param(
                Fact.decimal("balance"),
                1.5,
                "expected a Decimal, got float `1.5` (floats lose cents; use Decimal)",
                id="float-for-decimal",
            ),
            pytest.param(
                Fact.decimal("balance"),
                Decimal("NaN"),
                "`NaN` is not a finite number",
                id="decimal-nan",
            ),
            pytest.param(
                Fact.decimal("balance"),
                Decimal("Infinity"),
                "`Infinity` is not a finite number",
                id="decimal-inf",
            ),
            pytest.param(
                Fact.decimal("balance"),
                True,
                "expected a Decimal or an int, got bool `True`",
                id="bool-is-not-decimal",
            ),
            pytest.param(
                Fact.bool("hold"), 1, "expected a bool, got int `1`", id="int-is-not-bool"
            ),
            pytest.param(
                Fact.bool("hold"), "yes", "expected a bool, got str `'yes'`", id="str-for-bool"
            ),
            pytest.param(
                Fact.enum("tier", ["gold"]), 1, "expected a string, got int `1`", id="int-for-enum"
            ),
            pytest.param(
                Fact.date("renewal"),
                dt.datetime(2027, 1, 31, 12, 0),
                "expected a date, got datetime `datetime.datetime(2027, 1, 31, 12, 0)`",
                id="datetime-is-not-date",
            ),
            pytest.param(
                Fact.date("renewal"),
                "2027-01-31",
                "expected a date, got str `'2027-01-31'`",
                id="str-for-date",
            ),
        ],
    )
    def test_wrong_types_rejected(self, fact: Fact, value: object, expected: str) -> None:
        """A value of the wrong type is returned unchanged with the reason."""
        actual_value, problem = fact.check(value)
        assert expected == problem
        assert actual_value is value

    @pytest.mark.parametrize(
        ("fact", "value", "expected"),
        [
            pytest.param(
                Fact.int("days", min=0, max=3650), -1, "`-1` is below the minimum 0", id="int-min"
            ),
            pytest.param(
                Fact.int("days", min=0, max=3650),
                3651,
                "`3651` is above the maximum 3650",
                id="int-max",
            ),
            pytest.param(
                Fact.float("score", min=0, max=10),
                10.5,
                "`10.5` is above the maximum 10.0",
                id="float-max",
            ),
            pytest.param(
                Fact.decimal("balance", min=0),
                Decimal("-0.01"),
                "`-0.01` is below the minimum 0",
                id="decimal-min",
            ),
            pytest.param(
                Fact.date("renewal", min=dt.date(2020, 1, 1)),
                dt.date(2019, 12, 31),
                "`2019-12-31` is below the minimum 2020-01-01",
                id="date-min",
            ),
            pytest.param(
                Fact.enum("tier", ["bronze", "gold"]),
                "diamond",
                "`diamond` is not one of the allowed values: `bronze`, `gold`",
                id="enum-value",
            ),
        ],
    )
    def test_values_outside_domain_rejected(self, fact: Fact, value: object, expected: str) -> None:
        """A value of the right type outside the domain is rejected with the reason."""
        assert (value, expected) == fact.check(value)

    @pytest.mark.parametrize("value", [pytest.param(0, id="min"), pytest.param(3650, id="max")])
    def test_bounds_are_inclusive(self, value: int) -> None:
        """The min and max of a range are themselves allowed."""
        assert (value, None) == Fact.int("days", min=0, max=3650).check(value)


BAD_FACTS: list[Any] = [
    pytest.param(
        lambda: Fact.int("days", min=10, max=1),
        "min `10` is greater than max `1`",
        id="min-above-max",
    ),
    pytest.param(
        lambda: Fact.date("d", min=dt.date(2030, 1, 1), max=dt.date(2020, 1, 1)),
        "min `2030-01-01` is greater than max `2020-01-01`",
        id="date-min-above-max",
    ),
    pytest.param(
        lambda: Fact.int("days", min=True),
        "expected an int, got bool `True`",
        id="bool-bound-on-int",
    ),
    pytest.param(
        lambda: Fact.int("days", max="z"),  # type: ignore[arg-type]
        "expected an int, got str `'z'`",
        id="str-bound-on-int",
    ),
    pytest.param(
        lambda: Fact.float("score", min=float("nan")),
        "`nan` is not a finite number",
        id="nan-bound",
    ),
    pytest.param(
        lambda: Fact.enum("tier", []),
        "an enum fact needs at least one value",
        id="enum-without-values",
    ),
    pytest.param(
        lambda: Fact.enum("tier", "gold"),
        "enum values must be a list of strings",
        id="enum-values-as-string",
    ),
    pytest.param(
        lambda: Fact.enum("tier", ["gold", "silver", "gold"]),
        "enum value `gold` is listed twice",
        id="duplicate-enum-value",
    ),
    pytest.param(
        lambda: Fact.enum("tier", ["gold", 3]),  # type: ignore[list-item]
        "enum value `3` is not a string",
        id="non-string-enum-value",
    ),
    pytest.param(
        lambda: Fact.enum("region", ["amer", "emea"], ordered=False, better="higher"),
        "an unordered enum has no better direction; declare it ordered",
        id="better-on-unordered-enum",
    ),
    pytest.param(
        lambda: Fact.int("days", better="up"),  # type: ignore[arg-type]
        "better must be `higher` or `lower`, not `up`",
        id="bad-better",
    ),
    pytest.param(
        lambda: Fact.int("open_tickets", default=0),
        "only optional facts have a default",
        id="default-on-required",
    ),
    pytest.param(
        lambda: Fact.int("open_tickets", min=0, optional=True, default=-1),
        "`-1` is below the minimum 0",
        id="default-below-min",
    ),
    pytest.param(
        lambda: Fact.enum("tier", ["bronze"], optional=True, default="gold"),
        "`gold` is not one of the allowed values: `bronze`",
        id="default-not-in-enum",
    ),
    pytest.param(
        lambda: Fact.decimal("balance", optional=True, default=1.5),
        "expected a Decimal, got float `1.5` (floats lose cents; use Decimal)",
        id="float-default-on-decimal",
    ),
    pytest.param(
        lambda: Fact.bool("hold", optional=True, default=0),
        "expected a bool, got int `0`",
        id="int-default-on-bool",
    ),
    pytest.param(
        lambda: Fact.bool("and"),
        "fact name `and` is a reserved word of the condition syntax",
        id="reserved-and",
    ),
    pytest.param(
        lambda: Fact.bool("missing"),
        "fact name `missing` is a reserved word of the condition syntax",
        id="reserved-missing",
    ),
    pytest.param(
        lambda: Fact.bool("class"),
        "fact name `class` is a reserved word of the condition syntax",
        id="python-keyword",
    ),
    pytest.param(
        lambda: Fact.int("days overdue"),
        "fact name `days overdue` must be an identifier (letters, digits, underscores)",
        id="name-with-space",
    ),
    pytest.param(
        lambda: Fact.int("1st_order"),
        "fact name `1st_order` must be an identifier (letters, digits, underscores)",
        id="name-starting-with-digit",
    ),
    pytest.param(
        lambda: Fact.int(""),
        "fact name `` must be an identifier (letters, digits, underscores)",
        id="empty-name",
    ),
    pytest.param(
        lambda: Fact.int(5),  # type: ignore[arg-type]
        "fact name must be a string, not `int`",
        id="non-string-name",
    ),
    pytest.param(
        lambda: Fact("days", "integer"),  # type: ignore[arg-type]
        "unknown fact type `integer` (did you mean `int`?)",
        id="unknown-type",
    ),
    pytest.param(
        lambda: Fact("hold", "bool", values=("a",)),
        "only enum facts have values, not `bool` facts",
        id="values-on-bool",
    ),
    pytest.param(
        lambda: Fact("hold", "bool", min=False),
        "`bool` facts have no min or max",
        id="min-on-bool",
    ),
]


class TestFactDefinition:
    """An invalid fact definition raises `SchemaError` naming the fact."""

    @pytest.mark.parametrize(("build", "expected"), BAD_FACTS)
    def test_invalid_definitions(self, build: Callable[[], Fact], expected: str) -> None:
        """Each invalid definition is reported with its reason."""
        with pytest.raises(SchemaError) as error:
            build()
        assert expected in [problem.message for problem in error.value.problems]

    def test_problem_path_names_the_fact(self) -> None:
        """The problem's path is `facts.<name>` and the summary names the fact."""
        with pytest.raises(SchemaError) as error:
            Fact.int("days", min=10, max=1)
        expected = ["facts.days.min"]
        assert expected == [problem.path_text for problem in error.value.problems]
        expected = "invalid fact `days`: facts.days.min: min `10` is greater than max `1`"
        assert expected == str(error.value)

    def test_every_problem_reported_at_once(self) -> None:
        """A definition with several faults reports all of them in one error."""
        with pytest.raises(SchemaError) as error:
            Fact("hold", "bool", values=("a",), min=False, optional=False, default=True)
        expected = [
            "only enum facts have values, not `bool` facts",
            "`bool` facts have no min or max",
            "only optional facts have a default",
        ]
        assert expected == [problem.message for problem in error.value.problems]

    def test_schema_error_is_a_value_error(self) -> None:
        """`SchemaError` is both a `CrmCultureError` and a `ValueError`."""
        with pytest.raises(SchemaError) as error:
            Fact.enum("tier", [])
        assert isinstance(error.value, CrmCultureError)
        assert isinstance(error.value, ValueError)


class TestSchemaDefinition:
    """A `Schema` is an ordered set of facts with unique names."""

    def test_names_in_declared_order(self) -> None:
        """`names`, iteration and `len` follow the declared order."""
        schema = acme_schema()
        expected = ("credit_hold", "days_overdue", "tier", "balance", "open_tickets")
        assert expected == schema.names
        assert list(expected) == [fact.name for fact in schema]
        expected = 5
        assert expected == len(schema)

    def test_lookup_by_name(self) -> None:
        """`schema[name]` returns the fact and `in` tests membership."""
        schema = acme_schema()
        assert Fact.int("days_overdue", min=0, max=3650, better="lower") == schema["days_overdue"]
        assert "tier" in schema
        assert "region" not in schema

    def test_unknown_name_raises_unknown_fact_error_with_suggestion(self) -> None:
        """Looking up an unknown fact raises `UnknownFactError` (a `KeyError`) with a
        did-you-mean."""
        with pytest.raises(UnknownFactError) as error:
            acme_schema()["days_overdu"]
        expected = ("unknown fact `days_overdu` (did you mean `days_overdue`?)", "days_overdu")
        assert expected == (str(error.value), error.value.fact)

    def test_facts_stored_as_tuple(self) -> None:
        """Facts given as any iterable are stored as a tuple."""
        fact = Fact.bool("hold")
        assert (fact,) == Schema(iter([fact])).facts

    def test_duplicate_fact_rejected(self) -> None:
        """Declaring a fact name twice raises `SchemaError`."""
        with pytest.raises(SchemaError) as error:
            Schema([Fact.int("days"), Fact.bool("hold"), Fact.bool("days")])
        expected = [("facts.days", "fact is declared twice")]
        assert expected == _problems(error)

    def test_every_schema_problem_reported(self) -> None:
        """Duplicates and non-facts are all reported in one error."""
        with pytest.raises(SchemaError) as error:
            Schema([Fact.int("days"), Fact.int("days"), "tier"])  # type: ignore[list-item]
        expected = [
            ("facts.days", "fact is declared twice"),
            ("facts[2]", "expected a Fact, got str `'tier'`"),
        ]
        assert expected == _problems(error)

    def test_schemas_equal_by_value(self) -> None:
        """Two schemas with the same facts are equal and hash alike."""
        assert acme_schema() == acme_schema()
        assert hash(acme_schema()) == hash(acme_schema())

    def test_order_matters_for_equality(self) -> None:
        """Schemas with the same facts in a different order are different."""
        first, second = Fact.bool("a"), Fact.bool("b")
        assert Schema([first, second]) != Schema([second, first])


class TestSchemaValidate:
    """`Schema.validate` and `Schema.normalize` check a customer record and report every problem."""

    def test_valid_record(self) -> None:
        """A valid record comes back as a dict in schema order, with defaults filled in."""
        record = {"tier": "gold", "days_overdue": 12, "credit_hold": False, "balance": 5}
        actual = acme_schema().validate(record)
        assert {
            "credit_hold": False,
            "days_overdue": 12,
            "tier": "gold",
            "balance": Decimal(5),
            "open_tickets": 0,
        } == actual
        expected = ["credit_hold", "days_overdue", "tier", "balance", "open_tickets"]
        assert expected == list(actual)
        assert Decimal is type(actual["balance"])

    def test_normalize_returns_tuple_in_schema_order(self) -> None:
        """`normalize` returns the values as a tuple in schema order."""
        record = {"tier": "silver", "credit_hold": True, "days_overdue": 0}
        expected = (True, 0, "silver", None, 0)
        assert expected == acme_schema().normalize(record)

    @pytest.mark.parametrize(
        "record",
        [
            pytest.param(GOOD_CUSTOMER, id="absent"),
            pytest.param({**GOOD_CUSTOMER, "balance": None, "open_tickets": None}, id="none"),
        ],
    )
    def test_absent_and_none_are_the_same(self, record: dict[str, Any]) -> None:
        """An optional fact left out or given as `None` is absent: default, or `None`."""
        actual = acme_schema().validate(record)
        expected = (None, 0)
        assert expected == (actual["balance"], actual["open_tickets"])

    def test_none_for_required_fact_is_missing(self) -> None:
        """`None` for a required fact is reported as missing."""
        with pytest.raises(InvalidCustomer) as error:
            acme_schema().validate({**GOOD_CUSTOMER, "tier": None})
        expected = [("customer.tier", "required fact is missing")]
        assert expected == _problems(error)

    def test_given_optional_value_is_checked(self) -> None:
        """A value given for an optional fact is checked like any other."""
        with pytest.raises(InvalidCustomer) as error:
            acme_schema().validate({**GOOD_CUSTOMER, "open_tickets": -2})
        expected = [("customer.open_tickets", "`-2` is below the minimum 0")]
        assert expected == _problems(error)

    @pytest.mark.parametrize(
        ("fact", "given"),
        [
            pytest.param(Fact.decimal("credit", optional=True, default=0), Decimal(0), id="dec"),
            pytest.param(Fact.float("score", optional=True, default=3), 3.0, id="float"),
        ],
    )
    def test_default_is_normalized_like_a_given_value(self, fact: Fact, given: object) -> None:
        """An absent fact's default has the same normalised type as the same value given."""
        schema = Schema([fact])
        absent = schema.validate({})[fact.name]
        present = schema.validate({fact.name: given})[fact.name]
        assert (present, type(present)) == (absent, type(absent))

    def test_every_problem_reported_at_once(self) -> None:
        """Missing, wrong type, out of domain and unknown facts all come in one error."""
        record = {
            "zzz": 1,
            "tier": "diamond",
            "days_overdu": 3,
            "credit_hold": "no",
            "open_tickets": 1.5,
        }
        with pytest.raises(InvalidCustomer) as error:
            acme_schema().validate(record)
        expected = [
            ("customer.credit_hold", "expected a bool, got str `'no'`"),
            ("customer.days_overdue", "required fact is missing"),
            (
                "customer.tier",
                "`diamond` is not one of the allowed values: `bronze`, `silver`, `gold`",
            ),
            ("customer.open_tickets", "expected an int: `1.5` is not a whole number"),
            ("customer.zzz", "unknown fact"),
            ("customer.days_overdu", "unknown fact (did you mean `days_overdue`?)"),
        ]
        assert expected == _problems(error)

    def test_problems_carry_the_offending_value(self) -> None:
        """Each problem keeps the value that was given (None for a missing fact)."""
        record = {"credit_hold": "no", "tier": "diamond", "extra": 7}
        with pytest.raises(InvalidCustomer) as error:
            acme_schema().validate(record)
        expected = ["no", None, "diamond", 7]
        assert expected == [p.value for p in error.value.problems]

    def test_problem_order_does_not_depend_on_record_order(self) -> None:
        """Problems are listed in schema order, unknown facts last, whatever the key order."""
        forward = {"credit_hold": 1, "days_overdue": -1, "tier": 2, "typo": 0}
        backward = dict(reversed(list(forward.items())))
        with pytest.raises(InvalidCustomer) as first:
            acme_schema().validate(forward)
        with pytest.raises(InvalidCustomer) as second:
            acme_schema().validate(backward)
        expected = [
            "customer.credit_hold",
            "customer.days_overdue",
            "customer.tier",
            "customer.typo",
        ]
        assert expected == [p.path_text for p in first.value.problems]
        assert expected == [p.path_text for p in second.value.problems]

    def test_message_lists_every_problem(self) -> None:
        """The error message has a summary line and one line per problem."""
        with pytest.raises(InvalidCustomer) as error:
            acme_schema().validate({"credit_hold": "no", "days_overdu": 1, "tier": "gold"})
        expected = (
            "invalid customer: 3 problems\n"
            "  - customer.credit_hold: expected a bool, got str `'no'`\n"
            "  - customer.days_overdue: required fact is missing\n"
            "  - customer.days_overdu: unknown fact (did you mean `days_overdue`?)"
        )
        assert expected == str(error.value)

    def test_single_problem_message_is_one_line(self) -> None:
        """With one problem the message is one line: summary, path and reason."""
        with pytest.raises(InvalidCustomer) as error:
            acme_schema().validate({**GOOD_CUSTOMER, "days_overdue": 4000})
        expected = "invalid customer: customer.days_overdue: `4000` is above the maximum 3650"
        assert expected == str(error.value)

    def test_normalize_with_index(self) -> None:
        """`normalize(..., index=)` puts the index in the summary and on the error."""
        with pytest.raises(InvalidCustomer) as error:
            acme_schema().normalize({**GOOD_CUSTOMER, "credit_hold": None}, index=4)
        expected = 4
        assert expected == error.value.index
        expected = "invalid customer at index 4: customer.credit_hold: required fact is missing"
        assert expected == str(error.value)

    def test_empty_record(self) -> None:
        """An empty record reports every required fact as missing, in schema order."""
        with pytest.raises(InvalidCustomer) as error:
            acme_schema().validate({})
        expected = ("credit_hold", "days_overdue", "tier")
        assert expected == error.value.facts


@dataclasses.dataclass
class DataclassCustomer:
    credit_hold: bool
    days_overdue: int
    tier: str
    balance: Decimal | int | None = None
    nickname: str = "not a fact"


@attrs.define
class AttrsCustomer:
    credit_hold: bool
    days_overdue: int
    tier: str
    open_tickets: int | None = None


class TestSchemaValidateObjects:
    """Customers can be objects whose attributes are the facts."""

    def test_dataclass(self) -> None:
        """A dataclass instance is read by attribute; other attributes are ignored."""
        customer = DataclassCustomer(False, 3, "gold", balance=7)
        assert {
            "credit_hold": False,
            "days_overdue": 3,
            "tier": "gold",
            "balance": Decimal(7),
            "open_tickets": 0,
        } == acme_schema().validate(customer)

    def test_attrs_class(self) -> None:
        """An attrs instance is read by attribute; missing attributes are absent."""
        customer = AttrsCustomer(True, 0, "bronze", open_tickets=4)
        expected = (True, 0, "bronze", None, 4)
        assert expected == acme_schema().normalize(customer)

    def test_invalid_object_reports_every_problem(self) -> None:
        """An object with bad attributes reports each of them."""
        customer = AttrsCustomer(1, -3, "diamond")  # type: ignore[arg-type]
        with pytest.raises(InvalidCustomer) as error:
            acme_schema().validate(customer)
        expected = ("credit_hold", "days_overdue", "tier")
        assert expected == error.value.facts

    def test_object_missing_required_attribute(self) -> None:
        """A required fact the object lacks is reported as missing."""

        @dataclasses.dataclass
        class Partial:
            credit_hold: bool
            tier: str

        with pytest.raises(InvalidCustomer) as error:
            acme_schema().validate(Partial(False, "gold"))
        expected = [("customer.days_overdue", "required fact is missing")]
        assert expected == _problems(error)


class TestInvalidCustomer:
    """`InvalidCustomer` carries its problems and survives pickling."""

    def _error(self) -> InvalidCustomer:
        with pytest.raises(InvalidCustomer) as error:
            acme_schema().validate({"credit_hold": 1, "tier": "diamond", "tierr": "x"})
        return error.value

    def test_is_a_value_error(self) -> None:
        """`InvalidCustomer` is both a `CrmCultureError` and a `ValueError`."""
        error = self._error()
        assert isinstance(error, CrmCultureError)
        assert isinstance(error, ValueError)

    def test_problems(self) -> None:
        """`problems` is a tuple of `Problem` records."""
        assert (
            Problem(("customer", "credit_hold"), "expected a bool, got int `1`"),
            Problem(("customer", "days_overdue"), "required fact is missing"),
            Problem(
                ("customer", "tier"),
                "`diamond` is not one of the allowed values: `bronze`, `silver`, `gold`",
            ),
            Problem(("customer", "tierr"), "unknown fact (did you mean `tier`?)"),
        ) == self._error().problems

    def test_facts(self) -> None:
        """`facts` names the facts with problems, in the order found, without duplicates."""
        expected = ("credit_hold", "days_overdue", "tier", "tierr")
        assert expected == self._error().facts

    def test_facts_deduplicated(self) -> None:
        """A fact with two problems is named once in `facts`."""
        error = InvalidCustomer(
            "invalid customer",
            [
                Problem(("customer", "a"), "one"),
                Problem(("customer", "b"), "x"),
                Problem(("customer", "a"), "two"),
            ],
        )
        expected = ("a", "b")
        assert expected == error.facts

    def test_pickle_round_trip(self) -> None:
        """A pickled error comes back with the same message, problems, facts and index."""
        error = self._error()
        copy = pickle.loads(pickle.dumps(error))
        assert (InvalidCustomer, str(error), error.problems, error.facts, None) == (
            type(copy),
            str(copy),
            copy.problems,
            copy.facts,
            copy.index,
        )

    def test_pickle_keeps_index(self) -> None:
        """The batch index survives pickling."""
        error = InvalidCustomer(
            "invalid customer at index 3", [Problem(("customer", "a"), "x")], index=3
        )
        copy = pickle.loads(pickle.dumps(error))
        assert (3, str(error)) == (copy.index, str(copy))

    def test_pickle_keeps_problem_values(self) -> None:
        """Offending values survive pickling even though they do not count for equality."""
        copy = pickle.loads(pickle.dumps(self._error()))
        expected = [1, None, "diamond", "x"]
        assert expected == [problem.value for problem in copy.problems]
