"""A culture: a policy and an org graph together.

`Culture.decide` asks the policy how to treat a customer at a department of the org;
`Culture.journey` walks the customer through the org with one request, deciding at every
department they reach and following the handoffs whose guards hold for that decision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeAlias

import attrs

from crmculture.errors import OrgError, Problem, did_you_mean
from crmculture.evaluate.compiler import CompiledPolicy
from crmculture.evaluate.decision import Decision
from crmculture.evaluate.truth import holds
from crmculture.model.checker import check_condition, condition_problems
from crmculture.model.conditions import ALWAYS, DECISION, Condition
from crmculture.model.policies import Policy
from crmculture.org.graph import Handoff, OrgGraph, Referral
from crmculture.org.journeys import MAX_ROUTES, Journey, Suffixes, Walk

__all__ = ["Culture"]

_Walker: TypeAlias = Callable[[str, str, "int | None", int], Journey]
_Test: TypeAlias = tuple[int, Condition, str]
"""A guard as the walks test it: its number (answers are remembered by it), the guard, and the
policy department whose decision it reads."""


@attrs.frozen
class Culture:
    """A policy and an org graph, checked against each other once.

    Building a culture checks that every department decides as a department the policy
    knows (when the policy declares its departments), and every handoff guard and resolution
    guard (``Department.resolves_when``) against the policy's facts and directives. Guards see
    the customer's facts and the decision at the handoff's source department, or at the
    resolving department (``decision.<directive>``).

    A culture is a frozen value: equal, hashed and pickled by its policy and org. Change it with
    `with_org` or `attrs.evolve`, which check the new culture as the constructor does. What it
    derives from them (the checked guards, the compiled policy, the tests the walks share) is
    computed once, when it is built; the policy compiles once however many cultures share it.

    Args:
        policy: How customers are treated.
        org: Who they talk to.

    Raises:
        OrgError: listing every problem: unknown facts or directives in guards, values
            outside their domain, departments the policy does not know.

    Examples:
        >>> from crmculture.stories import acme_culture
        >>> culture = acme_culture()
        >>> customer = {"credit_hold": True, "days_overdue": 0, "annual_volume": 9000,
        ...             "tier": "gold"}
        >>> culture.decide(customer, department="sales")["route_to"]
        'accounts_receivable'
        >>> print(culture.journey(customer, "replacement_part", door="sales"))
        sales (referred to accounts_receivable, 0 handoffs, 0 minutes)
    """

    policy: Policy
    org: OrgGraph
    # Derived once in `__attrs_post_init__`; not part of the value (equality, hash, repr, pickle).
    _guards: dict[Handoff, Condition] = attrs.field(init=False, eq=False, repr=False)
    _tests: dict[int, _Test] = attrs.field(init=False, eq=False, repr=False)
    _resolutions: dict[tuple[str, str], _Test] = attrs.field(init=False, eq=False, repr=False)
    _referrals: dict[tuple[str, int], _Test] = attrs.field(init=False, eq=False, repr=False)
    _decide: CompiledPolicy = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        policy, org = self.policy, self.org
        problems: list[Problem] = []
        if not isinstance(policy, Policy):
            raise TypeError(f"expected a Policy, got {type(policy).__name__}")
        if not isinstance(org, OrgGraph):
            raise TypeError(f"expected an OrgGraph, got {type(org).__name__}")
        if policy.departments is not None:
            for department in org.departments:
                asked = department.policy_department
                if asked not in policy.departments:
                    field = "name" if department.decides_as is None else "decides_as"
                    problems.append(
                        Problem(
                            ("departments", department.name, field),
                            f"policy `{policy.name}` does not know department `{asked}`"
                            + did_you_mean(asked, policy.departments),
                            asked,
                        )
                    )
        guards: dict[Handoff, Condition] = {}
        for position, handoff in enumerate(org.handoffs):
            guard, found = check_condition(
                handoff.when, policy.schema, directives=policy.directive_index
            )
            problems.extend(condition_problems(found, ("handoffs", position, "when")))
            guards[handoff] = guard
        resolutions: dict[tuple[str, str], Condition] = {}
        for department in org.departments:
            for request, guard in department.resolves_when:
                checked, found = check_condition(
                    guard, policy.schema, directives=policy.directive_index
                )
                where = ("departments", department.name, "resolves_when", request)
                problems.extend(condition_problems(found, where))
                resolutions[department.name, request] = checked
        # By department and the identity of the org's own referral objects: one object may
        # be made by several departments, and each reads the decision where it stands.
        referrals: dict[tuple[str, int], tuple[Condition, str]] = {}
        for department in org.departments:
            for position, referral in enumerate(department.refers):
                checked, found = check_condition(
                    referral.when, policy.schema, directives=policy.directive_index
                )
                place = ("departments", department.name, "refers", position, "when")
                problems.extend(condition_problems(found, place))
                referrals[department.name, id(referral)] = (checked, department.name)
        if problems:
            raise OrgError(f"invalid culture: policy `{policy.name}` and its org", problems)
        # INVARIANT: the culture is frozen; only this method sets its derived fields.
        object.__setattr__(self, "_guards", guards)
        # A handoff's answer for a customer depends only on its guard and on the policy
        # department its source decides as: handoffs sharing both share one test. Keyed by
        # identity, because walks pass the org's own handoff objects.
        # Departments whose decisions have the same rules in scope decide alike: each decides
        # as the first of them (for guards, which read directive values, not the department).
        alike: dict[tuple[bool, ...], str] = {}
        decides_as: dict[str, str] = {}
        for department in org.departments:
            scope = department.policy_department
            in_scope = tuple(rule.applies_to(scope) for rule in policy.effective_rules)
            decides_as[department.name] = alike.setdefault(in_scope, scope)
        numbers: dict[tuple[Condition, str], int] = {}

        def test(guard: Condition, department: str) -> _Test:
            scope = decides_as[department]
            return numbers.setdefault((guard, scope), len(numbers)), guard, scope

        object.__setattr__(
            self,
            "_tests",
            {id(handoff): test(guard, handoff.source) for handoff, guard in guards.items()},
        )
        # Resolution guards are tests too, by (department, request).
        object.__setattr__(
            self,
            "_resolutions",
            {(name, request): test(guard, name) for (name, request), guard in resolutions.items()},
        )
        # Referral guards too, by department and referral.
        object.__setattr__(
            self,
            "_referrals",
            {key: test(guard, name) for key, (guard, name) in referrals.items()},
        )
        # Memoised on the policy: many cultures of one policy share one compiled evaluator.
        object.__setattr__(self, "_decide", policy.compile())

    def __repr__(self) -> str:
        return (
            f"<Culture policy={self.policy.name!r} version={self.policy.version!r} "
            f"departments={len(self.org)} handoffs={len(self.org.handoffs)}>"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # By value: the other side checks and derives again (the derived fields hold ids).
        return (Culture, (self.policy, self.org))

    def with_org(self, org: OrgGraph) -> Culture:
        """The same policy with another org (a what-if), checked as the constructor does."""
        return attrs.evolve(self, org=org)

    def guard(self, handoff: Handoff) -> Condition:
        """The guard of one of the org's handoffs as checked against the policy (constants
        normalized the way customer values are)."""
        return self._guards[handoff]

    def resolution_guard(self, department: str, request: str) -> Condition:
        """The guard on `department` resolving `request`, as checked against the policy;
        ``ALWAYS`` when unconditional (see `crmculture.Department.resolves_when`)."""
        found = self._resolutions.get((department, request))
        return ALWAYS if found is None else found[1]

    def referral_guard(self, referral: Referral) -> Condition:
        """The guard of one of the org's referrals (`crmculture.Department.refers`, the org's
        own object), as checked against the policy.

        Raises:
            KeyError: for a referral that is not one of the org's own.
        """
        # The org keeps its referrals alive, so no other live object has one of their ids.
        for department in self.org.departments:
            found = self._referrals.get((department.name, id(referral)))
            if found is not None:
                return found[1]
        raise KeyError(f"referral `{referral}` is not one of the org's")

    def policy_department(self, department: str) -> str:
        """The policy department the org department `department` decides as.

        Raises:
            UnknownDepartmentError: when the org has no such department.
        """
        return self.org.department(department).policy_department

    def decide(
        self, customer: object, *, department: str | None = None, as_of: dt.date | None = None
    ) -> Decision:
        """How the policy treats `customer` while they are at `department` of the org.

        An org department decides as its policy department (`policy_department`). Without a
        department (``department=None``, the default) the decision is the company-level one,
        exactly the policy's own ``policy.compile()(customer)``: only the rules that apply in
        every department can match.

        Args:
            customer: A customer record.
            department: A department of the org, or None for a company-level decision.
            as_of: The date the decision is made for (see `crmculture.CompiledPolicy`).

        Raises:
            InvalidCustomer: listing every problem of the record; nothing was evaluated.
            UnknownDepartmentError: when the org has no such department.
            AsOfRequiredError: when the policy uses the as-of date and `as_of` is None.

        Examples:
            >>> from crmculture.stories import acme_culture
            >>> culture = acme_culture()
            >>> customer = {"credit_hold": False, "days_overdue": 0, "annual_volume": 9000,
            ...             "tier": "silver", "open_tickets": 4}
            >>> culture.decide(customer, department="support")["service_level"]
            'priority'
            >>> company = culture.decide(customer)
            >>> company["service_level"], company.department
            ('standard', None)
            >>> company == culture.policy.compile()(customer)
            True
        """
        scope = None if department is None else self.policy_department(department)
        return self._decide(customer, scope, as_of=as_of)

    def journey(
        self,
        customer: object,
        request: str,
        *,
        door: str,
        cutoff: int | None = None,
        max_routes: int = MAX_ROUTES,
        as_of: dt.date | None = None,
    ) -> Journey:
        """Walk `customer` with `request` through the org from `door`.

        At each department the policy decides for the customer there, and the handoffs for
        the request whose guards hold (facts and that decision) are followed; see
        `crmculture.org.journeys` for the rules of the walk.

        Args:
            customer: A customer record.
            request: The request type; the org must know it.
            door: The department the customer contacts first.
            cutoff: The most departments a route may hold (None: no bound).
            max_routes: The most routes enumerated for an ambiguous journey.
            as_of: The date the decisions along the way are made for (see `decide`).

        Raises:
            InvalidCustomer: listing every problem of the record; nothing was walked.
            UnknownDepartmentError: for a door the org does not have.
            OrgError: for a request type the org does not know, or bad bounds.
        """
        self.org.department(door)
        self._check_walk(request, cutoff, max_routes)
        return self._walker(customer, as_of)(request, door, cutoff, max_routes)

    def journeys(
        self,
        customer: object,
        request: str,
        *,
        doors: Iterable[str] | None = None,
        cutoff: int | None = None,
        max_routes: int = MAX_ROUTES,
        as_of: dt.date | None = None,
    ) -> dict[str, Journey]:
        """The journeys of `customer` with `request` from several doors, by door: each is
        `journey` from that door, but the customer is validated and decided for once, and a
        stretch of the org walked from one door is not walked again from another, so that
        every door of a chain of departments costs about one walk of it, not one per door.

        Args:
            customer: A customer record.
            request: The request type; the org must know it.
            doors: The departments the customer contacts first, in the order wanted
                (default: every department of the org, by name).
            cutoff: The most departments a route may hold (None: no bound).
            max_routes: The most routes enumerated for an ambiguous journey.
            as_of: The date the decisions along the way are made for (see `decide`).

        Raises:
            InvalidCustomer: listing every problem of the record; nothing was walked.
            UnknownDepartmentError: for a door the org does not have.
            OrgError: for a request type the org does not know, or bad bounds.

        Examples:
            >>> from crmculture.stories import acme_culture
            >>> customer = {"credit_hold": False, "days_overdue": 0, "annual_volume": 9000,
            ...             "tier": "gold"}
            >>> for door, journey in acme_culture().journeys(
            ...         customer, "replacement_part", doors=["sales", "support"]).items():
            ...     print(door, "|", journey)
            sales | sales -> engineering -> shipping (resolved, 2 handoffs, 50 minutes)
            support | support -> engineering -> shipping (resolved, 2 handoffs, 40 minutes)
        """
        chosen = self.org.names if doors is None else tuple(doors)
        for door in chosen:
            self.org.department(door)
        self._check_walk(request, cutoff, max_routes)
        walker = self._walker(customer, as_of)
        return {door: walker(request, door, cutoff, max_routes) for door in chosen}

    def _check_walk(self, request: str, cutoff: object, max_routes: object) -> None:
        """Raise `OrgError` for an unknown request type or bad bounds of a walk."""
        problems: list[Problem] = []
        if request not in self.org.requests:
            problems.append(
                Problem(
                    ("request",),
                    f"unknown request type `{request}`"
                    + did_you_mean(str(request), self.org.requests),
                    request,
                )
            )
        if cutoff is not None and (isinstance(cutoff, bool) or not isinstance(cutoff, int)):
            problems.append(Problem(("cutoff",), f"cutoff must be an int or None: `{cutoff!r}`"))
        elif isinstance(cutoff, int) and cutoff < 1:
            problems.append(Problem(("cutoff",), f"cutoff must be at least 1, not `{cutoff}`"))
        if isinstance(max_routes, bool) or not isinstance(max_routes, int) or max_routes < 1:
            problems.append(
                Problem(
                    ("max_routes",), f"max_routes must be an int of at least 1: `{max_routes!r}`"
                )
            )
        if problems:
            raise OrgError("invalid journey", problems)

    def _walker(self, customer: object, as_of: dt.date | None = None) -> _Walker:
        """A function walking `customer` (validated once, here) with any request from any
        door; it remembers the decision at each department, each guard's answer and the
        routes it found (`crmculture.org.journeys.Suffixes`), so that many journeys of one
        customer cost one decision per department and one walk per stretch of the org.
        Arguments are not checked: `journey` is the public door."""
        decide = self._decide if as_of is None else self._decide.at(as_of)
        facts = self.policy.schema.validate(customer)
        seen: dict[str, Mapping[str, Any]] = {}  # by policy department
        answers: dict[int, bool] = {}  # by test
        schema, directives, tests = self.policy.schema, self.policy.directive_index, self._tests
        names = [DECISION + directive.name for directive in self.policy.directives]

        def at(scope: str) -> Mapping[str, Any]:
            known = seen.get(scope)
            if known is None:
                known = dict(facts)
                known.update(zip(names, decide(facts, scope).values, strict=True))
                seen[scope] = known
            return known

        def answer(test: _Test) -> bool:
            number, guard, scope = test
            found = answers.get(number)
            if found is None:
                found = answers[number] = holds(guard, at(scope), schema, directives)
            return found

        def applies(handoff: Handoff) -> bool:
            return answer(tests[id(handoff)])

        def refers(department: str, referral: Referral) -> bool:
            return answer(self._referrals[department, id(referral)])

        # The customer's answers are the same on every walk: routes found walking from one
        # door are told again, not walked again, from the others (one memo per request).
        suffixes: dict[str, Suffixes] = {}

        def journey(request: str, door: str, cutoff: int | None, max_routes: int) -> Journey:
            def resolves(department: str) -> bool:
                return answer(self._resolutions[department, request])

            memo = suffixes.get(request)
            if memo is None:
                memo = suffixes[request] = Suffixes()
            walking = Walk(
                self.org, request, door, cutoff=cutoff, max_routes=max_routes, suffixes=memo
            )
            return walking.run(applies, resolves, refers=refers)

        return journey
