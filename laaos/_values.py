"""Values on their way into a log: normalized to plain data (lists, dicts, sets, scalars
and objects a type handler takes) and rendered as the log's source text, with a store's
type handlers.

A ``Store`` is a ``Values`` (it adds the log, the engine and the proxies).  ``compact``
and the other rewrites use a ``Values`` alone: ``write_store`` gives a writer the
statements of a whole store, the same text a new store writes for its initial data,
without making a store or a proxy.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, List, Optional, Sequence

from . import _backend
from ._container_api import _UNLIMITED
from ._limits import MAX_DEPTH, MAX_VALUE_DEPTH
from ._statements import store_statements
from .errors import UnsupportedTypeError, container_mismatch
from .handlers import TypeHandler
from .proxies import SCALARS, StoreAccessible, StoreDict, StoreList, StoreRoot, StoreSet


# Scalar keys that are their own plain key: all but float and complex, which may be NaN.
_PLAIN_KEYS = SCALARS - {float, complex}


class Values:
    """Normalizing and rendering with ``type_handlers`` (see ``TypeHandler``).  A handler's
    ``repr`` is given the ``Values`` (the store, in a store) as its ``store``."""

    __slots__ = ("_type_handlers", "_render_impl")

    def __init__(self, type_handlers: Optional[Sequence[TypeHandler]] = None) -> None:
        self._type_handlers: List[TypeHandler] = list(type_handlers or ())
        self._render_impl = _backend.impl.render

    def write_store(self, writer: Any, data: Optional[Mapping], *, loaded: bool = False) -> dict:
        """Give ``writer`` (a backend's ``Writer``) the statements of a log whose store is
        ``data`` (``laaos._statements``: one where it fits the loader's limits, several
        where it does not); return the plain copy of ``data`` they log.  The copy is not
        depth-limited: ``store_statements`` splits what is too deep, as a log whose nesting
        grew one statement at a time is.  ``loaded``: ``data`` is a loaded store, whose
        tuples and frozensets are written as they are (a rewrite must load to the same
        value), where a store's data stores them as lists and sets."""
        data = {} if data is None else data
        plain = self._copy_loaded(data, _UNLIMITED) if loaded else self._normalize(data, _UNLIMITED)
        if type(plain) is not dict:
            raise TypeError(f"initial_data must be a dict, not {type(data).__name__}")
        for statement in store_statements(plain, self._render):
            writer.emit(statement)
        return plain

    def _render(self, value: Any) -> str:
        return self._render_impl(value, self._render_unknown)

    def _render_any(self, obj: Any) -> str:
        return self._render_impl(self._normalize(obj), self._render_unknown)

    def _render_unknown(self, obj: Any) -> str:
        """Render what the backend's renderer does not know: objects a handler takes."""
        for handler in self._type_handlers:
            if handler.supports(obj):
                text = handler.repr(obj, self._render_any, self)
                _check_expression(text, handler, obj)
                return text
        raise _unsupported(obj)

    def _copy_loaded(self, obj: Any, depth: int) -> Any:
        """``_normalize`` for a loaded value: the same copy, but a tuple or a frozenset
        stays one, at any depth."""
        t = type(obj)
        if t in SCALARS:
            return obj
        if t is tuple:
            return tuple([self._copy_loaded(v, depth + 1) for v in obj])
        if t is frozenset:
            return frozenset([self._copy_loaded(v, depth + 2) for v in obj])
        if t is list:
            return [self._copy_loaded(v, depth + 1) for v in obj]
        if t is dict:
            return {self._copy_loaded(k, depth + 1): self._copy_loaded(v, depth + 1) for k, v in obj.items()}
        if t is set:
            return {self._copy_loaded(v, depth + 1) for v in obj}
        return self._normalize(obj, depth)  # what symbols made: as a store takes it

    def _normalize(self, obj: Any, depth: int = 0) -> Any:
        """Plain data for ``obj``: lists, dicts, sets, scalars and handled objects; a new
        container for every container (the one copy a value gets on its way in)."""
        t = type(obj)
        if t in SCALARS:
            return obj
        if depth >= MAX_VALUE_DEPTH:
            raise _too_deep(obj)
        depth += 1
        if t is list or t is tuple:
            if SCALARS.issuperset(map(type, obj)):  # (a series: one pass in C)
                return list(obj)
            return [self._normalize(v, depth) for v in obj]
        if t is dict:
            if SCALARS.issuperset(map(type, obj.values())) and _PLAIN_KEYS.issuperset(map(type, obj)):
                return obj.copy()  # (a record of scalars: two passes in C)
            return {self._normalize_key(k, depth): self._normalize(v, depth) for k, v in obj.items()}
        if t is StoreList or t is StoreDict or t is StoreRoot or t is StoreSet:
            plain = obj._plain
            if type(plain) is not obj._plain_type:  # (a proxy whose __class__ was changed)
                raise container_mismatch(obj, plain, obj._plain_type)
            if t is StoreList:
                return [self._normalize(v, depth) for v in plain]
            if t is StoreSet:
                return {self._normalize_key(v, depth) for v in obj}
            return {k: self._normalize(v, depth) for k, v in plain.items()}
        if t is set:
            return {self._normalize_key(v, depth) for v in obj}
        return self._normalize_other(obj, depth)

    def _normalize_key(self, obj: Any, depth: int = 0) -> Any:
        """Plain data for a dict key or set element: tuples stay tuples and frozensets
        frozensets; NaN is refused, because no loaded key is equal to it (the log could
        not address it again)."""
        t = type(obj)
        if t in SCALARS:
            if (t is float or t is complex) and obj != obj:
                raise _nan_key()
            return obj
        if t is tuple or isinstance(obj, frozenset):
            depth += 1 if t is tuple else 2  # frozenset({...}): two brackets for the loader
            if depth > MAX_VALUE_DEPTH:
                raise _too_deep(obj)
            items = [self._normalize_key(v, depth) for v in obj]
            return tuple(items) if t is tuple else frozenset(items)
        value = self._normalize(obj)
        t = type(value)
        if (t is float or t is complex) and value != value:  # a numpy NaN
            raise _nan_key()
        try:
            hash(value)
        except TypeError:
            raise TypeError(
                f"laaos cannot use a {_type_name(obj)} as a dict key or set element: it is "
                f"stored as a {t.__name__}, which is unhashable; use a tuple (or a frozenset, "
                "a string, a number)"
            ) from None
        return value

    def _normalize_other(self, obj: Any, depth: int) -> Any:
        """Plain data for what ``_normalize`` does not know by its exact type (see the
        README's "Values"): subclasses of the plain types, array-likes, handled types,
        mappings in all but name, other iterables."""
        if isinstance(obj, Mapping):
            return {self._normalize_key(k, depth): self._normalize(v, depth) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [self._normalize(v, depth) for v in obj]
        if isinstance(obj, (set, frozenset)):
            return {self._normalize_key(v, depth) for v in obj}
        if not isinstance(obj, (str, bytes, enum.Enum)):
            tolist = getattr(obj, "tolist", None)
            if callable(tolist):
                return self._normalize_array(obj, tolist, depth)
        for handler in self._type_handlers:
            if handler.supports(obj):
                wrapped = handler.wrap(obj, self._normalize)
                return obj if wrapped is obj else self._normalize(wrapped, depth)
        for base in (int, float, str, bytes, complex):
            if isinstance(obj, base):  # IntEnum and friends with no handler: their value
                return base.__new__(base, obj) if base is not str else str.__str__(obj)
        if isinstance(obj, (type, enum.Enum)):
            # (an enum.Flag member iterates over its members, a single one over itself)
            raise _unsupported(obj)
        keys = getattr(obj, "keys", None)
        if callable(keys) and hasattr(type(obj), "__getitem__"):
            # A mapping in all but name (a pandas DataFrame): iterating it would give its
            # keys only, so it is stored as the dict that dict(obj) makes.
            return self._normalize_labeled(obj, list(keys()), None, depth)
        try:
            items = iter(obj)
        except TypeError:
            raise _unsupported(obj) from None
        out = []
        for v in items:
            if v is obj:  # iterates over itself: no data to store but the object
                raise _unsupported(obj)
            out.append(self._normalize(v, depth))
        return out

    def _normalize_array(self, obj: Any, tolist: Any, depth: int) -> Any:
        """numpy scalars and arrays, torch tensors, pandas Series...: plain Python values,
        without importing any of them."""
        kind = getattr(getattr(obj, "dtype", None), "kind", "")
        keys = getattr(obj, "keys", None)
        if callable(keys):  # labeled (a pandas Series): a dict, unless the labels are 0..n-1
            labels = list(keys())
            if not _positions(labels):
                return self._normalize_labeled(obj, labels, tolist(), depth)
        if kind in ("M", "m"):  # numpy datetime64 / timedelta64: their text (README)
            return self._normalize(obj.astype(str).tolist(), depth)
        value = tolist()
        if type(value) is type(obj):
            if kind in ("f", "c"):  # longdouble: the nearest float (README)
                return self._normalize(obj.astype(float if kind == "f" else complex).tolist(), depth)
            raise _unsupported(obj)
        return self._normalize(value, depth)

    def _normalize_labeled(self, obj: Any, labels: list, values: Any, depth: int) -> dict:
        """``{label: value}`` for a mapping-like ``obj``: its ``values`` in label order, or
        ``obj[label]`` each; refused when two labels are one key (they would be lost)."""
        keys = [self._normalize_key(k, depth) for k in labels]
        if len(set(keys)) != len(keys):
            raise ValueError(
                f"laaos cannot store this {_type_name(obj)}: its labels repeat, and as dict "
                "keys the repeated ones would be lost; make them unique, or store a plain "
                "copy of its data"
            )
        if values is None:
            values = [obj[k] for k in labels]
        return {k: self._normalize(v, depth) for k, v in zip(keys, values)}


def _too_deep(obj: Any) -> ValueError:
    """The error for a value nested deeper than a log holds; ``obj`` is its part at the
    limit, which a value that holds itself (a cycle) always reaches."""
    if _holds_itself(obj):
        return ValueError(
            f"laaos cannot log a value that holds itself (a {_type_name(obj)} inside itself, "
            "directly or through other containers: it has no end to write); nothing was written"
        )
    return ValueError(
        f"laaos cannot log a value nested more than {MAX_VALUE_DEPTH} levels deep (the "
        f"loader's limit is {MAX_DEPTH} levels per statement): store the inner part under "
        "its own key, or flatten it; nothing was written"
    )


def _holds_itself(obj: Any) -> bool:
    """Whether the container ``obj`` is among its own items, at any depth (each
    container is looked into once)."""
    target = obj._plain if isinstance(obj, StoreAccessible) else obj
    seen = set()
    stack = [target]
    while stack:
        value = stack.pop()
        if not isinstance(value, (list, tuple, dict, set, frozenset)) or id(value) in seen:
            continue
        seen.add(id(value))
        for part in [*value.keys(), *value.values()] if isinstance(value, dict) else value:
            if isinstance(part, StoreAccessible):
                part = part._plain
            if part is target:
                return True
            stack.append(part)
    return False


def _unsupported(obj: Any) -> UnsupportedTypeError:
    hint = ""
    if isinstance(obj, enum.Enum):
        hint = (
            "; for enum members: laaos.StrEnumHandler() stores str(member), "
            "laaos.WeakEnumHandler() stores Color.RED, or log member.value"
        )
    return UnsupportedTypeError(
        f"laaos cannot store a value of type {_type_name(obj)}: "
        "convert it to plain data (numbers, strings, lists, dicts, sets), or pass a "
        "TypeHandler for it, e.g. open_file_store(..., type_handlers=[MyHandler()]) "
        f"(see laaos.TypeHandler and laaos.DefaultTypeHandlers){hint}"
    )


def _type_name(obj: Any) -> str:
    t = type(obj)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _nan_key() -> ValueError:
    return ValueError(
        "laaos cannot use NaN as a dict key or set element: NaN != NaN, so the "
        "loaded log could never find it again; use a string such as 'nan'"
    )


def _positions(labels: list) -> bool:
    """Whether ``labels`` are 0, 1, 2...: the labels of a plain sequence."""
    for i, k in enumerate(labels):
        if type(k) is bool or not hasattr(type(k), "__index__") or k != i:
            return False
    return True


def _check_expression(text: Any, handler: TypeHandler, obj: Any) -> None:
    """Refuse a handler's text that the loader could not read back."""
    from ._parser import check_expression

    if not isinstance(text, str):
        raise TypeError(f"{type(handler).__name__}.repr returned {type(text).__name__}, not str")
    problem = check_expression(text)
    if problem:
        raise UnsupportedTypeError(
            f"{type(handler).__name__} rendered a {type(obj).__qualname__} as {text[:80]!r}, "
            f"which the laaos loader cannot read ({problem}); nothing was written"
        )

