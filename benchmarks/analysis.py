"""Time of a full analysis of a large generated policy: 200 rules over 12 facts, 3 departments.

The policy is generated from a seed, the way large cultures grow: each fact has a handful of
thresholds that rules reuse (30, 60 and 90 days overdue; the tier ladder; volume bands), a rule
tests one to three facts, a tenth of the rules are scoped to one department, and a support layer
adds its own rules. Directives cover every combine strategy, uniform and monotone ones included.

`crmculture.analysis.analyze` runs every check (conflicts, gaps, unmatched customers, dead and
shadowed rules, uniformity, monotonicity) on one core; the run is repeated and the median
printed, with the findings per kind and whether the analysis was complete. Target: under 5 s.

Then `crmculture.analysis.check_promises` proves or refutes 20 generated promises on the same
policy (directive values and conditions over the decision, some scoped to a department).
Target: under 2 s. Run with ``python benchmarks/analysis.py [--seed N] [--repeat N]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from crmculture import D, Directive, F, Fact, Layer, Policy, Promise, Rule, Schema
from crmculture.analysis import CHECKS, analyze, check_promises
from crmculture.model.conditions import Condition

DEPARTMENTS = ["billing", "sales", "support"]
TIERS = ["bronze", "silver", "gold", "platinum"]
LEVELS = ["standard", "priority", "white_glove"]

# For each fact, the thresholds that rules reuse.
THRESHOLDS: dict[str, list[Any]] = {
    "days_overdue": [0, 30, 60, 90],
    "annual_volume": [50_000, 250_000, 1_000_000],
    "satisfaction": [3.0, 5.0, 8.0],
    "open_tickets": [3, 10],
    "balance": [Decimal(1000), Decimal(10000)],
    "renewal": [dt.date(2026, 6, 30), dt.date(2026, 12, 31)],
    "employees": [50, 500, 5000],
}


def benchmark_schema() -> Schema:
    return Schema(
        [
            Fact.bool("credit_hold", better="lower"),
            Fact.int("days_overdue", min=0, max=3650, better="lower"),
            Fact.int("annual_volume", min=0, max=100_000_000, better="higher"),
            Fact.enum("tier", TIERS, better="higher"),
            Fact.enum("region", ["amer", "apac", "emea", "latam"]),
            Fact.enum("segment", ["smb", "mid_market", "enterprise", "public_sector"]),
            Fact.float("satisfaction", min=0, max=10, optional=True, better="higher"),
            Fact.int("open_tickets", min=0, max=1000, optional=True, default=0),
            Fact.bool("is_reseller"),
            Fact.decimal("balance", min=0, optional=True, default=Decimal(0)),
            Fact.date("renewal", optional=True),
            Fact.int("employees", min=1, max=1_000_000, better="higher"),
        ]
    )


def benchmark_directives() -> list[Directive]:
    return [
        Directive.text("route_to", default="frontline", uniform=True),
        Directive.enum("service_level", LEVELS, default="standard", combine="max", monotone=True),
        Directive.bool("may_ship", default=True, combine="all", uniform=True, monotone=True),
        Directive.bool("may_quote", default=True, combine="all", monotone=True),
        Directive.int("discount_pct", min=0, max=40, default=0, combine="max", monotone=True),
        Directive.int("callback_hours", min=1, max=72, default=48, combine="min"),
        Directive.text("account_owner", default="pool", combine="unique"),
        Directive.text(
            "notify", values=["account_manager", "collections", "success"], combine="collect"
        ),
    ]


def _atom(rng: random.Random, fact: str) -> Condition:
    if fact in ("credit_hold", "is_reseller"):
        return F[fact] == (rng.random() < 0.6)
    if fact == "tier":
        value = rng.choice(TIERS[1:])
        return rng.choice([F.tier >= value, F.tier == value, F.tier < value])
    if fact in ("region", "segment"):
        known = benchmark_schema()[fact].values
        assert known is not None
        return F[fact].isin(rng.sample(known, rng.randint(1, 2)))
    if fact in ("satisfaction", "renewal") and rng.random() < 0.15:
        return F[fact].is_missing()
    pool = THRESHOLDS[fact]
    if len(pool) >= 2 and rng.random() < 0.15:
        low, high = sorted(rng.sample(pool, 2))
        return F[fact].between(low, high)
    value = rng.choice(pool)
    ref = F[fact]
    choices: list[Condition] = [ref > value, ref >= value, ref < value, ref <= value]
    return rng.choice(choices)


def _condition(rng: random.Random, facts: Sequence[str]) -> Condition:
    chosen = rng.sample(list(facts), rng.choice([1, 2, 2, 3]))
    atoms = [_atom(rng, fact) for fact in chosen]
    if len(atoms) == 1:
        condition = atoms[0]
    elif rng.random() < 0.8:
        condition = atoms[0]
        for atom in atoms[1:]:
            condition = condition & atom
    else:
        condition = atoms[0]
        for atom in atoms[1:]:
            condition = condition | atom
    return ~condition if rng.random() < 0.05 else condition


def _then(rng: random.Random, directives: Sequence[Directive]) -> dict[str, Any]:
    then: dict[str, Any] = {}
    for directive in rng.sample(list(directives), rng.choice([1, 1, 2])):
        if directive.name == "route_to":
            then[directive.name] = rng.choice(["accounts_receivable", "partners", "key_accounts"])
        elif directive.name == "service_level":
            then[directive.name] = rng.choice(LEVELS[1:])
        elif directive.type == "bool":
            then[directive.name] = rng.random() < 0.3
        elif directive.name == "discount_pct":
            then[directive.name] = rng.choice([5, 10, 15])
        elif directive.name == "callback_hours":
            then[directive.name] = rng.choice([4, 8, 24])
        elif directive.name == "account_owner":
            then[directive.name] = rng.choice(["emea_team", "strategic", "channel"])
        else:
            then[directive.name] = [rng.choice(["account_manager", "collections", "success"])]
    return then


def benchmark_policy(seed: int = 2026, rules: int = 200) -> Policy:
    """A generated policy: `rules` rules (a tenth in a support layer) over 12 facts."""
    rng = random.Random(seed)
    schema = benchmark_schema()
    directives = benchmark_directives()
    facts = schema.names
    company: list[Rule] = []
    layer_rules: list[Rule] = []
    free = [d for d in directives if not d.uniform]
    for number in range(rules):
        in_layer = number % 10 == 9
        rule = Rule(
            f"r{number:03d}",
            when=_condition(rng, facts),
            then=_then(rng, free if in_layer else directives),
            priority=rng.randint(0, 5),
            departments=[rng.choice(DEPARTMENTS)] if not in_layer and rng.random() < 0.1 else None,
        )
        (layer_rules if in_layer else company).append(rule)
    return Policy(
        "benchmark",
        schema,
        directives,
        company,
        layers=[Layer("support", ["support"], layer_rules)],
        departments=DEPARTMENTS,
    )


def benchmark_promises(seed: int = 2026, count: int = 20) -> list[Promise]:
    """`count` generated promises over the benchmark schema: values and decision conditions,
    over one or two facts, a fifth of them scoped to one department."""
    rng = random.Random(seed + 1)
    facts = benchmark_schema().names
    thens: list[Any] = [
        {"may_ship": False},
        {"route_to": "accounts_receivable"},
        D.discount_pct <= 40,
        D.discount_pct <= 10,
        D.service_level >= "priority",
        D.callback_hours <= 48,
        (D.may_quote == False) | (D.discount_pct <= 15),  # noqa: E712 - a condition, not a bool
        D.account_owner != "channel",
    ]
    promises = []
    for number in range(count):
        chosen = rng.sample(list(facts), rng.choice([1, 2]))
        when: Condition = _atom(rng, chosen[0])
        for fact in chosen[1:]:
            when = when & _atom(rng, fact)
        promises.append(
            Promise(
                f"p{number:02d}",
                when=when,
                then=thens[number % len(thens)],
                departments=[rng.choice(DEPARTMENTS)] if rng.random() < 0.2 else None,
            )
        )
    return promises


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    policy = benchmark_policy(args.seed, args.rules)
    timings = []
    report = None
    for _ in range(args.repeat):
        start = time.perf_counter()
        report = analyze(policy, checks=CHECKS)
        timings.append(time.perf_counter() - start)
    assert report is not None
    kinds = Counter(finding.kind for finding in report.findings)
    boxes = sum(coverage.boxes for coverage in report.coverage)
    print(
        f"analysis of {len(policy.effective_rules)} rules over {len(policy.schema)} facts, "
        f"{len(DEPARTMENTS)} departments (seed {args.seed})"
    )
    print(f"  findings: {dict(sorted(kinds.items()))}")
    print(f"  searches: {len(report.coverage)}, boxes: {boxes}, complete: {report.complete}")
    print(f"  median of {args.repeat}: {statistics.median(timings):.3f} s (target < 5 s)")
    promised = policy.with_promises(*benchmark_promises(args.seed))
    timings = []
    checked = None
    for _ in range(args.repeat):
        start = time.perf_counter()
        checked = check_promises(promised)
        timings.append(time.perf_counter() - start)
    assert checked is not None
    kinds = Counter(finding.kind for finding in checked.findings)
    proven = sum(1 for c in checked.coverage if c.status == "complete") - sum(kinds.values())
    boxes = sum(coverage.boxes for coverage in checked.coverage)
    print(f"promises: {len(promised.promises)} checked on the same policy")
    print(f"  proven: {proven}, findings: {dict(sorted(kinds.items()))}, boxes: {boxes}")
    print(f"  median of {args.repeat}: {statistics.median(timings):.3f} s (target < 2 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
