"""What the commands of a sweep share (``laaos check|recover|compact FILE...``): one log
or a sweep, the logs the FILE arguments stand for, a log's failure as one line, and
work spread over processes where that pays.

A command line that names one log file (not ``-``, a folder or a glob pattern) is about
that log: the command's detailed output (``check.py``, ``rewrite.py``).  Any other (several
FILEs, a folder, a pattern, ``-``) is a sweep: a line for each log that needs one, a
summary line last (``sweep_check.py``, ``sweep_rewrite.py``).
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import pickle
import sys
import threading
from typing import Any, Callable, Iterable, Iterator, List, Sequence, Tuple

from ..errors import LaaosError, UnknownSymbolError
from .escaping import one_line
from .failures import CommandError, report
from .logfiles import log_paths

# What one log of a sweep may fail with, reported while the others go on (the errors
# `main` reports for a command of one log).
LOG_ERRORS = (CommandError, LaaosError, OSError, UnicodeError, RecursionError)

# Below this many bytes in all, one process checks a sweep faster than it starts workers.
PARALLEL_MIN_BYTES = 32 << 20


def one_log(names: Sequence[str]) -> bool:
    """Whether the FILE arguments ``names`` name one log file (and not a folder, ``-``
    or a pattern, which stand for any number of logs)."""
    if len(names) != 1:
        return False
    name = names[0]
    return name != "-" and not os.path.isdir(name) and not (glob.has_magic(name) and not os.path.exists(name))


def plural(n: int, noun: str, nouns: str = "") -> str:
    """``1 log``, ``2 logs``, ``1,000 logs`` (``nouns``: an irregular plural)."""
    return f"{n:,} {noun if n == 1 else nouns or noun + 's'}"


def sweep_paths(args: argparse.Namespace, *, say: bool = True) -> Tuple[List[str], List[Tuple[str, str]]]:
    """The logs ``args.files`` stand for, and the ``(path, why)`` of the ``.py`` files of
    its folders that are not laaos logs.  With ``say``, each folder gets a line on stderr:
    how many logs it holds and what was left out (a script beside the logs, or a log
    whose first statement is damaged, which only its name tells from a script)."""
    paths: List[str] = []
    left_out: List[Tuple[str, str]] = []
    seen = set()
    for name in args.files:
        skipped: List[Tuple[str, str]] = []
        found = log_paths([name], left_out=skipped)
        if say and name != "-" and os.path.isdir(name):
            note = (f"laaos {args.command}: {one_line(name)} is a directory: "
                    f"{plural(len(found), 'laaos log')} under it")
            if skipped:
                shown = ", ".join(f"{one_line(path)} ({why})" for path, why in skipped[:5])
                more = f", and {len(skipped) - 5:,} more" if len(skipped) > 5 else ""
                what = "is not a laaos log" if len(skipped) == 1 else "are not laaos logs"
                note += f"; left out {plural(len(skipped), '.py file')} that {what}: {shown}{more}"
            print(note, file=sys.stderr)
        left_out += skipped
        for path in found:
            key = os.path.normpath(path)
            if key not in seen:
                seen.add(key)
                paths.append(path)
    return paths, left_out


def reason(path: str, error: BaseException) -> str:
    """What ``error`` says about the log at ``path``, without the path it begins with."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    text = str(error)
    for prefix in (f"{path}: ", f"{path}:"):
        if text.startswith(prefix):
            return text[len(prefix):]
    return text


def report_log(args: argparse.Namespace, path: str, error: BaseException) -> None:
    """The one line (or two) on stderr for a log of a sweep that failed, naming it."""
    if not isinstance(error, UnknownSymbolError) and path not in str(error):
        error = CommandError(f"{path}: {error}")
    report(args, error)  # type: ignore[arg-type]


def workers_for(paths: Sequence[str], jobs: Any, *shared: Any) -> int:
    """How many processes a sweep of ``paths`` is worth: ``jobs`` when given; otherwise
    one per core once the logs hold ``PARALLEL_MIN_BYTES``, one below.  One, too, when
    what the workers need (``shared``: the ``--symbol`` objects) cannot be sent to them
    (a module) or would be imported again there (workers that are not forks)."""
    if len(paths) < 2 or jobs == 1:
        return 1
    if jobs is None:
        total = 0
        for path in paths:
            with contextlib.suppress(OSError):
                total += os.path.getsize(path)
        if total < PARALLEL_MIN_BYTES:
            return 1
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        jobs = cores
    if any(shared):
        import multiprocessing

        # A worker that is not a fork would import the user's --symbol modules afresh,
        # from a path that may no longer hold them.
        if multiprocessing.get_start_method() != "fork":
            return 1
        try:
            pickle.dumps(shared)
        except Exception:  # (a module passed with --symbol: it does not pickle)
            return 1
    return max(1, min(jobs, len(paths)))


@contextlib.contextmanager
def in_order(fn: Callable[[str], Any], paths: Sequence[str], workers: int) -> Iterator[Iterable[Any]]:
    """``fn(path)`` of each path, in order, as each is ready: in this process, or in
    ``workers`` processes.  Ctrl-C is this process's to handle: the workers ignore it,
    and leaving the block (by an exception too) ends them at once."""
    if workers <= 1:
        yield map(fn, paths)
        return
    import multiprocessing
    import signal

    main_thread = threading.current_thread() is threading.main_thread()
    # (forked workers inherit the handler of the moment: a Ctrl-C would raise in each)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main_thread else None
    interrupted: List[bool] = []
    try:
        pool = multiprocessing.Pool(workers, _ignore_ctrl_c)
    finally:
        if main_thread:
            # A Ctrl-C raised inside the pool's own code (between a lock's acquire and its
            # release, which Python up to 3.10 allows) can leave a lock held, and the pool
            # then never ends: it is noted here, and raised between two results instead.
            signal.signal(signal.SIGINT, lambda signum, frame: interrupted.append(True))
    try:
        # chunks of several logs: a small log is checked faster than its result travels
        size = max(1, min(16, len(paths) // (workers * 8)))
        chunks = pool.imap(_each, [(fn, paths[i : i + size]) for i in range(0, len(paths), size)])
        yield (item for chunk in _until_interrupted(chunks, interrupted if main_thread else []) for item in chunk)
    finally:
        pool.terminate()
        pool.join()
        if main_thread:
            signal.signal(signal.SIGINT, previous)
    if interrupted:  # (during the pool's end)
        raise KeyboardInterrupt


def _each(job: Tuple[Callable[[str], Any], Sequence[str]]) -> List[Any]:
    """``fn(path)`` of each path of a chunk, in a worker."""
    fn, chunk = job
    return [fn(path) for path in chunk]


def _until_interrupted(results: Any, interrupted: List[bool]) -> Iterator[Any]:
    """The items of a pool's ``imap``, raising KeyboardInterrupt here, between two of
    them, once a Ctrl-C is noted."""
    import multiprocessing

    while not interrupted:
        try:
            yield results.next(timeout=0.05)
        except multiprocessing.TimeoutError:
            continue
        except StopIteration:
            return
    raise KeyboardInterrupt


def _ignore_ctrl_c() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
