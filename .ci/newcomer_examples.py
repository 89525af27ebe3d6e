"""Run what a newcomer reads, the way a newcomer would: on the core install, outside the checkout.

Run by `.ci/newcomer` in a fresh virtual environment with only `pip install .`, from an empty
directory. It runs, and fails on the first thing that does not work:

1. the `pycon` examples of README.md and docs/getting-started.md, as doctests;
2. their `$ crmculture ...` console lines, in a directory where `crmculture example acme -o
   acme.yaml` wrote acme.yaml and the getting-started page's own document is culture.yaml;
3. every example of `crmculture --help` and of each command's `--help`, except those that
   need the user's own customer files or a program other than crmculture.

A command may exit 0 (nothing to report) or 1 (findings, such as a journey over its bound); 2
or anything else is a failure. `crmculture check acme.yaml` must exit 0: the ACME example
ships without an error finding.

Usage: python newcomer_examples.py CHECKOUT   (run from the directory to work in)
"""

from __future__ import annotations

import doctest
import re
import subprocess
import sys
from pathlib import Path

PAGES = ("README.md", "docs/getting-started.md")
COMMANDS = ("check", "decide", "demo", "example", "explain", "journeys", "render")
# Help examples that need what a newcomer does not have yet: their own customer files or
# decision tables, Graphviz, or an extra (`serve` needs the service extra, and would run until
# stopped). Everything else in the help runs.
NEEDS_MORE = re.compile(
    r"customers\.(jsonl|json|csv|parquet)|model\.dmn|\| dot |\| less|^crmculture serve "
)
FINDINGS_OR_OK = (0, 1)
# The shipped example is clean: checking it may not report an error finding.
CLEAN = re.compile(r"^crmculture check acme\.yaml\b")


def run_doctests(page: Path) -> dict[str, object]:
    """Run the page's `pycon` examples; return their globals (the page's names)."""
    text = page.read_text(encoding="utf-8")
    globs: dict[str, object] = {"__name__": page.stem}
    test = doctest.DocTestParser().get_doctest(text, globs, page.name, str(page), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.REPORT_NDIFF)
    runner.run(test, clear_globs=False)
    results = runner.summarize(verbose=False)
    print(f"{page.name}: {results.attempted} doctest examples, {results.failed} failed")
    if results.failed:
        raise SystemExit(f"newcomer: the examples of {page} fail on the core install")
    return test.globs  # a copy of `globs`, holding what the examples defined


def console_commands(text: str, prompt: str) -> list[str]:
    """The `crmculture` commands of a text: lines starting with `prompt` + "crmculture" (or
    "echo", piped into crmculture), joined with their backslash continuations, comments
    removed."""
    commands = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith((prompt + "crmculture", prompt + "echo ")):
            command = line[len(prompt) :]
            while command.rstrip().endswith("\\") and index + 1 < len(lines):
                index += 1
                command = command.rstrip()[:-1] + " " + lines[index].strip()
            commands.append(re.sub(r"\s+#.*$", "", command))
        index += 1
    return commands


def run_command(command: str) -> None:
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, check=False)
    print(f"  exit {result.returncode}: {command[:100]}")
    allowed = (0,) if CLEAN.search(command) else FINDINGS_OR_OK
    if result.returncode not in allowed or "Traceback" in result.stderr:
        sys.stderr.write(result.stdout[-2000:] + result.stderr[-2000:])
        raise SystemExit(f"newcomer: `{command}` failed with exit code {result.returncode}")


def main() -> None:
    checkout = Path(sys.argv[1]).resolve()
    if Path.cwd().resolve().is_relative_to(checkout):
        raise SystemExit("newcomer: run me outside the checkout")
    run_command("crmculture example acme -o acme.yaml")
    for name in PAGES:
        page = checkout / name
        globs = run_doctests(page)
        document = globs.get("document")
        if isinstance(document, str):  # getting-started writes its culture as `document`
            Path("culture.yaml").write_text(document, encoding="utf-8")
        commands = console_commands(page.read_text(encoding="utf-8"), "$ ")
        print(f"{name}: {len(commands)} console commands")
        for command in commands:
            run_command(command)
    for command in (None, *COMMANDS):
        help_text = subprocess.run(
            ["crmculture", *([command] if command else []), "--help"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        examples = [c for c in console_commands(help_text, "  ") if not NEEDS_MORE.search(c)]
        print(f"crmculture {command or ''} --help: {len(examples)} examples")
        for example in examples:
            run_command(example)
    print("newcomer: every example runs on the core install")


if __name__ == "__main__":
    main()
