"""The condition syntax: a tokenizer and a recursive-descent parser; never `eval`.

The grammar, with Python's precedence (``or`` < ``and`` < ``not`` < comparisons)::

    condition  := or_expr
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | primary
    primary    := "(" condition ")" | "true" | "false" | name [test]
    test       := OP literal                  OP is == != < <= > >=
                | ["not"] "in" "[" [literal ("," literal)* [","]] "]"
                | "between" literal "and" literal
                | "is" ["not"] "missing"
    name       := identifier | "decision." identifier
    literal    := integer | decimal | "string" | true | false | YYYY-MM-DD | as_of
    as_of      := "as_of" [("+" | "-") integer ("day" | "days")]

A name alone means ``name == true``. ``#`` starts a comment that runs to the end of the line.
Numbers are typed by the fact they are compared with when a schema is given: ``6`` is an int
for an int fact, a float for a float fact, a Decimal for a decimal fact. Strings are JSON
strings in double quotes. ``as_of`` is the date the decision is made for (an input of each
decision), ``as_of - 365 days`` a date relative to it; only date facts compare with it.
Nesting is limited (`MAX_DEPTH`), so deep input fails with a
`ConditionSyntaxError`, never a `RecursionError`.

The parser only parses. What the condition means against a schema (unknown facts, values of
the wrong type, ``>`` on an unordered fact) is decided by `crmculture.model.checker`, the one
checker every route to a condition goes through; the parser keeps where each atom and value
was written, so that the checker's problems point at them with a caret.

I wrote the parser by hand rather than with a parsing library: the grammar is small, errors
need the domain's words ("expected a value after `>`"), and the core stays free of extra
dependencies.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from crmculture.errors import ConditionSyntaxError
from crmculture.model.checker import ConditionProblem, check_condition
from crmculture.model.conditions import (
    ALWAYS,
    DECISION,
    MAX_DEPTH,
    NEVER,
    OPS,
    And,
    Between,
    Compare,
    Condition,
    In,
    Missing,
    Not,
    Or,
)
from crmculture.model.directives import Directive
from crmculture.model.facts import Schema
from crmculture.model.values import MAX_DAYS, MAX_EXPONENT, AsOf, number_problem

__all__ = ["MAX_LENGTH", "parse_condition", "read_condition"]

MAX_LENGTH = 100_000
"""The longest condition text accepted, in characters."""

_TOKEN = re.compile(
    r"""
    (?P<space>[ \t\r\n]+|\#[^\n]*)
  | (?P<date>\d{4}-\d{2}-\d{2}(?![\w.]))
  | (?P<number>-?\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][+-]?\d+)?(?![\w.]))
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)
  | (?P<op>==|!=|<=|>=|<|>)
  | (?P<punct>[()\[\],+-])
    """,
    re.VERBOSE,
)
_KEYWORDS = frozenset({"and", "or", "not", "in", "is", "between", "missing", "true", "false"})


@attrs.frozen
class _Token:
    kind: str  # name, keyword, number, string, date, op, punct, end
    text: str
    offset: int


@attrs.frozen
class _Literal:
    kind: str  # number, string, date, bool
    text: str
    value: Any
    offset: int


@attrs.frozen
class _Spans:
    """Where one atom was written: the offsets of its name and operator, and of each value."""

    name: int
    op: int
    values: tuple[tuple[Any, int], ...] = ()


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            char = text[position]
            hint = ""
            if char == "'":
                hint = ": strings use double quotes"
            elif char in "=!":
                hint = ": comparisons are `==` and `!=`"
            elif char in "&|~":
                hint = ": write `and`, `or` and `not`"
            raise _error(text, position, f"unexpected character `{char}`{hint}")
        kind = match.lastgroup
        assert kind is not None
        if kind != "space":
            value = match.group()
            if kind == "name" and value in _KEYWORDS:
                kind = "keyword"
            tokens.append(_Token(kind, value, position))
        position = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def _error(text: str, offset: int, reason: str) -> ConditionSyntaxError:
    line, column = _line_column(text, offset)
    return ConditionSyntaxError(reason, text, line, column)


def _describe(token: _Token) -> str:
    return "the end of the condition" if token.kind == "end" else f"`{token.text}`"


class _Parser:
    def __init__(self, text: str, number_type: Callable[[str], str | None]) -> None:
        self.text = text
        self.number_type = number_type
        self.tokens = _tokenize(text)
        self.index = 0
        self.depth = 0
        self.spans: list[_Spans] = []  # one per atom, in the order the atoms are written

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def error(self, token: _Token, reason: str) -> ConditionSyntaxError:
        return _error(self.text, token.offset, reason)

    def expect(self, kind: str, text: str, what: str) -> _Token:
        token = self.token
        if token.kind != kind or token.text != text:
            raise self.error(token, f"expected {what}, found {_describe(token)}")
        return self.advance()

    def is_keyword(self, word: str) -> bool:
        return self.token.kind == "keyword" and self.token.text == word

    def parse(self) -> Condition:
        if self.token.kind == "end":
            raise self.error(self.token, "expected a condition, found nothing")
        condition = self.or_expr()
        if self.token.kind != "end":
            raise self.error(
                self.token,
                f"expected `and`, `or` or the end of the condition, found {_describe(self.token)}",
            )
        return condition

    def nest(self, token: _Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(token, f"the condition nests deeper than {MAX_DEPTH} levels")

    def or_expr(self) -> Condition:
        items = [self.and_expr()]
        while self.is_keyword("or"):
            self.advance()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(items)

    def and_expr(self) -> Condition:
        items = [self.not_expr()]
        while self.is_keyword("and"):
            self.advance()
            items.append(self.not_expr())
        return items[0] if len(items) == 1 else And(items)

    def not_expr(self) -> Condition:
        nots: list[_Token] = []
        while self.is_keyword("not"):
            token = self.advance()
            self.nest(token)
            nots.append(token)
        condition = self.primary()
        for _ in nots:
            condition = Not(condition)
        self.depth -= len(nots)
        return condition

    def primary(self) -> Condition:
        token = self.token
        if token.kind == "punct" and token.text == "(":
            self.advance()
            self.nest(token)
            condition = self.or_expr()
            self.expect(
                "punct",
                ")",
                f"`)` to close the `(` at col {_line_column(self.text, token.offset)[1]}",
            )
            self.depth -= 1
            return condition
        if token.kind == "keyword" and token.text in ("true", "false"):
            self.advance()
            return ALWAYS if token.text == "true" else NEVER
        if token.kind != "name":
            raise self.error(token, f"expected a fact name, `not` or `(`, found {_describe(token)}")
        self.advance()
        if "." in token.text and not token.text.startswith(DECISION):
            raise self.error(
                token, f"`{token.text}` is not a fact name (only `decision.` names have a dot)"
            )
        return self.test(token)

    # -- the test after a name ------------------------------------------------------------

    def atom(self, name: _Token, op: _Token, literals: list[_Literal]) -> list[Any]:
        """Record where the atom was written; return its values, typed by the name."""
        values = [self.value(name, literal) for literal in literals]
        offsets = tuple(
            (value, literal.offset) for value, literal in zip(values, literals, strict=True)
        )
        self.spans.append(_Spans(name.offset, op.offset, offsets))
        return values

    def test(self, name: _Token) -> Condition:
        token = self.token
        fact = name.text
        if token.kind == "op":
            self.advance()
            literal = self.literal(f"a value after `{token.text}`")
            op = token.text
            assert op in OPS
            (value,) = self.atom(name, token, [literal])
            return Compare(fact, op, value)
        if self.is_keyword("in") or (self.is_keyword("not") and self.peek_in()):
            negated = self.is_keyword("not")
            if negated:
                self.advance()
            self.advance()
            values = self.atom(name, token, self.literal_list())
            return In(fact, values, negated=negated)
        if self.is_keyword("between"):
            self.advance()
            low = self.literal("the low end after `between`")
            self.expect("keyword", "and", "`and` between the two ends of `between`")
            high = self.literal("the high end after `and`")
            low_value, high_value = self.atom(name, token, [low, high])
            return Between(fact, low_value, high_value)
        if self.is_keyword("is"):
            self.advance()
            negated = self.is_keyword("not")
            if negated:
                self.advance()
            self.expect(
                "keyword",
                "missing",
                "`missing` after `is`" if not negated else "`missing` after `is not`",
            )
            self.atom(name, token, [])
            return Missing(fact, negated=negated)
        # A name alone: `credit_hold` means `credit_hold == true`.
        self.spans.append(_Spans(name.offset, name.offset, ((True, name.offset),)))
        return Compare(fact, "==", True)

    def peek_in(self) -> bool:
        following = self.tokens[self.index + 1]
        return following.kind == "keyword" and following.text == "in"

    def literal(self, what: str) -> _Literal:
        token = self.token
        if token.kind == "number":
            self.advance()
            return _Literal("number", token.text, None, token.offset)
        if token.kind == "string":
            self.advance()
            try:
                value = json.loads(token.text)
            except ValueError:
                raise self.error(token, "invalid escape in string") from None
            return _Literal("string", token.text, value, token.offset)
        if token.kind == "date":
            self.advance()
            try:
                value = dt.date.fromisoformat(token.text)
            except ValueError:
                raise self.error(token, f"`{token.text}` is not a valid date") from None
            return _Literal("date", token.text, value, token.offset)
        if token.kind == "keyword" and token.text in ("true", "false"):
            self.advance()
            return _Literal("bool", token.text, token.text == "true", token.offset)
        if token.kind == "name" and token.text == "as_of":
            self.advance()
            return _Literal("as_of", token.text, self.as_of_shift(), token.offset)
        hint = ""
        if token.kind == "name":
            hint = f' (strings need double quotes: "{token.text}")'
        raise self.error(token, f"expected {what}, found {_describe(token)}{hint}")

    def as_of_shift(self) -> AsOf:
        """After ``as_of``: ``+ N days``, ``- N days`` or nothing."""
        sign = self.token
        if sign.kind == "number" and sign.text.startswith("-"):  # `as_of -365 days`
            self.advance()
            number, factor = sign, 1
        elif sign.kind == "punct" and sign.text in ("+", "-"):
            self.advance()
            number, factor = self.token, -1 if sign.text == "-" else 1
            if number.kind != "number" or number.text.startswith("-"):
                raise self.error(
                    number,
                    f"expected a number of days after `as_of {sign.text}`, "
                    f"found {_describe(number)}",
                )
            self.advance()
        else:
            return AsOf(0)
        digits = number.text.replace("_", "")
        if not digits.lstrip("-").isdigit():
            raise self.error(number, f"`{number.text}`: a shift of `as_of` is a whole number")
        days = int(digits) * factor
        if abs(days) > MAX_DAYS:
            raise self.error(number, f"`{number.text}`: a shift of `as_of` is at most {MAX_DAYS}")
        unit = self.token
        if unit.kind != "name" or unit.text not in ("day", "days"):
            raise self.error(
                unit, f"expected `days` after `{number.text}`, found {_describe(unit)}"
            )
        self.advance()
        return AsOf(days)

    def literal_list(self) -> list[_Literal]:
        self.expect("punct", "[", "`[` to start the list of values")
        values: list[_Literal] = []
        while not (self.token.kind == "punct" and self.token.text == "]"):
            values.append(self.literal("a value in the list"))
            if self.token.kind == "punct" and self.token.text == ",":
                self.advance()
            elif not (self.token.kind == "punct" and self.token.text == "]"):
                raise self.error(
                    self.token,
                    f"expected `,` or `]` in the list of values, found {_describe(self.token)}",
                )
        closing = self.advance()
        if not values:
            raise _error(self.text, closing.offset, "the list of values is empty")
        return values

    def value(self, name: _Token, literal: _Literal) -> Any:
        """The literal's value. Text does not say whether ``6`` is an int, a float or a
        Decimal: the type of the fact or directive it is compared with does, when known."""
        if literal.kind != "number":
            return literal.value
        text = literal.text.replace("_", "")
        try:
            too_big = number_problem(Decimal(text))
        except InvalidOperation:  # an exponent too long to read
            too_big = f"the number's exponent is beyond ±{MAX_EXPONENT}"
        if too_big:
            raise _error(self.text, literal.offset, f"`{_shortened(literal.text)}`: {too_big}")
        kind = self.number_type(name.text)
        if kind == "float":
            as_float = float(text)
            if math.isinf(as_float):
                too_large = f"`{literal.text}` is too large for a float"
                raise _error(self.text, literal.offset, too_large)
            if Decimal(repr(as_float)) != Decimal(text):  # the float would not say it back
                raise _error(
                    self.text,
                    literal.offset,
                    f"`{literal.text}` has no exact float value (the nearest is `{as_float!r}`)",
                )
            return as_float
        number = Decimal(text)
        if kind == "decimal":
            return number
        is_integer = "." not in text and "e" not in text.lower()
        if is_integer or (kind == "int" and number == number.to_integral_value()):
            return int(number)
        return number


def _shortened(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:10]}…{text[-10:]}"


def _number_types(
    schema: Schema | None, directives: Mapping[str, Directive] | None
) -> Callable[[str], str | None]:
    def number_type(name: str) -> str | None:
        if name.startswith(DECISION):
            directive = (directives or {}).get(name.removeprefix(DECISION))
            return None if directive is None else directive.type
        return schema[name].type if schema is not None and name in schema else None

    return number_type


def _parse(
    text: object, schema: Schema | None, directives: Mapping[str, Directive] | None
) -> tuple[Condition, list[_Spans]]:
    if not isinstance(text, str):
        raise TypeError(f"condition text must be a string, not `{type(text).__name__}`")
    if len(text) > MAX_LENGTH:
        raise ConditionSyntaxError(
            f"the condition is {len(text):,} characters long; at most {MAX_LENGTH:,} are allowed",
            text[:200],
            1,
            1,
        )
    parser = _Parser(text, _number_types(schema, directives))
    return parser.parse(), parser.spans


def _placed(text: str, spans: list[_Spans], problem: ConditionProblem) -> ConditionSyntaxError:
    """The checker's problem as a syntax error, with the caret under what it is about."""
    offset = 0
    if problem.atom is not None and problem.atom < len(spans):
        span = spans[problem.atom]
        offset = span.name
        if problem.part == "op":
            offset = span.op
        elif problem.part == "value":
            for value, at in span.values:
                if type(value) is type(problem.value) and value == problem.value:
                    offset = at
                    break
    return _error(text, offset, problem.message)


def read_condition(
    text: str,
    schema: Schema,
    *,
    directives: Mapping[str, Directive] | None = None,
) -> tuple[Condition, tuple[ConditionSyntaxError, ...]]:
    """Parse condition text and check it against a schema; return every problem found.

    Unlike `parse_condition`, which raises the first problem, this returns the condition (its
    constants normalized where they could be) with every problem the checker found, each a
    `ConditionSyntaxError` placed at what it is about. Text that does not parse still raises.

    Raises:
        ConditionSyntaxError: when the text does not parse.

    Examples:
        >>> from crmculture.stories import acme_schema
        >>> _, problems = read_condition('tier > 3 or region == "mars"', acme_schema())
        >>> [(p.column, p.reason) for p in problems]  # doctest: +NORMALIZE_WHITESPACE
        [(8, 'fact `tier`: expected a string, got int `3`'),
         (23, 'fact `region`: `mars` is not one of the allowed values: `amer`, `apac`, `emea`')]
    """
    condition, spans = _parse(text, schema, directives)
    checked, found = check_condition(condition, schema, directives)
    return checked, tuple(_placed(text, spans, problem) for problem in found)


def parse_condition(
    text: str,
    schema: Schema | None = None,
    *,
    directives: Mapping[str, Directive] | None = None,
) -> Condition:
    """Parse condition text; ``str(condition)`` gives text that parses back to it.

    Args:
        text: The condition, e.g. ``credit_hold or days_overdue > 60``.
        schema: When given, the condition is checked against it (`crmculture.model.checker`):
            names must be facts of the schema and values must fit them; numbers are typed by
            their facts (``6`` is a float for a float fact).
        directives: Directive name to directive, to allow ``decision.<name>`` tests (the
            guards of handoffs).

    Raises:
        ConditionSyntaxError: with the line, the column, what was expected, and a caret.

    Examples:
        >>> from crmculture.stories import acme_schema
        >>> condition = parse_condition('tier >= "gold" and not credit_hold', acme_schema())
        >>> condition.items[0]
        Compare(fact='tier', op='>=', value='gold')
        >>> str(condition)
        'tier >= "gold" and not credit_hold'
        >>> parse_condition("days_overdue > and", acme_schema())
        Traceback (most recent call last):
        ...
        crmculture.errors.ConditionSyntaxError: line 1, col 16: expected a value after `>`, ...
          days_overdue > and
                         ^
    """
    if schema is None:
        if directives is not None:
            raise TypeError("directives are checked against a schema: pass the schema too")
        return _parse(text, None, None)[0]
    condition, problems = read_condition(text, schema, directives=directives)
    if problems:
        raise problems[0]
    return condition
