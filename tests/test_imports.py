"""Imports cost what they are used for: `import crmculture` loads only what deciding needs.

The analysis package, the document formats and the version (importlib.metadata) are imported
when one of their names is first used (PEP 562 ``__getattr__`` in ``crmculture/__init__.py``);
networkx when an org graph is built. Each check runs in a fresh interpreter, so that what other
tests imported does not count.
"""

from __future__ import annotations

import ast
import json
import pathlib
import subprocess
import sys
from importlib.metadata import version

import pytest

import crmculture

INIT = pathlib.Path(crmculture.__file__)

# Modules `import crmculture` must not load: optional extras, and the parts of the library
# (and their dependencies) that deciding does not need.
NOT_ON_IMPORT = [
    "networkx",
    "pandas",
    "pyarrow",
    "numpy",
    "dask",
    "hypothesis",
    "yaml",
    "cattrs",
    "importlib.metadata",
    "crmculture.analysis",
    "crmculture.batch",
    "crmculture.io",
    "crmculture.testing",
    "crmculture.service",
    "starlette",
    "uvicorn",
    "prometheus_client",
]


def loaded_after(code: str) -> set[str]:
    """The modules of `NOT_ON_IMPORT` loaded after running `code` in a fresh interpreter."""
    probe = (
        f"import sys\n{code}\n"
        f"import json; print(json.dumps([m for m in {NOT_ON_IMPORT!r} if m in sys.modules]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


class TestImportCrmculture:
    def test_import_loads_none_of_the_heavy_parts(self) -> None:
        """`import crmculture` loads no extra, no analysis, no formats, no networkx."""
        assert loaded_after("import crmculture") == set()

    def test_deciding_loads_none_of_them_either(self) -> None:
        """Compiling a policy and deciding, with trace, JSON and explanation, needs none."""
        code = "\n".join(
            [
                "from crmculture import Directive, F, Fact, Policy, Rule, Schema",
                "schema = Schema([Fact.bool('credit_hold'), Fact.int('days', min=0)])",
                "route = Directive.text('route_to', default='frontline')",
                "policy = Policy('p', schema, [route], [",
                "    Rule('hold', when=F.credit_hold | (F.days > 60), then={'route_to': 'ar'})])",
                "d = policy.compile()({'credit_hold': False, 'days': 61})",
                "d.matched, d.to_json(), d.fingerprint, d.explain()",
            ]
        )
        assert loaded_after(code) == set()

    def test_the_check_sees_a_heavy_import(self) -> None:
        """The probe itself reports what was loaded (it can fail)."""
        assert "networkx" in loaded_after("import crmculture, networkx")


class TestLazyNames:
    @pytest.mark.parametrize(
        ("code", "loaded"),
        [
            ("import crmculture; crmculture.analysis.analyze", "crmculture.analysis"),
            ("from crmculture import analysis", "crmculture.analysis"),
            ("from crmculture import analyze", "crmculture.analysis"),
            ("import crmculture; crmculture.diff", "crmculture.analysis"),
            ("from crmculture import load", "crmculture.io"),
            ("import crmculture; crmculture.parse_condition('x > 1')", "crmculture.io"),
            ("import crmculture; crmculture.__version__", "importlib.metadata"),
            ("from crmculture import OrgGraph; OrgGraph([])", "networkx"),
        ],
        ids=["analysis", "from-analysis", "analyze", "diff", "load", "parse", "version", "org"],
    )
    def test_a_name_loads_what_it_needs(self, code: str, loaded: str) -> None:
        """Using a lazy name loads its module, and it works."""
        assert loaded in loaded_after(code)

    def test_lazy_names_are_the_objects_of_their_modules(self) -> None:
        """Each lazy name is the object its home module defines."""
        from crmculture import analysis, io

        assert crmculture.analysis is analysis
        for name in ("analyze", "diff"):
            assert getattr(crmculture, name) is getattr(analysis, name)
        for name in ("dump", "dump_policy", "load", "load_policy", "parse_condition"):
            assert getattr(crmculture, name) is getattr(io, name)
        assert crmculture.__version__ == version("crmculture")

    def test_analysis_still_works_through_the_front_door(self) -> None:
        """`crmculture.analyze` analyses a policy as before."""
        from crmculture.stories import acme_policy

        report = crmculture.analyze(acme_policy())
        assert report == crmculture.analysis.analyze(acme_policy())

    def test_an_unknown_name_is_an_attribute_error(self) -> None:
        """A name the package does not have raises AttributeError naming it."""
        with pytest.raises(AttributeError, match="has no attribute 'nonesuch'"):
            _ = crmculture.nonesuch  # type: ignore[attr-defined]

    def test_dir_lists_the_lazy_names(self) -> None:
        """`dir(crmculture)` shows every public name, loaded or not."""
        assert set(crmculture.__all__) <= set(dir(crmculture))

    def test_the_lazy_table_matches_the_type_checking_imports(self) -> None:
        """The names `__getattr__` imports are those the ``TYPE_CHECKING`` block imports
        (what type checkers and the front-door test see), from the same modules."""
        tree = ast.parse(INIT.read_text(encoding="utf-8"))
        declared: dict[str, str] = {}
        lazy: dict[str, str] = {}
        for node in tree.body:
            if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
                for item in node.body:
                    if isinstance(item, ast.ImportFrom):
                        assert item.module is not None
                        for alias in item.names:
                            module = item.module
                            if module == "crmculture":
                                module = f"crmculture.{alias.name}"
                            declared[alias.name] = module
            if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "_LAZY":
                lazy = ast.literal_eval(node.value)
        assert (declared, bool(lazy)) == (lazy, True)


def test_the_command_line_works_without_the_extras(tmp_path: pathlib.Path) -> None:
    """With pandas, pyarrow, numpy and dask unimportable (the core install), the command line
    imports and decides JSON Lines record by record."""
    source = tmp_path / "c.jsonl"
    source.write_text(
        '{"credit_hold": false, "days_overdue": 0, "annual_volume": 1, "tier": "gold"}\n'
    )
    culture = pathlib.Path(__file__).parent.parent / "examples" / "acme-culture.yaml"
    code = f"""
import sys
for name in ("pandas", "pyarrow", "numpy", "dask"):
    sys.modules[name] = None
from crmculture.cli import main
sys.exit(main(["decide", {str(culture)!r}, {str(source)!r}, "--emit", "directives",
               "--log", {str(tmp_path / "d.log")!r}]))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert '"service_level": "white_glove"' in result.stdout
