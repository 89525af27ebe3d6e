"""Reward the best customers, and never treat a better one worse.

Run it: ``python examples/reward_best_customers.py``. It proves that ACME's policy as shipped
treats no better customer worse, then tries a proposed change (priority service for unhappy
customers), shows the monotonicity break the verifier finds in it before it ships, fixes the
change and proves the fix. The story is in docs/tutorials/reward-the-best-customers.md.
"""

from __future__ import annotations

from crmculture import Directive, F, Policy, Rule, analyze, diff
from crmculture.stories import acme_policy

RATIONALE = "A customer who told us they are unhappy is called back first."


def proposed_policy(policy: Policy) -> Policy:
    """The proposed change: unhappy customers get priority service (this breaks the rule)."""
    return policy.with_rules(
        Rule(
            "unhappy-customer",
            when=F.satisfaction < 5,
            then={"service_level": "priority", "notify": "customer_success"},
            rationale=RATIONALE,
        )
    )


def fixed_policy(policy: Policy) -> Policy:
    """The change fixed: the call-back of unhappy customers in a directive of its own."""
    callback = Directive.bool("call_back_first", default=False, combine="any")
    return Policy(
        policy.name,
        policy.schema,
        [*policy.directives, callback],
        [
            *policy.rules,
            Rule(
                "unhappy-customer",
                when=F.satisfaction < 5,
                then={"call_back_first": True, "notify": "customer_success"},
                rationale=RATIONALE,
            ),
        ],
        layers=policy.layers,
        departments=policy.departments,
        promises=policy.promises,
        version="2026.12",
        description=policy.description,
    )


def _show(label: str, policy: Policy) -> int:
    report = analyze(policy)
    print(f"{label}: {len(report.findings)} finding(s); complete: {report.complete}")
    for finding in report.findings:
        print(f"  {finding}")
        print(f"  set by rule(s): {', '.join(finding.rules)}")
    return len(report.findings)


def main() -> int:
    """Prove the shipped policy, catch the break in the proposal, fix it, show what changes."""
    policy = acme_policy()
    shipped = _show(f"ACME {policy.version} as shipped", policy)
    proposed = proposed_policy(policy)
    caught = _show("ACME with the proposed unhappy-customer rule", proposed)
    fixed = fixed_policy(policy)
    after = _show(f"ACME {fixed.version}, the change fixed", fixed)
    changes = diff(proposed, fixed)
    print(
        f"The fix treats {len(changes.regions)} groups of customers differently from the proposal:"
    )
    for change in sorted({str(c) for region in changes.regions for c in region.changes}):
        print(f"  {change}")
    return 0 if shipped == 0 and caught > 0 and after == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
