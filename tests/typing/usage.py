"""Type-checked by mypy --strict in `make test`: the public API as users write it."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import assert_never

from crmculture import (
    AS_OF,
    AsOf,
    CompiledPolicy,
    Condition,
    CrmCultureError,
    D,
    Decision,
    Directive,
    F,
    Fact,
    Freshness,
    Kept,
    Layer,
    Policy,
    Promise,
    Rule,
    Schema,
)
from crmculture.analysis import AnalysisReport, BrokenPromise, check_promises
from crmculture.io.dmn import EXAMPLE as DMN_EXAMPLE
from crmculture.io.dmn import DmnTable, load_dmn
from crmculture.io.spreadsheets import dump_csv_table, load_csv_table, policy_from_rows, table_rows
from crmculture.model import And, Between, Compare, Const, In, Missing, Not, Or

schema = Schema(
    [
        Fact.bool("credit_hold"),
        Fact.int("days_overdue", min=0, max=3650, better="lower"),
        Fact.decimal("balance", min=0, optional=True, default=Decimal(0)),
        Fact.enum("tier", ["bronze", "silver", "gold"], better="higher"),
    ]
)
route = Directive.text("route_to", default="frontline", uniform=True)
level = Directive.enum("service_level", ["standard", "priority"], default="standard", combine="max")
policy: Policy = Policy(
    "acme",
    schema,
    [route, level],
    rules=[
        Rule(
            "credit-hold",
            when=F.credit_hold | (F.days_overdue > 60),
            then={"route_to": "accounts_receivable"},
        ),
        Rule("gold", when=(F.tier >= "gold") & ~F.credit_hold, then={"service_level": "priority"}),
    ],
    layers=[
        Layer("support", ["support"], [Rule("s", when=True, then={"service_level": "priority"})])
    ],
)
decide: CompiledPolicy = policy.compile()
decision: Decision = decide({"credit_hold": False, "days_overdue": 3, "tier": "gold"})
route_to: object = decision.directives["route_to"]
text: str = decision.explain()
document: str = decision.to_json()
fingerprint: str = decision.fingerprint
decisions: list[Decision] = decide.decide_many([{"credit_hold": True}], department="support")
reported: list[Decision | CrmCultureError] = decide.decide_many([], on_error="report")
kept_many: list[Kept[Decision]] = decide.decide_many([], keep=["customer_id"])
kept_reported: list[Kept[Decision | CrmCultureError]] = decide.decide_many(
    [], on_error="report", keep=("customer_id",)
)
kept_ids: list[object] = [item.keep["customer_id"] for item in kept_many]
kept_decisions: list[Decision] = [item.result for item in kept_many]

# As-of dates: an input of each decision; conditions compare date facts with `AS_OF`.
day = datetime.date(2026, 3, 1)
dated: Decision = decide({"credit_hold": False}, "support", as_of=day)
dated_day: datetime.date | None = dated.as_of
dated_many: list[Decision] = decide.decide_many([], as_of=day)
relative: Condition = F.verified_on < AS_OF.minus(days=365)
shift: AsOf = AS_OF - datetime.timedelta(days=30)
resolved: Policy = policy.at(day)
uses: bool = policy.uses_as_of
governed = Rule(
    "g",
    when=True,
    then={"service_level": "priority"},
    owner="ops",
    tags=["x"],
    effective_from=day,
)
fresh = Freshness(365, since="verified_on")

# `Condition` is a closed union: a walker that tests every member and ends with
# `assert_never` type-checks, and stops type-checking when a node class joins the union.
when: Condition = F.credit_hold | (F.days_overdue > 60)
read: tuple[str, ...] = when.facts()
negated: Condition = ~when & F.credit_hold


def leaves(node: Condition) -> int:
    if isinstance(node, And | Or):
        return sum(leaves(item) for item in node.items)
    if isinstance(node, Not):
        return leaves(node.item)
    if isinstance(node, Const | Compare | In | Between | Missing):
        return 1
    assert_never(node)


counted: int = leaves(negated)

# Promises and overriding rules.
promise = Promise("cap", when=True, then=D.service_level <= "priority", departments=["sales"])
kept = Promise("hold", when=F.credit_hold, then={"route_to": "accounts_receivable"})
capped: Policy = policy.with_rules(
    Rule("hold-caps", when=F.credit_hold, then={"service_level": "standard"}, overrides=True)
).with_promises(promise, kept)
report: AnalysisReport = check_promises(capped, ["cap"], budget=1_000)
broken: list[BrokenPromise] = [f for f in report.findings if isinstance(f, BrokenPromise)]

# Decision tables from DMN and spreadsheets.
dmn_tables: list[DmnTable] = load_dmn(DMN_EXAMPLE)
dmn_policy: Policy = dmn_tables[0].policy
dmn_result: object = dmn_tables[0].result(dmn_policy.compile()({"Age": 30, "Risk": "Low"}))
sheet_policy: Policy = load_csv_table("name,t\nfact,a,bool\ndirective,d,bool\nrule,a,d\nr,a,true\n")
table_text: str = dump_csv_table(sheet_policy)
rows: list[list[str]] = table_rows(policy_from_rows(table_rows(sheet_policy), sheet="t"))
offers = Directive.text("offers", combine="list")
many: bool = offers.collects
