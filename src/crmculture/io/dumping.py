"""Turning a culture into document data, and document data into YAML, JSON or TOML text.

The model becomes the document classes of `crmculture.io.converter` (conditions as text, the
document's words for types), and the converter unstructures them: the renaming of keys and the
omission of defaults are cattrs overrides, the same ones the loader reads with. So
``load(dump(culture)) == culture`` holds by construction, and a test holds it on generated
cultures.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Callable
from typing import Any

import attrs

from crmculture.culture import Culture
from crmculture.io.converter import (
    ABSENT,
    FORMAT,
    CultureDoc,
    DepartmentDoc,
    DirectiveDoc,
    FactDoc,
    FreshnessDoc,
    HandoffDoc,
    LayerDoc,
    OrgDoc,
    PromiseDoc,
    ReferralDoc,
    RuleDoc,
    document_key,
    make_converter,
)
from crmculture.model.conditions import ALWAYS
from crmculture.model.directives import Directive
from crmculture.model.facts import Fact
from crmculture.model.policies import Policy
from crmculture.model.promises import Promise
from crmculture.model.rules import Rule
from crmculture.model.values import NO_DEFAULT
from crmculture.org.graph import Department, Handoff, OrgGraph, Referral

__all__ = ["WRITERS", "culture_document", "policy_document"]


def _listed(value: Any) -> Any:
    """Tuples as lists, the shape documents have."""
    return list(value) if isinstance(value, tuple) else value


def _fact_doc(fact: Fact) -> FactDoc:
    # `ordered` is written only where it is not what the document implies: enum facts are
    # ordered when they have a better direction.
    implied = fact.better is not None if fact.type == "enum" else True
    return FactDoc(
        type=fact.type,
        values=None if fact.values is None else list(fact.values),
        ordered=None if fact.ordered == implied else fact.ordered,
        min=fact.min,
        max=fact.max,
        optional=fact.optional,
        default=ABSENT if fact.default is NO_DEFAULT else fact.default,
        better=fact.better,
        description=fact.description,
        fresh_for=(
            None
            if fact.fresh_for is None
            else FreshnessDoc(days=fact.fresh_for.days, since=fact.fresh_for.since)
        ),
    )


def _directive_doc(directive: Directive) -> DirectiveDoc:
    collect_default = directive.collects and directive.default == ()
    return DirectiveDoc(
        type=directive.type,
        values=None if directive.values is None else list(directive.values),
        default=(
            ABSENT
            if directive.default is NO_DEFAULT or collect_default
            else _listed(directive.default)
        ),
        combine=directive.combine.value,
        uniform=directive.uniform,
        monotone=directive.monotone,
        better=directive.better,
        min=directive.min,
        max=directive.max,
        description=directive.description,
    )


def _rule_doc(rule: Rule, scope: tuple[str, ...] | None = None) -> RuleDoc:
    departments = rule.departments
    return RuleDoc(
        id=rule.id,
        when=str(rule.when),
        then={name: _listed(value) for name, value in rule.then},
        priority=rule.priority,
        departments=None if departments is None or departments == scope else list(departments),
        rationale=rule.rationale,
        overrides=rule.overrides,
        **_governance(rule),
    )


def _promise_doc(promise: Promise) -> PromiseDoc:
    values = promise.values
    return PromiseDoc(
        id=promise.id,
        when=str(promise.when),
        then=str(promise.then) if values is None else {k: _listed(v) for k, v in values.items()},
        departments=None if promise.departments is None else list(promise.departments),
        rationale=promise.rationale,
        **_governance(promise),
    )


def _governance(item: Rule | Promise) -> dict[str, Any]:
    """The governance metadata of a rule or promise as document fields (dates as ISO text)."""
    return {
        "owner": item.owner,
        "approved_by": item.approved_by,
        "ticket": item.ticket,
        "tags": list(item.tags),
        "effective_from": None if item.effective_from is None else item.effective_from.isoformat(),
        "effective_until": (
            None if item.effective_until is None else item.effective_until.isoformat()
        ),
    }


def _policy_doc(policy: Policy, org: OrgDoc | None = None) -> CultureDoc:
    return CultureDoc(
        format=FORMAT,
        name=policy.name,
        version=policy.version,
        description=policy.description,
        departments=None if policy.departments is None else list(policy.departments),
        facts={fact.name: _fact_doc(fact) for fact in policy.schema},
        directives={directive.name: _directive_doc(directive) for directive in policy.directives},
        rules=[_rule_doc(rule) for rule in policy.rules],
        layers=[
            LayerDoc(
                name=layer.name,
                departments=list(layer.departments),
                rules=[_rule_doc(rule, layer.departments) for rule in layer.rules],
            )
            for layer in policy.layers
        ],
        promises=[_promise_doc(promise) for promise in policy.promises],
        org=ABSENT if org is None else org,
    )


def _department_doc(department: Department) -> DepartmentDoc:
    return DepartmentDoc(
        resolves=list(department.resolves),
        decides_as=department.decides_as,
        resolves_when={request: str(guard) for request, guard in department.resolves_when},
        merged_from=list(department.merged_from),
        description=department.description,
        refers=[_referral_doc(referral) for referral in department.refers],
    )


def _referral_doc(referral: Referral) -> ReferralDoc:
    return ReferralDoc(
        to=referral.to,
        requests=None if referral.requests is None else list(referral.requests),
        when=True if referral.when == ALWAYS else str(referral.when),
        message=referral.message,
        outside=referral.outside,
    )


def _handoff_doc(handoff: Handoff) -> HandoffDoc:
    return HandoffDoc(
        source=handoff.source,
        target=handoff.target,
        requests=None if handoff.requests is None else list(handoff.requests),
        when=True if handoff.when == ALWAYS else str(handoff.when),
        kind=handoff.kind,
        minutes=handoff.minutes,
    )


def _org_doc(org: OrgGraph) -> OrgDoc:
    return OrgDoc(
        departments={
            department.name: _department_doc(department) for department in org.departments
        },
        handoffs=[_handoff_doc(handoff) for handoff in org.handoffs],
    )


def _unstructure(document: CultureDoc) -> dict[str, Any]:
    data: dict[str, Any] = make_converter().unstructure(document)
    data.setdefault("rules", [])  # a document lists its rules, even none
    # cattrs writes the fields without a default first; a document reads in field order.
    order = [document_key(CultureDoc, field.name) for field in attrs.fields(CultureDoc)]
    return {key: data[key] for key in order if key in data}


def policy_document(policy: Policy) -> dict[str, Any]:
    """The policy as document data (plain dicts and lists, keys in document order).

    Examples:
        >>> from crmculture.stories import acme_policy
        >>> list(policy_document(acme_policy()))[:4]
        ['format', 'name', 'version', 'description']
    """
    return _unstructure(_policy_doc(policy))


def culture_document(culture: Culture) -> dict[str, Any]:
    """The culture as document data: the policy's document, and the org when it has
    departments.

    Examples:
        >>> from crmculture.stories import acme_culture
        >>> sorted(culture_document(acme_culture())["org"])
        ['departments', 'handoffs']
    """
    org = _org_doc(culture.org) if culture.org.departments else None
    return _unstructure(_policy_doc(culture.policy, org))


# -- text ---------------------------------------------------------------------------------------


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


WRITERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "yaml": _dump_yaml,
    "json": _dump_json,
    "toml": _dump_toml,
}
"""Document data to text, by format."""
