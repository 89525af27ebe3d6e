"""Canonical JSON of decisions, built from what each policy can encode once.

A decision's canonical JSON (and the input of its fingerprint) is
`crmculture.model.values.canonical_json` of a JSON-ready document: sorted keys, no spaces,
ASCII only. Encoding that document anew for every decision spends most of its time on what
never changes for a policy (the key names, their order, the policy's own part) and on the few
values a fact or directive takes again and again. This module precomputes those parts once
per policy and keeps, per fact and per directive, a bounded table from value to its encoded
text, so that a decision's JSON is a handful of dictionary look-ups and one join.

The bytes are exactly those of `canonical_json`: every value that is not in a table yet is
encoded by `value_json`, which gives `canonical_json(json_value(value))` (a property test
compares the two on generated decisions).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from json.encoder import encode_basestring_ascii as _quote
from operator import itemgetter
from typing import Any

from crmculture.model.values import canonical_json, decimal_text, json_value

__all__ = ["Texts", "object_encoder", "quote", "value_json"]

TABLE_LIMIT = 1024
"""How many values a table remembers; later values are encoded on every use."""


def quote(text: str) -> str:
    """A string as canonical JSON spells it (ASCII, JSON escapes).

    Examples:
        >>> quote('Zürich "HQ"')
        '"Z\\\\u00fcrich \\\\"HQ\\\\""'
    """
    return _quote(text)


def value_json(value: Any) -> str:
    """The canonical JSON text of one value: ``canonical_json(json_value(value))``.

    The common types are spelled directly (as the standard `json` module spells them); any
    other type, and a float that is not finite, goes through `canonical_json` itself, so that
    its text (or its error) is that of the general path.

    Examples:
        >>> from decimal import Decimal
        >>> [value_json(v) for v in (None, True, 12, -0.0, Decimal("2.50"), ("a", "b"))]
        ['null', 'true', '12', '0.0', '"2.5"', '["a","b"]']
    """
    kind = type(value)
    if kind is str:
        return _quote(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    if kind is float and math.isfinite(value):
        return float.__repr__(value + 0.0)  # -0.0 == 0.0, so both get one spelling
    if kind is Decimal:
        return _quote(decimal_text(value))
    if kind is dt.date:
        day: dt.date = value
        return '"' + day.isoformat() + '"'
    if kind is tuple:
        return "[" + ",".join([value_json(item) for item in value]) + "]"
    return canonical_json(json_value(value))


class Texts(dict[Any, str]):
    """One fact's or directive's values mapped to their JSON text, each after `prefix`.

    Looking a value up encodes it on first use (`value_json`) and remembers it, up to
    `TABLE_LIMIT` values.

    # INVARIANT: a table serves one fact or one directive, whose values all have one type
    # (evaluators normalize them) or are None. Values are looked up by equality, so mixing
    # types with equal values (``1``, ``1.0``, ``True``) in one table would share a text.

    Examples:
        >>> texts = Texts(',"tier":')
        >>> texts["gold"], len(texts)
        (',"tier":"gold"', 1)
    """

    __slots__ = ("prefix",)

    def __init__(self, prefix: str, known: Iterable[Any] = ()) -> None:
        super().__init__()
        self.prefix = prefix
        for value in known:
            self[value] = prefix + value_json(value)

    def __missing__(self, value: Any) -> str:
        text = self.prefix + value_json(value)
        if len(self) < TABLE_LIMIT:
            self[value] = text
        return text


def object_encoder(
    names: Sequence[str],
    positions: Sequence[int],
    known: Sequence[Iterable[Any]],
) -> Callable[[tuple[Any, ...]], str]:
    """A function spelling the JSON object of fixed keys `names` whose values are at
    `positions` in a state tuple: keys sorted, each value through its own `Texts` table
    (which starts out with the values in `known`).

    Examples:
        >>> encode = object_encoder(["tier", "days"], [2, 1], [["gold"], ()])
        >>> encode(("x", 12, "gold"))
        '{"days":12,"tier":"gold"}'
    """
    if not names:
        return lambda state: "{}"
    order = sorted(range(len(names)), key=lambda k: names[k])
    # The opening brace goes with the first key, and a comma with every later one.
    tables = tuple(
        Texts(("," if n else "{") + _quote(names[k]) + ":", known[k]) for n, k in enumerate(order)
    )
    if len(order) == 1:
        table, position = tables[0], positions[order[0]]

        def encode_one(state: tuple[Any, ...]) -> str:
            return table[state[position]] + "}"

        return encode_one
    pick = itemgetter(*(positions[k] for k in order))
    get = dict.__getitem__

    def encode(state: tuple[Any, ...]) -> str:
        return "".join(map(get, tables, pick(state))) + "}"

    return encode
