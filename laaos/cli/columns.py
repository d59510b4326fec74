"""A store as columns, for the commands that put runs side by side (``compare``, ``diff``):
its single values under dotted names (``config.lr``), its numeric series (``losses``,
and each numeric field of a list of dicts: ``metrics.loss``), and the short names of runs.

A name is the KEY path of the value (see ``keys``): plain names joined by dots, any other
key in brackets (``runs['a.b'].lr``), so that a column's name also selects it."""

from __future__ import annotations

import itertools
import math
import os
from dataclasses import dataclass
from typing import Any, Dict, List, Sequence

from .show import key_text

__all__ = ["Series", "flatten", "run_names", "path_join", "is_number"]


def is_number(v: Any) -> bool:
    """An int or a float (a bool is not a number of a series)."""
    return isinstance(v, (int, float)) and not isinstance(v, bool)


@dataclass
class Series:
    """A numeric series of a store: the KEY of the list that holds it (``list_key``),
    how many numbers it holds (``steps``: None items, and the dicts of the list that lack
    the field, are not steps) and the value at the list's last item (``last``: what
    ``KEY[-1]`` selects, None where that item lacks it)."""

    list_key: str
    steps: int
    last: Any


def path_join(prefix: str, key: Any) -> str:
    """The KEY path of ``key`` under ``prefix``: ``a.b`` for a plain name, ``a['x.y']``,
    ``a[1]`` for any other key."""
    text = key_text(key)
    if text == key and "." not in text:  # (key_text gives plain names as they are)
        return f"{prefix}.{text}" if prefix else text
    return f"{prefix}[{text}]"


def flatten(store: Any, max_depth: int = 16) -> "tuple[Dict[str, Any], Dict[str, Series]]":
    """``(values, series)`` of a store: ``values`` the single values under its dicts
    (numbers, strings, None, sets and tuples, by dotted name), ``series`` its numeric
    lists and the numeric fields of its lists of dicts.  Other lists are left out; dicts
    nested deeper than ``max_depth`` too."""
    values: Dict[str, Any] = {}
    series: Dict[str, Series] = {}
    stack = [("", store, 0)]
    while stack:
        prefix, d, depth = stack.pop()
        nested = []
        for key, v in d.items():
            name = path_join(prefix, key)
            if isinstance(v, dict):
                if depth < max_depth:
                    nested.append((name, v, depth + 1))
            elif isinstance(v, list):
                _list_series(name, v, series)
            else:
                values[name] = v
        stack.extend(reversed(nested))
    return values, series


_NUMBER_TYPES = frozenset((int, float, type(None)))  # (a loaded store's numbers are these exactly)


def _numeric(values: list) -> bool:
    """Whether ``values`` are numbers and None, not all None."""
    types = set(map(type, values))  # (a C loop: a sweep's logs hold millions of items)
    return types <= _NUMBER_TYPES and types != {type(None)}


def _list_series(name: str, items: list, out: Dict[str, Series]) -> None:
    if not items:
        return
    if set(map(type, items)) == {dict}:
        last = items[-1]
        for k in dict.fromkeys(itertools.chain.from_iterable(items)):
            column = list(map(dict.get, items, itertools.repeat(k)))
            if _numeric(column):
                out[path_join(name, k)] = Series(name, len(column) - column.count(None), last.get(k))
    elif _numeric(items):
        out[name] = Series(name, len(items) - items.count(None), items[-1])


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
