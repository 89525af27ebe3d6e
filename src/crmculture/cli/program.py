"""`main`: parse the arguments, run the command, and turn a mistake into one line on
standard error and exit code 2."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import IO, NoReturn

from crmculture.cli.check import _check
from crmculture.cli.decisions import _decide, _explain
from crmculture.cli.exit_codes import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, _UsageError
from crmculture.cli.org import _journeys, _render
from crmculture.cli.parser import _parser
from crmculture.demo import run as run_demo
from crmculture.errors import CrmCultureError

__all__ = ["main"]


def _fail(err: IO[str], message: str, detail: str | None, verbose: bool) -> NoReturn:
    first, _, rest = message.partition("\n")
    err.write(f"crmculture: error: {first}\n")
    if verbose and (rest or detail):
        err.write((rest + "\n" if rest else "") + (detail + "\n" if detail else ""))
    elif rest:
        err.write("(run with --verbose for every problem)\n")
    raise SystemExit(EXIT_USAGE)


_COMMANDS: dict[str, Callable[[argparse.Namespace, IO[str], IO[str]], int]] = {
    "check": lambda args, out, err: _check(args, out),
    "decide": _decide,
    "explain": lambda args, out, err: _explain(args, out),
    "journeys": lambda args, out, err: _journeys(args, out),
    "render": lambda args, out, err: _render(args, out),
}


def main(
    argv: Sequence[str] | None = None, out: IO[str] | None = None, err: IO[str] | None = None
) -> int:
    """Run the command line; return the exit code.

    Args:
        argv: The arguments after the program name (default: ``sys.argv[1:]``).
        out: Where results go (default: standard output).
        err: Where errors and progress go (default: standard error).

    Returns:
        0 when done with nothing to report, 1 when something needs attention (error
        findings, records that could not be decided, journeys with findings).

    Raises:
        SystemExit: with code 2 for a mistake in the command or the culture file, after one
            line on `err`; with code 0 after ``--help``.

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
    # argparse writes --help to stdout and its own errors to stderr: send them to ours.
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        args = _parser().parse_args(argv)
    verbose = bool(getattr(args, "verbose", False))
    try:
        if args.command == "demo":
            run_demo(out)
            return EXIT_OK
        return _COMMANDS[args.command](args, out, err)
    except _UsageError as error:
        _fail(err, str(error), None, verbose)
    except CrmCultureError as error:
        _fail(err, str(error), None, verbose)
    except BrokenPipeError:
        # The reader went away (`crmculture decide ... | head`): stop quietly. Python would
        # complain again when it flushes standard output at exit, so point that at devnull.
        if out is sys.stdout:
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FINDINGS
    except OSError as error:
        where = f" `{error.filename}`" if error.filename else ""
        _fail(err, f"cannot access{where}: {error.strerror or error}", repr(error), verbose)
    except KeyboardInterrupt:
        err.write("\ncrmculture: interrupted\n")
        return 130
