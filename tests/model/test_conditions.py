"""Specification of conditions: the `F` builder, condition text, structure and schema checks."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs
import pytest

from crmculture.model import (
    ALWAYS,
    NEVER,
    And,
    Between,
    Compare,
    Condition,
    Const,
    F,
    Fact,
    FactRef,
    In,
    Missing,
    Not,
    Or,
    Schema,
)
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


A, B, C, D, E = (Compare(name, "==", True) for name in ("a", "b", "c", "d", "e"))


class TestFBuilder:
    """`F.<name>` and `F["name"]` build fact references whose operators build atoms."""

    @pytest.mark.parametrize(
        ("build", "op"),
        [
            pytest.param(lambda: F.days_overdue == 60, "==", id="eq"),
            pytest.param(lambda: F.days_overdue != 60, "!=", id="ne"),
            pytest.param(lambda: F.days_overdue < 60, "<", id="lt"),
            pytest.param(lambda: F.days_overdue <= 60, "<=", id="le"),
            pytest.param(lambda: F.days_overdue > 60, ">", id="gt"),
            pytest.param(lambda: F.days_overdue >= 60, ">=", id="ge"),
        ],
    )
    def test_comparison_operators(self, build: Callable[[], Condition], op: str) -> None:
        """Each comparison operator builds a `Compare` with that operator."""
        expected = Compare("days_overdue", op, 60)  # type: ignore[arg-type]
        assert expected == build()

    def test_reflected_comparison(self) -> None:
        """A constant on the left builds the mirrored comparison."""
        expected = Compare("days_overdue", "<", 60)
        actual = 60 > F.days_overdue  # noqa: SIM300 - the reflected operator is under test
        assert expected == actual

    def test_getitem(self) -> None:
        """`F["name"]` is the same reference as `F.name`, for any string."""
        expected = Compare("days_overdue", ">", 60)
        assert expected == (F["days_overdue"] > 60)
        assert Compare("and", "==", 1) == (F["and"] == 1)

    def test_isin(self) -> None:
        """`isin` builds a non-negated `In`."""
        expected = In("region", ("amer", "emea"), negated=False)
        assert expected == F.region.isin(["emea", "amer"])

    def test_not_in(self) -> None:
        """`not_in` builds a negated `In`."""
        expected = In("region", ("amer",), negated=True)
        assert expected == F.region.not_in(["amer"])

    def test_isin_accepts_any_iterable(self) -> None:
        """`isin` takes any iterable of values, such as a generator or a set."""
        expected = In("days_overdue", (1, 2, 3))
        assert expected == F.days_overdue.isin(v for v in (3, 2, 1))
        assert expected == F.days_overdue.isin({1, 2, 3})

    def test_isin_rejects_a_string(self) -> None:
        """A single string is not a list of values: `isin("emea")` raises TypeError."""
        with pytest.raises(TypeError, match="expected a list of values, got the string `emea`"):
            F.region.isin("emea")

    def test_between(self) -> None:
        """`between` builds a `Between` with both ends."""
        expected = Between("annual_volume", 100, 999)
        assert expected == F.annual_volume.between(100, 999)

    def test_is_missing(self) -> None:
        """`is_missing` builds a non-negated `Missing`."""
        expected = Missing("referral_code", negated=False)
        assert expected == F.referral_code.is_missing()

    def test_is_not_missing(self) -> None:
        """`is_not_missing` builds a negated `Missing`."""
        expected = Missing("referral_code", negated=True)
        assert expected == F.referral_code.is_not_missing()

    def test_fact_ref_as_condition_means_true(self) -> None:
        """A bare fact reference used as a condition means `fact == true`."""
        expected = Compare("credit_hold", "==", True)
        assert expected == F.credit_hold.as_condition()

    def test_invert_fact_ref(self) -> None:
        """`~F.x` negates `x == true`."""
        expected = Not(Compare("credit_hold", "==", True))
        assert expected == ~F.credit_hold

    @pytest.mark.parametrize(
        ("build", "expected"),
        [
            pytest.param(lambda: F.a & F.b, And((A, B)), id="ref-and-ref"),
            pytest.param(lambda: F.a | F.b, Or((A, B)), id="ref-or-ref"),
            pytest.param(lambda: F.a & (F.b == True), And((A, B)), id="ref-and-cond"),  # noqa: E712
            pytest.param(lambda: (F.a == True) & F.b, And((A, B)), id="cond-and-ref"),  # noqa: E712
            pytest.param(lambda: (F.a == True) | F.b, Or((A, B)), id="cond-or-ref"),  # noqa: E712
            pytest.param(lambda: True & F.a, And((ALWAYS, A)), id="bool-and-ref"),
            pytest.param(lambda: F.a | False, Or((A, NEVER)), id="ref-or-bool"),
        ],
    )
    def test_combining_references(
        self, build: Callable[[], Condition], expected: Condition
    ) -> None:
        """`&` and `|` accept fact references and bools on either side."""
        assert expected == build()

    def test_private_names_are_not_facts(self) -> None:
        """`F._x` raises AttributeError, so that copy and pickle probes do not build facts."""
        with pytest.raises(AttributeError):
            _ = F._private

    def test_repr(self) -> None:
        """A fact reference shows how it was built."""
        expected = "F.days_overdue"
        assert expected == repr(F.days_overdue)
        assert repr(F) == "F"

    def test_fact_refs_are_hashable(self) -> None:
        """Fact references hash by name, although `==` builds a condition."""
        assert hash(F.tier) == hash(F["tier"])
        assert isinstance(FactRef("tier") == "gold", Compare)


class TestTruthValue:
    """Conditions cannot be used where Python wants a bool."""

    @pytest.mark.parametrize(
        "build",
        [
            pytest.param(lambda: bool(F.days_overdue > 60), id="bool-of-condition"),
            pytest.param(lambda: bool(F.credit_hold), id="bool-of-fact-ref"),
            pytest.param(lambda: (F.a == 1) and (F.b == 2), id="python-and"),
            pytest.param(lambda: not F.a.isin([1]), id="python-not"),
            pytest.param(lambda: 0 < F.days_overdue < 60, id="chained-comparison"),
            pytest.param(lambda: "yes" if F.credit_hold else "no", id="conditional-on-ref"),
        ],
    )
    def test_truth_value_raises(self, build: Callable[[], object]) -> None:
        """Using a condition or fact reference as a bool raises TypeError."""
        with pytest.raises(TypeError, match="no truth value in Python"):
            build()

    def test_if_statement_raises(self) -> None:
        """A condition in an `if` raises a TypeError pointing at `&`, `|` and `~`."""
        condition = (F.days_overdue > 60) | F.credit_hold

        def route() -> str:
            if condition:
                return "accounts_receivable"
            return "frontline"

        with pytest.raises(TypeError) as error:
            route()
        expected = (
            "a condition has no truth value in Python; combine conditions with `&`, `|` and `~`, "
            "not `and`, `or` and `not`"
        )
        assert expected == str(error.value)

    def test_fact_ref_message_names_the_fact(self) -> None:
        """The error for a bare fact reference suggests how to use it."""
        with pytest.raises(TypeError) as error:
            bool(F.credit_hold)
        expected = (
            "`F.credit_hold` has no truth value in Python; compare it (`F.credit_hold > 3`) or "
            "combine it with `&`, `|` and `~`"
        )
        assert expected == str(error.value)


TEXT_CASES: list[Any] = [
    pytest.param(F.days_overdue == 60, "days_overdue == 60", id="eq"),
    pytest.param(F.days_overdue != 60, "days_overdue != 60", id="ne"),
    pytest.param(F.days_overdue < 60, "days_overdue < 60", id="lt"),
    pytest.param(F.days_overdue <= 60, "days_overdue <= 60", id="le"),
    pytest.param(F.days_overdue > 60, "days_overdue > 60", id="gt"),
    pytest.param(F.days_overdue >= 60, "days_overdue >= 60", id="ge"),
    pytest.param(F.days_overdue > -5, "days_overdue > -5", id="negative-int"),
    pytest.param(F.credit_hold == True, "credit_hold", id="bool-true"),  # noqa: E712
    pytest.param(F.credit_hold.as_condition(), "credit_hold", id="bare-fact"),
    pytest.param(F.credit_hold == False, "credit_hold == false", id="bool-false"),  # noqa: E712
    pytest.param(F.credit_hold != True, "credit_hold != true", id="bool-ne-true"),  # noqa: E712
    pytest.param(F.days_overdue == 1, "days_overdue == 1", id="int-one-is-not-true"),
    pytest.param(F.tier >= "gold", 'tier >= "gold"', id="string"),
    pytest.param(F.note == 'say "hi"', 'note == "say \\"hi\\""', id="string-escapes"),
    pytest.param(F.balance > Decimal("2.50"), "balance > 2.5", id="decimal-one-spelling"),
    pytest.param(F.score < 7.5, "score < 7.5", id="float"),
    pytest.param(F.score < 7.0, "score < 7.0", id="float-whole"),
    pytest.param(F.renewal < dt.date(2027, 1, 31), "renewal < 2027-01-31", id="date"),
    pytest.param(F.region.isin(["emea", "apac"]), 'region in ["apac", "emea"]', id="in"),
    pytest.param(F.region.not_in(["emea"]), 'region not in ["emea"]', id="not-in"),
    pytest.param(F.days_overdue.isin([30, 7, 30]), "days_overdue in [7, 30]", id="in-ints"),
    pytest.param(F.days_overdue.isin([]), "days_overdue in []", id="in-empty"),
    pytest.param(
        F.annual_volume.between(100_000, 999_999),
        "annual_volume between 100000 and 999999",
        id="between",
    ),
    pytest.param(
        F.tier.between("silver", "gold"), 'tier between "silver" and "gold"', id="between-enum"
    ),
    pytest.param(F.referral.is_missing(), "referral is missing", id="is-missing"),
    pytest.param(F.referral.is_not_missing(), "referral is not missing", id="is-not-missing"),
    pytest.param(ALWAYS, "true", id="always"),
    pytest.param(NEVER, "false", id="never"),
    pytest.param(F.a & F.b, "a and b", id="and"),
    pytest.param(F.a | F.b, "a or b", id="or"),
    pytest.param(F.a & F.b & F.c, "a and b and c", id="and-flat"),
    pytest.param(F.a | F.b | F.c, "a or b or c", id="or-flat"),
    pytest.param(~F.a, "not a", id="not"),
    pytest.param(~(F.days_overdue > 60), "not days_overdue > 60", id="not-comparison"),
    pytest.param(~~F.a, "not not a", id="not-not"),
    pytest.param((F.a & F.b) | F.c, "a and b or c", id="and-inside-or"),
    pytest.param(F.a | (F.b & F.c), "a or b and c", id="and-inside-or-right"),
    pytest.param((F.a | F.b) & F.c, "(a or b) and c", id="or-inside-and"),
    pytest.param(F.a & (F.b | F.c), "a and (b or c)", id="or-inside-and-right"),
    pytest.param((F.a | F.b) & (F.c | F.d), "(a or b) and (c or d)", id="ors-inside-and"),
    pytest.param(~(F.a & F.b), "not (a and b)", id="and-inside-not"),
    pytest.param(~(F.a | F.b), "not (a or b)", id="or-inside-not"),
    pytest.param(~F.a & F.b, "not a and b", id="not-inside-and"),
    pytest.param(~F.a | F.b, "not a or b", id="not-inside-or"),
    pytest.param(
        (F.a | F.b) & ~(F.c & F.d) | F.e,
        "(a or b) and not (c and d) or e",
        id="mixed-nesting",
    ),
    pytest.param(
        ~((F.a | F.b) & F.c),
        "not ((a or b) and c)",
        id="or-inside-and-inside-not",
    ),
    pytest.param(
        (F.tier >= "gold") & ~F.credit_hold,
        'tier >= "gold" and not credit_hold',
        id="story-best-customers",
    ),
    pytest.param(
        F.credit_hold | (F.days_overdue > 60),
        "credit_hold or days_overdue > 60",
        id="story-credit-hold",
    ),
    pytest.param(ALWAYS & ~NEVER, "true and not false", id="constants-combined"),
]


class TestConditionText:
    """`str(condition)` spells the condition in the condition syntax, parenthesised minimally."""

    @pytest.mark.parametrize(("condition", "expected"), TEXT_CASES)
    def test_text(self, condition: Condition, expected: str) -> None:
        """The text of each node and nesting is as specified."""
        assert expected == str(condition)

    def test_text_with_parent_precedence(self) -> None:
        """`text()` with a tighter parent parenthesises an `or`."""
        expected = "(a or b)"
        assert expected == (F.a | F.b).text(parent_precedence=2)


class TestAndOr:
    """`And` and `Or` flatten nested nodes of their kind and compare by value."""

    @pytest.mark.parametrize(
        ("build", "expected"),
        [
            pytest.param(lambda: F.a & (F.b & F.c), And((A, B, C)), id="and-right"),
            pytest.param(lambda: (F.a & F.b) & F.c, And((A, B, C)), id="and-left"),
            pytest.param(lambda: And((A, And((B, C)), D)), And((A, B, C, D)), id="and-middle"),
            pytest.param(lambda: F.a | (F.b | F.c), Or((A, B, C)), id="or-right"),
            pytest.param(lambda: (F.a | F.b) | F.c, Or((A, B, C)), id="or-left"),
        ],
    )
    def test_flattening(self, build: Callable[[], Condition], expected: Condition) -> None:
        """Nested nodes of the same kind are flattened into one."""
        assert expected == build()

    def test_flattening_items(self) -> None:
        """The flattened node keeps the items in the order written."""
        expected = (A, B, C)
        assert expected == (F.a & (F.b & F.c)).items  # type: ignore[attr-defined]

    def test_other_kinds_not_flattened(self) -> None:
        """An `Or` inside an `And` stays a separate node."""
        expected = (Or((A, B)), C)
        assert expected == ((F.a | F.b) & F.c).items  # type: ignore[attr-defined]

    def test_fact_refs_coerced(self) -> None:
        """Fact references and bools among the items become conditions."""
        expected = (A, ALWAYS)
        assert expected == And([F.a, True]).items  # type: ignore[list-item]

    def test_equal_and_hash_by_value(self) -> None:
        """Conditions built separately the same way are equal and hash alike."""
        first = (F.a | (F.days_overdue > 60)) & ~F.region.isin(["emea"])
        second = (F.a | (F.days_overdue > 60)) & ~F.region.isin(["emea"])
        assert first == second
        assert hash(first) == hash(second)
        expected = {first}
        assert expected == {first, second}

    def test_different_conditions_not_equal(self) -> None:
        """`And` and `Or` of the same items are different conditions."""
        assert And((A, B)) != Or((A, B))
        assert And((A, B)) != And((A, C))

    @pytest.mark.parametrize("kind", [And, Or], ids=["and", "or"])
    def test_fewer_than_two_items_rejected(self, kind: type[And | Or]) -> None:
        """An `And` or `Or` needs at least two conditions."""
        with pytest.raises(ValueError, match="needs at least two conditions"):
            kind((A,))

    @pytest.mark.parametrize("kind", [And, Or], ids=["and", "or"])
    def test_single_condition_rejected(self, kind: type[And | Or]) -> None:
        """Passing one condition instead of a list raises TypeError."""
        with pytest.raises(TypeError, match="takes a list of conditions, not one condition"):
            kind(A)  # type: ignore[arg-type]

    def test_conditions_are_frozen(self) -> None:
        """Condition nodes cannot be changed."""
        condition = F.a & F.b
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            condition.items = ()  # type: ignore[attr-defined]


class TestIn:
    """`In` keeps its values sorted and de-duplicated."""

    def test_values_sorted_and_deduplicated(self) -> None:
        """Values are stored sorted without duplicates."""
        expected = ("apac", "emea")
        assert expected == In("region", ["emea", "apac", "emea"]).values

    def test_equal_whatever_the_input_order(self) -> None:
        """Two lists with the same values in different orders give equal conditions."""
        assert F.region.isin(["emea", "apac"]) == F.region.isin(["apac", "emea", "apac"])
        assert hash(F.region.isin(["emea", "apac"])) == hash(F.region.isin(["apac", "emea"]))

    def test_mixed_types_sorted_by_type_then_value(self) -> None:
        """Values of different types are sorted by type name, then value, without errors."""
        expected = (2, 10, "a")
        assert expected == In("x", ["a", 10, 2]).values

    def test_bool_and_int_are_different_values(self) -> None:
        """`true` and `1` are distinct values; neither is dropped, whatever the input order."""
        expected = (True, 1)
        assert expected == In("x", [1, True]).values
        assert expected == In("x", [True, 1]).values

    def test_negated_differs(self) -> None:
        """`in` and `not in` with the same values are different conditions."""
        assert F.region.isin(["emea"]) != F.region.not_in(["emea"])


class TestAsCondition:
    """`as_condition` coerces fact references and bools to conditions."""

    def test_condition_returned_as_is(self) -> None:
        """A condition is returned unchanged."""
        condition = F.days_overdue > 60
        assert as_condition(condition) is condition

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            pytest.param(F.credit_hold, Compare("credit_hold", "==", True), id="fact-ref"),
            pytest.param(True, ALWAYS, id="true"),
            pytest.param(False, NEVER, id="false"),
        ],
    )
    def test_coercions(self, value: object, expected: Condition) -> None:
        """Fact references mean `fact == true`; bools are the constant conditions."""
        assert expected == as_condition(value)  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            pytest.param("x > 1", "expected a condition, got str `'x > 1'`", id="text"),
            pytest.param(1, "expected a condition, got int `1`", id="int"),
            pytest.param(None, "expected a condition, got NoneType `None`", id="none"),
        ],
    )
    def test_other_values_rejected(self, value: object, expected: str) -> None:
        """Anything else raises TypeError naming its type."""
        with pytest.raises(TypeError) as error:
            as_condition(value)  # type: ignore[arg-type]
        assert expected == str(error.value)

    def test_constants(self) -> None:
        """`ALWAYS` and `NEVER` are `Const` nodes with readable reprs."""
        expected = (Const(True), Const(False), "ALWAYS", "NEVER")
        assert expected == (ALWAYS, NEVER, repr(ALWAYS), repr(NEVER))


class TestFactsAndWalk:
    """`Condition.facts()` and `Condition.walk()` expose the structure of a condition."""

    @pytest.mark.parametrize(
        ("condition", "expected"),
        [
            pytest.param(F.days_overdue > 60, ("days_overdue",), id="atom"),
            pytest.param((F.tier >= "gold") & ~F.credit_hold, ("credit_hold", "tier"), id="sorted"),
            pytest.param(
                (F.tier >= "gold") | (F.tier.isin(["bronze"]) & F.tier.is_not_missing()),
                ("tier",),
                id="deduplicated",
            ),
            pytest.param(
                F.z.between(1, 2) & F.y.is_missing() & F.x.not_in([1]) & ALWAYS,
                ("x", "y", "z"),
                id="every-atom-kind",
            ),
            pytest.param(ALWAYS, (), id="constant"),
        ],
    )
    def test_facts(self, condition: Condition, expected: tuple[str, ...]) -> None:
        """`facts()` names the facts read, sorted and unique."""
        assert expected == condition.facts()

    def test_walk_is_depth_first_preorder(self) -> None:
        """`walk()` yields every node, parents before children, left to right."""
        condition = (F.a | F.b) & ~F.c
        expected = [condition, Or((A, B)), A, B, Not(C), C]
        assert expected == list(condition.walk())

    def test_walk_of_atom(self) -> None:
        """An atom walks to itself only."""
        expected = [A]
        assert expected == list(A.walk())

    def test_children(self) -> None:
        """`children()` is the direct sub-conditions, empty for atoms."""
        expected = ((A, B), (A,), ())
        assert expected == ((F.a & F.b).children(), Not(A).children(), A.children())
