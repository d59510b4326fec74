"""Runs over time: session records, marks and rewinds, kept in the log as comments.

A record is one line ``#laaos:<kind> <json>``, written between statements.  To the
laaos loader and to the original laaos 2.1.1 (which executes the log) it is a comment,
so a log with records loads everywhere as before; laaos finds them by a scan of the
file's bytes for lines that start with ``#laaos:``, without the parser.

- ``session``: where a writer session of ``open_file_store`` ran (``laaos.provenance``).
- ``mark``: ``root.mark(label)``, e.g. when a checkpoint is saved.
- ``rewind``: ``open_file_store(..., rewind_to=label)`` reopened the log at the state
  it had at the last mark ``label``.  The record follows a ``store = ...`` statement of
  that state, so every loader, old and new, arrives at it; what came after the mark
  stays in the file as history.

``compact`` keeps the session records (``session_records``) and folds marks and rewinds
away with the rest of the history.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, Iterator, List, Optional

from . import _backend
from ._fields import FACTORY, DataclassFields, fields_eq, fields_repr
from .errors import LogError
from .loader import CHUNK, new_parser

PREFIX = b"#laaos:"
_LABEL = rb'"label": ("(?:[^"\\]|\\.)*")'  # in a torn mark's text (a pattern: compiled when used)
KINDS = ("session", "mark", "rewind")


class MarkError(LogError):
    """``rewind_to=`` names a mark the log does not have, or one that cannot be used."""


class Record:
    """One record of a log: ``kind`` (``"session"``, ``"mark"`` or ``"rewind"``), its
    1-based ``line``, and what it says (``info``; ``record["host"]`` reads it too)."""

    kind: str
    line: int
    info: Dict[str, Any]  # (default: {})
    offset: int = 0  # byte offset of the line in the file
    end: int = 0  # byte offset just after the line's newline (0: no newline, torn)

    # What @dataclass(frozen=True) would make, written out (see laaos._fields).
    __match_args__ = ("kind", "line", "info", "offset", "end")
    __dataclass_fields__ = DataclassFields(frozen=True, factories={"info": dict})

    def __init__(self, kind: str, line: int, info: Dict[str, Any] = FACTORY, offset: int = 0,
                 end: int = 0) -> None:
        # (as a frozen dataclass's: its own __setattr__ refuses)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "line", line)
        object.__setattr__(self, "info", {} if info is FACTORY else info)
        object.__setattr__(self, "offset", offset)
        object.__setattr__(self, "end", end)

    def __repr__(self) -> str:
        return fields_repr(self)

    def __eq__(self, other: object) -> bool:
        return fields_eq(self, other)

    def __hash__(self) -> int:
        return hash((self.kind, self.line, self.info, self.offset, self.end))

    def __setattr__(self, name: str, value: Any) -> None:
        from dataclasses import FrozenInstanceError

        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        from dataclasses import FrozenInstanceError

        raise FrozenInstanceError(f"cannot delete field {name!r}")

    @property
    def label(self) -> Optional[str]:
        """A mark's label, or for a rewind the label it rewound to."""
        return self.info.get("label")

    def __getitem__(self, key: str) -> Any:
        return self.info[key]

    def __str__(self) -> str:
        if self.kind == "session":
            i = self.info
            git = i.get("git") or {}
            where = f"{i.get('user')}@{i.get('host')} pid {i.get('pid')}"
            commit = ""
            if git.get("commit"):
                dirty = {True: " (dirty)", False: "", None: " (dirty: unknown)"}[git.get("dirty")]
                commit = f" git {git['commit'][:12]}{dirty}"
            jobs = "".join(f" {k}={v}" for k, v in (i.get("jobs") or {}).items())
            argv = " ".join(i.get("argv") or [])
            return f"line {self.line}: session {i.get('time')} {where}{commit}{jobs}: {argv}"
        if self.kind == "rewind":
            return f"line {self.line}: rewind to {self.label!r} (the mark at line {self.info.get('mark_line')}) {self.info.get('time')}"
        return f"line {self.line}: mark {self.label!r} {self.info.get('time')}"


def record_line(kind: str, info: Dict[str, Any]) -> bytes:
    """The log line of a record: ASCII JSON on one line, so it can never end early."""
    import json  # (here and in _record: import laaos needs no json)

    return PREFIX + kind.encode() + b" " + json.dumps(info, ensure_ascii=True, default=str).encode() + b"\n"


def scan(chunks: Iterable[bytes]) -> List[Record]:
    """The records in a log's bytes (given in chunks), in file order.  A last line
    without its newline (a torn tail) gives a record with ``end == 0`` if it is one."""
    records: List[Record] = []
    offset, line, carry = 0, 1, b""
    skipped = 0  # bytes of a long line that is no record, left out of ``carry``
    for chunk in chunks:
        data = carry + chunk if carry else chunk
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            if len(data) > len(PREFIX) and not data.startswith(PREFIX):
                # A statement longer than a chunk: keep one byte of it, not all of it.
                skipped += len(data) - 1
                data = b"x"
            carry = data
            continue
        _scan_block(data, cut, offset + skipped, line, records)
        line += data.count(b"\n", 0, cut)
        offset += cut + skipped
        skipped = 0
        carry = data[cut:]
    if carry.startswith(PREFIX):
        record = _record(carry, line, offset, 0)
        if record is not None:
            records.append(record)
    return records


def _scan_block(data: bytes, cut: int, offset: int, line: int, out: List[Record]) -> None:
    """Add the records among the whole lines ``data[:cut]`` (which start at a line)."""
    pos = 0 if data.startswith(PREFIX) else _next_record(data, 0, cut)
    counted = 0
    while pos >= 0:
        end = data.index(b"\n", pos) + 1
        line += data.count(b"\n", counted, pos)
        counted = pos
        record = _record(data[pos : end - 1], line, offset + pos, offset + end)
        if record is not None:
            out.append(record)
        pos = _next_record(data, end - 1, cut)


def _next_record(data: bytes, start: int, cut: int) -> int:
    found = data.find(b"\n" + PREFIX, start, cut)
    return found + 1 if found >= 0 else -1


def _record(text: bytes, line: int, offset: int, end: int) -> Optional[Record]:
    kind, _, body = text[len(PREFIX) :].partition(b" ")
    kind_s = kind.decode("ascii", "replace")
    if kind_s not in KINDS:
        return None
    import json

    try:
        info = json.loads(body)
    except ValueError:
        info = None
    if not isinstance(info, dict):  # a damaged or torn record: keep its place and label
        info = {"unreadable": body.decode("utf-8", "replace")}
        label = re.search(_LABEL, body)
        if label:
            info["label"] = json.loads(label.group(1))
    return Record(kind_s, line, info, offset, end)


def file_chunks(path: str, limit: Optional[int] = None) -> Iterator[bytes]:
    """The bytes of the file at ``path`` in chunks, up to ``limit`` bytes."""
    left = limit
    with open(path, "rb") as f:
        while left is None or left > 0:
            chunk = f.read(CHUNK if left is None else min(CHUNK, left))
            if not chunk:
                return
            if left is not None:
                left -= len(chunk)
            yield chunk


def records_of(result: Any) -> List[Record]:
    """The whole records of a loaded log (a ``LoadResult``), scanned once and kept."""
    records = result.__dict__.get("_records")
    if records is None:
        records = [r for r in scan(file_chunks(result.path, result.valid_bytes)) if r.end]
        result.__dict__["_records"] = records
    return records


# ``laaos show`` and an unknown label name this many of the latest records: a run that
# marks every step has thousands.
SHOWN = 20


def describe_records(result: Any) -> List[str]:
    """Lines for ``laaos show``: the sessions, then the marks and rewinds, of a log (the
    latest ``SHOWN`` of each)."""
    lines: List[str] = []
    for title, records in (("sessions", result.sessions), ("marks", result.marks)):
        if records:
            lines.append(f"{title}:")
            if len(records) > SHOWN:
                lines.append(f"  ... {len(records) - SHOWN} earlier {title} "
                             f"(laaos.load(path).{title} lists them all)")
            lines.extend(f"  {record}" for record in records[-SHOWN:])
    return lines


def session_records(path: str) -> List[bytes]:
    """The session record lines of the log at ``path``, for a rewrite (``compact``) to
    keep; marks and rewinds are history that a rewrite folds away."""
    return [record_line(r.kind, r.info) for r in scan(file_chunks(path)) if r.kind == "session" and r.end]


# ---- writing -----------------------------------------------------------------------------


def mark(store: Any, label: str) -> None:
    """Append a mark to ``store``'s log and hand it to the OS (``StoreRoot.mark``)."""
    from .provenance import utc_now  # (imported when first needed: it imports socket & co.)

    if not isinstance(label, str) or not label:
        raise TypeError(f"a mark's label is a non-empty str, not {label!r}")
    info = {"label": label, "time": utc_now()}
    with store._lock:
        store._emit_text(record_line("mark", info)[:-1].decode("ascii"))
        # A mark says "a checkpoint holds this state": it must not wait in a buffer.
        store._writer.flush()


class Rewind:
    """The mark a reopened log rewinds to, and the state the log had there."""

    def __init__(self, mark: Record, state: dict) -> None:
        self.mark = mark
        self.state = state


def find_rewind(log: Any, filename: str, label: str, exposed_symbols: Any, extra_mappings: Any) -> Rewind:
    """The last mark ``label`` of the open log and the log's state at it.

    Runs before the log is repaired or changed, so that a refused rewind leaves it as it
    was.  Raises ``MarkError`` for an unknown label (naming those that exist) and for a
    mark in a torn tail (a mark line without its newline, or inside an unfinished
    statement).
    """
    marks = [r for r in scan(log.read_all()) if r.kind == "mark"]
    chosen = [r for r in marks if r.label == label]
    if not chosen:
        labels = list(dict.fromkeys(r.label for r in marks if r.end and isinstance(r.label, str)))
        if not labels:
            have = ("the log's marks: none; `compact` folds marks away with the rest of the "
                    "history, so mark again after compacting")
        elif len(labels) > SHOWN:  # the latest, in the log's order
            have = (f"the log's {len(labels)} marks end with "
                    + ", ".join(repr(x) for x in labels[-SHOWN:]) + "; laaos.load(path).marks lists them all")
        else:
            have = "the log's marks: " + ", ".join(repr(x) for x in labels)
        raise MarkError(f"no mark {label!r} to rewind to ({have})", filename)
    target = chosen[-1]
    if not target.end:
        raise MarkError(
            f"the mark {label!r} is in the torn tail of the log (its line is incomplete)",
            filename,
            target.line,
        )
    parser = new_parser(filename, exposed_symbols, extra_mappings)
    left = target.end
    for chunk in log.read_all():
        parser.feed(chunk[:left])
        left -= len(chunk)
        if left <= 0:
            break
    state = parser.finish()
    if parser.open_statement or parser.valid_bytes != target.end:
        raise MarkError(
            f"the mark {label!r} is in a torn tail: it follows an incomplete statement",
            filename,
            target.line,
        )
    return Rewind(target, state if state is not None else {})


def begin_session(
    log: Any,
    existing: Any,
    rewind: Optional[Rewind],
    *,
    provenance: bool,
    durability: str,
    type_handlers: Any = None,
) -> Any:
    """Write the session record and the rewind (if any) to the open log, before the
    store is made on it; return the state the store starts from."""
    data = b""
    if provenance:
        from .provenance import session_info  # (imported when first needed, as in mark)

        data += record_line("session", session_info(resumed=existing is not None))
    if rewind is not None:
        from .files import compacted  # (files imports this module)
        from .provenance import utc_now

        info = {"label": rewind.mark.label, "mark_line": rewind.mark.line, "time": utc_now()}
        # The state as `store = ...` (the writer compact uses), which the original laaos
        # also executes to the same state, then the record: a crash that tears the
        # statement leaves no record claiming a rewind that did not happen.
        data += compacted(rewind.state, type_handlers) + record_line("rewind", info)
        existing = rewind.state
    if data:
        _append(log.fileno(), data, durability == "fsync", log.path)
    return existing


def _append(fd: int, data: bytes, sync: bool, path: str) -> None:
    """Append ``data`` whole or not at all, through the backend's writer (which cuts a
    write that fails part-way back off and names the log in the error), so a session
    that could not start leaves the log as it was."""
    writer = _backend.impl.Writer(fd, "fsync" if sync else "flush")
    writer.name = path
    writer.commit(data.decode("utf-8"), ())
