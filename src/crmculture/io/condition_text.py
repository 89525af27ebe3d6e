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
    literal    := integer | decimal | "string" | true | false | YYYY-MM-DD

A name alone means ``name == true``. ``#`` starts a comment that runs to the end of the line.
Literals are typed by the fact they are compared with when a schema is given: ``6`` is an int
for an int fact, a float for a float fact, a Decimal for a decimal fact. Strings are JSON
strings in double quotes. Nesting is limited (`MAX_DEPTH`), so deep input fails with a
`ConditionSyntaxError`, never a `RecursionError`.

I wrote the parser by hand rather than with a parsing library: the grammar is small, errors
need the domain's words ("expected a value after `>`"), and the core stays free of extra
dependencies.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from crmculture.errors import ConditionSyntaxError, did_you_mean
from crmculture.model.conditions import (
    ALWAYS,
    DECISION,
    MAX_DEPTH,
    NEVER,
    OPS,
    ORDER_OPS,
    And,
    Between,
    Compare,
    Condition,
    In,
    Missing,
    Not,
    Or,
)
from crmculture.model.directives import Combine, Directive
from crmculture.model.facts import Fact, Schema

__all__ = ["MAX_LENGTH", "parse_condition"]

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
  | (?P<punct>[()\[\],])
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
    def __init__(
        self, text: str, schema: Schema | None, directives: Mapping[str, Directive] | None
    ) -> None:
        self.text = text
        self.schema = schema
        self.directives = directives
        self.tokens = _tokenize(text)
        self.index = 0
        self.depth = 0

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
        return self.test(token)

    # -- the test after a name ------------------------------------------------------------

    def test(self, name: _Token) -> Condition:
        token = self.token
        fact = name.text
        if token.kind == "op":
            self.advance()
            literal = self.literal(f"a value after `{token.text}`")
            op = token.text
            assert op in OPS
            self.check_op(name, op)
            return Compare(fact, op, self.typed(name, literal))
        if self.is_keyword("in") or (self.is_keyword("not") and self.peek_in()):
            negated = self.is_keyword("not")
            if negated:
                self.advance()
            self.advance()
            values = self.literal_list()
            return In(fact, [self.typed(name, v) for v in values], negated=negated)
        if self.is_keyword("between"):
            self.advance()
            low = self.literal("the low end after `between`")
            self.expect("keyword", "and", "`and` between the two ends of `between`")
            high = self.literal("the high end after `and`")
            self.check_op(name, "between")
            return Between(fact, self.typed(name, low), self.typed(name, high))
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
            self.check_known(name)
            return Missing(fact, negated=negated)
        # A name alone: `credit_hold` means `credit_hold == true`.
        definition = self.check_known(name)
        if definition is not None and not _is_bool(definition):
            raise self.error(
                self.token if self.token.kind != "end" else name,
                f"expected a comparison after `{fact}` (it is not a boolean), "
                f"found {_describe(self.token)}",
            )
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
        hint = ""
        if token.kind == "name":
            hint = f' (strings need double quotes: "{token.text}")'
        raise self.error(token, f"expected {what}, found {_describe(token)}{hint}")

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

    # -- typing against the schema ------------------------------------------------------------

    def check_known(self, name: _Token) -> Fact | Directive | None:
        """The fact or directive `name` refers to (None without a schema); unknown is an error."""
        text = name.text
        if text.startswith(DECISION):
            directive_name = text.removeprefix(DECISION)
            if self.directives is None:
                if self.schema is None:
                    return None
                raise self.error(name, f"`{text}` tests a decision: only handoff guards can")
            if directive_name not in self.directives:
                raise self.error(
                    name,
                    f"unknown directive `{directive_name}`"
                    + did_you_mean(directive_name, list(self.directives)),
                )
            return self.directives[directive_name]
        if "." in text:
            raise self.error(
                name, f"`{text}` is not a fact name (only `decision.` names have a dot)"
            )
        if self.schema is None:
            return None
        if text not in self.schema:
            raise self.error(name, f"unknown fact `{text}`" + did_you_mean(text, self.schema.names))
        return self.schema[text]

    def check_op(self, name: _Token, op: str) -> None:
        definition = self.check_known(name)
        if definition is None or (op not in ORDER_OPS and op != "between"):
            return
        if isinstance(definition, Fact):
            if definition.type == "bool" or not definition.ordered:
                raise self.error(name, f"`{op}` needs an ordered fact; `{name.text}` is not")
        elif definition.type not in ("ordered", "int", "decimal"):
            raise self.error(name, f"`{op}` needs an ordered directive; `{name.text}` is not")

    def typed(self, name: _Token, literal: _Literal) -> Any:
        """The literal's value, typed by what `name` refers to and checked against its domain."""
        definition = self.check_known(name)
        if definition is None:
            return _untyped(literal, self.text)
        if isinstance(definition, Directive) and definition.combine is Combine.COLLECT:
            raise _error(
                self.text,
                name.offset,
                f"directive `{definition.name}` collects a "
                "list of values; guards can test only single-valued directives",
            )
        normalized, problem = definition.check(_typed_value(definition, literal, self.text))
        if problem:
            raise _error(self.text, literal.offset, f"`{name.text}`: {problem}")
        return normalized


def _is_bool(definition: Fact | Directive) -> bool:
    return definition.type == "bool"


def _number(literal: _Literal, text: str) -> Decimal:
    try:
        return Decimal(literal.text.replace("_", ""))
    except InvalidOperation:  # pragma: no cover - the token pattern only admits numbers
        raise _error(text, literal.offset, f"`{literal.text}` is not a number") from None


def _untyped(literal: _Literal, text: str) -> Any:
    if literal.kind != "number":
        return literal.value
    number = _number(literal, text)
    is_integer = "." not in literal.text and "e" not in literal.text.lower()
    return int(number) if is_integer else number


_KIND_NAMES = {"number": "a number", "string": "a string", "date": "a date", "bool": "a boolean"}


# The literal each type of fact or directive takes.
_LITERAL_OF = {
    "bool": "bool",
    "int": "number",
    "float": "number",
    "decimal": "number",
    "enum": "string",
    "date": "date",
    "text": "string",
    "ordered": "string",
}


def _typed_value(definition: Fact | Directive, literal: _Literal, text: str) -> Any:
    """The literal's value for a fact or directive: its kind must match the type, and numbers
    become ints, floats or Decimals as the type says."""
    if isinstance(definition, Fact):
        label, what = definition.name, "fact"
    else:
        label, what = f"decision.{definition.name}", "directive"
    kind = definition.type
    expected = _LITERAL_OF[kind]
    article = "an" if kind[0] in "aeiou" else "a"
    if literal.kind != expected:
        raise _error(
            text,
            literal.offset,
            f"`{label}` is {article} `{kind}` {what}: expected "
            f"{_KIND_NAMES[expected]}, found {_KIND_NAMES[literal.kind]} "
            f"`{literal.text}`",
        )
    if literal.kind != "number":
        return literal.value
    number = _number(literal, text)
    if kind == "int":
        if number != number.to_integral_value():
            raise _error(
                text,
                literal.offset,
                f"`{label}` is an `int` {what}: `{literal.text}` is not a whole number",
            )
        return int(number)
    if kind == "float":
        return float(literal.text.replace("_", ""))
    return number


def parse_condition(
    text: str,
    schema: Schema | None = None,
    *,
    directives: Mapping[str, Directive] | None = None,
) -> Condition:
    """Parse condition text; ``str(condition)`` gives text that parses back to it.

    Args:
        text: The condition, e.g. ``credit_hold or days_overdue > 60``.
        schema: When given, names must be facts of the schema and literals are typed and
            checked by their facts (``6`` is a float for a float fact).
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
    if not isinstance(text, str):
        raise TypeError(f"condition text must be a string, not `{type(text).__name__}`")
    if len(text) > MAX_LENGTH:
        raise ConditionSyntaxError(
            f"the condition is {len(text):,} characters long; at most {MAX_LENGTH:,} are allowed",
            text[:200],
            1,
            1,
        )
    return _Parser(text, schema, directives).parse()
