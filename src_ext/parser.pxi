# The log parser (the twin of laaos/_parser.py).
#
# The common statements -- a head seen before (`store['losses'].append(`,
# `store['cfg']['lr']=`) followed by a literal -- are parsed here in C: the head is
# matched with memcmp against the last one, so thousands of appends to one list in a row
# never re-walk the path.  Every other line goes to the pure parser's `line()`, which
# owns the store, the head cache, the rules and the errors; this class only keeps its
# own copy of the last head and drops it whenever the pure side may have changed things.

from cpython.float cimport PyFloat_FromDouble
from cpython.list cimport PyList_Append
from cpython.long cimport PyLong_FromLongLong
from cpython.dict cimport PyDict_SetItem
from cpython.set cimport PySet_Add
from libc.string cimport memchr, memcmp
from libc.stdlib cimport strtod

from laaos import _parser as _py

cdef extern from "Python.h":
    double PyOS_string_to_double(const char* s, char** endptr, object overflow_exception) except? -1.0
    object PyLong_FromString(const char* s, char** pend, int base)

cdef int _APPEND = _py.APPEND
cdef int _SET = _py.SET
cdef int _MAX_DEPTH = _py.MAX_DEPTH
cdef object _MISS = _py._MISS


cdef struct Cursor:
    const char* p
    const char* end
    bint miss


cdef extern from "floatfmt.h":
    int laaos_parse_double(const char* first, const char* last, double* out)


cdef inline void _skip_ws(Cursor* c):
    while c.p < c.end and (c.p[0] == b' ' or c.p[0] == b'\t'):
        c.p += 1


cdef object _number(Cursor* c):
    # A decimal int or float literal, as the pure tokenizer and int()/float() read it.
    cdef const char* start = c.p
    cdef const char* q = c.p
    cdef bint is_float = False
    cdef char tmp[64]
    cdef char* endp
    cdef Py_ssize_t n
    if q < c.end and q[0] == b'-':
        q += 1
    cdef const char* digits = q
    while q < c.end and b'0' <= q[0] <= b'9':
        q += 1
    if q < c.end and q[0] == b'.':
        is_float = True
        q += 1
        while q < c.end and b'0' <= q[0] <= b'9':
            q += 1
    if q < c.end and (q[0] == b'e' or q[0] == b'E'):
        is_float = True
        q += 1
        if q < c.end and (q[0] == b'+' or q[0] == b'-'):
            q += 1
        if not (q < c.end and b'0' <= q[0] <= b'9'):
            c.miss = True
            return None
        while q < c.end and b'0' <= q[0] <= b'9':
            q += 1
    n = q - start
    if q == digits or (q < c.end and (q[0] == b'_' or q[0] == b'j' or q[0] == b'J' or
                                      (b'a' <= q[0] <= b'z') or (b'A' <= q[0] <= b'Z'))):
        c.miss = True  # underscores, imaginary, hex, ...: the pure parser decides
        return None
    if not (b'0' <= digits[0] <= b'9'):
        c.miss = True  # ".5": the pure parser decides
        return None
    if n >= 60:
        c.miss = True
        return None
    cdef double d
    if is_float:
        if not laaos_parse_double(start, q, &d):
            c.miss = True
            return None
        c.p = q
        return PyFloat_FromDouble(d)
    memcpy(tmp, start, n)
    tmp[n] = 0
    c.p = q
    if digits[0] == b'0' and q - digits > 1:
        c.miss = True  # leading zeros: an error, raised by the pure parser
        return None
    if q - digits <= 18:
        return PyLong_FromLongLong(strtoll(tmp, &endp, 10))
    return PyLong_FromString(tmp, &endp, 10)


cdef object _string(Cursor* c):
    cdef char quote = c.p[0]
    cdef const char* start = c.p + 1
    cdef const char* q = start
    while q < c.end and q[0] != quote:
        if q[0] == b'\\':
            c.miss = True  # escapes: the pure parser decodes them
            return None
        q += 1
    if q >= c.end:
        c.miss = True
        return None
    c.p = q + 1
    try:
        return PyUnicode_DecodeUTF8(start, q - start, NULL)
    except UnicodeDecodeError:
        c.miss = True
        return None


cdef object _value(Cursor* c, int depth):
    # One literal; on anything it does not know it sets c.miss and the line is handed to
    # the pure parser, which gives the value or the error.
    cdef char ch
    cdef object result, key, item
    if depth > _MAX_DEPTH or c.p >= c.end:
        c.miss = True
        return None
    ch = c.p[0]
    if (b'0' <= ch <= b'9') or ch == b'-':
        if ch == b'-' and not (c.p + 1 < c.end and b'0' <= c.p[1] <= b'9'):
            c.miss = True
            return None
        return _number(c)
    if ch == b"'" or ch == b'"':
        return _string(c)
    if ch == b'[':
        c.p += 1
        result = []
        _skip_ws(c)
        if c.p < c.end and c.p[0] == b']':
            c.p += 1
            return result
        while True:
            _skip_ws(c)
            item = _value(c, depth + 1)
            if c.miss:
                return None
            PyList_Append(result, item)
            _skip_ws(c)
            if c.p < c.end and c.p[0] == b',':
                c.p += 1
                continue
            if c.p < c.end and c.p[0] == b']':
                c.p += 1
                return result
            c.miss = True
            return None
    if ch == b'{':
        c.p += 1
        _skip_ws(c)
        if c.p < c.end and c.p[0] == b'}':
            c.p += 1
            return {}
        key = _value(c, depth + 1)
        if c.miss:
            return None
        _skip_ws(c)
        if c.p < c.end and c.p[0] == b':':
            result = {}
            while True:
                c.p += 1  # ':'
                _skip_ws(c)
                item = _value(c, depth + 1)
                if c.miss:
                    return None
                try:
                    PyDict_SetItem(result, key, item)
                except TypeError:
                    c.miss = True
                    return None
                _skip_ws(c)
                if c.p < c.end and c.p[0] == b'}':
                    c.p += 1
                    return result
                if not (c.p < c.end and c.p[0] == b','):
                    c.miss = True
                    return None
                c.p += 1
                _skip_ws(c)
                key = _value(c, depth + 1)
                if c.miss:
                    return None
                _skip_ws(c)
                if not (c.p < c.end and c.p[0] == b':'):
                    c.miss = True
                    return None
        result = set()
        while True:
            try:
                PySet_Add(result, key)
            except TypeError:
                c.miss = True
                return None
            _skip_ws(c)
            if c.p < c.end and c.p[0] == b'}':
                c.p += 1
                return result
            if not (c.p < c.end and c.p[0] == b','):
                c.miss = True
                return None
            c.p += 1
            _skip_ws(c)
            key = _value(c, depth + 1)
            if c.miss:
                return None
    if ch == b'(':
        c.p += 1
        _skip_ws(c)
        if c.p < c.end and c.p[0] == b')':
            c.p += 1
            return ()
        item = _value(c, depth + 1)
        if c.miss:
            return None
        _skip_ws(c)
        if c.p < c.end and c.p[0] == b')':
            c.p += 1
            return item
        result = [item]
        while c.p < c.end and c.p[0] == b',':
            c.p += 1
            _skip_ws(c)
            if c.p < c.end and c.p[0] == b')':
                break
            item = _value(c, depth + 1)
            if c.miss:
                return None
            PyList_Append(result, item)
            _skip_ws(c)
        if c.p < c.end and c.p[0] == b')':
            c.p += 1
            return tuple(result)
        c.miss = True
        return None
    if c.end - c.p >= 4 and memcmp(c.p, b"None", 4) == 0:
        c.p += 4
        return _name_end(c, None)
    if c.end - c.p >= 4 and memcmp(c.p, b"True", 4) == 0:
        c.p += 4
        return _name_end(c, True)
    if c.end - c.p >= 5 and memcmp(c.p, b"False", 5) == 0:
        c.p += 5
        return _name_end(c, False)
    c.miss = True
    return None


cdef inline object _name_end(Cursor* c, object value):
    if c.p < c.end:
        ch = c.p[0]
        if (b'a' <= ch <= b'z') or (b'A' <= ch <= b'Z') or (b'0' <= ch <= b'9') or ch == b'_':
            c.miss = True  # "Nonesuch": a name, not a constant
    return value


cdef object _whole_value(const char* p, const char* end):
    # The value of p..end if it is exactly one literal (spaces around it allowed), else _MISS.
    cdef Cursor cur
    cur.p = p
    cur.end = end
    cur.miss = False
    _skip_ws(&cur)
    value = _value(&cur, 1)
    if cur.miss:
        return _MISS
    _skip_ws(&cur)
    if cur.p != cur.end:
        return _MISS
    return value


cdef extern from "<stdlib.h>":
    long long strtoll(const char* s, char** endp, int base)

from libc.string cimport memcpy


cdef class LogParser:
    """Parses a log fed as bytes; the same contract as ``laaos._parser.LogParser``."""

    cdef public object py  # the pure parser: store, rules, errors, general path
    cdef long long _fast  # statements applied here
    cdef bytes _head  # the last head matched, with its entry
    cdef int _head_kind
    cdef object _head_target
    cdef object _head_key

    def __init__(self, name="<string>", symbols=None, skip_errors=False, max_statement_bytes=_py.MAX_STATEMENT_BYTES):
        self.py = _py.LogParser(name, symbols, skip_errors, max_statement_bytes)
        self._fast = 0
        self._head = None

    @property
    def name(self):
        return self.py.name

    @property
    def root(self):
        return self.py.root

    @property
    def statements(self):
        return self.py.statements + self._fast

    @property
    def lines(self):
        return self.py.lines

    @property
    def valid_bytes(self):
        return self.py.valid_bytes

    @property
    def pending(self):
        return self.py.pending

    @property
    def open_statement(self):
        return self.py.open_statement

    @property
    def tail_line(self):
        return self.py.tail_line

    @property
    def skipped(self):
        return self.py.skipped

    def finish(self):
        with cython.critical_section(self):
            return self.py.finish()

    def feed(self, data):
        """Apply every complete statement in ``data`` (see ``laaos._parser.LogParser``)."""
        # One thread at a time per parser on a free-threaded build (a no-op with a GIL).
        with cython.critical_section(self):
            self._feed(data)

    cdef int _feed(self, data) except -1:
        cdef object py = self.py
        cdef bytes buf
        if py._pending:
            buf = py._pending + bytes(data)
        else:
            buf = bytes(data)
        if not py._started:
            if len(buf) < 3 and b"\xef\xbb\xbf".startswith(buf):
                py._pending = buf
                return 0
            py._started = True
            if buf.startswith(b"\xef\xbb\xbf"):
                buf = buf[3:]
                py._complete_bytes += 3
        cdef Py_ssize_t end = buf.rfind(b"\n") + 1
        if end == 0:
            py._pending = buf
            py._check_size(len(buf))
            return 0
        py._pending = buf[end:]
        py._check_size(len(py._pending))
        cdef const char* base = PyBytes_AS_STRING(buf)
        cdef const char* p = base
        cdef const char* stop = base + end
        cdef const char* nl
        cdef const char* line_end
        cdef const char* paren
        cdef const char* hp
        cdef Py_ssize_t lineno = py.lines
        cdef Py_ssize_t hlen
        cdef object value
        try:
            while p < stop:
                nl = <const char*>memchr(p, b'\n', stop - p)
                lineno += 1
                line_end = nl
                if line_end > p and line_end[-1] == b'\r':
                    line_end -= 1
                # Fast path: the same head as the last statement, and a literal value.
                if self._head is not None:
                    hlen = PyBytes_GET_SIZE(self._head)
                    hp = PyBytes_AS_STRING(self._head)
                    if line_end - p > hlen and memcmp(p, hp, hlen) == 0:
                        if self._head_kind == _APPEND:
                            if line_end[-1] == b')':
                                value = _whole_value(p + hlen, line_end - 1)
                                if value is not _MISS:
                                    PyList_Append(self._head_target, value)
                                    self._fast += 1
                                    p = nl + 1
                                    continue
                        else:
                            value = _whole_value(p + hlen, line_end)
                            if value is not _MISS:
                                self._set(value, lineno)
                                p = nl + 1
                                continue
                self._slow(p, nl, lineno)  # with its '\r', as the pure side sees it
                p = nl + 1
        finally:
            py.lines = lineno
        py._complete_bytes += end

    cdef int _set(self, object value, Py_ssize_t lineno) except -1:
        target = self._head_target
        old = None
        if type(target) is dict:
            old = (<dict>target).get(self._head_key)
            PyDict_SetItem(target, self._head_key, value)
            self._fast += 1
            if type(old) in (list, dict, set):
                self.py.heads.clear()
                self._head = None
        else:  # a list item: the pure side checks the index and raises its errors
            self.py._apply_cached((_SET, target, self._head_key), value, lineno)
        return 0

    cdef int _slow(self, const char* p, const char* line_end, Py_ssize_t lineno) except -1:
        cdef object py = self.py
        cdef Py_ssize_t hlen
        cdef bytes head
        try:
            line = PyUnicode_DecodeUTF8(p, line_end - p, NULL)
        except UnicodeDecodeError as e:
            py._fail(_py.LogSyntaxError, f"invalid UTF-8 at byte {e.start} of the line", lineno)
            return 0
        self._head = None
        py.line(line, lineno)
        # Pick up the head of this statement, if the pure side cached one for it.
        if py._open is None and py.heads:
            paren = line.find("(")
            entry = py.heads.get(line[: paren + 1]) if paren > 0 else None
            if entry is not None and entry[0] == _APPEND:
                head = line[: paren + 1].encode("utf-8")
            else:
                eq = line.find("=")
                entry = py.heads.get(line[: eq + 1]) if eq > 0 else None
                if entry is None or entry[0] != _SET:
                    return 0
                head = line[: eq + 1].encode("utf-8")
            self._head = head
            self._head_kind = entry[0]
            self._head_target = entry[1]
            self._head_key = entry[2]
        return 0
