"""Every public check, strategy and report of crmculture.testing rejects bad arguments at
once, with a clear message (Hypothesis house style: `InvalidArgument`, a `TypeError`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from crmculture import Directive, F, Fact, Policy, Schema
from crmculture.stories import acme_culture, acme_policy, acme_schema
from crmculture.testing import (
    assert_always,
    assert_deterministic,
    assert_journey_bound,
    assert_monotone,
    assert_uniform,
    comparable_customers,
    conditions,
    coverage,
    customers,
    customers_where,
    directives,
    facts,
    invalid_customers,
    journey_cases,
    policies,
    rules,
    schemas,
)

POLICY = acme_policy()
CULTURE = acme_culture()
NO_UNIFORM = Policy(
    "plain", Schema([Fact.bool("vip")]), [Directive.text("route_to", default="desk")]
)
CUSTOMER = {"credit_hold": True, "days_overdue": 0, "annual_volume": 0, "tier": "gold"}

# (id, call, what the message says)
CASES: list[tuple[str, Callable[[], Any], str]] = [
    # assert_deterministic
    ("det-not-policy", lambda: assert_deterministic("acme"), "needs a Policy"),  # type: ignore[arg-type]
    (
        "det-departments-string",
        lambda: assert_deterministic(POLICY, departments="sales"),
        "must be a list of department names",
    ),
    (
        "det-departments-empty",
        lambda: assert_deterministic(POLICY, departments=[]),
        "must not be empty",
    ),
    (
        "det-unknown-department",
        lambda: assert_deterministic(POLICY, departments=["sale"]),
        "unknown department `sale` (did you mean `sales`?)",
    ),
    (
        "det-settings",
        lambda: assert_deterministic(POLICY, settings={"max_examples": 5}),  # type: ignore[arg-type]
        "hypothesis settings object",
    ),
    # assert_uniform
    (
        "uniform-unknown-directive",
        lambda: assert_uniform(POLICY, ["route"]),
        "unknown directive `route` (did you mean `route_to`?)",
    ),
    ("uniform-empty", lambda: assert_uniform(POLICY, []), "must not be empty"),
    (
        "uniform-none-declared",
        lambda: assert_uniform(NO_UNIFORM),
        "policy `plain` declares no uniform directive: name the directives to check",
    ),
    (
        "uniform-one-department",
        lambda: assert_uniform(POLICY, departments=["sales"]),
        "compare at least two departments",
    ),
    (
        "uniform-method",
        lambda: assert_uniform(POLICY, method="exakt"),  # type: ignore[arg-type]
        "unknown method `exakt` (did you mean `exact`?)",
    ),
    (
        "uniform-exact-subset",
        lambda: assert_uniform(POLICY, departments=["sales", "billing"], method="exact"),
        "the verifier compares every department",
    ),
    # assert_monotone
    (
        "monotone-unknown-directive",
        lambda: assert_monotone(POLICY, "service_levle"),
        "unknown directive `service_levle` (did you mean `service_level`?)",
    ),
    ("monotone-text", lambda: assert_monotone(POLICY, "route_to"), "has no order (text)"),
    ("monotone-notify", lambda: assert_monotone(POLICY, "notify"), "`notify` has no order"),
    (
        "monotone-not-a-name",
        lambda: assert_monotone(POLICY, 3),  # type: ignore[arg-type]
        "must be a string",
    ),
    (
        "monotone-department",
        lambda: assert_monotone(POLICY, "may_ship", department="shiping"),
        "unknown department `shiping` (did you mean `shipping`?)",
    ),
    # assert_always
    (
        "always-unknown-directive",
        lambda: assert_always(POLICY, when="credit_hold", then={"may_shipp": False}),
        "unknown directive `may_shipp` (did you mean `may_ship`?)",
    ),
    (
        "always-bad-value",
        lambda: assert_always(POLICY, when="credit_hold", then={"may_ship": "no"}),
        "then.may_ship: expected a bool",
    ),
    (
        "always-empty-then",
        lambda: assert_always(POLICY, when="credit_hold", then={}),
        "non-empty dict",
    ),
    (
        "always-unknown-fact-text",
        lambda: assert_always(POLICY, when="credit_hol", then={"may_ship": False}),
        "credit_hol",
    ),
    (
        "always-unknown-fact",
        lambda: assert_always(POLICY, when=F.credit_hol, then={"may_ship": False}),
        "unknown fact `credit_hol` (did you mean `credit_hold`?)",
    ),
    (
        "always-not-a-condition",
        lambda: assert_always(POLICY, when=42, then={"may_ship": False}),  # type: ignore[arg-type]
        "must be a Condition or condition text",
    ),
    # assert_journey_bound
    (
        "journey-not-culture",
        lambda: assert_journey_bound(POLICY),  # type: ignore[arg-type]
        "needs a Culture",
    ),
    (
        "journey-zero",
        lambda: assert_journey_bound(CULTURE, 0),
        "max_departments=0 must be at least 1",
    ),
    (
        "journey-float",
        lambda: assert_journey_bound(CULTURE, 2.5),  # type: ignore[arg-type]
        "must be an int",
    ),
    (
        "journey-unknown-door",
        lambda: assert_journey_bound(CULTURE, doors=["sale"]),
        "unknown door `sale` (did you mean `sales`?)",
    ),
    (
        "journey-unknown-request",
        lambda: assert_journey_bound(CULTURE, requests=["replacement"]),
        "unknown request `replacement` (did you mean `replacement_part`?)",
    ),
    (
        "journey-doors-string",
        lambda: assert_journey_bound(CULTURE, doors="sales"),
        "must be a list of names",
    ),
    # strategies
    (
        "where-unknown-fact",
        lambda: customers_where(POLICY, F.tierr == "gold"),
        "unknown fact `tierr`",
    ),
    ("where-not-policy", lambda: customers_where(acme_schema(), F.x), "needs a Policy"),  # type: ignore[arg-type]
    ("comparable-not-policy", lambda: comparable_customers(acme_schema()), "needs a Policy"),  # type: ignore[arg-type]
    ("invalid-not-schema", lambda: invalid_customers(POLICY), "needs a Schema"),  # type: ignore[arg-type]
    (
        "invalid-negative",
        lambda: invalid_customers(acme_schema(), min_faults=-1),
        "at least 0",
    ),
    (
        "invalid-max-below-min",
        lambda: invalid_customers(acme_schema(), min_faults=3, max_faults=2),
        "at least min_faults",
    ),
    ("journey-cases-not-culture", lambda: journey_cases(POLICY), "needs a Culture"),  # type: ignore[arg-type]
    (
        "journey-cases-unknown-door",
        lambda: journey_cases(CULTURE, doors=["billin"]),
        "unknown door `billin` (did you mean `billing`?)",
    ),
    ("customers-unknown-fact", lambda: customers(POLICY, tierr="gold"), "unknown fact"),
    # strategies' sizes and options: the message names the argument as it is spelled
    ("facts-no-types", lambda: facts(types=[]), "facts(): types=() must be a non-empty"),
    ("facts-unknown-type", lambda: facts(types=["str"]), "facts(): types=('str',) must be"),
    (
        "schemas-negative-min",
        lambda: schemas(min_facts=-1),
        "schemas(): min_facts=-1 must be an int of at least 0",
    ),
    (
        "schemas-max-below-min",
        lambda: schemas(min_facts=3, max_facts=2),
        "schemas(): max_facts=2 must be an int of at least min_facts=3",
    ),
    (
        "schemas-max-zero",
        lambda: schemas(min_facts=0, max_facts=0),
        "schemas(): max_facts=0 must be at least 1",
    ),
    (
        "schemas-bool-min",
        lambda: schemas(min_facts=True),
        "schemas(): min_facts=True must be an int of at least 0",
    ),
    ("schemas-no-types", lambda: schemas(types=[]), "schemas(): types=() must be a non-empty"),
    (
        "conditions-no-leaves",
        lambda: conditions(acme_schema(), max_leaves=0),
        "conditions(): max_leaves=0 must be at least 1",
    ),
    (
        "directives-negative-min",
        lambda: directives(min_size=-1),
        "directives(): min_size=-1 must be an int of at least 0",
    ),
    (
        "directives-max-below-min",
        lambda: directives(min_size=2, max_size=1),
        "directives(): max_size=1 must be an int of at least min_size=2",
    ),
    (
        "directives-max-zero",
        lambda: directives(min_size=0, max_size=0),
        "directives(): max_size=0 must be at least 1",
    ),
    (
        "rules-max-below-min",
        lambda: rules(acme_schema(), POLICY.directives, min_size=3, max_size=1),
        "rules(): max_size=1 must be an int of at least min_size=3",
    ),
    (
        "rules-float-max",
        lambda: rules(acme_schema(), POLICY.directives, max_size=2.5),  # type: ignore[arg-type]
        "rules(): max_size=2.5 must be an int of at least min_size=0",
    ),
    (
        "rules-no-directives",
        lambda: rules(acme_schema(), []),
        "rules(): directive_list must hold at least one directive",
    ),
    (
        "policies-negative-min",
        lambda: policies(min_rules=-2),
        "policies(): min_rules=-2 must be an int of at least 0",
    ),
    (
        "policies-max-below-min",
        lambda: policies(min_rules=4, max_rules=3),
        "policies(): max_rules=3 must be an int of at least min_rules=4",
    ),
    (
        "policies-schema",
        lambda: policies(schema="acme"),  # type: ignore[arg-type]
        "policies(): schema must be a Schema or a strategy",
    ),
    # coverage
    ("coverage-not-policy", lambda: coverage("acme", [CUSTOMER]), "needs a Policy"),  # type: ignore[arg-type]
    (
        "coverage-one-record",
        lambda: coverage(POLICY, CUSTOMER),  # type: ignore[arg-type]
        "an iterable of records or decisions",
    ),
    (
        "coverage-unknown-department",
        lambda: coverage(POLICY, [CUSTOMER], department="sale"),
        "unknown department `sale` (did you mean `sales`?)",
    ),
]


@pytest.mark.parametrize(("call", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_arguments_raise_invalid_argument(call: Callable[[], Any], message: str) -> None:
    """The call raises InvalidArgument at once, and the message says what is wrong."""
    with pytest.raises(InvalidArgument) as raised:
        call()
    assert message in str(raised.value)


def test_invalid_argument_is_a_type_error() -> None:
    """Code that catches TypeError for bad arguments keeps working."""
    assert issubclass(InvalidArgument, TypeError)


def test_a_strategy_override_is_accepted() -> None:
    """Overrides may be strategies, as with `customers`: every drawn customer takes its tier
    from the override's strategy and still satisfies the condition."""
    tiers: set[str] = set()

    @settings(max_examples=30)
    @given(customers_where(POLICY, F.credit_hold, tier=st.sampled_from(["gold", "silver"])))
    def draw(customer: dict[str, Any]) -> None:
        assert customer["credit_hold"] is True
        assert customer["tier"] in ("gold", "silver")
        tiers.add(customer["tier"])

    draw()
    assert tiers == {"gold", "silver"}
