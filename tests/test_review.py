"""The change review and `crmculture diff`: regions, real customers, promises, replay."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmculture import D, F, Policy, Promise, ReferenceEvaluator, Rule
from crmculture.errors import CrmCultureError
from crmculture.evaluate.truth import holds
from crmculture.log import DecisionLog
from crmculture.review import review
from crmculture.stories import acme_policy
from crmculture.testing import customers as customers_of

Cli = Callable[..., tuple[int, str, str]]
GOOD = {"credit_hold": False, "days_overdue": 0, "annual_volume": 9000, "tier": "silver"}


def next_version() -> Policy:
    old = acme_policy()
    rule = Rule("volume-discount", F.annual_volume >= 250_000, {"discount_pct": 8})
    return attrs.evolve(old.with_rules(rule), version="2026.12")


def outcome(policy: Policy, customer: dict[str, Any], department: str | None) -> Any:
    """What the reference interpreter decides for the directives both versions share."""
    try:
        directives = ReferenceEvaluator(policy)(customer, department).directives
    except CrmCultureError as error:
        return type(error).__name__
    return {name: directives[name] for name in sorted(directives)}


@settings(max_examples=60)
@given(st.lists(customers_of(acme_policy()), min_size=1, max_size=20))
def test_every_changed_customer_is_counted_in_a_region_that_holds_them(
    customers: list[dict[str, Any]],
) -> None:
    old, new = acme_policy(), next_version()
    found = review(old, new, customers=customers)
    assert found.diff.complete
    affected = 0
    in_region = [0] * len(found.diff.regions)
    for customer in customers:
        changed_in: set[int] = set()
        for context in found.diff.departments:
            if outcome(old, customer, context) == outcome(new, customer, context):
                continue
            holding = [
                n
                for n, region in enumerate(found.diff.regions)
                if context in region.departments
                and holds(region.condition, old.schema.validate(customer), old.schema)
            ]
            # the diff is sound for real customers: a complete diff has a region for each
            assert len(holding) == 1
            changed_in.update(holding)
        affected += bool(changed_in)
        for n in changed_in:
            in_region[n] += 1
    assert found.affected == affected
    assert list(found.per_region) == in_region
    assert found.outside == 0


def test_counts_and_markdown_for_a_pull_request(tmp_path: Path) -> None:
    customers = [{**GOOD, "annual_volume": v} for v in (10, 300_000, 400_000, 120_000)]
    log = tmp_path / "d.log"
    with DecisionLog(log) as writer:
        for customer in customers:
            writer.write(acme_policy().compile()(customer, "sales"))
    found = review(acme_policy(), next_version(), customers=customers, department="sales", log=log)
    assert (found.customers, found.affected, sum(found.per_region)) == (4, 2, 2)
    assert found.replayed is not None
    assert (found.replayed.records, found.replayed.changed) == (4, 2)
    text = found.markdown()
    assert text.startswith("# Culture change: acme 2026.11 → acme 2026.12\n")
    assert "2 of 4 customers affected." in text
    assert "2 of 4 logged decisions would change." in text
    assert "| `discount_pct` | `5` | `8` | 2 |" in text
    assert "| # | customers | when | departments | changes | example |" in text
    assert found.changes_anything


def test_a_promise_the_new_version_breaks_is_marked() -> None:
    old = attrs.evolve(
        acme_policy(), promises=[Promise("never-eight", when=True, then=D.discount_pct != 8)]
    )
    new = attrs.evolve(next_version(), promises=old.promises)
    found = review(old, new)
    (change,) = found.promises
    assert (change.promise, change.old, change.new, change.worse) == (
        "never-eight",
        "proven",
        "broken",
        True,
    )
    assert "| `never-eight` | proven | **broken** ⚠ |" in found.markdown()


def test_no_change_is_no_change() -> None:
    found = review(acme_policy(), acme_policy(), customers=[GOOD])
    assert found.diff.is_empty
    assert not found.changes_anything
    assert (found.affected, found.per_region) == (0, ())


def test_customers_that_do_not_fit_are_counted_by_reason() -> None:
    found = review(acme_policy(), next_version(), customers=[GOOD, {**GOOD, "tier": "x"}])
    assert found.customers == 2
    ((reason, count),) = found.rejected
    assert count == 1
    assert reason.startswith("invalid customer: customer.tier")


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    from crmculture.io import dump_policy as dump

    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(dump(acme_policy()), encoding="utf-8")
    new.write_text(dump(next_version()), encoding="utf-8")
    customers = tmp_path / "customers.jsonl"
    rows = [{**GOOD, "annual_volume": v, "customer_id": f"c{v}"} for v in (10, 300_000)]
    customers.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    log = tmp_path / "d.log"
    with DecisionLog(log) as writer:
        writer.write(acme_policy().compile()({**GOOD, "annual_volume": 300_000}, "sales"))
    return {"old": str(old), "new": str(new), "customers": str(customers), "log": str(log)}


def test_diff_on_the_command_line(cli: Cli, files: dict[str, str], tmp_path: Path) -> None:
    code, out, _ = cli("diff", files["old"], files["old"])
    assert code == 0
    assert "0 changed regions" in out
    code, out, _ = cli(
        "diff", files["old"], files["new"], "--customers", files["customers"],
        "--id", "customer_id", "--department", "sales", "--format", "json",
    )  # fmt: skip
    document = json.loads(out)
    assert code == 1
    assert document["customers"] == {
        "counted": 2,
        "affected": 1,
        "outside_regions": 0,
        "rejected": {},
        "unreadable": {},
    }
    assert sum(region["customers"] for region in document["regions"]) == 1
    review_file = tmp_path / "review.md"
    code, _, _ = cli(
        "diff", files["old"], files["new"], "--log", files["log"], "--format", "markdown",
        "-o", str(review_file),
    )  # fmt: skip
    assert code == 1
    assert "1 of 1 logged decisions would change." in review_file.read_text(encoding="utf-8")


def test_an_id_field_not_named_is_a_counted_reject(cli: Cli, files: dict[str, str]) -> None:
    code, out, _ = cli("diff", files["old"], files["new"], "--customers", files["customers"])
    assert code == 1
    assert "Not decidable: 2: invalid customer: customer.customer_id" in out


def test_diff_mistakes_are_one_line(cli: Cli, files: dict[str, str]) -> None:
    code, _, err = cli("diff", files["old"], files["new"], "--log", "nowhere.log")
    assert code == 2
    assert "cannot read the log `nowhere.log`" in err
    code, _, err = cli("diff", files["old"], "missing.yaml")
    assert code == 2
    assert "missing.yaml" in err


def test_versions_that_use_the_as_of_date_are_compared_on_a_day() -> None:
    import datetime as dt

    from crmculture import AS_OF, AsOfRequiredError, Directive, Fact, Schema

    schema = Schema([Fact.date("verified_on")])
    route = Directive.text("route_to", default="frontline")
    stale = Rule("re-verify", F.verified_on < AS_OF.minus(days=365), {"route_to": "data_desk"})
    old = Policy("p", schema, [route], [stale])
    sooner = Rule("re-verify", F.verified_on < AS_OF.minus(days=180), {"route_to": "data_desk"})
    new = Policy("p", schema, [route], [sooner], version="2")
    with pytest.raises(AsOfRequiredError):
        review(old, new)
    day = dt.date(2026, 12, 1)
    customers = [{"verified_on": day - dt.timedelta(days=days)} for days in (10, 200, 400)]
    found = review(old, new, customers=customers, as_of=day)
    assert (found.affected, found.customers) == (1, 3)
    (region,) = found.diff.regions
    assert str(region.condition) == "verified_on between 2025-12-01 and 2026-06-03"
