"""The record format: ``#laaos:<kind> <json>`` comment lines between a log's statements.

A record is one line ``#laaos:<kind> <json>``, written between statements.  To the
laaos loader and to the original laaos 2.1.1 (which executes the log) it is a comment,
so a log with records loads everywhere as before; laaos finds them by a scan of the
file's bytes for lines that start with ``#laaos:``, without the parser.  The kinds are
``session``, ``mark`` and ``rewind`` (``laaos.runs`` says what each means).

The bottom of the layers: the loader (which lists a log's records), the writer's side
(marks, sessions, rewinds, compaction) and the lock's error messages all read and write
records through this module, which imports nothing of laaos but ``_fields``.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Optional

from ._fields import FACTORY, DataclassFields, fields_eq, fields_repr

PREFIX = b"#laaos:"
_LABEL = rb'"label": ("(?:[^"\\]|\\.)*")'  # in a torn mark's text (a pattern: compiled when used)
KINDS = ("session", "mark", "rewind")

# ``laaos show`` and an unknown label name this many of the latest records: a run that
# marks every step has thousands.
SHOWN = 20


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
