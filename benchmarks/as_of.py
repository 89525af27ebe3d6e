"""What deciding as of a date costs: per record (compiled evaluator) and per frame (columnar).

The acme policy (which does not use the as-of date) decides the same customers without a date
and with one; a copy of it with an as-of condition and an effective-dated rule decides them
with one. Per record, 20,000 decisions; per frame, 200,000 rows. Every figure is the median of
7 runs, printed with its ratio to the run without a date, measured in the same process. Run
with ``python benchmarks/as_of.py``.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from crmculture import AS_OF, F, Fact, Policy, Rule, Schema
from crmculture.batch import decide_frame
from crmculture.stories import acme_policy

DAY = dt.date(2026, 3, 1)


def median(run: Callable[[], object], repeat: int = 7) -> float:
    """The median wall time of `run`, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def dated_policy() -> Policy:
    """acme with a `verified_on` fact, an as-of condition and an effective-dated rule."""
    acme = acme_policy()
    schema = Schema([*acme.schema, Fact.date("verified_on")])
    return Policy(
        acme.name,
        schema,
        acme.directives,
        [
            *acme.rules,
            Rule("stale", when=F.verified_on < AS_OF.minus(days=365), then={"may_ship": False}),
            Rule(
                "spring",
                when=F.tier >= "gold",
                then={"discount_pct": 5},
                effective_from=dt.date(2026, 3, 1),
            ),
        ],
        layers=acme.layers,
        version=acme.version,
        departments=acme.departments,
    )


def frame(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(20261205)
    return pd.DataFrame(
        {
            "credit_hold": rng.random(rows) < 0.05,
            "days_overdue": rng.choice([0, 5, 45, 90], rows),
            "annual_volume": rng.integers(0, 2_000_000, rows),
            "tier": rng.choice(["bronze", "silver", "gold", "platinum"], rows),
        }
    )


def main() -> None:
    plain, dated = acme_policy(), dated_policy()
    customers = frame(20_000).to_dict("records")
    days = [DAY - dt.timedelta(days=int(n)) for n in np.arange(20_000) % 800]
    dated_customers = [{**c, "verified_on": d} for c, d in zip(customers, days, strict=True)]
    decide, decide_dated = plain.compile(), dated.compile()
    base = median(lambda: [decide(c) for c in customers])
    given = median(lambda: [decide(c, as_of=DAY) for c in customers])
    using = median(lambda: [decide_dated(c, as_of=DAY) for c in dated_customers])
    print("per record, 20,000 decisions (median of 7):")
    print(f"  without as_of            {base * 1e3:8.1f} ms  1.00")
    print(f"  with as_of (not used)    {given * 1e3:8.1f} ms  {given / base:.2f}")
    print(f"  with as_of (used)        {using * 1e3:8.1f} ms  {using / base:.2f}")
    big = frame(200_000)
    big_dated = big.assign(
        verified_on=[DAY - dt.timedelta(days=int(n % 800)) for n in range(len(big))]
    )
    base = median(lambda: decide_frame(plain, big))
    given = median(lambda: decide_frame(plain, big, as_of=DAY))
    using = median(lambda: decide_frame(dated, big_dated, as_of=DAY))
    print("columnar, 200,000 rows (median of 7):")
    print(f"  without as_of            {base * 1e3:8.1f} ms  1.00")
    print(f"  with as_of (not used)    {given * 1e3:8.1f} ms  {given / base:.2f}")
    print(f"  with as_of (used)        {using * 1e3:8.1f} ms  {using / base:.2f}")


if __name__ == "__main__":
    main()
