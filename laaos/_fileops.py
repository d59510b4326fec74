"""Operations on log files that must be atomic or exclusive: the writer's lock, a synced
write, and a replace that keeps the file's links, mode and owner.

One writer per log: ``FileLog`` holds an exclusive ``flock`` on the file.  The OS drops
the lock when the process dies, so a killed writer never blocks the next one; readers
never take it.  A rewrite of a log (``compact``, ``recover``) holds the lock too, from
before it reads the log until its new copy has been renamed over the old one.

Within one process a second ``open`` of a log is a second open file, which the first
one's ``flock`` refuses like any other.  So the logs this process holds are kept in
``_HELD``, to tell "a store of this process" (which an opener may ask to give way) from
"another process" (which the error names, by its pid where the system says it).
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import weakref
from typing import Any, Callable, Dict, Iterator, Optional, Tuple

from .errors import LockUnavailableWarning, StoreLockedError, warn_at_caller
from .helpers import generate_time_id

if sys.platform == "win32":  # pragma: no cover - exercised by the Windows wheels only
    import msvcrt

    def lock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    # (fcntl, an extension module, is loaded by the first lock rather than by import laaos)

    def lock(fd: int) -> None:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def unlock(fd: int) -> None:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


# errno values that mean "this filesystem cannot lock", not "somebody holds the lock"
NO_LOCKS = {getattr(errno, name) for name in ("ENOLCK", "ENOSYS", "EOPNOTSUPP", "ENOTSUP") if hasattr(errno, name)}

CHUNK = 1 << 20

# What a rewrite (compact, recover) of a log that a writer holds says to do.
REWRITE_ADVICE = "a log that a writer holds is never rewritten nor replaced: close that store, or let that process end, first"

# (st_dev, st_ino) of each file a FileLog of this process has locked -> that FileLog
_HELD: Dict[Tuple[int, int], "weakref.ReferenceType[FileLog]"] = {}
if hasattr(os, "register_at_fork"):
    # A forked child shares its parent's locks but holds none of its own: a store it
    # inherited belongs to the parent and is never asked to give way in the child.
    os.register_at_fork(after_in_child=_HELD.clear)


class FileLog:
    """An open, exclusively locked log file that the store writes to by descriptor.

    ``read_only=True`` opens it only to hold the lock (a rewrite reads a log it may not
    be allowed to write to); ``new=True`` makes it, empty, and fails if it exists.  ``give_way``, called with the store of this process that
    holds the file (its ``owner``), may close that store so that this open can go on;
    without it, or when it does not close it, the open is refused (``StoreLockedError``
    naming the holder, then ``advice``).
    """

    laaos_owns_fd = True

    def __init__(
        self,
        path: str,
        *,
        read_only: bool = False,
        new: bool = False,
        give_way: Optional[Callable[[Any], None]] = None,
        advice: str = "close that store first, or open a log of another name",
    ):
        self.path = path
        self._advice = advice
        self.owner: Optional[weakref.ReferenceType] = None  # the store that writes here
        self._fd = -1
        self._key: Optional[Tuple[int, int]] = None
        flags = os.O_RDONLY if read_only else os.O_RDWR | os.O_CREAT | os.O_APPEND
        if new:
            flags |= os.O_CREAT | os.O_EXCL
        flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
        for _ in range(100):
            fd = os.open(path, flags, 0o666)
            try:
                key = _file_key(os.fstat(fd))
                if give_way is not None:
                    _ask_to_give_way(key, give_way)
                if not self._lock(fd, key):
                    self._fd = fd  # (the filesystem cannot lock: logged anyway, with a warning)
                    return
                # A rewrite may have renamed a new file over the path between our open and
                # our lock: then we hold the lock of a file nobody will read again.
                try:
                    same = _file_key(os.stat(path)) == key
                except FileNotFoundError:
                    same = False
                if same:
                    self._fd, self._key = fd, key
                    _HELD[key] = weakref.ref(self)
                    return
                unlock(fd)
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)
        raise StoreLockedError(f"{path} is being replaced again and again (by compact or recover?): try later")

    def _lock(self, fd: int, key: Tuple[int, int]) -> bool:
        """Take the lock; False when the filesystem cannot lock (warned)."""
        try:
            lock(fd)
        except OSError as e:
            if e.errno in NO_LOCKS:
                # Lustre mounted without -o flock, NFS mounted with nolock, ...: log
                # anyway (refusing would stop the run), but say what is not guarded.
                warn_at_caller(LockUnavailableWarning(
                    f"{self.path}: this filesystem does not support file locks ({e.strerror}); "
                    "laaos cannot refuse a second writer of this log (see RELIABILITY.md)"
                ))
                return False
            raise StoreLockedError(
                f"{self.path} is already open for writing ({holder(key, fd)} holds its lock): {self._advice}"
            ) from e
        return True

    def fileno(self) -> int:
        return self._fd

    @property
    def closed(self) -> bool:
        return self._fd < 0

    def read_all(self):
        """Yield the file's bytes in chunks, from the start."""
        return read_chunks(self._fd)

    def close(self) -> None:
        if self._fd < 0:
            return
        fd, self._fd = self._fd, -1
        if self._key is not None and _HELD.get(self._key) is not None and _HELD[self._key]() is self:
            del _HELD[self._key]
        try:
            if self._key is not None:
                unlock(fd)
        finally:
            os.close(fd)

    def __repr__(self) -> str:
        return f"<laaos log {self.path!r}>"


def read_chunks(fd: int) -> Iterator[bytes]:
    """The bytes of the open file ``fd`` in chunks, from the start (whatever its offset)."""
    offset = 0
    while True:
        if hasattr(os, "pread"):
            chunk = os.pread(fd, CHUNK, offset)
        else:  # pragma: no cover
            os.lseek(fd, offset, os.SEEK_SET)
            chunk = os.read(fd, CHUNK)
        if not chunk:
            return
        offset += len(chunk)
        yield chunk


def _file_key(st: os.stat_result) -> Tuple[int, int]:
    return st.st_dev, st.st_ino


def _ask_to_give_way(key: Tuple[int, int], give_way: Callable[[Any], None]) -> None:
    """If a store of this process holds the file, let ``give_way`` close it."""
    ref = _HELD.get(key)
    held = ref() if ref is not None else None
    owner = held.owner() if held is not None and held.owner is not None else None
    if owner is not None and not held.closed:
        give_way(owner)


def holder(key: Tuple[int, int], fd: int = -1) -> str:
    """Who holds the lock of the file ``key`` (open as ``fd``), as the error says it: a
    store or a rewrite of this process, or another process, by its pid and command where
    the system says them, else by the last session record in the log."""
    ref = _HELD.get(key)
    held = ref() if ref is not None else None
    if held is not None and not held.closed:
        if held.owner is not None and held.owner() is not None:
            return f"a store of this process (pid {os.getpid()}) on {held.path!r}"
        return f"this process (pid {os.getpid()}), in a compact, recover or open of {held.path!r}"
    pid = _flock_holder(key)
    if pid is None:
        return "another process" + _last_session(fd)
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = [a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a]
    except OSError:
        argv = []
    command = " ".join(" ".join(argv).split())  # (one line, whatever the arguments hold)
    if len(command) > 80:
        command = command[:77] + "..."
    return f"process {pid}" + (f" ({command})" if command else "")


def file_chunks(path: str, limit: Optional[int] = None) -> Iterator[bytes]:
    """The bytes of the file at ``path`` in chunks, up to ``limit`` bytes.

    A caller that may stop early closes it (``with contextlib.closing(...)``): left to
    the collector, its file's ``with`` exits in a finalizer, where a Ctrl-C that arrives
    then is printed ("Exception ignored") and lost."""
    left = limit
    with open(path, "rb") as f:
        while left is None or left > 0:
            chunk = f.read(CHUNK if left is None else min(CHUNK, left))
            if not chunk:
                return
            if left is not None:
                left -= len(chunk)
            yield chunk


def _last_session(fd: int) -> str:
    """What the log's last session record says of its writer (`` (its last session
    record: pid 4711 on gpu3, 2026-...)``), for a holder that the system does not name;
    "" when there is none, or the log is too large to read for an error message."""
    from ._records import scan  # (imported when first needed: an error path)

    try:
        if fd < 0 or os.fstat(fd).st_size > 64 * CHUNK:
            return ""
        sessions = [r for r in scan(read_chunks(fd)) if r.kind == "session" and r.end]
    except OSError:
        return ""
    if not sessions:
        return ""
    info = sessions[-1].info
    return f" (the log's last session record: pid {info.get('pid')} on {info.get('host')}, {info.get('time')})"


def _flock_holder(key: Tuple[int, int]) -> Optional[int]:
    """The pid that holds a ``flock`` on the file ``key``, from ``/proc/locks`` (Linux;
    None elsewhere, or where the holder is in another pid namespace: it shows as 0)."""
    if not hasattr(os, "major"):
        return None
    dev, ino = key
    wanted = f"{os.major(dev):02x}:{os.minor(dev):02x}:{ino}"
    try:
        with open("/proc/locks") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        # "1: FLOCK  ADVISORY  WRITE 4711 fe:00:2146309 0 EOF"; waiters have "->" after "1:"
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == wanted:
            try:
                pid = int(fields[4])
            except ValueError:
                return None
            return pid or None
    return None


def write_synced(path: str, data: bytes, mode: str = "xb") -> None:
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


def replace_synced(path: str, data: bytes) -> None:
    """Replace the file at ``path`` with ``data`` atomically: a synced temporary file
    renamed over it, so a crash leaves the old file or the new one, never half of one.

    A symlink is written through: the file it points to is replaced, in its own
    directory, and the link stays.  The new file keeps the old one's mode, and its
    owner and group where this process may set them."""
    real = os.path.realpath(path)
    try:
        old: Optional[os.stat_result] = os.stat(real)
    except FileNotFoundError:
        old = None
    tmp = f"{real}.tmp-{os.getpid()}"
    try:
        if os.path.lexists(tmp):  # a stale one from a crashed run (its mode may not be ours)
            os.unlink(tmp)
        # 0600 until the old mode is set: a private log is never readable by others,
        # not even for the moment the copy is written.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
                     | getattr(os, "O_BINARY", 0), 0o600 if old is not None else 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if old is not None:
                _keep_owner_and_mode(fd, old)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, real)
    except OSError as e:
        if e.filename is None:
            e.filename = path
        raise
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)
    fsync_dir(real)


def _keep_owner_and_mode(fd: int, old: os.stat_result) -> None:
    if hasattr(os, "fchown"):
        try:
            os.fchown(fd, old.st_uid, old.st_gid)  # (first: a chown clears setuid bits)
        except OSError:
            try:  # not allowed to give the file away: keep at least its group
                os.fchown(fd, -1, old.st_gid)
            except OSError:
                pass
    if hasattr(os, "fchmod"):
        os.fchmod(fd, stat.S_IMODE(old.st_mode))


def sidecar_name(filename: str, kind: str = "torn") -> str:
    """A new file's name beside ``filename``: ``<filename>.<kind>_<time>[-n]``."""
    base = f"{filename}.{kind}{generate_time_id()}"
    name, n = base, 1
    while os.path.exists(name):
        n += 1
        name = f"{base}-{n}"
    return name


def fsync_dir(filename: str) -> None:
    if sys.platform == "win32":  # pragma: no cover
        return
    fd = os.open(os.path.dirname(os.path.abspath(filename)), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def not_a_file(path: str) -> Optional[str]:
    """Why ``path`` cannot be read as a log file (``"no such file"``, ``"a directory"``,
    ``"a symlink to /dev/null, a character device"``), or None for a regular file."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            return f"a symlink to {os.readlink(path)}, which does not exist"
        return "no such file"
    if stat.S_ISREG(st.st_mode):
        return None
    kind = next((name for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
                                         (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a named pipe"),
                                         (stat.S_ISSOCK, "a socket")) if test(st.st_mode)), "not a regular file")
    if os.path.islink(path):
        return f"a symlink to {os.path.realpath(path)}, {kind}"
    return kind


def require_file(path: str) -> None:
    """Raise unless ``path`` is a regular file (through symlinks): ``FileNotFoundError``,
    ``IsADirectoryError``, or an ``OSError`` that says what it is instead."""
    problem = not_a_file(path)
    if problem is None:
        return
    if problem == "no such file":
        raise FileNotFoundError(f"no log at {path}")
    if problem == "a directory":
        raise IsADirectoryError(f"{path}: is a directory, not a log file")
    raise OSError(f"{path}: {problem}, not a log file")
