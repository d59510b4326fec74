"""For the commands that put runs side by side (``compare``, ``diff``, ``plot``): whether a
column differs between runs, and the short names of runs.  The columns themselves are
``laaos.tidy``'s."""

from __future__ import annotations

import math
import os
from typing import Any, Dict, List, Sequence

__all__ = ["differ", "same_value", "run_names"]


def differ(rows: Sequence[Dict[str, Any]], name: str) -> bool:
    """Whether the value ``name`` differs between the ``rows`` (missing from some counts;
    NaN equals NaN)."""
    missing = object()
    first = rows[0].get(name, missing)
    for row in rows[1:]:
        v = row.get(name, missing)
        if not same_value(first, v):
            return True
    return False


def same_value(a: Any, b: Any) -> bool:
    """``a == b`` of the same type, with NaN equal to NaN (1 and 1.0 and True differ)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)


def run_names(paths: Sequence[str]) -> List[str]:
    """Short names that tell the logs ``paths`` apart: the file name without ``.py``, with
    as many of the folders above it as it takes to be unique (``lr0.1``, ``a/run``)."""
    parts = [_split(p) for p in paths]
    names = []
    for path_parts in parts:
        n = 1
        while n < len(path_parts):
            tail = path_parts[-n:]
            if sum(1 for other in parts if other[-n:] == tail) == 1:
                break
            n += 1
        names.append("/".join(path_parts[-n:]))
    return names


def _split(path: str) -> List[str]:
    path = os.path.normpath(os.path.abspath(path))
    parts = [p for p in path.replace(os.sep, "/").split("/") if p]
    if parts and parts[-1].endswith(".py") and len(parts[-1]) > 3:
        parts[-1] = parts[-1][:-3]
    return parts
