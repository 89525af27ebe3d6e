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

A log given by its path is counted by `DecisionCounts.from_log`: with the batch extra, read
through Arrow a chunk at a time, the records that count alike counted once per chunk; with
the core install, record by record. Both count the same (a property test holds them equal on
damaged logs). So does `crmculture drift LOG --culture NEW`, which decides the log again by
groups as `crmculture.log.replay` does.

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
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Literal

import attrs

from crmculture.evaluate.decision import Decision
from crmculture.log import (
    LoggedDecision,
    LogProblem,
    _arrow_available,
    _Chunked,
    _ChunkedReplay,
    _decide_logged,
    _encoded,
    _groups,
    _hints,
    _json_facts,
    _Lines,
    _logged,
    _read_chunks,
    _record,
    _Tally,
    _unlike_records,
    read_log,
)
from crmculture.model.policies import Policy, require_policy
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

    @classmethod
    def from_log(
        cls,
        path: str | os.PathLike[str],
        *,
        side: str = "current",
        policy: Policy | None = None,
    ) -> DecisionCounts:
        """The counts of a decision log, its lines that are not records among its problems
        in their places: what `add` counts for each of `crmculture.read_log`'s items.

        With the batch extra, the log is read through Arrow a chunk at a time, and records
        that count alike (the same department, culture, matched rules and directive values)
        are counted once per chunk, with their number; a line Arrow might read otherwise
        goes record by record. `policy`, when given, tells which directives are logged as
        text (Arrow would read a text that looks like a date as a timestamp).

        Examples:
            >>> import pathlib, tempfile
            >>> from crmculture.log import DecisionLog
            >>> from crmculture.stories import acme_policy
            >>> path = pathlib.Path(tempfile.mkdtemp()) / "decisions.jsonl"
            >>> with DecisionLog(path) as log:
            ...     for hold in (True, False, True):
            ...         log.write(acme_policy().compile()({"credit_hold": hold,
            ...             "days_overdue": 0, "annual_volume": 1, "tier": "gold"}, "sales"))
            >>> with path.open("a") as log:
            ...     _ = log.write("not a record\\n")
            >>> counts = DecisionCounts.from_log(path)
            >>> counts.records, counts.hits["credit-hold"], [p.line for _, p in counts.problems]
            (3, 2, [4])
        """
        return _counted(path, policy=policy).counts(side)

    def add(self, item: LoggedDecision | LogProblem | Decision) -> None:
        """Count one decision, or a line of a log that is not a record."""
        self._add(item, 1)

    def _add(self, item: LoggedDecision | LogProblem | Decision, times: int) -> None:
        """Count `times` decisions that count alike (`times` is 1 for a problem)."""
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
        self.records += times
        hits = self.hits
        for rule in set(matched):
            hits[rule] += times
        self.departments[_department(item.department)] += times
        self.cultures[culture] += times
        values = self._values
        for name, value in directives.items():
            counter = values.get(name)
            if counter is None:
                counter = values[name] = Counter()
            counter[_value_key(value)] += times

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


def _value_key(value: Any) -> tuple[type, Any]:
    """How `DecisionCounts` counts a directive's value: as it is, written as JSON once, at
    the end; the type is part of the key, so that `true` and `1` stay apart."""
    kind = type(value)
    if kind is list:
        if all(type(item) is str for item in value):
            return (tuple, tuple(value))
        return (list, _json(value))
    if kind is dict or kind is float:  # floats: -0.0 == 0.0, yet their texts differ
        return (dict, _json(value))
    return (kind, value)


def _value_text(value: Any) -> str:
    return json.dumps(json_value(value), sort_keys=True, ensure_ascii=False)


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _read(decisions: Decisions, counts: DecisionCounts, policy: Policy | None) -> None:
    if isinstance(decisions, str | os.PathLike):
        counts.update(DecisionCounts.from_log(decisions, side=counts.side, policy=policy))
        return
    for item in decisions:
        counts.add(item)


def _window(value: Any) -> str:
    """The name of the window of a record whose window field has `value`."""
    return "(none)" if value is None else str(value)


class _Counted:
    """The records of a log, each as the number of its kind (records that count alike, in
    the same window, are of one kind), in log order when `ordered`; and its lines that are
    not records, each with the number of records before it.

    Args:
        by: A kept field whose value names each record's window (part of its kind).
        ordered: Whether to keep each record's kind in log order (4 bytes a record), to cut
            windows by position; otherwise only how many records each kind has.
    """

    def __init__(self, by: str | None = None, *, ordered: bool = False) -> None:
        self.by = by
        self.kinds: dict[Any, int] = {}
        self.items: list[LoggedDecision] = []
        self.order: array[int] | None = array("i") if ordered else None
        self.tally: Counter[int] = Counter()
        self.problems: list[tuple[int, LogProblem]] = []
        self.records = 0

    def kind(self, item: LoggedDecision) -> int:
        """The number of `item`'s kind; its first record stands for it."""
        directives = tuple(sorted((n, _value_key(v)) for n, v in item.directives.items()))
        key = (
            item.department,
            str(item.culture.get("fingerprint")),
            frozenset(item.matched),
            directives,
            None if self.by is None else _window(item.keep.get(self.by)),
        )
        found = self.kinds.get(key)
        if found is None:
            found = self.kinds[key] = len(self.items)
            self.items.append(item)
        return found

    def add(self, item: LoggedDecision | LogProblem) -> None:
        """One item of a log, read record by record."""
        if isinstance(item, LogProblem):
            self.problems.append((self.records, item))
            return
        kind = self.kind(item)
        if self.order is not None:
            self.order.append(kind)
        else:
            self.tally[kind] += 1
        self.records += 1

    def extend(self, kinds: Any) -> None:
        """Records in log order, as the numbers of their kinds (numpy integers)."""
        import numpy as np

        if self.order is not None:
            self.order.frombytes(kinds.astype(np.intc).tobytes())
        elif len(kinds):
            found = np.bincount(kinds)
            present = np.flatnonzero(found)
            self.tally.update(dict(zip(present.tolist(), found[present].tolist(), strict=True)))
        self.records += len(kinds)

    def counts(
        self,
        side: str = "current",
        start: int = 0,
        stop: int | None = None,
        problems: Iterable[LogProblem] | None = None,
    ) -> DecisionCounts:
        """The counts of records `start` to `stop` (all of them by default) and of `problems`
        (all the log's by default)."""
        found = DecisionCounts(side)
        tally = self.tally if self.order is None else Counter(self.order[start:stop])
        for kind, times in sorted(tally.items()):
            found._add(self.items[kind], times)
        for problem in (p for _, p in self.problems) if problems is None else problems:
            found.add(problem)
        return found


def _counted(
    path: str | os.PathLike[str],
    *,
    policy: Policy | None = None,
    by: str | None = None,
    ordered: bool = False,
) -> _Counted:
    """A log's records by kind (see `_Counted`): read through Arrow a chunk at a time with
    the batch extra, record by record without it."""
    found = _Counted(by, ordered=ordered)
    if _arrow_available():
        _read_chunks(path, _ChunkedCounts(found, policy))
    else:
        for item in read_log(path):
            found.add(item)
    return found


class _ChunkedCounts(_Chunked[tuple[Any, Any, Any, Any]]):
    """Counts a log a chunk at a time, read through Arrow (see `crmculture.log._Chunked`).

    A chunk's records are grouped by what `DecisionCounts` counts of them, found column-wise:
    department, the culture's fingerprint, the matched rules, each directive's value (of one
    type per column; floats, whose texts Arrow does not keep, are not read so) and, for
    windows by a kept field, its value. The first record of a group is read from its own text
    and stands for the group. A record that its own route might read otherwise (see
    `crmculture.log._unlike_records`), or whose directive is null where the line might spell
    it (Arrow reads an absent one as null too), goes record by record, in its place.
    """

    def __init__(self, counted: _Counted, policy: Policy | None) -> None:
        # A window field's values are read as text (Arrow would read a date as a timestamp),
        # or, when they are not text, as Arrow reads them.
        tried = [_count_hints(policy, counted.by)]
        if counted.by is not None:
            tried.append(_count_hints(policy, None))
        super().__init__(*tried)
        self.counted = counted

    def one(self, raw: bytes, number: int) -> None:
        self.counted.add(_record(raw, number, torn=not raw.endswith(b"\n")))

    def plan(self, table: Any, lines: _Lines) -> tuple[Any, Any, Any, Any]:
        """Per row, whether it goes alone; the other rows, their groups and each group's
        first row (a position among them)."""
        import numpy as np

        count = table.num_rows
        alone = _unlike_records(table, lines)
        columns = [
            _encoded(table.column("department").combine_chunks()),
            _logged(_field(table.column("culture"), "fingerprint"), count),
            _logged(table.column("matched").combine_chunks(), count),
        ]
        directives = table.column("directives").combine_chunks()
        for field in directives.type:
            child = directives.field(field.name)
            _spelled_nulls(field.name, child, alone, lines)
            columns.append(_logged(child, count))
        if self.counted.by is not None and "keep" in table.column_names:
            columns.append(_logged(_field(table.column("keep"), self.counted.by), count))
        rows = np.flatnonzero(~alone)
        groups, first = _groups(
            [codes[rows] for codes, _ in columns], [len(values) for _, values in columns], len(rows)
        )
        return alone, rows, groups, first

    def count(self, plan: tuple[Any, Any, Any, Any], lines: _Lines) -> None:
        """Count a chunk read by `plan`: each group's first record read from its text and
        standing for the group, the rest in place."""
        import numpy as np

        alone, rows, groups, first = plan
        counted = self.counted
        kinds = np.full(len(lines), -1, dtype=np.int64)
        group_kinds = np.empty(len(first), dtype=np.int64)
        for g, k in enumerate(rows[first].tolist()):
            raw = lines.lines[k]
            item = _record(raw, lines.numbers[k], torn=not raw.endswith(b"\n"))
            # Not a record, which `_unlike_records` should have seen: its group goes alone.
            group_kinds[g] = counted.kind(item) if isinstance(item, LoggedDecision) else -1
        kinds[rows] = group_kinds[groups]
        alone[rows[group_kinds[groups] < 0]] = True
        problems = []
        for k in np.flatnonzero(alone).tolist():
            raw = lines.lines[k]
            item = _record(raw, lines.numbers[k], torn=not raw.endswith(b"\n"))
            if isinstance(item, LogProblem):
                problems.append((k, item))
            else:
                kinds[k] = counted.kind(item)
        records = kinds >= 0
        if problems:
            before: Any = np.cumsum(records) - records
            for k, problem in problems:
                counted.problems.append((counted.records + int(before[k]), problem))
        counted.extend(kinds[records])


def _field(column: Any, name: str) -> Any:
    """A struct column's field (None when it has none, or is a column of nulls)."""
    import pyarrow as pa

    column = column.combine_chunks()
    if not pa.types.is_struct(column.type) or column.type.get_field_index(name) < 0:
        return None
    return column.field(name)


def _spelled_nulls(name: str, child: Any, alone: Any, lines: _Lines) -> None:
    """Mark the rows where a directive is null and the line might spell its name: Arrow reads
    an absent directive as null too, which `DecisionCounts` does not count."""
    import numpy as np

    spelled = b'"' + name.encode("utf-8", "surrogatepass") + b'"'
    nulls = child.is_null().to_numpy(zero_copy_only=False) & ~alone
    for k in np.flatnonzero(nulls).tolist():
        raw = lines.lines[k]
        if spelled in raw or b"\\" in raw:
            alone[k] = True


def _count_hints(policy: Policy | None, by: str | None) -> Any:
    """The fields a log writes as text (Arrow would read ISO dates as timestamps): the
    policy's (see `crmculture.log._hints`), the culture's fingerprint, the matched rules'
    ids and the window field."""
    import pyarrow as pa

    fields = {
        "department": pa.string(),
        "as_of": pa.string(),
        "culture": pa.struct([pa.field("fingerprint", pa.string())]),
        "matched": pa.list_(pa.string()),
    }
    if policy is not None:
        directives = (
            _hints(policy).field("directives") if "directives" in _hints(policy).names else None
        )
        if directives is not None:
            fields["directives"] = directives.type
    if by is not None:
        fields["keep"] = pa.struct([pa.field(by, pa.string())])
    return pa.schema([pa.field(name, kind) for name, kind in fields.items()])


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
    if policy is not None:
        policy = require_policy(policy, "policy")
    before, now = DecisionCounts("baseline"), DecisionCounts("current")
    _read(baseline, before, policy)
    _read(current, now, policy)
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
    policy = require_policy(policy, "policy")
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


def _redecided(
    log: str | os.PathLike[str], policy: Policy, rejected: Counter[str] | None = None
) -> DecisionCounts:
    """The counts of `redecide` (of a log's customers decided again by `policy`), its
    rejected records counted by reason in `rejected`.

    With the batch extra, the log is read as `crmculture.log.replay` reads it: a chunk at a
    time through Arrow, records grouped by department and the rules their facts match (on
    their as-of date, for a policy that decides by the date), each group decided once and
    counted with its number; without it, record by record."""
    tally = _RedecideTally(policy)
    if _arrow_available():
        _read_chunks(log, _ChunkedRedecide(tally))
    else:
        for item in read_log(log):
            tally.add(item)
    if rejected is not None:
        rejected.update(tally.rejected)
    return tally.counts


class _RedecideTally(_Tally):
    """Counts what `policy` decides for each logged customer, instead of comparing."""

    def __init__(self, policy: Policy) -> None:
        super().__init__(policy)
        self.counts = DecisionCounts()

    def add(self, item: LoggedDecision | LogProblem) -> None:
        if isinstance(item, LogProblem):
            self.counts.add(item)
            return
        decision = _decide_logged(self.decide, self.typed, self.policy, item)
        if isinstance(decision, str):
            self.rejected[decision] += 1
            return
        self.counts.add(decision)


class _ChunkedRedecide(_ChunkedReplay):
    """The chunked replay (see `crmculture.log._ChunkedReplay`), each group's decision
    counted with the group's number of records instead of compared."""

    tally: _RedecideTally

    def count(self, plan: Any, lines: _Lines) -> None:
        import numpy as np

        tally = self.tally
        sizes = np.bincount(plan.groups, minlength=len(plan.first)).tolist()
        failed = np.zeros(len(plan.first), dtype=np.bool_)
        for g, start in enumerate(plan.rows[plan.first].tolist()):
            decision = self.decision(plan.departments[g], plan.signatures[g], plan.facts, start)
            if decision is None:
                failed[g] = True
                continue
            tally.counts._add(decision, sizes[g])
        alone = np.flatnonzero(plan.alone)
        if failed.any():
            alone = np.union1d(alone, plan.rows[failed[plan.groups]])
        for k in alone.tolist():
            raw = lines.lines[k]
            tally.add(_record(raw, lines.numbers[k], torn=not raw.endswith(b"\n")))
