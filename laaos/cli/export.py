"""``laaos export``: the store, or the part a KEY path names, as JSON, with a choice of how
NaN and infinities are written and how keys that are not strings become JSON keys."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from .._json import json_default, to_json
from .escaping import one_line
from .failures import CommandError
from .keys import select
from .loading import human, load_store, refuse_directory


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
                          ensure_ascii=False, indent=args.indent, default=json_default)
    except ValueError as e:  # two keys that would be one JSON key
        raise CommandError(f"{args.file}: {e}") from None
    except TypeError as e:  # an object loaded through --symbol
        raise CommandError(f"{args.file}: cannot write this store as JSON: {e}") from None
    if args.output and args.output != "-":
        refuse_directory(args.output)
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        print(f"{args.output}: {human(os.path.getsize(args.output))}", file=sys.stderr)
    else:
        print(text)
    if result.torn:  # (on stderr: stdout holds the JSON; the status is 0, as show's)
        print(f"laaos export: {one_line(args.file)}: TORN: the last {result.dropped_bytes:,} bytes are an "
              "incomplete statement, not exported", file=sys.stderr)
    return 0
