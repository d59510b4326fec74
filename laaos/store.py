"""The ``Store``: a log and its in-memory root, over the store's whole life.

A store writes through its backend's ``Writer``, which keeps the one closed state; every
operation runs under the writer's lock.  Values are normalized to plain data (``laaos._values``:
the one copy a value gets on its way in) and stored as they are: the store's data is a tree
of plain containers, and the proxies (``laaos.proxies``) are made as user code reaches them.
What happens at exit, on SIGTERM and after ``fork`` is in ``laaos._lifecycle``.
"""

from __future__ import annotations

import math
import operator
import os
import warnings
from collections.abc import Mapping
from typing import Any, Optional, Sequence, Tuple

from . import _backend, _lifecycle
from ._limits import MAX_VALUE_DEPTH
from ._records import record_line
from ._values import Values
from .handlers import TypeHandler
from .loader import is_utf8
from .proxies import StoreDict, StoreList, StoreRoot, StoreSet


# A buffer this big is never full (the most a writer's size can count on every platform).
_MAX_BUFFER = 1 << 62


def buffering(buffer_size: Any, flush_interval: Any) -> Tuple[int, float]:
    """``buffer_size`` (bytes: at most 2**62, which never fills, and at least 1, which
    writes each statement at once) and ``flush_interval`` (seconds) as both backends'
    writers take them.  A number is an int (or what ``__index__`` makes one) or what
    ``float()`` takes that is not text; anything else, NaN included (it would never
    flush by time), is a ValueError that names the argument."""
    size = _number(buffer_size, "buffer_size", "bytes")
    interval = _number(flush_interval, "flush_interval", "seconds")
    try:
        interval = float(interval)
    except OverflowError:  # (an int past float's range: longer than anyone waits)
        interval = math.inf if interval > 0 else -math.inf
    return int(min(max(size, 1), _MAX_BUFFER)), interval


def _number(value: Any, name: str, unit: str) -> Any:
    if not isinstance(value, (str, bytes, bytearray)):
        try:
            return operator.index(value)
        except TypeError:
            pass
        try:
            number = float(value)
        except (TypeError, ValueError):
            pass
        else:
            if number == number:
                return number
    raise ValueError(f"{name} must be a number of {unit}, not {value!r:.80}")


class Store(Values):
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
        Values.__init__(self, type_handlers)
        self._log = log
        self._uri = uri
        impl = _backend.impl
        target = log.fileno() if getattr(log, "laaos_owns_fd", False) else log
        self._writer = impl.Writer(target, durability, *buffering(buffer_size, flush_interval))
        # (the log's name on the OSError of a failed write: the uri, else a file's own path)
        path = getattr(log, "name", None)
        self._writer.name = uri if uri is not None else path if isinstance(path, str) else None
        self._lock = self._writer.lock
        self._engine = impl.Engine(self, self._writer, StoreList, StoreDict, StoreSet)
        if append_mode:
            plain = initial_data if initial_data is not None else {}  # loaded: plain and loadable
        else:
            try:
                plain = self.write_store(self._writer, initial_data)
            except BaseException:
                # No store was made: the caller keeps its log (nothing to warn about later)
                self._writer.close(f"the store on {self._name()} was never opened")
                raise
        self._root = StoreRoot._adopt(self, self._engine.adopt(plain))
        self._root._accessor = "store"
        _lifecycle.track(self, log)
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
            except BaseException:
                if writer.closed:  # a text file object that failed: nothing to retry
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
            _lifecycle.untrack(self)  # (a failed write closed it: its log object goes)
            return
        warnings.warn(
            f"unclosed laaos store {self._name()}: call close() or use `with` (closed now)",
            ResourceWarning,
            stacklevel=2,
            source=self,
        )
        # A close that fails here (a full disk) is reported as a finalizer's error is
        # ("Exception ignored in ..." on stderr): the buffer goes with the store.
        try:
            self.close()
        finally:
            _lifecycle.untrack(self)

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

    # ---- proxies ---------------------------------------------------------------------

    def _proxify(self, value: Any, accessor: Optional[str] = None) -> Any:
        """A proxy of the plain container ``value`` (for the original's ``wrap``), linked
        under ``accessor`` when it is given; anything else as it is."""
        if type(value) not in _CONTAINERS:
            return value
        return _adopt(self, value, accessor)


def _adopt(store: Store, plain: Any, accessor: Optional[str]) -> Any:
    """A proxy adopting the container ``plain``, linked under ``accessor``."""
    t = type(plain)
    proxy = (StoreList if t is list else StoreDict if t is dict else StoreSet)._adopt(store, plain)
    proxy._accessor = accessor
    return proxy


_CONTAINERS = (list, dict, set)


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
