"""Pure-Python statement writer: the twin of ``Writer`` in ``src_ext/writer.pxi``.

A statement reaches the log whole or not at all: it is rendered completely before the
first byte is written, and a write that fails half-way is cut back off the file, so the
log always ends on a statement boundary that the loader accepts.

The writer keeps the store's one closed state: once ``close`` (or ``abandon``) has run,
it holds no descriptor or file object any more, and every write raises
``StoreClosedError`` with the reason it was given.  The store calls every method with
``lock`` held, so a write racing ``close()`` either lands before it or is refused.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any, Callable, Optional

from ._render import MAX_WRITTEN_STATEMENT, StatementTooLarge, render
from .errors import StoreClosedError

DURABILITIES = ("flush", "fsync", "buffered")


class Writer:
    """Appends statements to a file descriptor (``int``) or a text file object.

    ``durability`` is ``"flush"`` (each statement is handed to the OS before the call
    returns), ``"fsync"`` (each statement reaches the disk) or ``"buffered"`` (statements
    collect in memory until ``buffer_size`` bytes, ``flush_interval`` seconds or
    ``flush()``).
    """

    def __init__(
        self,
        target: Any,
        durability: str = "flush",
        buffer_size: int = 1 << 16,
        flush_interval: float = 1.0,
    ):
        if durability not in DURABILITIES:
            raise ValueError(f"durability must be one of {DURABILITIES}, not {durability!r}")
        self._fd = target if isinstance(target, int) else -1
        self._obj = None if isinstance(target, int) else target
        self._durability = durability
        self._buffered = durability == "buffered"
        self._fsync = durability == "fsync"
        self._buffer_size = max(int(buffer_size), 1)
        self._interval = float(flush_interval)
        self._chunks: list = []
        self._pending = 0
        self._last_flush = time.monotonic()
        # Why the writer is closed (None while it is open), and the error behind it.
        self._closed_reason: Optional[str] = None
        self._closed_cause: Optional[BaseException] = None
        # True while a statement or a flush is under way: a signal handler that runs in
        # between (pure Python only) must not flush the half-updated buffer.
        self.busy = False
        # The store's lock, which the store takes around every operation.
        self.lock = threading.RLock()
        # The log's name for the OSError of a failed write (the store sets it).
        self.name: Optional[str] = None

    @property
    def durability(self) -> str:
        return self._durability

    @property
    def closed(self) -> bool:
        return self._closed_reason is not None

    def close(self, reason: str, cause: Optional[BaseException] = None) -> None:
        """Stop writing: drop the target and whatever is buffered (``flush`` first to keep
        it).  Every later write raises ``StoreClosedError(reason)`` from ``cause``."""
        if self._closed_reason is None:
            self._closed_reason, self._closed_cause = reason, cause
        self._fd, self._obj = -1, None
        self._chunks.clear()
        self._pending = 0

    def abandon(self, reason: str) -> None:
        """``close`` in the child of a fork: the buffer is the parent's to write, and the
        lock may have been held by a thread that does not exist here, so it is replaced."""
        self.lock = threading.RLock()
        self.close(reason)

    def _refuse(self) -> None:
        raise StoreClosedError(self._closed_reason) from self._closed_cause

    def emit(self, text: str) -> None:
        """Append one statement (``text`` has no newline)."""
        self._put(text + "\n")

    def emit_value(self, head: str, value: Any, tail: str, fallback: Callable[[Any], str]) -> None:
        """Append ``head + render(value) + tail`` as one statement."""
        self._put(head + render(value, fallback) + tail + "\n")

    def _put(self, text: str) -> None:
        if self._closed_reason is not None:
            self._refuse()
        if len(text) > MAX_WRITTEN_STATEMENT // 4 and len(text.encode("utf-8")) > MAX_WRITTEN_STATEMENT:
            raise StatementTooLarge(len(text.encode("utf-8")))
        was, self.busy = self.busy, True
        try:
            if self._fd >= 0:
                data = text.encode("utf-8")  # may raise: then nothing was written
                if self._buffered:
                    self._buffer(data)
                else:
                    self._write_fd(data)
                    if self._fsync:
                        os.fsync(self._fd)
            elif self._buffered:
                self._buffer(text)
            else:
                self._obj.write(text)
                self._obj.flush()
                if self._fsync:
                    _fsync_object(self._obj)
        finally:
            self.busy = was

    def _buffer(self, data) -> None:
        self._chunks.append(data)
        self._pending += len(data)
        if (
            self._pending >= self._buffer_size
            or time.monotonic() - self._last_flush >= self._interval
        ):
            try:
                self.flush()
            except OSError:
                # The operation that asked for this flush raises, so it did not happen:
                # its statement leaves the buffer (a later flush would log what memory
                # never got); the earlier ones stay for the next attempt.
                self._chunks.pop()
                self._pending -= len(data)
                raise

    def flush(self) -> None:
        """Write out whatever is buffered."""
        if self._closed_reason is not None:
            self._refuse()
        was, self.busy = self.busy, True
        try:
            if self._chunks:
                if self._fd >= 0:
                    self._write_fd(b"".join(self._chunks))
                else:
                    self._obj.write("".join(self._chunks))
                # Only now: if the write raised, the chunks stay for the next attempt.
                self._chunks.clear()
                self._pending = 0
            if self._obj is not None:
                self._obj.flush()
            self._last_flush = time.monotonic()
        finally:
            self.busy = was

    def _write_fd(self, data: bytes) -> None:
        try:
            n = os.write(self._fd, data)  # nothing landed if this raises
        except OSError as e:
            raise self._named(e)
        if n == len(data):  # the common case: all of it at once
            return
        view = memoryview(data)[n:]
        try:
            while view:
                view = view[os.write(self._fd, view) :]
        except BaseException as e:
            # Part of it landed: cut it back off.  Where it began is counted back from the
            # file's end now (the log is appended to by this writer only), not kept in a
            # counter that an interrupt between a write and its update would leave stale
            # for every later cut.
            try:
                end = os.lseek(self._fd, 0, os.SEEK_END)
                os.ftruncate(self._fd, end - (len(data) - len(view)))
            except OSError:
                pass
            if isinstance(e, OSError):
                self._named(e)  # (as the C writer names every failed write)
            raise

    def _named(self, error: OSError) -> OSError:
        if error.filename is None and self.name is not None:
            error.filename = self.name  # "[Errno 28] No space left on device: 'laaos/run.py'"
        return error


def _fsync_object(obj: Any) -> None:
    try:
        fd = obj.fileno()
    except (AttributeError, OSError, ValueError):
        return  # StringIO and friends have nothing to sync
    os.fsync(fd)
