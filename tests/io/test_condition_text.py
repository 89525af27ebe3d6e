"""The condition syntax: the grammar, typed literals, precise errors, and str() parsing back."""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmculture import ConditionSyntaxError, F, Fact, Schema, parse_condition
from crmculture.io.condition_text import MAX_LENGTH
from crmculture.model.conditions import ALWAYS, MAX_DEPTH, NEVER, And, Not, Or
from crmculture.stories import acme_policy, acme_schema
from crmculture.testing import conditions, schemas

SCHEMA = Schema(
    [
        *acme_schema().facts,
        Fact.date("renewal_date", optional=True),
        Fact.enum("referral_code", ["a1", "b2"], optional=True),
    ]
)


class TestGrammar:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("credit_hold or days_overdue > 60", F.credit_hold | (F.days_overdue > 60)),
            ('tier >= "gold" and not credit_hold', (F.tier >= "gold") & ~F.credit_hold),
            (
                'region in ["emea", "apac"] and satisfaction <= 6',
                F.region.isin(["emea", "apac"]) & (F.satisfaction <= 6.0),
            ),
            ("annual_volume between 100000 and 999999", F.annual_volume.between(100000, 999999)),
            ("renewal_date <= 2027-01-31   # date literal", F.renewal_date <= dt.date(2027, 1, 31)),
            ("referral_code is missing", F.referral_code.is_missing()),
            ("referral_code is not missing", F.referral_code.is_not_missing()),
            ('region not in ["emea"]', F.region.not_in(["emea"])),
            ("balance > 12.50", F.balance > Decimal("12.5")),
            ("annual_volume >= 250_000", F.annual_volume >= 250000),
            ("credit_hold == false", F.credit_hold == False),  # noqa: E712
            ("true", ALWAYS),
            ("false or credit_hold", NEVER | F.credit_hold),
            ("not (credit_hold or is_reseller)", ~(F.credit_hold | F.is_reseller)),
            (
                "credit_hold and (is_reseller or days_overdue != 3)",
                F.credit_hold & (F.is_reseller | (F.days_overdue != 3)),
            ),
        ],
        ids=lambda value: value if isinstance(value, str) else "",
    )
    def test_examples(self, text: str, expected: object) -> None:
        """Each construct of the grammar parses to the condition it names."""
        assert expected == parse_condition(text, SCHEMA)

    def test_precedence_is_pythons(self) -> None:
        """`not` binds tighter than `and`, which binds tighter than `or`."""
        parsed = parse_condition("not credit_hold and is_reseller or days_overdue > 5", SCHEMA)
        assert parsed == Or(
            [And([Not(F.credit_hold.as_condition()), F.is_reseller]), F.days_overdue > 5]
        )

    def test_literals_are_typed_by_the_fact(self) -> None:
        """`6` is a float for a float fact and a Decimal for a decimal fact."""
        satisfaction = parse_condition("satisfaction > 6", SCHEMA)
        balance = parse_condition("balance > 6", SCHEMA)
        assert type(satisfaction.value) is float  # type: ignore[attr-defined]
        assert type(balance.value) is Decimal  # type: ignore[attr-defined]

    def test_without_a_schema_literals_keep_their_own_types(self) -> None:
        """Without a schema, names are not checked and numbers are ints or Decimals."""
        parsed = parse_condition("anything > 1.5 and other == 2")
        assert parsed == (F.anything > Decimal("1.5")) & (F.other == 2)

    def test_decision_atoms_parse_in_guards(self) -> None:
        """`decision.<directive>` names parse when directives are given."""
        policy = acme_policy()
        parsed = parse_condition(
            'decision.route_to == "accounts_receivable" and credit_hold',
            policy.schema,
            directives=policy.directive_index,
        )
        assert parsed.directives() == ("route_to",)

    def test_whitespace_and_newlines_do_not_matter(self) -> None:
        """A condition may span lines."""
        text = "credit_hold\n  or\n    days_overdue > 60\n"
        assert parse_condition(text, SCHEMA) == parse_condition(" ".join(text.split()), SCHEMA)


ERRORS = [
    ("days_overdu > 1", 1, 1, "unknown fact `days_overdu` (did you mean `days_overdue`?)"),
    ("tier >= gold", 1, 9, 'strings need double quotes: "gold"'),
    ("days_overdue > 1.5", 1, 16, "`1.5` is not a whole number"),
    ("tier == 'gold'", 1, 9, "strings use double quotes"),
    ("credit_hold &", 1, 13, "write `and`, `or` and `not`"),
    ("(credit_hold", 1, 13, "expected `)` to close the `(` at col 1"),
    ("tier", 1, 1, "`tier` is an `enum` fact, not a boolean: compare it with a value"),
    ("days_overdue > 5000", 1, 16, "`5000` is above the maximum 3650"),
    ('region < "emea"', 1, 8, "`<` needs an ordered fact"),
    ("", 1, 1, "expected a condition, found nothing"),
    ("credit_hold\n  and days_overdue >", 2, 21, "expected a value after `>`, found the end"),
    ("tier in []", 1, 10, "the list of values is empty"),
    ('tier in ["gold" "silver"]', 1, 17, "expected `,` or `]`"),
    ("credit_hold credit_hold", 1, 13, "expected `and`, `or` or the end of the condition"),
    ('tier == "diamond"', 1, 9, "`diamond` is not one of the allowed values"),
    ("credit_hold == 1", 1, 16, "fact `credit_hold`: expected a bool, got int `1`"),
    ("days_overdue between 5", 1, 23, "expected `and` between the two ends of `between`"),
    ("referral_code is", 1, 17, "expected `missing` after `is`"),
    ("renewal_date < 2027-02-30", 1, 16, "`2027-02-30` is not a valid date"),
    ('decision.route_to == "x"', 1, 1, "only handoff guards can"),
    ('tier == "gold\\q"', 1, 9, "invalid escape in string"),
    ("days_overdue = 5", 1, 14, "comparisons are `==` and `!=`"),
]


class TestErrors:
    @pytest.mark.parametrize(
        ("text", "line", "column", "reason"), ERRORS, ids=[e[0] or "empty" for e in ERRORS]
    )
    def test_errors_say_what_and_where(
        self, text: str, line: int, column: int, reason: str
    ) -> None:
        """Each mistake is reported with its line, column, the reason and a caret."""
        with pytest.raises(ConditionSyntaxError) as raised:
            parse_condition(text, SCHEMA)
        error = raised.value
        assert (error.line, error.column) == (line, column)
        assert reason in error.reason
        shown_line, caret = str(error).splitlines()[1:3]
        assert caret.index("^") - 2 == column - 1
        assert shown_line[2:] == (text.splitlines() or [""])[line - 1]

    def test_deep_nesting_is_a_clear_error(self) -> None:
        """Thousands of parentheses fail with a ConditionSyntaxError, not a RecursionError."""
        text = "(" * 5000 + "credit_hold" + ")" * 5000
        with pytest.raises(ConditionSyntaxError, match=f"deeper than {MAX_DEPTH} levels"):
            parse_condition(text, SCHEMA)
        with pytest.raises(ConditionSyntaxError, match="deeper than"):
            parse_condition("not " * 5000 + "credit_hold", SCHEMA)

    def test_nesting_up_to_the_limit_parses(self) -> None:
        """Nesting within the limit is fine."""
        depth = MAX_DEPTH - 1
        parsed = parse_condition("(" * depth + "credit_hold" + ")" * depth, SCHEMA)
        assert parsed == F.credit_hold.as_condition()

    def test_huge_input_is_a_clear_error(self) -> None:
        """Text beyond the length limit is refused before parsing."""
        with pytest.raises(ConditionSyntaxError, match="at most 100,000 are allowed"):
            parse_condition("credit_hold or " * (MAX_LENGTH // 10), SCHEMA)

    def test_long_lines_are_shown_around_the_problem(self) -> None:
        """The excerpt of a very long line is centred on the problem."""
        text = " or ".join(["credit_hold"] * 200) + " or nope"
        with pytest.raises(ConditionSyntaxError) as raised:
            parse_condition(text, SCHEMA)
        assert "nope" in str(raised.value).splitlines()[1]
        assert len(str(raised.value).splitlines()[1]) <= 122

    def test_text_must_be_a_string(self) -> None:
        """A non-string is a TypeError."""
        with pytest.raises(TypeError):
            parse_condition(42)  # type: ignore[arg-type]


class TestLaws:
    @given(schemas(), st.data())
    def test_str_parses_back_to_an_equal_condition(
        self, schema: Schema, data: st.DataObject
    ) -> None:
        """parse_condition(str(c), schema) == c for every valid condition."""
        condition = data.draw(conditions(schema))
        assert parse_condition(str(condition), schema) == condition

    @given(st.text(max_size=200))
    def test_arbitrary_text_raises_only_syntax_errors(self, text: str) -> None:
        """Fuzzing: any text either parses or raises ConditionSyntaxError."""
        with contextlib.suppress(ConditionSyntaxError):
            parse_condition(text, SCHEMA)

    @given(
        st.lists(
            st.sampled_from(
                [
                    "credit_hold",
                    "days_overdue",
                    "tier",
                    "region",
                    "and",
                    "or",
                    "not",
                    "in",
                    "is",
                    "missing",
                    "between",
                    "(",
                    ")",
                    "[",
                    "]",
                    ",",
                    "==",
                    "!=",
                    "<",
                    ">=",
                    "60",
                    "1.5",
                    '"gold"',
                    '"emea"',
                    "true",
                    "false",
                    "2027-01-31",
                    "satisfaction",
                    "-3",
                ]
            ),
            max_size=12,
        )
    )
    def test_token_soup_raises_only_syntax_errors(self, tokens: list[str]) -> None:
        """Fuzzing with the grammar's own tokens: parse or a ConditionSyntaxError."""
        text = " ".join(tokens)
        try:
            parsed = parse_condition(text, SCHEMA)
        except ConditionSyntaxError as error:
            placed = (error.line, error.column, bool(error.reason))
            assert placed[0] >= 1, text
            assert placed[1] >= 1, text
            assert placed[2], text
        else:
            assert parse_condition(str(parsed), SCHEMA) == parsed
