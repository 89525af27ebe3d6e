"""Culture documents: load a policy from YAML, JSON or TOML, and dump it back.

A document says everything once, in business words::

    format: crmculture/1
    name: acme
    facts:
      credit_hold:  {type: bool}
      days_overdue: {type: int, min: 0, better: lower}
    directives:
      route_to: {type: text, default: frontline, uniform: true}
    rules:
      - id: credit-hold
        when: credit_hold or days_overdue > 60
        then: {route_to: accounts_receivable}

Loading collects every problem (unknown keys, wrong types, unknown facts in conditions,
values outside a directive's domain, repeated rule ids, ...) and raises one `DocumentError`
whose problems each name their place: ``rules[3].when, line 41, col 12: unknown fact
`days_overdu` (did you mean `days_overdue`?)``. Dumping writes conditions as text, and
``load(dump(policy)) == policy``.

This module is the front of the format: reading text (`read_document`), loading
(`crmculture.io.loading`) and dumping (`crmculture.io.dumping`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path as FilePath
from typing import Any, Literal, TypeAlias

from crmculture.culture import Culture
from crmculture.errors import DocumentError, Problem
from crmculture.io.dumping import WRITERS, culture_document, policy_document
from crmculture.io.loading import load_culture
from crmculture.io.positions import READERS, Positions
from crmculture.model.policies import Policy

__all__ = [
    "MAX_DOCUMENT_SIZE",
    "Format",
    "culture_document",
    "dump",
    "dump_policy",
    "load",
    "load_policy",
    "policy_document",
    "read_document",
]

Format: TypeAlias = Literal["yaml", "json", "toml"]
"""The document formats."""

MAX_DOCUMENT_SIZE = 16 * 1024 * 1024
"""The largest document read, in bytes or characters: a culture is a few pages."""

_EXTENSIONS: dict[str, Format] = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".toml": "toml"}


# -- reading text -------------------------------------------------------------------------------


def _sniff(text: str) -> Format:
    """Guess the format of document text: JSON starts with `{`, TOML assigns with `=`."""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("{"):
            return "json"
        if re.match(r"[A-Za-z0-9_\"'.-]+\s*=", stripped) or stripped.startswith("["):
            return "toml"
        return "yaml"
    return "yaml"


def read_document(
    source: str | bytes | os.PathLike[str], format: Format | None = None
) -> tuple[Any, Positions, str, Format]:
    """Read a document from a path or from text: its data, positions, name and format.

    A `str` that names an existing file (and holds no newline) is read as a path; any other
    `str` is document text. The format comes from `format`, the file extension, or the text.
    """
    name = "the document"
    if isinstance(source, os.PathLike) or (
        isinstance(source, str)
        and "\n" not in source
        and len(source) < 4096
        and FilePath(source).suffix.lower() in _EXTENSIONS
        and FilePath(source).is_file()
    ):
        path = FilePath(source)
        name = str(path)
        raw: str | bytes
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise DocumentError(
                f"cannot read {name}", [Problem((), error.strerror or str(error))]
            ) from None
        format = format or _EXTENSIONS.get(path.suffix.lower())
    elif isinstance(source, bytes | str):
        raw = source
    else:
        raise TypeError(f"expected a path, text or bytes, not `{type(source).__name__}`")
    if len(raw) > MAX_DOCUMENT_SIZE:
        raise DocumentError(
            f"cannot read {name}",
            [Problem((), f"the document is larger than {MAX_DOCUMENT_SIZE:,} characters")],
        )
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise DocumentError(
                f"cannot read {name}",
                [Problem((), f"not UTF-8 text: byte {error.start} is `{raw[error.start]:#04x}`")],
            ) from None
    else:
        text = raw
    if format is None:
        format = _sniff(text)
    if format not in READERS:
        raise ValueError(f"format must be one of yaml, json, toml, not `{format}`")
    data, positions = READERS[format](text, name)
    return data, positions, name, format


def load_policy(source: str | bytes | os.PathLike[str], format: Format | None = None) -> Policy:
    """Load a policy from a culture document (a path, or YAML/JSON/TOML text).

    Raises:
        DocumentError: listing every problem with its place (path, line and column).

    Examples:
        >>> policy = load_policy('''
        ... format: crmculture/1
        ... name: acme
        ... facts:
        ...   credit_hold: {type: bool}
        ... directives:
        ...   route_to: {type: text, default: frontline, uniform: true}
        ... rules:
        ...   - id: credit-hold
        ...     when: credit_hold
        ...     then: {route_to: accounts_receivable}
        ... ''')
        >>> policy.compile()({"credit_hold": True})["route_to"]
        'accounts_receivable'
    """
    return load(source, format).policy


def load(source: str | bytes | os.PathLike[str], format: Format | None = None) -> Culture:
    """Load a culture (its policy, and its org where the document has one).

    A document without an ``org`` section gives a culture with an empty org.

    Raises:
        DocumentError: listing every problem with its place (path, line and column).

    Examples:
        >>> culture = load("examples/acme-culture.yaml")
        >>> culture.policy.name, culture.org.names[:2]
        ('acme', ('accounts_receivable', 'billing'))
    """
    data, positions, name, _ = read_document(source, format)
    return load_culture(data, positions, name)


def dump(culture: Culture, format: Format = "yaml") -> str:
    """Write a culture as a document: ``load(dump(culture, f)) == culture`` for every format.

    Examples:
        >>> from crmculture.stories import acme_culture
        >>> load(dump(acme_culture(), "toml"), "toml") == acme_culture()
        True
    """
    if format not in WRITERS:
        raise ValueError(f"format must be one of yaml, json, toml, not `{format}`")
    return WRITERS[format](culture_document(culture))


def dump_policy(policy: Policy, format: Format = "yaml") -> str:
    """Write a policy as a culture document; conditions are written as text.

    ``load_policy(dump_policy(policy, f)) == policy`` for every format `f`.

    Examples:
        >>> from crmculture.stories import acme_policy
        >>> text = dump_policy(acme_policy(), "yaml")
        >>> text.splitlines()[0]
        'format: crmculture/1'
        >>> load_policy(text) == acme_policy()
        True
    """
    if format not in WRITERS:
        raise ValueError(f"format must be one of yaml, json, toml, not `{format}`")
    return WRITERS[format](policy_document(policy))
