"""Telling a laaos log from any other file, before anything writes over or repairs it.

A log is a ``.py`` file, and so is the training script beside it: a log opened with
``truncate=True``, a ``recover`` or a ``compact -o`` must never take the script for a
log.  The rule, the same for both backends: a file is a laaos log when it holds nothing
(bytes of whitespace and NUL padding at most), or when its first statement, after a
UTF-8 byte-order mark, blank lines and comments, is ``store = ...`` (``store=`` too) or
is a ``#laaos:`` record.  Every log that laaos and laaos 2.1.1 write begins so.  A first
statement torn by a crash inside its first word (``sto``, ``#laa``) counts as such too.

A log whose first statement was itself damaged fails the rule; the commands that repair
logs take it when told (``force=True``, ``--force``).
"""

from __future__ import annotations

import re
from typing import Iterable, Optional

from .errors import NotALogError

BOM = b"\xef\xbb\xbf"
RECORD = b"#laaos:"
_BLANK = b" \t\r\n\x00\x0c"
# (patterns, compiled by re's cache at the first check rather than by import laaos)
_STORE = rb"store[ \t]*=(?!=)"
_STORE_CUT = rb"s(?:t(?:o(?:r(?:e[ \t]*)?)?)?)?"  # `store =` torn before its `=`
_DECIDE = 64  # bytes of a first statement that settle the rule


def not_a_log(chunks: Iterable[bytes]) -> Optional[str]:
    """None when the bytes (given in chunks, from the file's start) are a laaos log;
    otherwise why not, for an error message (``"its first line is 'import os'"``)."""
    source = iter(chunks)
    data = b""
    ended = False
    start = True  # at the file's first byte (where a byte-order mark may be)

    def more() -> bool:
        nonlocal data, ended
        chunk = next(source, None)
        if chunk is None:
            ended = True
            return False
        data += chunk
        return True

    first_comment: Optional[bytes] = None
    while True:
        if start:
            while len(data) < len(BOM) and BOM.startswith(data) and more():
                pass
            if data.startswith(BOM):
                data = data[len(BOM):]
            start = False
        data = data.lstrip(_BLANK)
        if not data:
            if more():
                continue
            if first_comment is None:
                return None  # empty
            return f"it holds only comments (its first line is {_shown(first_comment)}) and no statement"
        if data.startswith(b"#"):
            while len(data) < len(RECORD) and RECORD.startswith(data) and more():
                pass
            if data.startswith(RECORD) or (ended and RECORD.startswith(data)):
                return None
            end = data.find(b"\n")
            while end < 0 and more():
                end = data.find(b"\n")
            if first_comment is None:
                first_comment = data[: end if end >= 0 else 200]
            if end < 0:  # a comment up to the end of the file
                data = b""
                continue
            data = data[end + 1:]
            continue
        while len(data) < _DECIDE and b"\n" not in data and more():
            pass
        if re.match(_STORE, data):
            return None
        head = data.split(b"\n", 1)[0]
        if ended and b"\n" not in data and re.fullmatch(_STORE_CUT, head.rstrip(_BLANK)):
            return None  # torn inside `store =`
        if first_comment is None:
            return f"its first line is {_shown(head)}"
        return f"after comments, its first statement is {_shown(head)}"


def _shown(line: bytes, width: int = 60) -> str:
    """A line of the file as an error quotes it: decoded, cut short, escaped."""
    text = line.rstrip(b"\r").decode("utf-8", "replace")
    if len(text) > width:
        text = text[: width - 3] + "..."
    return repr(text)


def check_log(path: str, chunks: Iterable[bytes], would: str, how: str) -> None:
    """Raise ``NotALogError`` when the bytes of ``path`` are not a laaos log: it names
    the file, says why it is not taken for one, what ``would`` have happened to it and
    ``how`` to go on."""
    why = not_a_log(chunks)
    if why is not None:
        raise NotALogError(
            f"{path}: not a laaos log ({why}; a laaos log begins with `store = ...` or a "
            f"`#laaos:` record): {would}, so nothing was changed. {how}",
            path,
            why,
        )
