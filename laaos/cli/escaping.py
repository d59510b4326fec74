"""What a ``laaos`` command prints is safe to show on a terminal: control characters and
invisible or reordering ones in a log's text come out as ``\\uXXXX`` escapes, and a console
that cannot encode a character gets an escape, not a ``UnicodeEncodeError``."""

from __future__ import annotations

import contextlib
import re
import sys
from typing import Any, Dict, Iterator

# Control characters (ESC starts a terminal's escape sequences; a hostile log can hold
# them raw in a string, a key or a session record) and the invisible or bidi-reordering
# ones (which make a statement read as another).  Written as \\uXXXX, which JSON and
# Python string literals read as the same character.  (Patterns, compiled by re's cache
# at the first text that is not ASCII: compiling them costs a CLI call a few tenths of a
# millisecond, and ASCII text goes through str.translate, which is faster there.)
_UNPRINTABLE = "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
# (stderr keeps \r: the progress line rewrites itself with it)
_UNPRINTABLE_ERR = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
# The same for ASCII text, as str.translate tables.
_ASCII_UNPRINTABLE = {c: f"\\u{c:04x}" for c in [*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F]}
_ASCII_UNPRINTABLE_ERR = {c: text for c, text in _ASCII_UNPRINTABLE.items() if c != 0x0D}


def _escaped(match: Any) -> str:
    return f"\\u{ord(match.group()):04x}"


def printable(text: str) -> str:
    """``text`` as ``printable_output`` writes it to stdout (for a command that measures
    what it prints, such as a table's column widths)."""
    if text.isascii():
        return text.translate(_ASCII_UNPRINTABLE)
    return re.sub(_UNPRINTABLE, _escaped, text)


def one_line(text: str) -> str:
    """``printable(text)`` with newlines and tabs as ``\\n`` and ``\\t`` too: a log's
    text (a value, a key, a file name) within a line of output, which it cannot split
    or fake another line in."""
    return printable(text).replace("\n", "\\n").replace("\t", "\\t")


class _Printable:
    """A text stream that writes what ``pattern`` matches (in ASCII text: the keys of
    ``ascii_table``) as ``\\uXXXX`` escapes."""

    def __init__(self, stream: Any, pattern: str, ascii_table: Dict[int, str]):
        self._stream = stream
        self._pattern = pattern
        self._ascii = ascii_table

    def write(self, text: str) -> int:
        if text.isascii():
            self._stream.write(text.translate(self._ascii))
        else:
            self._stream.write(re.sub(self._pattern, _escaped, text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def printable_output() -> Iterator[None]:
    """Within this block, ``sys.stdout`` and ``sys.stderr`` escape what a terminal would act
    on or could not encode; afterwards they are the streams they were."""
    # A console that cannot encode a key (a Windows code page, LC_ALL=C) gets \\u escapes,
    # not a UnicodeEncodeError.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            pass
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout = _Printable(stdout, _UNPRINTABLE, _ASCII_UNPRINTABLE)
    sys.stderr = _Printable(stderr, _UNPRINTABLE_ERR, _ASCII_UNPRINTABLE_ERR)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = stdout, stderr
