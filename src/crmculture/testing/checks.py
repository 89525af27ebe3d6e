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
- **Hypothesis otherwise** (and with ``method="hypothesis"``): `assert_deterministic` and
  `assert_always` always, the others on request. The check runs a ``@given`` test over
  `crmculture.testing.customers` (which lean towards the policy's boundary values), and
  hypothesis shrinks the first failure to the smallest customer it can before the check
  raises. The hypothesis settings in effect are used (your profile, or `settings=`), with no
  deadline (timing is not what these checks test) and one bug reported per run.

Do not call a check inside a ``@given`` test: it runs hypothesis itself.

Examples:
    >>> from crmculture.stories import acme_policy
    >>> assert_always(acme_policy(), when="credit_hold", then={"may_ship": False})
    >>> assert_uniform(acme_policy(), ["route_to"])
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final, Literal, TypeAlias

import hypothesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from crmculture.analysis.fact_space import department_contexts
from crmculture.analysis.findings import MonotonicityBreak, NonUniform, outcomes_for
from crmculture.analysis.org_metrics import analyze_org
from crmculture.analysis.outcomes import Undetermined
from crmculture.analysis.verifier import check_monotonicity, check_uniformity
from crmculture.culture import Culture
from crmculture.errors import CrmCultureError, did_you_mean
from crmculture.evaluate.reference import ReferenceEvaluator
from crmculture.io.condition_text import parse_condition
from crmculture.model.checker import check_condition
from crmculture.model.conditions import Condition, FactRef, as_condition
from crmculture.model.directives import Combine, Directive
from crmculture.model.policies import Layer, Policy
from crmculture.model.values import json_value, value_text
from crmculture.org.journeys import Journey
from crmculture.testing.org_strategies import choose_names, journey_cases
from crmculture.testing.strategies import comparable_customers, customers, customers_where

__all__ = [
    "METHODS",
    "CheckFailed",
    "Method",
    "assert_always",
    "assert_deterministic",
    "assert_journey_bound",
    "assert_monotone",
    "assert_uniform",
]

Method: TypeAlias = Literal["auto", "exact", "hypothesis"]
"""How a check searches: the verifier where it answers exactly, else hypothesis (``auto``);
the verifier only (``exact``); hypothesis only (``hypothesis``)."""

METHODS: Final[tuple[Method, ...]] = ("auto", "exact", "hypothesis")
"""Every `Method`."""


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
    ) -> None:
        self.check = check
        self.summary = summary
        self.customer = None if customer is None else dict(customer)
        self.department = department
        self.values = dict(values or {})
        self.rules = tuple(dict.fromkeys(rules))
        self.found_by = found_by
        self.details = tuple(details)
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


# -- arguments ------------------------------------------------------------------------------


def _settings(chosen: hypothesis.settings | None) -> hypothesis.settings:
    if chosen is None:
        base = hypothesis.settings()  # the profile in effect
    elif isinstance(chosen, hypothesis.settings):
        base = chosen
    else:
        raise InvalidArgument(f"settings must be a hypothesis settings object, not {chosen!r}")
    return hypothesis.settings(
        base,
        deadline=None,
        report_multiple_bugs=False,
        print_blob=False,
        # The explain phase points at library lines, not at the user's culture: skip it.
        phases=[phase for phase in base.phases if phase is not Phase.explain],
        suppress_health_check=[*base.suppress_health_check, HealthCheck.too_slow],
    )


def _policy(check: str, policy: object) -> Policy:
    if not isinstance(policy, Policy):
        raise InvalidArgument(f"{check}() needs a Policy, not {type(policy).__name__} {policy!r}")
    return policy


def _method(check: str, method: object) -> Method:
    if method not in METHODS:
        raise InvalidArgument(
            f"{check}(): unknown method `{method}`" + did_you_mean(str(method), METHODS)
        )
    return method


def _directive(check: str, policy: Policy, name: object) -> Directive:
    if not isinstance(name, str):
        raise InvalidArgument(f"{check}(): a directive name must be a string, not {name!r}")
    if name not in policy.directive_index:
        raise InvalidArgument(
            f"{check}(): unknown directive `{name}`" + did_you_mean(name, policy.directive_index)
        )
    return policy.directive_index[name]


def _department_arg(check: str, policy: Policy, department: object) -> str | None:
    if department is None:
        return None
    if not isinstance(department, str):
        raise InvalidArgument(f"{check}(): department must be a string or None: {department!r}")
    if policy.departments is not None and department not in policy.departments:
        raise InvalidArgument(
            f"{check}(): unknown department `{department}`"
            + did_you_mean(department, policy.departments)
        )
    return department


def _departments_arg(
    check: str, policy: Policy, departments: Iterable[str | None] | None
) -> tuple[str | None, ...]:
    if departments is None:
        return department_contexts(policy)
    if isinstance(departments, str) or not isinstance(departments, Iterable):
        raise InvalidArgument(
            f"{check}(): departments must be a list of department names, not {departments!r}"
        )
    chosen = tuple(departments)
    if not chosen:
        raise InvalidArgument(f"{check}(): departments must not be empty")
    for department in chosen:
        if department is not None:
            _department_arg(check, policy, department)
    return tuple(dict.fromkeys(chosen))


def _contexts(policy: Policy, department: str | None) -> st.SearchStrategy[str | None]:
    if department is not None:
        return st.just(department)
    return st.sampled_from(department_contexts(policy))


def _run(
    name: str,
    strategy: st.SearchStrategy[Any],
    body: Callable[[Any], None],
    chosen: hypothesis.settings,
) -> None:
    """Run `body` as a hypothesis test over `strategy`: it raises for the shrunk example."""

    def test(case: Any) -> None:
        body(case)

    test.__name__ = test.__qualname__ = name
    chosen(given(strategy)(test))()


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


# -- uniformity -----------------------------------------------------------------------------


def _directive_list(
    check: str, policy: Policy, directives: Iterable[str] | None, declared: str
) -> list[Directive]:
    if directives is None:
        chosen = [d for d in policy.directives if getattr(d, declared)]
        if not chosen:
            raise InvalidArgument(
                f"{check}(): policy `{policy.name}` declares no {declared} directive: "
                "name the directives to check"
            )
        return chosen
    if isinstance(directives, str):
        directives = [directives]
    if not isinstance(directives, Iterable):
        raise InvalidArgument(f"{check}(): directives must be a list of names: {directives!r}")
    chosen = [_directive(check, policy, name) for name in directives]
    if not chosen:
        raise InvalidArgument(f"{check}(): directives must not be empty")
    return chosen


def _compared(policy: Policy) -> tuple[str | None, ...]:
    """The departments the verifier compares for uniformity."""
    contexts = department_contexts(policy)
    return tuple(c for c in contexts if c is not None or policy.departments is None)


def _determined(evaluated: Any, name: str) -> tuple[str, ...]:
    determined: tuple[str, ...] = evaluated.determined_by[name]
    if determined:
        return determined
    # An error: every matching rule that set the directive is involved.
    return tuple(rule for rule, _ in evaluated.contributions[name])


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
    if method != "hypothesis" and exact_applies:
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

    _run(check, customers(policy), body, _settings(settings))


def _key(value: Any) -> str:
    if isinstance(value, Undetermined):
        return f"<{value.value}>"
    return json.dumps(json_value(value))


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
        >>> from crmculture.stories import acme_policy
        >>> assert_monotone(acme_policy(), "may_ship")
        >>> assert_monotone(acme_policy(), "service_level")
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
    if chosen.type == "text" or chosen.combine is Combine.COLLECT:
        raise InvalidArgument(
            f"{check}(): directive `{chosen.name}` has no order "
            f"({'text' if chosen.type == 'text' else 'collect'}), so it cannot be monotone"
        )
    asked = _department_arg(check, policy, department)
    method = _method(check, method)
    if method == "exact" and asked is not None:
        raise InvalidArgument(
            f"{check}(): the verifier checks every department; "
            "use method='auto' or 'hypothesis' for one department"
        )
    if method != "hypothesis" and asked is None:
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
    _run(check, strategy, body, _settings(settings))


# -- always ---------------------------------------------------------------------------------


def _condition(check: str, policy: Policy, when: object) -> Condition:
    if isinstance(when, str):
        try:
            return parse_condition(when, policy.schema)
        except CrmCultureError as error:
            raise InvalidArgument(f"{check}(): when: {error}") from None
    if not isinstance(when, Condition | FactRef):
        raise InvalidArgument(
            f"{check}(): when must be a Condition or condition text, not {when!r}"
        )
    checked, problems = check_condition(as_condition(when), policy.schema)
    if problems:
        raise InvalidArgument(f"{check}(): when: " + "; ".join(p.message for p in problems))
    return checked


def _expected(check: str, policy: Policy, then: object) -> dict[str, Any]:
    if not isinstance(then, Mapping) or not then:
        raise InvalidArgument(
            f"{check}(): then must be a non-empty dict of directive values, not {then!r}"
        )
    expected: dict[str, Any] = {}
    for name, value in then.items():
        directive = _directive(check, policy, name)
        normalized, problem = directive.check(value)
        if problem:
            raise InvalidArgument(f"{check}(): then.{name}: {problem}")
        expected[name] = normalized
    return expected


def assert_always(
    policy: Policy,
    *,
    when: Condition | FactRef | str,
    then: Mapping[str, Any],
    department: str | None = None,
    settings: hypothesis.settings | None = None,
) -> None:
    """Check that every customer for whom `when` holds gets the directive values `then`.

    Customers come from `crmculture.testing.customers_where`: satisfying `when` by
    construction when it is a conjunction of comparisons, leaning to the boundaries of the
    policy and of `when`. Always searched with hypothesis (the verifier has no such query).
    A conflict or an undecided directive is a failure too.

    Args:
        policy: The policy.
        when: A condition or condition text: ``"credit_hold"``, ``F.tier >= "gold"``.
        then: Directive name to the value it must have: ``{"may_ship": False}``.
        department: The department asking (default: every department context).
        settings: Hypothesis settings (default: the profile in effect).

    Raises:
        CheckFailed: naming the shrunk customer, the department, the values it got and the
            rules that determined them.
        InvalidArgument: for bad arguments (unknown directives or facts, values outside a
            directive's domain, conditions that do not parse).

    Examples:
        >>> from crmculture.stories import acme_policy
        >>> assert_always(acme_policy(), when="credit_hold", then={"route_to": "legal"})
        Traceback (most recent call last):
        ...
        crmculture.testing.checks.CheckFailed: assert_always: when `credit_hold`, `route_to` must be "legal" but is "accounts_receivable"
          customer: {"credit_hold": true, "days_overdue": 0, "annual_volume": 0, "tier": "bronze"}
          department: `accounts_receivable`
          values: route_to = "accounts_receivable"
          rules: `credit-hold`
          found by: hypothesis (shrunk example)
        Failing test case: ...
    """  # noqa: E501
    check = "assert_always"
    policy = _policy(check, policy)
    condition = _condition(check, policy, when)
    expected = _expected(check, policy, then)
    asked = _department_arg(check, policy, department)

    def body(case: tuple[dict[str, Any], str | None]) -> None:
        customer, department = case
        evaluated = outcomes_for(policy, customer, department)
        wrong = {
            name: evaluated.outcomes[name]
            for name, value in expected.items()
            if _key(evaluated.outcomes[name]) != _key(value)
        }
        if wrong:
            what = "; ".join(
                f"`{name}` must be {_value(expected[name])} but is {_value(value)}"
                for name, value in wrong.items()
            )
            rules = [rule for name in wrong for rule in _determined(evaluated, name)]
            raise CheckFailed(
                check,
                f"when `{condition}`, {what}",
                customer=customer,
                department=department,
                values=wrong,
                rules=rules,
            )

    strategy = st.tuples(customers_where(policy, condition), _contexts(policy, asked))
    _run(check, strategy, body, _settings(settings))


# -- journeys -------------------------------------------------------------------------------


def _journey_failure(
    culture: Culture,
    customer: Mapping[str, Any],
    journey: Journey,
    max_departments: int,
    found_by: Literal["hypothesis", "verifier"],
) -> CheckFailed:
    values: dict[str, Any] = {}
    rules: list[str] = []
    for handoff in journey.handoffs:
        tested = culture.guard(handoff).directives()
        if not tested:
            continue
        evaluated = outcomes_for(
            culture.policy, customer, culture.policy_department(handoff.source)
        )
        for name in tested:
            values[f"{name} at {handoff.source}"] = evaluated.outcomes[name]
            rules.extend(_determined(evaluated, name))
    return CheckFailed(
        "assert_journey_bound",
        f"`{journey.request}` from `{journey.door}` touches {journey.touched} departments; "
        f"the bound is {max_departments}",
        customer=customer,
        department=journey.door,
        values=values,
        rules=rules,
        found_by=found_by,
        details=[f"route: {journey.route}"],
    )


def assert_journey_bound(
    culture: Culture,
    max_departments: int = 3,
    *,
    requests: Iterable[str] | None = None,
    doors: Iterable[str] | None = None,
    settings: hypothesis.settings | None = None,
    method: Method = "auto",
) -> None:
    """Check that no customer's journey touches more than `max_departments` departments.

    The journey is `crmculture.Culture.journey` from each door with each request; its best
    route counts. With ``method="auto"``, `crmculture.analysis.analyze_org` answers exactly
    (it walks every customer segment); when a walk stopped at a bound, hypothesis searches
    too.

    Args:
        culture: The policy and its org.
        max_departments: The most departments a journey may touch (at least 1).
        requests: The request types (default: every request type of the org).
        doors: The departments customers contact first (default: every department).
        settings: Hypothesis settings (default: the profile in effect).
        method: ``auto``, ``exact`` (the org analysis only) or ``hypothesis``.

    Raises:
        CheckFailed: naming the customer, the door, the request, the route, and the decision
            values the route's handoff guards tested, with the rules that determined them.
        InvalidArgument: for bad arguments.

    Examples:
        >>> from crmculture.stories import acme_culture
        >>> assert_journey_bound(acme_culture(), 5)
        >>> assert_journey_bound(acme_culture(), 3, doors=["sales"])
        Traceback (most recent call last):
        ...
        crmculture.testing.checks.CheckFailed: assert_journey_bound: `replacement_part` from `sales` touches 5 departments; the bound is 3
          customer: {"credit_hold": false, "days_overdue": 1, "annual_volume": 0, "tier": "bronze"}
          department: `sales`
          route: sales -> billing -> accounts_receivable -> engineering -> shipping (resolved)
          values: route_to at sales = "frontline", ...
          rules: none (defaults)
          found by: the verifier (exact)
    """  # noqa: E501
    check = "assert_journey_bound"
    if not isinstance(culture, Culture):
        raise InvalidArgument(f"{check}() needs a Culture, not {type(culture).__name__}")
    if isinstance(max_departments, bool) or not isinstance(max_departments, int):
        raise InvalidArgument(f"{check}(): max_departments must be an int: {max_departments!r}")
    if max_departments < 1:
        raise InvalidArgument(f"{check}(): max_departments={max_departments} must be at least 1")
    chosen_requests = choose_names(check, "requests", requests, culture.org.requests)
    chosen_doors = choose_names(check, "doors", doors, culture.org.names)
    method = _method(check, method)
    if method != "hypothesis":
        report = analyze_org(
            culture, max_departments=max_departments, doors=chosen_doors, requests=chosen_requests
        )
        long = report.of_kind("long_journey")
        if long:
            finding = long[0]
            raise _journey_failure(
                culture, finding.record, finding.journey, max_departments, "verifier"
            )
        if not report.of_kind("cutoff"):
            return
        if method == "exact":
            raise CheckFailed(
                check,
                "the org analysis stopped at a bound before answering",
                customer=None,
                found_by="verifier",
            )

    def body(case: tuple[dict[str, Any], str, str]) -> None:
        customer, request, door = case
        journey = culture.journey(customer, request, door=door)
        if journey.touched > max_departments:
            raise _journey_failure(culture, customer, journey, max_departments, "hypothesis")

    strategy = journey_cases(culture, requests=chosen_requests, doors=chosen_doors)
    _run(check, strategy, body, _settings(settings))
