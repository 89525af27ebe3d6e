"""Change impact: `diff(old, new)` on policy changes whose effect is known by hand."""

from __future__ import annotations

import attrs
import pytest

from crmculture import Directive, F, Fact, Policy, Rule, Schema
from crmculture.analysis import AnalysisError, DiffRegion, Undetermined, diff
from crmculture.model.checker import check_condition
from crmculture.stories import acme_policy

SCHEMA = Schema(
    [
        Fact.int("days_overdue", min=0, max=3650),
        Fact.enum("tier", ["bronze", "silver", "gold"]),
        Fact.float("satisfaction", min=0, max=10, optional=True),
    ]
)
ROUTE = Directive.text("route_to", default="frontline")


def policy(*rules: Rule, version: str = "1", departments: list[str] | None = None) -> Policy:
    return Policy("p", SCHEMA, [ROUTE], rules, version=version, departments=departments)


def collections(threshold: int) -> Rule:
    return Rule("late", when=F.days_overdue > threshold, then={"route_to": "collections"})


class TestRegions:
    def test_a_moved_threshold_changes_the_customers_in_between(self) -> None:
        """Lowering 60 to 45 days moves customers 46 to 60 to collections, and only them."""
        changes = diff(policy(collections(60)), policy(collections(45), version="2"))
        (region,) = changes.regions
        assert str(region.condition) == "days_overdue between 46 and 60"
        assert [(c.directive, c.old, c.new) for c in region.changes] == [
            ("route_to", "frontline", "collections")
        ]
        assert region.record["days_overdue"] == 46
        assert changes.region_of({"days_overdue": 50, "tier": "gold"}, None) == region
        assert changes.region_of({"days_overdue": 61, "tier": "gold"}, None) is None

    def test_regions_are_merged_into_readable_conditions(self) -> None:
        """A new rule for two tiers is one region, spelt with `in`."""
        vip = Rule("vip", when=F.tier.isin(["silver", "gold"]), then={"route_to": "key_accounts"})
        (region,) = diff(policy(), policy(vip, version="2")).regions
        assert str(region.condition) == 'tier in ["gold", "silver"]'

    def test_missing_values_form_their_own_region(self) -> None:
        """A rule for unhappy customers does not touch those never surveyed."""
        unhappy = Rule("unhappy", when=F.satisfaction < 5, then={"route_to": "success"})
        (region,) = diff(policy(), policy(unhappy, version="2")).regions
        assert str(region.condition) == "satisfaction < 5.0"
        assert changes_of(region) == [("route_to", "frontline", "success")]

    def test_rule_order_and_ids_of_equal_rules_do_not_matter(self) -> None:
        """The same rules in another order, renamed by a rationale, change nothing: proved."""
        rules = [collections(60), Rule("gold", when=F.tier == "gold", then={"route_to": "vip"})]
        renamed = [attrs.evolve(rule, rationale="why") for rule in reversed(rules)]
        changes = diff(policy(*rules), policy(*renamed, version="2"))
        assert changes.is_empty
        assert str(changes) == "diff p 1 -> p 2: 0 changed regions"

    def test_changes_to_errors_are_shown(self) -> None:
        """Removing the default of a directive makes uncovered customers undecided."""
        old = policy(collections(60))
        new = Policy("p", SCHEMA, [Directive.text("route_to")], [collections(60)], version="2")
        (region,) = diff(old, new).regions
        assert str(region.condition) == "days_overdue <= 60"
        assert changes_of(region) == [("route_to", "frontline", Undetermined.UNDECIDED)]
        assert 'route_to: "frontline" -> <undecided>' in str(region)

    def test_departments_of_a_region(self) -> None:
        """A rule scoped to sales changes the treatment only when sales asks."""
        scoped = attrs.evolve(collections(60), departments=["sales"])
        changes = diff(
            policy(departments=["sales", "support"]),
            policy(scoped, version="2", departments=["sales", "support"]),
        )
        (region,) = changes.regions
        assert region.departments == ("sales",)
        assert changes.region_of({"days_overdue": 90, "tier": "gold"}, "support") is None

    def test_every_region_condition_is_a_valid_condition(self) -> None:
        """The conditions a reviewer reads are valid conditions over the schema."""
        acme = acme_policy()
        changed = acme.with_rules(
            Rule("late-discount", when=F.days_overdue > 30, then={"discount_pct": 15})
        )
        changes = diff(acme, changed)
        assert changes.regions
        for region in changes.regions:
            assert check_condition(region.condition, acme.schema)[1] == ()


class TestInputs:
    def test_schemas_must_match(self) -> None:
        """Policies over different facts cannot be compared."""
        other = Policy("q", Schema([Fact.bool("vip")]), [ROUTE])
        with pytest.raises(AnalysisError, match="different schemas"):
            diff(policy(), other)

    def test_added_and_removed_directives_are_listed(self) -> None:
        """A directive only one version decides makes the diff non-empty."""
        new = Policy("p", SCHEMA, [ROUTE, Directive.int("discount_pct", default=0)], version="2")
        changes = diff(policy(), new)
        assert (changes.added_directives, changes.removed_directives) == (("discount_pct",), ())
        assert not changes.is_empty

    def test_budget_is_reported(self) -> None:
        """With a budget of one box nothing is claimed: the diff is not empty, only unproved."""
        changes = diff(policy(collections(60)), policy(collections(45), version="2"), budget=1)
        assert not changes.complete
        assert not changes.is_empty
        assert "INCOMPLETE" in str(changes)


def changes_of(region: DiffRegion) -> list[tuple[str, object, object]]:
    return [(c.directive, c.old, c.new) for c in region.changes]
