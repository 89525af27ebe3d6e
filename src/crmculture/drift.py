"""Drift: whether what the culture decides in production is moving, and which rules never fire.

`drift` compares two sets of logged decisions: two windows of a log (last quarter's log and
this quarter's), or one log as it was decided and as another version of the culture decides it
(`redecide`). Three kinds of distribution are compared:

- each rule's **hit rate**: the share of decisions in which the rule matched (hit or miss);
- each directive's **values**: the share of decisions given each value;
- the **department mix**: the share of decisions asked for by each department.

Each comparison is measured by the *population stability index*,

    PSI = sum over categories of (current share - baseline share) * ln(current / baseline),

a symmetric divergence between the two distributions that is 0 when they are equal. Before
it is taken, every count gets half a decision added (``SMOOTHING``), so that a category seen in
one window only gives a large but finite index instead of an infinite one. The levels follow
the usual reading of the index: under ``MODERATE`` (0.1) the distribution is **stable**, from
``MODERATE`` to ``SIGNIFICANT`` (0.25) it has **shifted moderately**, from ``SIGNIFICANT`` it has
**shifted significantly**. The report also names the rules that never fired in the current
window (*coverage from logs*): a rule that production never reaches is dead weight or a
sign that the data is not what the culture expects.

Everything is counted exactly and sorted by name, so the same logs give the same report.

Examples:
    >>> from crmculture.stories import acme_policy
    >>> policy = acme_policy()
    >>> decide = policy.compile()
    >>> def decisions(volumes):
    ...     return [decide({"credit_hold": False, "days_overdue": 0, "annual_volume": v,
    ...                     "tier": "silver"}, "sales") for v in volumes]
    >>> found = drift(decisions([10] * 90 + [300_000] * 10),
    ...               decisions([10] * 50 + [300_000] * 50), policy=policy)
    >>> for shift in found.flagged:
    ...     print(shift.level, shift.kind, shift.name, round(shift.psi, 2))
    significant directive discount_pct 0.85
    significant directive service_level 0.85
    significant rule high-volume-pays-on-time 0.85
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Literal

import attrs

from crmculture.evaluate.decision import Decision
from crmculture.log import LoggedDecision, LogProblem, _decide_logged, _json_facts, read_log
from crmculture.model.policies import Policy
from crmculture.model.values import json_value

__all__ = [
    "MODERATE",
    "SIGNIFICANT",
    "SMOOTHING",
    "DecisionCounts",
    "DriftReport",
    "Shift",
    "compare",
    "drift",
    "psi",
    "redecide",
]

MODERATE = 0.1
"""A population stability index from here on is a moderate shift."""

SIGNIFICANT = 0.25
"""A population stability index from here on is a significant shift."""

SMOOTHING = 0.5
"""Added to every category's count before shares are taken, so that no share is zero."""

Level = Literal["stable", "moderate", "significant"]
Kind = Literal["rule", "directive", "department"]
_KINDS: tuple[Kind, ...] = ("department", "directive", "rule")
_HIT, _MISS = "hit", "miss"


def psi(baseline: Mapping[str, int], current: Mapping[str, int]) -> float:
    """The population stability index between two distributions given as counts per
    category (see the module), smoothed by `SMOOTHING`.

    Examples:
        >>> psi({"a": 50, "b": 50}, {"a": 50, "b": 50})
        0.0
        >>> round(psi({"a": 90, "b": 10}, {"a": 50, "b": 50}), 3)
        0.853
    """
    categories = sorted(set(baseline) | set(current))
    if not categories:
        return 0.0
    base_total = sum(baseline.values()) + SMOOTHING * len(categories)
    now_total = sum(current.values()) + SMOOTHING * len(categories)
    index = 0.0
    for category in categories:
        expected = (baseline.get(category, 0) + SMOOTHING) / base_total
        actual = (current.get(category, 0) + SMOOTHING) / now_total
        index += (actual - expected) * math.log(actual / expected)
    return round(index, 12)


def level_of(index: float) -> Level:
    """The reading of a population stability index: stable, moderate or significant."""
    if index >= SIGNIFICANT:
        return "significant"
    if index >= MODERATE:
        return "moderate"
    return "stable"


@attrs.frozen
class Shift:
    """How one distribution moved between the baseline and the current decisions.

    Attributes:
        kind: ``rule`` (hit or miss), ``directive`` (its values) or ``department`` (the mix).
        name: The rule id or directive name; ``department`` for the department mix.
        psi: The population stability index (see the module).
        level: ``stable``, ``moderate`` or ``significant``.
        baseline: Decisions per category in the baseline, sorted by category.
        current: Decisions per category in the current window, sorted by category.
    """

    kind: Kind
    name: str
    psi: float
    level: Level
    baseline: tuple[tuple[str, int], ...]
    current: tuple[tuple[str, int], ...]

    def to_dict(self) -> dict[str, Any]:
        """The shift as JSON-ready data."""
        return {
            "kind": self.kind,
            "name": self.name,
            "psi": self.psi,
            "level": self.level,
            "baseline": dict(self.baseline),
            "current": dict(self.current),
        }


@attrs.frozen
class DriftReport:
    """What `drift` found.

    Attributes:
        baseline_records: Decisions in the baseline.
        current_records: Decisions in the current window.
        shifts: One per rule, directive and the department mix, sorted by kind and name.
        never_fired: Rules that matched no current decision, sorted.
        fired_before: Of `never_fired`, those that matched some baseline decision.
        problems: Lines of either log that are not records, as ``(side, problem)``.
        rejected: Records `redecide` could not decide, by reason, with counts.
    """

    baseline_records: int
    current_records: int
    shifts: tuple[Shift, ...]
    never_fired: tuple[str, ...]
    fired_before: tuple[str, ...]
    problems: tuple[tuple[str, LogProblem], ...] = ()
    rejected: tuple[tuple[str, int], ...] = ()

    @property
    def flagged(self) -> tuple[Shift, ...]:
        """The shifts that are not stable, most shifted first."""
        moved = [shift for shift in self.shifts if shift.level != "stable"]
        return tuple(sorted(moved, key=lambda s: (-s.psi, s.kind, s.name)))

    @property
    def significant(self) -> bool:
        """Whether some distribution shifted significantly."""
        return any(shift.level == "significant" for shift in self.shifts)

    @property
    def compared(self) -> bool:
        """Whether both sides have decisions; without, no distribution can be compared
        (every index is 0, which says nothing)."""
        return self.baseline_records > 0 and self.current_records > 0

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "baseline_records": self.baseline_records,
            "compared": self.compared,
            "current_records": self.current_records,
            "thresholds": {"moderate": MODERATE, "significant": SIGNIFICANT},
            "shifts": [shift.to_dict() for shift in self.shifts],
            "flagged": [[shift.kind, shift.name] for shift in self.flagged],
            "never_fired": list(self.never_fired),
            "fired_before": list(self.fired_before),
            "problems": [
                {"log": side, "line": p.line, "message": p.message} for side, p in self.problems
            ],
            "rejected": dict(self.rejected),
        }

    def text(self) -> str:
        """The report for people."""
        lines = [
            f"Drift between {self.baseline_records:,} baseline and "
            f"{self.current_records:,} current decisions "
            f"(population stability index; moderate from {MODERATE}, "
            f"significant from {SIGNIFICANT})"
        ]
        if not self.compared:
            empty = [
                side
                for side, records in (
                    ("baseline", self.baseline_records),
                    ("current", self.current_records),
                )
                if not records
            ]
            lines.append(f"  nothing to compare: no {' and no '.join(empty)} decisions")
        elif not self.flagged:
            lines.append("  every distribution is stable")
        for shift in self.flagged:
            lines.append(f"  {shift.level}: {shift.kind} {shift.name}: PSI {shift.psi:.3f}")
            lines.append(f"    {_shares(shift)}")
        if self.never_fired:
            lines.append("Rules that never fired in the current decisions:")
            for rule in self.never_fired:
                before = " (fired in the baseline)" if rule in self.fired_before else ""
                lines.append(f"  {rule}{before}")
        for reason, count in self.rejected:
            lines.append(f"Not decidable by this culture: {count:,}: {reason}")
        for side, problem in self.problems:
            lines.append(f"{side} log line {problem.line}: {problem.message}")
        return "\n".join(lines)


def _shares(shift: Shift) -> str:
    base = dict(shift.baseline)
    now = dict(shift.current)
    base_total = sum(base.values()) or 1
    now_total = sum(now.values()) or 1
    parts = []
    for category in sorted(set(base) | set(now)):
        before = 100 * base.get(category, 0) / base_total
        after = 100 * now.get(category, 0) / now_total
        parts.append(f"{category} {before:.1f}% -> {after:.1f}%")
    return ", ".join(parts)


Decisions = str | os.PathLike[str] | Iterable[LoggedDecision | LogProblem | Decision]


class DecisionCounts:
    """The distributions of a set of decisions, counted decision by decision: how many
    decisions, rule hits, values per directive and departments; `drift` compares two.

    Examples:
        >>> from crmculture.stories import acme_policy
        >>> counts = DecisionCounts()
        >>> counts.add(acme_policy().compile()({"credit_hold": True, "days_overdue": 0,
        ...                                    "annual_volume": 1, "tier": "gold"}, "sales"))
        >>> counts.records, counts.hits["credit-hold"], dict(counts.departments)
        (1, 1, {'sales': 1})
    """

    def __init__(self, side: str = "current") -> None:
        self.side = side
        self.records = 0
        self.hits: Counter[str] = Counter()
        self._values: dict[str, Counter[tuple[type, Any]]] = {}
        self.departments: Counter[str] = Counter()
        self.cultures: Counter[str] = Counter()
        self.problems: list[tuple[str, LogProblem]] = []

    def add(self, item: LoggedDecision | LogProblem | Decision) -> None:
        if isinstance(item, LogProblem):
            self.problems.append((self.side, item))
            return
        if isinstance(item, Decision):
            directives: Mapping[str, Any] = item.to_dict()["directives"]
            matched: Iterable[str] = item.matched
            culture = item.policy.fingerprint
        else:
            directives, matched = item.directives, item.matched
            culture = str(item.culture.get("fingerprint"))
        self.records += 1
        self.hits.update(set(matched))
        self.departments[_department(item.department)] += 1
        self.cultures[culture] += 1
        values = self._values
        for name, value in directives.items():
            counter = values.get(name)
            if counter is None:
                counter = values[name] = Counter()
            # Values are counted as they are and written as JSON once, at the end; the type
            # is part of the key, so that `true` and `1` stay apart.
            kind = type(value)
            if kind is list:
                if all(type(item) is str for item in value):
                    counter[(tuple, tuple(value))] += 1
                else:
                    counter[(list, _json(value))] += 1
            elif kind is dict or kind is float:  # floats: -0.0 == 0.0, yet their texts differ
                counter[(dict, _json(value))] += 1
            else:
                counter[(kind, value)] += 1

    @property
    def values(self) -> dict[str, Counter[str]]:
        """Per directive, decisions per value (as JSON text)."""
        found: dict[str, Counter[str]] = {}
        for name, counter in self._values.items():
            texts: Counter[str] = Counter()
            for (kind, value), count in counter.items():
                if kind is list or kind is dict:
                    texts[value] += count
                else:
                    texts[_value_text(list(value) if kind is tuple else value)] += count
            found[name] = texts
        return found

    def update(self, other: DecisionCounts) -> None:
        """Add the counts of `other` (its problems included)."""
        self.records += other.records
        self.hits.update(other.hits)
        self.departments.update(other.departments)
        self.cultures.update(other.cultures)
        for name, counter in other._values.items():
            self._values.setdefault(name, Counter()).update(counter)
        self.problems.extend(other.problems)


def _department(department: str | None) -> str:
    return "(none)" if department is None else department


def _value_text(value: Any) -> str:
    return json.dumps(json_value(value), sort_keys=True, ensure_ascii=False)


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _read(decisions: Decisions, counts: DecisionCounts) -> None:
    items = read_log(decisions) if isinstance(decisions, str | os.PathLike) else decisions
    for item in items:
        counts.add(item)


def drift(
    baseline: Decisions,
    current: Decisions,
    *,
    policy: Policy | None = None,
    rejected: Mapping[str, int] | None = None,
) -> DriftReport:
    """Compare the distributions of two sets of decisions (see the module).

    Args:
        baseline: The decisions to compare with: a decision log's path, or its records
            (`crmculture.read_log`), or `Decision` objects.
        current: The decisions to compare, in the same forms.
        policy: The culture whose rules and directives are compared; rules it has that never
            matched count as never fired. Without it, the rules and directives seen in either.
        rejected: Records that could not be decided, by reason (`redecide` counts them).

    Returns:
        The `DriftReport`.
    """
    before, now = DecisionCounts("baseline"), DecisionCounts("current")
    _read(baseline, before)
    _read(current, now)
    return compare(before, now, policy=policy, rejected=rejected)


def compare(
    before: DecisionCounts,
    now: DecisionCounts,
    *,
    policy: Policy | None = None,
    rejected: Mapping[str, int] | None = None,
) -> DriftReport:
    """`drift` of two sets of decisions already counted."""
    rules = sorted(set(before.hits) | set(now.hits))
    values_before, values_now = before.values, now.values
    directives = sorted(set(values_before) | set(values_now))
    if policy is not None:
        rules = sorted({rule.id for rule in policy.rules} | set(rules))
        directives = sorted({directive.name for directive in policy.directives} | set(directives))
    shifts = [_shift("department", "department", before.departments, now.departments)]
    for name in directives:
        shifts.append(
            _shift("directive", name, values_before.get(name, {}), values_now.get(name, {}))
        )
    for rule in rules:
        shifts.append(
            _shift(
                "rule",
                rule,
                _hit_or_miss(before.hits[rule], before.records),
                _hit_or_miss(now.hits[rule], now.records),
            )
        )
    never = tuple(rule for rule in rules if now.hits[rule] == 0)
    return DriftReport(
        baseline_records=before.records,
        current_records=now.records,
        shifts=tuple(sorted(shifts, key=lambda s: (_KINDS.index(s.kind), s.name))),
        never_fired=never,
        fired_before=tuple(rule for rule in never if before.hits[rule] > 0),
        problems=tuple(before.problems + now.problems),
        rejected=tuple(sorted((rejected or {}).items(), key=lambda i: (-i[1], i[0]))),
    )


def _hit_or_miss(hits: int, records: int) -> dict[str, int]:
    return {_HIT: hits, _MISS: records - hits}


def _shift(kind: Kind, name: str, baseline: Mapping[str, int], current: Mapping[str, int]) -> Shift:
    index = psi(baseline, current)
    return Shift(
        kind=kind,
        name=name,
        psi=index,
        level=level_of(index),
        baseline=tuple(sorted(baseline.items())),
        current=tuple(sorted(current.items())),
    )


def redecide(
    log: str | os.PathLike[str] | Iterable[LoggedDecision | LogProblem],
    policy: Policy,
    rejected: Counter[str] | None = None,
) -> Iterator[LoggedDecision | LogProblem]:
    """Every logged customer decided again by `policy`, for the logged department and as of
    the logged date (when there is one), as log records: with `drift`, compare two versions
    of a culture over one log. A record `policy` cannot decide is left out and counted by
    reason in `rejected`; a line that is not a record stays in place.

    Examples:
        >>> import pathlib, tempfile
        >>> from crmculture import DecisionLog, Rule, F
        >>> from crmculture.stories import acme_policy
        >>> old = acme_policy()
        >>> records = pathlib.Path(tempfile.mkdtemp()) / "decisions.jsonl"
        >>> with DecisionLog(records) as log:
        ...     for volume in (10, 300_000):
        ...         log.write(old.compile()({"credit_hold": False, "days_overdue": 0,
        ...                                  "annual_volume": volume, "tier": "silver"}))
        >>> new = old.with_rules(Rule("volume-discount", F.annual_volume >= 250_000,
        ...                          {"discount_pct": 8}))
        >>> [r.directives["discount_pct"] for r in redecide(records, new)]
        [0, 8]
    """
    decide = policy.compile()
    typed = _json_facts(policy)
    items = read_log(log) if isinstance(log, str | os.PathLike) else log
    for item in items:
        if isinstance(item, LogProblem):
            yield item
            continue
        decision = _decide_logged(decide, typed, policy, item)
        if isinstance(decision, str):
            if rejected is not None:
                rejected[decision] += 1
            continue
        whole = decision.to_dict()
        yield LoggedDecision(
            line=item.line,
            culture=whole["policy"],
            department=item.department,
            facts=item.facts,
            directives=whole["directives"],
            matched=tuple(whole["matched"]),
            fingerprint=whole["fingerprint"],
            keep=item.keep,
            as_of=item.as_of,
        )
