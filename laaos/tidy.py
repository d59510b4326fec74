"""A store as columns: its single values and its numeric series, each under the name of
its KEY path.  The one walk behind the notebook view (``laaos.view``), the pandas frames
(``laaos.frames``) and the commands that put runs side by side (``laaos compare``,
``laaos diff``), so that all of them name and pick a value the same way.

- A name is the KEY path of the value: plain names joined by dots (``config.lr`` for
  ``store["config"]["lr"]``), any other key in brackets (``runs['a.b'].lr``, ``x[1]``), so
  that a column's name, given back as a KEY, selects it.
- A numeric series is a list whose last item is a number (``losses``), or a field of a
  list of dicts whose value in the last dict is a number (``metrics.loss``).  Only the
  last item is looked at: a frame of a sweep must not walk every step of every run.
- A single value is any other value that is not a dict or a list: numbers, strings,
  None, tuples, sets.  Other lists, and dicts nested deeper than ``MAX_COLUMN_DEPTH``, are left
  out.
"""

from __future__ import annotations

import re
from operator import itemgetter
from typing import Any, Callable, Dict, List, Optional, Tuple

from .keypaths import Bare, KeyPathError, parse_key_path

NUMBERS = (int, float)  # (bool is an int: a series of flags draws as 0 and 1)
MAX_COLUMN_DEPTH = 16  # levels of dicts walked below the store

# A str key written as it is: a name, with the - / + @ % of "val-loss" and "train/acc".
# Any other key is written as its repr, so that no two keys look alike: '1' and 1,
# 'None' and None, 'a b', '' and b'a' each as Python writes them.
_PLAIN_NAME = re.compile(r"[^\W\d][\w\-/+@%]*")
_NOT_PLAIN = frozenset(("None", "True", "False", "inf", "nan"))  # the reprs of keys that are not str
_plain: Dict[str, bool] = {}  # (the runs of a sweep share their keys: one match per key)


def is_plain(key: Any) -> bool:
    """Whether ``key`` is a plain name, which a KEY path writes as it is."""
    if type(key) is not str:
        return isinstance(key, str) and is_plain(str(key))
    plain = _plain.get(key)
    if plain is None:
        plain = _PLAIN_NAME.fullmatch(key) is not None and key not in _NOT_PLAIN
        if len(_plain) < 100_000:
            _plain[key] = plain
    return plain


def key_text(key: Any) -> str:
    """A key as a KEY path writes it: a plain name as it is, anything else as its repr."""
    return key if is_plain(key) else repr(key)


def path_join(prefix: str, key: Any) -> str:
    """The KEY path of ``key`` under ``prefix``: ``a.b`` for a plain name, ``a['x.y']``,
    ``a[1]`` for any other key."""
    if is_plain(key):
        return f"{prefix}.{key}" if prefix else key
    return f"{prefix}[{key!r}]"


def is_table(value: Any) -> bool:
    """Whether ``value`` looks like a list of dicts (one dict per step), from its last item."""
    return type(value) is list and bool(value) and type(value[-1]) is dict


class Series:
    """A numeric series of a store: the list that holds it (``items``), its KEY path
    (``list_key``) and, for a list of dicts, the ``field`` it is (None for a list of
    numbers)."""

    __slots__ = ("list_key", "items", "field")

    def __init__(self, list_key: str, items: List[Any], field: Any = None) -> None:
        self.list_key = list_key
        self.items = items
        self.field = field

    @property
    def last(self) -> Any:
        """The value at the list's last item (what ``KEY[-1]`` selects)."""
        last = self.items[-1]
        return last if self.field is None else last.get(self.field)

    def values(self) -> List[Any]:
        """The series' values: the list, or the field of each dict that has it."""
        return self.items if self.field is None else field_values(self.items, self.field)

    @property
    def steps(self) -> int:
        """How many steps the series has: the length of its list (what ``len(KEY)`` is),
        whatever each item holds."""
        return len(self.items)


def columns_of(store: Any, max_depth: int = MAX_COLUMN_DEPTH) -> Dict[str, Any]:
    """``{KEY path: value}`` of a store, in the store's order: each single value, and a
    ``Series`` for each numeric series (see the module's docstring).  A store that is
    not a dict is one column, ``store``."""
    return _columns(store, max_depth, Series)


def split(store: Any) -> Tuple[Dict[str, Any], Dict[str, Series]]:
    """``columns_of(store)`` as ``(values, series)``: its single values, and its series."""
    values: Dict[str, Any] = {}
    series: Dict[str, Series] = {}
    for name, value in columns_of(store).items():
        (series if type(value) is Series else values)[name] = value
    return values, series


def row_of(store: Any) -> Dict[str, Any]:
    """One run as ``{KEY path: value}``: ``columns_of(store)`` with each numeric series as
    its last value."""
    return _columns(store, MAX_COLUMN_DEPTH, _last)


def _last(list_key: str, items: List[Any], field: Any = None) -> Any:
    return items[-1] if field is None else items[-1][field]


def _columns(store: Any, max_depth: int, series: Callable[..., Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    _walk(store if isinstance(store, dict) else {"store": store}, "", max_depth, series, out)
    return out


def _walk(value: Dict[Any, Any], prefix: str, depth: int, series: Callable[..., Any],
          out: Dict[str, Any]) -> None:
    # (a frame of a sweep walks every run: the common plain key without a call)
    for key, child in value.items():
        if type(key) is str and _plain.get(key):
            name = f"{prefix}.{key}" if prefix else key
        else:
            name = path_join(prefix, key)
        if isinstance(child, dict):
            if depth:
                _walk(child, name, depth - 1, series, out)
        elif isinstance(child, list):
            if child:
                last = child[-1]
                if isinstance(last, NUMBERS):  # a numeric series (see the module's docstring)
                    out[name] = series(name, child)
                elif type(last) is dict:
                    for field, item in last.items():
                        if isinstance(item, NUMBERS):
                            out[path_join(name, field)] = series(name, child, field)
        else:
            out[name] = child


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


def find_series(store: Any, key: Any) -> Tuple[Optional[List[Any]], Any]:
    """``(list, field)`` of the series ``key`` names in ``store``: ``field`` is None for the
    list itself, or the field of a list of dicts (``metrics.loss``); ``(None, None)`` when
    the store has no non-empty list there.  A str ``key`` is a KEY path as ``frame()``
    names its columns and the commands take them (``losses``, ``config.lr``,
    ``runs['a.b'].losses``, ``['m.x']``, ``[7]``, ``metrics[-1]``), so that ``m.x`` is the
    field ``x`` of ``m`` even when the store also has a key ``'m.x'``; only when the path
    names no series is it taken as a top-level key as it is (``"a b"``, ``"a.b"``).  Any
    other ``key`` is a top-level key as it is (``7``); a list is one key per level
    (``["runs", "a.b"]``)."""
    if type(store) is not dict:
        return None, None
    if isinstance(key, list):
        return _walk_path(store, key)
    if not isinstance(key, str):
        try:
            return _nonempty(store.get(key)), None
        except TypeError:  # (an unhashable key)
            return None, None
    try:
        found = _walk_path(store, parse_key_path(key))
    except KeyPathError:
        found = None, None
    if found[0] is None and key in store:
        return _nonempty(store[key]), None
    return found


def _walk_path(store: dict, steps: List[Any]) -> Tuple[Optional[List[Any]], Any]:
    """``find_series`` down the steps of a parsed KEY path (or a list of keys)."""
    value: Any = store
    for i, step in enumerate(steps):
        bare = type(step) is Bare
        index = int(step) if bare and step.lstrip("-").isdigit() else step if type(step) is int else None
        if type(value) is dict:
            if bare:
                value = value[str(step)] if str(step) in value else value.get(index, _MISSING)
            else:
                try:
                    value = value.get(step, _MISSING)
                except TypeError:
                    return None, None
        elif type(value) is list and value:
            if index is not None:
                value = value[index] if -len(value) <= index < len(value) else _MISSING
            elif i == len(steps) - 1 and is_table(value):
                return value, str(step) if bare else step  # a field of a list of dicts
            else:
                return None, None
        else:
            return None, None
        if value is _MISSING:
            return None, None
    return _nonempty(value), None


_MISSING = object()


def _nonempty(value: Any) -> Optional[List[Any]]:
    return value if type(value) is list and value else None
