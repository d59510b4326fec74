# Plain copies of the store's containers for readers: the twin of
# laaos._engine.Engine.snapshot, called by the C Engine's ``snapshot``.
#
# Each container is copied in one C call under its store's lock (PyDict_Copy, a list
# slice, PySet_New), and its items are walked outside the lock: a thread rendering the
# store in a loop holds the lock for one container's copy at a time, never for a walk.

from cpython.dict cimport PyDict_Copy
from cpython.list cimport PyList_GetSlice
from cpython.set cimport PySet_New


cdef inline bint _is_stored_container(object v):
    cdef type t = type(v)
    return t is list or t is dict or t is set


cdef object _snapshot(RLock lock, object plain):
    """A plain copy of the stored container ``plain``, each container in it whole as it
    was at its copy."""
    cdef Py_ssize_t i
    cdef type t = type(plain)
    lock.take()
    try:
        if t is dict:
            items = PyDict_Copy(plain)
        elif t is list:
            items = PyList_GetSlice(plain, 0, len(<list>plain))
        else:
            items = PySet_New(plain)  # (a set holds plain values only)
    finally:
        lock.give()
    if t is dict:
        # (setting the value of a key the dict has is allowed while iterating it)
        for k, v in (<dict>items).items():
            if _is_stored_container(v):
                (<dict>items)[k] = _snapshot(lock, v)
    elif t is list:
        for i in range(len(<list>items)):
            v = (<list>items)[i]
            if _is_stored_container(v):
                (<list>items)[i] = _snapshot(lock, v)
    return items
