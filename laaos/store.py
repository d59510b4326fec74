"""The store: ``Store`` and the proxies that log every mutation as one statement.

Every mutating call follows the same order, under the store's lock: check the container
is still linked, normalize the value to plain data, render and write the statement, and
only then change memory.  So a value that cannot be stored, or a write that fails,
leaves both the log and the in-memory store as they were.
"""

from __future__ import annotations

import atexit
import enum
import operator
import os
import signal
import threading
import weakref
from collections.abc import Mapping, MutableMapping, MutableSequence, MutableSet
from typing import Any, Iterator, List, Optional, Sequence

from . import _backend
from .errors import (
    SliceNotSupportedError,
    StoreClosedError,
    UnlinkedContainerError,
    UnsupportedTypeError,
)
from .handlers import TypeHandler

_SCALARS = frozenset((int, float, str, bool, type(None), bytes, complex))
_MISSING = object()


class Store:
    """A store whose every change is appended to ``log`` as one line of Python.

    ``log`` is any text file object (``io.StringIO`` too); ``open_file_store`` makes one
    on a locked file.  ``initial_data`` seeds a new store; with ``append_mode=True``
    it is the state of an existing log and nothing is written for it.
    ``type_handlers`` store types laaos does not know (see ``TypeHandler``).
    ``durability`` is ``"flush"``, ``"fsync"`` or ``"buffered"`` (see the README); a
    buffered store is flushed by ``flush()``, ``close()``, at interpreter exit and on
    SIGTERM (when nothing else handles SIGTERM).
    """

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
        self._type_handlers: List[TypeHandler] = list(type_handlers or ())
        self._log = log
        self._uri = uri
        self._closed = False
        self._broken: Optional[BaseException] = None
        impl = _backend.impl
        self._render_impl = impl.render
        target = log.fileno() if getattr(log, "laaos_owns_fd", False) else log
        self._writer = impl.Writer(target, durability, buffer_size, flush_interval)
        self._lock = self._writer.lock
        if initial_data is None:
            initial_data = {}
        if append_mode:
            plain = initial_data  # loaded from the log: already plain and loadable
        else:
            plain = self._normalize(initial_data)
            if type(plain) is not dict:
                raise TypeError(f"initial_data must be a dict, not {type(initial_data).__name__}")
            if plain:
                self._emit_value("store = (\n", plain, "\n)")
            else:
                self._emit_text("store = {}")
        self._root = StoreRoot._adopt(self, {k: self._proxify(v) for k, v in plain.items()})
        self._root._link("store")
        if durability == "buffered":
            _BUFFERED.add(self)
            _flush_on_sigterm()

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
        """Write out buffered statements (``durability="buffered"``)."""
        with self._lock:
            if not self._closed:
                self._writer.flush()

    def close(self) -> None:
        """Flush and close the log.  Closing again does nothing."""
        with self._lock:
            if self._closed:
                return
            try:
                if self._broken is None:
                    self._writer.flush()
            finally:
                self._closed = True
                self._writer.stopped = True
                _BUFFERED.discard(self)
                self._log.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def __repr__(self) -> str:
        return repr(self._root)

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

    # ---- writing -----------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosedError(f"the store on {self._uri or self._log!r} is closed")
        if self._broken is not None:
            raise StoreClosedError(
                f"an earlier write to {self._uri or self._log!r} failed ({self._broken!r}); "
                "the log may end in a partial statement: reopen it to repair"
            ) from self._broken

    def _emit_value(self, head: str, value: Any, tail: str) -> None:
        if self._writer.stopped:  # closed, or an earlier write failed
            self._check_open()
        try:
            self._writer.emit_value(head, value, tail, self._fallback)
        except OSError as e:
            self._write_failed(e)
            raise

    def _emit_text(self, text: str) -> None:
        if self._writer.stopped:  # closed, or an earlier write failed
            self._check_open()
        try:
            self._writer.emit(text)
        except OSError as e:
            self._write_failed(e)
            raise

    def _write_failed(self, error: BaseException) -> None:
        # A file store cuts a failed statement back off its file; a text file object
        # cannot be repaired, so the store stops writing to it.
        if not getattr(self._log, "laaos_owns_fd", False):
            self._broken = error
            self._writer.stopped = True

    # ---- values ------------------------------------------------------------------------

    def _render(self, value: Any) -> str:
        return self._render_impl(value, self._fallback)

    def _render_any(self, obj: Any) -> str:
        return self._render_impl(self._normalize(obj), self._fallback)

    def _fallback(self, obj: Any) -> str:
        """Render what the backend's renderer does not know: proxies and handled objects."""
        if isinstance(obj, StoreAccessible):
            return self._render(self._normalize(obj))
        for handler in self._type_handlers:
            if handler.supports(obj):
                text = handler.repr(obj, self._render_any, self)
                _check_expression(text, handler, obj)
                return text
        raise _unsupported(obj)

    def _normalize(self, obj: Any) -> Any:
        """Plain data for ``obj``: lists, dicts, sets, scalars and handled objects."""
        t = type(obj)
        if t in _SCALARS:
            return obj
        if t is list:
            return [self._normalize(v) for v in obj]
        if t is dict:
            return {self._key(k): self._normalize(v) for k, v in obj.items()}
        if t is StoreList:
            return [self._normalize(v) for v in obj._seq]
        if t is StoreDict or t is StoreRoot:
            return {k: self._normalize(v) for k, v in obj._data.items()}
        if t is set or t is StoreSet:
            return {self._key(v) for v in obj}
        if t is tuple:
            return [self._normalize(v) for v in obj]
        return self._normalize_other(obj)

    def _key(self, obj: Any) -> Any:
        """Plain data for a dict key or set element: tuples stay tuples."""
        t = type(obj)
        if t in _SCALARS:
            return obj
        if t is tuple:
            return tuple([self._key(v) for v in obj])
        value = self._normalize(obj)
        try:
            hash(value)
        except TypeError:
            raise TypeError(
                f"unhashable {type(obj).__name__} cannot be a dict key or set element in a store"
            ) from None
        return value

    def _normalize_other(self, obj: Any) -> Any:
        if isinstance(obj, Mapping):
            return {self._key(k): self._normalize(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [self._normalize(v) for v in obj]
        if isinstance(obj, (set, frozenset)):
            return {self._key(v) for v in obj}
        if not isinstance(obj, (str, bytes, enum.Enum)):
            # numpy scalars and arrays, torch tensors, ...: plain Python values, without
            # importing any of them.
            tolist = getattr(obj, "tolist", None)
            if callable(tolist):
                kind = getattr(getattr(obj, "dtype", None), "kind", "")
                if kind in ("M", "m"):  # numpy datetime64 / timedelta64: their text (README)
                    return self._normalize(obj.astype(str).tolist())
                value = tolist()
                if type(value) is type(obj):
                    if kind in ("f", "c"):  # longdouble: the nearest float (README)
                        return self._normalize(obj.astype(float if kind == "f" else complex).tolist())
                    raise _unsupported(obj)
                return self._normalize(value)
        for handler in self._type_handlers:
            if handler.supports(obj):
                wrapped = handler.wrap(obj, self._normalize)
                return obj if wrapped is obj else self._normalize(wrapped)
        for base in (int, float, str, bytes, complex):
            if isinstance(obj, base):  # IntEnum and friends with no handler: their value
                return base.__new__(base, obj) if base is not str else str.__str__(obj)
        if not isinstance(obj, type):
            try:
                items = iter(obj)
            except TypeError:
                pass
            else:
                return [self._normalize(v) for v in items]
        raise _unsupported(obj)

    def _proxify(self, value: Any) -> Any:
        """The stored form of plain data: containers become linked proxies."""
        t = type(value)
        if t is list:
            return StoreList._adopt(self, [self._proxify(v) for v in value])
        if t is dict:
            return StoreDict._adopt(self, {k: self._proxify(v) for k, v in value.items()})
        if t is set:
            return StoreSet._adopt(self, value)
        return value


def _unsupported(obj: Any) -> UnsupportedTypeError:
    t = type(obj)
    return UnsupportedTypeError(
        f"laaos cannot store a value of type {t.__module__}.{t.__qualname__}: "
        "convert it to plain data (numbers, strings, lists, dicts, sets), or pass a "
        "TypeHandler for it, e.g. open_file_store(..., type_handlers=[MyHandler()]) "
        "(see laaos.TypeHandler and laaos.DefaultTypeHandlers)"
    )


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


class StoreAccessible:
    """Base of the proxies: knows its store and its accessor (``store['a'][0]``)."""

    # Slots: a log of a million dicts holds a million proxies, and the hot calls read
    # these attributes on every operation.
    __slots__ = ("_store", "_accessor", "__weakref__")

    def __init__(self, store: Store):
        self._store = store
        self._accessor: Optional[str] = None

    @property
    def laaos_store(self) -> Store:
        return self._store

    def _check_accessor(self) -> str:
        acc = self._accessor
        if acc is None:
            raise UnlinkedContainerError(
                "You tried to mutate a store collection after it has been unlinked "
                "(it was replaced or deleted in the store): mutate the store's current "
                "container instead."
            )
        return acc

    def _wrap(self, obj: Any) -> Any:
        return Store.wrap(self._store, obj)

    def _repr(self, obj: Any) -> str:
        return self._store._render_any(obj)

    def _write(self, text: str) -> None:
        Store.write(self._store, text)

    def _unlink(self) -> None:
        self._accessor = None

    def _link(self, accessor: str) -> None:
        self._accessor = accessor

    @staticmethod
    def unlink(obj: Any) -> None:
        if isinstance(obj, StoreAccessible):
            obj._unlink()

    @staticmethod
    def link(obj: Any, accessor: str) -> None:
        if isinstance(obj, StoreAccessible):
            obj._link(accessor)

    def __repr__(self) -> str:
        return self._store._render(self._store._normalize(self))


class StoreDict(StoreAccessible, MutableMapping):
    """A dict in the store."""

    __slots__ = ("_data",)

    def __init__(self, store: Store, initial_data: Any):
        super().__init__(store)
        self._data = dict(initial_data)

    @classmethod
    def _adopt(cls, store: Store, data: dict) -> "StoreDict":
        self = cls.__new__(cls)
        self._store, self._accessor, self._data = store, None, data
        return self

    def _unlink(self) -> None:
        self._accessor = None
        for value in self._data.values():
            if isinstance(value, StoreAccessible):
                value._unlink()

    def _link(self, accessor: str) -> None:
        self._accessor = accessor
        for key, value in self._data.items():
            if isinstance(value, StoreAccessible):
                value._link(f"{accessor}[{self._store._render(key)}]")

    def __getitem__(self, key: Any) -> Any:
        return self._data[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        store = self._store
        with store._lock:
            acc = self._check_accessor()
            old = self._data.get(key, _MISSING)
            if old is value:
                return
            key = store._key(key)
            plain = value if type(value) in _SCALARS else store._normalize(value)
            head = f"{acc}[{store._render(key)}]"
            store._emit_value(head + "=", plain, "")
            if isinstance(old, StoreAccessible):
                old._unlink()
            stored = store._proxify(plain)
            self._data[key] = stored
            if isinstance(stored, StoreAccessible):
                stored._link(head)

    def __delitem__(self, key: Any) -> None:
        store = self._store
        with store._lock:
            old = self._data[key]  # the KeyError a dict raises
            acc = self._check_accessor()
            store._emit_text(f"del {acc}[{store._render(store._key(key))}]")
            if isinstance(old, StoreAccessible):
                old._unlink()
            del self._data[key]

    def clear(self) -> None:
        store = self._store
        with store._lock:
            acc = self._check_accessor()
            if self._data:
                store._emit_text(f"{acc}.clear()")
                for value in self._data.values():
                    StoreAccessible.unlink(value)
                self._data.clear()

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self) -> Iterator[Any]:
        # Over a snapshot of the keys (one C-level copy): a dashboard thread reading the
        # store while the training thread adds keys must not get "dictionary changed
        # size during iteration".
        return iter(list(self._data))

    def __contains__(self, key: object) -> bool:
        return key in self._data


class StoreRoot(StoreDict):
    """The store's top-level dict: also closes, flushes and names the store."""

    __slots__ = ()

    def close(self) -> None:
        return self._store.close()

    def flush(self) -> None:
        return self._store.flush()

    def mark(self, label: str) -> None:
        """Append the mark ``label`` to the log, e.g. when a checkpoint is saved:
        ``open_file_store(..., rewind_to=label)`` later reopens the log at this state."""
        from .runs import mark

        mark(self._store, label)

    @property
    def uri(self) -> Optional[str]:
        return self._store.uri

    def __enter__(self) -> "StoreRoot":
        return self

    def __exit__(self, *exc: Any) -> None:
        self._store.close()


class StoreList(StoreAccessible, MutableSequence):
    """A list in the store."""

    __slots__ = ("_seq",)

    def __init__(self, store: Store, seq: Any):
        super().__init__(store)
        self._seq = list(seq)

    @classmethod
    def _adopt(cls, store: Store, seq: list) -> "StoreList":
        self = cls.__new__(cls)
        self._store, self._accessor, self._seq = store, None, seq
        return self

    def _unlink(self) -> None:
        self._accessor = None
        for value in self._seq:
            if isinstance(value, StoreAccessible):
                value._unlink()

    def _link(self, accessor: str) -> None:
        self._accessor = accessor
        self._relink(0)

    def _relink(self, start: int) -> None:
        acc = self._accessor
        seq = self._seq
        for i in range(start, len(seq)):
            value = seq[i]
            if isinstance(value, StoreAccessible):
                value._link(f"{acc}[{i}]")

    def _index(self, index: Any) -> int:
        if isinstance(index, slice):
            raise SliceNotSupportedError("Slices are not supported for lists in the store!")
        index = operator.index(index)
        n = len(self._seq)
        if not -n <= index < n:
            raise IndexError("list assignment index out of range")
        return index + n if index < 0 else index

    def append(self, obj: Any) -> None:
        store = self._store
        with store._lock:
            acc = self._accessor
            if acc is None:
                self._check_accessor()
            plain = obj if type(obj) in _SCALARS else store._normalize(obj)
            store._emit_value(acc + ".append(", plain, ")")
            if type(plain) in _SCALARS:
                self._seq.append(plain)
            else:
                stored = store._proxify(plain)
                self._seq.append(stored)
                if isinstance(stored, StoreAccessible):
                    stored._link(f"{acc}[{len(self._seq) - 1}]")

    def extend(self, values: Any) -> None:
        store = self._store
        with store._lock:
            acc = self._check_accessor()
            plain = store._normalize(list(values._seq if values is self else values))
            if not plain:
                return
            store._emit_value(acc + ".extend(", plain, ")")
            start = len(self._seq)
            self._seq.extend([store._proxify(v) for v in plain])
            self._relink(start)

    def insert(self, index: int, obj: Any) -> None:
        store = self._store
        with store._lock:
            acc = self._check_accessor()
            n = len(self._seq)
            index = operator.index(index)
            index = min(max(index + n if index < 0 else index, 0), n)
            plain = store._normalize(obj)
            store._emit_value(f"{acc}.insert({index}, ", plain, ")")
            self._seq.insert(index, store._proxify(plain))
            self._relink(index)

    def clear(self) -> None:
        store = self._store
        with store._lock:
            acc = self._check_accessor()
            store._emit_text(f"{acc}.clear()")
            for value in self._seq:
                StoreAccessible.unlink(value)
            self._seq.clear()

    def __getitem__(self, index: Any) -> Any:
        return self._seq[index]

    def __setitem__(self, index: Any, value: Any) -> None:
        store = self._store
        with store._lock:
            index = self._index(index)
            acc = self._check_accessor()
            old = self._seq[index]
            if old is value:
                return
            plain = store._normalize(value)
            store._emit_value(f"{acc}[{index}] = ", plain, "")
            StoreAccessible.unlink(old)
            stored = store._proxify(plain)
            self._seq[index] = stored
            StoreAccessible.link(stored, f"{acc}[{index}]")

    def __delitem__(self, index: Any) -> None:
        store = self._store
        with store._lock:
            index = self._index(index)
            acc = self._check_accessor()
            store._emit_text(f"del {acc}[{index}]")
            StoreAccessible.unlink(self._seq[index])
            del self._seq[index]
            self._relink(index)

    def __len__(self) -> int:
        return len(self._seq)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._seq)

    def __contains__(self, value: object) -> bool:
        return value in self._seq

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StoreList):
            return self._seq == other._seq
        return self._seq == other

    __hash__ = None  # type: ignore[assignment]


class StoreSet(StoreAccessible, MutableSet):
    """A set in the store."""

    __slots__ = ("_set",)

    def __init__(self, store: Store, initial_data: Any):
        super().__init__(store)
        self._set = set(initial_data)

    @classmethod
    def _adopt(cls, store: Store, data: set) -> "StoreSet":
        self = cls.__new__(cls)
        self._store, self._accessor, self._set = store, None, data
        return self

    @classmethod
    def _from_iterable(cls, it: Any) -> set:
        return set(it)  # results of `a | b` etc. are plain sets, not store members

    def add(self, x: Any) -> None:
        store = self._store
        with store._lock:
            acc = self._check_accessor()
            key = store._key(x)
            if key in self._set:
                return
            store._emit_value(acc + ".add(", key, ")")
            self._set.add(key)

    def discard(self, x: Any) -> None:
        store = self._store
        with store._lock:
            acc = self._check_accessor()
            if x not in self._set:
                return
            store._emit_value(acc + ".discard(", store._key(x), ")")
            self._set.discard(x)

    def clear(self) -> None:
        store = self._store
        with store._lock:
            acc = self._check_accessor()
            if self._set:
                store._emit_text(f"{acc}.clear()")
                self._set.clear()

    def __contains__(self, x: object) -> bool:
        return x in self._set

    def __len__(self) -> int:
        return len(self._set)

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._set))  # a snapshot, as for StoreDict


if _backend.cython_impl is not None:
    # StoreList.append of scalars and flat dicts in one C call (src_ext/proxies.pxi); it hands every
    # other case, and every store on the pure backend, back to the method above.
    _backend.cython_impl.install_list_append(StoreList, StoreDict)


# Stores with durability="buffered" are flushed when the interpreter exits, and when the
# process gets SIGTERM (what schedulers send before they preempt a job), which otherwise
# ends Python without running atexit.
_BUFFERED: "weakref.WeakSet[Store]" = weakref.WeakSet()


@atexit.register
def _flush_buffered_stores() -> None:
    for store in list(_BUFFERED):
        try:
            store.close()
        except Exception:  # at exit there is nobody left to tell
            pass


def _on_sigterm(signum: int, frame: Any) -> None:
    if any(store._writer.busy for store in list(_BUFFERED)):
        # The signal arrived inside a write (it runs between two lines of the writer's
        # Python code): try again in a moment rather than flush a half-updated buffer.
        threading.Timer(0.005, os.kill, (os.getpid(), signal.SIGTERM)).start()
        return
    _flush_buffered_stores()
    # Then die of SIGTERM as the process would have without us.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def _flush_on_sigterm() -> None:
    """Install the SIGTERM flush, only where nobody else handles SIGTERM."""
    if threading.current_thread() is not threading.main_thread():
        return  # signal handlers can only be set from the main thread
    try:
        if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, _on_sigterm)
    except (ValueError, OSError, AttributeError):  # no SIGTERM here, or an embedded interpreter
        pass
