"""DMN decision tables: import the decision tables of a DMN 1.1 to 1.5 model as policies.

Each decision whose logic is a decision table becomes one `crmculture.Policy`:

- an input whose expression is the plain name of an ``inputData`` becomes a fact, typed by its
  ``typeRef`` (``number`` → decimal, ``string`` → enum, ``boolean`` → bool, ``date`` → date);
  a string input's values come from the column's ``inputValues``, the type's
  ``allowedValues``, or else the strings the rules mention;
- each output becomes a directive; each rule becomes a rule, with the row number (or, for the
  ``PRIORITY`` and ``OUTPUT ORDER`` hit policies, the rank of its outputs in the outputs'
  ``outputValues``) as its priority;
- the hit policy becomes the directives' combine strategy: ``UNIQUE`` and ``ANY`` →
  ``unique``, ``FIRST`` and ``PRIORITY`` → ``first``, ``RULE ORDER``, ``OUTPUT ORDER`` and
  ``COLLECT`` → ``list``, ``COLLECT SUM`` → ``sum``, ``COLLECT MIN`` → ``min``,
  ``COLLECT MAX`` → ``max``, and ``COLLECT COUNT`` → ``sum`` of one per matching rule.

Input entries are FEEL simple unary tests: ``-``, comparisons (``< 18``, ``>= 18``), ranges
(``[1..10]``, ``(1..10]``), lists (``"Medium","Low"``), ``not(...)``, strings, numbers,
booleans and dates (``date("2020-01-01")``). Output entries are literals. Anything else is a
`crmculture.DocumentError` naming the element id and the expression: never a wrong answer.

The XML is read with the standard library; a document with a ``DOCTYPE`` or an entity
declaration is refused, so that no entity is ever expanded.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, TypeAlias
from xml.parsers import expat

import attrs

from crmculture.errors import (
    CrmCultureError,
    DocumentError,
    Problem,
    UndecidedError,
    did_you_mean,
)
from crmculture.evaluate.decision import Decision
from crmculture.model.conditions import ALWAYS, And, Between, Compare, Condition, In, Not, Or
from crmculture.model.directives import Combine, Directive
from crmculture.model.facts import RESERVED_WORDS, Fact, Schema
from crmculture.model.policies import Policy
from crmculture.model.rules import Rule
from crmculture.model.values import NO_DEFAULT, AsOf

__all__ = [
    "DMN_NAMESPACES",
    "HIT_POLICIES",
    "DmnTable",
    "dmn_identifier",
    "load_dmn",
    "parse_unary_tests",
]

DMN_NAMESPACES: dict[str, str] = {
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd": "1.1",
    "http://www.omg.org/spec/DMN/20180521/MODEL/": "1.2",
    "https://www.omg.org/spec/DMN/20191111/MODEL/": "1.3",
    "https://www.omg.org/spec/DMN/20211108/MODEL/": "1.4",
    "https://www.omg.org/spec/DMN/20230324/MODEL/": "1.5",
}
"""The DMN model namespaces read, with their DMN version."""

MAX_DMN_SIZE = 16 * 1024 * 1024
"""The largest DMN document read, in bytes or characters."""

HitPolicy: TypeAlias = Literal["U", "A", "P", "F", "R", "O", "C", "C+", "C#", "C<", "C>"]
"""A hit policy by its table letter, with the ``COLLECT`` aggregation."""

HIT_POLICIES: dict[str, tuple[Combine, bool]] = {
    "U": (Combine.UNIQUE, False),
    "A": (Combine.UNIQUE, False),
    "P": (Combine.FIRST, True),
    "F": (Combine.FIRST, False),
    "R": (Combine.LIST, False),
    "O": (Combine.LIST, True),
    "C": (Combine.LIST, False),
    "C+": (Combine.SUM, False),
    "C#": (Combine.SUM, False),
    "C<": (Combine.MIN, False),
    "C>": (Combine.MAX, False),
}
"""Each hit policy's combine strategy, and whether rules are ranked by their outputs' order
(``P``, ``O``) rather than by row."""

_XML_HIT_POLICIES = {
    "UNIQUE": "U",
    "ANY": "A",
    "PRIORITY": "P",
    "FIRST": "F",
    "RULE ORDER": "R",
    "OUTPUT ORDER": "O",
    "COLLECT": "C",
}
_AGGREGATIONS = {"SUM": "C+", "COUNT": "C#", "MIN": "C<", "MAX": "C>"}

_TYPES = {
    "number": "decimal",
    "decimal": "decimal",
    "integer": "decimal",
    "int": "decimal",
    "long": "decimal",
    "double": "decimal",
    "string": "enum",
    "boolean": "bool",
    "date": "date",
}


def dmn_identifier(name: str) -> str:
    """The fact or directive name for a DMN name: runs of other characters become ``_``.

    Examples:
        >>> dmn_identifier("Approved/Declined"), dmn_identifier("Risk Category")
        ('Approved_Declined', 'Risk_Category')
        >>> dmn_identifier("in"), dmn_identifier("2nd")
        ('in_', '_2nd')
    """
    text = re.sub(r"[^A-Za-z0-9_]+", "_", name.strip()).strip("_") or "_"
    if text[0].isdigit():
        text = "_" + text
    if text in RESERVED_WORDS or text.lower() in {"true", "false", "null"}:
        text += "_"
    return text


@attrs.frozen
class DmnTable:
    """One decision table of a DMN model, imported as a policy.

    Attributes:
        decision: The DMN decision's name.
        decision_id: The DMN decision's id.
        hit_policy: The hit policy by its letter (``U``, ``A``, ``P``, ``F``, ``R``, ``O``,
            ``C``, ``C+``, ``C#``, ``C<``, ``C>``).
        policy: The policy: one fact per input, one directive per output.
        inputs: ``(DMN input name, fact name)`` per input, in column order.
        outputs: ``(DMN output name, directive name)`` per output, in column order.
    """

    decision: str
    decision_id: str
    hit_policy: str
    policy: Policy
    inputs: tuple[tuple[str, str], ...]
    outputs: tuple[tuple[str, str], ...]

    def customer(self, inputs: dict[str, Any]) -> dict[str, Any]:
        """A customer record from values keyed by DMN input name."""
        facts = dict(self.inputs)
        return {facts.get(name, name): value for name, value in inputs.items()}

    def decide(
        self,
        inputs: dict[str, Any],
        evaluator: Callable[[Policy], Callable[[dict[str, Any]], Decision]] | None = None,
    ) -> Any:
        """The DMN result for `inputs` (keyed by DMN input name), null included.

        Where the policy's evaluators raise `crmculture.UndecidedError` because no rule
        matched (a single-hit table), DMN's result is null: each output without a
        ``defaultOutputEntry`` is None. Invalid inputs and conflicts still raise.

        Args:
            inputs: Values keyed by DMN input name.
            evaluator: Turns the policy into an evaluator; the compiled one by default.

        Examples:
            >>> table = load_dmn(EXAMPLE.replace("RULE ORDER", "FIRST"))[0]
            >>> table.decide({"Age": 17, "Risk": "High"}), table.decide({"Age": 30, "Risk": "Low"})
            ('Declined', None)
        """
        decide = (evaluator or Policy.compile)(self.policy)
        try:
            return self.result(decide(self.customer(inputs)))
        except UndecidedError:
            values = {
                directive.name: directive.default if directive.has_default else None
                for directive in self.policy.directives
            }
            nulls = [values[name] for _, name in self.outputs]
            if len(nulls) == 1:
                return nulls[0]
            return {dmn: value for (dmn, _), value in zip(self.outputs, nulls, strict=True)}

    def result(self, decision: Decision) -> Any:
        """The decision as DMN gives it: one value per single-output table, a mapping from
        output name to value otherwise; a list of them for ``R``, ``O`` and ``C`` tables.

        Examples:
            >>> table = load_dmn(EXAMPLE)[0]
            >>> decide = table.policy.compile()
            >>> table.result(decide(table.customer({"Age": 17, "Risk": "High"})))
            ['Declined', 'Review']
        """
        values = [decision.directives[name] for _, name in self.outputs]
        names = [name for name, _ in self.outputs]
        if HIT_POLICIES[self.hit_policy][0] is Combine.LIST:
            rows = list(zip(*values, strict=True))
            if len(names) == 1:
                return [row[0] for row in rows]
            return [dict(zip(names, row, strict=True)) for row in rows]
        if len(names) == 1:
            return values[0]
        return dict(zip(names, values, strict=True))


EXAMPLE = """<definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/" id="d" name="d"
    namespace="example">
  <decision id="decision" name="Verdict">
    <decisionTable id="table" hitPolicy="RULE ORDER">
      <input id="age"><inputExpression typeRef="number"><text>Age</text></inputExpression></input>
      <input id="risk"><inputExpression typeRef="string"><text>Risk</text></inputExpression>
        <inputValues><text>"Low","High"</text></inputValues></input>
      <output id="out" name="Verdict" typeRef="string"/>
      <rule id="minor"><inputEntry id="e1"><text>&lt; 18</text></inputEntry>
        <inputEntry id="e2"><text>-</text></inputEntry>
        <outputEntry id="o1"><text>"Declined"</text></outputEntry></rule>
      <rule id="risky"><inputEntry id="e3"><text>-</text></inputEntry>
        <inputEntry id="e4"><text>"High"</text></inputEntry>
        <outputEntry id="o2"><text>"Review"</text></outputEntry></rule>
    </decisionTable>
  </decision>
  <inputData id="i1" name="Age"/>
  <inputData id="i2" name="Risk"/>
</definitions>"""
"""A small DMN model for the examples: a rule-order table over age and risk."""


# -- FEEL simple unary tests -------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>"(?:[^"\\]|\\.)*")
    | (?P<number>-?\d+(?:\.\d+)?)
    | (?P<range>\.\.)
    | (?P<op><=|>=|!=|<|>|=)
    | (?P<punct>[\[\]\(\),])
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)


class _Unsupported(Exception):
    """An input entry outside the supported unary tests; turned into a DocumentError."""


def _tokens(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise _Unsupported(f"unexpected `{text[position:].strip()[:20]}`")
        kind = match.lastgroup
        assert kind is not None
        found.append((kind, match.group(kind)))
        position = match.end()
    return found


class _UnaryParser:
    """Recursive descent over the tokens of one input entry."""

    def __init__(self, text: str, fact: Fact) -> None:
        self.tokens = _tokens(text)
        self.position = 0
        self.fact = fact

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise _Unsupported("the entry ends too early")
        self.position += 1
        return token

    def expect(self, value: str) -> None:
        token = self.take()
        if token[1] != value:
            raise _Unsupported(f"expected `{value}`, found `{token[1]}`")

    def entry(self) -> Condition:
        token = self.peek()
        if token == ("word", "not") and self.position + 1 < len(self.tokens):
            self.take()
            self.expect("(")
            inner = self.tests()
            self.expect(")")
            result: Condition = Not(inner)
        else:
            result = self.tests()
        rest = self.peek()
        if rest is not None:
            raise _Unsupported(f"unexpected `{rest[1]}`")
        return result

    def tests(self) -> Condition:
        tests = [self.test()]
        while self.peek() == ("punct", ","):
            self.take()
            tests.append(self.test())
        if len(tests) == 1:
            return tests[0]
        values = [
            t.value
            for t in tests
            if isinstance(t, Compare) and t.op == "==" and not isinstance(t.value, AsOf)
        ]
        if len(values) == len(tests):
            return In(self.fact.name, tuple(values))
        return Or(tuple(tests))

    def test(self) -> Condition:
        token = self.peek()
        if token is None:
            raise _Unsupported("the entry ends too early")
        kind, text = token
        if kind == "op":
            self.take()
            if text in ("=", "!="):
                raise _Unsupported(f"`{text}` is not a simple unary test")
            return self.compare(text, self.endpoint())
        if kind == "punct" and text in "[(]":
            return self.interval()
        return self.compare("==", self.endpoint())

    def compare(self, op: str, value: Any) -> Condition:
        fact = self.fact
        if op != "==" and (fact.type in ("bool", "enum")):
            raise _Unsupported(f"`{op}` needs a number or a date; `{fact.name}` is a {fact.type}")
        return Compare(fact.name, op, value)  # type: ignore[arg-type]

    def interval(self) -> Condition:
        opening = self.take()[1]
        low = self.endpoint()
        self.expect("..")
        high = self.endpoint()
        closing = self.take()[1]
        if closing not in ("]", ")", "["):
            raise _Unsupported(f"expected `]` or `)` to close a range, found `{closing}`")
        if self.fact.type not in ("decimal", "date"):
            raise _Unsupported(f"a range needs a number or a date; `{self.fact.name}` is not")
        low_closed, high_closed = opening == "[", closing == "]"
        if low_closed and high_closed:
            return Between(self.fact.name, low, high)
        lower = Compare(self.fact.name, ">=" if low_closed else ">", low)
        upper = Compare(self.fact.name, "<=" if high_closed else "<", high)
        return And((lower, upper))

    def endpoint(self) -> Any:
        kind, text = self.take()
        fact = self.fact
        if kind == "number":
            if fact.type != "decimal":
                raise _Unsupported(f"`{text}` is a number; `{fact.name}` is a {fact.type}")
            return Decimal(text)
        if kind == "string":
            if fact.type != "enum":
                raise _Unsupported(f"{text} is a string; `{fact.name}` is a {fact.type}")
            value = _string_literal(text)
            if fact.values is not None and value not in fact.values:
                raise _Unsupported(f"{text} is not one of the values of `{fact.name}`")
            return value
        if kind == "word" and text in ("true", "false"):
            if fact.type != "bool":
                raise _Unsupported(f"`{text}` is a boolean; `{fact.name}` is a {fact.type}")
            return text == "true"
        if kind == "word" and text == "date":
            self.expect("(")
            kind, literal = self.take()
            self.expect(")")
            if kind != "string":
                raise _Unsupported("date() takes a string")
            if fact.type != "date":
                raise _Unsupported(f"`{fact.name}` is not a date")
            try:
                return dt.date.fromisoformat(_string_literal(literal))
            except ValueError:
                raise _Unsupported(f"{literal} is not a date") from None
        raise _Unsupported(f"`{text}` is not a literal (names and expressions are not supported)")


def _string_literal(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def parse_unary_tests(text: str, fact: Fact) -> Condition:
    """The condition on `fact` that a FEEL simple unary test states.

    Raises:
        ValueError: for text outside the supported tests (the importer names the element).

    Examples:
        >>> age = Fact.decimal("age")
        >>> str(parse_unary_tests("[18..65)", age)), str(parse_unary_tests("not(< 18)", age))
        ('age >= 18 and age < 65', 'not age < 18')
        >>> risk = Fact.enum("risk", ["Low", "Medium", "High"])
        >>> str(parse_unary_tests('"Medium","Low"', risk)), str(parse_unary_tests("-", risk))
        ('risk in ["Low", "Medium"]', 'true')
    """
    if text.strip() in ("-", ""):
        return ALWAYS
    try:
        return _UnaryParser(text, fact).entry()
    except _Unsupported as unsupported:
        raise ValueError(str(unsupported)) from None


def _literal(text: str) -> Any:
    """An output entry's value: a string, number or boolean literal."""
    stripped = text.strip()
    if re.fullmatch(r'"(?:[^"\\]|\\.)*"', stripped):
        return _string_literal(stripped)
    if stripped in ("true", "false"):
        return stripped == "true"
    if re.fullmatch(r"-?\d+(?:\.\d+)?", stripped):
        return Decimal(stripped)
    raise _Unsupported("only string, number and boolean literals are supported as outputs")


# -- reading the XML ---------------------------------------------------------------------------


def _read_text(source: str | bytes | os.PathLike[str]) -> str | bytes:
    if isinstance(source, bytes):
        data: str | bytes = source
    elif isinstance(source, str) and source.lstrip().startswith("<"):
        data = source
    else:
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise DocumentError(
                f"cannot read DMN file `{path}`", [Problem((), error.strerror or str(error))]
            ) from None
    if len(data) > MAX_DMN_SIZE:
        raise DocumentError(
            "DMN document too large", [Problem((), f"more than {MAX_DMN_SIZE} bytes")]
        )
    return data


class _Refused(Exception):
    """A DOCTYPE or entity declaration met while scanning."""


def _refuse(*_: object) -> None:
    raise _Refused


def _parse_xml(data: str | bytes) -> ET.Element:
    """Parse the XML, after an expat scan that stops at a DOCTYPE or entity declaration
    before any entity is expanded (whatever the document's encoding)."""
    scanner = expat.ParserCreate()
    scanner.StartDoctypeDeclHandler = _refuse
    scanner.EntityDeclHandler = _refuse
    try:
        scanner.Parse(data, True)
        return ET.fromstring(data)
    except _Refused:
        raise DocumentError(
            "DMN document refused",
            [Problem((), "a DOCTYPE or entity declaration is not allowed in a DMN document")],
        ) from None
    except (expat.ExpatError, ET.ParseError) as error:
        line, offset = (
            (error.lineno, error.offset) if isinstance(error, expat.ExpatError) else error.position
        )
        reason = expat.ErrorString(error.code) if error.code else str(error)
        raise DocumentError(
            "DMN document is not well-formed XML",
            [Problem((), reason or "not well-formed", line=line, column=offset + 1)],
        ) from None


class _Model:
    """The parts of one DMN model the import reads, and every problem found."""

    def __init__(self, root: ET.Element) -> None:
        tag = root.tag
        namespace = tag[1:].split("}")[0] if tag.startswith("{") else ""
        if namespace not in DMN_NAMESPACES or tag.split("}")[-1] != "definitions":
            known = ", ".join(f"`{ns}`" for ns in DMN_NAMESPACES)
            raise DocumentError(
                "not a DMN 1.1-1.5 model",
                [Problem(("definitions",), f"root `{tag}`: expected `definitions` in {known}")],
            )
        self.ns = "{" + namespace + "}"
        self.root = root
        self.problems: list[Problem] = []
        self.items: dict[str, ET.Element] = {
            item.get("name", ""): item for item in root.iter(self.ns + "itemDefinition")
        }
        self.input_data: dict[str, ET.Element] = {
            data.get("name", ""): data for data in root.iter(self.ns + "inputData")
        }

    def find(self, element: ET.Element, name: str) -> ET.Element | None:
        return element.find(self.ns + name)

    def findall(self, element: ET.Element, name: str) -> list[ET.Element]:
        return element.findall(self.ns + name)

    def text(self, element: ET.Element | None) -> str | None:
        if element is None:
            return None
        text = element.find(self.ns + "text")
        return None if text is None else (text.text or "")

    def type_of(self, type_ref: str | None) -> tuple[str | None, str | None]:
        """The base type and the allowed-values text of a typeRef (through item definitions)."""
        allowed = None
        seen = 0
        while type_ref and type_ref in self.items and seen < 16:
            item = self.items[type_ref]
            allowed = allowed or self.text(self.find(item, "allowedValues"))
            inner = self.find(item, "typeRef")
            type_ref = None if inner is None else (inner.text or "").strip()
            seen += 1
        if not type_ref:
            return None, allowed
        return type_ref.split(":")[-1].strip(), allowed


def load_dmn(
    source: str | bytes | os.PathLike[str], *, decision: str | None = None
) -> list[DmnTable]:
    """Import every decision table of a DMN 1.1 to 1.5 model, one `DmnTable` per decision.

    Args:
        source: A path to a ``.dmn`` file, or the XML text itself (text starting with ``<``).
        decision: Import only this decision, by its name or else its id: the list holds its
            table alone, and the model's other decisions are not read (they may be logic
            the import does not support).

    Raises:
        DocumentError: for a file that cannot be read, XML that is not well formed or has a
            DOCTYPE, a document that is not DMN, and every table element outside what the
            import supports, each problem naming the element id and its expression; for a
            `decision` the model does not have, naming the decision tables it has.

    Examples:
        >>> table = load_dmn(EXAMPLE)[0]
        >>> table.hit_policy, [rule.priority for rule in table.policy.rules]
        ('R', [1, 2])
        >>> str(table.policy.rule("minor").when), table.policy.directive("Verdict").combine
        ('Age < 18', Combine.LIST)

        A model with several decision tables, one picked by name (or id):

        >>> second = EXAMPLE.replace('id="decision" name="Verdict"', 'id="d2" name="Second"')
        >>> second = second[second.index("<decision ") : second.index("</decision>") + 11]
        >>> both = EXAMPLE.replace("<inputData", second + "<inputData", 1)
        >>> [table.decision for table in load_dmn(both)]
        ['Verdict', 'Second']
        >>> [table.decision_id for table in load_dmn(both, decision="Second")]
        ['d2']
        >>> try:
        ...     load_dmn(both, decision="Secnd")
        ... except DocumentError as error:
        ...     print(error.summary)
        ...     print(error.problems[0])
        DMN model has no decision `Secnd` (did you mean `Second`?)
        definitions: its decision tables are `Verdict` (id `decision`), `Second` (id `d2`)
    """
    model = _Model(_parse_xml(_read_text(source)))
    tables: list[DmnTable] = []
    decisions = list(model.root.iter(model.ns + "decision"))
    if decision is not None:
        decisions = _pick_decision(model, decisions, decision)
    for element in decisions:
        table = model.find(element, "decisionTable")
        decision_id = element.get("id", "")
        if table is None:
            model.problems.append(
                Problem(
                    ("decision", decision_id),
                    f"decision `{element.get('name', '')}` is not a decision table; "
                    "only decision tables are imported",
                )
            )
            continue
        try:
            imported = _import_table(model, element, table)
        except CrmCultureError as error:
            model.problems.extend(getattr(error, "problems", [Problem((), str(error))]))
            continue
        if imported is not None:
            tables.append(imported)
    if model.problems:
        raise DocumentError("DMN model does not import", model.problems)
    if not tables:
        raise DocumentError("DMN model has no decision table", [Problem(("definitions",), "")])
    return tables


def _pick_decision(model: _Model, decisions: list[ET.Element], name: str) -> list[ET.Element]:
    """The decision named `name` (by name, else by id), alone."""
    for attribute in ("name", "id"):
        found = [element for element in decisions if element.get(attribute) == name]
        if len(found) > 1:
            ids = ", ".join(f"`{element.get('id', '')}`" for element in found)
            raise DocumentError(
                f"DMN model has {len(found)} decisions named `{name}`",
                [Problem(("definitions",), f"pick one by its id: {ids}", name)],
            )
        if found:
            return found
    tables = [element for element in decisions if model.find(element, "decisionTable") is not None]
    known = [element.get("name", "") or element.get("id", "") for element in tables]
    listed = ", ".join(
        f"`{label}` (id `{element.get('id', '')}`)"
        for label, element in zip(known, tables, strict=True)
    )
    raise DocumentError(
        f"DMN model has no decision `{name}`" + did_you_mean(name, known),
        [Problem(("definitions",), f"its decision tables are {listed or 'none'}", name)],
    )


def _hit_policy(model: _Model, table: ET.Element) -> str | None:
    where = ("decisionTable", table.get("id", ""))
    name = table.get("hitPolicy", "UNIQUE").strip()
    letter = _XML_HIT_POLICIES.get(name)
    if letter is None:
        model.problems.append(Problem((*where, "hitPolicy"), f"unknown hit policy `{name}`", name))
        return None
    aggregation = table.get("aggregation")
    if aggregation is not None:
        if letter != "C" or aggregation.strip() not in _AGGREGATIONS:
            model.problems.append(
                Problem(
                    (*where, "aggregation"),
                    f"aggregation `{aggregation}` with hit policy `{name}` is not supported",
                    aggregation,
                )
            )
            return None
        letter = _AGGREGATIONS[aggregation.strip()]
    return letter


def _import_table(model: _Model, decision: ET.Element, table: ET.Element) -> DmnTable | None:
    problems = model.problems
    before = len(problems)
    table_id = table.get("id", "")
    letter = _hit_policy(model, table)
    rules = model.findall(table, "rule")
    # Facts
    inputs: list[tuple[str, str]] = []
    facts: list[Fact] = []
    fact_of_column: list[Fact | None] = []
    for column, element in enumerate(model.findall(table, "input")):
        where = ("input", element.get("id", ""))
        expression = model.find(element, "inputExpression")
        name = (model.text(expression) or "").strip()
        if name not in model.input_data:
            problems.append(
                Problem(
                    (*where, "inputExpression"),
                    f"input expression `{name}` is not the name of an input data; "
                    "only plain input names are supported",
                    name,
                )
            )
            fact_of_column.append(None)
            continue
        type_ref = None if expression is None else expression.get("typeRef")
        variable = model.find(model.input_data[name], "variable")
        if not type_ref and variable is not None:
            type_ref = variable.get("typeRef")
        base, allowed = model.type_of(type_ref)
        values_text = model.text(model.find(element, "inputValues")) or allowed
        fact = _fact(model, where, dmn_identifier(name), base, values_text, rules, column)
        fact_of_column.append(fact)
        if fact is None:
            continue
        existing = next((f for f in facts if f.name == fact.name), None)
        if existing is None:
            facts.append(fact)
            inputs.append((name, fact.name))
        elif existing != fact:
            problems.append(Problem(where, f"input `{name}` is read twice with different types"))
    # Directives
    outputs = model.findall(table, "output")
    decision_name = decision.get("name", "") or decision.get("id", "")
    if letter is None or len(problems) > before:
        return None
    combine, ranked = HIT_POLICIES[letter]
    directives: list[Directive] = []
    output_names: list[tuple[str, str]] = []
    order: list[tuple[str, ...] | None] = []
    for element in outputs:
        where = ("output", element.get("id", ""))
        name = element.get("name") or (decision_name if len(outputs) == 1 else "")
        if not name:
            problems.append(Problem(where, "an output of a compound table needs a name"))
            continue
        entries = [model.findall(rule, "outputEntry") for rule in rules]
        column = len(directives)
        directive, values = _directive(
            model, where, element, table, dmn_identifier(name), combine, letter, entries, column
        )
        if directive is None:
            continue
        directives.append(directive)
        output_names.append((name, directive.name))
        order.append(values)
    if len(problems) > before:
        return None
    if ranked and not any(order):
        problems.append(
            Problem(
                ("decisionTable", table_id, "hitPolicy"),
                f"hit policy `{letter}` needs output values to rank the outputs",
            )
        )
        return None
    built_rules = _rules(model, table, rules, fact_of_column, directives, order, letter)
    if built_rules is None:
        return None
    policy = Policy(
        dmn_identifier(decision_name),
        Schema(facts),
        directives,
        built_rules,
    )
    return DmnTable(
        decision_name,
        decision.get("id", ""),
        letter,
        policy,
        tuple(inputs),
        tuple(output_names),
    )


def _fact(
    model: _Model,
    where: tuple[str, ...],
    name: str,
    base: str | None,
    values_text: str | None,
    rules: Sequence[ET.Element],
    column: int,
) -> Fact | None:
    kind = _TYPES.get(base or "")
    if kind is None:
        model.problems.append(
            Problem(where, f"input type `{base}` is not supported (number, string, boolean, date)")
        )
        return None
    if kind == "bool":
        if values_text is not None:
            model.problems.append(Problem(where, "allowed values of a boolean are not supported"))
            return None
        return Fact.bool(name)
    if kind in ("decimal", "date"):
        return _bounded(model, where, name, kind, values_text)
    if values_text is not None:
        values = _string_list(values_text)
        if values is None:
            model.problems.append(
                Problem(where, f"allowed values `{values_text}` are not a list of strings")
            )
            return None
    else:
        values = []
        for rule in rules:
            entries = model.findall(rule, "inputEntry")
            if column < len(entries):
                for kind_, text in _safe_tokens(model.text(entries[column]) or ""):
                    if kind_ == "string" and _string_literal(text) not in values:
                        values.append(_string_literal(text))
        if not values:
            model.problems.append(
                Problem(where, f"string input `{name}` has no allowed values and no rule names one")
            )
            return None
    return Fact.enum(name, values)


def _bounded(
    model: _Model, where: tuple[str, ...], name: str, kind: str, values_text: str | None
) -> Fact | None:
    """A number or date fact; allowed values that are one range or bound become its min and
    max, anything else is reported."""
    fact = Fact.decimal(name) if kind == "decimal" else Fact.date(name)
    if values_text is None or not values_text.strip():
        return fact
    try:
        allowed = parse_unary_tests(values_text, fact)
    except ValueError:
        allowed = None
    low = high = None
    if isinstance(allowed, Between):
        low, high = allowed.low, allowed.high
    elif isinstance(allowed, Compare) and allowed.op in (">=", "<="):
        low, high = (allowed.value, None) if allowed.op == ">=" else (None, allowed.value)
    else:
        model.problems.append(
            Problem(
                where,
                f"allowed values `{values_text}` of `{name}`: only one closed range or one "
                "`>=`/`<=` bound is supported",
                values_text,
            )
        )
        return None
    if kind == "decimal":
        return Fact.decimal(name, min=low, max=high)  # type: ignore[arg-type]
    return Fact.date(name, min=low, max=high)  # type: ignore[arg-type]


def _safe_tokens(text: str) -> list[tuple[str, str]]:
    try:
        return _tokens(text)
    except _Unsupported:
        return []


def _string_list(text: str) -> list[str] | None:
    try:
        tokens = _tokens(text)
    except _Unsupported:
        return None
    values: list[str] = []
    for position, (kind, token) in enumerate(tokens):
        if position % 2 == 0 and kind == "string":
            value = _string_literal(token)
            if value in values:
                return None
            values.append(value)
        elif position % 2 == 1 and token == ",":
            continue
        else:
            return None
    if not values or len(tokens) % 2 == 0:
        return None
    return values


def _directive(
    model: _Model,
    where: tuple[str, ...],
    element: ET.Element,
    table: ET.Element,
    name: str,
    combine: Combine,
    letter: str,
    entries: list[list[ET.Element]],
    column: int,
) -> tuple[Directive | None, tuple[str, ...] | None]:
    problems = model.problems
    values_text = model.text(model.find(element, "outputValues"))
    type_ref = element.get("typeRef") or table.get("typeRef")
    base, allowed = model.type_of(type_ref)
    values_text = values_text or allowed
    values = None
    if values_text is not None:
        listed = _string_list(values_text)
        if listed is None:
            problems.append(
                Problem(where, f"output values `{values_text}` are not a list of strings")
            )
            return None, None
        values = tuple(listed)
    kind = _TYPES.get(base or "")
    if kind is None:
        # The type is compound or unnamed: read it from the rules' output entries.
        literals = []
        for row in entries:
            if column < len(row):
                with contextlib.suppress(_Unsupported):  # reported with the rule
                    literals.append(_literal(model.text(row[column]) or ""))
        if literals and all(isinstance(v, str) for v in literals):
            kind = "enum"
        elif literals and all(isinstance(v, bool) for v in literals):
            kind = "bool"
        elif literals and all(isinstance(v, Decimal) for v in literals):
            kind = "decimal"
        else:
            problems.append(Problem(where, f"output type `{type_ref}` is not supported"))
            return None, None
    default: Any = NO_DEFAULT
    default_text = model.text(model.find(element, "defaultOutputEntry"))
    if default_text is not None:
        try:
            default = _literal(default_text)
        except _Unsupported as unsupported:
            problems.append(Problem((*where, "defaultOutputEntry"), str(unsupported), default_text))
            return None, None
    try:
        if letter == "C#":
            return Directive.int(name, default=0, combine=Combine.SUM), values
        if kind == "enum":
            text_default = (
                default if combine is not Combine.LIST or default is NO_DEFAULT else [default]
            )
            return Directive.text(
                name, values=values, combine=combine, default=text_default
            ), values
        if values is not None:
            problems.append(Problem(where, f"output values of a `{base}` output are not supported"))
            return None, None
        list_default = (
            default if combine is not Combine.LIST or default is NO_DEFAULT else [default]
        )
        if kind == "bool":
            return Directive.bool(name, combine=combine, default=list_default), None
        if kind == "decimal":
            return Directive.decimal(name, combine=combine, default=list_default), None
        problems.append(Problem(where, f"output type `{base}` is not supported"))
        return None, None
    except CrmCultureError as error:
        for problem in getattr(error, "problems", []):
            problems.append(Problem(where, problem.message, problem.value))
        return None, None


def _rules(
    model: _Model,
    table: ET.Element,
    rules: Sequence[ET.Element],
    fact_of_column: Sequence[Fact | None],
    directives: Sequence[Directive],
    order: Sequence[tuple[str, ...] | None],
    letter: str,
) -> list[Rule] | None:
    problems = model.problems
    before = len(problems)
    built: list[tuple[tuple[int, ...], int, str, Condition, dict[str, Any], str]] = []
    for row, rule in enumerate(rules, start=1):
        rule_id = rule.get("id") or f"row-{row}"
        where = ("rule", rule_id)
        input_entries = model.findall(rule, "inputEntry")
        output_entries = model.findall(rule, "outputEntry")
        if len(input_entries) != len(fact_of_column) or len(output_entries) != len(directives):
            problems.append(
                Problem(
                    where,
                    f"rule has {len(input_entries)} input and {len(output_entries)} output "
                    f"entries; the table has {len(fact_of_column)} inputs and "
                    f"{len(directives)} outputs",
                )
            )
            continue
        conditions: list[Condition] = []
        for entry, fact in zip(input_entries, fact_of_column, strict=True):
            assert fact is not None
            text = model.text(entry) or ""
            try:
                condition = parse_unary_tests(text, fact)
            except ValueError as error:
                problems.append(
                    Problem(
                        ("inputEntry", entry.get("id", ""), "text"),
                        f"`{text.strip()}`: {error}",
                        text,
                    )
                )
                continue
            if condition != ALWAYS:
                conditions.append(condition)
        then: dict[str, Any] = {}
        rank: list[int] = []
        for entry, directive, values in zip(output_entries, directives, order, strict=True):
            text = model.text(entry) or ""
            try:
                value = _literal(text)
            except _Unsupported as unsupported:
                problems.append(
                    Problem(
                        ("outputEntry", entry.get("id", ""), "text"),
                        f"`{text.strip()}`: {unsupported}",
                        text,
                    )
                )
                continue
            if values is not None:
                if value not in values:
                    problems.append(
                        Problem(
                            ("outputEntry", entry.get("id", ""), "text"),
                            f"`{text.strip()}` is not one of the output values",
                            text,
                        )
                    )
                    continue
                rank.append(values.index(value))
            if letter == "C#":
                value = 1
            elif directive.type == "text" and not isinstance(value, str):
                problems.append(
                    Problem(
                        ("outputEntry", entry.get("id", ""), "text"),
                        f"`{text.strip()}` is not a string",
                        text,
                    )
                )
                continue
            then[directive.name] = [value] if directive.combine is Combine.LIST else value
        description = model.find(rule, "description")
        rationale = "" if description is None else (description.text or "").strip()
        built.append((tuple(rank), row, rule_id, all_of(conditions), then, rationale))
    if len(problems) > before:
        return None
    if HIT_POLICIES[letter][1]:
        built.sort(key=lambda item: (item[0], item[1]))
    return [
        Rule(rule_id, when, then, priority=position, rationale=rationale)
        for position, (_, _, rule_id, when, then, rationale) in enumerate(built, start=1)
    ]


def all_of(conditions: Sequence[Condition]) -> Condition:
    """The conjunction of a row's cell conditions (``true`` for none), as the importers build it."""
    if not conditions:
        return ALWAYS
    if len(conditions) == 1:
        return conditions[0]
    return And(tuple(conditions))
