"""A change review: what a new version of a culture changes, for whom, and what it breaks.

`review` puts together what a reviewer of a pull request to a culture wants on one page:

- the exact changed regions of `crmculture.analysis.diff` (who is treated differently, and
  how), each with the number of *real* customers in it when a customer base is given;
- how each promise fares before and after (proven, broken, unproven, or not stated);
- with a decision log, how many logged decisions the new version changes
  (`crmculture.log.replay`).

`ChangeReview.markdown` writes it as Markdown for a pull request comment;
`ChangeReview.text` for a terminal, `ChangeReview.to_dict` as JSON data.

Counting customers is exact: each customer is decided by both versions, in each department
context the diff compares (or the one asked for), and a customer is affected when some
directive differs; the region it falls in is then looked up. A customer the search's regions
do not hold (only possible when the diff is incomplete) is counted apart, never dropped.

Examples:
    >>> from crmculture import F, Rule
    >>> from crmculture.stories import acme_policy
    >>> old = acme_policy()
    >>> import attrs
    >>> new = attrs.evolve(old.with_rules(Rule("volume-discount", F.annual_volume >= 250_000,
    ...                                        {"discount_pct": 8})), version="2026.12")
    >>> customers = [{"credit_hold": False, "days_overdue": 0, "annual_volume": v,
    ...               "tier": "silver"} for v in (10, 300_000, 400_000)]
    >>> found = review(old, new, customers=customers, department="sales")
    >>> found.affected, found.customers
    (2, 3)
    >>> print(found.markdown().splitlines()[0])
    # Culture change: acme 2026.11 → acme 2026.12
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import attrs

from crmculture.analysis.diff import DiffRegion, PolicyDiff, diff
from crmculture.analysis.verifier import check_promises
from crmculture.errors import CrmCultureError, InvalidCustomer
from crmculture.evaluate.compiler import CompiledPolicy
from crmculture.log import LoggedDecision, LogProblem, ReplayReport, replay
from crmculture.model.policies import Policy
from crmculture.model.values import json_value

__all__ = ["ChangeReview", "PromiseChange", "review"]

PromiseStatus = Literal["proven", "broken", "unproven", "not stated"]


@attrs.frozen
class PromiseChange:
    """How one promise fares in the old and in the new version."""

    promise: str
    old: PromiseStatus
    new: PromiseStatus

    @property
    def worse(self) -> bool:
        """Whether the new version keeps it less surely than the old one."""
        rank = {"proven": 0, "not stated": 1, "unproven": 2, "broken": 3}
        return self.new != "not stated" and rank[self.new] > rank[self.old]


@attrs.frozen
class ChangeReview:
    """What `review` found (see the module).

    Attributes:
        diff: The exact change: regions, directives added and removed, coverage.
        promises: Each promise of either version, by id.
        customers: Customers counted (None without a customer base).
        affected: Of those, how many some region holds or some directive changes for.
        per_region: Customers in each region of `diff.regions`, in the same order.
        outside: Changed customers no reported region holds (an incomplete diff).
        rejected: Customers that could not be decided, by reason.
        replayed: The replay of the decision log, when one was given.
    """

    diff: PolicyDiff
    promises: tuple[PromiseChange, ...]
    customers: int | None = None
    affected: int | None = None
    per_region: tuple[int, ...] = ()
    outside: int = 0
    rejected: tuple[tuple[str, int], ...] = ()
    replayed: ReplayReport | None = None

    @property
    def changes_anything(self) -> bool:
        """Whether some customer may be treated differently, or some promise fares worse."""
        return not self.diff.is_empty or any(change.worse for change in self.promises)

    def to_dict(self) -> dict[str, Any]:
        """The review as JSON-ready data."""
        regions = []
        for index, region in enumerate(self.diff.regions):
            entry: dict[str, Any] = {
                "when": str(region.condition),
                "departments": list(region.departments),
                "changes": [
                    {
                        "directive": change.directive,
                        "old": _shown(change.old),
                        "new": _shown(change.new),
                    }
                    for change in region.changes
                ],
                "example": json_value(region.record),
            }
            if self.per_region:
                entry["customers"] = self.per_region[index]
            regions.append(entry)
        document: dict[str, Any] = {
            "old": self.diff.old,
            "new": self.diff.new,
            "complete": self.diff.complete,
            "coverage": str(self.diff.coverage),
            "regions": regions,
            "added_directives": list(self.diff.added_directives),
            "removed_directives": list(self.diff.removed_directives),
            "promises": [
                {"promise": p.promise, "old": p.old, "new": p.new, "worse": p.worse}
                for p in self.promises
            ],
        }
        if self.customers is not None:
            document["customers"] = {
                "counted": self.customers,
                "affected": self.affected,
                "outside_regions": self.outside,
                "rejected": dict(self.rejected),
            }
        if self.replayed is not None:
            document["replay"] = self.replayed.to_dict()
        return document

    def text(self) -> str:
        """The review for a terminal."""
        lines = [str(self.diff)]
        if self.per_region:
            lines.append("Customers per region:")
            for number, count in zip(_numbers(self.diff), self.per_region, strict=True):
                lines.append(f"  region {number}: {count:,}")
        lines.extend(self._summary())
        for change in self.promises:
            mark = "  (WORSE)" if change.worse else ""
            lines.append(f"promise {change.promise}: {change.old} -> {change.new}{mark}")
        return "\n".join(lines)

    def _summary(self) -> list[str]:
        lines = []
        if self.customers is not None:
            lines.append(f"{self.affected:,} of {self.customers:,} customers affected")
            if self.outside:
                lines.append(
                    f"{self.outside:,} changed customers are outside the reported regions "
                    "(the search was incomplete)"
                )
            for reason, count in self.rejected:
                lines.append(f"Not decidable: {count:,}: {reason}")
        if self.replayed is not None:
            lines.append(
                f"{self.replayed.changed:,} of {self.replayed.records:,} logged decisions "
                "would change"
            )
        return lines

    def markdown(self) -> str:
        """The review as Markdown, for a pull request comment."""
        d = self.diff
        lines = [f"# Culture change: {d.old} → {d.new}", ""]
        state = "complete search" if d.complete else f"**incomplete search**: {d.coverage}"
        lines.append(f"**{len(d.regions)} changed regions** ({state}).")
        lines.extend(f"{line}." for line in self._summary())
        lines.append("")
        if d.regions:
            lines.append("## Who is treated differently")
            lines.append("")
            header = "| # | when | departments | changes | example |"
            rule = "|---|---|---|---|---|"
            if self.per_region:
                header = "| # | customers | when | departments | changes | example |"
                rule = "|---|---:|---|---|---|---|"
            lines.extend((header, rule))
            for number, region in zip(_numbers(d), d.regions, strict=True):
                cells = [str(number)]
                if self.per_region:
                    cells.append(f"{self.per_region[number - 1]:,}")
                cells.extend(
                    (
                        f"`{region.condition}`",
                        ", ".join("(none)" if x is None else x for x in region.departments),
                        "<br>".join(_escape(str(change)) for change in region.changes),
                        _escape(_example(region)),
                    )
                )
                lines.append("| " + " | ".join(cells) + " |")
            lines.append("")
        if d.added_directives or d.removed_directives:
            lines.append("## Directives")
            lines.append("")
            lines.extend(f"- added: `{name}`" for name in d.added_directives)
            lines.extend(f"- removed: `{name}`" for name in d.removed_directives)
            lines.append("")
        if self.promises:
            lines.extend(("## Promises", "", "| promise | before | after |", "|---|---|---|"))
            for change in self.promises:
                after = f"**{change.new}** ⚠" if change.worse else change.new
                lines.append(f"| `{change.promise}` | {change.old} | {after} |")
            lines.append("")
        if self.replayed is not None and self.replayed.transitions:
            lines.extend(
                ("## Logged decisions that would change", "", "| directive | old | new | count |")
            )
            lines.append("|---|---|---|---:|")
            for directive, old, new, count in self.replayed.transitions:
                lines.append(f"| `{directive}` | `{old}` | `{new}` | {count:,} |")
            lines.append("")
        return "\n".join(lines)


def _numbers(d: PolicyDiff) -> range:
    return range(1, len(d.regions) + 1)


def _shown(value: Any) -> Any:
    return json_value(value) if isinstance(value, str | int | float | bool | tuple) else str(value)


def _example(region: DiffRegion) -> str:
    """The region's example customer, by the facts its condition names."""
    named = set(region.condition.facts())
    facts = ", ".join(
        f"{name}={json_value(value)}" for name, value in region.customer if name in named
    )
    where = "" if region.department is None else f" in {region.department}"
    return f"{facts}{where}"


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def _statuses(policy: Policy) -> dict[str, PromiseStatus]:
    if not policy.promises:
        return {}
    report = check_promises(policy)
    broken = {getattr(f, "promise", "") for f in report.findings if f.kind == "broken_promise"}
    unproven = {getattr(f, "promise", "") for f in report.findings if f.kind == "unproven_promise"}
    statuses: dict[str, PromiseStatus] = {}
    for promise in policy.promises:
        if promise.id in broken:
            statuses[promise.id] = "broken"
        elif promise.id in unproven:
            statuses[promise.id] = "unproven"
        else:
            statuses[promise.id] = "proven"
    return statuses


def review(
    old: Policy,
    new: Policy,
    *,
    customers: Iterable[Mapping[str, Any]] | None = None,
    department: str | None = None,
    departments: Iterable[str | None] | None = None,
    log: str | os.PathLike[str] | Iterable[LoggedDecision | LogProblem] | None = None,
    as_of: dt.date | None = None,
) -> ChangeReview:
    """Review the change from `old` to `new` (see the module).

    Args:
        old: The version in force.
        new: The proposed version.
        customers: A customer base (typed records, as `crmculture.Schema.parse` gives them) to
            count per region.
        department: Count customers as asking this department only.
        departments: Count customers in these department contexts (default: every context
            the diff compares; ignored with `department`).
        log: A decision log to replay against `new` (each record as of its logged date).
        as_of: The day to compare the versions on, for cultures that use the as-of date or
            effective dates (`crmculture.Policy.at`); customers are decided as of it too.

    Raises:
        AnalysisError: when the two versions have different schemas.
        AsOfRequiredError: when a version uses the as-of date and `as_of` is not given.
    """
    found = diff(old, new, as_of=as_of)
    replayed = replay(log, new) if log is not None else None
    if as_of is not None:
        old, new = old.at(as_of), new.at(as_of)
    before, after = _statuses(old), _statuses(new)
    promises = tuple(
        PromiseChange(name, before.get(name, "not stated"), after.get(name, "not stated"))
        for name in sorted(set(before) | set(after))
    )
    if customers is None:
        return ChangeReview(diff=found, promises=promises, replayed=replayed)
    contexts: tuple[str | None, ...]
    if department is not None:
        contexts = (department,)
    elif departments is not None:
        contexts = tuple(departments)
    else:
        contexts = found.departments
    counts = _count(found, old, new, customers, contexts)
    return ChangeReview(
        diff=found,
        promises=promises,
        customers=counts.customers,
        affected=counts.affected,
        per_region=tuple(counts.per_region[index] for index in range(len(found.regions))),
        outside=counts.outside,
        rejected=tuple(sorted(counts.rejected.items(), key=lambda i: (-i[1], i[0]))),
        replayed=replayed,
    )


class _Counts:
    def __init__(self) -> None:
        self.customers = self.affected = self.outside = 0
        self.per_region: Counter[int] = Counter()
        self.rejected: Counter[str] = Counter()


def _count(
    found: PolicyDiff,
    old: Policy,
    new: Policy,
    customers: Iterable[Mapping[str, Any]],
    contexts: tuple[str | None, ...],
) -> _Counts:
    decide_old, decide_new = old.compile(), new.compile()
    shared = [d.name for d in old.directives if d.name in {n.name for n in new.directives}]
    index = {id(region): n for n, region in enumerate(found.regions)}
    counts = _Counts()
    for customer in customers:
        counts.customers += 1
        try:
            facts = old.schema.validate(customer)
        except InvalidCustomer as error:
            first = error.problems[0]
            counts.rejected[f"invalid customer: {first.path_text}: {first.message}"] += 1
            continue
        regions: set[int] = set()
        changed = False
        for context in contexts:
            if _outcome(decide_old, facts, context, shared) == _outcome(
                decide_new, facts, context, shared
            ):
                continue
            changed = True
            region = found.region_of(facts, context)
            if region is not None:
                regions.add(index[id(region)])
        if changed:
            counts.affected += 1
            if not regions:
                counts.outside += 1
        counts.per_region.update(regions)
    return counts


def _outcome(
    decide: CompiledPolicy, facts: Mapping[str, Any], context: str | None, names: list[str]
) -> Any:
    """The values of the directives `names`, or the kind of error deciding raised."""
    try:
        directives = decide(facts, context).directives
    except CrmCultureError as error:
        return type(error).__name__
    return tuple(directives[name] for name in names)
