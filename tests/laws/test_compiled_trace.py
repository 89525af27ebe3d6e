"""Law: a compiled decision keeps the rule flags the reference interpreter would find, and its
trace (matched rules, outcomes, defaults, JSON, fingerprint, explanation) never runs the
reference interpreter."""

from __future__ import annotations

import pickle
from typing import Any
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmculture import (
    Combine,
    CrmCultureError,
    Decision,
    Directive,
    Layer,
    Policy,
    ReferenceEvaluator,
    Rule,
)
from crmculture.evaluate import truth
from crmculture.evaluate.truth import rule_matches
from crmculture.model.directives import ALLOWED_COMBINE
from crmculture.stories import acme_policy
from crmculture.testing import (
    customers,
    departments_for,
    directive_values,
    directives,
    rules,
    schemas,
)

DEPARTMENTS = ("billing", "sales", "support")


@st.composite
def policies_with(draw: st.DrawFn, strategy: Combine) -> Policy:
    """Generated policies with a directive combined by `strategy`, among others of every
    kind; company rules, some scoped to departments; maybe a department layer."""
    schema = draw(schemas())
    kind = draw(
        st.sampled_from([k for k, allowed in ALLOWED_COMBINE.items() if strategy in allowed])
    )
    forced = {
        "text": lambda: Directive.text("forced", values=["a", "b", "c"], combine=strategy.value),
        "enum": lambda: Directive.enum("forced", ["a", "b", "c"], combine=strategy.value),
        "bool": lambda: Directive.bool("forced", combine=strategy.value),
        "int": lambda: Directive.int("forced", min=0, max=9, combine=strategy.value),
        "decimal": lambda: Directive.decimal("forced", min=0, max=9, combine=strategy.value),
    }[kind]()
    if strategy is not Combine.COLLECT and draw(st.booleans()):
        forced = Directive(
            "forced",
            forced.type,
            values=forced.values,
            combine=forced.combine,
            default=draw(directive_values(forced)),
            min=forced.min,
            max=forced.max,
        )
    others = draw(directives(min_size=0, max_size=2)) if draw(st.booleans()) else []
    directive_list = [forced, *others]
    declared = draw(st.sampled_from([None, DEPARTMENTS]))
    company = draw(rules(schema, directive_list, min_size=1, max_size=6, departments=DEPARTMENTS))
    layers = []
    if draw(st.booleans()):
        scope = draw(st.lists(st.sampled_from(DEPARTMENTS), min_size=1, max_size=2, unique=True))
        layer_rules = draw(rules(schema, [forced], max_size=3))
        layers.append(
            Layer(
                "layer",
                scope,
                [
                    Rule(f"l{n}", when=r.when, then=r.then, priority=r.priority)
                    for n, r in enumerate(layer_rules)
                ],
            )
        )
    return Policy("generated", schema, directive_list, company, layers=layers, departments=declared)


@st.composite
def cases(
    draw: st.DrawFn, strategy: Combine
) -> tuple[Policy, list[tuple[dict[str, Any], str | None]]]:
    policy = draw(policies_with(strategy))
    asks = draw(
        st.lists(st.tuples(customers(policy), departments_for(policy)), min_size=1, max_size=8)
    )
    return policy, asks


def decide(evaluator: Any, customer: dict[str, Any], department: str | None) -> Decision | None:
    """The decision, or None when the policy has none for the customer (a conflict, an
    undecided directive): the law of equal decisions covers those errors."""
    try:
        decision: Decision = evaluator(customer, department)
    except CrmCultureError:
        return None
    return decision


def trace(decision: Decision) -> tuple[Any, ...]:
    """Everything a decision derives from its flags."""
    return (
        decision.flags,
        decision.matched,
        dict(decision.outcomes),
        decision.defaults_used,
        decision.to_dict(),
        decision.to_json(),
        decision.fingerprint,
        decision.explain(),
    )


@pytest.mark.parametrize("strategy", list(Combine), ids=lambda c: c.value)
class TestCompiledFlags:
    """The flags a compiled decision keeps are the reference interpreter's."""

    @given(data=st.data())
    def test_flags_equal_the_reference_interpreter(
        self, strategy: Combine, data: st.DataObject
    ) -> None:
        """Per customer and department: the compiled flags equal `rule_matches` on the
        customer's facts, and the whole trace equals the reference decision's."""
        policy, asks = data.draw(cases(strategy))
        compiled, reference = policy.compile(), ReferenceEvaluator(policy)
        for customer, department in asks:
            decision = decide(compiled, customer, department)
            expected = decide(reference, customer, department)
            assert (decision is None) == (expected is None)
            if decision is not None and expected is not None:
                facts = dict(
                    zip(policy.schema.names, policy.schema.normalize(customer), strict=True)
                )
                assert decision.flags == rule_matches(policy, facts, department)
                assert trace(decision) == trace(expected)

    @given(data=st.data())
    def test_the_trace_never_runs_the_reference_interpreter(
        self, strategy: Combine, data: st.DataObject
    ) -> None:
        """With the reference interpreter's condition checks broken, compiled decisions
        still decide and still give their whole trace."""
        policy, asks = data.draw(cases(strategy))
        compiled = policy.compile()
        expected = [
            (decision, trace(decision))
            for decision in (decide(compiled, c, d) for c, d in asks)
            if decision is not None
        ]

        def broken(*args: Any, **kwargs: Any) -> bool:
            raise AssertionError("the reference interpreter ran")

        with (
            mock.patch.object(truth, "holds", broken),
            mock.patch.object(truth, "_atom_holds", broken),
        ):
            for customer, department in asks:
                decision = decide(compiled, customer, department)
                if decision is not None:
                    assert trace(decision) == next(t for d, t in expected if d == decision)


def test_unpickled_and_constructed_decisions_keep_their_flags() -> None:
    """A decision built with the constructor, or unpickled, has the flags the evaluator
    found, and the same trace."""
    policy = acme_policy()
    customer = {"credit_hold": False, "days_overdue": 0, "annual_volume": 300_000, "tier": "gold"}
    decision = policy.compile()(customer, "support")
    copies = [
        pickle.loads(pickle.dumps(decision)),
        Decision(policy, "support", decision.facts, decision.values),
        Decision(policy, "support", decision.facts, decision.values, decision.flags),
    ]
    for copy in copies:
        assert (copy, trace(copy)) == (decision, trace(decision))
