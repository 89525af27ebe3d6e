"""Hypothesis strategies for conditions, directives, rules and policies.

They generate valid objects that shrink towards small, readable examples: few rules, the
first value of a directive, small numbers. Facts, schemas and customers come from
`crmculture.testing.strategies`.

Examples:
    >>> from hypothesis import find
    >>> from crmculture.stories import acme_schema
    >>> policy = find(policies(schema=acme_schema(), min_rules=1), lambda policy: True)
    >>> [rule.id for rule in policy.rules], policy.schema == acme_schema()
    (['r0'], True)
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from crmculture.model.conditions import (
    ALWAYS,
    NEVER,
    And,
    Between,
    Compare,
    Condition,
    In,
    Missing,
    Not,
    Or,
)
from crmculture.model.directives import ALLOWED_COMBINE, DIRECTIVE_TYPES, Combine, Directive
from crmculture.model.facts import Fact, Schema
from crmculture.model.policies import Layer, Policy
from crmculture.model.rules import Rule
from crmculture.model.values import AsOf
from crmculture.testing.strategies import _EPOCH, _check_size, fact_values, schemas

__all__ = [
    "as_of_dates",
    "conditions",
    "departments_for",
    "directive_values",
    "directives",
    "policies",
    "rules",
]

_DIRECTIVE_VALUES = ("low", "mid", "high", "top")
_DEPARTMENTS = ("billing", "sales", "support")


# -- conditions -----------------------------------------------------------------------------


_SHIFTS = 900
"""The largest shift from the as-of date that generated conditions name, in days: as-of dates
and date facts are drawn around one epoch, so comparisons with them go both ways."""


def as_of_dates() -> st.SearchStrategy[dt.date]:
    """As-of dates around the dates generated facts and effective dates hold, so that
    relative conditions and effective dates go either way.

    Examples:
        >>> from hypothesis import find
        >>> find(as_of_dates(), lambda day: True)
        datetime.date(2026, 1, 1)
    """
    return st.integers(-_SHIFTS, _SHIFTS).map(lambda days: _EPOCH + dt.timedelta(days=days))


def _shifts() -> st.SearchStrategy[AsOf]:
    return st.integers(-_SHIFTS, _SHIFTS).map(AsOf)


@functools.lru_cache(maxsize=512)
def _atoms(fact: Fact, relative: bool = False) -> st.SearchStrategy[Condition]:
    name = fact.name
    values = fact_values(fact)
    options: list[st.SearchStrategy[Condition]] = []
    if relative and fact.type == "date":
        ops = st.sampled_from(["<", "<=", ">", ">=", "==", "!="])
        options.append(st.builds(Compare, st.just(name), ops, _shifts()))
        options.append(
            st.tuples(_shifts(), _shifts()).map(lambda pair: Between(name, *sorted(pair)))
        )
    if fact.type == "bool":
        options.append(
            st.builds(Compare, st.just(name), st.sampled_from(["==", "!="]), st.booleans())
        )
    else:
        options.append(st.builds(Compare, st.just(name), st.sampled_from(["==", "!="]), values))
        options.append(
            st.builds(In, st.just(name), st.lists(values, min_size=1, max_size=3), st.booleans())
        )
        if fact.ordered:
            options.append(
                st.builds(Compare, st.just(name), st.sampled_from(["<", "<=", ">", ">="]), values)
            )
            key = fact.rank if fact.type == "enum" else (lambda v: v)
            options.append(
                st.tuples(values, values).map(lambda pair: Between(name, *sorted(pair, key=key)))
            )
    if fact.optional and not fact.has_default:
        options.append(st.builds(Missing, st.just(name), st.booleans()))
    return st.one_of(options)


def conditions(
    schema: Schema, *, max_leaves: int = 6, as_of: bool = False
) -> st.SearchStrategy[Condition]:
    """Valid conditions over `schema`: comparisons, membership, ranges, missing tests, and
    ``and``/``or``/``not`` around them; with ``as_of=True``, date facts are also compared
    with dates relative to the as-of date (``verified_on < as_of - 365 days``).

    Examples:
        >>> from crmculture.stories import acme_schema
        >>> from hypothesis import find
        >>> str(find(conditions(acme_schema()), lambda c: "tier" in c.facts()))
        'tier == "bronze"'
    """
    if not isinstance(schema, Schema):
        raise InvalidArgument(f"conditions() needs a Schema, not {schema!r}")
    if max_leaves < 1:
        raise InvalidArgument(f"conditions(): max_leaves={max_leaves!r} must be at least 1")
    atoms = st.one_of([_atoms(fact, as_of) for fact in schema])
    leaves = st.one_of(atoms, st.sampled_from([ALWAYS, NEVER])) if len(schema) else atoms
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, min_size=2, max_size=3).map(And),
            st.lists(children, min_size=2, max_size=3).map(Or),
            children.map(Not),
        ),
        max_leaves=max_leaves,
    )


# -- directives, rules, policies ------------------------------------------------------------


@st.composite
def _directive(draw: st.DrawFn, name: str) -> Directive:
    kind = draw(st.sampled_from(DIRECTIVE_TYPES))
    # In declaration order, so that shrinking goes towards `first`.
    combine = draw(st.sampled_from([c.value for c in Combine if c in ALLOWED_COMBINE[kind]]))
    uniform = draw(st.booleans())
    if kind == "text":
        values = draw(st.sampled_from([_DIRECTIVE_VALUES, None]))
        directive = Directive.text(name, values=values, combine=combine, uniform=uniform)
    elif kind == "enum":
        directive = Directive.enum(name, _DIRECTIVE_VALUES, combine=combine, uniform=uniform)
    elif kind == "bool":
        directive = Directive.bool(name, combine=combine, uniform=uniform)
    elif kind == "int":
        directive = Directive.int(name, min=0, max=100, combine=combine, uniform=uniform)
    else:
        directive = Directive.decimal(name, min=0, max=1000, combine=combine, uniform=uniform)
    if combine not in ("collect", "list") and draw(st.integers(0, 3)) > 0:
        default = draw(directive_values(directive))
        directive = Directive(
            directive.name,
            directive.type,
            values=directive.values,
            combine=directive.combine,
            default=default,
            uniform=directive.uniform,
            min=directive.min,
            max=directive.max,
        )
    return directive


@functools.lru_cache(maxsize=512)
def directive_values(directive: Directive) -> st.SearchStrategy[Any]:
    """Values a rule may set for `directive` (lists for ``collect`` and ``list`` directives)."""
    if directive.type in ("text", "enum") and directive.values is not None:
        scalar: st.SearchStrategy[Any] = st.sampled_from(directive.values)
    elif directive.type == "text":
        scalar = st.one_of(st.sampled_from(_DIRECTIVE_VALUES), st.text(max_size=8))
    elif directive.type == "bool":
        scalar = st.booleans()
    elif directive.type == "int":
        scalar = st.integers(directive.min, directive.max)
    else:
        scalar = st.decimals(
            directive.min, directive.max, places=1, allow_nan=False, allow_infinity=False
        )
    if directive.combine is Combine.COLLECT:
        return st.lists(scalar, max_size=3).map(directive.collect_sorted)
    if directive.combine is Combine.LIST:
        return st.lists(scalar, max_size=3).map(tuple)
    return scalar


def directives(*, min_size: int = 1, max_size: int = 4) -> st.SearchStrategy[list[Directive]]:
    """Lists of valid directives ``d0``, ``d1``, ... with every type and combine strategy.

    Examples:
        >>> from hypothesis import given, settings
        >>> @settings(max_examples=10)
        ... @given(directives(min_size=2, max_size=2))
        ... def test_names(directive_list):
        ...     assert [d.name for d in directive_list] == ["d0", "d1"]
        >>> test_names()
    """
    _check_size("directives", "min_size", min_size, "max_size", max_size)
    if max_size < 1:
        raise InvalidArgument(f"directives(): max_size={max_size!r} must be at least 1")
    return st.integers(min_size, max_size).flatmap(
        lambda count: st.tuples(*[_directive(f"d{i}") for i in range(count)]).map(list)
    )


@st.composite
def _rule(
    draw: st.DrawFn,
    rule_id: str,
    when: st.SearchStrategy[Condition],
    choices: Sequence[Directive],
    departments: Sequence[str] | None,
    dated: bool = False,
) -> Rule:
    chosen = draw(
        st.lists(
            st.sampled_from(choices), min_size=1, max_size=len(choices), unique_by=lambda d: d.name
        )
    )
    then = {directive.name: draw(directive_values(directive)) for directive in chosen}
    scope = None
    if departments and draw(st.integers(0, 3)) == 0:
        scope = draw(st.lists(st.sampled_from(departments), min_size=1, unique=True))
    overrides = draw(st.integers(0, 3)) == 0  # about one rule in four overrides
    start = until = None
    if dated and draw(st.integers(0, 2)) == 0:  # about one rule in three has dates
        start, until = sorted(draw(st.lists(as_of_dates(), min_size=2, max_size=2)))
        start = draw(st.sampled_from([None, start]))
        until = draw(st.sampled_from([until, None]))
    return Rule(
        rule_id,
        when=draw(when),
        then=then,
        priority=draw(st.integers(0, 3)),
        departments=scope,
        overrides=overrides,
        effective_from=start,
        effective_until=until,
    )


def rules(
    schema: Schema,
    directive_list: Sequence[Directive],
    *,
    min_size: int = 0,
    max_size: int = 6,
    departments: Sequence[str] | None = None,
    as_of: bool = False,
) -> st.SearchStrategy[list[Rule]]:
    """Lists of valid rules ``r0``, ``r1``, ... over `schema` setting `directive_list`; with
    ``as_of=True`` some compare date facts with the as-of date, or have effective dates.

    Examples:
        >>> from crmculture.stories import acme_policy
        >>> policy = acme_policy()
        >>> from hypothesis import given, settings
        >>> @settings(max_examples=10)
        ... @given(rules(policy.schema, policy.directives, max_size=3))
        ... def test_ids(rule_list):
        ...     assert [r.id for r in rule_list] == [f"r{i}" for i in range(len(rule_list))]
        >>> test_ids()
    """
    _check_size("rules", "min_size", min_size, "max_size", max_size)
    if not directive_list:
        raise InvalidArgument("rules(): directive_list must hold at least one directive to set")
    # Built once: strategies are costly to validate.
    when = conditions(schema, max_leaves=4, as_of=as_of)
    return st.integers(min_size, max_size).flatmap(
        lambda count: st.tuples(
            *[_rule(f"r{i}", when, directive_list, departments, as_of) for i in range(count)]
        ).map(list)
    )


@st.composite
def _policy(
    draw: st.DrawFn,
    schema_strategy: st.SearchStrategy[Schema],
    min_rules: int,
    max_rules: int,
    with_layers: bool,
    as_of: bool = False,
) -> Policy:
    schema = draw(schema_strategy)
    directive_list = draw(directives())
    declared = draw(st.sampled_from([None, _DEPARTMENTS]))
    departments = declared or _DEPARTMENTS
    company = draw(
        rules(
            schema,
            directive_list,
            min_size=min_rules,
            max_size=max_rules,
            departments=departments,
            as_of=as_of,
        )
    )
    layers = []
    free = [d for d in directive_list if not d.uniform]
    if with_layers and free and draw(st.booleans()):
        scope = draw(st.lists(st.sampled_from(departments), min_size=1, max_size=2, unique=True))
        layer_rules = draw(rules(schema, free, max_size=2, as_of=as_of))
        renamed = [
            Rule(
                f"l{n}",
                when=r.when,
                then=r.then,
                priority=r.priority,
                overrides=r.overrides,
                effective_from=r.effective_from,
                effective_until=r.effective_until,
            )
            for n, r in enumerate(layer_rules)
        ]
        layers.append(Layer("layer", scope, renamed))
    return Policy("generated", schema, directive_list, company, layers=layers, departments=declared)


def policies(
    *,
    schema: Schema | st.SearchStrategy[Schema] | None = None,
    min_rules: int = 0,
    max_rules: int = 6,
    layers: bool = True,
    as_of: bool = False,
) -> st.SearchStrategy[Policy]:
    """Valid policies: a schema, directives of every kind, rules (about one in four
    overriding), maybe a department layer; with ``as_of=True``, rules may compare date facts
    with the as-of date and have effective dates (decide them with `as_of_dates`).

    Args:
        schema: A fixed schema, a strategy for schemas, or None for generated schemas.
        min_rules: The fewest company rules.
        max_rules: The most company rules.
        layers: Whether a department layer may be generated.
        as_of: Whether rules may use the as-of date.

    Examples:
        >>> from hypothesis import given, settings
        >>> @settings(max_examples=10)
        ... @given(policies(max_rules=2))
        ... def test_compiles(policy):
        ...     assert len(policy.rules) <= 2
        ...     policy.compile()
        >>> test_compiles()
    """
    _check_size("policies", "min_rules", min_rules, "max_rules", max_rules)
    if schema is None:
        schema_strategy: st.SearchStrategy[Schema] = schemas()
    elif isinstance(schema, Schema):
        schema_strategy = st.just(schema)
    elif isinstance(schema, st.SearchStrategy):
        schema_strategy = schema
    else:
        raise InvalidArgument(f"policies(): schema must be a Schema or a strategy, not {schema!r}")
    return _policy(schema_strategy, min_rules, max_rules, layers, as_of)


def departments_for(policy: Policy) -> st.SearchStrategy[str | None]:
    """The departments that may ask a policy for decisions, and None."""
    known: Sequence[str] = policy.departments or _DEPARTMENTS
    return st.one_of(st.none(), st.sampled_from(known))
