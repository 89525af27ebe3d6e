"""``crmculture quality``: the data-quality report on the command line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("pandas")

Cli = Callable[..., tuple[int, str, str]]
CULTURE = str(Path(__file__).parent.parent / "examples" / "acme-culture.yaml")
GOOD = {"credit_hold": False, "days_overdue": 0, "annual_volume": 9000, "tier": "gold"}


def rows() -> list[dict[str, object]]:
    return [
        {**GOOD, "customer_id": "c1"},
        {**GOOD, "customer_id": "c2", "tier": "diamond"},
        {**GOOD, "customer_id": "c2", "region": "emea", "satisfaction": 9.0},
    ]


def test_json_lines_with_an_unreadable_line(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "c.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows()) + "not json\n")
    code, out, _ = cli(
        "quality", str(source), "--culture", CULTURE, "--id", "customer_id", "--json"
    )
    document = json.loads(out)
    assert code == 0
    assert document["rows"] == 4
    assert document["invalid_records"] == 2
    assert {(i["fact"], i["customers"]) for i in document["invalid"]} == {
        ("tier", 1),
        ("record", 1),
    }
    assert document["duplicates"] == {"ids": 1, "records": 2, "examples": ["c2"]}
    # c1 and the second c2 would be routed differently as resellers.
    assert document["sensitive_records"] == 2


def test_parquet_and_the_threshold(cli: Cli, tmp_path: Path) -> None:
    import pandas as pd

    source = tmp_path / "c.parquet"
    pd.DataFrame(rows()).to_parquet(source)
    code, out, _ = cli("quality", str(source), "--culture", CULTURE, "--keep", "customer_id")
    assert code == 0
    assert "3 customers" in out
    assert "Invalid records: 1 (33.3%)" in out
    # Invalid: 1 of 3; decided on a missing fact that matters: 2 of 3 (66.7%).
    code, _, _ = cli(
        "quality", str(source), "--culture", CULTURE, "--keep", "customer_id", "--fail-over", "60"
    )
    assert code == 1
    code, _, _ = cli(
        "quality", str(source), "--culture", CULTURE, "--keep", "customer_id", "--fail-over", "70"
    )
    assert code == 0


def test_a_file_without_records_passes_no_gate(cli: Cli, tmp_path: Path) -> None:
    """An empty export says so, and `--fail-over` does not pass on no evidence."""
    source = tmp_path / "c.jsonl"
    source.write_text("")
    code, out, _ = cli("quality", str(source), "--culture", CULTURE)
    assert (code, out) == (0, "0 customers: no record to report on\n")
    code, _, _ = cli("quality", str(source), "--culture", CULTURE, "--fail-over", "50")
    assert code == 1


def test_csv(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "c.csv"
    source.write_text(
        "customer_id,credit_hold,days_overdue,annual_volume,tier\n"
        "c1,no,0,42210.0,gold\nc2,maybe,1.5,1,gold\n"
    )
    code, out, _ = cli("quality", str(source), "--culture", CULTURE, "--id", "customer_id")
    assert code == 0
    assert "credit_hold: is not a boolean: write true/yes/1 or false/no/0: 1 (e.g. c2)" in out


def test_a_missing_file_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    code, _, err = cli("quality", str(tmp_path / "nope.csv"), "--culture", CULTURE)
    assert code == 2
    assert "cannot read" in err
