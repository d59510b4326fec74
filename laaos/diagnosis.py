"""Telling damage from what is not damage: ``diagnose`` a log for ``check`` and ``recover``.

A log the loader refuses is in one of three states, and each needs a different answer:

* a **torn tail** (a crash mid-write): the loader drops it; reopening cuts it off;
* **damage**: a statement that is not well formed (an old writer appended after a torn
  statement, a disk flipped bytes): ``recover`` moves it aside;
* a **well-formed statement naming a symbol nobody passed** (``datetime.datetime(...)``
  from ``DefaultTypeHandlers``, ``Color.RED`` from ``WeakEnumHandler``): the log is
  healthy, and loading it with those names succeeds.  Nothing must be moved.

The loader raises ``UnknownSymbolError`` (with the missing ``name``) for the third only
when the statement is otherwise well formed; ``diagnose`` stands a ``Placeholder`` in for
each missing name and parses again, so that the statements after it are checked too.

A log in another encoding is no damage either: laaos 2.1.1 on Windows wrote the ANSI code
page (cp1252).  When every line that is not UTF-8 loads as cp1252, ``diagnose`` gives the
diagnosis of the log read as cp1252 with ``encoding_hint`` set (``not_utf8_message`` says
what to do), and ``recover`` refuses to move anything out of it.

A name that can run code or change files (``os``, ``subprocess``, ``open``, ``eval``, or
``pathlib.os.system`` reached through an attribute) is never a missing symbol: no laaos
writer puts one in a log, and passing it (``--symbol os``) would let the log run it.  A
statement naming one is damage, which ``recover`` moves aside; ``unsafe_symbol`` tells
the command line never to suggest or accept such a name.
"""

from __future__ import annotations

import bisect
import os
import re
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from ._symbols import unsafe_symbol, unsafe_why
from .errors import LogError, UnknownSymbolError
from .loader import (
    LEGACY_ENCODING, LoadResult, PathLike, Recoded, finish, has_records, is_utf8, load, new_parser, open_log,
    written_in_utf8,
)

# Each damaged line costs one more parse to classify; past this many the log is badly
# broken (flipped bits all over), and the rest of the refused lines count as damage.
MAX_CLASSIFIED = 200


class Placeholder:
    """Stands in for a symbol that was not passed: any attribute and any call of it give
    another placeholder.  It never runs anything: it only lets the parse go on.  An
    attribute that ``unsafe_symbol`` refuses is not there (the refused text is noted in
    ``refused``, for ``diagnose`` to say why the statement is damage)."""

    __slots__ = ("_laaos_text", "_laaos_refused")

    def __init__(self, text: str, refused: Optional[List[str]] = None):
        self._laaos_text = text
        self._laaos_refused = refused

    def __getattr__(self, name: str) -> Placeholder:
        if name.startswith("_"):
            raise AttributeError(name)
        text = f"{self._laaos_text}.{name}"
        if unsafe_symbol(text):
            if self._laaos_refused is not None:
                self._laaos_refused.append(text)
            raise AttributeError(name)
        return Placeholder(text, self._laaos_refused)

    def __call__(self, *args: Any, **kwargs: Any) -> Placeholder:
        return Placeholder(f"{self._laaos_text}(...)", self._laaos_refused)

    def __repr__(self) -> str:
        return f"<{self._laaos_text}: symbol not passed>"


@dataclass
class Diagnosis:
    """What a log holds, with torn tail, damage and missing symbols kept apart.

    ``result`` is the load with a ``Placeholder`` for each missing symbol and without the
    damaged lines (its ``store`` holds placeholders where those symbols were used).
    """

    result: LoadResult
    damaged: List[Tuple[int, str]] = field(default_factory=list)  # (line, why): not well formed
    missing: Dict[str, int] = field(default_factory=dict)  # symbol -> first line that names it
    unsafe: Dict[int, str] = field(default_factory=dict)  # line -> the unsafe name it reaches (damage)
    # (first line that is not UTF-8, the encoding the log loads in): the diagnosis is of
    # the log read in that encoding (a log laaos 2.1.1 wrote on Windows); None otherwise
    encoding_hint: Optional[Tuple[int, str]] = None

    @property
    def empty(self) -> bool:
        """No statement at all: a new file, blank lines, NUL padding (not a torn statement)."""
        result = self.result
        return result.store is None and not result.statements and not self.damaged and not result.torn

    @property
    def healthy(self) -> bool:
        """No damage (a torn tail and missing symbols are not damage)."""
        return not self.damaged


def diagnose(
    path: PathLike,
    exposed_symbols: Optional[Iterable[Any]] = None,
    extra_mappings: Optional[Mapping[str, Any]] = None,
    *,
    data: Optional[bytes] = None,
    encoding: Optional[str] = None,
    **limits: Any,
) -> Diagnosis:
    """Load the log at ``path`` (or its bytes ``data``; in ``encoding``, default UTF-8),
    keeping torn tail, damage, missing symbols and a log in the Windows code page apart
    (see the module's docstring).  Never raises a ``LogError`` for what is in the log;
    ``OSError`` if it cannot be read."""
    name = os.fspath(path)
    extra: Dict[str, Any] = dict(extra_mappings or {})
    exposed = list(exposed_symbols or ())
    recoded = None
    if not is_utf8(encoding):
        if data is None:
            with open_log(name) as f:
                data = f.read()
        if not written_in_utf8(data):
            recoded = Recoded(data, encoding)  # type: ignore[arg-type]
            data = recoded.text
    if data is None:
        # A healthy log (the common case) costs one streaming parse.
        try:
            result = load(name, exposed, extra, skip_errors=True, warn=False, allow_empty=True, **limits)
        except LogError:
            pass  # (a line over a limit, which skipping does not pass): classify line by line
        else:
            if not result.skipped:
                return Diagnosis(result)
        with open_log(name) as f:
            data = f.read()
    lines = _LineIndex(data)
    missing: Dict[str, int] = {}
    damaged: Dict[int, str] = {}
    unsafe: Dict[int, str] = {}
    refused: List[str] = []  # unsafe attributes the placeholders were asked for
    parser = None
    while len(damaged) < MAX_CLASSIFIED:
        symbols = {**extra, **{n: Placeholder(n, refused) for n in missing}}
        parser = new_parser(name, exposed, symbols, False, **limits)
        refused.clear()
        try:
            for chunk in lines.without(damaged):
                parser.feed(chunk)
            break  # every line classified: this parse is the result
        except UnknownSymbolError as e:
            if e.name in missing or e.line is None:  # cannot happen; never loop forever
                damaged[e.line or 0] = e.message
            elif unsafe_symbol(e.name):  # never a symbol to pass: the statement is damage
                unsafe[e.line] = e.name
                damaged[e.line] = unsafe_why(e.name)
            else:
                missing[e.name] = e.line
        except LogError as e:
            if e.line is None or e.line in damaged or e.line > lines.count:
                parser = None  # not about one line (a limit on the tail): skip mode says
                break
            if refused:
                unsafe[e.line] = refused[-1]
                # a name first seen in this statement is not missing on its account (the
                # next parse finds it again if a well-formed statement names it later)
                for symbol in [n for n, line in missing.items() if line == e.line]:
                    del missing[symbol]
            damaged[e.line] = unsafe_why(refused[-1]) if refused else e.message
        parser = None
    if parser is None:  # past MAX_CLASSIFIED: the rest of the refused lines count as damage
        symbols = {**extra, **{n: Placeholder(n) for n in missing}}
        parser = new_parser(name, exposed, symbols, True, **limits)
        for chunk in lines.without(damaged):
            parser.feed(chunk)
    size = len(data) if recoded is None else recoded.size
    result = finish(parser, name, size, warn=False, allow_empty=True, recoded=recoded)
    for line, why in result.skipped:
        damaged.setdefault(line, why)
    if recoded is not None:
        damaged = {line: recoded.explain(why) for line, why in damaged.items()}
    result.skipped = sorted(damaged.items())
    diagnosis = Diagnosis(result, sorted(damaged.items()), missing, unsafe)
    if recoded is None:
        return _windows_log(diagnosis, data, exposed, extra, limits) or diagnosis
    return diagnosis


_NON_ASCII = rb"[\x80-\xff]"  # (compiled by re's cache at the first use)


def _windows_log(diagnosis: Diagnosis, data: bytes, exposed: Any, extra: Any, limits: Any) -> Optional[Diagnosis]:
    """The diagnosis of the log read as cp1252, if it is one that laaos 2.1.1 wrote on
    Windows: no line of it with other than ASCII is UTF-8, and every line refused as not
    UTF-8 loads as cp1252.  (A UTF-8 log with a damaged byte has UTF-8 lines.)"""
    not_utf8 = [line for line, why in diagnosis.damaged if why.startswith("invalid UTF-8")]
    if not not_utf8 or has_records(data):  # (this laaos wrote it: UTF-8, so the byte is damage)
        return None
    at = 0
    while True:
        m = re.compile(_NON_ASCII).search(data, at)
        if m is None:
            break
        end = data.find(b"\n", m.start()) % (len(data) + 1)  # (-1: the end of the data)
        try:
            data[data.rfind(b"\n", 0, m.start()) + 1 : end].decode("utf-8")
        except UnicodeDecodeError:
            at = end + 1
            continue
        return None  # a UTF-8 line: a UTF-8 log
    if Recoded(data, LEGACY_ENCODING).undefined is not None:
        return None
    recoded = diagnose(diagnosis.result.path, exposed, extra, data=data, encoding=LEGACY_ENCODING, **limits)
    still = {line for line, _ in recoded.damaged}
    if any(line in still for line in not_utf8):
        return None
    recoded.encoding_hint = (not_utf8[0], LEGACY_ENCODING)
    return recoded


def not_utf8_message(path: str, hint: Tuple[int, str]) -> str:
    """What to say about a log that ``diagnose`` found in another encoding (``encoding_hint``)."""
    line, encoding = hint
    return f"{path}:{line}: not UTF-8 -- written by laaos 2.1.1 on Windows? try --encoding {encoding}"


class _LineIndex:
    """The bytes of a log, fed with chosen lines blanked: spaces in their place, so that
    line numbers and byte offsets stay those of the file."""

    BLOCK = 1 << 16

    def __init__(self, data: bytes):
        self.data = data
        # newlines before each block: finding a line's start costs one block's scan
        self.before = [0]
        for at in range(0, len(data), self.BLOCK):
            self.before.append(self.before[-1] + data.count(b"\n", at, at + self.BLOCK))
        self.count = self.before[-1]  # complete lines

    def start(self, line: int) -> int:
        """The offset where ``line`` (1-based, at most ``count + 1``) begins."""
        if line == 1:
            return 0
        newlines = line - 1  # the line begins after this many newlines
        block = bisect.bisect_left(self.before, newlines) - 1
        at = block * self.BLOCK - 1
        for _ in range(newlines - self.before[block]):
            at = self.data.find(b"\n", at + 1)
        return at + 1

    def without(self, blanked: Iterable[int]):
        at = 0
        for line in sorted(blanked):
            if not 1 <= line <= self.count:
                continue
            start, end = self.start(line), self.start(line + 1)
            yield self.data[at:start]
            yield b" " * (end - start - 1) + b"\n"
            at = end
        yield self.data[at:]
