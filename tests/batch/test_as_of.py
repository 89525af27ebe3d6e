"""The batch layer with an as-of date: `decide_frame` decides every row as the per-record
evaluators do when all are given the same as-of date, and a policy that uses it refuses to
decide a frame without one."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmculture import AS_OF, AsOfRequiredError, Directive, F, Fact, Policy, Rule, Schema
from crmculture.batch import FramePlan, decide_frame
from crmculture.testing import as_of_dates, customers, departments_for, policies, schemas


@st.composite
def cases(draw: st.DrawFn) -> tuple[Policy, list[dict[str, Any]], str | None, dt.date]:
    policy = draw(policies(schema=schemas(types=("date", "bool", "int")), as_of=True))
    as_of = draw(as_of_dates())
    records = draw(st.lists(customers(policy.at(as_of)), min_size=0, max_size=12))
    return policy, records, draw(departments_for(policy)), as_of


@given(case=cases())
def test_object_frame_rows_match_the_per_record_evaluators_as_of(
    case: tuple[Policy, list[dict[str, Any]], str | None, dt.date], frames: SimpleNamespace
) -> None:
    """A pandas frame decided as of a day agrees row by row with both evaluators."""
    policy, records, department, as_of = case
    frame = frames.object_frame(policy.schema, records)
    frames.check_rows(policy, records, department, frame, as_of)


@given(case=cases())
def test_arrow_table_rows_match_the_per_record_evaluators_as_of(
    case: tuple[Policy, list[dict[str, Any]], str | None, dt.date], frames: SimpleNamespace
) -> None:
    """A typed Arrow table decided as of a day agrees row by row with both evaluators."""
    policy, records, department, as_of = case
    table = frames.arrow_table(policy.schema, records)
    frames.check_rows(policy, records, department, table, as_of)


def _kyc() -> Policy:
    return Policy(
        "kyc",
        Schema([Fact.date("verified_on", optional=True)]),
        [Directive.bool("reverify", default=False)],
        [Rule("stale", when=F.verified_on < AS_OF.minus(days=365), then={"reverify": True})],
    )


def test_a_frame_needs_the_as_of_date_its_policy_uses() -> None:
    """Without `as_of`, deciding a frame with a policy that uses it raises at once."""
    frame = pd.DataFrame({"verified_on": [dt.date(2025, 1, 1)]})
    with pytest.raises(AsOfRequiredError, match="needs an as-of date"):
        decide_frame(_kyc(), frame)


def test_the_same_frame_on_two_days() -> None:
    """A customer verified 400 days before one day and 300 days before another is stale on
    the first only."""
    frame = pd.DataFrame({"verified_on": [dt.date(2025, 1, 1), None]})
    late = decide_frame(_kyc(), frame, as_of=dt.date(2026, 2, 5))
    early = decide_frame(_kyc(), frame, as_of=dt.date(2025, 10, 28))
    assert list(late["reverify"]) == [True, False]
    assert list(early["reverify"]) == [False, False]


def test_a_plan_pickles_with_its_as_of_date() -> None:
    """A plan for a day unpickles as the plan for that day."""
    import pickle

    plan = FramePlan(_kyc(), as_of=dt.date(2026, 2, 5))
    again = pickle.loads(pickle.dumps(plan))
    assert again.as_of == dt.date(2026, 2, 5)
