"""Is the culture lived? What staff actually did, compared with what the culture decides.

An *action* is one thing a department did for a customer: it gave a directive a value
(``{"customer_id": "c7", "department": "sales", "directive": "discount_pct", "value": "10"}``,
with a ``time`` if you have one). `adherence` decides each customer once per department,
compares every action with the culture's value for its directive, and reports the adherence
rate overall, per department, per directive and per deciding rule, with the most frequent
deviations and example customers. Actions it cannot judge (an unknown customer, directive or
department, a value the directive cannot take, a customer the culture cannot decide) are
counted by reason, never dropped.

With the batch extra (numpy, pyarrow), customers that match the same rules are decided once
per department and the actions are compared column by column, a chunk at a time; a customer
whose facts the columns might read otherwise is decided on its own. The report is the one
judging action by action gives (a property test holds the two routes equal on odd customers
and actions).

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

import datetime as dt
import itertools
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from crmculture.errors import AsOfRequiredError, CrmCultureError, InvalidCustomer
from crmculture.evaluate.decision import Decision
from crmculture.model.directives import Directive
from crmculture.model.intake import FALSE_SPELLINGS, TRUE_SPELLINGS
from crmculture.model.policies import Policy, require_policy
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
        if self.judged:
            lines = [
                f"{self.followed:,} of {self.judged:,} actions followed the culture "
                f"({self.rate:.1%})"
            ]
        else:
            lines = [
                f"No action could be judged (actions read: {self.actions:,}): whether the "
                "culture is followed is unknown"
            ]
        for title, rates in (
            ("By department", self.by_department),
            ("By directive", self.by_directive),
            ("By deciding rule", self.by_rule),
        ):
            if not rates:
                continue
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
    as_of: dt.date | None = None,
) -> AdherenceReport:
    """Compare what staff did (`actions`) with what the culture decides (see the module).

    Args:
        actions: Records with the customer's id, ``department``, ``directive`` and ``value``
            (other fields, such as ``time``, are ignored).
        customers: Records with the id and the facts, read as intake reads text
            (`crmculture.Schema.parse`); other fields are ignored.
        policy: The culture's policy.
        id_field: The field holding the customer's id, in both.
        as_of: The day the culture's decisions are taken for, for a culture that decides by
            the date (`crmculture.Policy.at`).

    Returns:
        The report; every action is judged or counted among the rejected.

    Raises:
        AsOfRequiredError: when the policy decides by the date and `as_of` is not given.
    """
    policy = require_policy(policy, "policy")
    if as_of is not None:
        policy = policy.at(as_of)
    if policy.uses_as_of:
        raise AsOfRequiredError(policy.name, policy.as_of_users)
    schema = policy.schema
    facts = set(schema.names)
    # Each customer's facts as given; read as intake reads text when they are not already
    # valid (`_decided`), so that typed records skip intake's per-value work.
    known: dict[Any, dict[str, Any] | str] = {}
    for record in customers:
        known[_id(record.get(id_field))] = {
            name: value for name, value in record.items() if name in facts
        }
    if _columns_available():
        return _Columns(known, policy).judge(actions, id_field)
    return _judge_records(actions, known, policy, id_field)


def _id(value: Any) -> Any:
    """A customer id as a key: itself, or for a JSON array or object (which cannot be a key),
    its JSON text, so that equal ids still find each other."""
    if isinstance(value, list | dict):
        return ("json", json.dumps(value, sort_keys=True, ensure_ascii=False, default=str))
    return value


def _judge_records(
    actions: Iterable[Mapping[str, Any]],
    known: Mapping[Any, dict[str, Any] | str],
    policy: Policy,
    id_field: str,
) -> AdherenceReport:
    """Judge action by action, deciding each customer once per department (the reference
    for `_Columns`)."""
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
        customer_id = _id(action.get(id_field))
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
        if type(raw) is str:  # other values may be equal and read otherwise (True and 1)
            try:
                actual = read[(name, raw)]
            except KeyError:
                actual = read[(name, raw)] = _value(directives[name], raw)
                if len(read) > READ_CACHE:
                    read.clear()
        else:
            actual = _value(directives[name], raw)
        if actual is _UNREAD:
            counts.reject(f"a value `{name}` cannot take")
            continue
        counts.judge(name, department, entry[1][position], entry[0][position], actual, customer_id)
    return counts.report()


READ_CACHE = 65_536
"""How many (directive, value given as text) pairs adherence remembers the reading of."""


def _columns_available() -> bool:
    try:
        import numpy  # noqa: F401

        from crmculture.batch.signatures import Signatures  # noqa: F401
    except ImportError:
        return False
    return True


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


CHUNK = 65_536
"""How many actions the columnar route reads at a time."""

# The Python types whose values the columnar evaluator reads exactly as the compiled one does;
# a customer with a value of another type is decided on its own.
_PLAIN: dict[str, tuple[type, ...]] = {
    "bool": (bool,),
    "int": (int,),
    "float": (float, int),
    "decimal": (Decimal, int),
    "enum": (str,),
    "date": (dt.date,),
}


class _Columns:
    """Judges actions a chunk at a time, with the customers' matching rules found column-wise.

    Customers that match the same rules are decided once per department (by the compiled
    evaluator, on the first of them); a customer whose facts the columnar reading might read
    otherwise (a value of another type, not finite, or breaking the schema) is decided on
    its own, as `_judge_records` decides every customer. Per action, Python reads its fields
    and the value given (text values cached, as `_judge_records` caches them); comparing
    and counting are numpy's.
    """

    def __init__(self, known: Mapping[Any, dict[str, Any] | str], policy: Policy) -> None:
        import numpy as np

        from crmculture.batch.signatures import Signatures

        self.known = known
        self.policy = policy
        self.decide = policy.compile()
        self.directives = list(policy.directives)
        self.positions = {directive.name: n for n, directive in enumerate(self.directives)}
        self.allowed = None if policy.departments is None else set(policy.departments)
        self.ids = list(known)
        self.index = {customer_id: row for row, customer_id in enumerate(self.ids)}
        records = [known[customer_id] for customer_id in self.ids]
        count = len(records)
        alone = np.zeros(count, dtype=np.bool_)
        sources: dict[str, list[Any]] = {}
        for fact in policy.schema:
            values = [record.get(fact.name) for record in records]  # type: ignore[union-attr]
            kinds = _PLAIN[fact.type]
            present = set(map(type, values))
            present.discard(type(None))
            if present <= set(kinds) and not present & {float, Decimal}:
                sources[fact.name] = values
                continue
            for row, value in enumerate(values):
                if value is None:
                    continue
                kind = type(value)
                if (
                    kind not in kinds
                    or (kind is float and not math.isfinite(value))
                    or (kind is Decimal and not value.is_finite())
                ):
                    alone[row] = True
                    values[row] = None
            sources[fact.name] = values
        found = Signatures(policy).read(sources, count)
        if found.bad is not None:
            alone |= found.bad
        # A group per set of matching rules, then one per customer decided on its own.
        self.groups = found.codes.astype(np.int64)
        lone = np.flatnonzero(alone)
        self.groups[lone] = len(found.keys) + np.arange(len(lone))
        chosen = np.flatnonzero(~alone)
        _, first = np.unique(found.codes[chosen], return_index=True)
        self.first = {int(found.codes[row]): int(row) for row in chosen[first].tolist()}
        self.first.update({len(found.keys) + k: int(row) for k, row in enumerate(lone.tolist())})
        self.lone = len(found.keys)
        # Per department asking (as given: "" is None): its number; per (group,
        # department): an entry.
        self.numbers: dict[Any, int] = {}
        self.department_names: list[str | None] = []
        for department in (None, *sorted(self.allowed or ())):
            self.department_number(department)
        self.numbers[""] = self.numbers[None]
        self.entries: dict[tuple[int, int], int] = {}
        self.failures: list[str | None] = []  # per entry, why it cannot be decided
        self.expected: list[list[int]] = []  # per entry and directive, the value's class
        self.values: list[list[Any]] = []  # per entry and directive, the value
        self.rules: list[list[int]] = []  # per entry and directive, the deciding rule's number
        self.rule_ids: dict[str, int] = {}
        self.comparable: dict[tuple[str, Any], Any] = {}
        # Per directive, a number per class of equal values (the same type, equal).
        self.classes: list[dict[tuple[type, Any], int]] = [{} for _ in self.directives]
        self.read: dict[tuple[int, str], tuple[Any, int]] = {}

    def judge(self, actions: Iterable[Mapping[str, Any]], id_field: str) -> AdherenceReport:
        counts = _Counts()
        iterator = iter(actions)
        while chunk := list(itertools.islice(iterator, CHUNK)):
            counts.actions += len(chunk)
            self.chunk(chunk, id_field, counts)
        return counts.report()

    def chunk(self, chunk: list[Mapping[str, Any]], id_field: str, counts: _Counts) -> None:
        import numpy as np

        position_of = self.positions.get
        names = [action.get("directive") for action in chunk]
        directive = np.array(
            [position_of(name, -1) if isinstance(name, str) else -1 for name in names],
            dtype=np.int64,
        )
        asked = [action.get("department") for action in chunk]
        number_of = self.numbers.get
        try:
            numbers = [number_of(department, -2) for department in asked]
        except TypeError:  # an unhashable department: each in turn
            numbers = [-2] * len(asked)
        department_of = np.array(numbers, dtype=np.int64)
        for k in np.flatnonzero(department_of == -2).tolist():
            department_of[k] = self.department_number(asked[k])
        unknown_directive = directive < 0
        unknown_department = ~unknown_directive & (department_of < 0)
        asking = np.flatnonzero(~unknown_directive & ~unknown_department)
        index = self.index.get
        customer = np.full(len(chunk), -1, dtype=np.int64)
        try:
            if len(asking) == len(chunk):
                customer[:] = [index(action.get(id_field), -1) for action in chunk]
            else:
                customer[asking] = [index(chunk[k].get(id_field), -1) for k in asking.tolist()]
        except TypeError:  # an id that is a JSON array or object: looked up by its text
            customer[asking] = [index(_id(chunk[k].get(id_field)), -1) for k in asking.tolist()]
        unknown_customer = ~unknown_directive & ~unknown_department & (customer < 0)
        for reason, where in (
            ("unknown directive", unknown_directive),
            ("unknown department", unknown_department),
            ("unknown customer", unknown_customer),
        ):
            found = int(where.sum())
            if found:
                counts.rejected[reason] += found
        rows = asking[customer[asking] >= 0]
        entry = np.full(len(chunk), -1, dtype=np.int64)
        if len(rows):
            groups = self.groups[customer[rows]]
            width = max(len(self.department_names), 1)
            pairs, inverse = np.unique(groups * width + department_of[rows], return_inverse=True)
            entries = np.array(
                [self.entry(pair // width, pair % width) for pair in pairs.tolist()],
                dtype=np.int64,
            )
            entry[rows] = entries[inverse.reshape(-1)]
            failed = np.array([self.failures[e] is not None for e in entries.tolist()])
            if failed.any():
                where_failed = failed[inverse.reshape(-1)]
                lost, found_counts = np.unique(entry[rows[where_failed]], return_counts=True)
                for e, found in zip(lost.tolist(), found_counts.tolist(), strict=True):
                    counts.rejected[self.failures[e]] += found
                rows = rows[~where_failed]
        # The values given, read as `_judge_records` reads them; -1 for a value the
        # directive cannot take.
        given = np.full(len(chunk), -1, dtype=np.int64)
        read, directives = self.read, self.directives
        hit = read.get
        actual: list[Any] = []
        numbers = []
        rows_list = rows.tolist()
        for position, raw in zip(
            directive[rows].tolist(), [chunk[k].get("value") for k in rows_list], strict=True
        ):
            found_read = hit((position, raw)) if type(raw) is str else None
            if found_read is None:
                value = _value(directives[position], raw)
                found_read = (value, -1 if value is _UNREAD else self.number(position, value))
                if type(raw) is str:
                    read[(position, raw)] = found_read
                    if len(read) > READ_CACHE:
                        read.clear()
            actual.append(found_read[0])
            numbers.append(found_read[1])
        given[rows] = numbers
        unread = rows[given[rows] < 0]
        if len(unread):
            for position, found in zip(
                *np.unique(directive[unread], return_counts=True), strict=True
            ):
                name = self.directives[int(position)].name
                counts.rejected[f"a value `{name}` cannot take"] += int(found)
        judged = rows[given[rows] >= 0]
        if not len(judged):
            return
        expected = np.array(self.expected, dtype=np.int64)
        rules = np.array(self.rules, dtype=np.int64)
        entries = entry[judged]
        judged_positions = directive[judged]
        same = expected[entries, judged_positions] == given[judged]
        rule_of = rules[entries, judged_positions]
        department_number = department_of[judged]
        self.cells(counts, department_number, judged_positions, rule_of, same)
        off = ~same
        if off.any():
            self.deviations(
                counts,
                chunk,
                id_field,
                judged[off],
                np.searchsorted(rows, judged[off]),
                entries[off],
                judged_positions[off],
                expected[entries[off], judged_positions[off]],
                given[judged[off]],
                department_number[off],
                actual,
            )

    def department_number(self, department: Any) -> int:
        """The number of a department asking, as `_judge_records` reads it; -1 for one the
        policy does not know."""
        if department == "":
            department = None
        if department is not None and (
            not isinstance(department, str)
            or (self.allowed is not None and department not in self.allowed)
        ):
            return -1
        number = self.numbers.get(department)
        if number is None:
            number = self.numbers[department] = len(self.department_names)
            self.department_names.append(department)
        return number

    def entry(self, group: int, department: int) -> int:
        """The entry for a group of customers and a department: decided on first use."""
        key = (group, department)
        found = self.entries.get(key)
        if found is not None:
            return found
        found = self.entries[key] = len(self.failures)
        customer_id = self.ids[self.first[group]]
        decided = _decided(
            self.known,
            customer_id,
            self.department_names[department],
            self.decide,
            self.policy,
            self.comparable,
        )
        if isinstance(decided, str):
            if group < self.lone and decided.startswith("invalid customer"):
                raise AssertionError(
                    f"customer {customer_id!r} is valid column-wise but not on its own"
                )
            self.failures.append(decided)
            self.expected.append([-2] * len(self.directives))
            self.values.append([None] * len(self.directives))
            self.rules.append([0] * len(self.directives))
            return found
        values, rules = decided
        self.failures.append(None)
        self.values.append(values)
        self.expected.append([self.number(p, value) for p, value in enumerate(values)])
        self.rules.append([self.rule_ids.setdefault(rule, len(self.rule_ids)) for rule in rules])
        return found

    def number(self, position: int, value: Any) -> int:
        """The class of a value of a directive: the same type and equal, the same class."""
        classes = self.classes[position]
        return classes.setdefault((type(value), value), len(classes))

    def cells(
        self,
        counts: _Counts,
        departments: Any,
        positions: Any,
        rules: Any,
        same: Any,
    ) -> None:
        import numpy as np

        rule_names = list(self.rule_ids)
        width_rules = max(len(rule_names), 1)
        width_positions = len(self.directives)
        key = ((departments * width_positions + positions) * width_rules + rules) * 2 + same
        for cell, found in zip(*np.unique(key, return_counts=True), strict=True):
            cell = int(cell)
            followed = bool(cell % 2)
            cell //= 2
            rule = rule_names[cell % width_rules]
            cell //= width_rules
            name = self.directives[cell % width_positions].name
            department = self.department_names[cell // width_positions]
            counts.cells[(department, name, rule, followed)] += int(found)

    def deviations(
        self,
        counts: _Counts,
        chunk: list[Mapping[str, Any]],
        id_field: str,
        rows: Any,
        read_at: Any,
        entries: Any,
        positions: Any,
        expected: Any,
        given: Any,
        departments: Any,
        actual: list[Any],
    ) -> None:
        import numpy as np

        columns = np.stack([positions, expected, given], axis=1)
        _, first, groups = np.unique(columns, axis=0, return_index=True, return_inverse=True)
        groups = groups.reshape(-1)
        ordered = np.argsort(groups, kind="stable")
        bounds = np.searchsorted(groups[ordered], np.arange(len(first) + 1))
        # Deviations in the order of their first action, which names the values.
        for g in np.argsort(first, kind="stable").tolist():
            members = ordered[bounds[g] : bounds[g + 1]]
            k = int(members[0])
            position = int(positions[k])
            key = (
                self.directives[position].name,
                self.values[int(entries[k])][position],
                actual[int(read_at[k])],
            )
            counts.deviations[key] += len(members)
            by_department = counts.deviation_departments.setdefault(key, Counter())
            for number, found in zip(
                *np.unique(departments[members], return_counts=True), strict=True
            ):
                by_department[self.department_names[int(number)]] += int(found)
            examples = counts.examples.setdefault(key, [])
            for member in members[: max(EXAMPLES - len(examples), 0)].tolist():
                examples.append(chunk[int(rows[member])].get(id_field))


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
