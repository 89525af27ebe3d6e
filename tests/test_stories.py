"""The story builders: the culture files in examples/ are the stories, the stories keep their
promises, and the tutorials show what the code draws today."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crmculture import analyze, load_policy
from crmculture.model import Policy
from crmculture.org.render import to_condensed_dot
from crmculture.stories import acme_culture, crm_initiative_policy, profitable_customer_policy

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "examples"
TUTORIALS = ROOT / "docs" / "tutorials"


@pytest.mark.parametrize(
    ("document", "policy"),
    [
        ("profitable-customers.yaml", profitable_customer_policy()),
        ("crm-initiative.yaml", crm_initiative_policy()),
    ],
    ids=["profitable-customers", "crm-initiative"],
)
class TestStoryDocuments:
    def test_the_document_is_the_story(self, document: str, policy: Policy) -> None:
        """examples/<name>.yaml loads to the policy the story builder builds."""
        loaded = load_policy(EXAMPLES / document)
        assert loaded == policy
        assert loaded.fingerprint == policy.fingerprint

    def test_the_story_keeps_its_promises(self, document: str, policy: Policy) -> None:
        """No conflicts, gaps, dead rules or monotonicity breaks, proven over every customer."""
        report = analyze(policy)
        assert report.complete
        assert report.findings == ()


class TestProfitableCustomers:
    def test_a_better_customer_is_never_in_a_lower_segment(self) -> None:
        """More revenue at a better margin: the same segment or a higher one."""
        decide = profitable_customer_policy().compile()
        order = profitable_customer_policy().directive("segment").values
        assert order is not None
        base = {"years_as_customer": 1, "churn_risk": "low"}
        previous = -1
        for revenue, margin in [(0, -10.0), (50_000, 10.0), (150_000, 25.0), (600_000, 40.0)]:
            segment = decide({**base, "annual_revenue": revenue, "margin_pct": margin})["segment"]
            assert order.index(segment) >= previous
            previous = order.index(segment)


class TestCrmInitiative:
    def test_every_warning_sign_at_once(self) -> None:
        """A project with every sign gets every warning, a critical risk, and a stop."""
        decision = crm_initiative_policy().compile()(
            {
                "culture_defined_first": False,
                "executive_sponsor": False,
                "departments_agree_on_treatment": False,
                "software_chosen_before_process": True,
                "data_quality_pct": 40,
                "departments_per_request": 6,
                "phase": "rollout",
            }
        )
        assert decision["risk_level"] == "critical"
        assert decision["proceed"] is False
        assert len(decision["warning"]) == 6


class TestReplacementPartTutorial:
    TEXT = (TUTORIALS / "replacement-part.md").read_text(encoding="utf-8")

    def test_the_first_diagram_is_the_golden_file(self) -> None:
        """The 'today' diagram is included from the golden file that test_render checks."""
        assert '```dot\n--8<-- "tests/org/golden/acme-condensed.dot"\n```' in self.TEXT

    def test_the_merged_diagram_is_what_to_condensed_dot_draws(self) -> None:
        """The 'after the merger' diagram is exactly to_condensed_dot's output today."""
        culture = acme_culture()
        merged = culture.with_org(
            culture.org.merge(["sales", "billing", "accounts_receivable"], into="commercial")
        )
        late = {"credit_hold": False, "days_overdue": 12, "annual_volume": 9000, "tier": "gold"}
        journey = merged.journey(late, "replacement_part", door="commercial")
        inline = [
            block
            for block in re.findall(r"```dot\n(.*?)\n```", self.TEXT, flags=re.DOTALL)
            if not block.startswith("--8<--")
        ]
        assert inline == [to_condensed_dot(merged.org, journey=journey)]
