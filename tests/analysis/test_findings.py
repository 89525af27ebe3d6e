"""Findings: every finding, and every analysis result that names a customer, holds that
customer in one shape (`Customer`: ``(fact, value)`` pairs in schema order) with one dict view
(`record`)."""

from __future__ import annotations

import typing
from typing import Any

import pytest

from crmculture import Directive, F, Fact, Policy, Rule, Schema
from crmculture.analysis import (
    Case,
    ChangedJourney,
    Conflict,
    DeadRule,
    DiffRegion,
    Gap,
    MonotonicityBreak,
    NonUniform,
    OrgFinding,
    ShadowedRule,
    analyze,
    analyze_org,
    compare,
    diff,
)
from crmculture.analysis.findings import Customer
from crmculture.stories import acme_culture

FINDINGS: tuple[type[Any], ...] = (
    Conflict,
    Gap,
    DeadRule,
    ShadowedRule,
    NonUniform,
    MonotonicityBreak,
    OrgFinding,
)
WITH_CUSTOMERS: tuple[type[Any], ...] = (*FINDINGS, Case, ChangedJourney, DiffRegion)


def every_kind_policy() -> Policy:
    """A small policy with one finding of each verifier kind (its facts in ACME's order)."""
    schema = Schema(
        [
            Fact.bool("credit_hold"),
            Fact.int("days_overdue", min=0, max=365, better="lower"),
        ]
    )
    directives = [
        Directive.text("route_to", default="frontline", combine="unique", uniform=True),
        Directive.int("discount_pct", default=0, combine="max", monotone=True),
        Directive.text("owner"),
    ]
    rules = [
        Rule("late", when=F.days_overdue > 30, then={"route_to": "collections", "owner": "ar"}),
        Rule("very-late", when=F.days_overdue > 60, then={"route_to": "legal"}),
        Rule("win-back", when=F.days_overdue > 30, then={"discount_pct": 15}),
        Rule("small", when=F.days_overdue > 100, then={"discount_pct": 1}),
        Rule("never", when=(F.days_overdue > 60) & (F.days_overdue < 30), then={"owner": "x"}),
        Rule(
            "hold",
            when=F.credit_hold & (F.days_overdue <= 30),
            then={"route_to": "accounts_receivable"},
            departments=["sales"],
        ),
    ]
    return Policy("every-kind", schema, directives, rules, departments=["engineering", "sales"])


def customers_of(value: Any) -> list[Customer]:
    """The customers a finding or result holds (both of a monotonicity break)."""
    if isinstance(value, MonotonicityBreak):
        return [value.customer, value.worse]
    return [value.customer]


@pytest.fixture(scope="module")
def results() -> list[Any]:
    """One or more instances of every class in `WITH_CUSTOMERS`, from real analyses."""
    policy = every_kind_policy()
    report = analyze(policy, checks=["conflicts", "gaps", "rules", "uniformity", "monotonicity"])
    today = acme_culture()
    merged = today.with_org(
        today.org.merge(["sales", "billing", "accounts_receivable"], into="commercial")
    )
    org = analyze_org(today)
    later = Policy(
        policy.name,
        policy.schema,
        policy.directives,
        [rule for rule in policy.rules if rule.id != "very-late"],
        departments=policy.departments,
        version="2",
    )
    return [
        *report.findings,
        *org.findings,
        *org.cases,
        *compare(today, merged).changed,
        *diff(policy, later).regions,
    ]


class TestCustomerShape:
    @pytest.mark.parametrize("cls", WITH_CUSTOMERS, ids=lambda cls: cls.__name__)
    def test_every_class_declares_customer_as_customer(self, cls: type[Any]) -> None:
        """`customer` is an attribute of type `Customer` on every finding and result class."""
        assert typing.get_type_hints(cls)["customer"] == Customer

    @pytest.mark.parametrize("cls", WITH_CUSTOMERS, ids=lambda cls: cls.__name__)
    def test_every_class_gives_a_dict_as_record(self, cls: type[Any]) -> None:
        """`record` is a property returning a dict on every finding and result class."""
        assert typing.get_type_hints(cls.record.fget)["return"] == dict[str, Any]

    def test_every_class_is_represented(self, results: list[Any]) -> None:
        """The analyses below give at least one instance of every class."""
        assert {type(value) for value in results} == set(WITH_CUSTOMERS)

    def test_every_customer_is_pairs_in_schema_order(self, results: list[Any]) -> None:
        """Each customer is a tuple of ``(fact, value)`` pairs, facts in schema order."""
        names = acme_culture().policy.schema.names
        for value in results:
            for customer in customers_of(value):
                assert type(customer) is tuple
                assert all(type(pair) is tuple and len(pair) == 2 for pair in customer)
                facts = [fact for fact, _ in customer]
                assert facts == sorted(facts, key=names.index)

    def test_customers_are_hashable_like_their_findings(self, results: list[Any]) -> None:
        """A customer is a frozen value: it hashes, and so does the finding holding it."""
        for value in results:
            assert hash(value.customer) == hash(tuple(value.customer))
            assert hash(value) == hash(value)

    def test_record_is_the_customer_as_a_dict(self, results: list[Any]) -> None:
        """`record` (and a break's `worse_record`) is `dict(customer)`."""
        for value in results:
            assert value.record == dict(value.customer)
            if isinstance(value, MonotonicityBreak):
                assert value.worse_record == dict(value.worse)

    def test_a_dead_rule_has_an_empty_customer(self, results: list[Any]) -> None:
        """A dead rule has no witness: its customer is empty, not missing."""
        (dead,) = [value for value in results if isinstance(value, DeadRule)]
        assert (dead.customer, dead.record) == ((), {})
