"""Stale facts in the data-quality report: a fact declares how long its value stays fresh
(`Freshness`), and as of a day the report counts the values older than that and treats them
like missing ones when it asks whether knowing the fact would change a decision."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from crmculture import (
    AS_OF,
    AsOfRequiredError,
    Directive,
    F,
    Fact,
    Freshness,
    Policy,
    Rule,
    Schema,
    SchemaError,
    dump_policy,
)

pd = pytest.importorskip("pandas")

from crmculture.quality import report  # noqa: E402

AS_OF_DAY = dt.date(2026, 3, 1)
REGIONS = ["emea", "apac", "amer"]


def kyc() -> Policy:
    schema = Schema(
        [
            Fact.date("verified_on", optional=True),
            Fact.enum(
                "region", REGIONS, optional=True, fresh_for=Freshness(365, since="verified_on")
            ),
            Fact.enum("segment", ["smb", "enterprise"], fresh_for=Freshness(30, "verified_on")),
        ]
    )
    return Policy(
        "kyc",
        schema,
        [
            Directive.text("route_to", default="global"),
            Directive.bool("reverify", default=False),
        ],
        [
            Rule("emea-desk", when=F.region == "emea", then={"route_to": "emea-desk"}),
            Rule(
                "big",
                when=F.segment == "enterprise",
                then={"route_to": "key-accounts"},
                priority=-1,
            ),
            Rule("old", when=F.verified_on < AS_OF.minus(days=730), then={"reverify": True}),
        ],
    )


def planted() -> tuple[list[dict[str, Any]], dict[str, int]]:
    """60 records with known faults: the verification date cycles through fresh (10 days),
    older than 30 days (100), older than 365 days (400), and missing; every fifth record has
    no region, every seventh an invalid segment."""
    ages = [10, 100, 400, None]
    records = []
    expected = {"region": 0, "segment": 0, "records": 0, "invalid": 0}
    for n in range(60):
        age = ages[n % 4]
        record: dict[str, Any] = {"customer_id": f"c{n}", "segment": "smb"}
        if age is not None:
            record["verified_on"] = AS_OF_DAY - dt.timedelta(days=age)
        if n % 5:
            record["region"] = REGIONS[n % 3]
        if n % 7 == 0:
            record["segment"] = "giant"
            expected["invalid"] += 1
            records.append(record)
            continue
        region_stale = n % 5 != 0 and (age is None or age > 365)
        segment_stale = age is None or age > 30
        expected["region"] += region_stale
        expected["segment"] += segment_stale
        expected["records"] += region_stale or segment_stale
        records.append(record)
    return records, expected


def test_planted_stale_values_are_counted_exactly() -> None:
    """Stale values are counted per fact over valid records, an undated value is stale, a
    missing value is missing (not stale), and invalid records are not judged."""
    records, expected = planted()
    found = report(records, kyc(), id_field="customer_id", as_of=AS_OF_DAY)
    stale = {s.fact: s for s in found.stale}
    assert (stale["region"].customers, stale["segment"].customers) == (
        expected["region"],
        expected["segment"],
    )
    assert found.stale_records == expected["records"]
    assert found.invalid_records == expected["invalid"]
    assert (stale["region"].since, stale["region"].days) == ("verified_on", 365)
    assert stale["region"].examples == ("c2", "c3", "c6")
    assert (expected["region"], expected["segment"], expected["records"]) == (21, 39, 39)


def test_without_as_of_nothing_is_stale() -> None:
    """No as-of date, no staleness (and a policy that uses the as-of date is refused)."""
    records, _ = planted()
    with pytest.raises(AsOfRequiredError):
        report(records, kyc(), id_field="customer_id")
    without_relative = Policy(
        "p", kyc().schema, kyc().directives, [r for r in kyc().rules if r.id != "old"]
    )
    found = report(records, without_relative, id_field="customer_id")
    assert (found.stale, found.stale_records, found.as_of) == ((), 0, None)


def _brute_force(policy: Policy, record: dict[str, Any], fact: str) -> set[str]:
    """The directives some value of `fact` changes for `record`, trying every value."""
    decide = policy.compile()
    record = {k: v for k, v in record.items() if k != "customer_id"}
    base = decide(record, as_of=AS_OF_DAY).directives
    options: list[Any] = list(policy.schema[fact].values or ())
    changed = set()
    for value in options:
        other = decide({**record, fact: value}, as_of=AS_OF_DAY).directives
        changed |= {name for name in base if base[name] != other[name]}
    return changed


def test_stale_values_count_in_sensitivity_as_missing_ones_do() -> None:
    """A customer with a stale region is sensitive exactly when some region changes their
    treatment, checked by trying every region."""
    records, _ = planted()
    policy = kyc()
    found = report(records, policy, id_field="customer_id", as_of=AS_OF_DAY)
    sensitive = {s.fact: s for s in found.sensitive_facts}
    for name in ("region", "segment"):
        fresh = policy.schema[name].fresh_for
        assert fresh is not None
        expected = 0
        for record in records:
            if record["segment"] == "giant":
                continue
            value = record.get(name)
            dated = record.get("verified_on")
            unknown = value is None or fresh.is_stale(dated, AS_OF_DAY)
            if unknown and _brute_force(policy, record, name):
                expected += 1
        assert sensitive[name].customers == expected, name
    assert sensitive["region"].stale == 21
    assert sensitive["segment"].stale == 39
    assert sensitive["segment"].missing == 0


def test_the_report_shows_and_serialises_staleness() -> None:
    """The text names each stale fact; the JSON carries the as-of date and the counts."""
    records, _ = planted()
    found = report(records, kyc(), id_field="customer_id", as_of=AS_OF_DAY)
    text = found.text()
    assert "Stale values as of 2026-03-01: 39 records" in text
    assert "  region: 21 older than 365 days by `verified_on` (e.g. c2, c3, c6)" in text
    document = json.loads(json.dumps(found.to_dict()))
    assert document["as_of"] == "2026-03-01"
    assert document["stale_records"] == 39
    assert {s["fact"]: s["customers"] for s in document["stale"]} == {"region": 21, "segment": 39}


def test_freshness_must_be_dated_by_a_date_fact() -> None:
    """`since` names a date fact of the schema, with a did-you-mean."""
    with pytest.raises(SchemaError, match=r"not `verifed_on` \(did you mean `verified_on`\?\)"):
        Schema(
            [
                Fact.date("verified_on"),
                Fact.bool("vip", fresh_for=Freshness(30, "verifed_on")),
            ]
        )
    with pytest.raises(SchemaError, match="fresh_for"):
        Fact.bool("vip", fresh_for=Freshness(-1, "verified_on"))


def test_cli_quality_as_of(tmp_path: Any, cli: Any) -> None:
    """`crmculture quality --as-of` reports stale values; without it the policy that uses
    the as-of date is a usage error."""
    culture = tmp_path / "kyc.yaml"
    culture.write_text(dump_policy(kyc()))
    records, _ = planted()
    lines = [
        json.dumps({k: v.isoformat() if isinstance(v, dt.date) else v for k, v in r.items()})
        for r in records
    ]
    customers = tmp_path / "customers.jsonl"
    customers.write_text("\n".join(lines) + "\n")
    code, out, _ = cli(
        "quality",
        str(customers),
        "--culture",
        str(culture),
        "--id",
        "customer_id",
        "--as-of",
        "2026-03-01",
        "--json",
    )
    assert json.loads(out)["stale_records"] == 39
    code, _, err = cli("quality", str(customers), "--culture", str(culture), "--id", "customer_id")
    assert code == 2
    assert "needs an as-of date" in err
