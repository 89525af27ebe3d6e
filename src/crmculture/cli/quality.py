"""``crmculture quality``: the data-quality report of a customer file for a culture."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from crmculture.cli.arguments import _load
from crmculture.cli.decisions import _PARQUET, _close_records, _open_records, _record_format
from crmculture.cli.exit_codes import EXIT_FINDINGS, EXIT_OK, _UsageError
from crmculture.cli.problems import _write_json
from crmculture.evaluate.reference import check_department

if TYPE_CHECKING:
    from crmculture.quality import QualityReport

PARQUET_BATCH = 262_144
"""Rows of a Parquet file `crmculture quality` reports on at a time."""


def _quality(args: argparse.Namespace, out: IO[str]) -> int:
    policy = _load(args.culture, args.decision)
    check_department(policy, args.department)
    try:
        import pandas  # noqa: F401  (the batch extra: report needs it)

        from crmculture.quality import report
    except ImportError:
        raise _UsageError(
            "crmculture quality needs the batch extra: pip install 'crmculture[batch]'"
        ) from None
    path = args.customers
    if not Path(path).is_file():
        raise _UsageError(f"cannot read `{path}`: no such file")
    keep = list(args.keep)
    unreadable: list[tuple[Any, str]] = []
    if args.input_format == "parquet" or (
        args.input_format is None and Path(path).suffix.lower() in _PARQUET
    ):
        # Row group by row group: memory is bounded by a batch and the ids, not the file.
        import pyarrow.parquet as pq

        from crmculture.quality import report_frames

        batches = pq.ParquetFile(path).iter_batches(batch_size=PARQUET_BATCH)
        found = report_frames(
            (batch.to_pandas() for batch in batches),
            policy,
            department=args.department,
            keep=keep,
            id_field=args.id_field,
            as_of=args.as_of,
        )
        return _answer(found, args, out)
    from crmculture.io.records import RecordError, read_records

    records = []
    stream = _open_records(path)
    try:
        fmt = _record_format(path, args.input_format)
        for item in read_records(stream, policy.schema, fmt):
            if isinstance(item, RecordError):
                unreadable.append((f"line {item.line}", item.message))
            else:
                records.append(item.customer)
    finally:
        _close_records(stream, path)
    customers = records
    found = report(
        customers,
        policy,
        department=args.department,
        keep=keep,
        id_field=args.id_field,
        unreadable=unreadable,
        as_of=args.as_of,
    )
    return _answer(found, args, out)


def _answer(found: QualityReport, args: argparse.Namespace, out: IO[str]) -> int:
    """Write the report; exit 1 when invalid or sensitive records pass --fail-over, or when
    there is no record at all."""
    if args.json:
        _write_json(out, found.to_dict())
    else:
        out.write(found.text() + "\n")
    if args.fail_over is not None:
        worst = max(found.share(found.invalid_records), found.share(found.sensitive_records))
        # A file without a single record is no evidence of good data: the gate fails.
        if worst * 100 > args.fail_over or not found.rows:
            return EXIT_FINDINGS
    return EXIT_OK
