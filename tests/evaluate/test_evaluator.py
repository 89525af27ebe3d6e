"""The evaluation contract, stated once and run against both evaluators (see `evaluator`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import types
from decimal import Decimal
from typing import Any

import attrs
import pytest

from crmculture import (
    BatchError,
    ConflictError,
    Decision,
    Directive,
    F,
    Fact,
    InvalidCustomer,
    Kept,
    Layer,
    Policy,
    Rule,
    Schema,
    UndecidedError,
    UnknownDepartmentError,
)
from crmculture.io.decision_stream import decide_records
from crmculture.stories import acme_policy

GOLD_ON_HOLD = {"credit_hold": True, "days_overdue": 0, "annual_volume": 9000, "tier": "gold"}
GOOD_GOLD = {"credit_hold": False, "days_overdue": 0, "annual_volume": 500_000, "tier": "gold"}


def one_directive_policy(
    directive: Directive, *rules: Rule, schema: Schema | None = None
) -> Policy:
    schema = schema or Schema([Fact.int("x", min=0, max=100)])
    return Policy("p", schema, [directive], rules)


class TestStories:
    def test_credit_hold_routes_to_accounts_receivable_from_every_department(
        self, evaluator: Any
    ) -> None:
        """A customer on credit hold is sent to accounts receivable whoever they talk to."""
        decide = evaluator(acme_policy())
        for department in ["sales", "support", "engineering", "shipping", None]:
            decision = decide(GOLD_ON_HOLD, department=department)
            assert decision.directives["route_to"] == "accounts_receivable"
            assert decision.directives["may_ship"] is False
            assert decision.directives["may_quote"] is False

    def test_days_overdue_over_sixty_counts_as_credit_hold(self, evaluator: Any) -> None:
        """Sixty-one days overdue triggers the credit-hold treatment; sixty does not."""
        decide = evaluator(acme_policy())
        base = {**GOOD_GOLD, "annual_volume": 1000}
        assert decide({**base, "days_overdue": 61})["route_to"] == "accounts_receivable"
        assert decide({**base, "days_overdue": 60})["route_to"] == "frontline"

    def test_best_customers_get_white_glove(self, evaluator: Any) -> None:
        """A gold customer in good standing gets white-glove service (max beats priority)."""
        decision = evaluator(acme_policy())(GOOD_GOLD)
        assert decision["service_level"] == "white_glove"
        outcome = decision.outcomes["service_level"]
        assert outcome.determined_by == ("best-customers",)
        assert [o.rule for o in outcome.overridden] == ["high-volume-pays-on-time"]

    def test_a_high_volume_customer_is_not_treated_worse_than_a_delinquent_one(
        self, evaluator: Any
    ) -> None:
        """The punctual high-volume customer gets at least the delinquent one's treatment."""
        decide = evaluator(acme_policy())
        punctual = decide({**GOOD_GOLD, "tier": "silver"})
        delinquent = decide({**GOOD_GOLD, "tier": "silver", "days_overdue": 90})
        levels = ["standard", "priority", "white_glove"]
        assert levels.index(punctual["service_level"]) >= levels.index(delinquent["service_level"])
        assert punctual["discount_pct"] >= delinquent["discount_pct"]
        assert punctual["may_ship"]
        assert not delinquent["may_ship"]

    def test_the_support_layer_applies_only_in_support(self, evaluator: Any) -> None:
        """Support calls back customers with many tickets; sales does not."""
        decide = evaluator(acme_policy())
        customer = {**GOOD_GOLD, "tier": "bronze", "annual_volume": 10, "open_tickets": 4}
        assert decide(customer, department="support")["service_level"] == "priority"
        assert decide(customer, department="sales")["service_level"] == "standard"
        assert decide(customer)["service_level"] == "standard"


class TestCombine:
    def test_first_takes_the_lowest_priority_then_the_lowest_rule_id(self, evaluator: Any) -> None:
        """`first` ignores the order rules were written in."""
        route = Directive.text("route", default="none", combine="first")
        decide = evaluator(
            one_directive_policy(
                route,
                Rule("b", when=True, then={"route": "from-b"}, priority=1),
                Rule("z", when=True, then={"route": "from-z"}, priority=0),
                Rule("a", when=True, then={"route": "from-a"}, priority=1),
            )
        )
        decision = decide({"x": 1})
        assert decision["route"] == "from-z"
        assert decision.matched == ("z", "a", "b")

    def test_unique_agreeing_values_are_fine(self, evaluator: Any) -> None:
        """Two rules setting the same value of a unique directive agree."""
        owner = Directive.text("owner", combine="unique")
        decide = evaluator(
            one_directive_policy(
                owner,
                Rule("a", when=True, then={"owner": "sales"}),
                Rule("b", when=F.x > 5, then={"owner": "sales"}),
            )
        )
        assert decide({"x": 9}).outcomes["owner"].determined_by == ("a", "b")

    def test_unique_different_values_raise_a_conflict(self, evaluator: Any) -> None:
        """Two different values of a unique directive are a ConflictError naming both rules."""
        owner = Directive.text("owner", combine="unique", default="nobody")
        decide = evaluator(
            one_directive_policy(
                owner,
                Rule("a", when=F.x > 5, then={"owner": "sales"}),
                Rule("b", when=F.x > 7, then={"owner": "billing"}),
            )
        )
        assert decide({"x": 6})["owner"] == "sales"
        with pytest.raises(ConflictError) as raised:
            decide({"x": 8})
        assert raised.value.directive == "owner"
        assert raised.value.contributions == (("a", "sales"), ("b", "billing"))

    @pytest.mark.parametrize(
        ("combine", "expected"),
        [("min", "low"), ("max", "high"), ("first", "mid")],
        ids=["min", "max", "first"],
    )
    def test_min_and_max_follow_the_declared_order(
        self, evaluator: Any, combine: str, expected: str
    ) -> None:
        """min/max compare ordered values by their declared position, not alphabetically."""
        level = Directive.enum("level", ["low", "mid", "high"], default="mid", combine=combine)
        decide = evaluator(
            one_directive_policy(
                level,
                Rule("a", when=True, then={"level": "mid"}),
                Rule("b", when=True, then={"level": "high"}),
                Rule("c", when=True, then={"level": "low"}),
            )
        )
        assert decide({"x": 0})["level"] == expected

    def test_all_is_false_when_any_matching_rule_says_false(self, evaluator: Any) -> None:
        """`all` needs every matching rule to say true."""
        ship = Directive.bool("ship", default=True, combine="all")
        decide = evaluator(
            one_directive_policy(
                ship,
                Rule("allow", when=True, then={"ship": True}),
                Rule("block", when=F.x > 50, then={"ship": False}),
            )
        )
        assert decide({"x": 10})["ship"] is True
        decision = decide({"x": 60})
        assert decision["ship"] is False
        assert decision.outcomes["ship"].determined_by == ("block",)
        assert [o.rule for o in decision.outcomes["ship"].overridden] == ["allow"]

    def test_any_is_true_when_any_matching_rule_says_true(self, evaluator: Any) -> None:
        """`any` needs one matching rule to say true."""
        alert = Directive.bool("alert", default=False, combine="any")
        decide = evaluator(
            one_directive_policy(
                alert,
                Rule("quiet", when=True, then={"alert": False}),
                Rule("loud", when=F.x > 50, then={"alert": True}),
            )
        )
        assert decide({"x": 10})["alert"] is False
        assert decide({"x": 60})["alert"] is True

    def test_sum_adds_every_matching_value(self, evaluator: Any) -> None:
        """`sum` adds the values of all matching rules; the default only when none match."""
        points = Directive.decimal("points", default=Decimal("0.5"), combine="sum")
        decide = evaluator(
            one_directive_policy(
                points,
                Rule("a", when=F.x > 10, then={"points": Decimal("1.25")}),
                Rule("b", when=F.x > 20, then={"points": 2}),
            )
        )
        assert decide({"x": 5})["points"] == Decimal("0.5")
        assert decide({"x": 15})["points"] == Decimal("1.25")
        assert decide({"x": 25})["points"] == Decimal("3.25")

    def test_collect_sorts_and_deduplicates(self, evaluator: Any) -> None:
        """`collect` gives the sorted union of every matching rule's values."""
        notify = Directive.text("notify", combine="collect")
        decide = evaluator(
            one_directive_policy(
                notify,
                Rule("a", when=True, then={"notify": ["sales", "legal"]}),
                Rule("b", when=F.x > 5, then={"notify": "ar"}),
                Rule("c", when=F.x > 5, then={"notify": ["legal"]}),
            )
        )
        assert decide({"x": 0})["notify"] == ("legal", "sales")
        assert decide({"x": 9})["notify"] == ("ar", "legal", "sales")

    def test_collect_without_matches_is_empty(self, evaluator: Any) -> None:
        """A collect directive with no matching rule is the empty tuple."""
        notify = Directive.text("notify", combine="collect")
        decide = evaluator(
            one_directive_policy(notify, Rule("a", when=F.x > 5, then={"notify": "ar"}))
        )
        assert decide({"x": 0})["notify"] == ()
        assert decide({"x": 0}).defaults_used == ("notify",)

    def test_a_directive_without_default_and_value_is_an_error(self, evaluator: Any) -> None:
        """No default and no matching rule raises UndecidedError, never a silent None."""
        owner = Directive.text("owner")
        decide = evaluator(
            one_directive_policy(owner, Rule("a", when=F.x > 5, then={"owner": "sales"}))
        )
        assert decide({"x": 6})["owner"] == "sales"
        with pytest.raises(UndecidedError, match="`owner` has no value"):
            decide({"x": 1})


class TestScope:
    def test_scoped_rules_apply_only_to_their_departments(self, evaluator: Any) -> None:
        """A rule scoped to sales is ignored when billing or nobody asks."""
        route = Directive.text("route", default="frontline")
        policy = one_directive_policy(
            route, Rule("sales-only", when=True, then={"route": "desk"}, departments=["sales"])
        )
        decide = evaluator(policy)
        assert decide({"x": 1}, department="sales")["route"] == "desk"
        assert decide({"x": 1}, department="billing")["route"] == "frontline"
        assert decide({"x": 1})["route"] == "frontline"

    def test_unknown_department_is_rejected_with_a_suggestion(self, evaluator: Any) -> None:
        """A policy that declares its departments rejects a misspelt one."""
        decide = evaluator(acme_policy())
        with pytest.raises(UnknownDepartmentError, match="did you mean `engineering`"):
            decide(GOOD_GOLD, department="enginering")

    def test_department_must_be_a_string(self, evaluator: Any) -> None:
        """A department that is not a string is a TypeError."""
        with pytest.raises(TypeError, match="department must be a string"):
            evaluator(acme_policy())(GOOD_GOLD, department=3)

    def test_any_department_is_accepted_when_none_are_declared(self, evaluator: Any) -> None:
        """Without declared departments, any department name may ask."""
        route = Directive.text("route", default="frontline")
        decide = evaluator(one_directive_policy(route))
        assert decide({"x": 1}, department="anything").department == "anything"

    def test_layer_rules_take_the_layer_scope(self, evaluator: Any) -> None:
        """A department layer's rules apply in the layer's departments only."""
        schema = Schema([Fact.int("x", min=0, max=100)])
        level = Directive.int("level", default=0, combine="max")
        policy = Policy(
            "p",
            schema,
            [level],
            layers=[
                Layer("support", ["support"], [Rule("callback", when=F.x > 1, then={"level": 2})]),
            ],
        )
        decide = evaluator(policy)
        assert decide({"x": 5}, department="support")["level"] == 2
        assert decide({"x": 5}, department="sales")["level"] == 0


class TestValidation:
    def test_nothing_is_evaluated_on_bad_data(self, evaluator: Any) -> None:
        """An invalid customer raises one InvalidCustomer listing every problem."""
        decide = evaluator(acme_policy())
        with pytest.raises(InvalidCustomer) as raised:
            decide({"credit_hold": "yes", "days_overdue": -3, "tier": "diamond", "annual_volum": 5})
        assert raised.value.facts == (
            "credit_hold",
            "days_overdue",
            "annual_volume",
            "tier",
            "annual_volum",
        )

    @pytest.mark.parametrize(
        "customer",
        [
            {**GOOD_GOLD, "days_overdue": True},
            {**GOOD_GOLD, "days_overdue": 12.0},
            {**GOOD_GOLD, "days_overdue": None},
            {**GOOD_GOLD, "days_overdue": float("nan")},
            {**GOOD_GOLD, "satisfaction": 10.5},
            {**GOOD_GOLD, "balance": 3.5},
            {**GOOD_GOLD, "unknown": 1},
        ],
        ids=[
            "bool-for-int",
            "float-for-int",
            "none-for-required",
            "nan-for-required",
            "above-max",
            "float-for-decimal",
            "unknown-fact",
        ],
    )
    def test_each_kind_of_bad_value_is_rejected(self, evaluator: Any, customer: Any) -> None:
        """Wrong types, out-of-domain values and unknown facts never reach the rules."""
        with pytest.raises(InvalidCustomer):
            evaluator(acme_policy())(customer)

    def test_values_are_normalized(self, evaluator: Any) -> None:
        """Ints become floats and Decimals for float and decimal facts."""
        decision = evaluator(acme_policy())({**GOOD_GOLD, "satisfaction": 7, "balance": 12})
        assert decision.customer["satisfaction"] == 7.0
        assert isinstance(decision.customer["satisfaction"], float)
        assert isinstance(decision.customer["balance"], Decimal)

    def test_customers_may_be_dataclasses_or_attrs_objects(self, evaluator: Any) -> None:
        """Any object with the facts as attributes is a customer."""

        @dataclasses.dataclass
        class Account:
            credit_hold: bool
            days_overdue: int
            annual_volume: int
            tier: str

        @attrs.frozen
        class Record:
            credit_hold: bool
            days_overdue: int
            annual_volume: int
            tier: str
            satisfaction: float | None = None

        decide = evaluator(acme_policy())
        expected = decide(GOLD_ON_HOLD)
        assert decide(Account(**GOLD_ON_HOLD)) == expected
        assert decide(Record(**GOLD_ON_HOLD)) == expected

    def test_non_dict_mappings_are_customers(self, evaluator: Any) -> None:
        """Any mapping works, not just dict."""
        from types import MappingProxyType

        decide = evaluator(acme_policy())
        assert decide(MappingProxyType(GOLD_ON_HOLD)) == decide(GOLD_ON_HOLD)


class TestMissingFacts:
    schema = Schema(
        [
            Fact.int("score", min=0, max=10, optional=True),
            Fact.enum("tier", ["a", "b", "c"], ordered=True, optional=True),
            Fact.bool("vip", optional=True),
            Fact.date("renewal", optional=True),
            Fact.int("tickets", min=0, optional=True, default=2),
        ]
    )

    def decide(self, evaluator: Any, condition: Any, customer: dict[str, Any]) -> bool:
        hit = Directive.bool("hit", default=False)
        policy = Policy("p", self.schema, [hit], [Rule("r", when=condition, then={"hit": True})])
        result: bool = evaluator(policy)(customer)["hit"]
        return result

    @pytest.mark.parametrize(
        "condition",
        [
            F.score > 3,
            F.score <= 3,
            F.score == 3,
            F.score != 3,
            F.score.isin([1, 2]),
            F.score.not_in([1, 2]),
            F.score.between(0, 10),
            F.tier >= "a",
            F.tier != "b",
            F.vip,
            F.vip == False,  # noqa: E712 - building conditions
            F.vip != True,  # noqa: E712 - building conditions
            F.renewal < dt.date(2030, 1, 1),
        ],
        ids=str,
    )
    def test_every_comparison_with_a_missing_fact_is_false(
        self, evaluator: Any, condition: Any
    ) -> None:
        """A comparison involving a missing fact is false, whatever the operator."""
        assert self.decide(evaluator, condition, {}) is False

    def test_is_missing_and_not(self, evaluator: Any) -> None:
        """Only `is missing` is true of a missing fact, and `not` is plain negation."""
        assert self.decide(evaluator, F.score.is_missing(), {}) is True
        assert self.decide(evaluator, F.score.is_missing(), {"score": None}) is True
        assert self.decide(evaluator, F.score.is_not_missing(), {"score": 0}) is True
        assert self.decide(evaluator, ~(F.score > 3), {}) is True

    def test_a_default_fills_an_absent_optional_fact(self, evaluator: Any) -> None:
        """An absent optional fact with a default takes the default."""
        assert self.decide(evaluator, F.tickets == 2, {}) is True
        assert self.decide(evaluator, F.tickets == 2, {"tickets": None}) is True
        assert self.decide(evaluator, F.tickets == 2, {"tickets": 3}) is False


class TestDecideMany:
    def test_results_come_in_input_order(self, evaluator: Any) -> None:
        """decide_many returns one decision per customer, in order."""
        decide = evaluator(acme_policy())
        results = decide.decide_many([GOLD_ON_HOLD, GOOD_GOLD], department="sales")
        assert [d["route_to"] for d in results] == ["accounts_receivable", "frontline"]

    def test_bad_records_are_reported_by_index_never_dropped(self, evaluator: Any) -> None:
        """Every bad record is listed by index; the good ones are still decided."""
        decide = evaluator(acme_policy())
        batch = [GOOD_GOLD, {**GOOD_GOLD, "tier": "diamond"}, GOLD_ON_HOLD, {}]
        with pytest.raises(BatchError) as raised:
            decide.decide_many(batch)
        error = raised.value
        assert [failure.index for failure in error.failures] == [1, 3]
        assert len(error.results) == 4
        assert isinstance(error.results[0], Decision)
        assert "record 1:" in str(error)
        assert "record 3:" in str(error)

    def test_report_mode_returns_errors_in_place(self, evaluator: Any) -> None:
        """With on_error="report", each bad record's error takes its place."""
        decide = evaluator(acme_policy())
        results = decide.decide_many([{}, GOOD_GOLD], on_error="report")
        assert isinstance(results[0], InvalidCustomer)
        assert results[0].index == 0
        assert isinstance(results[1], Decision)

    def test_evaluation_errors_are_reported_too(self, evaluator: Any) -> None:
        """A conflict in one record is reported with its index like a validation error."""
        owner = Directive.text("owner", combine="unique", default="x")
        decide = evaluator(
            one_directive_policy(
                owner,
                Rule("a", when=F.x > 5, then={"owner": "s"}),
                Rule("b", when=F.x > 7, then={"owner": "t"}),
            )
        )
        results = decide.decide_many([{"x": 1}, {"x": 9}], on_error="report")
        assert isinstance(results[1], ConflictError)
        assert results[1].index == 1

    def test_kept_errors_hold_no_traceback(self, evaluator: Any) -> None:
        """A traceback would keep each bad record's frames alive: with many bad records the
        garbage collector walked them all, again and again (5.2 s instead of 1.4 s for
        100,000 conflicts among 200,000 records)."""
        owner = Directive.text("owner", combine="unique", default="x")
        decide = evaluator(
            one_directive_policy(
                owner,
                Rule("a", when=F.x > 5, then={"owner": "s"}),
                Rule("b", when=F.x > 7, then={"owner": "t"}),
            )
        )
        results = decide.decide_many([{"x": 9}, {}], on_error="report")
        assert [type(result) for result in results] == [ConflictError, InvalidCustomer]
        assert all(result.__traceback__ is None for result in results)

    def test_unknown_on_error_is_rejected(self, evaluator: Any) -> None:
        """on_error accepts raise or report only."""
        with pytest.raises(ValueError, match="on_error"):
            evaluator(acme_policy()).decide_many([], on_error="ignore")

    def test_a_generator_of_customers_is_fine(self, evaluator: Any) -> None:
        """decide_many consumes any iterable once."""
        decide = evaluator(acme_policy())
        results = decide.decide_many(dict(GOOD_GOLD, days_overdue=d) for d in range(3))
        assert [d.customer["days_overdue"] for d in results] == [0, 1, 2]


class TestKeptFields:
    """``decide_many(..., keep=...)``: fields that are not facts, taken out of each record
    before it is decided and returned with its result, as ``crmculture decide --keep``."""

    ROWS = (
        {"customer_id": "c1", "region_code": 7, **GOOD_GOLD},
        {"customer_id": "c2", **GOLD_ON_HOLD},  # no region_code
        {"customer_id": "c3", **GOOD_GOLD, "tier": "diamond"},  # invalid
    )

    def test_each_result_comes_with_its_kept_fields(self, evaluator: Any) -> None:
        """Every result in a `Kept`, in input order, with the fields in the order asked;
        a field the record lacks is None; the results are those of the records without
        the kept fields."""
        decide = evaluator(acme_policy())
        kept = decide.decide_many(
            self.ROWS, "sales", keep=["region_code", "customer_id"], on_error="report"
        )
        assert [list(k.keep.items()) for k in kept] == [
            [("region_code", 7), ("customer_id", "c1")],
            [("region_code", None), ("customer_id", "c2")],
            [("region_code", None), ("customer_id", "c3")],
        ]
        plain = decide.decide_many([GOOD_GOLD, GOLD_ON_HOLD], "sales")
        assert [k.result for k in kept[:2]] == plain
        assert isinstance(kept[2].result, InvalidCustomer)
        assert (kept[2].result.index, kept[2].result.facts) == (2, ("tier",))
        assert all(type(k) is Kept for k in kept)

    def test_without_keep_the_field_is_an_unknown_fact(self, evaluator: Any) -> None:
        """The same records without `keep=`: the fields are facts the schema does not have."""
        results = evaluator(acme_policy()).decide_many(self.ROWS[:1], on_error="report")
        assert isinstance(results[0], InvalidCustomer)
        assert results[0].facts == ("customer_id", "region_code")

    def test_a_batch_error_holds_the_kept_results(self, evaluator: Any) -> None:
        """With on_error="raise", `BatchError.results` are the `Kept` values, so that each
        failure's record is found by its index with its id."""
        with pytest.raises(BatchError) as raised:
            evaluator(acme_policy()).decide_many(self.ROWS, keep=["customer_id", "region_code"])
        error = raised.value
        assert [failure.index for failure in error.failures] == [2]
        assert [k.keep["customer_id"] for k in error.results] == ["c1", "c2", "c3"]
        assert error.results[2].result is error.failures[0]

    def test_a_record_that_is_not_a_mapping(self, evaluator: Any) -> None:
        """A record that is not a mapping keeps nothing (every field None) and is reported."""
        kept = evaluator(acme_policy()).decide_many(
            [["not", "a", "record"]], keep=["customer_id"], on_error="report"
        )
        assert kept[0].keep == {"customer_id": None}
        assert isinstance(kept[0].result, InvalidCustomer)

    def test_any_mapping_and_a_name_given_twice(self, evaluator: Any) -> None:
        """A record may be any mapping; a field named twice is kept once, with its value."""
        row = types.MappingProxyType(self.ROWS[0])
        kept = evaluator(acme_policy()).decide_many(
            [row, self.ROWS[0]], keep=["customer_id", "region_code", "customer_id"]
        )
        assert [k.keep for k in kept] == [{"customer_id": "c1", "region_code": 7}] * 2
        assert kept[0].result == kept[1].result

    def test_no_kept_fields_still_wraps(self, evaluator: Any) -> None:
        """``keep=[]`` asks for `Kept` results with nothing kept; ``keep=None`` (the default)
        for plain results."""
        decide = evaluator(acme_policy())
        kept = decide.decide_many([GOOD_GOLD], keep=[])
        assert (kept[0].keep, kept[0].result) == ({}, decide.decide_many([GOOD_GOLD])[0])

    @pytest.mark.parametrize(
        ("keep", "error", "message"),
        [
            (
                ["customer_id", "tier"],
                ValueError,
                "kept field `tier` is a fact: keep fields that are not facts",
            ),
            ("customer_id", TypeError, "not the string `customer_id`"),
            (["customer_id", 7], TypeError, "kept field names are strings, not `7`"),
        ],
        ids=["a-fact", "a-string", "a-number"],
    )
    def test_wrong_keep_is_refused(
        self, evaluator: Any, keep: Any, error: type[Exception], message: str
    ) -> None:
        """A kept field that is a fact, or one string for the list: refused before deciding."""
        with pytest.raises(error, match=message):
            evaluator(acme_policy()).decide_many(self.ROWS, keep=keep)

    def test_the_fields_crmculture_decide_keeps(self, evaluator: Any) -> None:
        """The kept fields and results are those of `crmculture decide --keep` for the same
        records: its lines' ``keep``, and its decisions or errors."""
        text = "".join(json.dumps(row) + "\n" for row in self.ROWS)
        lines = [
            json.loads(line)
            for chunk in decide_records(
                acme_policy(), io.StringIO(text), "jsonl", "sales", keep=["customer_id"]
            )
            for line in chunk.text.splitlines()
        ]
        kept = evaluator(acme_policy()).decide_many(
            self.ROWS, "sales", keep=["customer_id"], on_error="report"
        )
        assert [line["keep"] for line in lines] == [k.keep for k in kept]
        assert [line.get("decision") for line in lines] == [
            k.result.to_dict() if isinstance(k.result, Decision) else None for k in kept
        ]


class TestTypes:
    def test_dates_and_decimals_compare_by_value(self, evaluator: Any) -> None:
        """Date and decimal facts compare with date and decimal constants."""
        schema = Schema([Fact.date("renewal"), Fact.decimal("balance", min=0)])
        flag = Directive.bool("urgent", default=False, combine="any")
        policy = Policy(
            "p",
            schema,
            [flag],
            [
                Rule("soon", when=F.renewal <= dt.date(2027, 1, 31), then={"urgent": True}),
                Rule("owes", when=F.balance > Decimal("100.00"), then={"urgent": True}),
            ],
        )
        decide = evaluator(policy)
        assert decide({"renewal": dt.date(2027, 1, 31), "balance": 0})["urgent"] is True
        assert (
            decide({"renewal": dt.date(2027, 2, 1), "balance": Decimal("100.01")})["urgent"] is True
        )
        assert decide({"renewal": dt.date(2027, 2, 1), "balance": 100})["urgent"] is False

    def test_ordered_enums_compare_by_declared_order(self, evaluator: Any) -> None:
        """`tier >= "gold"` follows the declared order, not the alphabet."""
        decide = evaluator(acme_policy())
        assert decide({**GOOD_GOLD, "tier": "platinum"})["service_level"] == "white_glove"
        assert decide({**GOOD_GOLD, "tier": "bronze"})["service_level"] == "priority"

    def test_a_policy_with_no_rules_gives_defaults(self, evaluator: Any) -> None:
        """Without rules every directive takes its default."""
        route = Directive.text("route", default="frontline")
        decision = evaluator(one_directive_policy(route))({"x": 3})
        assert decision["route"] == "frontline"
        assert decision.matched == ()

    def test_a_schema_with_no_facts_works(self, evaluator: Any) -> None:
        """A policy over no facts decides for the empty customer."""
        route = Directive.text("route", default="frontline")
        policy = Policy("p", Schema([]), [route], [Rule("all", when=True, then={"route": "desk"})])
        assert evaluator(policy)({})["route"] == "desk"
        with pytest.raises(InvalidCustomer):
            evaluator(policy)({"x": 1})
