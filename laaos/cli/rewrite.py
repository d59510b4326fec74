"""``laaos compact`` and ``laaos recover``: the commands that rewrite a log file, the one
to a single statement of its store, the other to its good statements only."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from contextlib import closing

from ..errors import TornTailWarning
from .._fileops import sidecar_name, write_synced
from ..files import compact, refuse_other_destination
from ..runs import file_chunks
from ..handlers import ToReprHandler, WeakEnumHandler
from ..recover import recover
from .escaping import one_line
from .loading import check_file, count, human, load_store, progress_wanted, refuse_directory


def cmd_compact(args: argparse.Namespace) -> int:
    """Rewrite ``args.file`` (or write ``args.output``) as one statement; keep a torn tail
    in a sidecar file rather than drop it."""
    check_file(args.file)
    name = one_line(args.file)  # (as printed: on one line)
    out = args.output or args.file
    refuse_directory(out)
    if os.path.isfile(out) and not args.force:  # (before a long load: compact checks it again)
        with closing(file_chunks(out)) as chunks:  # (closed here, see file_chunks)
            refuse_other_destination(out, chunks, in_place=os.path.samefile(out, args.file))
    before = os.path.getsize(args.file)
    if progress_wanted(args.file):
        print(f"compacting {name} ({human(before)})...", file=sys.stderr, flush=True)
    # Load first: a torn tail is not in the store, so compacting would drop it unseen.
    result = load_store(args)
    tail = b""
    if result.dropped_bytes:
        with open(args.file, "rb") as f:
            f.seek(result.valid_bytes)
            tail = f.read()
    # Objects loaded through --symbol are written back the way the handlers wrote them.
    handlers = [WeakEnumHandler(), ToReprHandler()] if args.symbols else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TornTailWarning)
        compact(args.file, out, extra_mappings=args.symbols, type_handlers=handlers, overwrite=args.force,
                encoding=args.encoding)
    sidecar = None
    if tail.strip(b" \t\r\n\x00"):
        sidecar = sidecar_name(out, "torn")
        write_synced(sidecar, tail)
    print(f"{one_line(out)}: {human(os.path.getsize(out))} (was {human(before)})")
    if sidecar:
        print(f"{name}: the last {result.dropped_bytes} bytes were an incomplete statement (from "
              f"line {result.tail_line}), not part of the store: they are kept in {one_line(sidecar)}")
    return 0


def cmd_recover(args: argparse.Namespace) -> int:
    """Keep the good statements of ``args.file`` and move the bad bytes aside (or, with
    ``--dry-run``, say what that would do)."""
    check_file(args.file)
    name = one_line(args.file)  # (as printed: on one line)
    recovery = recover(args.file, None, args.symbols, dry_run=args.dry_run, force=args.force,
                       encoding=args.encoding)
    if recovery.missing_symbols:
        print(f"{name}: kept the well-formed statements that name symbols not passed "
              f"({', '.join(recovery.missing_symbols)}): that is not damage")
    if recovery.empty:
        print(f"{name}: empty: nothing to recover (no `store = ...` statement yet)")
        return 0
    if not recovery.needed:
        print(f"{name}: nothing to recover ({count(recovery.statements, 'statement')}, all good)")
        return 0
    keep, reject, rewrite = ("would keep", "would reject", "would rewrite") if args.dry_run else \
        ("kept", "rejected", "rewritten")
    print(f"{name}: {keep} {count(recovery.statements, 'statement')}"
          + (f" ({rewrite} as one statement)" if recovery.compacted else ""))
    for line, why in recovery.rejected_lines:
        print(f"  {reject} line {line}: {why}")
    if recovery.dropped_bytes:
        print(f"  {reject} a torn tail of {recovery.dropped_bytes} bytes")
    if args.dry_run:
        print("  (dry run: nothing was changed)")
    else:
        print(f"  the rejected bytes are in {one_line(recovery.rejected_path)}")
    return 0
