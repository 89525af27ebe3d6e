"""Imports point down the layers of the design (see style.md and design.md)."""

from __future__ import annotations

import ast
import pathlib

SOURCE = pathlib.Path(__file__).parent.parent / "src" / "crmculture"

# Lower layers first; a module may import only from its own layer or the ones before it.
LAYERS = [
    ["errors"],
    ["model"],
    ["evaluate"],
    ["org"],
    ["culture"],
    ["analysis"],
    ["batch", "dask"],
    ["io"],
    ["stories"],
    ["testing"],
    ["demo", "cli", "__main__"],
]
# The one upward edge, on purpose: `Policy.compile()` imports the compiler inside the method.
ALLOWED_UPWARD = {("model.policies", "evaluate.compiler")}


def layer_of(module: str) -> int:
    top = module.split(".")[0]
    for index, members in enumerate(LAYERS):
        if top in members:
            return index
    raise AssertionError(f"module `{module}` is in no layer: add it to LAYERS")


def modules() -> list[tuple[str, pathlib.Path]]:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(SOURCE).with_suffix("")
        parts = [p for p in relative.parts if p != "__init__"]
        if parts:
            found.append((".".join(parts), path))
    return found


def test_imports_point_down() -> None:
    """No module imports from a layer above its own, except the documented edge."""
    violations = []
    for name, path in modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("crmculture.")
            ):
                target = node.module.removeprefix("crmculture.")
                if layer_of(target) > layer_of(name) and (name, target) not in ALLOWED_UPWARD:
                    violations.append(f"{name} imports {target}")
    assert violations == []


def test_every_module_has_a_layer() -> None:
    """New modules must be placed in a layer."""
    for name, _ in modules():
        layer_of(name)
