"""Deciding a whole frame of customers at once: `decide_frame`, `FramePlan`, `FrameDecisions`.

One row is one customer, one column one fact. The answer is a pandas DataFrame with the input's
index and row order: one column per directive (its value) and one ``<directive>.rule`` column
per directive (the id of the rule that determined the value, missing when the default did).
Rows that cannot be decided are never dropped and never half-evaluated: their values are
missing, and an *errors frame* lists every problem of every such row, indexed like the input.
"""

from __future__ import annotations

import datetime as dt
import threading
import warnings
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Literal, NamedTuple, TypeAlias, overload

import attrs
import numpy as np
import pandas as pd
import pyarrow as pa

from crmculture.batch.columns import FactColumn, Source, cells, read_fact, source_of
from crmculture.batch.plan import (
    Conditions,
    DirectivePlan,
    Scratch,
    category_dtype,
    constants,
    failed_rows,
    possible_values,
    rule_column,
    rules_column,
    scales,
    value_dtype,
    values_column,
)
from crmculture.errors import (
    BatchError,
    CrmCultureError,
    EvaluationError,
    InvalidCustomer,
    Problem,
)
from crmculture.evaluate.compiler import CompiledPolicy
from crmculture.evaluate.many import OnError
from crmculture.evaluate.reference import check_as_of, check_department
from crmculture.model.conditions import Atom, Condition
from crmculture.model.policies import Policy, require_policy

__all__ = [
    "ERROR_COLUMNS",
    "Frame",
    "FrameDecisions",
    "FrameError",
    "FramePlan",
    "FrameRun",
    "PlanCacheInfo",
    "decide_frame",
    "shared_plan",
    "shared_plan_info",
]

Frame: TypeAlias = "pd.DataFrame | pa.Table | pa.RecordBatch"
"""What `decide_frame` reads: a pandas DataFrame, or an Arrow table or record batch (polars and
other Arrow-speaking frames convert with ``pyarrow.table(frame)``)."""

ERROR_COLUMNS = ("error", "path", "message")
"""The columns of an errors frame: the error's class name (``InvalidCustomer``,
``ConflictError``, ``UndecidedError``), where the problem is (``customer.<fact>`` or
``decision.<directive>``), and the message the per-record evaluator gives."""


class FrameError(BatchError):
    """Some rows of a frame could not be decided; nothing was half-evaluated.

    Attributes:
        failures: One error per failed row, in row order: an `crmculture.InvalidCustomer` (with
            every problem of the row) or a `crmculture.EvaluationError`; each error's
            ``index`` is the row's index label when labels are integers, else its position.
        decisions: The decisions frame, with missing values in the failed rows.
        errors: The errors frame (see `ERROR_COLUMNS`), indexed by the failed rows' labels.
        labels: The index label of each failed row.
        rows: How many rows were decided (the failed ones included).
        results: Empty: a frame's decisions are the `decisions` frame, not a list.
    """

    def __init__(
        self,
        failures: Sequence[CrmCultureError],
        decisions: pd.DataFrame,
        errors: pd.DataFrame,
        labels: Sequence[object],
        *,
        rows: int | None = None,
    ) -> None:
        self.rows = len(decisions) if rows is None else rows
        self.failures = tuple(failures)
        self.results = ()
        self.decisions = decisions
        self.errors = errors
        self.labels = tuple(labels)
        lines = [f"{len(self.failures)} of {self.rows} rows could not be decided"]
        lines.extend(
            f"  - row {label}: {error}"
            for label, error in zip(self.labels, self.failures, strict=True)
        )
        CrmCultureError.__init__(self, "\n".join(lines))

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_frame_error,
            (self.failures, self.decisions, self.errors, self.labels, self.rows),
        )


def _rebuild_frame_error(
    failures: Sequence[CrmCultureError],
    decisions: pd.DataFrame,
    errors: pd.DataFrame,
    labels: Sequence[object],
    rows: int,
) -> FrameError:
    return FrameError(failures, decisions, errors, labels, rows=rows)


@attrs.frozen(eq=False)
class FrameDecisions:
    """The answer of ``decide_frame(..., on_error="report")``.

    Attributes:
        decisions: One row per input row, in input order, with the input's index; the rows
            that could not be decided have missing values.
        errors: One row per problem (see `ERROR_COLUMNS`), indexed by the failed rows' labels;
            empty when every row was decided.
    """

    decisions: pd.DataFrame
    errors: pd.DataFrame

    @property
    def failed(self) -> pd.Index:
        """The index labels of the rows that could not be decided, each once, in row order."""
        return self.errors.index.unique()


class FrameRun(NamedTuple):
    """Everything `FramePlan.run` found about a frame."""

    decisions: pd.DataFrame
    """The decisions frame; failed rows have missing values."""
    errors: pd.DataFrame
    """The errors frame."""
    failures: list[CrmCultureError]
    """One error per failed row, in row order."""
    labels: list[object]
    """The index label of each failed row."""
    rows: list[int]
    """The position of each failed row."""


class _Input:
    """A frame's columns by name, its index and its length."""

    def __init__(self, frame: object, first_row: int = 0) -> None:
        if isinstance(frame, pd.DataFrame):
            names = [str(name) if not isinstance(name, str) else name for name in frame.columns]
            self.index: pd.Index = frame.index
            self.frame: pd.DataFrame | pa.Table = frame
        else:
            if isinstance(frame, pa.RecordBatch):
                table = pa.Table.from_batches([frame])
            elif isinstance(frame, pa.Table):
                table = frame
            elif hasattr(frame, "__arrow_c_stream__"):
                table = pa.table(frame)
            else:
                raise TypeError(
                    f"expected a pandas DataFrame or an Arrow table, got {type(frame).__name__}"
                )
            names = list(table.column_names)
            self.index = pd.RangeIndex(first_row, first_row + table.num_rows)
            self.frame = table
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"column `{repeated[0]}` appears more than once")
        self.names = names
        self.length = len(self.index)
        self._sources: dict[str, Source] = {}

    def source(self, name: str) -> Source:
        if name not in self._sources:
            frame = self.frame
            if isinstance(frame, pd.DataFrame):
                position = self.names.index(name)
                self._sources[name] = source_of(frame.iloc[:, position])
            else:
                self._sources[name] = source_of(frame.column(name))
        return self._sources[name]

    def carried(self, name: str) -> Any:
        frame = self.frame
        if isinstance(frame, pd.DataFrame):
            return frame.iloc[:, self.names.index(name)].array
        return frame.column(name).to_pandas().array


class _Step(NamedTuple):
    """One in-scope rule, as deciding a frame visits it."""

    condition: Condition
    """The rule's condition."""
    effects: list[tuple[int, int]]
    """(directive position, contribution number) for every directive the rule sets."""
    done: list[Atom]
    """The atoms no later step consults: dropped after this one."""


def _steps(policy: Policy, directives: Sequence[DirectivePlan]) -> list[_Step]:
    """The in-scope rules that set some directive, in order, with their effects."""
    effects: dict[int, list[tuple[int, int]]] = {}
    for position, plan in enumerate(directives):
        for k, (j, _, _) in enumerate(plan.contributions):
            effects.setdefault(j, []).append((position, k))
    rules = policy.effective_rules
    order = sorted(effects)
    last: dict[Atom, int] = {}
    for step, j in enumerate(order):
        for node in rules[j].when.walk():
            if isinstance(node, Atom):
                last[node] = step
    done: dict[int, list[Atom]] = {}
    for atom, step in last.items():
        done.setdefault(step, []).append(atom)
    return [_Step(rules[j].when, effects[j], done.get(step, [])) for step, j in enumerate(order)]


class FramePlan:
    """A policy prepared for deciding frames when one department asks; reuse it across frames.

    It pickles as its policy and department, and unpickles through `shared_plan`: a process
    that receives the same plan many times (a Dask worker, a process pool, Spark executors)
    prepares it once.

    Args:
        policy: The policy.
        department: The department that asks, or None; rules outside its scope never match.
        as_of: The date the frame is decided for (the same for every row), or None; a policy
            that uses it (`crmculture.Policy.uses_as_of`) is decided as ``policy.at(as_of)``.

    Raises:
        UnknownDepartmentError: for a department the policy does not declare.
        AsOfRequiredError: when the policy uses the as-of date and `as_of` is None.

    Examples:
        >>> import pandas as pd
        >>> from crmculture.stories import acme_policy
        >>> plan = FramePlan(acme_policy(), department="sales")
        >>> frame = pd.DataFrame({"credit_hold": [False, False], "days_overdue": [0, 0],
        ...                       "annual_volume": [1, 300_000], "tier": ["gold", "silver"]})
        >>> plan.decide(frame)[["service_level", "service_level.rule"]]
          service_level        service_level.rule
        0   white_glove            best-customers
        1      priority  high-volume-pays-on-time
    """

    __slots__ = (
        "_categories",
        "_constants",
        "_directives",
        "_evaluator",
        "_rule_dtypes",
        "_rule_ids",
        "_scales",
        "_steps",
        "_value_dtypes",
        "_written",
        "as_of",
        "department",
        "policy",
    )

    def __init__(
        self, policy: Policy, department: str | None = None, *, as_of: dt.date | None = None
    ) -> None:
        check_department(policy, department)
        check_as_of(policy, as_of)
        self._written = policy
        self.as_of = as_of
        if as_of is not None:
            policy = policy.at(as_of)  # what the columns compute; rule ids line up
        self.policy = policy
        self.department = department
        in_scope = [
            (j, rule)
            for j, rule in enumerate(policy.effective_rules)
            if rule.applies_to(department)
        ]
        self._directives = [DirectivePlan(d, in_scope) for d in policy.directives]
        self._steps = _steps(policy, self._directives)
        self._evaluator: CompiledPolicy | None = None
        self._scales = scales(policy)
        self._constants = constants(policy)
        self._categories = [possible_values(d, policy) for d in policy.directives]
        # Every rule that can set a directive (in any department), so that frames decided for
        # different departments share their column types.
        self._rule_ids = [
            [rule.id for rule in policy.effective_rules if d.name in dict(rule.then)]
            for d in policy.directives
        ]
        self._value_dtypes = [
            category_dtype(d, categories) if value_dtype(d) == "category" else None
            for d, categories in zip(policy.directives, self._categories, strict=True)
        ]
        self._rule_dtypes = [pd.CategoricalDtype(ids) for ids in self._rule_ids]

    def __repr__(self) -> str:
        return f"FramePlan(policy={self.policy.name!r}, department={self.department!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        if self.as_of is None:
            return (shared_plan, (self._written, self.department))
        return (shared_plan, (self._written, self.department, self.as_of))

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns of a decisions frame: every directive, then every ``.rule`` column."""
        names = [d.name for d in self.policy.directives]
        return (*names, *(rule_column(name) for name in names))

    def empty(self, index: pd.Index | None = None) -> pd.DataFrame:
        """A decisions frame without rows, with the column types of every decisions frame."""
        return self._frame(pd.RangeIndex(0) if index is None else index, None, {})

    def _frame(
        self,
        index: pd.Index,
        outcomes: Sequence[Any] | None,
        carried: dict[str, Any],
        failed: np.ndarray[Any, Any] | None = None,
    ) -> pd.DataFrame:
        length = len(index)
        data: dict[str, Any] = dict(carried)
        rule_data: dict[str, Any] = {}
        for position, directive in enumerate(self.policy.directives):
            outcome = None if outcomes is None else outcomes[position]
            if outcome is not None and failed is not None:
                outcome.fail(failed)
            data[directive.name] = values_column(
                directive,
                self._categories[position],
                outcome,
                length,
                self._value_dtypes[position],
            )
            rule_data[rule_column(directive.name)] = rules_column(
                outcome, self._rule_ids[position], length, self._rule_dtypes[position]
            )
        data.update(rule_data)
        return pd.DataFrame(data, index=index, copy=False)

    @overload
    def decide(
        self,
        frame: Frame,
        *,
        on_error: Literal["raise"] = "raise",
        keep: Iterable[str] = (),
        passthrough: Iterable[str] | None = None,
    ) -> pd.DataFrame: ...

    @overload
    def decide(
        self,
        frame: Frame,
        *,
        on_error: Literal["report"],
        keep: Iterable[str] = (),
        passthrough: Iterable[str] | None = None,
    ) -> FrameDecisions: ...

    def decide(
        self,
        frame: Frame,
        *,
        on_error: OnError = "raise",
        keep: Iterable[str] = (),
        passthrough: Iterable[str] | None = None,
    ) -> pd.DataFrame | FrameDecisions:
        """Decide every row of `frame`; see `decide_frame`."""
        if on_error not in ("raise", "report"):
            raise ValueError(f"on_error must be `raise` or `report`, not `{on_error}`")
        run = self.run(frame, kept_fields(keep, passthrough))
        if on_error == "report":
            return FrameDecisions(run.decisions, run.errors)
        if run.failures:
            raise FrameError(run.failures, run.decisions, run.errors, run.labels)
        return run.decisions

    def run(self, frame: Frame, passthrough: Iterable[str] = (), *, first_row: int = 0) -> FrameRun:
        """Decide every row, and return the decisions, the errors frame and every failure.

        Arrow input has no index: its rows are numbered from `first_row`.
        """
        source = _Input(frame, first_row)
        carried_names = list(passthrough)
        for name in carried_names:
            if name not in source.names:
                raise ValueError(f"passthrough column `{name}` is not in the frame")
            if name in self.columns:
                raise ValueError(f"passthrough column `{name}` has the name of a decision column")
        schema = self.policy.schema
        length = source.length
        unknown = [
            name for name in source.names if name not in schema and name not in carried_names
        ]
        columns: dict[str, FactColumn] = {
            fact.name: read_fact(
                fact,
                source.source(fact.name) if fact.name in source.names else None,
                length,
                self._scales.get(fact.name, 0),
                self._constants[fact.name],
            )
            for fact in schema
        }
        invalid = np.zeros(length, dtype=np.bool_)
        for column in columns.values():
            if column.bad is not None:
                invalid |= column.bad
        if unknown:
            invalid[:] = True
        conditions = Conditions(columns, length)
        scratch = Scratch(length)
        tallies = [plan.tally(length, scratch) for plan in self._directives]
        for step in self._steps:
            flag = conditions(step.condition)
            for position, k in step.effects:
                tallies[position].add(k, flag)
            conditions.forget(step.done)
        outcomes = [tally.finish() for tally in tallies]
        failed = failed_rows(outcomes, length)
        evaluation_rows = np.flatnonzero(failed & ~invalid)
        failed |= invalid
        any_failed = bool(failed.any())
        carried = {name: source.carried(name) for name in carried_names}
        decisions = self._frame(source.index, outcomes, carried, failed if any_failed else None)
        failures: list[tuple[int, CrmCultureError]] = []
        if len(evaluation_rows):
            failures.extend(self._undecided(source, evaluation_rows))
        if invalid.any():
            failures.extend(self._invalid(source, np.flatnonzero(invalid), carried_names))
            failures.sort(key=lambda item: item[0])
        labels = [source.index[row] for row, _ in failures]
        errors = _errors_frame(failures, labels, source.index)
        return FrameRun(
            decisions,
            errors,
            [error for _, error in failures],
            labels,
            [row for row, _ in failures],
        )

    def _undecided(
        self, source: _Input, rows: np.ndarray[Any, Any]
    ) -> list[tuple[int, CrmCultureError]]:
        """The errors of valid rows that some directive could not decide: the per-record
        evaluator's own, which names the first failing directive in declared order."""
        if self._evaluator is None:
            self._evaluator = self.policy.compile()
        positions = [int(row) for row in rows]
        names = [name for name in self.policy.schema.names if name in source.names]
        results = self._evaluator.decide_many(
            _records(source, positions, names), self.department, on_error="report"
        )
        found: list[tuple[int, CrmCultureError]] = []
        for row, result in zip(positions, results, strict=True):
            if not isinstance(result, EvaluationError):
                raise AssertionError(f"row {row} failed column-wise but not record by record")
            result.index = _number(source.index[row], row)
            found.append((row, result))
        return found

    def _invalid(
        self, source: _Input, rows: np.ndarray[Any, Any], carried: list[str]
    ) -> list[tuple[int, CrmCultureError]]:
        """Every problem of the invalid rows, as `crmculture.Schema.problems` words them."""
        positions = [int(row) for row in rows]
        names = [name for name in source.names if name not in carried]
        found: list[tuple[int, CrmCultureError]] = []
        for row, record in zip(positions, _records(source, positions, names), strict=True):
            _, problems = self.policy.schema.problems(record)
            if not problems:
                raise AssertionError(f"row {row} failed column-wise but not record by record")
            label = source.index[row]
            summary = f"invalid customer at index {label}"
            found.append((row, InvalidCustomer(summary, problems, index=_number(label, row))))
        return found


SHARED_PLANS = 8
"""How many prepared plans `shared_plan` keeps per process (the most recently used)."""


class PlanCacheInfo(NamedTuple):
    """What `shared_plan` did in this process so far."""

    hits: int
    """Calls answered with a plan prepared before."""
    prepared: int
    """Plans prepared (calls that found none)."""
    kept: int
    """Plans kept now (at most `SHARED_PLANS`)."""


_shared: OrderedDict[tuple[str, str | None, dt.date | None], FramePlan] = OrderedDict()
_shared_lock = threading.Lock()
_shared_counts = [0, 0]


def shared_plan(
    policy: Policy, department: str | None = None, as_of: dt.date | None = None
) -> FramePlan:
    """The `FramePlan` of a policy and department, prepared at most once per process while it
    is among the `SHARED_PLANS` most recently used.

    Plans are keyed by the policy's fingerprint and the department, so equal policies share
    one plan, however they arrived (plans unpickle through this function). Thread-safe: two
    threads asking at once for a plan not yet kept may both prepare it, and both get the one
    kept first; plans are never changed by deciding, so threads share them.

    Examples:
        >>> from crmculture.stories import acme_policy
        >>> shared_plan(acme_policy(), "sales") is shared_plan(acme_policy(), "sales")
        True
    """
    key = (policy.fingerprint, department, as_of)
    with _shared_lock:
        plan = _shared.get(key)
        if plan is not None:
            _shared.move_to_end(key)
            _shared_counts[0] += 1
            return plan
    prepared = FramePlan(policy, department, as_of=as_of)  # outside the lock: milliseconds
    with _shared_lock:
        plan = _shared.setdefault(key, prepared)
        _shared.move_to_end(key)
        _shared_counts[1] += 1
        while len(_shared) > SHARED_PLANS:
            _shared.popitem(last=False)
    return plan


def shared_plan_info() -> PlanCacheInfo:
    """How often `shared_plan` found a plan, how many it prepared, and how many it keeps.

    Examples:
        >>> from crmculture.stories import acme_policy
        >>> before = shared_plan_info()
        >>> _ = shared_plan(acme_policy(), "engineering")
        >>> _ = shared_plan(acme_policy(), "engineering")
        >>> after = shared_plan_info()
        >>> after.hits - before.hits >= 1 and after.prepared - before.prepared <= 1
        True
    """
    with _shared_lock:
        return PlanCacheInfo(_shared_counts[0], _shared_counts[1], len(_shared))


def _records(source: _Input, rows: list[int], names: list[str]) -> Iterator[dict[str, Any]]:
    """Some rows of a frame as customer records (absent values as None), one at a time."""
    values = {name: cells(source.source(name), rows) for name in names}
    for k in range(len(rows)):
        yield {name: values[name][k] for name in names}


def _number(label: object, row: int) -> int:
    """What a failure's ``index`` holds: the row's label when it is an integer, else its
    position."""
    if isinstance(label, int | np.integer) and not isinstance(label, bool):
        return int(label)
    return row


def _errors_frame(
    failures: Sequence[tuple[int, CrmCultureError]], labels: Sequence[object], index: pd.Index
) -> pd.DataFrame:
    rows: list[int] = []
    kinds: list[str] = []
    paths: list[str] = []
    messages: list[str] = []
    for (row, error), _label in zip(failures, labels, strict=True):
        problems: Iterable[Problem]
        if isinstance(error, InvalidCustomer):
            problems = error.problems
        else:
            directive = getattr(error, "directive", "")
            problems = [Problem(("decision", directive), str(error))]
        for problem in problems:
            rows.append(row)
            kinds.append(type(error).__name__)
            paths.append(problem.path_text)
            messages.append(problem.message)
    name = index.name if index.name is not None else "row"
    return pd.DataFrame(
        {
            "error": pd.array(kinds, dtype="string"),
            "path": pd.array(paths, dtype="string"),
            "message": pd.array(messages, dtype="string"),
        },
        index=index.take(rows).rename(name),
    )


def kept_fields(keep: Iterable[str], passthrough: Iterable[str] | None) -> tuple[str, ...]:
    """The kept fields of a call that may still use the deprecated name ``passthrough=``.

    Examples:
        >>> kept_fields(["customer_id"], None)
        ('customer_id',)
    """
    if passthrough is None:
        return tuple(keep)
    warnings.warn(
        "`passthrough=` is now `keep=`, the name the command line (--keep), the decision log "
        "and the service use; `passthrough=` will be removed",
        DeprecationWarning,
        stacklevel=3,
    )
    if tuple(keep):
        raise TypeError("give `keep=` or the deprecated `passthrough=`, not both")
    return tuple(passthrough)


@overload
def decide_frame(
    policy: Policy,
    frame: Frame,
    department: str | None = None,
    *,
    on_error: Literal["raise"] = "raise",
    keep: Iterable[str] = (),
    passthrough: Iterable[str] | None = None,
    as_of: dt.date | None = None,
) -> pd.DataFrame: ...


@overload
def decide_frame(
    policy: Policy,
    frame: Frame,
    department: str | None = None,
    *,
    on_error: Literal["report"],
    keep: Iterable[str] = (),
    passthrough: Iterable[str] | None = None,
    as_of: dt.date | None = None,
) -> FrameDecisions: ...


def decide_frame(
    policy: Policy,
    frame: Frame,
    department: str | None = None,
    *,
    on_error: OnError = "raise",
    keep: Iterable[str] = (),
    passthrough: Iterable[str] | None = None,
    as_of: dt.date | None = None,
) -> pd.DataFrame | FrameDecisions:
    """Decide every customer of a frame at once, column by column, as the per-record evaluator
    would decide each row.

    Args:
        policy: The policy.
        frame: One row per customer, one column per fact: a pandas DataFrame or an Arrow table.
            Missing values (null, None, NaN, ``pd.NA``, NaT) count as absent facts.
        department: The department that asks, or None.
        on_error: ``"raise"`` raises a `FrameError` listing every problem of every row that
            cannot be decided; ``"report"`` returns a `FrameDecisions` with the decisions and
            the errors frame.
        keep: Columns that are not facts (a customer id) to copy into the decisions frame
            unchecked, first, as the command line's ``--keep``, the decision log and the
            service keep them; any other column that is not a fact is an unknown fact.
        passthrough: The former name of `keep`; deprecated.
        as_of: The date every row is decided for, or None (see `FramePlan`).

    Returns:
        The decisions frame (with ``on_error="report"``, inside a `FrameDecisions`): the
        input's index and order; per directive a column with its value (see
        `crmculture.batch.plan.value_dtype`) and a ``<directive>.rule`` column with the id of
        the rule that determined it, missing when the default did. Rows that could not be
        decided have every value missing.

    Raises:
        FrameError: with ``on_error="raise"``, when some row is invalid (`InvalidCustomer`),
            conflicts on a ``unique`` directive (`ConflictError`) or leaves a directive without
            default undecided (`UndecidedError`).
        UnknownDepartmentError: for a department the policy does not declare.
        AsOfRequiredError: when the policy uses the as-of date and `as_of` is None.

    Examples:
        >>> import pandas as pd
        >>> from crmculture.stories import acme_policy
        >>> frame = pd.DataFrame({"credit_hold": [True, False, False],
        ...                       "days_overdue": [0, 12, -3],
        ...                       "annual_volume": [1, 20_000, 900_000],
        ...                       "tier": ["gold", "bronze", "diamond"]})
        >>> report = decide_frame(acme_policy(), frame, on_error="report")
        >>> report.decisions[["route_to", "route_to.rule", "may_ship"]]
                      route_to route_to.rule  may_ship
        0  accounts_receivable   credit-hold     False
        1            frontline           NaN      True
        2                  NaN           NaN      <NA>
        >>> for row, problem in report.errors.iterrows():
        ...     print(row, problem["error"], problem["path"], sep=" | ")
        2 | InvalidCustomer | customer.days_overdue
        2 | InvalidCustomer | customer.tier
        >>> report.errors["message"].iloc[0]
        '`-3` is below the minimum 0'
    """
    policy = require_policy(policy, "policy")
    plan = FramePlan(policy, department, as_of=as_of)
    return plan.decide(frame, on_error=on_error, keep=kept_fields(keep, passthrough))
