"""``crmculture drift``: whether decisions are moving, between two logs or two versions."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
from typing import IO

from crmculture.cli.arguments import _load
from crmculture.cli.exit_codes import EXIT_FINDINGS, EXIT_OK, _UsageError
from crmculture.cli.problems import _write_json


def _log_path(path: str) -> str:
    if not Path(path).is_file():
        raise _UsageError(f"cannot read the log `{path}`: no such file")
    return path


def _drift(args: argparse.Namespace, out: IO[str]) -> int:
    from crmculture.drift import DecisionCounts, _redecided, compare, drift

    baseline = _log_path(args.baseline)
    if args.decision is not None and args.culture is None:
        raise _UsageError(
            "--decision picks a decision table of the --culture DMN model: give --culture"
        )
    policy = _load(args.culture, args.decision) if args.culture else None
    rejected: Counter[str] = Counter()
    if args.current is not None:
        found = drift(baseline, _log_path(args.current), policy=policy)
    elif policy is None:
        raise _UsageError(
            "give a second log to compare with, or --culture to compare the log with what "
            "that culture decides for the same customers"
        )
    else:
        now = _redecided(baseline, policy, rejected)
        before = DecisionCounts.from_log(baseline, side="baseline", policy=policy)
        found = compare(before, now, policy=policy, rejected=rejected)
    if args.json:
        _write_json(out, found.to_dict())
    else:
        out.write(found.text() + "\n")
    failing = {"moderate": bool(found.flagged), "significant": found.significant}
    # A side without decisions is no evidence of stability: it needs attention too.
    return EXIT_FINDINGS if failing[args.fail_on] or not found.compared else EXIT_OK
