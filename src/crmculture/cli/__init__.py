"""The `crmculture` command line: check, decide, explain, journeys, render and demo.

Run ``crmculture --help`` (or ``python -m crmculture --help``); every command has ``--help``
with examples. Mistakes in the command or in the culture file (a missing file, a malformed
document, bad ``--customer`` JSON, an unknown department, request type or door) are one clear
line on standard error and exit code 2; ``--verbose`` adds the detail. Never a traceback.

Exit codes, for every command:

- 0: done, nothing to report;
- 1: done, and something needs attention: error findings (``check``), records that could not
  be decided (``decide``), journeys with org findings (``journeys``);
- 2: the command could not run: a user mistake, reported in one line.

``decide`` streams: records are read, decided and written one at a time, so memory does not
grow with the input.

Its modules: `parser` (every command's options, help and examples), `program` (`main`:
parse, run the command, turn a mistake into one line), `exit_codes`, `arguments` (the culture
file, ``--customer``, ``--request`` and ``--output``, read the same way by every command),
and one module a command group: `decisions` (``decide``, ``explain``), `check`, and `org`
(``journeys``, ``render``). The body of ``demo`` is `crmculture.demo`.
"""

from crmculture.cli.exit_codes import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from crmculture.cli.program import main

__all__ = ["EXIT_FINDINGS", "EXIT_OK", "EXIT_USAGE", "main"]
