# What the notebook view draws of numeric series (the pure twin: laaos/_extremes.py): the
# least and greatest finite value of each pixel column, in one C pass over a list of floats
# and ints, or over the fields of a list of dicts holding them (one pass for all fields:
# reading the dicts from memory is what costs).  Any other series (a bool, a big int, a
# dict without a field, a Decimal) goes to the pure twin, so both backends give the same
# answer.

from cpython.object cimport PyObject
from cpython.dict cimport PyDict_GetItem, PyDict_Next
from cpython.float cimport PyFloat_AS_DOUBLE
from cpython.list cimport PyList_GET_ITEM
from cpython.long cimport PyLong_AsLongLongAndOverflow
from cpython.mem cimport PyMem_Malloc, PyMem_Free
from libc.math cimport isfinite

from laaos._extremes import extremes as _py_extremes


cdef struct _Extreme:
    double lo, hi
    Py_ssize_t lo_at, hi_at, non_finite


def extremes(list items, list fields, Py_ssize_t width):
    """For each of ``fields``, ``(columns, n, last, non_finite)`` of that numeric series
    of ``items``, or ``None``: see ``laaos._extremes.extremes``."""
    cdef Py_ssize_t n = len(items), nf = len(fields), cols, c, i, f, start, end
    cdef double x
    cdef int overflow
    cdef long long k, exact = (<long long>1) << 53  # (beyond 2**53 a double is not exact)
    cdef PyObject* item
    cdef PyObject* row
    cdef PyObject** keys
    cdef Py_ssize_t* hints
    cdef Py_ssize_t pos
    cdef PyObject* key
    cdef _Extreme* e
    if n == 0 or nf == 0 or width < 1:
        return _py_extremes(items, fields, width)
    for field in fields:
        if field is None and nf != 1:
            return _py_extremes(items, fields, width)
    cols = n if n < width else width
    e = <_Extreme*>PyMem_Malloc(nf * sizeof(_Extreme))
    keys = <PyObject**>PyMem_Malloc(nf * sizeof(PyObject*))
    hints = <Py_ssize_t*>PyMem_Malloc(nf * sizeof(Py_ssize_t))
    if e == NULL or keys == NULL or hints == NULL:
        PyMem_Free(e)
        PyMem_Free(keys)
        PyMem_Free(hints)
        raise MemoryError()
    try:
        first = list(items[0]) if type(items[0]) is dict else []
        for f in range(nf):
            keys[f] = <PyObject*>fields[f]  # (borrowed: fields holds them)
            e[f].non_finite = 0
            # Where the field is in the first dict: the dicts of a log share their key
            # objects and order (the loader interns keys), so most rows are read there
            # without a hash lookup; any other row is looked up.
            hints[f] = first.index(fields[f]) if fields[f] in first else 0
        out = [[] for f in range(nf)]
        start = 0
        for c in range(cols):
            end = (c + 1) * n // cols
            for f in range(nf):
                e[f].lo_at = -1
            for i in range(start, end):
                row = PyList_GET_ITEM(items, i)
                if keys[0] != <PyObject*>None and type(<object>row) is not dict:
                    return _py_extremes(items, fields, width)
                for f in range(nf):
                    if keys[f] == <PyObject*>None:
                        item = row
                    else:
                        pos = hints[f]
                        if not (PyDict_Next(<object>row, &pos, &key, &item) and key == keys[f]):
                            item = PyDict_GetItem(<object>row, <object>keys[f])
                            if item == NULL:
                                return _py_extremes(items, fields, width)
                    if type(<object>item) is float:
                        x = PyFloat_AS_DOUBLE(<object>item)
                    elif type(<object>item) is int:
                        k = PyLong_AsLongLongAndOverflow(<object>item, &overflow)
                        if overflow or k > exact or k < -exact:
                            return _py_extremes(items, fields, width)
                        x = <double>k
                    else:
                        return _py_extremes(items, fields, width)
                    if not isfinite(x):
                        e[f].non_finite += 1
                    elif e[f].lo_at < 0:
                        e[f].lo = e[f].hi = x
                        e[f].lo_at = e[f].hi_at = i
                    elif x < e[f].lo:  # (strict: the first of equal values, as min() and max() keep)
                        e[f].lo = x
                        e[f].lo_at = i
                    elif x > e[f].hi:
                        e[f].hi = x
                        e[f].hi_at = i
            for f in range(nf):
                if e[f].lo_at < 0:
                    out[f].append((None, None))
                else:
                    out[f].append((_extreme_at(items, fields[f], e[f].lo_at),
                                   _extreme_at(items, fields[f], e[f].hi_at)))
            start = end
        return [(out[f], n, _extreme_at(items, fields[f], n - 1), e[f].non_finite) for f in range(nf)]
    finally:
        PyMem_Free(e)
        PyMem_Free(keys)
        PyMem_Free(hints)


cdef inline object _extreme_at(list items, field, Py_ssize_t i):
    return items[i] if field is None else (<dict>items[i])[field]
