"""The FILE... arguments of the commands that take many logs: a sweep in one call.

Each argument is one of:

- ``-``: the names of logs, one a line, read from standard input (``find ... | laaos check -``;
  none at all is an error);
- a folder: every laaos log under it, searched recursively: the ``.py`` files that begin
  as a log does (see ``laaos._logfile``), so a training script beside its logs is left out
  (and named in ``left_out``), as is a ``.py`` that is not a regular file (a named pipe:
  never opened); an empty ``.py`` file is a log that has not been written yet, except
  ``__init__.py``, which marks a package;
- a glob pattern that the shell left alone (quoted, or on Windows): the files it matches;
- anything else: a file, taken as given (a missing one is reported when it is read, with
  the others still done).

The order is the order of the arguments; within a folder or a pattern, sorted.  A file
named twice (also as ``./a.py`` and ``a.py``) is taken once.
"""

from __future__ import annotations

import os
import stat
import sys
from typing import Iterable, List, Optional, TextIO, Tuple

from .._logfile import not_a_log
from .failures import CommandError

__all__ = ["FILES_HELP", "log_paths", "logs_in_folder"]

FILES_HELP = ("FILE: a log; '-' reads names of logs from standard input, one a line; a folder "
              "stands for every laaos log under it (recursively); a quoted glob pattern for the "
              "files it matches.")

_HEAD = 1 << 12  # bytes read to tell a log from another .py file (the rule needs fewer)


def log_paths(names: Iterable[str], stdin: Optional[TextIO] = None,
              left_out: Optional[List[Tuple[str, str]]] = None) -> List[str]:
    """The log files that the FILE arguments ``names`` stand for, in order, each once.

    The ``.py`` files of a folder that are not laaos logs are appended to ``left_out``
    (when given) as ``(path, why)``.  Raises ``CommandError`` for a pattern that matches
    nothing, a folder that holds no log or a ``-`` that reads no name (a typo should not
    pass as an empty sweep)."""
    out: List[str] = []
    seen = set()

    def take(path: str) -> None:
        key = os.path.normpath(path)
        if key not in seen:
            seen.add(key)
            out.append(path)

    for name in names:
        if name == "-":
            named = False
            for line in (stdin or sys.stdin):
                line = line.rstrip("\r\n")
                if line:
                    named = True
                    take(line)
            if not named:  # (a `find` that matched nothing should not pass as an empty sweep)
                raise CommandError("-: standard input named no log file (one name a line)")
        elif os.path.isdir(name):
            found = logs_in_folder(name, left_out)
            if not found:
                raise CommandError(f"{name}: no laaos log in this folder (nor under it)")
            for path in found:
                take(path)
        elif any(c in name for c in "*?[") and not os.path.exists(name):  # (glob.has_magic's test)
            import glob  # (here: only a pattern needs it)

            found = sorted(p for p in glob.glob(name, recursive=True) if os.path.isfile(p))
            if not found:
                raise CommandError(f"no file matches {name!r} (relative to {os.getcwd()})")
            for path in found:
                take(path)
        else:
            take(name)
    return out


def logs_in_folder(folder: str, left_out: Optional[List[Tuple[str, str]]] = None) -> List[str]:
    """The laaos logs under ``folder``, recursively, sorted: ``.py`` files whose first
    statement is a log's, or that are empty (hidden folders and ``__pycache__``
    skipped).  The other ``.py`` files are appended to ``left_out`` as ``(path, why)``."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        for f in sorted(files):
            if f.endswith(".py"):
                path = os.path.join(root, f)
                why = _why_not_a_log(path)
                if why is None:
                    found.append(path)
                elif left_out is not None:
                    left_out.append((path, why))
    return found


def _why_not_a_log(path: str) -> Optional[str]:
    """None for a log (or a file that cannot be read: taken, so that the command names
    it and its error); otherwise why the file is left out of a folder's logs.  A named
    pipe, socket or device is never opened: reading one would wait for a writer."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return "not a regular file"
        with open(path, "rb") as f:
            head = f.read(_HEAD)
    except OSError:
        return None
    if not head.strip() and os.path.basename(path) == "__init__.py":
        return "an empty __init__.py marks a package"
    return not_a_log([head])
