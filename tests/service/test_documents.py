"""``GET /openapi.json`` is a valid OpenAPI 3.1 document whose schemas describe the requests
and answers the service takes and gives; ``GET /metrics`` counts per application."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate

from crmculture import load
from crmculture.model.values import json_value
from crmculture.service import create_app
from crmculture.stories import acme_policy
from crmculture.testing import customers

from .conftest import ACME, Served, running
from .test_decide import GOOD

POLICY = load(ACME).policy


def validator(document: dict[str, Any], name: str) -> jsonschema.Draft202012Validator:
    """A validator for one component schema of the OpenAPI document (its references
    resolved within the document)."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


class TestOpenApi:
    def test_the_document_is_valid_openapi(self, client: httpx.Client) -> None:
        """The served document passes the OpenAPI 3.1 validator."""
        document = client.get("/openapi.json").json()
        validate(document)
        for schema in document["components"]["schemas"].values():
            jsonschema.Draft202012Validator.check_schema(schema)

    def test_the_customer_is_typed_from_the_schema(self, client: httpx.Client) -> None:
        """Facts with their types and domains; required facts required; departments an enum."""
        schemas = client.get("/openapi.json").json()["components"]["schemas"]
        customer = schemas["Customer"]
        assert customer["properties"]["days_overdue"]["type"] == "integer"
        assert customer["properties"]["days_overdue"]["minimum"] == 0
        assert customer["properties"]["days_overdue"]["maximum"] == 3650
        assert customer["properties"]["tier"]["enum"] == ["bronze", "silver", "gold", "platinum"]
        assert customer["properties"]["region"]["type"] == ["string", "null"]
        assert customer["properties"]["balance"]["format"] == "decimal"
        assert customer["required"] == ["credit_hold", "days_overdue", "annual_volume", "tier"]
        assert "customer_id" in customer["properties"]
        department = schemas["DecideRequest"]["properties"]["department"]
        assert department["enum"] == [*(POLICY.departments or ()), None]
        assert schemas["Directives"]["properties"]["notify"]["type"] == "array"

    @settings(max_examples=40)
    @given(customer=customers(POLICY), department=st.sampled_from([None, "sales", "support"]))
    def test_requests_and_answers_fit_the_document(
        self, client: httpx.Client, customer: dict[str, Any], department: str | None
    ) -> None:
        """A valid customer's request fits `DecideRequest`, and the answer `DecideResponse`."""
        document = client.get("/openapi.json").json()
        record = {"customer_id": "c-7", **json_value(customer)}
        request = {"customer": record, "department": department}
        validator(document, "DecideRequest").validate(request)
        answer = client.post("/v1/decide", json=request)
        assert answer.status_code == 200
        validator(document, "DecideResponse").validate(answer.json())

    def test_problems_and_batch_lines_fit_the_document(self, client: httpx.Client) -> None:
        """A problem fits `Problem`; each batch line, decided or not, fits `BatchLine`."""
        document = client.get("/openapi.json").json()
        answer = client.post("/v1/decide", json={"customer": {"tier": "x"}})
        assert validator(document, "Problem").is_valid(answer.json())
        lines = client.post(
            "/v1/decide-batch",
            content=json.dumps(GOOD) + "\nnot json\n" + json.dumps({"tier": 1}) + "\n",
            headers={"content-type": "application/x-ndjson"},
        ).text.splitlines()
        assert len(lines) == 3
        check = validator(document, "BatchLine")
        assert all(check.is_valid(json.loads(line)) for line in lines)

    def test_csv_is_a_batch_body_whose_example_header_is_read(self, client: httpx.Client) -> None:
        """`text/csv` is listed for a batch; its example is the header row of every fact and
        kept field, and rows under it are decided."""
        document = client.get("/openapi.json").json()
        content = document["paths"]["/v1/decide-batch"]["post"]["requestBody"]["content"]
        assert sorted(content) == ["application/json", "application/x-ndjson", "text/csv"]
        body = content["text/csv"]
        assert body["schema"]["type"] == "string"
        assert "kept fields (customer_id)" in body["schema"]["description"]
        header = body["example"]
        assert header == ",".join([*POLICY.schema.names, "customer_id"]) + "\r\n"
        row = {**json_value(GOOD), "customer_id": "c-7"}
        text = header + ",".join(str(row.get(n, "")).lower() for n in header.strip().split(","))
        answer = client.post("/v1/decide-batch", content=text, headers={"content-type": "text/csv"})
        line = json.loads(answer.text)
        assert (answer.status_code, line["keep"], "decision" in line) == (
            200,
            {"customer_id": "c-7"},
            True,
        )

    def test_an_invalid_request_does_not_fit(self) -> None:
        """The schema refuses what the service refuses: a tier it does not know, a missing
        required fact."""
        from crmculture.service import openapi_document

        document = openapi_document(acme_policy(), ("customer_id",))
        check = validator(document, "Customer")
        assert not check.is_valid({**GOOD, "tier": "diamond"})
        assert not check.is_valid({"tier": "gold"})
        assert not check.is_valid({**GOOD, "days_overdu": 1})
        assert check.is_valid({**GOOD, "customer_id": 7})


def metric(text: str, name: str) -> float:
    """The value of one sample of Prometheus text (0 when absent)."""
    found = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


class TestMetrics:
    def test_decisions_errors_and_latency_are_counted(self) -> None:
        """Decisions by route, errors by kind, a latency histogram: for this app only."""
        with running(create_app(ACME)) as served, httpx.Client(base_url=served.url) as session:
            other = create_app(ACME)  # a second app in the same process counts apart
            for _ in range(3):
                session.post("/v1/decide", json={"customer": GOOD})
            session.post("/v1/decide", json={"customer": {"tier": "x"}})
            session.post("/v1/decide", content=b"{", headers={"content-type": "application/json"})
            session.post(
                "/v1/decide-batch",
                content=json.dumps(GOOD) + "\n{}\n",
                headers={"content-type": "application/x-ndjson"},
            )
            text = session.get("/metrics").text
            assert metric(text, 'crmculture_decisions_total{route="decide"}') == 3
            assert metric(text, 'crmculture_decisions_total{route="decide-batch"}') == 1
            assert metric(text, 'crmculture_errors_total{kind="invalid-customer"}') == 1
            assert metric(text, 'crmculture_errors_total{kind="malformed-json"}') == 1
            assert metric(text, 'crmculture_errors_total{kind="batch-record"}') == 1
            assert metric(text, 'crmculture_request_seconds_count{route="decide"}') == 5
            assert metric(text, 'crmculture_request_seconds_count{route="decide-batch"}') == 1
            info = f'crmculture_culture_info{{fingerprint="{POLICY.fingerprint}",name="acme",'
            assert info + 'version="2026.11"} 1.0' in text
            quiet = other.metrics.text().decode()
            assert metric(quiet, 'crmculture_decisions_total{route="decide"}') == 0

    def test_metrics_are_prometheus_text(self, acme: Served) -> None:
        """The media type Prometheus scrapes."""
        answer = httpx.get(acme.url + "/metrics")
        assert answer.headers["content-type"].startswith("text/plain; version=")
