"""The safe loader's front end: read a log, parse it with the backend, report the tail.

Nothing in a log is executed: the backend's ``LogParser`` turns each statement into one
operation on plain dicts, lists and sets.  A statement counts only once it is complete
and followed by its newline; an incomplete tail (a crash mid-write, or NUL bytes that a
filesystem left after power loss) is dropped, reported with a ``TornTailWarning`` and
described in the ``LoadResult``.
"""

from __future__ import annotations

import codecs
import errno
import gc
import os
import re
import stat
import sys
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from . import _backend
from ._fields import FACTORY, DataclassFields, fields_eq, fields_repr
from ._fileops import file_chunks
from ._records import Record, scan
from .errors import LogError, LogSyntaxError, TornTailWarning, warn_at_caller

CHUNK = 1 << 17  # read in pieces that are still in the processor's cache when parsed
LEGACY_ENCODING = "cp1252"  # what laaos 2.1.1 wrote on Windows (the ANSI code page)
PathLike = Union[str, os.PathLike[str]]  # (no quotes: a ForwardRef compiles its text)


class LoadResult:
    """A loaded log and what the loader found in it."""

    store: dict
    path: str
    statements: int  # statements applied
    lines: int  # complete lines read
    size: int  # bytes in the file
    valid_bytes: int  # the prefix that holds whole statements only
    dropped_bytes: int  # the torn tail: size - valid_bytes
    dropped_statements: int  # 1 when the tail held part of a statement, else 0
    skipped: List[Tuple[int, str]]  # (line, why), skip_errors=True (default: [])
    tail_line: int = 0  # the line where the dropped tail starts (0: nothing dropped)
    # Statements that use the bare `nan` / `inf` that laaos 2.1.1 wrote for non-finite
    # floats: loaded as those floats; a log of the old version, not damage.
    legacy_floats: int = 0
    keys: Optional[List[Any]] = None  # the top-level keys of a partial load, else None

    # What @dataclass would make, written out (see laaos._fields).
    __match_args__ = ("store", "path", "statements", "lines", "size", "valid_bytes", "dropped_bytes",
                      "dropped_statements", "skipped", "tail_line", "legacy_floats", "keys")
    __dataclass_fields__ = DataclassFields(factories={"skipped": list})
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, store: dict, path: str, statements: int, lines: int, size: int, valid_bytes: int,
                 dropped_bytes: int, dropped_statements: int, skipped: List[Tuple[int, str]] = FACTORY,
                 tail_line: int = 0, legacy_floats: int = 0, keys: Optional[List[Any]] = None) -> None:
        self.store = store
        self.path = path
        self.statements = statements
        self.lines = lines
        self.size = size
        self.valid_bytes = valid_bytes
        self.dropped_bytes = dropped_bytes
        self.dropped_statements = dropped_statements
        self.skipped = [] if skipped is FACTORY else skipped
        self.tail_line = tail_line
        self.legacy_floats = legacy_floats
        self.keys = keys

    def __repr__(self) -> str:
        return fields_repr(self)

    def __eq__(self, other: object) -> bool:
        return fields_eq(self, other)

    @property
    def torn(self) -> bool:
        """Whether the log ends in an incomplete statement."""
        return self.dropped_statements > 0

    @property
    def sessions(self) -> list:
        """The log's session records (``laaos.Record``: where each writer ran)."""

        return [r for r in records_of(self) if r.kind == "session"]

    @property
    def marks(self) -> list:
        """The log's marks and rewinds (``laaos.Record``), in file order."""

        return [r for r in records_of(self) if r.kind in ("mark", "rewind")]

    def frame(self) -> Any:
        """A one-row pandas DataFrame of the log, indexed by its path (see
        ``load_many(...).frame()``)."""
        from .frames import frame

        return frame({self.path: self.store})

    def series(self, key: Any) -> Any:
        """A long-form pandas DataFrame of the series ``key`` (see
        ``load_many(...).series()``)."""
        from .frames import series

        return series({self.path: self.store}, key)

    def _repr_html_(self) -> str:
        """The notebook view (``laaos.view``): the log's sessions and marks, and the
        store as a tree of keys with a sparkline per numeric series."""
        from .view import load_result

        return load_result(self)


def symbols_of(exposed_symbols: Optional[Iterable[Any]], extra_mappings: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """The names a log may use: ``exposed_symbols`` by ``__name__``, plus ``extra_mappings``."""
    symbols: Dict[str, Any] = {}
    for symbol in exposed_symbols or ():
        name = getattr(symbol, "__name__", None)
        if not isinstance(name, str):
            raise TypeError(
                f"exposed_symbols holds {symbol!r}, which has no __name__: pass the objects "
                f"themselves (classes, modules, functions), or extra_mappings={{'NAME': object}}"
            )
        symbols[name] = symbol
    symbols.update(extra_mappings or {})
    return symbols


def new_parser(name: str, exposed_symbols=None, extra_mappings=None, skip_errors=False, keys=None, **limits: Any):
    """The backend's ``LogParser`` for one log (``keys``: a partial load of those top-level keys)."""
    if isinstance(keys, (str, bytes)):
        raise TypeError("keys= takes a list of top-level keys, not one string")
    return _backend.impl.LogParser(
        name, symbols_of(exposed_symbols, extra_mappings), skip_errors, keys=keys, **limits
    )


@contextmanager
def collector_paused() -> Any:
    """Pause the cyclic garbage collector while a log is parsed: a load makes millions of
    lists and dicts, which the collector walks again and again (up to half of a load's
    time) though none of them can be garbage yet.  Only in a process with one thread:
    the switch is the whole process's, and another thread that turned the collector off
    meanwhile would find it turned on again; with other threads, nothing changes.
    (Without the threading module imported, no thread was started through it.)"""
    threading = sys.modules.get("threading")
    if not gc.isenabled() or threading is not None and threading.active_count() != 1:
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def is_utf8(encoding: Optional[str]) -> bool:
    """Whether ``encoding`` (None: the default) is UTF-8, the encoding of every log laaos
    writes (``LookupError`` for an encoding Python does not know)."""
    return encoding is None or codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")


def written_in_utf8(data: bytes) -> bool:
    """Whether a log's bytes are UTF-8 whatever ``encoding=`` says: a log that holds
    ``#laaos:`` records was written by this laaos, which writes UTF-8 only (laaos 2.1.1
    wrote no records), so a byte in it that is not UTF-8 is damage, not an encoding; and
    bytes that decode as UTF-8 are UTF-8 (text in cp1252 with letters outside ASCII
    almost never decodes so).  ``--encoding cp1252`` over a sweep of Windows and Linux
    logs then reads each right."""
    if has_records(data):
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def has_records(data: bytes) -> bool:
    """Whether a log's bytes hold a ``#laaos:`` record line (see ``written_in_utf8``)."""
    return data.startswith(b"#laaos:") or data.startswith(b"\xef\xbb\xbf#laaos:") or b"\n#laaos:" in data


class Recoded:
    """A log's bytes in another ``encoding`` (laaos 2.1.1 on Windows wrote the ANSI code
    page, cp1252), as the UTF-8 the parser reads.  Lines stay lines, so line numbers are
    the file's; ``file_bytes`` maps a length of the UTF-8 text back to the file's bytes.
    A byte the encoding does not define becomes a byte that is not UTF-8, which the parser
    refuses (or skips) on its line."""

    def __init__(self, data: bytes, encoding: str):
        self.encoding = encoding
        self.size = len(data)
        text = data.decode(encoding, "surrogateescape")
        del data
        m = re.search(_UNDEFINED, text)  # (compiled by re's cache at the first use)
        self.undefined: Optional[Tuple[int, int, int]] = None  # (line, byte in the line, byte)
        if m is not None:
            start = text.rfind("\n", 0, m.start()) + 1
            column = len(text[start : m.start()].encode(encoding, "surrogateescape"))
            self.undefined = (text.count("\n", 0, m.start()) + 1, column, ord(m.group()) - 0xDC00)
        self.text = text.encode("utf-8", "surrogateescape")

    def file_bytes(self, utf8_bytes: int) -> int:
        """The file's bytes that the first ``utf8_bytes`` of ``text`` (whole lines) came from."""
        tail = self.text[utf8_bytes:].decode("utf-8", "surrogateescape")
        return self.size - len(tail.encode(self.encoding, "surrogateescape"))

    def explain(self, why: str) -> str:
        """The parser's reason for refusing a line, said of this encoding."""
        if why.startswith("invalid UTF-8"):
            return f"a byte that is no character in {self.encoding}: is the log in another encoding?"
        return why

    def error(self, name: str) -> Optional[LogError]:
        """The error for the first byte that the encoding does not define, or None."""
        if self.undefined is None:
            return None
        line, column, byte = self.undefined
        return LogSyntaxError(
            f"byte 0x{byte:02x} (at byte {column} of the line) is no character in {self.encoding}: "
            "is the log in another encoding?", name, line, "encoding",
        )


# (decoding with surrogateescape puts a byte the encoding does not define as U+DC80..U+DCFF)
_UNDEFINED = "[\udc80-\udcff]"


def finish(
    parser: Any, name: str, size: int, *, warn: bool = True, allow_empty: bool = False,
    recoded: Optional[Recoded] = None,
) -> LoadResult:
    """End a parse: describe the dropped tail, warn about it, and check a store exists
    (``recoded``: the parser read that log's text, whose sizes are given in the file's bytes)."""
    store = parser.finish()
    valid = parser.valid_bytes if recoded is None else recoded.file_bytes(parser.valid_bytes)
    tail = parser.pending
    dropped_statements = 1 if parser.open_statement or tail.strip(b" \t\r\n\x00\x0c") else 0
    result = LoadResult(
        store=store,
        path=name,
        statements=parser.statements,
        lines=parser.lines,
        size=size,
        valid_bytes=valid,
        dropped_bytes=size - valid,
        dropped_statements=dropped_statements,
        skipped=list(parser.skipped),
        tail_line=parser.tail_line if size > valid else 0,
        legacy_floats=parser.legacy_floats,
        keys=None if parser.keys is None else list(parser.keys),
    )
    if warn and (dropped_statements or tail.strip(b" \t\r\n")):
        what = "an incomplete last statement" if dropped_statements else "NUL padding"
        warn_at_caller(
            TornTailWarning(
                f"{name}:{parser.tail_line}: dropped {what} ({size - valid} bytes), "
                "as a crash or power loss mid-write leaves it; everything before it was loaded"
            )
        )
    if store is None and not allow_empty:
        raise LogError("no complete `store = ...` statement: not a laaos log, or empty", name, None)
    return result


def load(
    path: PathLike,
    exposed_symbols: Optional[Iterable[Any]] = None,
    extra_mappings: Optional[Mapping[str, Any]] = None,
    *,
    skip_errors: bool = False,
    warn: bool = True,
    allow_empty: bool = False,
    progress: Optional[Callable[[int, int], None]] = None,
    keys: Optional[Iterable[Any]] = None,
    encoding: Optional[str] = None,
    **limits: Any,
) -> LoadResult:
    """Load the log at ``path`` and say what was found (see ``LoadResult``).

    ``skip_errors=True`` skips bad statements instead of raising, and lists them in
    ``LoadResult.skipped``.  ``max_statement_bytes=`` raises the size limit of one
    statement, ``max_equal_hashes=`` the keys of one dict or set that may share a hash
    (100), ``max_list_moves=`` the items that inserts and deletes before a list's end
    may move in all (default: 2**32 plus 1024 per line).  ``progress(done, total)`` is
    called after each MiB read.

    ``keys=[...]`` makes a partial load: only statements under those top-level keys are
    applied (the store holds only those keys).  The others are still split into lines,
    and a torn tail is still dropped, but their values are not parsed: see the README.

    ``encoding=`` reads a log that is not UTF-8: ``"cp1252"`` for one that laaos 2.1.1
    wrote on Windows (read whole into memory and turned into UTF-8; sizes in the result
    are the file's bytes).  A log that is UTF-8, or that this laaos wrote (it holds
    ``#laaos:`` records), is read as UTF-8 whatever ``encoding=`` says.
    """
    name = os.fspath(path)
    parser = new_parser(name, exposed_symbols, extra_mappings, skip_errors, keys, **limits)
    with collector_paused():
        if not is_utf8(encoding):
            return _load_recoded(parser, name, encoding, warn, allow_empty, progress)
        return _load_utf8(parser, name, warn, allow_empty, progress)


def open_log(name: str) -> Any:
    """Open the log ``name`` to read; refuse a named pipe or a socket, whose read would
    wait for a writer (a glob of a sweep's folder must not hang on one)."""
    try:
        mode = os.stat(name).st_mode
    except OSError:
        mode = 0  # (open says what is wrong)
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        raise OSError(errno.EINVAL, f"{'a named pipe' if stat.S_ISFIFO(mode) else 'a socket'}, not a log file", name)
    return open(name, "rb")


def _load_utf8(parser: Any, name: str, warn: bool, allow_empty: bool, progress: Any) -> LoadResult:
    size = 0
    with open_log(name) as f:
        total = os.fstat(f.fileno()).st_size
        try:
            while True:
                chunk = f.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                parser.feed(chunk)
                if progress is not None:
                    progress(size, total)
        except LogSyntaxError as e:
            raise with_encoding_hint(e, f"load it with encoding={LEGACY_ENCODING!r}, --encoding "
                                        f"{LEGACY_ENCODING} on the command line") from None
    return finish(parser, name, size, warn=warn, allow_empty=allow_empty)


def with_encoding_hint(error: LogSyntaxError, advice: str) -> LogSyntaxError:
    """``error``, or for a line that is not UTF-8 the same error asking whether laaos
    2.1.1 wrote the log on Windows, with ``advice``."""
    if not error.message.startswith("invalid UTF-8"):
        return error
    return LogSyntaxError(
        f"{error.message} (a log laaos 2.1.1 wrote on Windows, in {LEGACY_ENCODING}? {advice})",
        error.path, error.line, error.construct,
    )


def _load_recoded(parser: Any, name: str, encoding: Any, warn: bool, allow_empty: bool, progress: Any) -> LoadResult:
    with open_log(name) as f:
        data = f.read()
    if written_in_utf8(data):
        for at in range(0, len(data), CHUNK):
            parser.feed(data[at : at + CHUNK])
        return finish(parser, name, len(data), warn=warn, allow_empty=allow_empty)
    recoded = Recoded(data, encoding)
    del data
    if not parser.skip_errors:
        error = recoded.error(name)
        if error is not None:
            raise error
    text = recoded.text
    for at in range(0, len(text), CHUNK):
        parser.feed(text[at : at + CHUNK])
        if progress is not None:
            progress(min(at + CHUNK, len(text)), len(text))
    result = finish(parser, name, recoded.size, warn=warn, allow_empty=allow_empty, recoded=recoded)
    result.skipped = [(line, recoded.explain(why)) for line, why in result.skipped]
    return result


def safe_load(
    path: PathLike,
    exposed_symbols: Optional[Iterable[Any]] = None,
    extra_mappings: Optional[Mapping[str, Any]] = None,
    *,
    skip_errors: bool = False,
    keys: Optional[Iterable[Any]] = None,
    encoding: Optional[str] = None,
) -> dict:
    """Load the store that the log at ``path`` holds, without executing anything.

    ``exposed_symbols`` (objects, by ``__name__``) and ``extra_mappings`` (name to
    object) are the names the log may use, e.g. ``exposed_symbols=[Color]`` for
    ``Color.RED``.  A torn last statement is dropped with a ``TornTailWarning``;
    malformed or refused statements raise a ``LogError`` naming the file and line.
    ``keys=[...]`` loads only those top-level keys (see ``load``); ``encoding="cp1252"``
    reads a log that laaos 2.1.1 wrote on Windows (see ``load``).
    """
    return load(path, exposed_symbols, extra_mappings, skip_errors=skip_errors, keys=keys, encoding=encoding).store


safe_load_store = safe_load


def safe_load_str(
    code: str,
    exposed_symbols: Optional[Iterable[Any]] = None,
    extra_mappings: Optional[Mapping[str, Any]] = None,
    *,
    skip_errors: bool = False,
    name: str = "<string>",
    keys: Optional[Iterable[Any]] = None,
) -> dict:
    """Load the store from log text held in memory (a missing final newline is fine)."""
    data = code.encode("utf-8")
    if not data.endswith(b"\n"):
        data += b"\n"  # text in memory was not torn by a crash
    parser = new_parser(name, exposed_symbols, extra_mappings, skip_errors, keys)
    with collector_paused():
        parser.feed(data)
    return finish(parser, name, len(data)).store


def records_of(result: Any) -> List[Record]:
    """The whole records of a loaded log (a ``LoadResult``), scanned once and kept."""
    records = result.__dict__.get("_records")
    if records is None:
        records = [r for r in scan(file_chunks(result.path, result.valid_bytes)) if r.end]
        result.__dict__["_records"] = records
    return records
