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

With the batch extra, `replay` reads a log file through Arrow a chunk at a time, groups the
records that share a department, the rules their facts match (found column-wise) and the
logged directive values, and decides and compares each group once; a record that its own
route might read otherwise goes record by record. The report is the one replaying record by
record gives (a property test holds the two routes equal on damaged logs).

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

import codecs
import contextlib
import datetime as dt
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, NamedTuple, TypeVar

import attrs

from crmculture.errors import CrmCultureError, InvalidCustomer
from crmculture.evaluate.decision import Decision
from crmculture.evaluate.decision_text import decision_text, dumps
from crmculture.model.directives import Combine
from crmculture.model.policies import Policy, require_policy
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
_JSON_NAMES = {dict: "object", list: "array"}
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
        as_of = decision.as_of
        return "".join(
            (
                '{"culture": ' if as_of is None else f'{{"as_of": "{as_of}", "culture": ',
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
    if decision.as_of is not None:
        record["as_of"] = whole["as_of"]
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
        as_of: The date the decision was made for, when it was made for one.
    """

    line: int
    culture: Mapping[str, Any]
    department: str | None
    facts: Mapping[str, Any]
    directives: Mapping[str, Any]
    matched: tuple[str, ...]
    fingerprint: str
    keep: Mapping[str, Any]
    as_of: dt.date | None = None


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
    kinds = {"culture": dict, "facts": dict, "directives": dict, "matched": list}
    for key, kind in kinds.items():
        if not isinstance(document[key], kind):
            return LogProblem(number, f"`{key}` must be a JSON {_JSON_NAMES[kind]}")
    if not (document["department"] is None or isinstance(document["department"], str)):
        return LogProblem(number, "`department` must be text or null")
    if not isinstance(document.get("keep") or {}, dict):
        return LogProblem(number, "`keep` must be a JSON object")
    as_of = document.get("as_of")
    if as_of is not None:
        try:
            as_of = dt.date.fromisoformat(as_of)
        except (TypeError, ValueError):
            return LogProblem(number, "`as_of` must be a date YYYY-MM-DD")
    return LoggedDecision(
        line=number,
        culture=document["culture"],
        department=document["department"],
        facts=document["facts"],
        directives=document["directives"],
        matched=tuple(document["matched"]),
        fingerprint=document["fingerprint"],
        keep=document.get("keep") or {},
        as_of=as_of,
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
    policy = require_policy(policy, "policy")
    tally = _Tally(policy)
    if isinstance(log, str | os.PathLike):
        if _arrow_available():
            _replay_chunks(log, tally)
        else:
            for item in read_log(log):
                tally.add(item)
    else:
        for item in log:
            tally.add(item)
    return tally.report()


def _arrow_available() -> bool:
    try:
        import pyarrow.json  # noqa: F401

        from crmculture.batch.signatures import Signatures  # noqa: F401
        from crmculture.batch.text_columns import from_json  # noqa: F401
    except ImportError:
        return False
    return True


class _Tally:
    """What a replay has found so far; records are added in log order."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.decide = policy.compile()
        self.typed = _json_facts(policy)
        self.records = self.changed = 0
        self.transitions: Counter[tuple[str, str, str]] = Counter()
        self.by_directive: Counter[str] = Counter()
        self.by_department: Counter[str | None] = Counter()
        self.by_rule: Counter[str] = Counter()
        self.rejected: Counter[str] = Counter()
        self.examples: list[tuple[int, Mapping[str, Any]]] = []
        self.problems: list[LogProblem] = []
        self.names = tuple(directive.name for directive in policy.directives)
        self.differences: dict[Any, list[tuple[str, str, str]]] = {}

    def add(self, item: LoggedDecision | LogProblem) -> None:
        """One item of a log, read record by record."""
        if isinstance(item, LogProblem):
            self.problems.append(item)
            return
        self.records += 1
        decision = _decide_logged(self.decide, self.typed, self.policy, item)
        if isinstance(decision, str):
            self.rejected[decision] += 1
            return
        self.compare(item.line, item.department, decision, item.directives, item.keep)

    def compare(
        self,
        line: int,
        department: str | None,
        decision: Decision,
        logged: Mapping[str, Any],
        keep: Mapping[str, Any],
    ) -> None:
        """Count a decided record: changed or not, and how."""
        found = tuple(
            tuple(value) if type(value) is list else value for value in map(logged.get, self.names)
        )
        self.compare_values(line, department, decision, found, keep)

    def compare_values(
        self,
        line: int,
        department: str | None,
        decision: Decision,
        found: tuple[Any, ...],
        keep: Mapping[str, Any] | bytes,
    ) -> None:
        """`compare`, given the logged values in directive order (lists as tuples); `keep`
        may be the record's text, read only for an example."""
        differences = self.differences_of(decision.values, found)
        if not differences:
            return
        if len(self.examples) < EXAMPLES:
            self.examples.append((line, _kept(keep) if isinstance(keep, bytes) else keep))
        self.count(department, decision, differences, 1)

    def differences_of(
        self, values: tuple[Any, ...], found: tuple[Any, ...]
    ) -> list[tuple[str, str, str]]:
        """`_differences`, remembered for the most frequent pairs of values."""
        # The types too, to the items of a list: 1 == 1.0 == True, but they differ here.
        key = (values, found, tuple(map(_kind, found)))
        try:
            return self.differences[key]
        except (KeyError, TypeError):  # TypeError: a list in a list, which is not hashable
            differences = self._differences(values, found)
            if len(self.differences) < 4096:
                with contextlib.suppress(TypeError):
                    self.differences[key] = differences
            return differences

    def count(
        self,
        department: str | None,
        decision: Decision,
        differences: list[tuple[str, str, str]],
        records: int,
    ) -> None:
        """Count `records` changed records that `decision` changes the same way."""
        self.changed += records
        self.by_department[department] += records
        outcomes = decision.outcomes
        for name, old, text in differences:
            self.transitions[(name, old, text)] += records
            self.by_directive[name] += records
            for rule in outcomes[name].determined_by or ("default",):
                self.by_rule[rule] += records

    def _differences(
        self, values: tuple[Any, ...], logged: tuple[Any, ...]
    ) -> list[tuple[str, str, str]]:
        """Per directive that differs: its name, the logged value and the new one (JSON)."""
        found = []
        for name, value, old in zip(self.names, values, logged, strict=True):
            plain = json_value(value)
            if not _same(old, plain):
                found.append((name, _text(old), _text(plain)))
        return found

    def report(self) -> ReplayReport:
        records, changed = self.records, self.changed
        transitions, by_directive, by_department = (
            self.transitions,
            self.by_directive,
            self.by_department,
        )
        by_rule, rejected, examples, problems = (
            self.by_rule,
            self.rejected,
            self.examples,
            self.problems,
        )
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


def _decide_logged(
    decide: Callable[..., Decision],
    typed: Callable[[Mapping[str, Any]], dict[str, Any]],
    policy: Policy,
    item: LoggedDecision,
) -> Decision | str:
    """A logged customer decided again, for the logged department and as of the logged date;
    or, when `policy` cannot decide it, why (the reason replay and drift count)."""
    try:
        try:
            return decide(typed(item.facts), item.department, as_of=item.as_of)
        except InvalidCustomer:
            return decide(policy.schema.parse(item.facts), item.department, as_of=item.as_of)
    except InvalidCustomer as error:
        first = error.problems[0]
        return f"invalid facts: {first.path_text}: {first.message}"
    except CrmCultureError as error:
        return str(error).splitlines()[0]


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


def _kind(value: Any) -> Any:
    """A logged value's type, and its items' types for a list (logged as a tuple)."""
    if type(value) is tuple:
        return (tuple, *map(_kind, value))
    return type(value)


def _same(old: Any, new: Any) -> bool:
    """Whether two JSON values are the same value of the same type (``1`` is not ``true``)."""
    if type(old) is tuple:  # a logged list, made hashable
        old = list(old)
    if type(old) is not type(new):
        return False
    if type(old) is list:
        return len(old) == len(new) and all(map(_same, old, new))
    return bool(old == new)


def _text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


CHUNK_BYTES = 1 << 23
"""How many bytes of log the chunked replay reads through Arrow at once (whole lines)."""

_ALONE = 64
"""A chunk Arrow cannot read as a whole is halved until its pieces have this many lines or
fewer; those go record by record."""

_PIECE = 1 << 21
"""How many bytes of a chunk Arrow reads in one piece (on one thread) when it knows the types."""

_DECISIONS = 4096
"""How many decisions the chunked replay keeps, one per department and set of matching rules."""

_DAYS = 366
"""How many as-of dates a chunked replay keeps the rules read for."""

_P = TypeVar("_P")
"""What a chunked reader's `_Chunked.plan` finds in a chunk."""


def _utf8(data: bytes | memoryview) -> bool:
    """Whether `data` is UTF-8 (Arrow reads text that is not without a word)."""
    try:
        codecs.utf_8_decode(data, "strict", True)
    except UnicodeDecodeError:
        return False
    return True


def _replay_chunks(path: str | os.PathLike[str], tally: _Tally) -> None:
    """Replay a log read through Arrow a chunk at a time (see `_ChunkedReplay`)."""
    _read_chunks(path, _ChunkedReplay(tally))


def _read_chunks(path: str | os.PathLike[str], chunked: _Chunked[Any]) -> None:
    """Read a log through Arrow a chunk at a time (see `_Chunked`): the bytes up to the last
    line end in a buffer, read in place; the rest moves to the front."""
    buffer = bytearray(max(CHUNK_BYTES, 1))
    filled = 0
    first = 1
    with open(path, "rb", buffering=0) as handle:
        while True:
            with memoryview(buffer) as view:
                got = handle.readinto(view[filled:])
            end = filled + (got or 0)
            if not got:  # the end of the log (its last line may be torn)
                if end:
                    chunked.block(bytes(buffer[:end]), first)
                return
            cut = buffer.rfind(b"\n", 0, end) + 1
            if cut:
                with memoryview(buffer) as view, view[:cut] as block:
                    first += chunked.block(block, first)
                buffer[: end - cut] = buffer[cut:end]
                filled = end - cut
            else:  # a line longer than the buffer
                if end == len(buffer):
                    # A new buffer: Arrow may still hold the old one when it failed a chunk.
                    buffer = buffer + bytes(len(buffer))
                filled = end


class _Lines:
    """Some lines of a log, in order: their line numbers, and their text as Arrow reads it
    (each line ending with a newline, a torn last line given one)."""

    def __init__(
        self, numbers: Sequence[int], data: bytes | memoryview, lines: Sequence[bytes] | _Block
    ) -> None:
        self.numbers = numbers
        self.data = data
        self.lines = lines

    @classmethod
    def of(cls, numbers: Sequence[int], lines: list[bytes]) -> _Lines:
        data = b"".join(line if line.endswith(b"\n") else line + b"\n" for line in lines)
        return cls(numbers, data, lines)

    def __len__(self) -> int:
        return len(self.numbers)


class _Block:
    """The lines of a block of a log, by position, found column-wise."""

    def __init__(self, block: bytes | memoryview) -> None:
        import numpy as np

        self.block = block
        self.bytes = np.frombuffer(block, dtype=np.uint8)
        self.ends = np.flatnonzero(self.bytes == ord("\n")) + 1
        self.whole = bool(len(block)) and block[-1] == ord("\n")
        self.starts = np.concatenate(([0], self.ends[:-1] if self.whole else self.ends))
        if not self.whole:
            self.ends = np.append(self.ends, len(block))

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, k: int) -> bytes:
        """A line as the file holds it (a torn last line without its newline)."""
        return bytes(self.block[int(self.starts[k]) : int(self.ends[k])])

    def objects(self) -> bool:
        """Whether every line starts a JSON object (so that none is blank)."""
        return bool((self.bytes[self.starts] == ord("{")).all())


class _Plan(NamedTuple):
    """What a chunk holds, read column-wise, before anything is counted."""

    alone: Any
    """Rows to read record by record (numpy booleans)."""
    rows: Any
    """The other rows' positions."""
    groups: Any
    """Per row of `rows`, its group: the same department, matching rules and logged values."""
    first: Any
    """Per group, its first row (a position in `rows`)."""
    departments: list[str | None]
    """Per group, the department."""
    signatures: list[Any]
    """Per group, which rules its facts match (with the as-of date the rules were read for,
    ``(date, flags)``, for a policy that decides by the date)."""
    logged: list[tuple[Any, ...]]
    """Per group, the logged directive values, in directive order (lists as tuples)."""
    facts: dict[str, Any]
    """The typed fact columns, to decide a group's first row from."""


class _Chunked(Generic[_P]):
    """Reads a log a chunk at a time through Arrow (the parsing in C); what a chunk's table
    means is the subclass's: `plan` reads it column-wise (raising `UnreadColumn` for a table
    it cannot read exactly, before anything is counted), `count` counts what `plan` found,
    and `one` takes a line read record by record.

    A chunk Arrow cannot read as one table is halved until its pieces have `_ALONE` lines or
    fewer; those go record by record, in their place. So does a line that is not UTF-8 (Arrow
    would read it; the record-by-record route says it is not JSON).
    """

    def __init__(self, *hints: Any) -> None:
        self.schema: Any = None  # the Arrow schema of the last chunk read as a whole
        self.hints = hints  # the types to infer a chunk's with, each tried in turn

    def block(self, block: bytes | memoryview, first: int) -> int:
        """Read the lines of `block`, the first of which is line `first` of the log; return
        how many lines it has."""
        lines = _Block(block)
        numbers = range(first, first + len(lines))
        if not _utf8(block):
            self.runs(list(numbers), [lines[k] for k in range(len(lines))])
            return len(lines)
        if lines.objects():  # no line is blank: row k is line first + k
            data = block if lines.whole else bytes(block) + b"\n"
            if not self.rows(_Lines(numbers, data, lines)):
                self.halves(list(numbers), [lines[k] for k in range(len(lines))])
            return len(lines)
        kept = [(number, lines[k]) for k, number in enumerate(numbers)]
        kept = [(number, raw) for number, raw in kept if raw.strip()]
        self.lines([number for number, _ in kept], [raw for _, raw in kept])
        return len(lines)

    def runs(self, numbers: list[int], lines: list[bytes]) -> None:
        """Read lines some of which are not UTF-8: those one by one, the runs between them
        (blank lines left out) as pieces."""
        run: list[int] = []
        for k, raw in enumerate(lines):
            if _utf8(raw):
                if raw.strip():
                    run.append(k)
                continue
            self.lines([numbers[j] for j in run], [lines[j] for j in run])
            run = []
            self.one(raw, numbers[k])
        self.lines([numbers[j] for j in run], [lines[j] for j in run])

    def lines(self, numbers: list[int], lines: list[bytes]) -> None:
        if lines and not self.rows(_Lines.of(numbers, lines)):
            self.halves(numbers, lines)

    def halves(self, numbers: list[int], lines: list[bytes]) -> None:
        if len(lines) <= _ALONE:
            for number, raw in zip(numbers, lines, strict=True):
                self.one(raw, number)
            return
        half = len(lines) // 2
        self.lines(numbers[:half], lines[:half])
        self.lines(numbers[half:], lines[half:])

    def rows(self, lines: _Lines) -> bool:
        """Read `lines` through Arrow as one table; False when Arrow cannot read them so
        (nothing is counted then)."""
        from crmculture.batch.text_columns import UnreadColumn

        tries = [(self.schema, None)] if self.schema is not None else []
        tries += [(None, hints) for hints in self.hints]
        for schema, hints in tries:
            table = _arrow_table(lines.data, schema, hints)
            if table is None or table.num_rows != len(lines):
                continue
            try:
                plan = self.plan(table, lines)
            except UnreadColumn:
                continue
            if schema is None:
                self.schema = table.schema
            self.count(plan, lines)
            return True
        return False

    def plan(self, table: Any, lines: _Lines) -> _P:
        raise NotImplementedError

    def count(self, plan: _P, lines: _Lines) -> None:
        raise NotImplementedError

    def one(self, raw: bytes, number: int) -> None:
        raise NotImplementedError


class _ChunkedReplay(_Chunked[_Plan]):
    """Replays a log a chunk at a time, read through Arrow (see `_Chunked`).

    A chunk's records are grouped by department, the set of rules their facts match (found
    column-wise, `crmculture.batch.signatures`) and the logged directive values; each group
    is decided once, by the compiled evaluator on its first record, and compared once, as
    `_Tally.add` compares. A record that its own route might read otherwise (another format, an
    unknown fact, a value intake reads otherwise, facts the schema rejects, a decision that
    fails) goes record by record from its own text, in its place.
    """

    def __init__(self, tally: _Tally) -> None:
        from crmculture.batch.signatures import Signatures

        super().__init__(_hints(tally.policy))
        self.tally = tally
        # A policy that decides by the date matches rules by each record's as-of date: its
        # rules are read for each date a chunk holds (`dated_signatures`).
        self.dated = tally.policy.uses_as_of
        self.signatures = None if self.dated else Signatures(tally.policy)
        self.signatures_on: dict[dt.date, Signatures] = {}
        self.decisions: dict[tuple[str | None, Any], Decision | None] = {}

    def one(self, raw: bytes, number: int) -> None:
        self.tally.add(_record(raw, number, torn=not raw.endswith(b"\n")))

    def plan(self, table: Any, lines: _Lines) -> _Plan:
        """Read a chunk's table column-wise; raises `UnreadColumn` for a table whose columns
        this cannot read exactly."""
        import numpy as np

        from crmculture.batch.text_columns import from_json

        count = table.num_rows
        alone = _unlike_records(table, lines)
        department_column = table.column("department").combine_chunks()
        schema = self.tally.policy.schema
        facts = table.column("facts").combine_chunks()
        typed: dict[str, Any] = {}
        for field in facts.type:
            child = facts.field(field.name)
            if field.name not in schema:
                _unknown_fact(field.name, child, alone, lines)
                continue
            typed[field.name], odd = from_json(schema[field.name].type, child)
            if odd is not None:
                alone |= odd
        directives = table.column("directives").combine_chunks()
        present = {field.name for field in directives.type}
        logged = [
            _logged(directives.field(name) if name in present else None, count)
            for name in self.tally.names
        ]
        keys: list[Any]
        if self.signatures is None:
            signature_codes, keys, bad = self.dated_signatures(table, typed, count, alone)
        else:
            found = self.signatures.read(typed, count)
            signature_codes, keys, bad = found.codes, list(found.keys), found.bad
        if bad is not None:
            alone |= bad
        department_codes, department_values = _encoded(department_column)
        rows = np.flatnonzero(~alone)
        columns = [department_codes[rows], signature_codes[rows]]
        sizes = [len(department_values), len(keys)]
        for codes, values in logged:
            columns.append(codes[rows])
            sizes.append(len(values))
        groups, first = _groups(columns, sizes, len(rows))
        starts = rows[first]
        return _Plan(
            alone=alone,
            rows=rows,
            groups=groups,
            first=first,
            departments=[department_values[k] for k in department_codes[starts].tolist()],
            signatures=[keys[k] for k in signature_codes[starts].tolist()],
            logged=[
                tuple(values[k] for (_, values), k in zip(logged, codes, strict=True))
                for codes in zip(*(codes[starts].tolist() for codes, _ in logged), strict=True)
            ]
            if logged
            else [() for _ in starts],
            facts=typed,
        )

    def dated_signatures(
        self, table: Any, typed: dict[str, Any], count: int, alone: Any
    ) -> tuple[Any, list[Any], Any]:
        """The signatures of a chunk's rows for a policy that decides by the date: each
        row's matching rules read for its as-of date (its rules resolved for that day), as
        ``(date, flags)``; rows without a date are marked in `alone` (their own route says
        the policy needs one)."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        from crmculture.batch.signatures import Signatures

        codes = np.zeros(count, dtype=np.int64)
        keys: list[Any] = []
        bad = np.zeros(count, dtype=np.bool_)
        if "as_of" not in table.column_names or pa.types.is_null(table.column("as_of").type):
            alone |= True
            return codes, keys, None
        encoded = pc.dictionary_encode(table.column("as_of").combine_chunks())
        days = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
        alone |= days < 0
        for code, text in enumerate(encoded.dictionary.to_pylist()):
            rows = np.flatnonzero(days == code)
            try:
                day = dt.date.fromisoformat(text)
            except ValueError:  # already alone (`_unlike_records`)
                continue
            signatures = self.signatures_on.get(day)
            if signatures is None:
                signatures = Signatures(self.tally.policy.at(day))
                if len(self.signatures_on) < _DAYS:
                    self.signatures_on[day] = signatures
            taken = pa.array(rows)
            found = signatures.read(
                {
                    name: [column[k] for k in rows.tolist()]
                    if isinstance(column, list)
                    else column.take(taken)
                    for name, column in typed.items()
                },
                len(rows),
            )
            codes[rows] = found.codes + len(keys)
            keys.extend((day, key) for key in found.keys)
            if found.bad is not None:
                bad[rows] |= found.bad
        return codes, keys, bad

    def decision(
        self,
        department: str | None,
        signature: Any,
        facts: dict[str, Any],
        row: int,
    ) -> Decision | None:
        """The decision for a group, decided on its first row (None when it fails: its
        records go one by one)."""
        key = (department, signature)
        try:
            return self.decisions[key]
        except KeyError:
            pass
        # None is an absent fact to the evaluator, as intake reads it.
        customer = {name: column[row].as_py() for name, column in facts.items()}
        as_of = signature[0] if self.dated else None
        try:
            found: Decision | None = self.tally.decide(customer, department, as_of=as_of)
        except CrmCultureError:
            found = None
        if len(self.decisions) < _DECISIONS:
            self.decisions[key] = found
        return found

    def count(self, plan: _Plan, lines: _Lines) -> None:
        """Count a chunk read by `plan`: its groups at once, then the rest in line order."""
        import numpy as np

        tally = self.tally
        sizes = np.bincount(plan.groups, minlength=len(plan.first)).tolist()
        failed = np.zeros(len(plan.first), dtype=np.bool_)
        changed = np.zeros(len(plan.first), dtype=np.bool_)
        for g, start in enumerate(plan.rows[plan.first].tolist()):
            department = plan.departments[g]
            decision = self.decision(department, plan.signatures[g], plan.facts, start)
            if decision is None:
                failed[g] = True
                continue
            tally.records += sizes[g]
            differences = tally.differences_of(decision.values, plan.logged[g])
            if differences:
                changed[g] = True
                tally.count(department, decision, differences, sizes[g])
        alone = np.flatnonzero(plan.alone)
        if failed.any():
            alone = np.union1d(alone, plan.rows[failed[plan.groups]])
        wanted = EXAMPLES - len(tally.examples)
        examples = plan.rows[changed[plan.groups]][:wanted].tolist() if wanted > 0 else []
        shown = set(examples)
        for k in np.union1d(alone, np.array(examples, dtype=np.int64)).tolist():
            raw = lines.lines[k]
            if k in shown:
                if len(tally.examples) < EXAMPLES:
                    tally.examples.append((lines.numbers[k], _kept(raw)))
            else:
                tally.add(_record(raw, lines.numbers[k], torn=not raw.endswith(b"\n")))


def _unlike_records(table: Any, lines: _Lines) -> Any:
    """Per row of a chunk's table, whether its own route might not read it as a record
    (another format, a key missing or null, a date that is not one, nesting too deep for
    Python's JSON reader), as numpy booleans; raises `UnreadColumn` for a table whose
    columns have types no record has."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from crmculture.batch.text_columns import UnreadColumn

    names = set(table.column_names)
    if not {*_KEYS, "log"} <= names:
        raise UnreadColumn
    kinds = {
        "culture": pa.types.is_struct,
        "facts": pa.types.is_struct,
        "directives": pa.types.is_struct,
        "matched": pa.types.is_list,
        "department": pa.types.is_string,
        "keep": pa.types.is_struct,
        "as_of": pa.types.is_string,
    }
    for key, kind in kinds.items():
        if key in names and not (
            kind(table.column(key).type) or pa.types.is_null(table.column(key).type)
        ):
            raise UnreadColumn
    try:
        # Another format, a missing key: its own route says so.
        alone = np.array(_differs(table.column("log"), FORMAT), dtype=np.bool_)
        for key in _KEYS:
            if key != "department":  # null is no department
                alone |= np.asarray(table.column(key).is_null().to_numpy(zero_copy_only=False))
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
        raise UnreadColumn from None
    if _nesting(table.schema) > _BRACKETS:  # some line may be nested deeper than Python reads
        alone |= _deep(lines)
    if "as_of" in names and not pa.types.is_null(table.column("as_of").type):
        encoded = pc.dictionary_encode(table.column("as_of").combine_chunks())
        for code, text in enumerate(encoded.dictionary.to_pylist()):
            try:
                dt.date.fromisoformat(text)
            except ValueError:
                alone |= pc.fill_null(pc.equal(encoded.indices, code), False).to_numpy(
                    zero_copy_only=False
                )
    return alone


_BRACKETS = 100
"""A line with more opening brackets than this goes record by record: Arrow reads any depth
of nesting, Python's JSON reader stops at its recursion limit (the line is then not JSON)."""


def _nesting(schema: Any) -> int:
    """How deep the types of a table's columns nest (Arrow's type nests as deep as the
    deepest value of the column)."""
    deepest = 0
    stack = [(field.type, 1) for field in schema]
    while stack:
        kind, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((kind.field(k).type, depth + 1) for k in range(kind.num_fields))
    return deepest


def _deep(lines: _Lines) -> Any:
    """Per line, whether it has more than `_BRACKETS` opening brackets (numpy booleans)."""
    import numpy as np

    data = np.frombuffer(lines.data, dtype=np.uint8)
    ends = np.flatnonzero(data == ord("\n"))
    opening = np.flatnonzero((data == ord("[")) | (data == ord("{")))
    found = np.bincount(np.searchsorted(ends, opening), minlength=len(lines))
    return np.asarray(found[: len(lines)] > _BRACKETS)


def _unknown_fact(name: str, child: Any, alone: Any, lines: _Lines) -> None:
    """Mark the rows that have a fact the schema does not know (its own route rejects them).
    A null is such a fact too, but Arrow reads an absent one as null: a row whose line might
    spell the name (or escape anything) is marked as well."""
    import numpy as np

    alone |= child.is_valid().to_numpy(zero_copy_only=False)
    spelled = b'"' + name.encode("utf-8", "surrogatepass") + b'"'
    for k in np.flatnonzero(~alone).tolist():
        raw = lines.lines[k]
        if spelled in raw or b"\\" in raw:
            alone[k] = True


def _arrow_table(data: bytes | memoryview, schema: Any, hints: Any) -> Any:
    """`data` read by Arrow's JSON reader, or None when Arrow cannot read it. With `schema`,
    a field it does not list or a value of another type fails; without, the types are
    inferred but for the fields `hints` lists."""
    import pyarrow as pa
    import pyarrow.json as pajson

    # With a schema, Arrow reads pieces of the chunk in parallel; inferring types, it reads
    # the chunk as one piece, so that every row's types are inferred together.
    size = _PIECE if schema is not None else len(data) + 1
    try:
        return pajson.read_json(
            pa.BufferReader(data),
            read_options=pajson.ReadOptions(use_threads=schema is not None, block_size=size),
            parse_options=pajson.ParseOptions(
                explicit_schema=hints if schema is None else schema,
                unexpected_field_behavior="infer" if schema is None else "error",
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _hints(policy: Policy) -> Any:
    """The fields whose values a log writes as text: Arrow would read ISO dates (and text
    that looks like one) as timestamps."""
    import pyarrow as pa

    facts = [pa.field(f.name, pa.string()) for f in policy.schema if f.type in ("date", "enum")]
    directives = [
        pa.field(d.name, pa.list_(pa.string()) if d.combine is Combine.COLLECT else pa.string())
        for d in policy.directives
        if d.type in ("text", "enum", "decimal")
    ]
    fields = [pa.field("department", pa.string()), pa.field("as_of", pa.string())]
    if facts:
        fields.append(pa.field("facts", pa.struct(facts)))
    if directives:
        fields.append(pa.field("directives", pa.struct(directives)))
    return pa.schema(fields)


def _encoded(column: Any) -> tuple[Any, list[Any]]:
    """A column of bools, integers or text as codes (numpy) and the value of each code
    (None the last), as Python values."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_null(column.type):
        return np.zeros(len(column), dtype=np.int64), [None]
    encoded = pc.dictionary_encode(column)
    values = [*encoded.dictionary.to_pylist(), None]
    codes = encoded.indices.fill_null(len(values) - 1).to_numpy(zero_copy_only=False)
    return codes.astype(np.int64), values


def _logged(column: Any, count: int) -> tuple[Any, list[Any]]:
    """A logged directive's column (None when no record has it) as codes and the value of
    each code (lists as tuples, as `_Tally.compare` reads them)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from crmculture.batch.text_columns import UnreadColumn

    def scalar(kind: Any) -> bool:
        return bool(
            pa.types.is_null(kind)
            or pa.types.is_boolean(kind)
            or pa.types.is_integer(kind)
            or pa.types.is_string(kind)
        )

    if column is None:
        return np.zeros(count, dtype=np.int64), [None]
    kind = column.type
    if scalar(kind):  # not floats: ints read back as floats would look changed
        return _encoded(column)
    if not (pa.types.is_list(kind) and scalar(kind.value_type)):
        raise UnreadColumn
    lengths = pc.list_value_length(column).fill_null(-1).to_numpy(zero_copy_only=False)
    widths = np.maximum(lengths, 0)
    width = int(widths.max()) if count else 0
    items, _ = _encoded(pc.list_flatten(column))
    if width > 32 or len(items) != int(widths.sum()):
        raise UnreadColumn
    # Per record: its length (-1 for null), then its items' codes (-1 past its end).
    table = np.full((width + 1, count), -1, dtype=np.int64)
    table[0] = lengths
    owner = np.repeat(np.arange(count), widths)
    place = np.arange(len(items)) - np.repeat(np.cumsum(widths) - widths, widths)
    table[place + 1, owner] = items
    table += 1
    sizes = [width + 2] + [int(items.max()) + 2 if len(items) else 1] * width
    codes, first = _groups(list(table), sizes, count)
    values = [column[k].as_py() for k in first.tolist()]
    return codes, [None if v is None else tuple(v) for v in values]


def _groups(columns: list[Any], sizes: list[int], count: int) -> tuple[Any, Any]:
    """Number the distinct rows of some code columns: per row its group, and per group its
    first row."""
    import numpy as np

    if not count:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    whole = 1
    for size in sizes:
        whole *= max(size, 1)
    if whole < 2**62:
        key = np.zeros(count, dtype=np.int64)
        for codes, size in zip(columns, sizes, strict=True):
            key *= max(size, 1)
            key += codes
        _, first, groups = np.unique(key, return_index=True, return_inverse=True)
    else:
        _, first, groups = np.unique(
            np.stack(columns, axis=1), axis=0, return_index=True, return_inverse=True
        )
    return groups.reshape(-1), first


def _differs(column: Any, value: int) -> Any:
    """Where a column differs from `value` (null counts as different), as numpy booleans."""
    import pyarrow.compute as pc

    return pc.fill_null(pc.not_equal(column, value), True).to_numpy(zero_copy_only=False)


def _kept(raw: bytes) -> Mapping[str, Any]:
    """A record's kept fields, read from its own text (as the record-by-record route does)."""
    kept: Mapping[str, Any] = json.loads(raw).get("keep") or {}
    return kept
