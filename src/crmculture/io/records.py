"""Customer records from text: JSON arrays, JSON Lines and CSV, typed through the schema.

Text formats cannot carry every type a fact has: JSON has no decimals or dates and CSV has
only strings. These readers turn each record's values into the types the schema's facts want
(``"12.50"`` or ``12.5`` into ``Decimal("12.50")`` for a decimal fact, ``"2027-01-31"`` into a
date, CSV ``"true"`` into ``True``), leave anything they cannot convert as it is for the
schema to reject with its own message, and read one record at a time, so that memory does not
grow with the input. A record that is not even a JSON object, or a line that is not JSON,
becomes a `RecordError` in the stream, with its line number: nothing is dropped.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from typing import IO, Any, Literal, TypeAlias

import attrs

from crmculture.model.facts import Fact, Schema
from crmculture.model.intake import convert

__all__ = [
    "Record",
    "RecordError",
    "RecordFormat",
    "parse_json_record",
    "read_records",
    "text_value",
    "typed_customer",
]

RecordFormat: TypeAlias = Literal["json", "jsonl", "csv"]
"""The formats customer records can come in."""


@attrs.frozen
class Record:
    """One customer record read from text, with where it came from."""

    index: int
    line: int
    customer: dict[str, Any]


@attrs.frozen
class RecordError:
    """A piece of input that is not a record at all (not JSON, not an object)."""

    index: int
    line: int
    message: str


def _number_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", value.strip()):
        return value.strip()
    return None


def text_value(kind: str, value: Any) -> Any:
    """A value from a text format (JSON, YAML, TOML, CSV) as a fact or directive of type
    `kind` wants it: decimals from numbers or numeric strings, dates from ISO strings. Values
    that do not convert are returned as they are, for the fact or directive to reject.

    Examples:
        >>> text_value("decimal", 12.5), text_value("date", "2027-01-31"), text_value("int", "x")
        (Decimal('12.5'), datetime.date(2027, 1, 31), 'x')
    """
    if kind == "decimal":
        text = _number_text(value)
        if text is not None:
            try:
                return Decimal(text)
            except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
                return value
    if kind == "date" and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def _typed(fact: Fact, value: Any) -> Any:
    converted, problem = convert(fact, value)
    if problem is not None:
        return value
    if fact.type == "float" and type(converted) is int:
        return float(converted)
    return converted


def typed_customer(
    schema: Schema, record: dict[str, Any], *, from_csv: bool = False
) -> dict[str, Any]:
    """A record's values converted as `crmculture.Schema.parse` converts them (see
    `crmculture.model.intake`), each value that does not convert left as it is, and unknown
    keys kept: the schema reports what is wrong when the customer is decided. JSON and CSV
    records are read alike; `from_csv` is kept for callers and changes nothing.

    Examples:
        >>> from crmculture.stories import acme_schema
        >>> typed_customer(acme_schema(), {"balance": 12.5, "credit_hold": "true"})
        {'balance': Decimal('12.5'), 'credit_hold': True}
    """
    del from_csv
    return {
        key: _typed(schema[key], value) if key in schema else value for key, value in record.items()
    }


_UNDECODED = re.compile("[\udc80-\udcff]")


def _undecoded(text: str) -> str | None:
    """Why text read with ``errors="surrogateescape"`` is not UTF-8, or None.

    Readers decode their input that way, so that a bad byte spoils its own record and not
    the rest of the stream.
    """
    found = _UNDECODED.search(text)
    if found is None:
        return None
    return f"not UTF-8 text: byte `{ord(found.group()) - 0xDC00:#04x}`"


def _json_lines(stream: IO[str], schema: Schema) -> Iterator[Record | RecordError]:
    index = 0
    for number, text in enumerate(stream, start=1):
        if not text.strip():
            continue
        undecoded = _undecoded(text)
        if undecoded:
            yield RecordError(index, number, undecoded)
        else:
            yield _parse_json(text, index, number, schema)
        index += 1


def parse_json_record(text: str, index: int, line: int, schema: Schema) -> Record | RecordError:
    """One JSON record from its text, typed through the schema, as the JSON Lines reader
    reads each line: the `Record`, or a `RecordError` saying why it is none.

    Examples:
        >>> from crmculture.stories import acme_schema
        >>> parse_json_record('{"balance": 12.5}', 0, 1, acme_schema()).customer
        {'balance': Decimal('12.5')}
        >>> parse_json_record("[1]", 0, 1, acme_schema()).message
        'a customer is a JSON object, not list'
    """
    undecoded = _undecoded(text)
    if undecoded:
        return RecordError(index, line, undecoded)
    return _parse_json(text, index, line, schema)


def _parse_json(text: str, index: int, line: int, schema: Schema) -> Record | RecordError:
    try:
        value = json.loads(text)
    except ValueError as error:
        return RecordError(index, line, f"not JSON: {error}")
    except RecursionError:
        return RecordError(index, line, "not JSON this reader can take: it nests too deeply")
    return _from_json(value, index, line, schema)


def _from_json(value: Any, index: int, line: int, schema: Schema) -> Record | RecordError:
    if not isinstance(value, dict):
        return RecordError(index, line, f"a customer is a JSON object, not {type(value).__name__}")
    return Record(index, line, typed_customer(schema, value))


class _ArrayReader:
    """The elements of a JSON array, read a chunk at a time. An element that is not JSON is
    skipped to the next comma outside strings and brackets, so that one bad record does not
    take the rest of the array with it."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.buffer = ""
        self.position = 0
        self.line = 1  # the line of buffer[0]
        self.exhausted = False

    def fill(self) -> bool:
        if self.exhausted:
            return False
        chunk = self.stream.read(1 << 16)
        if not chunk:
            self.exhausted = True
            return False
        self.line += self.buffer.count("\n", 0, self.position)
        self.buffer = self.buffer[self.position :] + chunk
        self.position = 0
        return True

    def here(self) -> int:
        return self.line + self.buffer.count("\n", 0, self.position)

    def skip_blank(self) -> bool:
        """Move to the next character that is not white space or a comma; False at the end."""
        while True:
            while self.position < len(self.buffer) and self.buffer[self.position] in " \t\r\n,":
                self.position += 1
            if self.position < len(self.buffer) or not self.fill():
                return self.position < len(self.buffer)

    def element_end(self) -> int | None:
        """Where the element at the position ends (a comma or the closing bracket outside
        strings and brackets), reading more as needed; None when the input ends first."""
        depth, in_string, escaped = 0, False, False
        scan = self.position
        while True:
            while scan < len(self.buffer):
                char = self.buffer[scan]
                if in_string:
                    if escaped:
                        escaped = False
                    elif char == "\\":
                        escaped = True
                    elif char == '"':
                        in_string = False
                elif char == '"':
                    in_string = True
                elif char in "[{":
                    depth += 1
                elif char in "]}":
                    if depth == 0:
                        return scan
                    depth -= 1
                elif char == "," and depth == 0:
                    return scan
                scan += 1
            offset = scan - self.position
            if not self.fill():
                return None
            scan = self.position + offset


def _json_array(stream: IO[str], schema: Schema) -> Iterator[Record | RecordError]:
    """Stream the elements of a JSON array without reading it whole."""
    reader = _ArrayReader(stream)
    if not reader.skip_blank() or reader.buffer[reader.position] != "[":
        yield RecordError(0, reader.here(), "expected a JSON array of customers")
        return
    reader.position += 1
    index = 0
    while reader.skip_blank():
        if reader.buffer[reader.position] == "]":
            return
        end = reader.element_end()
        line = reader.here()
        if end is None:
            yield RecordError(
                index,
                line,
                "the array ends before this element does: the input from here on could not "
                "be split into records",
            )
            return
        text = reader.buffer[reader.position : end]
        undecoded = _undecoded(text)
        yield (
            RecordError(index, line, undecoded)
            if undecoded
            else _parse_json(text, index, line, schema)
        )
        index += 1
        reader.position = end
    yield RecordError(index, reader.here(), "the array is not closed with `]`")


def _csv_rows(stream: IO[str], schema: Schema) -> Iterator[Record | RecordError]:
    # Strict: a quote where it does not belong is the row's error, and a quote left open
    # is reported where the input can no longer be split into rows.
    reader = csv.DictReader(stream, strict=True)
    index = 0
    line = 1  # the header's
    while True:
        # The reader does not count the lines of a row it fails on: count on from the last.
        line = max(reader.line_num, line) + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            if "unexpected end of data" in str(error):
                yield RecordError(
                    index,
                    line,
                    "a quote is left open: the input from here on could not be split into rows",
                )
                return
            yield RecordError(index, line, f"not CSV: {error}")
            index += 1
            continue
        line = reader.line_num
        undecoded = next(filter(None, map(_undecoded, map(str, row.values()))), None)
        if undecoded:
            yield RecordError(index, line, undecoded)
        elif None in row:
            yield RecordError(index, line, "the row has more cells than the header has columns")
        else:
            yield Record(index, line, typed_customer(schema, dict(row)))
        index += 1


def read_records(
    stream: IO[str], schema: Schema, format: RecordFormat
) -> Iterable[Record | RecordError]:
    """Read customer records one at a time from a text stream.

    Examples:
        >>> import io
        >>> from crmculture.stories import acme_schema
        >>> rows = io.StringIO("credit_hold,days_overdue,annual_volume,tier\\ntrue,0,10,gold\\n")
        >>> [r.customer for r in read_records(rows, acme_schema(), "csv")]
        [{'credit_hold': True, 'days_overdue': 0, 'annual_volume': 10, 'tier': 'gold'}]
    """
    readers = {"json": _json_array, "jsonl": _json_lines, "csv": _csv_rows}
    if format not in readers:
        raise ValueError(f"format must be one of json, jsonl, csv, not `{format}`")
    return readers[format](stream, schema)
