"""Adherence: what staff did, against what the culture decides."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from crmculture.adherence import adherence
from crmculture.errors import CrmCultureError
from crmculture.model.values import json_value
from crmculture.stories import acme_policy
from crmculture.testing import customers as customers_of

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
