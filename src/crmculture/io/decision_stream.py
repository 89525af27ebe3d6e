"""Deciding a stream of customer records into a stream of JSON lines: what ``crmculture
decide`` writes.

`decide_records` reads customers from JSON Lines, a JSON array or CSV and yields, for every
record in input order, one output line (a JSON object on one line):

- ``emit="full"``: ``{"decision": {...}, "line": L, "record": N}``, the decision being
  `crmculture.Decision.to_dict` (directives, matched rules, outcomes, fingerprint), with
  ``"explanation"`` when asked;
- ``emit="directives"``: ``{"directives": {...}, "line": L, "record": N}``, just the values;
- a record that cannot be decided, in either mode: ``{"error": "...", "line": L, "problems":
  [...], "record": N}``, with every problem of an invalid customer.

``record`` counts the records from 0 and ``line`` is where the record starts in the input.
With ``keep=("customer_id", ...)`` those fields are not facts: they are taken out of each
record before it is decided and written back under ``"keep"`` (``null`` when a record lacks
one), so that the output joins back to the input. Keys are sorted; text is UTF-8.

Two routes give the same bytes. Record by record (`record_line`) always works. When the
``batch`` extra is installed, JSON Lines and CSV are also read in chunks through Arrow and a
chunk is decided at once: ``emit="directives"`` by the columnar evaluator of
`crmculture.batch`, ``emit="full"`` by the compiled evaluator over the chunk's typed values.
The chunked route takes only what it reads exactly as the record-by-record readers do (see
`crmculture.io.records`); anything else, a chunk or a single record, goes record by record: a
line that is not JSON, a duplicated key, a field that is neither a fact nor kept, a value of
another type than its fact's, a ``NaN``, a quoted CSV field, a record the columnar evaluator
could not decide. A test compares both routes byte for byte on generated hostile input.
Memory is bounded by the chunk size, whatever the length of the input.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain
from json.encoder import encode_basestring
from typing import IO, TYPE_CHECKING, Any, Literal, TypeAlias, cast

from crmculture.errors import CrmCultureError, InvalidCustomer, Problem
from crmculture.evaluate.decision import Decision
from crmculture.evaluate.decision_text import decision_text, dumps
from crmculture.evaluate.many import check_keep
from crmculture.evaluate.reference import check_as_of, check_department
from crmculture.io.records import (
    Record,
    RecordError,
    RecordFormat,
    parse_json_record,
    read_records,
)
from crmculture.log import DecisionLog
from crmculture.model.policies import Policy
from crmculture.model.values import json_value

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["CHUNK_SIZE", "Emit", "OutputChunk", "decide_records", "record_line"]

Emit: TypeAlias = Literal["full", "directives"]
"""What each output line holds: the full decision with its trace, or the directives only."""

CHUNK_SIZE = 16_384
"""How many input lines the chunked route reads and decides at once."""

_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\[uU][dD][89a-fA-F]")
_ARROW_ROW = re.compile(r"in row (\d+)$")
_LONG_LINE = 4096
"""Lines longer than this go record by record: Arrow's JSON parser recurses into nested
values, and a long enough line could nest deeper than its stack."""
_RETRIES = 16
"""How many rejected lines a chunk sets aside before it goes record by record whole."""


class OutputChunk:
    """The output lines of some consecutive records, in order.

    Attributes:
        text: The lines, joined (each ends with a newline).
        records: How many records they are.
        failed: How many of them could not be decided.
    """

    __slots__ = ("failed", "records", "text")

    def __init__(self, text: str, records: int, failed: int) -> None:
        self.text = text
        self.records = records
        self.failed = failed

    def __repr__(self) -> str:
        return f"OutputChunk(records={self.records}, failed={self.failed})"


def _error_line(
    index: int, line: int, error: str, problems: list[dict[str, str]]
) -> dict[str, Any]:
    return {"record": index, "line": line, "error": error, "problems": problems}


def record_line(
    decide: Callable[..., Decision],
    item: Record | RecordError,
    department: str | None = None,
    *,
    emit: Emit = "full",
    explain: bool = False,
    keep: Sequence[str] = (),
    log: DecisionLog | None = None,
) -> tuple[str, bool]:
    """One record's output line, decided on its own, and whether it failed; a decided record
    is also appended to `log` when given.

    `decide` is a compiled policy (``policy.compile()``) or any evaluator with its call
    signature.

    Examples:
        >>> from crmculture.stories import acme_policy
        >>> from crmculture.io.records import Record
        >>> record = Record(0, 1, {"customer_id": "c7", "credit_hold": True,
        ...                        "days_overdue": 0, "annual_volume": 10, "tier": "gold"})
        >>> text, failed = record_line(acme_policy().compile(), record,
        ...                            emit="directives", keep=["customer_id"])
        >>> print(text, end="")  # doctest: +NORMALIZE_WHITESPACE
        {"directives": {"discount_pct": 0, "may_quote": false, "may_ship": false,
        "notify": ["accounts_receivable"], "route_to": "accounts_receivable",
        "service_level": "standard"}, "keep": {"customer_id": "c7"}, "line": 1, "record": 0}
    """
    kept: dict[str, Any] | None = None
    if isinstance(item, RecordError):
        line = _error_line(item.index, item.line, item.message, [])
        if keep:
            line["keep"] = dict.fromkeys(keep)
        return dumps(line), True
    customer = item.customer
    if keep:
        kept = {name: customer.get(name) for name in keep}
        customer = {name: value for name, value in customer.items() if name not in kept}
    try:
        decision = decide(customer, department)
    except InvalidCustomer as error:
        problems = [
            {"path": p.path_text, "message": p.message} for p in _intake(decide, error, customer)
        ]
        line = _error_line(item.index, item.line, "invalid customer", problems)
        failed = True
    except CrmCultureError as error:
        line = _error_line(item.index, item.line, str(error), [])
        failed = True
    else:
        failed = False
        if log is not None:
            log.write(decision, kept)
        line = {"record": item.index, "line": item.line}
        if emit == "directives":
            line["directives"] = json_value(dict(decision.directives))
        else:
            encoder = decision_text(decision.policy)
            return encoder.line(decision, item.index, item.line, explain, kept), False
    if kept is not None:
        line["keep"] = kept
    return dumps(line), failed


def _intake(
    decide: Callable[..., Decision], error: InvalidCustomer, customer: dict[str, Any]
) -> tuple[Problem, ...]:
    """The problems of a record from text as `crmculture.Schema.parse` words them (``"42.5"
    is not a whole number`` rather than ``expected an int, got str``)."""
    policy = getattr(decide, "policy", None)
    if not isinstance(policy, Policy):
        return error.problems
    try:
        policy.schema.parse(customer)
    except InvalidCustomer as parsed:
        return parsed.problems
    return error.problems


def decide_records(
    policy: Policy,
    stream: IO[str],
    format: RecordFormat,
    department: str | None = None,
    *,
    emit: Emit = "full",
    explain: bool = False,
    keep: Sequence[str] = (),
    chunked: bool | None = None,
    chunk_size: int | None = None,
    log: DecisionLog | None = None,
    as_of: dt.date | None = None,
) -> Iterator[OutputChunk]:
    """Decide every record of a text stream; yield the output lines in input order.

    Args:
        policy: The policy.
        stream: The records as text (open files with ``errors="surrogateescape"`` and
            ``newline=""``, so that a bad byte spoils only its own record).
        format: ``"jsonl"``, ``"json"`` (an array) or ``"csv"``.
        department: The department that asks, or None.
        emit: ``"full"`` or ``"directives"`` (see the module's description).
        explain: Add each decision's explanation (``emit="full"`` only).
        keep: Fields that are not facts, copied from each record into its line.
        chunked: Use the chunked route: None (the default) when the ``batch`` extra is
            installed, False never, True always (ImportError without the extra).
        chunk_size: Records per chunk (default `CHUNK_SIZE`): memory is bounded by it.
        log: A `crmculture.log.DecisionLog` to append every decision to, in input order.
        as_of: The date every record is decided for, or None.

    Raises:
        ValueError: for an `emit` or `format` it does not know, `explain` with
            ``emit="directives"``, or a kept field that is a fact.
        UnknownDepartmentError: for a department the policy does not declare.
        AsOfRequiredError: when the policy uses the as-of date and `as_of` is None.

    Examples:
        >>> import io
        >>> from crmculture.stories import acme_policy
        >>> text = io.StringIO('{"credit_hold": true, "days_overdue": 0, '
        ...                    '"annual_volume": 10, "tier": "gold"}\\n{"tier": "diamond"}\\n')
        >>> chunks = list(decide_records(acme_policy(), text, "jsonl", emit="directives"))
        >>> sum(chunk.records for chunk in chunks), sum(chunk.failed for chunk in chunks)
        (2, 1)
        >>> print("".join(chunk.text for chunk in chunks).splitlines()[1][:56])
        {"error": "invalid customer", "line": 2, "problems": [{"
    """
    if emit not in ("full", "directives"):
        raise ValueError(f"emit must be `full` or `directives`, not `{emit}`")
    if explain and emit != "full":
        raise ValueError("an explanation goes with emit=`full`")
    if format not in ("jsonl", "json", "csv"):
        raise ValueError(f"format must be one of json, jsonl, csv, not `{format}`")
    if chunk_size is None:
        chunk_size = CHUNK_SIZE
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, not {chunk_size}")
    keep = check_keep(policy.schema, keep)
    check_department(policy, department)
    check_as_of(policy, as_of)
    decide = policy.compile() if as_of is None else policy.compile().at(as_of)
    if chunked is None or chunked:
        try:
            import pyarrow.csv
            import pyarrow.json

            from crmculture.batch.frames import FramePlan

            del pyarrow, FramePlan
        except ImportError:
            if chunked:
                raise
            chunked = False
        else:
            chunked = format != "json"
    if chunked:
        chunks = _Chunked(
            policy, decide, department, emit, explain, keep, chunk_size, log, as_of=as_of
        )
        if format == "jsonl":
            yield from chunks.json_lines(stream)
        else:
            yield from chunks.csv(stream)
        return
    yield from _one_by_one(
        read_records(stream, policy.schema, format),
        decide,
        department,
        emit,
        explain,
        keep,
        chunk_size,
        log,
    )


def _one_by_one(
    items: Iterable[Record | RecordError],
    decide: Callable[..., Decision],
    department: str | None,
    emit: Emit,
    explain: bool,
    keep: tuple[str, ...],
    chunk_size: int,
    log: DecisionLog | None = None,
) -> Iterator[OutputChunk]:
    lines: list[str] = []
    failed = 0
    for item in items:
        text, bad = record_line(
            decide, item, department, emit=emit, explain=explain, keep=keep, log=log
        )
        lines.append(text)
        failed += bad
        if len(lines) >= chunk_size:
            yield OutputChunk("".join(lines), len(lines), failed)
            lines, failed = [], 0
    if lines:
        yield OutputChunk("".join(lines), len(lines), failed)


# -- the chunked route ----------------------------------------------------------------------


class _Fallback(Exception):
    """A chunk the chunked route cannot read exactly: it goes record by record."""


class _Chunked:
    """The chunked route of `decide_records` for one policy, department and output mode."""

    def __init__(
        self,
        policy: Policy,
        decide: Callable[..., Decision],
        department: str | None,
        emit: Emit,
        explain: bool,
        keep: tuple[str, ...],
        chunk_size: int,
        log: DecisionLog | None = None,
        *,
        as_of: dt.date | None = None,
    ) -> None:
        from crmculture.batch.frames import shared_plan

        self.policy = policy
        self.schema = policy.schema
        self.decide = decide
        self.department = department
        self.emit = emit
        self.explain = explain
        self.keep = keep
        self.chunk_size = chunk_size
        self.log = log
        # A log needs every decision: then each row is decided on its own, as for `full`.
        columnar = emit == "directives" and log is None
        # Prepared once per process for a policy and department: a service deciding batch
        # after batch does not prepare it again for each.
        self.plan = shared_plan(policy, department, as_of=as_of) if columnar else None
        self.kinds = {fact.name: fact.type for fact in policy.schema}
        self.directive_texts: dict[tuple[Any, ...], str] = {}

    # -- JSON Lines ---------------------------------------------------------------------

    def json_lines(self, stream: IO[str]) -> Iterator[OutputChunk]:
        index = 0
        numbers: list[int] = []
        texts: list[str] = []
        ends: list[str] = []  # each line's break, for its record-by-record reading
        size = self.chunk_size
        # Blocks of about a chunk's worth of text: memory stays bounded by the chunk size.
        block = max(4096, min(_BLOCK, size * 256))
        for start, lines, breaks, blank in _line_blocks(stream, block):
            if isinstance(breaks, str):
                breaks = [breaks] * len(lines)
            if blank:
                for number, (text, end) in enumerate(zip(lines, breaks, strict=True), start):
                    if text.strip():
                        numbers.append(number)
                        texts.append(text)
                        ends.append(end)
            else:  # the common case: every line a record, numbered in turn
                numbers.extend(range(start, start + len(lines)))
                texts.extend(lines)
                ends.extend(breaks)
            while len(texts) >= size:
                yield self._json_chunk(index, numbers[:size], texts[:size], ends[:size])
                index += size
                del numbers[:size], texts[:size], ends[:size]
        if texts:
            yield self._json_chunk(index, numbers, texts, ends)

    def _json_chunk(
        self, first: int, numbers: list[int], texts: list[str], ends: list[str]
    ) -> OutputChunk:
        def record(k: int) -> Record | RecordError:
            return parse_json_record(texts[k] + ends[k], first + k, numbers[k], self.schema)

        try:
            table, set_aside = self._read_json(texts)
        except _Fallback:
            return self._slow(record(k) for k in range(len(texts)))
        return self._decide_table(table, first, numbers, record, from_csv=False, odd=set_aside)

    def _read_json(self, texts: list[str]) -> tuple[pa.Table, list[int]]:
        """The chunk through Arrow, and the lines set aside for the record-by-record route:
        lines Arrow must not see (too long, which could nest deeper than its parser can
        take; text that is not UTF-8; a carriage return the line reader splits on) and lines
        Arrow rejects (it names their row). Each is replaced by ``{}`` to keep the rows in
        line with the lines."""
        import pyarrow as pa
        import pyarrow.json as pajson

        # The lines come without their line breaks (`_line_blocks`), and hold no `\r`.
        texts = list(texts)
        set_aside = []
        if max(map(len, texts)) > _LONG_LINE:
            set_aside = [k for k, length in enumerate(map(len, texts)) if length > _LONG_LINE]
        data = "\n".join(texts)
        if _SURROGATE_ESCAPE.search(data):
            set_aside.extend(k for k, text in enumerate(texts) if _SURROGATE_ESCAPE.search(text))
        for k in set_aside:
            texts[k] = "{}"
        try:
            raw = ("\n".join(texts) + "\n").encode("utf-8")
        except UnicodeEncodeError:  # bytes that were not UTF-8, kept as lone surrogates
            for k, text in enumerate(texts):
                if _SURROGATE.search(text):
                    texts[k] = "{}"
                    set_aside.append(k)
            raw = ("\n".join(texts) + "\n").encode("utf-8")
        # Dates are read as text and checked here: Arrow would take times as well.
        dates = [name for name, kind in self.kinds.items() if kind == "date"]
        options = pajson.ParseOptions(
            explicit_schema=pa.schema([(name, pa.string()) for name in dates]),
            unexpected_field_behavior="infer",
        )
        for _ in range(_RETRIES):
            try:
                table = pajson.read_json(
                    pa.BufferReader(raw),
                    read_options=pajson.ReadOptions(use_threads=False, block_size=len(raw) + 1),
                    parse_options=options,
                )
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
                found = _ARROW_ROW.search(str(error))
                row = int(found.group(1)) if found else -1
                if not 0 <= row < len(texts) or texts[row] == "{}":
                    raise _Fallback from None
                texts[row] = "{}"
                set_aside.append(row)
                raw = ("\n".join(texts) + "\n").encode("utf-8")
                continue
            if table.num_rows != len(texts):  # two objects on one line, say
                raise _Fallback
            return table.combine_chunks(), sorted(set(set_aside))
        raise _Fallback

    # -- CSV ----------------------------------------------------------------------------

    def csv(self, stream: IO[str]) -> Iterator[OutputChunk]:
        header = stream.readline()
        names = next(iter(_csv_reader([header])), None) if header.strip() else None
        if (
            names is None
            or '"' in header
            or "\r" in header.rstrip("\r\n")
            or len(set(names)) != len(names)
            or any(name not in self.schema and name not in self.keep for name in names)
        ):
            yield from self._slow_csv(chain([header], stream), 0, 0)
            return
        index = 0
        number = 1
        numbers: list[int] = []
        texts: list[str] = []
        for text in stream:
            number += 1
            if '"' in text or text.count("\r") > (1 if text.endswith("\r\n") else 0):
                # Quotes may hold line breaks: from here on, record by record.
                if texts:
                    yield self._csv_chunk(header, names, index, numbers, texts)
                    index += len(texts)
                yield from self._slow_csv(chain([header, text], stream), index, number - 2)
                return
            if text in ("\n", "\r\n", "\r"):
                continue
            numbers.append(number)
            texts.append(text)
            if len(texts) >= self.chunk_size:
                yield self._csv_chunk(header, names, index, numbers, texts)
                index += len(texts)
                numbers, texts = [], []
        if texts:
            yield self._csv_chunk(header, names, index, numbers, texts)

    def _slow_csv(self, lines: Iterable[str], first: int, offset: int) -> Iterator[OutputChunk]:
        """Record by record from a header and what follows it; `first` is the index of the
        first record, `offset` the number of lines before the header's."""
        items = (
            _renumbered(item, first, offset)
            for item in read_records(_lines(lines), self.schema, "csv")
        )
        yield from _one_by_one(
            items,
            self.decide,
            self.department,
            self.emit,
            self.explain,
            self.keep,
            self.chunk_size,
            self.log,
        )

    def _csv_chunk(
        self, header: str, names: list[str], first: int, numbers: list[int], texts: list[str]
    ) -> OutputChunk:
        def record(k: int) -> Record | RecordError:
            item = next(iter(read_records(_lines([header, texts[k]]), self.schema, "csv")))
            return _renumbered(item, first + k, numbers[k] - 2)

        try:
            table = self._read_csv(names, texts)
        except _Fallback:
            return self._slow(record(k) for k in range(len(texts)))
        return self._decide_table(table, first, numbers, record, from_csv=True)

    def _read_csv(self, names: list[str], texts: list[str]) -> pa.Table:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        data = "".join(text if text.endswith("\n") else text + "\n" for text in texts)
        try:
            raw = data.encode("utf-8")
        except UnicodeEncodeError:
            raise _Fallback from None
        try:
            table = pacsv.read_csv(
                pa.BufferReader(raw),
                read_options=pacsv.ReadOptions(
                    column_names=names, use_threads=False, block_size=len(raw) + 1
                ),
                parse_options=pacsv.ParseOptions(quote_char=False, ignore_empty_lines=True),
                convert_options=pacsv.ConvertOptions(
                    column_types={name: pa.string() for name in names},
                    strings_can_be_null=False,
                    null_values=[],
                    quoted_strings_can_be_null=False,
                ),
            )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise _Fallback from None
        if table.num_rows != len(texts):
            raise _Fallback
        return table.combine_chunks()

    # -- deciding a chunk ---------------------------------------------------------------

    def _slow(self, items: Iterable[Record | RecordError]) -> OutputChunk:
        lines: list[str] = []
        failed = 0
        for item in items:
            text, bad = record_line(
                self.decide,
                item,
                self.department,
                emit=self.emit,
                explain=self.explain,
                keep=self.keep,
                log=self.log,
            )
            lines.append(text)
            failed += bad
        return OutputChunk("".join(lines), len(lines), failed)

    def _decide_table(
        self,
        table: pa.Table,
        first: int,
        numbers: list[int],
        record: Callable[[int], Record | RecordError],
        *,
        from_csv: bool,
        odd: Sequence[int] = (),
    ) -> OutputChunk:
        """Decide a chunk read through Arrow; the records it cannot take exactly go one by
        one, from their own text (`record`)."""
        try:
            facts, suspect = self._columns(table, from_csv)
        except _Fallback:
            return self._slow(record(k) for k in range(table.num_rows))
        count = table.num_rows
        if odd:
            suspect[list(odd)] = True
        if self.plan is None:
            return self._full(facts, suspect, first, numbers, record)
        lines, redo = self._directives(facts, suspect, first, numbers)
        failed = 0
        for k in redo:
            lines[k], bad = record_line(
                self.decide,
                record(k),
                self.department,
                emit=self.emit,
                explain=self.explain,
                keep=self.keep,
                log=self.log,
            )
            failed += bad
        return OutputChunk("".join(lines), count, failed)

    def _columns(self, table: pa.Table, from_csv: bool) -> tuple[_Facts, Any]:
        """The fact columns typed as the per-record readers type them, each kept field's
        values, and the rows to decide one by one (a numpy bool array)."""
        import numpy as np
        import pyarrow as pa

        # The batch extra's: imported here, so that the core install reads records too.
        from crmculture.batch.text_columns import UnreadColumn, from_csv_text, from_json

        count = table.num_rows
        suspect = np.zeros(count, dtype=np.bool_)
        arrays: list[pa.Array] = []
        names: list[str] = []
        for name in table.column_names:
            if name in self.keep:
                continue
            if name not in self.schema:
                raise _Fallback  # an unknown fact: record by record, which names it
            column = table.column(name).combine_chunks()
            typed = from_csv_text if from_csv else from_json
            try:
                array, odd = typed(self.kinds[name], column)
            except UnreadColumn:
                raise _Fallback from None
            if odd is not None:
                suspect |= odd
            arrays.append(array)
            names.append(name)
        kept: list[list[Any]] = []
        for name in self.keep:
            if name not in table.column_names:
                kept.append([None] * count)
                continue
            column = table.column(name)
            if not (
                pa.types.is_string(column.type)
                or pa.types.is_int64(column.type)
                or pa.types.is_boolean(column.type)
                or pa.types.is_null(column.type)
            ):
                raise _Fallback
            kept.append(column.to_pylist())
        facts = _Facts(count, pa.Table.from_arrays(arrays, names=names) if names else None, kept)
        return facts, suspect

    def _directives(
        self, facts: _Facts, suspect: Any, first: int, numbers: list[int]
    ) -> tuple[list[str], list[int]]:
        import numpy as np
        import pandas as pd

        assert self.plan is not None
        count = facts.count
        frame = facts.table if facts.table is not None else pd.DataFrame(index=range(count))
        run = self.plan.run(frame)
        redo_mask = suspect.copy()
        if run.rows:
            redo_mask[np.asarray(run.rows, dtype=np.int64)] = True
        # Rows with equal values share their text: number the combinations of values.
        key = np.zeros(count, dtype=np.int64)
        for directive in self.policy.directives:
            codes, uniques = pd.factorize(run.decisions[directive.name], use_na_sentinel=True)
            key, _ = pd.factorize(key * (len(uniques) + 1) + (codes + 1))
        good = np.flatnonzero(~redo_mask)
        combos, where = np.unique(key[good], return_index=True)
        texts = dict.fromkeys(range(int(key.max()) + 1 if count else 0), "")
        for combo, row in zip(combos.tolist(), good[where].tolist(), strict=True):
            texts[combo] = self._directive_text(facts, row)
        keys = key.tolist()
        if self.keep:
            kept = self._kept_json(facts)
            lines = [
                f'{{"directives": {texts[keys[k]]}, "keep": {kept[k]}, '
                f'"line": {numbers[k]}, "record": {first + k}}}\n'
                for k in range(count)
            ]
        else:
            lines = [
                f'{{"directives": {texts[keys[k]]}, "line": {numbers[k]}, "record": {first + k}}}\n'
                for k in range(count)
            ]
        return lines, np.flatnonzero(redo_mask).tolist()

    def _kept_json(self, facts: _Facts) -> list[str]:
        """Each row's kept fields as a JSON object (keys sorted)."""
        order = sorted(range(len(self.keep)), key=lambda n: self.keep[n])
        keys = [encode_basestring(self.keep[n]) + ": " for n in order]
        columns = [[_json_scalar(v) for v in facts.kept[n]] for n in order]
        return [
            "{" + ", ".join(map(str.__add__, keys, row)) + "}" for row in zip(*columns, strict=True)
        ]

    def _directive_text(self, facts: _Facts, row: int) -> str:
        """The directives' JSON for one row, decided by the compiled evaluator: every row
        the columnar evaluator gave the same values shares it."""
        decision = self.decide(facts.customer(row), self.department)
        return json.dumps(json_value(dict(decision.directives)), sort_keys=True, ensure_ascii=False)

    def _full(
        self,
        facts: _Facts,
        suspect: Any,
        first: int,
        numbers: list[int],
        record: Callable[[int], Record | RecordError],
    ) -> OutputChunk:
        """Decide each row with the compiled evaluator, in order (so that a log gets the
        decisions in input order); a row it cannot take exactly goes on its own."""
        decide = self.decide
        department = self.department
        explain = self.explain
        keep = self.keep
        encoder = decision_text(self.policy)
        flags = suspect.tolist()
        lines: list[str] = []
        failed = 0
        for k, customer in enumerate(facts.customers()):
            decision = None
            if not flags[k]:
                with contextlib.suppress(CrmCultureError):  # its own route words the error
                    decision = decide(customer, department)
            if decision is None:
                text, bad = record_line(
                    decide,
                    record(k),
                    department,
                    emit=self.emit,
                    explain=explain,
                    keep=keep,
                    log=self.log,
                )
                lines.append(text)
                failed += bad
                continue
            kept = {name: facts.kept[n][k] for n, name in enumerate(keep)} if keep else None
            if self.log is not None:
                self.log.write(decision, kept)
            if self.emit == "full":
                lines.append(encoder.line(decision, first + k, numbers[k], explain, kept))
            else:
                line = {
                    "directives": json_value(dict(decision.directives)),
                    "line": numbers[k],
                    "record": first + k,
                }
                if kept is not None:
                    line["keep"] = kept
                lines.append(dumps(line))
        return OutputChunk("".join(lines), facts.count, failed)


class _Facts:
    """A chunk's typed fact columns (None when it has none) and kept fields' values."""

    def __init__(self, count: int, table: pa.Table | None, kept: list[list[Any]]) -> None:
        self.count = count
        self.table = table
        self.kept = kept

    def customers(self) -> Iterator[dict[str, Any]]:
        """Each row as a customer record, absent values left out."""
        if self.table is None:
            for _ in range(self.count):
                yield {}
            return
        names = self.table.column_names
        columns = [self.table.column(name).to_pylist() for name in names]
        for values in zip(*columns, strict=True):
            yield {
                name: value for name, value in zip(names, values, strict=True) if value is not None
            }

    def customer(self, row: int) -> dict[str, Any]:
        if self.table is None:
            return {}
        values = self.table.slice(row, 1).to_pylist()[0]
        return {name: value for name, value in values.items() if value is not None}


def _json_scalar(value: Any) -> str:
    if isinstance(value, str):
        return encode_basestring(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(int(value))


def _renumbered(item: Record | RecordError, first: int, offset: int) -> Record | RecordError:
    if isinstance(item, RecordError):
        return RecordError(item.index + first, item.line + offset, item.message)
    return Record(item.index + first, item.line + offset, item.customer)


def _lines(lines: Iterable[str]) -> IO[str]:
    """Lines where a text stream is wanted: the CSV reader only iterates over it."""
    return cast("IO[str]", iter(lines))


def _csv_reader(lines: Iterable[str]) -> Iterator[list[str]]:
    import csv

    return csv.reader(lines, strict=True)


_BLOCK = 1 << 22
"""The most characters `_line_blocks` reads at a time."""

_UNIVERSAL_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_BLANK_LINE = re.compile(r"(?:^|\n)[^\S\n]*(?:\n|$)")


def _line_blocks(
    stream: IO[str], size: int = _BLOCK
) -> Iterator[tuple[int, list[str], str | list[str], bool]]:
    """The lines of a text stream a large block at a time, as iterating over a file opened
    with ``newline=""`` gives them (``\\r``, ``\\n`` and ``\\r\\n`` each end a line), each
    split from its line break: ``(number of the first line, lines, their breaks (one string
    when they all have the same), whether some line may be blank)``."""
    number = 1
    pending = ""
    while True:
        block = stream.read(size)
        if not block:
            break
        block = pending + block
        cut = block.rfind("\n")
        if cut < 0:
            pending = block
            continue
        body, pending = block[: cut + 1], block[cut + 1 :]
        returns = body.count("\r")
        breaks: str | list[str]
        if returns == 0 or returns == body.count("\r\n") == body.count("\n"):
            breaks = "\r\n" if returns else "\n"
            lines = body.split(breaks)
            lines.pop()  # the empty piece after the last line break
            # Lines that all start with `{` are none of them blank: two counts in C decide
            # the common case; otherwise a search looks for a blank line.
            starts = body.count("\n{") + body.startswith("{")
            blank = starts != len(lines) and _BLANK_LINE.search(body) is not None
        else:
            lines, breaks = _split(_UNIVERSAL_LINE.findall(body))
            blank = True
        yield number, lines, breaks, blank
        number += len(lines)
    if pending:
        lines, breaks = _split(_UNIVERSAL_LINE.findall(pending))
        yield number, lines, breaks, True


def _split(found: list[str]) -> tuple[list[str], list[str]]:
    """Lines with their breaks as lines and breaks."""
    lines = [line.rstrip("\r\n") for line in found]
    return lines, [line[len(text) :] for line, text in zip(found, lines, strict=True)]
