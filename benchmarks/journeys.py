"""Org analysis at scale: a large generated org, and long chains and wide graphs from every door.

The ``org`` case: a seeded generator builds an org of 200 departments and 2,000 handoffs over
40 request types, guarded by conditions on 10 customer facts and on the decision of a 12-rule
policy over those facts. `crmculture.analysis.org_metrics.analyze_org` then walks every
customer segment from every door with every request. The analysis is timed 3 times; the
medians of wall-clock and of CPU time (the process's own, so less disturbed by other work on a
shared machine) are printed, with what it found. Target: under 10 s on one core.

The ``chains`` case (the hostile-input campaign's finding: a 2,000-department chain analysed
from every door hung for more than a minute): for N = 100, 500, 1,000 and 2,000 departments,
a chain d0 -> d1 -> ... (the last resolves), a chain whose last department hands back to the
middle one (a loop), and one door fanning out to every other department; for each, the median
CPU time of `analyze_org` from every door and of `Culture.journeys` (one customer, every
door), and whether the analysis stayed within its default budget. Target: 2,000 departments in
a chain under 5 s.

Run with ``python benchmarks/journeys.py`` (both cases) or ``--case org`` / ``--case chains``.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import random
import statistics
import time
from collections.abc import Callable

from crmculture import D, Directive, F, Fact, Policy, Rule, Schema
from crmculture.analysis.org_metrics import analyze_org
from crmculture.culture import Culture
from crmculture.model.conditions import ALWAYS, Condition
from crmculture.org import Department, Handoff, OrgGraph
from crmculture.stories import ACME_DEPARTMENTS, acme_policy

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


REQUEST = "replacement_part"
GOOD = {"credit_hold": False, "days_overdue": 0, "annual_volume": 9000, "tier": "gold"}


def shaped_org(shape: str, count: int) -> OrgGraph:
    """`count` departments deciding as ACME's departments in turn: a ``chain`` (the last
    resolves), a ``loop`` (a chain whose last hands back to the middle one) or a ``fan`` (the
    first hands off to every other; the last resolves)."""
    width = len(str(count - 1))
    names = [f"d{index:0{width}d}" for index in range(count)]
    scopes = sorted(ACME_DEPARTMENTS)
    resolving = set() if shape == "loop" else {names[-1]}
    departments = [
        Department(name, [REQUEST] if name in resolving else [], decides_as=scopes[at % 6])
        for at, name in enumerate(names)
    ]
    if shape == "fan":
        handoffs = [Handoff(names[0], name, [REQUEST]) for name in names[1:]]
    else:
        handoffs = [Handoff(a, b, [REQUEST], minutes=1) for a, b in itertools.pairwise(names)]
    if shape == "loop":
        handoffs.append(Handoff(names[-1], names[count // 2], [REQUEST]))
    return OrgGraph(departments, handoffs)


def cpu_median(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        action()
        times.append(time.process_time() - start)
    return statistics.median(times)


def chains(sizes: list[int], repeat: int) -> None:
    print(f"long chains and wide graphs, from every door (median CPU s over {repeat} runs):")
    print(f"{'shape':<6} {'N':>6} {'analyze_org':>12} {'journeys':>10}  complete")
    for shape in ("chain", "loop", "fan"):
        for count in sizes:
            culture = Culture(acme_policy(), shaped_org(shape, count))
            report = analyze_org(culture)
            analysis = cpu_median(functools.partial(analyze_org, culture), repeat)
            walks = cpu_median(functools.partial(culture.journeys, GOOD, REQUEST), repeat)
            print(
                f"{shape:<6} {count:>6} {analysis:>12.3f} {walks:>10.3f}  {report.complete}"
                + ("" if report.complete else f" ({len(report.skipped)} pairs skipped)")
            )


def org(args: argparse.Namespace) -> None:
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
    print(f"complete (within the default budget): {report.complete}")
    print(
        f"analyze_org: median {statistics.median(times):.2f} s wall, "
        f"{statistics.median(cpu):.2f} s CPU over {args.repeat} runs (target: under 10 s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=["org", "chains", "all"], default="all")
    parser.add_argument("--departments", type=int, default=200)
    parser.add_argument("--handoffs", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261)
    parser.add_argument(
        "--sizes", type=lambda text: [int(size) for size in text.split(",")], default=None
    )
    args = parser.parse_args()
    if args.case in ("org", "all"):
        org(args)
    if args.case in ("chains", "all"):
        if args.case == "all":
            print()
        chains(args.sizes or [100, 500, 1000, 2000], args.repeat)


if __name__ == "__main__":
    main()
