"""Decision logs: written whole, read back (a torn last line reported, not fatal), replayed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmculture import F, Policy, Rule
from crmculture.drift import DecisionCounts
from crmculture.errors import CrmCultureError
from crmculture.log import (
    DecisionLog,
    LoggedDecision,
    LogProblem,
    log_record,
    read_log,
    replay,
)
from crmculture.stories import acme_policy
from crmculture.testing import customers as customers_of
from crmculture.testing import schemas
from crmculture.testing.policy_strategies import as_of_dates, departments_for, policies, rules

Cli = Callable[..., tuple[int, str, str]]
CULTURE = str(Path(__file__).parent.parent / "examples" / "acme-culture.yaml")
GOOD = {"credit_hold": False, "days_overdue": 0, "annual_volume": 9000, "tier": "gold"}


def customers(count: int) -> list[dict[str, Any]]:
    return [
        {**GOOD, "annual_volume": 1_000 * n, "credit_hold": n % 7 == 0, "days_overdue": n % 3}
        for n in range(count)
    ]


def test_a_record_holds_what_was_decided_and_why(tmp_path: Path) -> None:
    decide = acme_policy().compile()
    decision = decide({**GOOD, "region": "emea"}, "sales")
    path = tmp_path / "d.log"
    with DecisionLog(path) as log:
        log.write(decision, keep={"customer_id": "c1"})
    (record,) = read_log(path)
    assert isinstance(record, LoggedDecision)
    assert record.culture["fingerprint"] == decision.policy.fingerprint
    assert record.department == "sales"
    assert record.facts["region"] == "emea"
    assert record.directives["service_level"] == decision.directives["service_level"]
    assert record.matched == decision.matched
    assert record.fingerprint == decision.fingerprint
    assert record.keep == {"customer_id": "c1"}


def test_a_torn_last_line_is_reported_and_the_next_writer_ends_it(tmp_path: Path) -> None:
    decide = acme_policy().compile()
    path = tmp_path / "d.log"
    with DecisionLog(path) as log:
        log.write(decide(GOOD))
        log.write(decide(GOOD))
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) - 40])  # the writer stopped mid-record
    items = list(read_log(path))
    assert isinstance(items[0], LoggedDecision)
    assert items[1] == LogProblem(2, "torn last line: the writer stopped mid-record", torn=True)
    with DecisionLog(path) as log:
        log.write(decide(GOOD))
    items = list(read_log(path))
    assert [type(item).__name__ for item in items] == [
        "LoggedDecision",
        "LogProblem",
        "LoggedDecision",
    ]
    assert isinstance(items[1], LogProblem)
    assert not items[1].torn
    assert items[1].message.startswith("not JSON")


def test_lines_that_are_not_records_are_problems_in_place(tmp_path: Path) -> None:
    path = tmp_path / "d.log"
    path.write_text('[1]\n{"log": 2}\n{"log": 1}\n\nnope\n')
    assert [item.message for item in read_log(path) if isinstance(item, LogProblem)] == [
        "a log record is a JSON object",
        "not a crmculture decision log record (format 1)",
        "missing key `culture`",
        "not JSON: Expecting value: line 1 column 1 (char 0)",
    ]


WRITER = textwrap.dedent(
    """
    import sys
    from crmculture.log import DecisionLog
    from crmculture.stories import acme_policy
    decide = acme_policy().compile()
    customer = {"credit_hold": False, "days_overdue": 0, "annual_volume": 9000, "tier": "gold"}
    decision = decide(customer)
    with DecisionLog(sys.argv[1]) as log:
        print("writing", flush=True)
        while True:
            log.write(decision, keep={"customer_id": "x" * 5000})
    """
)


def test_a_writer_killed_mid_write_leaves_every_complete_record_readable(tmp_path: Path) -> None:
    path = tmp_path / "d.log"
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "writing\n"
    deadline = time.monotonic() + 30  # a hang guard, not a speed test
    while path.stat().st_size < 2_000_000 and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    process.stdout.close()
    items = list(read_log(path))
    records = [item for item in items if isinstance(item, LoggedDecision)]
    problems = [item for item in items if isinstance(item, LogProblem)]
    assert len(records) > 100
    assert all(record.keep == {"customer_id": "x" * 5000} for record in records)
    assert len(problems) <= 1
    assert all(problem.torn and problem.line == len(items) for problem in problems)


def test_replay_counts_who_would_be_treated_differently(tmp_path: Path) -> None:
    old = acme_policy()
    path = tmp_path / "d.log"
    with DecisionLog(path) as log:
        for n, customer in enumerate(customers(60)):
            log.write(old.compile()(customer, "sales"), keep={"customer_id": f"c{n}"})
    new = old.with_rules(
        Rule("big-discount", F.annual_volume >= 30_000, {"discount_pct": 12}, priority=0)
    )
    found = replay(path, new)
    decide_old, decide_new = old.compile(), new.compile()
    expected = [
        n
        for n, customer in enumerate(customers(60))
        if decide_old(customer, "sales").directives != decide_new(customer, "sales").directives
    ]
    assert found.records == 60
    assert found.changed == len(expected) > 0
    assert found.examples[0] == (expected[0] + 1, {"customer_id": f"c{expected[0]}"})
    assert dict(found.by_directive) == {"discount_pct": len(expected)}
    assert dict(found.by_department) == {"sales": len(expected)}
    assert dict(found.by_rule) == {"big-discount": len(expected)}
    assert found.rejected == ()
    assert "would change" in found.text()


def test_replay_rejects_what_the_new_culture_cannot_decide(tmp_path: Path) -> None:
    old = acme_policy()
    path = tmp_path / "d.log"
    with DecisionLog(path) as log:
        log.write(old.compile()({**GOOD, "tier": "platinum"}))
    import attrs

    from crmculture import Fact, Schema

    # The new culture needs a fact the old one never asked for.
    wider = Schema([*old.schema, Fact.enum("segment", ["smb", "enterprise"])])
    new = attrs.evolve(old, schema=wider)
    found = replay(path, new)
    assert (found.records, found.changed) == (1, 0)
    ((reason, count),) = found.rejected
    assert count == 1
    assert reason == "invalid facts: customer.segment: required fact is missing"


@pytest.mark.parametrize("route", ["1", "0"])
def test_decide_log_then_replay_on_the_command_line(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, route: str
) -> None:
    monkeypatch.setenv("CRMCULTURE_CHUNKED", route)
    source = tmp_path / "c.jsonl"
    rows = [{**c, "customer_id": f"c{n}"} for n, c in enumerate(customers(30))]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"tier": "x"}\n')
    log = tmp_path / "d.log"
    for emit in ("full", "directives"):
        code, _, _ = cli(
            "decide", CULTURE, str(source), "--emit", emit, "--keep", "customer_id",
            "--log", str(log), "-o", str(tmp_path / "out.jsonl"),
        )  # fmt: skip
        assert code == 1  # the last record is invalid, and is not logged
    records = [item for item in read_log(log) if isinstance(item, LoggedDecision)]
    assert [r.keep["customer_id"] for r in records] == [f"c{n}" for n in range(30)] * 2
    code, out, _ = cli("replay", str(log), CULTURE, "--json")
    document = json.loads(out)
    assert (code, document["records"], document["changed"]) == (0, 60, 0)


def test_both_routes_write_the_same_log(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "c.jsonl"
    source.write_text("".join(json.dumps(c) + "\n" for c in customers(40)) + "junk\n")
    logs = []
    for route in ("1", "0"):
        monkeypatch.setenv("CRMCULTURE_CHUNKED", route)
        log = tmp_path / f"d{route}.log"
        cli("decide", CULTURE, str(source), "--log", str(log), "-o", os.devnull)
        logs.append(log.read_bytes())
    assert logs[0] == logs[1]
    assert logs[0].count(b"\n") == 40


@settings(deadline=None, max_examples=60)
@given(data=st.data(), policy=policies(max_rules=6))
def test_a_record_is_json_dumps_of_the_decision(data: st.DataObject, policy: Policy) -> None:
    """The quick encoder writes the bytes `json.dumps` writes, on generated decisions."""
    decide = policy.compile()
    department = data.draw(departments_for(policy))
    keep = data.draw(st.sampled_from([None, {"customer_id": "c\u00e9"}, {"n": 3}]))
    for customer in data.draw(st.lists(customers_of(policy), min_size=1, max_size=4)):
        try:
            decision = decide(customer, department)
        except CrmCultureError:
            continue
        whole = decision.to_dict()
        expected = {
            "culture": whole["policy"],
            "department": whole["department"],
            "directives": whole["directives"],
            "facts": whole["customer"],
            "fingerprint": whole["fingerprint"],
            "keep": dict(keep or {}),
            "log": 1,
            "matched": whole["matched"],
        }
        assert log_record(decision, keep) == (
            json.dumps(expected, sort_keys=True, ensure_ascii=False) + "\n"
        )


DAMAGE = [
    "junk",
    '{"log": 2}',
    "[1, 2]",
    "{}",
    "department-number",
    "facts-list",
    "unknown-fact",
    "missing-directives",
    "decimal-number",
    "float-directive",
    "bad-tier",
    "null-facts",
    # Lines Arrow reads otherwise than one record per line.
    "blank",
    "spaces",
    "form-feed",
    "two-objects",
    "crlf",
    "deep",
    "surrogate",
    "big-int",
    "nan",
    # Values of other types, or none.
    "unknown-fact-null",
    "keep-number",
    "keep-null",
    "no-keep",
    "extra-key",
    "log-text",
    "culture-null",
    "matched-null",
    "fingerprint-number",
    "notify-reversed",
    "notify-twice",
    "notify-null",
    "notify-text",
    "notify-numbers",
    "bool-as-int",
    "int-as-text",
    "directive-object",
    "directive-unknown",
    "directive-missing",
    "department-unknown",
    "department-empty",
    "department-null",
    "balance-text",
    "balance-exponent",
    "balance-word",
    "satisfaction-int",
    "region",
    "region-unknown",
    "tier-number",
    "tier-list",
    "optional-facts-gone",
    # Keys of other types than a record's, and dates.
    "culture-text",
    "matched-text",
    "as-of-date",
    "as-of-not-a-date",
    "as-of-number",
]


def _damaged(line: str, kind: str) -> str:
    record = json.loads(line)
    facts, directives = record["facts"], record["directives"]
    text: dict[str, str] = {
        "junk": "not json at all",
        '{"log": 2}': kind,
        "[1, 2]": kind,
        "{}": kind,
        "blank": "",
        "spaces": "   \t",
        "form-feed": "\x0c",
        "two-objects": f"{line} {line}",
        "crlf": f"{line}\r",
        "deep": line.replace('"keep": {', '"keep": {"deep": ' + "[" * 5000 + "]" * 5000 + ", "),
    }
    if kind in text:
        return text[kind]
    changes: dict[str, Callable[[], None]] = {
        "department-number": lambda: record.update(department=5),
        "facts-list": lambda: record.update(facts=[1, 2]),
        "unknown-fact": lambda: facts.update(colour="red"),
        "missing-directives": lambda: record.pop("directives"),
        "decimal-number": lambda: facts.update(balance=12.5),
        "float-directive": lambda: directives.update(discount_pct=5.0),
        "bad-tier": lambda: facts.update(tier="diamond"),
        "null-facts": lambda: record.update(facts=None),
        "surrogate": lambda: record.update(keep={"customer_id": "\ud800"}),
        "big-int": lambda: facts.update(annual_volume=2**70),
        "nan": lambda: facts.update(satisfaction=float("nan")),
        "unknown-fact-null": lambda: facts.update(colour=None),
        "keep-number": lambda: record.update(keep=5),
        "keep-null": lambda: record.update(keep=None),
        "no-keep": lambda: record.pop("keep"),
        "extra-key": lambda: record.update(extra=[1]),
        "log-text": lambda: record.update(log="1"),
        "culture-null": lambda: record.update(culture=None),
        "matched-null": lambda: record.update(matched=None),
        "fingerprint-number": lambda: record.update(fingerprint=5),
        "notify-reversed": lambda: directives.update(notify=directives["notify"][::-1]),
        "notify-twice": lambda: directives.update(notify=directives["notify"] * 2),
        "notify-null": lambda: directives.update(notify=None),
        "notify-text": lambda: directives.update(notify="accounts_receivable"),
        "notify-numbers": lambda: directives.update(notify=[1, 2]),
        "bool-as-int": lambda: directives.update(may_ship=int(directives["may_ship"])),
        "int-as-text": lambda: directives.update(discount_pct=str(directives["discount_pct"])),
        "directive-object": lambda: directives.update(route_to={"to": "sales"}),
        "directive-unknown": lambda: directives.update(colour="red"),
        "directive-missing": lambda: directives.pop("service_level"),
        "department-unknown": lambda: record.update(department="marketing"),
        "department-empty": lambda: record.update(department=""),
        "department-null": lambda: record.update(department=None),
        "balance-text": lambda: facts.update(balance="12.50"),
        "balance-exponent": lambda: facts.update(balance="1e3"),
        "balance-word": lambda: facts.update(balance="much"),
        "satisfaction-int": lambda: facts.update(satisfaction=7),
        "region": lambda: facts.update(region="emea"),
        "region-unknown": lambda: facts.update(region="mars"),
        "tier-number": lambda: facts.update(tier=3),
        "tier-list": lambda: facts.update(tier=["gold"]),
        "optional-facts-gone": lambda: [facts.pop(n, None) for n in ("balance", "region")],
        "culture-text": lambda: record.update(culture="acme"),
        "matched-text": lambda: record.update(matched="credit-hold"),
        "as-of-date": lambda: record.update(as_of="2026-11-30"),
        "as-of-not-a-date": lambda: record.update(as_of="2026-11-31"),
        "as-of-number": lambda: record.update(as_of=20261130),
    }
    changes[kind]()
    return json.dumps(record, sort_keys=True)


@settings(deadline=None, max_examples=40)
@given(
    data=st.data(),
    chunk=st.sampled_from([1, 700, 1 << 20]),
    torn=st.booleans(),
)
def test_chunked_replay_equals_record_by_record(
    data: st.DataObject, chunk: int, torn: bool, tmp_path_factory: pytest.TempPathFactory
) -> None:
    import crmculture.log as log_module

    old = acme_policy()
    decide = old.compile()
    lines = []
    for n in range(data.draw(st.integers(1, 12))):
        customer = data.draw(customers_of(old))
        department = data.draw(st.sampled_from([None, "sales", "support"]))
        line = log_record(decide(customer, department), {"customer_id": f"c{n}"}).rstrip("\n")
        if data.draw(st.integers(0, 3)) == 0:
            line = _damaged(line, data.draw(st.sampled_from(DAMAGE)))
        lines.append(line)
    text = "\n".join(lines) + "\n"
    if torn:
        text = text[: len(text) - 7]
    path = tmp_path_factory.mktemp("log") / "d.log"
    path.write_text(text)
    new = old.with_rules(Rule("big", F.annual_volume >= 100_000, {"discount_pct": 12}))
    original = log_module.CHUNK_BYTES
    log_module.CHUNK_BYTES = chunk
    try:
        chunked = replay(path, new)
    finally:
        log_module.CHUNK_BYTES = original
    assert chunked == replay(list(read_log(path)), new)


GENERIC_DAMAGE = ["junk", "blank", "two-objects", "unknown", "null", "text", "gone", "elsewhere"]


def _generic_damage(line: str, kind: str, fact: str) -> str:
    """Damage of any policy's log record, to fact `fact`."""
    record = json.loads(line)
    if kind in ("junk", "blank", "two-objects"):
        return {"junk": "{not json", "blank": "  ", "two-objects": f"{line} {line}"}[kind]
    if kind == "unknown":
        record["facts"]["zz_unknown"] = None
    elif kind == "null":
        record["facts"][fact] = None
    elif kind == "text":
        record["facts"][fact] = "x"
    elif kind == "gone":
        record["facts"].pop(fact, None)
    else:
        record["department"] = "elsewhere"
    return json.dumps(record, sort_keys=True)


def _spy_on_records(monkeypatch: pytest.MonkeyPatch, module: Any) -> list[int]:
    """Make `module._record` note the number of every line it reads on its own (record by
    record); the list it fills."""
    read: list[int] = []
    original = module._record

    def reading(raw: bytes, number: int, *, torn: bool) -> Any:
        read.append(number)
        return original(raw, number, torn=torn)

    monkeypatch.setattr(module, "_record", reading)
    return read


def _generated_lines(data: st.DataObject, policy: Policy) -> list[str]:
    """Up to 20 log lines of `policy`'s decisions for generated customers and departments,
    about one in five damaged (`GENERIC_DAMAGE`), without their newlines."""
    decide = policy.compile()
    lines = []
    for n in range(data.draw(st.integers(1, 20))):
        department = data.draw(departments_for(policy))
        try:
            decision = decide(data.draw(customers_of(policy)), department)
        except CrmCultureError:
            continue
        line = log_record(decision, {"customer_id": n}).rstrip("\n")
        if data.draw(st.integers(0, 4)) == 0:
            fact = data.draw(st.sampled_from(policy.schema.names))
            line = _generic_damage(line, data.draw(st.sampled_from(GENERIC_DAMAGE)), fact)
        lines.append(line)
    return lines


@settings(deadline=None, max_examples=60)
@given(
    data=st.data(),
    old=policies(max_rules=5),
    chunk=st.sampled_from([1, 1500, 1 << 20]),
    alone=st.sampled_from([1, 64]),
)
def test_chunked_replay_equals_record_by_record_for_generated_cultures(
    data: st.DataObject,
    old: Policy,
    chunk: int,
    alone: int,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Generated cultures (every fact and directive type, scopes, overriding rules,
    conflicts) and a new version with rules dropped and added: the chunked replay, with
    chunks of one line, a few lines or the whole log, and damaged lines halved down to
    single lines or not, finds what replaying record by record finds."""
    import crmculture.log as log_module

    lines = _generated_lines(data, old)
    added = [
        Rule(
            f"n{k}",
            when=rule.when,
            then=rule.then,
            priority=rule.priority,
            departments=rule.departments,
            overrides=rule.overrides,
        )
        for k, rule in enumerate(
            data.draw(rules(old.schema, old.directives, max_size=3, departments=old.departments))
        )
    ]
    dropped = data.draw(st.integers(0, len(old.rules)))
    new = attrs.evolve(old, rules=(*old.rules[dropped:], *added))
    path = tmp_path_factory.mktemp("log") / "d.log"
    path.write_text("".join(line + "\n" for line in lines))
    saved = log_module.CHUNK_BYTES, log_module._ALONE
    log_module.CHUNK_BYTES, log_module._ALONE = chunk, alone
    try:
        chunked = replay(path, new)
    finally:
        log_module.CHUNK_BYTES, log_module._ALONE = saved
    assert chunked == replay(list(read_log(path)), new)


@settings(deadline=None, max_examples=40)
@given(
    data=st.data(),
    old=policies(schema=schemas(types=("date", "bool", "int")), max_rules=5, as_of=True),
)
def test_chunked_replay_of_dated_cultures_equals_record_by_record(
    data: st.DataObject, old: Policy, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Generated cultures that decide by the date, logged on several days, and a new version
    with rules dropped and dated rules added: the chunked replay, which reads the rules for
    each logged day, finds what replaying record by record finds."""
    decide = old.compile()
    lines = []
    for n in range(data.draw(st.integers(1, 15))):
        day = data.draw(as_of_dates())
        customer = data.draw(customers_of(old.at(day)))
        try:
            decision = decide(customer, data.draw(departments_for(old)), as_of=day)
        except CrmCultureError:
            continue
        lines.append(log_record(decision, {"customer_id": n}))
    added = [
        attrs.evolve(rule, id=f"n{k}")
        for k, rule in enumerate(
            data.draw(
                rules(
                    old.schema, old.directives, max_size=3, departments=old.departments, as_of=True
                )
            )
        )
    ]
    new = attrs.evolve(old, rules=(*old.rules[data.draw(st.integers(0, len(old.rules))) :], *added))
    path = tmp_path_factory.mktemp("log") / "d.log"
    path.write_text("".join(lines))
    assert replay(path, new) == replay(list(read_log(path)), new)


def test_clean_logs_are_replayed_without_reading_records_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The law above would pass trivially if every chunk went record by record."""
    import crmculture.log as log_module

    old = acme_policy()
    path = tmp_path / "d.log"
    with DecisionLog(path) as log:
        for n, customer in enumerate(customers(50)):
            log.write(old.compile()(customer, "sales"), keep={"customer_id": f"c{n}"})
    alone = _spy_on_records(monkeypatch, log_module)
    found = replay(path, old)
    assert (found.records, found.changed, alone) == (50, 0, [])


def test_logged_lists_of_equal_but_different_values_are_told_apart(tmp_path: Path) -> None:
    """1 == True in Python, but a logged [1] and a logged [true] are different values."""
    old = acme_policy()
    decision = old.compile()(GOOD, "sales")
    lines = []
    for notify in ([1], [True], [1], [True]):
        record = json.loads(log_record(decision, {"customer_id": "c"}))
        record["directives"]["notify"] = notify
        lines.append(json.dumps(record))
    path = tmp_path / "d.log"
    path.write_text("\n".join(lines) + "\n")
    for found in (replay(path, old), replay(list(read_log(path)), old)):
        assert {(old_value, count) for _, old_value, _, count in found.transitions} == {
            ("[1]", 2),
            ("[true]", 2),
        }


def _dated_versions() -> tuple[Policy, Policy]:
    """Two versions of a culture that decides by the date: re-verify after 365 days, then
    after 180."""
    from crmculture import AS_OF, Directive, Fact, Schema

    schema = Schema([Fact.date("verified_on"), Fact.int("n", min=0, max=10)])
    route = Directive.text("route_to", default="frontline")

    def version(days: int, name: str) -> Policy:
        rule = Rule("re-verify", F.verified_on < AS_OF.minus(days=days), {"route_to": "desk"})
        return Policy("p", schema, [route], [rule], version=name)

    return version(365, "1"), version(180, "2")


def _dated_log(path: Path, old: Policy, records: int = 300) -> Path:
    """A log of `old`'s decisions made on two days, for customers verified 10, 200 and 400
    days before."""
    import datetime as dt

    day = dt.date(2026, 12, 1)
    with DecisionLog(path) as log:
        for i in range(records):
            customer = {"verified_on": day - dt.timedelta(days=(10, 200, 400)[i % 3]), "n": i % 10}
            log.write(old.compile()(customer, as_of=day + dt.timedelta(days=i % 2)))
    return path


def test_replay_of_a_culture_that_decides_by_the_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each record is decided as of its logged date, on the chunked route as record by
    record; the chunked route reads the rules for each date, and no record one by one."""
    import crmculture.log as log_module

    old, new = _dated_versions()
    path = _dated_log(tmp_path / "d.log", old)
    by_record = replay(list(read_log(path)), new)
    alone = _spy_on_records(monkeypatch, log_module)
    fast = replay(path, new)
    assert alone == []
    assert fast == by_record
    assert (fast.records, fast.changed, fast.rejected) == (300, 100, ())


def test_a_record_without_its_date_is_rejected_by_both_routes(tmp_path: Path) -> None:
    """A logged record without `as_of`, replayed against a culture that decides by the
    date: the chunked route sends it record by record, where it is rejected for its date."""
    old, new = _dated_versions()
    path = _dated_log(tmp_path / "d.log", old, records=20)
    lines = path.read_text().splitlines(keepends=True)
    record = json.loads(lines[4])
    del record["as_of"]
    lines[4] = json.dumps(record) + "\n"
    path.write_text("".join(lines))
    fast = replay(path, new)
    assert fast == replay(list(read_log(path)), new)
    assert fast.records == 20
    ((reason, count),) = fast.rejected
    assert count == 1
    assert "needs an as-of date" in reason


def test_redecided_counts_of_a_culture_that_decides_by_the_date(tmp_path: Path) -> None:
    """Drift against a new version of a dated culture: the chunked counts equal counting
    each record decided again on its own."""
    from crmculture.drift import DecisionCounts, _redecided, redecide

    old, new = _dated_versions()
    path = _dated_log(tmp_path / "d.log", old)
    chunked = _redecided(path, new)
    by_record = DecisionCounts()
    for decision in redecide(path, new):
        by_record.add(decision)
    assert (chunked.records, dict(chunked.hits)) == (by_record.records, dict(by_record.hits))
    assert chunked.values == by_record.values
    assert dict(chunked.hits) == {"re-verify": 200}


def test_a_line_that_is_not_utf8_is_a_problem_by_both_routes(tmp_path: Path) -> None:
    """Arrow reads text that is not UTF-8 without a word; the record-by-record route says the
    line is not JSON, and the chunked replay must say so too."""
    policy = acme_policy()
    line = log_record(policy.compile()(GOOD, "sales"), {"customer_id": "c1"}).encode()
    path = tmp_path / "d.log"
    path.write_bytes(line + line.replace(b'"c1"', b'"c\xff"') + line)
    chunked = replay(path, policy)
    assert (chunked.records, [p.line for p in chunked.problems]) == (2, [2])
    assert chunked == replay(list(read_log(path)), policy)


@pytest.mark.parametrize(
    "kind", ["culture-text", "matched-text", "as-of-not-a-date", "as-of-date", "deep"]
)
def test_a_chunk_of_records_of_one_wrong_shape_is_read_as_its_records_are(
    tmp_path: Path, kind: str
) -> None:
    """Arrow reads a chunk whose every line has a text culture, a date that is none, or
    nesting deeper than Python reads, as one table; each line is what its own route says
    it is, replayed and counted."""
    policy = acme_policy()
    line = log_record(policy.compile()(GOOD, "sales"), {"customer_id": "c1"}).rstrip("\n")
    path = tmp_path / "d.log"
    path.write_text((_damaged(line, kind) + "\n") * 3)
    assert replay(path, policy) == replay(list(read_log(path)), policy)
    assert _counts(DecisionCounts.from_log(path)) == _counts(_counted_by_hand(path))


# -- counting a log (drift, the HTML report) ------------------------------------------------

COUNT_DAMAGE = [
    "directive-null",
    "directive-gone",
    "department-twice",
    "not-utf8",
    "month-number",
    "month-gone",
    "fingerprint-gone",
    "matched-twice",
]


def _count_damaged(line: str, kind: str) -> str:
    """`_damaged`, and damage that counting reads (the file is written with surrogateescape,
    so that ``\\udcff`` is the byte 0xff)."""
    record = json.loads(line)
    if kind == "department-twice":
        return line.replace('{"culture"', '{"department": "support", "culture"', 1)
    if kind == "not-utf8":
        return line.replace('"keep": {', '"keep": {"name": "\udcff", ', 1)
    changes: dict[str, Callable[[], None]] = {
        "directive-null": lambda: record["directives"].update(route_to=None),
        "directive-gone": lambda: record["directives"].pop("route_to"),
        "month-number": lambda: record["keep"].update(month=11),
        "month-gone": lambda: record["keep"].pop("month", None),
        "fingerprint-gone": lambda: record["culture"].pop("fingerprint"),
        "matched-twice": lambda: record.update(matched=record["matched"] * 2),
    }
    if kind not in changes:
        return _damaged(line, kind)
    changes[kind]()
    return json.dumps(record, sort_keys=True, ensure_ascii=False)


def _counted_by_hand(path: Path) -> DecisionCounts:
    """A log counted record by record, as `DecisionCounts.add` counts."""
    counts = DecisionCounts()
    for item in read_log(path):
        counts.add(item)
    return counts


def _windows_by_hand(path: Path, windows: int, by: str | None) -> list[tuple[str, Any]]:
    """The HTML report's windows, cut record by record as the report always cut them: equal
    runs of records in log order, a problem in the window of the record before it; or by the
    kept field, every problem in the first window."""
    if by is not None:
        groups: dict[str, DecisionCounts] = {}
        loose = DecisionCounts()
        for item in read_log(path):
            if isinstance(item, LogProblem):
                loose.add(item)
                continue
            value = item.keep.get(by)
            groups.setdefault("(none)" if value is None else str(value), DecisionCounts()).add(item)
        parts = [groups[name] for name in sorted(groups)] or [DecisionCounts()]
        parts[0].problems.extend(loose.problems)
        return list(zip(sorted(groups) or ["(empty)"], map(_counts, parts), strict=True))
    total = sum(isinstance(item, LoggedDecision) for item in read_log(path))
    size = max(1, -(-total // windows))
    cut, current, seen = [], DecisionCounts(), 0
    for item in read_log(path):
        if isinstance(item, LoggedDecision) and seen and seen % size == 0:
            cut.append(current)
            current = DecisionCounts()
        current.add(item)
        seen += isinstance(item, LoggedDecision)
    cut.append(current)
    found, start = [], 1
    for part in cut:
        found.append((f"{start:,}-{start + part.records - 1:,}", _counts(part)))
        start += part.records
    return found


def _counts(counts: DecisionCounts) -> tuple[Any, ...]:
    return (
        counts.records,
        counts.hits,
        counts.values,
        counts.departments,
        counts.cultures,
        counts.problems,
    )


def _chunked_windows(path: Path, windows: int, by: str | None) -> list[tuple[str, Any]]:
    from crmculture.html_report import _windows

    names, parts = _windows(path, windows, by, acme_policy())
    return list(zip(names, map(_counts, parts), strict=True))


@settings(deadline=None, max_examples=100)
@given(
    data=st.data(),
    chunk=st.sampled_from([1, 700, 1 << 20]),
    torn=st.booleans(),
    windows=st.integers(1, 5),
    by=st.sampled_from([None, "month"]),
)
def test_chunked_counts_equal_record_by_record(
    data: st.DataObject,
    chunk: int,
    torn: bool,
    windows: int,
    by: str | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Counting an ACME log with damaged lines through Arrow, with chunks of one line, a few
    lines or the whole log, counts what `DecisionCounts.add` counts record by record; and the
    HTML report's windows, equal or by a kept field, are the ones cut record by record."""
    import crmculture.log as log_module

    policy = acme_policy()
    decide = policy.compile()
    lines = []
    for n in range(data.draw(st.integers(1, 12))):
        # Customers of a few kinds too, so that damaged records meet records that count alike.
        customer = data.draw(st.sampled_from(customers(2)) | customers_of(policy))
        department = data.draw(st.sampled_from([None, "sales", "support"]))
        keep = {"customer_id": f"c{n}", "month": data.draw(st.sampled_from(["2026-10", "11"]))}
        line = log_record(decide(customer, department), keep).rstrip("\n")
        if data.draw(st.integers(0, 2)) == 0:
            kind = data.draw(st.sampled_from(COUNT_DAMAGE) | st.sampled_from(DAMAGE))
            line = _count_damaged(line, kind)
        if lines and data.draw(st.booleans()):  # records of one kind, chunks permitting
            line = data.draw(st.sampled_from(lines))
        lines.append(line)
    text = "\n".join(lines) + "\n"
    if torn:
        text = text[: len(text) - 7]
    path = tmp_path_factory.mktemp("log") / "d.log"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    original = log_module.CHUNK_BYTES
    log_module.CHUNK_BYTES = chunk
    try:
        chunked = DecisionCounts.from_log(path, policy=policy)
        cut = _chunked_windows(path, windows, by)
    finally:
        log_module.CHUNK_BYTES = original
    assert _counts(chunked) == _counts(_counted_by_hand(path))
    assert cut == _windows_by_hand(path, windows, by)


@settings(deadline=None, max_examples=60)
@given(
    data=st.data(),
    policy=policies(max_rules=5),
    chunk=st.sampled_from([1, 1500, 1 << 20]),
    alone=st.sampled_from([1, 64]),
    told=st.booleans(),
)
def test_chunked_counts_equal_record_by_record_for_generated_cultures(
    data: st.DataObject,
    policy: Policy,
    chunk: int,
    alone: int,
    told: bool,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Generated cultures (every fact and directive type, lists, decimals, dates): counting
    their logs through Arrow, told the culture or not, counts what is counted record by
    record."""
    import crmculture.log as log_module

    lines = _generated_lines(data, policy)
    path = tmp_path_factory.mktemp("log") / "d.log"
    path.write_text("".join(line + "\n" for line in lines))
    saved = log_module.CHUNK_BYTES, log_module._ALONE
    log_module.CHUNK_BYTES, log_module._ALONE = chunk, alone
    try:
        chunked = DecisionCounts.from_log(path, policy=policy if told else None)
    finally:
        log_module.CHUNK_BYTES, log_module._ALONE = saved
    assert _counts(chunked) == _counts(_counted_by_hand(path))


def test_clean_logs_are_counted_without_reading_records_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The laws above would pass trivially if every record went one by one: a clean log's
    records are read from their text once per kind (what counts alike), not once each."""
    import crmculture.drift as drift_module

    policy = acme_policy()
    path = tmp_path / "d.log"
    with DecisionLog(path) as log:
        for n, customer in enumerate(customers(60)):
            log.write(policy.compile()(customer, "sales"), keep={"customer_id": f"c{n}"})
    read = _spy_on_records(monkeypatch, drift_module)
    counts = DecisionCounts.from_log(path, policy=policy)
    kinds = {(tuple(sorted(r.matched)), json.dumps(r.directives)) for r in read_log(path)}
    assert (counts.records, len(read)) == (60, len(kinds))


def test_a_line_that_is_not_a_record_is_in_the_window_of_the_record_before_it(
    tmp_path: Path,
) -> None:
    """Two windows of two records: a line after the second record belongs to the first
    window, a line before the first record too, one after the third to the second."""
    policy = acme_policy()
    record = log_record(policy.compile()(GOOD, "sales"), {"customer_id": "c"})
    path = tmp_path / "d.log"
    path.write_text("".join(["junk 1\n", record, record, "junk 2\n", record, "junk 3\n", record]))
    cut = _chunked_windows(path, 2, None)
    assert [(name, [p.line for _, p in counts[-1]]) for name, counts in cut] == [
        ("1-2", [1, 4]),
        ("3-4", [6]),
    ]
    assert cut == _windows_by_hand(path, 2, None)


@settings(deadline=None, max_examples=40)
@given(
    data=st.data(),
    chunk=st.sampled_from([1, 700, 1 << 20]),
    torn=st.booleans(),
)
def test_chunked_redecided_counts_equal_record_by_record(
    data: st.DataObject, chunk: int, torn: bool, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """`crmculture drift LOG --culture NEW` counts the log decided again by groups, chunk by
    chunk: the counts, the rejected records and the problems are those of counting
    `redecide`'s records one by one."""
    import crmculture.log as log_module
    from crmculture.drift import _redecided, redecide

    old = acme_policy()
    decide = old.compile()
    lines = []
    for n in range(data.draw(st.integers(1, 12))):
        customer = data.draw(st.sampled_from(customers(2)) | customers_of(old))
        department = data.draw(st.sampled_from([None, "sales", "support"]))
        line = log_record(decide(customer, department), {"customer_id": f"c{n}"}).rstrip("\n")
        if data.draw(st.integers(0, 3)) == 0:
            line = _damaged(line, data.draw(st.sampled_from(DAMAGE)))
        if lines and data.draw(st.booleans()):  # records of one group, chunks permitting
            line = data.draw(st.sampled_from(lines))
        lines.append(line)
    text = "\n".join(lines) + "\n"
    if torn:
        text = text[: len(text) - 7]
    path = tmp_path_factory.mktemp("log") / "d.log"
    path.write_text(text)
    new = old.with_rules(Rule("big", F.annual_volume >= 100_000, {"discount_pct": 12}))
    original = log_module.CHUNK_BYTES
    log_module.CHUNK_BYTES = chunk
    rejected: Counter[str] = Counter()
    try:
        chunked = _redecided(path, new, rejected)
    finally:
        log_module.CHUNK_BYTES = original
    by_hand, rejected_by_hand = DecisionCounts(), Counter[str]()
    for item in redecide(path, new, rejected_by_hand):
        by_hand.add(item)
    assert (_counts(chunked), rejected) == (_counts(by_hand), rejected_by_hand)


def test_windows_by_a_kept_number_are_counted_through_arrow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A window field is read as text first (a date would be a timestamp to Arrow); a field
    whose values are numbers is read as Arrow reads them, not record by record."""
    import crmculture.drift as drift_module

    policy = acme_policy()
    path = tmp_path / "d.log"
    with DecisionLog(path) as log:
        for n, customer in enumerate(customers(60)):
            log.write(policy.compile()(customer, "sales"), keep={"week": n // 20})
    read = _spy_on_records(monkeypatch, drift_module)
    cut = _chunked_windows(path, 10, "week")
    assert [name for name, _ in cut] == ["0", "1", "2"]
    assert cut == _windows_by_hand(path, 10, "week")
    assert len(read) < 60
