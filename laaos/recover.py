"""Repair a damaged log: keep every statement that loads, set the bad bytes aside.

A log can be damaged in the middle when an older writer (the original laaos, or a copy
tool) appended after a torn statement without cutting it off, or when a disk flipped
bytes.  The loader refuses such a log, naming the line; ``recover`` is the way out.
A well-formed statement that names a symbol nobody passed (a ``datetime`` logged through
``DefaultTypeHandlers``) is not damage: ``recover`` keeps it (see ``laaos.diagnosis``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from .diagnosis import LEGACY_ENCODING, Diagnosis, Placeholder, diagnose, not_utf8_message
from .errors import LaaosError
from ._fileops import REWRITE_ADVICE, FileLog, replace_synced, require_file, sidecar_name, write_synced
from ._logfile import check_log
from .files import compacted, session_records
from .loader import PathLike, Recoded, has_records, is_utf8, new_parser, written_in_utf8


@dataclass
class Recovery:
    """What ``recover`` did to a log (or, with ``dry_run=True``, would do)."""

    path: str
    statements: int  # statements kept
    rejected_lines: List[Tuple[int, str]] = field(default_factory=list)  # (line, why)
    dropped_bytes: int = 0  # the torn tail
    rejected_path: Optional[str] = None  # where the bad bytes went (None: nothing was bad, or a dry run)
    compacted: bool = False  # True when the kept statements had to be rewritten as one
    missing_symbols: Dict[str, int] = field(default_factory=dict)  # kept; name -> first line
    dry_run: bool = False
    empty: bool = False  # the file holds no statement at all

    @property
    def changed(self) -> bool:
        """Whether the log was changed (never, in a dry run)."""
        return self.rejected_path is not None

    @property
    def needed(self) -> bool:
        """Whether there is anything to set aside (damage or a torn tail)."""
        return bool(self.rejected_lines or self.dropped_bytes)


def recover(
    path: PathLike,
    exposed_symbols: Optional[Iterable[Any]] = None,
    extra_mappings: Optional[Mapping[str, Any]] = None,
    *,
    dry_run: bool = False,
    force: bool = False,
    encoding: Optional[str] = None,
) -> Recovery:
    """Repair the log at ``path`` in place; return what was kept and what was set aside.

    Every statement that loads is kept, in its order and its exact text; the bad
    statements and a torn tail are moved, byte for byte, to ``<path>.rejected_<time>``.
    A well-formed statement naming a symbol that was not passed is kept (and listed in
    ``Recovery.missing_symbols``).  Should the kept lines not load on their own (a bad
    statement spread over several lines), the log is rewritten as one statement of the
    recovered store instead.  The new log is written to a temporary file, synced and
    renamed over the old one (through a symlink: the file it points to), with the old
    one's mode and, where allowed, owner.  A log that a writer holds open is refused
    (``StoreLockedError``), and it stays locked until the new log is in place.
    ``dry_run=True`` changes nothing and says what would be done.

    A file that is not a laaos log (a script) is refused (``NotALogError``) and left as
    it was; ``force=True`` takes it for a log whose first statement is damaged.

    A log that is not UTF-8 (laaos 2.1.1 on Windows wrote cp1252) is not damaged: its
    statements are never moved out.  It is refused (``LaaosError``, saying which
    encoding to read it in), and so is one read in another ``encoding=`` that needs a
    repair (recover rewrites UTF-8 logs only); a healthy one needs nothing.
    """
    path = os.fspath(path)
    require_file(path)
    # a live writer would append to the file we replace
    guard = None if dry_run else FileLog(path, read_only=True, advice=REWRITE_ADVICE)
    try:
        with open(path, "rb") as f:
            data = f.read()
        if not force:
            check_log(path, [data], "recovering would rewrite it",
                      f"If it is a laaos log whose first statement is damaged, `laaos recover --force {path}` "
                      "(force=True) keeps the statements that load.")
        diagnosis = diagnose(path, exposed_symbols, extra_mappings, data=data, encoding=encoding)
        _refuse_other_encodings(path, data, diagnosis)
        result = diagnosis.result
        recovery = Recovery(
            path, result.statements, list(diagnosis.damaged), result.dropped_bytes,
            missing_symbols=dict(diagnosis.missing), dry_run=dry_run, empty=diagnosis.empty,
        )
        if not recovery.needed or recovery.empty:
            return recovery
        if not is_utf8(encoding) and not written_in_utf8(data):
            raise LaaosError(
                f"{path}: recover rewrites UTF-8 logs only: turn this {encoding} log into UTF-8 first "
                f"(iconv -f {encoding} -t utf-8), then recover it; nothing was changed"
            )
        if not result.statements and diagnosis.damaged:
            # Keeping nothing would leave an empty log: not a repair of a laaos log.
            line, why = diagnosis.damaged[0]
            raise LaaosError(
                f"{path}: not one statement of it loads ({len(diagnosis.damaged)} bad, the first "
                f"at line {line}: {why}): not a laaos log, or its first `store = ...` statement is "
                "damaged (fix that line by hand); nothing was changed"
            )
        bad = {line for line, _ in diagnosis.damaged}
        kept, rejected = [], []
        for number, line in enumerate(data[: result.valid_bytes].split(b"\n")[:-1], 1):
            (rejected if number in bad else kept).append(line + b"\n")
        rejected.append(data[result.valid_bytes :])
        text = b"".join(kept)
        symbols = {**dict(extra_mappings or {}), **{n: Placeholder(n) for n in diagnosis.missing}}
        if not _loads_to(text, result.store, path, exposed_symbols, symbols):
            if diagnosis.missing:
                raise LaaosError(
                    f"{path}: the good statements must be rewritten as one, which needs the "
                    f"symbols the log names: pass {', '.join(sorted(diagnosis.missing))} "
                    "(exposed_symbols= / extra_mappings=, or --symbol on the command line); "
                    "nothing was changed"
                )
            # provenance outlives the rewrite, as in compact; marks are folded away
            text = b"".join(session_records(path)) + compacted(result.store)
            recovery.compacted = True
        if dry_run:
            return recovery
        recovery.rejected_path = sidecar_name(path, "rejected")
        write_synced(recovery.rejected_path, b"".join(rejected))
        replace_synced(path, text)
        return recovery
    finally:
        if guard is not None:
            guard.close()


def _refuse_other_encodings(path: str, data: bytes, diagnosis: Diagnosis) -> None:
    """Refuse a log with lines in the Windows code page: not UTF-8, but no damage."""
    hint = diagnosis.encoding_hint
    if hint is None and not has_records(data):  # (a log this laaos wrote is UTF-8: its bad bytes are damage)
        lines = data.split(b"\n")
        for line, why in diagnosis.damaged:
            if why.startswith("invalid UTF-8") and Recoded(lines[line - 1], LEGACY_ENCODING).undefined is None:
                hint = (line, LEGACY_ENCODING)
                break
    if hint is not None:
        raise LaaosError(
            f"{not_utf8_message(path, hint)}: recover moves no statement out of a log for its "
            f"encoding; read it with --encoding {hint[1]} (encoding={hint[1]!r}); nothing was changed"
        )


def _loads_to(text: bytes, store: Any, name: str, exposed_symbols: Any, extra_mappings: Any) -> bool:
    parser = new_parser(name, exposed_symbols, extra_mappings)
    try:
        parser.feed(text)
        loaded = parser.finish()
    except Exception:
        return False
    # repr, not ==: NaN is not equal to itself
    return parser.valid_bytes == len(text) and repr(loaded) == repr(store)
