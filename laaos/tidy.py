"""A store seen as a table row: its scalar leaves by dotted path, and its series.

Shared by the notebook view (``laaos.view``) and the pandas frames (``laaos.frames``),
so that both name a value the same way: ``config.lr`` for ``store["config"]["lr"]``,
``metrics.loss`` for the ``"loss"`` field of a list of dicts ``store["metrics"]``.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any, Dict, Iterator, List, Optional, Tuple

SCALARS = (int, float, str, bool, type(None), bytes, complex)
NUMBERS = (int, float)  # (bool is an int: a series of flags draws as 0 and 1)


def name_of(path: Tuple[Any, ...]) -> str:
    """A path of keys as one dotted name (``("config", "lr")`` -> ``"config.lr"``)."""
    return ".".join(k if isinstance(k, str) else repr(k) for k in path) if path else "store"


def is_series(value: Any) -> bool:
    """Whether ``value`` looks like a numeric series, from its last item only (cheap:
    a frame of a sweep must not walk every step of every run)."""
    return type(value) is list and bool(value) and isinstance(value[-1], NUMBERS)


def is_table(value: Any) -> bool:
    """Whether ``value`` looks like a list of dicts (one dict per step), from its last item."""
    return type(value) is list and bool(value) and type(value[-1]) is dict


def walk(value: Any, path: Tuple[Any, ...] = ()) -> Iterator[Tuple[Tuple[Any, ...], str, Any]]:
    """``(path, kind, value)`` for each leaf of a store: ``kind`` is ``"scalar"``,
    ``"series"`` (a list whose last item is a number), ``"table"`` (a list of dicts) or
    ``"other"`` (any other list, a set, a value of an exposed type)."""
    if type(value) is dict:
        for key, child in value.items():
            yield from walk(child, path + (key,))
    elif isinstance(value, SCALARS):
        yield path, "scalar", value
    elif is_series(value):
        yield path, "series", value
    elif is_table(value):
        yield path, "table", value
    else:
        yield path, "other", value


def row_of(store: Any) -> Dict[str, Any]:
    """One run as ``{dotted name: value}``: every scalar leaf, and each numeric series
    (and each numeric field of a list of dicts) as its last value."""
    row: Dict[str, Any] = {}
    if type(store) is dict:
        _fill(row, store, "")
    elif isinstance(store, SCALARS) or is_series(store) or is_table(store):
        _fill(row, {"store": store}, "")
    return row


def _fill(row: Dict[str, Any], value: Dict[Any, Any], prefix: str) -> None:
    # (``walk`` without its generators: a frame of a sweep calls this once per run)
    for key, child in value.items():
        name = prefix + (key if type(key) is str else repr(key))
        kind = type(child)
        if kind is dict:
            _fill(row, child, name + ".")
        elif kind is list:
            if child:
                last = child[-1]
                if isinstance(last, NUMBERS):
                    row[name] = last
                elif type(last) is dict:
                    for field, item in last.items():
                        if isinstance(item, NUMBERS):
                            row[f"{name}.{field if type(field) is str else repr(field)}"] = item
        elif isinstance(child, SCALARS):
            row[name] = child


def field_values(rows: List[Any], field: Any) -> List[Any]:
    """The values of ``field`` in a list of dicts, leaving out the rows without it."""
    try:
        return list(map(itemgetter(field), rows))
    except (KeyError, TypeError):  # (some rows lack it, or are not dicts)
        return [r[field] for r in rows if type(r) is dict and field in r]


def fields_of(rows: List[Any]) -> List[Any]:
    """The keys of a list of dicts, in order of first appearance."""
    first = rows[0] if type(rows[0]) is dict else {}
    last = rows[-1] if type(rows[-1]) is dict else {}
    if len(rows) > 2 and first.keys() == last.keys():
        # (the common case, one dict per step with the same keys, without a walk of them all)
        return list(first)
    return list(dict.fromkeys(k for r in rows if type(r) is dict for k in r))


def lookup(store: Any, key: Any) -> Optional[Any]:
    """``store[key]``, or for a dotted name the nested value (``"config.lr"``); ``None``
    when the store has neither."""
    if type(store) is not dict:
        return None
    if key in store:
        return store[key]
    if isinstance(key, str) and "." in key:
        value: Any = store
        for part in key.split("."):
            if type(value) is not dict or part not in value:
                return None
            value = value[part]
        return value
    return None
