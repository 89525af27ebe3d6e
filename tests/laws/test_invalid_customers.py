"""Law: an InvalidCustomer names every fault planted in a record, and nothing else."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmculture import InvalidCustomer, Schema
from crmculture.testing import Fault, invalid_customers, schemas

# What the problem's message says, per kind of fault.
SAYS = {
    "wrong_type": ("expected ",),
    "out_of_domain": ("is below the minimum", "is above the maximum", "is not one of the allowed"),
    "not_finite": ("is not a finite number",),
    "missing_required": ("required fact is missing",),
    "unknown_fact": ("unknown fact",),
}


@given(schemas(min_facts=1, max_facts=6), st.data())
def test_every_planted_fault_is_named(schema: Schema, data: st.DataObject) -> None:
    """Wrong types, values out of domain or not finite, missing required facts and unknown
    facts are all reported, in one error, one problem per fault, in the faults' order."""
    record, faults = data.draw(invalid_customers(schema, min_faults=0))
    check(schema, record, faults)


def check(schema: Schema, record: dict[str, Any], faults: tuple[Fault, ...]) -> None:
    if not faults:
        schema.validate(record)
        return
    with pytest.raises(InvalidCustomer) as raised:
        schema.validate(record)
    error = raised.value
    assert error.facts == tuple(fault.fact for fault in faults)
    assert len(error.problems) == len(faults)
    for fault, problem in zip(faults, error.problems, strict=True):
        assert problem.path == fault.path
        assert any(phrase in problem.message for phrase in SAYS[fault.kind]), (fault, problem)
        if fault.kind == "missing_required":
            assert f"customer.{fault.fact}: required fact is missing" in str(error)


@given(invalid_customers(Schema([])))
def test_a_record_for_an_empty_schema_can_only_have_unknown_facts(
    case: tuple[dict[str, Any], tuple[Fault, ...]],
) -> None:
    """With no facts to break, every fault is an unknown fact."""
    record, faults = case
    assert all(fault.kind == "unknown_fact" for fault in faults)
    check(Schema([]), record, faults)
