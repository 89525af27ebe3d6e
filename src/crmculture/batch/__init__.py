"""Columnar decisions over pandas and Arrow frames; needs the ``batch`` extra.

Install it with ``pip install 'crmculture[batch]'`` (pandas, pyarrow, numpy). The rules are
compiled to vectorised column operations with the same semantics as the per-record evaluator:
`decide_frame` decides a frame, `decide_parquet` a Parquet file in bounded memory.
"""

try:
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import pyarrow  # noqa: F401
except ImportError as error:  # pragma: no cover - exercised without the extra installed
    raise ImportError(
        "crmculture.batch needs pandas, pyarrow and numpy: install the extra with "
        "`pip install 'crmculture[batch]'`"
    ) from error

from crmculture.batch.frames import (
    ERROR_COLUMNS,
    Frame,
    FrameDecisions,
    FrameError,
    FramePlan,
    FrameRun,
    decide_frame,
)
from crmculture.batch.parquet import ERRORS_SCHEMA, ParquetSummary, decide_parquet, decisions_schema
from crmculture.batch.plan import rule_column, value_dtype
from crmculture.evaluate.many import OnError

__all__ = [
    "ERRORS_SCHEMA",
    "ERROR_COLUMNS",
    "Frame",
    "FrameDecisions",
    "FrameError",
    "FramePlan",
    "FrameRun",
    "OnError",
    "ParquetSummary",
    "decide_frame",
    "decide_parquet",
    "decisions_schema",
    "rule_column",
    "value_dtype",
]
