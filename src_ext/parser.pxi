# The native kernel of the log parser: the twin of laaos/_parser.py.
#
# The parse state (store, head table, counters, errors) lives in the pure ``LogParser``
# object; this subclass replaces only ``scan``, the loop over the complete lines of a
# chunk, and calls the documented interface of laaos/_parser.py for everything else
# (``apply``, ``apply_cached``, ``remember``, ``line``, ``fail``), never a private field.
#
# Per line, in C: (0) in a partial load, the `store[KEY]` prefixes of skipped keys (a run
# of such lines passed over a block of bytes at a time: skiplines.h);
# (1) the heads of the last eight appends, matched with memcmp (valid until Python code
# runs); (2) the head table, keyed by the head's text; (3) a whole statement of any form the writer
# writes (`store = {...}`, `ACC[K]=V`, `ACC[I] = V`, `ACC.append(V)`, `.insert`, `.extend`,
# `.add`, `.discard`, `.clear`, `del ACC[K]`), with its literal value parsed in C at any
# legal nesting (strings with escapes, bytes, big ints, complex, float('nan'), set()).
# Anything else -- a symbol, a comment, a multi-line statement, an error -- goes to the
# pure general path, which gives the value or the error.  Any doubt in C means "not mine":
# the general path then decides, so both backends agree by construction.

from cpython.float cimport PyFloat_FromDouble
from cpython.list cimport PyList_Append
from cpython.long cimport PyLong_FromLongLong, PyLong_AsLongLongAndOverflow
from cpython.dict cimport PyDict_SetItem, PyDict_GetItem
from cpython.set cimport PySet_Add
from cpython.mem cimport PyMem_Malloc, PyMem_Free
from cpython.object cimport PyObject
from libc.stdint cimport uint64_t
from libc.string cimport memchr, memcmp, memcpy, memset

from laaos import _grammar as _pygrammar
from laaos import _limits as _pylimits
from laaos import _literals as _pyliterals
from laaos import _parser as _pyparser

cdef extern from "Python.h":
    object PyLong_FromString(const char* s, char** pend, int base)
    object PyBytes_FromStringAndSize(const char* s, Py_ssize_t n)

cdef extern from "Python.h":
    bint PyUnicode_IS_ASCII(object o)

cdef extern from "<stdlib.h>":
    long long strtoll(const char* s, char** endp, int base)

cdef extern from "skiplines.h":
    const char* laaos_skip_lines(const char* p, const char* stop, const char** heads, const Py_ssize_t* lens,
                                 int n, Py_ssize_t max_bytes, Py_ssize_t* lines) nogil

cdef extern from "floatfmt.h":
    const char* laaos_parse_double(const char* first, const char* last, double* out)

cdef int _ROOT = _pygrammar.ROOT
cdef int _SET = _pygrammar.SET
cdef int _DELETE = _pygrammar.DELETE
cdef int _APPEND = _pygrammar.APPEND
cdef int _INSERT = _pygrammar.INSERT
cdef int _MAX_DEPTH = _pylimits.MAX_DEPTH
cdef long long _MODULUS = _pylimits.HASH_MODULUS
cdef object _MISS = _pyliterals.MISS
cdef object _METHODS = _pygrammar.METHODS
cdef object _FLOAT_WORDS = _pyliterals.FLOAT_WORDS
cdef object _wanted = _pygrammar.wanted
cdef object _LogError = _pyparser.LogError


cdef struct Cursor:
    const char* p
    const char* end
    bint miss
    bint float_ok  # `float(...)` is the builtin (no symbol of that name was passed)
    bint set_ok
    PyObject** strings  # STRINGS recent short ASCII strings (dict keys), or NULL
    PyObject* string_refs  # the list that keeps them alive
    Py_ssize_t max_equal  # keys of one literal dict or set that may share a hash


cdef inline bint _chosen(object key) except -1:
    # laaos._literals.chosen_hash, for a key that is not a str: whether the log's author
    # could give many such keys one hash.
    cdef int overflow = 0
    cdef long long v
    if type(key) is int:
        v = PyLong_AsLongLongAndOverflow(key, &overflow)
        return overflow != 0 or not (-_MODULUS < v < _MODULUS)
    return not (type(key) is bytes or type(key) is bool or key is None)


cdef bint _one_too_many(Cursor* c, dict counts, object container, object key) except -1:
    # Count a new key of a chosen hash in one literal dict or set of at least the limit's
    # size (a smaller one cannot hold a flood): its keys are counted (into the empty
    # counts) when it reaches it.  True past the limit: the general path then refuses the
    # statement and says why.
    cdef Py_ssize_t n
    h = hash(key)
    if not counts:
        for k in container:
            if type(k) is not str and _chosen(k):
                hk = hash(k)
                counts[hk] = counts.get(hk, 0) + 1
        n = counts[h]
    else:
        n = counts.get(h, 0) + 1
        counts[h] = n
    return n > c.max_equal


cdef inline void _skip_ws(Cursor* c):
    while c.p < c.end and (c.p[0] == b' ' or c.p[0] == b'\t'):
        c.p += 1


cdef inline bint _ident_char(char ch):
    return (b'a' <= ch <= b'z') or (b'A' <= ch <= b'Z') or (b'0' <= ch <= b'9') or ch == b'_'


cdef object _number(Cursor* c):
    # A decimal int, float or imaginary literal, as the pure tokenizer and int()/float()
    # read it; anything unusual (underscores, hex, '.5', leading zeros) is a miss.
    cdef const char* start = c.p
    cdef const char* q = c.p
    cdef char tmp[64]
    cdef char* endp
    cdef Py_ssize_t n
    cdef double d
    if q < c.end and q[0] == b'-':
        q += 1
    cdef const char* digits = q
    while q < c.end and b'0' <= q[0] <= b'9':
        q += 1
    if q == digits:
        c.miss = True
        return None
    if q < c.end and (q[0] == b'.' or q[0] == b'e' or q[0] == b'E'):
        # a float: from_chars reads the rest of it (no second pass over the digits)
        q = laaos_parse_double(start, c.end, &d)
        if q == NULL:
            c.miss = True
            return None
        if q < c.end and (q[0] == b'j' or q[0] == b'J'):
            if start[0] == b'-' or (q + 1 < c.end and _ident_char(q[1])):
                c.miss = True  # the minus is an operator on the imaginary literal: the general path
                return None
            c.p = q + 1
            return complex(0.0, d)
        if q < c.end and (_ident_char(q[0]) or q[0] == b'.'):
            c.miss = True  # '1.5e', '1.5x', '1.5.2', ...: the general path decides
            return None
        if q - start > 64:
            c.miss = True  # far longer than any repr: the general path applies the limit on numbers
            return None
        c.p = q
        return PyFloat_FromDouble(d)
    n = q - start
    if q < c.end and (q[0] == b'j' or q[0] == b'J'):
        if start[0] == b'-' or (q + 1 < c.end and _ident_char(q[1])):
            c.miss = True
            return None
        if not laaos_parse_double(start, q, &d):
            c.miss = True
            return None
        c.p = q + 1
        return complex(0.0, d)
    elif q < c.end and _ident_char(q[0]):
        c.miss = True  # underscores, hex, ...: the general path decides
        return None
    if n >= 60:
        c.miss = True
        return None
    if digits[0] == b'0' and q - digits > 1:
        c.miss = True  # leading zeros: an error, raised by the general path
        return None
    memcpy(tmp, start, n)
    tmp[n] = 0
    c.p = q
    if q - digits <= 18:
        return PyLong_FromLongLong(strtoll(tmp, &endp, 10))
    return PyLong_FromString(tmp, &endp, 10)


cdef inline int _hex(char ch):
    if 48 <= ch <= 57:  # 0-9
        return ch - 48
    if 97 <= ch <= 102:  # a-f
        return ch - 87
    if 65 <= ch <= 70:  # A-F
        return ch - 55
    return -1


cdef inline long _hex_run(const char* p, int n):
    cdef long v = 0
    cdef int i, h
    for i in range(n):
        h = _hex(p[i])
        if h < 0:
            return -1
        v = v * 16 + h
    return v


cdef inline char* _put_utf8(char* out, long cp):
    # Surrogates are written as three bytes too; the decoder reads them back with
    # "surrogatepass", as unicode_escape gives lone surrogates.
    if cp < 0x80:
        out[0] = <char>cp
        return out + 1
    if cp < 0x800:
        out[0] = <char>(0xC0 | (cp >> 6))
        out[1] = <char>(0x80 | (cp & 0x3F))
        return out + 2
    if cp < 0x10000:
        out[0] = <char>(0xE0 | (cp >> 12))
        out[1] = <char>(0x80 | ((cp >> 6) & 0x3F))
        out[2] = <char>(0x80 | (cp & 0x3F))
        return out + 3
    out[0] = <char>(0xF0 | (cp >> 18))
    out[1] = <char>(0x80 | ((cp >> 12) & 0x3F))
    out[2] = <char>(0x80 | ((cp >> 6) & 0x3F))
    out[3] = <char>(0x80 | (cp & 0x3F))
    return out + 4


cdef object _decode_escaped(const char* start, const char* stop, bint is_bytes, Cursor* c):
    # The escapes repr writes (\\ \' \" \n \r \t \xHH, and \uHHHH \UHHHHHHHH in str);
    # any other escape is a miss, for the general path's codecs to decide.
    cdef Py_ssize_t n = stop - start
    cdef char* buf = <char*>PyMem_Malloc(n + 1)
    cdef char* out = buf
    cdef const char* q = start
    cdef unsigned char ch
    cdef long cp
    if buf == NULL:
        raise MemoryError()
    try:
        while q < stop:
            ch = <unsigned char>q[0]
            if ch != b'\\':
                if is_bytes and ch >= 0x80:
                    c.miss = True
                    return None
                if ch == 0xED and q + 1 < stop and (<unsigned char>q[1]) >= 0xA0:
                    c.miss = True  # an encoded surrogate: invalid UTF-8, the general path says so
                    return None
                out[0] = <char>ch
                out += 1
                q += 1
                continue
            ch = <unsigned char>q[1]
            q += 2
            if ch == b'\\' or ch == b"'" or ch == b'"':
                out[0] = <char>ch
                out += 1
            elif ch == b'n':
                out[0] = b'\n'
                out += 1
            elif ch == b'r':
                out[0] = b'\r'
                out += 1
            elif ch == b't':
                out[0] = b'\t'
                out += 1
            elif ch == b'x' or (not is_bytes and (ch == b'u' or ch == b'U')):
                n = 2 if ch == b'x' else (4 if ch == b'u' else 8)
                if stop - q < n:
                    c.miss = True
                    return None
                cp = _hex_run(q, <int>n)
                if cp < 0 or cp > 0x10FFFF:
                    c.miss = True
                    return None
                q += n
                if is_bytes:
                    out[0] = <char>cp
                    out += 1
                else:
                    out = _put_utf8(out, cp)
            else:
                c.miss = True
                return None
        if is_bytes:
            return PyBytes_FromStringAndSize(buf, out - buf)
        try:
            return PyUnicode_DecodeUTF8(buf, out - buf, "surrogatepass")
        except UnicodeDecodeError:
            c.miss = True
            return None
    finally:
        PyMem_Free(buf)


cdef object _string(Cursor* c):
    # A string or bytes literal ('', "", b'', B'', u'', U''), scanned in one pass.
    cdef bint is_bytes = False
    cdef char first = c.p[0]
    if first == b'b' or first == b'B' or first == b'u' or first == b'U':
        is_bytes = first == b'b' or first == b'B'
        c.p += 1
        if c.p >= c.end or not (c.p[0] == b"'" or c.p[0] == b'"'):
            c.miss = True
            return None
    cdef char quote = c.p[0]
    cdef const char* start = c.p + 1
    cdef const char* q = start
    cdef bint escaped = False
    cdef const char* i
    while q < c.end:
        if q[0] == quote:
            break
        if q[0] == b'\\':
            escaped = True
            q += 2
            continue
        q += 1
    if q >= c.end:
        c.miss = True
        return None
    c.p = q + 1
    if escaped:
        return _decode_escaped(start, q, is_bytes, c)
    if not is_bytes and c.strings != NULL and q - start <= 32:
        return _short_string(c, start, q - start)
    if is_bytes:
        i = start
        while i < q:
            if (<unsigned char>i[0]) >= 0x80:
                c.miss = True
                return None
            i += 1
        return PyBytes_FromStringAndSize(start, q - start)
    try:
        return PyUnicode_DecodeUTF8(start, q - start, NULL)
    except UnicodeDecodeError:
        c.miss = True
        return None


cdef enum:
    STRINGS = 256


cdef object _short_string(Cursor* c, const char* start, Py_ssize_t n):
    # Dict keys repeat on every line ({'step': .., 'loss': ..}): the same str object is
    # handed out again instead of decoding and hashing a new one.
    cdef unsigned int h = 2166136261u
    cdef Py_ssize_t i, cached_len
    cdef const char* data
    for i in range(n):
        h = (h ^ <unsigned char>start[i]) * 16777619u
    h &= STRINGS - 1
    cdef PyObject* cached = c.strings[h]
    if cached != NULL:
        data = PyUnicode_AsUTF8AndSize(<object>cached, &cached_len)  # ASCII: its own bytes
        if cached_len == n and memcmp(data, start, n) == 0:
            return <object>cached
    try:
        value = PyUnicode_DecodeUTF8(start, n, NULL)
    except UnicodeDecodeError:
        c.miss = True
        return None
    if PyUnicode_IS_ASCII(value):
        (<list>c.string_refs)[h] = value
        c.strings[h] = <PyObject*>value
    return value


cdef object _items(Cursor* c, char close, int depth, list out):
    # Comma-separated values up to `close` (a trailing comma allowed), into out.
    _skip_ws(c)
    if c.p < c.end and c.p[0] == close:
        c.p += 1
        return out
    while True:
        _skip_ws(c)
        item = _value(c, depth + 1)
        if c.miss:
            return None
        PyList_Append(out, item)
        _skip_ws(c)
        if c.p < c.end and c.p[0] == b',':
            c.p += 1
            _skip_ws(c)
            if c.p < c.end and c.p[0] == close:
                c.p += 1
                return out
            continue
        if c.p < c.end and c.p[0] == close:
            c.p += 1
            return out
        c.miss = True
        return None


cdef object _value(Cursor* c, int depth):
    # One literal; on anything it does not know it sets c.miss.
    cdef char ch
    cdef object result, key, item, imag
    cdef object counts = None  # hash -> keys, for the keys whose hash the author chose
    cdef Py_ssize_t size
    cdef const char* mark
    if depth > _MAX_DEPTH or c.p >= c.end:
        c.miss = True
        return None
    ch = c.p[0]
    if b'0' <= ch <= b'9':
        return _number(c)
    if ch == b'-':
        if c.p + 1 < c.end and b'0' <= c.p[1] <= b'9':
            return _number(c)
        if c.p + 1 < c.end and c.p[1] == b'f':  # -float('inf')
            c.p += 1
            item = _value(c, depth + 1)
            if c.miss or type(item) is not float:
                c.miss = True
                return None
            return -<double>item
        c.miss = True
        return None
    if ch == b"'" or ch == b'"':
        return _string(c)
    if ch == b'[':
        c.p += 1
        return _items(c, b']', depth, [])
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
                size = len(<dict>result)
                try:
                    PyDict_SetItem(result, key, item)
                except TypeError:
                    c.miss = True
                    return None
                if size >= c.max_equal and type(key) is not str and len(<dict>result) > size and _chosen(key):
                    if counts is None:
                        counts = {}
                    if _one_too_many(c, counts, result, key):
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
                if c.p < c.end and c.p[0] == b'}':
                    c.p += 1
                    return result
                key = _value(c, depth + 1)
                if c.miss:
                    return None
                _skip_ws(c)
                if not (c.p < c.end and c.p[0] == b':'):
                    c.miss = True
                    return None
        result = set()
        while True:
            size = len(<set>result)
            try:
                PySet_Add(result, key)
            except TypeError:
                c.miss = True
                return None
            if size >= c.max_equal and type(key) is not str and len(<set>result) > size and _chosen(key):
                if counts is None:
                    counts = {}
                if _one_too_many(c, counts, result, key):
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
            if c.p < c.end and c.p[0] == b'}':
                c.p += 1
                return result
            key = _value(c, depth + 1)
            if c.miss:
                return None
    if ch == b'(':
        c.p += 1
        _skip_ws(c)
        if c.p < c.end and c.p[0] == b')':
            c.p += 1
            return ()
        mark = c.p
        item = _value(c, depth + 1)
        if c.miss:
            return None
        # (real+imagj), as repr writes a complex: the real part a number literal
        if (c.p < c.end and (c.p[0] == b'+' or c.p[0] == b'-') and (type(item) is int or type(item) is float)
                and (b'0' <= mark[0] <= b'9' or mark[0] == b'-')):
            ch = c.p[0]
            c.p += 1
            imag = _number(c)
            if c.miss or type(imag) is not complex:
                c.miss = True
                return None
            try:
                item = item + imag if ch == b'+' else item - imag
            except OverflowError:
                c.miss = True
                return None
        _skip_ws(c)
        if c.p < c.end and c.p[0] == b')':
            c.p += 1
            return item
        if not (c.p < c.end and c.p[0] == b','):
            c.miss = True
            return None
        c.p += 1
        result = _items(c, b')', depth, [item])
        if c.miss:
            return None
        return tuple(result)
    if ch == b'b' or ch == b'B' or ch == b'u' or ch == b'U':
        if c.p + 1 < c.end and (c.p[1] == b"'" or c.p[1] == b'"'):
            return _string(c)
    if c.end - c.p >= 4 and memcmp(c.p, b"None", 4) == 0:
        c.p += 4
        return _name_end(c, None)
    if c.end - c.p >= 4 and memcmp(c.p, b"True", 4) == 0:
        c.p += 4
        return _name_end(c, True)
    if c.end - c.p >= 5 and memcmp(c.p, b"False", 5) == 0:
        c.p += 5
        return _name_end(c, False)
    if c.float_ok and c.end - c.p >= 9 and memcmp(c.p, b"float(", 6) == 0:
        c.p += 6
        if not (c.p[0] == b"'" or c.p[0] == b'"'):
            c.miss = True
            return None
        item = _string(c)
        if c.miss or not (c.p < c.end and c.p[0] == b')'):
            c.miss = True
            return None
        c.p += 1
        if item.strip().lower() not in _FLOAT_WORDS:
            c.miss = True  # the general path says why
            return None
        return float(item)
    if c.set_ok and c.end - c.p >= 5 and memcmp(c.p, b"set()", 5) == 0:
        c.p += 5
        return set()
    c.miss = True
    return None


cdef inline object _name_end(Cursor* c, object value):
    if c.p < c.end and _ident_char(c.p[0]):
        c.miss = True  # "Nonesuch": a name, not a constant
    return value


cdef object _whole_value(const char* p, const char* end, Cursor* flags):
    # The value of p..end if it is exactly one literal (spaces around it allowed), else _MISS.
    cdef Cursor cur = flags[0]
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


# What _balanced must look at: 0 for the bytes it passes over (most of a statement).
cdef unsigned char _BAL[256]
_BAL[:] = [1 if c >= 128 else 0 for c in range(256)]  # non-ASCII
_BAL[ord('#')] = 1
_BAL[ord("'")] = 2
_BAL[ord('"')] = 2
_BAL[ord('(')] = 3
_BAL[ord('[')] = 3
_BAL[ord('{')] = 3
_BAL[ord(')')] = 4
_BAL[ord(']')] = 4
_BAL[ord('}')] = 4


cdef unsigned char _NUMBER_CHAR[256]  # what a number literal is made of
_NUMBER_CHAR[:] = [1 if chr(c) in "0123456789.eE+-" else 0 for c in range(256)]
cdef signed char _DELTA[256]  # what a byte adds to the bracket depth
cdef unsigned char _STOP[256]  # a string, a comment or non-ASCII: the exact loop
_DELTA[:] = [0] * 256
_STOP[:] = [1 if c >= 128 or chr(c) in "#'\"" else 0 for c in range(256)]
_DELTA[ord('(')] = _DELTA[ord('[')] = _DELTA[ord('{')] = 1
_DELTA[ord(')')] = _DELTA[ord(']')] = _DELTA[ord('}')] = -1


cdef bint _balanced(const char* p, const char* end):
    # The rule of laaos._literals.balanced_rest: the rest of a skipped statement ends on
    # its line (as many closing brackets as opening ones outside strings, strings closed,
    # no comment).  Non-ASCII text goes to the general path, which checks its UTF-8.
    cdef Py_ssize_t depth = 0
    cdef unsigned char k, special = 0
    cdef char quote
    cdef const char* q = p
    # Most rests hold no string: one branch-free pass counts their brackets.
    while q < end:
        k = <unsigned char>q[0]
        depth += _DELTA[k]
        special |= _STOP[k]
        q += 1
    if not special:
        return depth == 0
    depth = 0
    while p < end:
        k = _BAL[<unsigned char>p[0]]
        if k == 0:
            p += 1
        elif k == 3:
            depth += 1
            p += 1
        elif k == 4:
            depth -= 1
            p += 1
        elif k == 2:
            quote = p[0]
            p += 1
            while p < end and p[0] != quote:
                if p[0] == b'\\' and p + 1 < end:
                    p += 1  # the escaped byte, checked below like any other
                if (<unsigned char>p[0]) >= 0x80:
                    return False
                p += 1
            if p >= end:
                return False
            p += 1
        else:
            return False
    return depth == 0


cdef inline bint _same(const char* a, const char* b, Py_ssize_t n) noexcept nogil:
    # memcmp(a, b, n) == 0 for the short heads compared on every line, without the call:
    # eight bytes at a time (memcpy of a constant size compiles to one load).
    cdef uint64_t x, y
    while n >= 8:
        memcpy(&x, a, 8)
        memcpy(&y, b, 8)
        if x != y:
            return False
        a += 8
        b += 8
        n -= 8
    while n > 0:
        if a[0] != b[0]:
            return False
        a += 1
        b += 1
        n -= 1
    return True


cdef object _SKIPPED = object()
cdef enum:
    RING = 8  # recent append heads checked before the head table


cdef object _resolve(object parser, list path, Py_ssize_t n):
    # The container at path[:n], or None where the general path must report the error.
    cdef object container = parser.root
    cdef Py_ssize_t i
    for i in range(n):
        if type(container) is not dict and type(container) is not list:
            return None
        try:
            container = container[path[i]]
        except (KeyError, IndexError, TypeError):
            return None
    if type(container) is not dict and type(container) is not list and type(container) is not set:
        return None
    return container


cdef object _statement(object parser, const char* p, const char* le, Py_ssize_t lineno, Cursor* flags,
                       object keys, dict heads, Py_ssize_t* head_len):
    # A whole statement in C.  Returns None (not mine: the general path decides),
    # _SKIPPED (under a key a partial load leaves out), the list appended to (its head
    # remembered, its length in head_len), or True (another operation applied).
    cdef Cursor cur = flags[0]
    cdef const char* head_end
    cdef const char* name
    cdef list path = []
    cdef object key, value, target, spec, args
    cdef int kind, nargs
    cdef bint is_del = le - p > 10 and memcmp(p, b"del store[", 10) == 0
    if is_del:
        p += 4  # parsed as `store[...]` below; the skip rule and head table see no `del`
    elif le - p < 7 or memcmp(p, b"store", 5) != 0:
        return None
    cur.miss = False
    cur.end = le
    if p[5] == b' ' and not is_del:
        if le - p < 9 or memcmp(p + 5, b" = ", 3) != 0:
            return None
        value = _whole_value(p + 8, le, flags)
        if value is _MISS or type(value) is not dict:
            return None
        parser.apply(_ROOT, None, None, value, lineno)
        return True
    cur.p = p + 5
    while cur.p < le and cur.p[0] == b'[':
        cur.p += 1
        if keys is not None and not path and not (
                cur.p < le and (cur.p[0] == b"'" or cur.p[0] == b'"' or cur.p[0] == b'-' or b'0' <= cur.p[0] <= b'9')):
            return None  # a key the pure twin's top_key does not read: the general path
        key = _value(&cur, 1)
        if cur.miss or cur.p >= le or cur.p[0] != b']':
            return None
        cur.p += 1
        if keys is not None and not path and not _wanted(keys, key):
            if is_del:
                return None  # the pure twin reads a skipped `del` whole: so does the general path here
            head_len[0] = cur.p - p  # `store[KEY]`: every line that starts so is skipped too
            return _SKIPPED if _balanced(cur.p, le) else None
        path.append(key)
    if is_del:
        if not path or cur.p != le:
            return None
        target = _resolve(parser, path, len(path) - 1)
        if target is None:
            return None
        try:
            parser.apply(_DELETE, target, path[-1], None, lineno)
        except _LogError:
            return None  # nothing was changed: the general path raises the same error
        return True
    if not path or cur.p >= le:
        return None
    if cur.p[0] == b'=' or cur.p[0] == b' ':
        if cur.p[0] == b' ':
            if le - cur.p < 3 or memcmp(cur.p, b" = ", 3) != 0:
                return None
            head_end = cur.p + 2
        else:
            head_end = cur.p + 1
        value = _whole_value(head_end, le, flags)
        if value is _MISS:
            return None
        target = _resolve(parser, path, len(path) - 1)
        if target is None or type(target) is set:
            return None
        try:
            parser.apply(_SET, target, path[-1], value, lineno)
        except _LogError:
            return None  # nothing was changed: the general path raises the same error
        if <const char*>memchr(p, b'=', le - p) == head_end - 1:
            parser.remember(_decode(p, head_end), _SET, target, path[-1])
        return True
    if cur.p[0] != b'.':
        return None
    cur.p += 1
    name = cur.p
    while cur.p < le and b'a' <= cur.p[0] <= b'z':
        cur.p += 1
    if cur.p >= le or cur.p[0] != b'(' or le[-1] != b')':
        return None
    spec = _METHODS.get(PyUnicode_DecodeUTF8(name, cur.p - name, NULL))
    if spec is None:
        return None
    cur.p += 1
    head_end = cur.p
    args = _items(&cur, b')', 0, [])
    if cur.miss or cur.p != le:
        return None
    kind = spec[0]
    nargs = spec[2]
    target = _resolve(parser, path, len(path))
    if target is None or len(args) != nargs:
        return None
    if spec[1] is not None and type(target) is not spec[1]:
        return None
    if kind == _APPEND:
        PyList_Append(target, args[0])
        if <const char*>memchr(p, b'(', le - p) == head_end - 1:
            parser.remember(_decode(p, head_end), _APPEND, target, None)
            head_len[0] = head_end - p
            return target
        return True
    if kind == _INSERT:
        if type(args[0]) is not int:
            return None
        key, value = args
    else:
        key = None
        value = args[0] if args else None
    try:
        parser.apply(kind, target, key, value, lineno)
    except _LogError:
        return None
    if <const char*>memchr(p, b'(', le - p) == head_end - 1:
        parser.remember(_decode(p, head_end), kind, target, key)
    return True


cdef object _decode(const char* p, const char* end):
    try:
        return PyUnicode_DecodeUTF8(p, end - p, NULL)
    except UnicodeDecodeError:
        return None


class LogParser(_pyparser.LogParser):
    """Parses a log fed as bytes; ``laaos._parser.LogParser`` with its line loop in C."""

    def feed(self, data):
        """Apply every complete statement in ``data``; keep an incomplete tail back."""
        # One thread at a time per parser on a free-threaded build (a no-op with a GIL).
        with cython.critical_section(self):
            _pyparser.LogParser.feed(self, data)

    def scan(self, bytes data, Py_ssize_t start, Py_ssize_t end):
        """Process the complete lines in ``data[start:end]`` (which ends in a newline), in C."""
        if not 0 <= start <= end <= PyBytes_GET_SIZE(data):
            raise ValueError("scan: start and end outside the data")
        cdef const char* p = PyBytes_AS_STRING(data) + start
        cdef const char* stop = PyBytes_AS_STRING(data) + end
        cdef const char* nl
        cdef const char* le
        cdef const char* mark
        cdef const char* q
        cdef Py_ssize_t depth
        cdef unsigned char k, special
        cdef Py_ssize_t hlen = 0
        cdef Py_ssize_t lineno = self.lines
        cdef long long fast = 0
        cdef object done
        cdef bint is_open = self.open_statement
        cdef Cursor flags, cur
        cdef dict heads = self.heads
        # The heads of the last few appends (interleaved series), checked with memcmp
        # before the head table; valid until Python code runs, which may clear the table.
        cdef const char* ring_head[RING]
        cdef Py_ssize_t ring_len[RING]
        cdef PyObject* ring_target[RING]
        cdef int ring_n = 0, ring_next = 0, i
        cdef list ring_refs = [None] * RING  # keeps the heads and targets alive
        # The `store[KEY]` prefixes of the keys a partial load skips: these stay valid.
        cdef const char* skip_head[RING]
        cdef Py_ssize_t skip_len[RING]
        cdef int skip_n = 0, skip_next = 0
        cdef list skip_refs = [None] * RING
        cdef bytes hb
        cdef object value, entry, head
        cdef object keys = self.keys
        cdef Py_ssize_t max_bytes = self.max_statement_bytes  # longer lines: the general path says so
        symbols = self.symbols
        flags.float_ok = "float" not in symbols
        flags.set_ok = "set" not in symbols
        flags.max_equal = self.max_equal_hashes
        cdef PyObject* strings[STRINGS]
        cdef list string_refs = [None] * STRINGS
        memset(strings, 0, sizeof(strings))
        flags.strings = strings
        flags.string_refs = <PyObject*>string_refs
        try:
            while p < stop:
                if skip_n and not is_open:
                    # (0'') the run of lines under skipped keys that need no exact look
                    p = laaos_skip_lines(p, stop, skip_head, skip_len, skip_n, max_bytes, &lineno)
                    if p >= stop:
                        break
                lineno += 1
                if skip_n and not is_open:
                    # (0') a line under a skipped key, found and checked in one pass: its
                    # head matched in place, then its rest scanned up to the newline (the
                    # chunk ends in one) for brackets, strings, comments and non-ASCII.
                    for i in range(skip_n):
                        hlen = skip_len[i]
                        if stop - p > hlen and p[hlen - 2] == skip_head[i][hlen - 2] and _same(p, skip_head[i], hlen):
                            break
                    else:
                        i = -1
                    if i >= 0:
                        q = p + hlen
                        # Most such lines are `.method(NUMBER)`: balanced, nothing special.
                        if q[0] == b'.':
                            q += 1
                            while b'a' <= q[0] <= b'z':
                                q += 1
                            if q[0] == b'(':
                                q += 1
                                while _NUMBER_CHAR[<unsigned char>q[0]]:
                                    q += 1
                                if q[0] == b')' and (q[1] == b'\n' or (q[1] == b'\r' and q[2] == b'\n')) and q - p < max_bytes:
                                    p = q + (2 if q[1] == b'\n' else 3)
                                    continue
                            q = p + hlen
                        depth = 0
                        special = 0
                        while q[0] != b'\n':
                            k = <unsigned char>q[0]
                            depth += _DELTA[k]
                            special |= _STOP[k]
                            q += 1
                        if not special and depth == 0 and q - p <= max_bytes:
                            p = q + 1
                            continue
                        nl = q  # a string or a comment in it: the exact rule below
                    else:
                        nl = <const char*>memchr(p, b'\n', stop - p)
                else:
                    if ring_n and not is_open:
                        # (1') the head of a recent append and a plain number, found in
                        # place: the number cannot run past its line, and `)` then the
                        # newline end the statement, so the line needs no memchr.
                        for i in range(ring_n):
                            hlen = ring_len[i]
                            if stop - p > hlen and p[hlen - 11] == ring_head[i][hlen - 11] and _same(p, ring_head[i], hlen):
                                break
                        else:
                            i = -1
                        if i >= 0 and ((b'0' <= p[hlen] <= b'9') or (p[hlen] == b'-' and b'0' <= p[hlen + 1] <= b'9')):
                            cur = flags
                            cur.p = p + hlen
                            cur.end = stop
                            cur.miss = False
                            value = _number(&cur)
                            q = cur.p
                            if not cur.miss and q[0] == b')' and (q[1] == b'\n' or (q[1] == b'\r' and q[2] == b'\n')):
                                PyList_Append(<object>ring_target[i], value)
                                fast += 1
                                p = q + (2 if q[1] == b'\n' else 3)
                                continue
                    nl = <const char*>memchr(p, b'\n', stop - p)
                le = nl
                if le > p and le[-1] == b'\r':
                    le -= 1
                if not is_open and le > p and le - p <= max_bytes:
                    # (0) a statement under a key that a partial load skips
                    if skip_n:
                        for i in range(skip_n):
                            hlen = skip_len[i]
                            # the key's last character first: it tells most keys apart
                            if le - p > hlen and p[hlen - 2] == skip_head[i][hlen - 2] and _same(p, skip_head[i], hlen):
                                break
                        else:
                            i = -1
                        if i >= 0 and _balanced(p + hlen, le):
                            p = nl + 1
                            continue
                    # (1) the head of a recent append
                    if ring_n and le[-1] == b')':
                        for i in range(ring_n):
                            hlen = ring_len[i]
                            if le - p > hlen and p[hlen - 11] == ring_head[i][hlen - 11] and _same(p, ring_head[i], hlen):
                                break
                        else:
                            i = -1
                        if i >= 0:
                            value = _whole_value(p + hlen, le - 1, &flags)
                            if value is not _MISS:
                                PyList_Append(<object>ring_target[i], value)
                                fast += 1
                                p = nl + 1
                                continue
                    # (2) the head table
                    entry = None
                    mark = <const char*>memchr(p, b'(', le - p)
                    if mark != NULL and mark > p:
                        head = _decode(p, mark + 1)
                        if head is not None:
                            entry = heads.get(head)
                        if entry is not None and le[-1] == b')':
                            value = _whole_value(mark + 1, le - 1, &flags)
                            if value is not _MISS:
                                if entry[0] == _APPEND:
                                    PyList_Append(entry[1], value)
                                    fast += 1
                                    hlen = mark + 1 - p
                                    hb = PyBytes_FromStringAndSize(p, hlen)
                                    ring_refs[ring_next] = (hb, entry[1])
                                    ring_head[ring_next] = PyBytes_AS_STRING(hb)
                                    ring_len[ring_next] = hlen
                                    ring_target[ring_next] = <PyObject*>entry[1]
                                    ring_next = (ring_next + 1) % RING
                                    ring_n = min(ring_n + 1, RING)
                                else:
                                    ring_n = ring_next = 0
                                    self.apply_cached(entry, value, lineno)
                                p = nl + 1
                                continue
                    if entry is None:
                        mark = <const char*>memchr(p, b'=', le - p)
                        if mark != NULL and mark > p:
                            head = _decode(p, mark + 1)
                            entry = heads.get(head) if head is not None else None
                            if entry is not None:
                                value = _whole_value(mark + 1, le, &flags)
                                if value is not _MISS:
                                    ring_n = ring_next = 0
                                    self.apply_cached(entry, value, lineno)
                                    p = nl + 1
                                    continue
                    # (3) a whole statement
                    done = _statement(self, p, le, lineno, &flags, keys, heads, &hlen)
                    if done is not None:
                        if done is _SKIPPED:
                            hb = PyBytes_FromStringAndSize(p, hlen)
                            skip_refs[skip_next] = hb
                            skip_head[skip_next] = PyBytes_AS_STRING(hb)
                            skip_len[skip_next] = hlen
                            skip_next = (skip_next + 1) % RING
                            skip_n = min(skip_n + 1, RING)
                            p = nl + 1
                            continue
                        fast += 1
                        ring_n = ring_next = 0  # Python code ran (apply, remember)
                        p = nl + 1
                        continue
                # (4) the general path, with the line's '\r' as the pure side sees it
                ring_n = ring_next = 0
                line = _decode(p, nl)
                if line is None:
                    try:
                        PyUnicode_DecodeUTF8(p, nl - p, NULL)
                    except UnicodeDecodeError as e:
                        self.fail(_pyparser.LogSyntaxError, f"invalid UTF-8 at byte {e.start} of the line", lineno)
                else:
                    self.line(line, lineno)
                is_open = self.open_statement
                p = nl + 1
        finally:
            self.lines = lineno
            self.statements += fast

