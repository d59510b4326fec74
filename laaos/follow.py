"""Following a log while it is written: ``follow`` and the byte tail under it."""

from __future__ import annotations

import os
import time
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional

from .loader import CHUNK, PathLike, new_parser


def tail_bytes(
    path: PathLike,
    *,
    interval: float = 0.5,
    idle_timeout: Optional[float] = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[Optional[bytes]]:
    """Yield the bytes appended to ``path`` as they arrive, reading only new bytes.

    Yields ``None`` first and again whenever the file was replaced or shrank (a
    ``compact``, or a writer that truncated it): the reader must start over.  Ends
    after ``idle_timeout`` seconds without new bytes (never, by default).  Waits for
    the file to appear.
    """
    name = os.fspath(path)
    f = None
    ident = None
    offset = 0
    idle_since = time.monotonic()
    try:
        while True:
            try:
                st = os.stat(name)
            except FileNotFoundError:
                st = None
            if st is not None and (f is None or (st.st_dev, st.st_ino) != ident or st.st_size < offset):
                if f is not None:
                    f.close()
                f = open(name, "rb")
                ident = (st.st_dev, st.st_ino)
                offset = 0
                yield None
            got = False
            if f is not None:
                while True:
                    chunk = f.read(CHUNK)
                    if not chunk:
                        break
                    offset += len(chunk)
                    got = True
                    yield chunk
            now = time.monotonic()
            if got:
                idle_since = now
            elif idle_timeout is not None and now - idle_since >= idle_timeout:
                return
            else:
                sleep(interval)
    finally:
        if f is not None:
            f.close()


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
    updated in place, until the log is replaced (``compact``) and loaded afresh: copy it
    to keep a snapshot.  Ends after ``idle_timeout`` seconds without new bytes (never,
    by default); a bad statement raises a ``LogError`` naming its line::

        for store in laaos.follow("runs/train.py", idle_timeout=600):
            print(len(store["losses"]), store["losses"][-1])
    """
    name = os.fspath(path)
    parser = None
    seen = -1
    for chunk in tail_bytes(name, interval=interval, idle_timeout=idle_timeout):
        if chunk is None:
            parser = new_parser(name, exposed_symbols, extra_mappings)
            seen = -1
            continue
        parser.feed(chunk)
        if parser.root is not None and parser.statements != seen:
            seen = parser.statements
            yield parser.root
