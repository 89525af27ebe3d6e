"""The checks that compare two decisions: for the same customer asked by two departments
(`assert_uniform`), and for a better and a worse customer (`assert_monotone`).

The verifier answers both exactly where it can; see `crmculture.testing.checks` for how a
check searches and what `CheckFailed` holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import hypothesis
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from crmculture.analysis.fact_space import department_contexts
from crmculture.analysis.findings import MonotonicityBreak, NonUniform, outcomes_for
from crmculture.analysis.outcomes import Undetermined
from crmculture.analysis.verifier import check_monotonicity, check_uniformity
from crmculture.model.directives import Directive
from crmculture.model.policies import Policy
from crmculture.model.values import value_text
from crmculture.testing.check_arguments import (
    _contexts,
    _department_arg,
    _departments_arg,
    _directive,
    _directive_list,
    _policy,
    _settings,
)
from crmculture.testing.checks import (
    CheckFailed,
    Method,
    _department,
    _determined,
    _key,
    _method,
    _run,
    _value,
    show_customer,
)
from crmculture.testing.strategies import comparable_customers, customers

__all__ = ["assert_monotone", "assert_uniform"]

# -- uniformity -----------------------------------------------------------------------------


def _compared(policy: Policy) -> tuple[str | None, ...]:
    """The departments the verifier compares for uniformity."""
    contexts = department_contexts(policy)
    return tuple(c for c in contexts if c is not None or policy.departments is None)


def _non_uniform(finding: NonUniform, found_by: Literal["hypothesis", "verifier"]) -> CheckFailed:
    first, second = finding.departments
    return CheckFailed(
        "assert_uniform",
        f"`{finding.directive}` is {_value(finding.value_in(first))} when "
        f"{_department(first)} asks and {_value(finding.value_in(second))} when "
        f"{_department(second)} asks",
        customer=finding.record,
        department=first,
        values={finding.directive: {str(d): v for d, v in finding.values}},
        rules=finding.rules,
        found_by=found_by,
    )


def assert_uniform(
    policy: Policy,
    directives: Iterable[str] | str | None = None,
    *,
    departments: Iterable[str | None] | None = None,
    settings: hypothesis.settings | None = None,
    method: Method = "auto",
) -> None:
    """Check that every department gives every customer the same value of `directives`.

    With ``method="auto"`` and the default `departments`, the verifier
    (`crmculture.analysis.check_uniformity`) answers exactly: a proof, or a minimal witness.
    With a subset of `departments`, or when the verifier's budget runs out, hypothesis
    searches instead. A conflict or an undecided directive counts as an outcome too.

    Args:
        policy: The policy.
        directives: Directive names (default: those declared ``uniform``).
        departments: The departments to compare (default: those the policy declares; for a
            policy that declares none, those its rules name and a decision without
            department).
        settings: Hypothesis settings (default: the profile in effect).
        method: ``auto``, ``exact`` (the verifier only) or ``hypothesis``.

    Raises:
        CheckFailed: naming the customer, the two departments that disagree, the values of
            every department, and the rules that determined them.
        InvalidArgument: for bad arguments.

    Examples:
        >>> from crmculture import Directive, F, Fact, Policy, Rule, Schema
        >>> schema = Schema([Fact.bool("credit_hold")])
        >>> route = Directive.text("route_to", default="frontline")
        >>> policy = Policy("p", schema, [route], [
        ...     Rule("hold", when=F.credit_hold, then={"route_to": "accounts_receivable"},
        ...          departments=["sales"]),
        ... ], departments=["engineering", "sales"])
        >>> assert_uniform(policy, ["route_to"])
        Traceback (most recent call last):
        ...
        crmculture.testing.checks.CheckFailed: assert_uniform: `route_to` is "frontline" when `engineering` asks and "accounts_receivable" when `sales` asks
          customer: {"credit_hold": true}
          department: `engineering`
          values: route_to = {engineering: "frontline", sales: "accounts_receivable"}
          rules: `hold`
          found by: the verifier (exact)
    """  # noqa: E501
    check = "assert_uniform"
    policy = _policy(check, policy)
    chosen = _directive_list(check, policy, directives, "uniform")
    method = _method(check, method)
    compared = _compared(policy)
    if departments is not None:
        compared = _departments_arg(check, policy, departments)
        if len(compared) < 2:
            raise InvalidArgument(f"{check}(): compare at least two departments: {compared!r}")
    names = [d.name for d in chosen]
    exact_applies = set(compared) == set(_compared(policy))
    if method == "exact" and not exact_applies:
        raise InvalidArgument(
            f"{check}(): the verifier compares every department; "
            "use method='auto' or 'hypothesis' for a subset"
        )
    fallback = None if exact_applies else "the verifier compares every department, not a subset"
    if method != "hypothesis" and exact_applies:
        fallback = "the verifier ran out of budget"
        report = check_uniformity(policy, names)
        found = [f for f in report.findings if isinstance(f, NonUniform)]
        if found:
            raise _non_uniform(found[0], "verifier")
        if report.complete or method == "exact":
            if not report.complete:
                raise CheckFailed(
                    check,
                    "the verifier ran out of budget before answering",
                    customer=None,
                    found_by="verifier",
                )
            return
    if len(compared) < 2:
        return  # one department asks: nothing to compare

    def body(customer: dict[str, Any]) -> None:
        evaluated = {d: outcomes_for(policy, customer, d) for d in compared}
        for name in names:
            first = evaluated[compared[0]].outcomes[name]
            for department in compared[1:]:
                other = evaluated[department].outcomes[name]
                if _key(first) != _key(other):
                    rules = [
                        *_determined(evaluated[compared[0]], name),
                        *_determined(evaluated[department], name),
                    ]
                    finding = NonUniform(
                        name,
                        tuple((d, evaluated[d].outcomes[name]) for d in compared),
                        tuple(customer.items()),
                        (compared[0], department),
                        tuple(rules),
                    )
                    raise _non_uniform(finding, "hypothesis")

    _run(
        check,
        customers(policy),
        body,
        _settings(settings),
        None if method == "hypothesis" else fallback,
    )


# -- monotonicity ---------------------------------------------------------------------------


def _monotone_failure(
    policy: Policy,
    directive: Directive,
    better: Mapping[str, Any],
    worse: Mapping[str, Any],
    better_value: Any,
    worse_value: Any,
    department: str | None,
    rules: Sequence[str],
    found_by: Literal["hypothesis", "verifier"],
) -> CheckFailed:
    differing = [name for name in policy.schema.names if better.get(name) != worse.get(name)]
    changes = ", ".join(
        f"{name} {value_text(better.get(name))} instead of {value_text(worse.get(name))}"
        for name in differing
    )
    return CheckFailed(
        "assert_monotone",
        f"a better customer gets a worse `{directive.name}`: "
        f"{_value(better_value)} instead of {_value(worse_value)}",
        customer=better,
        department=department,
        values={"better customer": better_value, "worse customer": worse_value},
        rules=rules,
        found_by=found_by,
        details=[
            f"worse customer: {show_customer(worse)}",
            f"better on: {changes}",
        ],
    )


def assert_monotone(
    policy: Policy,
    directive: str,
    *,
    department: str | None = None,
    settings: hypothesis.settings | None = None,
    method: Method = "auto",
) -> None:
    """Check that no better customer gets a less favourable value of `directive`.

    "Better" follows each fact's `better` direction: at least as good on every such fact,
    equal on every other. "Less favourable" follows the directive's order and its
    ``favourable`` direction. Customers for whom the directive cannot be decided (a conflict,
    no value) are not compared.

    With ``method="auto"`` and no `department`, the verifier
    (`crmculture.analysis.check_monotonicity`) answers exactly: a proof, or a minimal pair.
    For one department, or when the verifier's budget runs out, hypothesis searches pairs
    from `crmculture.testing.comparable_customers` instead.

    Args:
        policy: The policy.
        directive: The directive's name; it needs an order (not text, not ``collect``).
        department: The department asking (default: every department context).
        settings: Hypothesis settings (default: the profile in effect).
        method: ``auto``, ``exact`` (the verifier only) or ``hypothesis``.

    Raises:
        CheckFailed: naming the better and the worse customer, the facts on which they
            differ, both values and the rules that determined them.
        InvalidArgument: for bad arguments.

    Examples:
        >>> from crmculture import F, Rule
        >>> from crmculture.stories import acme_policy
        >>> assert_monotone(acme_policy(), "may_ship")
        >>> assert_monotone(acme_policy(), "service_level")
        >>> unhappy = Rule("unhappy", when=F.satisfaction < 5, then={"service_level": "priority"})
        >>> assert_monotone(acme_policy().with_rules(unhappy), "service_level")
        Traceback (most recent call last):
        ...
        crmculture.testing.checks.CheckFailed: assert_monotone: a better customer gets a worse `service_level`: "standard" instead of "priority"
        ...
          better on: satisfaction 5.0 instead of 0.0
        ...
    """  # noqa: E501
    check = "assert_monotone"
    policy = _policy(check, policy)
    chosen = _directive(check, policy, directive)
    if chosen.type == "text" or chosen.collects:
        raise InvalidArgument(
            f"{check}(): directive `{chosen.name}` has no order "
            f"({'text' if chosen.type == 'text' else chosen.combine.value}), "
            "so it cannot be monotone"
        )
    asked = _department_arg(check, policy, department)
    method = _method(check, method)
    if method == "exact" and asked is not None:
        raise InvalidArgument(
            f"{check}(): the verifier checks every department; "
            "use method='auto' or 'hypothesis' for one department"
        )
    fallback = None if asked is None else "the verifier checks every department, not one"
    if method != "hypothesis" and asked is None:
        fallback = "the verifier ran out of budget"
        report = check_monotonicity(policy, [chosen.name])
        found = [f for f in report.findings if isinstance(f, MonotonicityBreak)]
        if found:
            f = found[0]
            raise _monotone_failure(
                policy,
                chosen,
                f.record,
                f.worse_record,
                f.better_value,
                f.worse_value,
                f.department,
                f.rules,
                "verifier",
            )
        if report.complete:
            return
        if method == "exact":
            raise CheckFailed(
                check,
                "the verifier ran out of budget before answering",
                customer=None,
                found_by="verifier",
            )

    def favour(value: Any) -> Any:
        key = chosen.order_key(value)
        return -key if chosen.favourable == "lower" else key

    def body(case: tuple[tuple[dict[str, Any], dict[str, Any]], str | None]) -> None:
        (better, worse), department = case
        first = outcomes_for(policy, better, department)
        second = outcomes_for(policy, worse, department)
        a, b = first.outcomes[chosen.name], second.outcomes[chosen.name]
        if isinstance(a, Undetermined) or isinstance(b, Undetermined):
            return
        if favour(a) < favour(b):
            rules = [*first.determined_by[chosen.name], *second.determined_by[chosen.name]]
            raise _monotone_failure(
                policy, chosen, better, worse, a, b, department, sorted(rules), "hypothesis"
            )

    strategy = st.tuples(comparable_customers(policy), _contexts(policy, asked))
    _run(check, strategy, body, _settings(settings), None if method == "hypothesis" else fallback)
