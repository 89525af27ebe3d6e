"""Never a 5xx for anything a client sends: generated and mutated bodies, media types and
query strings posted over real HTTP; every status code counted.

Each answer is either a success (a decision; a batch whose lines number its records in
order) or a problem whose ``status`` is the answer's status.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from crmculture import load
from crmculture.model.values import json_value
from crmculture.testing import customers

from .conftest import ACME

POLICY = load(ACME).policy

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
fact_names = st.sampled_from([*POLICY.schema.names, "customer_id", "days_overdu", ""])


@st.composite
def records(draw: st.DrawFn) -> Any:
    """A customer record: valid, valid with values changed, or anything JSON."""
    kind = draw(st.sampled_from(["valid", "mutated", "any"]))
    if kind == "any":
        return draw(json_values)
    record: dict[str, Any] = json_value(draw(customers(POLICY)))
    if kind == "mutated":
        for _ in range(draw(st.integers(1, 3))):
            record[draw(fact_names)] = draw(json_values)
    return record


@st.composite
def bodies(draw: st.DrawFn) -> tuple[str, bytes, str]:
    """A path, a body and a media type."""
    path = draw(st.sampled_from(["/v1/decide"] * 4 + ["/v1/decide-batch"] * 4 + ["/v1/reload"]))
    if path == "/v1/decide":
        document: Any = {"customer": draw(records())}
        # Sorted: a set's order follows string hashing, which changes from run to run.
        keys = sorted(draw(st.sets(st.sampled_from(["department", "explain", "as_of", "other"]))))
        for key in keys:
            document[key] = draw(
                st.one_of(json_values, st.sampled_from(["sales", "sals", "support", "2026-12-01"]))
            )
        if draw(st.booleans()):
            document = draw(st.one_of(json_values, st.just(document)))
        text = json.dumps(document)
    elif draw(st.booleans()):
        text = "\n".join(json.dumps(r) for r in draw(st.lists(records(), max_size=6)))
    else:
        text = json.dumps(draw(st.lists(records(), max_size=6)))
    body = text.encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 2)) == 0:  # mutate the bytes: flip, cut, insert
        data = bytearray(body)
        for _ in range(draw(st.integers(1, 4))):
            if not data:
                break
            where = draw(st.integers(0, len(data) - 1))
            action = draw(st.sampled_from(["flip", "cut", "insert"]))
            if action == "flip":
                data[where] = draw(st.integers(0, 255))
            elif action == "cut":
                del data[where:]
            else:
                data[where:where] = draw(st.binary(min_size=1, max_size=4))
        body = bytes(data)
    fitting = "application/x-ndjson" if path == "/v1/decide-batch" and "\n" in text else None
    media = draw(
        st.sampled_from(
            [fitting or "application/json"] * 6
            + [
                "application/json",
                "application/x-ndjson",
                "application/json; charset=utf-8",
                "application/json; charset=latin-1",
                "text/plain",
                "",
            ]
        )
    )
    return path, body, media


query_strings = st.sampled_from(
    [{}, {"department": "sales"}, {"department": "sals"}, {"emit": "directives"}, {"explain": "1"}]
) | st.dictionaries(
    st.sampled_from(["department", "emit", "explain", "as_of", "x"]),
    st.sampled_from(["sales", "sals", "full", "directives", "true", "no", "2026-12-01", ""]),
    max_size=3,
)


class TestNoServerErrors:
    def test_any_body_gets_a_client_answer(self, client: httpx.Client) -> None:
        """Whatever is posted, the answer is below 500, and it is a problem or a success;
        the statuses seen include decisions and each kind of problem a client causes."""
        statuses: Counter[int] = Counter()

        @settings(max_examples=200)
        @given(request=bodies(), query=query_strings)
        def post(request: tuple[str, bytes, str], query: dict[str, str]) -> None:
            path, body, media = request
            headers = {"content-type": media} if media else {}
            params = query if path == "/v1/decide-batch" else {}
            answer = client.post(path, content=body, headers=headers, params=params)
            statuses[answer.status_code] += 1
            assert answer.status_code < 500, answer.text
            assert "culture-fingerprint" in answer.headers
            if answer.status_code >= 400:
                assert answer.headers["content-type"] == "application/problem+json"
                assert answer.json()["status"] == answer.status_code
            elif path == "/v1/decide":
                assert answer.json()["decision"]["fingerprint"]
            elif path == "/v1/decide-batch":
                lines = [json.loads(line) for line in answer.text.splitlines()]
                assert [line["record"] for line in lines] == list(range(len(lines)))
                decided = ("decision" in line or "directives" in line for line in lines)
                assert all(
                    answered != ("error" in line)
                    for answered, line in zip(decided, lines, strict=True)
                )

        post()
        assert {200, 400, 404, 415, 422} <= set(statuses), statuses
        assert statuses[200] >= 20, statuses
