"""Signatures: which rules a row's facts match, found column-wise, and why replay and
adherence may decide one customer per signature."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from crmculture import CrmCultureError, InvalidCustomer, Policy
from crmculture.batch.signatures import Signatures
from crmculture.testing import customers, departments_for, policies


@st.composite
def cases(draw: st.DrawFn) -> tuple[Policy, list[dict[str, Any]], str | None]:
    policy = draw(policies(max_rules=6))
    records = draw(st.lists(customers(policy), min_size=1, max_size=12))
    return policy, records, draw(departments_for(policy))


def _outcome(policy: Policy, record: dict[str, Any], department: str | None) -> Any:
    """What replay and adherence take from a decision: the values and the deciding rules,
    or the error's first line."""
    try:
        decision = policy.compile()(record, department)
    except InvalidCustomer:
        raise
    except CrmCultureError as error:
        return str(error).splitlines()[0]
    outcomes = decision.outcomes
    return decision.values, [outcomes[d.name].determined_by for d in policy.directives]


@given(case=cases(), arrow=st.booleans())
def test_a_signature_is_the_rules_the_facts_match_and_settles_the_decision(
    case: tuple[Policy, list[dict[str, Any]], str | None], arrow: bool, frames: SimpleNamespace
) -> None:
    """Bit j of a row's signature says whether rule j's condition holds (the compiled
    evaluator's ``matched`` for the rules in scope), and rows with one signature get one
    decision when a department asks (values, deciding rules, or error): deciding one of
    them decides them all."""
    policy, records, department = case
    if arrow:
        table = frames.arrow_table(policy.schema, records)
        sources: dict[str, Any] = {
            name: table.column(name).combine_chunks() for name in table.column_names
        }
    else:
        sources = {name: [record.get(name) for record in records] for name in policy.schema.names}
    found = Signatures(policy).read(sources, len(records))
    assert found.bad is None
    rules = policy.effective_rules
    by_signature: dict[int, Any] = {}
    for row, record in enumerate(records):
        key = found.keys[found.codes[row]]
        hits = {rule.id for j, rule in enumerate(rules) if key[j // 64] >> (j % 64) & 1}
        try:
            matched = set(policy.compile()(record, department).matched)
        except CrmCultureError:
            matched = None
        if matched is not None:
            in_scope = {rule.id for rule in rules if rule.applies_to(department)}
            assert hits & in_scope == matched
        outcome = _outcome(policy, record, department)
        assert by_signature.setdefault(int(found.codes[row]), outcome) == outcome
    assert [int(found.codes[row]) for row in found.first] == list(range(len(found.keys)))
