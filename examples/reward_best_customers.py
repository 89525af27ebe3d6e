"""Reward the best customers, and never treat a better one worse.

Run it: ``python examples/reward_best_customers.py``. It asks the verifier for monotonicity
breaks in ACME's policy, shows the one it finds, fixes it and proves the fix. The story is in
docs/tutorials/reward-the-best-customers.md.
"""

from __future__ import annotations

from crmculture import Directive, F, Policy, Rule, analyze, diff
from crmculture.stories import acme_policy


def fixed_policy(policy: Policy) -> Policy:
    """ACME's policy with the call-back of unhappy customers in a directive of its own."""
    rules = [rule for rule in policy.rules if rule.id != "unhappy-customer"]
    rules.append(
        Rule(
            "unhappy-customer",
            when=F.satisfaction < 5,
            then={"call_back_first": True, "notify": "customer_success"},
            rationale="A customer who told us they are unhappy is called back first.",
        )
    )
    callback = Directive.bool("call_back_first", default=False, combine="any")
    return Policy(
        policy.name,
        policy.schema,
        [*policy.directives, callback],
        rules,
        layers=policy.layers,
        departments=policy.departments,
        version="2026.12",
        description=policy.description,
    )


def main() -> int:
    """Find the break, fix it, prove the fix, show what changes."""
    policy = acme_policy()
    report = analyze(policy)
    print(f"ACME {policy.version}: {len(report.findings)} finding(s)")
    for finding in report.findings:
        print(f"  {finding}")
        print(f"  set by rule(s): {', '.join(finding.rules)}")
    fixed = fixed_policy(policy)
    after = analyze(fixed)
    print(f"ACME {fixed.version}: {len(after.findings)} finding(s); complete: {after.complete}")
    changes = diff(policy, fixed)
    print(f"The fix treats {len(changes.regions)} groups of customers differently:")
    for change in sorted({str(c) for region in changes.regions for c in region.changes}):
        print(f"  {change}")
    return 0 if not after.findings else 1


if __name__ == "__main__":
    raise SystemExit(main())
