# Rendering: values to the exact source text of the log (the twin of laaos/_render.py).

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.long cimport PyLong_AsLongLongAndOverflow
from cpython.unicode cimport PyUnicode_AsUTF8AndSize, PyUnicode_DecodeUTF8
from libcpp.string cimport string

from laaos._render import render_complex as _py_render_complex
from laaos._render import render_int as _py_render_int

cdef extern from "floatfmt.h":
    int laaos_format_double(double x, char *out)

cdef extern from "Python.h":
    object PyObject_Repr(object o)
    bint PyUnicode_IS_ASCII(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)
    void* PyUnicode_DATA(object o)


# (The appenders return an int, not void, so that a caller checks a -1 instead of asking
# PyErr_Occurred after every call: they run several times per statement.)

cdef inline int _append_str(string& out, str s) except -1:
    cdef Py_ssize_t n
    cdef const char* p = PyUnicode_AsUTF8AndSize(s, &n)
    out.append(p, <size_t>n)
    return 0


cdef inline bint _append_plain_str(string& out, str s) noexcept:
    """Append ``repr(s)`` for a short printable ASCII string without quotes or
    backslashes (dict keys, mostly), which is the string in single quotes; 0 (nothing
    appended) for any other string."""
    cdef Py_ssize_t n, i
    cdef const char* p
    cdef char c
    if not PyUnicode_IS_ASCII(s):
        return 0
    n = PyUnicode_GET_LENGTH(s)
    if n > 64:
        return 0
    p = <const char*>PyUnicode_DATA(s)
    for i in range(n):
        c = p[i]
        if c < 32 or c > 126 or c == 39 or c == 92:  # control, DEL, quote, backslash
            return 0
    out.push_back(39)
    out.append(p, <size_t>n)
    out.push_back(39)
    return 1


cdef inline void _append_float(string& out, double x) noexcept:
    cdef char buf[48]
    cdef int n = laaos_format_double(x, buf)
    out.append(buf, <size_t>n)


cdef inline int _append_int(string& out, object x) except -1:
    cdef int overflow = 0
    cdef long long v = PyLong_AsLongLongAndOverflow(x, &overflow)
    cdef char buf[24]
    cdef int n = 0, i
    cdef unsigned long long u
    if overflow:
        return _append_str(out, _py_render_int(x))  # big ints: Python's own conversion and limit
    if v < 0:
        out.push_back(b'-')
        u = <unsigned long long>(-(v + 1)) + 1
    else:
        u = <unsigned long long>v
    while True:
        buf[n] = <char>(48 + u % 10)
        n += 1
        u //= 10
        if u == 0:
            break
    for i in range(n - 1, -1, -1):
        out.push_back(buf[i])
    return 0


cdef int _render_into(string& out, object value, object fallback) except -1:
    cdef type t = type(value)
    cdef Py_ssize_t i, n
    cdef bint first
    if t is float:
        _append_float(out, <double>value)
    elif t is str:
        if not _append_plain_str(out, value):
            _append_str(out, PyObject_Repr(value))
    elif t is int:
        _append_int(out, value)
    elif t is bool:
        if value:
            out.append(b"True")
        else:
            out.append(b"False")
    elif value is None:
        out.append(b"None")
    elif t is list:
        out.push_back(b'[')
        n = len(<list>value)
        for i in range(n):
            if i:
                out.append(b", ")
            _render_into(out, (<list>value)[i], fallback)
        out.push_back(b']')
    elif t is dict:
        out.push_back(b'{')
        first = True
        for k, v in (<dict>value).items():
            if not first:
                out.append(b", ")
            first = False
            _render_into(out, k, fallback)
            out.append(b": ")
            _render_into(out, v, fallback)
        out.push_back(b'}')
    elif t is set:
        if not value:
            out.append(b"set()")
        else:
            out.push_back(b'{')
            first = True
            for v in <set>value:
                if not first:
                    out.append(b", ")
                first = False
                _render_into(out, v, fallback)
            out.push_back(b'}')
    elif t is tuple:
        out.push_back(b'(')
        n = len(<tuple>value)
        for i in range(n):
            if i:
                out.append(b", ")
            _render_into(out, (<tuple>value)[i], fallback)
        if n == 1:
            out.push_back(b',')
        out.push_back(b')')
    elif t is bytes:
        _append_str(out, PyObject_Repr(value))
    elif t is complex:
        _append_str(out, _py_render_complex(value))
    elif t is frozenset:  # a key or set element (a frozenset value is stored as a set)
        if not value:
            out.append(b"frozenset()")
        else:
            out.append(b"frozenset({")
            first = True
            for v in <frozenset>value:
                if not first:
                    out.append(b", ")
                first = False
                _render_into(out, v, fallback)
            out.append(b"})")
    else:
        _append_str(out, fallback(value))  # a str, or TypeError as in the pure twin
    return 0


def render(value, fallback):
    """Render a plain value as Python source, exactly as ``repr`` would where it loads."""
    cdef string out
    _render_into(out, value, fallback)
    return PyUnicode_DecodeUTF8(out.c_str(), <Py_ssize_t>out.size(), NULL)


def render_float(double x):
    """``repr(x)``, except NaN and the infinities (exposed for tests and benchmarks)."""
    cdef char buf[48]
    cdef int n = laaos_format_double(x, buf)
    return PyUnicode_DecodeUTF8(buf, n, NULL)
