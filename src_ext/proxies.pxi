# The hot proxy call in C: `store['losses'].append(x)` for a scalar x.
#
# A training loop logs one number per step; in Python that call costs a lock, a few
# checks, three method calls and the rendering.  `list_append` does the same steps in the
# same order (lock, linked?, render and write, then memory) in one C call, and leaves
# every other case -- containers, handled types, a closed store, a store on the pure
# backend -- to the Python method it replaces, which stays the one definition of the
# semantics.


cdef object _python_append = None


def install_list_append(cls):
    """Give ``cls`` (``laaos.store.StoreList``) the C ``append`` for scalars."""
    global _python_append
    if _python_append is None:
        _python_append = cls.append
        cls.append = list_append


@cython.binding(True)
def list_append(self, obj):
    """Append ``obj`` to the list and log it as ``<list>.append(<obj>)``."""
    cdef type t = type(obj)
    cdef Writer w
    if not (t is float or t is int or t is str or t is bool or obj is None):
        return _python_append(self, obj)
    store = self._store
    writer = store._writer
    if type(writer) is not Writer or (<Writer>writer).stopped:
        return _python_append(self, obj)
    w = <Writer>writer
    w.lock.take()
    try:
        acc = self._accessor
        if acc is None:
            return _python_append(self, obj)  # raises UnlinkedContainerError (reentrant)
        w._line.clear()
        _append_str(w._line, <str>acc)
        w._line.append(b".append(")
        _render_into(w._line, obj, None, 0)
        w._line.append(b")\n")
        try:
            w._put()
        except OSError as e:
            store._write_failed(e)
            raise
        (<list>self._seq).append(obj)
    finally:
        w.lock.give()
