"""What-if comparisons between two cultures."""

from __future__ import annotations

import pytest

from crmculture import Fact, Schema
from crmculture.analysis.what_if import compare, match_doors
from crmculture.culture import Culture
from crmculture.org import Department, Handoff, OrgError, OrgGraph
from crmculture.stories import acme_culture, acme_policy


def merged_acme() -> tuple[Culture, Culture]:
    today = acme_culture()
    return today, today.with_org(
        today.org.merge(["sales", "billing", "accounts_receivable"], into="commercial")
    )


class TestCompare:
    def test_the_merge_shortens_the_long_journeys(self) -> None:
        """The deltas show the long journeys gone and the worst journey down to 3."""
        comparison = compare(*merged_acme())
        assert comparison.delta("long_journeys").before == 2
        assert comparison.delta("long_journeys").after == 0
        assert str(comparison.delta("max_departments", "replacement_part")) == (
            "replacement_part max_departments: 5 -> 3"
        )

    def test_changed_journeys_side_by_side(self) -> None:
        """The late payer's journey from sales is listed before and after, with an example."""
        today, merged = merged_acme()
        changes = [
            change
            for change in compare(today, merged).changed
            if change.door == "sales" and change.before.touched == 5
        ]
        [change] = changes
        assert change.door_after == "commercial"
        assert change.after.departments == ("commercial", "engineering", "shipping")
        assert today.journey(change.record, "replacement_part", door="sales") == change.before
        assert merged.journey(change.record, "replacement_part", door="commercial") == (
            change.after
        )

    def test_unchanged_journeys_are_not_listed(self) -> None:
        """Comparing a culture with itself changes nothing."""
        today = acme_culture()
        comparison = compare(today, today)
        assert comparison.changed == ()
        assert not any(delta.changed for delta in comparison.deltas)

    def test_an_added_handoff_is_a_change(self) -> None:
        """A shortcut from support to shipping changes support's journeys."""
        today = acme_culture()
        shortcut = today.with_org(
            today.org.with_handoff(Handoff("support", "shipping", ["replacement_part"]))
        )
        doors = {change.door for change in compare(today, shortcut).changed}
        assert doors == {"support"}

    def test_different_schemas_cannot_be_compared(self) -> None:
        """Two cultures over different facts are refused."""
        other_policy = acme_policy()
        import attrs

        other = attrs.evolve(other_policy, schema=Schema([*other_policy.schema, Fact.bool("vip")]))
        org = OrgGraph([Department("sales")])
        with pytest.raises(OrgError, match="different facts"):
            compare(acme_culture(), Culture(other, org))

    def test_unknown_delta(self) -> None:
        """Asking for a metric that does not exist is a KeyError."""
        with pytest.raises(KeyError):
            compare(*merged_acme()).delta("happiness")


def test_match_doors_follows_merges() -> None:
    """Doors keep their names, or go to the department that absorbed them."""
    today, merged = merged_acme()
    assert match_doors(today.org, merged.org) == {
        "accounts_receivable": "commercial",
        "billing": "commercial",
        "engineering": "engineering",
        "sales": "commercial",
        "shipping": "shipping",
        "support": "support",
    }
