"""Law: an InvalidCustomer names every fault planted in a record, and nothing else."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmculture import InvalidCustomer, Schema
from crmculture.testing import customers, schemas

# Faults that make any fact's value invalid, whatever its type and domain.
FAULTS: list[Any] = [object(), [1], {"a": 1}, b"bytes", float("nan"), complex(1, 2)]


@given(schemas(min_facts=1, max_facts=6), st.data())
def test_every_planted_fault_is_named(schema: Schema, data: st.DataObject) -> None:
    """Wrong values, missing required facts and unknown facts are all reported, in one error."""
    customer = dict(data.draw(customers(schema)))
    names = list(schema.names)
    broken = data.draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names)))
    for name in broken:
        customer[name] = data.draw(st.sampled_from(FAULTS))
    required = [fact.name for fact in schema if not fact.optional and fact.name not in broken]
    removed = data.draw(st.lists(st.sampled_from(required), unique=True)) if required else []
    for name in removed:
        customer.pop(name, None)
    unknown = data.draw(st.lists(st.sampled_from(["zz_extra", "yy_other"]), unique=True))
    for name in unknown:
        customer[name] = 1
    expected = set(broken) | set(removed) | set(unknown)
    if not expected:
        schema.validate(customer)
        return
    with pytest.raises(InvalidCustomer) as raised:
        schema.validate(customer)
    assert set(raised.value.facts) == expected
    assert len(raised.value.problems) == len(expected)
    for name in removed:
        assert f"customer.{name}: required fact is missing" in str(raised.value)
