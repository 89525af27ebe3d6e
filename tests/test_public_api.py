"""The front door: `crmculture.__all__` is sorted, complete, and every name is documented."""

from __future__ import annotations

import importlib
import pathlib

import pytest

import crmculture

PUBLIC_MODULES = [
    "crmculture",
    "crmculture.model",
    "crmculture.evaluate",
    "crmculture.analysis",
    "crmculture.io",
    "crmculture.org",
    "crmculture.testing",
    "crmculture.batch",
]
DOCS = pathlib.Path(__file__).parent.parent / "docs" / "reference"


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_all_is_sorted_and_exports_exist(module_name: str) -> None:
    """Each public namespace lists each name once, and each name exists.

    The order of `__all__` (isort style) is checked by ruff's RUF022 in `make lint`.
    """
    module = importlib.import_module(module_name)
    names = list(module.__all__)
    assert len(names) == len(set(names))
    for name in names:
        assert hasattr(module, name), f"{module_name}.{name} is listed but missing"


def test_the_contract_names_are_exported() -> None:
    """The names the foundation issue promises are importable from the package."""
    for name in [
        "Schema",
        "Fact",
        "F",
        "Directive",
        "Rule",
        "Policy",
        "Decision",
        "CompiledPolicy",
        "Layer",
        "Combine",
        "InvalidCustomer",
        "PolicyError",
    ]:
        assert name in crmculture.__all__


def test_every_public_class_and_function_is_in_the_reference_docs() -> None:
    """Every exported class or function appears in docs/reference."""
    text = "\n".join(path.read_text() for path in sorted(DOCS.glob("*.md")))
    missing = [
        name
        for name in crmculture.__all__
        if not name.startswith("_") and not name.isupper() and f"crmculture.{name}" not in text
    ]
    assert missing == []


def test_the_core_does_not_import_optional_dependencies() -> None:
    """Importing crmculture pulls in none of the extras' packages."""
    import subprocess
    import sys

    optional = ("hypothesis", "yaml", "pandas", "pyarrow", "numpy", "dask")
    code = f"import sys, crmculture; print(sorted(m for m in {optional!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
