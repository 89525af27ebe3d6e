"""Deciding many customers: results in input order, every bad record reported by its index,
each with its record's kept fields when asked."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, Literal, TypeVar, overload

import attrs

from crmculture.errors import BatchError, CrmCultureError, EvaluationError, InvalidCustomer
from crmculture.evaluate.decision import Decision
from crmculture.model.facts import Schema

__all__ = ["Kept", "OnError", "check_keep", "decide_each", "split_kept"]

OnError = Literal["raise", "report"]
"""What `decide_many` does with bad records: raise one `BatchError` listing them all, or
return their errors in place of decisions."""

R = TypeVar("R")


@attrs.frozen
class Kept(Generic[R]):
    """One result of ``decide_many(..., keep=...)`` with its record's kept fields.

    Kept fields (a customer id) are fields of a record that are not facts: they are taken out
    of the record before it is decided and travel with its result, as ``crmculture decide
    --keep`` writes them under ``"keep"`` in each line.

    Attributes:
        keep: The record's kept fields, by name in the order asked; None for a field the
            record lacks (every one, for a record that is not a mapping).
        result: The `Decision`; with ``on_error="report"``, for a bad record, its error.

    Examples:
        >>> from crmculture.stories import acme_policy
        >>> decide = acme_policy().compile()
        >>> good = {"credit_hold": False, "days_overdue": 0, "annual_volume": 1, "tier": "gold"}
        >>> rows = [{"customer_id": "c1", **good}, {"customer_id": "c2", "tier": "diamond"}]
        >>> for kept in decide.decide_many(rows, keep=["customer_id"], on_error="report"):
        ...     print(kept.keep, type(kept.result).__name__)
        {'customer_id': 'c1'} Decision
        {'customer_id': 'c2'} InvalidCustomer
    """

    keep: Mapping[str, Any]
    result: R


def check_keep(schema: Schema, keep: Iterable[str]) -> tuple[str, ...]:
    """The kept field names, checked (none may be a fact), each once in the order given.

    Raises:
        TypeError: for a string in place of a list of names, or a name that is not a string.
        ValueError: for a kept field that is a fact.
    """
    if isinstance(keep, str):
        raise TypeError(f"keep is a list of field names, not the string `{keep}`")
    names = tuple(dict.fromkeys(keep))
    odd = [name for name in names if not isinstance(name, str)]
    if odd:
        raise TypeError(f"kept field names are strings, not `{odd[0]!r}`")
    facts = [name for name in names if name in schema]
    if facts:
        raise ValueError(f"kept field `{facts[0]}` is a fact: keep fields that are not facts")
    return names


@overload
def split_kept(
    record: dict[str, Any], keep: tuple[str, ...]
) -> tuple[dict[str, Any], dict[str, Any]]: ...


@overload
def split_kept(record: object, keep: tuple[str, ...]) -> tuple[dict[str, Any], object]: ...


def split_kept(record: object, keep: tuple[str, ...]) -> tuple[dict[str, Any], object]:
    """A record's kept fields (None for those it lacks), and the record without them."""
    if type(record) is dict:  # the common case, and the fastest way to split it
        customer = record.copy()
        return {name: customer.pop(name, None) for name in keep}, customer
    if not isinstance(record, Mapping):
        return dict.fromkeys(keep), record
    kept = {name: record.get(name) for name in keep}
    return kept, {name: value for name, value in record.items() if name not in kept}


def decide_each(
    decide: Callable[[object, str | None], Decision],
    customers: Iterable[object],
    department: str | None,
    on_error: OnError,
    keep: tuple[str, ...] | None = None,
) -> list[Any]:
    """Decide every customer in order; an invalid record's error takes its place, with its index.

    With `keep` (checked by `check_keep`), each record's kept fields are taken out before it
    is decided, and each result comes back in a `Kept` with them.

    Raises:
        BatchError: when ``on_error="raise"`` and at least one record failed; it carries every
            failure and, in input order, every result (each in its `Kept` with `keep`).
        ValueError: for an unknown `on_error`.
    """
    if on_error not in ("raise", "report"):
        raise ValueError(f"on_error must be `raise` or `report`, not `{on_error}`")
    results: list[Any] = []
    failures: list[CrmCultureError] = []
    for index, customer in enumerate(customers):
        kept: dict[str, Any] | None = None
        if keep is not None:
            kept, customer = split_kept(customer, keep)
        result: Decision | CrmCultureError
        try:
            result = decide(customer, department)
        except (InvalidCustomer, EvaluationError) as error:
            error.index = index
            # Kept without its traceback, whose frames would keep the record alive (and
            # give the garbage collector a graph to walk per bad record).
            result = error.with_traceback(None)
            failures.append(result)
        results.append(result if kept is None else Kept(kept, result))
    if failures and on_error == "raise":
        raise BatchError(failures, results)
    return results
