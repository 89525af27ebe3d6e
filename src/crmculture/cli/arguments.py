"""The arguments commands share, read once for all: the culture file, ``--customer``,
``--request`` and ``--output``. Each mistake is a `_UsageError`.

A culture file may also be a decision table: a DMN model (``.dmn``: its one decision table,
or the one ``--decision`` names) or a spreadsheet (``.csv``, ``.xlsx``); it is read as a
culture with that policy and no org."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

from crmculture.cli.exit_codes import _UsageError
from crmculture.culture import Culture
from crmculture.errors import did_you_mean
from crmculture.io.documents import load, load_policy
from crmculture.io.tables import TABLE_SUFFIXES, table_policies
from crmculture.model.facts import Schema
from crmculture.model.policies import Policy
from crmculture.org.graph import OrgGraph


def _culture_file(path: str) -> Path:
    if not Path(path).exists():
        raise _UsageError(f"culture file `{path}` does not exist")
    if not Path(path).is_file():
        raise _UsageError(f"culture file `{path}` is not a file")
    return Path(path)


DECISION_TABLES = TABLE_SUFFIXES
"""The extensions of decision-table files that commands read in place of a culture file."""


def _table_policy(path: Path, decision: str | None = None) -> Policy:
    """The policy of a decision-table file (by its extension); `decision` picks one table of
    a DMN model by its name or id."""
    _check_decision(path, decision)
    tables = table_policies(path, decision=decision)
    if len(tables) > 1:
        names = ", ".join(f"`{name}`" for name, _ in tables)
        raise _UsageError(
            f"`{path}` has {len(tables)} decision tables ({names}); pick one with --decision NAME"
        )
    return tables[0][1]


def _is_dmn(path: str | Path) -> bool:
    return Path(path).suffix.lower() == ".dmn"


def _check_decision(path: str | Path, decision: str | None) -> None:
    """--decision goes with a DMN model only."""
    if decision is not None and not _is_dmn(path):
        raise _UsageError(
            f"--decision picks a decision table of a DMN model: `{path}` is not a .dmn file"
        )


def _load(path: str, decision: str | None = None) -> Policy:
    """A culture file's policy, or a decision table's; `decision` (--decision) picks a
    table of a DMN model."""
    file = _culture_file(path)
    if file.suffix.lower() in DECISION_TABLES:
        return _table_policy(file, decision)
    _check_decision(file, decision)
    return load_policy(file)


def _load_any(path: str, decision: str | None = None) -> Culture:
    """A culture file, or a decision table as a culture with no org."""
    file = _culture_file(path)
    if file.suffix.lower() in DECISION_TABLES:
        return Culture(_table_policy(file, decision), OrgGraph([]))
    _check_decision(file, decision)
    return load(file)


def _load_culture(path: str) -> Culture:
    culture = load(_culture_file(path))
    if not culture.org.departments:
        raise _UsageError(f"culture file `{path}` has no org: add an `org` section")
    return culture


def _customer(text: str, schema: Schema) -> dict[str, Any]:
    """The --customer option: a JSON object read as `crmculture.Schema.parse` reads text
    (``"42210.0"`` for an int, ``"yes"`` for a bool); InvalidCustomer lists every problem."""
    try:
        customer = json.loads(text)
    except ValueError as error:
        raise _UsageError(f"--customer is not JSON: {error}") from None
    if not isinstance(customer, dict):
        raise _UsageError("--customer must be a JSON object")
    parsed = schema.parse(customer)
    return {name: parsed[name] for name in customer}


def _check_request(culture: Culture, request: str) -> None:
    if request not in culture.org.requests:
        known = ", ".join(f"`{name}`" for name in culture.org.requests) or "none"
        suggestion = did_you_mean(request, culture.org.requests)
        raise _UsageError(
            f"unknown request type `{request}`" + (suggestion or f"; the org knows {known}")
        )


def _open_output(path: str | None, out: IO[str]) -> IO[str]:
    if path is None:
        return out
    try:
        return open(path, "w", encoding="utf-8")
    except OSError as error:
        raise _UsageError(f"cannot write `{path}`: {error.strerror}") from None
