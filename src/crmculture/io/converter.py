"""The shape of a culture document, as attrs classes, and the cattrs converter that reads it.

These classes are the single definition of the document format: the loader structures raw
YAML/JSON/TOML data into them with `make_converter()` (strict: unknown keys and wrong types are
problems, never coerced), and `json_schema()` generates the JSON Schema for editors from them.
Values whose type depends on a fact or directive (``min``, ``default``, the values a rule sets)
are typed later, by the loader, once the fact or directive is known.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any, Final

import attrs
import cattrs
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)

from crmculture.io.positions import Path

__all__ = [
    "FORMAT",
    "CultureDoc",
    "DepartmentDoc",
    "DirectiveDoc",
    "FactDoc",
    "HandoffDoc",
    "LayerDoc",
    "OrgDoc",
    "RuleDoc",
    "configure_converter",
    "make_converter",
    "structure_problems",
]

FORMAT: Final = "crmculture/1"
"""The format identifier every document starts with."""

FACT_TYPES = ("bool", "int", "float", "decimal", "enum", "date")
DIRECTIVE_TYPES = ("text", "enum", "bool", "int", "decimal")
COMBINES = ("first", "unique", "min", "max", "all", "any", "sum", "collect")
BETTER = ("higher", "lower")


class _Absent:
    """Marks a key the document does not give (distinct from an explicit null)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = _Absent()


def _doc(description: str, key: str | None = None, **schema: Any) -> dict[str, Any]:
    """Field metadata: its description, its key in documents when it differs from the
    attribute (``from`` for `HandoffDoc.source`), and extra JSON Schema keywords."""
    return {"description": description, "key": key, "json_schema": schema}


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


@attrs.frozen
class LayerDoc:
    """A department layer: rules for some departments only."""

    name: str = attrs.field(metadata=_doc("The layer's name."))
    departments: list[str] = attrs.field(metadata=_doc("The departments it applies to."))
    rules: list[RuleDoc] = attrs.field(factory=list, metadata=_doc("The layer's rules."))


@attrs.frozen
class DepartmentDoc:
    """A department: ``engineering: {resolves: [technical_question]}``."""

    resolves: list[str] = attrs.field(
        factory=list, metadata=_doc("The request types the department resolves itself.")
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


@attrs.frozen
class CultureDoc:
    """A culture document: the policy (facts, directives, rules, layers) and the org."""

    format: str = attrs.field(metadata=_doc("The format identifier.", const=FORMAT))
    name: str = attrs.field(metadata=_doc("The culture's name."))
    facts: dict[str, FactDoc] = attrs.field(metadata=_doc("The customer facts, by name."))
    directives: dict[str, DirectiveDoc] = attrs.field(
        metadata=_doc("The directives the policy decides, by name, in display order.")
    )
    rules: list[RuleDoc] = attrs.field(factory=list, metadata=_doc("The company-wide rules."))
    layers: list[LayerDoc] = attrs.field(factory=list, metadata=_doc("Department layers."))
    version: str = attrs.field(default="1", metadata=_doc("A version label (quote it)."))
    description: str = attrs.field(default="", metadata=_doc("Free text."))
    departments: list[str] | None = attrs.field(
        default=None, metadata=_doc("The departments that may ask for decisions.")
    )
    org: Any = attrs.field(
        default=ABSENT, metadata=_doc("The organisation: departments and handoffs.", type="object")
    )


def _strict(kind: type, name: str) -> Any:
    def structure(value: Any, _: Any) -> Any:
        if kind is int and isinstance(value, bool):
            raise TypeError(f"expected {name}, got bool `{value}`")
        if not isinstance(value, kind):
            hint = " (quote it)" if kind is str and isinstance(value, int | float) else ""
            raise TypeError(f"expected {name}, got {type(value).__name__} `{value!r}`{hint}")
        return value

    return structure


def configure_converter(converter: cattrs.Converter) -> None:
    """Make `converter` strict about the document's primitive types: no coercion, ever."""
    converter.register_structure_hook(str, _strict(str, "a string"))
    converter.register_structure_hook(int, _strict(int, "an integer"))
    converter.register_structure_hook(bool, _strict(bool, "true or false"))
    converter.register_structure_hook(Any, lambda value, _: value)


def make_converter() -> cattrs.Converter:
    """A cattrs converter for culture documents: strict types, unknown keys forbidden, every
    problem collected with its path.

    Examples:
        >>> converter = make_converter()
        >>> converter.structure({"type": "bool"}, FactDoc)
        FactDoc(type='bool', values=None, ordered=None, min=None, max=None, optional=False, default=ABSENT, better=None, description='')
    """  # noqa: E501 - the repr is one line
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    configure_converter(converter)
    return converter


def structure_problems(error: BaseException, path: Path) -> Iterator[tuple[Path, str]]:
    """Flatten a cattrs validation error into ``(path, message)`` pairs, in document order."""
    if isinstance(error, ClassValidationError | IterableValidationError):
        with_notes, without_notes = error.group_exceptions()
        for inner, note in with_notes:
            if isinstance(note, AttributeValidationNote):
                key: str | int = note.name
            elif isinstance(note, IterableValidationNote):
                key = note.index
            else:  # pragma: no cover - cattrs attaches one of the two notes
                key = str(note)
            yield from structure_problems(inner, (*path, key))
        for inner in without_notes:
            yield from structure_problems(inner, path)
    elif isinstance(error, ForbiddenExtraKeysError):
        allowed = [field.name for field in attrs.fields(error.cl)]
        for key in sorted(error.extra_fields):
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            yield (*path, key), f"unknown key `{key}`{hint}"
    elif isinstance(error, KeyError):
        yield path, "required key is missing"
    else:
        yield path, str(error)
