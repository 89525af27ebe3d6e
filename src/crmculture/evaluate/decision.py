"""Decisions: the evaluator's answer for one customer, with its trace, JSON and fingerprint.

A `Decision` stores only what the evaluator computed: the customer's normalized facts, the
final directive values, and which rules matched. Everything else (who determined each
directive, who was overridden and why, the explanation, the JSON) is derived from those when
asked, so that deciding stays fast and explaining stays exact.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

import attrs

from crmculture.evaluate.combine import DirectiveOutcome, combine
from crmculture.evaluate.truth import rule_matches, why_not
from crmculture.model.policies import Policy
from crmculture.model.values import canonical_json, json_value, value_text

__all__ = ["Decision", "DirectiveOutcome"]


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

    Examples:
        >>> from crmculture.stories import acme_policy
        >>> d = acme_policy().compile()({"credit_hold": True, "days_overdue": 0,
        ...     "annual_volume": 9000, "tier": "gold"}, department="engineering")
        >>> d.directives["route_to"], d.matched
        ('accounts_receivable', ('credit-hold',))
        >>> d.outcomes["service_level"].source
        'default'
    """

    policy: Policy
    # Everything else the evaluator computed, flattened into one tuple of plain values:
    # ``(department, *facts, *values)``. One allocation, and a tuple the garbage collector
    # soon stops tracking, which keeps deciding (and keeping) many decisions fast. Which rules
    # matched is a function of these, derived when first asked (see `flags`).
    _state: tuple[Any, ...]

    def __init__(
        self,
        policy: Policy,
        department: str | None,
        facts: tuple[Any, ...],
        values: tuple[Any, ...],
    ) -> None:
        object.__setattr__(self, "policy", policy)
        object.__setattr__(self, "_state", (department, *facts, *values))

    @property
    def department(self) -> str | None:
        """The department that asked, or None."""
        department: str | None = self._state[0]
        return department

    @property
    def facts(self) -> tuple[Any, ...]:
        """The customer's normalized fact values, in schema order."""
        return self._state[1 : 1 + len(self.policy.schema.facts)]

    @property
    def values(self) -> tuple[Any, ...]:
        """The directive values, in the policy's directive order."""
        return self._state[1 + len(self.policy.schema.facts) :]

    @functools.cached_property
    def flags(self) -> tuple[bool, ...]:
        """Whether each of the policy's ``effective_rules`` matched (in scope and true).

        Derived when first asked, by the reference semantics, from the customer and the
        department: deciding does not pay for the trace. The compiled evaluator's values are
        held equal to the reference's by a property test.
        """
        return rule_matches(self.policy, self.customer, self.department)

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in self.directives.items())
        return f"Decision(policy={self.policy.name!r}, department={self.department!r}, {shown})"

    def _key(self) -> tuple[Any, ...]:
        return (self.policy.fingerprint, self._state)

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
        return (Decision, (self.policy, self.department, self.facts, self.values))

    def __getitem__(self, directive: str) -> Any:
        """The value of one directive: ``decision["route_to"]``."""
        return self.directives[directive]

    @functools.cached_property
    def directives(self) -> Mapping[str, Any]:
        """Directive name to final value, in the policy's directive order (read-only)."""
        names = (directive.name for directive in self.policy.directives)
        return MappingProxyType(dict(zip(names, self.values, strict=True)))

    @functools.cached_property
    def customer(self) -> Mapping[str, Any]:
        """Fact name to the normalized value the decision used (None when missing)."""
        return MappingProxyType(dict(zip(self.policy.schema.names, self.facts, strict=True)))

    @property
    def matched(self) -> tuple[str, ...]:
        """The ids of the matching rules, in ``(priority, id)`` order."""
        rules = self.policy.effective_rules
        return tuple(rule.id for rule, hit in zip(rules, self.flags, strict=True) if hit)

    @functools.cached_property
    def outcomes(self) -> Mapping[str, DirectiveOutcome]:
        """For each directive, how it got its value: the deciding rules and who lost, and why."""
        matched = [
            rule for rule, hit in zip(self.policy.effective_rules, self.flags, strict=True) if hit
        ]
        outcomes = {}
        for directive in self.policy.directives:
            contributions = [
                (rule, value)
                for rule in matched
                for name, value in rule.then
                if name == directive.name
            ]
            outcomes[directive.name] = combine(directive, contributions)
        return MappingProxyType(outcomes)

    @property
    def defaults_used(self) -> tuple[str, ...]:
        """The directives that took their default because no matching rule set them."""
        return tuple(name for name, outcome in self.outcomes.items() if outcome.source == "default")

    @functools.cached_property
    def fingerprint(self) -> str:
        """A SHA-256 of policy fingerprint + customer + department: the same in any process."""
        document = {
            "policy": self.policy.fingerprint,
            "department": self.department,
            "customer": json_value(dict(self.customer)),
        }
        return hashlib.sha256(canonical_json(document).encode("ascii")).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        """The decision as a JSON-ready dict: policy, department, customer, directives, trace."""
        return {
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

    def to_json(self) -> str:
        """Canonical JSON (sorted keys, no spaces, ASCII): equal decisions give equal bytes."""
        return canonical_json(self.to_dict())

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
        return "\n".join(self._explain_lines())

    def _explain_lines(self) -> Iterator[str]:
        policy = self.policy
        who = f"department `{self.department}`" if self.department else "no department given"
        yield f"Decision by policy `{policy.name}` version {policy.version}, {who}"
        customer = ", ".join(f"{name}={value_text(value)}" for name, value in self.customer.items())
        yield f"Customer: {customer}"
        yield ""
        yield "Directives:"
        for name, outcome in self.outcomes.items():
            yield f"  {name} = {value_text(outcome.value)}"
            if outcome.source == "default":
                yield "    default: no matching rule sets it"
            for rule_id in outcome.determined_by:
                rationale = policy.rule(rule_id).rationale
                yield f"    set by `{rule_id}`" + (f": {rationale}" if rationale else "")
            for lost in outcome.overridden:
                yield f"    overrides `{lost.rule}` ({value_text(lost.value)}): {lost.reason}"
        matched = set(self.matched)
        yield ""
        yield "Rules that matched:" if matched else "Rules that matched: none"
        for rule in policy.effective_rules:
            if rule.id in matched:
                yield f"  {rule.id}: {rule.when}"
        unmatched = [
            rule
            for rule in policy.effective_rules
            if rule.id not in matched and rule.applies_to(self.department)
        ]
        if unmatched:
            yield "Rules that did not match:"
            for rule in unmatched:
                yield f"  {rule.id}: " + "; ".join(why_not(rule.when, self.customer, policy.schema))
        out_of_scope = [
            rule for rule in policy.effective_rules if not rule.applies_to(self.department)
        ]
        if out_of_scope:
            yield "Rules out of scope for " + (
                f"`{self.department}`:" if self.department else "a decision without department:"
            )
            for rule in out_of_scope:
                assert rule.departments is not None
                yield f"  {rule.id}: applies to " + ", ".join(rule.departments)
