"""Property checks for your own culture: call one in a plain test, get a counterexample.

Each check states a law about every customer and raises `CheckFailed`, an `AssertionError`,
with the smallest counterexample it found: the customer (as JSON), the department, the
directive values involved and the ids of the rules that determined them.

How a check searches:

- **The verifier first, where it answers the question exactly** (``method="auto"``, the
  default). `assert_uniform` and `assert_monotone` ask `crmculture.analysis`, which searches
  the whole fact space: a clean, complete answer is a proof, and a finding comes with a
  minimal witness (every fact at the lowest value of its cell) that the reference interpreter
  has confirmed. `assert_journey_bound` asks `crmculture.analysis.analyze_org` the same way.
  When the verifier's answer is incomplete (its budget ran out), or the question is narrower
  than what it answers (one department only), the check falls back to hypothesis.
  `assert_always` asks `crmculture.analysis.check_promises` (it states a promise).
- **Hypothesis otherwise** (and with ``method="hypothesis"``): `assert_deterministic`
  always, the others on request or when the verifier cannot decide; a failure found then
  says why the verifier did not answer. The check runs a ``@given`` test over
  `crmculture.testing.customers` (which lean towards the policy's boundary values), and
  hypothesis shrinks the first failure to the smallest customer it can before the check
  raises. The hypothesis settings in effect are used (your profile, or `settings=`), with no
  deadline (timing is not what these checks test) and one bug reported per run.

Do not call a check inside a ``@given`` test: it runs hypothesis itself.

The checks live in three modules, all imported from `crmculture.testing`: this one
(`CheckFailed`, the search `Method`, `assert_deterministic`, `assert_always`),
`crmculture.testing.comparison_checks` (`assert_uniform`, `assert_monotone`) and
`crmculture.testing.journey_checks` (`assert_journey_bound`); the argument checks they share
are in `crmculture.testing.check_arguments`.

Examples:
    >>> from crmculture.stories import acme_policy
    >>> from crmculture.testing import assert_uniform
    >>> assert_always(acme_policy(), when="credit_hold", then={"may_ship": False})
    >>> assert_uniform(acme_policy(), ["route_to"])
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, Literal, TypeAlias

import hypothesis
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from crmculture.analysis.findings import BrokenPromise, outcomes_for
from crmculture.analysis.outcomes import Undetermined
from crmculture.analysis.promises import promise_holds
from crmculture.analysis.verifier import check_promises
from crmculture.errors import CrmCultureError, did_you_mean
from crmculture.evaluate.reference import ReferenceEvaluator
from crmculture.model.conditions import Condition, FactRef
from crmculture.model.policies import Layer, Policy
from crmculture.model.promises import Promise
from crmculture.model.values import json_value, value_text
from crmculture.testing.check_arguments import (
    _condition,
    _contexts,
    _department_arg,
    _departments_arg,
    _policy,
    _promised,
    _settings,
)
from crmculture.testing.strategies import customers, customers_where

__all__ = [
    "METHODS",
    "CheckFailed",
    "Method",
    "assert_always",
    "assert_deterministic",
]

Method: TypeAlias = Literal["auto", "exact", "hypothesis"]
"""How a check searches: the verifier where it answers exactly, else hypothesis (``auto``);
the verifier only (``exact``); hypothesis only (``hypothesis``)."""

METHODS: Final[tuple[Method, ...]] = ("auto", "exact", "hypothesis")
"""Every `Method`."""


def _method(check: str, method: object) -> Method:
    if method not in METHODS:
        raise InvalidArgument(
            f"{check}(): unknown method `{method}`" + did_you_mean(str(method), METHODS)
        )
    return method


class CheckFailed(AssertionError):
    """A check found a customer for whom the law does not hold.

    The message names the counterexample; the attributes hold it as data.

    Attributes:
        check: The check's name, e.g. ``assert_always``.
        summary: What went wrong, in one line.
        customer: The counterexample customer (for `assert_monotone`, the better one).
        department: The department that asked, or None.
        values: The values involved (directive values, or per department or per customer).
        rules: The ids of the rules that determined the values involved.
        found_by: ``hypothesis`` (a shrunk example) or ``verifier`` (an exact witness).
        details: More lines of the message (the worse customer, the route, ...).
        fallback: Why hypothesis searched instead of the verifier (its budget ran out, or
            the question was narrower than what it answers), or None.
    """

    def __init__(
        self,
        check: str,
        summary: str,
        *,
        customer: Mapping[str, Any] | None,
        department: str | None = None,
        values: Mapping[str, Any] | None = None,
        rules: Iterable[str] = (),
        found_by: Literal["hypothesis", "verifier"] = "hypothesis",
        details: Iterable[str] = (),
        fallback: str | None = None,
    ) -> None:
        self.check = check
        self.summary = summary
        self.customer = None if customer is None else dict(customer)
        self.department = department
        self.values = dict(values or {})
        self.rules = tuple(dict.fromkeys(rules))
        self.found_by = found_by
        self.details = tuple(details)
        self.fallback = fallback
        super().__init__(self._render())

    def _render(self) -> str:
        lines = [f"{self.check}: {self.summary}"]
        if self.customer is not None:
            lines.append(f"  customer: {show_customer(self.customer)}")
        lines.append(f"  department: {_department(self.department)}")
        lines.extend(f"  {line}" for line in self.details)
        if self.values:
            shown = ", ".join(f"{key} = {_value(value)}" for key, value in self.values.items())
            lines.append(f"  values: {shown}")
        rules = ", ".join(f"`{rule}`" for rule in self.rules) or "none (defaults)"
        lines.append(f"  rules: {rules}")
        how = (
            "hypothesis (shrunk example)"
            if self.found_by == "hypothesis"
            else "the verifier (exact)"
        )
        lines.append(f"  found by: {how}")
        if self.fallback:
            lines.append(f"  not proved exactly: {self.fallback}; hypothesis searched instead")
        return "\n".join(lines)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.__dict__.copy(),))


def _rebuild(state: dict[str, Any]) -> CheckFailed:
    error = CheckFailed.__new__(CheckFailed)
    error.__dict__.update(state)
    error.args = (error._render(),)
    return error


def show_customer(customer: Mapping[str, Any]) -> str:
    """A customer as one line of JSON, facts in record order, missing facts left out.

    Examples:
        >>> from decimal import Decimal
        >>> show_customer({"tier": "gold", "balance": Decimal("12.50"), "region": None})
        '{"tier": "gold", "balance": "12.5"}'
    """
    shown = {str(name): value for name, value in customer.items() if value is not None}
    try:
        return json.dumps(json_value(shown))
    except (TypeError, ValueError):  # not JSON-able: an invalid record, shown as Python
        return repr(shown)


def _value(value: Any) -> str:
    if isinstance(value, Undetermined):
        return f"<{value.value}>"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_value(v)}" for k, v in value.items()) + "}"
    return value_text(value)


def _department(department: str | None) -> str:
    return "none (a decision without department)" if department is None else f"`{department}`"


# -- running a check ------------------------------------------------------------------------


def _run(
    name: str,
    strategy: st.SearchStrategy[Any],
    body: Callable[[Any], None],
    chosen: hypothesis.settings,
    fallback: str | None = None,
) -> None:
    """Run `body` as a hypothesis test over `strategy`: it raises for the shrunk example.

    `fallback` says why the verifier did not answer; a failure's message says it too."""

    def test(case: Any) -> None:
        try:
            body(case)
        except CheckFailed as failure:
            if fallback is None or failure.fallback is not None:
                raise
            failure.fallback = fallback
            failure.args = (failure._render(),)
            raise

    test.__name__ = test.__qualname__ = name
    chosen(given(strategy)(test))()


def _determined(evaluated: Any, name: str) -> tuple[str, ...]:
    determined: tuple[str, ...] = evaluated.determined_by[name]
    if determined:
        return determined
    # An error: every matching rule that set the directive is involved.
    return tuple(rule for rule, _ in evaluated.contributions[name])


def _key(value: Any) -> str:
    if isinstance(value, Undetermined):
        return f"<{value.value}>"
    return json.dumps(json_value(value))


# -- determinism ----------------------------------------------------------------------------


def _reordered(policy: Policy) -> Policy:
    """The same policy with its rules and layers written in reverse order."""
    layers = [Layer(layer.name, layer.departments, layer.rules[::-1]) for layer in policy.layers]
    return Policy(
        policy.name,
        policy.schema,
        policy.directives,
        policy.rules[::-1],
        layers=layers[::-1],
        version=policy.version,
        departments=policy.departments,
        description=policy.description,
        promises=policy.promises[::-1],
    )


def _attempt(decide: Callable[..., Any], customer: Any, department: str | None) -> Any:
    try:
        return decide(customer, department)
    except CrmCultureError as error:
        return error


def _same(first: Any, second: Any) -> bool:
    if isinstance(first, CrmCultureError) or isinstance(second, CrmCultureError):
        return (type(first), str(first)) == (type(second), str(second))
    return bool(first.to_json() == second.to_json())


def _shown(result: Any) -> Any:
    if isinstance(result, CrmCultureError):
        return f"raises {type(result).__name__}: {result}"
    return dict(result.directives)


def assert_deterministic(
    policy: Policy,
    *,
    departments: Iterable[str | None] | None = None,
    settings: hypothesis.settings | None = None,
) -> None:
    """Check that every customer gets the same decision, byte for byte, however it is asked.

    For each generated customer and department, the canonical JSON of the decision (or the
    error raised) must be the same from: the compiled policy, a second compilation, the
    reference interpreter, the policy with its rules written in reverse order, and the
    record with its keys in reverse order. (Other processes and ``PYTHONHASHSEED`` values
    are out of reach of an in-process check.) Always searched with hypothesis.

    Args:
        policy: The policy.
        departments: The departments asking (default: every department context of the
            policy, and a decision without department).
        settings: Hypothesis settings (default: the profile in effect).

    Raises:
        CheckFailed: naming the shrunk customer, the department, the two differing results
            and the rules each matched.
        InvalidArgument: for bad arguments.

    Examples:
        >>> from hypothesis import settings
        >>> from crmculture.stories import acme_policy
        >>> assert_deterministic(acme_policy(), settings=settings(max_examples=10))
    """
    policy = _policy("assert_deterministic", policy)
    contexts = _departments_arg("assert_deterministic", policy, departments)
    variants: list[tuple[str, Callable[..., Any], bool]] = [
        ("a second compilation", policy.compile(), False),
        ("the reference interpreter", ReferenceEvaluator(policy), False),
        ("the rules in reverse order", _reordered(policy).compile(), False),
        ("the record's keys in reverse order", policy.compile(), True),
    ]
    compiled = policy.compile()

    def body(case: tuple[dict[str, Any], str | None]) -> None:
        customer, department = case
        expected = _attempt(compiled, customer, department)
        for label, decide, reverse in variants:
            record = dict(reversed(customer.items())) if reverse else customer
            actual = _attempt(decide, record, department)
            if not _same(expected, actual):
                rules = [
                    *getattr(expected, "matched", ()),
                    *getattr(actual, "matched", ()),
                ]
                raise CheckFailed(
                    "assert_deterministic",
                    f"the decision differs with {label}",
                    customer=customer,
                    department=department,
                    values={"compiled": _shown(expected), label: _shown(actual)},
                    rules=rules,
                )

    strategy = st.tuples(customers(policy), st.sampled_from(contexts))
    _run("assert_deterministic", strategy, body, _settings(settings))


# -- always ---------------------------------------------------------------------------------


def assert_always(
    policy: Policy,
    *,
    when: Condition | FactRef | str,
    then: Mapping[str, Any] | Condition | FactRef | str,
    department: str | None = None,
    settings: hypothesis.settings | None = None,
    method: Method = "auto",
) -> None:
    """Check that every customer for whom `when` holds gets what `then` promises.

    With ``method="auto"`` (the default) the verifier answers
    (`crmculture.analysis.check_promises`, the check behind a policy's promises): it proves
    the statement over the whole fact space, or fails with a minimal customer the reference
    interpreter confirmed, the same under every hypothesis profile and on every run. Only
    when the verifier's budget runs out does hypothesis search, over customers from
    `crmculture.testing.customers_where`, and a failure then says so. A conflict or an
    undecided directive is a failure too.

    Args:
        policy: The policy.
        when: A condition or condition text: ``"credit_hold"``, ``F.tier >= "gold"``.
        then: Directive name to the value it must have (``{"may_ship": False}``), or a
            condition over the decision (``D.discount_pct <= 15``,
            ``"decision.discount_pct <= 15"``).
        department: The department asking (default: every department context).
        settings: Hypothesis settings (default: the profile in effect).
        method: ``auto``, ``exact`` (the verifier only) or ``hypothesis``.

    Raises:
        CheckFailed: naming the customer, the department, the values it got and the rules
            that determined them.
        InvalidArgument: for bad arguments (unknown directives or facts, values outside a
            directive's domain, conditions that do not parse).

    Examples:
        >>> from crmculture import D
        >>> from crmculture.stories import acme_policy
        >>> assert_always(acme_policy(), when='tier == "platinum"', then=D.discount_pct >= 5)
        Traceback (most recent call last):
        ...
        crmculture.testing.checks.CheckFailed: assert_always: when `tier == "platinum"`, `decision.discount_pct >= 5` must hold but discount_pct = 0
          customer: {"credit_hold": true, ..., "tier": "platinum", ...}
          department: `accounts_receivable`
          values: discount_pct = 0
          rules: none (defaults)
          found by: the verifier (exact)
    """  # noqa: E501
    check = "assert_always"
    policy = _policy(check, policy)
    condition = _condition(check, policy, when)
    promised = _promised(check, policy, then)
    asked = _department_arg(check, policy, department)
    method = _method(check, method)
    fallback = None
    if method != "hypothesis":
        promise = Promise(
            check, when=condition, then=promised, departments=None if asked is None else [asked]
        )
        report = check_promises(policy, [promise])
        for finding in report.findings:
            if isinstance(finding, BrokenPromise):
                values = dict(finding.values)
                raise CheckFailed(
                    check,
                    _always_summary(condition, promised, values),
                    customer=finding.record,
                    department=finding.department,
                    values=values,
                    rules=finding.rules,
                    found_by="verifier",
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
        fallback = "the verifier ran out of budget"
    directives = promised.directives() if isinstance(promised, Condition) else tuple(promised)
    probe = Promise(check, when=True, then=promised)

    def body(case: tuple[dict[str, Any], str | None]) -> None:
        customer, department = case
        evaluated = outcomes_for(policy, customer, department)
        facts = dict(zip(policy.schema.names, policy.schema.normalize(customer), strict=True))
        if promise_holds(policy, probe, evaluated.outcomes, facts):
            return
        if isinstance(promised, Condition):
            wrong = {name: evaluated.outcomes[name] for name in directives}
        else:
            wrong = {
                name: evaluated.outcomes[name]
                for name, value in promised.items()
                if _key(evaluated.outcomes[name]) != _key(value)
            }
        rules = [rule for name in wrong for rule in _determined(evaluated, name)]
        raise CheckFailed(
            check,
            _always_summary(condition, promised, wrong),
            customer=customer,
            department=department,
            values=wrong,
            rules=rules,
        )

    strategy = st.tuples(customers_where(policy, condition), _contexts(policy, asked))
    _run(check, strategy, body, _settings(settings), fallback)


def _always_summary(
    condition: Condition, promised: Mapping[str, Any] | Condition, values: Mapping[str, Any]
) -> str:
    if isinstance(promised, Condition):
        got = ", ".join(f"{name} = {_value(value)}" for name, value in values.items())
        return f"when `{condition}`, `{promised}` must hold but {got}"
    what = "; ".join(
        f"`{name}` must be {_value(promised[name])} but is {_value(value)}"
        for name, value in values.items()
        if _key(value) != _key(promised[name])
    )
    return f"when `{condition}`, {what}"
