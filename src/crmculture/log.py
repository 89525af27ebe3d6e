"""Decision logs: what the culture decided, one JSON line per decision, and replaying them.

A log record holds everything needed to say later what was decided and why, and to ask what
another version of the culture would decide instead::

    {"culture": {"fingerprint": "…", "name": "acme", "version": "2026.11"},
     "department": "sales", "directives": {…}, "facts": {…}, "fingerprint": "…",
     "keep": {"customer_id": "c7"}, "log": 1, "matched": ["best-customers"]}

(on one line, keys sorted, UTF-8): the culture's name, version and fingerprint, the
department, the customer's facts as the decision used them (absent optional facts as their
default or null), the directives, the rules that matched, the decision's fingerprint, the kept
fields (a customer id) and the format's version (``"log": 1``).

`DecisionLog` appends records to a file. Each record is written whole, with one write, and
flushed: a writer killed mid-write leaves every complete record readable, and a writer opening
a log whose last line was torn ends that line first, so that the next record is not glued to
it. `read_log` reads the records back, and reports a line it cannot read, a torn last line
included, as a `LogProblem` in place instead of failing. `replay` decides every logged
customer again with another policy and says who would be treated differently.

Examples:
    >>> import pathlib, tempfile
    >>> from crmculture.stories import acme_policy
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "decisions.jsonl"
    >>> decide = acme_policy().compile()
    >>> with DecisionLog(path) as log:
    ...     log.write(decide({"credit_hold": False, "days_overdue": 0,
    ...                       "annual_volume": 9000, "tier": "gold"}, "sales"),
    ...               keep={"customer_id": "c7"})
    >>> [record.keep for record in read_log(path)]
    [{'customer_id': 'c7'}]
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

import attrs

from crmculture.errors import CrmCultureError, InvalidCustomer
from crmculture.evaluate.decision import Decision
from crmculture.evaluate.decision_text import decision_text, dumps
from crmculture.model.policies import Policy
from crmculture.model.values import json_value

__all__ = [
    "FORMAT",
    "DecisionLog",
    "LogProblem",
    "LoggedDecision",
    "ReplayReport",
    "log_record",
    "read_log",
    "replay",
]

FORMAT = 1
"""The version of the log record format (the ``"log"`` key of every record)."""

_SURROGATE = re.compile("[\ud800-\udfff]")
_KEYS = ("culture", "department", "directives", "facts", "fingerprint", "matched")


def log_record(decision: Decision, keep: Mapping[str, Any] | None = None) -> str:
    """One decision's log record: a line of JSON ending with a newline.

    Examples:
        >>> from crmculture.stories import acme_policy
        >>> d = acme_policy().compile()({"credit_hold": True, "days_overdue": 0,
        ...                              "annual_volume": 1, "tier": "gold"})
        >>> sorted(json.loads(log_record(d)))
        ['culture', 'department', 'directives', 'facts', 'fingerprint', 'keep', 'log', 'matched']
    """
    texts = decision_text(decision.policy)
    parts = texts.parts(decision)
    kept = json.dumps(json_value(dict(keep or {})), sort_keys=True, ensure_ascii=False)
    if parts is not None and not _SURROGATE.search(kept):
        customer, _, where, directives, _, matched = parts
        return "".join(
            (
                '{"culture": ',
                texts.policy_text,
                ', "department": ',
                where,
                ', "directives": ',
                directives,
                ', "facts": ',
                customer,
                ', "fingerprint": "',
                decision.fingerprint,
                '", "keep": ',
                kept,
                f', "log": {FORMAT}, "matched": ',
                matched,
                "}\n",
            )
        )
    whole = decision.to_dict()
    record = {
        "culture": whole["policy"],
        "department": whole["department"],
        "directives": whole["directives"],
        "facts": whole["customer"],
        "fingerprint": whole["fingerprint"],
        "keep": json_value(dict(keep or {})),
        "log": FORMAT,
        "matched": whole["matched"],
    }
    return dumps(record)


class DecisionLog:
    """Appends decisions to a log file (see the module); use it as a context manager.

    Args:
        path: The log file; created when it does not exist, appended to when it does.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._fd: int | None = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self.written = 0
        if _ends_torn(self.path):
            os.write(self._fd, b"\n")

    def write(self, decision: Decision, keep: Mapping[str, Any] | None = None) -> None:
        """Append one decision, whole, with one write."""
        self.write_text(log_record(decision, keep))

    def write_text(self, record: str) -> None:
        """Append a record made by `log_record`."""
        if self._fd is None:
            raise ValueError("the decision log is closed")
        data = record.encode("utf-8")
        written = os.write(self._fd, data)
        while written < len(data):  # a short write, as on a full pipe: write the rest
            written += os.write(self._fd, data[written:])
        self.written += 1

    def close(self) -> None:
        """Close the file; every record written is in it."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> DecisionLog:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _ends_torn(path: Path) -> bool:
    """Whether the file's last line lacks its newline."""
    try:
        size = path.stat().st_size
    except OSError:
        return False
    if size == 0:
        return False
    with path.open("rb") as handle:
        handle.seek(size - 1)
        return handle.read(1) != b"\n"


@attrs.frozen
class LoggedDecision:
    """One record of a decision log.

    Attributes:
        line: Its line in the log.
        culture: The deciding culture's ``name``, ``version`` and ``fingerprint``.
        department: The department that asked, or None.
        facts: The customer's facts as the decision used them.
        directives: The directives, as JSON values.
        matched: The ids of the rules that matched.
        fingerprint: The decision's fingerprint.
        keep: The kept fields (a customer id).
    """

    line: int
    culture: Mapping[str, Any]
    department: str | None
    facts: Mapping[str, Any]
    directives: Mapping[str, Any]
    matched: tuple[str, ...]
    fingerprint: str
    keep: Mapping[str, Any]


@attrs.frozen
class LogProblem:
    """A line of a log that is not a record.

    Attributes:
        line: The line.
        message: Why (``torn last line``, ``not JSON: …``, ``missing key `facts```).
        torn: Whether it is a last line cut short (a writer stopped mid-write).
    """

    line: int
    message: str
    torn: bool = False


def read_log(path: str | os.PathLike[str]) -> Iterator[LoggedDecision | LogProblem]:
    """The records of a decision log, in order; a line that is not one is a `LogProblem`
    in its place. Memory does not grow with the log."""
    with open(path, "rb") as handle:
        number = 0
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            yield _record(raw, number, torn=not raw.endswith(b"\n"))


def _record(raw: bytes, number: int, *, torn: bool) -> LoggedDecision | LogProblem:
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError) as error:
        if torn:
            return LogProblem(number, "torn last line: the writer stopped mid-record", torn=True)
        return LogProblem(number, f"not JSON: {error}")
    if not isinstance(document, dict):
        return LogProblem(number, "a log record is a JSON object")
    if document.get("log") != FORMAT:
        return LogProblem(number, f"not a crmculture decision log record (format {FORMAT})")
    missing = [key for key in _KEYS if key not in document]
    if missing:
        return LogProblem(number, f"missing key `{missing[0]}`")
    return LoggedDecision(
        line=number,
        culture=document["culture"],
        department=document["department"],
        facts=document["facts"],
        directives=document["directives"],
        matched=tuple(document["matched"]),
        fingerprint=document["fingerprint"],
        keep=document.get("keep") or {},
    )


# -- replay ---------------------------------------------------------------------------------


@attrs.frozen
class ReplayReport:
    """What `replay` found.

    Attributes:
        records: Logged decisions replayed.
        changed: Those the policy decides differently.
        transitions: Per directive, ``(old value, new value)`` as JSON text, with counts, most
            frequent first.
        by_directive: Per directive, how many decisions it changed in.
        by_department: Per department (``None`` for none), how many changed.
        by_rule: Per rule that now determines a changed directive (``default`` when none
            does), how many changes.
        examples: The first few changed records: ``(line, kept fields)``.
        rejected: Records the policy cannot decide (its schema rejects the logged facts, the
            department is gone, a conflict), by reason, with counts.
        problems: Lines of the log that are not records.
    """

    records: int
    changed: int
    transitions: tuple[tuple[str, str, str, int], ...]
    by_directive: tuple[tuple[str, int], ...]
    by_department: tuple[tuple[str | None, int], ...]
    by_rule: tuple[tuple[str, int], ...]
    examples: tuple[tuple[int, Mapping[str, Any]], ...]
    rejected: tuple[tuple[str, int], ...]
    problems: tuple[LogProblem, ...]

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "records": self.records,
            "changed": self.changed,
            "transitions": [
                {"directive": d, "old": json.loads(old), "new": json.loads(new), "count": count}
                for d, old, new, count in self.transitions
            ],
            "by_directive": dict(self.by_directive),
            "by_department": [{"department": d, "count": c} for d, c in self.by_department],
            "by_rule": dict(self.by_rule),
            "examples": [{"line": line, "keep": dict(keep)} for line, keep in self.examples],
            "rejected": dict(self.rejected),
            "problems": [
                {"line": p.line, "message": p.message, "torn": p.torn} for p in self.problems
            ],
        }

    def text(self) -> str:
        """The report for people."""
        lines = [f"{self.changed:,} of {self.records:,} logged decisions would change"]
        for directive, old, new, count in self.transitions:
            lines.append(f"  {directive}: {old} -> {new}: {count:,}")
        if self.by_department:
            lines.append(
                "By department: "
                + ", ".join(f"{d or '(none)'} {c:,}" for d, c in self.by_department)
            )
        if self.by_rule:
            lines.append("By deciding rule: " + ", ".join(f"{r} {c:,}" for r, c in self.by_rule))
        for reason, count in self.rejected:
            lines.append(f"Not decidable by this culture: {count:,}: {reason}")
        for problem in self.problems:
            lines.append(f"Log line {problem.line}: {problem.message}")
        return "\n".join(lines)


EXAMPLES = 5
"""How many changed records a replay report lists."""


def replay(
    log: str | os.PathLike[str] | Iterable[LoggedDecision | LogProblem], policy: Policy
) -> ReplayReport:
    """Decide every logged customer again with `policy`, for the logged department; report
    every decision that changes (old → new per directive), with counts.

    Examples:
        >>> import pathlib, tempfile
        >>> from crmculture import Rule, F
        >>> from crmculture.stories import acme_policy
        >>> old = acme_policy()
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "decisions.jsonl"
        >>> with DecisionLog(path) as log:
        ...     for volume in (10, 300_000):
        ...         log.write(old.compile()({"credit_hold": False, "days_overdue": 0,
        ...                                  "annual_volume": volume, "tier": "silver"}))
        >>> new = old.with_rules(Rule("volume-discount", F.annual_volume >= 250_000,
        ...                          {"discount_pct": 8}))
        >>> found = replay(path, new)
        >>> found.changed, found.transitions, found.by_rule
        (1, (('discount_pct', '5', '8', 1),), (('volume-discount', 1),))
    """
    items = read_log(log) if isinstance(log, str | os.PathLike) else log
    decide = policy.compile()
    schema = policy.schema
    typed = _json_facts(policy)
    records = changed = 0
    transitions: Counter[tuple[str, str, str]] = Counter()
    by_directive: Counter[str] = Counter()
    by_department: Counter[str | None] = Counter()
    by_rule: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    examples: list[tuple[int, Mapping[str, Any]]] = []
    problems: list[LogProblem] = []
    values: dict[Any, Any] = {}
    for item in items:
        if isinstance(item, LogProblem):
            problems.append(item)
            continue
        records += 1
        try:
            try:
                decision = decide(typed(item.facts), item.department)
            except InvalidCustomer:
                decision = decide(schema.parse(item.facts), item.department)
        except InvalidCustomer as error:
            first = error.problems[0]
            rejected[f"invalid facts: {first.path_text}: {first.message}"] += 1
            continue
        except CrmCultureError as error:
            rejected[str(error).splitlines()[0]] += 1
            continue
        logged = item.directives
        differences = []
        for name, value in decision.directives.items():
            key = (name, value)
            try:
                plain = values[key]
            except (KeyError, TypeError):
                plain = json_value(value)
                if len(values) < 4096:
                    with contextlib.suppress(TypeError):  # an unhashable value
                        values[key] = plain
            old = logged.get(name)
            if not _same(old, plain):
                differences.append((name, _text(old), _text(plain)))
        if not differences:
            continue
        changed += 1
        by_department[item.department] += 1
        if len(examples) < EXAMPLES:
            examples.append((item.line, item.keep))
        outcomes = decision.outcomes
        for name, old, text in differences:
            transitions[(name, old, text)] += 1
            by_directive[name] += 1
            deciding = outcomes[name].determined_by or ("default",)
            for rule in deciding:
                by_rule[rule] += 1
    return ReplayReport(
        records=records,
        changed=changed,
        transitions=tuple(
            (name, old, new, count)
            for (name, old, new), count in sorted(
                transitions.items(), key=lambda item: (-item[1], item[0])
            )
        ),
        by_directive=tuple(sorted(by_directive.items(), key=lambda i: (-i[1], i[0]))),
        by_department=tuple(sorted(by_department.items(), key=lambda i: (-i[1], i[0] or ""))),
        by_rule=tuple(sorted(by_rule.items(), key=lambda i: (-i[1], i[0]))),
        examples=tuple(examples),
        rejected=tuple(sorted(rejected.items(), key=lambda i: (-i[1], i[0]))),
        problems=tuple(problems),
    )


def _json_facts(policy: Policy) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """Logged facts (JSON values) as the compiled evaluator takes them: decimals and dates
    are written as text, everything else as it is. A value this does not read is left for
    `crmculture.Schema.parse` to word."""
    decimals = [fact.name for fact in policy.schema if fact.type == "decimal"]
    dates = [fact.name for fact in policy.schema if fact.type == "date"]
    if not decimals and not dates:
        return dict

    def typed(facts: Mapping[str, Any]) -> dict[str, Any]:
        found = dict(facts)
        for name in decimals:
            value = found.get(name)
            if type(value) is str:
                with contextlib.suppress(ArithmeticError, ValueError):
                    found[name] = Decimal(value)
        for name in dates:
            value = found.get(name)
            if type(value) is str:
                with contextlib.suppress(ValueError):
                    found[name] = dt.date.fromisoformat(value)
        return found

    return typed


def _same(old: Any, new: Any) -> bool:
    """Whether two JSON values are the same value of the same type (``1`` is not ``true``)."""
    if type(old) is not type(new):
        return False
    if type(old) is list:
        return len(old) == len(new) and all(map(_same, old, new))
    return bool(old == new)


def _text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)
