"""The shape of a culture document, as attrs classes, and the cattrs converter that reads it.

These classes are the single definition of the document format, both ways: the loader
structures raw YAML/JSON/TOML data into them with `make_converter()` (strict: unknown keys and
wrong types are problems, never coerced), the dumper unstructures them with the same converter
(defaults left out), and `json_schema()` generates the JSON Schema for editors from them. A
field whose document key differs from its attribute name (a handoff goes ``from`` one
department ``to`` another) says so in its metadata, and the converter renames it both ways
with cattrs' own overrides. Values whose type depends on a fact or directive (``min``,
``default``, the values a rule sets) are typed later, by the loader, once the fact or
directive is known.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, Final

import attrs
import cattrs
from cattrs.cols import list_structure_factory
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from crmculture.errors import Path, did_you_mean
from crmculture.model.directives import Combine, DirectiveType
from crmculture.model.facts import BETTER, FACT_TYPES
from crmculture.model.values import decimal_text

__all__ = [
    "FORMAT",
    "CultureDoc",
    "DepartmentDoc",
    "DirectiveDoc",
    "FactDoc",
    "FreshnessDoc",
    "HandoffDoc",
    "LayerDoc",
    "OrgDoc",
    "PromiseDoc",
    "ReferralDoc",
    "RuleDoc",
    "configure_converter",
    "document_key",
    "make_converter",
    "structure_problems",
]

FORMAT: Final = "crmculture/1"
"""The format identifier every document starts with."""

DIRECTIVE_TYPES: tuple[str, ...] = typing.get_args(DirectiveType)
COMBINES: tuple[str, ...] = tuple(combine.value for combine in Combine)


class _Absent:
    """Marks a key the document does not give (distinct from an explicit null)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = _Absent()


def _doc(
    description: str, key: str | None = None, *, always: bool = False, **schema: Any
) -> dict[str, Any]:
    """Field metadata: its description, its key in documents when it differs from the
    attribute (``from`` for `HandoffDoc.source`), whether documents show it even when it holds
    its default (`always`), and extra JSON Schema keywords."""
    return {"description": description, "key": key, "always": always, "json_schema": schema}


@attrs.frozen
class FreshnessDoc:
    """How long a fact's value stays fresh: ``{days: 365, since: verified_on}``."""

    days: int = attrs.field(metadata=_doc("Days the value stays fresh after `since`."))
    since: str = attrs.field(metadata=_doc("The date fact that dates the value."))


@attrs.frozen
class FactDoc:
    """A fact: ``credit_hold: {type: bool}``."""

    type: str = attrs.field(metadata=_doc("The fact's type.", enum=list(FACT_TYPES)))
    values: list[str] | None = attrs.field(
        default=None, metadata=_doc("The allowed values of an enum fact, lowest first.")
    )
    ordered: bool | None = attrs.field(
        default=None, metadata=_doc("Whether an enum fact's values are ordered.")
    )
    min: Any = attrs.field(default=None, metadata=_doc("Smallest allowed value (inclusive)."))
    max: Any = attrs.field(default=None, metadata=_doc("Largest allowed value (inclusive)."))
    optional: bool = attrs.field(
        default=False, metadata=_doc("Whether a customer record may leave the fact out.")
    )
    default: Any = attrs.field(
        default=ABSENT, metadata=_doc("The value of an optional fact left out.")
    )
    better: str | None = attrs.field(
        default=None,
        metadata=_doc("Which direction is better for the company.", enum=list(BETTER)),
    )
    description: str = attrs.field(default="", metadata=_doc("Free text."))
    fresh_for: FreshnessDoc | None = attrs.field(
        default=None,
        metadata=_doc(
            "How long a value stays fresh, after a date fact (data quality; never changes a "
            "decision)."
        ),
    )


@attrs.frozen
class DirectiveDoc:
    """A directive: ``route_to: {type: text, default: frontline, uniform: true}``."""

    type: str = attrs.field(
        metadata=_doc(
            "The directive's type; `enum` values are ordered from least to most favourable.",
            enum=list(DIRECTIVE_TYPES),
        )
    )
    values: list[str] | None = attrs.field(
        default=None, metadata=_doc("Allowed values (required for enum directives).")
    )
    default: Any = attrs.field(
        default=ABSENT, metadata=_doc("The value when no matching rule sets it.")
    )
    combine: str = attrs.field(
        default="first",
        metadata=_doc("How the values of several matching rules combine.", enum=list(COMBINES)),
    )
    uniform: bool = attrs.field(
        default=False, metadata=_doc("Whether every department must give the same value.")
    )
    monotone: bool = attrs.field(
        default=False, metadata=_doc("Whether a better customer must never get a worse value.")
    )
    better: str | None = attrs.field(
        default=None,
        metadata=_doc(
            "For monotone directives, which direction is better for the customer.",
            enum=list(BETTER),
        ),
    )
    min: Any = attrs.field(default=None, metadata=_doc("Smallest allowed number."))
    max: Any = attrs.field(default=None, metadata=_doc("Largest allowed number."))
    description: str = attrs.field(default="", metadata=_doc("Free text."))


@attrs.frozen
class RuleDoc:
    """A rule: when the condition holds, set directives."""

    id: str = attrs.field(metadata=_doc("Unique rule id."))
    when: Any = attrs.field(
        metadata=_doc(
            "The condition: text in the condition syntax, `true`, or a structured condition "
            "({all: [...]}, {any: [...]}, {not: ...}, {fact, op, value})."
        )
    )
    then: dict[str, Any] = attrs.field(metadata=_doc("Directive name to the value it sets."))
    priority: int = attrs.field(default=0, metadata=_doc("Lower comes first where rules compete."))
    departments: list[str] | None = attrs.field(
        default=None, metadata=_doc("The departments the rule applies to (default: all).")
    )
    rationale: str = attrs.field(
        default="", metadata=_doc("Why the culture treats the customer this way.")
    )
    overrides: bool = attrs.field(
        default=False,
        metadata=_doc(
            "Whether the rule's values win over those of every rule that does not override, "
            "whatever the directive's combine strategy."
        ),
    )
    owner: str = attrs.field(
        default="",
        metadata=_doc("Who answers for the rule (governance; never changes a decision)."),
    )
    approved_by: str = attrs.field(default="", metadata=_doc("Who approved the rule (governance)."))
    ticket: str = attrs.field(
        default="", metadata=_doc("The change request the rule came from (governance).")
    )
    tags: list[str] = attrs.field(factory=list, metadata=_doc("Free labels (governance)."))
    effective_from: Any = attrs.field(
        default=None,
        metadata=_doc(
            "The first day the rule is in force, YYYY-MM-DD (inclusive); needs `as_of`.",
            type="string",
            format="date",
        ),
    )
    effective_until: Any = attrs.field(
        default=None,
        metadata=_doc(
            "The last day the rule is in force, YYYY-MM-DD (inclusive); needs `as_of`.",
            type="string",
            format="date",
        ),
    )


@attrs.frozen
class PromiseDoc:
    """A promise: for every customer for whom `when` holds, the decision satisfies `then`."""

    id: str = attrs.field(metadata=_doc("Unique promise id."))
    when: Any = attrs.field(
        metadata=_doc("The customers it is about: a condition over facts, or `true`.")
    )
    then: Any = attrs.field(
        metadata=_doc(
            "What they are promised: directive name to value ({may_ship: false}), or a "
            "condition over the decision (`decision.discount_pct <= 15`).",
            anyOf=[{"type": "object"}, {"type": "string"}, {"type": "boolean"}],
        )
    )
    departments: list[str] | None = attrs.field(
        default=None,
        metadata=_doc("The departments whose decisions it is about (default: all, and none)."),
    )
    rationale: str = attrs.field(
        default="", metadata=_doc("Why the culture will not compromise on it.")
    )
    owner: str = attrs.field(
        default="",
        metadata=_doc("Who answers for the promise (governance; never changes a decision)."),
    )
    approved_by: str = attrs.field(
        default="", metadata=_doc("Who approved the promise (governance).")
    )
    ticket: str = attrs.field(
        default="", metadata=_doc("The change request the promise came from (governance).")
    )
    tags: list[str] = attrs.field(factory=list, metadata=_doc("Free labels (governance)."))
    effective_from: Any = attrs.field(
        default=None,
        metadata=_doc(
            "The first day the promise is in force, YYYY-MM-DD (inclusive); needs `as_of`.",
            type="string",
            format="date",
        ),
    )
    effective_until: Any = attrs.field(
        default=None,
        metadata=_doc(
            "The last day the promise is in force, YYYY-MM-DD (inclusive); needs `as_of`.",
            type="string",
            format="date",
        ),
    )


@attrs.frozen
class LayerDoc:
    """A department layer: rules for some departments only."""

    name: str = attrs.field(metadata=_doc("The layer's name."))
    departments: list[str] = attrs.field(metadata=_doc("The departments it applies to."))
    rules: list[RuleDoc] = attrs.field(factory=list, metadata=_doc("The layer's rules."))


@attrs.frozen
class ReferralDoc:
    """A referral: ``{to: accounts_receivable, requests: [replacement_part], message: ...}``."""

    to: str = attrs.field(
        metadata=_doc("Where the customer is sent: a department, or outside with `outside`.")
    )
    requests: list[str] | None = attrs.field(
        default=None, metadata=_doc("The request types it answers (default: every request).")
    )
    when: Any = attrs.field(
        default=True,
        metadata=_doc(
            "The guard, over customer facts and `decision.<directive>` (default: always)."
        ),
    )
    message: str = attrs.field(default="", metadata=_doc("What staff tell the customer."))
    outside: bool = attrs.field(
        default=False, metadata=_doc("Whether `to` is outside the company.")
    )


@attrs.frozen
class DepartmentDoc:
    """A department: ``engineering: {resolves: [technical_question]}``."""

    resolves: list[str] = attrs.field(
        factory=list,
        metadata=_doc("The request types the department resolves itself.", always=True),
    )
    decides_as: str | None = attrs.field(
        default=None,
        metadata=_doc(
            "The department whose rules apply while the customer is here (default: its own)."
        ),
    )
    resolves_when: dict[str, Any] = attrs.field(
        factory=dict,
        metadata=_doc(
            "Guards on resolving some of its request types, by request type: a condition over "
            "customer facts and `decision.<directive>` (default: it resolves them for everyone)."
        ),
    )
    merged_from: list[str] = attrs.field(
        factory=list, metadata=_doc("For a merged department, the departments it replaced.")
    )
    description: str = attrs.field(default="", metadata=_doc("Free text."))
    refers: list[ReferralDoc] = attrs.field(
        factory=list,
        metadata=_doc(
            "Referrals: requests it answers, for some customers, by sending them elsewhere "
            "(the journey ends there as referred, not as a dead end)."
        ),
    )


@attrs.frozen
class HandoffDoc:
    """A handoff: ``{from: sales, to: engineering, requests: [technical_question]}``."""

    source: str = attrs.field(metadata=_doc("The department handing the customer on.", key="from"))
    target: str = attrs.field(metadata=_doc("The department receiving them.", key="to"))
    requests: list[str] | None = attrs.field(
        default=None, metadata=_doc("The request types it is for (default: every request).")
    )
    when: Any = attrs.field(
        default=True,
        metadata=_doc(
            "The guard, over customer facts and `decision.<directive>` (default: always)."
        ),
    )
    kind: str = attrs.field(default="transfer", metadata=_doc("The kind of handoff."))
    minutes: int = attrs.field(default=0, metadata=_doc("What it costs the customer."))


@attrs.frozen
class OrgDoc:
    """The organisation: departments and the handoffs between them."""

    departments: dict[str, DepartmentDoc] = attrs.field(metadata=_doc("Departments by name."))
    handoffs: list[HandoffDoc] = attrs.field(factory=list, metadata=_doc("The handoffs."))


@attrs.frozen(kw_only=True)
class CultureDoc:
    """A culture document: the policy (facts, directives, rules, layers) and the org.

    Fields are in the order a document is written.
    """

    format: str = attrs.field(metadata=_doc("The format identifier.", const=FORMAT))
    name: str = attrs.field(metadata=_doc("The culture's name."))
    version: str = attrs.field(default="1", metadata=_doc("A version label (quote it)."))
    description: str = attrs.field(default="", metadata=_doc("Free text."))
    departments: list[str] | None = attrs.field(
        default=None, metadata=_doc("The departments that may ask for decisions.")
    )
    facts: dict[str, FactDoc] = attrs.field(metadata=_doc("The customer facts, by name."))
    directives: dict[str, DirectiveDoc] = attrs.field(
        metadata=_doc("The directives the policy decides, by name, in display order.")
    )
    rules: list[RuleDoc] = attrs.field(factory=list, metadata=_doc("The company-wide rules."))
    layers: list[LayerDoc] = attrs.field(factory=list, metadata=_doc("Department layers."))
    promises: list[PromiseDoc] = attrs.field(
        factory=list, metadata=_doc("The culture's promises, proven by `crmculture check`.")
    )
    org: Any = attrs.field(
        default=ABSENT, metadata=_doc("The organisation: departments and handoffs.", type="object")
    )


_DOCUMENT_CLASSES: tuple[type, ...] = (
    FreshnessDoc,
    FactDoc,
    DirectiveDoc,
    RuleDoc,
    PromiseDoc,
    LayerDoc,
    ReferralDoc,
    DepartmentDoc,
    HandoffDoc,
    OrgDoc,
    CultureDoc,
)


def document_key(cls: type, attribute: str) -> str:
    """The key of an attribute of a document class in documents (``from`` for
    `HandoffDoc.source`).

    Examples:
        >>> document_key(HandoffDoc, "source"), document_key(HandoffDoc, "requests")
        ('from', 'requests')
    """
    field = attrs.fields_dict(cls)[attribute]
    return str(field.metadata.get("key") or field.name)


def _overrides(cls: type, *, writing: bool) -> dict[str, Any]:
    """cattrs overrides from the fields' metadata: the document key, and (for writing) the
    fields written even when they hold their default."""
    overrides = {}
    for field in attrs.fields(cls):
        key = field.metadata.get("key")
        always = writing and field.metadata.get("always", False)
        if key or always:
            overrides[field.name] = override(
                rename=key or None, omit_if_default=False if always else None
            )
    return overrides


class _WrongType(TypeError):
    """A document value of the wrong type; its message is written for the document's reader."""


def _strict(kind: type, name: str) -> Any:
    def structure(value: Any, _: Any) -> Any:
        if kind is int and isinstance(value, bool):
            raise _WrongType(f"expected {name}, got bool `{value}`")
        if not isinstance(value, kind):
            hint = " (quote it)" if kind is str and isinstance(value, int | float) else ""
            raise _WrongType(f"expected {name}, got {type(value).__name__} `{value!r}`{hint}")
        return value

    return structure


def _is_list(kind: Any) -> bool:
    return typing.get_origin(kind) is list


def _strict_list(kind: Any, converter: cattrs.Converter) -> Any:
    """Lists are lists: cattrs would read a string as the list of its characters."""
    structure_items = list_structure_factory(kind, converter)

    def structure(value: Any, _: Any) -> Any:
        if not isinstance(value, list):
            raise _WrongType(f"expected a list, got {type(value).__name__} `{value!r}`")
        return structure_items(value, kind)

    return structure


def _shape(kind: Any) -> str:
    """How a document reader would name the shape a field expects."""
    origin = typing.get_origin(kind) or kind
    if origin in (dict, typing.Union) and typing.get_origin(kind) is not typing.Union:
        return "a mapping"
    if origin is list:
        return "a list"
    if attrs.has(origin):
        return "a mapping"
    arguments = [a for a in typing.get_args(kind) if a is not type(None)]
    if arguments and len(arguments) < len(typing.get_args(kind)):
        return f"{_shape(arguments[0])} or null"
    return {str: "a string", int: "an integer", bool: "true or false"}.get(origin, "a value")


def configure_converter(converter: cattrs.Converter) -> None:
    """Make `converter` read and write culture documents.

    Reading is strict about the document's primitive types (no coercion, ever); keys are
    renamed where the document's word differs from the attribute's. Writing leaves out every
    value that is its field's default, and writes decimals as text so that no digit is lost.
    """
    converter.register_structure_hook(str, _strict(str, "a string"))
    converter.register_structure_hook(int, _strict(int, "an integer"))
    converter.register_structure_hook(bool, _strict(bool, "true or false"))
    converter.register_structure_hook(Any, lambda value, _: value)
    converter.register_structure_hook_factory(_is_list, _strict_list)
    converter.register_unstructure_hook(Decimal, decimal_text)
    for cls in _DOCUMENT_CLASSES:
        converter.register_structure_hook(
            cls, make_dict_structure_fn(cls, converter, **_overrides(cls, writing=False))
        )
        converter.register_unstructure_hook(
            cls,
            make_dict_unstructure_fn(
                cls, converter, _cattrs_omit_if_default=True, **_overrides(cls, writing=True)
            ),
        )


def make_converter() -> cattrs.Converter:
    """A cattrs converter for culture documents: strict types, unknown keys forbidden, every
    problem collected with its path.

    Examples:
        >>> converter = make_converter()
        >>> converter.structure({"type": "bool"}, FactDoc)
        FactDoc(type='bool', values=None, ordered=None, min=None, max=None, optional=False, default=ABSENT, better=None, description='', fresh_for=None)
    """  # noqa: E501 - the repr is one line
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    configure_converter(converter)
    return converter


_OVERRIDES_HINT = "`overrides: true` goes on a rule"
_KEY_HINTS: dict[type, dict[str, str]] = {
    HandoffDoc: {
        "source": "a handoff goes `from` one department `to` another",
        "target": "a handoff goes `from` one department `to` another",
    },
    PromiseDoc: {
        "overrides": "a promise is kept by rules: `overrides: true` goes on the rule that keeps it",
    },
    LayerDoc: {"overrides": _OVERRIDES_HINT},
    DirectiveDoc: {"overrides": _OVERRIDES_HINT},
    FactDoc: {"overrides": _OVERRIDES_HINT},
}
"""Keys people write by mistake, with what to write instead."""


def structure_problems(
    error: BaseException, path: Path, expected: Any = None
) -> Iterator[tuple[Path, str]]:
    """Flatten a cattrs validation error into ``(path, message)`` pairs, in document order.

    `expected` is the type the value at `path` should have, when known: errors that say
    nothing a document's reader can use (``'float' object has no attribute 'items'``) are
    reported as the shape that was expected.
    """
    if isinstance(error, ClassValidationError | IterableValidationError):
        with_notes, without_notes = error.group_exceptions()
        for inner, note in with_notes:
            kind = getattr(note, "type", None)
            if isinstance(note, AttributeValidationNote):
                key: str | int = note.name
                if isinstance(error, ClassValidationError):
                    key = document_key(error.cl, note.name)
            elif isinstance(note, IterableValidationNote):
                key = note.index
            else:  # pragma: no cover - cattrs attaches one of the two notes
                yield from structure_problems(inner, path, expected)
                continue
            yield from structure_problems(inner, (*path, key), kind)
        for inner in without_notes:
            yield from structure_problems(inner, path, expected)
    elif isinstance(error, ForbiddenExtraKeysError):
        allowed = [document_key(error.cl, field.name) for field in attrs.fields(error.cl)]
        hints = _KEY_HINTS.get(error.cl, {})
        for key in sorted(error.extra_fields, key=repr):
            hint = f" ({hints[key]})" if key in hints else did_you_mean(str(key), allowed)
            yield (*path, key), f"unknown key `{key}`{hint}"
    elif isinstance(error, KeyError):
        yield path, "required key is missing"
    elif isinstance(error, _WrongType):
        yield path, str(error)
    else:
        yield path, f"expected {_shape(expected)}" if expected is not None else "invalid value"
