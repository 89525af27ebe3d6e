"""``POST /v1/decide-batch`` over real HTTP: the lines ``crmculture decide`` writes, in order,
errors in place, nothing dropped; limits; the time limit."""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
import pytest

from crmculture import load
from crmculture.io.decision_stream import decide_records
from crmculture.service import create_app

from .conftest import ACME, running
from .test_decide import GOOD, problem

POLICY = load(ACME).policy
NDJSON = {"content-type": "application/x-ndjson"}

RECORDS = [
    json.dumps({"customer_id": "a", **GOOD}),
    "not json",
    json.dumps({"customer_id": "b", "tier": "diamond"}),
    "",
    json.dumps({"customer_id": "c", **GOOD, "credit_hold": "yes", "days_overdue": "0"}),
    "[1, 2]",
    json.dumps({**GOOD, "annual_volume": 10, "tier": "platinum", "days_overdue": 0}),
]
TEXT = "\n".join(RECORDS) + "\n"


def library_lines(text: str, form: str, department: str | None, **options: Any) -> str:
    """What `crmculture decide` writes for the same text."""
    chunks = decide_records(
        POLICY,
        io.StringIO(text, newline=""),
        form,  # type: ignore[arg-type]
        department,
        keep=["customer_id"],
        **options,
    )
    return "".join(chunk.text for chunk in chunks)


class TestLines:
    @pytest.mark.parametrize("emit", ["full", "directives"])
    def test_ndjson_gives_the_lines_of_crmculture_decide(
        self, client: httpx.Client, emit: str
    ) -> None:
        """NDJSON in: the bytes `crmculture decide` writes, errors in place with their index."""
        answer = client.post(
            "/v1/decide-batch",
            params={"department": "sales", "emit": emit},
            content=TEXT.encode(),
            headers=NDJSON,
        )
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/x-ndjson"
        assert answer.headers["culture-fingerprint"] == POLICY.fingerprint
        assert answer.text == library_lines(TEXT, "jsonl", "sales", emit=emit)
        lines = [json.loads(line) for line in answer.text.splitlines()]
        assert [line["record"] for line in lines] == [0, 1, 2, 3, 4, 5]
        assert [("error" in line) for line in lines] == [False, True, True, False, True, False]
        assert [line["keep"]["customer_id"] for line in lines] == ["a", None, "b", "c", None, None]

    def test_a_json_array_gives_the_same_decisions(self, client: httpx.Client) -> None:
        """A JSON array in: one line per element, in order; the element that is not an
        object is an error in its place."""
        array = "[" + ", ".join(r for r in RECORDS if r and r != "not json") + "]"
        answer = client.post(
            "/v1/decide-batch",
            params={"explain": "true"},
            content=array.encode(),
            headers={"content-type": "application/json"},
        )
        assert answer.status_code == 200
        assert answer.text == library_lines(array, "json", None, explain=True)
        assert len(answer.text.splitlines()) == 5

    def test_a_large_batch_goes_through_the_chunked_route(self, client: httpx.Client) -> None:
        """Thousands of records (read through Arrow): the same bytes, in order."""
        text = "".join(
            json.dumps({"customer_id": f"c{n}", **GOOD, "annual_volume": n * 97}) + "\n"
            for n in range(3000)
        )
        for emit in ("full", "directives"):
            answer = client.post(
                "/v1/decide-batch", params={"emit": emit}, content=text.encode(), headers=NDJSON
            )
            assert answer.text == library_lines(text, "jsonl", None, emit=emit)

    def test_an_empty_batch_has_no_lines(self, client: httpx.Client) -> None:
        """No records, no lines."""
        answer = client.post("/v1/decide-batch", content=b"", headers=NDJSON)
        assert (answer.status_code, answer.text) == (200, "")


class TestProblems:
    def test_unknown_department_is_404(self, client: httpx.Client) -> None:
        """The department is the request's: 404 before any line."""
        answer = client.post(
            "/v1/decide-batch", params={"department": "sals"}, content=TEXT, headers=NDJSON
        )
        assert "did you mean `sales`" in problem(answer, 404)["detail"]

    def test_bad_parameters_are_listed(self, client: httpx.Client) -> None:
        """Unknown and malformed query parameters: 400, every one."""
        answer = client.post(
            "/v1/decide-batch",
            params={"emit": "some", "explain": "maybe", "departmnt": "x"},
            content=TEXT,
            headers=NDJSON,
        )
        paths = [p["path"] for p in problem(answer, 400)["problems"]]
        assert paths == ["departmnt", "emit", "explain"]

    def test_as_of_is_passed_on(self, client: httpx.Client) -> None:
        """`as_of` for a batch: every decision is made for that day."""
        answer = client.post(
            "/v1/decide-batch", params={"as_of": "2026-12-01"}, content=TEXT, headers=NDJSON
        )
        assert answer.status_code == 200
        lines = [json.loads(line) for line in answer.iter_lines()]
        decisions = [line["decision"] for line in lines if "decision" in line]
        assert decisions
        assert {decision["as_of"] for decision in decisions} == {"2026-12-01"}

    def test_a_json_batch_that_is_not_an_array(self, client: httpx.Client) -> None:
        """JSON that is not an array: 422 (it says to send NDJSON as such); not JSON: 400."""
        headers = {"content-type": "application/json"}
        answer = client.post("/v1/decide-batch", content=b'{"a": 1}', headers=headers)
        assert problem(answer, 422)["status"] == 422
        answer = client.post("/v1/decide-batch", content=b"[{", headers=headers)
        assert problem(answer, 400)["title"] == "malformed JSON"

    def test_a_wrong_media_type_is_415(self, client: httpx.Client) -> None:
        """CSV is not read here: 415."""
        answer = client.post(
            "/v1/decide-batch", content=b"tier\ngold\n", headers={"content-type": "text/csv"}
        )
        assert problem(answer, 415)["title"] == "unsupported media type"

    def test_too_many_records_is_413(self) -> None:
        """More records than the limit: 413, whether NDJSON or an array."""
        with (
            running(create_app(ACME, max_records=3)) as served,
            httpx.Client(base_url=served.url) as session,
        ):
            three = "\n\n".join(json.dumps(GOOD) for _ in range(3)) + "\n\n\n"
            assert (
                session.post("/v1/decide-batch", content=three, headers=NDJSON).status_code == 200
            )
            four = three + json.dumps(GOOD) + "\n"
            answer = session.post("/v1/decide-batch", content=four, headers=NDJSON)
            assert problem(answer, 413)["title"] == "too many records"
            array = json.dumps([GOOD] * 4)
            answer = session.post(
                "/v1/decide-batch", content=array, headers={"content-type": "application/json"}
            )
            problem(answer, 413)


class TestTimeLimit:
    def test_records_not_decided_in_time_get_error_lines_in_place(self) -> None:
        """A batch over its time limit: every record still has its line, in order; those
        not decided say why."""
        text = "".join(json.dumps({"customer_id": f"c{n}", **GOOD}) + "\n" for n in range(50))
        with running(create_app(ACME, keep=["customer_id"], timeout=1e-9)) as served:
            answer = httpx.post(
                served.url + "/v1/decide-batch", content=text, headers=NDJSON, timeout=30
            )
        assert answer.status_code == 200
        lines = [json.loads(line) for line in answer.text.splitlines()]
        assert [line["record"] for line in lines] == list(range(50))
        assert [line["line"] for line in lines] == list(range(1, 51))
        assert all(line["error"].startswith("not decided: the request ran over") for line in lines)
        assert [line["keep"]["customer_id"] for line in lines] == [f"c{n}" for n in range(50)]
