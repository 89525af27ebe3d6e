"""``crmculture decide --emit`` and ``--keep`` on JSON Lines and CSV, through the command line:
the same lines whether the chunked route or the record-by-record route decides them."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest

Cli = Callable[..., tuple[int, str, str]]
CULTURE = str(Path(__file__).parent.parent / "examples" / "acme-culture.yaml")
GOOD = {"credit_hold": False, "days_overdue": 0, "annual_volume": 9000, "tier": "gold"}


@pytest.fixture(params=["chunked", "one-by-one"])
def route(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CRMCULTURE_CHUNKED", "1" if request.param == "chunked" else "0")
    return str(request.param)


def customers_file(tmp_path: Path, suffix: str) -> Path:
    rows = [
        {**GOOD, "customer_id": "c1"},
        {**GOOD, "customer_id": "c2", "credit_hold": True},
        {**GOOD, "customer_id": "c3", "tier": "diamond"},
    ]
    path = tmp_path / f"customers{suffix}"
    if suffix == ".jsonl":
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    else:
        names = list(rows[0])
        lines = [",".join(names)]
        lines.extend(",".join(json.dumps(row[n]).strip('"') for n in names) for row in rows)
        path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_emit_directives_with_kept_ids(cli: Cli, tmp_path: Path, route: str, suffix: str) -> None:
    source = customers_file(tmp_path, suffix)
    code, out, err = cli(
        "decide", CULTURE, str(source), "--emit", "directives", "--keep", "customer_id"
    )
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert "1 of 3 records could not be decided" in err
    assert [line["keep"]["customer_id"] for line in lines] == ["c1", "c2", "c3"]
    assert lines[0]["directives"]["route_to"] == "frontline"
    assert lines[1]["directives"]["route_to"] == "accounts_receivable"
    assert lines[2]["error"] == "invalid customer"
    assert lines[2]["problems"] == [
        {"path": "customer.tier", "message": lines[2]["problems"][0]["message"]}
    ]
    assert "diamond" in lines[2]["problems"][0]["message"]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_full_is_the_default_and_keeps_ids_too(
    cli: Cli, tmp_path: Path, route: str, suffix: str
) -> None:
    source = customers_file(tmp_path, suffix)
    code, out, _ = cli("decide", CULTURE, str(source), "--keep", "customer_id")
    first = json.loads(out.splitlines()[0])
    assert code == 1
    assert sorted(first) == ["decision", "keep", "line", "record"]
    assert first["decision"]["matched"] == ["best-customers"]


def test_both_routes_write_the_same_bytes(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = customers_file(tmp_path, ".jsonl")
    outputs = []
    for chunked in ("1", "0"):
        monkeypatch.setenv("CRMCULTURE_CHUNKED", chunked)
        outputs.append(cli("decide", CULTURE, str(source), "--explain", "--keep", "customer_id"))
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--emit", "directives", "--explain"], "--explain goes with --emit full"),
        (["--keep", "tier"], "--keep `tier` is a fact"),
        (["--emit", "everything"], "invalid choice: 'everything'"),
    ],
)
def test_mistakes(cli: Cli, tmp_path: Path, args: list[str], message: str) -> None:
    source = customers_file(tmp_path, ".jsonl")
    code, _, err = cli("decide", CULTURE, str(source), *args)
    assert code == 2
    assert message in err


def test_without_kept_ids_a_customer_id_is_an_unknown_fact(
    cli: Cli, tmp_path: Path, route: str
) -> None:
    source = customers_file(tmp_path, ".jsonl")
    _, out, _ = cli("decide", CULTURE, str(source), "--emit", "directives")
    line = json.loads(out.splitlines()[0])
    assert line["error"] == "invalid customer"
    assert "customer.customer_id" in {problem["path"] for problem in line["problems"]}


def test_standard_input_csv(cli: Cli, monkeypatch: pytest.MonkeyPatch, route: str) -> None:
    text = "credit_hold,days_overdue,annual_volume,tier\nfalse,0,10,gold\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    code, out, _ = cli("decide", CULTURE, "--input-format", "csv", "--emit", "directives")
    assert code == 0
    assert json.loads(out)["directives"]["service_level"] == "white_glove"


def test_emit_is_for_json_lines_output(cli: Cli, tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = tmp_path / "c.parquet"
    pq.write_table(pa.table({name: [value] for name, value in GOOD.items()}), source)
    code, _, err = cli(
        "decide", CULTURE, str(source), "-o", str(tmp_path / "d.parquet"), "--emit", "directives"
    )
    assert code == 2
    assert "--emit is for JSON Lines output" in err


class TestExplainJson:
    def test_the_decision_and_its_explanation(self, cli: Cli) -> None:
        code, out, _ = cli("explain", CULTURE, "--customer", json.dumps(GOOD), "--json")
        document = json.loads(out)
        assert code == 0
        assert sorted(document) == ["decision", "explanation"]
        assert document["decision"]["matched"] == ["best-customers"]
        assert document["explanation"].startswith("Decision by policy `acme`")

    def test_an_invalid_customer_is_a_json_error_with_every_problem(self, cli: Cli) -> None:
        customer = {**GOOD, "tier": "diamond", "days_overdue": -1}
        code, out, err = cli("explain", CULTURE, "--customer", json.dumps(customer), "--json")
        document = json.loads(out)
        assert code == 2
        assert document["exit_code"] == 2
        assert {p["path"] for p in document["problems"]} == {
            "customer.tier",
            "customer.days_overdue",
        }
        assert "customer.tier" in err


class TestCheckPromises:
    def test_the_report_says_how_the_promises_fared(self, cli: Cli, tmp_path: Path) -> None:
        from crmculture import D, Promise, dump
        from crmculture.stories import acme_culture

        culture = acme_culture()
        broken = Promise("no-discount", when=True, then=D.discount_pct <= 0)
        path = tmp_path / "c.yaml"
        path.write_text(dump(attrs.evolve(culture, policy=culture.policy.with_promises(broken))))
        code, out, _ = cli("check", str(path))
        assert code == 1
        stated = len(culture.policy.promises) + 1
        assert f"promises: {stated - 1} of {stated} proven" in out
        assert "1 broken, 0 unproven" in out
        code, out, _ = cli("check", str(path), "--json")
        assert json.loads(out)["promises"] == {
            "stated": stated,
            "proven": stated - 1,
            "broken": 1,
            "unproven": 0,
        }
