# The hot proxy call in C: `store['losses'].append(x)` for a scalar x, and
# `store['metrics'].append({'step': 3, 'loss': 0.25, ...})` for a flat dict of scalars.
#
# A training loop logs once per step; in Python that call costs a lock, a few checks,
# several method calls and the rendering.  `list_append` does the same steps in the
# same order (lock, linked?, render and write, then memory) in one C call, and leaves
# every other case -- nested containers, handled types, a closed store, a store on the
# pure backend -- to the Python method it replaces, which stays the one definition of
# the semantics.


cdef object _python_append = None
cdef object _StoreDict = None


def install_list_append(list_cls, dict_cls):
    """Give ``list_cls`` (``StoreList``) the C ``append``; flat dicts become ``dict_cls``
    (``StoreDict``) proxies, as ``Store._proxify`` makes them."""
    global _python_append, _StoreDict
    if _python_append is None:
        _python_append = list_cls.append
        _StoreDict = dict_cls
        list_cls.append = list_append


cdef inline bint _is_scalar(object v):
    cdef type t = type(v)
    return t is float or t is int or t is str or t is bool or v is None


cdef bint _is_flat_dict(dict d):
    """A dict of str keys and scalar values: plain already, and no proxies inside."""
    for k, v in d.items():
        if type(k) is not str or not _is_scalar(v):
            return False
    return True


@cython.binding(True)
def list_append(self, obj):
    """Append ``obj`` to the list and log it as ``<list>.append(<obj>)``."""
    cdef Writer w
    cdef bint flat = False
    if not _is_scalar(obj):
        if type(obj) is not dict or not _is_flat_dict(<dict>obj):
            return _python_append(self, obj)
        flat = True
    store = self._store
    writer = store._writer
    if type(writer) is not Writer:
        return _python_append(self, obj)
    w = <Writer>writer
    w.lock.take()
    try:
        acc = self._accessor
        if acc is None:
            return _python_append(self, obj)  # raises UnlinkedContainerError (reentrant)
        # (a closed writer refuses in _put, under the lock: an append racing close()
        # either lands before it or raises StoreClosedError, never writes elsewhere)
        w._line.clear()
        _append_str(w._line, <str>acc)
        w._line.append(b".append(")
        _render_into(w._line, obj, None)
        w._line.append(b")\n")
        try:
            w._put()
        except _StatementTooLarge:
            return _python_append(self, obj)  # nothing written: it splits the value
        except OSError as e:
            store._write_failed(e)
            raise
        seq = <list>self._seq
        if flat:
            # What Store._proxify and StoreDict._link make of it: a linked proxy that
            # owns a copy of the dict.
            proxy = _StoreDict.__new__(_StoreDict)
            proxy._store = store
            proxy._data = dict(<dict>obj)
            proxy._accessor = f"{acc}[{len(seq)}]"
            seq.append(proxy)
        else:
            seq.append(obj)
    finally:
        w.lock.give()
