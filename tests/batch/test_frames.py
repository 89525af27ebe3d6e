"""`decide_frame`: each combine strategy, the errors frame, inputs and outputs, pickling."""

from __future__ import annotations

import datetime as dt
import math
import pickle
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from crmculture import (
    BatchError,
    ConflictError,
    Directive,
    F,
    Fact,
    InvalidCustomer,
    Layer,
    Policy,
    Rule,
    Schema,
    UndecidedError,
    UnknownDepartmentError,
)
from crmculture.batch import (
    ERROR_COLUMNS,
    FrameDecisions,
    FrameError,
    FramePlan,
    decide_frame,
    rule_column,
)

LEVELS = ["standard", "priority", "white_glove"]


def every_strategy() -> Policy:
    """A policy with one directive per combine strategy, optional facts, and a layer."""
    schema = Schema(
        [
            Fact.bool("credit_hold"),
            Fact.int("days_overdue", min=0, max=3650),
            Fact.enum("tier", ["bronze", "silver", "gold"], better="higher"),
            Fact.enum("region", ["amer", "emea"], optional=True),
            Fact.float("satisfaction", min=0, max=10, optional=True),
            Fact.decimal("balance", min=0, optional=True),
            Fact.date("renewal", optional=True),
            Fact.int("open_tickets", min=0, optional=True, default=0),
        ]
    )
    directives = [
        Directive.text("route_to", default="frontline", combine="first"),
        Directive.enum("level", LEVELS, default="standard", combine="max"),
        Directive.enum("cap", LEVELS, default="white_glove", combine="min"),
        Directive.bool("may_ship", default=True, combine="all"),
        Directive.bool("alert", default=False, combine="any"),
        Directive.text("owner", combine="unique"),
        Directive.int("points", default=0, combine="sum"),
        Directive.decimal("fee", default=0, combine="sum"),
        Directive.text("notify", combine="collect"),
    ]
    rules = [
        Rule("base", when=True, then={"owner": "sales"}, priority=9),
        Rule(
            "hold",
            when=F.credit_hold | (F.days_overdue > 60),
            then={"route_to": "ar", "may_ship": False, "cap": "standard", "notify": "ar"},
        ),
        Rule(
            "gold",
            when=(F.tier >= "gold") & ~F.credit_hold,
            then={"level": "white_glove", "points": 5, "fee": Decimal("1.50")},
        ),
        Rule(
            "unhappy",
            when=F.satisfaction < 4.5,
            then={"level": "priority", "alert": True, "notify": ["cs", "am"]},
        ),
        Rule("no-region", when=F.region.is_missing(), then={"alert": True, "points": 2}),
        Rule(
            "big-balance",
            when=F.balance >= Decimal("1000.25"),
            then={"may_ship": False, "fee": Decimal("2.25"), "owner": "finance"},
            priority=1,
        ),
        Rule(
            "renewal-soon",
            when=F.renewal.between(dt.date(2027, 1, 1), dt.date(2027, 3, 31)),
            then={"route_to": "renewals", "points": 1},
            priority=2,
        ),
        Rule(
            "emea",
            when=F.region.isin(["emea"]) & (F.open_tickets >= 2),
            then={"route_to": "emea_desk", "cap": "priority"},
            priority=1,
        ),
    ]
    support = Layer(
        "support",
        ["support"],
        [Rule("tickets", when=F.open_tickets >= 3, then={"level": "priority", "points": 7})],
    )
    return Policy(
        "every-strategy", schema, directives, rules, layers=[support], departments=["support"]
    )


GOOD = {
    "credit_hold": False,
    "days_overdue": 0,
    "tier": "bronze",
    "region": "amer",
    "satisfaction": 8.0,
    "balance": Decimal("10.00"),
    "renewal": dt.date(2026, 6, 1),
    "open_tickets": 0,
}


def frame_of(rows: list[dict[str, Any]], **options: Any) -> pd.DataFrame:
    """Records as pandas would read them, with a nullable int column for the optional int
    fact (a float64 column would be rejected, as a record with ``3.0`` is)."""
    return pd.DataFrame(rows, **options).astype({"open_tickets": "Int64"})


def records() -> list[dict[str, Any]]:
    """Customers exercising every rule, missing optional facts, a conflict on `owner`."""
    return [
        GOOD,
        {**GOOD, "credit_hold": True, "tier": "gold"},
        {**GOOD, "days_overdue": 61, "satisfaction": 2.0},
        {**GOOD, "tier": "gold", "satisfaction": None, "region": None},
        {**GOOD, "region": "emea", "open_tickets": 3, "renewal": dt.date(2027, 2, 1)},
        {**GOOD, "balance": Decimal("1000.25")},  # `owner`: sales and finance conflict
        {**GOOD, "balance": Decimal("1000.24"), "renewal": None, "open_tickets": None},
        {**GOOD, "satisfaction": 4.5, "tier": "silver", "balance": None},
    ]


@pytest.mark.parametrize("department", [None, "support"])
@pytest.mark.parametrize("build", ["arrow", "objects"])
def test_every_strategy_matches_the_per_record_evaluators(
    department: str | None, build: str, frames: SimpleNamespace
) -> None:
    """first, max, min, all, any, unique (with a conflict), sum (int and decimal) and collect
    give the per-record values and determining rules, in and out of the support layer."""
    policy = every_strategy()
    rows = records()
    make = frames.arrow_table if build == "arrow" else frames.object_frame
    frames.check_rows(policy, rows, department, make(policy.schema, rows))


def test_a_conflict_is_an_error_row_never_a_value() -> None:
    """Two rules setting a unique directive to different values: the row fails with the
    per-record ConflictError, and its other directives are not reported either."""
    policy = every_strategy()
    report = decide_frame(policy, frame_of(records()), on_error="report")
    assert list(report.failed) == [5]
    assert report.decisions.loc[5].isna().all()
    error = report.errors.loc[5]
    with pytest.raises(ConflictError) as per_record:
        policy.compile()(records()[5])
    assert error["error"] == "ConflictError"
    assert error["path"] == "decision.owner"
    assert error["message"] == str(per_record.value)


def test_failures_hold_no_traceback() -> None:
    """Each failure is kept without the traceback of the per-record evaluation that made it,
    whose frames would keep every failed row's record alive (100,000 conflicting rows took
    6.5 s instead of 1.7 s)."""
    report = decide_frame(every_strategy(), frame_of(records()), on_error="report")
    with pytest.raises(FrameError) as raised:
        decide_frame(every_strategy(), frame_of(records()))
    assert len(report.errors) == len(raised.value.failures) == 1
    assert raised.value.failures[0].__traceback__ is None


def test_an_undecided_directive_is_an_error_row() -> None:
    """A directive without default that no rule sets fails the row with UndecidedError."""
    schema = Schema([Fact.int("x")])
    policy = Policy(
        "p", schema, [Directive.text("owner")], [Rule("big", when=F.x > 5, then={"owner": "a"})]
    )
    report = decide_frame(policy, pd.DataFrame({"x": [9, 1]}), on_error="report")
    assert frame_values(report.decisions, "owner") == ["a", None]
    assert list(report.errors.index) == [1]
    assert report.errors.loc[1, "message"] == str(UndecidedError("owner"))


def frame_values(frame: pd.DataFrame, name: str) -> list[Any]:
    return [None if pd.isna(v) else v for v in frame[name].astype(object)]


class TestValidation:
    """Invalid rows are reported with every problem, as `Schema.problems` words them."""

    def problems(self, policy: Policy, record: dict[str, Any]) -> list[tuple[str, str]]:
        return [(p.path_text, p.message) for p in policy.schema.problems(record)[1]]

    def test_every_problem_of_every_bad_row(self) -> None:
        policy = every_strategy()
        bad = [
            GOOD,
            {**GOOD, "credit_hold": "no", "days_overdue": -1, "tier": "diamond"},
            {**GOOD, "satisfaction": math.inf, "balance": 3.5, "renewal": "2027-01-01"},
            {**GOOD, "days_overdue": None, "region": "apac"},
            {**GOOD, "open_tickets": 1.0, "satisfaction": 11},
        ]
        frame = pd.DataFrame(bad, index=["a", "b", "c", "d", "e"], dtype=object)
        report = decide_frame(policy, frame, on_error="report")
        assert list(report.errors.columns) == list(ERROR_COLUMNS)
        assert list(report.failed) == ["b", "c", "d", "e"]
        for label, record in zip("bcde", bad[1:], strict=True):
            mine = report.errors.loc[[label]]
            assert list(zip(mine["path"], mine["message"], strict=True)) == self.problems(
                policy, record
            )
            assert set(mine["error"]) == {"InvalidCustomer"}
            assert report.decisions.loc[label].isna().all()
        assert frame_values(report.decisions, "route_to")[0] == "frontline"

    def test_missing_values_in_required_facts(self) -> None:
        """None, NaN and pd.NA in a required column mean the fact is missing."""
        schema = Schema([Fact.float("score"), Fact.int("n", optional=True)])
        policy = Policy("p", schema, [Directive.bool("ok", default=True)])
        frame = pd.DataFrame(
            {
                "score": [1.0, np.nan, 2.0],
                "n": pd.array([1, None, pd.NA], dtype="Int64"),
            }
        )
        report = decide_frame(policy, frame, on_error="report")
        assert list(report.errors.index) == [1]
        assert report.errors.loc[1, "message"] == "required fact is missing"

    def test_unknown_and_missing_columns(self) -> None:
        """An unknown column is an unknown fact in every row (with a did-you-mean); a missing
        required column is a missing fact in every row; `keep` carries other columns."""
        policy = every_strategy()
        frame = pd.DataFrame([GOOD, GOOD]).rename(columns={"tier": "teir"})
        report = decide_frame(policy, frame, on_error="report")
        assert list(report.failed) == [0, 1]
        assert list(report.errors.loc[0, "message"]) == [
            "required fact is missing",
            "unknown fact (did you mean `tier`?)",
        ]
        carried = pd.DataFrame([GOOD, GOOD]).assign(customer_id=["c1", "c2"])
        decided = decide_frame(policy, carried, keep=["customer_id"])
        assert list(decided.columns[:2]) == ["customer_id", "route_to"]
        assert list(decided["customer_id"]) == ["c1", "c2"]

    def test_a_float_column_for_an_int_fact_is_rejected(self) -> None:
        """As a record with ``3.0`` for an int fact is: use an integer dtype (``Int64``)."""
        schema = Schema([Fact.int("n")])
        policy = Policy("p", schema, [Directive.bool("ok", default=True)])
        report = decide_frame(policy, pd.DataFrame({"n": [3.0]}), on_error="report")
        assert report.errors.loc[0, "message"] == "expected an int, got float `3.0`"

    def test_raise_lists_every_bad_row(self) -> None:
        policy = every_strategy()
        frame = frame_of([GOOD, {**GOOD, "tier": "diamond"}, records()[5]])
        with pytest.raises(FrameError) as raised:
            decide_frame(policy, frame)
        error = raised.value
        assert isinstance(error, BatchError)
        assert isinstance(error, ValueError)
        assert [type(f) for f in error.failures] == [InvalidCustomer, ConflictError]
        assert [f.index for f in error.failures] == [1, 2]  # type: ignore[attr-defined]
        assert str(error).splitlines()[0] == "2 of 3 rows could not be decided"
        assert "row 1: invalid customer at index 1: customer.tier" in str(error)
        assert list(error.errors.index) == [1, 2]
        again = pickle.loads(pickle.dumps(error))
        assert str(again) == str(error)
        assert list(again.errors.index) == [1, 2]

    def test_on_error_must_be_known(self) -> None:
        with pytest.raises(ValueError, match="on_error"):
            decide_frame(every_strategy(), pd.DataFrame([GOOD]), on_error="ignore")  # type: ignore[call-overload]


class TestInputs:
    def test_empty_frames(self) -> None:
        """No rows in, no rows out, with the columns and types of every decisions frame."""
        policy = every_strategy()
        full = decide_frame(policy, pd.DataFrame([GOOD]))
        for empty in (pd.DataFrame([GOOD]).iloc[:0], pa.Table.from_pylist([GOOD]).slice(0, 0)):
            decided = decide_frame(policy, empty)
            assert len(decided) == 0
            assert list(decided.columns) == list(full.columns)
            assert list(decided.dtypes) == list(full.dtypes)
        assert list(FramePlan(policy).empty().dtypes) == list(full.dtypes)

    def test_arrow_tables_batches_and_pandas_dtypes_agree(self) -> None:
        """An Arrow table, a record batch, a pandas frame of nullable and Arrow-backed dtypes
        and a frame of objects decide alike."""
        policy = every_strategy()
        table = pa.Table.from_pylist(records())
        expected = decide_frame(policy, table, on_error="report").decisions
        inputs = [
            table.to_batches()[0],
            table.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get),
            table.to_pandas(types_mapper=pd.ArrowDtype),
            pd.DataFrame(records(), dtype=object),
            frame_of(records()).astype({"tier": "category"}),
        ]
        for frame in inputs:
            decided = decide_frame(policy, frame, on_error="report").decisions
            pd.testing.assert_frame_equal(decided, expected)

    def test_the_index_and_order_are_kept(self) -> None:
        policy = every_strategy()
        frame = frame_of(records(), index=pd.Index([70, 60, 50, 40, 30, 20, 10, 0]))
        report = decide_frame(policy, frame, on_error="report")
        assert report.decisions.index.equals(frame.index)
        assert list(report.failed) == [20]

    def test_big_decimals_leave_the_fast_path_exactly(self) -> None:
        """Decimals too large for scaled 64-bit integers are compared as Decimals."""
        schema = Schema([Fact.decimal("amount")])
        rule = Rule("huge", when=F.amount > Decimal("1E+30"), then={"huge": True})
        policy = Policy("p", schema, [Directive.bool("huge", default=False)], [rule])
        amounts = [Decimal("1E+30"), Decimal("1000000000000000000000000000000.01")]
        for frame in (pd.DataFrame({"amount": amounts}), pa.table({"amount": amounts})):
            assert frame_values(decide_frame(policy, frame), "huge") == [False, True]

    def test_duplicate_columns_are_refused(self) -> None:
        frame = pd.DataFrame([[1, 2]], columns=["x", "x"])
        with pytest.raises(ValueError, match="appears more than once"):
            decide_frame(every_strategy(), frame)

    def test_unknown_department(self) -> None:
        with pytest.raises(UnknownDepartmentError):
            decide_frame(every_strategy(), pd.DataFrame([GOOD]), "suport")


class TestOutputs:
    def test_column_types(self) -> None:
        """Categories for text and ordered values and rule ids, nullable bool and int,
        Decimals and tuples as objects."""
        decided = decide_frame(every_strategy(), pd.DataFrame([GOOD]))
        types = {name: str(dtype) for name, dtype in decided.dtypes.items()}
        assert types["route_to"] == "category"
        assert decided["level"].cat.ordered
        assert list(decided["level"].cat.categories) == LEVELS
        assert types["may_ship"] == "boolean"
        assert types["points"] == "Int64"
        assert types["fee"] == "object"
        assert types["notify"] == "object"
        assert types[rule_column("route_to")] == "category"
        assert decided.loc[0, "fee"] == Decimal("0")
        assert decided.loc[0, "notify"] == ()

    def test_the_default_has_no_rule(self) -> None:
        decided = decide_frame(every_strategy(), pd.DataFrame([GOOD]))
        assert pd.isna(decided.loc[0, rule_column("route_to")])
        assert decided.loc[0, rule_column("owner")] == "base"

    def test_deterministic(self) -> None:
        policy = every_strategy()
        first = decide_frame(policy, frame_of(records()), on_error="report")
        second = decide_frame(policy, frame_of(records()), on_error="report")
        pd.testing.assert_frame_equal(first.decisions, second.decisions)
        pd.testing.assert_frame_equal(first.errors, second.errors)

    def test_report_result(self) -> None:
        report = decide_frame(every_strategy(), pd.DataFrame([GOOD]), on_error="report")
        assert isinstance(report, FrameDecisions)
        assert report.errors.empty
        assert list(report.errors.columns) == list(ERROR_COLUMNS)


class TestWidePlans:
    """Many contributions to one directive: wider entry types, several words of bits."""

    @staticmethod
    def wide_policy(count: int) -> Policy:
        schema = Schema(
            [Fact.int("score", min=0), Fact.enum("group", ["a", "b", "c"], optional=True)]
        )
        directives = [
            Directive.text("route_to", default="frontline", combine="first"),
            Directive.int("level", combine="max"),
            Directive.text("owner", default="nobody", combine="unique"),
            Directive.int("points", default=0, combine="sum"),
            Directive.text("notify", combine="collect"),
        ]
        rules = [
            Rule(
                f"r{i:03}",
                when=(F.score >= i) & ((F.group == "abc"[i % 3]) | F.group.is_missing()),
                then={
                    "route_to": f"desk-{i}",
                    "level": i % 7,
                    "owner": "sales" if i % 5 else "finance",
                    "points": i,
                    "notify": f"team-{i % 4}",
                },
                priority=-i % 4,
            )
            for i in range(count)
        ]
        return Policy("wide", schema, directives, rules)

    @pytest.mark.parametrize("count", [9, 17, 40, 70, 300])
    def test_rows_match_the_per_record_evaluators(
        self, count: int, frames: SimpleNamespace
    ) -> None:
        policy = self.wide_policy(count)
        rows: list[dict[str, Any]] = [
            {"score": score, "group": group}
            for score in sorted({0, 1, 2, 4, 5, 8, count // 2, count - 1, count + 3})
            for group in ("a", "b", "c", None)
        ]
        frames.check_rows(policy, rows, None, frames.arrow_table(policy.schema, rows))


@pytest.mark.parametrize(
    "balances",
    [
        [Decimal("-5.25"), None, Decimal("0"), Decimal("12.5"), Decimal("-0.01")],
        [Decimal("0.10"), Decimal("1000.25"), None, Decimal("1000.24")],
        [Decimal("-92233720368547758.08"), Decimal("92233720368547758.07"), Decimal("0")],
    ],
)
def test_decimal_columns_with_signs_nulls_and_extremes(
    balances: list[Decimal | None], frames: SimpleNamespace
) -> None:
    """Negative values, nulls and values at the edge of 64 bits decide as records do."""
    schema = Schema([Fact.decimal("balance", optional=True)])
    rules = [
        Rule("owes", when=F.balance < 0, then={"band": "owes"}, priority=1),
        Rule("zero", when=F.balance == 0, then={"band": "zero"}, priority=1),
        Rule("big", when=F.balance >= Decimal("1000.25"), then={"band": "big"}, priority=1),
        Rule("none", when=F.balance.is_missing(), then={"band": "unknown"}, priority=1),
    ]
    policy = Policy("p", schema, [Directive.text("band", default="other")], rules)
    rows = [{"balance": balance} for balance in balances]
    frames.check_rows(policy, rows, None, frames.arrow_table(policy.schema, rows))
    frames.check_rows(policy, rows, None, frames.object_frame(policy.schema, rows))


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"score": [None, None], "fee": [None, None]}, dtype=object),
        pd.DataFrame(index=pd.RangeIndex(2)),
        pa.table({"score": pa.nulls(2), "fee": pa.nulls(2)}),
    ],
    ids=["null-objects", "no-columns", "null-arrow"],
)
def test_defaults_fill_columns_without_values(frame: Any) -> None:
    """A float or decimal default is used exactly where a column has no values at all
    (it used to be cut to an integer: 1.5 compared equal to 1.0)."""
    schema = Schema(
        [
            Fact.float("score", optional=True, default=1.5),
            Fact.decimal("fee", optional=True, default=Decimal("2.25")),
        ]
    )
    rules = [
        Rule("one", when=F.score == 1.0, then={"score_seen": "one"}),
        Rule("one-and-a-half", when=F.score == 1.5, then={"score_seen": "one and a half"}),
        Rule("fee", when=F.fee == Decimal("2.25"), then={"fee_seen": True}),
    ]
    directives = [
        Directive.text("score_seen", default="none"),
        Directive.bool("fee_seen", default=False),
    ]
    decided = decide_frame(Policy("p", schema, directives, rules), frame)
    assert frame_values(decided, "score_seen") == ["one and a half"] * 2
    assert frame_values(decided, "fee_seen") == [True] * 2


@pytest.mark.parametrize("start", [1, 5, 11])
def test_sliced_tables_decide_as_their_rows(start: int, frames: SimpleNamespace) -> None:
    """A slice of a table (its arrays start at an offset into their buffers: bits for
    booleans and validity, 16-byte words for decimals) decides as the records it holds."""
    policy = every_strategy()
    rows = records() * 3
    table = frames.arrow_table(policy.schema, rows).slice(start, 9)
    frames.check_rows(policy, rows[start : start + 9], None, table)


@pytest.mark.parametrize("count", [1, 2, 7])
def test_the_input_table_is_never_written_to(count: int) -> None:
    """Decimals are scaled to the policy's places (here 1 -> 2): on a copy. A one-row column
    used to be scaled in the caller's own Arrow buffer (numpy calls one strided element
    contiguous, so no copy was made): every call multiplied the input by ten."""
    schema = Schema([Fact.decimal("balance")])
    rule = Rule("big", when=F.balance > Decimal("1.25"), then={"big": True})
    policy = Policy("p", schema, [Directive.bool("big", default=False)], [rule])
    table = pa.table({"balance": pa.array([Decimal("1.5")] * count, type=pa.decimal128(10, 1))})
    for _ in range(2):
        assert frame_values(decide_frame(policy, table), "big") == [True] * count
    assert table.column("balance").to_pylist() == [Decimal("1.5")] * count


def test_decisions_can_be_changed_in_place() -> None:
    """The decision columns own their memory: a user may overwrite cells."""
    decided = decide_frame(every_strategy(), frame_of(records()), on_error="report").decisions
    decided.loc[0, "route_to"] = "ar"
    decided.loc[0, "may_ship"] = False
    decided.loc[0, "points"] = 99
    decided.loc[0, rule_column("route_to")] = "hold"
    assert decided.loc[0, "route_to"] == "ar"
    assert not decided.loc[0, "may_ship"]
    assert decided.loc[0, "points"] == 99
    assert decided.loc[0, rule_column("route_to")] == "hold"


def test_plans_pickle() -> None:
    """A prepared plan travels to other processes (as its policy and department)."""
    plan = FramePlan(every_strategy(), "support")
    again = pickle.loads(pickle.dumps(plan))
    assert again.policy == plan.policy
    assert again.department == "support"
    frame = frame_of(records())
    pd.testing.assert_frame_equal(
        again.decide(frame, on_error="report").decisions,
        plan.decide(frame, on_error="report").decisions,
    )


def test_passthrough_is_the_deprecated_name_of_keep() -> None:
    """`passthrough=` still works, with a DeprecationWarning naming `keep=`; both at once is
    a mistake."""
    from crmculture.stories import acme_policy

    record = {"credit_hold": [False], "days_overdue": [0], "annual_volume": [10], "tier": ["gold"]}
    frame = pd.DataFrame({**record, "customer_id": ["c1"]})
    with pytest.warns(DeprecationWarning, match="`passthrough=` is now `keep=`"):
        old = decide_frame(acme_policy(), frame, passthrough=["customer_id"])
    pd.testing.assert_frame_equal(old, decide_frame(acme_policy(), frame, keep=["customer_id"]))
    with (
        pytest.warns(DeprecationWarning, match="is now `keep=`"),
        pytest.raises(TypeError, match="not both"),
    ):
        decide_frame(acme_policy(), frame, keep=["customer_id"], passthrough=["customer_id"])
