"""Review a policy change: which customers the new version treats differently, and how.

Run it in CI on the culture document before and after a change, for example::

    git show origin/main:culture.yaml > /tmp/culture-main.yaml
    python examples/review_policy_change.py /tmp/culture-main.yaml culture.yaml

With no arguments it reviews a sample change to ACME's culture (credit hold after 45 days
overdue instead of 60). The exit code is 0; the report is for the people who approve the
change. See docs/how-to/gate-changes-in-ci.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

from crmculture import diff, load_policy
from crmculture.model import Policy

EXAMPLES = Path(__file__).parent


def review(old: Policy, new: Policy, *, limit: int = 10) -> str:
    """The change impact of `new` over `old`, as text for a pull-request comment."""
    changes = diff(old, new)
    lines = [
        f"policy `{new.name}`: version {old.version} -> {new.version}: "
        f"{len(changes.regions)} groups of customers are treated differently"
    ]
    if changes.added_directives:
        lines.append(f"new directives: {', '.join(changes.added_directives)}")
    if changes.removed_directives:
        lines.append(f"removed directives: {', '.join(changes.removed_directives)}")
    for region in changes.regions[:limit]:
        lines.append(f"- {region}")
        example = ", ".join(f"{fact}={value}" for fact, value in region.customer)
        lines.append(f"  for example {example}")
    if len(changes.regions) > limit:
        lines.append(f"... and {len(changes.regions) - limit} more")
    if not changes.complete:
        lines.append("the search was cut short: other customers may be affected too")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """Review the change from the first culture document to the second."""
    if len(argv) == 2:
        old, new = load_policy(Path(argv[0])), load_policy(Path(argv[1]))
    else:
        text = (EXAMPLES / "acme-culture.yaml").read_text(encoding="utf-8")
        old = load_policy(text)
        new = load_policy(
            text.replace("days_overdue > 60", "days_overdue > 45").replace(
                'version: "2026.11"', 'version: "2026.12"'
            )
        )
    print(review(old, new, limit=3))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
