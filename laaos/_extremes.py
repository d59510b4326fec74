"""What the notebook view draws of a numeric series: the least and greatest finite value
of each pixel column (a shape-keeping downsample: every spike is kept), with how many
values the series holds, its last value and how many of its values are NaN or infinite.
One call takes every numeric field of a list of dicts.

The pure twin of ``extremes`` in the extension (src_ext/extremes.pxi), which does the
common case (floats and ints, or fields of a list of dicts holding them) in one C pass
and hands any other series to this code.
"""

from __future__ import annotations

import math
from typing import Any, List, Optional, Tuple

from .tidy import NUMBERS, field_values

_INFINITIES = (math.inf, -math.inf)
Columns = List[Tuple[Any, Any]]
Drawn = Optional[Tuple[Columns, int, Any, int]]  # (columns, n, last, non_finite), or None


def extremes(items: List[Any], fields: List[Any], width: int) -> List[Drawn]:
    """For each of ``fields``, ``(columns, n, last, non_finite)`` of that numeric series of
    ``items`` (the list itself for the field ``None``, else that field of each dict that
    has it): ``(least, greatest)`` finite value of each of ``width`` pixel columns (one per
    value when there are fewer; ``(None, None)`` for a column without a finite number),
    the number of values, the last one and the number of NaN and infinite values.
    ``None`` for a series that is empty or not all numbers."""
    return [_one(items if field is None else field_values(items, field), width) for field in fields]


def _one(values: List[Any], width: int) -> Drawn:
    if not values:
        return None
    cols = columns(values, width)
    if cols is None:
        return None
    return cols, len(values), values[-1], _non_finite(values)


def _finite(values: List[Any]) -> Tuple[Optional[float], Optional[float]]:
    """The least and greatest finite numbers of ``values`` (None, None if none)."""
    kept = [v for v in values if v == v and v not in _INFINITIES]
    return (min(kept), max(kept)) if kept else (None, None)


def _non_finite(values: List[Any]) -> int:
    try:
        if math.isfinite(sum(values)):  # (only if every value is: the common case, in one fast pass)
            return 0
    except (TypeError, OverflowError):  # (a Decimal among floats, an int too large for a float)
        pass
    return sum(1 for v in values if v != v or v in _INFINITIES)


def columns(values: List[Any], width: int) -> Optional[Columns]:
    """The columns of ``extremes`` for a list of values; ``None`` when not all numbers."""
    n = len(values)
    cols = min(n, width)
    out: Columns = []
    start = 0
    try:
        for c in range(cols):
            end = (c + 1) * n // cols
            if end - start == 1:
                lo = hi = values[start]
                if not isinstance(lo, NUMBERS):
                    return None
            else:
                part = values[start:end]
                lo, hi = min(part), max(part)
                if not (isinstance(lo, NUMBERS) and isinstance(hi, NUMBERS)):
                    return None  # (strings, lists, tuples compare among themselves)
            # NaN and infinities would stretch or break the scale: drawn as gaps
            if lo != lo or hi != hi or lo in _INFINITIES or hi in _INFINITIES:
                lo, hi = _finite(values[start:end])
            out.append((lo, hi))
            start = end
    except TypeError:  # numbers mixed with None, str, ...
        return None
    return out
