"""Tokens and literals of the log format: the tokenizer, string scanning (the limits:
``laaos._limits``).

Both backends share these rules.  Strings and bytes are *scanned* (find the closing
quote, skipping escapes) and decoded with the codecs Python itself uses, never matched by
a backtracking regex: a literal of N bytes costs O(N) time and a few N of memory.
"""

from __future__ import annotations

import codecs
import re
from typing import Any, List, Tuple

from ._limits import HASH_MODULUS, MAX_DEPTH, MAX_NUMBER_CHARS, MAX_NUMBER_TOKEN
from .errors import LogError, LogLimitError, LogSyntaxError, UnsafeLogError


class LazyPattern:
    """A regex compiled at its first use, which then takes its own place as ``name`` in
    ``namespace`` (a module's globals): a store that never reads a log, or a log that
    never needs this pattern, does not pay its compilation, and later lookups of the
    name get the compiled pattern itself."""

    def __init__(self, namespace: dict, name: str, pattern: str, flags: int = 0):
        self.namespace, self.name, self.pattern, self.flags = namespace, name, pattern, flags
        self.compiled: dict = {}

    def __getattr__(self, attribute: str) -> Any:
        # (setdefault: threads that race here all get one and the same compiled pattern,
        # which `match.re is PATTERN` tests rely on)
        compiled = self.compiled.setdefault(0, re.compile(self.pattern, self.flags))
        self.namespace[self.name] = compiled
        return getattr(compiled, attribute)

# A quote (with a prefix of up to two letters) starts a string; its end is found by
# scan_string, not by this regex.
_TOKEN = LazyPattern(
    globals(),
    "_TOKEN",
    r"""
     (?P<ws>[ \t\f\r]+|\#[^\n]*)
    |(?P<num>(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][+-]?[0-9][0-9_]*)?[jJ]?)
    |(?P<quote>[A-Za-z]{0,2}['"])
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<op>[\[\](){}.,:=+\-])
    |(?P<bad>.)
    """,
    re.VERBOSE | re.DOTALL,
)
# A flat list of plain numbers as repr writes it ("[0.5, 1e-05, -2.0]"): read in bulk in
# value position, since per-sample data is long lists of floats.
_INT = r"-?(?:0|[1-9][0-9]{0,17})"
# (bounded so that no token it takes is longer than the loader's limit on numbers: a
# longer one goes to the general path, which refuses it wherever it stands)
_FLOAT = r"-?[0-9]{1,2000}(?:\.[0-9]{1,2000}(?:e[+-]?[0-9]{1,4})?|e[+-]?[0-9]{1,4})"
_INT_LIST = LazyPattern(globals(), "_INT_LIST", rf"\[({_INT}(?:, {_INT})*)\]")
_FLOAT_LIST = LazyPattern(globals(), "_FLOAT_LIST", rf"\[({_FLOAT}(?:, {_FLOAT})*)\]")
_AFTER_VALUE_START = frozenset("=(,[{:")  # ops after which '[' opens a list, not a subscript
OPENERS = {"(": ")", "[": "]", "{": "}"}
CONSTANTS = {"None": None, "True": True, "False": False}
# What float() accepts from a log: float('nan'), float('-inf'), ...
FLOAT_WORDS = {"nan", "inf", "-inf", "+inf", "infinity", "-infinity", "+infinity", "-nan", "+nan"}
# laaos 2.1.1 wrote non-finite floats as bare `nan` and `inf` (and `-inf`), and complex
# numbers with a non-finite part as repr does: `infj`, `-nanj`, `(inf+1j)`, `(1-infj)`.
LEGACY_FLOATS = {"nan": float("nan"), "inf": float("inf")}
LEGACY_IMAGINARY = {"infj": complex(0.0, float("inf")), "nanj": complex(0.0, float("nan"))}
_DIGITS = frozenset("0123456789")
MISS = object()  # "not a simple literal": the caller takes the general path

# A literal value in the subset that JSON reads the same way (lists, dicts with string
# keys, strings, finite numbers in JSON's grammar, None/True/False) is translated to JSON
# and read by the json module's C scanner: tens of times faster than the tokenizer and the
# recursive-descent parser below, which stay the reference for everything else (and for
# every error).  Outside its strings, such a literal holds only these (and no number
# longer than the tokenizer's limit on one), a run of separators matched at once:
_JSON_OUTSIDE = LazyPattern(
    globals(),
    "_JSON_OUTSIDE",
    r"(?:[\[\]{},: \x00]*(?:[0-9.eE+\-]{1,%d}(?![0-9.eE+\-])|None|True|False))*[\[\]{},: \x00]*"
    % MAX_NUMBER_CHARS,
)
_QUOTE = LazyPattern(globals(), "_QUOTE", "['\"]")
# (text whose escapes JSON reads as Python does)
_JSON_ESCAPES = LazyPattern(globals(), "_JSON_ESCAPES", r'[^\\]*(?:\\[\\nrtbf"][^\\]*)*')
_NOT_BRACKET = LazyPattern(globals(), "_NOT_BRACKET", r"[^\[\]{}]+")
# (These patterns, like the parser's, are written so that no part can match the same text
# two ways: linear time without the possessive quantifiers Python 3.9 and 3.10 lack.)
# A value with at most this many brackets, or nested at most 80 deep, is far inside
# MAX_DEPTH wherever it stands (an append's argument is one level deeper than a set's
# value); deeper values take the general path, which applies the limit.
_JSON_DEPTH = 64


def chosen_hash(key: Any) -> bool:
    """Whether a log's author can give many distinct ``key``s one hash: anything but str
    and bytes (whose hashes Python randomises per process), None, bools and the ints
    inside the hash modulus (which hash to themselves).  Floats, big ints, complex
    numbers and tuples of numbers hash by public arithmetic."""
    t = type(key)
    if t is int:
        return not -HASH_MODULUS < key < HASH_MODULUS
    return not (t is str or t is bytes or t is bool or key is None)


def equal_hashes_message(limit: int, what: str) -> str:
    """The message of a refused hash flood: ``what`` is "keys of one dict" or the like."""
    return f"more than {limit} {what} share one hash (a hash flood; raise max_equal_hashes= to load it)"


def _no_constant(name: str) -> Any:
    raise ValueError(name)  # NaN, Infinity: not Python literals


def _json_scan(text: str, start: int) -> Any:
    """The json module's scanner (made, with the json import, at the first use: then it
    takes this function's place)."""
    _make_json()
    return _json_scan(text, start)


def _json_string(text: str) -> str:
    """``text`` as a JSON string (as ``_json_scan``, made at the first use)."""
    _make_json()
    return _json_string(text)


def _make_json() -> None:
    """Put the json module's scanner and encoder in place of the two functions above
    (threads that race here make equal ones)."""
    global _json_scan, _json_string
    import json

    _json_scan = json.JSONDecoder(strict=False, parse_constant=_no_constant).scan_once
    _json_string = json.JSONEncoder(ensure_ascii=False).encode


def _split_strings(s: str) -> Any:
    """``[outside, string, outside, ..., outside]`` (strings with their quotes), or None
    for an unterminated string."""
    parts = []
    pos = 0
    search = _QUOTE.search
    while True:
        m = search(s, pos)
        if m is None:
            parts.append(s[pos:])
            return parts
        i = m.start()
        close = scan_string(s, i + 1, s[i])
        if close < 0:
            return None
        parts.append(s[pos:i])
        parts.append(s[i : close + 1])
        pos = close + 1


def _json_str(token: str) -> str:
    """A Python str literal (quotes included, no prefix, no NUL) as a JSON string, or ""
    if its escapes are not ones the general path reads the same way."""
    body = token[1:-1]
    if "\\" not in body:
        if token[0] == '"':
            return token
        return '"' + body.replace('"', '\\"') + '"'
    # Python and JSON read \\ \" \n \r \t \b \f alike; \' becomes a plain quote.  Taking
    # it out without telling pairs apart is safe: where its backslash ends a pair ("\\'"),
    # "\'" is left, which the check refuses.  Any other escape: decoded, written as JSON.
    t = body.replace("\\'", "'") if "\\'" in body else body
    if _JSON_ESCAPES.fullmatch(t) is not None and not (token[0] == "'" and '"' in t):
        return '"' + t + '"'
    try:
        return _json_string(decode_string("", body, "", 0))
    except LogError:
        return ""


def json_literal(s: str) -> Any:
    """The value of the literal ``s`` (no surrounding spaces) if it is in the subset that
    JSON reads the same way, else ``MISS``.  Exactly what the general parser gives."""
    if "\x00" in s:
        return MISS
    if len(s) > LONG_LITERAL and "\\" in s:
        return MISS  # a long literal with escapes: the tokenizer decodes it in slices, in less memory
    if "\\" in s or '"' in s:
        parts = _split_strings(s)
        if parts is None:
            return MISS
        strings = [_json_str(t) for t in parts[1::2]]
        if "" in strings:
            return MISS
        parts[1::2] = strings
        outside = "\x00".join(parts[0::2])
        join = ""
    else:  # single-quoted strings without escapes: every other piece is a string's text
        parts = s.split("'")
        if not len(parts) & 1:
            return MISS
        outside = "\x00".join(parts[0::2])
        join = '"'
    if _JSON_OUTSIDE.fullmatch(outside) is None:
        return MISS
    if outside.count("[") + outside.count("{") > _JSON_DEPTH:
        brackets = _NOT_BRACKET.sub("", outside)
        for _ in range(40):  # each round removes one or two levels
            brackets = brackets.replace("[]", "").replace("{}", "")
        if brackets:
            return MISS
    if "N" in outside or "T" in outside or "F" in outside:
        outside = outside.replace("None", "null").replace("True", "true").replace("False", "false")
    parts[0::2] = outside.split("\x00")
    text = join.join(parts)
    try:
        value, end = _json_scan(text, 0)
    except (StopIteration, ValueError):
        return MISS
    return value if end == len(text) else MISS


def scan_string(line: str, start: int, quote: str, pairs: bool = True) -> int:
    """The index of the quote that closes a string whose body starts at ``start``, or -1.

    A quote closes the string unless an odd run of backslashes precedes it.  The first
    quote with no backslash before it is found by a regex at the speed of a character
    search; only quotes after two or more backslashes before it are looked at one by one
    (``pairs=False``: not looked at, so the index is where the string ends *or after*).
    Linear in the literal's length, whatever the density of escaped quotes.
    """
    find = line.find
    j = find(quote, start)
    if j <= start or line[j - 1] != "\\":
        return j
    bare = _BARE_QUOTE.get(quote)
    if bare is None:  # (compiled at first use: most logs never need it)
        bare = _BARE_QUOTE[quote] = re.compile(quote + r"(?<!\\" + quote + ")").search
    m = bare(line, j + 1)
    if not pairs:
        return -1 if m is None else m.start()
    limit = m.start() if m is not None else len(line)
    pair = "\\\\" + quote
    k = find(pair, start, limit)
    while k >= 0:
        close = k + 2
        i = k
        while i > start and line[i - 1] == "\\":
            i -= 1
        if (close - i) % 2 == 0:
            return close
        k = find(pair, close + 1, limit)
    return limit if m is not None else -1


_BARE_QUOTE: dict = {}  # quote -> search for one with no backslash before it


def _long_string_end(line: str, start: int, quote: str) -> int:
    """Where a string whose body starts at ``start`` seems to end, at or after its end
    (for ``decode_string(..., closes=quote)`` to check): the quote that ends the line
    but for closing parentheses and spaces, since a long value is most often the last
    on its line (``store[K]=b'...'``, ``.append('...')``); else the first quote with no
    backslash before it."""
    k = len(line) - 1
    last = max(k - 64, start)
    while k > last and line[k] in " \t\f\r)":
        k -= 1
    if k > start and line[k] == quote:
        return k
    return scan_string(line, start, quote, pairs=False)


def decode_string(
    prefix: str, body: str, name: str, lineno: int, start: int = 0, stop: Any = None, closes: str = ""
) -> Any:
    """The value of a string literal: ``prefix`` (as written) and the text between the
    quotes, ``body[start:stop]`` (a long literal is decoded in slices, never copied whole).

    ``closes``: the literal's quote, where ``stop`` is only known to be at or after its
    end (``scan_string(..., pairs=False)``): ``ClosesEarlier`` if the string may end
    before ``stop`` (or its text may be one that Python warns about or refuses), found
    in the passes that decode it."""
    prefix = prefix.lower()
    if "f" in prefix:
        raise UnsafeLogError("f-strings are not allowed", name, lineno, "f-string")
    if prefix not in ("", "b", "u"):
        raise LogSyntaxError(f"string prefix {prefix!r} is not supported", name, lineno, prefix)
    if stop is None:
        stop = len(body)
    try:
        if prefix == "b":
            return _in_slices(_bytes_escapes, body, start, stop, b"", closes)
        if body.find("\\", start, stop) < 0:
            if closes and body.find(closes, start, stop) >= 0:
                raise ClosesEarlier
            return body[start:stop]
        return _in_slices(_str_escapes, body, start, stop, "", closes)
    except (ValueError, UnicodeError) as e:
        if closes:
            raise ClosesEarlier from None
        raise LogSyntaxError(f"bad string literal: {e}", name, lineno, "string") from None


class ClosesEarlier(Exception):
    """``decode_string(..., closes=QUOTE)``: the string may end before the stop given."""


def _escape_classes(escapes: bytes, closes: str = "") -> bytes:
    """A ``bytes.translate`` table for ``_classes``: a backslash stays, each of ``escapes``
    becomes ``n`` (``u`` and ``U``: ``r``), the quote ``closes`` becomes ``t``, any other
    byte ``x``.  (None is a hex digit, so that ``\\x`` before any of them is an error.)"""
    table = bytearray(b"x" * 256)
    for c in escapes:
        table[c] = ord("r") if c in b"uU" else ord("n")
    table[ord("\\")] = ord("\\")
    if closes:
        table[ord(closes)] = ord("t")
    return bytes(table)


# The characters that may follow a backslash without a warning from the codecs.  An octal
# escape from \4 on may pass \377, which warns: it is counted with the others, as is \N{...}
# (refused in a str), and both are then looked at closely.
_QUIET_BYTES_ESCAPES = b"\\'\"abfnrtvx0123\n"
_QUIET_STR_ESCAPES = _QUIET_BYTES_ESCAPES + b"uU"
_CLASSES = {
    (is_bytes, closes): _escape_classes(_QUIET_BYTES_ESCAPES if is_bytes else _QUIET_STR_ESCAPES, closes)
    for is_bytes in (True, False)
    for closes in ("", "'", '"')
}


def _classes(text: bytes, is_bytes: bool, closes: str) -> Any:
    """A literal's text (or a slice of it that splits no escape), translated to classes
    (``_CLASSES``) and decoded as bytes, which pairs escaped backslashes as Python does;
    then ``\\n`` is an escape and ``\\x`` before anything but a hex digit an error (never
    a warning).  None: an escape starts with a character that a codec may warn about
    (or that laaos refuses).  Otherwise, with ``closes``: a ``t`` in the result is that
    quote with no escape, which would end the string.  Two passes in C whatever the
    density of escapes, where a regex would take each escape in turn."""
    try:
        return codecs.escape_decode(text.translate(_CLASSES[is_bytes, closes]))[0]
    except ValueError:
        return None


def _clean(classes: Any, closes: str) -> bool:
    """Whether no codec warns about an escape in a text, given its ``_classes``: the
    codecs may read it as it is.  With ``closes``: ``ClosesEarlier`` if the text holds
    that quote unescaped, or any escape to look at closely."""
    if closes and (classes is None or b"t" in classes):
        raise ClosesEarlier
    return classes is not None


def _bytes_escapes(text: str, closes: str = "") -> bytes:
    if not text.isascii():
        raise ValueError("bytes can only contain ASCII literal characters")
    data = text.encode("ascii")
    if not _clean(_classes(data, True, closes), closes):
        # Escapes that Python reads with a warning are rewritten first to what it reads
        # them as, so that the codec does not warn (rare: laaos and repr never write one).
        return codecs.escape_decode(_STRAY_BACKSLASH.sub(_bytes_as_python, text))[0]
    return codecs.escape_decode(data)[0]


def _str_escapes(text: str, closes: str = "") -> str:
    # unicode_escape reads bytes as latin-1, so a character past it goes in as its \u
    # escape, and a backslash before such a character would start that escape: then an
    # escaped backslash before a u (``\\r`` in the classes) may be one, and the check
    # reads the text in UTF-8 instead (the character: bytes past ASCII, like é).
    data = text.encode("latin-1", "backslashreplace")
    classes = _classes(data, False, closes)
    if classes is not None and len(data) != len(text) and b"\\r" in classes:
        classes = _classes(text.encode("utf-8", "surrogatepass"), False, closes)
    if not _clean(classes, closes):
        if "\\N" in text.replace("\\\\", ""):
            raise ValueError("\\N{...} escapes are not supported")
        data = _STRAY_BACKSLASH.sub(_str_as_python, text).encode("latin-1", "backslashreplace")
    return data.decode("unicode_escape")


def _in_slices(decode: Any, text: str, start: int, stop: int, empty: Any, closes: str) -> Any:
    """``decode(text[start:stop])``, in slices of ~1M characters cut where a run of
    backslashes starts (so no escape is split): the codecs' buffers stay small.  Any
    error: the whole text again, so that the message is the codec's own."""
    if stop - start <= _SLICE:
        return decode(text[start:stop], closes)
    parts = []
    i = start
    try:
        while i < stop:
            j = text.find("\\", i + _SLICE, stop) if i + _SLICE < stop else -1
            if j < 0:
                j = stop
            else:
                while j > i and text[j - 1] == "\\":
                    j -= 1
                if j == i:  # (backslashes only, for a whole slice)
                    j = stop
            parts.append(decode(text[i:j], closes))
            i = j
    except (ValueError, UnicodeError):
        parts.clear()  # (the slices decoded so far: let go before the whole is decoded)
        if closes:
            raise ClosesEarlier from None  # (the string's end is not known)
        return decode(text[start:stop], closes)
    return empty.join(parts)


_STRAY_BACKSLASH = LazyPattern(globals(), "_STRAY_BACKSLASH", r"\\([0-7]{1,3}|.?)", re.S)
_SLICE = 1 << 20
LONG_LITERAL = 4 << 20  # (characters) a literal too long to translate to JSON if it has escapes


_STR_ESCAPES = frozenset("\\'\"abfnrtvx01234567NuU\n")
_BYTES_ESCAPES = _STR_ESCAPES - frozenset("NuU")


def _as_python(m: "re.Match[str]", escapes: frozenset, is_bytes: bool) -> str:
    """One escape (``_STRAY_BACKSLASH``'s match) as Python reads it, in a form the codec
    reads without a warning: a stray backslash doubled, an octal escape past \\377 as a
    hex one."""
    c = m.group(1)
    if c[:1] not in escapes:
        return "\\" + m.group(0)
    if len(c) == 3 and c.isdigit() and int(c, 8) > 0o377:
        return "\\x%02x" % (int(c, 8) & 0xFF) if is_bytes else "\\u%04x" % int(c, 8)
    return m.group(0)


def _str_as_python(m: "re.Match[str]") -> str:
    return _as_python(m, _STR_ESCAPES, False)


def _bytes_as_python(m: "re.Match[str]") -> str:
    return _as_python(m, _BYTES_ESCAPES, True)


def tokenize(line: str, lineno: int, depth: int, name: str) -> Tuple[List[tuple], int]:
    """The tokens ``(kind, text or value, column)`` of one physical line, and the bracket
    depth after it (``depth`` is the depth before it)."""
    tokens: List[tuple] = []
    append = tokens.append
    match = _TOKEN.match
    pos = 0
    n = len(line)
    while pos < n:
        m = match(line, pos)
        kind = m.lastgroup
        text = m.group()
        start = pos
        pos = m.end()
        if kind == "ws":
            continue
        if kind == "op":
            if text == "[" and depth < MAX_DEPTH and tokens and tokens[-1][0] == "op" and tokens[-1][1] in _AFTER_VALUE_START:
                m = _FLOAT_LIST.match(line, start) or _INT_LIST.match(line, start)
                if m is not None:
                    parts = m.group(1).split(", ")
                    convert = int if m.re is _INT_LIST else float
                    append(("value", list(map(convert, parts)), start))
                    pos = m.end()
                    continue
            if text in OPENERS:
                depth += 1
                if depth > MAX_DEPTH:
                    raise LogLimitError(f"nesting deeper than {MAX_DEPTH} levels", name, lineno, "deep nesting")
            elif text in ")]}":
                depth -= 1
                if depth < 0:
                    raise LogSyntaxError(f"unmatched {text!r}", name, lineno, text)
            append(("op", text, start))
        elif kind == "num":
            if len(text) > MAX_NUMBER_TOKEN:
                raise LogLimitError(
                    f"a number of {len(text)} digits (the limit is {MAX_NUMBER_TOKEN})",
                    name,
                    lineno,
                    "huge number",
                )
            append(("num", text, start))
        elif kind == "quote":
            if line.startswith(text[-1] * 2, pos):  # (Python reads three quotes as one)
                raise LogSyntaxError(
                    "triple-quoted strings are not allowed (laaos, like repr, writes every "
                    "string on one line between single or double quotes)",
                    name,
                    lineno,
                    "triple-quoted string",
                )
            quote = text[-1]
            value = MISS
            if n - pos > _SLICE:
                # Maybe a long literal: whether it ends where it seems to is found while
                # it is decoded, which saves passes over its escaped quotes.
                close = _long_string_end(line, pos, quote)
                if close - pos > _SLICE:
                    try:
                        value = decode_string(text[:-1], line, name, lineno, pos, close, quote)
                    except (ClosesEarlier, LogError):
                        pass  # (the string's end is looked for first: errors name the right text)
            if value is MISS:
                close = scan_string(line, pos, quote)
                if close < 0:
                    raise LogSyntaxError("unterminated string", name, lineno, "string")
                value = decode_string(text[:-1], line, name, lineno, pos, close)
            append(("str", value, start))
            pos = close + 1
        elif kind == "name":
            append(("name", text, start))
        else:
            if text == ";":
                raise LogSyntaxError("';' (one statement per line)", name, lineno, ";")
            if text in "*/%@<>|&^~!":
                raise UnsafeLogError(f"operator {text!r} is not allowed", name, lineno, f"operator {text!r}")
            raise LogSyntaxError(f"unexpected character {text!r}", name, lineno, text)
    return tokens, depth


def number(text: str) -> Any:
    """The value of a number token (ValueError for one Python would refuse)."""
    if text[-1] in "jJ":
        return complex(0.0, float(text[:-1]))
    if "." in text or "e" in text or "E" in text:
        return float(text)
    if len(text) > 1 and text[0] == "0" and text.strip("0_"):
        raise ValueError("leading zeros")
    return int(text)


def fast_value(s: str) -> Any:
    """The value of a simple literal (number, plain string, None/True/False), else ``MISS``.

    Exactly what the general parser gives for the same text, only faster.
    """
    c = s[:1]
    if c in _DIGITS or c == "-":
        if s[-1] in _DIGITS and s.isascii() and len(s) <= MAX_NUMBER_CHARS:  # longer: the limit applies
            try:
                if "." in s or "e" in s or "E" in s:
                    return float(s)
                digits = s[1:] if c == "-" else s
                if "_" not in s and (digits[0] != "0" or len(digits) == 1):
                    return int(s)
            except ValueError:
                pass
        return MISS
    if c == "'" and len(s) >= 2 and s[-1] == "'":
        body = s[1:-1]
        if "'" not in body and "\\" not in body and "\n" not in body:
            return body
        return MISS
    if c == "{":
        return json_literal(s)
    if c == "[":
        m = _FLOAT_LIST.fullmatch(s) or _INT_LIST.fullmatch(s)
        if m is not None:
            return list(map(int if m.re is _INT_LIST else float, m.group(1).split(", ")))
        return json_literal(s)
    if c == '"':
        return json_literal(s)
    return CONSTANTS.get(s, MISS) if len(s) < 6 else MISS


def top_key(line: str) -> Tuple[Any, int]:
    """For ``store[KEY]...`` with KEY a plain literal: ``(KEY, index after ']')``, else ``(MISS, 0)``.

    Used by partial loads to skip a statement without parsing its value.
    """
    if not line.startswith("store["):
        return MISS, 0
    c = line[6:7]
    if c == "'" or c == '"':
        close = scan_string(line, 7, c)
        if close < 0 or line[close + 1 : close + 2] != "]":
            return MISS, 0
        body = line[7:close]
        if "\\" in body:
            try:
                return decode_string("", body, "", 0), close + 2
            except LogError:
                return MISS, 0
        return body, close + 2
    close = line.find("]", 6)
    if close < 0:
        return MISS, 0
    return fast_value(line[6:close]), close + 1


def balanced_rest(text: str) -> bool:
    """Whether ``text`` (the rest of a skipped statement) ends the statement on this line:
    as many closing brackets as opening ones outside strings, every string closed, no
    comment.  The native parser applies the same rule in C."""
    if "'" not in text and '"' not in text:
        if "#" in text:
            return False
        opened = text.count("(")
        if "[" in text or "{" in text or "]" in text or "}" in text:
            opened += text.count("[") + text.count("{") - text.count("]") - text.count("}")
        return opened == text.count(")")
    depth = 0
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "'" or c == '"':
            close = scan_string(text, i + 1, c)
            if close < 0:
                return False
            i = close + 1
            continue
        if c == "#":
            return False
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        i += 1
    return depth == 0
