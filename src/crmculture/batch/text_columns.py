"""Columns of customer values read from text (JSON, CSV) typed as intake types them.

`from_json` and `from_csv_text` take one fact's Arrow column as Arrow read it from JSON or
from CSV text and return it typed as `crmculture.model.intake` types each value, with the rows
whose values intake might read otherwise (those go record by record, through intake itself).
A column they cannot read exactly at all raises `UnreadColumn`. The chunked route of
`crmculture decide` and the replay of decision logs read their chunks with them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

__all__ = ["UnreadColumn", "from_csv_text", "from_json"]

_NUMBER = r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?"
_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"


class UnreadColumn(Exception):
    """A column these readers cannot type exactly: read its values one by one."""


def from_json(kind: str, array: Any) -> tuple[Any, Any]:
    """A fact's column read from JSON, typed as `crmculture.io.records` types its values,
    and the rows that reader might read otherwise (None when there are none). Raises
    `UnreadColumn` for a column of another type."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    kind_of = array.type
    if pa.types.is_null(kind_of):
        return array, None
    if kind == "bool" and pa.types.is_boolean(kind_of):
        return array, None
    if kind == "int" and pa.types.is_int64(kind_of):
        return array, None
    if kind == "enum" and pa.types.is_string(kind_of):
        return array, None
    if kind == "float" and (pa.types.is_int64(kind_of) or pa.types.is_float64(kind_of)):
        floats = array.cast(pa.float64(), safe=False)
        odd = ~np.isfinite(floats.fill_null(0.0).to_numpy())
        return floats, (odd if odd.any() else None)
    if kind == "decimal" and pa.types.is_int64(kind_of):
        return _decimal_array([None if v is None else Decimal(v) for v in array.to_pylist()]), None
    if kind == "decimal" and pa.types.is_float64(kind_of):
        values = array.fill_null(0.5).to_numpy()
        # An integral value may have been written as an integer, which reads as another
        # decimal; beyond 2**53 the float is not the number written; NaN is no number.
        with np.errstate(invalid="ignore"):
            odd = ~np.isfinite(values) | (np.floor(values) == values) | (np.abs(values) >= 2.0**53)
        decimals = [
            None if v is None or bad else Decimal(repr(v))
            for v, bad in zip(array.to_pylist(), odd.tolist(), strict=True)
        ]
        return _decimal_array(decimals), (odd if odd.any() else None)
    if kind == "decimal" and pa.types.is_string(kind_of):
        return _decimals(array)
    if kind == "date" and pa.types.is_string(kind_of):
        good = pc.match_substring_regex(array, f"^{_DATE}$")
        return _dates(array, good)
    raise UnreadColumn


def from_csv_text(kind: str, array: Any) -> tuple[Any, Any]:
    """A fact's CSV column (text), typed as `crmculture.io.records` types CSV values, and
    the rows that reader might read otherwise (None when there are none)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    empty = pc.equal(array, "")
    text = pc.if_else(empty, pa.scalar(None, pa.string()), array)
    if kind == "enum":
        return text, None
    if kind == "bool":
        true = pc.match_substring_regex(text, "^([tT][rR][uU][eE]|1|[yY][eE][sS])$")
        false = pc.match_substring_regex(text, "^([fF][aA][lL][sS][eE]|0|[nN][oO])$")
        values = pc.if_else(true, True, pc.if_else(false, False, None))
        return values, _true_where(pc.invert(pc.or_(true, false)))
    if kind == "decimal":
        return _decimals(text)
    pattern = {"int": "^-?[0-9]{1,18}$", "date": f"^{_DATE}$"}.get(kind, f"^{_NUMBER}$")
    good = pc.match_substring_regex(text, pattern)
    odd = _true_where(pc.invert(good))
    if kind == "date":
        return _dates(text, good)
    chosen = pc.if_else(good, text, pa.scalar(None, pa.string()))
    try:
        if kind == "int":
            return chosen.cast(pa.int64()), odd
        if kind == "float":
            import numpy as np

            floats = chosen.cast(pa.float64())
            infinite = ~np.isfinite(floats.fill_null(0.0).to_numpy())
            if infinite.any():
                odd = infinite if odd is None else odd | infinite
            return floats, odd
    except pa.ArrowInvalid:
        raise UnreadColumn from None
    raise AssertionError(f"no CSV reading for fact type `{kind}`")


def _decimals(text: Any) -> tuple[Any, Any]:
    """Decimals from numeric text (as `crmculture.io.records.text_value` reads them), and
    the rows whose text is not plainly a number."""
    import pyarrow as pa
    import pyarrow.compute as pc

    good = pc.match_substring_regex(text, f"^{_NUMBER}$")
    chosen = pc.if_else(good, text, pa.scalar(None, pa.string()))
    # Each distinct text is read once (a column repeats a few amounts); the same values in
    # the same rows, so Arrow infers the same decimal type as from every value.
    encoded = pc.dictionary_encode(chosen)
    distinct = _decimal_array([Decimal(v) for v in encoded.dictionary.to_pylist()])
    if pa.types.is_null(distinct.type):
        return _decimal_array([None] * len(chosen)), _true_where(pc.invert(good))
    return distinct.take(encoded.indices), _true_where(pc.invert(good))


def _dates(text: Any, good: Any) -> tuple[Any, Any]:
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        dates = pc.if_else(good, text, pa.scalar(None, pa.string())).cast(pa.date32())
    except pa.ArrowInvalid:  # a day that does not exist, such as 2027-02-30
        raise UnreadColumn from None
    return dates, _true_where(pc.invert(good))


def _true_where(mask: Any) -> Any:
    """Where a boolean Arrow mask is true (null counts as false); None when nowhere."""
    import numpy as np

    found = np.asarray(mask.fill_null(False).to_numpy(zero_copy_only=False), dtype=np.bool_)
    return found if found.any() else None


def _decimal_array(values: list[Decimal | None]) -> Any:
    import pyarrow as pa

    try:
        return pa.array(values, type=None if any(v is not None for v in values) else pa.null())
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        raise UnreadColumn from None
