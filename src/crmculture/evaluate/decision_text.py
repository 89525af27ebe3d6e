"""Decisions as the JSON text the command line and the decision log write, quickly.

That text is ``json.dumps(..., sort_keys=True, ensure_ascii=False)`` of
`crmculture.Decision.to_dict` (readable: spaces after separators, UTF-8), where the canonical
JSON of `crmculture.evaluate.canonical` is compact and ASCII. `DecisionText` builds it from
parts a policy encodes once: the text of each fact value, of each combination of directive
values, and of the parts that depend only on which rules matched. A test holds the bytes equal
to `json.dumps` on generated decisions.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from json.encoder import encode_basestring
from operator import itemgetter
from typing import Any

from crmculture.evaluate.decision import Decision
from crmculture.model.policies import Policy
from crmculture.model.values import decimal_text, json_value

__all__ = ["DecisionText", "decision_text", "dumps"]

_SURROGATE = re.compile("[\ud800-\udfff]")


def dumps(value: dict[str, Any]) -> str:
    """One line of JSON: keys sorted, UTF-8, ending with a newline. Text that holds a lone
    surrogate (from a JSON ``\\ud800`` escape in the input) cannot be written as UTF-8: such
    lines use JSON escapes."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    if _SURROGATE.search(text):
        text = json.dumps(value, sort_keys=True)
    return text + "\n"


class DecisionText:
    """The text of ``json.dumps(decision.to_dict(), sort_keys=True, ensure_ascii=False)``
    for a policy's decisions, from parts it encodes once: the text of each fact value, of
    each combination of directive values, and of the parts that depend only on which rules
    matched (defaults used, matched rules, outcomes, policy). A test holds the bytes equal
    to `json.dumps` on generated decisions.
    """

    def __init__(self, policy: Policy) -> None:
        names = policy.schema.names
        order = sorted(range(len(names)), key=names.__getitem__)
        # Each fact's table maps a value to its key and text: `"tier": "gold"`.
        self.tables = [
            _Texts(("{" if n == 0 else ", ") + encode_basestring(names[k]) + ": ")
            for n, k in enumerate(order)
        ]
        self.pick = itemgetter(*order) if len(order) > 1 else None
        self.order = order
        self.masks: dict[tuple[str, ...], tuple[str, str, str]] = {}
        self.policy_text = json.dumps(
            {"fingerprint": policy.fingerprint, "name": policy.name, "version": policy.version},
            sort_keys=True,
            ensure_ascii=False,
        )
        self.directives: dict[tuple[Any, ...], str] = {}
        self.departments: dict[str | None, str] = {}

    def parts(self, decision: Decision) -> tuple[str, ...] | None:
        """The decision's texts: customer, defaults used, department, directives, the tail
        from ``"matched"`` to the end, and the matched rules; None when one holds a lone
        surrogate (which the caller writes with JSON escapes)."""
        facts = decision.facts
        try:
            if self.pick is not None:
                customer = "".join(map(dict.__getitem__, self.tables, self.pick(facts))) + "}"
            elif self.order:
                customer = self.tables[0][facts[0]] + "}"
            else:
                customer = "{}"
        except _Unsafe:
            return None
        matched = decision.matched
        known = self.masks.get(matched)
        if known is None:
            whole = decision.to_dict()
            matched_text = json.dumps(whole["matched"], ensure_ascii=False)
            known = (
                json.dumps(whole["defaults_used"], ensure_ascii=False),
                ', "matched": '
                + matched_text
                + ', "outcomes": '
                + json.dumps(whole["outcomes"], sort_keys=True, ensure_ascii=False)
                + ', "policy": '
                + self.policy_text
                + "}",
                matched_text,
            )
            if _SURROGATE.search(known[0] + known[1]):
                return None
            if len(self.masks) < _TABLE_LIMIT:
                self.masks[matched] = known
        values = decision.values
        directives = self.directives.get(values)
        if directives is None:
            directives = json.dumps(
                json_value(dict(decision.directives)), sort_keys=True, ensure_ascii=False
            )
            if _SURROGATE.search(directives):
                return None
            if len(self.directives) < _TABLE_LIMIT:
                self.directives[values] = directives
        department = decision.department
        where = self.departments.get(department)
        if where is None:
            where = self.departments[department] = json.dumps(department, ensure_ascii=False)
        return (customer, known[0], where, directives, known[1], known[2])

    def __call__(self, decision: Decision) -> str | None:
        """The decision's JSON text, or None when it holds a lone surrogate."""
        parts = self.parts(decision)
        if parts is None:
            return None
        customer, defaults, where, directives, tail, _ = parts
        as_of = decision.as_of
        return "".join(
            (
                '{"customer": ' if as_of is None else f'{{"as_of": "{as_of}", "customer": ',
                customer,
                ', "defaults_used": ',
                defaults,
                ', "department": ',
                where,
                ', "directives": ',
                directives,
                ', "fingerprint": "',
                decision.fingerprint,
                '"',
                tail,
            )
        )

    def line(
        self,
        decision: Decision,
        index: int,
        line: int,
        explain: bool,
        kept: dict[str, Any] | None,
    ) -> str:
        """The output line of a decided record."""
        text = self(decision)
        explanation = decision.explain() if explain else None
        keep = None if kept is None else json.dumps(kept, sort_keys=True, ensure_ascii=False)
        if (
            text is None
            or (explanation is not None and _SURROGATE.search(explanation))
            or (keep is not None and _SURROGATE.search(keep))
        ):
            whole: dict[str, Any] = {"record": index, "line": line, "decision": decision.to_dict()}
            if explanation is not None:
                whole["explanation"] = explanation
            if kept is not None:
                whole["keep"] = kept
            return dumps(whole)
        tail = f'"line": {line}, "record": {index}}}\n'
        if explanation is not None:
            tail = (
                '"explanation": '
                + encode_basestring(explanation)
                + ", "
                + ("" if keep is None else '"keep": ' + keep + ", ")
                + tail
            )
        elif keep is not None:
            tail = '"keep": ' + keep + ", " + tail
        return '{"decision": ' + text + ", " + tail


_TABLE_LIMIT = 1024
"""How many values, value combinations and sets of matched rules `DecisionText` remembers,
each: memory stays bounded however many distinct values the input holds."""


class _Unsafe(Exception):
    """A value whose text holds a lone surrogate."""


class _Texts(dict[Any, str]):
    """One fact's values mapped to their text after `prefix`, remembered up to
    `_TABLE_LIMIT` values. Values are looked up by equality, which holds because a fact's
    values are normalized to one type (`crmculture.evaluate.canonical.Texts` says more)."""

    __slots__ = ("prefix",)

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def __missing__(self, value: Any) -> str:
        text = self.prefix + _value_text(value)
        if _SURROGATE.search(text):
            raise _Unsafe
        if len(self) < _TABLE_LIMIT:
            self[value] = text
        return text


def _value_text(value: Any) -> str:
    """``json.dumps(json_value(value), ensure_ascii=False)``, quicker for common types."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    if kind is Decimal:
        return encode_basestring(decimal_text(value))
    return json.dumps(json_value(value), ensure_ascii=False)


_TEXTS: dict[int, tuple[Policy, DecisionText]] = {}


def decision_text(policy: Policy) -> DecisionText:
    """The policy's `DecisionText` (the last few policies' are kept)."""
    known = _TEXTS.get(id(policy))
    if known is None or known[0] is not policy:
        if len(_TEXTS) >= 8:
            _TEXTS.clear()
        known = _TEXTS[id(policy)] = (policy, DecisionText(policy))
    return known[1]
