"""Repair a damaged log: keep every statement that loads, set the bad bytes aside.

A log can be damaged in the middle when an older writer (the original laaos, or a copy
tool) appended after a torn statement without cutting it off, or when a disk flipped
bytes.  The loader refuses such a log, naming the line; ``recover`` is the way out.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Iterable, List, Mapping, Optional, Tuple

from .files import FileLog, _replace_synced, _sidecar_name, _write_synced, compacted
from .loader import PathLike, load, new_parser


@dataclass
class Recovery:
    """What ``recover`` did to a log."""

    path: str
    statements: int  # statements kept
    rejected_lines: List[Tuple[int, str]] = field(default_factory=list)  # (line, why)
    dropped_bytes: int = 0  # the torn tail
    rejected_path: Optional[str] = None  # where the bad bytes went (None: nothing was bad)
    compacted: bool = False  # True when the kept statements had to be rewritten as one

    @property
    def changed(self) -> bool:
        return self.rejected_path is not None


def recover(
    path: PathLike,
    exposed_symbols: Optional[Iterable[Any]] = None,
    extra_mappings: Optional[Mapping[str, Any]] = None,
) -> Recovery:
    """Repair the log at ``path`` in place; return what was kept and what was set aside.

    Every statement that loads is kept, in its order and its exact text; the bad
    statements and a torn tail are moved, byte for byte, to ``<path>.rejected_<time>``.
    Should the kept lines not load on their own (a bad statement spread over several
    lines), the log is rewritten as one statement of the recovered store instead.  The
    new log is written to a temporary file, synced and renamed over the old one.  A log
    that a writer holds open is refused (``StoreLockedError``).
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no log at {path}")
    guard = FileLog(path)  # a live writer would append to the file we replace
    try:
        with open(path, "rb") as f:
            data = f.read()
        result = load(path, exposed_symbols, extra_mappings, skip_errors=True, warn=False, allow_empty=True)
        recovery = Recovery(path, result.statements, list(result.skipped), result.dropped_bytes)
        if not result.skipped and not result.dropped_bytes:
            return recovery
        bad = {line for line, _ in result.skipped}
        kept, rejected = [], []
        for number, line in enumerate(data[: result.valid_bytes].split(b"\n")[:-1], 1):
            (rejected if number in bad else kept).append(line + b"\n")
        rejected.append(data[result.valid_bytes :])
        text = b"".join(kept)
        if not _loads_to(text, result.store, path, exposed_symbols, extra_mappings):
            text = compacted(result.store)
            recovery.compacted = True
        recovery.rejected_path = _sidecar_name(path, "rejected")
        _write_synced(recovery.rejected_path, b"".join(rejected))
        _replace_synced(path, text)
        return recovery
    finally:
        guard.close()


def _loads_to(text: bytes, store: Any, name: str, exposed_symbols: Any, extra_mappings: Any) -> bool:
    parser = new_parser(name, exposed_symbols, extra_mappings)
    try:
        parser.feed(text)
        loaded = parser.finish()
    except Exception:
        return False
    # repr, not ==: NaN is not equal to itself
    return parser.valid_bytes == len(text) and repr(loaded) == repr(store)
