"""The organisation as a graph: departments, the handoffs between them, and what-if changes.

An `OrgGraph` is an immutable value over a networkx multi-digraph: departments are nodes (with
the request types each can resolve, and the referrals each makes), handoffs are edges (for some
request types, guarded by a condition over customer facts and over the customer's decision,
with a kind and minutes). A referral is a department's intended answer to a request ("talk to
accounts receivable"): it ends the journey there, by design, and is not a dead end.
Parallel handoffs between two departments are allowed: different guards, different minutes.

Everything is stored in canonical order (departments by name, handoffs by
``(source, target, requests, guard text, kind, minutes)``), so two graphs built from the same
parts in any order are equal and render the same way. `OrgGraph.to_networkx` hands a fresh copy
with plain attributes to users' own algorithms; the internal graph is never handed out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

import attrs

from crmculture.errors import OrgError, Path, Problem, UnknownDepartmentError, did_you_mean
from crmculture.model.conditions import ALWAYS, Condition, FactRef, Or, as_condition

if TYPE_CHECKING:
    # networkx is imported where a graph is built, so that `import crmculture` does not
    # load it.
    import networkx as nx

__all__ = ["Department", "Handoff", "OrgError", "OrgGraph", "Referral"]


def _names(value: str | Iterable[str]) -> tuple[str, ...]:
    """A sorted, de-duplicated tuple of names; one string is one name."""
    if isinstance(value, str):
        return (value,)
    unique = dict.fromkeys(value)
    return tuple(sorted(unique, key=lambda name: (not isinstance(name, str), str(name))))


def _requests(value: str | Iterable[str] | None) -> tuple[str, ...] | None:
    return None if value is None else _names(value)


_Guard: TypeAlias = Condition | FactRef | bool


def _resolution_guards(
    value: Mapping[str, _Guard] | Iterable[tuple[str, _Guard]] | None,
) -> tuple[tuple[str, Condition], ...]:
    """Guards by request type, sorted by request; unconditional ones (``ALWAYS``) left out,
    so that equal departments compare equal however they were written."""
    if value is None:
        return ()
    items = value.items() if isinstance(value, Mapping) else value
    guards = [(request, as_condition(guard)) for request, guard in items]
    guards.sort(key=lambda item: (not isinstance(item[0], str), str(item[0])))
    return tuple((request, guard) for request, guard in guards if guard != ALWAYS)


@attrs.frozen
class Referral:
    """A department's intended answer to a request: send the customer elsewhere, by design.

    A referral ends the customer's journey at the department that makes it, with the outcome
    *referred*: the culture answered (counted apart from resolved), and it is never a dead
    end. It is guarded like a resolution: it applies only to customers for whom `when` holds
    at the referring department.

    Attributes:
        to: Where the customer is sent: a department of the org (checked when the org is
            built) or, with ``outside=True``, anyone outside the company.
        requests: The request types it answers (stored sorted), or None for every request.
        when: The guard, a condition over customer facts and the customer's decision at the
            referring department. ``ALWAYS`` by default.
        message: What staff tell the customer.
        outside: Whether `to` is outside the company (then it is not checked against the
            org's departments).

    Examples:
        >>> from crmculture import D
        >>> referral = Referral("accounts_receivable", ["replacement_part"],
        ...                     when=D.route_to == "accounts_receivable",
        ...                     message="Accounts receivable can clear the hold.")
        >>> referral.answers("replacement_part"), referral.answers("payment_plan")
        (True, False)
        >>> print(referral)
        refer replacement_part to accounts_receivable when decision.route_to == "accounts_receivable"
    """  # noqa: E501

    to: str
    requests: tuple[str, ...] | None = attrs.field(default=None, converter=_requests)
    when: Condition = attrs.field(default=ALWAYS, converter=as_condition, kw_only=True)
    message: str = attrs.field(default="", kw_only=True)
    outside: bool = attrs.field(default=False, kw_only=True)

    def answers(self, request: str) -> bool:
        """Whether the referral is for `request` (guard not considered)."""
        return self.requests is None or request in self.requests

    @property
    def sort_key(self) -> tuple[Any, ...]:
        """The canonical order of a department's referrals: by requests, target, guard."""
        requests = (0, ()) if self.requests is None else (1, tuple(map(str, self.requests)))
        return (requests, str(self.to), bool(self.outside), str(self.when), str(self.message))

    def __str__(self) -> str:
        requests = "every request" if self.requests is None else ", ".join(self.requests)
        where = f"{self.to} (outside)" if self.outside else str(self.to)
        text = f"refer {requests} to {where}"
        return text if self.when == ALWAYS else f"{text} when {self.when}"


def _referrals(value: Iterable[Referral] | None) -> tuple[Referral, ...]:
    """Referrals in canonical order (see `Referral.sort_key`); anything else is kept for the
    org's check to name."""
    if value is None:
        return ()
    items = list(value)
    if all(isinstance(item, Referral) for item in items):
        items.sort(key=lambda referral: referral.sort_key)
    return tuple(items)


@attrs.frozen
class Department:
    """One department a customer can talk to.

    Attributes:
        name: The department's name, any non-empty string.
        resolves: The request types the department resolves itself; stored sorted.
        decides_as: The department whose rules the policy applies while the customer is
            here; None (the default) means the department's own name. A merged department
            decides as the first department listed in the merge.
        resolves_when: For some of the request types it resolves, a guard: the department
            resolves the request only for customers for whom the guard holds (a condition
            over customer facts and the customer's decision here, as handoff guards are);
            for the others it hands the customer on like any department. Given as a mapping
            ``{request: condition}``; stored as ``(request, condition)`` pairs sorted by
            request, unconditional ones left out.
        refers: The referrals it makes (`Referral`): requests it answers, for some customers,
            by sending them elsewhere; checked after resolving and before handing off. When
            several apply, the first in canonical order is made. Stored in canonical order.
        merged_from: For a department made by `OrgGraph.merge`, the departments it replaced
            (sorted); `crmculture.analysis.what_if.compare` uses it to match doors.
        description: Free text.

    Examples:
        >>> Department("shipping", ["replacement_part"]).resolves
        ('replacement_part',)
        >>> Department("finance", decides_as="billing").policy_department
        'billing'
        >>> from crmculture import D
        >>> shipping = Department("shipping", ["replacement_part"],
        ...                       resolves_when={"replacement_part": D.may_ship})
        >>> str(shipping.resolution_guard("replacement_part"))
        'decision.may_ship'
    """

    name: str
    resolves: tuple[str, ...] = attrs.field(default=(), converter=_names)
    decides_as: str | None = attrs.field(default=None, kw_only=True)
    resolves_when: tuple[tuple[str, Condition], ...] = attrs.field(
        default=(), converter=_resolution_guards, kw_only=True
    )
    merged_from: tuple[str, ...] = attrs.field(default=(), converter=_names, kw_only=True)
    description: str = attrs.field(default="", kw_only=True)
    refers: tuple[Referral, ...] = attrs.field(default=(), converter=_referrals, kw_only=True)

    @property
    def policy_department(self) -> str:
        """The department name the policy decides for while the customer is here."""
        return self.name if self.decides_as is None else self.decides_as

    def resolution_guard(self, request: str) -> Condition:
        """The guard on resolving `request` here: ``ALWAYS`` when unconditional (or when the
        department does not resolve it at all; see `resolves`)."""
        for guarded, guard in self.resolves_when:
            if guarded == request:
                return guard
        return ALWAYS


@attrs.frozen
class Handoff:
    """A department passing the customer on to another, for some requests, when a guard holds.

    Attributes:
        source: The department that hands the customer on.
        target: The department that receives them.
        requests: The request types the handoff is for (stored sorted), or None for every
            request.
        when: The guard: a condition over customer facts and over the customer's decision at
            `source` (``D.route_to == "accounts_receivable"``). ``ALWAYS`` by default.
        kind: What kind of handoff it is, e.g. ``transfer``, ``redirect``, ``escalation``.
        minutes: What the handoff costs the customer, in minutes.

    Examples:
        >>> from crmculture import D
        >>> handoff = Handoff("sales", "accounts_receivable",
        ...                   when=D.route_to == "accounts_receivable", kind="redirect")
        >>> handoff.carries("replacement_part"), str(handoff)
        (True, 'sales -> accounts_receivable [every request] when decision.route_to == "accounts_receivable"')
    """  # noqa: E501

    source: str
    target: str
    requests: tuple[str, ...] | None = attrs.field(default=None, converter=_requests)
    when: Condition = attrs.field(default=ALWAYS, converter=as_condition, kw_only=True)
    kind: str = attrs.field(default="transfer", kw_only=True)
    minutes: int = attrs.field(default=0, kw_only=True)

    def carries(self, request: str) -> bool:
        """Whether the handoff is for `request` (guard not considered)."""
        return self.requests is None or request in self.requests

    @property
    def sort_key(self) -> tuple[Any, ...]:
        """The canonical order of handoffs: by source, target, requests, guard, kind, minutes."""
        requests = (0, ()) if self.requests is None else (1, tuple(map(str, self.requests)))
        return (
            str(self.source),
            str(self.target),
            requests,
            str(self.when),
            str(self.kind),
            str(self.minutes),
        )

    def __str__(self) -> str:
        requests = "every request" if self.requests is None else ", ".join(self.requests)
        text = f"{self.source} -> {self.target} [{requests}]"
        return text if self.when == ALWAYS else f"{text} when {self.when}"


def _check_text(value: object, path: Path, what: str, problems: list[Problem]) -> bool:
    if not isinstance(value, str) or not value:
        problems.append(Problem(path, f"{what} must be a non-empty string, not `{value!r}`", value))
        return False
    return True


def _check_departments(departments: Sequence[object], problems: list[Problem]) -> list[Department]:
    good: list[Department] = []
    seen: set[str] = set()
    for position, department in enumerate(departments):
        if not isinstance(department, Department):
            problems.append(
                Problem(
                    ("departments", position),
                    f"expected a Department, got {type(department).__name__}",
                    department,
                )
            )
            continue
        if not _check_text(department.name, ("departments", position, "name"), "a name", problems):
            continue
        path: Path = ("departments", department.name)
        if department.name in seen:
            problems.append(Problem(path, f"department `{department.name}` is declared twice"))
            continue
        seen.add(department.name)
        for request in department.resolves:
            _check_text(request, (*path, "resolves"), "a request type", problems)
        for name in department.merged_from:
            _check_text(name, (*path, "merged_from"), "a department name", problems)
        if department.decides_as is not None:
            _check_text(department.decides_as, (*path, "decides_as"), "decides_as", problems)
        seen_guards: set[str] = set()
        for request, guard in department.resolves_when:
            where = (*path, "resolves_when", request)
            if request in seen_guards:
                problems.append(Problem(where, f"request type `{request}` has two guards"))
            elif request not in department.resolves:
                problems.append(
                    Problem(
                        where,
                        f"a guard for `{request}`, which `{department.name}` does not resolve"
                        + did_you_mean(str(request), department.resolves),
                        request,
                    )
                )
            seen_guards.add(request)
            if not isinstance(guard, Condition):
                problems.append(Problem(where, f"`{guard!r}` is not a condition", guard))
        good.append(department)
    return good


def _check_handoffs(
    handoffs: Sequence[object], names: Sequence[str], problems: list[Problem]
) -> list[Handoff]:
    good: list[Handoff] = []
    seen: set[Handoff] = set()
    for position, handoff in enumerate(handoffs):
        path: Path = ("handoffs", position)
        if not isinstance(handoff, Handoff):
            problems.append(
                Problem(path, f"expected a Handoff, got {type(handoff).__name__}", handoff)
            )
            continue
        ok = True
        for end in ("source", "target"):
            name = getattr(handoff, end)
            if not _check_text(name, (*path, end), f"the {end}", problems):
                ok = False
            elif name not in names:
                problems.append(
                    Problem(
                        (*path, end),
                        f"unknown department `{name}`" + did_you_mean(name, names),
                        name,
                    )
                )
                ok = False
        if ok and handoff.source == handoff.target:
            problems.append(Problem(path, f"a handoff from `{handoff.source}` to itself"))
            ok = False
        if handoff.requests is not None:
            if not handoff.requests:
                problems.append(
                    Problem(
                        (*path, "requests"),
                        "an empty request list never applies; give None for every request",
                    )
                )
                ok = False
            for request in handoff.requests:
                ok = _check_text(request, (*path, "requests"), "a request type", problems) and ok
        ok = _check_text(handoff.kind, (*path, "kind"), "the kind", problems) and ok
        minutes = handoff.minutes
        if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 0:
            problems.append(
                Problem(
                    (*path, "minutes"),
                    f"minutes must be a non-negative int, not `{minutes!r}`",
                    minutes,
                )
            )
            ok = False
        if not isinstance(handoff.when, Condition):
            problems.append(Problem((*path, "when"), f"`{handoff.when!r}` is not a condition"))
            ok = False
        if ok and handoff in seen:
            problems.append(Problem(path, f"handoff `{handoff}` is listed twice"))
            ok = False
        if ok:
            seen.add(handoff)
            good.append(handoff)
    return good


def _check_referrals(
    departments: Sequence[Department], names: Sequence[str], problems: list[Problem]
) -> None:
    for department in departments:
        seen: set[Referral] = set()
        for position, referral in enumerate(department.refers):
            path: Path = ("departments", department.name, "refers", position)
            if not isinstance(referral, Referral):
                problems.append(
                    Problem(path, f"expected a Referral, got {type(referral).__name__}", referral)
                )
                continue
            known = _check_text(referral.to, (*path, "to"), "the target", problems)
            if known and not referral.outside and referral.to not in names:
                problems.append(
                    Problem(
                        (*path, "to"),
                        f"unknown department `{referral.to}`"
                        + did_you_mean(referral.to, names)
                        + "; a referral outside the company says `outside: true`",
                        referral.to,
                    )
                )
            if referral.requests is not None:
                if not referral.requests:
                    problems.append(
                        Problem(
                            (*path, "requests"),
                            "an empty request list never applies; give None for every request",
                        )
                    )
                for request in referral.requests:
                    _check_text(request, (*path, "requests"), "a request type", problems)
            if not isinstance(referral.message, str):
                problems.append(
                    Problem(
                        (*path, "message"),
                        f"a message must be a string, not `{referral.message!r}`",
                        referral.message,
                    )
                )
            if not isinstance(referral.outside, bool):
                problems.append(
                    Problem((*path, "outside"), f"outside must be a bool: `{referral.outside!r}`")
                )
            if not isinstance(referral.when, Condition):
                problems.append(Problem((*path, "when"), f"`{referral.when!r}` is not a condition"))
            elif referral in seen:
                problems.append(Problem(path, f"referral `{referral}` is listed twice"))
            seen.add(referral)


RequestView: TypeAlias = tuple[
    frozenset[str],
    Mapping[str, "Condition"],
    Mapping[str, tuple["Handoff", ...]],
    Mapping[str, tuple["Referral", ...]],
]
"""For one request type: unconditional resolvers, guarded resolvers, handoffs by source,
referrals by department."""


@attrs.frozen(init=False)
class OrgGraph:
    """Departments and the handoffs between them: an immutable facade over a networkx graph.

    Args:
        departments: The departments; names must be unique. An org may be empty (a policy
            whose document describes no org).
        handoffs: The handoffs; each must connect two different known departments. Parallel
            handoffs (same source and target) are allowed; identical ones are not.

    Raises:
        OrgError: listing every problem at once, each with its path.

    Examples:
        >>> from crmculture import D
        >>> org = OrgGraph(
        ...     [Department("sales"), Department("shipping", ["replacement_part"])],
        ...     [Handoff("sales", "shipping", ["replacement_part"], when=D.may_ship, minutes=30)],
        ... )
        >>> org.names, org.requests
        (('sales', 'shipping'), ('replacement_part',))
        >>> OrgGraph([Department("sales")], [Handoff("sales", "shiping")])
        Traceback (most recent call last):
        ...
        crmculture.errors.OrgError: invalid org: handoffs[0].target: unknown department `shiping`
    """

    departments: tuple[Department, ...]
    handoffs: tuple[Handoff, ...]
    _by_name: Mapping[str, Department] = attrs.field(eq=False, repr=False)
    _out: Mapping[str, tuple[Handoff, ...]] = attrs.field(eq=False, repr=False)
    _graph: nx.MultiDiGraph[str] = attrs.field(eq=False, repr=False)
    _by_request: dict[str, RequestView] = attrs.field(eq=False, repr=False)
    _requests: tuple[str, ...] = attrs.field(eq=False, repr=False)

    def __init__(self, departments: Iterable[Department], handoffs: Iterable[Handoff] = ()) -> None:
        problems: list[Problem] = []
        given_departments = _sequence(departments, ("departments",), problems)
        given_handoffs = _sequence(handoffs, ("handoffs",), problems)
        checked = _check_departments(given_departments, problems)
        names = sorted(department.name for department in checked)
        links = _check_handoffs(given_handoffs, names, problems)
        _check_referrals(checked, names, problems)
        if problems:
            raise OrgError("invalid org", problems)
        ordered = tuple(sorted(checked, key=lambda department: department.name))
        edges = tuple(sorted(links, key=lambda handoff: handoff.sort_key))
        import networkx as nx

        graph: nx.MultiDiGraph[str] = nx.MultiDiGraph()
        out: dict[str, list[Handoff]] = {department.name: [] for department in ordered}
        for department in ordered:
            graph.add_node(department.name, department=department)
        for handoff in edges:
            graph.add_edge(handoff.source, handoff.target, handoff=handoff)
            out[handoff.source].append(handoff)
        self.__attrs_init__(
            departments=ordered,
            handoffs=edges,
            by_name={department.name: department for department in ordered},
            out={name: tuple(links) for name, links in out.items()},
            graph=graph,
            by_request={},
            requests=_all_requests(ordered, edges),
        )

    # -- reading -------------------------------------------------------------------------

    @property
    def names(self) -> tuple[str, ...]:
        """The department names, sorted."""
        return tuple(self._by_name)

    @property
    def requests(self) -> tuple[str, ...]:
        """Every request type a department resolves or a handoff names, sorted."""
        return self._requests

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __len__(self) -> int:
        return len(self.departments)

    def department(self, name: str) -> Department:
        """The department called `name`.

        Raises:
            UnknownDepartmentError: with a did-you-mean, when there is no such department.
        """
        try:
            return self._by_name[name]
        except (KeyError, TypeError):
            raise UnknownDepartmentError(name, self.names) from None

    def resolves(self, department: str, request: str) -> bool:
        """Whether `department` resolves `request` itself (for some customers, when the
        department has a guard for it in ``resolves_when``)."""
        return request in self._by_name[department].resolves

    def out_handoffs(self, source: str, request: str | None = None) -> tuple[Handoff, ...]:
        """The handoffs from `source` (for `request`, when given), in canonical order.

        Examples:
            >>> from crmculture.stories import acme_org
            >>> [h.target for h in acme_org().out_handoffs("sales", "replacement_part")]
            ['accounts_receivable', 'billing', 'engineering']
        """
        if request is None:
            return self._out[source]
        return self._request_view(request)[2].get(source, ())

    def _request_view(self, request: str) -> RequestView:
        """For one request type, what walks read: the departments resolving it without a
        guard, those resolving it under a guard (with the guard), by department the
        handoffs carrying it, and by department the referrals answering it (departments
        with none left out)."""
        view = self._by_request.get(request)
        if view is None:
            resolvers: set[str] = set()
            guarded: dict[str, Condition] = {}
            for department in self.departments:
                if request in department.resolves:
                    guard = department.resolution_guard(request)
                    if guard == ALWAYS:
                        resolvers.add(department.name)
                    else:
                        guarded[department.name] = guard
            out: dict[str, tuple[Handoff, ...]] = {}
            for name, links in self._out.items():
                carrying = tuple(handoff for handoff in links if handoff.carries(request))
                if carrying:
                    out[name] = carrying
            referrals: dict[str, tuple[Referral, ...]] = {}
            for department in self.departments:
                answering = tuple(r for r in department.refers if r.answers(request))
                if answering:
                    referrals[department.name] = answering
            view = (frozenset(resolvers), guarded, out, referrals)
            self._by_request[request] = view
        return view

    def to_networkx(self) -> nx.MultiDiGraph[str]:
        """A fresh networkx `MultiDiGraph` of the org with plain attributes, yours to change.

        Nodes carry ``resolves`` (a list), ``resolves_when``, ``decides_as``, ``merged_from``
        and ``refers`` (a list of dicts with ``to``, ``requests``, ``when``, ``message``,
        ``outside``); edges carry
        ``requests`` (a list, or None for every request), ``when`` (the guard's text),
        ``kind`` and ``minutes``. Nodes and edges are added in canonical order.

        Examples:
            >>> from crmculture.stories import acme_org
            >>> graph = acme_org().to_networkx()
            >>> graph.nodes["shipping"]["resolves"]
            ['replacement_part']
            >>> graph.number_of_edges("engineering", "shipping")
            1
        """
        import networkx as nx

        graph: nx.MultiDiGraph[str] = nx.MultiDiGraph()
        for department in self.departments:
            graph.add_node(
                department.name,
                resolves=list(department.resolves),
                resolves_when={request: str(guard) for request, guard in department.resolves_when},
                decides_as=department.decides_as,
                merged_from=list(department.merged_from),
                refers=[
                    {
                        "to": referral.to,
                        "requests": None if referral.requests is None else list(referral.requests),
                        "when": str(referral.when),
                        "message": referral.message,
                        "outside": referral.outside,
                    }
                    for referral in department.refers
                ],
            )
        for handoff in self.handoffs:
            graph.add_edge(
                handoff.source,
                handoff.target,
                requests=None if handoff.requests is None else list(handoff.requests),
                when=str(handoff.when),
                kind=handoff.kind,
                minutes=handoff.minutes,
            )
        return graph

    # -- what-if ---------------------------------------------------------------------------

    def with_department(self, department: Department) -> OrgGraph:
        """A new org with `department` added, or replacing the department of the same name.

        Examples:
            >>> from crmculture.stories import acme_org
            >>> org = acme_org().with_department(Department("parts_desk", ["replacement_part"]))
            >>> "parts_desk" in org, len(org)
            (True, 7)
        """
        kept = [d for d in self.departments if d.name != getattr(department, "name", None)]
        return OrgGraph([*kept, department], self.handoffs)

    def with_handoff(self, handoff: Handoff) -> OrgGraph:
        """A new org with `handoff` added.

        Raises:
            OrgError: for a handoff between unknown departments, or one already present.

        Examples:
            >>> from crmculture.stories import acme_org
            >>> org = acme_org().with_handoff(Handoff("support", "shipping", ["replacement_part"]))
            >>> len(org.handoffs) - len(acme_org().handoffs)
            1
        """
        return OrgGraph(self.departments, [*self.handoffs, handoff])

    def without_handoff(self, source: str | Handoff, target: str | None = None) -> OrgGraph:
        """A new org without one handoff (given a `Handoff`) or without every handoff from
        `source` to `target` (given two names).

        Raises:
            OrgError: when nothing matches, naming what was asked for.

        Examples:
            >>> from crmculture.stories import acme_org
            >>> org = acme_org().without_handoff("sales", "billing")
            >>> org.out_handoffs("sales", "replacement_part")[-1].target
            'engineering'
        """
        if isinstance(source, Handoff):
            if target is not None:
                raise TypeError("give either one Handoff, or a source and a target")
            kept = [handoff for handoff in self.handoffs if handoff != source]
            asked = f"handoff `{source}`"
        else:
            kept = [h for h in self.handoffs if (h.source, h.target) != (source, target)]
            asked = f"a handoff from `{source}` to `{target}`"
        if len(kept) == len(self.handoffs):
            raise OrgError(
                "invalid what-if", [Problem(("without_handoff",), f"there is no {asked}")]
            )
        return OrgGraph(self.departments, kept)

    def merge(
        self, departments: Iterable[str], into: str, *, decides_as: str | None = None
    ) -> OrgGraph:
        """A new org in which `departments` become one department called `into`.

        The merge semantics:

        - The merged department resolves every request type any of them resolved. A request
          type some of them resolved only under a guard (``resolves_when``) is resolved
          unconditionally when one of them resolved it unconditionally, and otherwise when
          any of their guards holds (the guards joined by ``or``, read at the merged
          department).
        - Handoffs between the merged departments disappear: they are now internal.
        - Handoffs from or to a merged department now start or end at `into`, keeping their
          requests, guard, kind and minutes. Parallel handoffs with different guards or
          minutes stay parallel (a journey takes the quickest one that applies); handoffs that
          become identical are kept once.
        - The merged department makes every referral any of them made; a referral to a merged
          department now refers to `into`. It still resolves before it refers: a request one
          member referred and another resolved is now resolved.
        - The merged department decides (evaluates the policy) as `decides_as`, by default as
          the first department listed.
        - `into` may be one of the merged names or a new one, but not another department's.
        - ``merged_from`` records the departments it replaced (and what they had replaced).

        Raises:
            OrgError: listing every problem: fewer than two departments, unknown names, a
                name listed twice, `into` taken by a department that is not merged.

        Examples:
            >>> from crmculture.stories import acme_org
            >>> org = acme_org().merge(["sales", "billing", "accounts_receivable"],
            ...                        into="commercial")
            >>> org.names
            ('commercial', 'engineering', 'shipping', 'support')
            >>> org.department("commercial").merged_from
            ('accounts_receivable', 'billing', 'sales')
        """
        problems: list[Problem] = []
        if isinstance(departments, str):
            departments = [departments]
        listed = list(departments)
        for position, name in enumerate(listed):
            if name not in self._by_name:
                problems.append(
                    Problem(
                        ("merge", "departments", position),
                        f"unknown department `{name}`" + did_you_mean(str(name), self.names),
                        name,
                    )
                )
            elif listed.index(name) != position:
                problems.append(
                    Problem(("merge", "departments", position), f"`{name}` is listed twice", name)
                )
        if len(set(map(str, listed))) < 2:
            problems.append(
                Problem(("merge", "departments"), "a merge needs at least two departments")
            )
        if not isinstance(into, str) or not into:
            problems.append(
                Problem(("merge", "into"), f"a name must be a non-empty string: `{into!r}`")
            )
        elif into in self._by_name and into not in listed:
            problems.append(
                Problem(("merge", "into"), f"`{into}` is another department; pick a new name", into)
            )
        if problems:
            raise OrgError("invalid merge", problems)
        merged = [self._by_name[name] for name in listed]
        replaced = {name for department in merged for name in (department.name,)}
        history = {name for department in merged for name in department.merged_from}

        def rename(name: str) -> str:
            return into if name in replaced else name

        referrals: dict[Referral, None] = {}
        for department in merged:
            for referral in department.refers:
                if not referral.outside:
                    referral = attrs.evolve(referral, to=rename(referral.to))
                referrals.setdefault(referral)
        new = Department(
            into,
            [request for department in merged for request in department.resolves],
            decides_as=merged[0].policy_department if decides_as is None else decides_as,
            resolves_when=_merged_guards(merged),
            merged_from=sorted((replaced | history) - {into}),
            description=" + ".join(department.name for department in merged),
            refers=referrals,
        )
        kept = []
        for department in self.departments:
            if department.name in replaced:
                continue
            if any(not r.outside and r.to in replaced for r in department.refers):
                department = attrs.evolve(
                    department,
                    refers=[
                        r if r.outside else attrs.evolve(r, to=rename(r.to))
                        for r in department.refers
                    ],
                )
            kept.append(department)

        links: dict[Handoff, None] = {}
        for handoff in self.handoffs:
            source, target = rename(handoff.source), rename(handoff.target)
            if source == target:
                continue
            moved = attrs.evolve(handoff, source=source, target=target)
            links.setdefault(moved)
        return OrgGraph([*kept, new], links)


def _merged_guards(merged: Sequence[Department]) -> dict[str, Condition]:
    """The resolution guards of a merged department: for each request type, ``or`` of the
    members' guards, or none when some member resolved it unconditionally."""
    guards: dict[str, dict[str, Condition]] = {}
    unconditional: set[str] = set()
    for department in merged:
        for request in department.resolves:
            guard = department.resolution_guard(request)
            if guard == ALWAYS:
                unconditional.add(request)
            else:
                guards.setdefault(request, {})[str(guard)] = guard
    merged_guards: dict[str, Condition] = {}
    for request, found in guards.items():
        if request in unconditional:
            continue
        ordered = [found[text] for text in sorted(found)]
        merged_guards[request] = ordered[0] if len(ordered) == 1 else Or(ordered)
    return merged_guards


def _all_requests(
    departments: Iterable[Department], handoffs: Iterable[Handoff]
) -> tuple[str, ...]:
    found = {request for department in departments for request in department.resolves}
    for department in departments:
        for referral in department.refers:
            found.update(referral.requests or ())
    for handoff in handoffs:
        found.update(handoff.requests or ())
    return tuple(sorted(found))


def _sequence(value: object, path: Path, problems: list[Problem]) -> list[Any]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        problems.append(Problem(path, f"expected a list, got {type(value).__name__}", value))
        return []
    return list(value)
