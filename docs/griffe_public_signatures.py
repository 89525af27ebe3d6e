"""A griffe extension for the API reference: constructor signatures, and no private names.

mkdocstrings reads the source statically, which leaves two gaps on our pages:

- an attrs class has no ``__init__`` in its source (attrs writes it at import time), so
  `Schema`, `Fact`, `Rule` and `Directive` showed no constructor signature. For each attrs
  class without one, this extension adds the ``__init__`` that attrs generated, read with
  `inspect.signature` from the imported class;
- classes with methods named ``int``, ``bool`` and ``float`` (``Fact.int``, ``Directive.bool``)
  annotate with module aliases of the builtins (``_Int = builtins.int``), because inside such a
  class body ``int`` is the method. The reader should see ``int``, so annotations are
  rewritten to the builtin names.

Loaded by mkdocs.yml (``plugins.mkdocstrings.handlers.python.options.extensions``).
"""

from __future__ import annotations

import enum
import importlib
import inspect
import re
from typing import Any

import attrs
import griffe

# The private aliases of builtins, and the names a reader knows them by.
BUILTIN_ALIASES = {"_Int": "int", "_Bool": "bool", "_Float": "float", "_Str": "str"}
KINDS = {
    inspect.Parameter.POSITIONAL_ONLY: griffe.ParameterKind.positional_only,
    inspect.Parameter.POSITIONAL_OR_KEYWORD: griffe.ParameterKind.positional_or_keyword,
    inspect.Parameter.VAR_POSITIONAL: griffe.ParameterKind.var_positional,
    inspect.Parameter.KEYWORD_ONLY: griffe.ParameterKind.keyword_only,
    inspect.Parameter.VAR_KEYWORD: griffe.ParameterKind.var_keyword,
}


def _public_text(text: str, module: griffe.Module) -> str:
    """An annotation written as text, its private names replaced as `_rename` does."""

    def public(match: re.Match[str]) -> str:
        name = match.group(0)
        if name in BUILTIN_ALIASES:
            return BUILTIN_ALIASES[name]
        alias = module.members.get(name)
        if isinstance(alias, griffe.Attribute) and alias.value is not None:
            return str(alias.value)
        return name

    return re.sub(r"(?<![\w.])_[A-Za-z]\w*", public, text)


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _rename(expression: Any, module: griffe.Module) -> None:
    """Rewrite the private names of an annotation expression in place: builtin aliases to
    the builtin's name, a private type alias of the module to what it stands for."""
    if not isinstance(expression, griffe.Expr):
        return
    for part in expression.iterate(flat=True):
        if not isinstance(part, griffe.ExprName) or not _private(part.name):
            continue
        if part.name in BUILTIN_ALIASES:
            part.name = BUILTIN_ALIASES[part.name]
            continue
        alias = module.members.get(part.name)
        if isinstance(alias, griffe.Attribute) and alias.value is not None:
            part.name = str(alias.value)


def _public_bases(cls: griffe.Class) -> list[Any]:
    """The bases of `cls`, a private base replaced by its own bases (an error deriving from
    `_ProblemsError` shows `CrmCultureError`)."""
    bases: list[Any] = []
    for base in cls.bases:
        name = str(base)
        private = cls.module.members.get(name) if _private(name) else None
        if isinstance(private, griffe.Class):
            bases.extend(b for b in _public_bases(private) if b not in bases)
        elif base not in bases:
            bases.append(base)
    return bases


def _runtime(cls: griffe.Class) -> Any:
    """The imported class `cls` documents, or None when it cannot be imported."""
    try:
        value: Any = importlib.import_module(cls.module.path)
        for part in cls.path.removeprefix(cls.module.path + ".").split("."):
            value = getattr(value, part)
    except (ImportError, AttributeError):
        return None
    return value


def _attrs_init(cls: griffe.Class, runtime: Any) -> griffe.Function:
    """The ``__init__`` attrs generated for `runtime`, as griffe sees a function."""
    parameters = [griffe.Parameter("self", kind=griffe.ParameterKind.positional_or_keyword)]
    for parameter in inspect.signature(runtime).parameters.values():
        annotation = parameter.annotation
        if annotation is inspect.Parameter.empty:
            annotation = None
        elif not isinstance(annotation, str):
            annotation = inspect.formatannotation(annotation)
        default = None
        if parameter.default is not inspect.Parameter.empty:
            default = _default_text(parameter.default)
        parameters.append(
            griffe.Parameter(
                parameter.name,
                annotation=None if annotation is None else _public_text(annotation, cls.module),
                kind=KINDS[parameter.kind],
                default=default,
            )
        )
    return griffe.Function(
        "__init__",
        parameters=griffe.Parameters(*parameters),
        returns="None",
        parent=cls,
    )


def _default_text(value: Any) -> str:
    """A default as the reader would write it: `Combine.FIRST`, `NO_DEFAULT`, `None`."""
    if isinstance(value, enum.Enum):
        # A private enum is a sentinel such as NO_DEFAULT: its member is the public name.
        owner = type(value).__name__
        return value.name if owner.startswith("_") else f"{owner}.{value.name}"
    return repr(value)


class PublicSignatures(griffe.Extension):
    """Add attrs constructors and write builtins by their names (see the module docstring)."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        if pkg.name != "crmculture":
            return
        seen: set[int] = set()
        self._visit(pkg, seen)

    def _visit(self, obj: griffe.Object, seen: set[int]) -> None:
        if id(obj) in seen:
            return
        seen.add(id(obj))
        if isinstance(obj, griffe.Class) and "__init__" not in obj.members:
            runtime = _runtime(obj)
            if runtime is not None and attrs.has(runtime):
                obj.set_member("__init__", _attrs_init(obj, runtime))
        if isinstance(obj, griffe.Class):
            obj.bases = _public_bases(obj)
        if isinstance(obj, griffe.Function):
            for parameter in obj.parameters:
                _rename(parameter.annotation, obj.module)
            _rename(obj.returns, obj.module)
        if isinstance(obj, griffe.Attribute):
            _rename(obj.annotation, obj.module)
            # `F = _FactBuilder()`: the value says nothing a reader can use; the type does.
            if obj.value is not None and any(
                isinstance(part, griffe.ExprName) and _private(part.name)
                for part in (
                    obj.value.iterate(flat=True) if isinstance(obj.value, griffe.Expr) else ()
                )
            ):
                obj.value = None
        for member in list(obj.members.values()):
            if not member.is_alias:
                self._visit(member, seen)  # type: ignore[arg-type]
