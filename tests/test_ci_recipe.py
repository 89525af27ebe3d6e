"""The CI recipe of docs/how-to/gate-changes-in-ci.md runs, as written, on the ACME example.

The commands of the GitHub Actions job in the how-to are read from the page (every ``run:``
line that calls ``crmculture``), with ``culture.yaml`` standing for the example document,
and run through the command line: both pass, as the page says (the example culture has no
error finding, and its credit-hold referrals are not dead ends).
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "how-to" / "gate-changes-in-ci.md"
EXAMPLE = ROOT / "examples" / "acme-culture.yaml"

Cli = Callable[..., tuple[int, str, str]]


def recipe_commands() -> list[list[str]]:
    """The ``crmculture`` commands of the how-to's CI job, arguments split, output
    redirections dropped, ``culture.yaml`` replaced by the example."""
    text = PAGE.read_text(encoding="utf-8")
    (job,) = re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)
    commands = []
    for line in re.findall(r"run: (crmculture .*)", job):
        words = shlex.split(line.split(">")[0])
        commands.append([str(EXAMPLE) if word == "culture.yaml" else word for word in words[1:]])
    return commands


def test_the_recipe_has_the_check_and_the_journeys_gate() -> None:
    """The page's job runs `check --json` and a `journeys` gate (the test reads them)."""
    assert [command[0] for command in recipe_commands()] == ["check", "journeys"]


def test_the_journeys_gate_passes_on_the_example(cli: Cli) -> None:
    """The gate exits 0: referrals are not dead ends, and the bound is today's."""
    (command,) = [c for c in recipe_commands() if c[0] == "journeys"]
    code, out, err = cli(*command)
    assert (code, err) == (0, ""), out
    assert out.endswith("\nno findings\n")


def test_check_passes_on_the_example(cli: Cli) -> None:
    """`check` exits 0 with no finding of any severity in the policy, a complete search, and
    no dead end among the org findings."""
    (command,) = [c for c in recipe_commands() if c[0] == "check"]
    code, out, err = cli(*command)
    assert (code, err) == (0, ""), out
    report = json.loads(out)
    assert report["complete"] is True
    assert report["findings"] == []
    assert "dead_end" not in {f["kind"] for f in report["org_findings"]}
