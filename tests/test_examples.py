"""The demo and the examples run, and say what they promise."""

from __future__ import annotations

import io
import json
import runpy
import subprocess
import sys
from pathlib import Path

from crmculture import demo

EXAMPLES = Path(__file__).parent.parent / "examples"


def test_the_demo_decides_and_explains_several_customers() -> None:
    """`make demo` prints at least three decisions, each with its explanation."""
    out = io.StringIO()
    demo.run(out)
    text = out.getvalue()
    assert text.count("Decision by policy `acme`") >= 3
    assert text.count("Rules that did not match:") >= 3
    assert "record 4: rejected: invalid customer: 4 problems" in text
    assert text.count("route_to=accounts_receivable  may_ship=false") == 6
    assert "sales -> billing -> accounts_receivable -> engineering -> shipping (resolved" in text
    assert "monotonicity break on `service_level`" in text
    assert "* max_departments: 5 -> 3" in text
    assert "for every customer with not credit_hold and days_overdue > 0 and not" in text
    assert "1 finding in all; the search is complete" in text
    assert "crmculture journeys examples/acme-culture.yaml" in text


def test_the_demo_runs_as_a_module() -> None:
    """`python -m crmculture.demo` exits cleanly."""
    result = subprocess.run(
        [sys.executable, "-m", "crmculture.demo"], capture_output=True, text=True, check=True
    )
    assert "crmculture demo" in result.stdout


def test_the_decision_service_example(capsys: object) -> None:
    """The service example answers 200, 200, then 422 with the problems."""
    namespace = runpy.run_path(str(EXAMPLES / "decision_service.py"))
    status, body = namespace["handle"](
        json.dumps(
            {
                "department": "sales",
                "customer": {"credit_hold": "no", "tier": "diamond"},
            }
        )
    )
    assert status == 422
    paths = [problem["path"] for problem in json.loads(body)["problems"]]
    assert paths == [
        "customer.credit_hold",
        "customer.days_overdue",
        "customer.annual_volume",
        "customer.tier",
    ]
    status, body = namespace["handle"](
        json.dumps(
            {
                "department": "engineering",
                "customer": {
                    "credit_hold": True,
                    "days_overdue": 0,
                    "annual_volume": 1,
                    "tier": "gold",
                },
            }
        )
    )
    assert status == 200
    assert json.loads(body)["directives"]["route_to"] == "accounts_receivable"


def test_the_example_culture_document_is_the_acme_culture() -> None:
    """examples/acme-culture.yaml loads to the built-in ACME culture and decides the stories."""
    from crmculture import load, load_policy
    from crmculture.stories import acme_culture, acme_policy

    culture = load(EXAMPLES / "acme-culture.yaml")
    assert culture == acme_culture()
    policy = load_policy(EXAMPLES / "acme-culture.yaml")
    assert policy == acme_policy()
    assert policy.fingerprint == acme_policy().fingerprint
    decide = policy.compile()
    on_hold = {"credit_hold": True, "days_overdue": 0, "annual_volume": 9000, "tier": "gold"}
    for department in ("sales", "engineering", "support"):
        assert decide(on_hold, department)["route_to"] == "accounts_receivable"
    gold = {**on_hold, "credit_hold": False, "annual_volume": 300_000}
    assert decide(gold, "sales")["service_level"] == "white_glove"


def test_the_example_culture_walks_the_replacement_part_story() -> None:
    """From the sales door: on hold -> accounts receivable; in good standing -> shipping;
    a few days overdue -> five departments."""
    from crmculture import load

    culture = load(EXAMPLES / "acme-culture.yaml")
    base = {"credit_hold": False, "days_overdue": 0, "annual_volume": 9000, "tier": "gold"}
    on_hold = culture.journey({**base, "credit_hold": True}, "replacement_part", door="sales")
    good = culture.journey(base, "replacement_part", door="sales")
    late = culture.journey({**base, "days_overdue": 12}, "replacement_part", door="sales")
    assert on_hold.routes[0].departments == ("sales", "accounts_receivable")
    assert good.routes[0].departments == ("sales", "engineering", "shipping")
    assert good.resolved
    assert len(late.routes[0].departments) == 5


def run_script(name: str, *args: str) -> str:
    """Run an example script with this interpreter; it must exit 0. Return its output."""
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=EXAMPLES.parent,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def test_the_credit_hold_script() -> None:
    """Every department routes to accounts receivable, proven for every customer."""
    out = run_script("credit_hold.py")
    assert out.count("route_to=accounts_receivable  may_ship=False  may_quote=False") == 6
    assert "no customer is treated differently" in out
    assert "sales -> accounts_receivable (resolved, 1 handoff, 5 minutes)" in out


def test_the_reward_best_customers_script() -> None:
    """The monotonicity break is found, fixed, and the fix proven and reviewed."""
    out = run_script("reward_best_customers.py")
    assert "ACME 2026.11: 1 finding(s)" in out
    assert "monotonicity break on `service_level`" in out
    assert "ACME 2026.12: 0 finding(s); complete: True" in out
    assert 'service_level: "priority" -> "standard"' in out


def test_the_replacement_part_script() -> None:
    """Five departments today, three after the merger."""
    out = run_script("replacement_part.py", "--mermaid")
    assert (
        "12 days overdue   sales -> billing -> accounts_receivable -> engineering -> shipping"
        in out
    )
    assert "`replacement_part` from `sales` touches 5 departments" in out
    assert "* max_departments: 5 -> 3" in out
    assert "commercial -> engineering -> shipping (resolved" in out
    assert "flowchart LR" in out


def test_the_profitable_customer_script() -> None:
    """Segments, offers and retention actions; the verifier finds nothing."""
    out = run_script("profitable_customer.py")
    assert "the star            segment=most_profitable" in out
    assert "busy, unprofitable  segment=unprofitable" in out
    assert "offer=pilot_project" in out
    assert "verifier: 0 findings, complete: True" in out


def test_the_crm_initiative_script() -> None:
    """The warning signs, with the org analysis feeding the department count."""
    out = run_script("crm_initiative.py")
    assert "software first, org as it is: risk high, proceed" in out
    assert "customers talk to five or more departments for one request" in out
    assert "rolling out anyway: risk critical, stop" in out
    assert "culture first, clean data: risk low, proceed" in out


def test_the_review_script(tmp_path: Path) -> None:
    """The review of a policy change names the changed customers."""
    out = run_script("review_policy_change.py")
    assert "version 2026.11 -> 2026.12: 10 groups of customers are treated differently" in out
    assert "days_overdue between 46 and 60" in out
    same = run_script(
        "review_policy_change.py", str(EXAMPLES / "acme-culture.yaml"), "examples/acme-culture.yaml"
    )
    assert "0 groups of customers are treated differently" in same


def test_the_decision_service_script() -> None:
    """The decision service example runs as a script."""
    out = run_script("decision_service.py")
    assert [line.split()[0] for line in out.splitlines()] == ["200", "200", "422"]
