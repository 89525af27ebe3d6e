"""``crmculture journeys --customers``: the metrics over a customer file, not cases."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
CULTURE = str(ROOT / "examples" / "acme-culture.yaml")
Cli = Callable[..., tuple[int, str, str]]

ROWS = [
    {"credit_hold": False, "days_overdue": 0, "annual_volume": 0, "tier": "gold", "calls": 2,
     "door": "sales"},
    {"credit_hold": False, "days_overdue": 12, "annual_volume": 0, "tier": "gold", "calls": 1,
     "door": "sales"},
    {"credit_hold": True, "days_overdue": 0, "annual_volume": 0, "tier": "gold", "calls": 1,
     "door": "support"},
]  # fmt: skip


def write(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / f"customers.{kind}"
    frame = pd.DataFrame(ROWS)
    if kind == "csv":
        frame.to_csv(path, index=False)
    elif kind == "jsonl":
        path.write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    else:
        frame.to_parquet(path)
    return path


@pytest.mark.parametrize("kind", ["csv", "jsonl", "parquet"])
def test_every_format_gives_the_same_counts(cli: Cli, tmp_path: Path, kind: str) -> None:
    """CSV, JSON Lines and Parquet: the same customers, the same weighed metrics."""
    path = write(tmp_path, kind)
    code, out, err = cli(
        "journeys", CULTURE, "--request", "replacement_part", "--customers", str(path),
        "--volume-field", "calls", "--door-field", "door", "--json",
    )  # fmt: skip
    assert (code, err) == (1, "")  # the long journeys of the org are findings
    document = json.loads(out)
    counted = document["customers"]
    assert counted["customers"] == 3
    assert counted["metrics"]["cases"] == 4
    assert (counted["metrics"]["resolved"], counted["metrics"]["referred"]) == (3, 1)
    assert counted["touched"] == {"1": 1, "3": 2, "5": 1}


def test_the_text_report_says_how_customers_were_counted(cli: Cli, tmp_path: Path) -> None:
    """Without a door field every customer counts at every door (6 doors, 3 customers)."""
    path = tmp_path / "customers.csv"
    pd.DataFrame(ROWS).drop(columns=["calls", "door"]).to_csv(path, index=False)
    code, out, _ = cli(
        "journeys", CULTURE, "--request", "replacement_part", "--customers", str(path),
    )  # fmt: skip
    assert code == 1
    assert f"3 customers in {path}, counted at every door: 18 in all" in out
    assert "touch more than 3 departments" in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--volume-field", "calls"], "go with --customers"),
        (["--customers", "x.csv", "--customer", "{}"], "give one or the other"),
        (["--customers", "x.csv", "--door-field", "d", "--door", "sales"], "give one or"),
    ],
    ids=["field-without-file", "customer-and-customers", "door-and-field"],
)
def test_mistakes_exit_2(cli: Cli, extra: list[str], message: str) -> None:
    """Options that do not go together are a usage error."""
    code, _, err = cli("journeys", CULTURE, "--request", "replacement_part", *extra)
    assert code == 2
    assert message in err


def test_a_bad_customer_is_named(cli: Cli, tmp_path: Path) -> None:
    """An invalid record stops the command (exit 2), naming its position and problem."""
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({**ROWS[0], "tier": "diamond"}) + "\n")
    code, _, err = cli(
        "journeys", CULTURE, "--request", "replacement_part", "--customers", str(path),
        "--volume-field", "calls", "--door-field", "door",
    )  # fmt: skip
    assert code == 2
    assert "index 0" in err
    assert "diamond" in err
