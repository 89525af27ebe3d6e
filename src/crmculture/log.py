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
        schema = self.policy.schema
        try:
            try:
                decision = self.decide(self.typed(item.facts), item.department, as_of=item.as_of)
            except InvalidCustomer:
                decision = self.decide(schema.parse(item.facts), item.department, as_of=item.as_of)
        except InvalidCustomer as error:
            first = error.problems[0]
            self.rejected[f"invalid facts: {first.path_text}: {first.message}"] += 1
            return
        except CrmCultureError as error:
            self.rejected[str(error).splitlines()[0]] += 1
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
        key = (decision.values, found, tuple(map(type, found)))
        try:
            differences = self.differences[key]
        except (KeyError, TypeError):  # TypeError: a logged list, which is not hashable
            differences = self._differences(decision.values, found)
            if len(self.differences) < 4096:
                with contextlib.suppress(TypeError):
                    self.differences[key] = differences
        if not differences:
            return
        self.changed += 1
        self.by_department[department] += 1
        if len(self.examples) < EXAMPLES:
            self.examples.append((line, _kept(keep) if isinstance(keep, bytes) else keep))
        outcomes = decision.outcomes
        for name, old, text in differences:
            self.transitions[(name, old, text)] += 1
            self.by_directive[name] += 1
            for rule in outcomes[name].determined_by or ("default",):
                self.by_rule[rule] += 1

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
    if type(old) is tuple:  # a logged list, made hashable
        old = list(old)
    if type(old) is not type(new):
        return False
    if type(old) is list:
        return len(old) == len(new) and all(map(_same, old, new))
    return bool(old == new)


def _text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


CHUNK_SIZE = 16_384
"""How many log lines the chunked replay reads through Arrow at once."""


def _replay_chunks(path: str | os.PathLike[str], tally: _Tally) -> None:
    """Replay a log read through Arrow a chunk of lines at a time: the parsing in C, the
    deciding and the comparing as `_Tally.add` does them. A chunk Arrow cannot read, and a
    record it might read otherwise, goes record by record from its own text."""
    with open(path, "rb") as handle:
        numbers: list[int] = []
        lines: list[bytes] = []
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            numbers.append(number)
            lines.append(raw)
            if len(lines) >= CHUNK_SIZE:
                _replay_chunk(numbers, lines, tally)
                numbers, lines = [], []
        if lines:
            _replay_chunk(numbers, lines, tally)


def _replay_chunk(numbers: list[int], lines: list[bytes], tally: _Tally) -> None:
    import pyarrow as pa
    import pyarrow.json as pajson

    from crmculture.batch.text_columns import UnreadColumn, from_json

    def one_by_one(rows: Iterable[int]) -> None:
        for k in rows:
            raw = lines[k]
            tally.add(_record(raw, numbers[k], torn=not raw.endswith(b"\n")))

    data = b"".join(line if line.endswith(b"\n") else line + b"\n" for line in lines)
    try:
        table = pajson.read_json(
            pa.BufferReader(data),
            read_options=pajson.ReadOptions(use_threads=False, block_size=len(data) + 1),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        one_by_one(range(len(lines)))
        return
    names = set(table.column_names)
    if table.num_rows != len(lines) or not {*_KEYS, "log"} <= names:
        one_by_one(range(len(lines)))
        return
    import numpy as np

    count = table.num_rows
    try:
        # Another format, a missing key, a value of another JSON type: its own route says so.
        alone = np.asarray(_differs(table.column("log"), FORMAT), dtype=np.bool_)
        for key in _KEYS:
            if key != "department":  # null is no department
                alone |= np.asarray(table.column(key).is_null().to_numpy(zero_copy_only=False))
        department_type = table.column("department").type
        if not (pa.types.is_string(department_type) or pa.types.is_null(department_type)):
            raise UnreadColumn
        if "keep" in names and not (
            pa.types.is_struct(table.column("keep").type)
            or pa.types.is_null(table.column("keep").type)
        ):
            raise UnreadColumn
    except (UnreadColumn, pa.ArrowNotImplementedError, pa.ArrowInvalid):
        one_by_one(range(len(lines)))
        return
    schema = tally.policy.schema
    facts = table.column("facts").combine_chunks()
    typed_columns: dict[str, list[Any]] = {}
    try:
        if not pa.types.is_struct(facts.type):
            raise UnreadColumn
        for field in facts.type:
            child = facts.field(field.name)
            if field.name not in schema:
                alone |= child.is_valid().to_numpy(zero_copy_only=False)
                continue
            typed, odd = from_json(schema[field.name].type, child)
            if odd is not None:
                alone |= odd
            typed_columns[field.name] = typed.to_pylist()
        directives = table.column("directives").combine_chunks()
        if not pa.types.is_struct(directives.type):
            raise UnreadColumn
        if any(pa.types.is_floating(field.type) for field in directives.type):
            raise UnreadColumn  # ints read back as floats would look changed
        logged_columns = {
            field.name: directives.field(field.name).to_pylist() for field in directives.type
        }
    except UnreadColumn:
        one_by_one(range(len(lines)))
        return
    departments = table.column("department").to_pylist()
    flags = alone.tolist()
    fact_names = list(typed_columns)
    facts_by_row = zip(*(typed_columns[name] for name in fact_names), strict=True)
    empty = [None] * count
    logged_by_row = zip(
        *(
            [tuple(v) if type(v) is list else v for v in logged_columns[name]]
            if name in logged_columns
            else empty
            for name in tally.names
        ),
        strict=True,
    )
    decide = tally.decide
    compare = tally.compare_values
    for k, (row, logged) in enumerate(zip(facts_by_row, logged_by_row, strict=True)):
        if flags[k]:
            one_by_one((k,))
            continue
        department = departments[k]
        try:
            # None is an absent fact to the evaluator, as intake reads it.
            decision = decide(dict(zip(fact_names, row, strict=True)), department)
        except CrmCultureError:
            one_by_one((k,))  # its own route words the reason
            continue
        tally.records += 1
        compare(numbers[k], department, decision, logged, lines[k])


def _differs(column: Any, value: int) -> Any:
    """Where a column differs from `value` (null counts as different), as numpy booleans."""
    import pyarrow.compute as pc

    return pc.fill_null(pc.not_equal(column, value), True).to_numpy(zero_copy_only=False)


def _kept(raw: bytes) -> Mapping[str, Any]:
    """A record's kept fields, read from its own text (as the record-by-record route does)."""
    kept: Mapping[str, Any] = json.loads(raw).get("keep") or {}
    return kept
