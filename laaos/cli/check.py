"""``laaos check``: what a log holds and what is wrong with it (torn tail, damaged
statements, symbols to pass, the old float format), with exit status 1 when damaged."""

from __future__ import annotations

import argparse

from ..diagnosis import diagnose, not_utf8_message
from .escaping import one_line
from .loading import check_file, count, human, not_a_log_message, why_not_a_log
from .show import short
from .symbols import line_at, symbol_hint


EXPLAINED = 10  # damaged statements explained one a line; the rest are counted


def cmd_check(args: argparse.Namespace) -> int:
    """Report on ``args.file``; 1 when it is damaged, torn, empty or not a laaos log at
    all (a log that only needs symbols, or ``--encoding cp1252``, is healthy: 0)."""
    path = args.file
    check_file(path)
    shown = one_line(path)  # (a name with a newline cannot fake a line)
    why = why_not_a_log(path)
    if why is not None:
        print(not_a_log_message(shown, why))
        return 1
    diagnosis = diagnose(path, None, args.symbols, encoding=args.encoding)
    result = diagnosis.result
    print(f"{shown}: {count(result.statements, 'statement')}, {count(result.lines, 'line')}, {human(result.size)}")
    status = 0
    if diagnosis.damaged:
        lines = ", ".join(str(line) for line, _ in diagnosis.damaged[:20])
        print(f"{shown}: DAMAGED: {len(diagnosis.damaged)} statement(s) not well formed, at line(s) {lines}")
        for line, why in diagnosis.damaged[:EXPLAINED]:
            print(f"  {shown}:{line}: {why}")
        if len(diagnosis.damaged) > EXPLAINED:
            print(f"  ... and {len(diagnosis.damaged) - EXPLAINED} more (`laaos recover --dry-run {shown}` lists them all)")
        if result.statements:
            print(f"  `laaos recover {shown}` keeps the good statements and moves the bad bytes aside "
                  "(`--dry-run` first shows what it would do)")
        else:  # recover refuses: it would keep nothing
            print("  not one statement loads: not a laaos log, or its first `store = ...` statement "
                  "is damaged (fix that line by hand)")
        status = 1
    elif diagnosis.empty:
        print(f"{shown}: EMPTY: no `store = ...` statement yet (a writer that has not written, or not a "
              "laaos log); nothing to recover")
        return 1
    if result.dropped_bytes:
        what = "an incomplete last statement" if result.torn else "NUL padding"
        print(f"{shown}: TORN: the last {result.dropped_bytes} bytes are {what} "
              f"(from line {result.tail_line}); reopening the log cuts them off into a sidecar file")
        status = 1
    if result.store is None and not diagnosis.damaged and not result.dropped_bytes:
        print(f"{shown}: DAMAGED: no complete `store = ...` statement")
        return 1
    if result.legacy_floats:
        print(f"{shown}: OLD FORMAT: {result.legacy_floats:,} statement(s) hold a bare nan/inf (or infj/nanj) as "
              "laaos 2.1.1 wrote non-finite numbers; they load as those numbers (not damage)")
    if diagnosis.encoding_hint:  # not damage: the same log read in that encoding
        print(f"{shown}: NEEDS ENCODING: {not_utf8_message(shown, diagnosis.encoding_hint)}")
    if diagnosis.missing:
        print(f"{shown}: NEEDS SYMBOLS: well-formed statements name symbols that were not passed:")
        for name, line in diagnosis.missing.items():
            text = (line_at(path, line) or b"").decode("utf-8", "replace")
            print(f"  {name}, first at {shown}:{line}: {short(text, 100)}")
        print(f"  the log is not damaged; load it with them: {symbol_hint(diagnosis.missing)}")
    if not status:
        print(f"{shown}: OK")
    return status
