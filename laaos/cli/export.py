"""``laaos export``: the store, or the part a KEY path names, as JSON, with a choice of how
NaN and infinities are written and how keys that are not strings become JSON keys."""

from __future__ import annotations

import argparse
import json
import os
import sys

from .._json import json_default, to_json
from .failures import CommandError
from .keys import select
from .loading import human, load_store, refuse_directory


def cmd_export(args: argparse.Namespace) -> int:
    """Write the store of ``args.file`` (under ``args.key``) as JSON to ``args.output`` or stdout."""
    result = load_store(args)
    value = select(result.store, args.key)
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
    return 0
