"""Open stores over the life of the process: at interpreter exit, on SIGTERM and SIGHUP,
after fork.

Every open store is tracked here (weakly: a dropped store is closed by its own
``__del__``).  At exit each is closed, which writes a ``durability="buffered"`` store's
buffer.  SIGTERM (what schedulers send before they preempt a job) and SIGHUP (a closed
terminal or ssh session) would otherwise end Python without running atexit: where nobody
else handles them, laaos closes the stores and then dies of that signal as the process
would have.

The child of a ``fork`` inherits the parent's stores, buffers and handlers.  It must
never write the parent's buffer (the parent writes it too: every statement would land
twice), nor release the parent's file lock: right after the fork each inherited store is
abandoned (closed without writing, see ``Store._abandon``), so the child can read it as
it was at the fork and any write raises ``StoreClosedError`` naming the cause.  The
child also gets back the signal dispositions the process had before laaos installed its
own: a Python-level handler runs only between bytecodes, so a ``Pool`` worker blocked in
a semaphore when ``terminate()`` sends SIGTERM would never run it and never die.
"""

from __future__ import annotations

import atexit
import os
import sys
import weakref
from typing import Any, Dict

_LIVE: "weakref.WeakSet[Any]" = weakref.WeakSet()
# id(store) -> its log object, held here while the store is open.  A dropped store is in
# a reference cycle (its engine and root point back to it), so the cyclic collector frees
# it together with a file object that only it holds, and may finalize (close) the file
# first; held here, the file is not garbage until the store's ``__del__`` has written
# its buffer to it and closed it.
_LOGS: Dict[int, Any] = {}
# The signals that close the stores before the process dies of them.
_SIGNAL_NAMES = ("SIGTERM", "SIGHUP")
# signal -> the disposition it had before laaos installed its handler there.  (The signal
# module is imported by the first store that installs them, not by import laaos: only
# that store and the functions below, which act where something is installed, use it.)
_INSTALLED: Dict[int, Any] = {}


def track(store: Any, log: Any) -> None:
    """Close ``store`` at exit and abandon it in a forked child, until it is closed; keep
    its ``log`` object until then."""
    _LIVE.add(store)
    _LOGS[id(store)] = log


def untrack(store: Any) -> None:
    _LIVE.discard(store)
    _LOGS.pop(id(store), None)


def close_all() -> None:
    """Close every open store (writing what is buffered)."""
    for store in list(_LIVE):
        try:
            store.close()
        except Exception as e:
            # A store still open keeps its buffer for a retry that will not come now: say
            # what is lost (at exit stderr is the one place left to tell).  One that closed
            # all the same (its log's own close failed) wrote everything first.
            try:
                lost = "" if store.closed else ", its buffered statements are lost"
                print(f"laaos: closing the store on {store._name()} failed{lost}: {e}", file=sys.stderr)
            except Exception:
                pass


atexit.register(close_all)


def _on_signal(signum: int, frame: Any) -> None:
    if any(store._writer.busy for store in list(_LIVE)):
        # The signal arrived inside a write (it runs between two lines of the writer's
        # Python code): try again in a moment rather than flush a half-updated buffer.
        import threading  # (imported already: by close_on_signals, which installed this handler)

        threading.Timer(0.005, os.kill, (os.getpid(), signum)).start()
        return
    close_all()
    # Then die of the signal as the process would have without us.
    import signal

    signal.signal(signum, _INSTALLED.get(signum, signal.SIG_DFL))
    os.kill(os.getpid(), signum)


def close_on_signals() -> None:
    """Install the close on SIGTERM and SIGHUP, on each only where nobody else handles it."""
    import threading  # (here, by the first store, rather than by import laaos)

    if threading.current_thread() is not threading.main_thread():
        return  # signal handlers can only be set from the main thread
    import signal

    for signum in [getattr(signal, name) for name in _SIGNAL_NAMES if hasattr(signal, name)]:
        try:
            previous = signal.getsignal(signum)
            if previous == signal.SIG_DFL:
                signal.signal(signum, _on_signal)
                _INSTALLED[signum] = previous
        except (ValueError, OSError):  # an embedded interpreter
            pass


def _restore_signals() -> None:
    """Give back the dispositions laaos replaced, where laaos's handler is still there
    (a handler installed after laaos's belongs to the user, and stays)."""
    if not _INSTALLED:
        return
    import signal

    for signum, previous in list(_INSTALLED.items()):
        try:
            if signal.getsignal(signum) is _on_signal:
                signal.signal(signum, previous)
        except (ValueError, OSError):
            pass
    _INSTALLED.clear()


# The forking thread's signal mask before laaos's signals were blocked around a fork.  A
# signal that reaches the child before its handlers are given back would be lost (Python
# drops a pending signal whose handler was replaced) or would run laaos's handler there:
# blocked, it waits in the kernel until the child has the old disposition again.
_MASK_BEFORE_FORK: list = []


def _before_fork() -> None:
    if not _INSTALLED:
        _MASK_BEFORE_FORK.append(None)
        return
    import signal

    ours = [s for s in _INSTALLED if signal.getsignal(s) is _on_signal]
    _MASK_BEFORE_FORK.append(signal.pthread_sigmask(signal.SIG_BLOCK, ours) if ours else None)


def _unblock_after_fork() -> None:
    mask = _MASK_BEFORE_FORK.pop() if _MASK_BEFORE_FORK else None
    if mask is not None:
        import signal

        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def _after_fork_in_child() -> None:
    parent = os.getppid()
    for store in list(_LIVE):
        store._abandon(parent)
    _LIVE.clear()
    _LOGS.clear()
    _restore_signals()  # (a store the child opens installs the handlers again)
    _unblock_after_fork()  # (a SIGTERM sent meanwhile acts now, as the child's own)


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(
        before=_before_fork, after_in_parent=_unblock_after_fork, after_in_child=_after_fork_in_child
    )
