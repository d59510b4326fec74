"""File stores: the locked log file, reopening with repair, durability and ``compact``.

One writer per log: ``open_file_store`` holds an exclusive ``flock`` on the file while the
store is open.  The OS drops the lock when the process dies, so a killed writer never
blocks the next one.  Readers never take the lock.
"""

from __future__ import annotations

import errno
import io
import os
import sys
from typing import Any, Iterable, Mapping, Optional, Sequence

from . import runs
from .errors import LockUnavailableWarning, StoreLockedError, TornTailWarning, warn_at_caller
from .handlers import TypeHandler
from .helpers import ensure_dirs, generate_run_id, generate_time_id
from ._writer import DURABILITIES
from .loader import CHUNK, finish, new_parser
from .store import Store, StoreRoot

if sys.platform == "win32":  # pragma: no cover - exercised by the Windows wheels only
    import msvcrt

    def _lock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


# errno values that mean "this filesystem cannot lock", not "somebody holds the lock"
_NO_LOCKS = {getattr(errno, name) for name in ("ENOLCK", "ENOSYS", "EOPNOTSUPP", "ENOTSUP") if hasattr(errno, name)}


class FileLog:
    """An open, exclusively locked log file that the store writes to by descriptor."""

    laaos_owns_fd = True

    def __init__(self, path: str, lock: bool = True, *, read_only: bool = False):
        # read_only: only to hold the lock (compact reads a log it may not write to)
        self.path = path
        flags = os.O_RDONLY if read_only else os.O_RDWR | os.O_CREAT | os.O_APPEND
        flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
        self._fd = os.open(path, flags, 0o666)
        self._locked = False
        if lock:
            try:
                _lock(self._fd)
            except OSError as e:
                if e.errno in _NO_LOCKS:
                    # Lustre mounted without -o flock, NFS mounted with nolock, ...: log
                    # anyway (refusing would stop the run), but say what is not guarded.
                    warn_at_caller(LockUnavailableWarning(
                        f"{path}: this filesystem does not support file locks ({e.strerror}); "
                        "laaos cannot refuse a second writer of this log (see RELIABILITY.md)"
                    ))
                    return
                os.close(self._fd)
                raise StoreLockedError(
                    f"{path} is already open for writing (another process or store holds its "
                    "lock): close that store first, or open a log of another name"
                ) from e
            self._locked = True

    def fileno(self) -> int:
        return self._fd

    @property
    def closed(self) -> bool:
        return self._fd < 0

    def read_all(self):
        """Yield the file's bytes in chunks, from the start."""
        offset = 0
        while True:
            if hasattr(os, "pread"):
                chunk = os.pread(self._fd, CHUNK, offset)
            else:  # pragma: no cover
                os.lseek(self._fd, offset, os.SEEK_SET)
                chunk = os.read(self._fd, CHUNK)
            if not chunk:
                return
            offset += len(chunk)
            yield chunk

    def close(self) -> None:
        if self._fd < 0:
            return
        fd, self._fd = self._fd, -1
        try:
            if self._locked:
                _unlock(fd)
        finally:
            os.close(fd)

    def __repr__(self) -> str:
        return f"<laaos log {self.path!r}>"


def open_file_store(
    store_name: str = "results",
    suffix: Optional[str] = None,
    ext: str = ".py",
    prefix: str = "laaos/",
    *,
    truncate: bool = False,
    initial_data: Optional[Mapping] = None,
    type_handlers: Optional[Sequence[TypeHandler]] = None,
    exposed_symbols: Optional[Iterable[Any]] = None,
    extra_mappings: Optional[Mapping[str, Any]] = None,
    durability: str = "flush",
    buffer_size: int = 1 << 16,
    flush_interval: float = 1.0,
    provenance: bool = True,
    rewind_to: Optional[str] = None,
) -> StoreRoot:
    """Open the log ``{prefix}{store_name}{suffix}{ext}`` for writing and return its store.

    A new (or empty) log starts with ``initial_data``.  An existing log is loaded with the
    safe loader (``exposed_symbols`` / ``extra_mappings`` as for ``safe_load``) and
    appended to; a torn last statement is cut off into a sidecar file
    ``LOG.torn-TIME`` first.  ``truncate=True`` starts the log afresh.
    ``suffix=None`` uses the start time and process id (``generate_run_id``: runs started
    in the same second get logs of their own).  The file is locked against other writers
    until the store is closed.  ``durability`` is ``"flush"`` (default), ``"fsync"`` or
    ``"buffered"``; see the README.

    Each session appends a record of where it ran (time, host, user, command, git
    commit, scheduler job ids; ``laaos.load(path).sessions``) unless
    ``provenance=False``.  ``rewind_to=label`` reopens the log at the state it had at
    its last ``root.mark(label)`` and carries on from there; what came after the mark
    stays in the file as history.
    """
    if truncate and rewind_to is not None:
        raise ValueError("rewind_to= cannot be combined with truncate=True")
    return _open_store(
        _log_path(store_name, suffix, ext, prefix),
        truncate=truncate,
        restart=False,
        initial_data=initial_data,
        type_handlers=type_handlers,
        exposed_symbols=exposed_symbols,
        extra_mappings=extra_mappings,
        durability=durability,
        buffer_size=buffer_size,
        flush_interval=flush_interval,
        provenance=provenance,
        rewind_to=rewind_to,
    )


def create_file_store(
    store_name: str = "results",
    suffix: Optional[str] = None,
    ext: str = ".py",
    prefix: str = "laaos/",
    truncate: bool = False,
    initial_data: Optional[Mapping] = None,
    *,
    type_handlers: Optional[Sequence[TypeHandler]] = None,
    durability: str = "flush",
    buffer_size: int = 1 << 16,
    flush_interval: float = 1.0,
) -> StoreRoot:
    """The older name, with the older positional order and behaviour: an existing log
    is kept, and a new store (``store = ...``) is appended after it, so loading gives the
    new run.  Prefer ``open_file_store``, which carries on the existing store."""
    return _open_store(
        _log_path(store_name, suffix, ext, prefix),
        truncate=truncate,
        restart=True,
        initial_data=initial_data,
        type_handlers=type_handlers,
        durability=durability,
        buffer_size=buffer_size,
        flush_interval=flush_interval,
    )


def _log_path(store_name: str, suffix: Optional[str], ext: str, prefix: str) -> str:
    """The log's path as the openers name it; ``suffix=None`` is a new run id."""
    return f"{prefix}{store_name}{generate_run_id() if suffix is None else suffix}{ext}"


def _open_store(
    filename: str,
    *,
    truncate: bool,
    restart: bool,
    initial_data: Optional[Mapping],
    type_handlers: Optional[Sequence[TypeHandler]],
    durability: str,
    buffer_size: int,
    flush_interval: float,
    exposed_symbols: Optional[Iterable[Any]] = None,
    extra_mappings: Optional[Mapping[str, Any]] = None,
    provenance: bool = False,
    rewind_to: Optional[str] = None,
) -> StoreRoot:
    # Checked before the file is made or a session record written, so that a bad
    # argument leaves no log behind and changes none.
    if durability not in DURABILITIES:
        raise ValueError(f"durability must be one of {DURABILITIES}, not {durability!r}")
    if initial_data is not None and not isinstance(initial_data, Mapping):
        raise TypeError(f"initial_data must be a dict, not {type(initial_data).__name__}")
    _check_buffering(buffer_size, flush_interval)
    ensure_dirs(filename)
    created = not os.path.exists(filename)
    log = FileLog(filename)
    try:
        if truncate:
            os.ftruncate(log.fileno(), 0)
        rewind = None
        if rewind_to is not None:  # before the tail is repaired: a refused rewind changes nothing
            rewind = runs.find_rewind(log, filename, rewind_to, exposed_symbols, extra_mappings)
        existing = None
        if os.fstat(log.fileno()).st_size:
            existing = _load_for_append(log, filename, exposed_symbols, extra_mappings)
        existing = runs.begin_session(
            log, existing, rewind, provenance=provenance, durability=durability, type_handlers=type_handlers
        )
        store = Store(
            log,
            uri=filename,
            initial_data=existing if existing is not None and not restart else initial_data,
            type_handlers=type_handlers,
            append_mode=existing is not None and not restart,
            durability=durability,
            buffer_size=buffer_size,
            flush_interval=flush_interval,
        )
        if created and durability == "fsync":
            _fsync_dir(filename)
    except BaseException:
        if created:
            # A value that cannot be stored in initial_data leaves no log behind either;
            # the lock is still ours, so no other writer has it open.
            os.unlink(filename)
        log.close()
        raise
    return store.root


def _check_buffering(buffer_size: Any, flush_interval: Any) -> None:
    """Refuse what the writer could not take, before the log is made or changed (a
    resumed log would otherwise gain a session record for a session that never began)."""
    for name, value, convert, unit in (
        ("buffer_size", buffer_size, int, "bytes"),
        ("flush_interval", flush_interval, float, "seconds"),
    ):
        try:
            number = convert(value)
        except (TypeError, ValueError):
            number = None
        if number is None or number != number:  # (NaN would never flush by time)
            raise ValueError(f"{name} must be a number of {unit}, not {value!r}")


def _load_for_append(log: FileLog, filename: str, exposed_symbols: Any, extra_mappings: Any) -> Any:
    """Load an existing log before appending; cut a torn tail off into a sidecar."""
    parser = new_parser(filename, exposed_symbols, extra_mappings)
    size = 0
    for chunk in log.read_all():
        size += len(chunk)
        parser.feed(chunk)
    result = finish(parser, filename, size, warn=False, allow_empty=True)
    if result.dropped_bytes:
        tail = b"".join(log.read_all())[result.valid_bytes :]
        sidecar = None
        if tail.strip(b" \t\r\n"):
            sidecar = _sidecar_name(filename)
            _write_synced(sidecar, tail)
        os.ftruncate(log.fileno(), result.valid_bytes)
        if result.dropped_statements or sidecar:
            warn_at_caller(
                TornTailWarning(
                    f"{filename}:{parser.tail_line}: cut off an incomplete last statement "
                    f"({result.dropped_bytes} bytes, kept in {sidecar}) before appending"
                )
            )
    return result.store


def _sidecar_name(filename: str, kind: str = "torn") -> str:
    """A new file's name beside ``filename``: ``<filename>.<kind>_<time>[-n]``."""
    base = f"{filename}.{kind}{generate_time_id()}"
    name, n = base, 1
    while os.path.exists(name):
        n += 1
        name = f"{base}-{n}"
    return name


def _fsync_dir(filename: str) -> None:
    if sys.platform == "win32":  # pragma: no cover
        return
    fd = os.open(os.path.dirname(os.path.abspath(filename)), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def compact(
    source_path: str,
    destination_path: str,
    *,
    exposed_symbols: Optional[Iterable[Any]] = None,
    extra_mappings: Optional[Mapping[str, Any]] = None,
    type_handlers: Optional[Sequence[TypeHandler]] = None,
) -> None:
    """Write the store of ``source_path`` to ``destination_path`` as one statement (or
    as few as the loader's limits allow).

    The new log is written to a temporary file, synced and renamed over the
    destination, so a crash never leaves a half-written log.  A log that a writer holds
    open is refused.  Symbols and handlers are needed only for logs that use them.
    """
    from .loader import load

    source_path, destination_path = os.fspath(source_path), os.fspath(destination_path)
    if not os.path.isfile(source_path):
        raise FileNotFoundError(f"no log at {source_path}")
    guard = FileLog(source_path, read_only=True)  # refuse to compact a log that is being written
    try:
        store = load(source_path, exposed_symbols, extra_mappings).store
        ensure_dirs(destination_path)
        sessions = b"".join(runs.session_records(source_path))  # provenance outlives history
        _replace_synced(destination_path, sessions + compacted(store, type_handlers))
    finally:
        guard.close()


def compacted(store: Any, type_handlers: Optional[Sequence[TypeHandler]] = None) -> bytes:
    """The log text of ``store``: one statement where it fits the loader's limits, and
    where it does not (too deep, too long) several, as ``laaos._statements`` writes them."""
    out = io.StringIO()
    writer = Store(out, initial_data=store or {}, type_handlers=type_handlers)
    text = out.getvalue()
    writer.close()
    return text.encode("utf-8")


def _write_synced(path: str, data: bytes, mode: str = "xb") -> None:
    """Write ``data`` to ``path`` (by default a new file) and sync it to the disk.  If
    that fails (a full disk), the file is removed: no empty or partial copy is left."""
    f = open(path, mode)  # (if this raises, there is no file of ours to remove)
    try:
        with f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException as e:
        try:
            os.unlink(path)
        except OSError:
            pass
        if isinstance(e, OSError) and e.filename is None:
            e.filename = path
        raise


def _replace_synced(path: str, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically: a synced temporary file renamed over
    it, so a crash leaves the old file or the new one, never half of one."""
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        _write_synced(tmp, data, "wb")  # (a stale one from a crashed run is overwritten)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    _fsync_dir(path)
