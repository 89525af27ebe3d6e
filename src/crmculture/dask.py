"""Deciding a Dask DataFrame, or Parquet files on a cluster; needs the ``dask`` extra.

Install it with ``pip install 'crmculture[dask]'``. Two entry points run the columnar evaluator
of `crmculture.batch` on Dask, whatever the scheduler: a laptop's threads, a
`distributed.LocalCluster` or a real cluster reached with ``distributed.Client(address)``.

- `decide_dask` maps it over the partitions of a Dask DataFrame (``map_partitions`` with an
  explicit ``meta``), lazily: the result is a Dask DataFrame, to compute, persist or write.
- `decide_dask_parquet` decides Parquet files into a directory of Parquet files: one task per
  piece of at most `PARTITION_ROWS` rows reads its row groups, decides them in batches and
  writes its own part file, as `crmculture.batch.decide_parquet` does in one process. Only
  row counts and errors come back to the caller. From Parquet to Parquet it is several times
  faster than ``decide_dask(policy, dd.read_parquet(...)).to_parquet(...)``, whose conversion
  of the decisions to Arrow in ``to_parquet`` costs more than deciding.

The plan travels once per worker, not once per task: the task graph holds it in one node
(`shipped_plan`), on which every task depends; a worker gets it once (from the graph or from
another worker) and its tasks share it. A plan unpickles through
`crmculture.batch.frames.shared_plan`, so a process prepares a policy's plan once however often
it receives it. `decide_dask_parquet`'s tasks are marked as producing data, as the tasks of
Dask's readers are, so that the distributed scheduler spreads them over the workers rather than
sending them all to the one that holds the plan.

Rows that cannot be decided:

- ``on_error="raise"`` (the default): computing `decide_dask`'s result raises the
  `crmculture.batch.FrameError` of the first partition with a bad row, listing every problem
  of that partition's bad rows; `decide_dask_parquet` raises one `crmculture.batch.FrameError`
  listing every bad row of every file, and writes no decisions;
- ``on_error="report"``: `decide_dask`'s result has one more column, `ERROR_COLUMN`, holding
  for each bad row the full error text (every problem, as the per-record evaluator words it)
  and missing for the rows that were decided; `decide_dask_parquet` writes every row and lists
  the bad rows' problems in an errors file, as `crmculture.batch.decide_parquet` does.
"""

from __future__ import annotations

try:
    import dask.dataframe as dd
except ImportError as error:  # pragma: no cover - exercised without the extra installed
    raise ImportError(
        "crmculture.dask needs dask: install the extra with `pip install 'crmculture[dask]'`"
    ) from error

import datetime as dt
import inspect
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from dask.base import compute, tokenize
from dask.delayed import Delayed, delayed

try:
    from dask._task_spec import DataNode, Task, TaskRef

    _MARKS_PRODUCERS = "_data_producer" in inspect.signature(Task).parameters
except ImportError:  # pragma: no cover - dask before the task spec (2024.12)
    _MARKS_PRODUCERS = False

from crmculture.batch.frames import FrameError, FramePlan, kept_fields, shared_plan
from crmculture.batch.parquet import (
    ERRORS_SCHEMA,
    ParquetSummary,
    StrPath,
    _errors_table,
    _to_arrow,
    decisions_schema,
)
from crmculture.errors import CrmCultureError
from crmculture.evaluate.many import OnError
from crmculture.model.policies import Policy, require_policy

__all__ = [
    "ERROR_COLUMN",
    "PARTITION_ROWS",
    "decide_dask",
    "decide_dask_parquet",
    "decide_partition",
    "parquet_schema",
    "shipped_plan",
]

ERROR_COLUMN = "decision.error"
"""The column of ``on_error="report"`` results holding each bad row's error text (no directive
can be called that: ``decision`` is a reserved word)."""

PARTITION_ROWS = 1_000_000
"""How many rows `decide_dask_parquet` gives one task, at most (a row group is never split).

Besides its rows, a task costs a few milliseconds (scheduling it, opening its file, starting a
Parquet writer): from 125,000 to 2,000,000 rows per task, one worker's throughput was the same
within 3% (see ``benchmarks/dask_scaling.py --sweep``). Larger tasks do not use more memory,
since a task decides its rows in batches of ``batch_size``, but they balance the workers less
well near the end. A million rows is about half a second of work on one core: few part files,
and ten tasks to spread over the workers for a source of ten million rows.
"""


def shipped_plan(
    policy: Policy, department: str | None = None, as_of: dt.date | None = None
) -> Delayed:
    """The plan for `policy` and `department` as one node of a Dask task graph.

    Tasks that take it as an argument depend on that node instead of each embedding a
    pickled plan, so a worker receives the plan once and its tasks share it. The node's key is
    derived from the policy's fingerprint and the department: two graphs deciding with the same
    policy share it.

    Examples:
        >>> from crmculture.stories import acme_policy
        >>> node = shipped_plan(acme_policy(), "sales")
        >>> node.key == shipped_plan(acme_policy(), "sales").key
        True
        >>> node.compute(scheduler="sync")
        FramePlan(policy='acme', department='sales')
    """
    plan = shared_plan(policy, department, as_of)
    name = f"crmculture-plan-{tokenize(policy.fingerprint, department, as_of)}"
    node: Delayed = delayed(plan, name=name, pure=True)
    return node


def decide_partition(
    partition: pd.DataFrame,
    plan: FramePlan,
    on_error: OnError = "raise",
    passthrough: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Decide one partition; what `decide_dask` maps over the partitions.

    Examples:
        >>> from crmculture.stories import acme_policy
        >>> plan = FramePlan(acme_policy())
        >>> part = pd.DataFrame({"credit_hold": [False], "days_overdue": [-3],
        ...                      "annual_volume": [1], "tier": ["gold"]})
        >>> print(decide_partition(part, plan, "report")[ERROR_COLUMN][0])
        invalid customer at index 0: customer.days_overdue: `-3` is below the minimum 0
    """
    if on_error == "raise":
        return plan.decide(partition, keep=passthrough)
    if on_error != "report":
        raise ValueError(f"on_error must be `raise` or `report`, not `{on_error}`")
    run = plan.run(partition, passthrough)
    texts: list[str | None] = [None] * len(run.decisions)
    for row, failure in zip(run.rows, run.failures, strict=True):
        texts[row] = str(failure)
    decisions = run.decisions
    decisions[ERROR_COLUMN] = pd.array(texts, dtype="string")
    return decisions


def decide_dask(
    policy: Policy,
    frame: dd.DataFrame,
    department: str | None = None,
    *,
    on_error: OnError = "raise",
    keep: Iterable[str] = (),
    passthrough: Iterable[str] | None = None,
    as_of: dt.date | None = None,
) -> dd.DataFrame:
    """Decide every customer of a Dask DataFrame, lazily, partition by partition.

    Each partition is one task, and deciding has a fixed cost per task: give partitions of a
    few hundred thousand rows or more (`PARTITION_ROWS` says why), with
    ``frame.repartition(npartitions=...)`` if need be. To go from Parquet files to Parquet
    files, `decide_dask_parquet` is faster.

    Args:
        policy: The policy.
        frame: One row per customer, one column per fact (as for
            `crmculture.batch.decide_frame`).
        department: The department that asks, or None.
        on_error: ``"raise"``: computing raises the first bad partition's
            `crmculture.batch.FrameError`; ``"report"``: bad rows get their error text in
            `ERROR_COLUMN`.
        keep: Columns that are not facts (a customer id) to copy into the result, first, as
            the command line's ``--keep``, the decision log and the service keep them.
        passthrough: The former name of `keep`; deprecated.
        as_of: The date every row is decided for, or None (see `crmculture.batch.FramePlan`).

    Returns:
        A lazy Dask DataFrame with the input's index and partitions, and the columns of
        `crmculture.batch.decide_frame`'s result. Its tasks share one plan (`shipped_plan`).

    Raises:
        UnknownDepartmentError: at once, for a department the policy does not declare.

    Examples:
        >>> import dask.dataframe as dd
        >>> from crmculture.stories import acme_policy
        >>> customers = pd.DataFrame({"credit_hold": [True, False, False, False],
        ...                           "days_overdue": [0, 75, 3, 0],
        ...                           "annual_volume": [1, 20_000, 900_000, 10],
        ...                           "tier": ["gold", "bronze", "silver", "gold"]})
        >>> lazy = decide_dask(acme_policy(), dd.from_pandas(customers, npartitions=2))
        >>> lazy.compute(scheduler="sync")["route_to"].tolist()
        ['accounts_receivable', 'accounts_receivable', 'frontline', 'frontline']
    """
    policy = require_policy(policy, "policy")
    plan = shared_plan(policy, department, as_of)
    carried = kept_fields(keep, passthrough)
    meta = decide_partition(frame._meta, plan, on_error, carried)
    result: dd.DataFrame = frame.map_partitions(  # type: ignore[no-untyped-call]
        decide_partition, shipped_plan(policy, department), on_error, carried, meta=meta
    )
    return result


def parquet_schema(
    policy: Policy, passthrough: pa.Schema | None = None, *, on_error: OnError = "raise"
) -> pa.Schema:
    """The Arrow schema to write `decide_dask`'s result to Parquet with.

    Dask infers a Parquet schema from the result's metadata, which cannot tell what its
    ``object`` columns hold (decimals, ``collect`` tuples); give it this one instead, with
    ``to_parquet(path, schema=parquet_schema(...), write_index=False)``. It is
    `crmculture.batch.decisions_schema`, with `ERROR_COLUMN` last for ``on_error="report"``.

    Args:
        policy: The policy.
        passthrough: The Arrow types of the passthrough columns, in order.
        on_error: As given to `decide_dask`.

    Examples:
        >>> from crmculture.stories import acme_policy
        >>> schema = parquet_schema(acme_policy(), pa.schema([("customer_id", pa.string())]),
        ...                         on_error="report")
        >>> schema.names[:2], schema.names[-1], str(schema.field("notify").type)
        (['customer_id', 'route_to'], 'decision.error', 'list<item: string>')
    """
    schema = decisions_schema(policy, passthrough)
    if on_error == "report":
        schema = schema.append(pa.field(ERROR_COLUMN, pa.string()))
    return schema


class _Piece(NamedTuple):
    """What one task of `decide_dask_parquet` decides: some row groups of one file."""

    path: str
    row_groups: tuple[int, ...]
    first_row: int
    """The number of its first row in the whole source (from 0)."""
    dictionary: tuple[str, ...]
    """The enum columns, read dictionary-encoded."""


class _Done(NamedTuple):
    """What one task of `decide_dask_parquet` sends back."""

    rows: int
    errors: pd.DataFrame | None
    """The errors frame of its bad rows (row numbers as labels), or None if none failed."""
    failures: list[CrmCultureError]
    """With ``on_error="raise"``: one error per bad row (otherwise empty)."""
    labels: list[object]


def _files(source: StrPath | Sequence[StrPath]) -> list[str]:
    """The source's files: the file, the directory's files by name, or the list."""
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        if not os.path.isdir(path):
            return [path]
        names = sorted(name for name in os.listdir(path) if not name.startswith(("_", ".")))
        files = [os.path.join(path, name) for name in names]
        nested = [file for file in files if os.path.isdir(file)]
        if nested:
            raise ValueError(
                f"`{nested[0]}` is a directory: give the files of a partitioned dataset"
            )
    else:
        files = [os.fspath(file) for file in source]
    if not files:
        raise ValueError(f"no Parquet files in `{source}`")
    return files


def _pieces(
    policy: Policy, files: list[str], carried: tuple[str, ...], partition_rows: int
) -> tuple[list[_Piece], pa.Schema]:
    """The pieces the files split into, and the Arrow schema of the kept columns, from
    the files' footers."""
    enums = {fact.name for fact in policy.schema if fact.type == "enum"}
    pieces: list[_Piece] = []
    carried_schema: pa.Schema | None = None
    rows = 0
    for path in files:
        metadata = pq.read_metadata(path)
        schema = metadata.schema.to_arrow_schema()
        for name in carried:
            if name not in schema.names:
                raise ValueError(f"kept column `{name}` is not in `{path}`")
        found = pa.schema([schema.field(name) for name in carried])
        if carried_schema is None:
            carried_schema = found
        elif not found.equals(carried_schema):
            raise ValueError(f"the kept columns of `{path}` have other types: {found}")
        dictionary = tuple(name for name in schema.names if name in enums)
        groups: list[int] = []
        count = 0
        for group in range(metadata.num_row_groups):
            size = metadata.row_group(group).num_rows
            if groups and count + size > partition_rows:
                pieces.append(_Piece(path, tuple(groups), rows, dictionary))
                rows += count
                groups, count = [], 0
            groups.append(group)
            count += size
        pieces.append(_Piece(path, tuple(groups), rows, dictionary))
        rows += count
    assert carried_schema is not None
    return pieces, carried_schema


def _decide_piece(
    plan: FramePlan,
    piece: _Piece,
    target: str,
    schema: pa.Schema,
    carried: tuple[str, ...],
    on_error: OnError,
    batch_size: int,
) -> _Done:
    """Decide a piece into the part file `target`, batch by batch, as `decide_parquet` does.

    With ``on_error="raise"``, writing stops at the first bad row; every row is still decided,
    so that the error lists them all."""
    reader = pq.ParquetFile(piece.path, read_dictionary=piece.dictionary)
    rows = piece.first_row
    error_frames: list[pd.DataFrame] = []
    failures: list[CrmCultureError] = []
    labels: list[object] = []
    with pq.ParquetWriter(target, schema) as writer:
        batches = reader.iter_batches(
            batch_size=batch_size, row_groups=piece.row_groups, use_threads=False
        )
        for batch in batches:
            run = plan.run(pa.Table.from_batches([batch]), carried, first_row=rows)
            rows += batch.num_rows
            if run.failures:
                error_frames.append(run.errors)
                if on_error == "raise":
                    failures.extend(run.failures)
                    labels.extend(run.labels)
            if not (failures and on_error == "raise"):
                writer.write_table(_to_arrow(run.decisions, schema))
    errors = pd.concat(error_frames) if error_frames else None
    return _Done(rows - piece.first_row, errors, failures, labels)


def _tasks(
    policy: Policy,
    department: str | None,
    calls: list[tuple[_Piece, str, pa.Schema, tuple[str, ...]]],
    on_error: OnError,
    batch_size: int,
    as_of: dt.date | None = None,
) -> list[Delayed]:
    """One task per call of `_decide_piece`, all depending on the plan's node.

    The tasks are marked as producing data (they read files), as Dask's own readers' are: the
    distributed scheduler then spreads them over the workers by how busy each is. Otherwise,
    with fewer tasks than twice the cluster's threads, it would send them all to the worker
    that holds the plan, their one dependency, and leave the others idle.
    """
    node = shipped_plan(policy, department, as_of)
    name = f"crmculture-decide-parquet-{tokenize(node.key, calls, on_error, batch_size)}"
    keys = [f"{name}-{number}" for number in range(len(calls))]
    if not _MARKS_PRODUCERS:  # pragma: no cover - dask before the task spec
        decide = delayed(_decide_piece, pure=True)
        return [
            decide(node, *call, on_error, batch_size, dask_key_name=key)
            for key, call in zip(keys, calls, strict=True)
        ]
    plan = shared_plan(policy, department, as_of)
    graph: dict[str, DataNode | Task] = {node.key: DataNode(node.key, plan)}
    for key, call in zip(keys, calls, strict=True):
        graph[key] = Task(
            key,
            _decide_piece,
            TaskRef(node.key),
            *call,
            on_error,
            batch_size,
            _data_producer=True,
        )
    return [Delayed(key, graph) for key in keys]  # type: ignore[no-untyped-call]


def decide_dask_parquet(
    policy: Policy,
    source: StrPath | Sequence[StrPath],
    destination: StrPath,
    department: str | None = None,
    *,
    errors: StrPath | None = None,
    on_error: OnError = "raise",
    keep: Iterable[str] = (),
    passthrough: Iterable[str] | None = None,
    partition_rows: int = PARTITION_ROWS,
    batch_size: int = 65_536,
    overwrite: bool = False,
    as_of: dt.date | None = None,
) -> ParquetSummary:
    """Decide Parquet files of customers into a directory of Parquet files, on Dask.

    The source's row groups are split into pieces of at most `partition_rows` rows (never
    splitting a row group), and each piece is one task: it reads its row groups in batches of
    `batch_size` rows (enum columns dictionary-encoded), decides them and writes them to its
    own part file, as `crmculture.batch.decide_parquet` does for a whole file. The tasks run on
    Dask's current scheduler (the default ``distributed.Client`` if there is one) and share one
    plan (`shipped_plan`); they send back only row counts and errors.

    The directory holds ``part.00000.parquet``, ``part.00001.parquet``, ... in the source's
    order, each with the schema of `crmculture.batch.decisions_schema`: read back with
    ``pyarrow.parquet.read_table(destination)``, it is the table `decide_parquet` writes for
    the source's files one after another. The parts are written to a directory next to
    `destination` and moved into place when every task has finished, so nothing is left
    behind when deciding fails. The paths must be reachable, under the same names, by the
    caller and by every worker (a shared file system on a real cluster).

    Args:
        policy: The policy.
        source: A Parquet file, a directory of Parquet files (read in name order, skipping
            names that start with ``_`` or ``.``), or a list of files. Every file has the
            facts as columns (Arrow types as for `crmculture.batch.decide_frame`).
        destination: The directory to write the decisions to; it must not exist, unless
            `overwrite` is true, in which case it is removed first.
        department: The department that asks, or None.
        errors: Where to write the errors file (see `crmculture.batch.ERRORS_SCHEMA`); required
            with ``on_error="report"``, and written (possibly empty) whenever given. Its rows
            are numbered from 0 across the whole source, in order.
        on_error: ``"raise"``: if any row cannot be decided, decide every row anyway, raise one
            `crmculture.batch.FrameError` listing every bad row (by row number; its
            ``decisions`` frame is empty) and leave no destination; ``"report"``: write every
            row, bad ones with missing values, and list their problems in the errors file.
        keep: Columns that are not facts (a customer id) to copy into the decisions,
            first; every file must have them, with the same types.
        passthrough: The former name of `keep`; deprecated.
        partition_rows: The most rows one task decides (see `PARTITION_ROWS`); a row group
            larger than that is one task.
        batch_size: Rows per batch within a task (memory is bounded by it, per worker thread).
        overwrite: Replace `destination` if it exists.
        as_of: The date every row is decided for, or None (see `crmculture.batch.FramePlan`).

    Returns:
        How many rows were decided, and how many failed.

    Raises:
        FrameError: with ``on_error="raise"``, when some row cannot be decided.
        FileExistsError: when `destination` exists and `overwrite` is false.
        UnknownDepartmentError: for a department the policy does not declare.
        ValueError: with ``on_error="report"`` and no `errors` path; for kept columns
            some file lacks, or whose types differ between files.

    Examples:
        >>> import pathlib, tempfile
        >>> import pyarrow as pa, pyarrow.parquet as pq
        >>> from crmculture.stories import acme_policy
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> customers = pa.table({"customer_id": ["c1", "c2", "c3"],
        ...                       "credit_hold": [True, False, False],
        ...                       "days_overdue": [0, 3, 0], "annual_volume": [10, 900_000, 5],
        ...                       "tier": ["gold", "silver", "bronze"]})
        >>> pq.write_table(customers, folder / "customers.parquet", row_group_size=2)
        >>> decide_dask_parquet(acme_policy(), folder / "customers.parquet",
        ...                     folder / "decisions", keep=["customer_id"],
        ...                     partition_rows=2)
        ParquetSummary(rows=3, failed=0)
        >>> sorted(path.name for path in (folder / "decisions").iterdir())
        ['part.00000.parquet', 'part.00001.parquet']
        >>> decided = pq.read_table(folder / "decisions")
        >>> decided.column("customer_id").to_pylist(), decided.column("route_to").to_pylist()
        (['c1', 'c2', 'c3'], ['accounts_receivable', 'frontline', 'frontline'])
    """
    policy = require_policy(policy, "policy")
    if on_error not in ("raise", "report"):
        raise ValueError(f"on_error must be `raise` or `report`, not `{on_error}`")
    if on_error == "report" and errors is None:
        raise ValueError("on_error=`report` needs an `errors` path for the errors file")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    if partition_rows < 1:
        raise ValueError(f"partition_rows must be at least 1, not {partition_rows}")
    plan = shared_plan(policy, department, as_of)
    carried = kept_fields(keep, passthrough)
    for name in carried:
        if name in plan.columns:
            raise ValueError(f"kept column `{name}` has the name of a decision column")
    target = os.path.abspath(os.fspath(destination))
    if os.path.lexists(target) and not overwrite:
        raise FileExistsError(f"`{target}` exists: pass overwrite=True to replace it")
    pieces, carried_schema = _pieces(policy, _files(source), carried, partition_rows)
    schema = decisions_schema(policy, carried_schema)
    parent, name = os.path.split(target)
    folder = tempfile.mkdtemp(prefix=f"{name}.partial-", dir=parent)
    try:
        width = max(5, len(str(len(pieces) - 1)))
        calls = [
            (piece, os.path.join(folder, f"part.{number:0{width}d}.parquet"), schema, carried)
            for number, piece in enumerate(pieces)
        ]
        tasks = _tasks(policy, department, calls, on_error, batch_size, as_of)
        done: tuple[_Done, ...] = compute(*tasks)  # type: ignore[no-untyped-call]
        rows = sum(part.rows for part in done)
        frames = [part.errors for part in done if part.errors is not None]
        failed = sum(len(frame.index.unique()) for frame in frames)
        if errors is not None:
            tables = [_errors_table(frame) for frame in frames]
            pq.write_table(
                pa.concat_tables(tables) if tables else ERRORS_SCHEMA.empty_table(), errors
            )
        if failed and on_error == "raise":
            failures = [error for part in done for error in part.failures]
            labels = [label for part in done for label in part.labels]
            raise FrameError(failures, plan.empty(), pd.concat(frames), labels, rows=rows)
        if os.path.lexists(target):
            if os.path.isdir(target) and not os.path.islink(target):
                shutil.rmtree(target)
            else:
                os.remove(target)
        os.replace(folder, target)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return ParquetSummary(rows, failed)
