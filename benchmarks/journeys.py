"""Full org analysis of a large generated org: how long `analyze_org` takes.

A seeded generator builds an org of 200 departments and 2,000 handoffs over 40 request types,
guarded by conditions on 10 customer facts and on the decision of a 12-rule policy over those
facts. `crmculture.analysis.org_metrics.analyze_org` then walks every customer segment from
every door with every request. The analysis is timed 3 times; the medians of wall-clock and
of CPU time (the process's own, so less disturbed by other work on a shared machine) are
printed, with what it found. Target: under 10 s on one core.
Run with ``python benchmarks/journeys.py``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from crmculture import D, Directive, F, Fact, Policy, Rule, Schema
from crmculture.analysis.org_metrics import analyze_org
from crmculture.culture import Culture
from crmculture.model.conditions import ALWAYS, Condition
from crmculture.org import Department, Handoff, OrgGraph

TIERS = ["bronze", "silver", "gold", "platinum"]
REGIONS = ["amer", "apac", "emea", "latam"]


def benchmark_policy() -> Policy:
    schema = Schema(
        [
            Fact.bool("credit_hold"),
            Fact.int("days_overdue", min=0, max=3650),
            Fact.int("annual_volume", min=0),
            Fact.enum("tier", TIERS, better="higher"),
            Fact.enum("region", REGIONS),
            Fact.float("satisfaction", min=0, max=10),
            Fact.int("open_tickets", min=0, max=1000),
            Fact.bool("is_reseller"),
            Fact.bool("under_warranty"),
            Fact.int("contract_years", min=0, max=30),
        ]
    )
    directives = [
        Directive.text("route_to", default="frontline", uniform=True),
        Directive.enum(
            "service_level",
            ["standard", "priority", "white_glove"],
            default="standard",
            combine="max",
        ),
        Directive.bool("may_ship", default=True, combine="all"),
    ]
    rules = [
        Rule(
            "hold",
            when=F.credit_hold | (F.days_overdue > 60),
            then={"route_to": "accounts_receivable", "may_ship": False},
        ),
        Rule(
            "resellers",
            when=F.is_reseller & ~F.credit_hold,
            then={"route_to": "partners"},
            priority=5,
        ),
        Rule("gold", when=F.tier >= "gold", then={"service_level": "white_glove"}),
        Rule("volume", when=F.annual_volume >= 250_000, then={"service_level": "priority"}),
        Rule("unhappy", when=F.satisfaction < 5, then={"service_level": "priority"}),
        Rule("tickets", when=F.open_tickets >= 3, then={"service_level": "priority"}),
        Rule("apac", when=F.region == "apac", then={"route_to": "apac_desk"}, priority=7),
        Rule("warranty", when=~F.under_warranty & (F.contract_years < 2), then={"may_ship": False}),
        Rule("loyal", when=F.contract_years >= 10, then={"service_level": "priority"}),
        Rule("late", when=F.days_overdue > 30, then={"may_ship": False}),
        Rule(
            "big-late",
            when=(F.annual_volume >= 1_000_000) & (F.days_overdue > 0),
            then={"route_to": "key_accounts"},
            priority=3,
        ),
        Rule(
            "emea-gold",
            when=(F.region == "emea") & (F.tier == "platinum"),
            then={"service_level": "white_glove"},
        ),
    ]
    return Policy("benchmark", schema, directives, rules)


def guards() -> list[Condition]:
    """Guard shapes seen in real orgs: most handoffs are unguarded; the others test the
    decision or one customer fact (10 facts in all)."""
    return [
        ALWAYS,
        ALWAYS,
        ALWAYS,
        D.route_to == "accounts_receivable",
        D.route_to != "accounts_receivable",
        D.may_ship,
        D.service_level >= "priority",
        F.credit_hold,
        F.days_overdue > 30,
        F.annual_volume >= 100_000,
        F.tier >= "gold",
        F.region.isin(["emea", "amer"]),
        F.satisfaction < 5,
        F.open_tickets >= 3,
        F.is_reseller,
        F.under_warranty,
        F.contract_years >= 5,
    ]


def benchmark_org(seed: int, departments: int, handoffs: int, requests: int) -> OrgGraph:
    rng = random.Random(seed)
    names = [f"dept_{index:03d}" for index in range(departments)]
    kinds = [f"request_{index:02d}" for index in range(requests)]
    depts = [Department(name, rng.sample(kinds, rng.randint(0, 2))) for name in names]
    options = guards()
    links: dict[Handoff, None] = {}
    while len(links) < handoffs:
        source, target = rng.sample(names, 2)
        handoff = Handoff(
            source,
            target,
            rng.sample(kinds, rng.choice([1, 1, 1, 2])),
            when=rng.choice(options),
            minutes=rng.randint(1, 60),
        )
        links.setdefault(handoff)
    return OrgGraph(depts, links)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--departments", type=int, default=200)
    parser.add_argument("--handoffs", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261)
    args = parser.parse_args()
    culture = Culture(
        benchmark_policy(),
        benchmark_org(args.seed, args.departments, args.handoffs, args.requests),
    )
    times, cpu = [], []
    report = None
    for _ in range(args.repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        report = analyze_org(culture)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    assert report is not None
    kinds = sorted({finding.kind for finding in report.findings})
    counts = ", ".join(f"{kind}: {len(report.of_kind(kind))}" for kind in kinds)
    print(
        f"org: {args.departments} departments, {args.handoffs} handoffs, "
        f"{args.requests} request types, {len(culture.policy.schema)} facts"
    )
    print(f"cases (door x request x segment): {len(report.cases)}")
    print(f"findings: {len(report.findings)} ({counts})")
    print(f"bottlenecks: {', '.join(report.bottlenecks(3))}")
    print(
        f"analyze_org: median {statistics.median(times):.2f} s wall, "
        f"{statistics.median(cpu):.2f} s CPU over {args.repeat} runs (target: under 10 s)"
    )


if __name__ == "__main__":
    main()
