"""Scripts for the front line: what staff at each door say to each customer segment."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from crmculture import D, Department, Directive, F, Fact, Handoff, OrgGraph, Policy, Rule, Schema
from crmculture.analysis.org_metrics import analyze_org
from crmculture.analysis.scripts import front_line_scripts
from crmculture.culture import Culture
from crmculture.org import Referral
from crmculture.stories import acme_culture

ROOT = Path(__file__).resolve().parent.parent.parent
CULTURE = str(ROOT / "examples" / "acme-culture.yaml")
Cli = Callable[..., tuple[int, str, str]]


def small(org: OrgGraph) -> Culture:
    schema = Schema([Fact.bool("vip")])
    policy = Policy(
        "small",
        schema,
        [Directive.text("route_to", default="desk")],
        [Rule("vips", F.vip, {"route_to": "partners"}, rationale="VIPs have a partner desk.")],
    )
    return Culture(policy, org)


class TestScripts:
    def test_one_script_per_case_in_the_report_s_order(self) -> None:
        """Every (door, request, segment) case gets its script."""
        culture = acme_culture()
        report = analyze_org(culture)
        scripts = front_line_scripts(culture, report)
        assert [(s.door, s.request, s.segment) for s in scripts] == [
            (c.door, c.request, c.segment) for c in report.cases
        ]

    def test_a_referral_says_its_message_with_the_rationale(self) -> None:
        """Customers on hold hear the referral's message; the why is the credit-hold rule."""
        culture = acme_culture()
        report = analyze_org(culture, doors=["engineering"], requests=["replacement_part"])
        (held,) = [
            s for s in front_line_scripts(culture, report) if str(s.segment) == "credit_hold"
        ]
        assert held.say == (
            "Your account is on hold until accounts receivable clears the balance; "
            "I'll put you through to them."
        )
        assert held.why == ("Whoever the customer talks to sends them to accounts receivable.",)
        assert held.note == ""

    def test_resolving_at_the_door_and_handing_on(self) -> None:
        """The door that resolves says so; a door that hands on names where to and who
        resolves it in the end."""
        org = OrgGraph(
            [Department("desk"), Department("partners", ["quote"])],
            [Handoff("desk", "partners", ["quote"], when=D.route_to == "partners")],
        )
        culture = small(org)
        scripts = {
            (s.door, str(s.segment)): s for s in front_line_scripts(culture, analyze_org(culture))
        }
        assert scripts["partners", "true"].say == "I can take care of your quote right here."
        vip = scripts["desk", "vip"]
        assert vip.say == "Partners takes care of your quote; I'll put you through."
        assert vip.why == ("VIPs have a partner desk.",)
        other = scripts["desk", "not vip"]
        assert other.say == ""
        assert other.note.startswith("a dead end")

    def test_an_outside_referral_without_a_message_names_where_to_go(self) -> None:
        """No message: the script says whom to talk to, about what."""
        culture = small(
            OrgGraph([Department("desk", refers=[Referral("the_bank", ["loan"], outside=True)])])
        )
        (script,) = front_line_scripts(culture, analyze_org(culture))
        assert script.say == "Please talk to the bank about your loan."
        assert str(script) == (
            'loan at desk, every customer:\n  say: "Please talk to the bank about your loan."'
        )


def test_the_command_line_writes_the_scripts(cli: Cli) -> None:
    """`crmculture journeys --scripts`, text and JSON."""
    code, out, _ = cli(
        "journeys", CULTURE, "--request", "replacement_part", "--door", "sales", "--scripts"
    )
    assert code == 1
    assert "scripts for `replacement_part`:" in out
    assert 'say: "Your account is on hold until accounts receivable clears the balance' in out
    code, out, _ = cli(
        "journeys", CULTURE, "--request", "replacement_part", "--door", "sales", "--scripts",
        "--json",
    )  # fmt: skip
    scripts = json.loads(out)["scripts"]
    assert len(scripts) == 4
    assert scripts[-1]["segment"] == "credit_hold"
    assert scripts[-1]["why"] == [
        "Whoever the customer talks to sends them to accounts receivable."
    ]
