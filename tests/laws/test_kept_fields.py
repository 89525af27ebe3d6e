"""Law: kept fields travel with a record and change nothing about its decision."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from crmculture import CrmCultureError, Decision, Kept, Policy, ReferenceEvaluator
from crmculture.testing import customers, departments_for, policies

# Names no generated schema uses for a fact: they are never in the way of one.
KEPT = ("customer.id", "batch-row")
KEPT_VALUES = st.none() | st.text(max_size=5) | st.integers()


def outcome(result: Decision | CrmCultureError) -> Any:
    """A decision's canonical JSON, or the type, message and index of an error."""
    if isinstance(result, Decision):
        return result.to_json()
    return (type(result).__name__, str(result), getattr(result, "index", None))


@st.composite
def cases(draw: st.DrawFn) -> tuple[Policy, list[dict[str, Any]], list[dict[str, Any]], Any]:
    policy = draw(policies())
    plain = draw(st.lists(customers(policy), max_size=6))
    # Each record gets some of the kept fields (a missing one comes back as None).
    kept = [
        draw(st.dictionaries(st.sampled_from(KEPT), KEPT_VALUES, max_size=len(KEPT))) for _ in plain
    ]
    return policy, plain, kept, draw(departments_for(policy))


@given(cases(), st.sampled_from(["compiled", "reference"]))
def test_keeping_fields_is_deciding_without_them(
    case: tuple[Policy, list[dict[str, Any]], list[dict[str, Any]], Any], evaluator: str
) -> None:
    """``decide_many(records, keep=K)`` gives, per record in order, its fields K (None when
    absent) and the result ``decide_many`` gives for the record without them."""
    policy, plain, kept, department = case
    decide = policy.compile() if evaluator == "compiled" else ReferenceEvaluator(policy)
    records = [{**customer, **fields} for customer, fields in zip(plain, kept, strict=True)]
    with_kept = decide.decide_many(records, department, keep=KEPT, on_error="report")
    without = decide.decide_many(plain, department, on_error="report")
    assert all(type(item) is Kept for item in with_kept)
    assert [dict(item.keep) for item in with_kept] == [
        {name: fields.get(name) for name in KEPT} for fields in kept
    ]
    assert [outcome(item.result) for item in with_kept] == [outcome(r) for r in without]
