"""Small helpers the original laaos exported, kept under the same names."""

from __future__ import annotations

import _thread
import itertools
import os
import time
from typing import Any, TypeVar

T = TypeVar("T")


def generate_time_id() -> str:
    """``_YYYY-MM-DD-HHMMSS`` of now (one-second resolution, as in the original laaos)."""
    return "_" + time.strftime("%Y-%m-%d-%H%M%S")  # (local time, as datetime.now())


_run_ids = {"last": "", "count": itertools.count(2)}
_run_ids_lock = _thread.allocate_lock()  # (threading.Lock, without importing threading)


def generate_run_id() -> str:
    """``_YYYY-MM-DD-HHMMSS-ffffff-PID`` of now: the default suffix of a new log's name.

    Unique per run: runs started in the same second (a sweep launched at once) differ in
    microseconds and process id; two calls of one process in the same microsecond get
    ``-2``, ``-3``, ... appended.  Names still sort by start time.
    """
    seconds, nanoseconds = divmod(time.time_ns(), 1_000_000_000)
    now = time.strftime("%Y-%m-%d-%H%M%S", time.localtime(seconds))  # (local time, as datetime.now())
    base = f"_{now}-{nanoseconds // 1000:06d}-{os.getpid()}"
    with _run_ids_lock:
        if base != _run_ids["last"]:
            _run_ids["last"], _run_ids["count"] = base, itertools.count(2)
            return base
        return f"{base}-{next(_run_ids['count'])}"


def ensure_dirs(filename: Any) -> None:
    """Create the folders that ``filename`` will live in."""
    os.makedirs(os.path.dirname(os.path.abspath(filename)), exist_ok=True)


def can_iter(obj: Any) -> bool:
    """Whether ``iter(obj)`` works."""
    try:
        iter(obj)
    except TypeError:
        return False
    return True


def new_set(obj: Any, accessor: Any) -> Any:
    """``obj[accessor] = set()`` and return the store's set."""
    obj[accessor] = set()
    return obj[accessor]


def new_dict(obj: Any, accessor: Any) -> Any:
    """``obj[accessor] = {}`` and return the store's dict."""
    obj[accessor] = {}
    return obj[accessor]


def new_list(obj: Any, accessor: Any) -> Any:
    """``obj[accessor] = []`` and return the store's list."""
    obj[accessor] = []
    return obj[accessor]


def put(obj: Any, accessor: Any, data: T) -> T:
    """``obj[accessor] = data`` and return what the store holds there."""
    obj[accessor] = data
    return obj[accessor]
