"""The JSON Schema of culture documents, generated from the document classes in `converter`.

The schema is shipped in the package as ``crmculture/io/culture.schema.json`` for editors (a
test keeps the file equal to what this module generates). Regenerate it with
``python -m crmculture.io.json_schema > src/crmculture/io/culture.schema.json``.
"""

from __future__ import annotations

import json
import sys
import types
import typing
from importlib import resources
from typing import Any

import attrs

from crmculture.io.converter import FORMAT, CultureDoc, OrgDoc

__all__ = ["SCHEMA_ID", "json_schema", "shipped_json_schema"]

SCHEMA_ID = "https://crmculture.invalid/schemas/culture-1.json"


def _type_schema(annotation: Any, definitions: dict[str, Any]) -> dict[str, Any]:
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if annotation is str:
        return {"type": "string"}
    if annotation is bool:
        return {"type": "boolean"}
    if annotation is int:
        return {"type": "integer"}
    if annotation is Any:
        return {}
    if origin is list:
        return {"type": "array", "items": _type_schema(arguments[0], definitions)}
    if origin is dict:
        return {"type": "object", "additionalProperties": _type_schema(arguments[1], definitions)}
    if origin in (typing.Union, types.UnionType):
        options = [a for a in arguments if a is not type(None)]
        inner = _type_schema(options[0], definitions)
        return {"anyOf": [inner, {"type": "null"}]} if len(options) < len(arguments) else inner
    if attrs.has(annotation):
        name = annotation.__name__
        if name not in definitions:
            definitions[name] = {}  # placeholder against recursion
            definitions[name] = _class_schema(annotation, definitions)
        return {"$ref": f"#/$defs/{name}"}
    raise TypeError(f"no JSON Schema for {annotation!r}")  # pragma: no cover


def _class_schema(cls: type, definitions: dict[str, Any]) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in attrs.fields(cls):
        schema = _type_schema(hints[field.name], definitions)
        extra = dict(field.metadata.get("json_schema", {}))
        if "enum" in extra or "const" in extra:
            schema = {key: value for key, value in schema.items() if key != "type"}
        schema.update(extra)
        description = field.metadata.get("description")
        if description:
            schema["description"] = description
        key = field.metadata.get("key") or field.name
        properties[key] = schema
        if field.default is attrs.NOTHING:
            required.append(key)
    document = (cls.__doc__ or "").strip().splitlines()[0]
    return {
        "type": "object",
        "description": document,
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a culture document.

    Examples:
        >>> schema = json_schema()
        >>> schema["properties"]["format"]["const"], sorted(schema["required"])
        ('crmculture/1', ['directives', 'facts', 'format', 'name'])
    """
    definitions: dict[str, Any] = {}
    root = _class_schema(CultureDoc, definitions)
    # The loader reads `org` in a second pass (its guards need the policy), so the culture
    # class types it loosely; the schema describes it in full.
    org = root["properties"]["org"]
    root["properties"]["org"] = {
        **_type_schema(OrgDoc, definitions),
        "description": org["description"],
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": f"crmculture culture document ({FORMAT})",
        **root,
        "$defs": dict(sorted(definitions.items())),
    }


def shipped_json_schema() -> dict[str, Any]:
    """The JSON Schema shipped in the package (``culture.schema.json``)."""
    text = resources.files("crmculture.io").joinpath("culture.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def main() -> None:
    """Print the generated schema (what ``culture.schema.json`` holds)."""
    sys.stdout.write(json.dumps(json_schema(), indent=2) + "\n")


if __name__ == "__main__":
    main()
