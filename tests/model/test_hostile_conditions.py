"""Hostile conditions built in Python: deep nesting and extreme values never crash, and every
value a condition holds is written as text that reads back to it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmculture import (
    CrmCultureError,
    Culture,
    F,
    Fact,
    OrgError,
    OrgGraph,
    Policy,
    PolicyError,
    Rule,
    Schema,
    parse_condition,
)
from crmculture.model.checker import check_condition
from crmculture.model.conditions import MAX_BUILD_DEPTH, Condition, FactRef
from crmculture.model.values import decimal_text
from crmculture.org import Department, Handoff
from crmculture.stories import acme_policy

SCHEMA = Schema(
    [
        Fact.bool("hold"),
        Fact.int("days", min=0),
        Fact.int("big"),
        Fact.float("score"),
        Fact.decimal("balance", optional=True),
        Fact.enum("tier", ["bronze", "silver", "gold"], better="higher"),
        Fact.enum("region", ["amer", "emea"]),
        Fact.date("renewal", optional=True),
    ]
)


def _nested(depth: int, fact: FactRef = F.hold) -> Condition:
    """`not not ... fact`, `depth` levels deep."""
    condition: Condition = fact.as_condition()
    for _ in range(depth - 1):
        condition = ~condition
    return condition


class TestDeepConditions:
    def test_a_condition_too_deep_to_print_cannot_be_built(self) -> None:
        """Nesting ~ 5,000 times stops at the build limit with a PolicyError."""
        with pytest.raises(PolicyError, match=f"deeper than {MAX_BUILD_DEPTH} levels"):
            _nested(5000)

    def test_the_deepest_buildable_condition_prints_hashes_and_compares(self) -> None:
        """At the build limit, str, hash, == and the checker work."""
        condition = _nested(MAX_BUILD_DEPTH)
        assert condition.depth() == MAX_BUILD_DEPTH
        assert str(condition).count("not") == MAX_BUILD_DEPTH - 1
        assert hash(condition) == hash(condition)
        assert condition == condition
        _, problems = check_condition(condition, SCHEMA)
        assert "at most 64 are allowed" in problems[0].message

    def test_a_deep_rule_is_a_policy_error(self) -> None:
        """A rule nested deeper than a policy allows is refused by the policy."""
        condition = _nested(200)
        policy = acme_policy()
        with pytest.raises(PolicyError, match="at most 64 are allowed"):
            Policy(
                "p",
                policy.schema,
                policy.directives,
                [Rule("r", when=condition, then={"route_to": "x"})],
            )

    def test_a_deep_guard_is_an_org_error_not_a_recursion_error(self) -> None:
        """A handoff guard nested deeper than a culture allows is refused by the culture."""
        policy = acme_policy()
        org = OrgGraph(
            [Department("sales"), Department("billing")],
            [Handoff("sales", "billing", when=_nested(200, F.credit_hold))],
        )
        with pytest.raises(OrgError, match="at most 64 are allowed"):
            Culture(policy, org)


# -- values ---------------------------------------------------------------------------------

VALUES = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**1000) + 1, max_value=10**1000 - 1),
    st.integers(min_value=2**53 - 5, max_value=2**64),
    st.floats(),
    st.decimals(),
    st.decimals(allow_nan=False, allow_infinity=False, places=40),
    st.text(max_size=5),
    st.sampled_from(["\x00", "\u2028", "\ud800", '"', "\\", "bronze", "gold", "emea"]),
    st.booleans(),
    st.dates(),
    st.datetimes(),
)


def _build(fact: FactRef, op: str, value: Any, other: Any) -> Condition:
    builders = {
        "==": lambda: fact == value,
        "!=": lambda: fact != value,
        "<": lambda: fact < value,
        ">=": lambda: fact >= value,
        "in": lambda: fact.isin([value, other]),
        "not in": lambda: fact.not_in([value]),
        "between": lambda: fact.between(value, other),
    }
    condition: Condition = builders[op]()
    return condition


def _round_trip(name: str, op: str, value: Any, other: Any) -> None:
    try:
        condition = _build(F[name], op, value, other)
    except CrmCultureError:
        return
    checked, problems = check_condition(condition, SCHEMA)
    if not problems:
        assert parse_condition(str(checked), SCHEMA) == checked


NAMES = st.sampled_from(SCHEMA.names)
OPS = st.sampled_from(["==", "!=", "<", ">=", "in", "not in", "between"])


class TestValuesReadBack:
    @settings(max_examples=500)
    @given(NAMES, OPS, VALUES, VALUES)
    def test_every_accepted_value_is_written_as_text_that_reads_back(
        self, name: str, op: str, value: Any, other: Any
    ) -> None:
        """A condition the checker accepts prints as text that parses back to it; a value
        it cannot hold exactly is refused, never crashes."""
        _round_trip(name, op, value, other)

    @pytest.mark.slow
    @settings(max_examples=100_000, suppress_health_check=[HealthCheck.too_slow])
    @given(NAMES, OPS, VALUES, VALUES)
    def test_many_values_read_back(self, name: str, op: str, value: Any, other: Any) -> None:
        """The long run of the same law (``make test-slow``)."""
        _round_trip(name, op, value, other)

    @pytest.mark.parametrize(
        ("condition", "message"),
        [
            pytest.param(F.score > 2**53 + 1, "has no exact float value", id="int-beyond-float"),
            pytest.param(F.big > 10**1000, "more than 1000 digits", id="int-too-long"),
            pytest.param(F.balance > Decimal("1e-1001"), "exponent is beyond", id="exponent"),
            pytest.param(F.score > 10**400, "too large for a float", id="int-overflows-float"),
        ],
    )
    def test_values_that_cannot_be_written_are_refused(
        self, condition: Condition, message: str
    ) -> None:
        """The checker refuses a value it could not write faithfully."""
        _, problems = check_condition(condition, SCHEMA)
        assert message in problems[0].message

    def test_a_float_literal_the_float_cannot_say_back_is_refused(self) -> None:
        """`score > 9007199254740993` would silently become ...992.0: it is an error."""
        with pytest.raises(CrmCultureError, match="has no exact float value"):
            parse_condition("score > 9007199254740993", SCHEMA)


class TestDecimalText:
    @given(st.decimals(allow_nan=False, allow_infinity=False))
    def test_decimal_text_is_exact(self, value: Decimal) -> None:
        """The text of a decimal reads back to an equal decimal, whatever its digits."""
        if abs(value.adjusted()) <= 1000:
            assert Decimal(decimal_text(value)) == value

    def test_more_digits_than_the_context_holds(self) -> None:
        """Decimals beyond 28 digits are written in full (`normalize()` would round)."""
        value = Decimal("1234567890123456789012345678901234567890.125")
        assert decimal_text(value) == "1234567890123456789012345678901234567890.125"

    def test_dates_and_datetimes(self) -> None:
        """A datetime is not a date value of a date fact."""
        _, problems = check_condition(F.renewal > dt.datetime(2027, 1, 1), SCHEMA)
        assert "expected a date" in problems[0].message
