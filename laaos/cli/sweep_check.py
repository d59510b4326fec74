"""``laaos check FILE...``: which logs of a sweep are torn, damaged, empty or cannot be
read, one line each, and a summary; ``--json`` for scripts.  One log file alone gets the
detailed report of ``check.py``.

Each log is counted once, under the worst of what is wrong with it (unreadable, not a
laaos log, damaged, torn, empty); a log that only needs symbols is OK (it is not damaged:
loading it with them succeeds), and its line says which to pass.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ..diagnosis import diagnose, not_utf8_message
from .check import cmd_check as check_one_in_detail
from .escaping import one_line
from .loading import check_file, why_not_a_log
from .sweep import LOG_ERRORS, in_order, one_log, plural, reason, sweep_paths, workers_for
from .symbols import symbol_hint

# the order of the summary, from the worst: a log is counted under the first that holds
STATUSES = ("unreadable", "not a log", "damaged", "torn", "empty", "ok")
LISTED = 20  # damaged lines kept per log (a file of garbage has one per line)


@dataclass
class Verdict:
    """What ``check`` found in one log (small: it travels back from a worker process)."""

    path: str
    status: str  # one of STATUSES
    why: str = ""  # unreadable, not a log: the reason
    statements: int = 0
    lines: int = 0
    bytes: int = 0
    damaged: List[Tuple[int, str]] = field(default_factory=list)  # (line, why), the first LISTED
    damaged_count: int = 0
    torn_line: int = 0  # where the torn tail starts (0: none)
    torn_bytes: int = 0
    torn_what: str = ""  # "an incomplete last statement", "NUL padding"
    missing_symbols: Dict[str, int] = field(default_factory=dict)  # name -> first line
    old_format: int = 0  # statements with a bare nan/inf of laaos 2.1.1 (not damage)
    encoding_hint: Optional[Tuple[int, str]] = None  # not UTF-8: (line, the encoding to try)


def verdict(path: str, symbols: Mapping[str, Any], encoding: Optional[str] = None) -> Verdict:
    """Check the log at ``path`` (the same tests as ``check`` of one log)."""
    try:
        check_file(path)
        why = why_not_a_log(path)
        if why is not None:
            return Verdict(path, "not a log", why)
        diagnosis = diagnose(path, None, symbols, encoding=encoding)
    except LOG_ERRORS as e:
        return Verdict(path, "unreadable", reason(path, e))
    result = diagnosis.result
    v = Verdict(path, "ok", statements=result.statements, lines=result.lines, bytes=result.size,
                damaged=diagnosis.damaged[:LISTED], damaged_count=len(diagnosis.damaged),
                missing_symbols=dict(diagnosis.missing), old_format=result.legacy_floats,
                encoding_hint=diagnosis.encoding_hint)
    if result.dropped_bytes:
        v.torn_line, v.torn_bytes = result.tail_line, result.dropped_bytes
        v.torn_what = "an incomplete last statement" if result.torn else "NUL padding"
    if diagnosis.damaged:
        v.status = "damaged"
    elif diagnosis.empty:
        v.status = "empty"
    elif result.dropped_bytes:
        v.status = "torn"
    elif result.store is None:
        v.status, v.damaged_count = "damaged", 1
        v.damaged = [(1, "no complete `store = ...` statement")]
    return v


def line_of(v: Verdict) -> Optional[str]:
    """The line that says what is wrong with a log, and where; None for a log that is OK
    and needs no symbols."""
    torn = f"TORN: the last {v.torn_bytes:,} bytes are {v.torn_what}"
    path = one_line(v.path)
    if v.status == "unreadable":
        return f"{path}: UNREADABLE: {v.why}"
    if v.status == "not a log":
        return (f"{path}: NOT A LAAOS LOG: {v.why} (a laaos log begins with `store = ...` or a "
                "`#laaos:` record)")
    if v.status == "damaged":
        line, why = v.damaged[0]
        text = f"{path}:{line}: DAMAGED: {why}"
        if v.damaged_count > 1:
            lines = ", ".join(str(n) for n, _ in v.damaged)
            lines += ", ..." if v.damaged_count > len(v.damaged) else ""
            text += f" ({v.damaged_count:,} statements not well formed, at lines {lines})"
        if not v.statements:
            text += "; not one statement loads"
        if v.torn_bytes:
            text += f"; and {torn} (from line {v.torn_line})"
        return text
    if v.status == "torn":
        return f"{path}:{v.torn_line}: {torn}"
    if v.status == "empty":
        return f"{path}: EMPTY: no `store = ...` statement yet"
    if v.encoding_hint:  # not damage: the log reads in that encoding
        return f"{path}: NEEDS ENCODING: {not_utf8_message(path, v.encoding_hint)}"
    if v.missing_symbols:
        by_line = sorted(v.missing_symbols.items(), key=lambda item: item[1])
        names = ", ".join(f"{name} (line {at})" for name, at in by_line)
        return (f"{path}:{by_line[0][1]}: NEEDS SYMBOLS: {names}: not damage; "
                f"load it with {symbol_hint(v.missing_symbols)}")
    return None


def summary(verdicts: List[Verdict]) -> str:
    """``300 logs: 297 OK, 1 torn, 1 damaged, 1 empty`` (and the unreadable ones, those
    that are not laaos logs, and how many OK ones need symbols, when there are any)."""
    counts = {status: 0 for status in STATUSES}
    for v in verdicts:
        counts[v.status] += 1
    symbols = sum(1 for v in verdicts if v.status == "ok" and v.missing_symbols)
    encoding = sum(1 for v in verdicts if v.status == "ok" and v.encoding_hint)
    needs = [f"{n:,} of them need {option}" for n, option in ((symbols, "--symbol"), (encoding, "--encoding"))
             if n]
    ok = f"{counts['ok']:,} OK" + (f" ({', '.join(needs)})" if needs else "")
    parts = [ok] + [f"{counts[s]:,} {s}" for s in ("torn", "damaged", "empty")]
    if counts["unreadable"]:
        parts.append(f"{counts['unreadable']:,} unreadable")
    if counts["not a log"]:
        parts.append(plural(counts["not a log"], "not a laaos log", "not laaos logs"))
    return f"{plural(len(verdicts), 'log')}: " + ", ".join(parts)


def cmd_check(args: argparse.Namespace) -> int:
    """``laaos check FILE...``: the detailed report of one log file, or a sweep's (see
    the module's docstring).  1 when any log is torn, damaged, empty, not a laaos log or
    cannot be read; 0 when all are sound."""
    if one_log(args.files) and not (args.quiet or args.json):
        args.file = args.files[0]
        return check_one_in_detail(args)
    paths, left_out = sweep_paths(args, say=not (args.quiet or args.json))
    check = functools.partial(verdict, symbols=args.symbols, encoding=args.encoding)
    verdicts = []
    with in_order(check, paths, workers_for(paths, args.jobs, args.symbols)) as results:
        for v in results:
            verdicts.append(v)
            line = None if args.quiet or args.json else line_of(v)
            if line:
                print(line, flush=True)
    sound = all(v.status == "ok" for v in verdicts)
    if args.json:
        counts = {s.replace(" ", "_"): sum(1 for v in verdicts if v.status == s) for s in STATUSES}
        counts["need_symbols"] = sum(1 for v in verdicts if v.status == "ok" and v.missing_symbols)
        logs = [dict(asdict(v), status=v.status.replace(" ", "_"),
                     damaged=[{"line": line, "why": why} for line, why in v.damaged]) for v in verdicts]
        json.dump({"logs": logs, "summary": dict(logs=len(verdicts), **counts),
                   "left_out": [{"path": path, "why": why} for path, why in left_out]}, sys.stdout, indent=1)
        print()
        return 0 if sound else 1
    if not args.quiet and any(v.status in ("torn", "damaged") for v in verdicts):
        print("`laaos recover FILE...` repairs the torn and damaged logs (`--dry-run` first shows how)")
    print(summary(verdicts))
    return 0 if sound else 1
