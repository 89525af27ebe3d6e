"""``POST /v1/decide-batch`` over real HTTP: the lines ``crmculture decide`` writes, in order,
errors in place, nothing dropped; limits; the time limit."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmculture import load
from crmculture.io.decision_stream import decide_records
from crmculture.io.records import read_records
from crmculture.service import create_app
from crmculture.service.app import _csv_record_count

from .conftest import ACME, running
from .test_decide import GOOD, problem

POLICY = load(ACME).policy
NDJSON = {"content-type": "application/x-ndjson"}
Cli = Callable[..., tuple[int, str, str]]

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
        """A media type the service does not read: 415, naming the ones it reads."""
        answer = client.post(
            "/v1/decide-batch", content=b"tier\ngold\n", headers={"content-type": "text/plain"}
        )
        document = problem(answer, 415)
        assert document["title"] == "unsupported media type"
        assert "`text/csv`" in document["detail"]

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


CSV = (
    "customer_id,credit_hold,days_overdue,annual_volume,tier\r\n"
    "a,false,3,400000,silver\r\n"
    "b,no,3,400000,diamond\r\n"  # an invalid value
    "\r\n"  # a blank line: no record
    '"c\r\nd",true,0,"1,000",gold\r\n'  # a kept field over two lines; a bad number
    "e,false,3,400000,silver,extra\r\n"  # a cell too many: no fields to keep
    'f,fal"se,0,1,gold\r\n'  # a quote inside a cell: not a boolean
    "g,0,90,12,bronze\r\n"
    "h,,3,400000,silver\r\n"  # a required fact left empty
)
CSV_HEADERS = {"content-type": "text/csv"}


def decide_command(cli: Cli, tmp_path: Path, text: str, *options: str) -> str:
    """What `crmculture decide` writes for `text` in a .csv file, keeping customer_id."""
    source = tmp_path / "customers.csv"
    source.write_bytes(text.encode("utf-8"))
    code, out, err = cli("decide", str(ACME), str(source), "--keep", "customer_id", *options)
    assert code in (0, 1), err
    return out


class TestCsv:
    """`text/csv`: a header row naming the facts and the kept fields, read as
    `crmculture decide` reads a CSV file, and answered with the lines it writes."""

    @pytest.mark.parametrize(
        ("params", "options"),
        [
            ({"department": "sales"}, ["--department", "sales"]),
            ({"emit": "directives"}, ["--emit", "directives"]),
            ({"explain": "true", "as_of": "2026-12-01"}, ["--explain", "--as-of", "2026-12-01"]),
        ],
        ids=["department", "directives", "explain-as-of"],
    )
    def test_the_bytes_crmculture_decide_writes(
        self,
        client: httpx.Client,
        cli: Cli,
        tmp_path: Path,
        params: dict[str, str],
        options: list[str],
    ) -> None:
        """The same CSV posted and given to `crmculture decide`: the same bytes, every record
        in order, errors in place with their line numbers and kept fields."""
        answer = client.post(
            "/v1/decide-batch", params=params, content=CSV.encode(), headers=CSV_HEADERS
        )
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/x-ndjson"
        assert answer.text == decide_command(cli, tmp_path, CSV, *options)
        lines = [json.loads(line) for line in answer.text.splitlines()]
        assert [line["record"] for line in lines] == list(range(7))
        assert [line["line"] for line in lines] == [2, 3, 6, 7, 8, 9, 10]
        assert [("error" in line) for line in lines] == [False, True, True, True, True, False, True]
        kept = [line.get("keep", {}).get("customer_id") for line in lines]
        assert kept == ["a", "b", "c\r\nd", None, "f", "g", "h"]

    def test_a_large_batch_goes_through_the_chunked_route(
        self, client: httpx.Client, cli: Cli, tmp_path: Path
    ) -> None:
        """Thousands of rows (read through Arrow): the same bytes as `crmculture decide`."""
        text = "customer_id,credit_hold,days_overdue,annual_volume,tier\n" + "".join(
            f"c{n},{n % 2 == 0},{n % 120},{n * 97},{('gold', 'silver', 'x')[n % 3]}\n"
            for n in range(3000)
        )
        answer = client.post("/v1/decide-batch", content=text.encode(), headers=CSV_HEADERS)
        assert answer.status_code == 200
        assert answer.text == decide_command(cli, tmp_path, text)
        assert len(answer.text.splitlines()) == 3000

    @pytest.mark.parametrize(
        "media",
        [
            "text/csv; charset=utf-8",
            "text/csv;header=present",
            "TEXT/CSV; header=present; charset=UTF-8",
        ],
    )
    def test_utf8_with_its_header(self, client: httpx.Client, media: str) -> None:
        """RFC 4180's `header=present` and a UTF-8 charset are read."""
        answer = client.post(
            "/v1/decide-batch", content=CSV.encode(), headers={"content-type": media}
        )
        assert (answer.status_code, len(answer.text.splitlines())) == (200, 7)

    @pytest.mark.parametrize(
        ("media", "reason"),
        [
            ("text/csv; header=absent", "a CSV batch starts with a header row naming its fields"),
            ("text/csv; charset=latin-1", "the body is read as UTF-8 only"),
        ],
    )
    def test_other_forms_are_415(self, client: httpx.Client, media: str, reason: str) -> None:
        """CSV without a header row, or in another charset: 415, saying why."""
        answer = client.post(
            "/v1/decide-batch", content=CSV.encode(), headers={"content-type": media}
        )
        assert problem(answer, 415)["detail"].endswith(reason)

    def test_a_header_only_batch_has_no_lines(self, client: httpx.Client) -> None:
        """A header and no rows, or an empty body: no lines."""
        for body in (b"customer_id,tier\r\n", b""):
            answer = client.post("/v1/decide-batch", content=body, headers=CSV_HEADERS)
            assert (answer.status_code, answer.text) == (200, "")

    def test_too_many_records_counts_rows_not_lines(self) -> None:
        """The limit counts rows after the header: rows over two lines and blank lines do
        not count twice or at all; one row more is 413."""
        header = "customer_id,credit_hold,days_overdue,annual_volume,tier\n"
        row = '"a\nb",false,3,400000,silver\n\n'
        with (
            running(create_app(ACME, keep=["customer_id"], max_records=3)) as served,
            httpx.Client(base_url=served.url) as session,
        ):
            three = header + row * 3
            answer = session.post("/v1/decide-batch", content=three, headers=CSV_HEADERS)
            assert (answer.status_code, len(answer.text.splitlines())) == (200, 3)
            answer = session.post("/v1/decide-batch", content=three + row, headers=CSV_HEADERS)
            assert problem(answer, 413)["title"] == "too many records"

    def test_records_not_decided_in_time_get_error_lines_in_place(self) -> None:
        """A CSV batch over its time limit: a line per row, with its line and kept field."""
        text = "customer_id,tier\n" + "".join(f"c{n},gold\n" for n in range(20))
        with running(create_app(ACME, keep=["customer_id"], timeout=1e-9)) as served:
            answer = httpx.post(
                served.url + "/v1/decide-batch", content=text, headers=CSV_HEADERS, timeout=30
            )
        lines = [json.loads(line) for line in answer.text.splitlines()]
        assert [line["line"] for line in lines] == list(range(2, 22))
        assert [line["keep"]["customer_id"] for line in lines] == [f"c{n}" for n in range(20)]
        assert all(line["error"].startswith("not decided: the request ran over") for line in lines)


@settings(max_examples=300)
@given(st.text(alphabet='ab,"\n\r\x00', max_size=40), st.integers(0, 6))
def test_csv_rows_are_counted_as_decide_reads_them(text: str, limit: int) -> None:
    """The count a CSV batch's limit is checked against is the number of records (and
    errors in place) `crmculture decide` reads from it, up to one over the limit."""
    records = len(list(read_records(io.StringIO(text, newline=""), POLICY.schema, "csv")))
    assert _csv_record_count(text, limit) == min(records, limit + 1)


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
