"""Judge a CRM initiative by its warning signs: a policy over the project itself.

Run it: ``python examples/crm_initiative.py``. The number of departments a customer talks to
comes from the org analysis of ACME's culture, before and after a merger. The story is in
docs/tutorials/crm-initiative.md.
"""

from __future__ import annotations

from pathlib import Path

from crmculture import load, load_policy
from crmculture.analysis import analyze_org

EXAMPLES = Path(__file__).parent


def main() -> int:
    """Judge the same project three times: as it is, after the merger, done in order."""
    decide = load_policy(EXAMPLES / "crm-initiative.yaml").compile()
    acme = load(EXAMPLES / "acme-culture.yaml")
    merged = acme.with_org(
        acme.org.merge(["sales", "billing", "accounts_receivable"], into="commercial")
    )
    project = {
        "culture_defined_first": False,
        "executive_sponsor": True,
        "departments_agree_on_treatment": True,
        "software_chosen_before_process": True,
        "data_quality_pct": 72,
        "departments_per_request": analyze_org(acme).total.max_departments,
        "phase": "selection",
    }
    cases = {
        "software first, org as it is": project,
        "software first, after the merger": {
            **project,
            "departments_per_request": analyze_org(merged).total.max_departments,
        },
        "rolling out anyway": {**project, "phase": "rollout"},
        "culture first, clean data": {
            **project,
            "culture_defined_first": True,
            "software_chosen_before_process": False,
            "data_quality_pct": 95,
            "departments_per_request": 3,
        },
    }
    for name, facts in cases.items():
        decision = decide(facts)
        verdict = "proceed" if decision["proceed"] else "stop"
        print(f"{name}: risk {decision['risk_level']}, {verdict}")
        for warning in decision["warning"]:
            print(f"  - {warning}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
