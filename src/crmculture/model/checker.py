"""The condition checker: one place that decides whether a condition fits a schema.

Every route to a condition goes through `check_condition`: conditions built in Python with `F`
and `D`, conditions parsed from text, and structured conditions in documents. So the same
mistake gets the same message whichever way it was written; only *where* it is reported
differs (a rule id, a document line and column, a caret under the text).

A problem is placed at an atom of the condition: its position among the condition's atoms,
left to right (`atoms`), and the part of the atom (the fact, the operator or a value). The
text parser and the document loader keep where each atom came from, and turn that place into
a line and column.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeAlias, assert_never

import attrs

from crmculture.errors import Path, Problem, did_you_mean
from crmculture.model.conditions import (
    DECISION,
    MAX_DEPTH,
    OPS,
    ORDER_OPS,
    And,
    Atom,
    Between,
    Compare,
    Condition,
    Const,
    In,
    Missing,
    Not,
    Or,
)
from crmculture.model.directives import Directive
from crmculture.model.facts import Fact, Schema
from crmculture.model.values import AsOf, literal_text

__all__ = ["ConditionProblem", "Part", "atoms", "check_condition", "condition_problems"]

Part: TypeAlias = Literal["fact", "op", "value"]
"""The part of an atom a problem is about: the name it tests, its operator, or one of its
values (`ConditionProblem.value` says which)."""


@attrs.frozen
class ConditionProblem:
    """One problem of a condition, placed at one of its atoms.

    Attributes:
        message: Why it is a problem, lowercase, one line.
        atom: The atom's position among the condition's atoms, left to right (see `atoms`);
            None when the problem is about the whole condition.
        part: The part of the atom: ``fact``, ``op`` or ``value``.
        value: The offending value (for ``part="value"``, the value as written).
    """

    message: str
    atom: int | None = None
    part: Part | None = None
    value: Any = attrs.field(default=None, eq=False)


def atoms(condition: Condition) -> list[Atom]:
    """The condition's atoms, left to right as they are written.

    Examples:
        >>> from crmculture.model.conditions import F
        >>> [str(a) for a in atoms((F.tier >= "gold") & ~(F.credit_hold | F.is_reseller))]
        ['tier >= "gold"', 'credit_hold', 'is_reseller']
    """
    return [node for node in condition.walk() if isinstance(node, Atom)]


def condition_problems(found: tuple[ConditionProblem, ...], path: Path) -> list[Problem]:
    """The problems of a condition as `Problem`s at `path` (where the condition is)."""
    return [Problem(path, problem.message, problem.value) for problem in found]


def check_condition(
    condition: object,
    schema: Schema,
    directives: Mapping[str, Directive] | None = None,
) -> tuple[Condition, tuple[ConditionProblem, ...]]:
    """Check a condition against a schema; return it with its constants normalized, and every
    problem found.

    Problems: unknown facts (with a did-you-mean), constants of the wrong type or outside the
    fact's domain, ordering comparisons on unordered facts, a non-boolean fact used alone,
    empty lists, ``between`` with its ends reversed, ``is missing`` on a fact that is never
    missing. Constants are normalized the way customer values are (ints become `Decimal` for
    decimal facts, floats for float facts).

    Atoms naming ``decision.<directive>`` are allowed only when `directives` is given (handoff
    guards test the customer's decision; a policy's rules cannot): they are checked against
    the directive's type and values.

    Examples:
        >>> from crmculture.model.conditions import F
        >>> from crmculture.model.facts import Fact, Schema
        >>> schema = Schema([Fact.int("days_overdue", min=0), Fact.bool("hold")])
        >>> check_condition(F.days_overdu > 60, schema)[1][0].message
        'unknown fact `days_overdu` (did you mean `days_overdue`?)'
        >>> check_condition(F.hold > True, schema)[1][0].message
        '`>` does not apply to the boolean fact `hold`; test `hold` or `not hold`'
    """
    if not isinstance(condition, Condition):
        return condition, (  # type: ignore[return-value]
            ConditionProblem(f"`{condition!r}` is not a condition", value=condition),
        )
    depth = condition.depth()
    if depth > MAX_DEPTH:
        message = f"the condition nests {depth} levels deep; at most {MAX_DEPTH} are allowed"
        return condition, (ConditionProblem(message),)
    checker = _Checker(schema, directives)
    checked = checker.node(condition)
    return checked, tuple(checker.problems)


def _exact_float(
    check: Callable[[Any], tuple[Any, str | None]],
) -> Callable[[Any], tuple[Any, str | None]]:
    """A float fact's check for constants: a condition holds exactly what it says, so an int
    no float equals (beyond 2**53) is refused rather than rounded."""

    def exact(value: Any) -> tuple[Any, str | None]:
        normalized, problem = check(value)
        if problem is None and isinstance(value, int) and normalized != value:
            return value, f"`{value}` has no exact float value (the nearest is `{normalized!r}`)"
        return normalized, problem

    return exact


def _as_of_allowed(
    check: Callable[[Any], tuple[Any, str | None]], fact: Fact, listed: bool, allowed: bool
) -> Callable[[Any], tuple[Any, str | None]]:
    """`check`, letting the as-of date (`AsOf`) through where a date fact of a rule's or a
    promise's condition is compared with it (handoff guards, which read the decision, cannot)."""

    def checked(value: Any) -> tuple[Any, str | None]:
        if not isinstance(value, AsOf):
            return check(value)
        if not allowed:
            return value, f"`{value}` is for rules and promises; a handoff guard cannot use it"
        if listed:
            return value, f"`{value}` cannot be listed; compare with it (`<`, `between`)"
        if fact.type != "date":
            article = "an" if fact.type[0] in "aeiou" else "a"
            return value, f"`{value}` is a date; `{fact.name}` is {article} `{fact.type}` fact"
        return value, None

    return checked


class _Checker:
    def __init__(self, schema: Schema, directives: Mapping[str, Directive] | None) -> None:
        self.schema = schema
        self.directives = directives
        self.problems: list[ConditionProblem] = []
        self.atom = -1  # the position of the atom being checked

    def report(self, message: str, part: Part | None = None, value: Any = None) -> None:
        self.problems.append(ConditionProblem(message, self.atom, part, value))

    def node(self, node: Condition) -> Condition:
        if isinstance(node, And | Or):
            return type(node)(tuple(self.node(item) for item in node.items))
        if isinstance(node, Not):
            return Not(self.node(node.item))
        if isinstance(node, Const):
            return node
        if isinstance(node, Compare | In | Between | Missing):
            self.atom += 1
            if node.fact.startswith(DECISION):
                return self.decision_atom(node)
            return self.fact_atom(node)
        assert_never(node)

    def values(
        self,
        node: Compare | In | Between,
        check: Callable[[Any], tuple[Any, str | None]],
        label: str,
    ) -> Compare | In | Between:
        """The atom with its constants checked and normalized by `check`."""

        def constant(value: Any) -> Any:
            normalized, problem = check(value)
            if problem:
                self.report(f"{label}: {problem}", "value", value)
            return normalized

        if isinstance(node, Compare):
            return Compare(node.fact, node.op, constant(node.value))
        if isinstance(node, In):
            if not node.values:
                self.report("the list of values is empty", "op")
            return In(node.fact, [constant(v) for v in node.values], negated=node.negated)
        if isinstance(node, Between):
            return Between(node.fact, constant(node.low), constant(node.high))
        assert_never(node)

    def fact_atom(self, node: Compare | In | Between | Missing) -> Condition:
        if "." in node.fact:
            self.report(
                f"`{node.fact}` is not a fact name (only `decision.` names have a dot)", "fact"
            )
            return node
        if node.fact not in self.schema:
            if self.directives is not None and node.fact in self.directives:
                # Where the decision can be read, a directive's name wants its prefix.
                hint = f" (did you mean `{DECISION}{node.fact}`?)"
            else:
                hint = did_you_mean(node.fact, self.schema.names)
            self.report(f"unknown fact `{node.fact}`{hint}", "fact")
            return node
        fact = self.schema[node.fact]
        if isinstance(node, Missing):
            if not fact.optional:
                self.report(f"fact `{fact.name}` is required, so it is never missing", "fact")
            elif fact.has_default:
                self.report(f"fact `{fact.name}` has a default, so it is never missing", "fact")
            return node
        if isinstance(node, Compare):
            if node.op not in OPS:
                self.report(f"unknown operator `{node.op}`", "op")
                return node
            if node.op == "==" and node.value is True and fact.type != "bool":
                article = "an" if fact.type[0] in "aeiou" else "a"
                self.report(
                    f"`{fact.name}` is {article} `{fact.type}` fact, not a boolean: "
                    f"compare it with a value",
                    "fact",
                )
                return node
            if node.op in ORDER_OPS:
                self.ordered_fact(fact, node.op)
        elif isinstance(node, Between):
            self.ordered_fact(fact, "between")
        check = _exact_float(fact.check) if fact.type == "float" else fact.check
        check = _as_of_allowed(check, fact, isinstance(node, In), self.directives is None)
        checked = self.values(node, check, f"fact `{fact.name}`")
        if isinstance(checked, Between) and fact.ordered and fact.type != "bool":
            low, high = checked.low, checked.high
            try:
                key: Callable[[Any], Any] = (
                    fact.rank if fact.type == "enum" else (lambda value: value)
                )
                reversed_ends = key(low) > key(high)
            except (TypeError, ValueError, ArithmeticError):  # a bad constant, already reported
                reversed_ends = False
            if reversed_ends:
                self.report(
                    f"low end `{literal_text(low)}` is above high end `{literal_text(high)}`",
                    "value",
                    node.low,  # type: ignore[union-attr]
                )
        return checked

    def ordered_fact(self, fact: Fact, op: str) -> None:
        if fact.type == "bool":
            self.report(
                f"`{op}` does not apply to the boolean fact `{fact.name}`; "
                f"test `{fact.name}` or `not {fact.name}`",
                "op",
            )
        elif not fact.ordered:
            self.report(
                f"`{op}` needs an ordered fact; the enum `{fact.name}` is unordered "
                "(declare it ordered, or give it a `better` direction)",
                "op",
            )

    def decision_atom(self, node: Compare | In | Between | Missing) -> Condition:
        name = node.fact.removeprefix(DECISION)
        if self.directives is None:
            self.report(
                f"`{node.fact}` tests a decision: only handoff guards can, "
                "a rule's condition reads customer facts",
                "fact",
            )
            return node
        if name not in self.directives:
            message = f"unknown directive `{name}`" + did_you_mean(name, list(self.directives))
            self.report(message, "fact")
            return node
        directive = self.directives[name]
        if directive.collects:
            self.report(
                f"directive `{name}` collects a list of values; "
                "conditions on the decision (guards, promises) can test only single-valued "
                "directives",
                "fact",
            )
            return node
        if isinstance(node, Missing):
            self.report(f"directive `{name}` always has a value", "fact")
            return node
        ordered = directive.type in ("enum", "int", "decimal")
        op = (
            node.op if isinstance(node, Compare) else "between" if isinstance(node, Between) else ""
        )
        if op and (op in ORDER_OPS or op == "between") and not ordered:
            self.report(
                f"`{op}` needs an ordered directive; `{name}` is a `{directive.type}` directive",
                "op",
            )
        bare = isinstance(node, Compare) and node.op == "==" and node.value is True
        if bare and directive.type != "bool":
            self.report(f"`{node.fact}` is not a boolean: compare it with a value", "fact")
            return node
        return self.values(node, directive.check, f"directive `{name}`")
