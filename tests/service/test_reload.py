"""Safe reload: a new culture is served only when it loads and keeps its promises, in one
swap; a broken file leaves the old one serving; a request in flight is answered by one
culture from its first line to its last."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from crmculture import load
from crmculture.service import CultureRejected, create_app

from .conftest import ACME, TOKEN, retitled, running
from .test_decide import GOOD, problem

AUTH = {"authorization": f"Bearer {TOKEN}"}
OLD = load(ACME).policy.fingerprint


class TestReloadOverHttp:
    def test_reload_serves_the_edited_file(self, culture_copy: Path) -> None:
        """The file edited, POST /v1/reload: the new culture answers from then on."""
        with (
            running(create_app(culture_copy, reload_token=TOKEN)) as served,
            httpx.Client(base_url=served.url) as session,
        ):
            retitled(culture_copy, "2026.12")
            new = load(culture_copy).policy.fingerprint
            answer = session.post("/v1/reload", headers=AUTH)
            assert answer.status_code == 200
            document = answer.json()
            assert document["culture"]["fingerprint"] == new != OLD
            assert document["previous"]["fingerprint"] == OLD
            assert answer.headers["culture-fingerprint"] == new
            decided = session.post("/v1/decide", json={"customer": GOOD})
            assert decided.headers["culture-fingerprint"] == new
            assert decided.json()["decision"]["policy"]["version"] == "2026.12"

    def test_a_broken_file_leaves_the_old_culture_serving(self, culture_copy: Path) -> None:
        """A file that does not load: 422 with its problems; the old culture still answers."""
        with (
            running(create_app(culture_copy, reload_token=TOKEN)) as served,
            httpx.Client(base_url=served.url) as session,
        ):
            culture_copy.write_text(culture_copy.read_text().replace("days_overdue > 60", "days >"))
            answer = session.post("/v1/reload", headers=AUTH)
            document = problem(answer, 422)
            assert document["title"] == "culture not reloaded"
            assert document["culture_fingerprint"] == OLD
            assert any(p["path"].startswith("rules[0].when") for p in document["problems"])
            decided = session.post("/v1/decide", json={"customer": GOOD})
            assert (decided.status_code, decided.headers["culture-fingerprint"]) == (200, OLD)
            metrics = session.get("/metrics").text
            assert 'crmculture_reloads_total{result="rejected"} 1.0' in metrics

    def test_a_broken_promise_is_refused(self, culture_copy: Path) -> None:
        """A culture that breaks one of its promises is not served: the reply names it."""
        with (
            running(create_app(culture_copy, reload_token=TOKEN)) as served,
            httpx.Client(base_url=served.url) as session,
        ):
            text = culture_copy.read_text()
            culture_copy.write_text(text.replace("discount_pct <= 15", "discount_pct <= 5"))
            document = problem(session.post("/v1/reload", headers=AUTH), 422)
            assert [p["path"] for p in document["problems"]] == ["promises.discount-cap"]
            assert session.get("/healthz").json()["culture"]["fingerprint"] == OLD

    def test_a_missing_file_is_refused(self, culture_copy: Path) -> None:
        """The file gone: 422, the old culture serving."""
        with running(create_app(culture_copy, reload_token=TOKEN)) as served:
            culture_copy.unlink()
            answer = httpx.post(served.url + "/v1/reload", headers=AUTH)
            assert "cannot read" in problem(answer, 422)["problems"][0]["message"]

    def test_reload_wants_the_token(self, culture_copy: Path) -> None:
        """No token or a wrong one: 401; a service without a token: 403, HTTP reload off."""
        with running(create_app(culture_copy, reload_token=TOKEN)) as served:
            problem(httpx.post(served.url + "/v1/reload"), 401)
            wrong = {"authorization": "Bearer nope"}
            answer = httpx.post(served.url + "/v1/reload", headers=wrong)
            assert problem(answer, 401)["title"] == "unauthorized"
            assert answer.headers["www-authenticate"] == "Bearer"
        with running(create_app(culture_copy)) as served:
            answer = httpx.post(served.url + "/v1/reload", headers=AUTH)
            assert problem(answer, 403)["title"] == "reload over HTTP is off"

    def test_a_culture_that_cannot_be_served_does_not_start(self, tmp_path: Path) -> None:
        """create_app refuses a file that does not load, with its problems."""
        broken = tmp_path / "broken.yaml"
        broken.write_text("format: crmculture/1\nname: x\n")
        with pytest.raises(CultureRejected) as refused:
            create_app(broken)
        assert refused.value.problems


class TestOneCulturePerRequest:
    def test_a_batch_in_flight_is_answered_by_one_culture(self, culture_copy: Path) -> None:
        """A reload while a large batch streams: every line of the batch comes from the
        culture it started with; the next request gets the new one."""
        count = 25_000
        text = "".join(
            json.dumps({**GOOD, "annual_volume": n}) + "\n" for n in range(count)
        ).encode()
        app = create_app(culture_copy, reload_token=TOKEN, batch_chunk=512)
        with running(app) as served, httpx.Client(base_url=served.url, timeout=60) as session:
            retitled(culture_copy, "2026.12")
            new = load(culture_copy).policy.fingerprint
            with session.stream(
                "POST",
                "/v1/decide-batch",
                content=text,
                headers={"content-type": "application/x-ndjson"},
            ) as streaming:
                assert streaming.headers["culture-fingerprint"] == OLD
                lines = streaming.iter_lines()
                first = [next(lines)]
                # The batch is still being answered: its output is larger than what the
                # sockets can hold while this client does not read.
                in_flight = re.search(
                    r"^crmculture_batches_in_flight (\S+)$", session.get("/metrics").text, re.M
                )
                assert in_flight is not None
                assert float(in_flight.group(1)) == 1.0
                reloaded = session.post("/v1/reload", headers=AUTH)
                assert reloaded.json()["culture"]["fingerprint"] == new
                assert session.get("/healthz").json()["culture_fingerprint"] == new
                rest = [*first, *lines]
            assert len(rest) == count
            fingerprints = {json.loads(line)["decision"]["policy"]["fingerprint"] for line in rest}
            assert fingerprints == {OLD}
            after = session.post("/v1/decide", json={"customer": GOOD})
            assert after.json()["decision"]["policy"]["fingerprint"] == new
