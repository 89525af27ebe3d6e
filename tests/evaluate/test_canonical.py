"""The audit record keeps its bytes: JSON, fingerprint and explanation equal the original ones.

The functions prefixed ``reference_`` below are the implementation of ``Decision.to_dict``,
``Decision.fingerprint``, ``Decision.to_json`` and ``Decision.explain`` as it was before the
policy-level encoders, kept here as the oracle: they derive the matched rules with the
reference interpreter, combine them with `combine`, and serialise with `canonical_json`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import math
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from unittest import mock

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmculture import (
    CrmCultureError,
    Decision,
    Directive,
    F,
    Fact,
    Policy,
    ReferenceEvaluator,
    Rule,
    Schema,
)
from crmculture.evaluate import canonical, trace
from crmculture.evaluate.canonical import object_encoder, value_json
from crmculture.evaluate.combine import DirectiveOutcome, combine
from crmculture.evaluate.truth import rule_matches, why_not
from crmculture.model.values import canonical_json, json_value, value_text
from crmculture.testing import customers, departments_for, policies, rules

# -- the oracle: the original implementation ------------------------------------------------


def reference_outcomes(decision: Decision) -> dict[str, DirectiveOutcome]:
    policy = decision.policy
    flags = rule_matches(policy, decision.customer, decision.department)
    matched = [rule for rule, hit in zip(policy.effective_rules, flags, strict=True) if hit]
    return {
        directive.name: combine(
            directive,
            [
                (rule, value)
                for rule in matched
                for name, value in rule.then
                if name == directive.name
            ],
        )
        for directive in policy.directives
    }


def reference_matched(decision: Decision) -> list[str]:
    policy = decision.policy
    flags = rule_matches(policy, decision.customer, decision.department)
    return [rule.id for rule, hit in zip(policy.effective_rules, flags, strict=True) if hit]


def reference_fingerprint(decision: Decision) -> str:
    document = {
        "policy": decision.policy.fingerprint,
        "department": decision.department,
        "customer": json_value(dict(decision.customer)),
    }
    return hashlib.sha256(canonical_json(document).encode("ascii")).hexdigest()


def reference_to_dict(decision: Decision) -> dict[str, Any]:
    outcomes = reference_outcomes(decision)
    return {
        "policy": {
            "name": decision.policy.name,
            "version": decision.policy.version,
            "fingerprint": decision.policy.fingerprint,
        },
        "department": decision.department,
        "customer": json_value(dict(decision.customer)),
        "directives": json_value(dict(decision.directives)),
        "matched": reference_matched(decision),
        "defaults_used": [name for name, o in outcomes.items() if o.source == "default"],
        "outcomes": {
            name: {
                "source": outcome.source,
                "determined_by": list(outcome.determined_by),
                "overridden": [
                    {"rule": o.rule, "value": json_value(o.value), "reason": o.reason}
                    for o in outcome.overridden
                ],
            }
            for name, outcome in outcomes.items()
        },
        "fingerprint": reference_fingerprint(decision),
    }


def reference_to_json(decision: Decision) -> str:
    return canonical_json(reference_to_dict(decision))


def reference_explain(decision: Decision) -> str:
    return "\n".join(_reference_explain_lines(decision))


def _reference_explain_lines(decision: Decision) -> Iterator[str]:
    policy = decision.policy
    department = decision.department
    who = f"department `{department}`" if department else "no department given"
    yield f"Decision by policy `{policy.name}` version {policy.version}, {who}"
    customer = ", ".join(f"{name}={value_text(value)}" for name, value in decision.customer.items())
    yield f"Customer: {customer}"
    yield ""
    yield "Directives:"
    for name, outcome in reference_outcomes(decision).items():
        yield f"  {name} = {value_text(outcome.value)}"
        if outcome.source == "default":
            yield "    default: no matching rule sets it"
        for rule_id in outcome.determined_by:
            rationale = policy.rule(rule_id).rationale
            yield f"    set by `{rule_id}`" + (f": {rationale}" if rationale else "")
        for lost in outcome.overridden:
            yield f"    overrides `{lost.rule}` ({value_text(lost.value)}): {lost.reason}"
    matched = set(reference_matched(decision))
    yield ""
    yield "Rules that matched:" if matched else "Rules that matched: none"
    for rule in policy.effective_rules:
        if rule.id in matched:
            yield f"  {rule.id}: {rule.when}"
    unmatched = [
        rule
        for rule in policy.effective_rules
        if rule.id not in matched and rule.applies_to(department)
    ]
    if unmatched:
        yield "Rules that did not match:"
        for rule in unmatched:
            yield f"  {rule.id}: " + "; ".join(why_not(rule.when, decision.customer, policy.schema))
    out_of_scope = [rule for rule in policy.effective_rules if not rule.applies_to(department)]
    if out_of_scope:
        yield "Rules out of scope for " + (
            f"`{department}`:" if department else "a decision without department:"
        )
        for rule in out_of_scope:
            assert rule.departments is not None
            yield f"  {rule.id}: applies to " + ", ".join(rule.departments)


# -- generated decisions --------------------------------------------------------------------

# Text a JSON encoder or a format template could get wrong: quotes, backslashes, braces,
# control characters, non-ASCII letters, characters beyond the Basic Multilingual Plane.
awkward_text = st.text(
    alphabet=st.one_of(
        st.sampled_from('"\\{}%\n\t\x00é€☃𝄞'),
        st.characters(codec="utf-8", exclude_categories=["Cs"]),
    ),
    min_size=1,
    max_size=6,
)


@st.composite
def awkward_policies(draw: st.DrawFn) -> Policy:
    """Policies whose enum values, departments, texts and names are awkward text, over
    decimal, date, float and optional facts, with ``collect`` and ``sum`` directives."""
    tiers = draw(st.lists(awkward_text, min_size=1, max_size=4, unique=True))
    departments = draw(st.lists(awkward_text, min_size=1, max_size=3, unique=True))
    schema = Schema(
        [
            Fact.enum("tier", tiers, optional=draw(st.booleans())),
            Fact.decimal("balance", min=-1000, max=1000, optional=True),
            Fact.date("since", optional=True),
            Fact.float("score", min=-10, max=10),
            Fact.bool("hold", optional=True),
        ]
    )
    directives = [
        Directive.text("route", default=draw(awkward_text), combine="first"),
        Directive.text("notify", combine="collect"),
        Directive.decimal("credit", combine="sum", default=Decimal(0), min=0, max=1000),
        Directive.enum("level", tiers, combine="max", default=tiers[0]),
    ]
    company = draw(rules(schema, directives, max_size=5, departments=departments))
    company = [
        attrs.evolve(rule, rationale=draw(st.one_of(st.just(""), awkward_text))) for rule in company
    ]
    return Policy(
        draw(awkward_text),
        schema,
        directives,
        company,
        version=draw(awkward_text),
        departments=departments,
    )


@st.composite
def decisions(draw: st.DrawFn) -> list[Decision]:
    """Decisions of both evaluators, on generated or awkward policies, several per policy (so
    that the policy's tables and caches are hit as well as filled)."""
    policy = draw(st.one_of(policies(), awkward_policies()))
    made = []
    for customer in draw(st.lists(customers(policy), min_size=1, max_size=6)):
        department = draw(departments_for(policy))
        for evaluator in (policy.compile(), ReferenceEvaluator(policy)):
            # Conflicts and undecided directives have no record.
            with contextlib.suppress(CrmCultureError):
                made.append(evaluator(customer, department))
    return made


def check_same_bytes(decision: Decision) -> None:
    assert decision.to_json() == reference_to_json(decision)
    assert decision.fingerprint == reference_fingerprint(decision)
    assert decision.to_dict() == reference_to_dict(decision)
    assert decision.explain() == reference_explain(decision)


class TestSameBytes:
    """The policy-level encoders give exactly the bytes of the original implementation."""

    @given(decisions())
    def test_json_fingerprint_and_explanation_are_unchanged(self, made: list[Decision]) -> None:
        """`to_json`, `fingerprint`, `to_dict` and `explain` equal the original ones."""
        for decision in made:
            check_same_bytes(decision)

    @given(decisions())
    def test_unchanged_when_the_tables_are_full(self, made: list[Decision]) -> None:
        """With tables and caches of two entries, values past the bound are encoded on every
        use, with the same bytes."""
        with (
            mock.patch.object(canonical, "TABLE_LIMIT", 2),
            mock.patch.object(trace, "CACHE_LIMIT", 2),
        ):
            for decision in made:
                check_same_bytes(decision)
                check_same_bytes(decision)

    def test_awkward_text_in_every_place(self) -> None:
        """Quotes, braces, backslashes and non-ASCII text in values, departments, names,
        rationales and enum values come out as before."""
        tiers = ['gö"ld', "sí{l}ver", "\\☃\n"]
        schema = Schema([Fact.enum("tier", tiers), Fact.decimal("balance", optional=True)])
        policy = Policy(
            'pöl"icy {0}',
            schema,
            [
                Directive.text("route", default="fr{ö}nt"),
                Directive.text("notify", combine="collect"),
            ],
            [
                Rule(
                    "r-1",
                    when=F.tier == tiers[0],
                    then={"route": "x☃", "notify": ["a", "ü"]},
                    rationale="bécause {x} %s",
                    departments=["sälës"],
                ),
                Rule("r-2", when=F.tier.isin(tiers[1:]), then={"notify": ["{}"]}),
            ],
            version="v\u00e9",
            departments=["sälës", 'b"'],
        )
        for tier in tiers:
            for department in (None, "sälës", 'b"'):
                customer = {"tier": tier, "balance": Decimal("-0.50")}
                for evaluator in (policy.compile(), ReferenceEvaluator(policy)):
                    check_same_bytes(evaluator(customer, department))


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.dates(),
    st.datetimes(),
    awkward_text,
    st.text(),
)


class TestValueJson:
    """`value_json` spells a value as `canonical_json(json_value(value))` does."""

    @given(st.one_of(scalars, st.lists(scalars, max_size=3).map(tuple)))
    def test_value_json_equals_the_general_path(self, value: Any) -> None:
        """Every type a fact or directive value can have, and some it cannot."""
        assert value_json(value) == canonical_json(json_value(value))

    @pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
    def test_values_without_json_fail_as_before(self, value: Any) -> None:
        """Non-finite floats raise the error of the general path."""
        with pytest.raises(ValueError, match="not a finite number") as expected:
            canonical_json(json_value(value))
        with pytest.raises(ValueError, match="not a finite number") as actual:
            value_json(value)
        assert str(actual.value) == str(expected.value)

    def test_negative_zero_is_spelled_as_zero(self) -> None:
        """-0.0 and 0.0 are equal, and get one spelling."""
        assert (value_json(-0.0), value_json(Decimal("-0.00"))) == ("0.0", '"0"')

    @pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("-Infinity"), Decimal("5E+3")])
    def test_unusual_decimals_are_spelled_as_before(self, value: Decimal) -> None:
        """Decimals that no fact holds still get the general path's text."""
        assert value_json(value) == canonical_json(json_value(value))

    def test_an_object_encoder_sorts_its_keys(self) -> None:
        """Keys come out sorted whatever their order, each with its value's text."""
        encode = object_encoder(["b", "a", "é"], [1, 2, 3], [(), (), ()])
        state = ("x", dt.date(2027, 1, 31), None, "ü")
        assert encode(state) == canonical_json({"b": "2027-01-31", "a": None, "é": "ü"})
        assert object_encoder([], [], [])(state) == "{}"
        assert object_encoder(["a"], [3], [()])(state) == '{"a":"\\u00fc"}'
