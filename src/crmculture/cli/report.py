"""``crmculture report``: one self-contained HTML page about a culture in production."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import IO

from crmculture.cli.adherence import _judged
from crmculture.cli.arguments import _load, _open_output
from crmculture.cli.exit_codes import EXIT_OK, _UsageError


def _html_report(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    try:
        from crmculture.html_report import html_report
    except ImportError as error:  # pragma: no cover - matplotlib is imported lazily
        raise _UsageError(str(error)) from None
    policy = _load(args.culture, args.decision)
    for path in (args.log, args.baseline):
        if path is not None and not Path(path).is_file():
            raise _UsageError(f"cannot read the log `{path}`: no such file")
    if (args.actions is None) != (args.customers is None):
        raise _UsageError("--actions and --customers go together: the adherence chart needs both")
    found = None
    if args.actions is not None:
        unread: dict[str, int] = {}
        found = _judged(args, policy, unread)
        for reason, count in sorted(unread.items()):
            err.write(f"Not read: {count:,}: {reason}\n")
    try:
        page = html_report(
            args.log,
            policy,
            adherence=found,
            baseline=args.baseline,
            windows=args.windows,
            by=args.by,
        )
    except ImportError as error:
        raise _UsageError(str(error)) from None
    target = _open_output(args.output, out)
    try:
        target.write(page)
    finally:
        if target is not out:
            target.close()
    return EXIT_OK
