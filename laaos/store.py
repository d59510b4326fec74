"""The ``Store``: a log and its in-memory root, over the store's whole life.

A store writes through its backend's ``Writer``, which keeps the one closed state; every
operation runs under the writer's lock.  Values are normalized here to plain data (the
one copy a value gets on its way in) and then adopted by the proxies (``laaos.proxies``).
What happens at exit, on SIGTERM and after ``fork`` is in ``laaos._lifecycle``.
"""

from __future__ import annotations

import enum
import os
import warnings
from collections.abc import Mapping
from typing import Any, List, Optional, Sequence

from . import _backend, _lifecycle
from ._limits import MAX_DEPTH, MAX_VALUE_DEPTH
from ._records import record_line
from ._statements import store_statements
from .errors import UnsupportedTypeError
from .handlers import TypeHandler
from .loader import is_utf8
from ._container_api import _UNLIMITED
from .proxies import SCALARS, StoreDict, StoreList, StoreRoot, StoreSet


class Store:
    """A store whose every change is appended to ``log`` as one line of Python.

    ``log`` is any text file object (``io.StringIO`` too); ``open_file_store`` makes one
    on a locked file.  ``initial_data`` seeds a new store; with ``append_mode=True``
    it is the state of an existing log and nothing is written for it.
    ``type_handlers`` store types laaos does not know (see ``TypeHandler``).
    ``durability`` is ``"flush"``, ``"fsync"`` or ``"buffered"`` (see the README).

    Close a store with ``close()`` (or ``with``).  A store dropped unclosed is closed when
    it is garbage-collected, with a ``ResourceWarning`` as an unclosed file gives; every
    store still open at interpreter exit is closed then, and on SIGTERM where nothing
    else handles it.  Each close writes what a buffered store holds and releases the
    log's lock.  In the child of a ``fork`` (``multiprocessing`` with the ``fork`` start
    method) an inherited store can be read as it was at the fork, but it is closed: a
    write raises ``StoreClosedError``, and the child never writes the parent's buffer.
    A store cannot be pickled (``spawn``/``forkserver``): pass ``laaos.to_plain(x)``.
    """

    # The engine is a slot so that the extension's append (src_ext/engine.pxi) reads it
    # with one load; everything else lives in the instance dict as usual.
    __slots__ = ("_engine", "__dict__", "__weakref__")
    # How deep a value may nest below the statement that logs it (the extension's
    # engine reads it here).
    _max_value_depth = MAX_VALUE_DEPTH

    def __init__(
        self,
        log: Any,
        *,
        uri: Optional[str] = None,
        initial_data: Optional[Mapping] = None,
        type_handlers: Optional[Sequence[TypeHandler]] = None,
        append_mode: bool = False,
        durability: str = "flush",
        buffer_size: int = 1 << 16,
        flush_interval: float = 1.0,
    ):
        _refuse_other_encodings(log, uri)
        self._type_handlers: List[TypeHandler] = list(type_handlers or ())
        self._log = log
        self._uri = uri
        impl = _backend.impl
        self._render_impl = impl.render
        target = log.fileno() if getattr(log, "laaos_owns_fd", False) else log
        self._writer = impl.Writer(target, durability, buffer_size, flush_interval)
        self._writer.name = uri
        self._lock = self._writer.lock
        self._engine = impl.Engine(self, self._writer, StoreList, StoreDict, StoreSet)
        if initial_data is None:
            initial_data = {}
        if append_mode:
            plain = initial_data  # loaded from the log: already plain and loadable
        else:
            try:
                # (no depth limit here: store_statements splits what is too deep, which is
                # how compact() writes a log whose nesting grew one statement at a time)
                plain = self._normalize(initial_data, _UNLIMITED)
                if type(plain) is not dict:
                    raise TypeError(f"initial_data must be a dict, not {type(initial_data).__name__}")
                for statement in store_statements(plain, self._render):
                    self._emit_text(statement)
            except BaseException:
                # No store was made: the caller keeps its log (nothing to warn about later)
                self._writer.close(f"the store on {self._name()} was never opened")
                raise
        self._root = StoreRoot._adopt(self, plain)
        self._root._accessor = "store"
        proxify, render = self._engine.proxify, self._engine.render
        for key, value in plain.items():
            if type(value) in _CONTAINERS:
                plain[key] = proxify(value, f"store[{render(key)}]")
        _lifecycle.track(self)
        if durability == "buffered":
            _lifecycle.close_on_signals()

    # ---- public ------------------------------------------------------------------------

    @property
    def uri(self) -> Optional[str]:
        return self._uri

    @property
    def root(self) -> "StoreRoot":
        return self._root

    @property
    def durability(self) -> str:
        return self._writer.durability

    def flush(self) -> None:
        """Write out buffered statements (``durability="buffered"``).

        A write that fails (a full disk) raises its ``OSError`` and keeps the buffer: a
        later ``flush()`` or ``close()`` writes it.  On a store that a failed write
        closed (a text file object that cannot be repaired) it raises
        ``StoreClosedError`` naming that failure."""
        with self._lock:
            writer = self._writer
            if writer.closed and writer.failure is None:
                return
            writer.flush()  # (a writer a failure closed raises StoreClosedError from it)

    def mark(self, label: str) -> None:
        """Append the mark ``label`` (a ``#laaos:mark`` record) to the log and hand it to
        the OS: a mark says "a checkpoint holds this state", so it must not wait in a
        buffer (``StoreRoot.mark``)."""
        from .provenance import utc_now  # (imported when first needed: it imports socket & co.)

        if not isinstance(label, str) or not label:
            raise TypeError(f"a mark's label is a non-empty str, not {label!r}")
        info = {"label": label, "time": utc_now()}
        with self._lock:
            self._emit_text(record_line("mark", info)[:-1].decode("ascii"))
            self._writer.flush()

    def close(self) -> None:
        """Flush and close the log, releasing its lock.  Closing again does nothing.

        If the buffer cannot be written (a full disk), ``close`` raises the ``OSError``
        and the store stays open with its buffer and its lock: free some space and call
        ``close()`` (or ``flush()``) again.  A store that a failed write closed raises
        ``StoreClosedError`` naming that failure."""
        with self._lock:
            writer = self._writer
            if writer.closed:
                if writer.failure is not None:
                    self._close_log()
                    writer.flush()  # raises StoreClosedError from the failure
                return
            try:
                writer.flush()
            except OSError:
                if writer.closed:  # a text file object: nothing to retry
                    self._close_log()
                raise
            writer.close(f"the store on {self._name()} is closed")
            self._close_log()

    def _close_log(self) -> None:
        _lifecycle.untrack(self)
        if not getattr(self._log, "closed", False):
            self._log.close()

    @property
    def closed(self) -> bool:
        return self._writer.closed

    def __repr__(self) -> str:
        return repr(self._root)

    def _repr_html_(self) -> str:
        """The notebook view of the store (``laaos.view``)."""
        return self._root._repr_html_()

    def __del__(self) -> None:
        writer = getattr(self, "_writer", None)
        if writer is None or writer.closed:
            return
        warnings.warn(
            f"unclosed laaos store {self._name()}: call close() or use `with` (closed now)",
            ResourceWarning,
            stacklevel=2,
            source=self,
        )
        # A close that fails here (a full disk) is reported as a finalizer's error is
        # ("Exception ignored in ..." on stderr): the buffer goes with the store.
        self.close()

    def __reduce_ex__(self, protocol: Any) -> Any:
        from .proxies import _not_picklable

        raise _not_picklable(self)

    # The original's static helpers, kept for code that calls them.
    @staticmethod
    def write(store: "Store", text: str) -> None:
        with store._lock:
            store._emit_text(text)

    @staticmethod
    def wrap(store: "Store", obj: Any) -> Any:
        return store._proxify(store._normalize(obj))

    @staticmethod
    def repr(store: "Store", obj: Any) -> str:
        return store._render(store._normalize(obj))

    # ---- lifecycle ---------------------------------------------------------------------

    def _name(self) -> str:
        return repr(self._uri or self._log)

    def _abandon(self, parent: int) -> None:
        """In the child of a fork: close without writing the parent's buffer or touching
        the log (closing it would release the parent's lock)."""
        self._writer.abandon(
            f"the store on {self._name()} belongs to process {parent}; this process "
            f"({os.getpid()}) is a child made by fork and inherited it, so it cannot "
            "write to it (the statements of both processes would mix in one log). Send "
            "results back to the parent and log them there, or open a log of its own "
            "(see the README, 'Processes')"
        )
        self._lock = self._writer.lock

    # ---- writing -----------------------------------------------------------------------

    def _emit_text(self, text: str) -> None:
        """Write one statement that changes nothing in memory (a new store's, a mark)."""
        self._writer.emit(text)

    # ---- values ------------------------------------------------------------------------

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

    def _normalize(self, obj: Any, depth: int = 0) -> Any:
        """Plain data for ``obj``: lists, dicts, sets, scalars and handled objects; a new
        container for every container (the one copy a value gets on its way in)."""
        t = type(obj)
        if t in SCALARS:
            return obj
        if depth >= MAX_VALUE_DEPTH:
            raise _too_deep()
        depth += 1
        if t is list or t is tuple:
            return [self._normalize(v, depth) for v in obj]
        if t is dict:
            return {self._normalize_key(k, depth): self._normalize(v, depth) for k, v in obj.items()}
        if t is StoreList:
            return [self._normalize(v, depth) for v in obj._plain]
        if t is StoreDict or t is StoreRoot:
            return {k: self._normalize(v, depth) for k, v in obj._plain.items()}
        if t is set or t is StoreSet:
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
                raise _too_deep()
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

    def _proxify(self, value: Any, accessor: Optional[str] = None) -> Any:
        """The stored form of plain data: its containers become proxies, adopting the
        containers ``_normalize`` made (no second copy), linked under ``accessor`` when
        it is given (one pass: no second walk to link them).  The walk keeps its own
        stack, not Python's: a log nested deeper than the recursion limit one append at
        a time (each statement shallow) reopens."""
        if type(value) not in _CONTAINERS:
            return value
        root = _adopt(self, value, accessor)
        stack = [(value, accessor)]
        while stack:
            plain, acc = stack.pop()
            t = type(plain)
            if t is set:
                continue
            for k, v in enumerate(plain) if t is list else plain.items():
                if type(v) in _CONTAINERS:
                    if acc is None:
                        child = None
                    else:
                        child = f"{acc}[{k}]" if t is list else f"{acc}[{self._render(k)}]"
                    plain[k] = _adopt(self, v, child)
                    stack.append((v, child))
        return root


def _adopt(store: Store, plain: Any, accessor: Optional[str]) -> Any:
    """A proxy adopting the container ``plain``, linked under ``accessor``."""
    t = type(plain)
    proxy = (StoreList if t is list else StoreDict if t is dict else StoreSet)._adopt(store, plain)
    proxy._accessor = accessor
    return proxy


_CONTAINERS = (list, dict, set)


def _too_deep() -> ValueError:
    return ValueError(
        f"laaos cannot log a value nested more than {MAX_VALUE_DEPTH} levels deep (the "
        f"loader's limit is {MAX_DEPTH} levels per statement): store the inner part under "
        "its own key, or flatten it; nothing was written"
    )


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


def _refuse_other_encodings(log: Any, uri: Optional[str]) -> None:
    """Refuse a text file object that encodes in something other than UTF-8 (what
    ``open(path, "w")`` gives on Windows, cp1252): its log would not load as written."""
    encoding = getattr(log, "encoding", None)
    if isinstance(encoding, str) and not is_utf8(encoding):
        name = uri or getattr(log, "name", None) or repr(log)
        raise ValueError(
            f"{name}: the file object writes {encoding!r}, but a laaos log is UTF-8: open it with "
            f"encoding=\"utf-8\" (open(path, \"a\", encoding=\"utf-8\")); nothing was written"
        )
