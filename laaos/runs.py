"""Runs over time: session records, marks and rewinds, kept in the log as comments.

A record is one line ``#laaos:<kind> <json>``, written between statements; to every
loader, old and new, it is a comment (the format: ``laaos._records``).

- ``session``: where a writer session of ``open_file_store`` ran (``laaos.provenance``).
- ``mark``: ``root.mark(label)`` (``Store.mark``), e.g. when a checkpoint is saved.
- ``rewind``: ``open_file_store(..., rewind_to=label)`` reopened the log at the state
  it had at the last mark ``label``.  The record follows a ``store = ...`` statement of
  that state, so every loader, old and new, arrives at it; what came after the mark
  stays in the file as history (``laaos.files``: ``find_rewind``, ``begin_session``).

``compact`` keeps the session records (``session_records``) and folds marks and rewinds
away with the rest of the history.

This module lists a log's records for ``laaos show`` and gathers the names of runs in
one place; each lives in the layer that uses it.
"""

from __future__ import annotations

from typing import Any, List

from ._fileops import file_chunks
from ._records import KINDS, PREFIX, SHOWN, Record, record_line, scan
from .errors import MarkError
from .files import Rewind, begin_session, find_rewind, session_records
from .loader import records_of

__all__ = ["KINDS", "PREFIX", "SHOWN", "MarkError", "Record", "Rewind", "begin_session", "describe_records",
           "file_chunks", "find_rewind", "record_line", "records_of", "scan", "session_records"]


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
