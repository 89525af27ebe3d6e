"""What-if comparisons between two cultures."""

from __future__ import annotations

import attrs
import pytest

from crmculture import F, Fact, Schema
from crmculture.analysis.what_if import compare, match_doors
from crmculture.culture import Culture
from crmculture.org import Department, Handoff, OrgError, OrgGraph
from crmculture.stories import acme_culture, acme_policy, warehouse_culture


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


class TestCheckpoints:
    """What a reorganisation changes: the guards it removes, weakens or adds, and for whom."""

    def test_a_merge_that_makes_a_guarded_handoff_internal_reports_the_dropped_check(
        self,
    ) -> None:
        """Warehouse and shipping merged: the metrics improve, and the report says that the
        `days_overdue == 0` guard went, and that the customers it stopped (1 to 60 days
        overdue, not on hold) no longer go through receivables, the credit check."""
        today = warehouse_culture()
        merged = today.with_org(today.org.merge(["warehouse", "shipping"], into="fulfilment"))
        comparison = compare(today, merged)
        assert str(comparison.delta("max_departments")) == "* max_departments: 5 -> 3"
        assert comparison.delta("loops").after == 0
        (lost,) = comparison.lost()
        assert lost.change == "removed"
        assert str(lost.checkpoint) == "handoff warehouse -> shipping [part] when days_overdue == 0"
        assert lost.reason == "internal after the merge into `fulfilment`"
        assert {journey.door for journey in lost.customers} == {
            "billing",
            "engineering",
            "returns",
            "sales",
            "support",
            "warehouse",
        }
        assert {str(journey.segment) for journey in lost.customers} == {
            "not credit_hold and days_overdue > 0 and not days_overdue > 60"
        }
        assert set(lost.skipped) == {("receivables",)}
        for journey in lost.customers:
            # The example customers, walked again: receivables before, not after.
            record = journey.record
            assert "receivables" in today.journey(record, "part", door=journey.door).departments
            after = merged.journey(record, "part", door=journey.door_after)
            assert "receivables" not in after.departments
            assert after.resolved
        assert str(lost) == (
            "removed: handoff warehouse -> shipping [part] when days_overdue == 0 (internal "
            "after the merge into `fulfilment`); 6 customer segments affected, who no longer "
            "go through `receivables`"
        )
        summary = comparison.summary()
        assert "  * max_departments: 5 -> 3" in summary
        assert "checkpoints:\n  removed: handoff warehouse -> shipping" in summary

    def test_acme_s_commercial_desk_weakens_the_late_payer_check(self) -> None:
        """Sales, billing and accounts receivable merged: their guarded handoffs among
        themselves are gone (listed, no customer skips a department for them), and the
        `days_overdue == 0` checks on the way to engineering are weakened: late payers now
        go from the commercial desk to engineering directly, skipping no department (billing
        and accounts receivable are in the desk)."""
        comparison = compare(*merged_acme())
        removed = [c for c in comparison.checkpoints if c.change == "removed"]
        assert len(removed) == 6
        assert all(c.reason == "internal after the merge into `commercial`" for c in removed)
        assert all(not c.customers for c in removed)
        lost = comparison.lost()
        assert [(c.change, c.checkpoint.department, c.checkpoint.target) for c in lost] == [
            ("weakened", "billing", "engineering"),
            ("weakened", "sales", "engineering"),
        ]
        assert [journey.door for journey in lost[1].customers] == ["sales"]
        assert lost[1].skipped == ((),)
        assert str(lost[1]).endswith("1 customer segment affected, who skip no department")

    def test_removing_a_handoff_reports_who_passed_it(self) -> None:
        """Without billing -> accounts receivable, the customers it let through (a few
        days overdue, from the billing door) no longer reach engineering and shipping."""
        today = acme_culture()
        comparison = compare(
            today, today.with_org(today.org.without_handoff("billing", "accounts_receivable"))
        )
        (part,) = [
            c
            for c in comparison.checkpoints
            if c.checkpoint.requests == ("replacement_part",) and c.checkpoint.kind == "handoff"
        ]
        assert part.change == "removed"
        assert part.reason == "no handoff from `billing` to `accounts_receivable` any more"
        assert [j.door for j in part.customers] == ["billing", "sales"]
        assert part.skipped == (("accounts_receivable", "engineering", "shipping"),) * 2

    def test_a_guard_dropped_from_a_kept_handoff_is_weakened(self) -> None:
        """Sales -> engineering for everyone: late payers skip billing and accounts
        receivable."""
        today = acme_culture()
        org = today.org
        (guarded,) = [
            h for h in org.out_handoffs("sales", "replacement_part") if h.target == "engineering"
        ]
        plain = Handoff("sales", "engineering", ["replacement_part"], minutes=20)
        comparison = compare(
            today, today.with_org(org.without_handoff(guarded).with_handoff(plain))
        )
        (weakened,) = comparison.lost()
        assert weakened.change == "weakened"
        assert weakened.checkpoint.guard == today.guard(guarded)
        assert weakened.reason == "`sales` -> `engineering` now when `true`"
        (late,) = weakened.customers
        assert str(late.segment) == "not credit_hold and days_overdue > 0 and not days_overdue > 60"
        assert weakened.skipped == (("billing", "accounts_receivable"),)

    def test_a_new_guard_is_added_with_the_customers_it_stops(self) -> None:
        """Support hands a part to engineering only for punctual customers now: late
        payers from support are stopped (a dead end)."""
        today = acme_culture()
        org = today.org
        (old,) = [
            h for h in org.out_handoffs("support", "replacement_part") if h.target == "engineering"
        ]
        new = attrs.evolve(old, when=old.when & (F.days_overdue == 0))
        comparison = compare(today, today.with_org(org.without_handoff(old).with_handoff(new)))
        (added,) = [c for c in comparison.checkpoints if c.change == "added"]
        assert added.checkpoint.department == "support"
        assert [str(j.segment) for j in added.customers] == [
            "not credit_hold and days_overdue > 0 and not days_overdue > 60"
        ]
        assert added.customers[0].after.dead_end
        assert added.skipped == (("engineering", "shipping"),)

    def test_an_unconditional_resolver_merged_in_drops_the_resolution_guard(self) -> None:
        """Shipping merged with a parts desk that hands parts to anyone: shipping's
        `decision.may_ship` check is gone, and customers on hold get parts there."""
        today = acme_culture()
        desk = Department("parts_desk", ["replacement_part"], decides_as="shipping")
        org = today.org.with_department(desk)
        before = today.with_org(org)
        comparison = compare(
            before, before.with_org(org.merge(["shipping", "parts_desk"], into="parts"))
        )
        (resolution,) = [c for c in comparison.checkpoints if c.checkpoint.kind == "resolution"]
        assert resolution.change == "removed"
        assert str(resolution.checkpoint) == (
            "resolution at shipping [replacement_part] when decision.may_ship"
        )
        assert resolution.reason == "`parts` resolves `replacement_part` for everyone"
        assert {j.door for j in resolution.customers} == {"shipping"}
        assert all(j.after.resolved and j.before.referred for j in resolution.customers)

    def test_a_referral_taken_away_is_reported(self) -> None:
        """Sales without its referral: customers on hold who asked sales for a part are no
        longer told to talk to accounts receivable."""
        today = acme_culture()
        sales = today.org.department("sales")
        org = today.org.with_department(attrs.evolve(sales, refers=()))
        comparison = compare(today, today.with_org(org))
        (referral,) = [c for c in comparison.checkpoints if c.checkpoint.kind == "referral"]
        assert referral.change == "removed"
        assert referral.reason == "`sales` makes no such referral"
        assert {str(j.segment) for j in referral.customers} == {
            "credit_hold",
            "not credit_hold and days_overdue > 60",
        }
        assert all(
            j.after.departments == ("sales", "accounts_receivable") for j in referral.customers
        )

    def test_the_same_culture_changes_no_checkpoint(self) -> None:
        """Comparing a culture with itself reports nothing."""
        comparison = compare(acme_culture(), acme_culture())
        assert comparison.checkpoints == ()
        assert comparison.summary().endswith("checkpoints:\n  none removed, weakened or added")
