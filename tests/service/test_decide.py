"""``POST /v1/decide`` over real HTTP: the library's decision byte for byte, kept fields,
and every kind of wrong request answered with its problem."""

from __future__ import annotations

import datetime as dt
import json
import socket
import time
from pathlib import Path
from typing import Any

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from crmculture import load
from crmculture.evaluate.decision_text import DecisionText
from crmculture.model.values import json_value
from crmculture.service import create_app
from crmculture.testing import customers

from .conftest import ACME, HERE, Served, running

POLICY = load(ACME).policy
DECIDE = POLICY.compile()
ENCODER = DecisionText(POLICY)
GOOD = {"credit_hold": False, "days_overdue": 3, "annual_volume": 400000, "tier": "silver"}
PROBLEM = "application/problem+json"


def problem(answer: httpx.Response, status: int) -> dict[str, Any]:
    """The problem document of an answer, checked to be one with `status`."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM
    document: dict[str, Any] = answer.json()
    assert document["status"] == status
    assert document["type"].startswith("https://crmculture.invalid/problems/")
    assert document["culture_fingerprint"] == answer.headers["culture-fingerprint"]
    return document


def as_text(value: Any, draw_text: bool) -> Any:
    """A fact's value as a system that is not Python may send it: JSON, sometimes text."""
    value = json_value(value)
    if draw_text and isinstance(value, bool):
        return "yes" if value else "no"
    if draw_text and isinstance(value, int | float):
        return str(value)
    return value


class TestTheLibrarysDecision:
    @settings(max_examples=60)
    @given(
        customer=customers(POLICY),
        department=st.sampled_from([None, *(POLICY.departments or ())]),
        texts=st.booleans(),
        explain=st.booleans(),
    )
    def test_byte_for_byte(
        self,
        client: httpx.Client,
        customer: dict[str, Any],
        department: str | None,
        texts: bool,
        explain: bool,
    ) -> None:
        """A generated customer, sent as JSON (numbers and booleans as text, sometimes): the
        answer holds the library's decision text byte for byte, and its fingerprints."""
        record = {name: as_text(value, texts) for name, value in customer.items()}
        body = {"customer": {"customer_id": "c-1", **record}, "department": department}
        if explain:
            body["explain"] = True
        answer = client.post("/v1/decide", json=body)
        assert answer.status_code == 200, answer.text
        expected = DECIDE(POLICY.schema.parse(record), department)
        text = ENCODER(expected)
        assert text is not None
        prefix = f'{{"culture_fingerprint": "{POLICY.fingerprint}", "decision": {text}'
        assert answer.content.startswith(prefix.encode())
        document = answer.json()
        assert document["decision"] == json.loads(expected.to_json())
        assert document["decision"]["fingerprint"] == expected.fingerprint
        assert document["keep"] == {"customer_id": "c-1"}
        assert answer.headers["culture-fingerprint"] == POLICY.fingerprint
        assert ("explanation" in document) == explain
        if explain:
            assert document["explanation"] == expected.explain()


class TestKeptFields:
    def test_kept_fields_travel_and_are_not_facts(self, client: httpx.Client) -> None:
        """`customer_id` is kept: copied to the answer, never checked as a fact."""
        answer = client.post(
            "/v1/decide", json={"customer": {**GOOD, "customer_id": {"any": ["json", 1]}}}
        )
        assert answer.status_code == 200
        assert answer.json()["keep"] == {"customer_id": {"any": ["json", 1]}}
        assert "customer_id" not in answer.json()["decision"]["customer"]

    def test_a_missing_kept_field_is_null(self, client: httpx.Client) -> None:
        """A record without its kept field: `null` in its place, still decided."""
        answer = client.post("/v1/decide", json={"customer": GOOD})
        assert answer.json()["keep"] == {"customer_id": None}

    def test_kept_fields_travel_to_problems(self, client: httpx.Client) -> None:
        """An invalid customer's problem names its kept fields, so that it joins back."""
        answer = client.post("/v1/decide", json={"customer": {"customer_id": "c-9", "tier": 1}})
        assert problem(answer, 422)["keep"] == {"customer_id": "c-9"}


class TestProblems:
    def test_an_invalid_customer_lists_every_problem(self, client: httpx.Client) -> None:
        """422 with each fact's problem, in intake's words."""
        answer = client.post(
            "/v1/decide",
            json={"customer": {"credit_hold": "maybe", "days_overdue": "1.5", "tier": "Gold"}},
        )
        document = problem(answer, 422)
        assert document["title"] == "invalid customer"
        assert [(p["path"], p["message"]) for p in document["problems"]] == [
            ("customer.credit_hold", "`maybe` is not a boolean: write true/yes/1 or false/no/0"),
            ("customer.days_overdue", "`1.5` is not a whole number"),
            ("customer.annual_volume", "required fact is missing"),
            (
                "customer.tier",
                "`Gold` is not one of the allowed values: `bronze`, `silver`, `gold`, "
                "`platinum` (did you mean `gold`?)",
            ),
        ]

    def test_an_unknown_fact_is_a_problem(self, client: httpx.Client) -> None:
        """A field that is neither a fact nor kept: named, with a did-you-mean."""
        answer = client.post("/v1/decide", json={"customer": {**GOOD, "days_overdu": 1}})
        messages = [p["message"] for p in problem(answer, 422)["problems"]]
        assert any("days_overdu" in m and "did you mean `days_overdue`" in m for m in messages)

    def test_an_unknown_department_is_404(self, client: httpx.Client) -> None:
        """404 with a did-you-mean."""
        answer = client.post("/v1/decide", json={"customer": GOOD, "department": "sals"})
        document = problem(answer, 404)
        assert document["detail"] == "unknown department `sals` (did you mean `sales`?)"

    def test_malformed_json_is_400(self, client: httpx.Client) -> None:
        """A body that is not JSON: 400."""
        answer = client.post(
            "/v1/decide", content=b'{"customer": ', headers={"content-type": "application/json"}
        )
        assert problem(answer, 400)["title"] == "malformed JSON"

    def test_nan_is_not_json(self, client: httpx.Client) -> None:
        """`NaN` is not JSON, whatever Python's parser takes."""
        body = b'{"customer": {"credit_hold": NaN}}'
        answer = client.post(
            "/v1/decide", content=body, headers={"content-type": "application/json"}
        )
        assert problem(answer, 400)["title"] == "malformed JSON"

    def test_a_wrong_media_type_is_415(self, client: httpx.Client) -> None:
        """Form data, or no media type: 415."""
        answer = client.post("/v1/decide", data={"customer": "x"})
        assert problem(answer, 415)["title"] == "unsupported media type"
        answer = client.post("/v1/decide", content=json.dumps({"customer": GOOD}))
        problem(answer, 415)

    def test_a_request_of_the_wrong_shape_lists_every_problem(self, client: httpx.Client) -> None:
        """Unknown fields, a customer that is not an object, a department that is not a
        string, explain that is not a boolean: all at once, 422."""
        answer = client.post(
            "/v1/decide",
            json={"customr": {}, "customer": [1], "department": 3, "explain": "yes"},
        )
        paths = [p["path"] for p in problem(answer, 422)["problems"]]
        assert paths == ["customr", "customer", "department", "explain"]

    def test_a_rule_conflict_is_409(self, tmp_path: Path) -> None:
        """Two rules give a `unique` directive two values: 409, naming both rules."""
        with (
            running(create_app(HERE / "conflict-culture.yaml")) as served,
            httpx.Client(base_url=served.url) as session,
        ):
            answer = session.post("/v1/decide", json={"customer": {"vip": True, "region": "south"}})
            document = problem(answer, 409)
            assert document["title"] == "rule conflict"
            assert "`south-desk`" in document["detail"]
            assert "`vip-desk`" in document["detail"]
            fine = session.post("/v1/decide", json={"customer": {"vip": True, "region": "north"}})
            assert fine.json()["decision"]["directives"] == {"owner": "vip_desk"}

    def test_too_large_is_413(self) -> None:
        """A body over the limit: 413, by its declared length or as it arrives."""
        app = create_app(ACME, max_body_bytes=200)
        with running(app) as served, httpx.Client(base_url=served.url) as session:
            body = {"customer": {**GOOD, "region": "emea", "satisfaction": 9.5, "balance": "1"}}
            body["customer"]["open_tickets"] = 1
            answer = session.post("/v1/decide", content=json.dumps(body).encode() + b" " * 100)
            assert answer.status_code == 415  # no media type: refused before the size
            answer = session.post(
                "/v1/decide",
                content=json.dumps(body).encode() + b" " * 100,
                headers={"content-type": "application/json"},
            )
            assert problem(answer, 413)["title"] == "content too large"

            def pieces() -> Any:
                yield b'{"customer": '
                yield b" " * 300

            answer = session.post(
                "/v1/decide", content=pieces(), headers={"content-type": "application/json"}
            )
            problem(answer, 413)

    def test_a_body_that_does_not_arrive_in_time_is_408(self) -> None:
        """A client that announces a body and sends half of it: 408 after the time limit."""
        with running(create_app(ACME, timeout=0.3)) as served:
            port = int(served.url.rsplit(":", 1)[1])
            with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
                connection.sendall(
                    b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 100\r\n\r\n"
                )
                time.sleep(0.05)
                connection.sendall(b'{"customer": ')
                started = time.monotonic()
                answer = connection.recv(65536)
                assert time.monotonic() - started < 5
            assert answer.startswith(b"HTTP/1.1 408")
            assert b'"title": "request timeout"' in answer

    def test_unknown_paths_and_methods_are_problems(self, client: httpx.Client) -> None:
        """The router's 404 and 405 are problems too."""
        assert problem(client.get("/v2/decide"), 404)["status"] == 404
        assert problem(client.get("/v1/decide"), 405)["status"] == 405


AS_OF_CULTURE = """\
format: crmculture/1
name: verification
version: "1"
facts:
  verified_on: {type: date}
directives:
  route_to: {type: text, default: frontline}
rules:
  - id: re-verify
    when: verified_on < as_of - 365 days
    then: {route_to: data_desk}
"""


class TestAsOf:
    def test_a_decision_for_a_given_date(self, client: httpx.Client) -> None:
        """`as_of` is passed to the evaluator: the decision is the library's for that day,
        with the date in its JSON and fingerprint."""
        answer = client.post("/v1/decide", json={"customer": GOOD, "as_of": "2026-12-01"})
        assert answer.status_code == 200, answer.text
        expected = DECIDE(POLICY.schema.parse(GOOD), None, as_of=dt.date(2026, 12, 1))
        document = answer.json()
        assert document["decision"] == json.loads(expected.to_json())
        assert document["decision"]["as_of"] == "2026-12-01"
        undated = client.post("/v1/decide", json={"customer": GOOD}).json()
        assert document["decision"]["fingerprint"] != undated["decision"]["fingerprint"]

    def test_a_culture_that_decides_by_the_date(self, tmp_path: Path) -> None:
        """A culture with dates relative to `as_of`: without one, 422 naming the rule; with
        one, the day's decision; a batch the same."""
        culture = tmp_path / "verification.yaml"
        culture.write_text(AS_OF_CULTURE)
        with running(create_app(culture)) as served, httpx.Client(base_url=served.url) as web:
            record = {"verified_on": "2025-06-01"}
            refused = problem(web.post("/v1/decide", json={"customer": record}), 422)
            assert refused["type"].endswith("/as-of-required")
            assert "`re-verify`" in refused["detail"]
            answer = web.post("/v1/decide", json={"customer": record, "as_of": "2026-12-01"})
            assert answer.json()["decision"]["directives"]["route_to"] == "data_desk"
            answer = web.post("/v1/decide", json={"customer": record, "as_of": "2026-01-01"})
            assert answer.json()["decision"]["directives"]["route_to"] == "frontline"
            lines = b'{"verified_on": "2025-06-01"}\n{"verified_on": "2026-11-01"}\n'
            headers = {"content-type": "application/x-ndjson"}
            batch = web.post(
                "/v1/decide-batch",
                params={"as_of": "2026-12-01", "emit": "directives"},
                content=lines,
                headers=headers,
            )
            routes = [json.loads(line)["directives"]["route_to"] for line in batch.iter_lines()]
            assert routes == ["data_desk", "frontline"]
            refused = web.post("/v1/decide-batch", content=lines, headers=headers)
            assert problem(refused, 422)["type"].endswith("/as-of-required")

    def test_as_of_null_is_no_date(self, client: httpx.Client) -> None:
        """`as_of: null` is the same as no `as_of`."""
        answer = client.post("/v1/decide", json={"customer": GOOD, "as_of": None})
        assert answer.status_code == 200

    def test_as_of_that_is_not_a_date(self, client: httpx.Client) -> None:
        """A malformed `as_of` is a problem of the request, with its path."""
        answer = client.post("/v1/decide", json={"customer": GOOD, "as_of": "20261201"})
        assert [p["path"] for p in problem(answer, 422)["problems"]] == ["as_of"]


class TestEveryAnswerNamesItsCulture:
    def test_health_culture_and_openapi(self, client: httpx.Client, acme: Served) -> None:
        """Each route names the culture's fingerprint in its header."""
        for path in ("/healthz", "/v1/culture", "/openapi.json", "/metrics"):
            answer = client.get(path)
            assert answer.status_code == 200
            assert answer.headers["culture-fingerprint"] == POLICY.fingerprint
        assert client.get("/healthz").json() == {
            "status": "ok",
            "culture": {"name": "acme", "version": "2026.11", "fingerprint": POLICY.fingerprint},
            "culture_fingerprint": POLICY.fingerprint,
        }

    def test_the_culture_document(self, client: httpx.Client) -> None:
        """`GET /v1/culture`: what a client needs to build requests."""
        document = client.get("/v1/culture").json()
        assert (document["name"], document["version"]) == ("acme", "2026.11")
        assert document["fingerprint"] == POLICY.fingerprint
        assert [f["name"] for f in document["facts"]] == list(POLICY.schema.names)
        assert document["facts"][1]["min"] == 0
        assert document["facts"][3]["values"] == ["bronze", "silver", "gold", "platinum"]
        assert [d["name"] for d in document["directives"]] == [d.name for d in POLICY.directives]
        assert document["departments"] == list(POLICY.departments or ())
        assert document["keep"] == ["customer_id"]
