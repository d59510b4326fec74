# The statement writer (the twin of laaos/_writer.py).
#
# A statement is rendered whole into `line` before anything is written, so a value
# that fails to render writes nothing; a write(2) that fails part-way is cut back off
# the file with ftruncate, so the log always ends on a statement boundary.
#
# The writer keeps the store's one closed state: after `close` (or `abandon`) it holds no
# descriptor or file object, and every write raises StoreClosedError with its reason.

import os as _os

from laaos._limits import MAX_WRITTEN_STATEMENT as _MAX_WRITTEN_STATEMENT
from laaos._render import StatementTooLarge as _StatementTooLarge
from laaos.errors import StoreClosedError as _StoreClosedError

cdef size_t _max_written = _MAX_WRITTEN_STATEMENT

from libc.errno cimport EINTR, errno
from libc.string cimport memcpy

cdef extern from "platform.h" nogil:
    long long c_write "laaos_write"(int fd, const void* buf, size_t count)
    int c_ftruncate "laaos_truncate"(int fd, long long length)
    double _monotonic "laaos_monotonic"()

_DURABILITIES = ("flush", "fsync", "buffered")


cdef class Writer:
    """Appends statements to a file descriptor (``int``) or a text file object.

    The same contract as ``laaos._writer.Writer``.
    """

    cdef int _fd
    cdef object _obj
    cdef bint _buffered
    cdef bint _fsync
    cdef str _durability
    cdef size_t _buffer_size
    cdef double _interval
    cdef double _last_flush
    cdef string _buf
    cdef string _line
    # Why the writer is closed (None while it is open), and the error behind it.
    cdef object _closed_reason
    cdef object _closed_cause
    # The store's lock, which the store takes around every operation.
    cdef readonly RLock lock
    # True while Python code runs inside a statement or a flush (a text file object's
    # write): a signal handler running then must not flush the half-updated buffer.
    cdef readonly bint busy
    # The log's name for the OSError of a failed write (the store sets it).
    cdef public object name
    # The error of an fsync that failed after its statement was written: raised by
    # `_raise_sync_failure` once the change in memory is made too.
    cdef object _sync_failure

    def __init__(self, target, durability="flush", buffer_size=1 << 16, flush_interval=1.0):
        if durability not in _DURABILITIES:
            raise ValueError(f"durability must be one of {_DURABILITIES}, not {durability!r}")
        if isinstance(target, int):
            self._fd = target
            self._obj = None
        else:
            self._fd = -1
            self._obj = target
        self.lock = RLock()
        self._durability = durability
        self._buffered = durability == "buffered"
        self._fsync = durability == "fsync"
        self._buffer_size = max(int(buffer_size), 1)
        self._interval = float(flush_interval)
        self._last_flush = _monotonic()

    @property
    def durability(self):
        return self._durability

    @property
    def closed(self):
        return self._closed_reason is not None

    @property
    def failure(self):
        """The error of the failed write that closed the writer, if one did."""
        return self._closed_cause

    def close(self, str reason, cause=None):
        """Stop writing: drop the target and whatever is buffered (``flush`` first to keep
        it).  Every later write raises ``StoreClosedError(reason)`` from ``cause``."""
        if self._closed_reason is None:
            self._closed_reason = reason
            self._closed_cause = cause
        self._fd = -1
        self._obj = None
        self._buf.clear()

    def abandon(self, str reason):
        """``close`` in the child of a fork: the buffer is the parent's to write, and the
        lock may have been held by a thread that does not exist here, so it is replaced."""
        self.lock = RLock()
        self.close(reason)

    cdef int _refuse(self) except -1:
        raise _StoreClosedError(self._closed_reason) from self._closed_cause

    def emit(self, str text):
        """Append one statement (``text`` has no newline)."""
        with cython.critical_section(self):
            self._emit(text)

    cdef int _emit(self, str text) except -1:
        self._line.clear()
        _append_str(self._line, text)
        self._line.push_back(b'\n')
        self._put()
        self._raise_sync_failure()

    def commit(self, str text, after):
        """Append ``text`` (whole statements, each ending in a newline), then exhaust
        ``after``, the change in memory they log (``laaos._writer.Writer.commit``; the
        engine of this backend does both in C without this method)."""
        with cython.critical_section(self):
            self._put_text(text)
            for _ in after:
                pass
            self._raise_sync_failure()

    # The pure twin's hot commits (``laaos._writer``), with the same names and effects; the
    # engine of this backend writes and changes memory in C without them.

    def commit_append(self, str text, list target, value):
        """``commit(text, ...)`` whose change in memory is ``target.append(value)``."""
        with cython.critical_section(self):
            self._put_text(text)
            target.append(value)
            self._raise_sync_failure()

    def commit_insert(self, str text, list target, Py_ssize_t index, value):
        """``commit(text, ...)`` whose change in memory is ``target.insert(index, value)``."""
        with cython.critical_section(self):
            self._put_text(text)
            target.insert(index, value)
            self._raise_sync_failure()

    def commit_set(self, str text, target, key, value):
        """``commit(text, ...)`` whose change in memory is ``target[key] = value``."""
        with cython.critical_section(self):
            self._put_text(text)
            target[key] = value
            self._raise_sync_failure()

    cdef int _put_text(self, str text) except -1:
        """Write ``text`` (whole statements, however long)."""
        if self._closed_reason is not None:
            self._refuse()
        self._line.clear()
        _append_str(self._line, text)
        return self._put_bytes(self._line.c_str(), self._line.size())

    cdef inline int _raise_sync_failure(self) except -1:
        """Raise the error of an fsync that failed after its statement was written."""
        if self._sync_failure is not None:
            error, self._sync_failure = self._sync_failure, None
            raise error
        return 0

    cdef int _put(self) except -1:
        """Write the statement in ``_line``, or raise StatementTooLarge (nothing written)."""
        if self._put_if_fits():
            raise _StatementTooLarge(self._line.size())
        return 0

    cdef int _put_if_fits(self) except -1:
        """``_put``, returning 1 instead of raising when the statement is too long."""
        if self._closed_reason is not None:
            self._refuse()
        if self._line.size() > _max_written:
            return 1
        return self._put_bytes(self._line.c_str(), self._line.size())

    cdef int _put_append_float(self, str accessor, double x) except -1:
        """Write ``<accessor>.append(<x>)``: ``_put`` for the commonest statement of all (a
        metric appended per step), rendered on the stack without a Python call.  1 for
        an accessor too long for that (as ``_put_if_fits``: the caller takes the general
        path)."""
        cdef Py_ssize_t n
        cdef const char* acc = PyUnicode_AsUTF8AndSize(accessor, &n)
        cdef char statement[256]
        cdef char* p
        if self._closed_reason is not None:
            self._refuse()
        if n > 256 - 64:  # room for ".append(", 40 bytes of float and ")\n"
            return 1
        memcpy(statement, acc, <size_t>n)
        p = statement + n
        memcpy(p, b".append(", 8)
        p += 8
        p += laaos_format_double(x, p)
        p[0] = b')'
        p[1] = b'\n'
        return self._put_bytes(statement, <size_t>(p + 2 - statement))

    cdef int _put_bytes(self, const char* data, size_t size) except -1:
        """Buffer or write one whole statement (the writer is open)."""
        cdef size_t before
        if self._buffered:
            before = self._buf.size()
            self._buf.append(data, size)
            if self._buf.size() >= self._buffer_size or (
                _monotonic() - self._last_flush >= self._interval
            ):
                try:
                    self._flush()
                except BaseException:
                    # the operation raises, so it did not happen: its statement leaves
                    # the buffer; the earlier ones stay for the next attempt
                    if self._buf.size() > before:  # (still open: a text file object's
                        self._buf.resize(before)     # failure closes the writer)
                    raise
            return 0
        if self._fd >= 0:
            self._write_fd(data, size)
            if self._fsync:
                try:
                    _os.fsync(self._fd)
                except OSError as e:  # written: raised once memory has changed too
                    self._sync_failure = self._named(e)
        else:
            self.busy = True
            try:
                self._write_text(data, size)
                self._flush_text()
            finally:
                self.busy = False
            if self._fsync and self._sync_failure is None:
                try:
                    _fsync_object(self._obj)
                except BaseException as e:  # written: raised once memory has changed too
                    if isinstance(e, OSError):
                        self._failed(e)
                    self._sync_failure = e
        return 0

    cdef int _write_text(self, const char* data, size_t size) except -1:
        """Hand ``data`` to the text file object (``laaos._writer.Writer._write_text``); a
        ``write`` that raises, whatever it raises, stops the writer (``_failed``)."""
        try:
            self._obj.write(PyUnicode_DecodeUTF8(data, <Py_ssize_t>size, NULL))
        except BaseException as e:
            self._failed(e)
            raise
        return 0

    cdef int _flush_text(self) except -1:
        """Flush the text file object after a write to it: an OSError stops the writer;
        anything else (a KeyboardInterrupt that a buffered file raises once its bytes
        are out) comes after the text was handed over, so it is raised once memory has
        its change too."""
        try:
            self._obj.flush()
        except OSError as e:
            self._failed(e)
            raise
        except BaseException as e:
            if self._sync_failure is None:
                self._sync_failure = e
        return 0

    cdef object _named(self, error):
        """``error`` with the log's name on it (``[Errno 28] No space left on device:
        'run.py'``), if it is an OSError."""
        if isinstance(error, OSError) and error.filename is None and self.name is not None:
            error.filename = self.name
        return error

    cdef int _failed(self, error) except -1:
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
        return 0

    def flush(self):
        """Write out whatever is buffered."""
        with cython.critical_section(self):
            if self._closed_reason is not None:
                self._refuse()
            self._flush()
            self._raise_sync_failure()

    cdef int _flush(self) except -1:
        """Write the buffer (the caller raises ``_sync_failure`` after it)."""
        if self._buf.size():
            if self._fd >= 0:
                self._write_fd(self._buf.c_str(), self._buf.size())
            else:
                was, self.busy = self.busy, True
                try:
                    self._write_text(self._buf.c_str(), self._buf.size())
                finally:
                    self.busy = was
            # Only now: if the write raised, the buffer stays for the next attempt.
            self._buf.clear()
            if self._obj is not None:
                self._flush_text()
        elif self._obj is not None:
            try:
                self._obj.flush()
            except OSError as e:  # (an interrupt here has nothing of ours in flight)
                self._failed(e)
                raise
        self._last_flush = _monotonic()

    cdef int _write_fd(self, const char* data, size_t size) except -1:
        cdef size_t done = 0
        cdef long long n
        cdef int err
        # The GIL is released around the write(2) only when it may take long (a big
        # write) and another thread could use it meanwhile: a thread that gives the GIL
        # away waits for it to come back (up to the interpreter's switch interval, 5 ms,
        # behind a thread rendering the store), which costs far more than a write of a
        # buffer's size to the page cache takes.
        cdef bint keep = size <= _KEEP_GIL_BYTES or _only_thread()
        while done < size:
            if keep:
                n = c_write(self._fd, data + done, size - done)
            else:
                with nogil:
                    n = c_write(self._fd, data + done, size - done)
            if n < 0:
                err = errno
                if err == EINTR:
                    continue
                if done:  # part of it landed: cut it back off the file's end as it is now
                    # (not a remembered offset: the log may have been emptied by hand)
                    c_ftruncate(self._fd, _os.lseek(self._fd, 0, _os.SEEK_END) - <long long>done)
                raise self._named(OSError(err, _os.strerror(err)))
            done += <size_t>n
        return 0


# (a write this small takes tens of microseconds to the page cache)
cdef size_t _KEEP_GIL_BYTES = 1 << 18


cdef extern from *:
    """
    /* Whether this is the interpreter's one thread (the caller holds the GIL).  A big
     * write(2) releases the GIL only when another thread could use it: with one thread
     * (a plain training loop) releasing and taking it back is two futex hand-offs for
     * nobody, a quarter of the cost of a statement's write on a VM.  A thread of C code
     * that wants the GIL has a thread state of its own, so it counts.  Free-threaded
     * builds have no GIL to keep: they detach as usual. */
    static inline int laaos_only_thread(void) {
    #ifdef Py_GIL_DISABLED
        return 0;
    #else
        return PyThreadState_Next(PyInterpreterState_ThreadHead(PyInterpreterState_Get())) == NULL;
    #endif
    }
    """
    bint _only_thread "laaos_only_thread"() noexcept


def _fsync_object(obj):
    try:
        fd = obj.fileno()
    except (AttributeError, OSError, ValueError):
        return
    _os.fsync(fd)
