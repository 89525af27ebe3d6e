"""The cells of a fact: the constants of the conditions and the runs between them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from crmculture import F, Fact, Schema
from crmculture.analysis.fact_space import FactSpace
from crmculture.model.conditions import Condition


def cells(fact: Fact, *conditions: Condition) -> list[tuple[object, str]]:
    """Each cell's representative and condition text."""
    space = FactSpace(Schema([fact]), conditions)
    return [(cell.value, str(cell.condition())) for cell in space.dimensions[0].cells]


class TestCells:
    def test_int_cells_are_the_constants_and_the_runs_between(self) -> None:
        """Comparisons with 30 and 60 cut 0..3650 into five cells."""
        fact = Fact.int("days", min=0, max=3650)
        assert cells(fact, F.days > 30, F.days <= 60) == [
            (0, "days <= 29"),
            (30, "days == 30"),
            (31, "days between 31 and 59"),
            (60, "days == 60"),
            (61, "days >= 61"),
        ]

    def test_constants_at_the_domain_ends_leave_no_empty_cell(self) -> None:
        """A constant equal to the minimum or maximum is a point cell, nothing beyond it."""
        fact = Fact.int("n", min=0, max=10)
        assert [value for value, _ in cells(fact, F.n == 0, F.n == 10)] == [0, 1, 10]

    def test_unbounded_ints(self) -> None:
        """Without bounds, the outer cells reach to infinity."""
        assert cells(Fact.int("n"), F.n > 5) == [(4, "n <= 4"), (5, "n == 5"), (6, "n >= 6")]

    def test_float_cells_are_points_and_open_intervals(self) -> None:
        """Between two constants of a float fact lies an open interval, with its midpoint."""
        fact = Fact.float("score", min=0, max=10)
        assert cells(fact, F.score > 2.5, F.score < 7.5) == [
            (0.0, "score < 2.5"),
            (2.5, "score == 2.5"),
            (5.0, "score > 2.5 and score < 7.5"),
            (7.5, "score == 7.5"),
            (10.0, "score > 7.5"),
        ]

    def test_decimal_cells_are_exact(self) -> None:
        """Decimal midpoints keep every digit."""
        fact = Fact.decimal("balance", min=0)
        values = [value for value, _ in cells(fact, F.balance.between(Decimal("0.01"), 1))]
        assert values == [Decimal(0), Decimal("0.01"), Decimal("0.505"), Decimal(1), Decimal(2)]

    def test_date_cells_step_by_days(self) -> None:
        """A date threshold splits the calendar into the day and either side of it."""
        fact = Fact.date("renewal", min=dt.date(2026, 1, 1), max=dt.date(2026, 12, 31))
        assert cells(fact, F.renewal >= dt.date(2026, 7, 1)) == [
            (dt.date(2026, 1, 1), "renewal <= 2026-06-30"),
            (dt.date(2026, 7, 1), "renewal == 2026-07-01"),
            (dt.date(2026, 7, 2), "renewal >= 2026-07-02"),
        ]

    def test_enums_bools_and_missing(self) -> None:
        """Every enum value and bool is a cell; an optional fact without default adds missing."""
        assert cells(Fact.enum("tier", ["a", "b"], optional=True)) == [
            ("a", 'tier == "a"'),
            ("b", 'tier == "b"'),
            (None, "tier is missing"),
        ]
        assert cells(Fact.bool("vip")) == [(False, "vip == false"), (True, "vip")]

    def test_an_optional_fact_with_default_has_no_missing_cell(self) -> None:
        """Absent means the default, which lies in an ordinary cell."""
        fact = Fact.int("tickets", min=0, optional=True, default=0)
        assert [value for value, _ in cells(fact, F.tickets >= 3)] == [0, 3, 4]

    def test_constants_are_normalized_like_customer_values(self) -> None:
        """An int constant on a float fact cuts at a float, so representatives are floats."""
        fact = Fact.float("satisfaction", min=0, max=10)
        values = [value for value, _ in cells(fact, F.satisfaction < 5)]
        assert [(value, type(value)) for value in values] == [
            (0.0, float),
            (5.0, float),
            (10.0, float),
        ]
