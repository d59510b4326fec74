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

import operator
import os
import sys
import threading
import time
from collections import deque
from itertools import chain, starmap
from typing import Any, Iterable, Optional

from ._limits import MAX_WRITTEN_STATEMENT
from ._render import StatementTooLarge
from .errors import StoreClosedError

DURABILITIES = ("flush", "fsync", "buffered")


# Exhausts an iterator in C (a deque that keeps nothing).
_consume = deque(maxlen=0).extend
_monotonic = time.monotonic
_setitem = operator.setitem
_second = operator.itemgetter(1)
# The writer's descriptor, read in the C loop of the write itself: a signal handler that
# closes the store (-1 from then on) and opens a file, which the system gives the same
# number, cannot run between reading it and the write (a local read before the loop would
# hand the statement to that file).
_fd_of = operator.attrgetter("_fd")
_list_append = list.append
_list_insert = list.insert  # (``list.insert(chunks, _LAST, x)`` appends ``x``)
_LAST = sys.maxsize
# ``seq[END] = items`` appends ``items`` to the list ``seq`` (an empty slice past its end):
# a list's extend spelled as an item set, so that the buffer and a dict take one call.
END = slice(sys.maxsize, sys.maxsize)


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
        # The buffered statements, UTF-8 encoded (as in the extension: ``buffer_size`` counts
        # bytes whatever the target; a text file object gets them decoded).
        self._chunks: list = []
        # A statement goes into the buffer now when it is shorter than ``_left`` bytes (the
        # room under ``buffer_size``; 0 while not buffered), the writer is open, and the
        # clock is before ``_due`` (``flush_interval`` after the last flush).  (Open is
        # asked each time, of ``_closed_reason``, which ``close`` alone sets: a ``_left``
        # that ``close`` zeroed could be written back by a statement that a signal
        # handler calling ``close`` interrupted.)
        self._left = self._buffer_size if self._buffered else 0
        self._due = time.monotonic() + self._interval
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

    @property
    def failure(self) -> Optional[BaseException]:
        """The error of the failed write that closed the writer, if one did."""
        return self._closed_cause

    def close(self, reason: str, cause: Optional[BaseException] = None) -> None:
        """Stop writing: drop the target and whatever is buffered (``flush`` first to keep
        it).  Every later write raises ``StoreClosedError(reason)`` from ``cause``."""
        if self._closed_reason is None:
            self._closed_reason, self._closed_cause = reason, cause
        self._fd, self._obj = -1, None
        self._chunks.clear()

    def abandon(self, reason: str) -> None:
        """``close`` in the child of a fork: the buffer is the parent's to write, and the
        lock may have been held by a thread that does not exist here, so it is replaced."""
        self.lock = threading.RLock()
        self.close(reason)

    def _refuse(self) -> None:
        raise StoreClosedError(self._closed_reason) from self._closed_cause

    def emit(self, text: str) -> None:
        """Append one statement (``text`` has no newline)."""
        text += "\n"
        if len(text) > MAX_WRITTEN_STATEMENT // 4 and len(text.encode("utf-8")) > MAX_WRITTEN_STATEMENT:
            raise StatementTooLarge(len(text.encode("utf-8")))
        self.commit(text, ())

    def commit(self, text: str, after: Iterable[Any]) -> None:
        """Append ``text`` (whole statements, each ending in a newline), then exhaust
        ``after``, an iterator whose items are made by C calls (``map``/``starmap`` of
        builtin methods): the change in memory that the statements log.

        The step that puts the statements in the log (a ``list.append`` to the buffer, an
        ``os.write``) and ``after`` run in one C loop, with no Python bytecode between
        them, so a signal handler (KeyboardInterrupt) runs before both or after both.
        If this raises, nothing was written and ``after`` did not run, except when an
        ``fsync`` fails after the write: then both happened, and its error is raised.
        """
        data = text.encode()  # (UTF-8: naming it costs a lookup)
        if len(data) < self._left and self._closed_reason is None and _monotonic() < self._due:
            _consume(chain(map(self._chunks.append, (data,)), after))
            self._left -= len(data)
        else:
            self._put(data, after)

    def _put(self, data: Any, after: Iterable[Any]) -> None:
        """``commit`` of the statements ``data`` that do not go into the buffer now:
        written, with the buffer before them if it is due."""
        if self._closed_reason is not None:
            self._refuse()
        if self._buffered:
            # Due: the buffer goes out together with this statement, so that a failed
            # write refuses this operation and keeps the earlier statements for a retry.
            was, self.busy = self.busy, True
            try:
                self._write(b"".join(self._chunks) + data, chain(starmap(self._chunks.clear, ((),)), after))
            finally:
                self.busy = was
            self._flushed()
            return
        self._write(data, after)
        if self._fsync:
            try:
                if self._fd >= 0:
                    os.fsync(self._fd)
                else:
                    _fsync_object(self._obj)
            except OSError as e:
                if self._fd < 0:
                    self._failed(e)
                raise self._named(e)

    # The hot mutations' commits: the buffer's append and the change in memory are two
    # calls of one builtin in one ``map``, cheaper than ``commit``'s chain of iterators;
    # ``commit``'s test of room in the buffer is written out in each (a call of its own
    # would cost as much as the test).

    def commit_append(self, text: str, target: list, value: Any) -> None:
        """``commit(text, ...)`` whose change in memory is ``target.append(value)``."""
        data = text.encode()  # (UTF-8: naming it costs a lookup)
        if len(data) < self._left and self._closed_reason is None and _monotonic() < self._due:
            _consume(map(_list_append, (self._chunks, target), (data, value)))
            self._left -= len(data)
        else:
            self._put(data, map(target.append, (value,)))

    def commit_insert(self, text: str, target: list, index: int, value: Any) -> None:
        """``commit(text, ...)`` whose change in memory is ``target.insert(index, value)``."""
        data = text.encode()  # (UTF-8: naming it costs a lookup)
        if len(data) < self._left and self._closed_reason is None and _monotonic() < self._due:
            _consume(map(_list_insert, (self._chunks, target), (_LAST, index), (data, value)))
            self._left -= len(data)
        else:
            self._put(data, map(target.insert, (index,), (value,)))

    def commit_set(self, text: str, target: Any, key: Any, value: Any) -> None:
        """``commit(text, ...)`` whose change in memory is ``target[key] = value`` (an
        item of a dict or a list; ``key=END`` extends a list by ``value``)."""
        data = text.encode()  # (UTF-8: naming it costs a lookup)
        if len(data) < self._left and self._closed_reason is None and _monotonic() < self._due:
            _consume(map(_setitem, (self._chunks, target), (END, key), ((data,), value)))
            self._left -= len(data)
        else:
            self._put(data, map(_setitem, (target,), (key,), (value,)))

    def flush(self) -> None:
        """Write out whatever is buffered."""
        if self._closed_reason is not None:
            self._refuse()
        was, self.busy = self.busy, True
        try:
            if self._chunks:
                # (the chunks are cleared in the same C loop as the write: a statement is
                # never written twice, nor dropped, whatever interrupts this)
                chunks = self._chunks
                self._write(b"".join(chunks), starmap(chunks.clear, ((),)))
            elif self._obj is not None:
                try:
                    self._obj.flush()
                except OSError as e:  # (an interrupt here has nothing of ours in flight)
                    self._failed(e)
                    raise
            self._flushed()
        finally:
            self.busy = was

    def _flushed(self) -> None:
        """The buffer is empty and the clock restarts (after a write of all of it)."""
        self._left = self._buffer_size if self._buffered else 0
        self._due = time.monotonic() + self._interval

    def _write(self, data: Any, after: Iterable[Any]) -> None:
        """Write ``data`` whole, then exhaust ``after`` (see ``commit``); or raise, with
        nothing written and ``after`` not run (a text file object's exceptions are sorted
        in ``_write_text``)."""
        if self._obj is not None:
            self._write_text(data.decode(), after)
            return
        size = len(data)
        try:
            # {size: None}[n] raises KeyError(n) for a short write, before ``after`` runs
            _consume(chain(map({size: None}.__getitem__, map(os.write, map(_fd_of, (self,)), (data,))), after))
        except KeyError as e:
            done = e.args[0]
            if type(done) is not int or not 0 <= done < size:
                raise
            self._finish(memoryview(data), done, after)
        except OSError as e:  # nothing landed
            if self._closed_reason is not None:  # (closed by a signal handler on the way here)
                self._refuse()
            raise self._named(e)

    def _write_text(self, text: str, after: Iterable[Any]) -> None:
        """``_write`` to a text file object: its ``write``, its ``flush``, then ``after``,
        in one C loop, which notes where it got to (``started``, ``wrote``):

        - an exception before the loop began (an interrupt on its way in) changed
          nothing;
        - one from ``write``, or an OSError from ``flush``, stops the writer
          (``_failed``: the text may or may not have landed);
        - anything else, once ``write`` has returned (a KeyboardInterrupt that a file from
          ``open()`` raises from ``flush`` once its bytes are out), comes after the text
          was handed over: ``after`` runs, then it is raised.

        ``zip`` lets ``after`` run only once ``write`` has returned: a ``write`` that
        raised StopIteration would otherwise end its ``map`` as if it were done."""
        obj = self._obj
        started: list = []
        wrote: list = []
        rest = chain(starmap(obj.flush, ((),)), after)
        gate = zip(map(wrote.append, map(obj.write, (text,))), (rest,))
        steps = chain(map(started.append, (None,)), chain.from_iterable(map(_second, gate)))
        try:
            _consume(steps)
        except BaseException as e:
            if not started:
                raise
            if not wrote or isinstance(e, OSError):
                self._failed(e)  # (see there)
                raise
            _consume(after)
            raise
        if not wrote:  # (its StopIteration ended the ``map``: raised anew, as the extension raises it)
            error = StopIteration()
            self._failed(error)
            raise error

    def _finish(self, view: memoryview, done: int, after: Iterable[Any]) -> None:
        """The rest of a statement of which ``done`` bytes landed (a write cut short, as
        on a disk that is filling up); if that fails, the part that landed is cut back
        off the file, so the log ends on a statement boundary again."""
        was, self.busy = self.busy, True
        try:
            while True:
                rest = view[done:]
                size = len(rest)
                try:
                    _consume(chain(map({size: None}.__getitem__, map(os.write, map(_fd_of, (self,)), (rest,))), after))
                    return
                except KeyError as e:
                    n = e.args[0]
                    if type(n) is not int or not 0 <= n < size:
                        raise
                    done += n
        except BaseException as e:
            # Cut back from the file's end as it is now (this writer alone appends to the
            # log), not from an offset remembered before the write.
            try:
                end = os.lseek(self._fd, 0, os.SEEK_END)
                os.ftruncate(self._fd, end - done)
            except OSError:
                pass
            if isinstance(e, OSError):
                self._named(e)
            raise
        finally:
            self.busy = was

    def _failed(self, error: BaseException) -> None:
        """A text file object's write or flush raised: it cannot be repaired (a file store
        cuts a failed statement back off its file), so the writer stops writing to it.
        Whatever the error: a KeyboardInterrupt or any other exception raised in the
        object's own Python ``write`` may come before or after the text landed, so
        writing on (the statement again, or the next one) could log an operation twice
        or one that raised (and so did not happen)."""
        self._named(error)
        self.close(
            f"an earlier write to {self.name or self._obj!r} failed ({error!r}); "
            "the log may end in a partial statement: reopen it to repair",
            error,
        )

    def _named(self, error: BaseException) -> BaseException:
        if isinstance(error, OSError) and error.filename is None and self.name is not None:
            error.filename = self.name  # "[Errno 28] No space left on device: 'laaos/run.py'"
        return error


def _fsync_object(obj: Any) -> None:
    try:
        fd = obj.fileno()
    except (AttributeError, OSError, ValueError):
        return  # StringIO and friends have nothing to sync
    os.fsync(fd)
