"""Deciding many customers: results in input order, every bad record reported by its index."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Literal

from crmculture.errors import BatchError, CrmCultureError, EvaluationError, InvalidCustomer
from crmculture.evaluate.decision import Decision

__all__ = ["OnError", "decide_each"]

OnError = Literal["raise", "report"]
"""What `decide_many` does with bad records: raise one `BatchError` listing them all, or
return their errors in place of decisions."""


def decide_each(
    decide: Callable[[object, str | None], Decision],
    customers: Iterable[object],
    department: str | None,
    on_error: OnError,
) -> list[Decision | CrmCultureError]:
    """Decide every customer in order; an invalid record's error takes its place, with its index.

    Raises:
        BatchError: when ``on_error="raise"`` and at least one record failed; it carries every
            failure and, in input order, every result.
        ValueError: for an unknown `on_error`.
    """
    if on_error not in ("raise", "report"):
        raise ValueError(f"on_error must be `raise` or `report`, not `{on_error}`")
    results: list[Decision | CrmCultureError] = []
    failures: list[CrmCultureError] = []
    for index, customer in enumerate(customers):
        try:
            results.append(decide(customer, department))
        except (InvalidCustomer, EvaluationError) as error:
            error.index = index
            # Kept without its traceback, whose frames would keep the record alive (and
            # give the garbage collector a graph to walk per bad record).
            error = error.with_traceback(None)
            failures.append(error)
            results.append(error)
    if failures and on_error == "raise":
        raise BatchError(failures, results)
    return results
