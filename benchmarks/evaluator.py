"""Throughput of the compiled evaluator against the reference interpreter and a handwritten ceiling.

A realistic 24-rule policy over 10 facts decides 100,000 generated customers (seeded). Three
evaluators take part:

- ``compiled``: ``policy.compile()``, returning full `Decision`s (with validation).
- ``reference``: the reference interpreter.
- ``handwritten``: a Python function with the same 24 ``if``s that returns the final directive
  values as a dict (no validation, no trace): the practical ceiling for pure Python.

All three must agree on every customer before anything is timed. Each is timed 5 times (the
reference on a tenth of the customers, to keep the run short) in two ways: keeping every result
in a list (a nightly batch) and dropping each result after use (a service answering requests);
medians and ratios are printed. Run with ``make bench`` or
``python benchmarks/evaluator.py [--customers N]``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from crmculture import Directive, F, Fact, Policy, ReferenceEvaluator, Rule, Schema

TIERS = ["bronze", "silver", "gold", "platinum"]
REGIONS = ["amer", "apac", "emea", "latam"]
SEGMENTS = ["smb", "mid_market", "enterprise", "public_sector"]
LEVELS = ["standard", "priority", "white_glove"]


def benchmark_policy() -> Policy:
    schema = Schema(
        [
            Fact.bool("credit_hold", better="lower"),
            Fact.int("days_overdue", min=0, max=3650, better="lower"),
            Fact.int("annual_volume", min=0, better="higher"),
            Fact.enum("tier", TIERS, better="higher"),
            Fact.enum("region", REGIONS),
            Fact.enum("segment", SEGMENTS),
            Fact.float("satisfaction", min=0, max=10, better="higher"),
            Fact.int("open_tickets", min=0, max=1000),
            Fact.bool("is_reseller"),
            Fact.decimal("balance", min=0),
        ]
    )
    directives = [
        Directive.text("route_to", default="frontline", combine="first", uniform=True),
        Directive.enum("service_level", LEVELS, default="standard", combine="max"),
        Directive.bool("may_ship", default=True, combine="all", uniform=True),
        Directive.bool("may_quote", default=True, combine="all"),
        Directive.int("discount_pct", min=0, max=40, default=0, combine="max"),
        Directive.int("callback_hours", min=1, max=72, default=48, combine="min"),
    ]
    rules = [
        Rule(
            "r01-credit-hold",
            when=F.credit_hold,
            then={"route_to": "accounts_receivable", "may_ship": False, "may_quote": False},
        ),
        Rule(
            "r02-seriously-overdue",
            when=F.days_overdue > 60,
            then={"route_to": "accounts_receivable", "may_ship": False},
            priority=1,
        ),
        Rule("r03-overdue-no-quotes", when=F.days_overdue > 30, then={"may_quote": False}),
        Rule(
            "r04-gold-white-glove",
            when=(F.tier >= "gold") & ~F.credit_hold,
            then={"service_level": "white_glove"},
        ),
        Rule(
            "r05-high-volume",
            when=(F.annual_volume >= 250_000) & (F.days_overdue <= 30),
            then={"service_level": "priority", "discount_pct": 5},
        ),
        Rule(
            "r06-very-high-volume",
            when=(F.annual_volume >= 1_000_000) & (F.days_overdue <= 10),
            then={"discount_pct": 12, "callback_hours": 4},
        ),
        Rule(
            "r07-platinum-loyalty",
            when=(F.tier == "platinum") & (F.days_overdue == 0),
            then={"discount_pct": 10},
        ),
        Rule(
            "r08-unhappy",
            when=F.satisfaction < 4.0,
            then={"service_level": "priority", "callback_hours": 8},
        ),
        Rule("r09-very-unhappy", when=F.satisfaction < 2.0, then={"callback_hours": 2}),
        Rule(
            "r10-reseller",
            when=F.is_reseller & ~F.credit_hold,
            then={"route_to": "channel_partners"},
            priority=5,
        ),
        Rule(
            "r11-public-sector",
            when=F.segment == "public_sector",
            then={"route_to": "public_sector_desk"},
            priority=6,
        ),
        Rule(
            "r12-enterprise-apac",
            when=(F.segment == "enterprise") & (F.region == "apac"),
            then={"route_to": "apac_enterprise"},
            priority=7,
        ),
        Rule(
            "r13-many-tickets",
            when=F.open_tickets >= 5,
            then={"service_level": "priority", "callback_hours": 12},
        ),
        Rule(
            "r14-ticket-storm",
            when=F.open_tickets >= 20,
            then={"route_to": "escalations"},
            priority=3,
        ),
        Rule(
            "r15-big-balance",
            when=(F.balance > Decimal("50000")) & (F.days_overdue > 15),
            then={"may_ship": False},
        ),
        Rule(
            "r16-emea-smb-discount",
            when=(F.region == "emea") & (F.segment == "smb") & (F.days_overdue == 0),
            then={"discount_pct": 3},
        ),
        Rule(
            "r17-latam-volume",
            when=(F.region == "latam") & (F.annual_volume >= 100_000),
            then={"discount_pct": 4},
        ),
        Rule(
            "r18-silver-happy",
            when=(F.tier == "silver") & (F.satisfaction >= 9.0),
            then={"service_level": "priority"},
        ),
        Rule(
            "r19-bronze-overdue",
            when=(F.tier == "bronze") & (F.days_overdue > 45),
            then={"may_quote": False, "callback_hours": 72},
        ),
        Rule(
            "r20-enterprise-callback", when=F.segment == "enterprise", then={"callback_hours": 24}
        ),
        Rule(
            "r21-mid-market-gold",
            when=(F.segment == "mid_market") & (F.tier >= "gold"),
            then={"discount_pct": 6},
        ),
        Rule(
            "r22-apac-region",
            when=F.region.isin(["apac"]) & (F.days_overdue <= 5),
            then={"callback_hours": 36},
        ),
        Rule(
            "r23-reseller-volume",
            when=F.is_reseller & F.annual_volume.between(50_000, 500_000),
            then={"discount_pct": 8},
        ),
        Rule(
            "r24-zero-balance-platinum",
            when=(F.balance == 0) & (F.tier == "platinum"),
            then={"service_level": "white_glove", "callback_hours": 6},
        ),
    ]
    return Policy("benchmark", schema, directives, rules)


_RANK = {level: n for n, level in enumerate(LEVELS)}
_TIER = {tier: n for n, tier in enumerate(TIERS)}
_BIG_BALANCE = Decimal("50000")


def handwritten(c: dict[str, Any]) -> dict[str, Any]:
    """The same 24 rules written by hand: the pure-Python ceiling (no validation, no trace)."""
    credit_hold = c["credit_hold"]
    days = c["days_overdue"]
    volume = c["annual_volume"]
    tier = _TIER[c["tier"]]
    region = c["region"]
    segment = c["segment"]
    satisfaction = c["satisfaction"]
    tickets = c["open_tickets"]
    reseller = c["is_reseller"]
    balance = c["balance"]
    # route_to: first by (priority, id)
    if credit_hold or days > 60:
        route = "accounts_receivable"
    elif tickets >= 20:
        route = "escalations"
    elif reseller and not credit_hold:
        route = "channel_partners"
    elif segment == "public_sector":
        route = "public_sector_desk"
    elif segment == "enterprise" and region == "apac":
        route = "apac_enterprise"
    else:
        route = "frontline"
    level = 0
    if tier >= 2 and not credit_hold:
        level = 2
    if volume >= 250_000 and days <= 30:
        level = max(level, 1)
    if satisfaction < 4.0:
        level = max(level, 1)
    if tickets >= 5:
        level = max(level, 1)
    if tier == 1 and satisfaction >= 9.0:
        level = max(level, 1)
    if balance == 0 and tier == 3:
        level = 2
    may_ship = not (credit_hold or days > 60 or (balance > _BIG_BALANCE and days > 15))
    may_quote = not (credit_hold or days > 30 or (tier == 0 and days > 45))
    discount = 0
    if volume >= 250_000 and days <= 30:
        discount = 5
    if volume >= 1_000_000 and days <= 10:
        discount = max(discount, 12)
    if tier == 3 and days == 0:
        discount = max(discount, 10)
    if region == "emea" and segment == "smb" and days == 0:
        discount = max(discount, 3)
    if region == "latam" and volume >= 100_000:
        discount = max(discount, 4)
    if segment == "mid_market" and tier >= 2:
        discount = max(discount, 6)
    if reseller and 50_000 <= volume <= 500_000:
        discount = max(discount, 8)
    callback = 100
    if volume >= 1_000_000 and days <= 10:
        callback = 4
    if satisfaction < 4.0:
        callback = min(callback, 8)
    if satisfaction < 2.0:
        callback = min(callback, 2)
    if tickets >= 5:
        callback = min(callback, 12)
    if tier == 0 and days > 45:
        callback = min(callback, 72)
    if segment == "enterprise":
        callback = min(callback, 24)
    if region == "apac" and days <= 5:
        callback = min(callback, 36)
    if balance == 0 and tier == 3:
        callback = min(callback, 6)
    if callback == 100:
        callback = 48
    return {
        "route_to": route,
        "service_level": LEVELS[level],
        "may_ship": may_ship,
        "may_quote": may_quote,
        "discount_pct": discount,
        "callback_hours": callback,
    }


def customers(count: int, seed: int = 20261123) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        out.append(
            {
                "credit_hold": rng.random() < 0.05,
                "days_overdue": rng.choice([0, 0, 0, 3, 10, 20, 31, 46, 61, 120]),
                "annual_volume": rng.choice([5_000, 60_000, 120_000, 300_000, 1_500_000]),
                "tier": rng.choice(TIERS),
                "region": rng.choice(REGIONS),
                "segment": rng.choice(SEGMENTS),
                "satisfaction": round(rng.uniform(0, 10), 1),
                "open_tickets": rng.choice([0, 0, 1, 2, 5, 25]),
                "is_reseller": rng.random() < 0.1,
                "balance": Decimal(rng.choice([0, 0, 1200, 25_000, 80_000])),
            }
        )
    return out


def _runner(
    evaluate: Callable[[Any], object], batch: list[dict[str, Any]], *, keep: bool
) -> Callable[[], object]:
    if keep:
        return lambda: [evaluate(person) for person in batch]

    def stream() -> None:
        for person in batch:
            evaluate(person)

    return stream


def _time(run: Callable[[], object], repeats: int) -> list[float]:
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        timings.append(time.perf_counter() - start)
    return timings


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    policy = benchmark_policy()
    compiled = policy.compile()
    reference = ReferenceEvaluator(policy)
    people = customers(args.customers)
    sample = people[: max(1, args.customers // 10)]

    for person in people:
        expected = handwritten(person)
        decision = compiled(person)
        if dict(decision.directives) != expected:
            print(
                f"DISAGREE (compiled vs handwritten) on {person}:\n"
                f"  {dict(decision.directives)}\n  {expected}",
                file=sys.stderr,
            )
            return 1
    for person in sample:
        if reference(person) != compiled(person):
            print(f"DISAGREE (reference vs compiled) on {person}", file=sys.stderr)
            return 1
    print(
        f"all three evaluators agree on {len(people):,} customers "
        f"(reference checked on {len(sample):,})"
    )

    evaluators: dict[str, Callable[[Any], object]] = {
        "handwritten": handwritten,
        "compiled": compiled,
        "reference": reference,
    }
    print(
        f"\n{len(policy.effective_rules)} rules, {len(policy.schema)} facts, "
        f"{len(people):,} customers, median of {args.repeats}"
    )
    for mode in ("kept", "streamed"):
        rates = {}
        for name, evaluate in evaluators.items():
            batch = sample if name == "reference" else people
            timings = _time(_runner(evaluate, batch, keep=mode == "kept"), args.repeats)
            rates[name] = len(batch) / statistics.median(timings)
        how = (
            "results kept in a list (a batch)"
            if mode == "kept"
            else "each result dropped after use (a service answering requests)"
        )
        print(f"\n{mode}: {how}")
        for name, rate in rates.items():
            print(f"  {name:<12} {rate:>12,.0f} decisions/s")
        print(
            f"  compiled / handwritten: {rates['compiled'] / rates['handwritten']:.0%} "
            "(target >= 50%)"
        )
        print(
            f"  compiled / reference:   {rates['compiled'] / rates['reference']:.1f}x "
            "(target >= 10x)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
