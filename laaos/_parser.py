"""The log parser and its state: the pure-Python ``LogParser``, and the interface that the
native kernel (``src_ext/parser.pxi``) builds on.

The state of a parse -- the store, the head table, the line and statement counters, the
skipped statements, the held-back tail -- lives in one place: a ``LogParser`` object.
The native backend's ``LogParser`` is a subclass that replaces only ``scan`` (the loop
over the complete lines of a chunk) with C, and otherwise calls this documented
interface, never a private attribute:

``name``, ``symbols``, ``skip_errors``, ``keys`` (a frozenset, or None for a whole load),
``max_statement_bytes``, ``max_equal_hashes``, ``max_list_moves``
    what the parse was asked to do;
``root``, ``statements``, ``lines``, ``legacy_floats``, ``skipped``
    the results so far (``scan`` adds to ``statements`` and sets ``lines``);
``heads``
    the head table: head text (``"store['loss'].append("``, ``"store['cfg']['lr']="``)
    -> ``(kind, container, key)``, filled by ``remember`` and cleared by ``apply``
    whenever an operation may have replaced a container that an entry points into;
``line(text, lineno)``
    the general path for one decoded physical line (multi-line statements too);
``apply(kind, target, key, value, lineno)`` / ``apply_cached(entry, value, lineno)``
    the one definition of every operation, and of when the head table is cleared;
``remember(head, kind, target, key)``, ``fail(cls, message, lineno)``,
``open_statement``.

A statement counts only once it is complete and followed by its newline: ``feed`` keeps
an incomplete tail back until more bytes arrive, and ``finish`` reports it as torn.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Optional, Tuple

from ._grammar import (
    ADD,
    APPEND,
    CLEAR,
    DELETE,
    DIFFERENCE_UPDATE,
    DISCARD,
    EXTEND,
    INSERT,
    RESHAPING,
    ROOT,
    SET,
    UPDATE,
    AnyName,
    Skipped,
    Statement,
    parse_value,
    wanted,
)
from ._limits import (
    HASH_MODULUS,
    LIST_MOVES,
    LIST_MOVES_PER_LINE,
    MAX_EQUAL_HASHES,
    MAX_STATEMENT_BYTES,
)
from ._literals import (
    LONG_LITERAL,
    MISS,
    LazyPattern,
    balanced_rest,
    chosen_hash,
    equal_hashes_message,
    fast_value,
    tokenize,
    top_key,
)
from .errors import CorruptLogError, LogError, LogLimitError, LogSyntaxError, UnknownSymbolError

__all__ = ["LogParser", "check_expression", "parse_value"]

_STATEMENT_STARTS = ("store", "del ")
_SPACE = " \t\f\r"  # what the tokenizer skips
# A run of whole lines, each an append of a float as repr writes it, with one plain key.
_FLOAT_APPEND_LINES = r"(?:store\[[^\]\n]*\]\.append\(-?[0-9]{1,2000}\.[0-9]{1,2000}(?:e[+-]?[0-9]{1,4})?\)\n)+"
_FLOAT_APPENDS_AT = LazyPattern(globals(), "_FLOAT_APPENDS_AT", _FLOAT_APPEND_LINES)
# (searched for as "\nstore[", a literal the regex engine skips to: a huge line is passed
# over at the speed of a string search)
_FLOAT_APPENDS = LazyPattern(globals(), "_FLOAT_APPENDS", r"\n(" + _FLOAT_APPEND_LINES + ")")
_HEAD_VALUES: Dict[str, Any] = {}  # head -> the regex that finds its values in a run
_LONG_LINE = 1 << 16  # a line longer than this, alone in a chunk, is decoded on its own
_BULK_HEADS = 16  # a run that appends to more lists than this goes line by line
# (the head of each line of a run)
_RUN_HEAD = LazyPattern(globals(), "_RUN_HEAD", r"^store\[[^\]\n]*\]\.append\(", re.M)
# The head of a statement whose value may be a plain literal: `store = `, `store[K]...=`
# or `store[K]....append(` (extend, add, discard, update) with plain string or int keys.
_HEAD = LazyPattern(
    globals(),
    "_HEAD",
    r"store(?:\[(?:'[^'\\\n]*'|-?[0-9]+)\])*(?: = |=|\.(?:append|extend|add|discard|update)\()"
)


def _may_be_plain(line: str, start: int, end: int) -> bool:
    """False where ``fast_value`` of the value ``line[start:end]`` (spaces around it
    taken off) is sure to miss, so that a long value is not copied before the tokenizer
    reads it: a bytes or prefixed string, a single-quoted string with escapes, a long
    literal with escapes (see ``json_literal``)."""
    if line.startswith(("b", "B", "u", "U"), start):
        return False
    if line.startswith("'", start) and line.find("\\", start, end) >= 0:
        return False
    if end - start > LONG_LITERAL:
        while start < end and line[start] in _SPACE:
            start += 1
        while end > start and line[end - 1] in _SPACE:
            end -= 1
        return not (end - start > LONG_LITERAL and line.find("\\", start, end) >= 0)
    return True


# A line that a partial load passes over whole: `store[KEY]` with a plain key (a string
# without escapes, or an int) that the load leaves out, then a rest that surely ends the
# statement on this line (the rule of balanced_rest, within what a regex can count):
# brackets closed, nested up to three deep, strings closed, no comment, no backslash
# outside a string.  Written so that no part can match the same text two ways (linear
# time without possessive quantifiers).  Any other line goes through ``line``.
_PLAIN = r"""[^\n'"#()\[\]{}\\]"""
_STRING = r"""(?:'[^'\\\n]*(?:\\.[^'\\\n]*)*'|"[^"\\\n]*(?:\\.[^"\\\n]*)*")"""
_SKIP_KEY = r"""(?:'[^'\\\n]*'|"[^"\\\n]*"|-?(?:0|[1-9][0-9]{0,17}))"""
_SKIPS: Dict[frozenset, Any] = {}
_REGEX_PAYS = 1 << 18  # bytes of lines for which compiling that regex (~40 ms) pays


def _asked_texts(keys: frozenset) -> Any:
    """The texts a plain top-level key asked for may be written as (`'k'`, `"k"`, `1`),
    or None if a key asked for is of a kind whose equal keys these cannot rule out."""
    asked = []
    for key in keys:
        if isinstance(key, str):
            asked += ["'" + key + "'", '"' + key + '"']
        elif type(key) in (int, bool, float, complex):
            try:
                n = int(key.real)
            except (ValueError, OverflowError):
                continue
            if key == n:
                asked += [str(n), "-0"] if n == 0 else [str(n)]
        else:
            return None
    return asked


def _skip_lines(keys: frozenset) -> Any:
    """``(match, search)`` of a regex for a run of lines that a partial load of ``keys``
    passes over (search: the run after a newline); compiled once per set of keys, when
    first needed (see _asked_texts for when it cannot be used)."""
    if keys in _SKIPS:
        return _SKIPS[keys]
    asked = [re.escape(text) for text in _asked_texts(keys)]
    rest = f"{_PLAIN}*(?:{_STRING}{_PLAIN}*)*"
    for _ in range(3):
        rest = rf"{_PLAIN}*(?:(?:{_STRING}|\({rest}\)|\[{rest}\]|\{{{rest}\}}){_PLAIN}*)*"
    not_asked = f"(?!(?:{'|'.join(asked)})\\])" if asked else ""
    run = rf"((?:store\[{not_asked}{_SKIP_KEY}\]{rest}\n)+)"
    if len(_SKIPS) > 64:
        _SKIPS.clear()
    _SKIPS[keys] = pair = (re.compile(run).match, re.compile("\n" + run).search)
    return pair


_STRUCTURE = b"\n'\"#()[]{}\\"
_NOT_STRUCTURE = bytes(c for c in range(256) if c not in _STRUCTURE)


def _asked_heads(keys: frozenset) -> List[bytes]:
    """The ``store[KEY]`` texts of the string keys asked for, as a writer writes them."""
    heads = []
    for key in keys:
        if isinstance(key, str):
            for head in (f"store['{key}']", f'store["{key}"]'):
                heads.append(head.encode("utf-8", "surrogatepass"))
    return heads


def _passed_over(lines: bytes) -> int:
    """The number of these whole ASCII ``lines`` if a partial load passes over every one
    of them, else 0.  Given that none holds the head of a key asked for: each starts with
    `store['KEY']` (or double quotes) with no quote or bracket in KEY, its rest ends the statement
    on its line (``balanced_rest``).  With no backslash anywhere, the rule reads only
    quotes, brackets and '#': it is applied to the skeleton of those, once for each
    distinct skeleton, so the lines cost a few passes of C string methods.  The key's
    closing quote must be right before its `]` (`store['k',]` is no such line): each quote
    right before a `]` in the skeleton must be so in the lines too."""
    if not lines.startswith((b"store['", b'store["')) or b"\\" in lines:
        return 0
    skeleton = lines.translate(None, _NOT_STRUCTURE)
    count = skeleton.count(b"\n")
    heads = lines.count(b"\nstore['")
    if heads != count - 1 and heads + lines.count(b'\nstore["') != count - 1:
        return 0  # a line that does not start so (blank, comment, del, another key, ...)
    for closing in (b"']", b'"]'):
        n = skeleton.count(closing)
        if n and lines.count(closing) != n:
            return 0
    # Each distinct skeleton is checked, then taken out everywhere: a replace takes out
    # every other one of a series of equal lines, so a few passes take out all of them.
    skeleton = b"\n" + skeleton
    for _ in range(64):
        shape = skeleton[1 : skeleton.find(b"\n", 1)]
        if shape[:4] not in (b"['']", b'[""]') or not balanced_rest(shape[4:].decode("ascii")):
            return 0
        this = b"\n" + shape + b"\n"
        while this in skeleton:
            skeleton = skeleton.replace(this, b"\n")
        if len(skeleton) == 1:
            return count
    return 0  # many shapes of line: the general way


class LogParser:
    """Parses a log fed as bytes, one complete statement at a time.

    ``feed(data)`` applies every complete statement in ``data`` (plus what an earlier
    call held back); ``finish()`` ends the log and returns the store.  Afterwards:
    ``statements`` (applied), ``lines``, ``valid_bytes`` (the prefix that holds whole
    statements), ``pending`` (the held-back incomplete tail), ``skipped`` and
    ``legacy_floats`` (statements with the bare ``nan``/``inf`` of laaos 2.1.1).
    ``keys`` (top-level keys) makes a partial load: statements under other keys are
    split into lines but not applied.

    The limits keep a hostile log's cost close to linear in its size:
    ``max_statement_bytes`` (one statement), ``max_equal_hashes`` (keys of one dict or
    elements of one set that share a hash), ``max_list_moves`` (items that inserts and
    deletes before a list's end move, in all; None: a budget that grows with each line
    read).  ``list_moves`` counts the items moved so far.
    """

    def __init__(
        self,
        name: str = "<string>",
        symbols: Optional[Dict[str, Any]] = None,
        skip_errors: bool = False,
        max_statement_bytes: int = MAX_STATEMENT_BYTES,
        keys: Optional[Iterable[Any]] = None,
        max_equal_hashes: int = MAX_EQUAL_HASHES,
        max_list_moves: Optional[int] = None,
    ):
        self.name = name
        self.symbols = dict(symbols or {})
        self.skip_errors = skip_errors
        self.max_statement_bytes = max_statement_bytes
        self.max_equal_hashes = max_equal_hashes
        self.max_list_moves = max_list_moves
        self.list_moves = 0
        # id -> (dict or set, {hash: keys}) for the containers that hold enough keys of a
        # chosen hash to need counting; the container is held, so its id stays its own.
        self._hashes: Dict[int, tuple] = {}
        self.keys = None if keys is None else frozenset(keys)
        self.root: Optional[dict] = None
        self.statements = 0
        self.lines = 0
        self.legacy_floats = 0
        self.skipped: List[Tuple[int, str]] = []
        self.heads: Dict[str, tuple] = {}
        self._skip_prefixes: set = set()  # `store[KEY]` of keys a partial load leaves out
        self._complete_bytes = 0  # bytes of whole lines fed (and a BOM)
        self._held: List[bytes] = []  # the incomplete tail, in the pieces fed
        self._held_bytes = 0
        self._started = False
        self._open: Optional[list] = None  # tokens of a multi-line statement so far
        self._open_line = 0
        self._open_depth = 0
        self._open_bytes = 0

    # ---- feeding -------------------------------------------------------------------

    @property
    def pending(self) -> bytes:
        if len(self._held) > 1:
            self._held[:] = [b"".join(self._held)]
        return self._held[0] if self._held else b""

    @property
    def valid_bytes(self) -> int:
        """Length of the prefix that holds only whole statements."""
        return self._complete_bytes - self.open_bytes

    def _hold(self, piece: bytes) -> None:
        # The incomplete tail, kept as the pieces fed: a long line that arrives in many
        # chunks is joined once, when its newline comes, not copied again with each chunk.
        if piece:
            self._held.append(piece)
            self._held_bytes += len(piece)
        self._check_size(self._held_bytes)

    def feed(self, data: bytes) -> None:
        """Apply every complete statement in ``data``; keep an incomplete tail back."""
        data = bytes(data)
        start = 0
        if not self._started:
            if self._held:
                data = self.pending + data
                self._held, self._held_bytes = [], 0
            if len(data) < 3 and b"\xef\xbb\xbf".startswith(data):
                self._hold(data)
                return
            self._started = True
            if data.startswith(b"\xef\xbb\xbf"):
                start = 3
                self._complete_bytes += 3
        if self._held:
            # The held-back line and its end: scanned on their own, so that the bulk of
            # data is scanned where it lies, never copied.
            nl = data.find(b"\n", start)
            if nl < 0:
                self._hold(data[start:] if start else data)
                return
            self._held.append(data[start : nl + 1])
            first = b"".join(self._held)
            self._held, self._held_bytes = [], 0
            self.scan(first, 0, len(first))
            self._complete_bytes += len(first)
            del first
            start = nl + 1
        end = data.rfind(b"\n", start) + 1
        if end <= start:
            self._hold(data[start:] if start else data)
            return
        self._hold(data[end:])
        self.scan(data, start, end)
        self._complete_bytes += end - start

    def scan(self, data: bytes, start: int, end: int) -> None:
        """Process the complete lines in ``data[start:end]`` (which ends in a newline)."""
        base = self.lines
        if end - start > _LONG_LINE and data.find(b"\n", start, end - 1) < 0:
            # One long line (a big value): decoded in place and handed over whole, not
            # copied again by a split.
            try:
                line = str(memoryview(data)[start : end - 1], "utf-8")
            except UnicodeDecodeError:
                pass
            else:
                try:
                    self.line(line, base + 1)
                finally:
                    self.lines = base + 1
                return
        chunk = data[start:end] if start or end < len(data) else data
        if self.keys is not None and chunk.isascii() and _asked_texts(self.keys) is not None:
            self._pass_over(chunk, base)
            return
        run = self.line
        try:
            text: Optional[str] = chunk.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None:
            held = [text]
            del text  # held only by the list, so that a huge line is not kept twice
            if self.keys is None:
                self._scan_text(held, base)
                return
            if len(chunk) >= _REGEX_PAYS and _asked_texts(self.keys) is not None:
                self._scan_partial(held, base)
                return
            text = held.pop()
        # decoded line by line below if need be, errors in line order
        lines: list = chunk.split(b"\n") if text is None else text.split("\n")
        lines.pop()  # the empty string after the last newline
        if type(lines[0]) is str:
            for i, line in enumerate(lines, base + 1):
                run(line, i)
        else:
            for i, raw in enumerate(lines, base + 1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as e:
                    self.fail(LogSyntaxError, f"invalid UTF-8 at byte {e.start} of the line", i)
                    continue
                run(line, i)
        self.lines = base + len(lines)

    def _scan_text(self, held: list, base: int) -> None:
        # Runs of the commonest statement, an append of a float (`store['loss'].append(0.5)`),
        # are found by one regex and applied per list in bulk, in C (findall, map, extend),
        # when every line of the run has a head the table knows, each for its own list.
        # Every other line (and any run in doubt) goes through ``line``, in order.
        # ``held`` holds the decoded text alone: it is let go before its last lines run.
        text = held.pop()
        pos = 0
        lineno = base
        try:
            while True:
                m = self._next_run(text, pos, _FLOAT_APPENDS_AT.match, _FLOAT_APPENDS.search)
                if m is None:
                    rest = text[pos:].split("\n") if pos else text.split("\n")
                    del text
                    lineno = self._lines(rest, lineno)
                    return
                group = m.lastindex or 0  # the run, without the newline before it
                if m.start(group) > pos:
                    lineno = self._lines(text[pos : m.start(group)].split("\n"), lineno)
                run = m.group(group)
                if self._open is not None or not self._bulk(run):  # (a line above opened one)
                    lineno = self._lines(run.split("\n"), lineno)
                else:
                    lineno += run.count("\n")
                pos = m.end(group)
        finally:
            self.lines = lineno

    def _pass_over(self, chunk: bytes, lineno: int) -> None:
        # A partial load of ASCII text: the lines that may be under a key asked for are
        # found by a string search; the stretches between them are passed over whole when
        # ``_passed_over`` says so, else scanned by ``_scan_partial``.
        asked = _asked_heads(self.keys)
        find = chunk.find
        pos = 0
        n = len(chunk)
        while pos < n:
            hits = [i for i in (find(head, pos) for head in asked) if i >= 0]
            cut = min(hits) if hits else n
            stop = chunk.rfind(b"\n", pos, cut) + 1 if cut < n else n  # where the hit's line starts
            if stop > pos:
                lines = 0
                if self._open is None:
                    lines = _passed_over(chunk if pos == 0 and stop == n else chunk[pos:stop])
                if lines:
                    lineno += lines
                    self.lines = lineno
                elif stop - pos < _REGEX_PAYS:
                    lineno = self._lines(chunk[pos:stop].decode("ascii").split("\n"), lineno)
                    self.lines = lineno
                else:
                    lineno = self._scan_partial([chunk[pos:stop].decode("ascii")], lineno)
                pos = stop
            if cut < n:
                stop = chunk.find(b"\n", cut) + 1
                lineno = self._lines(chunk[pos:stop].decode("ascii").split("\n"), lineno)
                self.lines = lineno
                pos = stop

    def _scan_partial(self, held: list, base: int) -> int:
        # A partial load: runs of lines under keys it leaves out, each statement sure to
        # end on its line (see _skip_lines), are found by one regex and passed over at its
        # speed; every other line goes through ``line``, in order.
        text = held.pop()
        pos = 0
        lineno = base
        at, search = _skip_lines(self.keys)
        try:
            while True:
                m = self._next_run(text, pos, at, search)
                if m is None:
                    rest = text[pos:].split("\n") if pos else text.split("\n")
                    del text
                    lineno = self._lines(rest, lineno)
                    return lineno
                first = m.start(1)
                if first > pos:
                    lineno = self._lines(text[pos:first].split("\n"), lineno)
                    if self._open is not None:  # (a line above opened a statement)
                        pos = first
                        continue
                lineno += text.count("\n", first, m.end(1))
                pos = m.end(1)
        finally:
            self.lines = lineno
        return lineno

    def _next_run(self, text: str, pos: int, at: Any, search: Any) -> Any:
        """The match of the next run of lines at or after ``pos`` (a line's start: a
        newline before it, or 0): ``at`` matches one at the text's start, ``search`` one
        after a newline.  None while a statement is open: its lines go through ``line``."""
        if self._open is not None:
            return None
        m = at(text, 0) if pos == 0 else None
        return m if m is not None else search(text, pos - 1 if pos else 0)

    def _lines(self, lines: list, lineno: int) -> int:
        lines.pop()  # the empty string after the last newline
        run = self.line
        for line in lines:
            lineno += 1
            run(line, lineno)
        return lineno

    def _bulk(self, run: str) -> bool:
        targets = []
        total = 0
        lines = run.count("\n")
        heads: Any = self.heads
        if len(heads) > _BULK_HEADS:
            # Many heads (many lists): look up the heads of the run, instead of trying
            # every head of the table on every run, which costs heads times runs.
            found = set(_RUN_HEAD.findall(run))
            if len(found) > _BULK_HEADS:
                return False
            heads = [(head, heads.get(head, (None,))) for head in found]
        else:
            heads = heads.items()
        for head, entry in heads:
            if entry[0] == APPEND and head in run:
                pattern = _HEAD_VALUES.get(head)
                if pattern is None:
                    if lines < 32:
                        return False  # a short run goes line by line, without a regex of its own
                    if len(_HEAD_VALUES) > 4096:
                        _HEAD_VALUES.clear()  # many logs, many heads: keep the cache small
                    pattern = _HEAD_VALUES[head] = re.compile("\n" + re.escape(head) + "([^\n)]*)\\)")
                values = pattern.findall("\n" + run)  # (a head at a line's start only)
                targets.append((entry[1], values))
                total += len(values)
        if total != lines or len({id(t) for t, _ in targets}) != len(targets):
            return False  # a head the table does not hold, or two heads for one list
        for target, values in targets:
            target.extend(map(float, values))
        self.statements += total
        return True

    def _check_size(self, size: int) -> None:
        if size > self.max_statement_bytes:
            raise LogLimitError(
                f"a line of more than {self.max_statement_bytes} bytes "
                "(raise max_statement_bytes= to load it)",
                self.name,
                self.lines + 1,
                "huge line",
            )

    def finish(self) -> Optional[dict]:
        """End of the log: the store so far.  An incomplete tail stays in ``pending``
        (and in ``open_statement`` for a multi-line statement never closed)."""
        return self.root

    @property
    def open_statement(self) -> bool:
        """Whether a multi-line statement was begun and never completed."""
        return self._open is not None

    @property
    def tail_line(self) -> int:
        """The line where the incomplete tail (if any) starts."""
        return self._open_line if self._open is not None else self.lines + 1

    @property
    def open_bytes(self) -> int:
        return self._open_bytes if self._open is not None else 0

    # ---- one physical line -----------------------------------------------------------

    def line(self, line: str, lineno: int) -> None:
        """Process one complete physical line (without its newline)."""
        if self._open is not None:
            self._continue(line, lineno)
            return
        if self.keys is not None:
            # A partial load skips a statement under another key without parsing its
            # value, once it is sure the statement ends on this line.
            end = line.find("]") + 1
            if end and line[:end] in self._skip_prefixes:
                if balanced_rest(line[end:]):
                    return
            else:
                key, end = top_key(line)
                if key is not MISS and not wanted(self.keys, key) and balanced_rest(line[end:]):
                    if line.find("]") + 1 == end:
                        self._skip_prefixes.add(line[:end])  # `store[KEY]`, known to be skipped
                    return
        # Fast path: a statement whose head was seen before.
        p = line.find("(")
        entry = self.heads.get(line[: p + 1]) if p > 0 else None
        if entry is not None and line[-1:] == ")":
            value = fast_value(line[p + 1 : -1])
            if value is not MISS:
                if entry[0] == APPEND:
                    entry[1].append(value)
                    self.statements += 1
                else:
                    self.apply_cached(entry, value, lineno)
                return
        elif entry is None:
            q = line.find("=")
            entry = self.heads.get(line[: q + 1]) if q > 0 else None
            if entry is not None:
                value = fast_value(line[q + 1 :].strip(_SPACE))
                if value is not MISS:
                    self.apply_cached(entry, value, lineno)
                    return
        self.statement(line, lineno)

    def apply_cached(self, entry: tuple, value: Any, lineno: int) -> None:
        """Apply ``value`` to a head-table ``entry`` and count the statement."""
        try:
            self.apply(entry[0], entry[1], entry[2], value, lineno)
        except LogError as e:
            self.fail(type(e), e.message, lineno, e.construct)
            return
        self.statements += 1

    def statement(self, line: str, lineno: int) -> None:
        """The general path: tokenize and parse one line (or start a multi-line one)."""
        if len(line) > self.max_statement_bytes:
            self.fail(
                LogLimitError,
                f"a statement of more than {self.max_statement_bytes} bytes "
                "(raise max_statement_bytes= to load it)",
                lineno,
                "huge statement",
            )
            return
        m = _HEAD.match(line)
        if m is not None:
            # A new head and a plain literal value: the value is read by the fast path and
            # only the head (with a placeholder value) by the grammar, which gives the same
            # operation, or the same error, as the whole line would.
            head = m.group()
            call = head[-1] == "("
            if (not call or line[-1:] == ")") and _may_be_plain(line, m.end(), len(line) - call):
                value = fast_value(line[m.end() : -1 if call else None].strip(_SPACE))
                if value is not MISS:
                    placeholder = head + ("None)" if call else "None")
                    try:
                        tokens = tokenize(placeholder, lineno, 0, self.name)[0]
                    except LogError:  # a key the tokenizer refuses: the whole line says so
                        tokens = None
                    if tokens is not None:
                        self._run(tokens, placeholder, lineno, value)
                        return
        try:
            tokens, depth = tokenize(line, lineno, 0, self.name)
        except LogError as e:
            self.fail(type(e), e.message, lineno, e.construct)
            return
        if not tokens:
            return  # blank line or comment
        if depth > 0:
            self._open, self._open_line, self._open_depth = tokens, lineno, depth
            self._open_bytes = len(line.encode("utf-8")) + 1
            return
        self._run(tokens, line, lineno)

    def _continue(self, line: str, lineno: int) -> None:
        if line.lstrip().startswith(_STATEMENT_STARTS):
            # A new statement starts while the previous one is still open: that one
            # was torn by a crash and a later writer carried on after it.
            start = self._open_line
            self._open = None
            self.fail(CorruptLogError, "incomplete statement (torn by a crash?)", start)
            self.line(line, lineno)
            return
        self._open_bytes += len(line.encode("utf-8")) + 1
        if self._open_bytes > self.max_statement_bytes:
            self._open = None
            self.fail(
                LogLimitError,
                f"a statement of more than {self.max_statement_bytes} bytes "
                "(raise max_statement_bytes= to load it)",
                self._open_line,
                "huge statement",
            )
            return
        try:
            tokens, depth = tokenize(line, lineno, self._open_depth, self.name)
        except LogError as e:
            self._open = None
            self.fail(type(e), e.message, lineno, e.construct)
            return
        self._open.extend(tokens)
        self._open_depth = depth
        if depth == 0:
            tokens, start = self._open, self._open_line
            self._open = None
            self._run(tokens, None, start)

    def fail(self, cls, message: str, lineno: int, construct: str = "") -> None:
        """Raise ``cls`` for the statement at ``lineno``, or record it with skip_errors."""
        if not self.skip_errors:
            raise cls(message, self.name, lineno, construct)
        self.skipped.append((lineno, message))

    # ---- statements ----------------------------------------------------------------------

    def _run(self, tokens: list, line: Optional[str], lineno: int, value: Any = MISS) -> None:
        # value: the statement's value when the fast path read it (tokens hold a placeholder)
        try:
            st = Statement(self, tokens, lineno)
            kind, target, key, parsed, head_end = st.parse()
            self.apply(kind, target, key, parsed if value is MISS else value, lineno)
        except Skipped:
            return
        except UnknownSymbolError as e:
            self._unknown_symbol(tokens, lineno, e)
            return
        except LogError as e:
            self.fail(type(e), e.message, lineno, e.construct)
            return
        self.statements += 1
        if st.legacy:
            self.legacy_floats += 1
        # Remember the head so the next statement like it skips the general path.
        if line is not None and head_end:
            mark = line[head_end - 1]
            if line.find(mark) == head_end - 1:
                self.remember(line[:head_end], kind, target, key)

    def _unknown_symbol(self, tokens: list, lineno: int, first: UnknownSymbolError) -> None:
        # A name nobody passed is a healthy log loaded without its symbols only if the
        # rest of the statement is well formed: check it with every name allowed.
        names = AnyName(self.symbols)
        try:
            Statement(self, tokens, lineno, names).parse()
        except Skipped:
            return
        except LogError as damage:
            self.fail(type(damage), damage.message, lineno, damage.construct)
            return
        unknown = names.asked or [first.name]
        shown = ", ".join(repr(n) for n in unknown)
        self.fail(
            UnknownSymbolError,
            f"{'name' if len(unknown) == 1 else 'names'} {shown} not passed: the statement is well "
            "formed; pass the symbols it names in exposed_symbols= or extra_mappings= "
            "(--symbol module:name on the command line)",
            lineno,
            first.construct,
        )

    def remember(self, head: str, kind: int, target: Any, key: Any) -> None:
        """Cache a head's resolved target, unless its operation reshapes the store."""
        if kind not in RESHAPING:
            self.heads[head] = (kind, target, key)

    def apply(self, kind: int, target: Any, key: Any, value: Any, lineno: int) -> None:
        """Apply one operation; clear the head table when a container may be replaced.

        A refused operation (a ``LogError``) leaves the store as it was."""
        if kind == APPEND:
            target.append(value)
            return
        if kind == SET:
            if type(target) is not list and type(target) is not dict:
                raise CorruptLogError(f"cannot set {key!r} on a {type(target).__name__}", self.name, lineno)
            try:
                old = target[key] if type(target) is list else target.get(key)
                t = type(key)
                if t is str or type(target) is list or (t is int and -HASH_MODULUS < key < HASH_MODULUS):
                    target[key] = value
                else:
                    size = len(target)
                    target[key] = value
                    if len(target) > size and (size >= self.max_equal_hashes or id(target) in self._hashes):
                        self._admitted(target, key, lineno, "keys of one dict")
            except (IndexError, TypeError) as e:
                raise CorruptLogError(f"cannot set {key!r}: {e}", self.name, lineno) from None
            if type(old) in (list, dict, set):
                self.heads.clear()
            return
        if kind == ROOT:
            if type(value) is not dict:
                value = self._pairs_store(value, lineno)
            if self.keys is not None:
                value = {k: v for k, v in value.items() if wanted(self.keys, k)}
            self.root = value
            self._hashes.clear()  # the containers counted are gone with the old store
        elif self.root is None:
            raise CorruptLogError("a statement before `store = ...`", self.name, lineno)
        elif kind == DELETE:
            if type(target) is list and type(key) is int:
                n = len(target)
                i = key + n if key < 0 else key
                if 0 <= i < n - 1:
                    self._move(n - 1 - i, lineno)
            try:
                del target[key]
            except (IndexError, KeyError, TypeError) as e:
                raise CorruptLogError(f"cannot delete {key!r}: {e!r}", self.name, lineno) from None
            if self._hashes and id(target) in self._hashes:
                self._forget(target, key)
        elif kind == INSERT:
            n = len(target)
            i = max(key + n, 0) if key < 0 else key
            if i < n:
                self._move(n - i, lineno)
            target.insert(key, value)
        elif kind == EXTEND:
            if type(value) is not list and type(value) is not tuple:
                raise LogSyntaxError("extend() needs a list", self.name, lineno)
            target.extend(value)
        elif kind == CLEAR:
            target.clear()
            if self._hashes and id(target) in self._hashes:
                self._hashes[id(target)][1].clear()
        elif kind == UPDATE and type(target) is dict:
            if type(value) is not dict:
                raise LogSyntaxError(".update() of a dict needs a dict", self.name, lineno)
            if self.keys is not None and target is self.root:
                value = {k: v for k, v in value.items() if wanted(self.keys, k)}
            if self._floodable(target, value):
                # key by key, each counted as an item set is (a refused key stops the
                # statement there: the keys before it stay)
                for k, v in value.items():
                    self.apply(SET, target, k, v, lineno)
            else:
                target.update(value)
        elif kind >= UPDATE:  # a set's update, difference_update, symmetric_difference_update
            if type(target) is not set:
                raise CorruptLogError(
                    f".update() on a {type(target).__name__}, not a dict or set", self.name, lineno
                )
            if type(value) not in (set, list, tuple):
                raise LogSyntaxError("a set's update needs a set of elements", self.name, lineno)
            for item in value:
                self._hashable(item, lineno)
            if self._floodable(target, value):
                for item in value:  # element by element, each counted as an add or discard is
                    remove = kind == DIFFERENCE_UPDATE or (kind != UPDATE and item in target)
                    self.apply(DISCARD if remove else ADD, target, None, item, lineno)
            elif kind == UPDATE:
                target.update(value)
            elif kind == DIFFERENCE_UPDATE:
                target.difference_update(value)
            else:
                target.symmetric_difference_update(value)
        else:  # ADD, DISCARD
            self._hashable(value, lineno)
            if kind == ADD:
                size = len(target)
                target.add(value)
                if len(target) > size and (size >= self.max_equal_hashes or id(target) in self._hashes):
                    self._admitted(target, value, lineno, "elements of one set")
            else:
                size = len(target)
                target.discard(value)
                if len(target) < size and self._hashes and id(target) in self._hashes:
                    self._forget(target, value)
        if kind in RESHAPING:
            self.heads.clear()

    def _hashable(self, value: Any, lineno: int) -> None:
        try:
            hash(value)
        except TypeError:
            raise LogSyntaxError(
                f"unhashable key or set element: {type(value).__name__}", self.name, lineno
            ) from None

    def _floodable(self, target: Any, keys: Any) -> bool:
        """Whether adding ``keys`` to ``target`` must count hashes (see ``_admitted``):
        ``target`` is counted already, or some key has a hash a log's author can choose."""
        if self._hashes and id(target) in self._hashes:
            return True
        return any(type(k) is not str and chosen_hash(k) for k in keys)

    def _pairs_store(self, value: Any, lineno: int) -> dict:
        """The dict that (key, value) pairs make, as the first statement of a log holds them
        when laaos 2.1.1 was given its initial data as pairs: it kept ``dict(pairs)`` and
        wrote the pairs.  Any other value is refused."""
        if type(value) is not list and type(value) is not tuple:
            raise LogSyntaxError(f"the store must be a dict, not {type(value).__name__}", self.name, lineno)
        store: dict = {}
        for i, pair in enumerate(value):
            if (type(pair) is not list and type(pair) is not tuple) or len(pair) != 2:
                raise LogSyntaxError(
                    f"the store must be a dict or a {type(value).__name__} of (key, value) pairs; "
                    f"item {i} is {'a ' + type(pair).__name__ if len(repr(pair)) > 40 else repr(pair)}, not a pair",
                    self.name, lineno,
                )
            key = pair[0]
            try:
                hash(key)
            except TypeError:
                raise LogSyntaxError(f"the store's pair {i} has an unhashable key, a {type(key).__name__}",
                                     self.name, lineno) from None
            size = len(store)
            store[key] = pair[1]
            # (counted as the keys a log sets on a dict are)
            new = len(store) > size and type(key) is not str
            if new and (size >= self.max_equal_hashes or id(store) in self._hashes):
                self._admitted(store, key, lineno, "keys of one dict")
        return store

    def _admitted(self, target: Any, key: Any, lineno: int, what: str) -> None:
        """Count ``key``, new in the dict or set ``target`` (of at least the limit's size,
        or counted already), if its hash is one the log's author could choose; take it out
        again and refuse it when more than ``max_equal_hashes`` keys there share that
        hash.  A container smaller than the limit cannot hold a flood: it is counted
        (once, all its keys) when it reaches the limit."""
        if not chosen_hash(key):
            return
        h = hash(key)
        entry = self._hashes.get(id(target))
        if entry is None:
            counts: Dict[int, int] = {}
            for k in target:
                if type(k) is not str and chosen_hash(k):
                    hk = hash(k)
                    counts[hk] = counts.get(hk, 0) + 1
            self._hashes[id(target)] = (target, counts)
            n = counts[h]
        else:
            counts = entry[1]
            n = counts[h] = counts.get(h, 0) + 1
        limit = self.max_equal_hashes
        if n > limit:
            counts[h] = n - 1
            if type(target) is dict:
                del target[key]
            else:
                target.discard(key)
            raise LogLimitError(equal_hashes_message(limit, what), self.name, lineno, "equal hashes")

    def _forget(self, target: Any, key: Any) -> None:
        """A key of a counted container was removed."""
        if chosen_hash(key):
            counts = self._hashes[id(target)][1]
            h = hash(key)
            counts[h] = counts.get(h, 1) - 1

    def _move(self, moved: int, lineno: int) -> None:
        """Charge ``moved`` list items (an insert or delete before a list's end) to the
        budget; refuse the operation that would exceed it."""
        budget = self.max_list_moves
        if budget is None:
            budget = LIST_MOVES + LIST_MOVES_PER_LINE * lineno
        if self.list_moves + moved > budget:
            raise LogLimitError(
                f"inserts and deletes before the ends of lists would move more than {budget} items "
                "in all (quadratic work; raise max_list_moves= to load it)",
                self.name,
                lineno,
                "list moves",
            )
        self.list_moves += moved


def check_expression(text: str) -> str:
    """Why the loader would refuse ``text`` as a value, or ``""`` if it would accept it
    (given the right symbols)."""
    try:
        parse_value(LogParser("<rendered value>"), text, 1, AnyName())
    except LogError as e:
        return e.message
    return ""
