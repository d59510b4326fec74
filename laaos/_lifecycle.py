"""Open stores over the life of the process: at interpreter exit, on SIGTERM, after fork.

Every open store is tracked here (weakly: a dropped store is closed by its own
``__del__``).  At exit each is closed, which writes a ``durability="buffered"`` store's
buffer.  SIGTERM (what schedulers send before they preempt a job) would otherwise end
Python without running atexit: where nobody else handles it, laaos closes the stores and
then dies of SIGTERM as the process would have.

The child of a ``fork`` inherits the parent's stores, buffers and handlers.  It must
never write the parent's buffer (the parent writes it too: every statement would land
twice), nor release the parent's file lock: right after the fork each inherited store is
abandoned (closed without writing, see ``Store._abandon``), so the child can read it as
it was at the fork and any write raises ``StoreClosedError`` naming the cause.
"""

from __future__ import annotations

import atexit
import os
import signal
import threading
import weakref
from typing import Any

_LIVE: "weakref.WeakSet[Any]" = weakref.WeakSet()


def track(store: Any) -> None:
    """Close ``store`` at exit and abandon it in a forked child, until it is closed."""
    _LIVE.add(store)


def untrack(store: Any) -> None:
    _LIVE.discard(store)


@atexit.register
def close_all() -> None:
    """Close every open store (writing what is buffered)."""
    for store in list(_LIVE):
        try:
            store.close()
        except Exception:  # at exit there is nobody left to tell
            pass


def _on_sigterm(signum: int, frame: Any) -> None:
    if any(store._writer.busy for store in list(_LIVE)):
        # The signal arrived inside a write (it runs between two lines of the writer's
        # Python code): try again in a moment rather than flush a half-updated buffer.
        threading.Timer(0.005, os.kill, (os.getpid(), signal.SIGTERM)).start()
        return
    close_all()
    # Then die of SIGTERM as the process would have without us.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def close_on_sigterm() -> None:
    """Install the SIGTERM close, only where nobody else handles SIGTERM."""
    if threading.current_thread() is not threading.main_thread():
        return  # signal handlers can only be set from the main thread
    try:
        if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, _on_sigterm)
    except (ValueError, OSError, AttributeError):  # no SIGTERM here, or an embedded interpreter
        pass


def _abandon_inherited_stores() -> None:
    parent = os.getppid()
    for store in list(_LIVE):
        store._abandon(parent)
    _LIVE.clear()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_abandon_inherited_stores)
