"""Deciding a Dask DataFrame, partition by partition; needs the ``dask`` extra.

Install it with ``pip install 'crmculture[dask]'``. `decide_dask` runs the columnar evaluator of
`crmculture.batch` on every partition through ``map_partitions`` with an explicit ``meta``: the
same code runs on a laptop's threads, a `distributed.LocalCluster` or a real cluster reached with
``distributed.Client(address)``. The policy travels to the workers pickled, once per task graph,
and is prepared again there (`crmculture.batch.FramePlan` pickles as its policy and department).

Rows that cannot be decided:

- ``on_error="raise"`` (the default): computing the result raises the `crmculture.batch.FrameError`
  of the first partition with a bad row, listing every problem of that partition's bad rows;
- ``on_error="report"``: the result has one more column, `ERROR_COLUMN`, holding for each bad row
  the full error text (every problem, as the per-record evaluator words it) and missing for the
  rows that were decided; filter on it to get the errors.
"""

from __future__ import annotations

try:
    import dask.dataframe as dd
except ImportError as error:  # pragma: no cover - exercised without the extra installed
    raise ImportError(
        "crmculture.dask needs dask: install the extra with `pip install 'crmculture[dask]'`"
    ) from error

from collections.abc import Iterable

import pandas as pd
import pyarrow as pa

from crmculture.batch.frames import FramePlan
from crmculture.batch.parquet import decisions_schema
from crmculture.evaluate.many import OnError
from crmculture.model.policies import Policy

__all__ = ["ERROR_COLUMN", "decide_dask", "decide_partition", "parquet_schema"]

ERROR_COLUMN = "decision.error"
"""The column of ``on_error="report"`` results holding each bad row's error text (no directive
can be called that: ``decision`` is a reserved word)."""


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
        return plan.decide(partition, passthrough=passthrough)
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
    passthrough: Iterable[str] = (),
) -> dd.DataFrame:
    """Decide every customer of a Dask DataFrame, lazily, partition by partition.

    Args:
        policy: The policy.
        frame: One row per customer, one column per fact (as for
            `crmculture.batch.decide_frame`).
        department: The department that asks, or None.
        on_error: ``"raise"``: computing raises the first bad partition's
            `crmculture.batch.FrameError`; ``"report"``: bad rows get their error text in
            `ERROR_COLUMN`.
        passthrough: Columns that are not facts to copy into the result, first.

    Returns:
        A lazy Dask DataFrame with the input's index and partitions, and the columns of
        `crmculture.batch.decide_frame`'s result.

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
    plan = FramePlan(policy, department)
    carried = tuple(passthrough)
    meta = decide_partition(frame._meta, plan, on_error, carried)
    result: dd.DataFrame = frame.map_partitions(  # type: ignore[no-untyped-call]
        decide_partition, plan, on_error, carried, meta=meta
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
