"""The JSON position reader: the data `json.loads` gives, and where every value starts.

`read_json(text, source)` returns ``(data, positions)``. `positions` maps the path of every
value (the document itself is ``()``; then keys and list indexes) to the 1-based line and
column where the value starts; keys have no entry of their own. Lines end at ``\\n`` only, as
in `json.JSONDecodeError` (a ``\\r`` or a U+2028 inside a line does not start a new one), and
columns count characters (code points), as Python indexes text.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmculture.errors import DocumentError, Path
from crmculture.io.positions import read_json

# Characters that stress the string scanner and the column count: quotes, backslashes, control
# characters (escaped by json.dumps), non-ASCII and astral characters (one column each, two
# UTF-16 units), characters that other tools take for line breaks, and lone surrogates.
TRICKY = '"\\/\b\f\n\r\t\x00\x1f\x7f é€\u2028\u2029\x85\ufeff\U0001f600'
strings = st.text(
    st.sampled_from(TRICKY) | st.characters() | st.characters(categories=["Cs"]), max_size=6
)
# Numbers json.dumps writes in each of its forms: exponents without a fraction (`1e+16`), tiny
# and huge magnitudes, negative zero, and integers longer than any float.
EDGE_NUMBERS = [1e16, -1e-07, 5e-324, 1.7976931348623157e308, -0.0, 0.1, 10**30, -(2**63)]
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(EDGE_NUMBERS)
    | strings
)
documents = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(strings, children, max_size=4)
    ),
    max_leaves=20,
)
# Every way json.dumps lays a document out; each separator is valid JSON whitespace around
# the `,` and `:`.
INDENTS = [None, 0, 1, 2, 4, "\t", " \t"]
SEPARATORS = [None, (",", ":"), (", ", ": "), (" ,\n", " :\t"), ("\r\n,", ":\r\n ")]
WHITESPACE = st.text(st.sampled_from(" \t\r\n"), max_size=3)
NUMBER_START = re.compile(r"-?[0-9]")


@st.composite
def rendered(draw: st.DrawFn) -> str:
    """A generated document as json.dumps writes it, with some whitespace around it."""
    text = json.dumps(
        draw(documents),
        indent=draw(st.sampled_from(INDENTS)),
        separators=draw(st.sampled_from(SEPARATORS)),
        ensure_ascii=draw(st.booleans()),
        sort_keys=draw(st.booleans()),
    )
    return draw(WHITESPACE) + text + draw(WHITESPACE)


def typed(value: Any) -> Any:
    """The value with its types and member order made part of equality (``1 != 1.0``)."""
    if isinstance(value, dict):
        return ("object", [(key, typed(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ("array", [typed(item) for item in value])
    return (type(value).__name__, value)


def paths(value: Any, path: Path = ()) -> list[Path]:
    """The path of the value and of every value inside it."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(paths(item, (*path, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(paths(item, (*path, index)))
    return found


def at(value: Any, path: Path) -> Any:
    for part in path:
        value = value[part]
    return value


def offset_of(text: str, line: int, column: int) -> int:
    """The index in `text` of a 1-based line and column; the place must be inside that line."""
    lines = text.split("\n")
    assert 1 <= line <= len(lines), (line, len(lines))
    assert 1 <= column <= len(lines[line - 1]), (column, lines[line - 1])
    return sum(len(earlier) + 1 for earlier in lines[: line - 1]) + column - 1


def starts(text: str, offset: int, value: Any) -> bool:
    """Whether a JSON text of `value` starts at `offset`, judged by its first characters."""
    if isinstance(value, dict):
        return text[offset] == "{"
    if isinstance(value, list):
        return text[offset] == "["
    if isinstance(value, str):
        return text[offset] == '"'
    if isinstance(value, bool) or value is None:
        return text.startswith(json.dumps(value), offset)
    return NUMBER_START.match(text, offset) is not None


class TestReadJson:
    """read_json reads what json.loads reads and knows where each value is."""

    @given(rendered())
    def test_the_data_is_what_json_loads_gives(self, text: str) -> None:
        """Same values, same types, same key order."""
        data, _ = read_json(text, "doc.json")
        assert typed(data) == typed(json.loads(text))

    @given(rendered())
    def test_every_value_has_a_position(self, text: str) -> None:
        """The positions name every value of the document, and nothing else."""
        _, positions = read_json(text, "doc.json")
        assert sorted(map(repr, positions)) == sorted(map(repr, paths(json.loads(text))))

    @given(rendered())
    def test_each_position_is_where_its_value_starts(self, text: str) -> None:
        """At each recorded line and column the value's text begins: `{`, `[`, `"`, a digit or
        minus sign, or the literal; decoding from there gives exactly that value."""
        expected = json.loads(text)
        _, positions = read_json(text, "doc.json")
        decoder = json.JSONDecoder()
        for path, (line, column) in positions.items():
            offset = offset_of(text, line, column)
            value = at(expected, path)
            assert starts(text, offset, value), (path, text[offset : offset + 10])
            decoded, _ = decoder.raw_decode(text, offset)
            assert typed(decoded) == typed(value), path

    def test_positions_of_a_small_document(self) -> None:
        """A worked example: values after keys, in lists, on later lines, after a tab."""
        text = '{"a": [1, "x"],\n "b":\t{"c": null}}'
        _, positions = read_json(text, "doc.json")
        assert positions == {
            (): (1, 1),
            ("a",): (1, 7),
            ("a", 0): (1, 8),
            ("a", 1): (1, 11),
            ("b",): (2, 7),
            ("b", "c"): (2, 13),
        }


@st.composite
def with_duplicates(draw: st.DrawFn) -> tuple[str, list[tuple[Path, int, int]]]:
    """An object whose members repeat some keys, placed somewhere in a document, and each
    repeated occurrence's path, line and column (of the key's opening quote)."""
    keys = draw(st.lists(strings, min_size=1, max_size=4, unique=True))
    repeats = draw(st.lists(st.sampled_from(keys), min_size=1, max_size=3))
    order = draw(st.permutations([*keys, *repeats]))
    prefix: Path = draw(st.sampled_from([(), ("rules",), ("rules", 0)]))
    ensure_ascii = draw(st.booleans())
    head = {(): "", ("rules",): '{"rules": ', ("rules", 0): '{\n  "rules": [\n    '}[prefix]
    tail = {(): "", ("rules",): "}", ("rules", 0): "]}"}[prefix]
    text = head + "{"
    seen: set[str] = set()
    expected = []
    for index, key in enumerate(order):
        if index:
            text += ",\n" + " " * (index % 3)
        line = text.count("\n") + 1
        column = len(text) - (text.rfind("\n") + 1) + 1
        if key in seen:
            expected.append(((*prefix, key), line, column))
        seen.add(key)
        text += json.dumps(key, ensure_ascii=ensure_ascii) + f": {index}"
    return text + "}" + tail, expected


class TestDuplicateKeys:
    """A key given twice in one object is a problem, never silently the last value."""

    @given(with_duplicates())
    def test_every_repeated_key_is_a_problem_at_its_place(
        self, case: tuple[str, list[tuple[Path, int, int]]]
    ) -> None:
        """One problem per repeated occurrence, in text order, with the key's path, line and
        column."""
        text, expected = case
        with pytest.raises(DocumentError) as raised:
            read_json(text, "doc.json")
        found = [(p.path, p.message, p.line, p.column) for p in raised.value.problems]
        assert found == [(path, "key is given twice", line, col) for path, line, col in expected]

    def test_keys_equal_after_unescaping_are_the_same_key(self) -> None:
        """`"a"` and `"\\u0061"` are one key."""
        with pytest.raises(DocumentError) as raised:
            read_json('{"a": 1, "\\u0061": 2}', "doc.json")
        assert [(p.path, p.line, p.column) for p in raised.value.problems] == [(("a",), 1, 10)]

    def test_the_same_key_in_different_objects_is_fine(self) -> None:
        """Keys are unique per object, not per document."""
        data, _ = read_json('[{"a": 1}, {"a": 2}, {"b": {"a": 3}}]', "doc.json")
        assert data == [{"a": 1}, {"a": 2}, {"b": {"a": 3}}]


# Texts json.loads rejects; the reader must reject them too, with a DocumentError.
NOT_JSON = [
    pytest.param("", id="empty"),
    pytest.param(" \n ", id="only-whitespace"),
    pytest.param("01", id="leading-zero"),
    pytest.param("1.", id="no-fraction-digits"),
    pytest.param(".5", id="no-integer-digits"),
    pytest.param("+1", id="plus-sign"),
    pytest.param("1e", id="no-exponent-digits"),
    pytest.param("[1,]", id="trailing-comma"),
    pytest.param('{"a": 1,}', id="trailing-comma-in-object"),
    pytest.param("{'a': 1}", id="single-quotes"),
    pytest.param('{"a" 1}', id="no-colon"),
    pytest.param("[1 2]", id="no-comma"),
    pytest.param("tru", id="short-literal"),
    pytest.param("1 2", id="two-documents"),
    pytest.param('"\x01"', id="raw-control-character"),
    pytest.param('"\\x41"', id="bad-escape"),
    pytest.param('"abc', id="unterminated-string"),
    pytest.param("\ufeff1", id="byte-order-mark"),
    pytest.param("\u20281", id="line-separator-is-not-whitespace"),
    pytest.param("\u0661", id="non-ascii-digit-alone"),
    pytest.param("1\u0661", id="non-ascii-digit-after-a-digit"),
    pytest.param("[1e\u0661]", id="non-ascii-digit-in-an-exponent"),
    pytest.param('{"a": 0.\u0661}', id="non-ascii-digit-in-a-fraction"),
]


@pytest.mark.parametrize("text", NOT_JSON)
def test_what_json_loads_rejects_the_reader_rejects(text: str) -> None:
    """No text that is not JSON reads as data."""
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    with pytest.raises(DocumentError):
        read_json(text, "doc.json")
