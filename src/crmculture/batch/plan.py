"""The columnar plan: a policy's rules as numpy operations over whole columns.

`FramePlan` is prepared once per policy and department. Deciding a frame then takes four
column-wise steps, each the vectorised twin of a step of the reference interpreter:

1. read and check every fact column (`crmculture.batch.columns`): a boolean mask of bad rows;
2. evaluate the in-scope rules' conditions one rule at a time, each as a boolean array (a
   *flag*); a comparison with a missing value is false, ``is missing`` is true of it, ``not``
   is plain negation, as `crmculture.evaluate.truth` defines them. An atom shared by several
   rules is evaluated once and dropped after the last rule that consults it;
3. hand each flag to the tallies of the directives the rule sets (`DirectivePlan`), then drop
   it: the tallies do not depend on the order flags arrive in, so a frame holds a few columns
   of flags at a time, not one per rule;
4. finish the tallies into outcomes (`Outcome`) and build the output columns. Rows with a
   conflict, or without a value for a directive that has no default, fail; their errors come
   from the per-record evaluator (see `crmculture.batch.frames`).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any, TypeAlias, assert_never

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crmculture.batch.columns import BoolArray, FactColumn, decimal_places
from crmculture.errors import EvaluationError
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

__all__ = [
    "DirectivePlan",
    "GroupTally",
    "Outcome",
    "RankTally",
    "Scratch",
    "Tally",
    "rule_column",
    "take",
    "value_dtype",
]

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

    def forget(self, atoms: Iterable[Atom]) -> None:
        """Drop the answers for `atoms` (no condition still to come consults them)."""
        for atom in atoms:
            self._atoms.pop(atom, None)

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
        if isinstance(condition, Atom):
            found = self._atoms.get(condition)
            if found is None:
                found = self._atoms[condition] = self._atom(condition)
            return found
        assert_never(condition)

    def _atom(self, atom: Atom) -> BoolArray:
        column = self.columns[atom.fact]
        present = column.present
        if isinstance(atom, Missing):
            if present is None:
                return np.full(self.length, atom.negated, dtype=np.bool_)
            return present.copy() if atom.negated else ~present
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
        elif isinstance(atom, Between):
            test = _bool(data >= column.key(atom.low)) & _bool(data <= column.key(atom.high))
        else:
            assert_never(atom)
        # A comparison involving a missing fact is false, whatever the operator.
        return test if present is None else test & present


def _entry_dtype(count: int) -> type[np.unsignedinteger[Any]]:
    """The smallest unsigned type numbering `count` entries."""
    return np.uint8 if count <= 256 else np.uint16 if count <= 65_536 else np.uint32


def _code_dtype(count: int) -> type[np.signedinteger[Any]]:
    """The smallest type pandas takes for the codes of `count` categories (and -1)."""
    return np.int8 if count < 127 else np.int16 if count < 32_767 else np.int64


def take(lookup: Sequence[Any] | np.ndarray[Any, Any], choice: np.ndarray[Any, Any]) -> Any:
    """``lookup[choice]``: a small table looked up for every row.

    With byte-sized `choice`, numeric tables go through Arrow's take kernel, padded to 256
    entries so that no index needs a bounds check; numpy would first widen every index to 64
    bits, which takes longer than the lookup itself.

    Examples:
        >>> take(np.array([10, 20, 30], dtype=np.int8), np.array([2, 0, 2], dtype=np.uint8))
        array([30, 10, 30], dtype=int8)
    """
    table = np.asarray(lookup)
    if choice.dtype != np.uint8 or table.dtype.kind not in "biuf" or not len(choice):
        return table[choice]
    # Arrow packs booleans into bits: look bytes up instead.
    padded = np.zeros(256, dtype=np.uint8 if table.dtype == np.bool_ else table.dtype)
    padded[: len(table)] = table
    buffer = pc.take(pa.array(padded), pa.array(choice)).buffers()[1]
    # Arrow's fresh buffer, writable (as a decisions frame's columns must be) when Arrow says
    # it may be written; a copy otherwise.
    taken = np.frombuffer(buffer, dtype=padded.dtype, count=len(choice))
    if not taken.flags.writeable:
        taken = taken.copy()
    return taken.view(np.bool_) if table.dtype == np.bool_ else taken


class Outcome:
    """One directive decided over a frame.

    Per row, `choice` picks an entry of small lookup tables. An entry's value is an index
    into `table`, or -1 for missing; its rule an index into `rule_ids`, or -1 (a default).
    The last entry is the failed one (no value, no rule).

    Attributes:
        choice: Per row, the entry (an unsigned integer array).
        value_of: Per entry, the index of its value in `table`, or -1.
        rule_of: Per entry, the index of its rule in `rule_ids`, or -1.
        table: The values the directive can take here.
        rule_ids: The ids of the rules that can determine the directive.
        failed: Rows for which the directive has no value (conflict, or undecided); None when
            there are none.
    """

    __slots__ = ("choice", "failed", "rule_ids", "rule_of", "table", "value_of")

    def __init__(
        self,
        choice: np.ndarray[Any, Any],
        value_of: list[int],
        rule_of: list[int],
        table: list[Any],
        rule_ids: list[str],
        failed: BoolArray | None,
    ) -> None:
        self.choice = choice
        self.value_of = value_of
        self.rule_of = rule_of
        self.table = table
        self.rule_ids = rule_ids
        self.failed = failed

    def fail(self, rows: BoolArray) -> None:
        """Mark `rows` as failed (another directive of theirs failed, or the row is invalid)."""
        self.choice[rows] = len(self.value_of) - 1


class DirectivePlan:
    """How one directive is combined from the rules' flags, which arrive one rule at a time.

    Flags arrive in any order and are dropped once every directive has seen them, so that a
    frame never holds more than a few flag columns. For ``first``, ``min``, ``max``, ``all``,
    ``any`` and ``unique`` the contributions are ranked once by
    `crmculture.evaluate.combine.precedence` (``unique``: in ``(priority, rule id)`` order)
    and each row keeps the best-ranked matching one; ``unique`` also keeps the smallest and the
    largest class of equal values among the matching ones, which differ exactly when the row
    conflicts. For ``sum`` and ``collect`` each row records which contributions matched, as
    bits, and `crmculture.evaluate.combine.combine` runs once per distinct set; so does a
    ``unique`` directive that an overriding rule sets. Overriding rules need nothing else:
    `precedence` ranks their contributions first.
    """

    def __init__(self, directive: Directive, rules: Sequence[tuple[int, Rule]]) -> None:
        self.directive = directive
        # (rule number, rule, value) for every in-scope rule setting the directive, in
        # (priority, rule id) order.
        self.contributions = [
            (j, rule, value)
            for j, rule in rules
            for name, value in rule.then
            if name == directive.name
        ]
        self.rule_ids = [rule.id for _, rule, _ in self.contributions]
        # A ``unique`` directive set by an overriding rule is combined per set of matching
        # contributions too: which values may conflict depends on which rules override.
        self.grouped = directive.combine in (Combine.SUM, Combine.COLLECT, Combine.LIST) or (
            directive.combine is Combine.UNIQUE
            and any(rule.overrides for _, rule, _ in self.contributions)
        )
        count = len(self.contributions)
        pairs = [(rule, value) for _, rule, value in self.contributions]
        if directive.combine not in _FIRST_LIKE:
            ordered = list(range(count))
        else:
            position = {rule.id: k for k, (_, rule, _) in enumerate(self.contributions)}
            ordered = [position[rule.id] for rule, _ in precedence(directive, pairs)]
        self.rank = [0] * count
        for rank, k in enumerate(ordered):
            self.rank[k] = rank
        # Ranked entries: the contributions by rank, then none matched, then failed.
        self.table = [self.contributions[k][2] for k in ordered]
        none = -1
        if directive.default is not NO_DEFAULT:
            none = len(self.table)
            self.table.append(directive.default)
        self.value_of = [*range(count), none, -1]
        self.rule_of = [*ordered, -1, -1]
        # Values equal as a set sees them share a class (``unique``): the first one's number.
        self.classes: list[int] = []
        for k, (_, _, value) in enumerate(self.contributions):
            same = [c for c in range(k) if self.contributions[c][2] == value]
            self.classes.append(self.classes[same[0]] if same else k)

    def tally(self, length: int, scratch: Scratch) -> Tally:
        """A fresh tally for a frame of `length` rows."""
        if self.grouped:
            return GroupTally(self, length, scratch)
        return RankTally(self, length, scratch)


class Scratch:
    """Working arrays the tallies of one frame share, one per element type."""

    def __init__(self, length: int) -> None:
        self.length = length
        self._arrays: dict[type[np.generic], np.ndarray[Any, Any]] = {}

    def __call__(self, kind: type[np.generic]) -> np.ndarray[Any, Any]:
        """The working array of `kind`; its content is whatever the last user left."""
        found = self._arrays.get(kind)
        if found is None:
            found = self._arrays[kind] = np.empty(self.length, dtype=kind)
        return found


class RankTally:
    """Per row, the best-ranked matching contribution (and for ``unique``, the classes)."""

    def __init__(self, plan: DirectivePlan, length: int, scratch: Scratch) -> None:
        self.plan = plan
        self.none = len(plan.contributions)
        self.kind = _entry_dtype(self.none + 2)
        self.best = np.full(length, self.none, dtype=self.kind)
        self.scratch = scratch(self.kind)
        self.unique = plan.directive.combine is Combine.UNIQUE
        if self.unique:
            # The smallest class, and the largest plus one, of the matching contributions.
            self.low = np.full(length, self.none, dtype=self.kind)
            self.high = np.zeros(length, dtype=self.kind)

    def _keep_least(self, kept: np.ndarray[Any, Any], flag: BoolArray, value: int) -> None:
        """kept = min(kept, value) where flag: with arithmetic, which numpy vectorises better
        than a masked store (``none - flag * (none - value)`` is `value` or `none`)."""
        scratch = self.scratch
        np.multiply(flag.view(np.uint8), self.kind(self.none - value), out=scratch)
        np.subtract(self.kind(self.none), scratch, out=scratch)
        np.minimum(kept, scratch, out=kept)

    def add(self, k: int, flag: BoolArray) -> None:
        """Contribution `k` matches the rows of `flag`."""
        self._keep_least(self.best, flag, self.plan.rank[k])
        if self.unique:
            group = self.plan.classes[k]
            self._keep_least(self.low, flag, group)
            np.multiply(flag.view(np.uint8), self.kind(group + 1), out=self.scratch)
            np.maximum(self.high, self.scratch, out=self.high)

    def finish(self) -> Outcome:
        plan, choice = self.plan, self.best
        # Without a default, a row no contribution matched is undecided.
        failed = choice == self.none if plan.value_of[self.none] < 0 else None
        if self.unique:
            conflict = (self.high != 0) & (self.high != self.low + 1)
            if conflict.any():
                failed = conflict if failed is None else failed | conflict
                choice[conflict] = self.none + 1
        if failed is not None and not failed.any():
            failed = None
        return Outcome(choice, plan.value_of, plan.rule_of, plan.table, plan.rule_ids, failed)


class GroupTally:
    """Per row, which contributions matched, as bits; ``sum`` and ``collect`` then combine
    once per distinct set."""

    def __init__(self, plan: DirectivePlan, length: int, scratch: Scratch) -> None:
        self.plan = plan
        count = len(plan.contributions)
        self.kind: type[np.unsignedinteger[Any]] = (
            np.uint8
            if count <= 8
            else np.uint16
            if count <= 16
            else np.uint32
            if count <= 32
            else np.uint64
        )
        self.words = [np.zeros(length, dtype=self.kind) for _ in range(max(1, -(-count // 64)))]
        self.scratch = scratch(self.kind)

    def add(self, k: int, flag: BoolArray) -> None:
        """Contribution `k` matches the rows of `flag`."""
        word = self.words[k // 64]
        np.left_shift(flag.view(np.uint8), self.kind(k % 64), out=self.scratch, dtype=self.kind)
        np.bitwise_or(word, self.scratch, out=word)

    def _groups(self) -> tuple[list[list[bool]], np.ndarray[Any, Any]]:
        """The distinct sets of matching contributions, and each row's set."""
        count = len(self.plan.contributions)
        if len(self.words) > 1:
            rows, inverse = np.unique(np.column_stack(self.words), axis=0, return_inverse=True)
            patterns = [
                [bool(int(row[k // 64]) >> (k % 64) & 1) for k in range(count)]
                for row in rows.tolist()
            ]
            return patterns, inverse.reshape(-1)
        codes = self.words[0]
        if self.kind in (np.uint8, np.uint16):
            # Few bits: count the codes instead of sorting them.
            present = np.flatnonzero(np.bincount(codes, minlength=1))
            lookup = np.zeros(1 << (8 * self.kind(0).itemsize), dtype=np.int64)
            lookup[present] = np.arange(len(present))
            groups, inverse = present, take(lookup, codes)
        else:
            groups, inverse = np.unique(codes, return_inverse=True)
        patterns = [[bool(code >> k & 1) for k in range(count)] for code in groups.tolist()]
        return patterns, inverse.reshape(-1)

    def finish(self) -> Outcome:
        plan = self.plan
        patterns, inverse = self._groups()
        table: list[Any] = []
        value_of: list[int] = []
        rule_of: list[int] = []
        broken: list[bool] = []
        position = {rule_id: k for k, rule_id in enumerate(plan.rule_ids)}
        for pattern in patterns:
            subset = [
                (rule, value)
                for (_, rule, value), hit in zip(plan.contributions, pattern, strict=True)
                if hit
            ]
            try:
                outcome: DirectiveOutcome = combine(plan.directive, subset)
            except EvaluationError:
                broken.append(True)
                value_of.append(-1)
                rule_of.append(-1)
                continue
            broken.append(False)
            value_of.append(len(table))
            table.append(outcome.value)
            rule_of.append(-1 if outcome.rule is None else position[outcome.rule])
        choice = inverse.astype(_entry_dtype(len(patterns) + 1))
        failed = take(np.array(broken, dtype=np.bool_), choice) if any(broken) else None
        return Outcome(choice, [*value_of, -1], [*rule_of, -1], table, plan.rule_ids, failed)


Tally: TypeAlias = "RankTally | GroupTally"
"""What a directive keeps of the flags it has seen."""


def value_dtype(directive: Directive) -> str:
    """How a directive's values are held in the decisions frame.

    ``category`` for text and enum directives (ordered categories for enum directives),
    ``boolean`` and ``Int64`` (pandas' nullable types) for bool and int, ``object`` for decimal
    directives (`decimal.Decimal` values) and ``collect`` directives (tuples).

    Examples:
        >>> from crmculture import Directive
        >>> value_dtype(Directive.bool("may_ship", default=True)), value_dtype(
        ...     Directive.enum("level", ["standard", "priority"], combine="max"))
        ('boolean', 'category')
    """
    if directive.collects or directive.type == "decimal":
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
    """The categories of a text or enum directive's column (ordered for enum ones)."""
    return pd.CategoricalDtype(categories, ordered=directive.type == "enum")


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
        choice: np.ndarray[Any, Any] = np.zeros(length, dtype=np.uint8)
        value_of = [-1]
        table: list[Any] = []
    else:
        choice, value_of, table = outcome.choice, outcome.value_of, outcome.table
    if kind == "category":
        where = {value: k for k, value in enumerate(categories)}
        codes = [-1 if k < 0 else where[table[k]] for k in value_of]
        if dtype is None:
            dtype = category_dtype(directive, categories)
        return pd.Categorical.from_codes(
            take(np.array(codes, dtype=_code_dtype(len(categories))), choice),
            dtype=dtype,
            validate=False,
        )
    missing = _missing([k < 0 for k in value_of], choice)
    if kind == "boolean":
        flags = np.array([k >= 0 and bool(table[k]) for k in value_of], dtype=np.bool_)
        return pd.arrays.BooleanArray(take(flags, choice), missing)
    if kind == "Int64" and all(-(2**63) <= value < 2**63 for value in table):
        ints = np.array([table[k] if k >= 0 else 0 for k in value_of], dtype=np.int64)
        return pd.arrays.IntegerArray(take(ints, choice), missing)
    objects = np.empty(len(value_of), dtype=object)
    for entry, k in enumerate(value_of):
        objects[entry] = table[k] if k >= 0 else None
    return objects[choice]


def _missing(missing: list[bool], choice: np.ndarray[Any, Any]) -> BoolArray:
    """Per row, whether its entry is missing; one comparison when only the last entries are."""
    first = len(missing)
    while first and missing[first - 1]:
        first -= 1
    if not any(missing[:first]):
        return _bool(choice >= first)
    return _bool(take(np.array(missing, dtype=np.bool_), choice))


def rules_column(
    outcome: Outcome | None,
    rule_ids: list[str],
    length: int,
    dtype: pd.CategoricalDtype | None = None,
) -> Any:
    """The pandas array of the determining rule ids; missing for defaults and failed rows."""
    if dtype is None:
        dtype = pd.CategoricalDtype(rule_ids)
    code_type = _code_dtype(len(rule_ids))
    if outcome is None:
        return pd.Categorical.from_codes(np.full(length, -1, dtype=code_type), dtype=dtype)
    where = {rule_id: k for k, rule_id in enumerate(rule_ids)}
    codes = [-1 if k < 0 else where[outcome.rule_ids[k]] for k in outcome.rule_of]
    return pd.Categorical.from_codes(
        take(np.array(codes, dtype=code_type), outcome.choice), dtype=dtype, validate=False
    )


def failed_rows(outcomes: Sequence[Outcome], length: int) -> BoolArray:
    """The rows where some directive failed."""
    failed = np.zeros(length, dtype=np.bool_)
    for outcome in outcomes:
        if outcome.failed is not None:
            failed |= outcome.failed
    return failed


def constants(policy: Policy) -> dict[str, list[Any]]:
    """Per fact, its default and every constant the policy's rules compare it with."""
    found: dict[str, list[Any]] = {
        fact.name: [] if fact.default is NO_DEFAULT else [fact.default] for fact in policy.schema
    }
    for rule in policy.effective_rules:
        for node in rule.when.walk():
            if isinstance(node, Compare):
                found[node.fact].append(node.value)
            elif isinstance(node, In):
                found[node.fact].extend(node.values)
            elif isinstance(node, Between):
                found[node.fact].extend((node.low, node.high))
            elif isinstance(node, Missing | Const | And | Or | Not):
                continue  # no constant here (the walk reaches the operators' items)
            else:
                assert_never(node)
    return found


def scales(policy: Policy) -> dict[str, int]:
    """Per decimal fact, the most digits after the point among the constants the policy
    compares it with, its bounds and its default."""
    compared = constants(policy)
    return {
        fact.name: max(
            [
                decimal_places(c)
                for c in [fact.min, fact.max, *compared[fact.name]]
                if isinstance(c, Decimal | int) and not isinstance(c, bool)
            ]
            or [0]
        )
        for fact in policy.schema
        if fact.type == "decimal"
    }
