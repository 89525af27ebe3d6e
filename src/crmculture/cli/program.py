"""`main`: parse the arguments, run the command, and turn a mistake into one line on
standard error (its problems below it, up to a limit) and exit code 2, or, with ``--json``,
into a JSON object on standard output as well."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from collections.abc import Callable, Sequence
from typing import IO

from crmculture.cli.adherence import _adherence
from crmculture.cli.check import _check
from crmculture.cli.convert import _convert
from crmculture.cli.decisions import _decide, _explain, _replay
from crmculture.cli.diff import _diff
from crmculture.cli.drift import _drift
from crmculture.cli.example import _example
from crmculture.cli.exit_codes import (
    EXIT_CLOSED_PIPE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    _UsageError,
)
from crmculture.cli.org import _journeys, _render
from crmculture.cli.parser import _parser
from crmculture.cli.problems import _error_document, _write_json, _write_problems
from crmculture.cli.quality import _quality
from crmculture.cli.report import _html_report
from crmculture.cli.serve import _serve
from crmculture.demo import run as run_demo
from crmculture.errors import CrmCultureError, Problem, _ProblemsError

__all__ = ["main"]


def _demo(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    run_demo(out, full=args.full)
    return EXIT_OK


_COMMANDS: dict[str, Callable[[argparse.Namespace, IO[str], IO[str]], int]] = {
    "adherence": lambda args, out, err: _adherence(args, out),
    "check": lambda args, out, err: _check(args, out),
    "convert": lambda args, out, err: _convert(args, out),
    "decide": _decide,
    "demo": _demo,
    "diff": lambda args, out, err: _diff(args, out),
    "drift": lambda args, out, err: _drift(args, out),
    "example": lambda args, out, err: _example(args, out),
    "explain": lambda args, out, err: _explain(args, out),
    "journeys": lambda args, out, err: _journeys(args, out),
    "quality": lambda args, out, err: _quality(args, out),
    "render": lambda args, out, err: _render(args, out),
    "report": _html_report,
    "replay": lambda args, out, err: _replay(args, out),
    "serve": _serve,
}


class _Mistake(Exception):
    """A mistake to report: its one-line message, the lines shown below it, the problems
    its JSON object lists, and detail for --verbose."""

    def __init__(
        self,
        message: str,
        lines: Sequence[Problem | str] = (),
        problems: Sequence[Problem] = (),
        detail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.lines = lines
        self.problems = problems
        self.detail = detail


def _mistake(error: Exception) -> _Mistake:
    """What a user mistake says: the first line of its message and its problems."""
    if isinstance(error, _ProblemsError):
        if len(error.problems) == 1:
            return _Mistake(str(error), (), error.problems)
        summary = f"{error.summary}: {len(error.problems)} problems"
        return _Mistake(summary, error.problems, error.problems)
    if isinstance(error, OSError):
        where = f" `{error.filename}`" if error.filename else ""
        return _Mistake(f"cannot access{where}: {error.strerror or error}", detail=repr(error))
    # A message of several lines (a condition syntax error's caret): the rest is shown below.
    first, _, rest = str(error).partition("\n")
    return _Mistake(first, rest.splitlines())


def _report(mistake: _Mistake, out: IO[str], err: IO[str], verbose: bool, as_json: bool) -> int:
    """One line on `err`, the problems below it; the JSON object on `out` when asked."""
    err.write(f"crmculture: error: {mistake.message}\n")
    if all(isinstance(line, Problem) for line in mistake.lines):
        _write_problems(err, mistake.lines, verbose=verbose)
    else:  # lines of one message, shown as they are
        err.writelines(f"{line}\n" for line in mistake.lines)
    if verbose and mistake.detail:
        err.write(mistake.detail + "\n")
    if as_json:
        _write_json(out, _error_document(mistake.message, mistake.problems, EXIT_USAGE))
    return EXIT_USAGE


def _parse(argv: Sequence[str] | None, out: IO[str], err: IO[str]) -> argparse.Namespace:
    """Parse the arguments. argparse writes --help and --version to stdout and its own errors
    to stderr: send them to ours; with --json, its errors are a JSON object too."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    captured = io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(captured):
            return _parser().parse_args(arguments)
    except SystemExit as exit:
        out.flush()  # --help into a closed pipe: a BrokenPipeError here, handled by `main`
        err.write(captured.getvalue())
        if exit.code == EXIT_USAGE and "--json" in arguments:
            message = captured.getvalue().strip().splitlines()[-1]
            message = message.partition(": error: ")[2] or message
            _write_json(out, _error_document(message, [], EXIT_USAGE))
        raise


def main(
    argv: Sequence[str] | None = None, out: IO[str] | None = None, err: IO[str] | None = None
) -> int:
    """Run the command line; return the exit code.

    Args:
        argv: The arguments after the program name (default: ``sys.argv[1:]``). None of
            them, as for a bare ``crmculture``, prints the help.
        out: Where results go (default: standard output).
        err: Where errors and progress go (default: standard error).

    Returns:
        0 when done with nothing to report, 1 when something needs attention (error
        findings, records that could not be decided, journeys with findings), 141 when the
        reader of `out` went away (a closed pipe), 130 on Ctrl-C.

    Raises:
        SystemExit: with code 2 for a mistake in the command or the culture file, after one
            line on `err` (its problems below it, and with ``--json`` a JSON object on `out`);
            with code 0 after ``--help`` or ``--version``.

    Examples:
        >>> import io
        >>> out = io.StringIO()
        >>> main(["explain", "examples/acme-culture.yaml", "--customer",
        ...       '{"credit_hold": true, "days_overdue": 0, "annual_volume": 1, "tier": "gold"}'],
        ...      out=out)
        0
        >>> print(out.getvalue().splitlines()[4])
          route_to = "accounts_receivable"
    """
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        code = _main(argv, out, err)
        out.flush()  # a closed pipe shows here, where it can be handled, not at exit
    except BrokenPipeError:
        # The reader went away (`crmculture decide ... | head`): stop quietly. Python would
        # complain again when it flushes standard output at exit, so point that at devnull.
        if out is sys.stdout:
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_CLOSED_PIPE
    except KeyboardInterrupt:
        err.write("\ncrmculture: interrupted\n")
        return EXIT_INTERRUPTED
    if code == EXIT_USAGE:
        raise SystemExit(EXIT_USAGE)
    return code


def _main(argv: Sequence[str] | None, out: IO[str], err: IO[str]) -> int:
    args = _parse(argv, out, err)
    if args.command is None:
        # A bare `crmculture`: say what it can do.
        _parser().print_help(out)
        return EXIT_OK
    verbose = bool(getattr(args, "verbose", False))
    as_json = bool(getattr(args, "json", False))
    try:
        return _COMMANDS[args.command](args, out, err)
    except BrokenPipeError:
        raise
    except (_UsageError, CrmCultureError, OSError) as error:
        return _report(_mistake(error), out, err, verbose, as_json)
