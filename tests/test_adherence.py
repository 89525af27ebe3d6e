"""Adherence: what staff did, against what the culture decides."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crmculture.adherence as adherence_module
from crmculture import Policy
from crmculture.adherence import AdherenceReport, adherence
from crmculture.errors import CrmCultureError
from crmculture.model.values import json_value
from crmculture.stories import acme_policy
from crmculture.testing import customers as customers_of
from crmculture.testing.policy_strategies import policies

Cli = Callable[..., tuple[int, str, str]]
CULTURE = str(Path(__file__).parent.parent / "examples" / "acme-culture.yaml")
GOOD = {"credit_hold": False, "days_overdue": 0, "annual_volume": 9000, "tier": "gold"}
DEPARTMENTS = [None, "sales", "support", "shipping", "engineering"]


def test_every_action_is_judged_or_rejected_by_reason() -> None:
    customers = [{"customer_id": "c1", **GOOD}, {"customer_id": "bad", "tier": "diamond"}]
    actions = [
        {"customer_id": "c1", "department": "sales", "directive": "route_to", "value": "frontline"},
        {"customer_id": "c1", "department": "sales", "directive": "colour", "value": "red"},
        {"customer_id": "c1", "department": "saless", "directive": "route_to", "value": "x"},
        {"customer_id": "c1", "department": "sales", "directive": "may_ship", "value": "perhaps"},
        {"customer_id": "bad", "department": "sales", "directive": "may_ship", "value": "true"},
        {"customer_id": "zz", "department": "sales", "directive": "may_ship", "value": "true"},
    ]
    found = adherence(actions, customers, acme_policy())
    assert (found.actions, found.judged, found.followed) == (6, 1, 1)
    rejected = dict(found.rejected)
    assert rejected["unknown directive"] == 1
    assert rejected["unknown department"] == 1
    assert rejected["a value `may_ship` cannot take"] == 1
    assert rejected["unknown customer"] == 1
    assert sum(rejected.values()) == 5
    assert any(reason.startswith("invalid customer: customer.") for reason in rejected)


def test_collect_values_compare_as_sets_and_numbers_as_numbers() -> None:
    customers = [{"customer_id": "c1", **GOOD, "credit_hold": True}]
    decision = acme_policy().compile()({**GOOD, "credit_hold": True}, "sales")
    notified = list(decision.directives["notify"])
    actions = [
        {"customer_id": "c1", "department": "sales", "directive": "notify",
         "value": ", ".join(reversed(notified))},
        {"customer_id": "c1", "department": "sales", "directive": "notify",
         "value": json.dumps(notified)},
        {"customer_id": "c1", "department": "sales", "directive": "discount_pct",
         "value": f"{decision.directives['discount_pct']}.0"},
        {"customer_id": "c1", "department": "sales", "directive": "discount_pct", "value": "99"},
    ]  # fmt: skip
    found = adherence(actions, customers, acme_policy())
    assert (found.judged, found.followed) == (4, 3)
    (deviation,) = found.deviations
    assert (deviation.directive, deviation.actual, deviation.count) == ("discount_pct", "99", 1)
    assert deviation.examples == ("c1",)
    assert "3 of 4 actions followed the culture (75.0%)" in found.text()
    assert found.to_dict()["deviations"][0]["actual"] == 99


@settings(deadline=None, max_examples=30)
@given(data=st.data())
def test_rates_agree_with_deciding_each_action_on_its_own(data: st.DataObject) -> None:
    policy = acme_policy()
    decide = policy.compile()
    people = data.draw(st.lists(customers_of(policy), min_size=1, max_size=5))
    customers = [{"customer_id": f"c{n}", **person} for n, person in enumerate(people)]
    names = [directive.name for directive in policy.directives]
    actions = []
    followed = faithful = 0
    for _ in range(data.draw(st.integers(1, 15))):
        n = data.draw(st.integers(0, len(people) - 1))
        department = data.draw(st.sampled_from(DEPARTMENTS))
        name = data.draw(st.sampled_from(names))
        try:
            expected = json_value(decide(people[n], department).directives[name])
        except CrmCultureError:
            continue
        follow = data.draw(st.booleans())
        value: Any = expected if follow else data.draw(st.sampled_from(["x", 7, True]))
        followed += follow or value == expected
        faithful += follow
        text = json.dumps(value) if isinstance(value, list) else value
        actions.append(
            {"customer_id": f"c{n}", "department": department, "directive": name, "value": text}
        )
    found = adherence(actions, customers, policy)
    assert found.actions == len(actions)
    assert found.judged + sum(c for _, c in found.rejected) == len(actions)
    # Every action that gave the culture's own value is judged and followed; a wrong value
    # is judged (and not followed) or rejected, never counted as followed.
    assert faithful <= found.followed <= followed
    assert found.judged >= faithful


def test_the_command_line(cli: Cli, tmp_path: Path) -> None:
    customers = tmp_path / "customers.jsonl"
    customers.write_text(json.dumps({"customer_id": "c1", **GOOD}) + "\n")
    actions = tmp_path / "actions.csv"
    actions.write_text(
        "customer_id,department,directive,value,time\n"
        "c1,sales,route_to,frontline,2026-12-01T10:00\n"
        "c1,sales,may_ship,false,2026-12-01T10:05\n"
    )
    args = ["adherence", str(actions), "--customers", str(customers), "--culture", CULTURE]
    code, out, _ = cli(*args)
    assert code == 0
    assert "1 of 2 actions followed the culture (50.0%)" in out
    code, out, _ = cli(*args, "--json", "--fail-under", "60")
    assert code == 1
    assert json.loads(out)["rate"] == 0.5


def test_no_action_judged_is_no_evidence(cli: Cli, tmp_path: Path) -> None:
    """When no action can be judged, the report says so instead of a rate of 100%, and
    `--fail-under` does not pass on no evidence."""
    found = adherence(
        [{"customer_id": "zz", "department": "sales", "directive": "route_to", "value": "x"}],
        [{"customer_id": "c1", **GOOD}],
        acme_policy(),
    )
    assert (found.actions, found.judged) == (1, 0)
    assert found.text().splitlines() == [
        "No action could be judged (actions read: 1): whether the culture is followed is unknown",
        "Not judged: 1: unknown customer",
    ]
    customers = tmp_path / "customers.jsonl"
    customers.write_text(json.dumps({"customer_id": "c1", **GOOD}) + "\n")
    actions = tmp_path / "actions.jsonl"
    actions.write_bytes(b"\xff\xfe not text\n")
    args = ["adherence", str(actions), "--customers", str(customers), "--culture", CULTURE]
    code, out, _ = cli(*args)
    assert code == 0
    assert "No action could be judged (actions read: 0)" in out
    assert "Not read: 1: actions: not UTF-8 text" in out
    code, _, _ = cli(*args, "--fail-under", "0")
    assert code == 1


def _by_record(
    actions: list[dict[str, Any]], customers: list[dict[str, Any]], policy: Policy
) -> AdherenceReport:
    """The record-by-record route: every customer decided on its own, action by action."""
    original = adherence_module._columns_available
    adherence_module._columns_available = lambda: False
    try:
        return adherence(actions, customers, policy)
    finally:
        adherence_module._columns_available = original


def _hostile_customer(customer: dict[str, Any], fact: str, kind: int) -> dict[str, Any]:
    """A customer record with one fact made odd: text (as CSV gives it), another type, not a
    number, out of range, or left out."""
    odd: list[Any] = [
        str(customer.get(fact)),
        "true",
        True,
        1,
        1.5,
        float("nan"),
        float("inf"),
        Decimal("NaN"),
        10**30,
        -1,
        [1],
        dt.datetime(2026, 1, 1),
    ]
    changed = dict(customer)
    if kind == len(odd):
        changed.pop(fact, None)
    else:
        changed[fact] = odd[kind]
    return changed


ODD_VALUES: list[Any] = [
    "x",
    "",
    " true ",
    "NO",
    "7",
    "7.0",
    "5.50",
    "1e400",
    "NaN",
    "[1, 2]",
    '["accounts_receivable"]',
    "accounts_receivable, account_manager",
    "[",
    None,
    True,
    1,
    1.0,
    0,
    Decimal("5.5"),
    Decimal("5.50"),
    ["accounts_receivable"],
    {"a": 1},
]


@settings(deadline=None, max_examples=60)
@given(data=st.data(), policy=st.one_of(st.just(acme_policy()), policies(max_rules=5)))
def test_the_columnar_route_judges_as_the_record_route(data: st.DataObject, policy: Policy) -> None:
    """Customers matching the same rules decided once per department, values compared column
    by column: the same report as deciding each customer on its own and judging each action in
    turn, on hostile customers (odd types, text, not finite, missing, repeated or odd ids)
    and hostile actions (unknown or odd customers, departments, directives and values), in
    chunks of any size."""
    people = data.draw(st.lists(customers_of(policy), min_size=1, max_size=6))
    customers: list[dict[str, Any]] = []
    ids: list[Any] = ["c0", 1, 1.0, True, None, "", ("t",)]
    for n, person in enumerate(people):
        if data.draw(st.integers(0, 3)) == 0:
            fact = data.draw(st.sampled_from(policy.schema.names))
            person = _hostile_customer(person, fact, data.draw(st.integers(0, 12)))
        customer_id = data.draw(st.sampled_from(ids)) if n % 3 == 2 else f"c{n}"
        customers.append({"customer_id": customer_id, **person, "note": "kept aside"})
    names = [directive.name for directive in policy.directives]
    departments = [None, "", "nowhere", 5, *(policy.departments or ("sales", "support"))]
    decide = policy.compile()
    actions = []
    for _ in range(data.draw(st.integers(1, 30))):
        customer = data.draw(st.sampled_from(customers))
        department = data.draw(st.sampled_from(departments))
        name = data.draw(st.sampled_from([*names, "colour", 3]))
        value: Any = data.draw(st.sampled_from(ODD_VALUES))
        if data.draw(st.booleans()) and name in names:
            try:
                facts = {k: v for k, v in customer.items() if k in policy.schema.names}
                value = json_value(
                    decide(facts, department if isinstance(department, str) else None).directives[
                        name
                    ]
                )
            except (CrmCultureError, TypeError):
                pass
            if isinstance(value, list) and data.draw(st.booleans()):
                value = ", ".join(map(str, reversed(value)))
        customer_id = data.draw(st.sampled_from([customer["customer_id"], "unknown", 1]))
        actions.append(
            {"customer_id": customer_id, "department": department, "directive": name,
             "value": value, "time": "2026-12-05"}
        )  # fmt: skip
    original = adherence_module.CHUNK
    adherence_module.CHUNK = data.draw(st.sampled_from([1, 4, 1000]))
    try:
        columnar = adherence(actions, customers, policy)
    finally:
        adherence_module.CHUNK = original
    assert columnar == _by_record(actions, customers, policy)


def test_customers_matching_the_same_rules_are_decided_once_per_department(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The law above would pass trivially if the columnar route decided every customer."""
    policy = acme_policy()
    customers = [
        {"customer_id": f"c{n}", **GOOD, "annual_volume": 1_000 + n, "credit_hold": n % 2 == 0}
        for n in range(200)
    ]
    actions = [
        {"customer_id": f"c{n}", "department": "sales", "directive": "may_ship", "value": "true"}
        for n in range(200)
    ]
    calls: list[Any] = []
    original = adherence_module._decided

    def counting(*args: Any) -> Any:
        calls.append(args[1])
        return original(*args)

    monkeypatch.setattr(adherence_module, "_decided", counting)
    found = adherence(actions, customers, policy)
    assert (found.judged, found.followed, len(calls)) == (200, 100, 2)
    assert found == _by_record(actions, customers, policy)


@pytest.mark.parametrize("fact", acme_policy().schema.names)
def test_every_odd_fact_value_is_judged_as_the_record_route_judges_it(fact: str) -> None:
    """Each odd value of each fact, on a customer whose twin matches the same rules: the
    odd one is decided on its own (or rejected), as the record route decides it."""
    policy = acme_policy()
    twin = {"customer_id": "twin", **GOOD, "satisfaction": 5.0, "balance": Decimal("10")}
    customers = [twin]
    for kind in range(13):
        odd = _hostile_customer(twin, fact, kind)
        customers.append({**odd, "customer_id": f"odd{kind}"})
    actions = [
        {"customer_id": customer["customer_id"], "department": department,
         "directive": name, "value": value}
        for customer in customers
        for department in (None, "sales", "support")
        for name in ("may_ship", "route_to", "discount_pct")
        for value in ("true", "frontline", "0")
    ]  # fmt: skip
    assert adherence(actions, customers, policy) == _by_record(actions, customers, policy)


def verification_policy() -> Policy:
    from crmculture import AS_OF, Directive, F, Fact, Rule, Schema

    schema = Schema([Fact.date("verified_on")])
    route = Directive.text("route_to", default="frontline")
    rule = Rule("re-verify", F.verified_on < AS_OF.minus(days=365), {"route_to": "data_desk"})
    return Policy("verification", schema, [route], [rule])


def test_a_culture_that_decides_by_the_date_is_judged_on_a_day(
    cli: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    from crmculture import AsOfRequiredError

    policy = verification_policy()
    customers = [
        {"customer_id": "old", "verified_on": "2025-01-01"},
        {"customer_id": "new", "verified_on": "2026-11-01"},
    ]
    actions = [
        {"customer_id": "old", "department": None, "directive": "route_to", "value": "data_desk"},
        {"customer_id": "new", "department": None, "directive": "route_to", "value": "data_desk"},
    ]
    with pytest.raises(AsOfRequiredError):
        adherence(actions, customers, policy)
    found = adherence(actions, customers, policy, as_of=dt.date(2026, 12, 1))
    assert (found.judged, found.followed) == (2, 1)
    from crmculture.io import dump_policy

    culture = tmp_path / "verification.yaml"
    culture.write_text(dump_policy(policy), encoding="utf-8")
    for name, rows in (("customers", customers), ("actions", actions)):
        (tmp_path / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    command = ("adherence", str(tmp_path / "actions.jsonl"), "--customers",
               str(tmp_path / "customers.jsonl"), "--culture", str(culture))  # fmt: skip
    code, _, err = cli(*command)
    assert code == 2
    assert "re-verify" in err
    code, out, _ = cli(*command, "--as-of", "2026-12-01", "--json")
    assert (code, json.loads(out)["followed"]) == (0, 1)


@pytest.mark.parametrize("columns", [True, False])
def test_ids_that_are_json_arrays_or_objects(
    columns: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An id that is a JSON array or object is an id like any other, on both routes: equal
    ids find each other, others are unknown customers; never a TypeError."""
    monkeypatch.setattr(adherence_module, "_columns_available", lambda: columns)
    good = {"credit_hold": False, "days_overdue": 0, "annual_volume": 1, "tier": "gold"}
    customers = [{**good, "customer_id": ["x", 1]}, {**good, "customer_id": "y"}]
    actions = [
        {"customer_id": ["x", 1], "department": "sales", "directive": "may_ship", "value": True},
        {"customer_id": "y", "department": "sales", "directive": "may_ship", "value": True},
        {"customer_id": {"a": 1}, "department": "sales", "directive": "may_ship", "value": True},
    ]
    found = adherence(actions, customers, acme_policy())
    assert (found.judged, found.followed, found.rejected) == (2, 2, (("unknown customer", 1),))
