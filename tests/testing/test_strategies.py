"""The strategies generate what they promise: valid customers, compiling policies, org graphs
that load, boundary values often, and the pairs, conditions and faults they are asked for."""

from __future__ import annotations

from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from crmculture import Culture, Directive, EvaluationError, F, Fact, Policy, Rule, Schema
from crmculture.evaluate.truth import holds
from crmculture.io import dump, load
from crmculture.org import OrgGraph
from crmculture.stories import acme_culture, acme_policy
from crmculture.testing import (
    comparable_customers,
    customers,
    customers_where,
    departments_for,
    journey_cases,
    org_graphs,
    policies,
    schemas,
)
from crmculture.testing.faults import FAULT_KINDS, invalid_customers

THRESHOLD_60 = Policy(
    "threshold",
    Schema([Fact.int("days_overdue", min=0, max=3650), Fact.enum("tier", ["bronze", "gold"])]),
    [Directive.text("route_to", default="frontline")],
    [Rule("late", when=F.days_overdue > 60, then={"route_to": "accounts_receivable"})],
)
NEAR_60 = (59, 60, 61)


@given(schemas(), st.data())
def test_every_customer_validates_against_its_schema(schema: Schema, data: st.DataObject) -> None:
    """customers(schema) only generates records the schema accepts."""
    customer = data.draw(customers(schema))
    assert schema.problems(customer)[1] == []
    assert set(schema.validate(customer)) <= set(schema.names)


@given(policies(max_rules=4), st.data())
def test_every_policy_compiles_and_decides_its_customers(
    policy: Policy, data: st.DataObject
) -> None:
    """Generated policies compile and decide each of their customers in any department: a
    decision of every directive for the customer's facts, or an evaluation error (a conflict
    or an undecided directive), never an invalid customer or a crash."""
    decide = policy.compile()
    customer = data.draw(customers(policy))
    department = data.draw(departments_for(policy))
    facts = policy.schema.validate(customer)
    try:
        decision = decide(customer, department)
    except EvaluationError as error:  # the policy's own answer: its rules conflict or leave a gap
        event(f"decide raised {type(error).__name__}")
    else:
        assert dict(decision.customer) == facts
        assert decision.department == department
        assert list(decision.directives) == [directive.name for directive in policy.directives]


SMALL_POLICY = Policy(
    "org-only", Schema([Fact.bool("credit_hold")]), [Directive.text("route_to", default="desk")]
)


@given(org_graphs(max_departments=4, max_handoffs=6), st.sampled_from(["yaml", "json", "toml"]))
def test_every_org_graph_loads_from_its_document(org: OrgGraph, format: str) -> None:
    """A generated org, dumped as a culture document, loads back equal."""
    culture = Culture(SMALL_POLICY, org)
    assert load(dump(culture, format), format).org == org  # type: ignore[arg-type]


class TestBoundaries:
    """Customers of a policy lean to the values its conditions compare with."""

    def test_share_of_draws_at_the_threshold(self) -> None:
        """Drawn one after another, about 40% of customers sit at 59, 60 or 61 (the plain
        integer strategy over 0..3650 almost never does); the floor asserted is 25%, and
        each of the three values at least 5%."""
        seen: list[int] = []

        @settings(max_examples=5, derandomize=True, database=None)
        @given(st.data())
        def draw(data: st.DataObject) -> None:
            for _ in range(200):
                seen.append(data.draw(customers(THRESHOLD_60))["days_overdue"])

        draw()
        share = sum(value in NEAR_60 for value in seen) / len(seen)
        assert share >= 0.25, share
        for value in NEAR_60:
            assert seen.count(value) / len(seen) >= 0.05, (value, seen.count(value))

    def test_each_boundary_value_is_tried_in_a_short_run(self) -> None:
        """In a 100-example run (which never repeats an example), 59, 60 and 61 each come up
        at least twice."""
        seen: list[int] = []

        @settings(max_examples=100, derandomize=True, database=None)
        @given(customers(THRESHOLD_60))
        def run(customer: dict[str, Any]) -> None:
            seen.append(customer["days_overdue"])

        run()
        assert all(seen.count(value) >= 2 for value in NEAR_60), [seen.count(v) for v in NEAR_60]


@given(st.data())
def test_customers_where_satisfy_the_condition(data: st.DataObject) -> None:
    """customers_where only generates valid customers for whom the condition holds."""
    policy = acme_policy()
    condition = data.draw(
        st.sampled_from(
            [
                F.credit_hold.as_condition(),
                (F.days_overdue > 60) & ~F.credit_hold,
                (F.tier >= "gold") | F.is_reseller,
                F.satisfaction.is_missing(),
                F.annual_volume.between(250_000, 250_001),
                F.tier.isin(["gold", "silver"]) & (F.region == "emea"),
            ]
        )
    )
    customer = data.draw(customers_where(policy, condition))
    assert holds(condition, policy.schema.validate(customer), policy.schema)


@given(comparable_customers(acme_policy()))
def test_comparable_customers_are_ordered(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    """The first customer is at least as good as the second on every fact with a direction,
    and equal elsewhere."""
    better, worse = pair
    schema = acme_policy().schema
    for fact in schema:
        a, b = better[fact.name], worse[fact.name]
        if fact.better is None or a is None or b is None:
            assert a == b
            continue
        key = fact.rank if fact.type == "enum" else (lambda value: value)
        assert (key(a) >= key(b)) if fact.better == "higher" else (key(a) <= key(b))


@given(journey_cases(acme_culture(), doors=["sales", "support"]))
def test_journey_cases_walk(case: tuple[dict[str, Any], str, str]) -> None:
    """Each case is a valid customer, a known request and one of the chosen doors."""
    customer, request, door = case
    culture = acme_culture()
    assert door in ("sales", "support")
    assert culture.journey(customer, request, door=door).routes


def test_every_fault_kind_is_generated() -> None:
    """Over a short run, invalid_customers plants every kind of fault it knows."""
    kinds: set[str] = set()

    @settings(max_examples=100, derandomize=True, database=None)
    @given(invalid_customers(acme_policy().schema))
    def run(case: tuple[dict[str, Any], tuple[Any, ...]]) -> None:
        kinds.update(fault.kind for fault in case[1])

    run()
    assert kinds == set(FAULT_KINDS)
