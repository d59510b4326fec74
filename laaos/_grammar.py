"""The statement grammar: one statement's tokens parsed by recursive descent into one
operation (kind, target container, key, value) on the store.

Only literals (adjacent string literals joined, as Python joins them), ``set()``,
``frozenset({...})``, ``float('nan'/'inf')``, ``complex(r, i)``, unary minus, the bare
``nan``/``inf``/``infj``/``nanj`` that laaos 2.1.1 wrote (also as the parts of
``(real+imagj)``), and the caller's symbols (attributes and calls with literal arguments)
are accepted; nothing is executed.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, Dict, List

from ._literals import (
    CONSTANTS,
    FLOAT_WORDS,
    LEGACY_FLOATS,
    LEGACY_IMAGINARY,
    MAX_DEPTH,
    chosen_hash,
    equal_hashes_message,
    number,
    tokenize,
)
from ._symbols import UNSAFE_ATTRIBUTES, unsafe_why
from .errors import CorruptLogError, LogError, LogLimitError, LogSyntaxError, UnknownSymbolError, UnsafeLogError

# Operation kinds, shared with the native parser.
ROOT, SET, DELETE, APPEND, INSERT, EXTEND, CLEAR, ADD, DISCARD = range(9)
UPDATE, DIFFERENCE_UPDATE, SYMMETRIC_DIFFERENCE_UPDATE = range(9, 12)
# name -> (kind, the container type it applies to (None: checked when applied), arguments)
METHODS = {
    "append": (APPEND, list, 1),
    "insert": (INSERT, list, 2),
    "extend": (EXTEND, list, 1),
    "clear": (CLEAR, None, 0),
    "add": (ADD, set, 1),
    "discard": (DISCARD, set, 1),
    "update": (UPDATE, None, 1),  # a dict's or a set's
    "difference_update": (DIFFERENCE_UPDATE, set, 1),
    "symmetric_difference_update": (SYMMETRIC_DIFFERENCE_UPDATE, set, 1),
}
# The calls of builtins a log may hold (unless a symbol of that name was passed).
BUILTINS = ("set", "frozenset", "float", "complex")
# Statements after which a cached target may point at a replaced container.
RESHAPING = frozenset((ROOT, DELETE, INSERT, CLEAR, UPDATE))
KEYWORDS = {
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
_MISS = object()


class Skipped(Exception):
    """The statement is under a top-level key that a partial load leaves out."""


def wanted(keys: frozenset, key: Any) -> bool:
    """Whether a partial load asking for ``keys`` takes the top-level ``key``."""
    try:
        return key in keys
    except TypeError:  # an unhashable key: never asked for
        return False


class Statement:
    """Recursive-descent parser of one statement's tokens."""

    __slots__ = ("p", "toks", "i", "n", "lineno", "symbols", "legacy")

    def __init__(self, parser: Any, toks: list, lineno: int, symbols: Any = None):
        # parser: any object with ``name``, ``symbols``, ``root``, ``keys`` and
        # ``max_equal_hashes`` (the LogParser of either backend).
        self.p = parser
        self.symbols = parser.symbols if symbols is None else symbols
        self.legacy = False  # a bare nan/inf/infj/nanj, as laaos 2.1.1 wrote
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
        if kind == "name" and text in KEYWORDS:
            construct = KEYWORDS[text]
            return self.err(UnsafeLogError, f"{construct} is not allowed", construct)
        if kind == "op" and text in "+-=":
            return self.err(UnsafeLogError, f"operator {text!r} is not allowed", f"operator {text!r}")
        if kind == "end":
            return self.err(LogSyntaxError, f"{expected}, found the end of the statement")
        shown = "a string" if kind == "str" else "'['" if kind == "value" else repr(text)
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
        if kind != "name" or name not in METHODS:
            raise self.err(
                UnsafeLogError, f"method {name!r} is not allowed", f"method {name!r}"
            )
        op, container_type, nargs = METHODS[name]
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
        keys = self.p.keys
        while self.peek()[1] == "[" and self.peek()[0] == "op":
            self.take()
            if key is not _MISS:
                container = self.item(container, key)
            elif keys is not None:
                key = self.expr(0)
                self.expect("]")
                if not wanted(keys, key):
                    raise Skipped()
                continue
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

    def count_hash(self, counts: Any, container: Any, key: Any, what: str) -> dict:
        """Count a new key of one literal dict or set (of at least the limit's size: a
        smaller one cannot hold a flood) whose hash the log's author could choose;
        refuse one too many.  ``counts``: hash -> keys so far, or None to count the keys
        of ``container``, ``key`` included."""
        h = hash(key)
        if counts is None:
            counts = {}
            for k in container:
                if type(k) is not str and chosen_hash(k):
                    hk = hash(k)
                    counts[hk] = counts.get(hk, 0) + 1
            n = counts[h]
        else:
            n = counts.get(h, 0) + 1
        limit = self.p.max_equal_hashes
        if n > limit:
            raise self.err(LogLimitError, equal_hashes_message(limit, what), "equal hashes")
        counts[h] = n
        return counts

    def make_set(self, items: Any) -> set:
        """The set of ``items`` (hashable, checked), within the limit on equal hashes."""
        for item in items:
            self.hashable(item)
        if not any(type(x) is not str and chosen_hash(x) for x in items):
            return set(items)
        result: set = set()
        counts = None
        limit = self.p.max_equal_hashes
        for item in items:
            size = len(result)
            result.add(item)
            if size >= limit and len(result) > size and type(item) is not str and chosen_hash(item):
                counts = self.count_hash(counts, result, item, "elements of one set")
        return result

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
        # and only between number literals (or the nan/inf/infj/nanj of laaos 2.1.1).
        last = self.toks[self.i - 1]
        if (last[0] == "num" or last[0] == "name" and self.legacy_word(last, LEGACY_FLOATS)) and all(
            t[1] == "-" for t in self.toks[start : self.i - 1]
        ):
            tok = self.peek()
            if tok[0] == "op" and tok[1] in ("+", "-") and type(value) is not complex:
                nxt = self.toks[self.i + 1] if self.i + 1 < self.n else ("end", "", -1)
                legacy_imag = self.legacy_word(nxt, LEGACY_IMAGINARY)
                if legacy_imag or last[0] == "name" and nxt[0] == "num" and nxt[1][-1] in "jJ":
                    self.i += 2
                    return self.legacy_complex(last, self.i - 3 - start, tok[1], nxt)
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

    def legacy_complex(self, real: tuple, minuses: int, sign: str, imag: tuple) -> complex:
        """``(real+imagj)`` as repr writes a complex with a non-finite part, read as the
        complex repr wrote (``(-0-infj)``: real part -0.0), not as arithmetic on its parts."""
        self.legacy = True
        part = LEGACY_IMAGINARY[imag[1]].imag if imag[0] == "name" else self.number(imag[1]).imag
        if real[0] == "name":
            base = LEGACY_FLOATS[real[1]]
        else:
            try:
                base = float(self.number(real[1]))
            except OverflowError:
                raise self.err(LogLimitError, "a number too large for a complex", "huge number") from None
        return complex(-base if minuses % 2 else base, part if sign == "+" else -part)

    def legacy_word(self, tok: tuple, words: dict) -> bool:
        """Whether ``tok`` is one of the number ``words`` laaos 2.1.1 wrote (unless the
        caller passed a symbol of that name)."""
        return tok[0] == "name" and tok[1] in words and tok[1] not in self.symbols

    def unary(self, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise self.err(LogLimitError, f"nesting deeper than {MAX_DEPTH} levels", "deep nesting")
        kind, text, _ = self.take()
        if kind == "num":
            return self.number(text)
        if kind == "value":  # a list of numbers the tokenizer read in bulk
            return text
        if kind == "str":
            if self.peek()[0] == "str":
                return self.adjacent_strings(text)
            return text
        if kind == "op":
            if text == "-":
                if self.legacy_word(self.peek(), LEGACY_IMAGINARY):  # -infj: what repr writes for complex(0, -inf)
                    self.legacy = True
                    return complex(0.0, -LEGACY_IMAGINARY[self.take()[1]].imag)
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
            if text in CONSTANTS:
                return CONSTANTS[text]
            return self.symbol(text, depth)
        raise self.describe((kind, text, 0), "expected a value")

    def adjacent_strings(self, first: Any) -> Any:
        """Adjacent string literals, joined as Python joins them (pprint splits a long
        string or bytes value into pieces, one a line): str with str, bytes with bytes."""
        parts = [first]
        while self.peek()[0] == "str":
            value = self.take()[1]
            if type(value) is not type(first):
                message = "cannot mix bytes and nonbytes literals"  # (Python's words)
                raise self.err(LogSyntaxError, message, "string concatenation")
            parts.append(value)
        return type(first)().join(parts)

    def number(self, text: str) -> Any:
        try:
            return number(text)
        except ValueError as e:
            shown = text if len(text) <= 60 else text[:60] + "..."
            raise self.err(LogSyntaxError, f"bad number {shown!r}: {e}", "number") from None

    def braces(self, depth: int) -> Any:
        if self.peek()[1] == "}" and self.peek()[0] == "op":
            self.take()
            return {}
        first = self.expr(depth + 1)
        tok = self.take()
        if tok[1] == ":" and tok[0] == "op":
            result: Dict[Any, Any] = {}
            counts = None
            limit = self.p.max_equal_hashes
            key = first
            while True:
                self.hashable(key)
                if type(key) is str:
                    result[key] = self.expr(depth + 1)
                else:
                    size = len(result)
                    result[key] = self.expr(depth + 1)
                    if size >= limit and len(result) > size and chosen_hash(key):
                        counts = self.count_hash(counts, result, key, "keys of one dict")
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
        return self.make_set(items)

    def symbol(self, name: str, depth: int) -> Any:
        if name in KEYWORDS:
            construct = KEYWORDS[name]
            raise self.err(UnsafeLogError, f"{construct} is not allowed", construct)
        builtin = name in BUILTINS and name not in self.symbols
        if builtin:
            obj: Any = None
        elif name in self.symbols:
            obj = self.symbols[name]
        elif name in LEGACY_FLOATS or name in LEGACY_IMAGINARY:
            self.legacy = True
            return LEGACY_FLOATS[name] if name in LEGACY_FLOATS else LEGACY_IMAGINARY[name]
        else:
            # A plain name could be a symbol the writer's handlers used (a healthy log
            # loaded without them); a dunder name never is.
            if name.startswith("_"):  # never a symbol to pass, so never advised
                raise self.err(UnsafeLogError, f"name {name!r} is not allowed: no laaos writer puts a name "
                               "that starts with '_' in a log (a foreign or tampered statement)", f"name {name!r}")
            raise self.err(
                UnknownSymbolError,
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
            # A symbol the user passed must not lead the log further than its own
            # classes, functions and values: never to a module it imports
            # (`datetime.sys`) or to a name that runs code (`os.system`).
            if isinstance(obj, ModuleType) or attr in UNSAFE_ATTRIBUTES:
                raise self.err(UnsafeLogError, unsafe_why(name), f"attribute {name}")
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
            if (name == "set" or name == "frozenset") and len(args) <= 1:
                make = set if name == "set" else frozenset
                if not args:
                    return make()
                if type(args[0]) is set:
                    return make(args[0])
                if type(args[0]) in (list, tuple):
                    return make(self.make_set(args[0]))
            elif name == "float" and len(args) == 1 and type(args[0]) is str:
                if args[0].strip().lower() in FLOAT_WORDS:
                    return float(args[0])
            elif name == "complex" and len(args) == 2:
                if all(type(a) in (int, float) for a in args):
                    return complex(args[0], args[1])
        raise self.err(
            UnsafeLogError,
            f"this call of {name}() is not allowed (only set(), set([...]), frozenset({{...}}), "
            "float('nan'/'inf') and complex(real, imag))",
            f"call of {name}()",
        )



class _Anything:
    """Stands for any exposed symbol when only the shape of an expression is checked."""

    def __getattr__(self, name: str) -> "_Anything":
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> "_Anything":
        return self

    def __repr__(self) -> str:  # in error messages: the same text on every run
        return "<a symbol>"


class AnyName(dict):
    """Symbols where every plain name exists: checks a statement's shape only, and
    records (in ``asked``) the names it used that ``base`` does not hold."""

    _RESERVED = (*BUILTINS, *LEGACY_FLOATS, *LEGACY_IMAGINARY)  # built in, unless passed

    def __init__(self, base: Any = None) -> None:
        super().__init__()
        self.base = base or {}
        self.asked: List[str] = []

    def __contains__(self, name: object) -> bool:
        if name in self._RESERVED:
            return name in self.base
        return not str(name).startswith("_")  # a dunder name is never a symbol

    def __missing__(self, name: str) -> _Anything:
        if name not in self.base and name not in self.asked:
            self.asked.append(name)
        return _Anything()


def parse_value(parser: Any, text: str, lineno: int = 1, symbols: Any = None) -> Any:
    """Parse ``text`` as one value expression under ``parser``'s rules and symbols."""
    tokens, depth = tokenize(text, lineno, 0, parser.name)
    if depth:
        raise LogSyntaxError("unbalanced brackets", parser.name, lineno)
    st = Statement(parser, tokens, lineno, symbols)
    value = st.expr(0)
    st.end()
    return value
