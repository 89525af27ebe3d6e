"""One meaning for missing: an absent key, None and a float NaN are the same absent fact to the
reference interpreter, the compiled evaluator and the columnar evaluator."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmculture import InvalidCustomer, Policy, ReferenceEvaluator
from crmculture.testing import customers
from crmculture.testing.policy_strategies import departments_for, policies

pd = pytest.importorskip("pandas")

from crmculture.batch import decide_frame  # noqa: E402

MISSING = ["absent", None, math.nan]


def _with_missing(customer: dict[str, Any], policy: Policy, marks: list[Any]) -> dict[str, Any]:
    """The customer with each optional fact, in turn, absent, None or NaN."""
    record = dict(customer)
    optional = [fact.name for fact in policy.schema if fact.optional]
    for name, mark in zip(optional, marks, strict=False):
        if mark == "absent":
            record.pop(name, None)
        else:
            record[name] = mark
    return record


@given(data=st.data(), policy=policies(max_rules=5))
def test_absent_none_and_nan_decide_alike(data: st.DataObject, policy: Policy) -> None:
    department = data.draw(departments_for(policy))
    customer = data.draw(customers(policy))
    marks = data.draw(st.lists(st.sampled_from(MISSING), min_size=len(policy.schema.facts)))
    record = _with_missing(customer, policy, marks)
    plain = {k: v for k, v in record.items() if not (isinstance(v, float) and math.isnan(v))}
    outcomes = []
    for decide in (ReferenceEvaluator(policy), policy.compile()):
        for version in (record, plain):
            try:
                outcomes.append(decide(version, department).values)
            except InvalidCustomer:
                raise
            except Exception as error:  # a conflict or an undecided directive, alike
                outcomes.append(type(error).__name__)
    assert len(set(map(repr, outcomes))) == 1
    # The columnar evaluator reads the NaN row as the others do.
    frame = pd.DataFrame([record], columns=[fact.name for fact in policy.schema])
    report = decide_frame(policy, frame, department, on_error="report")
    if isinstance(outcomes[0], str):
        assert len(report.errors) >= 1
    else:
        row = report.decisions.iloc[0]
        values = tuple(row[d.name] for d in policy.directives)
        assert repr(_plain(values)) == repr(_plain(outcomes[0]))


def _plain(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """Frame cells as the per-record evaluators hold them."""
    out = []
    for value in values:
        if hasattr(value, "item"):
            value = value.item()
        out.append(value)
    return tuple(out)


def test_nan_for_a_required_fact_is_missing() -> None:
    from crmculture.stories import acme_policy

    with pytest.raises(InvalidCustomer, match="required fact is missing"):
        acme_policy().compile()(
            {"credit_hold": False, "days_overdue": math.nan, "annual_volume": 1, "tier": "gold"}
        )
