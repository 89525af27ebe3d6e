"""Reading YAML, JSON and TOML text into plain data, with the line and column of every value.

Each reader returns the data and a map from a value's path (a tuple of keys and indexes) to its
1-based ``(line, column)``, so that problems found later can say where they are. Duplicate
keys, which YAML and JSON parsers usually accept silently (keeping the last), are problems
here: a culture document says each thing once.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from typing import Any, TypeAlias

from crmculture.errors import DocumentError, Path, Problem
from crmculture.model.values import MAX_DIGITS

__all__ = ["MAX_NESTING", "MAX_VALUES", "Path", "Positions", "read_json", "read_toml", "read_yaml"]

Positions: TypeAlias = dict[Path, tuple[int, int]]

MAX_NESTING = 100
"""The deepest a document may nest mappings and lists."""

MAX_VALUES = 100_000
"""The most values a document may hold, counting each YAML alias as often as it is used: a
few lines of aliases can stand for billions of values (an "alias bomb")."""

_LONGEST_NUMBER = MAX_DIGITS + 24  # digits, a sign, a point and an exponent
_LONG_DIGITS = re.compile(rf"[0-9_]{{{MAX_DIGITS + 1},}}")


def _fail(source: str, message: str, line: int | None, column: int | None) -> DocumentError:
    return DocumentError(f"cannot read {source}", [Problem((), message, line=line, column=column)])


# -- YAML ---------------------------------------------------------------------------------------


def read_yaml(text: str, source: str) -> tuple[Any, Positions]:
    """Parse YAML with the safe loader; keys must be unique."""
    try:
        import yaml
    except ImportError:  # pragma: no cover - exercised without the extra installed
        raise DocumentError(
            f"cannot read {source}",
            [
                Problem(
                    (),
                    "reading YAML needs PyYAML: install the extra with `pip install "
                    "'crmculture[yaml]'`",
                )
            ],
        ) from None
    positions: Positions = {}
    duplicates: list[Problem] = []
    loader = None
    try:
        loader = yaml.SafeLoader(text)
        node = loader.get_single_node()
        if node is None:
            return None, positions
        _walk_yaml(node, (), positions, duplicates, 0, source, [MAX_VALUES])
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = " ".join(str(part) for part in (error.context, error.problem) if part)
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        raise _fail(source, f"invalid YAML: {message}", line, column) from None
    except yaml.YAMLError as error:
        raise _fail(source, f"invalid YAML: {error}", None, None) from None
    except RecursionError:
        raise _fail(source, "the document nests too deeply", None, None) from None
    except DocumentError:
        raise
    except (ValueError, OverflowError) as error:  # a scalar YAML resolves but cannot build
        raise _fail(source, f"invalid YAML value: {error}", None, None) from None
    finally:
        if loader is not None:
            loader.dispose()
    if duplicates:
        raise DocumentError(f"cannot read {source}", duplicates)
    return data, positions


def _walk_yaml(
    node: Any,
    path: Path,
    positions: Positions,
    duplicates: list[Problem],
    depth: int,
    source: str,
    budget: list[int],
) -> None:
    import yaml

    budget[0] -= 1
    mark = node.start_mark
    if budget[0] < 0:
        raise _fail(
            source,
            f"the document holds more than {MAX_VALUES:,} values (counting YAML aliases "
            "as often as they are used)",
            mark.line + 1,
            mark.column + 1,
        )
    if (
        isinstance(node, yaml.ScalarNode)
        and node.tag in (_YAML_INT, _YAML_FLOAT)
        and len(node.value) > _LONGEST_NUMBER
    ):
        raise _fail(
            source, f"a number of more than {MAX_DIGITS} digits", mark.line + 1, mark.column + 1
        )
    if depth > MAX_NESTING:
        mark = node.start_mark
        raise _fail(
            source,
            f"the document nests deeper than {MAX_NESTING} levels",
            mark.line + 1,
            mark.column + 1,
        )
    positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            if key in seen:
                duplicates.append(
                    Problem(
                        (*path, key),
                        "key is given twice",
                        line=key_node.start_mark.line + 1,
                        column=key_node.start_mark.column + 1,
                    )
                )
            seen.add(key)
            _walk_yaml(value_node, (*path, key), positions, duplicates, depth + 1, source, budget)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk_yaml(item, (*path, index), positions, duplicates, depth + 1, source, budget)


_YAML_INT = "tag:yaml.org,2002:int"
_YAML_FLOAT = "tag:yaml.org,2002:float"


# -- JSON ---------------------------------------------------------------------------------------

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")


class _JsonReader:
    """A small JSON parser that records where each value starts; values are exactly what
    `json.loads` gives (it uses the standard library's string scanner)."""

    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.positions: Positions = {}
        self.duplicates: list[Problem] = []
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def where(self, offset: int) -> tuple[int, int]:
        import bisect

        line = bisect.bisect_right(self.line_starts, offset)
        return line, offset - self.line_starts[line - 1] + 1

    def fail(self, offset: int, message: str) -> DocumentError:
        line, column = self.where(offset)
        return _fail(self.source, f"invalid JSON: {message}", line, column)

    def skip(self, offset: int) -> int:
        match = _WHITESPACE.match(self.text, offset)
        assert match is not None
        return match.end()

    def value(self, offset: int, path: Path, depth: int) -> tuple[Any, int]:
        offset = self.skip(offset)
        if depth > MAX_NESTING:
            raise self.fail(offset, f"the document nests deeper than {MAX_NESTING} levels")
        self.positions[path] = self.where(offset)
        text = self.text
        char = text[offset : offset + 1]
        if char == "{":
            return self.object(offset + 1, path, depth)
        if char == "[":
            return self.array(offset + 1, path, depth)
        if char == '"':
            return self.string(offset)
        for word, constant in (("true", True), ("false", False), ("null", None)):
            if text.startswith(word, offset):
                return constant, offset + len(word)
        match = _NUMBER.match(text, offset)
        if match:
            number = match.group()
            if len(number) > _LONGEST_NUMBER:
                raise self.fail(offset, f"a number of more than {MAX_DIGITS} digits")
            is_float = match.group(1) or match.group(2)
            return (float(number) if is_float else int(number)), match.end()
        found = "the end of the text" if not char else f"`{char}`"
        raise self.fail(offset, f"expected a value, found {found}")

    def string(self, offset: int) -> tuple[str, int]:
        try:
            return json.decoder.scanstring(self.text, offset + 1)  # type: ignore[attr-defined,no-any-return]
        except json.JSONDecodeError as error:
            raise self.fail(error.pos, error.msg) from None

    def object(self, offset: int, path: Path, depth: int) -> tuple[dict[str, Any], int]:
        result: dict[str, Any] = {}
        offset = self.skip(offset)
        if self.text.startswith("}", offset):
            return result, offset + 1
        while True:
            offset = self.skip(offset)
            if not self.text.startswith('"', offset):
                raise self.fail(offset, "expected a key in double quotes")
            key_offset = offset
            key, offset = self.string(offset)
            offset = self.skip(offset)
            if not self.text.startswith(":", offset):
                raise self.fail(offset, "expected `:` after the key")
            if key in result:
                line, column = self.where(key_offset)
                self.duplicates.append(
                    Problem((*path, key), "key is given twice", line=line, column=column)
                )
            result[key], offset = self.value(offset + 1, (*path, key), depth + 1)
            offset = self.skip(offset)
            if self.text.startswith(",", offset):
                offset += 1
                continue
            if self.text.startswith("}", offset):
                return result, offset + 1
            raise self.fail(offset, "expected `,` or `}` in the object")

    def array(self, offset: int, path: Path, depth: int) -> tuple[list[Any], int]:
        result: list[Any] = []
        offset = self.skip(offset)
        if self.text.startswith("]", offset):
            return result, offset + 1
        while True:
            item, offset = self.value(offset, (*path, len(result)), depth + 1)
            result.append(item)
            offset = self.skip(offset)
            if self.text.startswith(",", offset):
                offset += 1
                continue
            if self.text.startswith("]", offset):
                return result, offset + 1
            raise self.fail(offset, "expected `,` or `]` in the list")


def read_json(text: str, source: str) -> tuple[Any, Positions]:
    """Parse JSON, recording positions; keys must be unique."""
    reader = _JsonReader(text, source)
    data, offset = reader.value(0, (), 0)
    offset = reader.skip(offset)
    if offset != len(text):
        raise reader.fail(offset, "unexpected text after the document")
    if reader.duplicates:
        raise DocumentError(f"cannot read {source}", reader.duplicates)
    return data, reader.positions


# -- TOML ---------------------------------------------------------------------------------------

_TOML_AT = re.compile(r"\(at line (\d+), column (\d+)\)")


def read_toml(text: str, source: str) -> tuple[Any, Positions]:
    """Parse TOML (no positions: the standard library's parser does not report them)."""
    try:
        return tomllib.loads(text), {}
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = _TOML_AT.search(message)
        line = int(match.group(1)) if match else None
        column = int(match.group(2)) if match else None
        message = _TOML_AT.sub("", message).strip()
        raise _fail(source, f"invalid TOML: {message}", line, column) from None
    except RecursionError:
        raise _fail(source, "the document nests too deeply", None, None) from None
    except ValueError:  # Python refuses to read an integer of more than 4,300 digits
        long = _LONG_DIGITS.search(text)
        line = column = None
        if long:
            line = text.count("\n", 0, long.start()) + 1
            column = long.start() - (text.rfind("\n", 0, long.start()) + 1) + 1
        raise _fail(source, f"a number of more than {MAX_DIGITS} digits", line, column) from None


READERS: dict[str, Callable[[str, str], tuple[Any, Positions]]] = {
    "yaml": read_yaml,
    "json": read_json,
    "toml": read_toml,
}
