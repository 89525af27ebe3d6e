"""Turning document data into a culture, with every problem at its place in the document.

The loader reads each section on its own: a broken directive does not stop the rules, the
layers or the org from being checked. What is broken is remembered (facts, directives, rule
ids), so that a mistake is reported once, where it is, and not again by everything that uses
it. Problems found by the model (a `Fact`, a `Policy`, an `OrgGraph`) come back as paths of
the model, which the loader maps to paths of the document: a rule id to its index, a
handoff's ``target`` to its ``to`` key. No message is ever read back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from crmculture.culture import Culture
from crmculture.errors import (
    DocumentError,
    OrgError,
    Path,
    PolicyError,
    Problem,
    SchemaError,
    did_you_mean,
)
from crmculture.io.converter import (
    ABSENT,
    FORMAT,
    CultureDoc,
    DirectiveDoc,
    FactDoc,
    HandoffDoc,
    LayerDoc,
    OrgDoc,
    PromiseDoc,
    RuleDoc,
    document_key,
    make_converter,
    structure_problems,
)
from crmculture.io.document_conditions import DocumentConditions
from crmculture.io.positions import Positions
from crmculture.io.records import text_value
from crmculture.model.conditions import (
    as_condition,
)
from crmculture.model.directives import Directive
from crmculture.model.facts import Fact, Freshness, Schema
from crmculture.model.policies import Layer, Policy
from crmculture.model.promises import Promise
from crmculture.model.rules import Rule
from crmculture.model.values import NO_DEFAULT
from crmculture.org.graph import Department, Handoff, OrgGraph, Referral

__all__ = ["load_culture"]

_TOP_KEYS = [document_key(CultureDoc, field.name) for field in attrs.fields(CultureDoc)]


def load_culture(data: Any, positions: Positions, name: str) -> Culture:
    """Build a culture from document data (as read by `crmculture.io.positions`).

    Raises:
        DocumentError: listing every problem of the document, in document order.
    """
    return _Loader(data, positions, name).load()


class _Loader:
    """Builds a culture from document data, collecting every problem with its place."""

    def __init__(self, data: Any, positions: Positions, name: str) -> None:
        self.data = data
        self.positions = positions
        self.name = name
        self.problems: list[Problem] = []
        self.converter = make_converter()
        # What is already reported as broken, so that its users are not reported again.
        self.broken_facts: set[str] = set()
        self.broken_directives: set[str] = set()
        # Where each rule and layer of the policy is in the document.
        self.rule_paths: dict[tuple[str | None, str], Path] = {}
        self.layer_paths: dict[str, Path] = {}
        self.promise_paths: dict[str, Path] = {}
        self.conditions = DocumentConditions(
            self.problem,
            self.problems.append,
            self.locate,
            self.broken_facts,
            self.broken_directives,
        )

    # -- problems -------------------------------------------------------------------------

    def problem(self, path: Path, message: str, value: Any = None) -> None:
        line, column = self.locate(path)
        self.problems.append(Problem(path, message, value, line=line, column=column))

    def locate(self, path: Path) -> tuple[int | None, int | None]:
        for end in range(len(path), -1, -1):
            if path[:end] in self.positions:
                return self.positions[path[:end]]
        return None, None

    def model_problems(self, error: PolicyError | SchemaError | OrgError, where: Mapper) -> None:
        """Report the problems of a model error at the document paths `where` gives."""
        for found in error.problems:
            path = where(found.path)
            if path is not None:
                self.problem(path, found.message, found.value)

    def structure(self, raw: Any, kind: type[Any], path: Path) -> Any:
        try:
            return self.converter.structure(raw, kind)
        except Exception as error:  # cattrs raises groups of many kinds
            for where, message in structure_problems(error, path):
                self.problem(where, message)
            return None

    def raise_problems(self) -> None:
        if not self.problems:
            return
        # Document order: by line where known, then in the order found.
        ordered = sorted(
            enumerate(self.problems),
            key=lambda item: (item[1].line is None, item[1].line or 0, item[0]),
        )
        suffix = "" if self.name == "the document" else f" {self.name}"
        raise DocumentError(
            f"invalid culture document{suffix}", [problem for _, problem in ordered]
        )

    # -- the document -----------------------------------------------------------------------

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
                self.problem((key,), f"unknown key `{key}`" + _did_you_mean(key, _TOP_KEYS))
        for key in ("name", "facts", "directives"):
            if key not in data:
                self.problem((), f"required key `{key}` is missing")
        top = {
            key: data[key]
            for key in ("name", "version", "description", "departments")
            if key in data
        }
        header: CultureDoc | None = self.structure(
            {"format": FORMAT, "name": "", "facts": {}, "directives": {}, **top}, CultureDoc, ()
        )
        schema = self.schema(data.get("facts", {}))
        directives = self.directives(data.get("directives", {}))
        rules = self.rules(data.get("rules", []), ("rules",), None, schema, directives)
        layers = self.layers(data.get("layers", []), schema, directives)
        promises = self.promises(data.get("promises", []), schema, directives)
        policy = self.policy(header, schema, directives, rules, layers, promises)
        org = OrgGraph([])
        if data.get("org") is not None:
            org = self.org(data["org"], schema, directives)  # type: ignore[assignment]
        culture = None if policy is None or org is None else self.culture(policy, org)
        self.raise_problems()
        assert culture is not None
        return culture

    def mapping(self, raw: Any, path: Path) -> dict[Any, Any]:
        if not isinstance(raw, dict):
            self.problem(path, f"expected a mapping of names, got {type(raw).__name__}")
            return {}
        return raw

    def sequence(self, raw: Any, path: Path) -> list[Any]:
        if not isinstance(raw, list):
            self.problem(path, f"expected a list, got {type(raw).__name__}")
            return []
        return raw

    # -- facts and directives -----------------------------------------------------------------

    def schema(self, raw: Any) -> Schema:
        """The schema of the facts that are valid; the names of the others are remembered, so
        that rules using them are not reported again as using unknown facts."""
        facts: list[Fact] = []
        for name, fact_raw in self.mapping(raw, ("facts",)).items():
            path: Path = ("facts", name)
            doc: FactDoc | None = self.structure(fact_raw, FactDoc, path)
            fact = None if doc is None else self.fact(name, doc, path)
            if fact is None:
                self.broken_facts.add(str(name))
            else:
                facts.append(fact)
        dates = {fact.name for fact in facts if fact.type == "date"}
        for position, fact in enumerate(facts):
            if fact.fresh_for is not None and fact.fresh_for.since not in dates:
                since = fact.fresh_for.since
                self.problem(
                    ("facts", fact.name, "fresh_for", "since"),
                    f"`since` names a date fact, not `{since}`" + did_you_mean(since, dates),
                    since,
                )
                facts[position] = attrs.evolve(fact, fresh_for=None)
        return Schema(facts)

    def fact(self, name: str, doc: FactDoc, path: Path) -> Fact | None:
        def typed(value: Any) -> Any:
            return None if value is None else text_value(doc.type, value)

        if doc.type != "enum" and doc.ordered is not None:
            self.problem((*path, "ordered"), "only enum facts are declared ordered or not")
            return None
        ordered = (
            doc.ordered if doc.ordered is not None else doc.type != "enum" or doc.better is not None
        )
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
                fresh_for=(
                    None
                    if doc.fresh_for is None
                    else Freshness(doc.fresh_for.days, doc.fresh_for.since)
                ),
            )
        except SchemaError as error:
            # The model's path is ("facts", name, field): the document's, too.
            self.model_problems(error, lambda found: (*path, *found[2:]))
            return None

    def directives(self, raw: Any) -> dict[str, Directive]:
        """The valid directives; like facts, the names of the others are remembered."""
        result: dict[str, Directive] = {}
        for name, directive_raw in self.mapping(raw, ("directives",)).items():
            path: Path = ("directives", name)
            doc: DirectiveDoc | None = self.structure(directive_raw, DirectiveDoc, path)
            directive = None if doc is None else self.directive(name, doc, path)
            if directive is None:
                self.broken_directives.add(str(name))
            else:
                result[name] = directive
        return result

    def directive(self, name: str, doc: DirectiveDoc, path: Path) -> Directive | None:
        kind = doc.type

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
            self.model_problems(error, lambda found: (*path, *found[2:]))
            return None

    # -- rules and layers -----------------------------------------------------------------

    def rules(
        self,
        raw: Any,
        path: Path,
        layer: str | None,
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
            # A rule id is unique across the whole policy: a repeat is reported where it is
            # repeated, and left out, so that the policy does not report it again.
            if any(rule_id == doc.id for _, rule_id in self.rule_paths):
                self.problem((*rule_path, "id"), f"rule id `{doc.id}` is used twice", doc.id)
                continue
            self.rule_paths[layer, doc.id] = rule_path
            rule = self.rule(doc, rule_path, schema, directives)
            if rule is not None:
                rules.append(rule)
        return rules

    def governance(self, doc: RuleDoc | PromiseDoc, path: Path) -> dict[str, Any] | None:
        """The governance metadata of a rule or promise, effective dates read as dates (a
        YAML date, or ISO text); None after reporting a date that is not one."""
        dates: dict[str, dt.date | None] = {}
        for name in ("effective_from", "effective_until"):
            value = getattr(doc, name)
            if value is None or type(value) is dt.date:
                dates[name] = value
                continue
            if isinstance(value, str):
                try:
                    dates[name] = dt.date.fromisoformat(value)
                    continue
                except ValueError:
                    pass
            self.problem((*path, name), f"`{name}` is a date YYYY-MM-DD, not `{value}`", value)
        if len(dates) < 2:
            return None
        return {
            "owner": doc.owner,
            "approved_by": doc.approved_by,
            "ticket": doc.ticket,
            "tags": doc.tags,
            **dates,
        }

    def rule(
        self, doc: RuleDoc, path: Path, schema: Schema, directives: Mapping[str, Directive]
    ) -> Rule | None:
        when = self.conditions.condition(doc.when, (*path, "when"), schema)
        then = self.directive_values(doc.then, (*path, "then"), directives)
        governance = self.governance(doc, path)
        if when is None or len(then) != len(doc.then) or governance is None:
            return None
        try:
            return Rule(
                doc.id,
                when=when,
                then=then,
                priority=doc.priority,
                departments=doc.departments,
                rationale=doc.rationale,
                overrides=doc.overrides,
                **governance,
            )
        except PolicyError as error:
            # The model's path is ("rules", id, field).
            self.model_problems(error, lambda found: (*path, *found[2:]))
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
            name = head.name if head is not None else None
            if name is not None and name in self.layer_paths:
                self.problem((*path, "name"), f"layer `{name}` is declared twice", name)
                head = None
            elif name is not None:
                self.layer_paths[name] = path
            rules = self.rules(rules_raw, (*path, "rules"), name, schema, directives)
            if head is not None:
                layers.append(Layer(head.name, head.departments, rules))
        return layers

    # -- promises ---------------------------------------------------------------------------

    def promises(
        self, raw: Any, schema: Schema, directives: Mapping[str, Directive]
    ) -> list[Promise]:
        promises: list[Promise] = []
        for index, promise_raw in enumerate(self.sequence(raw, ("promises",))):
            path: Path = ("promises", index)
            if not isinstance(promise_raw, dict):
                self.problem(
                    path,
                    "a promise is a mapping with `id`, `when` and `then`, not "
                    f"{type(promise_raw).__name__}",
                )
                continue
            doc: PromiseDoc | None = self.structure(promise_raw, PromiseDoc, path)
            if doc is None:
                continue
            if doc.id in self.promise_paths:
                self.problem((*path, "id"), f"promise id `{doc.id}` is used twice", doc.id)
                continue
            self.promise_paths[doc.id] = path
            promise = self.promise(doc, path, schema, directives)
            if promise is not None:
                promises.append(promise)
        return promises

    def directive_values(
        self, values: Mapping[str, Any], path: Path, directives: Mapping[str, Directive]
    ) -> dict[str, Any]:
        """The values a rule sets or a promise promises, typed by their directives; each
        that is not (an unknown directive, a value the directive cannot take) is a problem at
        ``path + (name,)`` and left out, as is one whose directive is itself broken."""
        typed_values: dict[str, Any] = {}
        for name, value in values.items():
            directive = directives.get(name)
            if directive is None and name in self.broken_directives:
                continue
            if directive is None:
                self.problem(
                    (*path, name), f"unknown directive `{name}`" + _did_you_mean(name, directives)
                )
                continue
            typed = _directive_value(directive, value)
            problem = directive.check(typed)[1]
            if problem:
                self.problem((*path, name), problem, value)
                continue
            typed_values[name] = typed
        return typed_values

    def promise(
        self, doc: PromiseDoc, path: Path, schema: Schema, directives: Mapping[str, Directive]
    ) -> Promise | None:
        when = self.conditions.condition(doc.when, (*path, "when"), schema)
        then: Any
        if isinstance(doc.then, dict):
            then = self.directive_values(doc.then, (*path, "then"), directives)
            if len(then) != len(doc.then):
                return None
            if not then:
                self.problem((*path, "then"), "the promise promises nothing: `then` is empty")
                return None
        elif isinstance(doc.then, str | bool):
            then = self.conditions.condition(doc.then, (*path, "then"), schema, directives)
        else:
            self.problem(
                (*path, "then"),
                "`then` is a mapping of directive values or a condition over the decision, "
                f"not {type(doc.then).__name__}",
            )
            return None
        governance = self.governance(doc, path)
        if when is None or then is None or governance is None:
            return None
        try:
            return Promise(
                doc.id,
                when=when,
                then=then,
                departments=doc.departments,
                rationale=doc.rationale,
                **governance,
            )
        except PolicyError as error:
            self.model_problems(error, lambda found: (*path, *found[2:]))
            return None

    def policy(
        self,
        header: CultureDoc | None,
        schema: Schema,
        directives: Mapping[str, Directive],
        rules: list[Rule],
        layers: list[Layer],
        promises: list[Promise],
    ) -> Policy | None:
        """The policy of the valid parts, so that its own checks run whatever else is broken;
        None when it cannot be built."""
        if not directives:
            if not self.broken_directives and isinstance(self.data.get("directives"), dict):
                self.problem(("directives",), "a policy decides at least one directive")
            return None
        try:
            return Policy(
                header.name if header is not None and header.name else "unnamed",
                schema,
                list(directives.values()),
                rules,
                layers=layers,
                version=header.version if header is not None else "1",
                departments=header.departments if header is not None else None,
                description=header.description if header is not None else "",
                promises=promises,
            )
        except PolicyError as error:
            self.model_problems(error, self.policy_path)
            return None

    def policy_path(self, path: Path) -> Path | None:
        """A policy problem's path in the document: a rule id becomes the rule's index, a
        layer name the layer's."""
        if path[:1] == ("rules",) and len(path) > 1:
            found = self.rule_paths.get((None, path[1]))
            return None if found is None else (*found, *path[2:])
        if path[:1] == ("promises",) and len(path) > 1:
            found = self.promise_paths.get(path[1])
            return None if found is None else (*found, *path[2:])
        if path[:1] == ("layers",) and len(path) > 1:
            layer = self.layer_paths.get(path[1])
            if layer is None:
                return None
            if path[2:3] == ("rules",) and len(path) > 3:
                found = self.rule_paths.get((path[1], path[3]))
                return None if found is None else (*found, *path[4:])
            return (*layer, *path[2:])
        return path

    # -- the org ----------------------------------------------------------------------------

    def org(self, raw: Any, schema: Schema, directives: Mapping[str, Directive]) -> OrgGraph | None:
        if not isinstance(raw, dict):
            self.problem(
                ("org",),
                f"the org is a mapping with `departments` and `handoffs`, not {type(raw).__name__}",
            )
            return None
        doc: OrgDoc | None = self.structure(raw, OrgDoc, ("org",))
        if doc is None:
            return None
        ok = True
        departments = []
        written: dict[str, list[Referral]] = {}  # each department's, in the document's order
        for name, department in doc.departments.items():
            guards = {}
            for request, guard_raw in department.resolves_when.items():
                where = ("org", "departments", name, "resolves_when", request)
                guard = self.conditions.condition(guard_raw, where, schema, directives)
                if guard is None:
                    ok = False
                else:
                    guards[request] = guard
            referrals = []
            for position, referral_doc in enumerate(department.refers):
                referral_guard = self.conditions.condition(
                    referral_doc.when,
                    ("org", "departments", name, "refers", position, "when"),
                    schema,
                    directives,
                )
                if referral_guard is None:
                    ok = False
                    referral_guard = as_condition(True)  # its structure is still checked below
                referrals.append(
                    Referral(
                        referral_doc.to,
                        referral_doc.requests,
                        when=referral_guard,
                        message=referral_doc.message,
                        outside=referral_doc.outside,
                    )
                )
            departments.append(
                Department(
                    name,
                    department.resolves,
                    decides_as=department.decides_as,
                    resolves_when=guards,
                    merged_from=department.merged_from,
                    description=department.description,
                    refers=referrals,
                )
            )
            written[name] = referrals
        handoffs = []
        for index, entry in enumerate(doc.handoffs):
            when = self.conditions.condition(
                entry.when, ("org", "handoffs", index, "when"), schema, directives
            )
            if when is None:
                ok = False
                when = as_condition(True)  # its structure is still checked below
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
        try:
            org = OrgGraph(departments, handoffs)
        except OrgError as error:
            self.model_problems(error, lambda path: _org_path(path, departments, written))
            return None
        return org if ok else None

    def culture(self, policy: Policy, org: OrgGraph) -> Culture | None:
        try:
            return Culture(policy, org)
        except OrgError as error:
            self.model_problems(error, lambda path: _org_path(path, org.departments))
            return None


Mapper = Callable[[Path], "Path | None"]


def _did_you_mean(name: object, known: Iterable[str]) -> str:
    return did_you_mean(str(name), list(known))


def _directive_value(directive: Directive, value: Any) -> Any:
    if isinstance(value, list):
        return [text_value(directive.type, item) for item in value]
    return text_value(directive.type, value)


def _org_path(
    path: Path,
    departments: Iterable[Department],
    written: Mapping[str, list[Referral]] | None = None,
) -> Path:
    """An org problem's path in the document: ``("handoffs", 3, "target")`` is
    ``("org", "handoffs", 3, "to")``, a department's position is its name, and a referral's
    position (in the department's canonical order) its position in the document
    (`written`)."""
    if (
        written is not None
        and path[:1] == ("departments",)
        and path[2:3] == ("refers",)
        and len(path) > 3
        and isinstance(path[1], str)
        and isinstance(path[3], int)
        and path[1] in written
    ):
        department = next(d for d in departments if d.name == path[1])
        if path[3] < len(department.refers):
            made = department.refers[path[3]]
            order = [id(referral) for referral in written[path[1]]]
            if id(made) in order:
                path = (*path[:3], order.index(id(made)), *path[4:])
    if path[:1] == ("handoffs",) and len(path) > 2 and isinstance(path[2], str):
        field = path[2]
        if field in attrs.fields_dict(HandoffDoc):
            return ("org", "handoffs", path[1], document_key(HandoffDoc, field), *path[3:])
    if path[:1] == ("departments",) and path[-1:] == ("name",):
        path = path[:-1]  # the department's name is its key in the document
    if path[:1] == ("departments",) and len(path) > 1 and isinstance(path[1], int):
        names = [department.name for department in departments]
        if path[1] < len(names):
            return ("org", "departments", names[path[1]], *path[2:])
    return ("org", *path)
