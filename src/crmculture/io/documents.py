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
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path as FilePath
from typing import Any, Literal, TypeAlias

import attrs

from crmculture.culture import Culture
from crmculture.errors import (
    ConditionSyntaxError,
    DocumentError,
    OrgError,
    PolicyError,
    Problem,
    SchemaError,
    did_you_mean,
)
from crmculture.io.condition_text import parse_condition
from crmculture.io.converter import (
    ABSENT,
    FORMAT,
    CultureDoc,
    DirectiveDoc,
    FactDoc,
    LayerDoc,
    OrgDoc,
    RuleDoc,
    make_converter,
    structure_problems,
)
from crmculture.io.positions import READERS, Path, Positions, path_text
from crmculture.io.records import text_value
from crmculture.model.conditions import (
    ALWAYS,
    DECISION,
    MAX_DEPTH,
    ORDER_OPS,
    And,
    Between,
    Compare,
    Condition,
    In,
    Missing,
    Not,
    Or,
    as_condition,
    check_condition,
)
from crmculture.model.directives import Combine, Directive
from crmculture.model.facts import Fact, Schema
from crmculture.model.policies import Layer, Policy
from crmculture.model.rules import Rule
from crmculture.model.values import NO_DEFAULT, decimal_text
from crmculture.org.graph import Department, Handoff, OrgGraph

__all__ = [
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

_EXTENSIONS: dict[str, Format] = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".toml": "toml"}
_TOP_KEYS = [field.name for field in attrs.fields(CultureDoc)]
_HANDOFF_KEYS = {"from": "source", "to": "target"}
_DOCUMENT_KEYS = {"source": "from", "target": "to"}
_OPS_IN_DOCUMENTS = (
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "in",
    "not in",
    "between",
    "is missing",
    "is not missing",
)


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
                f"cannot read {name}", [Problem("", error.strerror or str(error))]
            ) from None
        format = format or _EXTENSIONS.get(path.suffix.lower())
    elif isinstance(source, bytes | str):
        raw = source
    else:
        raise TypeError(f"expected a path, text or bytes, not `{type(source).__name__}`")
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise DocumentError(
                f"cannot read {name}",
                [Problem("", f"not UTF-8 text: byte {error.start} is `{raw[error.start]:#04x}`")],
            ) from None
    else:
        text = raw
    if format is None:
        format = _sniff(text)
    if format not in READERS:
        raise ValueError(f"format must be one of yaml, json, toml, not `{format}`")
    data, positions = READERS[format](text, name)
    return data, positions, name, format


# -- typing values by their fact or directive ---------------------------------------------------


def _directive_value(directive: Directive, value: Any) -> Any:
    if isinstance(value, list):
        return [text_value(directive.type, item) for item in value]
    return text_value(directive.type, value)


# -- the loader ---------------------------------------------------------------------------------


class _Loader:
    """Builds a policy from document data, collecting every problem with its place."""

    def __init__(self, data: Any, positions: Positions, name: str) -> None:
        self.data = data
        self.positions = positions
        self.name = name
        self.problems: list[Problem] = []
        self.converter = make_converter()
        self.broken: set[str] = set()  # facts and directives already reported as invalid

    def problem(self, path: Path, message: str, value: Any = None) -> None:
        line, column = self.locate(path)
        self.problems.append(Problem(path_text(path), message, value, line=line, column=column))

    def locate(self, path: Path) -> tuple[int | None, int | None]:
        for end in range(len(path), -1, -1):
            if path[:end] in self.positions:
                return self.positions[path[:end]]
        return None, None

    def structure(self, raw: Any, kind: type[Any], path: Path) -> Any:
        try:
            return self.converter.structure(raw, kind)
        except Exception as error:  # cattrs raises groups of many kinds
            for where, message in structure_problems(error, path):
                self.problem(where, message)
            return None

    @property
    def name_suffix(self) -> str:
        return "" if self.name == "the document" else f" {self.name}"

    def raise_problems(self) -> None:
        if self.problems:
            # Document order: by line where known, then in the order found.
            ordered = sorted(
                enumerate(self.problems),
                key=lambda item: (item[1].line is None, item[1].line or 0, item[0]),
            )
            raise DocumentError(
                f"invalid culture document{self.name_suffix}", [problem for _, problem in ordered]
            )

    # -- the parts ----------------------------------------------------------------------------

    def load(self) -> Culture:
        data = self.data
        if not isinstance(data, dict):
            self.problem((), f"a culture document is a mapping of keys, not {type(data).__name__}")
            self.raise_problems()
        if "format" not in data:
            self.problem((), f"the document must start with `format: {FORMAT}`")
        elif data["format"] != FORMAT:
            self.problem(
                ("format",),
                f"unsupported format `{data['format']}`: this version reads `{FORMAT}`",
                data["format"],
            )
        for key in data:
            if key not in _TOP_KEYS:
                self.problem((key,), f"unknown key `{key}`" + did_you_mean(str(key), _TOP_KEYS))
        for key in ("name", "facts", "directives"):
            if key not in data:
                self.problem((), f"required key `{key}` is missing")
        top = {
            key: data[key]
            for key in ("name", "version", "description", "departments")
            if key in data
        }
        header = self.structure(
            {"format": FORMAT, "name": "", "facts": {}, "directives": {}, **top}, CultureDoc, ()
        )
        schema = self.schema(data.get("facts", {}))
        directives = self.directives(data.get("directives", {}))
        rules = self.rules(data.get("rules", []), ("rules",), schema, directives)
        layers = self.layers(data.get("layers", []), schema, directives)
        org_doc = self.org_document(data["org"]) if data.get("org") is not None else None
        self.raise_problems()
        assert header is not None
        policy = self.policy(header, schema, directives, rules, layers)
        org = OrgGraph([]) if org_doc is None else self.org(org_doc, policy)
        try:
            return Culture(policy, org)
        except OrgError as error:
            for problem in error.problems:
                self.problem(_org_path(problem.path), problem.message, problem.value)
            self.raise_problems()
            raise  # pragma: no cover - raise_problems always raises here

    # -- the org ----------------------------------------------------------------------------

    def org_document(self, raw: Any) -> OrgDoc | None:
        if not isinstance(raw, dict):
            self.problem(
                ("org",),
                f"the org is a mapping with `departments` and `handoffs`, not {type(raw).__name__}",
            )
            return None
        handoffs = raw.get("handoffs", [])
        renamed = []
        if isinstance(handoffs, list):
            for index, handoff in enumerate(handoffs):
                if isinstance(handoff, dict):
                    for key in ("source", "target"):
                        if key in handoff:
                            self.problem(
                                ("org", "handoffs", index, key),
                                f"unknown key `{key}` "
                                "(a handoff goes `from` one department `to` another)",
                            )
                    handoff = {
                        _HANDOFF_KEYS.get(k, k): v
                        for k, v in handoff.items()
                        if k not in ("source", "target")
                    }
                renamed.append(handoff)
        else:
            renamed = handoffs
        before = len(self.problems)
        doc: OrgDoc | None = self.structure({**raw, "handoffs": renamed}, OrgDoc, ("org",))
        for position in range(before, len(self.problems)):
            problem = self.problems[position]
            self.problems[position] = attrs.evolve(
                problem,
                path=re.sub(
                    r"(handoffs\[\d+\])\.(source|target)\b",
                    lambda m: f"{m.group(1)}.{'from' if m.group(2) == 'source' else 'to'}",
                    problem.path,
                ),
            )
        return doc

    def org(self, doc: OrgDoc, policy: Policy) -> OrgGraph:
        departments = []
        for name, department in doc.departments.items():
            guards = {}
            for request, raw in department.resolves_when.items():
                guard = self.condition(
                    raw,
                    ("org", "departments", name, "resolves_when", request),
                    policy.schema,
                    policy.directive_index,
                )
                if guard is not None:
                    guards[request] = guard
            departments.append(
                Department(
                    name,
                    department.resolves,
                    decides_as=department.decides_as,
                    resolves_when=guards,
                    merged_from=department.merged_from,
                    description=department.description,
                )
            )
        handoffs = []
        for index, entry in enumerate(doc.handoffs):
            path: Path = ("org", "handoffs", index)
            when = self.condition(
                entry.when, (*path, "when"), policy.schema, policy.directive_index
            )
            if when is not None:
                handoffs.append(
                    Handoff(
                        entry.source,
                        entry.target,
                        entry.requests,
                        when=when,
                        kind=entry.kind,
                        minutes=entry.minutes,
                    )
                )
        self.raise_problems()
        try:
            return OrgGraph(departments, handoffs)
        except OrgError as error:
            for problem in error.problems:
                self.problem(_org_path(problem.path), problem.message, problem.value)
            self.raise_problems()
            raise  # pragma: no cover - raise_problems always raises here

    def mapping(self, raw: Any, path: Path) -> dict[str, Any]:
        if not isinstance(raw, dict):
            self.problem(path, f"expected a mapping of names, got {type(raw).__name__}")
            return {}
        return raw

    def sequence(self, raw: Any, path: Path) -> list[Any]:
        if not isinstance(raw, list):
            self.problem(path, f"expected a list, got {type(raw).__name__}")
            return []
        return raw

    def schema(self, raw: Any) -> Schema:
        """The schema of the facts that are valid; the names of the others are remembered, so
        that rules using them are not reported again as using unknown facts."""
        facts: list[Fact] = []
        for name, fact_raw in self.mapping(raw, ("facts",)).items():
            path: Path = ("facts", name)
            doc: FactDoc | None = self.structure(fact_raw, FactDoc, path)
            fact = None if doc is None else self.fact(name, doc, path)
            if fact is None:
                self.broken.add(str(name))
            else:
                facts.append(fact)
        return Schema(facts)

    def fact(self, name: str, doc: FactDoc, path: Path) -> Fact | None:
        def typed(value: Any) -> Any:
            return None if value is None else text_value(doc.type, value)

        ordered = (
            doc.ordered
            if doc.ordered is not None
            else (doc.better is not None if doc.type == "enum" else True)
        )
        if doc.type != "enum" and doc.ordered is not None:
            self.problem((*path, "ordered"), "only enum facts are declared ordered or not")
            return None
        try:
            return Fact(
                name,
                doc.type,  # type: ignore[arg-type]
                values=None if doc.values is None else tuple(doc.values),
                ordered=ordered,
                min=typed(doc.min),
                max=typed(doc.max),
                optional=doc.optional,
                default=NO_DEFAULT if doc.default is ABSENT else typed(doc.default),
                better=doc.better,  # type: ignore[arg-type]
                description=doc.description,
            )
        except SchemaError as error:
            for problem in error.problems:
                field = _field_of(problem.message, ("min", "max", "default", "better", "values"))
                self.problem((*path, field) if field else path, problem.message)
            return None

    def directives(self, raw: Any) -> dict[str, Directive]:
        """The valid directives; like facts, the names of the others are remembered."""
        result: dict[str, Directive] = {}
        for name, directive_raw in self.mapping(raw, ("directives",)).items():
            path: Path = ("directives", name)
            doc: DirectiveDoc | None = self.structure(directive_raw, DirectiveDoc, path)
            directive = None if doc is None else self.directive(name, doc, path)
            if directive is None:
                self.broken.add(str(name))
            else:
                result[name] = directive
        return result

    def directive(self, name: str, doc: DirectiveDoc, path: Path) -> Directive | None:
        kind = "ordered" if doc.type == "enum" else doc.type

        def typed(value: Any) -> Any:
            if value is None:
                return None
            if isinstance(value, list):
                return [text_value(kind, item) for item in value]
            return text_value(kind, value)

        try:
            return Directive(
                name,
                kind,  # type: ignore[arg-type]
                values=None if doc.values is None else tuple(doc.values),
                combine=doc.combine,
                default=NO_DEFAULT if doc.default is ABSENT else typed(doc.default),
                uniform=doc.uniform,
                monotone=doc.monotone,
                better=doc.better,  # type: ignore[arg-type]
                min=typed(doc.min),
                max=typed(doc.max),
                description=doc.description,
            )
        except PolicyError as error:
            for problem in error.problems:
                field = _field_of(
                    problem.message,
                    ("combine", "default", "min", "max", "better", "values", "type"),
                )
                self.problem((*path, field) if field else path, problem.message)
            return None

    def rules(
        self,
        raw: Any,
        path: Path,
        schema: Schema,
        directives: Mapping[str, Directive],
    ) -> list[Rule]:
        rules: list[Rule] = []
        for index, rule_raw in enumerate(self.sequence(raw, path)):
            rule_path: Path = (*path, index)
            if not isinstance(rule_raw, dict):
                self.problem(
                    rule_path,
                    "a rule is a mapping with `id`, `when` and `then`, not "
                    f"{type(rule_raw).__name__}",
                )
                continue
            doc: RuleDoc | None = self.structure(rule_raw, RuleDoc, rule_path)
            if doc is None:
                continue
            rule = self.rule(doc, rule_path, schema, directives)
            if rule is not None:
                rules.append(rule)
        return rules

    def rule(
        self, doc: RuleDoc, path: Path, schema: Schema, directives: Mapping[str, Directive]
    ) -> Rule | None:
        when = self.condition(doc.when, (*path, "when"), schema)
        then: dict[str, Any] = {}
        for name, value in doc.then.items():
            directive = directives.get(name)
            if directive is None and name in self.broken:
                continue
            if directive is None:
                self.problem(
                    (*path, "then", name),
                    f"unknown directive `{name}`" + did_you_mean(name, directives),
                )
                continue
            typed = _directive_value(directive, value)
            problem = directive.check(typed)[1]
            if problem:
                self.problem((*path, "then", name), problem, value)
                continue
            then[name] = typed
        if when is None or len(then) != len(doc.then):
            return None
        try:
            return Rule(
                doc.id,
                when=when,
                then=then,
                priority=doc.priority,
                departments=doc.departments,
                rationale=doc.rationale,
            )
        except PolicyError as error:
            for found in error.problems:
                field = found.path.rsplit(".", 1)[-1]
                self.problem((*path, field), found.message)
            return None

    def condition(
        self,
        raw: Any,
        path: Path,
        schema: Schema,
        directives: Mapping[str, Directive] | None = None,
    ) -> Condition | None:
        if isinstance(raw, bool):
            return as_condition(raw)
        if isinstance(raw, str):
            try:
                return parse_condition(raw, schema, directives=directives)
            except ConditionSyntaxError as error:
                unknown = re.match(r"unknown fact `([^`]*)`", error.reason)
                if unknown and unknown.group(1) in self.broken:
                    return None
                line, column = self.locate(path)
                if line is not None and column is not None:
                    if error.line == 1:
                        column += error.column - 1
                    else:
                        line, column = line + error.line - 1, error.column
                detail = error.reason
                snippet = str(error).split("\n", 1)[1] if "\n" in str(error) else ""
                self.problems.append(
                    Problem(path_text(path), detail, raw, line=line, column=column)
                )
                if snippet:
                    self.problems[-1] = attrs.evolve(
                        self.problems[-1], message=f"{detail}\n{snippet}"
                    )
                return None
        if isinstance(raw, dict):
            return self.structured(raw, path, schema, 0, directives)
        self.problem(
            path, f"a condition is text, true/false or a mapping, not {type(raw).__name__}"
        )
        return None

    def structured(
        self,
        raw: dict[str, Any],
        path: Path,
        schema: Schema,
        depth: int,
        directives: Mapping[str, Directive] | None = None,
    ) -> Condition | None:
        if depth > MAX_DEPTH:
            self.problem(path, f"the condition nests deeper than {MAX_DEPTH} levels")
            return None
        keys = sorted(raw)
        if keys in (["all"], ["any"]):
            key = keys[0]
            items = raw[key]
            if not isinstance(items, list) or len(items) < 2:
                self.problem((*path, key), f"`{key}` takes a list of at least two conditions")
                return None
            parts = [
                self.nested(item, (*path, key, i), schema, depth, directives)
                for i, item in enumerate(items)
            ]
            if any(part is None for part in parts):
                return None
            return (And if key == "all" else Or)(parts)  # type: ignore[arg-type]
        if keys == ["not"]:
            inner = self.nested(raw["not"], (*path, "not"), schema, depth, directives)
            return None if inner is None else Not(inner)
        if "fact" in raw and set(keys) <= {"fact", "op", "value"}:
            return self.atom(raw, path, schema, directives)
        self.problem(
            path,
            "a structured condition is {all: [...]}, {any: [...]}, {not: ...} or "
            "{fact: ..., op: ..., value: ...}",
        )
        return None

    def nested(
        self,
        raw: Any,
        path: Path,
        schema: Schema,
        depth: int,
        directives: Mapping[str, Directive] | None,
    ) -> Condition | None:
        if isinstance(raw, dict):
            return self.structured(raw, path, schema, depth + 1, directives)
        return self.condition(raw, path, schema, directives)

    def atom(
        self,
        raw: dict[str, Any],
        path: Path,
        schema: Schema,
        directives: Mapping[str, Directive] | None,
    ) -> Condition | None:
        name, op, value = raw.get("fact"), raw.get("op", "=="), raw.get("value", ABSENT)
        kind = self.atom_kind(name, path, schema, directives)
        if kind is None:
            return None
        assert isinstance(name, str)
        if op not in _OPS_IN_DOCUMENTS:
            self.problem(
                (*path, "op"),
                f"unknown operator `{op}` (use one of " + ", ".join(_OPS_IN_DOCUMENTS) + ")",
            )
            return None
        if op in ("is missing", "is not missing"):
            condition: Condition = Missing(name, negated=op == "is not missing")
        elif value is ABSENT:
            self.problem(path, f"operator `{op}` needs a `value`")
            return None
        elif op in ("in", "not in"):
            if not isinstance(value, list):
                self.problem((*path, "value"), f"`{op}` needs a list of values")
                return None
            condition = In(name, [text_value(kind, v) for v in value], negated=op == "not in")
        elif op == "between":
            if not isinstance(value, list) or len(value) != 2:
                self.problem((*path, "value"), "`between` needs a list of two values [low, high]")
                return None
            condition = Between(name, text_value(kind, value[0]), text_value(kind, value[1]))
        else:
            assert op in ORDER_OPS or op in ("==", "!=")
            condition = Compare(name, op, text_value(kind, value))
        checked, problems = check_condition(condition, schema, path_text(path), directives)
        for problem in problems:
            self.problem(path, problem.message)
        return None if problems else checked

    def atom_kind(
        self,
        name: Any,
        path: Path,
        schema: Schema,
        directives: Mapping[str, Directive] | None,
    ) -> str | None:
        """The value type the atom's `fact` takes (a fact's, or a decision directive's)."""
        if isinstance(name, str) and name.startswith(DECISION) and directives is not None:
            directive = directives.get(name.removeprefix(DECISION))
            if directive is not None:
                return directive.type
            self.problem(
                (*path, "fact"),
                f"unknown directive `{name.removeprefix(DECISION)}`"
                + did_you_mean(name.removeprefix(DECISION), list(directives)),
            )
            return None
        if isinstance(name, str) and name in schema:
            return schema[name].type
        self.problem(
            (*path, "fact"), f"unknown fact `{name}`" + did_you_mean(str(name), schema.names)
        )
        return None

    def layers(self, raw: Any, schema: Schema, directives: Mapping[str, Directive]) -> list[Layer]:
        layers: list[Layer] = []
        for index, layer_raw in enumerate(self.sequence(raw, ("layers",))):
            path: Path = ("layers", index)
            if not isinstance(layer_raw, dict):
                self.problem(path, f"a layer is a mapping, not {type(layer_raw).__name__}")
                continue
            rules_raw = layer_raw.get("rules", [])
            head: LayerDoc | None = self.structure({**layer_raw, "rules": []}, LayerDoc, path)
            rules = self.rules(rules_raw, (*path, "rules"), schema, directives)
            if head is not None:
                layers.append(Layer(head.name, head.departments, rules))
        return layers

    def policy(
        self,
        header: CultureDoc,
        schema: Schema,
        directives: Mapping[str, Directive],
        rules: list[Rule],
        layers: list[Layer],
    ) -> Policy:
        try:
            return Policy(
                header.name,
                schema,
                list(directives.values()),
                rules,
                layers=layers,
                version=header.version,
                departments=header.departments,
                description=header.description,
            )
        except PolicyError as error:
            for problem in error.problems:
                path, message = self.policy_path(problem)
                self.problem(path, message, problem.value)
            self.raise_problems()
            raise  # pragma: no cover - raise_problems always raises here

    def policy_path(self, problem: Problem) -> tuple[Path, str]:
        """Map a policy problem's path (``rules[<id>].then.x``) back to the document."""
        match = re.match(
            r"(rules|layers\[(?P<layer>[^\]]+)\]\.rules)\[(?P<id>[^\]]+)\](?P<rest>.*)",
            problem.path,
        )
        if match:
            layer = match.group("layer")
            paths = [
                path
                for path, rule_id in self.rule_ids()
                if rule_id == match.group("id")
                and (layer is None or self.layer_name(path) == layer)
            ]
            if paths:
                # A repeated id is reported where it is repeated, not where it is first used.
                repeated = "used twice" in problem.message and len(paths) > 1
                rest = tuple(part for part in match.group("rest").split(".") if part)
                return (*(paths[1] if repeated else paths[0]), *rest), problem.message
        match = re.match(r"layers\[(?P<name>[^\]]+)\](?P<rest>.*)", problem.path)
        if match:
            for index, layer in enumerate(self.data.get("layers", [])):
                if isinstance(layer, dict) and layer.get("name") == match.group("name"):
                    rest = tuple(part for part in match.group("rest").split(".") if part)
                    return ("layers", index, *rest), problem.message
        return tuple(part for part in problem.path.split(".") if part), problem.message

    def rule_ids(self) -> Iterator[tuple[Path, str]]:
        for index, rule in enumerate(self.data.get("rules", []) or []):
            if isinstance(rule, dict):
                yield ("rules", index), str(rule.get("id"))
        for layer_index, layer in enumerate(self.data.get("layers", []) or []):
            if isinstance(layer, dict):
                for index, rule in enumerate(layer.get("rules", []) or []):
                    if isinstance(rule, dict):
                        yield ("layers", layer_index, "rules", index), str(rule.get("id"))

    def layer_name(self, path: Path) -> str | None:
        if path[0] != "layers":
            return None
        layer = self.data["layers"][path[1]]
        return str(layer.get("name")) if isinstance(layer, dict) else None


def _org_path(text: str) -> Path:
    """An org problem's path in the document: ``handoffs[3].target`` is
    ``("org", "handoffs", 3, "to")`` (handoffs go `from` one department `to` another)."""
    parts: list[str | int] = ["org"]
    for piece in re.findall(r"[^.\[\]]+|\[\d+\]", text):
        if piece.startswith("["):
            parts.append(int(piece[1:-1]))
        elif len(parts) >= 3 and parts[-2] == "handoffs" and piece in _DOCUMENT_KEYS:
            parts.append(_DOCUMENT_KEYS[piece])
        else:
            parts.append(piece)
    return tuple(parts)


def _field_of(message: str, fields: tuple[str, ...]) -> str | None:
    """The document field a model problem message is about (``default: ...`` is `default`)."""
    if message.startswith(("unknown fact type", "unknown directive type")):
        return "type"
    for field in fields:
        if message.startswith((f"{field}:", f"{field} ")):
            return field
    if "combine" in message:
        return "combine" if "combine" in fields else None
    return None


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
    return _Loader(data, positions, name).load()


# -- dumping ------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value


def _fact_document(fact: Fact) -> dict[str, Any]:
    document: dict[str, Any] = {"type": fact.type}
    if fact.values is not None:
        document["values"] = list(fact.values)
        if fact.ordered != (fact.better is not None):
            document["ordered"] = fact.ordered
    for key, value in (("min", fact.min), ("max", fact.max)):
        if value is not None:
            document[key] = _plain(value)
    if fact.optional:
        document["optional"] = True
    if fact.default is not NO_DEFAULT:
        document["default"] = _plain(fact.default)
    if fact.better is not None:
        document["better"] = fact.better
    if fact.description:
        document["description"] = fact.description
    return document


def _directive_document(directive: Directive) -> dict[str, Any]:
    document: dict[str, Any] = {"type": "enum" if directive.type == "ordered" else directive.type}
    if directive.values is not None:
        document["values"] = list(directive.values)
    collect_default = directive.combine is Combine.COLLECT and directive.default == ()
    if directive.default is not NO_DEFAULT and not collect_default:
        document["default"] = _plain(directive.default)
    if directive.combine is not Combine.FIRST:
        document["combine"] = directive.combine.value
    for key in ("uniform", "monotone"):
        if getattr(directive, key):
            document[key] = True
    for key in ("better", "min", "max"):
        if getattr(directive, key) is not None:
            document[key] = _plain(getattr(directive, key))
    if directive.description:
        document["description"] = directive.description
    return document


def _rule_document(rule: Rule, scope: tuple[str, ...] | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {"id": rule.id, "when": str(rule.when)}
    document["then"] = {name: _plain(value) for name, value in rule.then}
    if rule.priority:
        document["priority"] = rule.priority
    if rule.departments is not None and rule.departments != scope:
        document["departments"] = list(rule.departments)
    if rule.rationale:
        document["rationale"] = rule.rationale
    return document


def policy_document(policy: Policy) -> dict[str, Any]:
    """The policy as document data (plain dicts and lists, keys in document order).

    Examples:
        >>> from crmculture.stories import acme_policy
        >>> list(policy_document(acme_policy()))[:4]
        ['format', 'name', 'version', 'description']
    """
    document: dict[str, Any] = {"format": FORMAT, "name": policy.name}
    if policy.version != "1":
        document["version"] = policy.version
    if policy.description:
        document["description"] = policy.description
    if policy.departments is not None:
        document["departments"] = list(policy.departments)
    document["facts"] = {fact.name: _fact_document(fact) for fact in policy.schema}
    document["directives"] = {d.name: _directive_document(d) for d in policy.directives}
    document["rules"] = [_rule_document(rule) for rule in policy.rules]
    if policy.layers:
        document["layers"] = [
            {
                "name": layer.name,
                "departments": list(layer.departments),
                "rules": [_rule_document(rule, layer.departments) for rule in layer.rules],
            }
            for layer in policy.layers
        ]
    return document


def _org_document(org: OrgGraph) -> dict[str, Any]:
    departments: dict[str, Any] = {}
    for department in org.departments:
        entry: dict[str, Any] = {"resolves": list(department.resolves)}
        if department.decides_as is not None:
            entry["decides_as"] = department.decides_as
        if department.resolves_when:
            entry["resolves_when"] = {
                request: str(guard) for request, guard in department.resolves_when
            }
        if department.merged_from:
            entry["merged_from"] = list(department.merged_from)
        if department.description:
            entry["description"] = department.description
        departments[department.name] = entry
    handoffs = []
    for handoff in org.handoffs:
        item: dict[str, Any] = {"from": handoff.source, "to": handoff.target}
        if handoff.requests is not None:
            item["requests"] = list(handoff.requests)
        if handoff.when != ALWAYS:
            item["when"] = str(handoff.when)
        if handoff.kind != "transfer":
            item["kind"] = handoff.kind
        if handoff.minutes:
            item["minutes"] = handoff.minutes
        handoffs.append(item)
    return {"departments": departments, "handoffs": handoffs}


def culture_document(culture: Culture) -> dict[str, Any]:
    """The culture as document data: the policy's document, and the org when it has
    departments.

    Examples:
        >>> from crmculture.stories import acme_culture
        >>> sorted(culture_document(acme_culture())["org"])
        ['departments', 'handoffs']
    """
    document = policy_document(culture.policy)
    if culture.org.departments:
        document["org"] = _org_document(culture.org)
    return document


def _dump_yaml(document: dict[str, Any]) -> str:
    try:
        import yaml
    except ImportError:  # pragma: no cover - exercised without the extra installed
        raise ImportError("writing YAML needs PyYAML: `pip install 'crmculture[yaml]'`") from None
    return str(
        yaml.dump(
            document,
            Dumper=_yaml_dumper(),
            sort_keys=False,
            allow_unicode=True,
            width=100,
            default_flow_style=False,
        )
    )


@functools.cache
def _yaml_dumper() -> Any:
    """PyYAML's safe dumper, writing text with line-break characters in double quotes: YAML
    reads NEL and the Unicode line and paragraph separators as line breaks, and folds them in
    plain or single-quoted text; only double quotes keep them (escaped)."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        style = '"' if any(ch in _YAML_BREAKS for ch in value) else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    return Dumper


_YAML_BREAKS = frozenset("\x85\u2028\u2029")


def _dump_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, default=_json_default) + "\n"


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot write `{value!r}` as JSON")  # pragma: no cover


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    raise TypeError(f"cannot write `{value!r}` as TOML")  # pragma: no cover


def _toml_string(text: str) -> str:
    """A TOML basic string. JSON's escapes are TOML's, but TOML also forbids a raw DEL."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml_string(key)


def _is_table_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _toml_table(
    lines: list[str], path: list[str], table: dict[str, Any], header: str | None, in_array: bool
) -> None:
    """Write a table: its plain keys, then its sub-tables, then its arrays of tables. Inside
    an array of tables, a mapping of plain values stays inline (a rule's `then`)."""
    plain, tables, arrays = [], [], []
    for key, value in table.items():
        if _is_table_list(value):
            arrays.append((key, value))
        elif isinstance(value, dict) and not (
            in_array and not any(isinstance(v, dict | list) for v in value.values())
        ):
            tables.append((key, value))
        else:
            plain.append((key, value))
    if header is not None:
        lines.extend(["", header])
    lines.extend(f"{_toml_key(key)} = {_toml_value(value)}" for key, value in plain)
    for key, value in tables:
        dotted = ".".join(_toml_key(part) for part in (*path, key))
        _toml_table(lines, [*path, key], value, f"[{dotted}]", in_array=False)
    for key, items in arrays:
        dotted = ".".join(_toml_key(part) for part in (*path, key))
        for item in items:
            _toml_table(lines, [*path, key], item, f"[[{dotted}]]", in_array=True)


def _dump_toml(document: dict[str, Any]) -> str:
    lines: list[str] = []
    _toml_table(lines, [], document, None, in_array=False)
    return "\n".join(lines) + "\n"


_WRITERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "yaml": _dump_yaml,
    "json": _dump_json,
    "toml": _dump_toml,
}


def dump(culture: Culture, format: Format = "yaml") -> str:
    """Write a culture as a document: ``load(dump(culture, f)) == culture`` for every format.

    Examples:
        >>> from crmculture.stories import acme_culture
        >>> load(dump(acme_culture(), "toml"), "toml") == acme_culture()
        True
    """
    if format not in _WRITERS:
        raise ValueError(f"format must be one of yaml, json, toml, not `{format}`")
    return _WRITERS[format](culture_document(culture))


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
    if format not in _WRITERS:
        raise ValueError(f"format must be one of yaml, json, toml, not `{format}`")
    return _WRITERS[format](policy_document(policy))
