"""``laaos recover FILE...`` and ``laaos compact FILE...``: the rewriting commands over a
sweep, each log rewritten as ``rewrite.py`` rewrites one (atomically), a log that fails
named with its reason while the others go on.  One log file alone gets the output of
``rewrite.py``.

``compact -o OUT`` reads OUT as a folder when several logs are compacted, and for one
log when OUT is an existing folder or ends in a path separator (``-o small/``); each log
is written there at its path below the folder the logs share (``compact sweep/ -o
small/`` writes ``small/seed1/run.py`` for ``sweep/seed1/run.py``).  Otherwise OUT is the
file to write, as ever.  Several logs are compacted in place only with ``--in-place``.
"""

from __future__ import annotations

import argparse
import os
from contextlib import closing
from typing import Dict, List, Optional

from ..runs import file_chunks
from .escaping import one_line
from .failures import CommandError, UsageError
from .loading import check_file, human
from .rewrite import cmd_compact as compact_one, cmd_recover as recover_one
from .sweep import LOG_ERRORS, one_log, plural, report_log, sweep_paths


def cmd_recover(args: argparse.Namespace) -> int:
    """``laaos recover [--dry-run] FILE...``: repair each damaged or torn log, leave the
    sound ones byte for byte, say what was moved where; 1 when any log failed."""
    if one_log(args.files):
        args.file = args.files[0]
        return recover_one(args)
    from ..recover import recover

    paths, _ = sweep_paths(args)
    repaired = sound = empty = failed = 0
    for path in paths:
        try:
            check_file(path)
            recovery = recover(path, None, args.symbols, dry_run=args.dry_run, force=args.force,
                               encoding=args.encoding)
        except LOG_ERRORS as e:
            report_log(args, path, e)
            failed += 1
            continue
        if recovery.empty:
            empty += 1
        elif not recovery.needed:
            sound += 1
        else:
            repaired += 1
            moved = [f"line {line} ({why})" for line, why in recovery.rejected_lines]
            if recovery.dropped_bytes:
                moved.append(f"a torn tail of {recovery.dropped_bytes:,} bytes")
            kept = plural(recovery.statements, "statement") + (
                ", rewritten as one" if recovery.compacted else "")
            where = "aside" if args.dry_run else f"to {one_line(recovery.rejected_path)}"
            line = (f"{one_line(path)}: {'would keep' if args.dry_run else 'kept'} {kept}; "
                    f"{'would move' if args.dry_run else 'moved'} {', '.join(moved)} {where}")
            if recovery.missing_symbols:
                line += (f"; kept the statements naming symbols not passed "
                         f"({', '.join(sorted(recovery.missing_symbols))}): not damage")
            print(line, flush=True)
    counts = [f"{repaired:,} {'to repair' if args.dry_run else 'repaired'}",
              f"{sound:,} sound" + ("" if args.dry_run else " (left as they were)"),
              f"{empty:,} empty (nothing to recover)"]
    if failed:
        counts.append(f"{failed:,} failed")
    print(f"{plural(len(paths), 'log')}: " + ", ".join(counts)
          + ("; dry run: nothing was changed" if args.dry_run else ""))
    return 1 if failed else 0


def cmd_compact(args: argparse.Namespace) -> int:
    """``laaos compact FILE... (-o DIR | --in-place)``, or one FILE as ever (see the
    module's docstring); 1 when any log failed."""
    if one_log(args.files):
        args.file = args.files[0]
        if args.output is not None and _folder(args.output):
            args.output = _destinations([args.file], args.output)[args.file]
            os.makedirs(os.path.dirname(args.output), exist_ok=True)
        return compact_one(args)
    if args.output is None and not args.in_place:
        name = args.files[0]
        what = f"{one_line(name)} is a directory: compacting the logs under it" if len(args.files) == 1 and \
            os.path.isdir(name) else "compacting several logs"
        raise UsageError(f"{what} needs -o DIR (a folder to write them to) or --in-place (each "
                         "rewritten where it is); nothing was changed")
    if args.output is not None and os.path.exists(args.output) and not os.path.isdir(args.output):
        raise CommandError(f"{args.output}: is not a folder: several logs are written to a folder (-o DIR)")
    paths, _ = sweep_paths(args)
    targets: Dict[str, Optional[str]] = (
        _destinations(paths, args.output) if args.output is not None else dict.fromkeys(paths))
    done = failed = empty = before = after = 0
    for path, target in targets.items():
        one = argparse.Namespace(**vars(args))
        one.file, one.output = path, target
        try:
            size = os.path.getsize(path)
            if _empty(path):  # no store to write: as `recover`, nothing to do (not a failure)
                print(f"{one_line(path)}: empty: nothing to compact (no `store = ...` statement yet)")
                empty += 1
                continue
            if target is not None:
                os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
            compact_one(one)
        except LOG_ERRORS as e:
            report_log(args, path, e)
            failed += 1
            continue
        done += 1
        before += size
        after += os.path.getsize(target or path)
    where = f"into {one_line(args.output)}" if args.output is not None else "in place"
    print(f"{plural(len(paths), 'log')}: {done:,} compacted {where} ({human(after)}, was {human(before)})"
          + (f", {empty:,} empty (not written)" if empty else "")
          + (f", {failed:,} failed" if failed else ""))
    return 1 if failed else 0


def _empty(path: str) -> bool:
    """Whether the file holds no statement: whitespace and NUL padding at most."""
    with closing(file_chunks(path)) as chunks:  # (closed here, see file_chunks)
        return all(not chunk.strip(b" \t\r\n\x00\x0c") for chunk in chunks)


def _folder(output: str) -> bool:
    """Whether ``-o`` names a folder for one log: an existing one, or ``name/``."""
    return os.path.isdir(output) or output.endswith(tuple(s for s in (os.sep, os.altsep) if s))


def _destinations(paths: List[str], folder: str) -> Dict[str, str]:
    """Where each log goes under ``folder``: at its path below the folder the logs share.
    Refused (before anything is written) when that would write over one of the logs."""
    base = os.path.commonpath([os.path.dirname(os.path.abspath(p)) for p in paths])
    out = {p: os.path.join(folder, os.path.relpath(os.path.abspath(p), base)) for p in paths}
    sources = {}
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            continue  # (said when it is compacted)
        sources[st.st_dev, st.st_ino] = path
    for path, target in out.items():
        try:
            st = os.stat(target)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in sources:
            over = sources[st.st_dev, st.st_ino]
            if over == path:
                raise CommandError(
                    f"{folder}: is a directory, and compacting into it would write {path} over itself: "
                    "name another folder (or a file), or pass --in-place to compact in place; nothing was "
                    "changed")
            raise CommandError(
                f"{folder}: is a directory, and compacting into it would write {path} over {over}, "
                "another of the logs: name another folder; nothing was changed")
    return out
