"""The as-of date in the model: `AsOf` values, conditions that compare with them, rules'
governance metadata and effective dates, and what they do (and do not do) to fingerprints."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import attrs
import pytest

from crmculture import (
    AS_OF,
    AsOf,
    AsOfRequiredError,
    ConditionSyntaxError,
    Directive,
    F,
    Fact,
    Policy,
    PolicyError,
    Rule,
    Schema,
    parse_condition,
)
from crmculture.stories import acme_policy

SCHEMA = Schema([Fact.date("verified_on", optional=True), Fact.int("n"), Fact.bool("vip")])
CUSTOMER = {"credit_hold": False, "days_overdue": 3, "annual_volume": 9000, "tier": "gold"}


def kyc(*rules: Rule) -> Policy:
    return Policy(
        "kyc",
        SCHEMA,
        [Directive.bool("reverify", default=False), Directive.text("route_to", default="desk")],
        rules,
    )


class TestAsOf:
    def test_python_spellings_are_one_value(self) -> None:
        """``minus``, ``plus`` and timedeltas build the same shifts."""
        assert AS_OF.minus(days=365) == AS_OF - dt.timedelta(days=365) == AsOf(-365)
        assert AS_OF.plus(days=2) == AS_OF + dt.timedelta(days=2) == AsOf(2)

    @pytest.mark.parametrize(
        ("value", "text"),
        [(AsOf(0), "as_of"), (AsOf(-1), "as_of - 1 day"), (AsOf(30), "as_of + 30 days")],
    )
    def test_text(self, value: AsOf, text: str) -> None:
        """The condition syntax spells each shift one way."""
        assert str(value) == text

    @pytest.mark.parametrize(
        ("make", "error"),
        [
            (lambda: AsOf(1.5), TypeError),
            (lambda: AsOf(True), TypeError),
            (lambda: AsOf(10**7), ValueError),
            (lambda: AS_OF - dt.timedelta(hours=3), ValueError),
        ],
        ids=["float", "bool", "too-far", "part-of-a-day"],
    )
    def test_bad_shifts_are_refused(self, make: Any, error: type[Exception]) -> None:
        """A shift is a whole number of days within the calendar's span."""
        with pytest.raises(error):
            make()


class TestConditions:
    @pytest.mark.parametrize(
        ("text", "condition"),
        [
            ("verified_on < as_of - 365 days", F.verified_on < AS_OF.minus(days=365)),
            ("verified_on >= as_of", F.verified_on >= AS_OF),
            ("verified_on <= as_of + 1 day", F.verified_on <= AS_OF.plus(days=1)),
            ("verified_on < as_of -7 days", F.verified_on < AS_OF.minus(days=7)),
            (
                "verified_on between as_of - 30 days and as_of",
                F.verified_on.between(AS_OF.minus(days=30), AS_OF),
            ),
        ],
    )
    def test_text_and_python_agree(self, text: str, condition: Any) -> None:
        """Text parses to the Python spelling and prints back."""
        parsed = parse_condition(text, SCHEMA)
        assert parsed == condition
        assert parse_condition(str(parsed), SCHEMA) == parsed

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("n < as_of", "`as_of` is a date; `n` is an `int` fact"),
            ("verified_on in [as_of]", "`as_of` cannot be listed"),
            ("verified_on < as_of - x days", "expected a number of days after `as_of -`"),
            ("verified_on < as_of - 3", "expected `days` after `3`"),
            ("verified_on < as_of - 3 weeks", "expected `days` after `3`"),
            ("verified_on < as_of - 1.5 days", "a shift of `as_of` is a whole number"),
            ("verified_on between as_of and as_of - 3 days", "is above high end"),
        ],
    )
    def test_bad_relative_dates_are_syntax_errors(self, text: str, message: str) -> None:
        """Each mistake is named where it was written."""
        with pytest.raises(ConditionSyntaxError, match=message.replace("(", r"\(")):
            parse_condition(text, SCHEMA)

    def test_only_date_facts_compare_with_as_of_in_a_policy(self) -> None:
        """A policy built in Python gets the same check as text."""
        with pytest.raises(PolicyError, match="`as_of` is a date"):
            kyc(Rule("r", when=F.n < AS_OF, then={"reverify": True}))


class TestGovernance:
    def test_metadata_is_kept_and_tags_sorted(self) -> None:
        """Owner, approver, ticket and tags are kept as given (tags sorted, once each)."""
        rule = Rule(
            "r",
            when=True,
            then={"reverify": True},
            owner="ops",
            approved_by="cfo",
            ticket="CHG-1",
            tags=["b", "a", "b"],
        )
        assert (rule.owner, rule.approved_by, rule.ticket, rule.tags) == (
            "ops",
            "cfo",
            "CHG-1",
            ("a", "b"),
        )

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"effective_from": "2026-01-01"}, "`effective_from` is a date"),
            ({"effective_until": dt.datetime(2026, 1, 1, 9)}, "`effective_until` is a date"),
            (
                {"effective_from": dt.date(2026, 2, 1), "effective_until": dt.date(2026, 1, 1)},
                "is before `effective_from`",
            ),
            ({"owner": 7}, "`owner` is text"),
            ({"tags": ["", "x"]}, "a tag is non-empty text"),
        ],
        ids=["from-text", "until-datetime", "until-before-from", "owner-number", "empty-tag"],
    )
    def test_bad_metadata_is_a_policy_error(self, fields: dict[str, Any], message: str) -> None:
        """Each bad value names the rule and the field."""
        with pytest.raises(PolicyError, match=message) as caught:
            Rule("r", when=True, then={"reverify": True}, **fields)
        assert caught.value.problems[0].path[:2] == ("rules", "r")

    def test_metadata_changes_neither_fingerprint_nor_decision_bytes(self) -> None:
        """Owners, approvers, tickets and tags on every rule leave the policy's fingerprint,
        and every decision's bytes, as they were."""
        plain = acme_policy()
        owned = attrs.evolve(
            plain,
            rules=[
                attrs.evolve(r, owner="ops", approved_by="cfo", ticket="T-1", tags=["x"])
                for r in plain.rules
            ],
        )
        assert owned != plain
        assert owned.fingerprint == plain.fingerprint
        assert owned.compile()(CUSTOMER).to_json() == plain.compile()(CUSTOMER).to_json()
        assert not owned.uses_as_of

    def test_effective_dates_change_the_fingerprint(self) -> None:
        """Effective dates decide, so they are part of the fingerprint."""
        plain = acme_policy()
        dated = attrs.evolve(
            plain,
            rules=[
                attrs.evolve(plain.rules[0], effective_from=dt.date(2026, 1, 1)),
                *plain.rules[1:],
            ],
        )
        assert dated.fingerprint != plain.fingerprint
        assert dated.uses_as_of
        assert dated.as_of_users == (plain.rules[0].id,)


class TestEffectiveDates:
    RULE = Rule(
        "spring-vip",
        when=F.vip,
        then={"route_to": "vip-desk"},
        effective_from=dt.date(2026, 3, 1),
        effective_until=dt.date(2026, 5, 31),
    )

    @pytest.mark.parametrize(
        ("day", "route"),
        [
            (dt.date(2026, 2, 28), "desk"),
            (dt.date(2026, 3, 1), "vip-desk"),
            (dt.date(2026, 5, 31), "vip-desk"),
            (dt.date(2026, 6, 1), "desk"),
        ],
    )
    def test_a_rule_is_in_force_between_its_dates_both_included(
        self, day: dt.date, route: str, evaluator: Callable[[Policy], Any]
    ) -> None:
        """Out of its dates the rule does not match."""
        policy = kyc(self.RULE)
        decide = evaluator(policy)
        customer = {"n": 1, "vip": True}
        assert decide(customer, as_of=day)["route_to"] == route

    def test_the_explanation_says_a_rule_is_out_of_force(
        self, evaluator: Callable[[Policy], Any]
    ) -> None:
        """The rule is listed as out of force, with its dates, not as a rule that failed."""
        policy = kyc(self.RULE)
        decide = evaluator(policy)
        text = decide({"n": 1, "vip": True}, as_of=dt.date(2026, 6, 1)).explain()
        assert (
            "Rules out of force on 2026-06-01:\n  spring-vip: in force from 2026-03-01 "
            "until 2026-05-31" in text
        )
        assert "Rules that did not match" not in text

    def test_the_explanation_names_relative_dates_and_the_dates_they_mean(
        self, evaluator: Callable[[Policy], Any]
    ) -> None:
        """A rule that did not match says what it asks as written (``as_of - 365 days``)
        and the date that means on the decision's day, also where the date falls outside
        every date the fact may hold and the rule was resolved to a bound."""
        schema = Schema([Fact.date("verified_on", min=dt.date(2020, 1, 1)), Fact.bool("vip")])
        policy = Policy(
            "kyc",
            schema,
            [Directive.bool("reverify", default=False)],
            [
                Rule(
                    "stale",
                    when=(F.verified_on < AS_OF.minus(days=365)) & ~F.vip,
                    then={"reverify": True},
                ),
                Rule(
                    "window",
                    when=F.verified_on.between(AS_OF.minus(days=3000), AS_OF.minus(days=2900)),
                    then={"reverify": True},
                ),
                Rule(
                    "fresh", when=~(F.verified_on <= AS_OF.minus(days=30)), then={"reverify": True}
                ),
            ],
        )
        decide = evaluator(policy)
        text = decide(
            {"verified_on": dt.date(2025, 6, 15), "vip": True}, as_of=dt.date(2026, 3, 1)
        ).explain()
        assert text.endswith(
            "Rules that did not match:\n"
            "  fresh: verified_on is 2025-06-15, the rule needs > as_of - 30 days "
            "(2026-01-30)\n"
            "  stale: verified_on is 2025-06-15, the rule needs < as_of - 365 days "
            "(2025-03-01); vip is true, the rule needs false\n"
            "  window: verified_on is 2025-06-15, the rule needs between as_of - 3000 days "
            "and as_of - 2900 days (2017-12-13 and 2018-03-23)"
        )

    def test_without_as_of_the_policy_says_what_needs_it(
        self, evaluator: Callable[[Policy], Any]
    ) -> None:
        """`AsOfRequiredError` names the policy and the rules that use the as-of date."""
        policy = kyc(self.RULE)
        decide = evaluator(policy)
        with pytest.raises(AsOfRequiredError) as caught:
            decide({"n": 1, "vip": True})
        assert (caught.value.policy, caught.value.uses) == ("kyc", ("spring-vip",))
        assert isinstance(caught.value, ValueError)

    def test_as_of_must_be_a_date(self) -> None:
        """A datetime or text is a TypeError, not a silent conversion."""
        with pytest.raises(TypeError, match=r"as_of must be a datetime\.date"):
            kyc(self.RULE).compile()({"n": 1, "vip": True}, as_of=dt.datetime(2026, 3, 1))
        with pytest.raises(TypeError, match=r"as_of must be a datetime\.date"):
            acme_policy().compile()(CUSTOMER, as_of="2026-03-01")  # type: ignore[arg-type]
