"""Is the culture lived? What staff actually did, compared with what the culture decides.

An *action* is one thing a department did for a customer: it gave a directive a value
(``{"customer_id": "c7", "department": "sales", "directive": "discount_pct", "value": "10"}``,
with a ``time`` if you have one). `adherence` decides each customer once per department,
compares every action with the culture's value for its directive, and reports the adherence
rate overall, per department, per directive and per deciding rule, with the most frequent
deviations and example customers. Actions it cannot judge (an unknown customer, directive or
department, a value the directive cannot take, a customer the culture cannot decide) are
counted by reason, never dropped.

Values are read as text is: a bool from ``true``/``false`` (and ``yes``/``no``, ``1``/``0``),
numbers from number text, a ``collect`` directive from a JSON list or from comma-separated
text (order does not matter: ``"sales, support"`` is ``["support", "sales"]``).

Examples:
    >>> from crmculture.stories import acme_policy
    >>> customers = [
    ...     {"customer_id": "c1", "credit_hold": True, "days_overdue": 0,
    ...      "annual_volume": 9000, "tier": "gold"},
    ...     {"customer_id": "c2", "credit_hold": False, "days_overdue": 0,
    ...      "annual_volume": 9000, "tier": "gold"}]
    >>> actions = [
    ...     {"customer_id": "c1", "department": "sales", "directive": "may_ship",
    ...      "value": "false"},
    ...     {"customer_id": "c1", "department": "shipping", "directive": "may_ship",
    ...      "value": "true"},
    ...     {"customer_id": "c2", "department": "sales", "directive": "route_to",
    ...      "value": "frontline"},
    ...     {"customer_id": "c9", "department": "sales", "directive": "route_to",
    ...      "value": "frontline"}]
    >>> found = adherence(actions, customers, acme_policy())
    >>> found.judged, found.followed, found.rate
    (3, 2, 0.6666666666666666)
    >>> found.deviations[0].directive, found.deviations[0].expected, found.deviations[0].actual
    ('may_ship', 'false', 'true')
    >>> found.rejected
    (('unknown customer', 1),)
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from crmculture.errors import CrmCultureError, InvalidCustomer
from crmculture.evaluate.decision import Decision
from crmculture.model.directives import Directive
from crmculture.model.intake import FALSE_SPELLINGS, TRUE_SPELLINGS
from crmculture.model.policies import Policy
from crmculture.model.values import json_value

__all__ = ["AdherenceReport", "Deviation", "Rate", "adherence"]

EXAMPLES = 3
"""How many example customers a deviation lists."""

TOP = 10
"""How many deviations a report lists, most frequent first."""


@attrs.frozen
class Rate:
    """How many judged actions followed the culture, for one group.

    Attributes:
        group: The department, directive or rule (``None`` for no department; ``default``
            for a value no rule set).
        judged: Actions compared with the culture.
        followed: Those that gave the culture's value.
    """

    group: str | None
    judged: int
    followed: int

    @property
    def rate(self) -> float:
        """The share that followed (1.0 when none was judged)."""
        return self.followed / self.judged if self.judged else 1.0


@attrs.frozen
class Deviation:
    """Actions that gave one directive another value than the culture, the same way.

    Attributes:
        directive: The directive.
        expected: The culture's value (JSON text).
        actual: The value given (JSON text).
        count: How many actions.
        departments: The departments that did it, most actions first.
        examples: The first few customers' ids.
    """

    directive: str
    expected: str
    actual: str
    count: int
    departments: tuple[tuple[str | None, int], ...]
    examples: tuple[Any, ...]


@attrs.frozen
class AdherenceReport:
    """What `adherence` found; `text` reads it out, `to_dict` is its JSON.

    Attributes:
        actions: Actions read (every one is judged or rejected).
        judged: Actions compared with the culture.
        followed: Those that gave the culture's value.
        by_department: Per department, lowest rate first.
        by_directive: Per directive, lowest rate first.
        by_rule: Per rule that determined the culture's value, lowest rate first.
        deviations: The most frequent deviations (at most `TOP`).
        rejected: Actions that could not be judged, by reason, most first.
    """

    actions: int
    judged: int
    followed: int
    by_department: tuple[Rate, ...]
    by_directive: tuple[Rate, ...]
    by_rule: tuple[Rate, ...]
    deviations: tuple[Deviation, ...]
    rejected: tuple[tuple[str, int], ...]

    @property
    def rate(self) -> float:
        """The share of judged actions that followed the culture (1.0 when none was)."""
        return self.followed / self.judged if self.judged else 1.0

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""

        def rates(items: Sequence[Rate]) -> list[dict[str, Any]]:
            return [
                {"group": r.group, "judged": r.judged, "followed": r.followed, "rate": r.rate}
                for r in items
            ]

        return {
            "actions": self.actions,
            "judged": self.judged,
            "followed": self.followed,
            "rate": self.rate,
            "by_department": rates(self.by_department),
            "by_directive": rates(self.by_directive),
            "by_rule": rates(self.by_rule),
            "deviations": [
                {
                    "directive": d.directive,
                    "expected": json.loads(d.expected),
                    "actual": json.loads(d.actual),
                    "count": d.count,
                    "departments": [{"department": n, "count": c} for n, c in d.departments],
                    "examples": list(d.examples),
                }
                for d in self.deviations
            ],
            "rejected": dict(self.rejected),
        }

    def text(self) -> str:
        """The report for people."""
        lines = [
            f"{self.followed:,} of {self.judged:,} actions followed the culture ({self.rate:.1%})"
        ]
        for title, rates in (
            ("By department", self.by_department),
            ("By directive", self.by_directive),
            ("By deciding rule", self.by_rule),
        ):
            lines.append(f"{title}:")
            lines.extend(
                f"  {r.group or '(none)':<28} {r.rate:7.1%} of {r.judged:,}" for r in rates
            )
        if self.deviations:
            lines.append("Most frequent deviations:")
        for d in self.deviations:
            where = ", ".join(f"{n or '(none)'} {c:,}" for n, c in d.departments)
            shown = ", ".join(str(e) for e in d.examples)
            lines.append(
                f"  {d.directive}: culture {d.expected}, given {d.actual}: {d.count:,} "
                f"({where}; e.g. {shown})"
            )
        for reason, count in self.rejected:
            lines.append(f"Not judged: {count:,}: {reason}")
        return "\n".join(lines)


def adherence(
    actions: Iterable[Mapping[str, Any]],
    customers: Iterable[Mapping[str, Any]],
    policy: Policy,
    *,
    id_field: str = "customer_id",
) -> AdherenceReport:
    """Compare what staff did (`actions`) with what the culture decides (see the module).

    Args:
        actions: Records with the customer's id, ``department``, ``directive`` and ``value``
            (other fields, such as ``time``, are ignored).
        customers: Records with the id and the facts, read as intake reads text
            (`crmculture.Schema.parse`); other fields are ignored.
        policy: The culture's policy.
        id_field: The field holding the customer's id, in both.

    Returns:
        The report; every action is judged or counted among the rejected.
    """
    schema = policy.schema
    facts = set(schema.names)
    # Each customer's facts as given; read as intake reads text when they are not already
    # valid (`_decided`), so that typed records skip intake's per-value work.
    known: dict[Any, dict[str, Any] | str] = {}
    for record in customers:
        known[record.get(id_field)] = {
            name: value for name, value in record.items() if name in facts
        }
    directives = {directive.name: directive for directive in policy.directives}
    departments = None if policy.departments is None else set(policy.departments)
    decide = policy.compile()
    positions = {directive.name: n for n, directive in enumerate(policy.directives)}
    # Per (customer, department): per directive, the culture's value (as actions are read)
    # and the rule that determined it; or why the culture cannot decide.
    decided: dict[tuple[Any, str | None], tuple[list[Any], list[str]] | str] = {}
    comparable: dict[tuple[str, Any], Any] = {}
    read: dict[tuple[str, Any], Any] = {}
    counts = _Counts()
    for action in actions:
        counts.actions += 1
        customer_id = action.get(id_field)
        department = action.get("department")
        if department == "":
            department = None
        name: str = action.get("directive")  # type: ignore[assignment]
        position = positions.get(name) if isinstance(name, str) else None
        if position is None:
            counts.reject("unknown directive")
            continue
        if department is not None and (
            not isinstance(department, str)
            or (departments is not None and department not in departments)
        ):
            counts.reject("unknown department")
            continue
        pair = (customer_id, department)
        entry = decided.get(pair)
        if entry is None:
            entry = decided[pair] = _decided(
                known, customer_id, department, decide, policy, comparable
            )
        if isinstance(entry, str):
            counts.reject(entry)
            continue
        raw = action.get("value")
        try:
            actual = read[(name, raw)]
        except (KeyError, TypeError):
            actual = _value(directives[name], raw)
            if len(read) < 65_536:
                with contextlib.suppress(TypeError):
                    read[(name, raw)] = actual
        if actual is _UNREAD:
            counts.reject(f"a value `{name}` cannot take")
            continue
        counts.judge(name, department, entry[1][position], entry[0][position], actual, customer_id)
    return counts.report()


def _decided(
    known: Mapping[Any, dict[str, Any] | str],
    customer_id: Any,
    department: str | None,
    decide: Any,
    policy: Policy,
    comparable: dict[tuple[str, Any], Any],
) -> tuple[list[Any], list[str]] | str:
    customer = known.get(customer_id)
    if customer is None:
        return "unknown customer"
    if isinstance(customer, str):
        return customer
    try:
        try:
            decision: Decision = decide(customer, department)
        except InvalidCustomer:
            decision = decide(policy.schema.parse(customer), department)
    except InvalidCustomer as error:
        first = error.problems[0]
        return f"invalid customer: {first.path_text}: {first.message}"
    except CrmCultureError as error:
        return str(error).splitlines()[0]
    outcomes = decision.outcomes
    expected = []
    rules = []
    for directive, value in zip(policy.directives, decision.values, strict=True):
        key = (directive.name, value)
        try:
            found = comparable[key]
        except KeyError:
            found = comparable[key] = _comparable(directive, json_value(value))
        expected.append(found)
        determined = outcomes[directive.name].determined_by
        rules.append(determined[0] if determined else "default")
    return expected, rules


class _Unread:
    """A value a directive cannot take."""


_UNREAD = _Unread()


def _value(directive: Directive, value: Any) -> Any:
    """An action's value as the JSON value of the directive, comparable with the culture's
    (see `_comparable`); `_UNREAD` when the directive cannot take it."""
    if directive.collects:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                try:
                    value = json.loads(text)
                except ValueError:
                    return _UNREAD
            else:
                value = [item.strip() for item in text.split(",") if item.strip()]
        if not isinstance(value, list | tuple):
            return _UNREAD
        items = [_scalar(directive, item) for item in value]
        if any(item is _UNREAD for item in items):
            return _UNREAD
        return tuple(sorted(items, key=repr))
    return _scalar(directive, value)


def _scalar(directive: Directive, value: Any) -> Any:
    kind = directive.type
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            spelled = value.strip().lower()
            if spelled in TRUE_SPELLINGS:
                return True
            if spelled in FALSE_SPELLINGS:
                return False
        return _UNREAD
    if kind in ("int", "decimal"):
        from decimal import Decimal, InvalidOperation

        if isinstance(value, bool):
            return _UNREAD
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            return _UNREAD
        return number if number.is_finite() else _UNREAD
    if isinstance(value, str):
        if directive.values is not None and value not in directive.values:
            return _UNREAD
        return value
    return _UNREAD


def _comparable(directive: Directive, plain: Any) -> Any:
    """The culture's value (as JSON) in the form `_value` gives actions."""
    if directive.collects:
        return tuple(sorted((_scalar(directive, item) for item in plain), key=repr))
    return _scalar(directive, plain)


def _text(value: Any) -> str:
    if isinstance(value, tuple):
        return json.dumps([_plain(v) for v in value], ensure_ascii=False)
    return json.dumps(_plain(value), ensure_ascii=False)


def _plain(value: Any) -> Any:
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    return value


class _Counts:
    def __init__(self) -> None:
        self.actions = 0
        # Judged actions by (department, directive, deciding rule, followed).
        self.cells: Counter[tuple[str | None, str, str, bool]] = Counter()
        self.rejected: Counter[str] = Counter()
        self.deviations: Counter[tuple[str, Any, Any]] = Counter()
        self.deviation_departments: dict[tuple[str, Any, Any], Counter[str | None]] = {}
        self.examples: dict[tuple[str, Any, Any], list[Any]] = {}

    def reject(self, reason: str) -> None:
        self.rejected[reason] += 1

    def judge(
        self,
        directive: str,
        department: str | None,
        rule: str,
        expected: Any,
        actual: Any,
        customer_id: Any,
    ) -> None:
        same = type(expected) is type(actual) and expected == actual
        self.cells[(department, directive, rule, same)] += 1
        if same:
            return
        key = (directive, expected, actual)
        self.deviations[key] += 1
        self.deviation_departments.setdefault(key, Counter())[department] += 1
        found = self.examples.setdefault(key, [])
        if len(found) < EXAMPLES:
            found.append(customer_id)

    def report(self) -> AdherenceReport:
        def rates(position: int) -> tuple[Rate, ...]:
            judged: Counter[Any] = Counter()
            followed: Counter[Any] = Counter()
            for cell, count in self.cells.items():
                judged[cell[position]] += count
                if cell[3]:
                    followed[cell[position]] += count
            found = [Rate(group, count, followed[group]) for group, count in judged.items()]
            return tuple(sorted(found, key=lambda r: (r.rate, str(r.group))))

        judged = sum(self.cells.values())
        followed = sum(count for cell, count in self.cells.items() if cell[3])
        ranked = sorted(
            self.deviations.items(),
            key=lambda item: (-item[1], item[0][0], _text(item[0][1]), _text(item[0][2])),
        )[:TOP]
        deviations = tuple(
            Deviation(
                directive,
                _text(expected),
                _text(actual),
                count,
                tuple(
                    sorted(
                        self.deviation_departments[(directive, expected, actual)].items(),
                        key=lambda i: (-i[1], i[0] or ""),
                    )
                ),
                tuple(self.examples[(directive, expected, actual)]),
            )
            for (directive, expected, actual), count in ranked
        )
        return AdherenceReport(
            actions=self.actions,
            judged=judged,
            followed=followed,
            by_department=rates(0),
            by_directive=rates(1),
            by_rule=rates(2),
            deviations=deviations,
            rejected=tuple(sorted(self.rejected.items(), key=lambda i: (-i[1], i[0]))),
        )
