"""The compiled evaluator's fast path: a plain dict of valid, normalized values is decided
without the schema's validator, whichever optional facts it leaves out."""

from __future__ import annotations

from typing import Any

import pytest

from crmculture import Policy, ReferenceEvaluator
from crmculture.model.facts import Schema
from crmculture.stories import acme_policy

GOOD = {"credit_hold": False, "days_overdue": 0, "annual_volume": 9000, "tier": "gold"}


def fresh(policy: Policy) -> Policy:
    """The same policy, built anew, so that compiling it binds what is patched now."""
    return Policy(policy.name, policy.schema, policy.directives, policy.rules, layers=policy.layers)


@pytest.mark.parametrize(
    "customer",
    [
        GOOD,
        {**GOOD, "region": None},
        {**GOOD, "region": "emea", "satisfaction": 9.5},
        {**GOOD, "is_reseller": True, "open_tickets": 2, "region": "apac"},
    ],
    ids=["required-only", "explicit-none", "some-optional", "more-optional"],
)
def test_valid_customers_skip_the_validator(
    monkeypatch: pytest.MonkeyPatch, customer: dict[str, Any]
) -> None:
    calls: list[object] = []
    normalize = Schema.normalize

    def counting(self: Schema, record: Any) -> Any:
        calls.append(record)
        return normalize(self, record)

    monkeypatch.setattr(Schema, "normalize", counting)
    policy = fresh(acme_policy())
    decision = policy.compile()(customer)
    assert calls == []
    assert decision == ReferenceEvaluator(policy)(customer)


def test_an_unknown_key_still_goes_to_the_validator() -> None:
    from crmculture.errors import InvalidCustomer

    with pytest.raises(InvalidCustomer, match="customer_id"):
        acme_policy().compile()({**GOOD, "customer_id": "c1"})
