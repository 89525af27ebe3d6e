"""The data-quality report: planted faults give exactly their counts, and decision
sensitivity agrees with trying every value of small domains."""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from crmculture import InvalidCustomer, Policy
from crmculture.errors import CrmCultureError
from crmculture.testing import customers, schemas
from crmculture.testing.policy_strategies import policies

pd = pytest.importorskip("pandas")

from crmculture.quality import report  # noqa: E402
from crmculture.stories import acme_policy  # noqa: E402

GOOD = {"credit_hold": False, "days_overdue": 0, "annual_volume": 9000, "tier": "gold"}


def test_planted_faults_are_counted_exactly() -> None:
    """40 records: 5 invalid tiers, 3 negative days (2 of them also invalid tiers), 4 ids
    twice, regions missing in every other record."""
    records: list[dict[str, Any]] = []
    for n in range(40):
        record: dict[str, Any] = {**GOOD, "customer_id": f"c{n % 36}"}
        if n % 8 == 0:
            record["tier"] = "diamond"
        if n in (0, 8, 13):
            record["days_overdue"] = -1
        if n % 2:
            record["region"] = "emea"
        records.append(record)
    found = report(records, acme_policy(), id_field="customer_id")
    assert found.rows == 40
    reasons = {(i.fact, i.reason): i.customers for i in found.invalid}
    assert (
        reasons[
            ("tier", "is not one of the allowed values: `bronze`, `silver`, `gold`, `platinum`")
        ]
        == 5
    )
    assert reasons[("days_overdue", "is below the minimum 0")] == 3
    assert found.invalid_records == 6
    assert (found.duplicates.ids, found.duplicates.records) == (4, 8)
    assert found.duplicates.examples == ("c0", "c1", "c2")
    region = next(c for c in found.completeness if c.fact == "region")
    assert (region.present, region.missing) == (20, 20)


def test_text_records_go_through_intake() -> None:
    records = [
        {"credit_hold": "no", "days_overdue": "0", "annual_volume": "42210.0", "tier": "gold"},
        {"credit_hold": "maybe", "days_overdue": "1.5", "annual_volume": "1", "tier": "gold"},
    ]
    found = report(records, acme_policy())
    assert found.invalid_records == 1
    assert {i.fact for i in found.invalid} >= {"credit_hold", "days_overdue"}
    assert found.invalid[0].examples == (1,)


def test_an_unknown_field_is_invalid_unless_kept() -> None:
    records = [{**GOOD, "customer_id": "c1"}]
    assert report(records, acme_policy()).invalid[0].reason.startswith("unknown fact")
    assert report(records, acme_policy(), keep=["customer_id"]).invalid == ()


def test_the_report_reads_and_serialises() -> None:
    found = report([GOOD, {**GOOD, "tier": "x"}], acme_policy())
    assert "2 customers" in found.text()
    assert "Invalid records: 1 (50.0%)" in found.text()
    document = found.to_dict()
    assert document["rows"] == 2
    assert document["invalid"][0]["examples"] == [1]


def _brute_force(policy: Policy, record: dict[str, Any], fact: str) -> set[str]:
    """The directives some value of `fact` changes for a customer without it."""
    decide = policy.compile()
    base = decide(record)
    domain = _domain(policy.schema[fact])
    changed: set[str] = set()
    for value in domain:
        try:
            trial = decide({**record, fact: value})
        except CrmCultureError:
            return {d.name for d in policy.directives}
        for name in base.directives:
            if trial.directives[name] != base.directives[name]:
                changed.add(name)
    return changed


def _domain(fact: Any) -> list[Any]:
    if fact.type == "bool":
        return [False, True]
    if fact.type == "enum":
        return list(fact.values)
    return list(range(fact.min, fact.max + 1))


@st.composite
def small_schemas(draw: st.DrawFn) -> Any:
    schema = draw(schemas(min_facts=1, max_facts=3, types=("bool", "enum", "int")))
    for fact in schema:
        if fact.type == "int" and (
            fact.min is None or fact.max is None or fact.max - fact.min > 40
        ):
            from hypothesis import reject

            reject()
    return schema


@settings(deadline=None, max_examples=40)
@given(data=st.data(), policy=policies(schema=small_schemas(), max_rules=4, layers=False))
def test_sensitivity_agrees_with_trying_every_value(data: st.DataObject, policy: Policy) -> None:
    rows = data.draw(st.lists(customers(policy), min_size=1, max_size=6))
    optional = [f.name for f in policy.schema if f.optional]
    records = []
    for row in rows:
        drop = data.draw(st.sets(st.sampled_from(optional))) if optional else set()
        records.append({k: v for k, v in row.items() if k not in drop and v is not None})
    found = report(records, policy)
    reported = {s.fact: s for s in found.sensitive_facts}
    for fact in policy.schema:
        if not fact.optional:
            continue
        expected = 0
        directives: dict[str, int] = {}
        for record in records:
            if fact.name in record:
                continue
            try:
                changed = _brute_force(policy, record, fact.name)
            except (InvalidCustomer, CrmCultureError):
                continue
            expected += bool(changed)
            for name in changed:
                directives[name] = directives.get(name, 0) + 1
        got = reported.get(fact.name)
        event("some customer is sensitive" if expected else "no customer is sensitive")
        assert (got.customers if got else 0) == expected, fact.name
        if got:
            assert dict(got.directives) == directives
    assert math.isfinite(found.share(found.sensitive_records))


@settings(max_examples=40)
@given(
    rows=st.lists(
        st.fixed_dictionaries(
            {
                "customer_id": st.sampled_from(["a", "b", "c", "d", "e", "f", None]),
                "credit_hold": st.booleans(),
                "days_overdue": st.integers(-2, 90),
                "annual_volume": st.integers(0, 600_000),
                "tier": st.sampled_from(["bronze", "silver", "gold", "platinum", "diamond"]),
                "region": st.sampled_from(["emea", "amer", None]),
            }
        ),
        min_size=1,
        max_size=30,
    ),
    cuts=st.lists(st.integers(0, 30), max_size=4),
    with_id=st.booleans(),
)
def test_a_base_in_frames_gives_the_report_of_the_whole(
    rows: list[dict[str, Any]], cuts: list[int], with_id: bool
) -> None:
    """Chunked (the row groups of a Parquet file) or whole: the same report, examples and
    duplicates across chunks included."""
    from crmculture.quality import report_frames

    whole = pd.DataFrame(rows)
    if not with_id:
        whole = whole.drop(columns=["customer_id"])
    bounds = sorted({0, len(whole), *(min(c, len(whole)) for c in cuts)})
    parts = [whole.iloc[a:b] for a, b in itertools.pairwise(bounds)]
    id_field = "customer_id" if with_id else None
    expected = report(whole, acme_policy(), id_field=id_field)
    assert report_frames(parts, acme_policy(), id_field=id_field) == expected
