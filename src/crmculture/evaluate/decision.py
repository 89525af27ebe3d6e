"""Decisions: the evaluator's answer for one customer, with its trace, JSON and fingerprint.

A `Decision` stores what the evaluator computed, flattened into one tuple: the department, the
customer's normalized facts, the final directive values, and which rules matched (an int, bit
``j`` for ``policy.effective_rules[j]``). Everything else (the matched rule ids, who determined
each directive and who was overridden and why, the explanation, the JSON, the fingerprint) is
derived from those when asked, through the policy's `crmculture.evaluate.trace.PolicyTrace`,
which prepares once per policy what decisions share. Deciding stays fast, and explaining never
evaluates a condition again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import attrs

from crmculture.evaluate.combine import DirectiveOutcome
from crmculture.evaluate.trace import PolicyTrace, reference_trace
from crmculture.evaluate.truth import rule_matches
from crmculture.model.policies import Policy
from crmculture.model.values import json_value

__all__ = ["Decision", "DirectiveOutcome", "assemble", "decision_class"]


@attrs.frozen(eq=False, init=False, repr=False)
class Decision:
    """How the policy treats one customer, asked by one department.

    Decisions are immutable and compare equal when the policy (by fingerprint), department,
    customer and outcome are equal. Evaluators build them; you read them.

    Args:
        policy: The policy that decided.
        department: The department that asked, or None.
        facts: The customer's normalized fact values, in schema order.
        values: The directive values, in the policy's directive order.
        flags: For each of the policy's ``effective_rules``, whether it matched (in scope
            and true); when not given, the reference interpreter works them out.
        as_of: The date the decision was made for, or None.

    Examples:
        >>> from crmculture.stories import acme_policy
        >>> d = acme_policy().compile()({"credit_hold": True, "days_overdue": 0,
        ...     "annual_volume": 9000, "tier": "gold"}, department="engineering")
        >>> d.directives["route_to"], d.matched
        ('accounts_receivable', ('credit-hold',))
        >>> d.outcomes["service_level"].source
        'default'
    """

    # What the policy's decisions share: the policy itself, and what is derived from it.
    # The compiled evaluator's decisions are of a subclass (`decision_class`) that holds it
    # as a class attribute instead, which makes them cheaper to build.
    _trace: PolicyTrace
    # Everything the evaluator computed, flattened into one tuple of plain values:
    # ``(department, *facts, *values, flags)``, the flags an int (bit ``j`` for
    # ``effective_rules[j]``). One allocation, and a tuple the garbage collector soon stops
    # tracking, which keeps deciding (and keeping) many decisions fast.
    _state: tuple[Any, ...]
    # Derived values, kept once asked for; empty until then (evaluators do not set them).
    # Plain slots rather than cached properties: reading an empty one costs a C-level
    # AttributeError, where a cached property's fallback `__getattr__` costs microseconds.
    _directives: Mapping[str, Any] = attrs.field(init=False)
    _customer: Mapping[str, Any] = attrs.field(init=False)

    def __init__(
        self,
        policy: Policy,
        department: str | None,
        facts: Sequence[Any],
        values: Sequence[Any],
        flags: Sequence[bool] | None = None,
        *,
        as_of: dt.date | None = None,
    ) -> None:
        trace = reference_trace(policy, as_of)
        if flags is None:
            customer = dict(zip(policy.schema.names, facts, strict=True))
            flags = rule_matches(trace.evaluated, customer, department)
        mask = trace.mask_of(flags)
        _set_trace(self, trace)
        _set_state(self, (department, *facts, *values, mask))

    @property
    def policy(self) -> Policy:
        """The policy that decided."""
        return self._trace.policy

    @property
    def as_of(self) -> dt.date | None:
        """The date the decision was made for (given by the caller), or None."""
        return self._trace.as_of

    @property
    def department(self) -> str | None:
        """The department that asked, or None."""
        department: str | None = self._state[0]
        return department

    @property
    def facts(self) -> tuple[Any, ...]:
        """The customer's normalized fact values, in schema order."""
        return self._state[1 : 1 + self._trace.n_facts]

    @property
    def values(self) -> tuple[Any, ...]:
        """The directive values, in the policy's directive order."""
        return self._state[1 + self._trace.n_facts : -1]

    @property
    def flags(self) -> tuple[bool, ...]:
        """Whether each of the policy's ``effective_rules`` matched (in scope and true), as
        the evaluator found when it decided."""
        return self._trace.masks[self._state[-1]].flags

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in self.directives.items())
        return f"Decision(policy={self.policy.name!r}, department={self.department!r}, {shown})"

    def _key(self) -> tuple[Any, ...]:
        return (self.policy.fingerprint, self._trace.as_of, self._state)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Decision):
            return NotImplemented
        return self._key() == other._key()

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash(self._key())

    def __reduce__(self) -> tuple[Any, ...]:
        if self._trace.as_of is None:
            return (_restore, (self.policy, self._state))
        return (_restore, (self.policy, self._state, self._trace.as_of))

    def __getitem__(self, directive: str) -> Any:
        """The value of one directive: ``decision["route_to"]``."""
        return self.directives[directive]

    @property
    def directives(self) -> Mapping[str, Any]:
        """Directive name to final value, in the policy's directive order (read-only)."""
        directives: Mapping[str, Any] | None = getattr(self, "_directives", None)
        if directives is None:
            names = (directive.name for directive in self.policy.directives)
            directives = MappingProxyType(dict(zip(names, self.values, strict=True)))
            _set_directives(self, directives)
        return directives

    @property
    def customer(self) -> Mapping[str, Any]:
        """Fact name to the normalized value the decision used (None when missing)."""
        customer: Mapping[str, Any] | None = getattr(self, "_customer", None)
        if customer is None:
            names = self.policy.schema.names
            customer = MappingProxyType(dict(zip(names, self.facts, strict=True)))
            _set_customer(self, customer)
        return customer

    @property
    def matched(self) -> tuple[str, ...]:
        """The ids of the matching rules, in ``(priority, id)`` order."""
        return self._trace.matched[self._state[-1]]

    @property
    def outcomes(self) -> Mapping[str, DirectiveOutcome]:
        """For each directive, how it got its value: the deciding rules and who lost, and why."""
        return self._trace.masks[self._state[-1]].outcomes

    @property
    def defaults_used(self) -> tuple[str, ...]:
        """The directives that took their default because no matching rule set them."""
        return self._trace.masks[self._state[-1]].defaults_used

    @property
    def fingerprint(self) -> str:
        """A SHA-256 of policy fingerprint + customer + department (+ as-of date, when the
        decision has one): the same in any process.

        Computed when read (a few microseconds), not kept: keeping it would cost every
        decision that never shows it.
        """
        state, trace = self._state, self._trace
        return trace.fingerprint(state, trace.customer_json(state))

    def to_dict(self) -> dict[str, Any]:
        """The decision as a JSON-ready dict: policy, department, customer, directives, trace,
        and ``as_of`` when the decision was made for an as-of date."""
        document = {
            "policy": {
                "name": self.policy.name,
                "version": self.policy.version,
                "fingerprint": self.policy.fingerprint,
            },
            "department": self.department,
            "customer": json_value(dict(self.customer)),
            "directives": json_value(dict(self.directives)),
            "matched": list(self.matched),
            "defaults_used": list(self.defaults_used),
            "outcomes": {
                name: {
                    "source": outcome.source,
                    "determined_by": list(outcome.determined_by),
                    "overridden": [
                        {"rule": o.rule, "value": json_value(o.value), "reason": o.reason}
                        for o in outcome.overridden
                    ],
                }
                for name, outcome in self.outcomes.items()
            },
            "fingerprint": self.fingerprint,
        }
        if self.as_of is not None:
            document["as_of"] = self.as_of.isoformat()
        return document

    def to_json(self) -> str:
        """Canonical JSON (sorted keys, no spaces, ASCII): equal decisions give equal bytes.

        The same text as ``crmculture.model.values.canonical_json(decision.to_dict())``, built
        from parts the policy encodes once.
        """
        state, trace = self._state, self._trace
        customer = trace.customer_json(state)
        return trace.to_json(state, customer, trace.fingerprint(state, customer))

    def explain(self) -> str:
        """A readable trace: each directive and the rule that determined it (with the rule's
        rationale), the rules it overrode and why, the rules that matched, and for the rules that
        did not match, the clause that failed with the customer's value.

        Examples:
            >>> from crmculture.stories import acme_policy
            >>> d = acme_policy().compile()({"credit_hold": False, "days_overdue": 12,
            ...     "annual_volume": 9000, "tier": "silver"})
            >>> text = d.explain()
            >>> print(text.splitlines()[0])
            Decision by policy `acme` version 2026.11, no department given
            >>> print(next(line for line in text.splitlines() if "credit-hold:" in line))
              credit-hold: (credit_hold is false, ...) or (days_overdue is 12, the rule needs > 60)
        """
        return self._trace.explain(self._state)


_set_trace = Decision.__dict__["_trace"].__set__
_set_state = Decision.__dict__["_state"].__set__
_set_directives = Decision.__dict__["_directives"].__set__
_set_customer = Decision.__dict__["_customer"].__set__


def decision_class(trace: PolicyTrace) -> type[Decision]:
    """A subclass of `Decision` whose instances share `trace` (a class attribute).

    Calling it without arguments makes a decision without state, in C, which is cheaper
    than ``object.__new__(Decision)`` and setting the trace: the compiled evaluator makes its
    decisions so, then sets their state. Its instances are decisions like any other; they
    pickle as `Decision`.
    """
    namespace = {
        "__slots__": (),
        "__init__": object.__init__,
        "__module__": Decision.__module__,
        "__qualname__": Decision.__qualname__,
        "__doc__": Decision.__doc__,
        "_trace": trace,
    }
    return type(Decision.__name__, (Decision,), namespace)


def assemble(trace: PolicyTrace, state: tuple[Any, ...]) -> Decision:
    """A decision from its policy's trace and its state, as evaluators make them.

    `state` is ``(department, *facts, *values, flags)``, the flags an int with bit ``j`` set
    when ``effective_rules[j]`` matched. Nothing is checked: this is for evaluators.
    """
    decision: Decision = object.__new__(Decision)
    _set_trace(decision, trace)
    _set_state(decision, state)
    return decision


def _restore(policy: Policy, state: tuple[Any, ...], as_of: dt.date | None = None) -> Decision:
    """Rebuild a pickled decision (its explanation then uses the reference `why_not`)."""
    return assemble(reference_trace(policy, as_of), state)
