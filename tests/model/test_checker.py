"""Specification of the condition checker: every route to a condition is checked here."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

import pytest

from crmculture.model import ALWAYS, NEVER, Between, Compare, Condition, F, Fact, In, Schema
from crmculture.model.checker import ConditionProblem, atoms, check_condition
from crmculture.model.conditions import as_condition


class Priority(enum.IntEnum):
    HIGH = 2


def acme_schema() -> Schema:
    """Facts of every type, required and optional, ordered and unordered."""
    return Schema(
        [
            Fact.bool("credit_hold", better="lower"),
            Fact.int("days_overdue", min=0, max=3650, better="lower"),
            Fact.enum("tier", ["bronze", "silver", "gold"], better="higher"),
            Fact.enum("region", ["amer", "apac", "emea"], optional=True),
            Fact.decimal("balance", min=0, optional=True),
            Fact.float("satisfaction", min=0, max=10, optional=True),
            Fact.int("open_tickets", min=0, optional=True, default=0),
            Fact.date("renewal", optional=True),
        ]
    )


def _problems(condition: Condition) -> list[tuple[str, str]]:
    """Each problem as (the text of the atom it is placed at, its message)."""
    _, problems = check_condition(condition, acme_schema())
    placed = atoms(condition)
    return [
        ("" if problem.atom is None else str(placed[problem.atom]), problem.message)
        for problem in problems
    ]


CHECK_CASES: list[Any] = [
    pytest.param(
        F.days_overdu > 60,
        [("days_overdu > 60", "unknown fact `days_overdu` (did you mean `days_overdue`?)")],
        id="unknown-fact-did-you-mean",
    ),
    pytest.param(
        F.zzz.is_missing(),
        [("zzz is missing", "unknown fact `zzz`")],
        id="unknown-fact-no-suggestion",
    ),
    pytest.param(
        F.days_overdue > "60",
        [('days_overdue > "60"', "fact `days_overdue`: expected an int, got str `'60'`")],
        id="str-constant-on-int",
    ),
    pytest.param(
        F.days_overdue >= True,
        [("days_overdue >= true", "fact `days_overdue`: expected an int, got bool `True`")],
        id="bool-constant-on-int",
    ),
    pytest.param(
        F.credit_hold == 1,
        [("credit_hold == 1", "fact `credit_hold`: expected a bool, got int `1`")],
        id="int-constant-on-bool",
    ),
    pytest.param(
        F.balance > 1.5,
        [
            (
                "balance > 1.5",
                "fact `balance`: expected a Decimal, got float `1.5` "
                "(floats lose cents; use Decimal)",
            )
        ],
        id="float-constant-on-decimal",
    ),
    pytest.param(
        F.satisfaction > float("nan"),
        [("satisfaction > nan", "fact `satisfaction`: `nan` is not a finite number")],
        id="nan-constant",
    ),
    pytest.param(
        F.renewal < dt.datetime(2027, 1, 1),
        [
            (
                "renewal < 2027-01-01T00:00:00",
                "fact `renewal`: expected a date, got datetime "
                "`datetime.datetime(2027, 1, 1, 0, 0)`",
            )
        ],
        id="datetime-constant-on-date",
    ),
    pytest.param(
        F.days_overdue > 5000,
        [("days_overdue > 5000", "fact `days_overdue`: `5000` is above the maximum 3650")],
        id="constant-above-max",
    ),
    pytest.param(
        F.tier == "diamond",
        [
            (
                'tier == "diamond"',
                "fact `tier`: `diamond` is not one of the allowed values: "
                "`bronze`, `silver`, `gold`",
            )
        ],
        id="constant-not-in-enum",
    ),
    pytest.param(
        F.region < "emea",
        [
            (
                'region < "emea"',
                "`<` needs an ordered fact; the enum `region` is unordered "
                "(declare it ordered, or give it a `better` direction)",
            )
        ],
        id="lt-on-unordered-enum",
    ),
    pytest.param(
        F.region.between("amer", "emea"),
        [
            (
                'region between "amer" and "emea"',
                "`between` needs an ordered fact; the enum `region` is unordered "
                "(declare it ordered, or give it a `better` direction)",
            )
        ],
        id="between-on-unordered-enum",
    ),
    pytest.param(
        F.credit_hold < True,
        [
            (
                "credit_hold < true",
                "`<` does not apply to the boolean fact `credit_hold`; "
                "test `credit_hold` or `not credit_hold`",
            )
        ],
        id="lt-on-bool",
    ),
    pytest.param(
        F.credit_hold.between(False, True),
        [
            (
                "credit_hold between false and true",
                "`between` does not apply to the boolean fact `credit_hold`; "
                "test `credit_hold` or `not credit_hold`",
            )
        ],
        id="between-on-bool",
    ),
    pytest.param(
        F.tier.isin([]),
        [("tier in []", "the list of values is empty")],
        id="empty-in",
    ),
    pytest.param(
        F.tier.not_in([]),
        [("tier not in []", "the list of values is empty")],
        id="empty-not-in",
    ),
    pytest.param(
        F.tier.isin(["gold", "diamond"]),
        [
            (
                'tier in ["diamond", "gold"]',
                "fact `tier`: `diamond` is not one of the allowed values: "
                "`bronze`, `silver`, `gold`",
            )
        ],
        id="bad-value-in-list",
    ),
    pytest.param(
        F.days_overdue.isin([0, True]),
        [
            (
                "days_overdue in [true, 0]",
                "fact `days_overdue`: expected an int, got bool `True`",
            )
        ],
        id="bool-in-int-list",
    ),
    pytest.param(
        F.days_overdue.isin([1, True]),
        [
            (
                "days_overdue in [true, 1]",
                "fact `days_overdue`: expected an int, got bool `True`",
            )
        ],
        id="bool-equal-to-an-int-in-int-list",
    ),
    pytest.param(
        F.days_overdue.between(60, 30),
        [("days_overdue between 60 and 30", "low end `60` is above high end `30`")],
        id="between-reversed-int",
    ),
    pytest.param(
        F.tier.between("gold", "bronze"),
        [
            (
                'tier between "gold" and "bronze"',
                'low end `"gold"` is above high end `"bronze"`',
            )
        ],
        id="between-reversed-enum",
    ),
    pytest.param(
        F.renewal.between(dt.date(2027, 2, 1), dt.date(2027, 1, 1)),
        [
            (
                "renewal between 2027-02-01 and 2027-01-01",
                "low end `2027-02-01` is above high end `2027-01-01`",
            )
        ],
        id="between-reversed-date",
    ),
    pytest.param(
        F.days_overdue.is_missing(),
        [
            (
                "days_overdue is missing",
                "fact `days_overdue` is required, so it is never missing",
            )
        ],
        id="is-missing-on-required",
    ),
    pytest.param(
        F.days_overdue.is_not_missing(),
        [
            (
                "days_overdue is not missing",
                "fact `days_overdue` is required, so it is never missing",
            )
        ],
        id="is-not-missing-on-required",
    ),
    pytest.param(
        F.open_tickets.is_missing(),
        [
            (
                "open_tickets is missing",
                "fact `open_tickets` has a default, so it is never missing",
            )
        ],
        id="is-missing-on-default",
    ),
]


class TestCheckCondition:
    """`check_condition` reports every problem of a condition against a schema."""

    @pytest.mark.parametrize(("condition", "expected"), CHECK_CASES)
    def test_problems(self, condition: Condition, expected: list[tuple[str, str]]) -> None:
        """Each faulty condition is reported with its path and reason."""
        assert expected == _problems(condition)

    @pytest.mark.parametrize(
        "condition",
        [
            pytest.param(F.days_overdue.between(30, 30), id="between-equal-ends"),
            pytest.param(F.tier.between("bronze", "gold"), id="between-enum-in-order"),
            pytest.param(F.tier > "silver", id="lt-on-ordered-enum"),
            pytest.param(F.region == "emea", id="eq-on-unordered-enum"),
            pytest.param(F.region.not_in(["amer"]), id="in-on-unordered-enum"),
            pytest.param(F.region.is_missing(), id="is-missing-on-optional"),
            pytest.param(F.balance.is_not_missing(), id="is-not-missing-on-optional"),
            pytest.param(F.credit_hold, id="bare-bool"),
            pytest.param(F.credit_hold == False, id="bool-false"),  # noqa: E712
            pytest.param(F.days_overdue != 0, id="ne"),
            pytest.param(ALWAYS, id="always"),
            pytest.param(~NEVER | (F.satisfaction >= 7), id="nested"),
        ],
    )
    def test_valid_conditions(self, condition: Condition) -> None:
        """A valid condition has no problems and comes back equal."""
        checked, problems = check_condition(as_condition(condition), acme_schema())
        expected = (as_condition(condition), ())
        assert expected == (checked, problems)

    def test_every_problem_in_a_nested_condition(self) -> None:
        """Problems anywhere in a tree are all reported, left to right."""
        condition = (F.tier == "diamond") | ~(F.days_overdu > 1) & F.region.isin([])
        expected = [
            'tier == "diamond"',
            "days_overdu > 1",
            "region in []",
        ]
        assert expected == [path for path, _ in _problems(condition)]

    def test_problem_carries_the_constant(self) -> None:
        """A bad constant is attached to its problem as the value."""
        _, problems = check_condition(F.days_overdue > "60", acme_schema())
        expected = (
            ConditionProblem(
                "fact `days_overdue`: expected an int, got str `'60'`", atom=0, part="value"
            ),
        )
        assert expected == problems
        assert problems[0].value == "60"

    def test_unknown_fact_reported_once_per_atom(self) -> None:
        """An unknown fact is not also checked for its constant."""
        expected = [('nope > "x"', "unknown fact `nope`")]
        assert expected == _problems(F.nope > "x")


def _constant_types(condition: Condition) -> list[tuple[object, type]]:
    constants: list[object] = []
    for node in condition.walk():
        if isinstance(node, Compare):
            constants.append(node.value)
        elif isinstance(node, In):
            constants.extend(node.values)
        elif isinstance(node, Between):
            constants.extend((node.low, node.high))
    return [(value, type(value)) for value in constants]


class TestCheckConditionNormalisation:
    """`check_condition` normalises constants the way customer values are normalised."""

    @pytest.mark.parametrize(
        ("condition", "expected"),
        [
            pytest.param(F.balance > 5, [(Decimal(5), Decimal)], id="int-on-decimal"),
            pytest.param(F.satisfaction < 5, [(5.0, float)], id="int-on-float"),
            pytest.param(F.days_overdue == Priority.HIGH, [(2, int)], id="int-enum-on-int"),
            pytest.param(
                F.balance.isin([2, 1]),
                [(Decimal(1), Decimal), (Decimal(2), Decimal)],
                id="in-on-decimal",
            ),
            pytest.param(
                F.balance.between(0, 10),
                [(Decimal(0), Decimal), (Decimal(10), Decimal)],
                id="between-on-decimal",
            ),
            pytest.param(
                (F.credit_hold | ~(F.balance >= 1)) & (F.satisfaction <= 9),
                [(True, bool), (Decimal(1), Decimal), (9.0, float)],
                id="nested",
            ),
        ],
    )
    def test_constants_normalised(
        self, condition: Condition, expected: list[tuple[object, type]]
    ) -> None:
        """Constants come back with the fact's normalised type."""
        checked, problems = check_condition(as_condition(condition), acme_schema())
        assert not problems
        assert expected == _constant_types(checked)

    def test_structure_kept(self) -> None:
        """Normalising keeps the shape of the condition and its text."""
        condition = (F.credit_hold | ~(F.balance >= 1)) & F.region.not_in(["emea"])
        checked, _ = check_condition(condition, acme_schema())
        expected = str(condition)
        assert expected == str(checked)
        assert condition == checked
