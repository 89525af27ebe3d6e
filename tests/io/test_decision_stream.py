"""`crmculture.io.decision_stream`: the chunked route writes exactly the bytes of the
record-by-record route, whatever the input holds, and the full line is `json.dumps` of
`Decision.to_dict`."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmculture import Directive, F, Fact, Policy, Rule, Schema
from crmculture.io import decision_stream
from crmculture.io.decision_stream import Emit, decide_records, record_line
from crmculture.io.records import Record, RecordError
from crmculture.stories import acme_policy
from crmculture.testing import customers
from crmculture.testing.policy_strategies import departments_for, policies

pytest.importorskip("pyarrow")

KEEP = ("customer_id",)


def dated_policy() -> Policy:
    """Every fact type, a date among them, and an optional enum with a default."""
    schema = Schema(
        [
            Fact.bool("hold"),
            Fact.int("days", min=0, max=3650),
            Fact.float("score", min=0.0, max=10.0, optional=True),
            Fact.decimal("balance", min=Decimal(0), optional=True),
            Fact.enum("tier", ["bronze", "silver", "gold"], ordered=True),
            Fact.date("since", optional=True),
            Fact.enum("region", ["emea", "amer"], optional=True, default="emea"),
        ]
    )
    directives = [
        Directive.enum("level", ["standard", "priority"], default="standard", combine="max"),
        Directive.bool("may_ship", default=True, combine="all"),
    ]
    rules = [
        Rule("hold", F.hold, {"may_ship": False}),
        Rule("gold", (F.tier >= "gold") & (F.days == 0), {"level": "priority"}),
        Rule("old", F.since < dt.date(2020, 1, 1), {"level": "priority"}),
        Rule("big", F.balance > Decimal("1000.5"), {"may_ship": False}),
        Rule("happy", F.score >= 9.5, {"level": "priority"}),
    ]
    return Policy("dated", schema, directives, rules)


POLICIES = {"acme": acme_policy(), "dated": dated_policy()}


def _output(policy: Policy, text: str, fmt: str, **options: Any) -> tuple[str, int, int]:
    chunks = list(decide_records(policy, io.StringIO(text, newline=""), fmt, **options))
    return (
        "".join(chunk.text for chunk in chunks),
        sum(chunk.records for chunk in chunks),
        sum(chunk.failed for chunk in chunks),
    )


# -- generated hostile input --------------------------------------------------------------

_JSON_VALUES = {
    "bool": ["true", "false", "1", "0", '"true"', "null"],
    "int": ["0", "12", "-3", "12.0", '"12"', "99999999999999999999", "1e3", "true", "4000"],
    "float": ["9.7", "3", "NaN", "Infinity", "-Infinity", '"9.7"', "1e400", "10.5", "-0.0"],
    "decimal": ["1000.5", "1000.6", "12", "0.1", '"1000.75"', "1e2", "123456789012345678901"],
    "enum": ['"gold"', '"silver"', '"diamond"', '"Gold"', "5", '"g\\u00f6ld"', '"\\ud800"'],
    "date": ['"2019-12-31"', '"2021-01-01"', '"2019-12-31T00:00"', '"20191231"', '"2027-02-30"'],
}
_KEEP_VALUES = ['"c1"', "17", "true", "null", "1.5", '["x"]', '"\\u00e9"', '"\\ud83d\\ude00"']


@st.composite
def json_lines(draw: st.DrawFn, policy: Policy) -> str:
    """JSON Lines text: mostly records, with every kind of damage now and then."""
    lines = []
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(
            st.sampled_from(["record"] * 6 + ["junk", "blank", "long", "two", "crlf", "cr"])
        )
        if kind == "junk":
            lines.append(
                draw(
                    st.sampled_from(
                        [
                            "{x}",
                            "[1, 2]",
                            "7",
                            '{"tier": "gold",}',
                            '{"a": 1} //',
                            '{"tier": "gold"',
                        ]
                    )
                )
            )
            continue
        if kind == "blank":
            lines.append(draw(st.sampled_from(["", "   ", "\t"])))
            continue
        members = []
        for fact in policy.schema:
            choice = draw(st.integers(0, 9))
            if choice == 0:
                continue  # absent
            values = _JSON_VALUES[fact.type]
            if choice < 7:
                value = json.dumps(_json_ready(draw(_valid(fact))))
            else:
                value = draw(st.sampled_from(values))
            members.append(f'"{fact.name}": {value}')
        extra = draw(st.integers(0, 12))
        if extra == 0:
            members.append('"unknown": 1')
        elif extra == 1 and members:
            members.append(members[0])  # a key twice
        if draw(st.booleans()):
            members.append(f'"customer_id": {draw(st.sampled_from(_KEEP_VALUES))}')
        members = draw(st.permutations(members))
        text = "{" + ", ".join(members) + "}"
        if kind == "long":
            text = text[:-1] + " " * 5000 + "}"
        elif kind == "two":
            text = text + " " + text
        lines.append(text + {"crlf": "\r\n", "cr": "\r"}.get(kind, "\n"))
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _valid(fact: Fact) -> st.SearchStrategy[Any]:
    from crmculture.testing.strategies import fact_values

    return fact_values(fact)


def _json_ready(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


_CSV_VALUES = {
    "bool": ["true", "false", "TRUE", "Yes", "no", "1", "0", "maybe", " true", ""],
    "int": ["0", "12", "-3", "+3", " 12", "1_000", "12.0", "\u0661\u0662", "4000", "", "-0"],
    "float": ["9.7", "3", "nan", "inf", "1e400", " 9.7", "10.5", "", "1_0.5", "-0.0"],
    "decimal": ["1000.5", "1000.6", "12", " 12", "1e2", "1E+2", "abc", "", "0.10"],
    "enum": ["gold", "silver", "diamond", " gold", "", "Gold"],
    "date": ["2019-12-31", "2021-01-01", "20191231", "2027-02-30", "2019-12-31 ", ""],
}


@st.composite
def csv_text(draw: st.DrawFn, policy: Policy) -> str:
    """CSV text: a header of some facts (and sometimes a kept or unknown column), rows of
    good and bad cells, with quotes, short and long rows and blank lines now and then."""
    names = draw(st.permutations([fact.name for fact in policy.schema]))
    names = names[: draw(st.integers(1, len(names)))]
    extra = draw(st.sampled_from([[], [], ["customer_id"], ["unknown"]]))
    header = [*names, *extra]
    facts = {fact.name: fact for fact in policy.schema}
    lines = [",".join(header)]
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["row"] * 8 + ["blank", "short", "long", "quoted"]))
        if kind == "blank":
            lines.append("")
            continue
        cells = []
        for name in header:
            if name in facts:
                cells.append(draw(st.sampled_from(_CSV_VALUES[facts[name].type])))
            else:
                cells.append(draw(st.sampled_from(["c1", "", "c 2"])))
        if kind == "short":
            cells = cells[:-1]
        elif kind == "long":
            cells.append("x")
        elif kind == "quoted":
            cells[0] = '"' + cells[0] + '"'
        lines.append(",".join(cells))
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    return ending.join(lines) + ending


# -- the laws -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
@settings(deadline=None)
@given(
    data=st.data(),
    name=st.sampled_from(sorted(POLICIES)),
    emit=st.sampled_from(["full", "directives"]),
    chunk_size=st.sampled_from([1, 3, 1000]),
)
def test_chunked_route_equals_record_by_record(
    fmt: str, data: st.DataObject, name: str, emit: Emit, chunk_size: int
) -> None:
    policy = POLICIES[name]
    text = data.draw({"jsonl": json_lines, "csv": csv_text}[fmt](policy))
    keep = data.draw(st.sampled_from([(), KEEP]))
    department = data.draw(departments_for(policy))
    options = {"emit": emit, "keep": keep, "department": department}
    slow = _output(policy, text, fmt, chunked=False, **options)
    fast = _output(policy, text, fmt, chunked=True, chunk_size=chunk_size, **options)
    assert fast == slow


@settings(deadline=None, max_examples=60)
@given(data=st.data(), policy=policies(max_rules=6))
def test_the_full_line_is_json_dumps_of_to_dict(data: st.DataObject, policy: Policy) -> None:
    """The encoder's bytes are those of `json.dumps(decision.to_dict())`, on generated
    policies, customers and departments."""
    decide = policy.compile()
    department = data.draw(departments_for(policy))
    for customer in data.draw(st.lists(customers(policy), min_size=1, max_size=4)):
        try:
            decision = decide(customer, department)
        except Exception:  # conflicts and undecided directives are not decisions
            continue
        text, failed = record_line(decide, Record(3, 4, customer), department, explain=True)
        expected = {
            "decision": decision.to_dict(),
            "explanation": decision.explain(),
            "line": 4,
            "record": 3,
        }
        assert not failed
        assert text == json.dumps(expected, sort_keys=True, ensure_ascii=False) + "\n"


# -- stories ------------------------------------------------------------------------------

GOOD = {"credit_hold": False, "days_overdue": 0, "annual_volume": 9000, "tier": "gold"}


def test_directives_and_kept_ids() -> None:
    text = "".join(
        json.dumps({**GOOD, "customer_id": f"c{n}", "credit_hold": n == 1}) + "\n" for n in range(3)
    )
    out, records, failed = _output(acme_policy(), text, "jsonl", emit="directives", keep=KEEP)
    lines = [json.loads(line) for line in out.splitlines()]
    assert (records, failed) == (3, 0)
    assert [line["keep"] for line in lines] == [{"customer_id": f"c{n}"} for n in range(3)]
    assert [line["directives"]["route_to"] for line in lines] == [
        "frontline",
        "accounts_receivable",
        "frontline",
    ]
    assert sorted(lines[0]) == ["directives", "keep", "line", "record"]


def test_a_kept_field_missing_from_a_record_is_null() -> None:
    out, _, _ = _output(acme_policy(), json.dumps(GOOD) + "\n", "jsonl", keep=KEEP)
    assert json.loads(out)["keep"] == {"customer_id": None}


def test_every_bad_record_keeps_its_line_and_problems_among_good_ones() -> None:
    good = json.dumps(GOOD)
    text = "\n".join([good, "", good, '{"tier": "diamond"}', "nope", good]) + "\n"
    out, records, failed = _output(acme_policy(), text, "jsonl", chunked=True)
    lines = [json.loads(line) for line in out.splitlines()]
    assert (records, failed) == (5, 2)
    assert [line["line"] for line in lines] == [1, 3, 4, 5, 6]
    assert [line["record"] for line in lines] == [0, 1, 2, 3, 4]
    assert lines[2]["error"] == "invalid customer"
    assert {p["path"] for p in lines[2]["problems"]} >= {"customer.tier", "customer.credit_hold"}
    assert lines[3]["error"].startswith("not JSON")


def test_csv_after_a_quote_goes_record_by_record_with_its_line_numbers() -> None:
    text = (
        "credit_hold,days_overdue,annual_volume,tier\n"
        "false,0,10,gold\n"
        '"false",0,10,"go\nld"\n'
        "false,0,10,gold\n"
    )
    out, records, failed = _output(acme_policy(), text, "csv", chunked=True)
    lines = [json.loads(line) for line in out.splitlines()]
    assert (records, failed) == (3, 1)
    assert [line["line"] for line in lines] == [2, 4, 5]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"emit": "fast"}, "emit must be"),
        ({"emit": "directives", "explain": True}, "explanation goes with"),
        ({"keep": ["tier"]}, "kept field `tier` is a fact"),
        ({"chunk_size": 0}, "chunk_size must be at least 1"),
    ],
)
def test_mistakes_are_value_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _output(acme_policy(), "", "jsonl", **options)


def test_without_the_batch_extra_it_goes_record_by_record(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "pyarrow.json", None)
    text = json.dumps(GOOD) + "\n"
    assert _output(acme_policy(), text, "jsonl") == _output(
        acme_policy(), text, "jsonl", chunked=False
    )
    with pytest.raises(ImportError):
        _output(acme_policy(), text, "jsonl", chunked=True)


def test_a_record_error_line_with_kept_fields() -> None:
    text, failed = record_line(acme_policy().compile(), RecordError(2, 9, "not JSON: x"), keep=KEEP)
    assert failed
    assert json.loads(text) == {
        "error": "not JSON: x",
        "keep": {"customer_id": None},
        "line": 9,
        "problems": [],
        "record": 2,
    }


def test_the_chunk_size_is_read_when_called(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decision_stream, "CHUNK_SIZE", 2)
    text = (json.dumps(GOOD) + "\n") * 5
    chunks = list(decide_records(acme_policy(), io.StringIO(text), "jsonl"))
    assert [chunk.records for chunk in chunks] == [2, 2, 1]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
@pytest.mark.parametrize("emit", ["full", "directives"])
def test_clean_input_takes_the_chunked_route_whole(
    monkeypatch: pytest.MonkeyPatch, fmt: str, emit: Emit
) -> None:
    """No record of clean input is decided on its own: the comparison laws above would
    pass trivially if every chunk went record by record."""
    rows = [
        {**GOOD, "days_overdue": n % 3, "satisfaction": n / 10, "balance": "12.5"}
        for n in range(50)
    ]
    if fmt == "jsonl":
        text = "".join(json.dumps(row) + "\n" for row in rows)
    else:
        names = list(rows[0])
        lines = [",".join(names)]
        lines.extend(",".join(json.dumps(row[n]).strip('"') for n in names) for row in rows)
        text = "\n".join(lines) + "\n"
    alone: list[object] = []
    original = decision_stream.record_line

    def counting(*args: Any, **kwargs: Any) -> tuple[str, bool]:
        alone.append(args[1])
        return original(*args, **kwargs)

    expected = _output(acme_policy(), text, fmt, emit=emit, chunked=False)
    monkeypatch.setattr(decision_stream, "record_line", counting)
    assert _output(acme_policy(), text, fmt, emit=emit, chunked=True) == expected
    assert alone == []


@given(
    text=st.one_of(
        st.text(alphabet=["a", "\n", "\r", " ", "\t", "\x1c", "{"], max_size=60),
        st.lists(st.sampled_from(["{a}", "a", " ", ""]), max_size=8).map(
            lambda lines: "".join(line + "\r\n" for line in lines)
        ),
    ),
    block=st.integers(1, 9),
)
def test_line_blocks_split_as_a_text_file_does(text: str, block: int) -> None:
    """Lines and their breaks, their numbers and their blankness as iterating over a file
    opened with ``newline=""`` gives them, whatever the block size cuts."""
    import crmculture.io.decision_stream as module

    found = []
    for start, lines, breaks, blank in module._line_blocks(io.StringIO(text, newline=""), block):
        ends = [breaks] * len(lines) if isinstance(breaks, str) else breaks
        for number, (line, end) in enumerate(zip(lines, ends, strict=True), start):
            found.append((number, line + end, blank))
    expected = list(enumerate(io.StringIO(text, newline=""), start=1))
    assert [(number, line) for number, line, _ in found] == expected
    # A block said to hold no blank line holds none.
    assert all(blank or line.strip() for _, line, blank in found)
