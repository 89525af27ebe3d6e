"""``crmculture diff``: what a new version of a culture changes, for whom, and what it breaks."""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from crmculture.cli.adherence import _records
from crmculture.cli.arguments import _check_decision, _is_dmn, _load, _open_output
from crmculture.cli.exit_codes import EXIT_FINDINGS, EXIT_OK, _UsageError
from crmculture.cli.problems import _write_json


def _without(records: Iterator[Any], field: str | None) -> Iterator[Mapping[str, Any]]:
    for record in records:
        if field is not None and isinstance(record, dict):
            record = {name: value for name, value in record.items() if name != field}
        yield record


def _diff(args: argparse.Namespace, out: IO[str]) -> int:
    from crmculture.review import review

    if args.decision is not None and not (_is_dmn(args.old) or _is_dmn(args.new)):
        _check_decision(args.old, args.decision)
    # --decision picks the table of each DMN model; a culture document beside one is read whole
    old = _load(args.old, args.decision if _is_dmn(args.old) else None)
    new = _load(args.new, args.decision if _is_dmn(args.new) else None)
    if args.log is not None and not Path(args.log).is_file():
        raise _UsageError(f"cannot read the log `{args.log}`: no such file")
    unread: dict[str, int] = {}
    customers = None
    if args.customers is not None:
        customers = _without(_records(args.customers, new, "customers", unread), args.id_field)
    found = review(
        old,
        new,
        customers=customers,
        department=args.department,
        log=args.log,
        as_of=args.as_of,
    )
    target = _open_output(args.output, out)
    try:
        if args.format == "json":
            document = found.to_dict()
            if customers is not None:
                document["customers"]["unreadable"] = unread
            _write_json(target, document)
        elif args.format == "markdown":
            target.write(found.markdown())
            for reason, count in sorted(unread.items()):
                target.write(f"\nNot read: {count:,}: {reason}\n")
        else:
            target.write(found.text() + "\n")
            for reason, count in sorted(unread.items()):
                target.write(f"Not read: {count:,}: {reason}\n")
    finally:
        if target is not out:
            target.close()
    return EXIT_FINDINGS if found.changes_anything else EXIT_OK
