"""The OpenAPI document of the decision service, generated from a culture's schema.

A customer's facts become the properties of the ``Customer`` JSON Schema, each with its type
and domain (``integer`` with its bounds, an ``enum`` with its values, a ``date``), required
unless optional; the departments become an enum; each directive's value gets its type in the
``Decision``. A client generator in any language then builds typed requests and answers.

JSON has no decimals and no dates: a decimal fact is a string of digits (a JSON number is
accepted too, and read by its shortest text), a date fact a ``YYYY-MM-DD`` string. The service
reads records as `crmculture.Schema.parse` reads text, so a client that sends ``"42"`` for an
integer is answered too; the document describes the typed form.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from crmculture.model.directives import Combine, Directive
from crmculture.model.facts import Fact
from crmculture.model.policies import Policy
from crmculture.model.values import json_value

__all__ = ["PROBLEM_BASE", "culture_schemas", "openapi_document"]

PROBLEM_BASE = "https://crmculture.invalid/problems/"
"""The base of the ``type`` URI of every problem the service answers with."""

_DECIMAL = r"^\s*[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?\s*$"
_NDJSON = "application/x-ndjson"
_CSV = "text/csv"
_PROBLEM = "application/problem+json"


def fact_schema(fact: Fact) -> dict[str, Any]:
    """The JSON Schema of one fact's value.

    Examples:
        >>> from crmculture import Fact
        >>> fact_schema(Fact.int("days_overdue", min=0, max=3650))
        {'type': 'integer', 'minimum': 0, 'maximum': 3650}
        >>> fact_schema(Fact.enum("region", ["amer", "emea"], optional=True))
        {'type': ['string', 'null'], 'enum': ['amer', 'emea', None]}
    """
    schema: dict[str, Any]
    kind = fact.type
    if kind == "bool":
        schema = {"type": "boolean"}
    elif kind in ("int", "float"):
        schema = {"type": "integer" if kind == "int" else "number"}
        if fact.min is not None:
            schema["minimum"] = json_value(fact.min)
        if fact.max is not None:
            schema["maximum"] = json_value(fact.max)
    elif kind == "enum":
        schema = {"type": "string", "enum": list(fact.values or ())}
    elif kind == "decimal":
        schema = {"type": "string", "format": "decimal", "pattern": _DECIMAL}
    else:
        schema = {"type": "string", "format": "date"}
    bounds = _bounds(fact)
    if fact.description or bounds:
        schema["description"] = " ".join(part for part in (fact.description, bounds) if part)
    if fact.optional:
        schema["type"] = [schema["type"], "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
    return schema


def _bounds(fact: Fact) -> str:
    """The bounds of a decimal or date fact, which a string schema cannot hold."""
    if fact.type not in ("decimal", "date") or (fact.min is None and fact.max is None):
        return ""
    low = "" if fact.min is None else f"at least {json_value(fact.min)}"
    high = "" if fact.max is None else f"at most {json_value(fact.max)}"
    return "(" + " and ".join(part for part in (low, high) if part) + ")"


def directive_schema(directive: Directive) -> dict[str, Any]:
    """The JSON Schema of one directive's value in a decision.

    Examples:
        >>> from crmculture import Directive
        >>> directive_schema(Directive.int("discount_pct", min=0, max=30, default=0))
        {'type': 'integer', 'minimum': 0, 'maximum': 30}
    """
    item: dict[str, Any]
    kind = directive.type
    if kind == "bool":
        item = {"type": "boolean"}
    elif kind == "int":
        item = {"type": "integer"}
        if directive.min is not None:
            item["minimum"] = json_value(directive.min)
        if directive.max is not None:
            item["maximum"] = json_value(directive.max)
    elif kind == "decimal":
        item = {"type": "string", "format": "decimal", "pattern": _DECIMAL}
    else:
        item = {"type": "string"}
        if directive.values:
            item["enum"] = list(directive.values)
    schema = {"type": "array", "items": item} if directive.combine is Combine.COLLECT else item
    if directive.description:
        schema["description"] = directive.description
    return schema


def culture_schemas(policy: Policy, keep: tuple[str, ...] = ()) -> dict[str, Any]:
    """The JSON Schemas of a culture's requests and answers, by name (the ``components``
    of the OpenAPI document): ``Customer``, ``DecideRequest``, ``Directives``, ``Decision``,
    ``DecideResponse``, ``BatchLine``, ``Problem``.

    Examples:
        >>> from crmculture.stories import acme_policy
        >>> schemas = culture_schemas(acme_policy(), ("customer_id",))
        >>> schemas["Customer"]["required"]
        ['credit_hold', 'days_overdue', 'annual_volume', 'tier']
        >>> schemas["DecideRequest"]["properties"]["department"]["enum"][:2]
        ['accounts_receivable', 'billing']
    """
    customer: dict[str, Any] = {
        "type": "object",
        "description": f"A customer record for the culture `{policy.name}`.",
        "properties": {fact.name: fact_schema(fact) for fact in policy.schema},
        "required": [fact.name for fact in policy.schema if not fact.optional],
        "additionalProperties": False,
    }
    for name in keep:
        customer["properties"][name] = {
            "description": f"`{name}` is not a fact: it is copied into the answer, unchecked"
        }
    department: dict[str, Any] = {
        "type": ["string", "null"],
        "description": "The department that asks (null: none).",
    }
    if policy.departments is not None:
        department["enum"] = [*policy.departments, None]
    directives = {
        "type": "object",
        "properties": {d.name: directive_schema(d) for d in policy.directives},
        "required": [d.name for d in policy.directives],
        "additionalProperties": False,
    }
    kept = {
        "type": "object",
        "description": "The kept fields of the record (null where it has none).",
        "properties": {name: {} for name in keep},
        "additionalProperties": False,
    }
    decision = {
        "type": "object",
        "description": "The decision, as `crmculture.Decision.to_dict` gives it.",
        "properties": {
            "policy": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "version": {"type": "string"},
                    "fingerprint": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                },
                "required": ["name", "version", "fingerprint"],
            },
            "department": department,
            "customer": {"type": "object"},
            "directives": {"$ref": "#/components/schemas/Directives"},
            "matched": {"type": "array", "items": {"type": "string"}},
            "defaults_used": {"type": "array", "items": {"type": "string"}},
            "outcomes": {"type": "object"},
            "fingerprint": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        },
        "required": [
            "policy",
            "department",
            "customer",
            "directives",
            "matched",
            "defaults_used",
            "outcomes",
            "fingerprint",
        ],
    }
    fingerprint = {
        "type": "string",
        "pattern": "^[0-9a-f]{64}$",
        "description": "The fingerprint of the culture that answered.",
    }
    problem_item = {
        "type": "object",
        "properties": {
            "path": {"type": "string"},
            "message": {"type": "string"},
        },
        "required": ["path", "message"],
    }
    return {
        "Customer": customer,
        "DecideRequest": {
            "type": "object",
            "properties": {
                "customer": {"$ref": "#/components/schemas/Customer"},
                "department": department,
                "explain": {
                    "type": "boolean",
                    "description": "Add the decision's readable explanation.",
                },
                "as_of": {
                    "type": ["string", "null"],
                    "format": "date",
                    "description": "The date the decision is for (YYYY-MM-DD): dates relative "
                    "to it in conditions, rules' effective dates; part of the decision's JSON "
                    "and fingerprint when given. Required when the culture decides by the date.",
                },
            },
            "required": ["customer", "as_of"] if policy.uses_as_of else ["customer"],
            "additionalProperties": False,
        },
        "Directives": directives,
        "Decision": decision,
        "Keep": kept,
        "DecideResponse": {
            "type": "object",
            "properties": {
                "culture_fingerprint": fingerprint,
                "decision": {"$ref": "#/components/schemas/Decision"},
                "explanation": {"type": "string"},
                "keep": {"$ref": "#/components/schemas/Keep"},
            },
            "required": ["culture_fingerprint", "decision"],
        },
        "BatchLine": {
            "type": "object",
            "description": "One line of a batch's answer: a decision, or an error in place.",
            "properties": {
                "record": {"type": "integer", "minimum": 0},
                "line": {"type": "integer", "minimum": 1},
                "decision": {"$ref": "#/components/schemas/Decision"},
                "directives": {"$ref": "#/components/schemas/Directives"},
                "explanation": {"type": "string"},
                "keep": {"$ref": "#/components/schemas/Keep"},
                "error": {"type": "string"},
                "problems": {"type": "array", "items": problem_item},
            },
            "required": ["record", "line"],
        },
        "Problem": {
            "type": "object",
            "description": "An RFC 9457 problem, with every problem of the request listed.",
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "problems": {"type": "array", "items": problem_item},
                "culture_fingerprint": fingerprint,
            },
            "required": ["type", "title", "status", "problems", "culture_fingerprint"],
        },
    }


def _problems(*statuses: int) -> dict[str, Any]:
    reasons = {
        400: "The body is not JSON, or a query parameter is wrong.",
        401: "The reload token is missing or wrong.",
        403: "Reloading over HTTP is off.",
        404: "The department is unknown.",
        408: "The body did not arrive within the time limit.",
        409: "The culture cannot decide this customer (a rule conflict, a directive left "
        "without value).",
        413: "The body, or the number of records, is over the limit.",
        415: "The media type is not one the endpoint reads.",
        422: "The request does not fit the culture: every problem is listed.",
    }
    return {
        str(status): {
            "description": reasons[status],
            "content": {_PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


def _csv_body(policy: Policy, keep: tuple[str, ...]) -> dict[str, Any]:
    """The ``text/csv`` body of a batch: its columns, and a header row as the example."""
    columns = [*policy.schema.names, *keep]
    header = io.StringIO()
    csv.writer(header, lineterminator="\r\n").writerow(columns)
    fields = f"the facts ({', '.join(policy.schema.names)})"
    if keep:
        fields += f" and the kept fields ({', '.join(keep)})"
    description = (
        "A header row naming the fields, then one customer per row (RFC 4180; "
        f"`header=present` and `charset=utf-8` may be given). The fields are {fields}; an "
        "optional fact's column may be left out, and an empty cell is a missing fact. Each "
        "cell is read as `crmculture decide` reads a CSV file: booleans as true/false, yes/no "
        "or 1/0, numbers and dates from their text."
    )
    return {"schema": {"type": "string", "description": description}, "example": header.getvalue()}


def openapi_document(policy: Policy, keep: tuple[str, ...] = ()) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the service serving `policy`.

    Examples:
        >>> from crmculture.stories import acme_policy
        >>> document = openapi_document(acme_policy())
        >>> document["openapi"], sorted(document["paths"])[:3]
        ('3.1.0', ['/healthz', '/metrics', '/openapi.json'])
    """
    header = {
        "Culture-Fingerprint": {
            "description": "The fingerprint of the culture that answered.",
            "schema": {"type": "string"},
        }
    }
    department = {
        "name": "department",
        "in": "query",
        "required": False,
        "description": "The department that asks.",
        "schema": {"type": "string"}
        | ({"enum": list(policy.departments)} if policy.departments is not None else {}),
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"crmculture decision service: {policy.name}",
            "version": policy.version,
            "description": (
                f"Decisions of the culture `{policy.name}` version {policy.version} "
                f"(fingerprint {policy.fingerprint}). Every answer names the fingerprint of "
                "the culture that gave it, in the `Culture-Fingerprint` header."
            ),
        },
        "paths": {
            "/v1/decide": {
                "post": {
                    "operationId": "decide",
                    "summary": "Decide one customer.",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/DecideRequest"}
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "The decision.",
                            "headers": header,
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/DecideResponse"}
                                }
                            },
                        },
                        **_problems(400, 404, 408, 409, 413, 415, 422),
                    },
                }
            },
            "/v1/decide-batch": {
                "post": {
                    "operationId": "decideBatch",
                    "summary": "Decide many customers: one answer line per record, in order.",
                    "parameters": [
                        department,
                        {
                            "name": "explain",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "boolean"},
                        },
                        {
                            "name": "emit",
                            "in": "query",
                            "required": False,
                            "description": "full decisions (the default) or directives only",
                            "schema": {"type": "string", "enum": ["full", "directives"]},
                        },
                        {
                            "name": "as_of",
                            "in": "query",
                            "required": policy.uses_as_of,
                            "description": "the date every decision is for (YYYY-MM-DD); "
                            "required when the culture decides by the date",
                            "schema": {"type": "string", "format": "date"},
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "description": "The customers: a JSON array, NDJSON (one customer "
                        "record per line, each as the schema says), or CSV with a header row.",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Customer"},
                                }
                            },
                            _NDJSON: {"schema": {"$ref": "#/components/schemas/Customer"}},
                            _CSV: _csv_body(policy, keep),
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "One JSON line per record, in input order; a record "
                            "that cannot be decided is an error line in its place.",
                            "headers": header,
                            "content": {
                                _NDJSON: {"schema": {"$ref": "#/components/schemas/BatchLine"}}
                            },
                        },
                        **_problems(400, 404, 408, 413, 415, 422),
                    },
                }
            },
            "/v1/culture": {
                "get": {
                    "operationId": "culture",
                    "summary": "The culture served: facts, directives, departments.",
                    "responses": {
                        "200": {
                            "description": "The culture.",
                            "headers": header,
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
            "/v1/reload": {
                "post": {
                    "operationId": "reload",
                    "summary": "Load the culture file again; a broken file leaves the old "
                    "culture serving.",
                    "security": [{"reloadToken": []}],
                    "responses": {
                        "200": {
                            "description": "The culture now served.",
                            "headers": header,
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        },
                        **_problems(401, 403, 422),
                    },
                }
            },
            "/healthz": {
                "get": {
                    "operationId": "health",
                    "summary": "Whether the service is up, and the culture it serves.",
                    "responses": {
                        "200": {
                            "description": "Up.",
                            "headers": header,
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
            "/metrics": {
                "get": {
                    "operationId": "metrics",
                    "summary": "Prometheus metrics.",
                    "responses": {
                        "200": {
                            "description": "The metrics, as Prometheus text.",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        }
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document.",
                    "responses": {
                        "200": {
                            "description": "The OpenAPI document.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {
            "schemas": culture_schemas(policy, keep),
            "securitySchemes": {"reloadToken": {"type": "http", "scheme": "bearer"}},
        },
    }
