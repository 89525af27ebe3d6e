"""Specification of `Culture` as a value: frozen, compiled once, deciding with or without a
department."""

from __future__ import annotations

import linecache
import pickle
from typing import Any

import attrs
import pytest

from crmculture import D, F, Handoff, OrgError, Rule, UnknownDepartmentError
from crmculture.culture import Culture
from crmculture.evaluate import compiler
from crmculture.stories import acme_culture, acme_org, acme_policy

GOOD = {"credit_hold": False, "days_overdue": 0, "annual_volume": 9000, "tier": "gold"}
MANY_TICKETS = {**GOOD, "tier": "silver", "open_tickets": 4}


def compiled_files() -> set[str]:
    """The file names of the compiled policies registered with `linecache`."""
    return {name for name in linecache.cache if name.startswith("<crmculture compiled policy")}


@pytest.fixture
def compilations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the policies compiled while the test runs, one entry per compilation."""
    compiled: list[str] = []
    generate = compiler.generate_source

    def counting(policy: Any) -> Any:
        compiled.append(policy.name)
        return generate(policy)

    monkeypatch.setattr(compiler, "generate_source", counting)
    return compiled


class TestFrozen:
    """A culture is a frozen value, like the policy and the org it holds."""

    @pytest.mark.parametrize("field", ["policy", "org", "_decide"])
    def test_assignment_raises(self, field: str) -> None:
        """No field can be replaced, the derived ones included."""
        culture = acme_culture()
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            setattr(culture, field, getattr(culture, field))

    def test_equality_and_hash_by_value(self) -> None:
        """Cultures built from equal policies and orgs are equal and hash alike."""
        first, second = acme_culture(), Culture(acme_policy(), acme_org())
        assert first is not second
        assert (first, hash(first)) == (second, hash(second))

    def test_repr_summarises_the_value(self) -> None:
        """The repr names the policy and sizes the org, without the derived fields."""
        expected = "<Culture policy='acme' version='2026.11' departments=6 handoffs=17>"
        assert expected == repr(acme_culture())

    def test_pickle_round_trip(self) -> None:
        """A pickled culture comes back equal, and decides and walks the same."""
        culture = acme_culture()
        copy = pickle.loads(pickle.dumps(culture))
        assert culture == copy
        assert culture.decide(GOOD, department="sales") == copy.decide(GOOD, department="sales")
        expected = culture.journey(GOOD, "replacement_part", door="sales")
        assert expected == copy.journey(GOOD, "replacement_part", door="sales")

    def test_evolve_decides_with_the_new_policy(self) -> None:
        """`attrs.evolve` with another policy decides with that policy, not a stale one."""
        culture = acme_culture()
        generous = culture.policy.with_rules(
            Rule("everyone", when=F.days_overdue >= 0, then={"service_level": "white_glove"})
        )
        evolved = attrs.evolve(culture, policy=generous)
        customer = {**GOOD, "tier": "silver"}
        expected = ("standard", "white_glove")
        assert expected == (
            culture.decide(customer)["service_level"],
            evolved.decide(customer)["service_level"],
        )

    def test_evolve_walks_the_new_org(self) -> None:
        """`attrs.evolve` with another org walks that org."""
        culture = acme_culture()
        shortcut = culture.org.with_handoff(
            Handoff("sales", "shipping", requests=["replacement_part"], when=D.may_ship)
        )
        evolved = attrs.evolve(culture, org=shortcut)
        journey = evolved.journey(GOOD, "replacement_part", door="sales")
        expected = ("sales", "shipping")
        assert expected == journey.departments
        assert evolved == culture.with_org(shortcut)

    def test_evolve_checks_the_new_org(self) -> None:
        """`attrs.evolve` checks the new org against the policy, as the constructor does."""
        culture = acme_culture()
        broken = culture.org.with_handoff(Handoff("sales", "shipping", when=D.rout_to == "x"))
        with pytest.raises(OrgError, match="unknown directive `rout_to`"):
            attrs.evolve(culture, org=broken)


class TestCompiledOnce:
    """Building cultures reuses the policy's one compiled evaluator."""

    def test_many_builds_compile_once(self, compilations: list[str]) -> None:
        """A thousand cultures of one policy compile it once and register one source."""
        policy, org = acme_policy(), acme_org()
        before = compiled_files()
        cultures = [Culture(policy, org) for _ in range(1000)]
        expected = (["acme"], 1, 1)
        assert expected == (
            compilations,
            len(compiled_files() - before),
            len({id(culture._decide) for culture in cultures}),
        )

    def test_the_culture_decides_with_the_policy_evaluator(self) -> None:
        """The culture's evaluator is the policy's own."""
        culture = acme_culture()
        assert culture._decide is culture.policy.compile()


class TestDecide:
    """`Culture.decide` with and without a department."""

    def test_without_department_is_the_company_level_decision(self) -> None:
        """No department is a company-level decision, exactly as the policy decides it."""
        culture = acme_culture()
        decision = culture.decide(MANY_TICKETS)
        assert decision == culture.decide(MANY_TICKETS, department=None)
        assert decision == culture.policy.compile()(MANY_TICKETS)
        assert decision == culture.policy.compile()(MANY_TICKETS, None)
        expected = (None, "standard")
        assert expected == (decision.department, decision["service_level"])

    def test_with_department_applies_its_rules(self) -> None:
        """An org department's rules apply only when that department asks."""
        decision = acme_culture().decide(MANY_TICKETS, department="support")
        expected = ("support", "priority", ("support-many-tickets",))
        assert expected == (
            decision.department,
            decision["service_level"],
            decision.outcomes["service_level"].determined_by,
        )

    def test_unknown_department_says_what_it_might_be(self) -> None:
        """A department the org does not have is an error with a did-you-mean."""
        with pytest.raises(UnknownDepartmentError, match="did you mean `support`"):
            acme_culture().decide(GOOD, department="suport")
