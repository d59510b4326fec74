"""The log FILE every ``laaos`` command names: checking that it is a file, loading it
(with progress on a terminal), and how its statement count and size are written."""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import closing
from typing import Optional

from .._fileops import file_chunks, not_a_file
from .._logfile import not_a_log
from ..loader import LoadResult, load
from .failures import CommandError

PROGRESS_MIN_BYTES = 32 << 20  # show progress for logs at least this large, on a terminal


def check_file(path: str) -> None:
    """A missing FILE, a directory, a device: one line, not an OS error from deeper down."""
    problem = not_a_file(path)
    if problem == "no such file":
        raise CommandError(f"{path}: no such log file")
    if problem is not None:
        raise CommandError(f"{path}: is {problem}, not a log file")


def not_a_log_message(shown: str, why: str) -> str:
    """What every command says of a file that is not a laaos log (a script)."""
    return f"{shown}: not a laaos log: {why} (a laaos log begins with `store = ...` or a `#laaos:` record)"


def check_log_file(path: str) -> None:
    """``check_file``, and a file that is not a laaos log (the training script beside
    it) refused as ``laaos check`` reports it, rather than by the loader's first error."""
    check_file(path)
    why = why_not_a_log(path)
    if why is not None:
        raise CommandError(not_a_log_message(path, why))


def why_not_a_log(path: str) -> Optional[str]:
    """Why the file at ``path`` is not a laaos log (None: it is one), from as much of
    its start as the answer needs."""
    with closing(file_chunks(path)) as chunks:  # (closed here, see file_chunks)
        return not_a_log(chunks)


def refuse_directory(output: str) -> None:
    """An output path that is a directory: say so (not an OS error about a temporary file)."""
    if os.path.isdir(output):
        raise CommandError(f"{output}: is a directory: name a file to write (-o DIR/NAME)")


def load_store(args: argparse.Namespace) -> LoadResult:
    """Load ``args.file`` with the ``--symbol`` names, for a command that needs its store.

    A torn tail is not an error here (the commands report it themselves), nor is a log
    without a store until this says so in one line."""
    path = args.file
    check_log_file(path)
    show = progress_wanted(path)

    def progress(done: int, total: int) -> None:
        print(f"\rloading {path}: {100 * done // max(total, 1):3d}%", end="", file=sys.stderr, flush=True)

    result = load(path, None, args.symbols, warn=False, allow_empty=True, progress=progress if show else None,
                  encoding=args.encoding)
    if show:
        print("\r" + " " * (len(path) + 18) + "\r", end="", file=sys.stderr, flush=True)
    if result.store is None:
        raise CommandError(f"{path}: no complete `store = ...` statement")
    return result


def progress_wanted(path: str) -> bool:
    """Whether a long job on ``path`` should say how far it is: a large log, on a terminal
    (a pipe or a file would only collect the carriage returns)."""
    return os.path.getsize(path) >= PROGRESS_MIN_BYTES and sys.stderr.isatty()


def count(n: int, noun: str) -> str:
    """``1 statement``, ``2 statements``, ``1,000 lines``."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def human(size: int) -> str:
    """A size in bytes as people read it: ``812 bytes``, ``9.8 KiB``, ``1.2 GiB``."""
    if size < 1024:
        return f"{size:,} bytes"
    scaled = size / 1024
    for unit in ("KiB", "MiB"):
        if scaled < 1024:
            return f"{scaled:.1f} {unit}"
        scaled /= 1024
    return f"{scaled:.1f} GiB"
