"""What a policy's decisions derive from their rule flags, prepared once per policy.

An evaluator records, in each `crmculture.Decision`, which rules matched: an int whose bit
``j`` is set when ``policy.effective_rules[j]`` matched (in scope and true). Everything a
decision shows beyond its values (the matched rule ids, who determined each directive and who
was overridden, the defaults used, the canonical JSON, the fingerprint, the explanation) is a
function of those flags, the customer's facts and the department. A `PolicyTrace` holds what
those functions need and what they can share between decisions:

- per set of flags (a *mask*), a `MaskTrace`: the matched ids, the outcomes (by the same
  `combine` both evaluators use), the JSON of the trace and the explanation's fixed blocks;
- per department, the explanation's header and the rules out of scope;
- per fact and directive, tables from value to JSON text (`crmculture.evaluate.canonical`);
- for explanations of compiled decisions, the truth of every condition node, computed by
  code the compiler generates from the same expressions as the evaluator, and per rule a
  template of the reasons its condition failed, keyed by those truths.

Nothing here interprets a condition: a compiled decision's trace never runs the reference
interpreter. A decision made by the `crmculture.ReferenceEvaluator` (or built with the
`crmculture.Decision` constructor, or unpickled) explains its unmatched rules with the
reference `crmculture.evaluate.truth.why_not`, which is how tests hold the two equal.

Caches are bounded (`CACHE_LIMIT` entries each); past the bound, results are computed on
every use and the answers stay the same.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from operator import itemgetter
from types import MappingProxyType
from typing import Any, TypeAlias, assert_never

from crmculture.evaluate.canonical import object_encoder, quote
from crmculture.evaluate.combine import DirectiveOutcome, combine
from crmculture.evaluate.truth import paired, reasons, why_not
from crmculture.model.conditions import And, Atom, Condition, Const, Not, Or
from crmculture.model.policies import Policy
from crmculture.model.rules import in_force_text
from crmculture.model.values import canonical_json, json_value, value_text

__all__ = [
    "CACHE_LIMIT",
    "MaskTrace",
    "PolicyTrace",
    "TruthsFactory",
    "condition_nodes",
    "reference_trace",
]

CACHE_LIMIT = 4096
"""How many masks, departments or reason templates a trace remembers."""

Truths: TypeAlias = Callable[..., tuple[bool, ...]]
"""Given a customer's facts in schema order, the truth of every condition node and, after
them, whether each listed optional fact is missing."""

TruthsFactory: TypeAlias = Callable[[Sequence[Condition], Sequence[int]], Truths]
"""Builds a `Truths` function for the nodes and the optional facts (by schema position)."""


def condition_nodes(conditions: Sequence[Condition]) -> tuple[list[Condition], list[list[int]]]:
    """Every distinct node of `conditions`, children before parents, and for each condition
    the positions of its own nodes in that list.

    Examples:
        >>> from crmculture import F
        >>> nodes, per = condition_nodes([F.a & ~F.b, ~F.b])
        >>> [str(node) for node in nodes], per
        (['a', 'b', 'not b', 'a and not b'], [[0, 1, 2, 3], [1, 2]])
    """
    index: dict[Condition, int] = {}
    nodes: list[Condition] = []

    def visit(node: Condition, seen: dict[int, None]) -> None:
        if isinstance(node, And | Or):
            for item in node.items:
                visit(item, seen)
        elif isinstance(node, Not):
            visit(node.item, seen)
        elif not isinstance(node, Const | Atom):
            assert_never(node)
        position = index.get(node)
        if position is None:
            position = index[node] = len(nodes)
            nodes.append(node)
        seen[position] = None

    per_condition = []
    for condition in conditions:
        seen: dict[int, None] = {}
        visit(condition, seen)
        per_condition.append(list(seen))
    return nodes, per_condition


class _Memo(dict[Any, Any]):
    """A bounded memo of `make`: looking up a missing key computes (and may keep) its value."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[Any], Any]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, key: Any) -> Any:
        value = self.make(key)
        if len(self) < CACHE_LIMIT:
            self[key] = value
        return value


def _escape(text: str) -> str:
    """Make `text` literal inside a `str.format` template."""
    return text.replace("{", "{{").replace("}", "}}")


class MaskTrace:
    """What every decision of one policy with the same rule flags shares.

    Attributes:
        mask: The flags: bit ``j`` set when ``effective_rules[j]`` matched.
        flags: The same as a tuple of booleans, one per effective rule.
        hits: The positions of the matching rules.
        matched: The ids of the matching rules, in ``(priority, id)`` order.
    """

    __slots__ = (
        "_blocks",
        "_json",
        "_outcomes",
        "_trace",
        "_unmatched",
        "flags",
        "hits",
        "mask",
        "matched",
    )

    def __init__(self, trace: PolicyTrace, mask: int) -> None:
        rules = trace.policy.effective_rules
        if mask < 0 or mask >> len(rules):
            raise ValueError(f"rule flags `{mask}` do not fit the {len(rules)} rules")
        self._trace = trace
        self.mask = mask
        self.flags = tuple(bool(mask >> j & 1) for j in range(len(rules)))
        self.hits = tuple(j for j, hit in enumerate(self.flags) if hit)
        self.matched = tuple(rules[j].id for j in self.hits)
        self._outcomes: Mapping[str, DirectiveOutcome] | None = None
        self._json: tuple[str, str] | None = None
        self._blocks: tuple[str, str] | None = None
        self._unmatched: dict[str | None, tuple[int, ...]] = {}

    @property
    def outcomes(self) -> Mapping[str, DirectiveOutcome]:
        """For each directive, how it got its value: `combine` over the matching rules."""
        if self._outcomes is None:
            policy = self._trace.policy
            matched = [policy.effective_rules[j] for j in self.hits]
            outcomes = {}
            for directive in policy.directives:
                contributions = [
                    (rule, value)
                    for rule in matched
                    for name, value in rule.then
                    if name == directive.name
                ]
                outcomes[directive.name] = combine(directive, contributions)
            self._outcomes = MappingProxyType(outcomes)
        return self._outcomes

    @property
    def defaults_used(self) -> tuple[str, ...]:
        """The directives that took their default because no matching rule set them."""
        return tuple(name for name, outcome in self.outcomes.items() if outcome.source == "default")

    def json_parts(self) -> tuple[str, str]:
        """The decision JSON's parts that depend on the flags only: the ``defaults_used``
        list, and everything from ``"matched"`` to the end (outcomes and policy)."""
        if self._json is None:
            outcomes = {
                name: {
                    "source": outcome.source,
                    "determined_by": list(outcome.determined_by),
                    "overridden": [
                        {"rule": o.rule, "value": json_value(o.value), "reason": o.reason}
                        for o in outcome.overridden
                    ],
                }
                for name, outcome in self.outcomes.items()
            }
            tail = (
                ',"matched":'
                + canonical_json(list(self.matched))
                + ',"outcomes":'
                + canonical_json(outcomes)
                + ',"policy":'
                + self._trace.policy_json
                + "}"
            )
            self._json = (canonical_json(list(self.defaults_used)), tail)
        return self._json

    def blocks(self) -> tuple[str, str]:
        """The explanation's directives block and matched-rules block."""
        if self._blocks is None:
            self._blocks = ("\n".join(self._directive_lines()), "\n".join(self._matched_lines()))
        return self._blocks

    def _directive_lines(self) -> Iterator[str]:
        rules = {rule.id: rule for rule in self._trace.policy.effective_rules}
        yield "Directives:"
        for name, outcome in self.outcomes.items():
            yield f"  {name} = {value_text(outcome.value)}"
            if outcome.source == "default":
                yield "    default: no matching rule sets it"
            for rule_id in outcome.determined_by:
                rationale = rules[rule_id].rationale
                yield f"    set by `{rule_id}`" + (f": {rationale}" if rationale else "")
            for lost in outcome.overridden:
                yield f"    overrides `{lost.rule}` ({value_text(lost.value)}): {lost.reason}"

    def _matched_lines(self) -> Iterator[str]:
        yield "Rules that matched:" if self.hits else "Rules that matched: none"
        for j in self.hits:
            rule = self._trace.policy.effective_rules[j]
            yield f"  {rule.id}: {rule.when}"

    def unmatched(self, department: str | None, in_scope: tuple[int, ...]) -> tuple[int, ...]:
        """The positions of the rules in scope for `department` that did not match."""
        found = self._unmatched.get(department)
        if found is None:
            found = tuple(j for j in in_scope if not self.mask >> j & 1)
            if len(self._unmatched) < CACHE_LIMIT:
                self._unmatched[department] = found
        return found


class _DepartmentTrace:
    """What every decision asked by one department shares in its explanation and JSON."""

    __slots__ = ("header", "in_scope", "json", "out_of_force", "out_of_scope")

    def __init__(self, policy: Policy, department: str | None, as_of: dt.date | None) -> None:
        who = f"department `{department}`" if department else "no department given"
        self.header = f"Decision by policy `{policy.name}` version {policy.version}, {who}"
        if as_of is not None:
            self.header += f", as of {as_of.isoformat()}"
        self.json = "null" if department is None else quote(department)
        rules = policy.effective_rules
        self.in_scope = tuple(
            j
            for j, rule in enumerate(rules)
            if rule.applies_to(department) and (as_of is None or rule.in_force(as_of))
        )
        self.out_of_force: str | None = None
        if as_of is not None:
            resting = [
                rule for rule in rules if rule.applies_to(department) and not rule.in_force(as_of)
            ]
            if resting:
                self.out_of_force = "\n".join(
                    [f"Rules out of force on {as_of.isoformat()}:"]
                    + [
                        f"  {rule.id}: in force "
                        + in_force_text(rule.effective_from, rule.effective_until)
                        for rule in resting
                    ]
                )
        outside = [rule for rule in rules if not rule.applies_to(department)]
        self.out_of_scope: str | None = None
        if outside:
            lines = [
                "Rules out of scope for "
                + (f"`{department}`:" if department else "a decision without department:")
            ]
            for rule in outside:
                assert rule.departments is not None
                lines.append(f"  {rule.id}: applies to " + ", ".join(rule.departments))
            self.out_of_scope = "\n".join(lines)


class PolicyTrace:
    """Everything a policy's decisions derive from their flags, prepared once per policy.

    Attributes:
        policy: The policy, as written (what decisions show).
        as_of: The as-of date of the decisions, or None (decisions made without one).
        evaluated: The policy the evaluator ran: `policy` resolved for `as_of`
            (`crmculture.Policy.at`), or `policy` itself.
        masks: Per mask, its `MaskTrace` (computed on first use).
        matched: Per mask, the ids of the matching rules.
        n_facts: How many facts the policy's schema has.
        customer_json: Given a decision's state, the canonical JSON of its customer.

    Args:
        policy: The policy.
        truths: For decisions of the compiled evaluator, builds the function that computes
            every condition node's truth of `evaluated` (see `TruthsFactory`); None for
            decisions whose explanations use the reference `why_not`.
        as_of: The as-of date the decisions are made for, or None.

    Examples:
        >>> from crmculture.stories import acme_policy
        >>> decide = acme_policy().compile()
        >>> d = decide({"credit_hold": True, "days_overdue": 0, "annual_volume": 9000,
        ...             "tier": "gold"})
        >>> trace = PolicyTrace(d.policy)
        >>> mask = trace.mask_of(d.flags)
        >>> trace.masks[mask].matched, trace.masks[mask].defaults_used
        (('credit-hold',), ('service_level', 'discount_pct'))
    """

    __slots__ = (
        "__weakref__",
        "_departments",
        "_directives_json",
        "_explainer",
        "_names",
        "_opening",
        "_policy_json",
        "_texts",
        "_truths",
        "as_of",
        "customer_json",
        "evaluated",
        "masks",
        "matched",
        "n_facts",
        "policy",
    )

    def __init__(
        self,
        policy: Policy,
        truths: TruthsFactory | None = None,
        *,
        as_of: dt.date | None = None,
    ) -> None:
        self.policy = policy
        self.as_of = as_of
        self.evaluated = policy if as_of is None else policy.at(as_of)
        schema = policy.schema
        self.n_facts = n_facts = len(schema.facts)
        self.masks: dict[int, MaskTrace] = _Memo(lambda mask: MaskTrace(self, mask))
        # The matched ids again, one look-up away: what callers ask for most.
        self.matched: dict[int, tuple[str, ...]] = _Memo(lambda mask: self.masks[mask].matched)
        self._departments: dict[str | None, _DepartmentTrace] = _Memo(
            lambda department: _DepartmentTrace(policy, department, as_of)
        )
        self._policy_json: str | None = None
        self.customer_json = object_encoder(
            schema.names,
            range(1, 1 + n_facts),
            [_known_fact_values(fact.type, fact.values, fact.optional) for fact in schema],
        )
        self._directives_json = object_encoder(
            [directive.name for directive in policy.directives],
            range(1 + n_facts, 1 + n_facts + len(policy.directives)),
            [() for _ in policy.directives],
        )
        self._names = tuple(f"{name}=" for name in schema.names)
        self._texts = tuple(_Memo(value_text) for _ in schema.names)
        self._truths = truths
        self._explainer: _Explainer | None = None
        # The decision document up to its customer: the as-of date, when there is one, sorts
        # before it; decisions made without one keep the bytes they always had.
        self._opening = (
            '{"customer":' if as_of is None else f'{{"as_of":"{as_of.isoformat()}","customer":'
        )

    def __repr__(self) -> str:
        return f"<PolicyTrace {self.policy.name!r} version {self.policy.version!r}>"

    @property
    def policy_json(self) -> str:
        """The canonical JSON of the policy's part of a decision document (computed on first
        use: it needs the policy's fingerprint, which compiling does not)."""
        if self._policy_json is None:
            policy = self.policy
            self._policy_json = canonical_json(
                {"name": policy.name, "version": policy.version, "fingerprint": policy.fingerprint}
            )
        return self._policy_json

    def mask_of(self, flags: Sequence[bool]) -> int:
        """The mask of per-rule flags (in ``effective_rules`` order)."""
        if len(flags) != len(self.policy.effective_rules):
            raise ValueError(
                f"{len(flags)} rule flags given for {len(self.policy.effective_rules)} rules"
            )
        return sum(1 << j for j, hit in enumerate(flags) if hit)

    # -- canonical JSON --------------------------------------------------------------------

    def fingerprint(self, state: tuple[Any, ...], customer: str) -> str:
        """The fingerprint of the decision whose state is `state` and customer JSON
        `customer`: the SHA-256 of the canonical JSON of policy fingerprint, department and
        customer."""
        document = (
            self._opening
            + customer
            + ',"department":'
            + self._departments[state[0]].json
            + ',"policy":"'
            + self.policy.fingerprint
            + '"}'
        )
        return hashlib.sha256(document.encode("ascii")).hexdigest()

    def to_json(self, state: tuple[Any, ...], customer: str, fingerprint: str) -> str:
        """The canonical JSON of the decision whose state is `state`."""
        defaults_used, tail = self.masks[state[-1]].json_parts()
        # The keys of the decision document, in sorted order.
        return "".join(
            (
                self._opening,
                customer,
                ',"defaults_used":',
                defaults_used,
                ',"department":',
                self._departments[state[0]].json,
                ',"directives":',
                self._directives_json(state),
                ',"fingerprint":"',
                fingerprint,
                '"',
                tail,
            )
        )

    # -- explanation -----------------------------------------------------------------------

    def explain(self, state: tuple[Any, ...]) -> str:
        """The explanation of the decision whose state is `state`."""
        department = state[0]
        facts = state[1 : 1 + self.n_facts]
        where = self._departments[department]
        texts = tuple(map(dict.__getitem__, self._texts, facts))
        mask = self.masks[state[-1]]
        directives, matched = mask.blocks()
        parts = [
            where.header,
            "Customer: " + ", ".join(map(str.__add__, self._names, texts)),
            "",
            directives,
            "",
            matched,
        ]
        unmatched = mask.unmatched(department, where.in_scope)
        if unmatched:
            parts.append("Rules that did not match:")
            if self._truths is None:
                rules = self.policy.effective_rules
                customer = dict(zip(self.policy.schema.names, facts, strict=True))
                schema = self.policy.schema
                parts.extend(
                    f"  {rules[j].id}: "
                    + "; ".join(why_not(rules[j].when, customer, schema, as_of=self.as_of))
                    for j in unmatched
                )
            else:
                if self._explainer is None:
                    self._explainer = _Explainer(
                        self.evaluated, self._truths, self.policy, self.as_of
                    )
                parts.extend(self._explainer.lines(unmatched, facts, texts))
        if where.out_of_force is not None:
            parts.append(where.out_of_force)
        if where.out_of_scope is not None:
            parts.append(where.out_of_scope)
        return "\n".join(parts)


def _known_fact_values(kind: str, values: tuple[str, ...] | None, optional: bool) -> list[Any]:
    """The values of a fact worth encoding up front: its whole domain, when it is finite."""
    known: list[Any] = [None] if optional else []
    if kind == "bool":
        known += [False, True]
    elif kind == "enum" and values is not None:
        known += list(values)
    return known


class _Explainer:
    """Explains why rules did not match from the node truths the compiled code computed.

    The text of a rule's reasons depends on which of its nodes hold and which of its optional
    facts are missing, and otherwise only on the facts' shown values. So each rule keeps, per
    combination of those truths, a `str.format` template into which the shown values go.
    """

    __slots__ = (
        "_as_of",
        "_keys",
        "_policy",
        "_position",
        "_rules",
        "_shown",
        "_templates",
        "_truths",
    )

    def __init__(
        self,
        policy: Policy,
        factory: TruthsFactory,
        shown: Policy | None = None,
        as_of: dt.date | None = None,
    ) -> None:
        """Explain the rules of `policy`, the policy the compiled code evaluated; for a
        decision made as of `as_of`, `policy` is `shown` resolved for that date, and the
        reasons are those of `shown`'s conditions as written (dates relative to the as-of
        date named as such, with the dates they mean)."""
        rules = policy.effective_rules
        schema = policy.schema
        nodes, per_rule = condition_nodes([rule.when for rule in rules])
        position = {name: i for i, name in enumerate(schema.names)}

        def facts_of(mine: list[int]) -> set[int]:
            found = set()
            for n in mine:
                node = nodes[n]
                if isinstance(node, Atom):
                    found.add(position[node.fact])
            return found

        optional = sorted(
            {i for mine in per_rule for i in facts_of(mine) if schema.facts[i].optional}
        )
        flag_of = {i: len(nodes) + k for k, i in enumerate(optional)}
        self._policy = policy
        self._shown = policy if shown is None else shown
        self._as_of = as_of
        self._position = position
        self._rules: list[tuple[list[Condition], list[str]]] = []
        self._keys: list[Callable[[tuple[bool, ...]], Any]] = []
        for mine in per_rule:
            missing = sorted(i for i in facts_of(mine) if i in flag_of)
            self._rules.append(([nodes[n] for n in mine], [schema.names[i] for i in missing]))
            self._keys.append(itemgetter(*mine, *(flag_of[i] for i in missing)))
        self._templates = [_Memo(partial(self._template, j)) for j in range(len(rules))]
        self._truths = factory(nodes, optional)

    def _template(self, j: int, key: Any) -> str:
        rule = self._policy.effective_rules[j]
        nodes, missing_facts = self._rules[j]
        truths = key if isinstance(key, tuple) else (key,)
        truth = dict(zip(nodes, truths[: len(nodes)], strict=True))
        missing = dict(zip(missing_facts, truths[len(nodes) :], strict=True))

        def describe(atom: Atom) -> tuple[str, bool]:
            return "{" + str(self._position[atom.fact]) + "}", missing.get(atom.fact, False)

        if self._as_of is None:
            found = reasons(rule.when, True, truth.__getitem__, describe, _escape)
        else:
            written = self._shown.effective_rules[j].when
            resolved = paired(written, rule.when)
            found = reasons(
                written, True, lambda node: truth[resolved[node]], describe, _escape, self._as_of
            )
        return _escape(f"  {rule.id}: ") + "; ".join(found)

    def lines(
        self, unmatched: tuple[int, ...], facts: tuple[Any, ...], texts: tuple[str, ...]
    ) -> list[str]:
        """The explanation lines of the `unmatched` rules for a customer's facts."""
        truths = self._truths(*facts)
        keys, templates = self._keys, self._templates
        return [templates[j][keys[j](truths)].format(*texts) for j in unmatched]


_traces: weakref.WeakValueDictionary[tuple[int, dt.date | None], PolicyTrace] = (
    weakref.WeakValueDictionary()
)


def reference_trace(policy: Policy, as_of: dt.date | None = None) -> PolicyTrace:
    """The trace shared by the decisions of `policy` (as of `as_of`) that explain with the
    reference interpreter (made by the `crmculture.ReferenceEvaluator`, built with the
    `crmculture.Decision` constructor, or unpickled); one per policy object and date while in
    use."""
    key = (id(policy), as_of)
    trace = _traces.get(key)
    if trace is None or trace.policy is not policy:
        trace = _traces[key] = PolicyTrace(policy, as_of=as_of)
    return trace
