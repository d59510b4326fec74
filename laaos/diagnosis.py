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

A name that can run code or change files (``os``, ``subprocess``, ``open``, ``eval``, or
``pathlib.os.system`` reached through an attribute) is never a missing symbol: no laaos
writer puts one in a log, and passing it (``--symbol os``) would let the log run it.  A
statement naming one is damage, which ``recover`` moves aside; ``unsafe_symbol`` tells
the command line never to suggest or accept such a name.
"""

from __future__ import annotations

import bisect
import os
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from ._symbols import unsafe_symbol, unsafe_why
from .errors import LogError, UnknownSymbolError
from .loader import LoadResult, PathLike, finish, load, new_parser

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
    **limits: Any,
) -> Diagnosis:
    """Load the log at ``path`` (or its bytes ``data``), keeping torn tail, damage and
    missing symbols apart (see the module's docstring).  Never raises a ``LogError`` for
    what is in the log; ``OSError`` if it cannot be read."""
    name = os.fspath(path)
    extra: Dict[str, Any] = dict(extra_mappings or {})
    exposed = list(exposed_symbols or ())
    if data is None:
        # A healthy log (the common case) costs one streaming parse.
        try:
            result = load(name, exposed, extra, skip_errors=True, warn=False, allow_empty=True, **limits)
        except LogError:
            pass  # (a line over a limit, which skipping does not pass): classify line by line
        else:
            if not result.skipped:
                return Diagnosis(result)
        with open(name, "rb") as f:
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
    result = finish(parser, name, len(data), warn=False, allow_empty=True)
    for line, why in result.skipped:
        damaged.setdefault(line, why)
    result.skipped = sorted(damaged.items())
    return Diagnosis(result, sorted(damaged.items()), missing, unsafe)


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
