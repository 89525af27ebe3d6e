"""Imported DMN tables decide a frame as they decide record by record: every TCK model, with
its test inputs and a few more customers, through the columnar evaluator (``list``, ``sum``,
``min`` and ``unique`` directives included)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

from crmculture.io.dmn import load_dmn

TCK = Path(__file__).parent.parent / "io" / "dmn_tck" / "compliance-level-2"
MODELS = sorted(TCK.glob("*/*.dmn"))


@pytest.mark.parametrize("model", MODELS, ids=[m.stem for m in MODELS])
def test_a_frame_decides_as_records_do(model: Path, frames: SimpleNamespace) -> None:
    """Each row of the frame gets the per-record decision (values, rules, errors)."""
    table = load_dmn(model)[0]
    schema = table.policy.schema
    records = []
    for age in (0, 10, 12, 17, 18, 19, 30):
        record = {}
        for fact in schema.facts:
            if fact.type == "decimal":
                record[fact.name] = Decimal(age)
            elif fact.type == "bool":
                record[fact.name] = age % 2 == 0
            else:
                assert fact.values is not None
                record[fact.name] = fact.values[age % len(fact.values)]
        records.append(record)
    frames.check_rows(table.policy, records, None, frames.arrow_table(schema, records))
