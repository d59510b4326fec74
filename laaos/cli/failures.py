"""How a ``laaos`` command fails: ``CommandError``, and the one line (or two) that
``main`` prints on stderr for each error a command raises, with exit status 1; or
``UsageError``, bad usage (exit status 2)."""

from __future__ import annotations

import argparse
import sys

from ..errors import UnknownSymbolError
from .escaping import one_line


class CommandError(Exception):
    """A failure to report in one line, with exit status 1."""


class UsageError(Exception):
    """Arguments that do not make a command (found once they are read, not by argparse):
    said as argparse says bad usage, with the usage line, and exit status 2."""


def report(args: argparse.Namespace, error: Exception) -> int:
    """Print what went wrong in ``laaos COMMAND``, as ``laaos COMMAND: ...`` (one line,
    whatever the names in it hold); return 1."""
    if isinstance(error, UnknownSymbolError):
        from .._symbols import unsafe_why
        from .symbols import symbol_hint, unsafe_statement  # (symbols imports this module)

        unsafe = unsafe_statement(error)
        # (commands of many logs: the one that failed)
        file = one_line(str(getattr(args, "file", None) or error.path))
        if unsafe:  # never advise passing it: the log would run it
            # (not the loader's message, which advises passing the name)
            print(f"laaos {args.command}: {one_line(str(error.path))}:{error.line}: DAMAGED: "
                  f"{unsafe_why(unsafe)}\n"
                  f"  `laaos check {file}` lists the damage and `laaos recover {file}` "
                  "moves it aside", file=sys.stderr)
        else:
            print(f"laaos {args.command}: {one_line(str(error))}\n"
                  f"  the log is not damaged: pass {symbol_hint([error.name])}",
                  file=sys.stderr)
        return 1
    print(f"laaos {args.command}: {one_line(str(error))}", file=sys.stderr)
    return 1
