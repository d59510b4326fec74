"""``laaos show``: the store, or the part a KEY path names, as a tree of keys, types, list
lengths and latest values, with the sessions the log records under it."""

from __future__ import annotations

import argparse
import math
from typing import Any, List, Optional

from ..runs import describe_records
from ..tidy import key_text
from .keys import select
from .loading import count, human, load_store


def short(value: Any, width: int = 60) -> str:
    """``repr(value)``, cut to ``width`` characters with ``...``.

    Only what is shown is rendered: a long or deep value costs its first ``width``
    characters, and a log's nesting, however deep, never meets Python's recursion limit
    (each level is at least one character of the text)."""
    parts: List[str] = []
    _cut_repr(value, parts, width + 1)
    text = "".join(parts)
    return text if len(text) <= width else text[: width - 3] + "..."


_BRACKETS = {list: ("[", "]"), tuple: ("(", ")"), set: ("{", "}"), frozenset: ("frozenset({", "})"),
             dict: ("{", "}")}


def _cut_repr(value: Any, out: List[str], budget: int) -> int:
    """Append the pieces of ``repr(value)`` to ``out`` until ``budget`` characters are
    out; return the budget left."""
    t = type(value)
    if t in _BRACKETS:
        if not value and (t is set or t is frozenset):
            text = f"{t.__name__}()"
            out.append(text)
            return budget - len(text)
        opening, closing = _BRACKETS[t]
        if t is tuple and len(value) == 1:
            closing = ",)"
        out.append(opening)
        budget -= len(opening)
        for i, item in enumerate(value.items() if t is dict else value):
            if budget <= 0:
                return budget
            if i:
                out.append(", ")
                budget -= 2
            if t is dict:
                budget = _cut_repr(item[0], out, budget)
                out.append(": ")
                budget -= 2
                item = item[1]
            budget = _cut_repr(item, out, budget)
        out.append(closing)
        return budget - len(closing)
    text = repr(value)
    out.append(text)
    return budget - len(text)


def number(x: Any) -> str:
    """A number of a series: a float to 6 significant digits, anything else ``short``."""
    return f"{x:.6g}" if isinstance(x, float) else short(x, 24)


def describe_list(items: list) -> str:
    """One line for a list: length and item types; last, min and max of a numeric series
    (of its finite values, with how many others it holds, as the notebook view says it);
    the fields of a list of dicts."""
    n = len(items)
    if not n:
        return "list[0]"
    kinds = {type(v).__name__ for v in items}
    numbers = [v for v in items if isinstance(v, (int, float)) and not isinstance(v, bool)]
    text = f"list[{n:,}] of {'/'.join(sorted(kinds))}"
    if len(numbers) == n:
        finite = [v for v in numbers if not isinstance(v, float) or math.isfinite(v)]
        text += f"  last {number(items[-1])}"
        if finite:
            text += f"  min {number(min(finite))}  max {number(max(finite))}"
        if len(finite) < n:
            text += f"  ({n - len(finite):,} NaN/inf)"
        return text
    if kinds == {"dict"}:
        fields: List[Any] = []
        for v in items:
            fields.extend(k for k in v if k not in fields)
        return f"list[{n:,}] of dict {{{', '.join(map(key_text, fields[:12]))}}}  last {short(items[-1])}"
    return f"{text}  last {short(items[-1])}"


def tree(value: Any, indent: str = "", out: Optional[List[str]] = None, depth: int = 0) -> List[str]:
    """The lines of ``value`` as a tree: a line a key, nested dicts indented (8 levels at
    most, so that a deep store still prints), everything else ``summary``."""
    out = [] if out is None else out
    if not isinstance(value, dict):
        out.append(indent + summary(value))
        return out
    for key, item in value.items():
        if isinstance(item, dict) and item and depth < 8:
            out.append(f"{indent}{key_text(key)}:  dict[{len(item)}]")
            tree(item, indent + "  ", out, depth + 1)
        else:
            out.append(f"{indent}{key_text(key)}:  {summary(item)}")
    return out


def summary(value: Any) -> str:
    """One short description of any value of a store."""
    if isinstance(value, list):
        return describe_list(value)
    if isinstance(value, dict):
        return f"dict[{len(value)}]"
    if isinstance(value, set):
        return f"set[{len(value)}] {short(value, 50)}"
    return short(value)


def cmd_show(args: argparse.Namespace) -> int:
    """Print the tree of ``args.file`` (under the KEY paths ``args.key``) and its sessions."""
    result = load_store(args)
    value = select(result.store, args.key)
    print(f"{args.file}  ({count(result.statements, 'statement')}, {human(result.size)})")
    if args.key:
        print(".".join(args.key))
    for line in tree(value, "  "):
        print(line)
    if result.torn:
        print(f"(the last {result.dropped_bytes} bytes are an incomplete statement, not shown)")
    for line in describe_records(result):
        print(line)
    return 0
