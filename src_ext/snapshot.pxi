# Plain copies of the store's containers for readers: the twin of laaos.proxies.snapshot.
#
# Each container is copied in one C call under its store's lock (PyDict_Copy, a list
# slice, PySet_New), and its items are walked outside the lock: a thread rendering the
# store in a loop holds the lock for one container's copy at a time, never for a walk.

from cpython.dict cimport PyDict_Copy
from cpython.list cimport PyList_GetSlice
from cpython.set cimport PySet_New

cdef object _py_snapshot = None
cdef object _StoreAccessible = None


def install_snapshot(snapshot, base_cls):
    """The C twin of ``snapshot`` (``laaos.proxies.snapshot``, to which it hands a store
    on the pure backend); ``base_cls`` is ``StoreAccessible``."""
    global _py_snapshot, _StoreAccessible
    _py_snapshot = snapshot
    _StoreAccessible = base_cls
    return store_snapshot


def store_snapshot(proxy):
    """A plain copy of ``proxy``, each container whole as it was at its copy."""
    if type(proxy._store._lock) is not RLock:
        return _py_snapshot(proxy)  # a store on the pure backend
    return _snapshot(proxy)


cdef inline bint _may_be_proxy(object v):
    cdef type t = type(v)
    return not (t is float or t is int or t is str or t is bool or v is None)


cdef object _snapshot(object proxy):
    cdef RLock lock = <RLock>proxy._store._lock
    cdef Py_ssize_t i
    plain = proxy._plain
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
            if _may_be_proxy(v) and isinstance(v, _StoreAccessible):
                (<dict>items)[k] = _snapshot(v)
    elif t is list:
        for i in range(len(<list>items)):
            v = (<list>items)[i]
            if _may_be_proxy(v) and isinstance(v, _StoreAccessible):
                (<list>items)[i] = _snapshot(v)
    return items
