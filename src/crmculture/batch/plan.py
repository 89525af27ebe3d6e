"""The columnar plan: a policy's rules as numpy operations over whole columns.

`FramePlan` is prepared once per policy and department. Deciding a frame then takes four
column-wise steps, each the vectorised twin of a step of the reference interpreter:

1. read and check every fact column (`crmculture.batch.columns`): a boolean mask of bad rows;
2. evaluate every rule's condition as a boolean array; a comparison with a missing value is
   false, ``is missing`` is true of it, ``not`` is plain negation, as `crmculture.evaluate.truth`
   defines them; rules out of the department's scope never match;
3. combine, per directive. For ``first``, ``min``, ``max``, ``all`` and ``any`` the contributions
   are ordered once by `crmculture.evaluate.combine.precedence` and the first matching one
   wins (assigned in reverse order, as integer arithmetic numpy vectorises); ``unique``
   takes the first matching contribution in ``(priority, rule id)`` order and marks the rows
   where another matching one disagrees;
   ``sum`` and ``collect`` group rows by which contributions matched and call
   `crmculture.evaluate.combine.combine` once per group. Rows with a conflict, or without a
   value for a directive that has no default, fail with the error the per-record evaluator
   raises (the first failing directive in declared order);
4. build the output columns.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from crmculture.batch.columns import BoolArray, FactColumn, decimal_places
from crmculture.errors import CrmCultureError, EvaluationError
from crmculture.evaluate.combine import DirectiveOutcome, combine, precedence
from crmculture.model.conditions import (
    And,
    Atom,
    Between,
    Compare,
    Condition,
    Const,
    In,
    Missing,
    Not,
    Or,
)
from crmculture.model.directives import Combine, Directive
from crmculture.model.policies import Policy
from crmculture.model.rules import Rule
from crmculture.model.values import NO_DEFAULT

__all__ = ["DirectivePlan", "Outcome", "rule_column", "value_dtype"]

IntArray = np.ndarray[Any, np.dtype[np.int64]]

_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_FIRST_LIKE = (Combine.FIRST, Combine.MIN, Combine.MAX, Combine.ALL, Combine.ANY)


def rule_column(directive: str) -> str:
    """The name of the column holding the id of the rule that determined `directive`.

    Examples:
        >>> rule_column("route_to")
        'route_to.rule'
    """
    return f"{directive}.rule"


def _bool(value: Any) -> BoolArray:
    result: BoolArray = np.asarray(value, dtype=np.bool_)
    return result


class Conditions:
    """Evaluates conditions over decoded fact columns; each distinct atom once per frame."""

    def __init__(self, columns: dict[str, FactColumn], length: int) -> None:
        self.columns = columns
        self.length = length
        self._atoms: dict[Atom, BoolArray] = {}

    def __call__(self, condition: Condition) -> BoolArray:
        if isinstance(condition, And | Or):
            combine_into = np.logical_and if isinstance(condition, And) else np.logical_or
            first, second, *rest = (self(item) for item in condition.items)
            # A fresh array, then in place: the operands may be cached atoms.
            result = combine_into(first, second)
            for item in rest:
                combine_into(result, item, out=result)
            return result
        if isinstance(condition, Not):
            return ~self(condition.item)
        if isinstance(condition, Const):
            return np.full(self.length, condition.value, dtype=np.bool_)
        assert isinstance(condition, Atom)
        found = self._atoms.get(condition)
        if found is None:
            found = self._atoms[condition] = self._atom(condition)
        return found

    def _atom(self, atom: Atom) -> BoolArray:
        column = self.columns[atom.fact]
        if isinstance(atom, Missing):
            return column.present.copy() if atom.negated else ~column.present
        data = column.data
        if isinstance(atom, Compare):
            if column.fact.type == "bool" and atom.op in ("==", "!="):
                wanted = atom.value if atom.op == "==" else not atom.value
                test = _bool(data) if wanted else ~_bool(data)
            else:
                test = _bool(_COMPARE[atom.op](data, column.key(atom.value)))
        elif isinstance(atom, In):
            keys = [column.key(value) for value in atom.values]
            if len(keys) <= 4 or data.dtype == object:
                test = _bool(data == keys[0])
                for key in keys[1:]:
                    test |= _bool(data == key)
            else:
                test = np.isin(data, np.array(keys))
            if atom.negated:
                test = ~test
        else:
            assert isinstance(atom, Between)
            test = _bool(data >= column.key(atom.low)) & _bool(data <= column.key(atom.high))
        # A comparison involving a missing fact is false, whatever the operator.
        return test if column.all_present else test & column.present


def _choice_dtype(count: int) -> type[np.signedinteger[Any]]:
    return np.int8 if count < 127 else np.int16 if count < 32_767 else np.int64


class Outcome:
    """One directive decided over a frame.

    Per row, `choice` picks an entry of the small lookup tables: ``0..k-1`` for a contribution
    or group of rows, ``-1`` for none (the default), ``-2`` for a failed row. A lookup entry is
    an index into `table` (values) or into `rule_ids` (rules), or -1 for missing.

    Attributes:
        choice: Per row, the entry.
        value_of: Per entry, the index of its value in `table`, or -1 (failed).
        rule_of: Per entry, the index of its rule in `rule_ids`, or -1 (default or failed).
        table: The values the directive can take here.
        rule_ids: The ids of the rules that can determine the directive.
        failed: Rows for which the directive has no value (conflict, or undecided).
        error: Builds the error of a failed row from its position.
    """

    __slots__ = ("choice", "error", "failed", "rule_ids", "rule_of", "table", "value_of")

    def __init__(
        self,
        choice: np.ndarray[Any, Any],
        value_of: list[int],
        rule_of: list[int],
        table: list[Any],
        rule_ids: list[str],
        failed: BoolArray,
        error: Callable[[int], EvaluationError],
    ) -> None:
        self.choice = choice
        # Small index types: the per-row lookups then write a byte per row, not eight.
        self.value_of = np.array(value_of, dtype=_choice_dtype(len(value_of)))
        self.rule_of = np.array(rule_of, dtype=_choice_dtype(len(rule_of)))
        self.table = table
        self.rule_ids = rule_ids
        self.failed = failed
        self.error = error

    def fail(self, rows: BoolArray) -> None:
        """Mark `rows` as failed (another directive of theirs failed, or the row is invalid)."""
        self.choice = np.where(rows, np.int8(-2), self.choice)


class DirectivePlan:
    """How one directive is combined over columns of rule flags."""

    def __init__(self, directive: Directive, rules: Sequence[tuple[int, Rule]]) -> None:
        self.directive = directive
        # (flag number, rule, value) for every in-scope rule setting the directive, in
        # (priority, rule id) order.
        self.contributions = [
            (j, rule, value)
            for j, rule in rules
            for name, value in rule.then
            if name == directive.name
        ]
        self.rule_ids = [rule.id for _, rule, _ in self.contributions]
        self.table = [value for _, _, value in self.contributions]
        count = len(self.contributions)
        default = -1
        if directive.default is not NO_DEFAULT:
            default = len(self.table)
            self.table.append(directive.default)
        # Lookup entries: contributions, then failed (-2), then none (-1).
        self.value_of = [*range(count), -1, default]
        self.rule_of = [*range(count), -1, -1]
        if directive.combine in _FIRST_LIKE:
            pairs = [(rule, value) for _, rule, value in self.contributions]
            ordered = precedence(directive, pairs)
            position = {rule.id: k for k, (_, rule, _) in enumerate(self.contributions)}
            self.order = [position[rule.id] for rule, _ in ordered]
        else:
            self.order = list(range(count))
        self.classes = np.zeros(0, dtype=np.int64)
        if directive.combine is Combine.UNIQUE:
            # Values equal as a set sees them share a class; two classes in one row conflict.
            classes: list[int] = []
            for k, (_, _, value) in enumerate(self.contributions):
                same = [
                    c for c, (_, _, other) in enumerate(self.contributions[:k]) if other == value
                ]
                classes.append(classes[same[0]] if same else k)
            self.classes = np.array([*classes, -1, -1], dtype=np.int64)

    def _contributions_at(self, flags: Sequence[BoolArray | None], row: int) -> list[Any]:
        return [
            (rule, value)
            for j, rule, value in self.contributions
            if (flag := flags[j]) is not None and flag[row]
        ]

    def _error(self, flags: Sequence[BoolArray | None]) -> Callable[[int], EvaluationError]:
        def error(row: int) -> EvaluationError:
            try:
                combine(self.directive, self._contributions_at(flags, row))
            except EvaluationError as failure:
                return failure
            raise AssertionError("a row failed column-wise but not record by record")

        return error

    def decide(self, flags: Sequence[BoolArray | None], length: int) -> Outcome:
        """Combine the directive for every row, given each rule's flags (None: never)."""
        active = [k for k in self.order if flags[self.contributions[k][0]] is not None]
        if self.directive.combine in (Combine.SUM, Combine.COLLECT) and active:
            return self._grouped(flags, length, active)
        # The first matching contribution in precedence order wins: assign in reverse order.
        kind = _choice_dtype(len(self.contributions))
        choice = np.full(length, -1, dtype=kind)
        step = np.empty(length, dtype=kind)
        for k in reversed(active):
            flag = flags[self.contributions[k][0]]
            assert flag is not None
            # choice = k where flag, else choice; as arithmetic, which numpy vectorises far
            # better than a masked store.
            np.subtract(kind(k), choice, out=step)
            np.multiply(step, flag.view(np.int8), out=step)
            np.add(choice, step, out=choice)
        # Without a default, a row no contribution matched is undecided.
        failed = choice == -1 if self.value_of[-1] < 0 else np.zeros(length, dtype=np.bool_)
        if self.directive.combine is Combine.UNIQUE and len(active) > 1:
            chosen_class = self.classes[choice]
            conflict = np.zeros(length, dtype=np.bool_)
            for k in active:
                flag = flags[self.contributions[k][0]]
                assert flag is not None
                conflict |= flag & (chosen_class != self.classes[k])
            if conflict.any():
                failed = failed | conflict
                choice = np.where(conflict, np.int8(-2), choice)
        return Outcome(
            choice,
            self.value_of,
            self.rule_of,
            self.table,
            self.rule_ids,
            failed,
            self._error(flags),
        )

    def _grouped(
        self, flags: Sequence[BoolArray | None], length: int, active: list[int]
    ) -> Outcome:
        """``sum`` and ``collect``: the outcome depends only on which contributions matched,
        so rows are grouped by that set and `combine` runs once per group."""
        columns = [flags[self.contributions[k][0]] for k in active]
        matrix = np.column_stack([column for column in columns if column is not None])
        if len(active) <= 62:
            weights = np.left_shift(np.int64(1), np.arange(len(active), dtype=np.int64))
            codes = matrix.astype(np.int64) @ weights
            groups, inverse = np.unique(codes, return_inverse=True)
            patterns = [
                [bool(code >> bit & 1) for bit in range(len(active))] for code in groups.tolist()
            ]
        else:
            unique_rows, inverse = np.unique(matrix, axis=0, return_inverse=True)
            patterns = [list(map(bool, row)) for row in unique_rows]
        table: list[Any] = []
        value_of: list[int] = []
        rule_of: list[int] = []
        errors: list[EvaluationError | None] = []
        position = {rule_id: k for k, rule_id in enumerate(self.rule_ids)}
        for pattern in patterns:
            subset = [
                (self.contributions[k][1], self.contributions[k][2])
                for k, hit in zip(active, pattern, strict=True)
                if hit
            ]
            try:
                outcome: DirectiveOutcome = combine(self.directive, subset)
            except EvaluationError as failure:
                errors.append(failure)
                value_of.append(-1)
                rule_of.append(-1)
                continue
            errors.append(None)
            value_of.append(len(table))
            table.append(outcome.value)
            rule_of.append(-1 if outcome.rule is None else position[outcome.rule])
        choice = inverse.reshape(-1).astype(np.int64)
        failed = np.array([error is not None for error in errors], dtype=np.bool_)[choice]

        def error(row: int) -> EvaluationError:
            failure = errors[int(choice[row])]
            assert failure is not None
            return failure

        return Outcome(
            choice, [*value_of, -1, -1], [*rule_of, -1, -1], table, self.rule_ids, failed, error
        )


def value_dtype(directive: Directive) -> str:
    """How a directive's values are held in the decisions frame.

    ``category`` for text and ordered directives (ordered categories for ordered directives),
    ``boolean`` and ``Int64`` (pandas' nullable types) for bool and int, ``object`` for decimal
    directives (`decimal.Decimal` values) and ``collect`` directives (tuples).

    Examples:
        >>> from crmculture import Directive
        >>> value_dtype(Directive.bool("may_ship", default=True)), value_dtype(
        ...     Directive.ordered("level", ["standard", "priority"], combine="max"))
        ('boolean', 'category')
    """
    if directive.combine is Combine.COLLECT or directive.type == "decimal":
        return "object"
    if directive.type == "bool":
        return "boolean"
    if directive.type == "int":
        return "Int64"
    return "category"


def possible_values(directive: Directive, policy: Policy) -> list[Any]:
    """Every value a directive can take in `policy`, for the categories of its column."""
    if directive.values is not None:
        return list(directive.values)
    found = [
        value
        for rule in policy.effective_rules
        for name, value in rule.then
        if name == directive.name
    ]
    if directive.default is not NO_DEFAULT:
        found.append(directive.default)
    return sorted(set(found))


def category_dtype(directive: Directive, categories: list[Any]) -> pd.CategoricalDtype:
    """The categories of a text or ordered directive's column (ordered for ordered ones)."""
    return pd.CategoricalDtype(categories, ordered=directive.type == "ordered")


def values_column(
    directive: Directive,
    categories: list[Any],
    outcome: Outcome | None,
    length: int,
    dtype: pd.CategoricalDtype | None = None,
) -> Any:
    """The pandas array of a directive's values; missing where the row failed."""
    kind = value_dtype(directive)
    if outcome is None:
        choice: np.ndarray[Any, Any] = np.full(length, -1, dtype=np.int8)
        value_of = np.array([-1], dtype=np.int64)
        table: list[Any] = []
    else:
        choice, value_of, table = outcome.choice, outcome.value_of, outcome.table
    if kind == "category":
        where = {value: k for k, value in enumerate(categories)}
        codes = np.array(
            [where[value] for value in table] + [-1], dtype=_choice_dtype(len(categories))
        )
        if dtype is None:
            dtype = category_dtype(directive, categories)
        return pd.Categorical.from_codes(codes[value_of][choice], dtype=dtype, validate=False)
    indices = value_of[choice]
    missing = indices < 0
    if kind == "boolean":
        lookup = np.array([*table, False], dtype=np.bool_)
        return pd.arrays.BooleanArray(lookup[indices], missing)
    if kind == "Int64" and all(-(2**63) <= value < 2**63 for value in table):
        lookup_ints = np.array([*table, 0], dtype=np.int64)
        return pd.arrays.IntegerArray(lookup_ints[indices], missing)
    objects = np.empty(len(table) + 1, dtype=object)
    for k, value in enumerate(table):
        objects[k] = value
    objects[len(table)] = None
    return objects[indices]


def rules_column(
    outcome: Outcome | None,
    rule_ids: list[str],
    length: int,
    dtype: pd.CategoricalDtype | None = None,
) -> Any:
    """The pandas array of the determining rule ids; missing for defaults and failed rows."""
    if dtype is None:
        dtype = pd.CategoricalDtype(rule_ids)
    if outcome is None:
        return pd.Categorical.from_codes(np.full(length, -1, dtype=np.int8), dtype=dtype)
    where = {rule_id: k for k, rule_id in enumerate(rule_ids)}
    codes = np.array(
        [where[rule_id] for rule_id in outcome.rule_ids] + [-1], dtype=_choice_dtype(len(rule_ids))
    )
    return pd.Categorical.from_codes(
        codes[outcome.rule_of][outcome.choice], dtype=dtype, validate=False
    )


def first_failures(
    outcomes: Sequence[Outcome], skip: BoolArray
) -> tuple[IntArray, list[tuple[int, CrmCultureError]]]:
    """The rows (not in `skip`) where some directive failed, with the first failing
    directive's error in declared order, as the per-record evaluator raises it."""
    length = len(skip)
    failed = np.zeros(length, dtype=np.bool_)
    errors: list[tuple[int, CrmCultureError]] = []
    for outcome in outcomes:
        new = outcome.failed & ~failed & ~skip
        if new.any():
            errors.extend((int(row), outcome.error(int(row))) for row in np.flatnonzero(new))
            failed |= new
    errors.sort(key=lambda item: item[0])
    return np.flatnonzero(failed), errors


def scales(policy: Policy) -> dict[str, int]:
    """Per decimal fact, the most digits after the point among the constants the policy
    compares it with, its bounds and its default."""
    found: dict[str, int] = {}
    for fact in policy.schema:
        if fact.type == "decimal":
            constants: list[Any] = [fact.min, fact.max]
            if fact.default is not NO_DEFAULT:
                constants.append(fact.default)
            found[fact.name] = max(
                [decimal_places(c) for c in constants if isinstance(c, Decimal | int)] or [0]
            )
    for rule in policy.effective_rules:
        for node in rule.when.walk():
            if isinstance(node, Compare | In | Between) and node.fact in found:
                if isinstance(node, Compare):
                    constants = [node.value]
                elif isinstance(node, In):
                    constants = list(node.values)
                else:
                    constants = [node.low, node.high]
                places = [decimal_places(c) for c in constants if isinstance(c, Decimal | int)]
                found[node.fact] = max([found[node.fact], *places])
    return found
