"""How good the customer data is for the culture: a data-quality report; needs the batch extra.

A culture decided on incomplete or wrong data treats customers wrongly however good its rules
are. `report` looks at a customer base the way the culture will:

- **completeness**: per fact, how many customers have it;
- **invalid values**: per fact and reason (``is not one of the allowed values``, ``is below the
  minimum``, ``required fact is missing``, ...), how many customers, with example ids;
- **duplicate ids**: ids held by more than one record, with examples;
- **stale values** (given an as-of date): per fact that declares how long it stays fresh
  (`crmculture.Freshness`), how many customers hold a value older than that;
- **decision sensitivity**: for each customer decided while some optional fact was missing, or
  with a stale value of a fact, whether a value of that fact would change a directive. This
  is exact, not sampled: a policy's conditions compare facts with constants, so each fact's
  domain splits into the cells of `crmculture.analysis.cells` on which every condition
  agrees, and trying one value per cell tries them all. Each missing (or stale) fact is tried
  on its own, the others left as they are.

Examples:
    >>> import pandas as pd
    >>> from crmculture.stories import acme_policy
    >>> customers = pd.DataFrame({
    ...     "customer_id": ["c1", "c2", "c2", "c4"],
    ...     "credit_hold": [False, False, True, False],
    ...     "days_overdue": [0, 0, 0, -3],
    ...     "annual_volume": [10, 900_000, 10, 10],
    ...     "tier": ["gold", "bronze", "gold", "gold"]})
    >>> found = report(customers, acme_policy(), keep=["customer_id"], id_field="customer_id")
    >>> found.invalid[0].fact, found.invalid[0].reason, found.invalid[0].examples
    ('days_overdue', 'is below the minimum 0', ('c4',))
    >>> found.duplicates.ids, found.duplicates.examples
    (1, ('c2',))
    >>> [(s.fact, s.customers) for s in found.sensitive_facts][:1]
    [('is_reseller', 2)]
    >>> [name for name, count in found.sensitive_facts[0].directives]
    ['route_to']
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

try:
    import numpy as np
    import pandas as pd
except ImportError as error:  # pragma: no cover - exercised without the extra installed
    raise ImportError(
        "crmculture.quality needs pandas: install the extra with `pip install 'crmculture[batch]'`"
    ) from error

from crmculture.analysis.fact_space import FactSpace
from crmculture.batch.frames import FramePlan
from crmculture.errors import InvalidCustomer
from crmculture.model.policies import Policy, require_policy

__all__ = [
    "Completeness",
    "Duplicates",
    "InvalidValues",
    "QualityReport",
    "Sensitivity",
    "Staleness",
    "report",
    "report_frames",
]

EXAMPLES = 3
"""How many example ids a finding lists."""

_VALUE = re.compile(r"^`[^`]*` ")


@attrs.frozen
class Completeness:
    """How many customers have a fact.

    Attributes:
        fact: The fact.
        present: Customers with a value.
        missing: Customers without one (absent column, null, NaN or blank).
    """

    fact: str
    present: int
    missing: int

    @property
    def share(self) -> float:
        """The share of customers with a value (1.0 for no customers)."""
        total = self.present + self.missing
        return self.present / total if total else 1.0


@attrs.frozen
class InvalidValues:
    """Customers with an invalid value of one fact, for one reason.

    Attributes:
        fact: The fact (or the unknown field).
        reason: The problem without the value (``is below the minimum 0``).
        customers: How many customers.
        examples: The first few customers' ids (row numbers without an id field).
    """

    fact: str
    reason: str
    customers: int
    examples: tuple[Any, ...]


@attrs.frozen
class Duplicates:
    """Ids held by more than one record.

    Attributes:
        ids: How many ids are repeated.
        records: How many records hold a repeated id.
        examples: The first few repeated ids.
    """

    ids: int
    records: int
    examples: tuple[Any, ...]


@attrs.frozen
class Staleness:
    """Customers whose value of a fact is stale as of the report's as-of date.

    Attributes:
        fact: The fact (it declares `crmculture.Freshness`).
        since: The date fact that dates its value.
        days: How many days a value stays fresh.
        customers: Valid customers with a value of the fact older than that (or undated).
        examples: The first few such customers' ids.
    """

    fact: str
    since: str
    days: int
    customers: int
    examples: tuple[Any, ...]


@attrs.frozen
class Sensitivity:
    """Customers decided without a fact, or on a stale value of it, whose treatment a value
    of it would change.

    Attributes:
        fact: The missing or stale fact.
        missing: Decided customers without it.
        customers: Those of them (missing or stale) for whom some value would change some
            directive.
        directives: Per directive, how many of them it would change for, largest first.
        examples: The first few such customers' ids.
        stale: Decided customers with a stale value of it (counted apart from `missing`).
    """

    fact: str
    missing: int
    customers: int
    directives: tuple[tuple[str, int], ...]
    examples: tuple[Any, ...]
    stale: int = 0


@attrs.frozen
class QualityReport:
    """What `report` found; `text` reads it out, `to_dict` is its JSON.

    Attributes:
        rows: How many records were looked at (none is dropped).
        completeness: Per fact, in schema order.
        invalid: Per fact and reason, most customers first.
        invalid_records: Records with at least one invalid value.
        undecidable: Valid records the culture cannot decide (a conflict, an undecided
            directive).
        duplicates: Repeated ids (none counted without an id field).
        sensitive_facts: Per missing fact the policy consults, most customers first.
        sensitive_records: Decided customers for whom a value of some missing or stale fact
            would change some directive.
        stale: Per fact that declares its freshness, the customers with a stale value (empty
            without an as-of date).
        stale_records: Valid customers with at least one stale value.
        as_of: The date staleness (and decisions using the as-of date) was judged for.
    """

    rows: int
    completeness: tuple[Completeness, ...]
    invalid: tuple[InvalidValues, ...]
    invalid_records: int
    undecidable: int
    duplicates: Duplicates
    sensitive_facts: tuple[Sensitivity, ...]
    sensitive_records: int
    stale: tuple[Staleness, ...] = ()
    stale_records: int = 0
    as_of: dt.date | None = None

    def share(self, count: int) -> float:
        """`count` as a share of the rows (0.0 for no rows)."""
        return count / self.rows if self.rows else 0.0

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""

        def plain(value: Any) -> Any:
            return value.item() if hasattr(value, "item") else value

        return {
            "rows": self.rows,
            "completeness": [
                {"fact": c.fact, "present": c.present, "missing": c.missing}
                for c in self.completeness
            ],
            "invalid": [
                {
                    "fact": i.fact,
                    "reason": i.reason,
                    "customers": i.customers,
                    "examples": [plain(e) for e in i.examples],
                }
                for i in self.invalid
            ],
            "invalid_records": self.invalid_records,
            "undecidable": self.undecidable,
            "duplicates": {
                "ids": self.duplicates.ids,
                "records": self.duplicates.records,
                "examples": [plain(e) for e in self.duplicates.examples],
            },
            "sensitive_facts": [
                {
                    "fact": s.fact,
                    "missing": s.missing,
                    "customers": s.customers,
                    "directives": dict(s.directives),
                    "examples": [plain(e) for e in s.examples],
                    "stale": s.stale,
                }
                for s in self.sensitive_facts
            ],
            "sensitive_records": self.sensitive_records,
            "as_of": None if self.as_of is None else self.as_of.isoformat(),
            "stale": [
                {
                    "fact": s.fact,
                    "since": s.since,
                    "days": s.days,
                    "customers": s.customers,
                    "examples": [plain(e) for e in s.examples],
                }
                for s in self.stale
            ],
            "stale_records": self.stale_records,
        }

    def text(self) -> str:
        """The report for people."""
        lines = [f"{self.rows:,} customers"]
        if not self.rows and not self.invalid:
            lines[0] += ": no record to report on"
            return "\n".join(lines)
        lines.append("Completeness:")
        for c in self.completeness:
            lines.append(f"  {c.fact:<24} {c.share:7.1%} ({c.missing:,} missing)")
        share = self.share(self.invalid_records)
        lines.append(f"Invalid records: {self.invalid_records:,} ({share:.1%})")
        for i in self.invalid:
            shown = ", ".join(str(e) for e in i.examples)
            lines.append(f"  {i.fact}: {i.reason}: {i.customers:,} (e.g. {shown})")
        if self.undecidable:
            lines.append(f"Valid but not decidable: {self.undecidable:,}")
        d = self.duplicates
        lines.append(f"Duplicate ids: {d.ids:,} ids in {d.records:,} records")
        if d.examples:
            lines.append("  e.g. " + ", ".join(str(e) for e in d.examples))
        if self.as_of is not None and self.stale:
            share = self.share(self.stale_records)
            lines.append(
                f"Stale values as of {self.as_of.isoformat()}: {self.stale_records:,} records "
                f"({share:.1%})"
            )
            for t in self.stale:
                shown = ", ".join(str(e) for e in t.examples)
                lines.append(
                    f"  {t.fact}: {t.customers:,} older than {t.days:,} days by `{t.since}`"
                    + (f" (e.g. {shown})" if shown else "")
                )
        share = self.share(self.sensitive_records)
        what = "missing or stale data" if self.stale_records else "missing data"
        lines.append(f"Decided on {what} that matters: {self.sensitive_records:,} ({share:.1%})")
        for s in self.sensitive_facts:
            if not s.customers:
                continue
            parts = ", ".join(f"`{name}` {count:,}" for name, count in s.directives)
            if s.stale:
                lines.append(
                    f"  {s.customers:,} of {s.missing + s.stale:,} customers without a fresh "
                    f"`{s.fact}` would be treated differently if it were known ({parts})"
                )
            else:
                lines.append(
                    f"  {s.customers:,} of {s.missing:,} customers without `{s.fact}` would be "
                    f"treated differently if it were known ({parts})"
                )
        return "\n".join(lines)


def report(
    customers: pd.DataFrame | Iterable[Mapping[str, Any]],
    policy: Policy,
    *,
    department: str | None = None,
    keep: Sequence[str] = (),
    id_field: str | None = None,
    unreadable: Iterable[tuple[Any, str]] = (),
    as_of: dt.date | None = None,
) -> QualityReport:
    """The data-quality report of a customer base for a policy (see the module).

    Args:
        customers: A pandas DataFrame (one column per fact), or records (mappings) as they
            arrive: each is typed as `crmculture.Schema.parse` types text.
        policy: The policy (for a `crmculture.Culture`, pass ``culture.policy``).
        department: The department whose decisions count, or None.
        keep: Fields that are not facts (a customer id); any other field that is not a fact
            is an invalid value (``unknown fact``).
        id_field: The field that identifies a customer: examples name it, duplicates count
            it. Without it, examples are row numbers and no duplicate is counted.
        unreadable: Records that could not even be read (a line that is not JSON), as
            ``(where, why)``: counted among the rows and the invalid records, under the field
            ``record``.
        as_of: The day the data is judged for: values older than their fact's freshness
            (`crmculture.Freshness`) are stale, and the policy decides as of it (required when
            the policy uses the as-of date). Without it nothing is judged stale.

    Returns:
        The report; every record is counted.

    Raises:
        AsOfRequiredError: when the policy uses the as-of date and `as_of` is None.
    """
    policy = require_policy(policy, "policy")
    kept = list(keep)
    if id_field is not None and id_field not in kept:
        kept.append(id_field)
    originals: list[Mapping[str, Any]] | None = None
    if isinstance(customers, pd.DataFrame):
        frame = customers
    else:
        originals = [dict(record) for record in customers]
        frame = _frame(originals, policy, kept)
    frame = frame.reset_index(drop=True)
    rows = len(frame)
    ids = frame[id_field] if id_field is not None and id_field in frame else None

    def examples(positions: Iterable[int]) -> tuple[Any, ...]:
        chosen = list(positions)[:EXAMPLES]
        if ids is None:
            return tuple(chosen)
        return tuple(ids.iloc[chosen].tolist())

    completeness = []
    for fact in policy.schema:
        present = int(_present(frame, fact.name).sum()) if fact.name in frame else 0
        completeness.append(Completeness(fact.name, present, rows - present))

    plan = FramePlan(policy, department, as_of=as_of)
    carried = [name for name in kept if name in frame]
    run = plan.run(frame, carried)
    reasons: dict[tuple[str, str], list[int]] = {}
    invalid_rows: set[int] = set()
    undecidable = 0
    for row, failure in zip(run.rows, run.failures, strict=True):
        if isinstance(failure, InvalidCustomer):
            invalid_rows.add(row)
            if originals is not None:  # records from text: worded as intake words them
                failure = _intake_problems(policy, originals[row], kept, failure)
            for problem in failure.problems:
                name = str(problem.path[-1])
                reason = _VALUE.sub("", problem.message)
                reasons.setdefault((name, reason), []).append(row)
        else:
            undecidable += 1
    unread: dict[str, list[Any]] = {}
    for where, why in unreadable:
        unread.setdefault(why, []).append(where)
    invalid = sorted(
        (
            *(
                InvalidValues(name, reason, len(found), examples(found))
                for (name, reason), found in reasons.items()
            ),
            *(
                InvalidValues("record", why, len(found), tuple(found[:EXAMPLES]))
                for why, found in unread.items()
            ),
        ),
        key=lambda item: (-item.customers, item.fact, item.reason),
    )
    unread_count = sum(len(found) for found in unread.values())

    duplicates = Duplicates(0, 0, ())
    if ids is not None:
        counts = ids.value_counts(sort=False, dropna=True)
        repeated = counts[counts > 1]
        first = ids[ids.isin(repeated.index)].drop_duplicates()
        duplicates = Duplicates(
            len(repeated), int(repeated.sum()), tuple(first.iloc[:EXAMPLES].tolist())
        )

    failed = np.zeros(rows, dtype=np.bool_)
    if run.rows:
        failed[np.asarray(run.rows, dtype=np.int64)] = True
    stale_masks = {} if as_of is None else _stale(policy, frame, failed, as_of)
    stale = tuple(
        Staleness(
            name,
            policy.schema[name].fresh_for.since,  # type: ignore[union-attr]
            policy.schema[name].fresh_for.days,  # type: ignore[union-attr]
            int(mask.sum()),
            examples(np.flatnonzero(mask)),
        )
        for name, mask in stale_masks.items()
    )
    any_stale = np.zeros(rows, dtype=np.bool_)
    for mask in stale_masks.values():
        any_stale |= mask
    evaluated = policy if as_of is None else policy.at(as_of)
    sensitive, any_sensitive = _sensitivity(
        evaluated, plan, frame, run.decisions, failed, carried, stale_masks
    )
    sensitive_facts = tuple(
        Sensitivity(
            fact,
            missing,
            int(mask.sum()),
            tuple(directives),
            examples(np.flatnonzero(mask)),
            stale_count,
        )
        for fact, missing, mask, directives, stale_count in sensitive
    )
    return QualityReport(
        rows=rows + unread_count,
        completeness=tuple(completeness),
        invalid=tuple(invalid),
        invalid_records=len(invalid_rows) + unread_count,
        undecidable=undecidable,
        duplicates=duplicates,
        sensitive_facts=tuple(sorted(sensitive_facts, key=lambda s: (-s.customers, s.fact))),
        sensitive_records=int(any_sensitive.sum()),
        stale=stale,
        stale_records=int(any_stale.sum()),
        as_of=as_of,
    )


def _stale(policy: Policy, frame: pd.DataFrame, failed: Any, as_of: dt.date) -> dict[str, Any]:
    """Per fact that declares its freshness: the valid rows whose value of it is stale as of
    `as_of` (present, and dated before ``as_of - days`` or not dated)."""
    rows = len(frame)
    found: dict[str, Any] = {}
    for fact in policy.schema:
        fresh = fact.fresh_for
        if fresh is None:
            continue
        present = _present(frame, fact.name) if fact.name in frame else np.zeros(rows, bool)
        if fresh.since in frame:
            dates = frame[fresh.since].astype(object).to_numpy()
            old = np.fromiter(
                (
                    fresh.is_stale(day if isinstance(day, dt.date) else None, as_of)
                    for day in (_as_date(value) for value in dates)
                ),
                dtype=np.bool_,
                count=rows,
            )
        else:
            old = np.ones(rows, dtype=np.bool_)
        found[fact.name] = present & old & ~failed
    return found


def _as_date(value: Any) -> dt.date | None:
    """A date column's cell as a date (pandas timestamps included), None when missing."""
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value).date() if not np.isnat(value) else None
    return None


def _frame(records: Iterable[Mapping[str, Any]], policy: Policy, kept: list[str]) -> pd.DataFrame:
    """Records as a frame, each typed by intake where it converts; a record that does not
    convert keeps its values, for the columnar check to report (nothing is dropped)."""
    from crmculture.io.records import typed_customer

    typed = [typed_customer(policy.schema, dict(record)) for record in records]
    names = [fact.name for fact in policy.schema]
    extra = sorted({key for record in typed for key in record} - set(names))
    columns = [name for name in names if any(name in r for r in typed)] + extra
    data = {name: pd.array([r.get(name) for r in typed], dtype=object) for name in columns}
    return pd.DataFrame(data, index=pd.RangeIndex(len(typed)))


def _intake_problems(
    policy: Policy, record: Mapping[str, Any], kept: list[str], found: InvalidCustomer
) -> InvalidCustomer:
    try:
        policy.schema.parse(record, keep=kept)
    except InvalidCustomer as parsed:
        return parsed
    return found


def _present(frame: pd.DataFrame, name: str) -> Any:
    column = frame[name]
    present = column.notna().to_numpy(dtype=np.bool_, copy=True)
    if column.dtype == object or pd.api.types.is_string_dtype(column.dtype):
        text = column.map(lambda v: v if isinstance(v, str) else None, na_action="ignore")
        blank = text.astype("string").str.strip().eq("").fillna(False)
        present &= ~blank.to_numpy(dtype=np.bool_)
    return present


def _sensitivity(
    policy: Policy,
    plan: FramePlan,
    frame: pd.DataFrame,
    decisions: pd.DataFrame,
    failed: Any,
    carried: list[str],
    stale: Mapping[str, Any],
) -> tuple[list[tuple[str, int, Any, list[tuple[str, int]], int]], Any]:
    """Per fact the policy consults that is optional or has stale values: the decided
    customers without it (and with a stale value of it), and those for whom a value of one of
    its cells changes a directive. `policy` is the policy as it decides (resolved for the
    as-of date)."""
    import pyarrow as pa

    rows = len(frame)
    space = FactSpace(policy.schema, [rule.when for rule in policy.effective_rules])
    names = [d.name for d in policy.directives]
    facts = [name for name in policy.schema.names if name in frame]
    found = []
    any_sensitive = np.zeros(rows, dtype=np.bool_)
    for fact, dimension in zip(policy.schema, space.dimensions, strict=True):
        old = stale.get(fact.name)
        if not space.atoms[fact.name] or (not fact.optional and (old is None or not old.any())):
            continue
        missing = np.zeros(rows, dtype=np.bool_)
        if fact.optional:
            missing = ~_present(frame, fact.name) if fact.name in frame else np.ones(rows, bool)
            missing &= ~failed
        unknown = missing if old is None else missing | old
        positions = np.flatnonzero(unknown)
        changed = np.zeros(rows, dtype=np.bool_)
        per_directive = dict.fromkeys(names, 0)
        if len(positions):
            subset = frame.iloc[positions][[n for n in facts if n != fact.name]]
            table = pa.Table.from_pandas(subset, preserve_index=False)
            base = decisions.iloc[positions]
            hits = {name: np.zeros(len(positions), dtype=np.bool_) for name in names}
            for cell in dimension.cells:
                if cell.missing:
                    continue
                values = pa.array([cell.value] * len(positions))
                trial = (
                    table.append_column(fact.name, values)
                    if table.num_columns
                    else pa.table({fact.name: values})
                )
                result = plan.run(trial)
                for name in names:
                    hits[name] |= _differs(result.decisions[name], base[name])
                if result.rows:  # a value that makes the customer undecidable changes it too
                    bad = np.asarray(result.rows, dtype=np.int64)
                    for name in names:
                        hits[name][bad] = True
            for name in names:
                per_directive[name] = int(hits[name].sum())
                changed[positions[hits[name]]] = True
        any_sensitive |= changed
        directives = sorted(
            ((name, count) for name, count in per_directive.items() if count),
            key=lambda item: (-item[1], item[0]),
        )
        stale_count = 0 if old is None else int(old.sum())
        found.append((fact.name, int(missing.sum()), changed, directives, stale_count))
    return found, any_sensitive


def _differs(new: pd.Series, old: pd.Series) -> Any:
    """Where two decision columns disagree (a missing value equals only a missing value)."""
    left = new.astype(object).to_numpy()
    right = old.astype(object).to_numpy()
    left_missing = pd.isna(new).to_numpy(dtype=np.bool_)
    right_missing = pd.isna(old).to_numpy(dtype=np.bool_)
    both = ~left_missing & ~right_missing
    unequal = np.zeros(len(left), dtype=np.bool_)
    # Object arrays compare element by element, tuples (``collect`` values) included.
    unequal[both] = left[both] != right[both]
    return (left_missing != right_missing) | unequal


_ROW = "#row"
"""The column that numbers rows across chunks when there is no id field (not a fact name)."""


def report_frames(
    frames: Iterable[pd.DataFrame],
    policy: Policy,
    *,
    department: str | None = None,
    keep: Sequence[str] = (),
    id_field: str | None = None,
    as_of: dt.date | None = None,
) -> QualityReport:
    """`report` over a customer base that comes in frames (the row groups of a Parquet file):
    the same report as for the frames put together, with memory bounded by one frame and the
    ids.

    Examples:
        >>> import pandas as pd
        >>> from crmculture.stories import acme_policy
        >>> rows = pd.DataFrame({"customer_id": ["a", "b", "a"], "credit_hold": [False] * 3,
        ...                      "days_overdue": [0, -1, 0], "annual_volume": [1, 2, 3],
        ...                      "tier": ["gold"] * 3})
        >>> parts = [rows.iloc[:2], rows.iloc[2:]]
        >>> found = report_frames(parts, acme_policy(), id_field="customer_id")
        >>> found == report(rows, acme_policy(), id_field="customer_id")
        True
        >>> found.duplicates
        Duplicates(ids=1, records=2, examples=('a',))
    """
    policy = require_policy(policy, "policy")
    kept = [name for name in keep if name != id_field]
    numbered = id_field is None
    key = _ROW if numbered else id_field
    parts: list[QualityReport] = []
    seen: Counter[Any] = Counter()
    start = 0
    for frame in frames:
        if numbered:
            frame = frame.assign(**{_ROW: np.arange(start, start + len(frame))})
        start += len(frame)
        if key in frame:
            ids = frame[key]
            seen.update(ids[ids.notna()].tolist())
        parts.append(
            report(frame, policy, department=department, keep=kept, id_field=key, as_of=as_of)
        )
    duplicates = Duplicates(0, 0, ())
    if not numbered:
        repeated = [(name, count) for name, count in seen.items() if count > 1]
        duplicates = Duplicates(
            len(repeated),
            sum(count for _, count in repeated),
            tuple(name for name, _ in repeated[:EXAMPLES]),
        )
    if not parts:
        return report(pd.DataFrame(), policy, department=department, keep=kept, as_of=as_of)
    return _merged(parts, duplicates, policy)


def _merged(parts: list[QualityReport], duplicates: Duplicates, policy: Policy) -> QualityReport:
    """One report from the reports of consecutive chunks (duplicates counted across them)."""
    present: Counter[str] = Counter()
    missing: Counter[str] = Counter()
    for part in parts:
        for item in part.completeness:
            present[item.fact] += item.present
            missing[item.fact] += item.missing
    invalid: dict[tuple[str, str], tuple[int, tuple[Any, ...]]] = {}
    for part in parts:
        for value in part.invalid:
            count, examples = invalid.get((value.fact, value.reason), (0, ()))
            invalid[value.fact, value.reason] = (
                count + value.customers,
                (examples + value.examples)[:EXAMPLES],
            )
    stale: dict[str, Staleness] = {}
    for part in parts:
        for aged in part.stale:
            before = stale.get(aged.fact)
            stale[aged.fact] = (
                aged
                if before is None
                else attrs.evolve(
                    before,
                    customers=before.customers + aged.customers,
                    examples=(before.examples + aged.examples)[:EXAMPLES],
                )
            )
    sensitive: dict[str, Sensitivity] = {}
    for part in parts:
        for found in part.sensitive_facts:
            earlier = sensitive.get(found.fact)
            if earlier is None:
                sensitive[found.fact] = found
                continue
            directives = Counter(dict(earlier.directives))
            directives.update(dict(found.directives))
            sensitive[found.fact] = Sensitivity(
                found.fact,
                earlier.missing + found.missing,
                earlier.customers + found.customers,
                tuple(sorted(directives.items(), key=lambda item: (-item[1], item[0]))),
                (earlier.examples + found.examples)[:EXAMPLES],
                earlier.stale + found.stale,
            )
    return QualityReport(
        rows=sum(part.rows for part in parts),
        completeness=tuple(
            Completeness(fact.name, present[fact.name], missing[fact.name])
            for fact in policy.schema
        ),
        invalid=tuple(
            sorted(
                (
                    InvalidValues(fact, reason, count, examples)
                    for (fact, reason), (count, examples) in invalid.items()
                ),
                key=lambda item: (-item.customers, item.fact, item.reason),
            )
        ),
        invalid_records=sum(part.invalid_records for part in parts),
        undecidable=sum(part.undecidable for part in parts),
        duplicates=duplicates,
        sensitive_facts=tuple(sorted(sensitive.values(), key=lambda s: (-s.customers, s.fact))),
        sensitive_records=sum(part.sensitive_records for part in parts),
        stale=tuple(stale[name] for name in sorted(stale, key=_order(policy))),
        stale_records=sum(part.stale_records for part in parts),
        as_of=parts[0].as_of,
    )


def _order(policy: Policy) -> Any:
    names = list(policy.schema.names)
    return names.index
