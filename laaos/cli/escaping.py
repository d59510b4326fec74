"""What a ``laaos`` command prints is safe to show on a terminal: control characters and
invisible or reordering ones in a log's text come out as ``\\uXXXX`` escapes, and a console
that cannot encode a character gets an escape, not a ``UnicodeEncodeError``."""

from __future__ import annotations

import contextlib
import re
import sys
from typing import Any, Iterator

# Control characters (ESC starts a terminal's escape sequences; a hostile log can hold
# them raw in a string, a key or a session record) and the invisible or bidi-reordering
# ones (which make a statement read as another).  Written as \\uXXXX, which JSON and
# Python string literals read as the same character.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
# (stderr keeps \r: the progress line rewrites itself with it)
_UNPRINTABLE_ERR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def printable(text: str) -> str:
    """``text`` as ``printable_output`` writes it to stdout (for a command that measures
    what it prints, such as a table's column widths)."""
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class _Printable:
    """A text stream that writes what ``pattern`` matches as ``\\uXXXX`` escapes."""

    def __init__(self, stream: Any, pattern: Any):
        self._stream = stream
        self._pattern = pattern

    def write(self, text: str) -> int:
        self._stream.write(self._pattern.sub(lambda m: f"\\u{ord(m.group()):04x}", text))
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
    sys.stdout, sys.stderr = _Printable(stdout, _UNPRINTABLE), _Printable(stderr, _UNPRINTABLE_ERR)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = stdout, stderr
