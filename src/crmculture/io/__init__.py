"""Text formats: the condition syntax and culture documents (YAML, JSON, TOML)."""

from crmculture.io.condition_text import MAX_LENGTH, parse_condition
from crmculture.io.documents import (
    Format,
    culture_document,
    dump,
    dump_policy,
    load,
    load_policy,
    policy_document,
)
from crmculture.io.json_schema import json_schema

__all__ = [
    "MAX_LENGTH",
    "Format",
    "culture_document",
    "dump",
    "dump_policy",
    "json_schema",
    "load",
    "load_policy",
    "parse_condition",
    "policy_document",
]
