"""`crmculture decide` on malformed streams: every record comes out, bad ones as errors with
their line, and nothing ends in a traceback.

The corpus is built here, one case per kind of damage the hostile-input campaign (issue 15)
found, in each of JSON Lines, a JSON array and CSV. For every case the output has one line
per input record, in order, and the exit code is 1 (some records could not be decided), or
the last error says which part of the input could not be split into records.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from crmculture.cli import main

CULTURE = str(Path(__file__).parent.parent / "examples" / "acme-culture.yaml")
GOOD = {"credit_hold": False, "days_overdue": 0, "annual_volume": 12000, "tier": "gold"}
NINES = "9" * 5001

# Each damaged record, as the text of one JSON value (for JSON Lines and arrays).
JSON_DAMAGE: dict[str, bytes] = {
    "invalid-utf8": b'{"tier": "g\xffold"}',
    "lone-surrogate-escape": b'{"tier": "\\ud800"}',
    "huge-int-for-float": b'{"satisfaction": ' + NINES.encode() + b"}",
    "huge-int-for-int": b'{"days_overdue": 1' + b"0" * 1200 + b"}",
    "bad-decimal-string": b'{"balance": "1e999999999"}',
    "deeply-nested": b'{"a": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
    "not-an-object": b"[1, 2]",
    "truncated-object": b'{"tier": "gold"',
    "number-junk": b"{tier: gold}",
    "nul-byte": b'{"tier": "go\x00ld"}',
    "huge-string": b'{"tier": "' + b"x" * 200_000 + b'"}',
    "line-separator": b'{"tier": "gold\xe2\x80\xa8"}',
    "empty-object": b"{}",
    "trailing-garbage": b'{"tier": "gold"} x',
}

# Each damaged CSV row (the header is the schema's required facts).
CSV_HEADER = b"credit_hold,days_overdue,annual_volume,tier\n"
CSV_GOOD = b"false,0,12000,gold\n"
CSV_DAMAGE: dict[str, bytes] = {
    "invalid-utf8": b"false,0,12000,g\xffold\n",
    "huge-field": b"false,0,12000," + b"x" * 200_000 + b"\n",
    "huge-int-for-int": b"false,1" + b"0" * 1200 + b",12000,gold\n",
    "huge-int-text": b"false,0," + NINES.encode() + b",gold\n",
    "too-many-cells": b"false,0,12000,gold,extra\n",
    "stray-quote": b'false,0,12000,go"ld\n',
    "bool-junk": b"maybe,0,12000,gold\n",
    "empty-row-cells": b",,,\n",
    "nul-byte": b"false,0,12000,go\x00ld\n",
    "surrogate-bytes": b"false,0,12000,\xed\xa0\x80\n",
    "bad-number": b"false,0,1e999999999,gold\n",
    "negative": b"false,-5,12000,gold\n",
    "semicolons": b"false;0;12000;gold\n",
    "quoted-newline-ok": b'false,0,12000,"go\nld"\n',
}


def _good_line() -> bytes:
    return json.dumps(GOOD).encode()


def _jsonl(damage: bytes) -> tuple[bytes, int]:
    lines = [_good_line(), damage, _good_line()]
    return b"\n".join(lines) + b"\n", 3


def _json_array(damage: bytes) -> tuple[bytes, int]:
    return b"[" + b",\n".join([_good_line(), damage, _good_line()]) + b"]", 3


def _csv(damage: bytes) -> tuple[bytes, int]:
    return CSV_HEADER + CSV_GOOD + damage + CSV_GOOD, 3


CASES: list[tuple[str, str, bytes, Callable[[bytes], tuple[bytes, int]]]] = [
    *((f"jsonl-{kind}", ".jsonl", text, _jsonl) for kind, text in JSON_DAMAGE.items()),
    *((f"json-{kind}", ".json", text, _json_array) for kind, text in JSON_DAMAGE.items()),
    *((f"csv-{kind}", ".csv", text, _csv) for kind, text in CSV_DAMAGE.items()),
]


def _lines(out: str) -> list[dict[str, object]]:
    """The output's JSON Lines (split on newlines only: a value may hold U+2028)."""
    return [json.loads(line) for line in out.split("\n") if line]


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = main(list(args), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


class TestMalformedStreams:
    def test_the_corpus_has_every_kind_in_every_format(self) -> None:
        """At least 41 cases, as many as the campaign tried."""
        assert len(CASES) >= 41

    @pytest.mark.parametrize(
        ("suffix", "damage", "build"),
        [pytest.param(suffix, damage, build, id=name) for name, suffix, damage, build in CASES],
    )
    def test_every_record_comes_out_in_order(
        self,
        tmp_path: Path,
        suffix: str,
        damage: bytes,
        build: Callable[[bytes], tuple[bytes, int]],
    ) -> None:
        """Output lines == input records, in order, with the first and last decided; or the
        last line says from where the input could not be split into records."""
        data, records = build(damage)
        path = tmp_path / f"customers{suffix}"
        path.write_bytes(data)
        code, out, err = run("decide", CULTURE, str(path))
        assert "Traceback" not in err
        lines = _lines(out)
        assert "decision" in lines[0]
        if len(lines) < records:
            assert "could not be split into" in lines[-1]["error"]
        else:
            assert "decision" in lines[-1]
        assert [line["record"] for line in lines] == list(range(len(lines)))
        assert code == (1 if any("error" in line for line in lines) else 0)
        for line in lines:
            if "error" in line:
                assert line["line"] >= 1

    def test_an_unterminated_quote_is_reported_where_the_rows_stop(self, tmp_path: Path) -> None:
        """A quote left open swallows the rest; the error says so, from its line."""
        path = tmp_path / "customers.csv"
        path.write_bytes(CSV_HEADER + CSV_GOOD + b'false,0,"12000,gold\n' + CSV_GOOD)
        code, out, _ = run("decide", CULTURE, str(path))
        lines = _lines(out)
        assert code == 1
        assert [line["record"] for line in lines] == [0, 1]
        assert lines[1]["line"] == 3
        assert "could not be split into rows" in lines[1]["error"]

    def test_an_array_cut_short_says_where(self, tmp_path: Path) -> None:
        """A JSON array that ends inside an element: the error names the element's line."""
        path = tmp_path / "customers.json"
        path.write_bytes(b"[" + _good_line() + b',\n{"tier": "gold", "a": [1, 2')
        code, out, _ = run("decide", CULTURE, str(path))
        lines = _lines(out)
        assert code == 1
        assert [line["record"] for line in lines] == [0, 1]
        assert lines[1]["line"] == 2
        assert "could not be split into records" in lines[1]["error"]


class TestRealProcess:
    @pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
    def test_bad_bytes_on_standard_input_never_stop_the_stream(
        self, tmp_path: Path, suffix: str
    ) -> None:
        """Through a real process and standard input: no traceback, every record out."""
        if suffix == ".csv":
            data = CSV_HEADER + CSV_GOOD + CSV_DAMAGE["invalid-utf8"] + CSV_GOOD
        else:
            data = _jsonl(JSON_DAMAGE["invalid-utf8"])[0]
        format = "csv" if suffix == ".csv" else "jsonl"
        done = subprocess.run(
            [sys.executable, "-m", "crmculture", "decide", CULTURE, "-", "--input-format", format],
            input=data,
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert b"Traceback" not in done.stderr
        assert done.returncode == 1
        lines = [json.loads(line) for line in done.stdout.split(b"\n") if line]
        assert [line["record"] for line in lines] == [0, 1, 2]
        assert lines[1]["error"] == "not UTF-8 text: byte `0xff`"
