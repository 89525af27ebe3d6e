"""``crmculture convert``: a decision table (DMN, CSV, XLSX) or a culture file, written as a
culture document or as a spreadsheet decision table, by the output's extension."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import IO

from crmculture.cli.arguments import _load, _open_output
from crmculture.cli.exit_codes import EXIT_OK, _UsageError
from crmculture.io.documents import Format, dump_policy

_DOCUMENT_FORMATS: dict[str, Format] = {
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
    ".toml": "toml",
}


def _convert(args: argparse.Namespace, out: IO[str]) -> int:
    """Read SOURCE and write its policy to --output (or standard output, as YAML)."""
    policy = _load(args.source, args.decision)
    suffix = Path(args.output).suffix.lower() if args.output else ""
    if suffix == ".xlsx":
        from crmculture.io.spreadsheets import dump_xlsx_table

        dump_xlsx_table(policy, args.output)
        return EXIT_OK
    if suffix == ".csv":
        from crmculture.io.spreadsheets import dump_csv_table

        text = dump_csv_table(policy)
    elif suffix in _DOCUMENT_FORMATS or not args.output:
        text = dump_policy(policy, args.format or _DOCUMENT_FORMATS.get(suffix, "yaml"))
    else:
        raise _UsageError(
            f"cannot write `{args.output}`: use .yaml, .yml, .json, .toml, .csv or .xlsx"
        )
    target = _open_output(args.output, out)
    try:
        target.write(text)
    finally:
        if target is not out:
            target.close()
    return EXIT_OK
