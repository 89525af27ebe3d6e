"""The exit codes every command shares, and the error that ends a command with code 2.

- `EXIT_OK` (0): done, nothing to report;
- `EXIT_FINDINGS` (1): done, and something needs attention;
- `EXIT_USAGE` (2): the command could not run: a user mistake, reported in one line;
- `EXIT_INTERRUPTED` (130): stopped by Ctrl-C (128 + SIGINT, as shells report it);
- `EXIT_CLOSED_PIPE` (141): the reader of standard output went away
  (``crmculture decide ... | head -1``); the command stopped quietly. 128 + SIGPIPE is what
  a shell reports for a program that a closed pipe ends, so ``set -o pipefail`` scripts see
  the same code they would for any other tool, distinct from 1 ("records failed").
"""

from __future__ import annotations

__all__ = ["EXIT_CLOSED_PIPE", "EXIT_FINDINGS", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE"]

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130
EXIT_CLOSED_PIPE = 141


class _UsageError(Exception):
    """A user mistake: reported in one line, exit code 2."""
