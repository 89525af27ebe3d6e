"""What a decision's trace, audit record and explanation cost, against deciding alone.

The 24-rule policy over 10 facts of ``benchmarks/evaluator.py`` decides 20,000 generated
customers (seeded). Timed, per customer, each result dropped after use (a service answering
requests):

- ``decide``: ``decide(c)``, the compiled evaluator alone;
- ``matched``: ``decide(c).matched``;
- ``handwritten matched``: a Python function with the same 24 conditions written by hand,
  returning the ids of the matching rules (no validation, no decision): the ceiling;
- ``checked handwritten``: the same function after the checks ``decide`` makes of a record
  (its type, its facts and their domains): how much of the gap the checks are;
- ``fingerprint``, ``to_json``, ``explain``: ``decide(c).fingerprint``, ``.to_json()``,
  ``.explain()``.

Each variant is timed as a caller writes it, the call in the loop itself. Every variant is
first checked against the others (the handwritten ids equal ``matched`` on
every customer). The variants are timed in turns, ``--repeats`` rounds (default 7), and the
medians (with the fastest round, which other load on the machine disturbs least) and the
ratios of the medians to the targets of issue 16 are printed:

- ``matched`` at least 0.5x the throughput of the handwritten function;
- ``fingerprint`` at most 3x, ``to_json`` at most 6x, ``explain`` at most 30x the time of
  ``decide`` alone;
- ``import crmculture`` at most 120 ms cumulative by ``python -X importtime`` (median of
  ``--repeats`` fresh interpreters; ``--no-imports`` skips it).

Run with ``make bench`` or ``python benchmarks/decisions.py [--customers N] [--repeats N]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from evaluator import REGIONS, SEGMENTS, TIERS, benchmark_policy, customers

_TIER = {tier: n for n, tier in enumerate(TIERS)}
_BIG_BALANCE = Decimal("50000")


def handwritten_matched(c: dict[str, Any]) -> list[str]:
    """The 24 conditions of the benchmark policy by hand, in ``(priority, id)`` order."""
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
    matched = []
    # priority 0, by id
    if credit_hold:
        matched.append("r01-credit-hold")
    if days > 30:
        matched.append("r03-overdue-no-quotes")
    if tier >= 2 and not credit_hold:
        matched.append("r04-gold-white-glove")
    if volume >= 250_000 and days <= 30:
        matched.append("r05-high-volume")
    if volume >= 1_000_000 and days <= 10:
        matched.append("r06-very-high-volume")
    if tier == 3 and days == 0:
        matched.append("r07-platinum-loyalty")
    if satisfaction < 4.0:
        matched.append("r08-unhappy")
    if satisfaction < 2.0:
        matched.append("r09-very-unhappy")
    if tickets >= 5:
        matched.append("r13-many-tickets")
    if balance > _BIG_BALANCE and days > 15:
        matched.append("r15-big-balance")
    if region == "emea" and segment == "smb" and days == 0:
        matched.append("r16-emea-smb-discount")
    if region == "latam" and volume >= 100_000:
        matched.append("r17-latam-volume")
    if tier == 1 and satisfaction >= 9.0:
        matched.append("r18-silver-happy")
    if tier == 0 and days > 45:
        matched.append("r19-bronze-overdue")
    if segment == "enterprise":
        matched.append("r20-enterprise-callback")
    if segment == "mid_market" and tier >= 2:
        matched.append("r21-mid-market-gold")
    if region == "apac" and days <= 5:
        matched.append("r22-apac-region")
    if reseller and 50_000 <= volume <= 500_000:
        matched.append("r23-reseller-volume")
    if balance == 0 and tier == 3:
        matched.append("r24-zero-balance-platinum")
    # then by priority
    if days > 60:
        matched.append("r02-seriously-overdue")
    if tickets >= 20:
        matched.append("r14-ticket-storm")
    if reseller and not credit_hold:
        matched.append("r10-reseller")
    if segment == "public_sector":
        matched.append("r11-public-sector")
    if segment == "enterprise" and region == "apac":
        matched.append("r12-enterprise-apac")
    return matched


_TIERS = frozenset(TIERS)
_REGIONS = frozenset(REGIONS)
_SEGMENTS = frozenset(SEGMENTS)


def checked_handwritten_matched(c: dict[str, Any]) -> list[str]:
    """`handwritten_matched` after the checks the compiled evaluator makes of a record (a
    plain dict of exactly the schema's facts, each of its type and in its domain): how much
    of the gap between deciding and the handwritten function checking the record is."""
    if type(c) is not dict or len(c) != 10:
        raise ValueError("not a record of the schema")
    b = c["credit_hold"]
    days = c["days_overdue"]
    volume = c["annual_volume"]
    satisfaction = c["satisfaction"]
    tickets = c["open_tickets"]
    reseller = c["is_reseller"]
    balance = c["balance"]
    if not (
        (b is True or b is False)
        and (type(days) is int and 0 <= days <= 3650)
        and (type(volume) is int and volume >= 0)
        and c["tier"] in _TIERS
        and c["region"] in _REGIONS
        and c["segment"] in _SEGMENTS
        and (type(satisfaction) is float and 0.0 <= satisfaction <= 10.0)
        and (type(tickets) is int and 0 <= tickets <= 1000)
        and (reseller is True or reseller is False)
        and (type(balance) is Decimal and balance.is_finite() and balance >= 0)
    ):
        raise ValueError("a fact out of its domain")
    return handwritten_matched(c)


# Each variant is timed as a caller writes it, in the loop itself: no wrapper call is timed.
def _decide(decide: Callable[[Any], Any], batch: list[dict[str, Any]]) -> None:
    for person in batch:
        decide(person)


def _matched(decide: Callable[[Any], Any], batch: list[dict[str, Any]]) -> None:
    for person in batch:
        decide(person).matched  # noqa: B018 (reading it is what is timed)


def _fingerprint(decide: Callable[[Any], Any], batch: list[dict[str, Any]]) -> None:
    for person in batch:
        decide(person).fingerprint  # noqa: B018 (reading it is what is timed)


def _to_json(decide: Callable[[Any], Any], batch: list[dict[str, Any]]) -> None:
    for person in batch:
        decide(person).to_json()


def _explain(decide: Callable[[Any], Any], batch: list[dict[str, Any]]) -> None:
    for person in batch:
        decide(person).explain()


def _stream(
    loop: Callable[[Callable[[Any], Any], list[dict[str, Any]]], None],
    evaluate: Callable[[Any], Any],
    batch: list[dict[str, Any]],
) -> float:
    """Seconds `loop` takes to evaluate every customer, dropping each result."""
    start = time.perf_counter()
    loop(evaluate, batch)
    return time.perf_counter() - start


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument(
        "--no-imports", dest="imports", action="store_false", help="skip the import time"
    )
    args = parser.parse_args(argv)

    policy = benchmark_policy()
    decide = policy.compile()
    people = customers(args.customers)

    for person in people:
        ids = list(decide(person).matched)
        if ids != handwritten_matched(person) or ids != checked_handwritten_matched(person):
            print(f"DISAGREE (matched vs handwritten) on {person}", file=sys.stderr)
            return 1
    print(f"the handwritten function agrees with `matched` on {len(people):,} customers")

    variants = {
        "decide": (_decide, decide),
        "handwritten matched": (_decide, handwritten_matched),
        "checked handwritten": (_decide, checked_handwritten_matched),
        "matched": (_matched, decide),
        "fingerprint": (_fingerprint, decide),
        "to_json": (_to_json, decide),
        "explain": (_explain, decide),
    }
    # Warm up: first-use work (the policy's tables, the compiled explanation) is not timed.
    for loop, evaluate in variants.values():
        _stream(loop, evaluate, people[:1000])
    timings: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.repeats):
        for name, (loop, evaluate) in variants.items():
            timings[name].append(_stream(loop, evaluate, people))
    micros = {name: statistics.median(t) / len(people) * 1e6 for name, t in timings.items()}

    fastest = {name: min(t) / len(people) * 1e6 for name, t in timings.items()}
    print(
        f"\n{len(policy.effective_rules)} rules, {len(policy.schema)} facts, "
        f"{len(people):,} customers, median (and fastest) of {args.repeats} rounds, "
        "each result dropped after use"
    )
    for name, value in micros.items():
        print(
            f"  {name:<20} {value:>8.2f} µs per customer ({fastest[name]:.2f})"
            f"  {1 / value * 1e6:>12,.0f}/s"
        )
    base = micros["decide"]
    checks = [
        (
            "matched / handwritten throughput",
            micros["handwritten matched"] / micros["matched"],
            ">=",
            0.5,
        ),
        (
            "matched / checked handwritten",
            micros["checked handwritten"] / micros["matched"],
            "",
            0.0,
        ),
        ("fingerprint / decide time", micros["fingerprint"] / base, "<=", 3.0),
        ("to_json / decide time", micros["to_json"] / base, "<=", 6.0),
        ("explain / decide time", micros["explain"] / base, "<=", 30.0),
    ]
    print()
    for label, ratio, sense, target in checks:
        if not sense:
            print(f"  {label:<34} {ratio:>6.2f}x  (no target)")
            continue
        met = ratio >= target if sense == ">=" else ratio <= target
        verdict = "met" if met else "NOT met"
        print(f"  {label:<34} {ratio:>6.2f}x  (target {sense} {target}x: {verdict})")
    if args.imports:
        milliseconds = [_import_time() for _ in range(args.repeats)]
        print(
            f"\n`import crmculture`: {statistics.median(milliseconds):.0f} ms cumulative "
            f"(python -X importtime, median of {args.repeats}, target <= 120 ms)"
        )
    return 0


def _import_time() -> float:
    """Milliseconds `import crmculture` takes in a fresh interpreter, as ``-X importtime``
    reports them (cumulative)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import crmculture"],
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(line for line in result.stderr.splitlines() if line.endswith("| crmculture"))
    return int(line.split("|")[1]) / 1000


if __name__ == "__main__":
    raise SystemExit(main())
