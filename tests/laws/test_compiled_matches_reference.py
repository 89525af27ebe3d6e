"""Law: the compiled evaluator decides exactly as the reference interpreter does."""

from __future__ import annotations

from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

from crmculture import CrmCultureError, Policy, ReferenceEvaluator
from crmculture.testing import customers, departments_for, policies


def outcome(decide: Any, customer: Any, department: str | None) -> Any:
    """A decision's canonical JSON, or the type and message of the error it raised."""
    try:
        return decide(customer, department).to_json()
    except CrmCultureError as error:
        return (type(error).__name__, str(error))


@st.composite
def cases(draw: st.DrawFn) -> tuple[Policy, list[dict[str, Any]], str | None]:
    policy = draw(policies())
    batch = draw(st.lists(customers(policy), min_size=1, max_size=8))
    return policy, batch, draw(departments_for(policy))


@given(cases())
def test_compiled_equals_reference(case: tuple[Policy, list[dict[str, Any]], str | None]) -> None:
    """Same decisions (values, matched rules, trace, JSON) or the same error, per customer."""
    policy, batch, department = case
    compiled, reference = policy.compile(), ReferenceEvaluator(policy)
    for customer in batch:
        assert outcome(reference, customer, department) == outcome(compiled, customer, department)


@given(cases())
def test_decision_values_agree_with_their_own_trace(
    case: tuple[Policy, list[dict[str, Any]], str | None],
) -> None:
    """The compiled values equal what `combine` derives from the compiled rule matches."""
    policy, batch, department = case
    compiled = policy.compile()
    for customer in batch:
        try:
            decision = compiled(customer, department)
        except CrmCultureError:
            continue
        assert dict(decision.directives) == {
            name: outcome.value for name, outcome in decision.outcomes.items()
        }


@given(policies(), st.data())
def test_invalid_records_fail_the_same_way(policy: Policy, data: st.DataObject) -> None:
    """Both evaluators reject a record with a wrong-typed fact with the same problems."""
    assume(len(policy.schema))
    customer = data.draw(customers(policy))
    name = data.draw(st.sampled_from(policy.schema.names))
    broken = {**customer, name: object()}
    assert outcome(ReferenceEvaluator(policy), broken, None) == outcome(
        policy.compile(), broken, None
    )
