# The proxies' steps in C: what the one Python definition of each mutation calls.
#
# laaos/proxies.py and laaos/store.py hold the semantics: every mutation takes the lock,
# checks the container is linked, normalizes the value, writes the statement, and only
# then changes memory.  The steps it calls -- Store._normalize / _normalize_key,
# _write_value / _write_items (normalize, render and write, proxify and link in one C
# call), _emit_value / _emit_text / _render, and the proxies' _link / _unlink / _relink
# -- are replaced here, on the classes, by C twins (laaos/_backend.py installs them).
# Each twin hands a store on the pure backend, and every case it does not know (handled
# types, numpy values, errors, a statement too long for one line), to the Python method.
#
# `list_append` is the one call done whole in C: `store['losses'].append(x)` for a
# scalar, once per training step, where the Python method's frame alone would cost more
# than the rest.  It is `StoreList.append` with its steps inlined for the one case where
# they are trivial (a scalar is its own normalized and proxified value): lock, check the
# container is linked and the writer open, write, then change memory.  Every other value,
# a store on the pure backend or on a text file object, and every error goes to the
# Python method, so there is still one definition of what an append does.

from cpython.object cimport PyObject

cdef extern from "Python.h":
    ctypedef struct PyMemberDef:
        Py_ssize_t offset
    ctypedef struct PyMemberDescrObject:
        PyMemberDef* d_member

cdef object _python_append = None
cdef object _StoreDict = None
cdef object _StoreList = None
cdef type _Store = None
# Where a StoreList keeps its slots (`__slots__`), and a Store its writer: read straight
# from the object, which costs a load instead of an attribute lookup through the MRO.
cdef Py_ssize_t _off_store = 0, _off_accessor = 0, _off_plain = 0, _off_writer = 0


cdef Py_ssize_t _slot_offset(object cls, str name) except -1:
    for klass in cls.__mro__:
        descr = klass.__dict__.get(name)
        if descr is not None:
            if type(descr).__name__ != "member_descriptor":
                raise TypeError(f"{cls.__name__}.{name} is not a slot")
            return (<PyMemberDescrObject*>descr).d_member.offset
    raise TypeError(f"{cls.__name__} has no slot {name}")


cdef inline object _slot(object obj, Py_ssize_t offset):
    cdef PyObject* p = (<PyObject**>((<char*><PyObject*>obj) + offset))[0]
    if p == NULL:
        return None
    return <object>p


def install_list_append(store_cls, list_cls):
    """Give ``list_cls`` (``StoreList``) the C ``append`` (``store_cls`` is ``Store``,
    whose ``_writer`` slot it reads)."""
    global _python_append, _StoreList, _Store, _off_store, _off_accessor, _off_plain, _off_writer
    if _python_append is None:
        _Store = store_cls
        _StoreList = list_cls
        _off_store = _slot_offset(list_cls, "_store")
        _off_accessor = _slot_offset(list_cls, "_accessor")
        _off_plain = _slot_offset(list_cls, "_plain")
        _off_writer = _slot_offset(store_cls, "_writer")
        _python_append = list_cls.append
        list_cls.append = list_append


@cython.binding(True)
def list_append(self, obj):
    """Append ``obj`` to the list and log it as ``<list>.append(<obj>)``."""
    cdef Writer w
    cdef RLock lock
    cdef type t = type(obj)
    cdef int too_large
    if not (t is float or t is int or t is str or t is bool or obj is None) or (
        type(self) is not _StoreList
    ):
        return _python_append(self, obj)
    store = _slot(self, _off_store)
    if not isinstance(store, _Store):
        return _python_append(self, obj)
    writer = _slot(store, _off_writer)
    if type(writer) is not Writer or (<Writer>writer)._fd < 0:
        # the pure backend, a text file object (whose failed write closes the store), or
        # a closed writer: the Python method says why
        return _python_append(self, obj)
    w = <Writer>writer
    lock = w.lock  # (the one taken is the one given back, even if abandon() swapped it)
    lock.take()
    try:
        acc = _slot(self, _off_accessor)
        if acc is None:
            return _python_append(self, obj)  # raises UnlinkedContainerError (reentrant)
        # (a writer closed by another thread refuses here, under the lock: an append
        # racing close() either lands before it or raises StoreClosedError)
        # (a failed write(2) raises an OSError that names the log, and cuts the statement
        # back off: what Store._write_failed does for a log it owns the descriptor of)
        if t is float:
            too_large = w._put_append_float(<str>acc, <double>obj)
        else:
            w._line.clear()
            _append_str(w._line, <str>acc)
            w._line.append(b".append(")
            _render_into(w._line, obj, None)
            w._line.append(b")\n")
            too_large = w._put_if_fits()
        if too_large:
            return _python_append(self, obj)  # nothing written: it splits the value
        (<list>_slot(self, _off_plain)).append(obj)
    finally:
        lock.give_taken()


# ---- the Store's steps ----------------------------------------------------------
#
# The Python methods are the twins and stay the one place where the rare cases are
# decided.  A store on the pure backend (the tests switch backends in one process) is
# handed to them whole, so each backend runs its own twin.

cdef object _py_normalize = None
cdef object _py_normalize_key = None
cdef object _py_proxify = None
cdef object _py_write_value = None
cdef object _py_write_items = None
cdef object _py_emit_value = None
cdef object _py_emit_text = None
cdef object _py_render = None
cdef object _StoreSet = None
cdef int _max_value_depth = 0


def install_store_steps(store_cls, list_cls, dict_cls, set_cls, int max_value_depth):
    """Give ``store_cls`` (``Store``) the C ``_normalize``, ``_normalize_key``,
    ``_proxify``, ``_write_value``, ``_write_items``, ``_emit_value``, ``_emit_text`` and ``_render``; containers become
    ``list_cls``/``dict_cls``/``set_cls`` proxies."""
    global _py_normalize, _py_normalize_key, _py_proxify, _StoreList, _StoreDict, _StoreSet
    global _max_value_depth, _py_write_value, _py_emit_text, _py_render, _py_write_items
    global _py_emit_value
    if _py_normalize is not None:
        return
    _py_normalize = store_cls._normalize
    _py_normalize_key = store_cls._normalize_key
    _py_proxify = store_cls._proxify
    _StoreList, _StoreDict, _StoreSet = list_cls, dict_cls, set_cls
    _max_value_depth = max_value_depth
    store_cls._normalize = store_normalize
    store_cls._normalize_key = store_normalize_key
    store_cls._proxify = store_proxify
    _py_write_value = store_cls._write_value
    _py_emit_text = store_cls._emit_text
    _py_render = store_cls._render
    store_cls._write_value = store_write_value
    _py_write_items = store_cls._write_items
    store_cls._write_items = store_write_items
    _py_emit_value = store_cls._emit_value
    store_cls._emit_value = store_emit_value
    store_cls._emit_text = store_emit_text
    store_cls._render = store_render


cdef inline bint _on_extension(store) except -1:
    return type(store._writer) is Writer


cdef inline bint _is_plain_scalar(object v):
    cdef type t = type(v)
    return (t is float or t is int or t is str or t is bool or v is None or t is bytes
            or t is complex)


cdef object _normalize(object store, object obj, int depth):
    cdef type t = type(obj)
    cdef list out
    cdef dict d
    if _is_plain_scalar(obj):
        return obj
    if depth >= _max_value_depth:
        return _py_normalize(store, obj, depth)  # raises the error that says why
    depth += 1
    if t is list or t is tuple:
        out = []
        for v in obj:
            out.append(_normalize(store, v, depth))
        return out
    if t is dict:
        d = {}
        for k, v in (<dict>obj).items():
            d[_normalize_key(store, k, depth)] = _normalize(store, v, depth)
        return d
    if t is _StoreList:
        out = []
        for v in <list>obj._plain:
            out.append(_normalize(store, v, depth))
        return out
    if t is _StoreDict or (t is not set and isinstance(obj, _StoreDict)):  # StoreRoot too
        d = {}
        for k, v in (<dict>obj._plain).items():
            d[k] = _normalize(store, v, depth)
        return d
    if t is set:
        return {_normalize_key(store, v, depth) for v in <set>obj}
    if t is _StoreSet:
        return {_normalize_key(store, v, depth) for v in <set>obj._plain}
    return store._normalize_other(obj, depth)


cdef object _normalize_key(object store, object obj, int depth):
    cdef type t = type(obj)
    if _is_plain_scalar(obj):
        if (t is float or t is complex) and obj != obj:
            return _py_normalize_key(store, obj)  # raises: NaN cannot be found again
        return obj
    if t is tuple and depth < _max_value_depth:
        return tuple([_normalize_key(store, v, depth + 1) for v in <tuple>obj])
    return _py_normalize_key(store, obj, depth)  # frozensets, other types, the error


cdef object _adopt(object cls, object store, object plain, object accessor):
    proxy = cls.__new__(cls)
    proxy._store = store
    proxy._accessor = accessor
    proxy._plain = plain
    return proxy


cdef str _item_accessor(str accessor, object key, object fallback):
    cdef string out
    _append_str(out, accessor)
    out.push_back(b'[')
    _render_into(out, key, fallback)
    out.push_back(b']')
    return PyUnicode_DecodeUTF8(out.c_str(), <Py_ssize_t>out.size(), NULL)


cdef object _proxify(object store, object value, object accessor, object fallback):
    cdef type t = type(value)
    cdef Py_ssize_t i
    cdef list seq
    cdef dict d
    if t is list:
        seq = <list>value
        for i in range(len(seq)):
            v = seq[i]
            if type(v) is list or type(v) is dict or type(v) is set:
                seq[i] = _proxify(store, v, None if accessor is None else f"{accessor}[{i}]", fallback)
        return _adopt(_StoreList, store, value, accessor)
    if t is dict:
        d = <dict>value
        for k, v in d.items():
            if type(v) is list or type(v) is dict or type(v) is set:
                d[k] = _proxify(
                    store, v, None if accessor is None else _item_accessor(accessor, k, fallback),
                    fallback,
                )
        return _adopt(_StoreDict, store, value, accessor)
    if t is set:
        return _adopt(_StoreSet, store, value, accessor)
    return value


@cython.binding(True)
def store_normalize(store, obj, depth=0):
    """``Store._normalize`` in C (the pure twin is the Python method)."""
    if _is_plain_scalar(obj):
        return obj
    if not _on_extension(store):
        return _py_normalize(store, obj, depth)
    return _normalize(store, obj, depth)


@cython.binding(True)
def store_normalize_key(store, obj, depth=0):
    """``Store._normalize_key`` in C."""
    if not _on_extension(store):
        return _py_normalize_key(store, obj, depth)
    return _normalize_key(store, obj, depth)


@cython.binding(True)
def store_proxify(store, value, accessor=None):
    """``Store._proxify`` in C."""
    cdef type t = type(value)
    if not (t is list or t is dict or t is set):
        return value
    if not _on_extension(store):
        return _py_proxify(store, value, accessor)
    return _proxify(store, value, accessor, store._render_unknown)


@cython.binding(True)
def store_write_value(store, str head, obj, str tail, str accessor):
    """``Store._write_value`` in C: normalize, render and write, proxify."""
    cdef Writer w
    writer = store._writer
    if type(writer) is not Writer:
        return _py_write_value(store, head, obj, tail, accessor)
    w = <Writer>writer
    plain = _normalize(store, obj, 0)
    fallback = store._render_unknown
    try:
        w._emit_value(head, plain, tail, fallback)
    except _StatementTooLarge:
        # nothing was written: the Python steps split it into several statements
        return _py_write_value(store, head, obj, tail, accessor)
    except OSError as e:
        store._write_failed(e)
        raise
    return _proxify(store, plain, accessor, fallback)


@cython.binding(True)
def store_emit_value(store, str head, value, str tail, str accessor, offset=0):
    """``Store._emit_value`` in C."""
    writer = store._writer
    if type(writer) is not Writer:
        return _py_emit_value(store, head, value, tail, accessor, offset)
    try:
        (<Writer>writer)._emit_value(head, value, tail, store._render_unknown)
    except _StatementTooLarge:
        return _py_emit_value(store, head, value, tail, accessor, offset)  # splits it
    except OSError as e:
        store._write_failed(e)
        raise


@cython.binding(True)
def store_emit_text(store, str text):
    """``Store._emit_text`` in C."""
    writer = store._writer
    if type(writer) is not Writer:
        return _py_emit_text(store, text)
    try:
        (<Writer>writer)._emit(text)
    except OSError as e:
        store._write_failed(e)
        raise


@cython.binding(True)
def store_render(store, value):
    """``Store._render`` in C."""
    cdef string out
    if type(store._writer) is not Writer:
        return _py_render(store, value)
    _render_into(out, value, store._render_unknown)
    return PyUnicode_DecodeUTF8(out.c_str(), <Py_ssize_t>out.size(), NULL)


@cython.binding(True)
def store_write_items(store, str head, list items, str tail, str accessor, Py_ssize_t start):
    """``Store._write_items`` in C."""
    cdef Writer w
    cdef list plain
    cdef Py_ssize_t i
    writer = store._writer
    if type(writer) is not Writer:
        return _py_write_items(store, head, items, tail, accessor, start)
    w = <Writer>writer
    plain = <list>_normalize(store, items, 0)
    fallback = store._render_unknown
    try:
        w._emit_value(head, plain, tail, fallback)
    except _StatementTooLarge:
        return _py_write_items(store, head, items, tail, accessor, start)
    except OSError as e:
        store._write_failed(e)
        raise
    for i in range(len(plain)):
        v = plain[i]
        if type(v) is list or type(v) is dict or type(v) is set:
            plain[i] = _proxify(store, v, f"{accessor}[{start + i}]", fallback)
    return plain



# ---- linking: what names each container, redone when it moves ----------------------

cdef object _py_dict_link = None
cdef object _py_unlink = None
cdef object _py_list_link = None
cdef object _py_list_relink = None


def install_linking(base_cls, list_cls, dict_cls):
    """Give the proxies (``StoreAccessible``, ``StoreList``, ``StoreDict``) the C
    ``_unlink``, ``_link`` and ``_relink`` (the Python methods are their twins and run
    for the pure backend)."""
    global _py_dict_link, _py_unlink, _py_list_link, _py_list_relink
    if _py_dict_link is not None:
        return
    _py_unlink = base_cls._unlink
    _py_dict_link, _py_list_link = dict_cls._link, list_cls._link
    _py_list_relink = list_cls._relink
    base_cls._unlink = proxy_unlink
    dict_cls._link, list_cls._link = dict_link, list_link
    list_cls._relink = list_relink


cdef inline bint _is_proxy(object v):
    cdef type t = type(v)
    return t is _StoreList or t is _StoreDict or t is _StoreSet


cdef int _unlink_tree(object proxy) except -1:
    cdef type t = type(proxy)
    proxy._accessor = None
    if t is _StoreList:
        for v in <list>proxy._plain:
            if _is_proxy(v):
                _unlink_tree(v)
    elif t is not _StoreSet:
        for v in (<dict>proxy._plain).values():
            if _is_proxy(v):
                _unlink_tree(v)
    return 0


cdef int _link_tree(object proxy, str accessor, object fallback) except -1:
    cdef type t = type(proxy)
    cdef list seq
    cdef Py_ssize_t i
    proxy._accessor = accessor
    if t is _StoreList:
        seq = <list>proxy._plain
        for i in range(len(seq)):
            v = seq[i]
            if _is_proxy(v):
                _link_tree(v, f"{accessor}[{i}]", fallback)
    elif t is not _StoreSet:
        for k, v in (<dict>proxy._plain).items():
            if _is_proxy(v):
                _link_tree(v, _item_accessor(accessor, k, fallback), fallback)
    return 0


@cython.binding(True)
def proxy_unlink(self):
    """``StoreAccessible._unlink`` in C."""
    if not _on_extension(self._store):
        return _py_unlink(self)
    _unlink_tree(self)


@cython.binding(True)
def dict_link(self, accessor):
    """``StoreDict._link`` in C."""
    store = self._store
    if not _on_extension(store):
        return _py_dict_link(self, accessor)
    _link_tree(self, accessor, store._render_unknown)


@cython.binding(True)
def list_link(self, accessor):
    """``StoreList._link`` in C."""
    store = self._store
    if not _on_extension(store):
        return _py_list_link(self, accessor)
    _link_tree(self, accessor, store._render_unknown)


@cython.binding(True)
def list_relink(self, Py_ssize_t start):
    """``StoreList._relink`` in C."""
    cdef list seq
    cdef Py_ssize_t i
    store = self._store
    if not _on_extension(store):
        return _py_list_relink(self, start)
    accessor = self._accessor
    seq = <list>self._plain
    fallback = None
    for i in range(start, len(seq)):
        v = seq[i]
        if _is_proxy(v):
            if fallback is None:
                fallback = store._render_unknown
            _link_tree(v, f"{accessor}[{i}]", fallback)

