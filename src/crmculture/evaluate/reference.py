"""The reference interpreter: the evaluation contract, written to be read.

1. Validate the customer against the schema (every problem at once, nothing evaluated on bad
   data).
2. A rule matches when it is in scope for the asking department and its condition holds.
3. For each directive, the values of the matching rules combine by its strategy, ties broken by
   ``(priority, rule id)``; no matching rule means the default.

The compiled evaluator (`crmculture.evaluate.compiler`) must give the same decisions; a property
test holds the two equal on generated policies and customers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Literal, overload

from crmculture.errors import AsOfRequiredError, CrmCultureError, UnknownDepartmentError
from crmculture.evaluate.combine import combine
from crmculture.evaluate.decision import Decision, assemble
from crmculture.evaluate.many import Kept, OnError, check_keep, decide_each
from crmculture.evaluate.trace import PolicyTrace, reference_trace
from crmculture.evaluate.truth import rule_matches
from crmculture.model.policies import Policy

__all__ = ["ReferenceEvaluator", "check_as_of", "check_department"]


def check_as_of(policy: Policy, as_of: object) -> None:
    """Reject an as-of date that is not a `datetime.date`, and a missing one when the policy
    uses it (`crmculture.AsOfRequiredError`)."""
    if as_of is None:
        if policy.uses_as_of:
            raise AsOfRequiredError(policy.name, policy.as_of_users)
        return
    if type(as_of) is not dt.date:
        raise TypeError(f"as_of must be a datetime.date, not `{as_of!r}`")


def check_department(policy: Policy, department: str | None) -> None:
    """Reject a department that is not a string, or that a policy declaring its departments
    does not know."""
    if department is None:
        return
    if not isinstance(department, str):
        raise TypeError(f"department must be a string or None, not `{department!r}`")
    if policy.departments is not None and department not in policy.departments:
        raise UnknownDepartmentError(department, policy.departments)


class ReferenceEvaluator:
    """Decides by interpreting the policy directly; slow, simple, the definition of correct.

    Examples:
        >>> from crmculture.stories import acme_policy
        >>> decide = ReferenceEvaluator(acme_policy())
        >>> decide({"credit_hold": False, "days_overdue": 90, "annual_volume": 1,
        ...         "tier": "bronze"}).directives["route_to"]
        'accounts_receivable'
    """

    __slots__ = ("_trace", "policy")

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._trace: PolicyTrace = reference_trace(policy)

    def _trace_for(self, as_of: dt.date | None) -> PolicyTrace:
        return self._trace if as_of is None else reference_trace(self.policy, as_of)

    def __repr__(self) -> str:
        return f"ReferenceEvaluator(policy={self.policy.name!r})"

    def __call__(
        self, customer: object, department: str | None = None, *, as_of: dt.date | None = None
    ) -> Decision:
        """Decide how to treat `customer` when `department` asks, as of `as_of`."""
        return self.decide(customer, department, as_of=as_of)

    def decide(
        self, customer: object, department: str | None = None, *, as_of: dt.date | None = None
    ) -> Decision:
        """Decide how to treat `customer` when `department` asks, as of `as_of`.

        Raises:
            AsOfRequiredError: when the policy uses the as-of date and `as_of` is None.
            InvalidCustomer: listing every problem of the record; nothing was evaluated.
            UnknownDepartmentError: for a department the policy does not declare.
            ConflictError: when rules set a ``unique`` directive to different values.
            UndecidedError: when a directive without default gets no value.
        """
        check_as_of(self.policy, as_of)
        trace = self._trace_for(as_of)
        policy = trace.evaluated
        check_department(policy, department)
        values = policy.schema.normalize(customer)
        facts = dict(zip(policy.schema.names, values, strict=True))
        flags = rule_matches(policy, facts, department)
        matched = [rule for rule, hit in zip(policy.effective_rules, flags, strict=True) if hit]
        decided = tuple(
            combine(
                directive,
                [
                    (rule, value)
                    for rule in matched
                    for name, value in rule.then
                    if name == directive.name
                ],
            ).value
            for directive in policy.directives
        )
        mask = trace.mask_of(flags)
        return assemble(trace, (department, *values, *decided, mask))

    @overload
    def decide_many(
        self,
        customers: Iterable[object],
        department: str | None = None,
        *,
        on_error: Literal["raise"] = "raise",
        as_of: dt.date | None = None,
        keep: None = None,
    ) -> list[Decision]: ...

    @overload
    def decide_many(
        self,
        customers: Iterable[object],
        department: str | None = None,
        *,
        on_error: Literal["report"],
        as_of: dt.date | None = None,
        keep: None = None,
    ) -> list[Decision | CrmCultureError]: ...

    @overload
    def decide_many(
        self,
        customers: Iterable[object],
        department: str | None = None,
        *,
        on_error: Literal["raise"] = "raise",
        as_of: dt.date | None = None,
        keep: Iterable[str],
    ) -> list[Kept[Decision]]: ...

    @overload
    def decide_many(
        self,
        customers: Iterable[object],
        department: str | None = None,
        *,
        on_error: Literal["report"],
        as_of: dt.date | None = None,
        keep: Iterable[str],
    ) -> list[Kept[Decision | CrmCultureError]]: ...

    def decide_many(
        self,
        customers: Iterable[object],
        department: str | None = None,
        *,
        on_error: OnError = "raise",
        as_of: dt.date | None = None,
        keep: Iterable[str] | None = None,
    ) -> (
        list[Decision]
        | list[Decision | CrmCultureError]
        | list[Kept[Decision]]
        | list[Kept[Decision | CrmCultureError]]
    ):
        """Decide every customer, in input order; see `crmculture.CompiledPolicy.decide_many`."""
        check_department(self.policy, department)
        check_as_of(self.policy, as_of)
        kept = None if keep is None else check_keep(self.policy.schema, keep)

        def decide(customer: object, department: str | None) -> Decision:
            return self.decide(customer, department, as_of=as_of)

        return decide_each(decide, customers, department, on_error, kept)
