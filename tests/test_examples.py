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


def demo_text(*, full: bool = False) -> str:
    """What `crmculture demo` (or `crmculture demo --full`) prints."""
    out = io.StringIO()
    demo.run(out, full=full)
    return out.getvalue()


class TestTheDemo:
    def test_it_fits_a_screen_or_two(self) -> None:
        """By default the demo is at most 70 lines of at most 120 columns."""
        lines = demo_text().splitlines()
        assert len(lines) <= 70
        assert max(len(line) for line in lines) <= 120

    def test_it_tells_the_story_in_the_order_that_matters_to_a_ceo(self) -> None:
        """Same answer everywhere, then the org and its fix, then the verifier, bad data, one
        explained decision and a change replayed over logged decisions; then what to try
        next."""
        text = demo_text()
        headings = [
            "1. Every department gives the same answer",
            "2. A replacement part should not take five departments",
            "3. The verifier checks every customer",
            "4. Bad data is rejected",
            "5. Every decision explains itself",
            "6. A change is replayed over the decisions already made",
            "Try it yourself:",
        ]
        places = [text.index(heading) for heading in headings]
        assert places == sorted(places)

    def test_what_it_shows(self) -> None:
        """The credit hold everywhere, five departments then three, ACME proven clean and the
        planted change's finding, the rejected record, and a decision's reasons."""
        from crmculture.analysis import analyze
        from crmculture.stories import acme_policy

        text = demo_text()
        flat = " ".join(text.split())
        assert text.count("route_to=accounts_receivable  may_ship=false") == 6
        assert "sales -> billing -> accounts_receivable -> engineering -> shipping: resolved" in (
            text
        )
        assert "* max_departments: 5 -> 3" in text
        assert analyze(acme_policy()).findings == ()
        assert "ACME as shipped: 0 findings; the search is complete, so none exists." in text
        proposed = analyze(acme_policy().with_rules(demo._PROPOSED)).findings
        assert [finding.kind for finding in proposed] == ["monotonicity_break"]
        assert " ".join(str(proposed[0]).split()) in flat
        assert "With the change: 1 finding; the search is complete." in text
        assert "rejected: invalid customer: 4 problems" in text
        assert "set by `high-volume-pays-on-time`" in text
        assert "crmculture example acme -o acme.yaml" in text

    def test_the_replay_counts_what_the_change_changes(self) -> None:
        """The replay's figures are those of deciding the same customers with and without
        the change, directly."""
        from crmculture.stories import ACME_DEPARTMENTS, acme_policy

        policy = acme_policy()
        before, after = policy.compile(), policy.with_rules(demo._DISCOUNT).compile()
        changes: dict[tuple[object, object], int] = {}
        total = 0
        for hold in (False, True):
            for days in (0, 12, 45, 75):
                for volume in (9_000, 120_000, 400_000):
                    for tier in ("bronze", "silver", "gold", "platinum"):
                        customer = {
                            "credit_hold": hold,
                            "days_overdue": days,
                            "annual_volume": volume,
                            "tier": tier,
                        }
                        for department in ACME_DEPARTMENTS:
                            total += 1
                            old = before(customer, department)["discount_pct"]
                            new = after(customer, department)["discount_pct"]
                            if old != new:
                                changes[(old, new)] = changes.get((old, new), 0) + 1
        text = demo_text()
        assert f"{total} decisions logged as they were made" in text
        assert f"{sum(changes.values())} of {total} logged decisions would change:" in text
        for (old, new), count in changes.items():
            assert f"discount_pct {old} -> {new}: {count}" in text

    def test_the_planted_finding_is_labelled_planted(self) -> None:
        """A finding planted on purpose is labelled so right after it."""
        from crmculture import Directive, F, Fact, Policy, Rule, Schema
        from crmculture.analysis import check_monotonicity

        schema = Schema([Fact.int("satisfaction", min=0, max=10, better="higher")])
        level = Directive.enum(
            "service_level", ["standard", "priority"], default="standard", monotone=True
        )
        unhappy = Rule("unhappy", when=F.satisfaction < 5, then={"service_level": "priority"})
        findings = check_monotonicity(Policy("p", schema, [level], [unhappy])).findings
        out = io.StringIO()
        demo._findings(out, findings, limit=None, planted=demo._PLANTED)
        lines = out.getvalue().splitlines()
        assert "monotonicity break" in lines[0]
        assert "planted on purpose" in out.getvalue()
        assert "Reward the best customers" in out.getvalue()
        unlabelled = io.StringIO()
        demo._findings(unlabelled, findings, limit=None)
        assert "planted" not in unlabelled.getvalue()

    def test_the_demo_labels_what_it_shows(self) -> None:
        """In the demo itself (short and full), each finding shown is followed by the planted
        label, for ACME as shipped has none; and so is the bad record."""
        for text in (demo_text(), demo_text(full=True)):
            parts = text.split("error: ")[1:]
            assert parts
            for part in parts:
                assert "planted on purpose" in " ".join(part.split("\n\n")[0].split())
            assert "four mistakes planted on purpose" in text

    def test_full_shows_every_trace(self) -> None:
        """--full: four full explanations, the whole batch and the org analysis's flags."""
        text = demo_text(full=True)
        assert text.count("Decision by policy `acme`") == 4
        assert text.count("Rules that did not match:") == 4
        assert "record 4: rejected: invalid customer: 4 problems" in text
        assert "for every customer with not credit_hold and days_overdue > 0 and not" in text
        assert "* dead_ends:" in text
        assert len(text.splitlines()) > len(demo_text().splitlines())

    def test_the_command_runs_it(self) -> None:
        """`crmculture demo` and `crmculture demo --full` print the same as `run`."""
        from crmculture.cli import main

        for args, full in ((["demo"], False), (["demo", "--full"], True)):
            out = io.StringIO()
            assert main(args, out=out) == 0
            assert out.getvalue() == demo_text(full=full)

    def test_it_runs_as_a_module(self) -> None:
        """`python -m crmculture.demo` (and with --full) exits cleanly."""
        for extra in ([], ["--full"]):
            result = subprocess.run(
                [sys.executable, "-m", "crmculture.demo", *extra],
                capture_output=True,
                text=True,
                check=True,
            )
            assert result.stdout.startswith("crmculture demo")


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
    """From the sales door: on hold -> referred to accounts receivable; in good standing ->
    shipping; a few days overdue -> five departments."""
    from crmculture import load

    culture = load(EXAMPLES / "acme-culture.yaml")
    base = {"credit_hold": False, "days_overdue": 0, "annual_volume": 9000, "tier": "gold"}
    on_hold = culture.journey({**base, "credit_hold": True}, "replacement_part", door="sales")
    good = culture.journey(base, "replacement_part", door="sales")
    late = culture.journey({**base, "days_overdue": 12}, "replacement_part", door="sales")
    assert on_hold.routes[0].departments == ("sales",)
    assert on_hold.referral is not None
    assert on_hold.referral.to == "accounts_receivable"
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
    """The shipped culture is proven; the break a proposed rule brings is caught, fixed, and
    the fix proven and reviewed."""
    out = run_script("reward_best_customers.py")
    assert "ACME 2026.11 as shipped: 0 finding(s); complete: True" in out
    assert "ACME with the proposed unhappy-customer rule: 1 finding(s)" in out
    assert "monotonicity break on `service_level`" in out
    assert "set by rule(s): unhappy-customer" in out
    assert "ACME 2026.12, the change fixed: 0 finding(s); complete: True" in out
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
    assert "version 2026.11 -> 2026.12: 6 groups of customers are treated differently" in out
    assert "days_overdue between 46 and 60" in out
    same = run_script(
        "review_policy_change.py", str(EXAMPLES / "acme-culture.yaml"), "examples/acme-culture.yaml"
    )
    assert "0 groups of customers are treated differently" in same


def test_the_decision_service_script() -> None:
    """The decision service example runs as a script."""
    out = run_script("decision_service.py")
    assert [line.split()[0] for line in out.splitlines()] == ["200", "200", "422"]
