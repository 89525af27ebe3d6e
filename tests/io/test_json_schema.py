"""The shipped JSON Schema is generated from the document classes and describes real documents."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from crmculture.io.documents import policy_document
from crmculture.io.json_schema import json_schema, shipped_json_schema
from crmculture.stories import acme_policy

MALFORMED = Path(__file__).parent / "malformed"


def test_the_shipped_schema_is_the_generated_one() -> None:
    """culture.schema.json is up to date (regenerate: python -m crmculture.io.json_schema)."""
    assert shipped_json_schema() == json_schema()


def test_the_schema_is_a_valid_json_schema() -> None:
    """The schema itself follows draft 2020-12."""
    jsonschema.Draft202012Validator.check_schema(json_schema())


def test_documents_written_by_dump_validate() -> None:
    """A document produced by the library is valid against the schema."""
    document = json.loads(json.dumps(policy_document(acme_policy())))
    jsonschema.validate(document, json_schema())


def test_the_corpus_base_document_validates() -> None:
    """A hand-written YAML document is valid against the schema."""
    document = yaml.safe_load((MALFORMED / "_base.yaml").read_text())
    jsonschema.validate(document, json_schema())


@pytest.mark.parametrize(
    "name",
    [
        "02_unknown_top_key.yaml",
        "05_unknown_fact_key.yaml",
        "13_version_not_a_string.yaml",
        "17_rule_missing_then.yaml",
        "04_wrong_format.yaml",
        "30_better_invalid.yaml",
    ],
)
def test_structural_mistakes_fail_the_schema_too(name: str) -> None:
    """Editors using the schema see the structural mistakes the loader reports."""
    document = yaml.safe_load((MALFORMED / name).read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, json_schema())
