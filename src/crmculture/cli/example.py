"""``crmculture example``: the example cultures that ship with the package, listed or written out.

The culture documents live once, in the repository's ``examples/`` directory. A built wheel
carries them as package data under ``crmculture/examples/`` (``force-include`` in
``pyproject.toml``), so an installed package finds them with `importlib.resources`; a source
or editable checkout has no such directory in the package, and finds them in ``examples/``
next to ``src/``. Either way there is one copy of each document, never a drifting duplicate.
"""

from __future__ import annotations

import argparse
import json
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import IO

from crmculture.cli.arguments import _open_output
from crmculture.cli.exit_codes import EXIT_OK, _UsageError
from crmculture.errors import did_you_mean

__all__ = ["example_files", "example_text"]

# A document `NAME-culture.yaml` or `NAME.yaml` is the example NAME.
_SUFFIXES = ("-culture.yaml", ".yaml")


def _example_directory() -> Traversable | None:
    """Where the example documents are: in the installed package, else in the checkout."""
    packaged = resources.files("crmculture") / "examples"
    if packaged.is_dir():
        return packaged
    # src/crmculture/cli/example.py -> the repository root, three directories up from cli/.
    checkout = Path(__file__).resolve().parents[3]
    if (checkout / "pyproject.toml").is_file() and (checkout / "examples").is_dir():
        return checkout / "examples"
    return None


def _example_name(filename: str) -> str | None:
    for suffix in _SUFFIXES:
        if filename.endswith(suffix):
            return filename[: -len(suffix)]
    return None


def example_files() -> dict[str, Traversable]:
    """The example culture documents, by name, sorted by name.

    Examples:
        >>> sorted(example_files())
        ['acme', 'crm-initiative', 'profitable-customers']
        >>> example_files()["acme"].name
        'acme-culture.yaml'
    """
    directory = _example_directory()
    if directory is None:
        return {}
    found = {}
    for entry in directory.iterdir():
        name = _example_name(entry.name)
        if name is not None and entry.is_file():
            found[name] = entry
    return dict(sorted(found.items()))


def example_text(name: str) -> str:
    """The text of the example culture `name`.

    Raises:
        _UsageError: for an unknown name, with the known names or a did-you-mean.
    """
    files = example_files()
    if name not in files:
        known = ", ".join(f"`{known}`" for known in files) or "none (the package has no examples)"
        raise _UsageError(
            f"unknown example `{name}`" + (did_you_mean(name, list(files)) or f"; known: {known}")
        )
    return files[name].read_text(encoding="utf-8")


def _summary(text: str) -> str:
    """The document's first comment line, which says what the culture is."""
    for line in text.splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip()
        if line.strip():
            break
    return ""


def _example(args: argparse.Namespace, out: IO[str]) -> int:
    """List the example cultures, or write one to standard output or ``--output``."""
    if args.name is None:
        if args.output is not None:
            raise _UsageError("--output needs an example NAME: crmculture example acme -o FILE")
        listing = {name: _summary(example_text(name)) for name in example_files()}
        if args.json:
            out.write(json.dumps({"examples": listing}, indent=2, sort_keys=True) + "\n")
            return EXIT_OK
        width = max((len(name) for name in listing), default=0)
        out.writelines(f"{name:<{width}}  {summary}\n" for name, summary in listing.items())
        out.write("\nwrite one out with: crmculture example NAME -o NAME.yaml\n")
        return EXIT_OK
    if args.json:
        raise _UsageError("--json lists the examples: give no NAME")
    text = example_text(args.name)
    target = _open_output(args.output, out)
    try:
        target.write(text)
    finally:
        if target is not out:
            target.close()
    return EXIT_OK
