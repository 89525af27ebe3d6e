"""The command line with an as-of date and governed rules: ``decide``/``explain``/``check``
``--as-of``, and ``check --require-owner``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

CULTURE = """\
format: crmculture/1
name: kyc
facts:
  verified_on: {type: date, optional: true}
  vip: {type: bool}
directives:
  reverify: {type: bool, default: false}
  route_to: {type: text, default: desk}
rules:
  - id: stale
    when: verified_on < as_of - 365 days
    then: {reverify: true}
    owner: kyc-team
  - id: spring-vip
    when: vip
    then: {route_to: vip-desk}
    effective_from: 2026-03-01
    effective_until: 2026-05-31
"""

CUSTOMER = '{"verified_on": "2025-01-15", "vip": true}'

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def culture(tmp_path: Path) -> str:
    path = tmp_path / "kyc.yaml"
    path.write_text(CULTURE)
    return str(path)


def test_decide_as_of_writes_the_date_into_each_decision(
    culture: str, tmp_path: Path, cli: Cli
) -> None:
    """Every decision line carries `as_of`; the rule in force that day decides."""
    customers = tmp_path / "customers.jsonl"
    customers.write_text(CUSTOMER + "\n")
    code, out, _ = cli("decide", culture, str(customers), "--as-of", "2026-04-01")
    decision = json.loads(out)["decision"]
    assert (code, decision["as_of"], decision["directives"]) == (
        0,
        "2026-04-01",
        {"reverify": True, "route_to": "vip-desk"},
    )


def test_explain_as_of_lists_rules_out_of_force(culture: str, cli: Cli) -> None:
    """The explanation's header names the day; a rule past its dates is out of force."""
    code, out, _ = cli("explain", culture, "--customer", CUSTOMER, "--as-of", "2026-06-01")
    assert code == 0
    assert out.splitlines()[0].endswith(", as of 2026-06-01")
    assert "Rules out of force on 2026-06-01:\n  spring-vip: in force from 2026-03-01" in out


@pytest.mark.parametrize("command", ["decide", "explain", "check"])
def test_without_as_of_the_culture_is_refused(
    culture: str, tmp_path: Path, cli: Cli, command: str
) -> None:
    """A culture that uses the as-of date is a usage error without one, naming its rules."""
    args = {
        "decide": [str(tmp_path / "none.jsonl")],
        "explain": ["--customer", CUSTOMER],
        "check": [],
    }[command]
    (tmp_path / "none.jsonl").write_text(CUSTOMER + "\n")
    code, out, err = cli(command, culture, *args)
    assert code == 2
    assert "needs an as-of date: `spring-vip`, `stale` use `as_of`" in err
    assert out == ""


def test_a_date_that_is_not_one_is_a_usage_error(culture: str, cli: Cli) -> None:
    """`--as-of` takes YYYY-MM-DD."""
    code, _, err = cli("explain", culture, "--customer", CUSTOMER, "--as-of", "01/04/2026")
    assert code == 2
    assert "expected a date YYYY-MM-DD, got `01/04/2026`" in err


def test_check_as_of_and_require_owner(culture: str, cli: Cli) -> None:
    """As of a day the culture checks clean; requiring owners finds the rule without one."""
    code, out, _ = cli("check", culture, "--as-of", "2026-04-01")
    assert (code, out.splitlines()[-1]) == (0, "no findings")
    code, out, _ = cli("check", culture, "--as-of", "2026-04-01", "--require-owner", "--json")
    findings = json.loads(out)["findings"]
    assert code == 1
    assert [(f["kind"], f["rules"], f["severity"]) for f in findings] == [
        ("rule_without_owner", ["spring-vip"], "error")
    ]
