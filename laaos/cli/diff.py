"""``laaos diff A B``: what differs between two runs: their single values (``config.lr``:
added, removed, changed, with both values), their session records (git commit, dirty,
argv, host) and, per numeric series, its length and last value."""

from __future__ import annotations

import argparse
from typing import Any, Callable, Dict, List

from ..loader import LoadResult
from ..tidy import Series, split
from .columns import same_value
from .escaping import one_line
from .loading import load_store
from .show import number, short

# What ``diff`` compares of each session record: where and from what code a run ran.
# (time, pid and the like differ between any two runs)
SESSION_FIELDS = (("git commit", ("git", "commit")), ("git dirty", ("git", "dirty")),
                  ("git branch", ("git", "branch")), ("argv", ("argv",)), ("host", ("host",)))


def value_text(value: Any) -> str:
    """A value as Python writes it, cut to 60 characters."""
    return short(value, 60)


def changes(a: Dict[str, Any], b: Dict[str, Any], text: Callable[[Any], str],
            same: Callable[[Any, Any], bool]) -> List[str]:
    """The lines for the columns of two runs, each as ``text`` writes it: ``- name: A``
    (only in A), ``+ name: B`` (only in B), ``~ name: A -> B`` (not ``same``)."""
    lines = []
    for name in list(dict.fromkeys([*a, *b])):
        if name not in b:
            lines.append(f"  - {name}: {text(a[name])}")
        elif name not in a:
            lines.append(f"  + {name}: {text(b[name])}")
        elif not same(a[name], b[name]):
            lines.append(f"  ~ {name}: {text(a[name])} -> {text(b[name])}")
    return lines


def _field(info: Dict[str, Any], path: tuple) -> Any:
    value: Any = info
    for step in path:
        value = value.get(step) if isinstance(value, dict) else None
    if isinstance(value, list):
        return " ".join(map(str, value))
    return value


def sessions_diff(a: LoadResult, b: LoadResult) -> List[str]:
    """The lines for the session records, compared in order (the first with the first)."""
    sa, sb = a.sessions, b.sessions
    lines = []
    if len(sa) != len(sb):
        lines.append(f"  ~ sessions: {len(sa)} -> {len(sb)}")
    for i, (ra, rb) in enumerate(zip(sa, sb), 1):
        for label, path in SESSION_FIELDS:
            va, vb = _field(ra.info, path), _field(rb.info, path)
            if va != vb:
                lines.append(f"  ~ session {i} {label}: {value_text(va)} -> {value_text(vb)}")
    for i, record in enumerate(sa[len(sb):], len(sb) + 1):
        lines.append(f"  - session {i}: {_describe(record.info)}")
    for i, record in enumerate(sb[len(sa):], len(sa) + 1):
        lines.append(f"  + session {i}: {_describe(record.info)}")
    return lines


def _describe(info: Dict[str, Any]) -> str:
    return ", ".join(f"{label} {value_text(_field(info, path))}" for label, path in SESSION_FIELDS)


def series_text(s: Series) -> str:
    """``100 steps, last 0.25``."""
    return f"{s.steps:,} step{'' if s.steps == 1 else 's'}, last {number(s.last)}"


def same_series(a: Series, b: Series) -> bool:
    """Whether two series have as many steps and the same last value."""
    return a.steps == b.steps and same_value(a.last, b.last)


def cmd_diff(args: argparse.Namespace) -> int:
    """Print what differs between the runs ``args.file`` and ``args.other``; with
    ``--exit-code``, 1 when anything does."""
    a = load_store(args)
    b = load_store(argparse.Namespace(**{**vars(args), "file": args.other}))
    values_a, series_a = split(a.store)
    values_b, series_b = split(b.store)
    sections = [("values", changes(values_a, values_b, value_text, same_value)),
                ("sessions", sessions_diff(a, b)),
                ("series", changes(series_a, series_b, series_text, same_series))]
    print(f"--- {one_line(args.file)}" + (f"  (torn: the last {a.dropped_bytes:,} bytes not loaded)" if a.torn else ""))
    print(f"+++ {one_line(args.other)}" + (f"  (torn: the last {b.dropped_bytes:,} bytes not loaded)" if b.torn else ""))
    differs = False
    for title, lines in sections:
        if lines:
            differs = True
            print(f"{title}:")
            for line in lines:
                print(line)
    if not differs:
        print("no difference in values, sessions or series")
    return 1 if differs and args.exit_code else 0
