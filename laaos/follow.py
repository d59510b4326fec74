"""Following a log while it is written: ``follow`` and the byte tail under it.

A log is appended to, but not only: a resumed writer cuts a torn tail off before it
appends, ``truncate=True`` starts it afresh, ``compact`` and ``recover`` replace it.  The
tail notices when the bytes it has read are no longer the start of the file (another
file, a shorter one, or other bytes where it read some) and starts over.
"""

from __future__ import annotations

import math
import os
import time
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional

from .errors import LogError
from .loader import CHUNK, PathLike, new_parser

# The tail compares this many bytes at each end of what it has read with the file on each
# look: two small reads that catch a rewrite (the first statement changes with a new run,
# the last bytes read with a cut torn tail) without rereading the file.
WINDOW = 4096


class Tail:
    """The bytes appended to a file, as they arrive (see ``tail_bytes``)."""

    def __init__(self, path: PathLike, *, interval: float = 0.5, idle_timeout: Optional[float] = None,
                 sleep: Callable[[float], None] = time.sleep):
        self.name = os.fspath(path)
        # checked here, not at the first sleep (a traceback from time.sleep), and 0 would
        # spin a core
        if not (isinstance(interval, (int, float)) and 0 < interval < math.inf):
            raise ValueError(f"interval must be a positive number of seconds, not {interval!r}")
        if idle_timeout is not None and not (isinstance(idle_timeout, (int, float)) and idle_timeout >= 0):
            raise ValueError(f"idle_timeout must be None or a number of seconds >= 0, not {idle_timeout!r}")
        self.interval = interval
        self.idle_timeout = idle_timeout
        self.sleep = sleep
        self.f: Any = None
        self.ident: Any = None
        self.offset = 0
        self.head = b""  # the first bytes read
        self.last = b""  # the last bytes read, ending at offset
        self.restarts = 0  # how often the file was found rewritten

    def restart(self) -> None:
        """Read the file from its start again at the next look."""
        if self.f is not None:
            self.f.close()
        self.f = None

    def _rewritten(self, st: os.stat_result) -> bool:
        if (st.st_dev, st.st_ino) != self.ident or st.st_size < self.offset:
            return True
        if not self.offset:
            return False
        fd = self.f.fileno()
        if _pread(fd, len(self.head), 0) != self.head:
            return True
        return _pread(fd, len(self.last), self.offset - len(self.last)) != self.last

    def __iter__(self) -> Iterator[Optional[bytes]]:
        idle_since = time.monotonic()
        try:
            while True:
                try:
                    st = os.stat(self.name)
                except FileNotFoundError:
                    st = None
                if st is not None and (self.f is None or self._rewritten(st)):
                    if self.f is not None:
                        self.restarts += 1
                        self.f.close()
                    self.f = open(self.name, "rb")
                    self.ident = (st.st_dev, st.st_ino)
                    self.offset, self.head, self.last = 0, b"", b""
                    yield None
                    if self.f is None:  # restart() while the reader handled None
                        continue
                got = False
                while self.f is not None:
                    chunk = self.f.read(CHUNK)
                    if not chunk:
                        break
                    self.offset += len(chunk)
                    if len(self.head) < WINDOW:
                        self.head += chunk[: WINDOW - len(self.head)]
                    self.last = (self.last + chunk[-WINDOW:])[-WINDOW:]
                    got = True
                    yield chunk
                now = time.monotonic()
                if got:
                    idle_since = now
                elif self.idle_timeout is not None and now - idle_since >= self.idle_timeout:
                    return
                elif self.f is not None or st is None:  # (after restart(): reopen at once)
                    self.sleep(self.interval)
        finally:
            if self.f is not None:
                self.f.close()


def _pread(fd: int, n: int, offset: int) -> bytes:
    if hasattr(os, "pread"):
        return os.pread(fd, n, offset)
    os.lseek(fd, offset, os.SEEK_SET)  # pragma: no cover - Windows
    return os.read(fd, n)


def tail_bytes(
    path: PathLike,
    *,
    interval: float = 0.5,
    idle_timeout: Optional[float] = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[Optional[bytes]]:
    """Yield the bytes appended to ``path`` as they arrive, reading only new bytes.

    Yields ``None`` first and again whenever the file was rewritten (replaced, shrunk,
    or other bytes found where bytes were read: a ``compact``, a truncating writer, a
    torn tail cut off): the reader must start over.  Ends after ``idle_timeout``
    seconds without new bytes (never, by default).  Waits for the file to appear.
    """
    return iter(Tail(path, interval=interval, idle_timeout=idle_timeout, sleep=sleep))


def follow(
    path: PathLike,
    exposed_symbols: Optional[Iterable[Any]] = None,
    extra_mappings: Optional[Mapping[str, Any]] = None,
    *,
    interval: float = 0.5,
    idle_timeout: Optional[float] = None,
) -> Iterator[dict]:
    """Yield the up-to-date store of the log at ``path`` each time new statements land.

    Only the new bytes are read and parsed; an incomplete statement the writer is in
    the middle of writing waits for its newline.  The yielded dict is the same object,
    updated in place, until the log is rewritten (a ``compact``, a ``truncate=True``
    restart, a resumed writer cutting a torn tail off) and loaded afresh: copy it to
    keep a snapshot.  Ends after ``idle_timeout`` seconds without new bytes (never, by
    default); a bad statement raises a ``LogError`` naming its line (an
    ``UnknownSymbolError`` when it names a symbol that was not passed)::

        for store in laaos.follow("runs/train.py", idle_timeout=600):
            print(len(store["losses"]), store["losses"][-1])
    """
    name = os.fspath(path)
    tail = Tail(name, interval=interval, idle_timeout=idle_timeout)
    parser = None
    seen = -1
    failed = None  # the last error; met again after reading afresh, it is the log's
    for chunk in tail:
        if chunk is None:
            parser = new_parser(name, exposed_symbols, extra_mappings)
            seen = -1
            continue
        try:
            parser.feed(chunk)
        except LogError as e:
            # The file may have been rewritten between two looks (a torn tail cut off and
            # new statements appended after it): read it again from the start before
            # calling the log damaged.
            if failed == (e.line, e.message):
                raise
            failed = (e.line, e.message)
            tail.restart()
            continue
        if parser.root is not None and parser.statements != seen:
            seen = parser.statements
            yield parser.root
