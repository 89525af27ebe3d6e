"""The front doors: each public namespace's `__all__` is sorted, complete, and documented.

`__all__` of each package must equal the public names its `__init__.py` defines or imports
from crmculture (names imported from other libraries, such as ``importlib.metadata.version``,
are not re-exports), every entry must exist, and the list must be sorted the way ruff's RUF022
sorts it (SCREAMING_CASE, then CamelCase, then the rest, each in natural order).
"""

from __future__ import annotations

import ast
import importlib
import pathlib
import re
import subprocess
import sys
from types import ModuleType

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
SOURCE = pathlib.Path(__file__).parent.parent / "src"
DOCS = pathlib.Path(__file__).parent.parent / "docs" / "reference"
# Dunder names a front door may export on purpose.
PUBLIC_DUNDERS = {"__version__"}


def isort_key(name: str) -> tuple[int, tuple[tuple[int, int, str], ...]]:
    """The order of ruff's RUF022: SCREAMING_CASE names (more than one character), then names
    starting with a capital, then the rest; within each group, runs of digits compare as
    numbers."""
    if len(name) > 1 and name.isupper():
        group = 0
    elif name[:1].isupper():
        group = 1
    else:
        group = 2
    parts = re.split(r"(\d+)", name)
    return group, tuple((0, int(p), p) if p.isdigit() else (1, 0, p) for p in parts if p)


def bound_names(source: str, package: str) -> dict[str, str | None]:
    """The names the top level of a package's `__init__.py` binds, each mapped to the module it
    is imported from, or to None when it is defined there.

    Conditional blocks (``if TYPE_CHECKING:``, ``try:``) count; function and class bodies do
    not, nor do names bound by ``except ... as``.
    """
    bound: dict[str, str | None] = {}

    def absolute(node: ast.ImportFrom) -> str:
        if not node.level:
            assert node.module is not None
            return node.module
        parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
        return ".".join([*parts, node.module] if node.module else parts)

    def targets(node: ast.expr) -> list[str]:
        if isinstance(node, ast.Name):
            return [node.id]
        if isinstance(node, ast.Tuple | ast.List):
            return [name for element in node.elts for name in targets(element)]
        return []

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    bound[alias.asname or alias.name.partition(".")[0]] = alias.name
            elif isinstance(node, ast.ImportFrom):
                origin = absolute(node)
                for alias in node.names:
                    bound[alias.asname or alias.name] = origin
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                bound[node.name] = None
            elif isinstance(node, ast.Assign):
                bound.update(dict.fromkeys([n for t in node.targets for n in targets(t)], None))
            elif isinstance(node, ast.AnnAssign | ast.AugAssign):
                bound.update(dict.fromkeys(targets(node.target), None))
            elif isinstance(node, ast.If | ast.While | ast.For | ast.With):
                visit(node.body)
                visit(getattr(node, "orelse", []))
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
                visit(node.orelse)
                visit(node.finalbody)

    visit(ast.parse(source).body)
    return bound


def exportable(bound: dict[str, str | None]) -> set[str]:
    """The names that belong in `__all__`: public names defined in the module or imported
    from crmculture, and the public dunders."""
    return {
        name
        for name, origin in bound.items()
        if name in PUBLIC_DUNDERS
        or (
            not name.startswith("_")
            and (origin is None or origin == "crmculture" or origin.startswith("crmculture."))
        )
    }


def init_source(module_name: str) -> str:
    path = SOURCE.joinpath(*module_name.split("."), "__init__.py")
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
class TestFrontDoors:
    """Each public namespace's `__all__` is exactly what its `__init__.py` offers."""

    def test_all_is_sorted(self, module_name: str) -> None:
        """`__all__` is in RUF022 order, with each name once."""
        names = list(importlib.import_module(module_name).__all__)
        assert names == sorted(names, key=isort_key)
        assert len(names) == len(set(names))

    def test_all_equals_the_names_the_init_binds(self, module_name: str) -> None:
        """Every public name the `__init__.py` defines or imports from crmculture is listed,
        and every listed name is bound there."""
        module = importlib.import_module(module_name)
        offered = exportable(bound_names(init_source(module_name), module_name))
        listed = set(module.__all__)
        assert (sorted(offered - listed), sorted(listed - offered)) == ([], [])

    def test_every_listed_name_exists(self, module_name: str) -> None:
        """Each name of `__all__` can be got from the module (lazily, for crmculture.testing)."""
        module = importlib.import_module(module_name)
        missing = [name for name in module.__all__ if not hasattr(module, name)]
        assert missing == []

    def test_the_namespace_holds_nothing_public_beyond_all(self, module_name: str) -> None:
        """At run time, every public name of the module is in `__all__`, is one of its
        submodules, or was imported from another library."""
        module = importlib.import_module(module_name)
        bound = bound_names(init_source(module_name), module_name)
        foreign = {name for name, origin in bound.items() if name not in exportable(bound)}
        extra = {
            name
            for name, value in vars(module).items()
            if not name.startswith("_")
            and name not in module.__all__
            and name not in foreign
            and not (isinstance(value, ModuleType) and value.__name__ == f"{module_name}.{name}")
        }
        assert extra == set()


class TestTheChecksThemselves:
    """The helpers above find what they should, on planted sources."""

    def test_isort_key_orders_as_ruff_does(self) -> None:
        """Constants, then classes (a one-letter capital is a class), then the rest, with
        numbers compared as numbers."""
        expected = [
            "MAX_2",
            "MAX_10",
            "NO_DEFAULT",
            "Combine",
            "D",
            "F",
            "__version__",
            "a2",
            "a10",
        ]
        shuffled = [
            "a10",
            "F",
            "__version__",
            "MAX_10",
            "D",
            "a2",
            "Combine",
            "NO_DEFAULT",
            "MAX_2",
        ]
        assert sorted(shuffled, key=isort_key) == expected

    def test_an_unsorted_list_is_caught(self) -> None:
        """Plain alphabetical order is not RUF022 order."""
        names = sorted(["D", "Combine", "NO_DEFAULT", "load"])
        assert names != sorted(names, key=isort_key)

    def test_bound_names_of_a_planted_init(self) -> None:
        """Definitions, re-exports (relative ones too), conditional blocks and foreign imports
        are told apart."""
        source = "\n".join(
            [
                "from importlib.metadata import version",
                "import importlib",
                "from crmculture.model.rules import Rule as Rule, _hidden",
                "from .facts import Fact",
                "from . import conditions",
                "if TYPE_CHECKING:",
                "    from crmculture.model.policies import Policy",
                "try:",
                "    __version__ = version('crmculture')",
                "except ImportError as error:",
                "    LIMIT: int = 3",
                "def helper(): ...",
                "class Thing:",
                "    inner = 1",
                "__all__ = ['Rule']",
            ]
        )
        bound = bound_names(source, "crmculture.model")
        assert bound == {
            "version": "importlib.metadata",
            "importlib": "importlib",
            "Rule": "crmculture.model.rules",
            "_hidden": "crmculture.model.rules",
            "Fact": "crmculture.model.facts",
            "conditions": "crmculture.model",
            "Policy": "crmculture.model.policies",
            "__version__": None,
            "LIMIT": None,
            "helper": None,
            "Thing": None,
            "__all__": None,
        }
        assert exportable(bound) == {
            "Rule",
            "Fact",
            "conditions",
            "Policy",
            "__version__",
            "LIMIT",
            "helper",
            "Thing",
        }


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
    optional = ("hypothesis", "yaml", "pandas", "pyarrow", "numpy", "dask")
    code = f"import sys, crmculture; print(sorted(m for m in {optional!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
