"""Conditions: immutable boolean expressions over customer facts.

Conditions are data, not code: the evaluators run them, the analysis reasons about them, and
``str(condition)`` spells them in the condition syntax. Build them with the `F` builder::

    F.credit_hold | (F.days_overdue > 60)
    (F.tier >= "gold") & ~F.credit_hold
    F.region.isin(["emea", "apac"]) & F.annual_volume.between(100_000, 999_999)
    F.referral_code.is_missing()

A comparison involving a *missing* fact (an optional fact the record left out, with no
default) is false, whatever the operator, ``!=`` and ``not in`` included; only ``is missing``
is true of it. ``not`` is plain negation, so ``not (x > 5)`` is true when ``x`` is missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar, Literal, TypeAlias

import attrs

from crmculture.errors import Problem, did_you_mean
from crmculture.model.directives import Directive
from crmculture.model.facts import Fact, Schema
from crmculture.model.values import Scalar, literal_text

__all__ = [
    "ALWAYS",
    "DECISION",
    "NEVER",
    "And",
    "Between",
    "Compare",
    "Condition",
    "Const",
    "D",
    "F",
    "FactRef",
    "In",
    "Missing",
    "Not",
    "Op",
    "Or",
    "as_condition",
    "check_condition",
]

Op: TypeAlias = Literal["==", "!=", "<", "<=", ">", ">="]
"""A comparison operator."""

OPS: tuple[Op, ...] = ("==", "!=", "<", "<=", ">", ">=")
ORDER_OPS: frozenset[str] = frozenset({"<", "<=", ">", ">="})
NEGATED_OP: dict[Op, Op] = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}

DECISION = "decision."
"""The prefix of atoms that test a directive of the customer's decision (in handoff guards):
``decision.route_to == "accounts_receivable"``."""

MAX_DEPTH = 64
"""The deepest nesting a policy's condition may have; deeper ones are a `PolicyError` (they
would exhaust recursion in printers and compilers, and no culture needs them)."""

# Binding strength when printing: or < and < not < atom.
_OR, _AND, _NOT, _ATOM = 1, 2, 3, 4


def _sort_key(value: Any) -> tuple[str, Any]:
    return (type(value).__name__, value)


class Condition:
    """Base of every condition node. Combine with ``&``, ``|`` and ``~``.

    Conditions are frozen attrs classes: equal by value, hashable, safe to share.
    """

    __slots__ = ()
    precedence: ClassVar[int] = _ATOM

    def __and__(self, other: Condition | FactRef) -> Condition:
        return And((self, as_condition(other)))

    def __rand__(self, other: Condition | FactRef) -> Condition:
        return And((as_condition(other), self))

    def __or__(self, other: Condition | FactRef) -> Condition:
        return Or((self, as_condition(other)))

    def __ror__(self, other: Condition | FactRef) -> Condition:
        return Or((as_condition(other), self))

    def __invert__(self) -> Condition:
        return Not(self)

    def __bool__(self) -> bool:
        raise TypeError(
            "a condition has no truth value in Python; combine conditions with `&`, `|` and `~`, "
            "not `and`, `or` and `not`"
        )

    def children(self) -> tuple[Condition, ...]:
        """The direct sub-conditions (empty for atoms)."""
        return ()

    def walk(self) -> Iterator[Condition]:
        """Every node of the condition, depth first, this one first."""
        stack: list[Condition] = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children()))

    def facts(self) -> tuple[str, ...]:
        """The names of the customer facts the condition reads, sorted.

        Examples:
            >>> ((F.tier >= "gold") & ~F.credit_hold).facts()
            ('credit_hold', 'tier')
        """
        names = {n.fact for n in self.walk() if isinstance(n, Atom)}
        return tuple(sorted(name for name in names if not name.startswith(DECISION)))

    def directives(self) -> tuple[str, ...]:
        """The names of the decision directives the condition reads (handoff guards), sorted.

        Examples:
            >>> ((D.route_to == "accounts_receivable") & F.credit_hold).directives()
            ('route_to',)
        """
        names = {n.fact for n in self.walk() if isinstance(n, Atom)}
        return tuple(sorted(n.removeprefix(DECISION) for n in names if n.startswith(DECISION)))

    def depth(self) -> int:
        """How deeply the condition nests: 1 for an atom; computed without recursion.

        Examples:
            >>> (~(F.a | (F.b & F.c))).depth()
            4
        """
        deepest = 0
        stack: list[tuple[Condition, int]] = [(self, 1)]
        while stack:
            node, level = stack.pop()
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in node.children())
        return deepest

    def text(self, parent_precedence: int = 0) -> str:
        """The condition in the condition syntax, parenthesised for `parent_precedence`."""
        raise NotImplementedError

    def __str__(self) -> str:
        return self.text()


class Atom(Condition):
    """A test of one fact; every atom has a `fact` attribute."""

    __slots__ = ()
    fact: str


@attrs.frozen(repr=False)
class Const(Condition):
    """The condition that is always true (`ALWAYS`) or always false (`NEVER`)."""

    value: bool

    def text(self, parent_precedence: int = 0) -> str:
        return "true" if self.value else "false"

    def __repr__(self) -> str:
        return "ALWAYS" if self.value else "NEVER"


ALWAYS = Const(True)
NEVER = Const(False)


@attrs.frozen
class Compare(Atom):
    """``fact OP value``; a boolean fact alone means ``fact == true``.

    Examples:
        >>> str(F.days_overdue > 60), str(F.credit_hold == True), str(F.credit_hold == False)
        ('days_overdue > 60', 'credit_hold', 'credit_hold == false')
    """

    fact: str
    op: Op
    value: Scalar

    def text(self, parent_precedence: int = 0) -> str:
        if self.op == "==" and self.value is True:
            return self.fact
        return f"{self.fact} {self.op} {literal_text(self.value)}"


def _sorted_values(values: Iterable[Scalar]) -> tuple[Scalar, ...]:
    if isinstance(values, str):
        raise TypeError(f"expected a list of values, got the string `{values}`")
    # De-duplicate by type and value: `True == 1`, but they are different values here.
    unique = {(type(value).__name__, value): value for value in values}
    return tuple(sorted(unique.values(), key=_sort_key))


@attrs.frozen
class In(Atom):
    """``fact in [values]`` (or ``not in`` when `negated`); values are kept sorted, unique.

    Examples:
        >>> str(F.region.isin(["emea", "apac"]))
        'region in ["apac", "emea"]'
    """

    fact: str
    values: tuple[Scalar, ...] = attrs.field(converter=_sorted_values)
    negated: bool = False

    def text(self, parent_precedence: int = 0) -> str:
        listed = ", ".join(literal_text(v) for v in self.values)
        return f"{self.fact} {'not in' if self.negated else 'in'} [{listed}]"


@attrs.frozen
class Between(Atom):
    """``fact between low and high``, both ends included.

    Examples:
        >>> str(F.annual_volume.between(100_000, 999_999))
        'annual_volume between 100000 and 999999'
    """

    fact: str
    low: Scalar
    high: Scalar

    def text(self, parent_precedence: int = 0) -> str:
        return f"{self.fact} between {literal_text(self.low)} and {literal_text(self.high)}"


@attrs.frozen
class Missing(Atom):
    """``fact is missing`` (or ``is not missing`` when `negated`).

    Examples:
        >>> str(F.referral_code.is_missing())
        'referral_code is missing'
    """

    fact: str
    negated: bool = False

    def text(self, parent_precedence: int = 0) -> str:
        return f"{self.fact} is {'not missing' if self.negated else 'missing'}"


def _flatten(items: Iterable[Condition | FactRef], kind: type[And | Or]) -> tuple[Condition, ...]:
    if isinstance(items, Condition | FactRef):
        raise TypeError(f"{kind.__name__} takes a list of conditions, not one condition")
    flat: list[Condition] = []
    for item in items:
        condition = as_condition(item)
        if isinstance(condition, kind):
            flat.extend(condition.items)
        else:
            flat.append(condition)
    return tuple(flat)


def _flatten_and(items: Iterable[Condition | FactRef]) -> tuple[Condition, ...]:
    return _flatten(items, And)


def _flatten_or(items: Iterable[Condition | FactRef]) -> tuple[Condition, ...]:
    return _flatten(items, Or)


def _coerce(item: Condition | FactRef | bool) -> Condition:
    return as_condition(item)


def _at_least_two(instance: Any, attribute: Any, value: tuple[Condition, ...]) -> None:
    if len(value) < 2:
        raise ValueError(f"{type(instance).__name__} needs at least two conditions")


@attrs.frozen
class And(Condition):
    """All of `items` hold. Nested ands are flattened: ``a & (b & c) == And((a, b, c))``."""

    items: tuple[Condition, ...] = attrs.field(converter=_flatten_and, validator=_at_least_two)
    precedence: ClassVar[int] = _AND

    def children(self) -> tuple[Condition, ...]:
        return self.items

    def text(self, parent_precedence: int = 0) -> str:
        inner = " and ".join(item.text(_AND) for item in self.items)
        return f"({inner})" if parent_precedence > _AND else inner


@attrs.frozen
class Or(Condition):
    """At least one of `items` holds. Nested ors are flattened."""

    items: tuple[Condition, ...] = attrs.field(converter=_flatten_or, validator=_at_least_two)
    precedence: ClassVar[int] = _OR

    def children(self) -> tuple[Condition, ...]:
        return self.items

    def text(self, parent_precedence: int = 0) -> str:
        inner = " or ".join(item.text(_OR) for item in self.items)
        return f"({inner})" if parent_precedence > _OR else inner


@attrs.frozen
class Not(Condition):
    """`item` does not hold.

    Examples:
        >>> str(~(F.credit_hold | F.is_reseller))
        'not (credit_hold or is_reseller)'
    """

    item: Condition = attrs.field(converter=_coerce)
    precedence: ClassVar[int] = _NOT

    def children(self) -> tuple[Condition, ...]:
        return (self.item,)

    def text(self, parent_precedence: int = 0) -> str:
        inner = f"not {self.item.text(_NOT)}"
        return f"({inner})" if parent_precedence > _NOT else inner


class FactRef:
    """A fact named in a condition under construction; made by `F`.

    Comparison operators build `Compare` atoms; `isin`, `not_in`, `between`, `is_missing` and
    `is_not_missing` build the other atoms. Used directly where a condition is expected (with
    ``&``, ``|``, ``~`` or as a rule's ``when``), a fact reference means ``fact == true``.
    """

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"F.{self.name}"

    def __hash__(self) -> int:
        return hash(("FactRef", self.name))

    def __eq__(self, value: Scalar) -> Compare:  # type: ignore[override]
        return Compare(self.name, "==", value)

    def __ne__(self, value: Scalar) -> Compare:  # type: ignore[override]
        return Compare(self.name, "!=", value)

    def __lt__(self, value: Scalar) -> Compare:
        return Compare(self.name, "<", value)

    def __le__(self, value: Scalar) -> Compare:
        return Compare(self.name, "<=", value)

    def __gt__(self, value: Scalar) -> Compare:
        return Compare(self.name, ">", value)

    def __ge__(self, value: Scalar) -> Compare:
        return Compare(self.name, ">=", value)

    def isin(self, values: Iterable[Scalar]) -> In:
        """``fact in [values]``."""
        return In(self.name, values)

    def not_in(self, values: Iterable[Scalar]) -> In:
        """``fact not in [values]`` (false when the fact is missing)."""
        return In(self.name, values, negated=True)

    def between(self, low: Scalar, high: Scalar) -> Between:
        """``fact between low and high``, both ends included."""
        return Between(self.name, low, high)

    def is_missing(self) -> Missing:
        """``fact is missing``."""
        return Missing(self.name)

    def is_not_missing(self) -> Missing:
        """``fact is not missing``."""
        return Missing(self.name, negated=True)

    def as_condition(self) -> Compare:
        """``fact == true``: the meaning of a boolean fact used as a condition."""
        return Compare(self.name, "==", True)

    def __and__(self, other: Condition | FactRef) -> Condition:
        return And((self, other))

    def __rand__(self, other: Condition | FactRef) -> Condition:
        return And((other, self))

    def __or__(self, other: Condition | FactRef) -> Condition:
        return Or((self, other))

    def __ror__(self, other: Condition | FactRef) -> Condition:
        return Or((other, self))

    def __invert__(self) -> Condition:
        return Not(self.as_condition())

    def __bool__(self) -> bool:
        raise TypeError(
            f"`F.{self.name}` has no truth value in Python; compare it (`F.{self.name} > 3`) or "
            "combine it with `&`, `|` and `~`"
        )


class _FactBuilder:
    """Builds fact references: ``F.days_overdue`` or ``F["days_overdue"]``.

    Examples:
        >>> F.days_overdue > 60
        Compare(fact='days_overdue', op='>', value=60)
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> FactRef:
        if name.startswith("_"):
            raise AttributeError(name)
        return FactRef(name)

    def __getitem__(self, name: str) -> FactRef:
        return FactRef(name)

    def __repr__(self) -> str:
        return "F"


F = _FactBuilder()
"""The condition builder: ``F.<fact name>`` is a `FactRef`."""


class _DecisionBuilder:
    """Builds references to the directives of the customer's decision, for handoff guards:
    ``D.route_to == "accounts_receivable"`` is ``decision.route_to == "accounts_receivable"``.

    Examples:
        >>> str(D.route_to == "accounts_receivable")
        'decision.route_to == "accounts_receivable"'
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> FactRef:
        if name.startswith("_"):
            raise AttributeError(name)
        return FactRef(DECISION + name)

    def __getitem__(self, name: str) -> FactRef:
        return FactRef(DECISION + name)

    def __repr__(self) -> str:
        return "D"


D = _DecisionBuilder()
"""The guard builder: ``D.<directive name>`` refers to the customer's decision."""


def as_condition(value: Condition | FactRef | bool) -> Condition:
    """Coerce a fact reference (meaning ``fact == true``) or a bool to a `Condition`.

    Examples:
        >>> as_condition(F.credit_hold)
        Compare(fact='credit_hold', op='==', value=True)
        >>> as_condition(True)
        ALWAYS
    """
    if isinstance(value, Condition):
        return value
    if isinstance(value, FactRef):
        return value.as_condition()
    if isinstance(value, bool):
        return ALWAYS if value else NEVER
    raise TypeError(f"expected a condition, got {type(value).__name__} `{value!r}`")


def check_condition(
    condition: Condition,
    schema: Schema,
    path: str,
    directives: Mapping[str, Directive] | None = None,
) -> tuple[Condition, list[Problem]]:
    """Check a condition against a schema; return it with normalized constants, and problems.

    Problems: unknown facts (with a did-you-mean), constants of the wrong type or outside the
    fact's domain, ordering comparisons on unordered facts, empty lists, ``between`` with its
    ends reversed, ``is missing`` on a required fact. Constants are normalized the way customer
    values are (ints become `Decimal` for decimal facts, floats for float facts).

    Atoms naming ``decision.<directive>`` are allowed only when `directives` is given (handoff
    guards test the customer's decision; a policy's rules cannot): they are checked against
    the directive's type and values.

    Examples:
        >>> from crmculture.model.facts import Fact, Schema
        >>> schema = Schema([Fact.int("days_overdue", min=0)])
        >>> check_condition(F.days_overdu > 60, schema, "when")[1][0].message
        'unknown fact `days_overdu` (did you mean `days_overdue`?)'
    """
    problems: list[Problem] = []
    if not isinstance(condition, Condition):
        return condition, [Problem(path, f"`{condition!r}` is not a condition", condition)]
    depth = condition.depth()
    if depth > MAX_DEPTH:
        message = f"the condition nests {depth} levels deep; at most {MAX_DEPTH} are allowed"
        return condition, [Problem(path, message)]
    checked = _check(condition, schema, path, problems, directives)
    return checked, problems


def _check(
    node: Condition,
    schema: Schema,
    path: str,
    problems: list[Problem],
    directives: Mapping[str, Directive] | None,
) -> Condition:
    if isinstance(node, And | Or):
        return type(node)(
            tuple(_check(item, schema, path, problems, directives) for item in node.items)
        )
    if isinstance(node, Not):
        return Not(_check(node.item, schema, path, problems, directives))
    if isinstance(node, Const):
        return node
    if not isinstance(node, Atom):
        problems.append(Problem(path, f"`{node!r}` is not a condition"))
        return node
    if node.fact.startswith(DECISION):
        return _check_decision_atom(node, directives, path, problems)
    if node.fact not in schema:
        problems.append(
            Problem(path, f"unknown fact `{node.fact}`" + did_you_mean(node.fact, schema.names))
        )
        return node
    fact = schema[node.fact]
    where = f"{path}: `{node}`"

    def constant(value: Any) -> Any:
        normalized, problem = fact.check(value)
        if problem:
            problems.append(Problem(where, f"fact `{fact.name}`: {problem}", value))
        return normalized

    if isinstance(node, Compare):
        if node.op not in OPS:
            problems.append(Problem(where, f"unknown operator `{node.op}`"))
            return node
        if node.op in ORDER_OPS:
            _check_ordered(fact, node.op, where, problems)
        return Compare(node.fact, node.op, constant(node.value))
    if isinstance(node, In):
        if not node.values:
            problems.append(Problem(where, "the list of values is empty"))
        return In(node.fact, [constant(v) for v in node.values], negated=node.negated)
    if isinstance(node, Between):
        _check_ordered(fact, "between", where, problems)
        low, high = constant(node.low), constant(node.high)
        if fact.ordered and fact.type != "bool":
            try:
                reversed_ends = _order_key(fact, low) > _order_key(fact, high)
            except (TypeError, ValueError):
                reversed_ends = False
            if reversed_ends:
                problems.append(
                    Problem(
                        where,
                        f"low end `{literal_text(low)}` is above high end `{literal_text(high)}`",
                    )
                )
        return Between(node.fact, low, high)
    assert isinstance(node, Missing)
    if not fact.optional:
        problems.append(Problem(where, f"fact `{fact.name}` is required, so it is never missing"))
    elif fact.has_default:
        problems.append(Problem(where, f"fact `{fact.name}` has a default, so it is never missing"))
    return node


def _order_key(fact: Fact, value: Any) -> Any:
    return fact.rank(value) if fact.type == "enum" else value


def _check_ordered(fact: Fact, op: str, where: str, problems: list[Problem]) -> None:
    if fact.type == "bool":
        problems.append(
            Problem(
                where,
                f"`{op}` does not apply to the boolean fact "
                f"`{fact.name}`; test `{fact.name}` or `not {fact.name}`",
            )
        )
    elif not fact.ordered:
        problems.append(
            Problem(
                where,
                f"`{op}` needs an ordered fact; the enum `{fact.name}` "
                "is unordered (declare it with ordered=True or a better "
                "direction)",
            )
        )


def _check_decision_atom(
    node: Atom, directives: Mapping[str, Directive] | None, path: str, problems: list[Problem]
) -> Condition:
    name = node.fact.removeprefix(DECISION)
    if directives is None:
        problems.append(
            Problem(
                path,
                f"`{node.fact}` tests a decision: only handoff guards "
                "can, a rule's condition reads customer facts",
            )
        )
        return node
    if name not in directives:
        problems.append(
            Problem(path, f"unknown directive `{name}`" + did_you_mean(name, list(directives)))
        )
        return node
    directive = directives[name]
    where = f"{path}: `{node}`"
    if directive.combine.value == "collect":
        problems.append(
            Problem(
                where,
                f"directive `{name}` collects a list of values; guards "
                "can test only single-valued directives",
            )
        )
        return node
    ordered = directive.type in ("ordered", "int", "decimal")

    def constant(value: Any) -> Any:
        normalized, problem = directive.check(value)
        if problem:
            problems.append(Problem(where, f"directive `{name}`: {problem}", value))
        return normalized

    if isinstance(node, Missing):
        problems.append(Problem(where, f"directive `{name}` always has a value"))
        return node
    if isinstance(node, Compare):
        if node.op in ORDER_OPS and not ordered:
            problems.append(
                Problem(
                    where,
                    f"`{node.op}` needs an ordered directive; "
                    f"`{name}` is a `{directive.type}` directive",
                )
            )
        return Compare(node.fact, node.op, constant(node.value))
    if isinstance(node, In):
        if not node.values:
            problems.append(Problem(where, "the list of values is empty"))
        return In(node.fact, [constant(v) for v in node.values], negated=node.negated)
    assert isinstance(node, Between)
    if not ordered:
        problems.append(
            Problem(
                where,
                f"`between` needs an ordered directive; `{name}` is a `{directive.type}` directive",
            )
        )
    return Between(node.fact, constant(node.low), constant(node.high))
