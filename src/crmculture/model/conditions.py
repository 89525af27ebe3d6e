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

from collections.abc import Iterable, Iterator
from typing import Any, ClassVar, Literal, TypeAlias, assert_never

import attrs

from crmculture.errors import PolicyError, Problem
from crmculture.model.values import AsOf, Operand, Scalar, literal_text

__all__ = [
    "ALWAYS",
    "DECISION",
    "NEVER",
    "And",
    "Between",
    "Compare",
    "Condition",
    "ConditionNode",
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

MAX_BUILD_DEPTH = 256
"""The deepest a condition can be built at all, in Python or by the analysis (a `PolicyError`
beyond): printing, hashing and comparing conditions recurse, and stay far inside Python's
recursion limit below it."""

# Binding strength when printing: or < and < not < atom.
_OR, _AND, _NOT, _ATOM = 1, 2, 3, 4


def _sort_key(value: Any) -> tuple[str, Any]:
    return (type(value).__name__, value)


class ConditionNode:
    """The behaviour every condition node shares. Combine nodes with ``&``, ``|`` and ``~``.

    Annotate with `Condition`, the closed union of the node classes, rather than with this
    class; a new kind of node subclasses it *and* joins that union.
    """

    __slots__ = ()
    precedence: ClassVar[int] = _ATOM

    def _member(self) -> Condition:
        """This node, typed as a member of the `Condition` union."""
        assert isinstance(self, Condition), f"{type(self).__name__} is missing from `Condition`"
        return self

    def __and__(self, other: Condition | FactRef) -> Condition:
        return And((self._member(), as_condition(other)))

    def __rand__(self, other: Condition | FactRef) -> Condition:
        return And((as_condition(other), self._member()))

    def __or__(self, other: Condition | FactRef) -> Condition:
        return Or((self._member(), as_condition(other)))

    def __ror__(self, other: Condition | FactRef) -> Condition:
        return Or((as_condition(other), self._member()))

    def __invert__(self) -> Condition:
        return Not(self._member())

    def __bool__(self) -> bool:
        raise TypeError(
            "a condition has no truth value in Python; combine conditions with `&`, `|` and `~`, "
            "not `and`, `or` and `not`"
        )

    def children(self) -> tuple[Condition, ...]:
        """The direct sub-conditions (empty for atoms)."""
        return _children(self._member())

    def walk(self) -> Iterator[Condition]:
        """Every node of the condition, depth first, this one first."""
        stack: list[Condition] = [self._member()]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(_children(node)))

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

    def uses_as_of(self) -> bool:
        """Whether the condition compares a fact with the as-of date (`crmculture.AS_OF`).

        Examples:
            >>> from crmculture.model.values import AS_OF
            >>> (F.verified_on < AS_OF.minus(days=365)).uses_as_of(), (F.days > 3).uses_as_of()
            (True, False)
        """
        for node in self.walk():
            if isinstance(node, Compare) and isinstance(node.value, AsOf):
                return True
            if isinstance(node, Between) and (
                isinstance(node.low, AsOf) or isinstance(node.high, AsOf)
            ):
                return True
        return False

    def depth(self) -> int:
        """How deeply the condition nests: 1 for an atom (recorded when the node was built).

        Examples:
            >>> (~(F.a | (F.b & F.c))).depth()
            4
        """
        return _depth_of(self._member())

    def text(self, parent_precedence: int = 0) -> str:
        """The condition in the condition syntax, parenthesised for `parent_precedence`."""
        return _text(self._member(), parent_precedence)

    def __str__(self) -> str:
        return self.text()


@attrs.frozen(repr=False)
class Const(ConditionNode):
    """The condition that is always true (`ALWAYS`) or always false (`NEVER`)."""

    value: bool

    def __repr__(self) -> str:
        return "ALWAYS" if self.value else "NEVER"


ALWAYS = Const(True)
NEVER = Const(False)


@attrs.frozen
class Compare(ConditionNode):
    """``fact OP value``; a boolean fact alone means ``fact == true``.

    Examples:
        >>> str(F.days_overdue > 60), str(F.credit_hold == True), str(F.credit_hold == False)
        ('days_overdue > 60', 'credit_hold', 'credit_hold == false')
    """

    fact: str
    op: Op
    value: Operand


def _sorted_values(values: Iterable[Scalar]) -> tuple[Scalar, ...]:
    if isinstance(values, str):
        raise TypeError(f"expected a list of values, got the string `{values}`")
    listed = list(values)
    try:
        # De-duplicate by type and value: `True == 1`, but they are different values here.
        unique = {(type(value).__name__, value): value for value in listed}
        return tuple(sorted(unique.values(), key=_sort_key))
    except (TypeError, ArithmeticError):
        # Values without an order or a hash (a signaling NaN, a list): kept as given, for the
        # checker to report.
        return tuple(listed)


@attrs.frozen
class In(ConditionNode):
    """``fact in [values]`` (or ``not in`` when `negated`); values are kept sorted, unique.

    Examples:
        >>> str(F.region.isin(["emea", "apac"]))
        'region in ["apac", "emea"]'
    """

    fact: str
    values: tuple[Scalar, ...] = attrs.field(converter=_sorted_values)
    negated: bool = False


@attrs.frozen
class Between(ConditionNode):
    """``fact between low and high``, both ends included.

    Examples:
        >>> str(F.annual_volume.between(100_000, 999_999))
        'annual_volume between 100000 and 999999'
    """

    fact: str
    low: Operand
    high: Operand


@attrs.frozen
class Missing(ConditionNode):
    """``fact is missing`` (or ``is not missing`` when `negated`).

    Examples:
        >>> str(F.referral_code.is_missing())
        'referral_code is missing'
    """

    fact: str
    negated: bool = False


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


def _depth_of(node: Condition) -> int:
    depth: int = getattr(node, "_depth", 1)  # atoms and constants are 1 deep
    return depth


def _set_depth(node: And | Or | Not, below: int) -> None:
    """Record how deep `node` nests, refusing conditions too deep to print, hash or compare."""
    if below + 1 > MAX_BUILD_DEPTH:
        raise PolicyError(
            "invalid condition",
            [Problem((), f"the condition nests deeper than {MAX_BUILD_DEPTH} levels")],
        )
    object.__setattr__(node, "_depth", below + 1)


def _at_least_two(instance: Any, attribute: Any, value: tuple[Condition, ...]) -> None:
    if len(value) < 2:
        raise ValueError(f"{type(instance).__name__} needs at least two conditions")


@attrs.frozen
class And(ConditionNode):
    """All of `items` hold. Nested ands are flattened: ``a & (b & c) == And((a, b, c))``."""

    items: tuple[Condition, ...] = attrs.field(converter=_flatten_and, validator=_at_least_two)
    _depth: int = attrs.field(init=False, eq=False, repr=False)
    precedence: ClassVar[int] = _AND

    def __attrs_post_init__(self) -> None:
        _set_depth(self, max(_depth_of(item) for item in self.items))


@attrs.frozen
class Or(ConditionNode):
    """At least one of `items` holds. Nested ors are flattened."""

    items: tuple[Condition, ...] = attrs.field(converter=_flatten_or, validator=_at_least_two)
    _depth: int = attrs.field(init=False, eq=False, repr=False)
    precedence: ClassVar[int] = _OR

    def __attrs_post_init__(self) -> None:
        _set_depth(self, max(_depth_of(item) for item in self.items))


@attrs.frozen
class Not(ConditionNode):
    """`item` does not hold.

    Examples:
        >>> str(~(F.credit_hold | F.is_reseller))
        'not (credit_hold or is_reseller)'
    """

    item: Condition = attrs.field(converter=_coerce)
    _depth: int = attrs.field(init=False, eq=False, repr=False)
    precedence: ClassVar[int] = _NOT

    def __attrs_post_init__(self) -> None:
        _set_depth(self, _depth_of(self.item))


Condition: TypeAlias = Const | Compare | In | Between | Missing | And | Or | Not
"""A condition: the closed union of the condition node classes.

Nodes are frozen attrs classes: equal by value, hashable, safe to share. Every node has the
methods of `ConditionNode` (``facts()``, ``walk()``, ``depth()``, ...) and the ``&``, ``|``
and ``~`` operators. Code that takes a node apart tests each member of the union in turn and
ends with `typing.assert_never`, so the type checker names every such walker when a node class
joins the union.
"""

Atom: TypeAlias = Compare | In | Between | Missing
"""The atoms: the `Condition` members that test one fact, each named by its `fact` attribute."""


def _children(node: Condition) -> tuple[Condition, ...]:
    # Asked of every node of every walk: atoms (the most common) first, one class or a
    # prebuilt union per test (``A | B`` inline builds a union at each call).
    if isinstance(node, Atom):
        return ()
    if isinstance(node, And):
        return node.items
    if isinstance(node, Or):
        return node.items
    if isinstance(node, Not):
        return (node.item,)
    if isinstance(node, Const):
        return ()
    assert_never(node)


def _text(node: Condition, parent_precedence: int) -> str:
    if isinstance(node, Const):
        return "true" if node.value else "false"
    if isinstance(node, Compare):
        if node.op == "==" and node.value is True:
            return node.fact
        return f"{node.fact} {node.op} {literal_text(node.value)}"
    if isinstance(node, In):
        listed = ", ".join(literal_text(v) for v in node.values)
        return f"{node.fact} {'not in' if node.negated else 'in'} [{listed}]"
    if isinstance(node, Between):
        return f"{node.fact} between {literal_text(node.low)} and {literal_text(node.high)}"
    if isinstance(node, Missing):
        return f"{node.fact} is {'not missing' if node.negated else 'missing'}"
    if isinstance(node, And):
        inner = " and ".join(_text(item, _AND) for item in node.items)
        return f"({inner})" if parent_precedence > _AND else inner
    if isinstance(node, Or):
        inner = " or ".join(_text(item, _OR) for item in node.items)
        return f"({inner})" if parent_precedence > _OR else inner
    if isinstance(node, Not):
        inner = f"not {_text(node.item, _NOT)}"
        return f"({inner})" if parent_precedence > _NOT else inner
    assert_never(node)


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

    def __eq__(self, value: Operand) -> Compare:  # type: ignore[override]
        return Compare(self.name, "==", value)

    def __ne__(self, value: Operand) -> Compare:  # type: ignore[override]
        return Compare(self.name, "!=", value)

    def __lt__(self, value: Operand) -> Compare:
        return Compare(self.name, "<", value)

    def __le__(self, value: Operand) -> Compare:
        return Compare(self.name, "<=", value)

    def __gt__(self, value: Operand) -> Compare:
        return Compare(self.name, ">", value)

    def __ge__(self, value: Operand) -> Compare:
        return Compare(self.name, ">=", value)

    def isin(self, values: Iterable[Scalar]) -> In:
        """``fact in [values]``."""
        return In(self.name, values)

    def not_in(self, values: Iterable[Scalar]) -> In:
        """``fact not in [values]`` (false when the fact is missing)."""
        return In(self.name, values, negated=True)

    def between(self, low: Operand, high: Operand) -> Between:
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
