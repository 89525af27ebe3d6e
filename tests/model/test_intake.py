"""Intake: `Schema.parse` types records that arrive as text, and rejects with every problem."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmculture import Fact, InvalidCustomer, Schema
from crmculture.model.intake import FALSE_SPELLINGS, TRUE_SPELLINGS, convert
from crmculture.testing import customers, schemas

FACTS = {
    "bool": Fact.bool("b"),
    "int": Fact.int("i"),
    "float": Fact.float("f"),
    "decimal": Fact.decimal("d"),
    "enum": Fact.enum("e", ["gold", "silver"]),
    "date": Fact.date("t"),
}

CONVERTED = [
    ("bool", "true", True),
    ("bool", " YES ", True),
    ("bool", "1", True),
    ("bool", "False", False),
    ("bool", "no", False),
    ("bool", "0", False),
    ("bool", True, True),
    ("int", "42210", 42210),
    ("int", " -3 ", -3),
    ("int", "+3", 3),
    ("int", "42210.0", 42210),
    ("int", "7.000", 7),
    ("int", 42210.0, 42210),
    ("int", 12, 12),
    ("float", "9.5", 9.5),
    ("float", "1e3", 1000.0),
    ("float", "-0.25", -0.25),
    ("float", 3, 3),
    ("float", Decimal("2.5"), 2.5),
    ("decimal", "12.50", Decimal("12.50")),
    ("decimal", "0", Decimal("0")),
    ("decimal", 0.1, Decimal("0.1")),
    ("decimal", 12, 12),
    ("decimal", "1E+2", Decimal("1E+2")),
    ("enum", "gold", "gold"),
    ("date", "2026-03-01", dt.date(2026, 3, 1)),
    ("date", " 2026-03-01", dt.date(2026, 3, 1)),
    ("date", dt.date(2026, 3, 1), dt.date(2026, 3, 1)),
    ("int", "", None),
    ("enum", "   ", None),
    ("date", None, None),
]

REJECTED = [
    ("bool", "maybe", "is not a boolean: write true/yes/1 or false/no/0"),
    ("bool", "on", "is not a boolean"),
    ("int", "42.5", "`42.5` is not a whole number"),
    ("int", 42.5, "`42.5` is not a whole number"),
    ("int", "1_000", "`1_000` is not a number"),
    ("int", "1e3", "`1e3` is not a whole number"),
    ("int", "\u0661\u0662", "is not a number"),
    ("int", "9" * 1001, "more than 1000 digits"),
    ("float", "nan", "`nan` is not a number"),
    ("float", "inf", "`inf` is not a number"),
    ("float", "1e400", "`1e400` is too large for a float"),
    ("float", "9,5", "`9,5` is not a number"),
    ("decimal", "12.5 EUR", "is not a number"),
    ("decimal", float("inf"), "is not a finite number"),
    ("enum", "Gold", "(did you mean `gold`?)"),
    ("enum", "silvr", "(did you mean `silver`?)"),
    ("enum", " gold", "is not one of the allowed values"),
    ("date", "2026-02-30", "`2026-02-30` is not a day of the calendar"),
    ("date", "20260301", "is not a date: write YYYY-MM-DD"),
    ("date", "2026-03-01T10:00", "is not a date: write YYYY-MM-DD"),
]


@pytest.mark.parametrize(("kind", "value", "expected"), CONVERTED)
def test_what_converts(kind: str, value: Any, expected: Any) -> None:
    converted, problem = convert(FACTS[kind], value)
    assert problem is None
    assert converted == expected
    assert type(converted) is type(expected)


@pytest.mark.parametrize(("kind", "value", "message"), REJECTED)
def test_what_is_rejected(kind: str, value: Any, message: str) -> None:
    _, problem = convert(FACTS[kind], value)
    assert problem is not None
    assert message in problem


def test_every_problem_at_once_each_where_it_is() -> None:
    schema = Schema(list(FACTS.values()))
    with pytest.raises(InvalidCustomer) as caught:
        schema.parse({"b": "maybe", "i": "4.5", "f": "x", "d": "1", "e": "Gold", "t": "", "id": 7})
    problems = {problem.path_text: problem.message for problem in caught.value.problems}
    assert set(problems) == {
        "customer.b",
        "customer.i",
        "customer.f",
        "customer.e",
        "customer.t",
        "customer.id",
    }
    assert problems["customer.t"] == "required fact is missing"
    assert problems["customer.id"].startswith("unknown fact")
    # In schema order, unknown fields last.
    assert [p.path_text for p in caught.value.problems][-1] == "customer.id"


def test_kept_fields_are_not_facts_and_not_checked() -> None:
    schema = Schema([Fact.int("i")])
    assert schema.parse({"i": "3", "id": {"any": "thing"}}, keep=["id"]) == {"i": 3}


def test_the_python_evaluators_stay_strict() -> None:
    from crmculture import Directive, Policy

    policy = Policy("p", Schema([Fact.int("i")]), [Directive.bool("ok", default=True)])
    with pytest.raises(InvalidCustomer, match="expected an int, got str"):
        policy.compile()({"i": "3"})


def test_the_spellings_are_documented_in_the_docstring() -> None:
    import crmculture.model.intake as intake

    assert intake.__doc__ is not None
    for spelling in (*TRUE_SPELLINGS, *FALSE_SPELLINGS):
        assert f"``{spelling}``" in intake.__doc__


def _text(fact: Fact, value: Any, draw: st.DrawFn) -> Any:
    """A text form of a valid value, as a CSV cell or a form field would hold it."""
    if value is None:
        return draw(st.sampled_from(["", "  ", None]))
    if fact.type == "bool":
        spellings = TRUE_SPELLINGS if value else FALSE_SPELLINGS
        spelled = draw(st.sampled_from(spellings))
        return draw(st.sampled_from([spelled, spelled.upper(), f" {spelled} "]))
    if fact.type == "int":
        return draw(st.sampled_from([str(value), f"{value}.0", f" {value} "]))
    if fact.type == "float":
        return repr(value)
    if fact.type == "decimal":
        return str(value)
    if fact.type == "date":
        return value.isoformat()
    return value


@given(data=st.data(), schema=schemas())
def test_parse_of_the_text_form_is_the_customer(data: st.DataObject, schema: Schema) -> None:
    customer = data.draw(customers(schema))
    text = {name: _text(schema[name], value, data.draw) for name, value in customer.items()}
    assert schema.parse(text) == schema.validate(customer)
