"""Hypothesis strategies for facts, schemas, fact values and customers.

They generate valid objects that shrink towards small, readable examples: few facts, the
first enum value, small numbers. Customers lean towards the boundary values a policy's
conditions use (a threshold of 60 gets 59, 60 and 61 often), because that is where rules
change their mind. The strategies for conditions, directives, rules and policies are in
`crmculture.testing.policy_strategies`, those for orgs and cultures in
`crmculture.testing.org_strategies`.

Examples:
    >>> from hypothesis import given
    >>> from crmculture.stories import acme_policy
    >>> policy = acme_policy()
    >>> @given(customers(policy))
    ... def test_decides(customer):
    ...     policy.compile()(customer)
    >>> test_decides()
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, assert_never

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from crmculture.evaluate.truth import holds
from crmculture.model.checker import check_condition
from crmculture.model.conditions import (
    And,
    Atom,
    Between,
    Compare,
    Condition,
    Const,
    FactRef,
    In,
    Missing,
    Not,
    Or,
)
from crmculture.model.facts import FACT_TYPES, Better, Fact, Schema
from crmculture.model.policies import Policy

__all__ = [
    "comparable_customers",
    "customers",
    "customers_where",
    "fact_values",
    "facts",
    "schemas",
]

_ENUM_VALUES = ("bronze", "silver", "gold", "platinum", "diamond")
_EPOCH = dt.date(2026, 1, 1)


def _check_size(function: str, low_name: str, low: int, high_name: str, high: int) -> None:
    """Check a ``min_*``/``max_*`` pair of arguments; the message names the argument."""
    if isinstance(low, bool) or not isinstance(low, int) or low < 0:
        raise InvalidArgument(f"{function}(): {low_name}={low!r} must be an int of at least 0")
    if isinstance(high, bool) or not isinstance(high, int) or high < low:
        raise InvalidArgument(
            f"{function}(): {high_name}={high!r} must be an int of at least {low_name}={low!r}"
        )


# -- facts and schemas ----------------------------------------------------------------------


@st.composite
def _fact(draw: st.DrawFn, name: str, types: Sequence[str]) -> Fact:
    kind = draw(st.sampled_from(types))
    optional = draw(st.booleans())
    better: Better | None = draw(st.sampled_from([None, "higher", "lower"]))
    if kind == "bool":
        fact = Fact.bool(name, optional=optional, better=better)
    elif kind == "int":
        low = draw(st.integers(-50, 50))
        high = low + draw(st.integers(0, 200))
        fact = Fact.int(name, min=low, max=high, optional=optional, better=better)
    elif kind == "float":
        low = draw(st.integers(-10, 10))
        fact = Fact.float(
            name, min=low, max=low + draw(st.integers(1, 20)), optional=optional, better=better
        )
    elif kind == "decimal":
        low = draw(st.integers(0, 100))
        fact = Fact.decimal(
            name, min=low, max=low + draw(st.integers(0, 1000)), optional=optional, better=better
        )
    elif kind == "enum":
        size = draw(st.integers(1, len(_ENUM_VALUES)))
        ordered = better is not None or draw(st.booleans())
        fact = Fact.enum(
            name, _ENUM_VALUES[:size], ordered=ordered, optional=optional, better=better
        )
    else:
        low_date = _EPOCH + dt.timedelta(days=draw(st.integers(-400, 400)))
        fact = Fact.date(
            name,
            min=low_date,
            max=low_date + dt.timedelta(days=draw(st.integers(0, 800))),
            optional=optional,
            better=better,
        )
    if optional and draw(st.booleans()):
        default = draw(fact_values(fact))
        fact = Fact(
            fact.name,
            fact.type,
            values=fact.values,
            ordered=fact.ordered,
            min=fact.min,
            max=fact.max,
            optional=True,
            default=default,
            better=fact.better,
        )
    return fact


def facts(name: str = "fact", *, types: Iterable[str] = FACT_TYPES) -> st.SearchStrategy[Fact]:
    """Valid facts called `name`, of the given types, with random domains and options.

    Examples:
        >>> from hypothesis import find
        >>> find(facts("days_overdue", types=["int"]), lambda fact: True).type
        'int'
    """
    chosen = tuple(types)
    unknown = [kind for kind in chosen if kind not in FACT_TYPES]
    if not chosen or unknown:
        raise InvalidArgument(
            f"facts(): types={chosen!r} must be a non-empty subset of {FACT_TYPES}"
        )
    return _fact(name, chosen)


@st.composite
def _schema(draw: st.DrawFn, min_facts: int, max_facts: int, types: tuple[str, ...]) -> Schema:
    count = draw(st.integers(min_facts, max_facts))
    return Schema([draw(_fact(f"f{i}", types)) for i in range(count)])


def schemas(
    *, min_facts: int = 1, max_facts: int = 5, types: Iterable[str] = FACT_TYPES
) -> st.SearchStrategy[Schema]:
    """Valid schemas of facts ``f0``, ``f1``, ... of mixed types.

    Examples:
        >>> from hypothesis import find
        >>> len(find(schemas(min_facts=2, max_facts=2), lambda schema: True))
        2
    """
    _check_size("schemas", "min_facts", min_facts, "max_facts", max_facts)
    if max_facts < 1:
        raise InvalidArgument(f"schemas(): max_facts={max_facts!r} must be at least 1")
    chosen = tuple(types)
    if not chosen or any(kind not in FACT_TYPES for kind in chosen):
        raise InvalidArgument(
            f"schemas(): types={chosen!r} must be a non-empty subset of {FACT_TYPES}"
        )
    return _schema(min_facts, max_facts, chosen)


# -- values and customers -------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def fact_values(fact: Fact) -> st.SearchStrategy[Any]:
    """Valid, normalized values of `fact` (never missing).

    Examples:
        >>> from hypothesis import find
        >>> find(fact_values(Fact.enum("tier", ["bronze", "gold"])), lambda v: v != "bronze")
        'gold'
    """
    if fact.type == "bool":
        return st.booleans()
    if fact.type == "int":
        return st.integers(fact.min, fact.max)
    if fact.type == "float":
        return st.floats(fact.min, fact.max, allow_nan=False, allow_infinity=False).map(
            lambda x: x + 0.0  # normalise -0.0, which compares equal but prints differently
        )
    if fact.type == "decimal":
        return st.decimals(fact.min, fact.max, allow_nan=False, allow_infinity=False, places=2)
    if fact.type == "enum":
        assert fact.values is not None
        return st.sampled_from(fact.values)
    return st.dates(fact.min or dt.date.min, fact.max or dt.date.max)


_DAY = dt.timedelta(days=1)


def _neighbours(fact: Fact, value: Any) -> list[Any]:
    """The value and its nearest neighbours in the fact's type."""
    if fact.type == "int" and isinstance(value, int):
        return [value - 1, value, value + 1]
    if fact.type == "float" and isinstance(value, int | float):
        return [float(value) - 0.5, float(value), float(value) + 0.5]
    if fact.type == "decimal" and isinstance(value, int | Decimal):
        step = Decimal("0.01")
        return [Decimal(value) - step, Decimal(value), Decimal(value) + step]
    if fact.type == "date" and isinstance(value, dt.date):
        # The day before `date.min` and the day after `date.max` do not exist.
        before = [value - _DAY] if value > dt.date.min else []
        after = [value + _DAY] if value < dt.date.max else []
        return [*before, value, *after]
    return [value]


def _boundaries(schema: Schema, conditions: Iterable[Condition]) -> dict[str, list[Any]]:
    """Per fact, the constants the conditions compare it with, and their neighbours."""
    found: dict[str, list[Any]] = {}
    for condition in conditions:
        for node in condition.walk():
            if isinstance(node, Const | And | Or | Not | Missing) or node.fact not in schema:
                continue  # no constant here (the walk reaches the operators' items)
            fact = schema[node.fact]
            if isinstance(node, Compare):
                constants: Sequence[Any] = [node.value]
            elif isinstance(node, In):
                constants = node.values
            elif isinstance(node, Between):
                constants = [node.low, node.high]
            else:
                assert_never(node)
            for constant in constants:
                for candidate in _neighbours(fact, constant):
                    normalized, problem = fact.check(candidate)
                    if problem is None and normalized not in found.setdefault(fact.name, []):
                        found[fact.name].append(normalized)
    return found


_ABSENT: Any = object()


def customers(schema: Schema | Policy, **overrides: Any) -> st.SearchStrategy[dict[str, Any]]:
    """Valid customer records for a schema, or for a policy's schema leaning to its boundaries.

    Optional facts are sometimes left out and sometimes given as None. Keyword arguments fix a
    fact to a value, or draw it from a strategy: ``customers(policy, credit_hold=True)``.

    Raises:
        InvalidArgument: for an override naming an unknown fact, or a fixed value that is not
            valid for its fact.

    Examples:
        >>> from crmculture.stories import acme_policy
        >>> from hypothesis import find
        >>> customer = find(customers(acme_policy(), tier="gold"), lambda c: c["days_overdue"] > 60)
        >>> customer["days_overdue"], customer["tier"]
        (61, 'gold')
    """
    policy = schema if isinstance(schema, Policy) else None
    the_schema = policy.schema if policy is not None else schema
    if not isinstance(the_schema, Schema):
        raise InvalidArgument(f"customers() needs a Schema or a Policy, not {schema!r}")
    for name, value in overrides.items():
        if name not in the_schema:
            raise InvalidArgument(f"customers(): unknown fact {name!r}")
        if not isinstance(value, st.SearchStrategy) and value is not None:
            problem = the_schema[name].check(value)[1]
            if problem:
                raise InvalidArgument(f"customers(): {name}={value!r}: {problem}")
    rules = policy.effective_rules if policy is not None else ()
    return _customers(the_schema, _boundaries(the_schema, [r.when for r in rules]), overrides)


def _customers(
    the_schema: Schema, boundaries: dict[str, list[Any]], overrides: dict[str, Any]
) -> st.SearchStrategy[dict[str, Any]]:
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for fact in the_schema:
        if fact.name in overrides:
            value = overrides[fact.name]
            strategy = value if isinstance(value, st.SearchStrategy) else st.just(value)
            required[fact.name] = strategy
            continue
        strategy = fact_values(fact)
        if boundaries.get(fact.name) and fact.type != "bool":  # booleans need no leaning
            # The plain values first: examples shrink to the smallest value, not a boundary.
            strategy = st.one_of(strategy, st.sampled_from(boundaries[fact.name]))
        if fact.optional:
            optional[fact.name] = st.one_of(st.none(), strategy)
        else:
            required[fact.name] = strategy
    return st.fixed_dictionaries(required, optional=optional)


def _literals(condition: Condition) -> list[tuple[Atom, bool]] | None:
    """A conjunction of atoms and negated atoms as ``(atom, wanted truth)``, else None."""
    items = condition.items if isinstance(condition, And) else (condition,)
    found: list[tuple[Atom, bool]] = []
    for item in items:
        wanted = True
        while isinstance(item, Not):
            item, wanted = item.item, not wanted
        if not isinstance(item, Atom):
            return None
        found.append((item, wanted))
    return found


def customers_where(
    policy: Policy, condition: Condition | FactRef, **overrides: Any
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid customers of `policy` for whom `condition` holds, leaning to the boundaries.

    A condition that is a conjunction of comparisons (``credit_hold and days_overdue > 60``)
    is satisfied by construction: each fact it tests is drawn from values that pass its
    tests. Other conditions filter `customers`, which is slower when they rarely hold.

    Args:
        policy: The policy whose schema and boundaries customers follow.
        condition: A condition over the policy's facts (checked against its schema).
        overrides: Facts fixed to a value or drawn from a strategy, as for `customers`.

    Raises:
        InvalidArgument: for a condition that does not fit the schema, or bad overrides.

    Examples:
        >>> from hypothesis import find
        >>> from crmculture import F
        >>> from crmculture.stories import acme_policy
        >>> late = F.days_overdue > 60
        >>> find(customers_where(acme_policy(), late), lambda c: True)["days_overdue"]
        61
    """
    if not isinstance(policy, Policy):
        raise InvalidArgument(f"customers_where() needs a Policy, not {policy!r}")
    schema = policy.schema
    if isinstance(condition, FactRef):  # `F.credit_hold` means `credit_hold == true`
        condition = condition.as_condition()
    checked, problems = check_condition(condition, schema)
    if problems:
        raise InvalidArgument("customers_where(): " + "; ".join(p.message for p in problems))
    customers(schema, **overrides)  # the same argument checks
    conditions = [*(rule.when for rule in policy.effective_rules), checked]
    boundaries = _boundaries(schema, conditions)
    fixed = dict(overrides)
    literals = _literals(checked)
    for name, tests in _by_fact(literals or []).items():
        if name in fixed:
            continue
        fact = schema[name]

        def passes(value: Any, fact: Fact = fact, tests: list[tuple[Atom, bool]] = tests) -> bool:
            known = {fact.name: fact.default if value is None and fact.has_default else value}
            return all(holds(atom, known, schema) is wanted for atom, wanted in tests)

        candidates = [value for value in boundaries.get(name, []) if passes(value)]
        if fact.optional and passes(None):
            candidates.append(None)
        drawn = fact_values(fact).filter(passes)
        if candidates and any(_pins(atom, wanted) for atom, wanted in tests):
            fixed[name] = st.sampled_from(candidates)  # the listed values are all there is
        else:
            fixed[name] = st.one_of(drawn, st.sampled_from(candidates)) if candidates else drawn

    def satisfied(customer: dict[str, Any]) -> bool:
        return holds(checked, schema.validate(customer), schema)

    return _customers(schema, boundaries, fixed).filter(satisfied)


def _pins(atom: Atom, wanted: bool) -> bool:
    """Whether the literal allows only the values it lists (``== v``, ``in [...]``)."""
    if isinstance(atom, Compare):
        return (atom.op == "==") is wanted and atom.op in ("==", "!=")
    if isinstance(atom, In):
        return atom.negated is not wanted
    if isinstance(atom, Between | Missing):
        return False
    assert_never(atom)


def _by_fact(literals: list[tuple[Atom, bool]]) -> dict[str, list[tuple[Atom, bool]]]:
    grouped: dict[str, list[tuple[Atom, bool]]] = {}
    for atom, wanted in literals:
        grouped.setdefault(atom.fact, []).append((atom, wanted))
    return grouped


@st.composite
def _comparable(draw: st.DrawFn, policy: Policy) -> tuple[dict[str, Any], dict[str, Any]]:
    schema = policy.schema
    worse = schema.validate(draw(customers(policy)))
    other = schema.validate(draw(customers(policy)))
    better = dict(worse)
    for fact in schema:
        a, b = worse[fact.name], other[fact.name]
        if fact.better is None or a is None or b is None or not draw(st.booleans()):
            continue
        key = fact.rank if fact.type == "enum" else (lambda value: value)
        pick = max if fact.better == "higher" else min
        better[fact.name] = pick(a, b, key=key)
    return better, worse


def comparable_customers(
    policy: Policy,
) -> st.SearchStrategy[tuple[dict[str, Any], dict[str, Any]]]:
    """Pairs ``(better, worse)`` of customers of `policy`: the better one is at least as good
    on every fact with a `better` direction, and equal on every other fact.

    Both are validated records with every fact (None where missing), so they can be compared
    fact by fact. They shrink towards equal customers.

    Examples:
        >>> from hypothesis import given, settings
        >>> from crmculture.stories import acme_policy
        >>> tiers = acme_policy().schema["tier"]
        >>> @settings(max_examples=10)
        ... @given(comparable_customers(acme_policy()))
        ... def test_better_tier(pair):
        ...     better, worse = pair
        ...     assert tiers.rank(better["tier"]) >= tiers.rank(worse["tier"])
        >>> test_better_tier()
    """
    if not isinstance(policy, Policy):
        raise InvalidArgument(f"comparable_customers() needs a Policy, not {policy!r}")
    return _comparable(policy)
