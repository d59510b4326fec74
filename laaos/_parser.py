"""Pure-Python log parser: the twin of ``LogParser`` in ``src_ext/parser.pxi``.

The loader never executes log text.  Each statement is tokenized and parsed by hand
into one operation on plain dicts, lists and sets; only literals, ``set()``,
``float('nan'/'inf')``, ``complex(r, i)``, unary minus and the caller's symbols
(attributes and calls with literal arguments) are accepted.

A statement counts only once it is complete and followed by its newline: ``feed`` keeps
an incomplete tail back until more bytes arrive, and ``finish`` reports it as torn.
The native parser handles the common statements itself and hands every other one to
``LogParser.statement`` here, so both backends share the same rules and errors.
"""

from __future__ import annotations

import codecs
import re
from typing import Any, Dict, List, Optional, Tuple

from .errors import (
    CorruptLogError,
    LogError,
    LogLimitError,
    LogSyntaxError,
    UnknownSymbolError,
    UnsafeLogError,
)

MAX_DEPTH = 100  # nesting of brackets in one statement
MAX_STATEMENT_BYTES = 64 << 20  # one statement, multi-line ones included
MAX_NUMBER_CHARS = 4301  # Python's own int limit (4300 digits), plus a sign

# Operation kinds, shared with the native parser.
ROOT, SET, DELETE, APPEND, INSERT, EXTEND, CLEAR, ADD, DISCARD = range(9)
_METHODS = {
    "append": (APPEND, list, 1),
    "insert": (INSERT, list, 2),
    "extend": (EXTEND, list, 1),
    "clear": (CLEAR, None, 0),
    "add": (ADD, set, 1),
    "discard": (DISCARD, set, 1),
}
# Statements after which a cached target may point at a replaced container.
_RESHAPING = frozenset((ROOT, DELETE, INSERT, CLEAR))

_TOKEN = re.compile(
    r"""
     (?P<ws>[ \t\f\r]+|\#[^\n]*)
    |(?P<num>(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][+-]?[0-9][0-9_]*)?[jJ]?)
    |(?P<str>[A-Za-z]{0,2}(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"))
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<op>[\[\](){}.,:=+\-])
    |(?P<bad>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_KEYWORDS = {
    "import": "import",
    "from": "import",
    "lambda": "lambda",
    "for": "comprehension",
    "async": "comprehension",
    "if": "conditional expression",
    "else": "conditional expression",
    "def": "function definition",
    "class": "class definition",
    "not": "operator 'not'",
    "and": "operator 'and'",
    "or": "operator 'or'",
    "in": "operator 'in'",
    "is": "operator 'is'",
    "await": "await",
    "yield": "yield",
    "global": "global",
    "nonlocal": "nonlocal",
    "exec": "exec",
    "eval": "eval",
}
_CONSTANTS = {"None": None, "True": True, "False": False}
_FLOAT_WORDS = {"nan", "inf", "-inf", "+inf", "infinity", "-infinity", "+infinity", "-nan", "+nan"}
_DIGITS = frozenset("0123456789")
_MISS = object()
_STATEMENT_STARTS = ("store", "del ")


def fast_value(s: str) -> Any:
    """The value of a simple literal (number, plain string, None/True/False), else ``_MISS``.

    Exactly what the general parser gives for the same text, only faster; the native
    parser has the same shortcut in C.
    """
    c = s[:1]
    if c in _DIGITS or c == "-":
        if s[-1] in _DIGITS and s.isascii():
            try:
                if "." in s or "e" in s or "E" in s:
                    return float(s)
                digits = s[1:] if c == "-" else s
                if "_" not in s and (digits[0] != "0" or len(digits) == 1):
                    return int(s)
            except ValueError:
                pass
        return _MISS
    if c == "'" and len(s) >= 2 and s[-1] == "'":
        body = s[1:-1]
        if "'" not in body and "\\" not in body and "\n" not in body:
            return body
        return _MISS
    return _CONSTANTS.get(s, _MISS) if len(s) < 6 else _MISS


class LogParser:
    """Parses a log fed as bytes, one complete statement at a time.

    ``feed(data)`` applies every complete statement in ``data`` (plus what an earlier
    call held back); ``finish()`` ends the log and returns the store.  Afterwards:
    ``statements`` (applied), ``lines``, ``valid_bytes`` (the prefix that holds whole
    statements), ``pending`` (the held-back incomplete tail) and ``skipped``.
    """

    def __init__(
        self,
        name: str = "<string>",
        symbols: Optional[Dict[str, Any]] = None,
        skip_errors: bool = False,
        max_statement_bytes: int = MAX_STATEMENT_BYTES,
    ):
        self.name = name
        self.symbols = dict(symbols or {})
        self.skip_errors = skip_errors
        self.max_statement_bytes = max_statement_bytes
        self.root: Optional[dict] = None
        self.statements = 0
        self.lines = 0
        self._complete_bytes = 0  # bytes of whole lines fed (and a BOM)
        self.skipped: List[Tuple[int, str]] = []
        self._pending = b""
        self._started = False
        self._open: Optional[list] = None  # tokens of a multi-line statement so far
        self._open_line = 0
        self._open_depth = 0
        self._open_bytes = 0
        # head text ("store['a'].append(", "store['a']['b']=") -> (kind, container, key)
        self.heads: Dict[str, tuple] = {}

    # ---- feeding -------------------------------------------------------------------

    @property
    def pending(self) -> bytes:
        return self._pending

    @property
    def valid_bytes(self) -> int:
        """Length of the prefix that holds only whole statements."""
        return self._complete_bytes - self.open_bytes

    def feed(self, data: bytes) -> None:
        buf = self._pending + bytes(data) if self._pending else bytes(data)
        if not self._started:
            if len(buf) < 3 and b"\xef\xbb\xbf".startswith(buf):
                self._pending = buf
                return
            self._started = True
            if buf.startswith(b"\xef\xbb\xbf"):
                buf = buf[3:]
                self._complete_bytes += 3
        end = buf.rfind(b"\n") + 1
        if end == 0:
            self._pending = buf
            self._check_size(len(buf))
            return
        self._pending = buf[end:]
        self._check_size(len(self._pending))
        chunk = buf[:end]
        base = self.lines
        run = self.line
        try:
            lines = chunk.decode("utf-8").split("\n")
        except UnicodeDecodeError:
            lines = chunk.split(b"\n")  # decoded line by line below, errors in line order
        lines.pop()  # the empty string after the last newline
        if type(lines[0]) is str:
            for i, line in enumerate(lines, base + 1):
                run(line, i)
        else:
            for i, raw in enumerate(lines, base + 1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as e:
                    self._fail(LogSyntaxError, f"invalid UTF-8 at byte {e.start} of the line", i)
                    continue
                run(line, i)
        self.lines = base + len(lines)
        self._complete_bytes += end

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
        # Fast path: a statement whose head was seen before.
        p = line.find("(")
        entry = self.heads.get(line[: p + 1]) if p > 0 else None
        if entry is not None and line[-1:] == ")":
            value = fast_value(line[p + 1 : -1])
            if value is not _MISS:
                if entry[0] == APPEND:
                    entry[1].append(value)
                    self.statements += 1
                else:
                    self._apply_cached(entry, value, lineno)
                return
        elif entry is None:
            q = line.find("=")
            entry = self.heads.get(line[: q + 1]) if q > 0 else None
            if entry is not None:
                value = fast_value(line[q + 1 :].strip())
                if value is not _MISS:
                    self._apply_cached(entry, value, lineno)
                    return
        self.statement(line, lineno)

    def _apply_cached(self, entry: tuple, value: Any, lineno: int) -> None:
        try:
            self._apply(entry[0], entry[1], entry[2], value, lineno)
        except LogError as e:
            self._fail(type(e), e.message, lineno, e.construct)
            return
        self.statements += 1

    def statement(self, line: str, lineno: int) -> None:
        """The general path: tokenize and parse one line (or start a multi-line one)."""
        if len(line) > self.max_statement_bytes:
            self._fail(
                LogLimitError,
                f"a statement of more than {self.max_statement_bytes} bytes "
                "(raise max_statement_bytes= to load it)",
                lineno,
                "huge statement",
            )
            return
        try:
            tokens, depth = self._tokenize(line, lineno, 0)
        except LogError as e:
            self._fail(type(e), e.message, lineno, e.construct)
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
            self._fail(CorruptLogError, "incomplete statement (torn by a crash?)", start)
            self.line(line, lineno)
            return
        self._open_bytes += len(line.encode("utf-8")) + 1
        if self._open_bytes > self.max_statement_bytes:
            self._open = None
            self._fail(
                LogLimitError,
                f"a statement of more than {self.max_statement_bytes} bytes "
                "(raise max_statement_bytes= to load it)",
                self._open_line,
                "huge statement",
            )
            return
        try:
            tokens, depth = self._tokenize(line, lineno, self._open_depth)
        except LogError as e:
            self._open = None
            self._fail(type(e), e.message, lineno, e.construct)
            return
        self._open.extend(tokens)
        self._open_depth = depth
        if depth == 0:
            tokens, start = self._open, self._open_line
            self._open = None
            self._run(tokens, None, start)

    def _fail(self, cls, message: str, lineno: int, construct: str = "") -> None:
        if not self.skip_errors:
            raise cls(message, self.name, lineno, construct)
        self.skipped.append((lineno, message))

    # ---- tokens --------------------------------------------------------------------------

    def _tokenize(self, line: str, lineno: int, depth: int) -> Tuple[list, int]:
        tokens = []
        append = tokens.append
        for m in _TOKEN.finditer(line):
            kind = m.lastgroup
            text = m.group()
            if kind == "ws":
                continue
            if kind == "op":
                if text in _OPENERS:
                    depth += 1
                    if depth > MAX_DEPTH:
                        raise LogLimitError(
                            f"nesting deeper than {MAX_DEPTH} levels", self.name, lineno, "deep nesting"
                        )
                elif text in ")]}":
                    depth -= 1
                    if depth < 0:
                        raise LogSyntaxError(f"unmatched {text!r}", self.name, lineno, text)
                append(("op", text, m.start()))
            elif kind == "num":
                if len(text) > MAX_NUMBER_CHARS:
                    raise LogLimitError(
                        f"a number of {len(text)} digits (the limit is {MAX_NUMBER_CHARS - 1})",
                        self.name,
                        lineno,
                        "huge number",
                    )
                append(("num", text, m.start()))
            elif kind == "str":
                append(("str", self._string(text, lineno), m.start()))
            elif kind == "name":
                append(("name", text, m.start()))
            else:
                if text in "'\"":
                    raise LogSyntaxError("unterminated string", self.name, lineno, "string")
                if text == ";":
                    raise LogSyntaxError("';' (one statement per line)", self.name, lineno, ";")
                if text in "*/%@<>|&^~!":
                    raise UnsafeLogError(
                        f"operator {text!r} is not allowed", self.name, lineno, f"operator {text!r}"
                    )
                raise LogSyntaxError(f"unexpected character {text!r}", self.name, lineno, text)
        return tokens, depth

    def _string(self, text: str, lineno: int) -> Any:
        q = text.find(text[-1])
        prefix, body = text[:q].lower(), text[q + 1 : -1]
        if "f" in prefix:
            raise UnsafeLogError("f-strings are not allowed", self.name, lineno, "f-string")
        if prefix not in ("", "b", "u"):
            raise LogSyntaxError(f"string prefix {prefix!r} is not supported", self.name, lineno, prefix)
        try:
            if prefix == "b":
                if not body.isascii():
                    raise ValueError("bytes can only contain ASCII literal characters")
                return codecs.escape_decode(body.encode("ascii"))[0]
            if "\\" not in body:
                return body
            if "\\N" in body.replace("\\\\", ""):
                raise ValueError("\\N{...} escapes are not supported")
            return body.encode("latin-1", "backslashreplace").decode("unicode_escape")
        except (ValueError, UnicodeError) as e:
            raise LogSyntaxError(f"bad string literal: {e}", self.name, lineno, "string") from None

    # ---- statements ----------------------------------------------------------------------

    def _run(self, tokens: list, line: Optional[str], lineno: int) -> None:
        try:
            kind, target, key, value, head_end = _Statement(self, tokens, lineno).parse()
            self._apply(kind, target, key, value, lineno)
        except LogError as e:
            self._fail(type(e), e.message, lineno, e.construct)
            return
        self.statements += 1
        # Remember the head so the next statement like it skips the general path.
        if line is not None and head_end and kind not in _RESHAPING:
            mark = line[head_end - 1]
            if line.find(mark) == head_end - 1:
                self.heads[line[:head_end]] = (kind, target, key)

    def _apply(self, kind: int, target: Any, key: Any, value: Any, lineno: int) -> None:
        if kind == APPEND:
            target.append(value)
            return
        if kind == SET:
            if type(target) is not list and type(target) is not dict:
                raise CorruptLogError(
                    f"cannot set {key!r} on a {type(target).__name__}", self.name, lineno
                )
            try:
                old = target[key] if type(target) is list else target.get(key)
                target[key] = value
            except (IndexError, TypeError) as e:
                raise CorruptLogError(f"cannot set {key!r}: {e}", self.name, lineno) from None
            if type(old) in (list, dict, set):
                self.heads.clear()
            return
        if kind == ROOT:
            if type(value) is not dict:
                raise LogSyntaxError(
                    f"the store must be a dict, not {type(value).__name__}", self.name, lineno
                )
            self.root = value
        elif self.root is None:
            raise CorruptLogError("a statement before `store = ...`", self.name, lineno)
        elif kind == DELETE:
            try:
                del target[key]
            except (IndexError, KeyError, TypeError) as e:
                raise CorruptLogError(f"cannot delete {key!r}: {e!r}", self.name, lineno) from None
        elif kind == INSERT:
            target.insert(key, value)
        elif kind == EXTEND:
            target.extend(value)
        elif kind == CLEAR:
            target.clear()
        elif kind == ADD:
            target.add(value)
        elif kind == DISCARD:
            target.discard(value)
        if kind in _RESHAPING:
            self.heads.clear()


class _Statement:
    """Recursive-descent parser of one statement's tokens."""

    __slots__ = ("p", "toks", "i", "n", "lineno")

    def __init__(self, parser: LogParser, toks: list, lineno: int):
        self.p = parser
        self.toks = toks
        self.i = 0
        self.n = len(toks)
        self.lineno = lineno

    def err(self, cls, message: str, construct: str = ""):
        return cls(message, self.p.name, self.lineno, construct)

    def peek(self):
        return self.toks[self.i] if self.i < self.n else ("end", "", -1)

    def take(self):
        tok = self.peek()
        self.i += 1
        return tok

    def expect(self, text: str) -> None:
        tok = self.take()
        if tok[1] != text or tok[0] != "op":
            raise self.describe(tok, f"expected {text!r}")

    def describe(self, tok, expected: str) -> LogError:
        kind, text, _ = tok
        if kind == "name" and text in _KEYWORDS:
            construct = _KEYWORDS[text]
            return self.err(UnsafeLogError, f"{construct} is not allowed", construct)
        if kind == "op" and text in "+-=":
            return self.err(UnsafeLogError, f"operator {text!r} is not allowed", f"operator {text!r}")
        if kind == "end":
            return self.err(LogSyntaxError, f"{expected}, found the end of the statement")
        shown = repr(text) if kind != "str" else "a string"
        return self.err(LogSyntaxError, f"{expected}, found {shown}")

    # statement := 'store' '=' expr | 'del' target | target '=' expr | target '.' NAME '(' args ')'
    def parse(self):
        kind, text, _ = self.take()
        if kind == "name" and text == "del":
            target, key = self.target(need_key=True)
            self.end()
            return DELETE, target, key, None, 0
        if kind != "name" or text != "store":
            raise self.describe((kind, text, 0), "expected a statement on `store`")
        if self.peek()[1] == "=":
            self.take()
            value = self.expr(0)
            self.end()
            return ROOT, None, None, value, 0
        self.i -= 1
        target, key = self.target(need_key=False)
        tok = self.take()
        if tok[0] == "op" and tok[1] == "=" and key is not _MISS:
            head_end = tok[2] + 1
            value = self.expr(0)
            self.end()
            return SET, target, key, value, head_end
        if key is not _MISS:
            target = self.item(target, key)
        if tok[0] != "op" or tok[1] != ".":
            raise self.describe(tok, "expected '=' or a method call")
        kind, name, _ = self.take()
        if kind != "name" or name not in _METHODS:
            raise self.err(
                UnsafeLogError, f"method {name!r} is not allowed", f"method {name!r}"
            )
        op, container_type, nargs = _METHODS[name]
        tok = self.take()
        if tok[1] != "(" or tok[0] != "op":
            raise self.describe(tok, "expected '('")
        head_end = tok[2] + 1
        args = self.args(")")
        self.end()
        if container_type is not None and type(target) is not container_type:
            raise self.err(
                CorruptLogError, f".{name}() on a {type(target).__name__}, not a {container_type.__name__}"
            )
        if type(target) not in (list, dict, set):
            raise self.err(CorruptLogError, f".{name}() on a {type(target).__name__}")
        if len(args) != nargs:
            raise self.err(LogSyntaxError, f".{name}() takes {nargs} argument(s), got {len(args)}")
        if op == INSERT:
            if type(args[0]) is not int:
                raise self.err(LogSyntaxError, "insert() needs an int index")
            return INSERT, target, args[0], args[1], 0
        if op == EXTEND and type(args[0]) not in (list, tuple):
            raise self.err(LogSyntaxError, "extend() needs a list")
        if op in (ADD, DISCARD):
            self.hashable(args[0])
        return op, target, None, (args[0] if args else None), head_end

    def end(self) -> None:
        if self.i < self.n:
            raise self.describe(self.take(), "expected the end of the statement")

    def target(self, need_key: bool):
        tok = self.take()
        if tok[0] != "name" or tok[1] != "store":
            raise self.describe(tok, "expected `store`")
        container = self.p.root
        if container is None:
            raise self.err(CorruptLogError, "a statement before `store = ...`")
        key = _MISS
        while self.peek()[1] == "[" and self.peek()[0] == "op":
            self.take()
            if key is not _MISS:
                container = self.item(container, key)
            key = self.expr(0)
            self.expect("]")
        if need_key and key is _MISS:
            raise self.err(LogSyntaxError, "`del store` is not a statement laaos writes")
        return container, key

    def item(self, container: Any, key: Any) -> Any:
        if type(container) not in (list, dict):
            raise self.err(CorruptLogError, f"cannot index a {type(container).__name__} with {key!r}")
        try:
            return container[key]
        except (KeyError, IndexError, TypeError) as e:
            raise self.err(CorruptLogError, f"no item {key!r} in the store ({type(e).__name__})") from None

    def hashable(self, value: Any) -> None:
        try:
            hash(value)
        except TypeError:
            raise self.err(LogSyntaxError, f"unhashable key or set element: {type(value).__name__}") from None

    def args(self, close: str, depth: int = 0) -> list:
        out: list = []
        while True:
            if self.peek()[1] == close and self.peek()[0] == "op":
                self.take()
                return out
            out.append(self.expr(depth + 1))
            tok = self.take()
            if tok[1] == close and tok[0] == "op":
                return out
            if tok[1] != "," or tok[0] != "op":
                raise self.describe(tok, f"expected ',' or {close!r}")

    def expr(self, depth: int) -> Any:
        start = self.i
        value = self.unary(depth)
        # real +/- imaginary, as repr writes a complex: the only binary operators allowed,
        # and only between number literals.
        if self.toks[self.i - 1][0] == "num" and all(t[1] == "-" for t in self.toks[start : self.i - 1]):
            tok = self.peek()
            if tok[0] == "op" and tok[1] in ("+", "-") and type(value) is not complex:
                nxt = self.toks[self.i + 1] if self.i + 1 < self.n else ("end", "", -1)
                if nxt[0] == "num" and nxt[1][-1] in "jJ":
                    self.i += 2
                    imag = self.number(nxt[1])
                    try:
                        return value + imag if tok[1] == "+" else value - imag
                    except OverflowError:  # an int too large to be a complex's real part
                        raise self.err(
                            LogLimitError, "a number too large for a complex", "huge number"
                        ) from None
        return value

    def unary(self, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise self.err(LogLimitError, f"nesting deeper than {MAX_DEPTH} levels", "deep nesting")
        kind, text, _ = self.take()
        if kind == "num":
            return self.number(text)
        if kind == "str":
            if self.peek()[0] == "str":
                raise self.err(LogSyntaxError, "implicit string concatenation", "string concatenation")
            return text
        if kind == "op":
            if text == "-":
                value = self.unary(depth + 1)
                if type(value) not in (int, float, complex):
                    raise self.err(UnsafeLogError, "unary minus on a non-number", "operator '-'")
                return -value
            if text == "[":
                return self.args("]", depth)
            if text == "(":
                if self.peek()[1] == ")" and self.peek()[0] == "op":
                    self.take()
                    return ()
                first = self.expr(depth + 1)
                tok = self.take()
                if tok[1] == ")" and tok[0] == "op":
                    return first
                if tok[1] != "," or tok[0] != "op":
                    raise self.describe(tok, "expected ',' or ')'")
                return tuple([first] + self.args(")", depth))
            if text == "{":
                return self.braces(depth)
            raise self.describe((kind, text, 0), "expected a value")
        if kind == "name":
            if text in _CONSTANTS:
                return _CONSTANTS[text]
            return self.symbol(text, depth)
        raise self.describe((kind, text, 0), "expected a value")

    def number(self, text: str) -> Any:
        try:
            if text[-1] in "jJ":
                return complex(0.0, float(text[:-1]))
            if "." in text or "e" in text or "E" in text:
                return float(text)
            if len(text) > 1 and text[0] == "0" and text.strip("0_"):
                raise ValueError("leading zeros")
            return int(text)
        except ValueError as e:
            raise self.err(LogSyntaxError, f"bad number {text!r}: {e}", "number") from None

    def braces(self, depth: int) -> Any:
        if self.peek()[1] == "}" and self.peek()[0] == "op":
            self.take()
            return {}
        first = self.expr(depth + 1)
        tok = self.take()
        if tok[1] == ":" and tok[0] == "op":
            result: Dict[Any, Any] = {}
            key = first
            while True:
                self.hashable(key)
                result[key] = self.expr(depth + 1)
                tok = self.take()
                if tok[1] == "}" and tok[0] == "op":
                    return result
                if tok[1] != "," or tok[0] != "op":
                    raise self.describe(tok, "expected ',' or '}'")
                if self.peek()[1] == "}" and self.peek()[0] == "op":
                    self.take()
                    return result
                key = self.expr(depth + 1)
                self.expect(":")
        items = [first]
        if not (tok[1] == "}" and tok[0] == "op"):
            if tok[1] != "," or tok[0] != "op":
                raise self.describe(tok, "expected ',' or '}'")
            items += self.args("}", depth)
        for item in items:
            self.hashable(item)
        return set(items)

    def symbol(self, name: str, depth: int) -> Any:
        if name in _KEYWORDS:
            construct = _KEYWORDS[name]
            raise self.err(UnsafeLogError, f"{construct} is not allowed", construct)
        builtin = name in ("set", "float", "complex") and name not in self.p.symbols
        if builtin:
            obj: Any = None
        elif name in self.p.symbols:
            obj = self.p.symbols[name]
        else:
            # A plain name could be a symbol the writer's handlers used (a healthy log
            # loaded without them); a dunder name never is.
            raise self.err(
                UnsafeLogError if name.startswith("_") else UnknownSymbolError,
                f"name {name!r} is not allowed (pass it in exposed_symbols= or extra_mappings=)",
                f"name {name!r}",
            )
        while self.peek()[1] == "." and self.peek()[0] == "op":
            self.take()
            kind, attr, _ = self.take()
            if kind != "name":
                raise self.describe((kind, attr, 0), "expected an attribute name")
            if attr.startswith("_"):
                raise self.err(
                    UnsafeLogError, f"attribute {attr!r} is not allowed", "dunder attribute"
                )
            if builtin:
                raise self.err(UnsafeLogError, f"attribute {name}.{attr} is not allowed", "attribute")
            try:
                obj = getattr(obj, attr)
            except AttributeError:
                raise self.err(LogSyntaxError, f"{name} has no attribute {attr!r}") from None
            name = f"{name}.{attr}"
        if not (self.peek()[1] == "(" and self.peek()[0] == "op"):
            if builtin:
                raise self.err(UnsafeLogError, f"name {name!r} is only allowed as a call", f"name {name!r}")
            return obj
        self.take()
        args, kwargs = self.call_args(depth)
        if builtin:
            return self.builtin(name, args, kwargs)
        try:
            return obj(*args, **kwargs)
        except Exception as e:
            raise self.err(LogSyntaxError, f"{name}(...) raised {e!r}", "call") from None

    def call_args(self, depth: int):
        args: list = []
        kwargs: Dict[str, Any] = {}
        while True:
            tok = self.peek()
            if tok[1] == ")" and tok[0] == "op":
                self.take()
                return args, kwargs
            nxt = self.toks[self.i + 1] if self.i + 1 < self.n else ("end", "", -1)
            if tok[0] == "name" and nxt[0] == "op" and nxt[1] == "=":
                self.i += 2
                kwargs[tok[1]] = self.expr(depth + 1)
            else:
                args.append(self.expr(depth + 1))
            tok = self.take()
            if tok[1] == ")" and tok[0] == "op":
                return args, kwargs
            if tok[1] != "," or tok[0] != "op":
                raise self.describe(tok, "expected ',' or ')'")

    def builtin(self, name: str, args: list, kwargs: dict) -> Any:
        if not kwargs:
            if name == "set" and len(args) <= 1:
                if not args:
                    return set()
                if type(args[0]) in (list, tuple, set):
                    for item in args[0]:
                        self.hashable(item)
                    return set(args[0])
            elif name == "float" and len(args) == 1 and type(args[0]) is str:
                if args[0].strip().lower() in _FLOAT_WORDS:
                    return float(args[0])
            elif name == "complex" and len(args) == 2:
                if all(type(a) in (int, float) for a in args):
                    return complex(args[0], args[1])
        raise self.err(
            UnsafeLogError,
            f"this call of {name}() is not allowed (only set(), set([...]), "
            "float('nan'/'inf') and complex(real, imag))",
            f"call of {name}()",
        )


class _Anything:
    """Stands for any exposed symbol when only the shape of an expression is checked."""

    def __getattr__(self, name: str) -> "_Anything":
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> "_Anything":
        return self


class _AnyName(dict):
    def __contains__(self, name: object) -> bool:
        return True

    def __missing__(self, name: str) -> _Anything:
        return _Anything()


def parse_value(parser: LogParser, text: str, lineno: int = 1) -> Any:
    """Parse ``text`` as one value expression under ``parser``'s rules and symbols."""
    tokens, depth = parser._tokenize(text, lineno, 0)
    if depth:
        raise LogSyntaxError("unbalanced brackets", parser.name, lineno)
    st = _Statement(parser, tokens, lineno)
    value = st.expr(0)
    st.end()
    return value


def check_expression(text: str) -> str:
    """Why the loader would refuse ``text`` as a value, or ``""`` if it would accept it
    (given the right symbols)."""
    parser = LogParser("<rendered value>")
    parser.symbols = _AnyName()
    try:
        parse_value(parser, text)
    except LogError as e:
        return e.message
    return ""
