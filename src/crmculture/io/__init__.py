"""Text formats: the condition syntax and culture documents (YAML, JSON, TOML)."""

from crmculture.io.condition_text import MAX_LENGTH, parse_condition
from crmculture.io.documents import Format, dump_policy, load_policy, policy_document

__all__ = [
    "MAX_LENGTH",
    "Format",
    "dump_policy",
    "load_policy",
    "parse_condition",
    "policy_document",
]
