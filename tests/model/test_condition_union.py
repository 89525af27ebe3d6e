"""`Condition` is a closed union: every node class is in it, and nothing else is a condition."""

from __future__ import annotations

import typing

import attrs
import pytest

from crmculture import Condition as ExportedCondition
from crmculture.model.conditions import (
    ALWAYS,
    Atom,
    Condition,
    ConditionNode,
    F,
)


def _node_classes() -> set[type]:
    """Every class below `ConditionNode`, however deep (but this module's stray ones)."""
    found: set[type] = set()
    pending = list(ConditionNode.__subclasses__())
    while pending:
        cls = pending.pop()
        if cls.__module__ != __name__:
            found.add(cls)
        pending.extend(cls.__subclasses__())
    return found


def test_every_node_class_is_in_the_union() -> None:
    """The union lists exactly the node classes, so a new one cannot escape the walkers."""
    assert set(typing.get_args(Condition)) == _node_classes()


def test_the_atoms_are_the_nodes_with_a_fact() -> None:
    """`Atom` is the part of the union whose members test one named fact."""
    with_fact = {cls for cls in typing.get_args(Condition) if "fact" in attrs.fields_dict(cls)}
    assert with_fact == set(typing.get_args(Atom))


def test_the_package_exports_the_union() -> None:
    """`crmculture.Condition` is the union itself."""
    assert ExportedCondition is Condition


@pytest.mark.parametrize(
    "node",
    [
        pytest.param(ALWAYS, id="const"),
        pytest.param(F.a > 1, id="compare"),
        pytest.param(F.a.isin([1]), id="in"),
        pytest.param(F.a.between(1, 2), id="between"),
        pytest.param(F.a.is_missing(), id="missing"),
        pytest.param(F.a & F.b, id="and"),
        pytest.param(F.a | F.b, id="or"),
        pytest.param(~F.a, id="not"),
    ],
)
def test_isinstance_accepts_every_node(node: object) -> None:
    """`isinstance(x, Condition)` holds for a node of each kind."""
    assert isinstance(node, Condition)


@pytest.mark.parametrize(
    "value", [F.a, True, "a > 1", None], ids=["fact-ref", "bool", "text", "none"]
)
def test_isinstance_rejects_other_values(value: object) -> None:
    """Fact references, bools and text are coerced by `as_condition`, but are not conditions."""
    assert not isinstance(value, Condition)


def test_a_node_class_outside_the_union_is_refused() -> None:
    """A subclass of `ConditionNode` that did not join the union cannot be combined."""

    class Stray(ConditionNode):
        __slots__ = ()

    with pytest.raises(AssertionError, match="Stray is missing from `Condition`"):
        Stray() & F.a
