"""The `crmculture` command line: check, decide, explain, journeys, render, demo and example.

Run ``crmculture --help`` (or ``python -m crmculture --help``; a bare ``crmculture`` prints the
same); every command has ``--help`` with examples, and ``crmculture --version`` says which
crmculture it is. Mistakes in the command or in the culture file (a missing file, a malformed
document, bad ``--customer`` JSON, an unknown department, request type or door) are one clear
line on standard error, with the problems below it (up to
`crmculture.cli.problems.PROBLEM_LIMIT`; ``--verbose`` shows every one and the detail), and
exit code 2. A command given ``--json`` reports such a mistake as a JSON object on standard
output too. Never a traceback.

Exit codes, for every command:

- 0: done, nothing to report;
- 1: done, and something needs attention: error findings (``check``), records that could not
  be decided (``decide``), journeys with org findings (``journeys``);
- 2: the command could not run: a user mistake, reported in one line;
- 130: interrupted (Ctrl-C);
- 141: the reader of standard output went away (``crmculture decide ... | head -1``): the
  command stopped quietly.

``decide`` streams: records are read, decided and written one at a time, so memory does not
grow with the input.

Its modules: `parser` (every command's options, help and examples), `program` (`main`:
parse, run the command, turn a mistake into one line), `exit_codes`, `problems` (how a
mistake and its problems are shown, as text or JSON), `arguments` (the culture file,
``--customer``, ``--request`` and ``--output``, read the same way by every command), and one
module a command group: `decisions` (``decide``, ``explain``), `check`, `org` (``journeys``,
``render``) and `example` (the example cultures the package carries). The body of ``demo`` is
`crmculture.demo`.
"""

from crmculture.cli.exit_codes import (
    EXIT_CLOSED_PIPE,
    EXIT_FINDINGS,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
)
from crmculture.cli.program import main

__all__ = [
    "EXIT_CLOSED_PIPE",
    "EXIT_FINDINGS",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "main",
]
