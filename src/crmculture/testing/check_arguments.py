"""The argument checks the property checks share: each raises `InvalidArgument` at once,
naming the check and the argument, with a did-you-mean for names; ``settings=`` becomes the
settings a check runs with."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs
import hypothesis
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from crmculture.analysis.fact_space import department_contexts
from crmculture.errors import CrmCultureError, did_you_mean
from crmculture.io.condition_text import parse_condition
from crmculture.model.checker import check_condition
from crmculture.model.conditions import Condition, FactRef, as_condition
from crmculture.model.directives import Directive
from crmculture.model.policies import Policy
from crmculture.model.promises import Promise


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


def _promised(check: str, policy: Policy, then: object) -> dict[str, Any] | Condition:
    """`then` of `assert_always`: directive values, or a condition over the decision (text
    such as ``"decision.discount_pct <= 15"``, or built with `crmculture.D`)."""
    if isinstance(then, Mapping):
        return _expected(check, policy, then)
    if isinstance(then, str):
        try:
            condition = parse_condition(then, policy.schema, directives=policy.directive_index)
        except CrmCultureError as error:
            raise InvalidArgument(f"{check}(): then: {error}") from None
    elif isinstance(then, Condition | FactRef):
        condition = as_condition(then)
    else:
        raise InvalidArgument(
            f"{check}(): then must be a dict of directive values or a condition over the "
            f"decision, not {then!r}"
        )
    try:
        promise = Promise("then", when=True, then=condition)
        checked = attrs.evolve(policy, promises=[promise]).promises[0].then
    except CrmCultureError as error:
        raise InvalidArgument(f"{check}(): then: {error}") from None
    assert not isinstance(checked, tuple)
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
