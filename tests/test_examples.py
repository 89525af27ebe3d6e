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
