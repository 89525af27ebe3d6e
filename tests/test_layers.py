"""Imports point down the layers of the design (design.md "Layers", style.md section 1).

Every import form counts: ``import crmculture.x``, ``from crmculture import x``,
``from crmculture.x import y``, relative imports (resolved against the importing module's
package), and imports anywhere in a module: inside functions, methods, ``if TYPE_CHECKING:``
and ``try:`` blocks. Both packages under ``src/`` are checked: ``crmculture`` and the pytest
plugin ``crmculture_pytest``. Imports through ``importlib.import_module`` are not seen.
"""

from __future__ import annotations

import ast
import pathlib
from typing import NamedTuple

import pytest

SOURCE = pathlib.Path(__file__).parent.parent / "src"
PACKAGES = ("crmculture", "crmculture_pytest")

# Lower layers first: a module may import from its own layer and from the layers before it.
# A member is a subpackage or top-level module of crmculture; "" is `crmculture/__init__.py`
# (the front door); `crmculture_pytest` is the separate pytest-plugin package. Each member
# says why it sits where it does.
LAYERS: list[dict[str, str]] = [
    {"errors": "the error tree and Problem: imported by every layer, imports none"},
    {"model": "what a culture says: frozen values"},
    {"evaluate": "what a culture decides: reference interpreter, compiler, decisions"},
    {"org": "who the customer talks to: the org graph and journeys"},
    {"culture": "a policy and an org together"},
    {
        "stories": "example cultures built from model, org and culture only; imported by demo "
        "(and by docs and tests), so it sits right above culture"
    },
    {"analysis": "the verifier over the fact space, diff, journey metrics, what-if"},
    {"batch": "columnar decisions over pandas and Arrow frames (the batch extra)"},
    {
        "dask": "the Dask front end of the batch layer: imports batch and model, and no module "
        "of the package imports it, so it sits on top of batch"
    },
    {
        "log": "decision logs and replay: written from decisions, read back as records, "
        "replayed record by record or, with the batch extra, chunk by chunk"
    },
    {
        "adherence": "what staff did against what the culture decides: records in, a report "
        "out; imports evaluate and model"
    },
    {
        "drift": "distributions of logged decisions compared: reads logs through log and "
        "decides again through evaluate; nothing below imports it"
    },
    {
        "review": "a change review for people: the diff of analysis, promises, customer counts "
        "and a replay of log; nothing below imports it"
    },
    {
        "html_report": "the HTML page about a culture in production: reads logs, drift and "
        "adherence; matplotlib (the report extra) only inside; nothing below imports it"
    },
    {"io": "documents and the condition syntax: the only place that knows formats"},
    {
        "quality": "the data-quality report: reads records through io, decides frames through "
        "batch, finds what matters through analysis; nothing below imports it"
    },
    {"": "the front door re-exports from io, analysis and below; no module imports it"},
    {"testing": "strategies, property checks and coverage (the testing extra)"},
    {
        "demo": "the body of `crmculture demo`: imports analysis and stories, and only cli "
        "imports it, so it sits right below cli"
    },
    {
        "service": "the decision service (the service extra): an ASGI app over the library, "
        "outside the core layers; only cli imports it, inside `crmculture serve`"
    },
    {
        "cli": "the console script",
        "__main__": "`python -m crmculture` runs the console script",
    },
    {"crmculture_pytest": "the pytest plugin: loaded by pytest, imported by no module"},
]

# Upward edges allowed on purpose, each only where the import does not run when the module is
# imported (a top-level import would make an import cycle): `Policy.compile()` imports the
# compiler when it is called, and names `CompiledPolicy` under `if TYPE_CHECKING:`.
ALLOWED_UPWARD = {("crmculture.model.policies", "crmculture.evaluate.compiler")}


class Import(NamedTuple):
    """One imported name: ``import module`` (``name`` is None) or ``from module import name``.

    ``deferred`` is true when the import does not run as the module is imported: it is inside
    a function, or in the body of ``if TYPE_CHECKING:``.
    """

    module: str
    name: str | None
    line: int
    deferred: bool


class Module(NamedTuple):
    name: str
    path: pathlib.Path
    is_package: bool


TYPE_CHECKING = {"TYPE_CHECKING", "typing.TYPE_CHECKING"}


def package_of(module: str, is_package: bool) -> str:
    """The package that relative imports in `module` are resolved against."""
    return module if is_package else module.rpartition(".")[0]


def collect_imports(source: str, module: str, *, is_package: bool = False) -> list[Import]:
    """Every import statement in `source` (the text of `module`), with absolute module names.

    The whole tree is walked: imports inside functions, classes and conditional blocks count,
    and each records whether it is deferred (see `Import`).
    """
    found: list[Import] = []

    def absolute(node: ast.ImportFrom) -> str:
        if not node.level:
            assert node.module is not None
            return node.module
        parts = package_of(module, is_package).split(".")
        if node.level - 1 >= len(parts) or not parts[0]:
            raise ValueError(f"{module}:{node.lineno}: relative import beyond the top package")
        base = parts[: len(parts) - (node.level - 1)]
        return ".".join([*base, node.module] if node.module else base)

    def visit(node: ast.AST, deferred: bool) -> None:
        if isinstance(node, ast.Import):
            found.extend(Import(alias.name, None, node.lineno, deferred) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = absolute(node)
            found.extend(Import(base, alias.name, node.lineno, deferred) for alias in node.names)
        elif isinstance(node, ast.If) and ast.unparse(node.test) in TYPE_CHECKING:
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, deferred)
            return
        inside = deferred or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for child in ast.iter_child_nodes(node):
            visit(child, inside)

    visit(ast.parse(source), deferred=False)
    return found


def target(imported: Import, known: set[str]) -> str:
    """The module an import depends on: ``from p import x`` depends on ``p.x`` when that is a
    module, else on ``p`` itself (``x`` is then a name defined or re-exported by ``p``)."""
    if imported.name is not None and f"{imported.module}.{imported.name}" in known:
        return f"{imported.module}.{imported.name}"
    return imported.module


def find_modules(root: pathlib.Path) -> list[Module]:
    """The modules of both packages under `root`, by dotted name."""
    found = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts.pop()
            found.append(Module(".".join(parts), path, is_package))
    return found


def layer_member(module: str) -> str:
    """The entry of LAYERS a module belongs to."""
    top, _, rest = module.partition(".")
    if top == "crmculture":
        return rest.partition(".")[0]
    return top


def layer_of(module: str) -> int:
    member = layer_member(module)
    for index, members in enumerate(LAYERS):
        if member in members:
            return index
    raise AssertionError(f"module `{module}` is in no layer: add `{member}` to LAYERS")


def ours(module: str) -> bool:
    return module.partition(".")[0] in PACKAGES


def upward_imports(root: pathlib.Path) -> list[str]:
    """Every import under `root` that points to a higher layer and is not allowed."""
    modules = find_modules(root)
    known = {module.name for module in modules}
    violations = []
    for module in modules:
        source = module.path.read_text(encoding="utf-8")
        for imported in collect_imports(source, module.name, is_package=module.is_package):
            goal = target(imported, known)
            if not ours(goal) or layer_of(goal) <= layer_of(module.name):
                continue
            if (module.name, goal) in ALLOWED_UPWARD and imported.deferred:
                continue
            violations.append(f"{module.name}:{imported.line} imports {goal}")
    return violations


class TestTheTree:
    """The source tree under src/ keeps the layer order."""

    def test_imports_point_down(self) -> None:
        """No module imports from a layer above its own, except the allowed edges."""
        assert upward_imports(SOURCE) == []

    def test_every_module_has_a_layer(self) -> None:
        """Every module of both packages is placed in a layer."""
        placed = {module.name: layer_of(module.name) for module in find_modules(SOURCE)}
        assert placed
        assert all(0 <= layer < len(LAYERS) for layer in placed.values())

    def test_every_layer_member_exists(self) -> None:
        """The table names only subpackages and modules that exist."""
        members = {layer_member(module.name) for module in find_modules(SOURCE)}
        listed = {member for layer in LAYERS for member in layer}
        assert listed - members == set()

    def test_every_allowed_upward_edge_is_still_taken(self) -> None:
        """An allowed edge that no longer exists is removed from the list, not kept."""
        modules = find_modules(SOURCE)
        known = {module.name for module in modules}
        taken = {
            (module.name, target(imported, known))
            for module in modules
            for imported in collect_imports(
                module.path.read_text(encoding="utf-8"), module.name, is_package=module.is_package
            )
            if imported.deferred
        }
        assert ALLOWED_UPWARD - taken == set()


# (id, the source of crmculture.model.rules, what it imports)
FORMS: list[tuple[str, str, list[tuple[str, str | None]]]] = [
    ("import", "import crmculture.cli", [("crmculture.cli", None)]),
    ("import-as", "import crmculture.cli as cli", [("crmculture.cli", None)]),
    ("from-package", "from crmculture import cli", [("crmculture", "cli")]),
    ("from-module", "from crmculture.cli import main", [("crmculture.cli", "main")]),
    ("relative-sibling", "from . import conditions", [("crmculture.model", "conditions")]),
    ("relative-module", "from .conditions import F", [("crmculture.model.conditions", "F")]),
    ("relative-parent", "from .. import cli", [("crmculture", "cli")]),
    ("relative-parent-module", "from ..cli import main", [("crmculture.cli", "main")]),
    (
        "several-names",
        "from crmculture import cli, io",
        [("crmculture", "cli"), ("crmculture", "io")],
    ),
    ("other-package", "import crmculture_pytest", [("crmculture_pytest", None)]),
]


class TestCollectImports:
    """collect_imports sees every import form, wherever it is."""

    @pytest.mark.parametrize(
        ("source", "expected"), [f[1:] for f in FORMS], ids=[f[0] for f in FORMS]
    )
    def test_each_form(self, source: str, expected: list[tuple[str, str | None]]) -> None:
        """Each form gives the absolute module and the imported name."""
        found = collect_imports(source, "crmculture.model.rules")
        assert [(i.module, i.name) for i in found] == expected

    def test_relative_imports_in_a_package_init(self) -> None:
        """In an `__init__.py`, `.` is the package itself, not its parent."""
        found = collect_imports("from .rules import Rule", "crmculture.model", is_package=True)
        assert [(i.module, i.name) for i in found] == [("crmculture.model.rules", "Rule")]

    def test_a_relative_import_beyond_the_top_package_is_an_error(self) -> None:
        """`from ... import x` in a module two levels deep has no package to resolve to."""
        with pytest.raises(ValueError, match="beyond the top package"):
            collect_imports("from ... import x", "crmculture.model.rules")

    def test_imports_anywhere_in_the_module(self) -> None:
        """Imports in functions, methods, conditional and try blocks are found; those in
        functions and under `if TYPE_CHECKING:` (not its `else:`) are deferred."""
        source = "\n".join(
            [
                "from typing import TYPE_CHECKING",
                "if TYPE_CHECKING:",
                "    import crmculture.io",
                "else:",
                "    import crmculture.analysis",
                "try:",
                "    import crmculture.batch",
                "except ImportError:",
                "    pass",
                "def f():",
                "    from crmculture import cli",
                "class C:",
                "    import crmculture.org",
                "    async def g(self):",
                "        def h():",
                "            import crmculture.testing",
                "if typing.TYPE_CHECKING:",
                "    from .. import demo",
            ]
        )
        found = collect_imports(source, "crmculture.model.rules")
        assert [(i.module, i.name, i.line, i.deferred) for i in found] == [
            ("typing", "TYPE_CHECKING", 1, False),
            ("crmculture.io", None, 3, True),
            ("crmculture.analysis", None, 5, False),
            ("crmculture.batch", None, 7, False),
            ("crmculture", "cli", 11, True),
            ("crmculture.org", None, 13, False),
            ("crmculture.testing", None, 16, True),
            ("crmculture", "demo", 18, True),
        ]

    def test_a_from_import_depends_on_the_module_or_on_the_package(self) -> None:
        """`from p import x` depends on `p.x` when that is a module, else on `p`."""
        known = {"crmculture", "crmculture.cli", "crmculture.model"}
        assert target(Import("crmculture", "cli", 1, False), known) == "crmculture.cli"
        assert target(Import("crmculture", "Policy", 1, False), known) == "crmculture"
        assert target(Import("crmculture.model", "Rule", 1, False), known) == "crmculture.model"


def plant(root: pathlib.Path, files: dict[str, str]) -> pathlib.Path:
    """A small source tree under `root`: the package skeleton plus the given files."""
    skeleton = {
        "crmculture/__init__.py": "",
        "crmculture/errors.py": "",
        "crmculture/cli.py": "def main(): ...",
        "crmculture/io/__init__.py": "",
        "crmculture/model/__init__.py": "from crmculture.model.rules import Rule",
        "crmculture/model/conditions.py": "F = 1",
        "crmculture/model/rules.py": "Rule = 1",
        "crmculture/model/policies.py": "",
        "crmculture/evaluate/__init__.py": "",
        "crmculture/evaluate/compiler.py": "def compile_policy(policy): ...",
        "crmculture_pytest/__init__.py": "from crmculture.cli import main",
    }
    for name, text in {**skeleton, **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


# (id, a planted upward import in crmculture/model/rules.py, the module it reaches)
PLANTED: list[tuple[str, str, str]] = [
    ("import", "import crmculture.cli", "crmculture.cli"),
    ("from-package", "from crmculture import cli", "crmculture.cli"),
    ("from-module", "from crmculture.cli import main", "crmculture.cli"),
    ("front-door", "from crmculture import Policy", "crmculture"),
    ("relative-parent", "from .. import cli", "crmculture.cli"),
    ("relative-parent-module", "from ..cli import main", "crmculture.cli"),
    ("relative-subpackage", "from ..io import load", "crmculture.io"),
    ("in-a-function", "def f():\n    from crmculture import cli", "crmculture.cli"),
    ("type-checking", "if TYPE_CHECKING:\n    import crmculture.io", "crmculture.io"),
    ("plugin-package", "import crmculture_pytest", "crmculture_pytest"),
]


class TestPlantedUpwardImports:
    """The check fails on an upward import of every form, planted in a small tree."""

    def test_the_planted_tree_is_clean_without_a_plant(self, tmp_path: pathlib.Path) -> None:
        """The skeleton itself has no violation, so each one below is the plant's."""
        assert upward_imports(plant(tmp_path, {})) == []

    @pytest.mark.parametrize(
        ("source", "reached"), [p[1:] for p in PLANTED], ids=[p[0] for p in PLANTED]
    )
    def test_each_form_is_a_violation(
        self, tmp_path: pathlib.Path, source: str, reached: str
    ) -> None:
        """model importing from a higher layer is reported with its line and target."""
        root = plant(tmp_path, {"crmculture/model/rules.py": f"Rule = 1\n{source}\n"})
        line = source.count("\n") + 2
        assert upward_imports(root) == [f"crmculture.model.rules:{line} imports {reached}"]

    def test_the_allowed_edge_deferred_is_not_a_violation(self, tmp_path: pathlib.Path) -> None:
        """`Policy.compile` may import the compiler when it runs, and name its type for mypy."""
        source = "\n".join(
            [
                "from typing import TYPE_CHECKING",
                "if TYPE_CHECKING:",
                "    from crmculture.evaluate.compiler import CompiledPolicy",
                "def compile(policy):",
                "    from crmculture.evaluate.compiler import compile_policy",
            ]
        )
        assert upward_imports(plant(tmp_path, {"crmculture/model/policies.py": source})) == []

    def test_the_allowed_edge_at_the_top_level_is_a_violation(self, tmp_path: pathlib.Path) -> None:
        """Moved to the top of the module, the same import would be a cycle."""
        source = "from crmculture.evaluate.compiler import compile_policy"
        assert upward_imports(plant(tmp_path, {"crmculture/model/policies.py": source})) == [
            "crmculture.model.policies:1 imports crmculture.evaluate.compiler"
        ]

    def test_a_module_in_no_layer_is_reported(self, tmp_path: pathlib.Path) -> None:
        """A new top-level module fails until it is placed in the table."""
        files = {"crmculture/helpers.py": "", "crmculture/cli.py": "from . import helpers"}
        root = plant(tmp_path, files)
        with pytest.raises(AssertionError, match="add `helpers` to LAYERS"):
            upward_imports(root)
