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

__all__ = [
    "Record",
    "RecordError",
    "RecordFormat",
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


_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})


def _typed(fact: Fact, value: Any, *, from_csv: bool) -> Any:
    if from_csv and isinstance(value, str):
        if value == "":
            return None
        if fact.type == "bool" and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        if fact.type == "int":
            try:
                return int(value)
            except ValueError:
                return value
        if fact.type == "float":
            try:
                return float(value)
            except ValueError:
                return value
    if fact.type == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return text_value(fact.type, value)


def typed_customer(
    schema: Schema, record: dict[str, Any], *, from_csv: bool = False
) -> dict[str, Any]:
    """A record's values converted to the types its facts want; unknown keys are kept (the
    schema reports them).

    Examples:
        >>> from crmculture.stories import acme_schema
        >>> typed_customer(acme_schema(), {"balance": 12.5, "credit_hold": "true"}, from_csv=True)
        {'balance': Decimal('12.5'), 'credit_hold': True}
    """
    return {
        key: _typed(schema[key], value, from_csv=from_csv) if key in schema else value
        for key, value in record.items()
    }


def _json_lines(stream: IO[str], schema: Schema) -> Iterator[Record | RecordError]:
    index = 0
    for number, text in enumerate(stream, start=1):
        if not text.strip():
            continue
        try:
            value = json.loads(text)
        except ValueError as error:
            yield RecordError(index, number, f"not JSON: {error}")
        else:
            yield _from_json(value, index, number, schema)
        index += 1


def _from_json(value: Any, index: int, line: int, schema: Schema) -> Record | RecordError:
    if not isinstance(value, dict):
        return RecordError(index, line, f"a customer is a JSON object, not {type(value).__name__}")
    return Record(index, line, typed_customer(schema, value))


def _json_array(stream: IO[str], schema: Schema) -> Iterator[Record | RecordError]:
    """Stream the elements of a JSON array without reading it whole."""
    decoder = json.JSONDecoder()
    buffer = ""
    line = 1
    position = 0
    started = False
    index = 0
    exhausted = False

    def fill() -> bool:
        nonlocal buffer, position, line
        chunk = stream.read(1 << 16)
        if not chunk:
            return False
        line += buffer.count("\n", 0, position)
        buffer = buffer[position:] + chunk
        position = 0
        return True

    while True:
        while position < len(buffer) and buffer[position] in " \t\r\n,":
            position += 1
        if position >= len(buffer):
            if exhausted or not fill():
                exhausted = True
                if not started:
                    yield RecordError(0, line, "expected a JSON array of customers")
                return
            continue
        if not started:
            if buffer[position] != "[":
                yield RecordError(0, line, "expected a JSON array of customers")
                return
            started = True
            position += 1
            continue
        if buffer[position] == "]":
            return
        try:
            value, end = decoder.raw_decode(buffer, position)
        except ValueError as error:
            if fill():
                continue
            here = line + buffer.count("\n", 0, position)
            yield RecordError(index, here, f"not JSON: {error}")
            return
        here = line + buffer.count("\n", 0, position)
        yield _from_json(value, index, here, schema)
        index += 1
        position = end


def _csv_rows(stream: IO[str], schema: Schema) -> Iterator[Record | RecordError]:
    reader = csv.DictReader(stream)
    for index, row in enumerate(reader):
        line = reader.line_num
        if None in row:
            yield RecordError(index, line, "the row has more cells than the header has columns")
        else:
            yield Record(index, line, typed_customer(schema, dict(row), from_csv=True))


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
