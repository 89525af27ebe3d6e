"""Drift between two sets of logged decisions: the index, the report, the command line."""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmculture import F, Rule
from crmculture.drift import (
    MODERATE,
    SIGNIFICANT,
    SMOOTHING,
    DecisionCounts,
    drift,
    level_of,
    psi,
    redecide,
)
from crmculture.log import DecisionLog, LoggedDecision
from crmculture.stories import acme_policy

Cli = Callable[..., tuple[int, str, str]]
CULTURE = str(Path(__file__).parent.parent / "examples" / "acme-culture.yaml")
GOOD = {"credit_hold": False, "days_overdue": 0, "annual_volume": 9000, "tier": "gold"}

counts = st.dictionaries(st.sampled_from("abcdef"), st.integers(0, 1_000), max_size=6)


def write_log(path: Path, volumes: list[int], department: str = "sales") -> Path:
    decide = acme_policy().compile()
    with DecisionLog(path) as log:
        for n, volume in enumerate(volumes):
            customer = {**GOOD, "annual_volume": volume, "tier": "silver"}
            log.write(decide(customer, department), keep={"customer_id": f"c{n}"})
    return path


def by_hand(baseline: dict[str, int], current: dict[str, int]) -> float:
    """The index as the module's docstring defines it, written out again."""
    categories = set(baseline) | set(current)
    b = {c: baseline.get(c, 0) + SMOOTHING for c in categories}
    n = {c: current.get(c, 0) + SMOOTHING for c in categories}
    bt, nt = sum(b.values()), sum(n.values())
    return sum((n[c] / nt - b[c] / bt) * math.log((n[c] / nt) / (b[c] / bt)) for c in categories)


@given(counts, counts)
def test_the_index_is_the_documented_formula(a: dict[str, int], b: dict[str, int]) -> None:
    assert psi(a, b) == pytest.approx(by_hand(a, b), abs=1e-9)


@given(counts, counts)
def test_the_index_is_symmetric_and_never_negative(a: dict[str, int], b: dict[str, int]) -> None:
    assert psi(a, b) == pytest.approx(psi(b, a), abs=1e-9)
    assert psi(a, b) >= 0


@given(counts)
def test_equal_distributions_do_not_drift(a: dict[str, int]) -> None:
    assert psi(a, a) == 0
    assert level_of(psi(a, a)) == "stable"


def test_levels_follow_the_thresholds() -> None:
    assert level_of(MODERATE - 1e-9) == "stable"
    assert level_of(MODERATE) == "moderate"
    assert level_of(SIGNIFICANT - 1e-9) == "moderate"
    assert level_of(SIGNIFICANT) == "significant"


def test_a_category_seen_in_one_window_only_gives_a_finite_index() -> None:
    assert 0 < psi({"a": 100}, {"b": 100}) < math.inf


def test_two_windows_of_a_log(tmp_path: Path) -> None:
    before = write_log(tmp_path / "q1.log", [10] * 90 + [300_000] * 10)
    after = write_log(tmp_path / "q2.log", [10] * 50 + [300_000] * 50)
    found = drift(before, after, policy=acme_policy())
    assert (found.baseline_records, found.current_records) == (100, 100)
    flagged = {(s.kind, s.name) for s in found.flagged}
    assert ("directive", "discount_pct") in flagged
    assert ("rule", "high-volume-pays-on-time") in flagged
    department = next(s for s in found.shifts if s.kind == "department")
    assert (department.level, department.baseline, department.current) == (
        "stable",
        (("sales", 100),),
        (("sales", 100),),
    )
    rule = next(s for s in found.shifts if s.name == "high-volume-pays-on-time")
    assert dict(rule.baseline) == {"hit": 10, "miss": 90}
    assert dict(rule.current) == {"hit": 50, "miss": 50}
    assert found.significant
    # the credit-hold rules never fire for these customers, in either window
    assert "credit-hold" in found.never_fired
    assert found.fired_before == ()
    assert "significant: directive discount_pct" in found.text()


def test_a_rule_that_stopped_firing_is_named(tmp_path: Path) -> None:
    before = write_log(tmp_path / "q1.log", [10] * 50 + [300_000] * 50)
    after = write_log(tmp_path / "q2.log", [10] * 100)
    found = drift(before, after, policy=acme_policy())
    assert "high-volume-pays-on-time" in found.fired_before
    assert "(fired in the baseline)" in found.text()


def test_the_department_mix(tmp_path: Path) -> None:
    before = write_log(tmp_path / "a.log", [10] * 100, "sales")
    after = write_log(tmp_path / "b.log", [10] * 100, "support")
    found = drift(before, after)
    department = next(s for s in found.shifts if s.kind == "department")
    assert department.level == "significant"


def test_the_report_does_not_depend_on_the_order_of_the_decisions(tmp_path: Path) -> None:
    volumes = [10] * 30 + [300_000] * 20 + [120_000] * 10
    shuffled = volumes[:]
    random.Random(7).shuffle(shuffled)
    before = write_log(tmp_path / "a.log", [10] * 60)
    one = drift(before, write_log(tmp_path / "b.log", volumes), policy=acme_policy())
    two = drift(before, write_log(tmp_path / "c.log", shuffled), policy=acme_policy())
    assert one.to_dict() == two.to_dict()


def test_lines_that_are_not_records_are_reported_not_counted(tmp_path: Path) -> None:
    before = write_log(tmp_path / "a.log", [10] * 5)
    after = write_log(tmp_path / "b.log", [10] * 5)
    with after.open("a", encoding="utf-8") as handle:
        handle.write('not json\n{"log": 1, "culture"')
    found = drift(before, after)
    assert found.current_records == 5
    assert [(side, p.line) for side, p in found.problems] == [("current", 6), ("current", 7)]
    assert found.problems[1][1].torn


def test_decisions_and_log_records_count_alike(tmp_path: Path) -> None:
    decide = acme_policy().compile()
    customers = [{**GOOD, "annual_volume": v, "tier": "silver"} for v in (10, 300_000, 90)]
    decisions = [decide(c, "sales") for c in customers]
    path = tmp_path / "a.log"
    with DecisionLog(path) as log:
        for decision in decisions:
            log.write(decision)
    from_log = drift(path, path)
    from_objects = drift(decisions, decisions)
    assert from_log.to_dict() == from_objects.to_dict()


def test_two_versions_over_one_log(tmp_path: Path) -> None:
    old = acme_policy()
    path = write_log(tmp_path / "a.log", [1_000 * n for n in range(100)])
    new = old.with_rules(Rule("big-discount", F.annual_volume >= 50_000, {"discount_pct": 12}))
    rejected: Counter[str] = Counter()
    current = list(redecide(path, new, rejected))
    assert len(current) == 100
    assert not rejected
    decide = new.compile()
    for record in current:
        assert isinstance(record, LoggedDecision)
        expected = decide(new.schema.parse(record.facts), "sales")
        assert record.fingerprint == expected.fingerprint
        assert record.matched == expected.matched
    found = drift(path, current, policy=new)
    shift = next(s for s in found.shifts if s.name == "big-discount")
    assert dict(shift.baseline) == {"hit": 0, "miss": 100}
    assert dict(shift.current) == {"hit": 50, "miss": 50}
    assert shift.level == "significant"


def test_redecide_counts_what_the_new_culture_cannot_decide(tmp_path: Path) -> None:
    import attrs

    from crmculture import Fact, Schema

    old = acme_policy()
    path = write_log(tmp_path / "a.log", [10, 20])
    wider = Schema([*old.schema, Fact.enum("segment", ["smb", "enterprise"])])
    rejected: Counter[str] = Counter()
    assert list(redecide(path, attrs.evolve(old, schema=wider), rejected)) == []
    assert rejected == {"invalid facts: customer.segment: required fact is missing": 2}


def test_drift_on_the_command_line(cli: Cli, tmp_path: Path) -> None:
    before = write_log(tmp_path / "q1.log", [10] * 90 + [300_000] * 10)
    after = write_log(tmp_path / "q2.log", [10] * 50 + [300_000] * 50)
    code, out, _ = cli("drift", str(before), str(after), "--culture", CULTURE)
    assert code == 1
    assert "significant: directive discount_pct" in out
    code, out, _ = cli("drift", str(before), str(before), "--json")
    document: dict[str, Any] = json.loads(out)
    assert (code, document["flagged"]) == (0, [])
    assert document["thresholds"] == {"moderate": MODERATE, "significant": SIGNIFICANT}


def test_drift_of_a_new_version_on_the_command_line(cli: Cli, tmp_path: Path) -> None:
    log = write_log(tmp_path / "q1.log", [10] * 50)
    code, out, _ = cli("drift", str(log), "--culture", CULTURE, "--json")
    document = json.loads(out)
    assert (code, document["flagged"], document["rejected"]) == (0, [], {})
    assert document["current_records"] == 50


def test_a_side_without_decisions_is_not_called_stable(cli: Cli, tmp_path: Path) -> None:
    """Empty or unreadable logs compare nothing: the report says so and the command exits 1,
    so that a drift gate does not pass on no evidence."""
    log = write_log(tmp_path / "q1.log", [10] * 5)
    empty = tmp_path / "empty.log"
    empty.write_text("")
    garbage = tmp_path / "garbage.log"
    garbage.write_bytes(b"\xff\xfe not a record\n")
    found = drift(log, garbage)
    assert (found.compared, found.current_records, len(found.problems)) == (False, 0, 1)
    assert "  nothing to compare: no current decisions" in found.text()
    assert "stable" not in found.text()
    assert drift(empty, empty).text().splitlines()[1] == (
        "  nothing to compare: no baseline and no current decisions"
    )
    assert drift(log, log).compared
    code, out, _ = cli("drift", str(empty), str(log), "--json")
    assert (code, json.loads(out)["compared"]) == (1, False)
    code, _, _ = cli("drift", str(log), str(log))
    assert code == 0


def test_drift_mistakes_are_one_line(cli: Cli, tmp_path: Path) -> None:
    log = write_log(tmp_path / "q1.log", [10])
    code, _, err = cli("drift", str(log))
    assert code == 2
    assert "give a second log" in err
    code, _, err = cli("drift", str(tmp_path / "none.log"), str(log))
    assert code == 2
    assert "no such file" in err


json_values = st.one_of(
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=False, allow_infinity=False, width=16),
    st.text(max_size=3),
    st.none(),
    st.lists(st.text(max_size=2), max_size=3),
    st.lists(st.one_of(st.booleans(), st.integers(0, 2)), max_size=3),
)


@given(st.lists(st.dictionaries(st.sampled_from(["a", "b"]), json_values), max_size=30))
def test_values_are_counted_as_their_json_text(rows: list[dict[str, Any]]) -> None:
    counts = DecisionCounts()
    for n, directives in enumerate(rows):
        counts.add(LoggedDecision(n, {}, None, {}, directives, (), "", {}))
    naive: dict[str, Counter[str]] = {}
    for directives in rows:
        for name, value in directives.items():
            text = json.dumps(value, sort_keys=True, ensure_ascii=False)
            naive.setdefault(name, Counter())[text] += 1
    assert counts.values == naive


def test_redecide_decides_as_of_the_logged_date(tmp_path: Path) -> None:
    import datetime as dt

    from crmculture import AS_OF, Directive, Fact, Policy, Schema

    schema = Schema([Fact.date("verified_on")])
    route = Directive.text("route_to", default="frontline")
    old = Policy("p", schema, [route], [
        Rule("re-verify", F.verified_on < AS_OF.minus(days=365), {"route_to": "data_desk"})
    ])  # fmt: skip
    new = Policy("p", schema, [route], [
        Rule("re-verify", F.verified_on < AS_OF.minus(days=180), {"route_to": "data_desk"})
    ], version="2")  # fmt: skip
    path = tmp_path / "d.log"
    day = dt.date(2026, 12, 1)
    with DecisionLog(path) as log:
        for days in (10, 200, 400):
            customer = {"verified_on": day - dt.timedelta(days=days)}
            log.write(old.compile()(customer, as_of=day))
    rejected: Counter[str] = Counter()
    records = list(redecide(path, new, rejected))
    assert not rejected
    assert [r.directives["route_to"] for r in records] == ["frontline", "data_desk", "data_desk"]
    assert all(isinstance(r, LoggedDecision) and r.as_of == day for r in records)
