"""Which rules match each row of a frame: a row's *signature*, numbered per frame.

A decision depends on a customer's facts only through the rules their facts match: the same
department asking about two customers that match the same rules gets the same directive values,
determined by the same rules (or the same conflict). Replay and adherence use that to decide
one customer per distinct signature with the compiled evaluator and share its answer with every
row of the signature, instead of deciding every row.

Every rule's condition is evaluated column-wise (`crmculture.batch.plan.Conditions`, the
columnar evaluator's semantics); the flags of all effective rules, in every department's scope
or not, are packed into 64-bit words. Rows whose facts break the schema (`bad`) get a
signature too, which means nothing: the callers decide those rows one by one.

Examples:
    >>> import pyarrow as pa
    >>> from crmculture.stories import acme_policy
    >>> found = Signatures(acme_policy()).read(
    ...     {"credit_hold": pa.array([True, False, True]), "days_overdue": pa.array([0, 0, 3]),
    ...      "annual_volume": pa.array([5, 5, 9]), "tier": pa.array(["gold", "gold", "gold"])},
    ...     3)
    >>> found.codes.tolist(), found.first.tolist(), found.bad
    ([1, 0, 1], [1, 0], None)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from crmculture.batch.columns import BoolArray, Source, read_fact
from crmculture.batch.plan import Conditions, constants, scales
from crmculture.model.policies import Policy

__all__ = ["SignatureRun", "Signatures"]


class SignatureRun(NamedTuple):
    """The signatures of the rows of one frame."""

    codes: np.ndarray[Any, Any]
    """Per row, the number of its signature in `keys` (0 to ``len(keys) - 1``)."""
    keys: list[tuple[int, ...]]
    """The distinct signatures, as the words of their rule flags (bit ``j % 64`` of word
    ``j // 64`` for ``policy.effective_rules[j]``), in ascending order."""
    first: np.ndarray[Any, Any]
    """Per signature, the first row that has it."""
    bad: BoolArray | None
    """The rows whose facts break the schema (type, domain, a required fact missing); None
    when no row does."""


class Signatures:
    """A policy's rules prepared for reading signatures; reuse it across frames.

    Args:
        policy: The policy.
    """

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._scales = scales(policy)
        self._constants = constants(policy)
        self._conditions = [rule.when for rule in policy.effective_rules]

    def read(self, sources: Mapping[str, Source | None], length: int) -> SignatureRun:
        """The signatures of `length` rows, given each fact's column (absent ones as None or
        left out: every row lacks that fact)."""
        columns = {
            fact.name: read_fact(
                fact,
                sources.get(fact.name),
                length,
                self._scales.get(fact.name, 0),
                self._constants[fact.name],
            )
            for fact in self.policy.schema
        }
        bad: BoolArray | None = None
        for column in columns.values():
            if column.bad is not None:
                bad = column.bad.copy() if bad is None else bad | column.bad
        conditions = Conditions(columns, length)
        words = [
            np.zeros(length, dtype=np.uint64)
            for _ in range(max(1, (len(self._conditions) + 63) // 64))
        ]
        for j, condition in enumerate(self._conditions):
            flag = conditions(condition)
            words[j // 64] |= flag.astype(np.uint64) << np.uint64(j % 64)
        keys: list[tuple[int, ...]]
        if len(words) == 1:
            unique, first, codes = np.unique(words[0], return_index=True, return_inverse=True)
            keys = [(int(word),) for word in unique.tolist()]
        else:
            unique, first, codes = np.unique(
                np.stack(words, axis=1), axis=0, return_index=True, return_inverse=True
            )
            keys = [tuple(int(word) for word in row) for row in unique.tolist()]
        return SignatureRun(codes.reshape(-1), keys, first, bad)
