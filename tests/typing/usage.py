"""Type-checked by mypy --strict in `make test`: the public API as users write it."""

from __future__ import annotations

from decimal import Decimal

from crmculture import (
    CompiledPolicy,
    CrmCultureError,
    Decision,
    Directive,
    F,
    Fact,
    Layer,
    Policy,
    Rule,
    Schema,
)

schema = Schema(
    [
        Fact.bool("credit_hold"),
        Fact.int("days_overdue", min=0, max=3650, better="lower"),
        Fact.decimal("balance", min=0, optional=True, default=Decimal(0)),
        Fact.enum("tier", ["bronze", "silver", "gold"], better="higher"),
    ]
)
route = Directive.text("route_to", default="frontline", uniform=True)
level = Directive.ordered(
    "service_level", ["standard", "priority"], default="standard", combine="max"
)
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
