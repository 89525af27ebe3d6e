"""The exit codes every command shares, and the error that ends a command with code 2."""

from __future__ import annotations

__all__ = ["EXIT_FINDINGS", "EXIT_OK", "EXIT_USAGE"]

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class _UsageError(Exception):
    """A user mistake: reported in one line, exit code 2."""
