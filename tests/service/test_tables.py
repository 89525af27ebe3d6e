"""The service serves decision tables too: a DMN model (one of its tables with `decision`), or
a CSV sheet, as a culture without an org; a reload reads the same table again."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from crmculture.io.dmn import EXAMPLE, load_dmn
from crmculture.service import CultureRejected, create_app

from .conftest import ACME, TOKEN, running

AUTH = {"authorization": f"Bearer {TOKEN}"}
HIGH_RISK = {"Age": 30, "Risk": "High"}


def two_tables(path: Path, second_says: str = "Escalate") -> Path:
    """A DMN model with two tables: `Verdict` (id `decision`) says `Review` to a high risk,
    `Other` (id `d2`) says `second_says`."""
    other = EXAMPLE.replace('id="decision" name="Verdict"', 'id="d2" name="Other"')
    other = other.replace('"Review"', f'"{second_says}"')
    other = other[other.index("<decision ") : other.index("</decision>") + 11]
    path.write_text(EXAMPLE.replace("<inputData", other + "<inputData", 1), "utf-8")
    return path


def test_one_table_of_a_dmn_model_is_served_and_reloaded(tmp_path: Path) -> None:
    """`decision="Other"` serves that table, with the decisions the library makes; after
    the model is edited, a reload serves the edited `Other`, not the other table."""
    model = two_tables(tmp_path / "rules.dmn")
    (expected,) = load_dmn(model, decision="Other")
    decided = expected.policy.compile()(HIGH_RISK)
    with (
        running(create_app(model, decision="Other", reload_token=TOKEN)) as served,
        httpx.Client(base_url=served.url) as session,
    ):
        culture = session.get("/v1/culture").json()
        assert culture["name"] == "Other"
        answer = session.post("/v1/decide", json={"customer": HIGH_RISK})
        assert answer.status_code == 200
        assert answer.json()["decision"]["directives"] == decided.to_dict()["directives"]
        assert answer.headers["culture-fingerprint"] == expected.policy.fingerprint
        two_tables(model, second_says="Decline")
        assert session.post("/v1/reload", headers=AUTH).status_code == 200
        again = session.post("/v1/decide", json={"customer": HIGH_RISK}).json()
        assert "Decline" in str(again["decision"]["directives"])


def test_a_csv_sheet_is_served(tmp_path: Path) -> None:
    """A CSV decision table: the same decisions as the table loaded by the library."""
    from crmculture.io.spreadsheets import dump_csv_table, load_table

    (table,) = load_dmn(EXAMPLE)
    sheet = tmp_path / "verdict.csv"
    sheet.write_text(dump_csv_table(table.policy), encoding="utf-8")
    decided = load_table(sheet).compile()(HIGH_RISK)
    with (
        running(create_app(sheet)) as served,
        httpx.Client(base_url=served.url) as session,
    ):
        answer = session.post("/v1/decide", json={"customer": HIGH_RISK})
        assert answer.json()["decision"]["directives"] == decided.to_dict()["directives"]


def test_a_model_with_several_tables_needs_one_named(tmp_path: Path) -> None:
    model = two_tables(tmp_path / "rules.dmn")
    with pytest.raises(CultureRejected, match=r"2 decision tables \(`Verdict`, `Other`\)"):
        create_app(model)
    with pytest.raises(CultureRejected, match=r"no decision `Othr` \(did you mean `Other`\?\)"):
        create_app(model, decision="Othr")
    with pytest.raises(CultureRejected, match=r"picks a table of a \.dmn model only"):
        create_app(ACME, decision="Other")
