"""The org strategies: argument checks (Hypothesis house style) and what they generate."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis.errors import InvalidArgument

from crmculture.culture import Culture
from crmculture.org import OrgGraph
from crmculture.stories import acme_policy
from crmculture.testing.org_strategies import cultures, org_graphs


@pytest.mark.parametrize(
    ("strategy", "options"),
    [
        (org_graphs, {"min_departments": 0}),
        (org_graphs, {"max_departments": 0}),
        (org_graphs, {"min_departments": 3, "max_departments": 2}),
        (org_graphs, {"max_handoffs": -1}),
        (org_graphs, {"max_handoffs": 1.5}),
        (org_graphs, {"requests": "part"}),
        (org_graphs, {"requests": []}),
        (org_graphs, {"requests": ["a", "a"]}),
        (cultures, {"policy": "acme"}),
        (cultures, {"min_departments": True}),
    ],
    ids=[
        "min-zero",
        "max-zero",
        "min-above-max",
        "negative-handoffs",
        "float-handoffs",
        "requests-string",
        "requests-empty",
        "requests-repeated",
        "policy-not-policy",
        "bool-size",
    ],
)
def test_bad_arguments_raise_at_once(strategy: Any, options: dict[str, Any]) -> None:
    """Invalid options raise InvalidArgument when the strategy is built, not when drawn."""
    with pytest.raises(InvalidArgument):
        strategy(**options)


@given(org_graphs(min_departments=2, max_departments=4, max_handoffs=5))
def test_org_graphs_respect_their_bounds(org: OrgGraph) -> None:
    """Generated orgs have the asked-for sizes and no self-handoffs."""
    assert 2 <= len(org) <= 4
    assert len(org.handoffs) <= 5
    assert all(handoff.source != handoff.target for handoff in org.handoffs)


@given(cultures(policy=acme_policy(), max_departments=3))
def test_cultures_with_a_fixed_policy_decide_as_its_departments(culture: Culture) -> None:
    """With a policy that declares departments, every org department decides as one of them."""
    departments = culture.policy.departments
    assert departments is not None
    assert all(d.policy_department in departments for d in culture.org.departments)
