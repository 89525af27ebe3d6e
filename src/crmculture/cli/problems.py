"""How the command line shows what went wrong: an error in one line, then its problems, up to
`PROBLEM_LIMIT` of them and a count of the rest; or, with ``--json``, one JSON object.

Every command reports a mistake the same way (see `crmculture.cli.program.main`); a command
that has problems of its own to show (an invalid customer, say) calls `_write_problems`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import IO, Any

from crmculture.errors import Problem

__all__ = ["PROBLEM_LIMIT"]

PROBLEM_LIMIT = 10
"""The most problems shown by default; ``--verbose`` shows every one."""


def _write_problems(
    stream: IO[str],
    problems: Sequence[Problem | str],
    *,
    verbose: bool = False,
    limit: int = PROBLEM_LIMIT,
    indent: str = "  - ",
) -> None:
    """Write one line per problem, at most `limit` of them unless `verbose`, then a count of
    those left out.

    Examples:
        >>> import sys
        >>> problems = [Problem(("customer", f"f{i}"), "required fact is missing")
        ...             for i in range(4)]
        >>> _write_problems(sys.stdout, problems, limit=2)
          - customer.f0: required fact is missing
          - customer.f1: required fact is missing
          ... and 2 more problems (run with --verbose for every one)
    """
    shown = problems if verbose else problems[:limit]
    for problem in shown:
        text = str(problem).replace("\n", "\n" + " " * len(indent))
        stream.write(f"{indent}{text}\n")
    left = len(problems) - len(shown)
    if left:
        noun = "problem" if left == 1 else "problems"
        stream.write(f"{' ' * (len(indent) - 2)}... and {left} more {noun} ")
        stream.write("(run with --verbose for every one)\n")


def _problem_document(problem: Problem) -> dict[str, Any]:
    """A problem as JSON: its path as text, its message, and its line and column when known."""
    document: dict[str, Any] = {"path": problem.path_text, "message": problem.message}
    if problem.line is not None:
        document["line"] = problem.line
    if problem.column is not None:
        document["column"] = problem.column
    return document


def _error_document(message: str, problems: Sequence[Problem], exit_code: int) -> dict[str, Any]:
    """A mistake as JSON (``--json``): ``{"error", "problems", "exit_code"}``.

    Examples:
        >>> _error_document("culture file `x.yaml` does not exist", [], 2)
        {'error': 'culture file `x.yaml` does not exist', 'problems': [], 'exit_code': 2}
    """
    return {
        "error": message,
        "problems": [_problem_document(problem) for problem in problems],
        "exit_code": exit_code,
    }


def _write_json(stream: IO[str], document: dict[str, Any]) -> None:
    """Write a JSON document the way every ``--json`` does: indented, keys sorted."""
    stream.write(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
