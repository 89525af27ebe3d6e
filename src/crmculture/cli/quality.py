"""``crmculture quality``: the data-quality report of a customer file for a culture."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import IO, Any

from crmculture.cli.arguments import _load
from crmculture.cli.decisions import _PARQUET, _close_records, _open_records, _record_format
from crmculture.cli.exit_codes import EXIT_FINDINGS, EXIT_OK, _UsageError
from crmculture.cli.problems import _write_json
from crmculture.evaluate.reference import check_department


def _quality(args: argparse.Namespace, out: IO[str]) -> int:
    policy = _load(args.culture)
    check_department(policy, args.department)
    try:
        import pandas as pd

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
        customers: Any = pd.read_parquet(path)
    else:
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
    if args.json:
        _write_json(out, found.to_dict())
    else:
        out.write(found.text() + "\n")
    if args.fail_over is not None:
        worst = max(found.share(found.invalid_records), found.share(found.sensitive_records))
        if worst * 100 > args.fail_over:
            return EXIT_FINDINGS
    return EXIT_OK
