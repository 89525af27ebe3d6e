"""``crmculture adherence``: what staff did, against what the culture decides."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from crmculture.cli.arguments import _load
from crmculture.cli.decisions import _PARQUET, _close_records, _open_records, _record_format
from crmculture.cli.exit_codes import EXIT_FINDINGS, EXIT_OK, _UsageError
from crmculture.cli.problems import _write_json
from crmculture.model.policies import Policy

if TYPE_CHECKING:
    from crmculture.adherence import AdherenceReport


def _records(path: str, policy: Policy, what: str, counts: dict[str, int]) -> Iterator[Any]:
    """The records of a file; a piece of it that is not a record is counted in `counts`."""
    if not Path(path).is_file():
        raise _UsageError(f"cannot read the {what} `{path}`: no such file")
    if Path(path).suffix.lower() in _PARQUET:
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise _UsageError(
                "Parquet needs the batch extra: pip install 'crmculture[batch]'"
            ) from None
        for batch in pq.ParquetFile(path).iter_batches():
            yield from batch.to_pylist()
        return
    from crmculture.io.records import RecordError, read_records

    stream = _open_records(path)
    try:
        for item in read_records(stream, policy.schema, _record_format(path, None)):
            if isinstance(item, RecordError):
                reason = f"{what}: {item.message.split(':')[0]}"
                counts[reason] = counts.get(reason, 0) + 1
            else:
                yield item.customer
    finally:
        _close_records(stream, path)


def _judged(args: argparse.Namespace, policy: Policy, unread: dict[str, int]) -> AdherenceReport:
    """The adherence of `args.actions` by `args.customers` (``adherence`` and ``report``); the
    pieces of the files that are not records are counted in `unread`."""
    from crmculture.adherence import adherence

    customers = list(_records(args.customers, policy, "customers", unread))
    return adherence(
        _records(args.actions, policy, "actions", unread),
        customers,
        policy,
        id_field=args.id_field,
        as_of=args.as_of,
    )


def _adherence(args: argparse.Namespace, out: IO[str]) -> int:
    policy = _load(args.culture, args.decision)
    unread: dict[str, int] = {}
    found = _judged(args, policy, unread)
    if args.json:
        document = found.to_dict()
        document["unreadable"] = unread
        _write_json(out, document)
    else:
        out.write(found.text() + "\n")
        for reason, count in sorted(unread.items()):
            out.write(f"Not read: {count:,}: {reason}\n")
    if args.fail_under is not None and (not found.judged or found.rate * 100 < args.fail_under):
        # With no action judged, the rate is unknown: a gate must not pass on no evidence.
        return EXIT_FINDINGS
    return EXIT_OK
