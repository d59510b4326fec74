"""``laaos export``: the store, or the part a KEY path names, as JSON, with a choice of how
NaN and infinities are written and how keys that are not strings become JSON keys."""

from __future__ import annotations

import argparse
import base64
import json
import math
import os
import sys
from typing import Any

from .failures import CommandError
from .keys import select
from .loading import human, load_store, refuse_directory


def to_json(value: Any, nan: str, repr_keys: bool = False, where: str = "store") -> Any:
    """``value`` as data ``json.dumps`` writes (see ``laaos export --help``): ``nan`` says how
    NaN and infinities go (``null``, ``string`` or ``js``), ``repr_keys`` writes every dict key
    as its repr. ``where`` names the part of the store, for the error on two keys that would
    be one JSON key."""
    if isinstance(value, float) and not math.isfinite(value):
        if nan == "null":
            return None
        if nan == "string":
            return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        return value  # "js": bare NaN / Infinity, as JavaScript and Python's json read them
    if isinstance(value, dict):
        out = {}
        keys = {}  # JSON key -> the key of `value` written as it
        for k, v in value.items():
            text = repr(k) if repr_keys else k if isinstance(k, str) else json.dumps(to_json(k, nan))
            if text in keys:  # 1 and '1' would both be "1": say so rather than lose one
                raise CommandError(f"{where}: the keys {keys[text]!r} and {k!r} would both be the JSON key "
                                   f"{json.dumps(text)}: add --repr-keys to write every key as its Python "
                                   "repr ('a' as \"'a'\", 1 as \"1\"), which keeps them apart")
            keys[text] = k
            out[text] = to_json(v, nan, repr_keys, f"{where}[{k!r}]")
        return out
    if isinstance(value, (list, tuple)):
        return [to_json(v, nan, repr_keys, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, (set, frozenset)):
        items = [to_json(v, nan) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return sorted(items, key=repr)
    if isinstance(value, bytes):
        return {"base64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, complex):
        return {"real": to_json(value.real, nan), "imag": to_json(value.imag, nan)}
    return value


# The deepest nesting export writes: within Python's default recursion limit (1000) with
# room to spare, for the conversion and the json module, which both recurse per level.
# JSON readers stop at about this depth too (Python's json near 1000, others far sooner).
MAX_EXPORT_DEPTH = 400


_CONTAINERS = (dict, list, tuple, set, frozenset)


def nesting(value: Any) -> int:
    """How many levels of lists, dicts, sets and tuples ``value`` nests (0 for a scalar),
    counted without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, dict):
            items: Any = list(v.values()) + list(v.keys())
        elif isinstance(v, _CONTAINERS):
            items = v
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((item, depth + 1) for item in items if isinstance(item, _CONTAINERS))
    return deepest


def cmd_export(args: argparse.Namespace) -> int:
    """Write the store of ``args.file`` (under ``args.key``) as JSON to ``args.output`` or stdout."""
    result = load_store(args)
    value = select(result.store, args.key)
    depth = nesting(value)
    if depth > MAX_EXPORT_DEPTH:
        raise CommandError(
            f"{args.file}: the store nests {depth:,} levels deep; laaos export writes at most "
            f"{MAX_EXPORT_DEPTH} (JSON readers refuse deeper documents): export a part of it "
            "with a KEY, or read the log in Python with laaos.load"
        )
    try:
        text = json.dumps(to_json(value, args.nan, args.repr_keys), allow_nan=args.nan == "js",
                          ensure_ascii=False, indent=args.indent)
    except (TypeError, ValueError) as e:  # an object loaded through --symbol
        raise CommandError(f"{args.file}: cannot write this store as JSON: {e}") from None
    if args.output and args.output != "-":
        refuse_directory(args.output)
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        print(f"{args.output}: {human(os.path.getsize(args.output))}", file=sys.stderr)
    else:
        print(text)
    return 0
