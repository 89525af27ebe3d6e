"""Conditions in culture documents: text, true/false, or structured mappings.

Every condition goes through the one condition checker (`crmculture.model.checker`), whatever
way it is written, so the same mistake gets the same message; this module only says where it
is. For text, the parser keeps where each atom was written and a problem gets the line and
column of its token, with a caret. For a structured condition, each atom's mapping is
remembered as it is read, and a problem is reported at the key of the part it is about
(``rules[1].when.all[0].op``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from crmculture.errors import ConditionSyntaxError, Path, Problem
from crmculture.io.condition_text import read_condition
from crmculture.io.converter import ABSENT
from crmculture.io.records import text_value
from crmculture.model.checker import ConditionProblem, check_condition
from crmculture.model.checker import atoms as condition_atoms
from crmculture.model.conditions import (
    DECISION,
    MAX_DEPTH,
    And,
    Between,
    Compare,
    Condition,
    In,
    Missing,
    Not,
    Or,
    as_condition,
)
from crmculture.model.directives import Directive
from crmculture.model.facts import Schema
from crmculture.model.values import MAX_DAYS, AsOf

__all__ = ["DocumentConditions"]

_OPS_IN_DOCUMENTS = (
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "in",
    "not in",
    "between",
    "is missing",
    "is not missing",
)


@attrs.define
class _Conditions:
    """Where the atoms of a structured condition are in the document, left to right."""

    paths: list[Path] = attrs.Factory(list)


class DocumentConditions:
    """Reads the conditions of one document, reporting each problem at its place.

    Args:
        report: Reports a problem at a document path (the caller finds its line and column).
        report_at: Reports a problem whose line and column are already known.
        locate: The line and column of a document path, when known.
        broken_facts: Facts already reported as broken: conditions using them are left out
            without a second report.
        broken_directives: The same, for directives.
    """

    def __init__(
        self,
        report: Callable[..., None],
        report_at: Callable[[Problem], None],
        locate: Callable[[Path], tuple[int | None, int | None]],
        broken_facts: set[str],
        broken_directives: set[str],
    ) -> None:
        self.report = report
        self.report_at = report_at
        self.locate = locate
        self.broken_facts = broken_facts
        self.broken_directives = broken_directives

    def condition(
        self,
        raw: Any,
        path: Path,
        schema: Schema,
        directives: Mapping[str, Directive] | None = None,
    ) -> Condition | None:
        """A condition from text, true/false or a structured mapping, checked by the one
        condition checker; None when it has problems (each reported) or uses something
        already reported as broken."""
        if isinstance(raw, bool):
            return as_condition(raw)
        if isinstance(raw, str):
            return self.text_condition(raw, path, schema, directives)
        if isinstance(raw, dict):
            atoms = _Conditions()
            built = self.structured(raw, path, 0, atoms, schema, directives)
            if built is None or self.uses_broken(built):
                return None
            checked, found = check_condition(built, schema, directives)
            for problem in found:
                self.report(_atom_path(atoms.paths, problem, path), problem.message, problem.value)
            return None if found else checked
        self.report(path, f"a condition is text, true/false or a mapping, not {type(raw).__name__}")
        return None

    def uses_broken(self, condition: Condition) -> bool:
        return bool(
            self.broken_facts.intersection(condition.facts())
            or self.broken_directives.intersection(condition.directives())
        )

    def text_condition(
        self,
        text: str,
        path: Path,
        schema: Schema,
        directives: Mapping[str, Directive] | None,
    ) -> Condition | None:
        try:
            condition, found = read_condition(text, schema, directives=directives)
        except ConditionSyntaxError as error:
            self.syntax_problem(error, path, text)
            return None
        if self.uses_broken(condition):
            return None
        for problem in found:
            self.syntax_problem(problem, path, text)
        return None if found else condition

    def syntax_problem(self, error: ConditionSyntaxError, path: Path, text: str) -> None:
        """Report a problem of condition text at its line and column in the document."""
        line, column = self.locate(path)
        if line is not None and column is not None:
            if error.line == 1:
                column += error.column - 1
            else:
                line, column = line + error.line - 1, error.column
        caret = str(error).split("\n", 1)[1]
        self.report_at(Problem(path, f"{error.reason}\n{caret}", text, line=line, column=column))

    def structured(
        self,
        raw: dict[Any, Any],
        path: Path,
        depth: int,
        atoms: _Conditions,
        schema: Schema,
        directives: Mapping[str, Directive] | None,
    ) -> Condition | None:
        """A structured condition as written, with where each atom is; not yet checked."""
        if depth > MAX_DEPTH:
            self.report(path, f"the condition nests deeper than {MAX_DEPTH} levels")
            return None
        keys = sorted(map(str, raw))
        if keys in (["all"], ["any"]):
            key = keys[0]
            items = raw[key]
            if not isinstance(items, list) or len(items) < 2:
                self.report((*path, key), f"`{key}` takes a list of at least two conditions")
                return None
            parts = [
                self.nested(item, (*path, key, i), depth, atoms, schema, directives)
                for i, item in enumerate(items)
            ]
            if any(part is None for part in parts):
                return None
            return (And if key == "all" else Or)(parts)  # type: ignore[arg-type]
        if keys == ["not"]:
            inner = self.nested(raw["not"], (*path, "not"), depth, atoms, schema, directives)
            return None if inner is None else Not(inner)
        if "fact" in raw and set(keys) <= {"fact", "op", "value"}:
            return self.atom(raw, path, atoms, schema, directives)
        self.report(
            path,
            "a structured condition is {all: [...]}, {any: [...]}, {not: ...} or "
            "{fact: ..., op: ..., value: ...}",
        )
        return None

    def nested(
        self,
        raw: Any,
        path: Path,
        depth: int,
        atoms: _Conditions,
        schema: Schema,
        directives: Mapping[str, Directive] | None,
    ) -> Condition | None:
        if isinstance(raw, dict):
            return self.structured(raw, path, depth + 1, atoms, schema, directives)
        if isinstance(raw, bool):
            return as_condition(raw)
        # Text inside a structured condition is checked on its own: its atoms have a caret.
        condition = self.condition(raw, path, schema, directives)
        if condition is not None:
            atoms.paths.extend(path for _ in range(len(condition_atoms(condition))))
        return condition

    def atom(
        self,
        raw: dict[Any, Any],
        path: Path,
        atoms: _Conditions,
        schema: Schema,
        directives: Mapping[str, Directive] | None,
    ) -> Condition | None:
        name, op, value = raw.get("fact"), raw.get("op", "=="), raw.get("value", ABSENT)
        if not isinstance(name, str):
            self.report((*path, "fact"), f"a fact name is a string, not `{name!r}`", name)
            return None
        if op not in _OPS_IN_DOCUMENTS:
            self.report(
                (*path, "op"),
                f"unknown operator `{op}` (use one of " + ", ".join(_OPS_IN_DOCUMENTS) + ")",
            )
            return None
        kind = _value_type(name, schema, directives)

        def typed(item: Any) -> Any:
            shift = item.get("as_of") if isinstance(item, dict) and len(item) == 1 else None
            if isinstance(shift, int) and not isinstance(shift, bool) and abs(shift) <= MAX_DAYS:
                return AsOf(shift)  # `{as_of: -365}`: 365 days before the as-of date
            return item if kind is None else text_value(kind, item)

        condition: Condition
        if op in ("is missing", "is not missing"):
            condition = Missing(name, negated=op == "is not missing")
        elif value is ABSENT:
            self.report(path, f"operator `{op}` needs a `value`")
            return None
        elif op in ("in", "not in"):
            if not isinstance(value, list):
                self.report((*path, "value"), f"`{op}` needs a list of values")
                return None
            nested = [v for v in value if isinstance(v, list | dict)]
            if nested:
                self.report(
                    (*path, "value"), f"`{op}` takes a list of values, not `{nested[0]!r}` in it"
                )
                return None
            condition = In(name, [typed(v) for v in value], negated=op == "not in")
        elif op == "between":
            if not isinstance(value, list) or len(value) != 2:
                self.report((*path, "value"), "`between` needs a list of two values [low, high]")
                return None
            condition = Between(name, typed(value[0]), typed(value[1]))
        else:
            condition = Compare(name, op, typed(value))
        atoms.paths.append(path)
        return condition


def _value_type(
    name: str, schema: Schema, directives: Mapping[str, Directive] | None
) -> str | None:
    """The type of the fact or decision directive an atom tests, when known."""
    if name.startswith(DECISION):
        directive = (directives or {}).get(name.removeprefix(DECISION))
        return None if directive is None else directive.type
    return schema[name].type if name in schema else None


def _atom_path(paths: list[Path], problem: ConditionProblem, whole: Path) -> Path:
    """Where a checker problem is in a structured condition: the atom's mapping, and the key
    of the part it is about."""
    if problem.atom is None or problem.atom >= len(paths):
        return whole
    path = paths[problem.atom]
    if problem.part is None:
        return path
    return (*path, problem.part)
