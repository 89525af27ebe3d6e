"""Decision tables read from files, by extension: DMN models (``.dmn``), and CSV and XLSX
sheets (``.csv``, ``.xlsx``). The command line and the decision service read them in place of
a culture document, through `table_policies`.
"""

from __future__ import annotations

import os
from pathlib import Path

from crmculture.model.policies import Policy

__all__ = ["TABLE_SUFFIXES", "is_table", "table_policies"]

TABLE_SUFFIXES = (".dmn", ".csv", ".xlsx")
"""The extensions of decision-table files."""


def is_table(path: str | os.PathLike[str]) -> bool:
    """Whether `path` names a decision-table file (by its extension).

    Examples:
        >>> is_table("rules.DMN"), is_table("culture.yaml")
        (True, False)
    """
    return Path(path).suffix.lower() in TABLE_SUFFIXES


def table_policies(
    path: str | os.PathLike[str], *, decision: str | None = None
) -> list[tuple[str, Policy]]:
    """The decision tables of a file, as ``(name, policy)`` pairs: for a DMN model, every
    decision table (or, with `decision`, the one it names, by name or else id); for a sheet,
    its one table, under the file's name.

    Raises:
        DocumentError: for a file that cannot be read or is not a decision table, every
            problem listed; for a `decision` the model does not have, or given with a sheet.

    Examples:
        >>> import pathlib, tempfile
        >>> from crmculture.io.dmn import EXAMPLE
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "verdict.dmn"
        >>> _ = path.write_text(EXAMPLE, encoding="utf-8")
        >>> [(name, [rule.id for rule in policy.rules]) for name, policy in table_policies(path)]
        [('Verdict', ['minor', 'risky'])]
    """
    where = Path(path)
    if where.suffix.lower() == ".dmn":
        from crmculture.io.dmn import load_dmn

        return [(table.decision, table.policy) for table in load_dmn(where, decision=decision)]
    from crmculture.errors import DocumentError, Problem
    from crmculture.io.spreadsheets import load_table

    if decision is not None:
        raise DocumentError(
            f"`{where}` is not a DMN model",
            [Problem((), f"decision `{decision}` picks a table of a .dmn model only")],
        )
    return [(where.stem, load_table(where))]
