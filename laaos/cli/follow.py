"""``laaos follow``: print each new statement of a log as it is written, and say so when
the log is rewritten under the follower (compacted, recovered, truncated, a torn tail cut
off)."""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time

from ..errors import LogError
from ..follow import Tail
from ..loader import new_parser
from .failures import CommandError


def cmd_follow(args: argparse.Namespace) -> int:
    """Print the new statements of ``args.file`` as they arrive, until Ctrl-C or
    ``--idle-timeout``; each checked as the loader would before it is printed."""
    if os.path.isdir(args.file):
        raise CommandError(f"{args.file}: is a directory, not a log file")
    if not os.path.exists(args.file):
        if args.wait is None:
            raise CommandError(f"{args.file}: no such log file (--wait SECONDS waits for it to appear)")
        print(f"waiting for {args.file} to appear (up to {args.wait:g} s)...", file=sys.stderr, flush=True)
        deadline = time.monotonic() + args.wait
        while not os.path.exists(args.file):
            if time.monotonic() >= deadline:
                raise CommandError(f"{args.file}: did not appear within {args.wait:g} seconds")
            time.sleep(min(args.interval, 0.1))
    tail = Tail(args.file, interval=args.interval, idle_timeout=args.idle_timeout)
    parser = None
    pending = b""
    lineno = 0
    skip = 0
    failed = None
    # The complete lines passed so far (printed or skipped), as a hash of the file's first
    # `seen_bytes` bytes: after a rewrite that kept them (a torn tail cut off and new
    # statements appended between two looks) the follower goes on after them, so that
    # it neither prints them again nor misses what was appended.
    seen, seen_bytes, at = hashlib.blake2b(digest_size=16), 0, 0
    try:
        for chunk in tail:
            if chunk is None:  # (re)started: the file is new or was rewritten
                parser, pending, lineno, at = new_parser(args.file, None, args.symbols), b"", 0, 0
                kept = bool(tail.restarts and seen_bytes) and _starts_with(args.file, seen_bytes, seen.digest())
                if kept:
                    skip = seen_bytes
                else:
                    seen, seen_bytes = hashlib.blake2b(digest_size=16), 0
                    skip = 0 if args.from_start else os.path.getsize(args.file)
                if tail.restarts:
                    print(f"--- {args.file} was rewritten (compacted, truncated, or a torn statement "
                          "cut off): reading it again" + (", after the lines shown" if kept else
                                                          "" if args.from_start else ", from its end"),
                          flush=True)
                elif skip:
                    print(f"following {args.file} (from its end; --from-start prints it all)", flush=True)
                continue
            try:
                parser.feed(chunk)  # checks each statement as the loader would
            except LogError as e:
                if failed == (e.line, e.message):  # the same error after reading afresh
                    raise
                failed = (e.line, e.message)
                tail.restart()  # a rewrite between two looks, or damage: read it again to tell
                continue
            data = pending + chunk
            end = data.rfind(b"\n") + 1
            pending = data[end:]
            for line in data[:end].split(b"\n")[:-1]:
                lineno += 1
                if at >= seen_bytes:
                    seen.update(line + b"\n")
                    seen_bytes += len(line) + 1
                at += len(line) + 1
                if skip > 0:
                    skip -= len(line) + 1
                    continue
                print(f"{lineno:>7}  {line.decode('utf-8', 'replace').rstrip()}", flush=True)
    except KeyboardInterrupt:  # Ctrl-C is how a follow ends
        pass
    return 0


def _starts_with(path: str, size: int, digest: bytes) -> bool:
    """Whether the first ``size`` bytes of the file at ``path`` hash to ``digest``."""
    h = hashlib.blake2b(digest_size=16)
    try:
        with open(path, "rb") as f:
            left = size
            while left > 0:
                block = f.read(min(left, 1 << 20))
                if not block:
                    return False
                h.update(block)
                left -= len(block)
    except OSError:
        return False
    return h.digest() == digest
