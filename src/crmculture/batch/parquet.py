"""Deciding a Parquet file of customers into a Parquet file of decisions, in bounded memory."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import attrs
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from crmculture.batch.columns import decimal_places
from crmculture.batch.frames import FrameError, FramePlan, kept_fields
from crmculture.batch.plan import possible_values, rule_column
from crmculture.errors import CrmCultureError
from crmculture.evaluate.many import OnError
from crmculture.model.directives import Directive
from crmculture.model.policies import Policy, require_policy

__all__ = ["ERRORS_SCHEMA", "ParquetSummary", "decide_parquet", "decisions_schema"]

StrPath = str | os.PathLike[str]

ERRORS_SCHEMA = pa.schema(
    [
        ("row", pa.int64()),
        ("error", pa.string()),
        ("path", pa.string()),
        ("message", pa.string()),
    ]
)
"""The columns of an errors file: the row number in the source file (from 0), then the columns
of an errors frame (`crmculture.batch.ERROR_COLUMNS`)."""


@attrs.frozen
class ParquetSummary:
    """What `decide_parquet` did.

    Attributes:
        rows: The rows read, and written to the decisions file.
        failed: The rows that could not be decided (listed in the errors file).
    """

    rows: int
    failed: int


def _scalar_type(directive: Directive, values: list[Any]) -> pa.DataType:
    if directive.type in ("text", "enum"):
        return pa.string()
    if directive.type == "bool":
        return pa.bool_()
    if directive.type == "int":
        return pa.int64()
    places = [decimal_places(v) for v in values if isinstance(v, Decimal | int)]
    return pa.decimal128(38, max([*places, 0]))


def decisions_schema(policy: Policy, passthrough: pa.Schema | None = None) -> pa.Schema:
    """The Arrow schema of a decisions file: passthrough columns, every directive (text and
    enum as strings, decimals as ``decimal128(38, s)``, ``collect`` as lists), then every
    ``<directive>.rule`` column (strings).

    Examples:
        >>> from crmculture.stories import acme_policy
        >>> decisions_schema(acme_policy()).field("notify").type
        ListType(list<item: string>)
    """
    fields: list[pa.Field] = list(passthrough or [])
    for directive in policy.directives:
        values = possible_values(directive, policy)
        flat = [v for value in values for v in (value if isinstance(value, tuple) else (value,))]
        scalar = _scalar_type(directive, flat)
        kind = pa.list_(scalar) if directive.collects else scalar
        fields.append(pa.field(directive.name, kind))
    fields.extend(pa.field(rule_column(d.name), pa.string()) for d in policy.directives)
    return pa.schema(fields)


def _to_arrow(decisions: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    arrays = []
    for field in schema:
        column = decisions[field.name]
        if column.dtype == object:
            values = [None if value is None else value for value in column.tolist()]
            arrays.append(pa.array(values, type=field.type))
        else:
            arrays.append(pa.array(column, from_pandas=True).cast(field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _errors_table(errors: pd.DataFrame) -> pa.Table:
    return pa.Table.from_arrays(
        [
            pa.array(errors.index.to_numpy(), type=pa.int64()),
            *(
                pa.array(errors[name], from_pandas=True).cast(pa.string())
                for name in ("error", "path", "message")
            ),
        ],
        schema=ERRORS_SCHEMA,
    )


def decide_parquet(
    policy: Policy,
    source: StrPath,
    destination: StrPath,
    department: str | None = None,
    *,
    errors: StrPath | None = None,
    on_error: OnError = "raise",
    batch_size: int = 65_536,
    keep: Iterable[str] = (),
    passthrough: Iterable[str] | None = None,
    as_of: dt.date | None = None,
) -> ParquetSummary:
    """Decide every customer of a Parquet file into a Parquet file of decisions.

    The source is read in batches of `batch_size` rows (``pyarrow.parquet.ParquetFile
    .iter_batches``), each decided by `crmculture.batch.decide_frame`'s evaluator and written
    at once, so memory stays bounded by the batch size whatever the file's size. The decisions
    file has one row per source row, in the same order (see `decisions_schema`); nothing is
    dropped.

    Args:
        policy: The policy.
        source: The customers: one column per fact (Arrow types as for `decide_frame`).
        destination: Where to write the decisions.
        department: The department that asks, or None.
        errors: Where to write the errors file (see `ERRORS_SCHEMA`); required with
            ``on_error="report"``, and written (possibly empty) whenever given.
        on_error: ``"raise"``: if any row cannot be decided, read the whole file, raise one
            `FrameError` listing every bad row (by row number, from 0; its ``decisions`` frame
            is empty) and leave no decisions file; ``"report"``: write every row, bad ones
            with missing values, and list their problems in the errors file.
        batch_size: Rows per batch.
        keep: Fields that are not facts (a customer id) to copy into the decisions, as the
            command line's ``--keep``, the decision log and the service keep them.
        passthrough: The former name of `keep`; deprecated.
        as_of: The date every row is decided for, or None (see `FramePlan`).

    Returns:
        How many rows were decided, and how many failed.

    Raises:
        FrameError: with ``on_error="raise"``, when some row cannot be decided.
        ValueError: with ``on_error="report"`` and no `errors` path.
        AsOfRequiredError: when the policy uses the as-of date and `as_of` is None.

    Examples:
        >>> import pathlib, tempfile
        >>> import pyarrow as pa, pyarrow.parquet as pq
        >>> from crmculture.stories import acme_policy
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> customers = pa.table({"customer_id": ["c1", "c2"], "credit_hold": [True, False],
        ...                       "days_overdue": [0, 3], "annual_volume": [10, 900_000],
        ...                       "tier": ["gold", "silver"]})
        >>> pq.write_table(customers, folder / "customers.parquet")
        >>> decide_parquet(acme_policy(), folder / "customers.parquet",
        ...                folder / "decisions.parquet", keep=["customer_id"])
        ParquetSummary(rows=2, failed=0)
        >>> pq.read_table(folder / "decisions.parquet",
        ...               columns=["customer_id", "route_to", "service_level"]).to_pylist()[1]
        {'customer_id': 'c2', 'route_to': 'frontline', 'service_level': 'priority'}
    """
    policy = require_policy(policy, "policy")
    if on_error not in ("raise", "report"):
        raise ValueError(f"on_error must be `raise` or `report`, not `{on_error}`")
    if on_error == "report" and errors is None:
        raise ValueError("on_error=`report` needs an `errors` path for the errors file")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    plan = FramePlan(policy, department, as_of=as_of)
    carried = list(kept_fields(keep, passthrough))
    # Enum columns read dictionary-encoded: ranking a dictionary is cheaper than every row.
    names = pq.read_schema(source).names
    enums = [fact.name for fact in policy.schema if fact.type == "enum" and fact.name in names]
    reader = pq.ParquetFile(source, read_dictionary=enums)
    arrow_schema = reader.schema_arrow
    carried_schema = pa.schema([arrow_schema.field(name) for name in carried])
    schema = decisions_schema(policy, carried_schema)
    partial = f"{os.fspath(destination)}.partial-{os.getpid()}"
    rows = 0
    failures: list[CrmCultureError] = []
    labels: list[object] = []
    error_frames: list[pd.DataFrame] = []
    error_writer = None if errors is None else pq.ParquetWriter(errors, ERRORS_SCHEMA)
    try:
        with pq.ParquetWriter(partial, schema) as writer:
            for batch in reader.iter_batches(batch_size=batch_size):
                run = plan.run(pa.Table.from_batches([batch]), carried, first_row=rows)
                rows += batch.num_rows
                failures.extend(run.failures)
                labels.extend(run.labels)
                if error_writer is not None and run.failures:
                    error_writer.write_table(_errors_table(run.errors))
                if run.failures and on_error == "raise":
                    error_frames.append(run.errors)
                    continue
                writer.write_table(_to_arrow(run.decisions, schema))
        if failures and on_error == "raise":
            errors_frame = pd.concat(error_frames)
            raise FrameError(failures, plan.empty(), errors_frame, labels, rows=rows)
        os.replace(partial, destination)
    finally:
        if error_writer is not None:
            error_writer.close()
        if os.path.exists(partial):
            os.remove(partial)
    return ParquetSummary(rows, len(failures))
