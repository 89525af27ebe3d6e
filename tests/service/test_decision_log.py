"""The service's decision log: every decision it answers, appended, with its kept fields."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx

from crmculture.log import LoggedDecision, read_log, replay
from crmculture.service import create_app

from .conftest import ACME, running

GOOD = {"credit_hold": False, "days_overdue": 3, "annual_volume": 400000, "tier": "silver"}


def test_every_decision_is_logged_with_its_kept_fields(tmp_path: Path) -> None:
    log = tmp_path / "decisions.log"
    app = create_app(ACME, keep=["customer_id"], log=log)
    with running(app) as served, httpx.Client(base_url=served.url) as web:
        one = web.post(
            "/v1/decide",
            json={"customer": {**GOOD, "customer_id": "c1"}, "department": "sales"},
        ).json()
        web.post("/v1/decide", json={"customer": {"tier": 1, "customer_id": "bad"}})
        lines = "".join(
            json.dumps({**GOOD, "annual_volume": n, "customer_id": f"b{n}"}) + "\n"
            for n in range(5)
        )
        batch = web.post(
            "/v1/decide-batch",
            params={"as_of": "2026-12-01"},
            content=lines + '{"tier": 1}\n',
            headers={"content-type": "application/x-ndjson"},
        )
        answers = [json.loads(line) for line in batch.iter_lines()]
    assert app.decision_log is None  # closed when the server stopped
    records = list(read_log(log))
    assert all(isinstance(record, LoggedDecision) for record in records)
    # the invalid records are answered with their problems, and not logged
    assert [r.keep["customer_id"] for r in records] == ["c1", "b0", "b1", "b2", "b3", "b4"]
    assert records[0].fingerprint == one["decision"]["fingerprint"]
    assert records[0].department == "sales"
    decided = [answer["decision"] for answer in answers if "decision" in answer]
    assert [r.fingerprint for r in records[1:]] == [d["fingerprint"] for d in decided]
    assert {str(r.as_of) for r in records[1:]} == {"2026-12-01"}
    found = replay(log, app.current.policy)
    assert (found.records, found.changed, found.rejected) == (6, 0, ())


def test_a_log_that_cannot_be_written_stops_the_command(
    cli: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    code, _, err = cli("serve", str(ACME), "--log", str(tmp_path / "no" / "such.log"))
    assert code == 2
    assert "such.log" in err
