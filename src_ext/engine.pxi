# The mutation engine of the extension: the twin of laaos/_engine.py.
#
# A store has one engine (`Store._engine`), made by the backend; each proxy method is one
# call to it, and each mutation is one C call here.  Under the store's lock it checks the
# container is linked, normalizes the value, renders the statement into the writer's
# line and works out which held containers (proxies) get a new accessor or lose theirs.
# All of that may run Python code (a TypeHandler, `__index__`, `__hash__` of a user's
# object) or fail, so it comes first: a refused operation leaves the log and memory
# as they were.  Then the statement is written and memory changed by C operations on
# builtins only (list and dict operations, the proxies' accessor slots): no Python
# bytecode runs between the two, so a signal handler (KeyboardInterrupt) runs before or
# after a whole mutation.  An fsync that fails after the write (durability="fsync") is
# raised once memory has changed too (`Writer._raise_sync_failure`): the log has the
# statement, so memory has its change, as on the pure twin.
#
# The stored data is a tree of plain containers, no proxy inside it (laaos/_engine.py says
# why); a proxy is made when user code reaches a container (`item`, `items`) and kept in
# a cache of weak references, `id(plain) -> proxy`, which the mutations read (a dict
# lookup and a weak reference's target: C, no Python code) to relink or unlink the held
# containers that they move or take out.

cdef extern from *:
    """
    static PyObject* laaos_alloc(PyObject* cls) {
        return ((PyTypeObject*)cls)->tp_alloc((PyTypeObject*)cls, 0);
    }
    """
    object _alloc "laaos_alloc"(object cls)

from cpython.object cimport PyObject, PyTypeObject
from cpython.dict cimport PyDict_Next
from cpython.weakref cimport PyWeakref_GetObject, PyWeakref_NewRef
from cpython.long cimport PyLong_FromVoidPtr

cdef extern from "Python.h":
    PyObject** PySequence_Fast_ITEMS(object)
    Py_ssize_t PySequence_Fast_GET_SIZE(object)
    object PyUnicode_New(Py_ssize_t size, Py_UCS4 maxchar)
    void* PyUnicode_DATA(object)
    bint PyUnicode_IS_ASCII(object)
    Py_ssize_t PyUnicode_GET_LENGTH(object)
    void PyObject_GC_Track(object)
    void PyObject_GC_UnTrack(object)
    int PyObject_GC_IsTracked(object)

from laaos._statements import elements_text as _elements_text
from laaos._statements import value_statements as _value_statements

cdef object _MISSING = object()


cdef inline bint _is_plain_scalar(object v):
    cdef type t = type(v)
    return (t is float or t is int or t is str or t is bool or v is None or t is bytes
            or t is complex)


cdef inline bint _is_container(object v):
    cdef type t = type(v)
    return t is list or t is dict or t is set


# The stored containers are out of the cyclic collector's sight (as CPython leaves out a
# dict of atomic values): the collector's passes then never walk the store's data, however
# large.  In a store without type handlers (`Engine._hides`; a handler may keep an object
# of its own in the tree) that is sound because the tree cannot be part of a reference cycle: every
# value is normalized on its way in (a new container for every container, holding only
# new containers, scalars, tuples and frozensets of scalars), no proxy is ever put in it,
# and nothing but the store holds its containers; so nothing in the tree refers to
# anything outside it but immutable scalars.  A dict that gets a container is put back in
# sight by CPython (`dict.__setitem__`, `update`): each such change is followed by
# `_untrack`.  A container that is out of sight is either stored already (with all that is
# in it) or a fresh dict of atomic values, so `_untrack_tree` need not look inside it.

cdef inline int _untrack(object c) except -1:
    if PyObject_GC_IsTracked(c):
        PyObject_GC_UnTrack(c)
    return 0


cdef int _untrack_tree(object value) except -1:
    """Leave the new plain container ``value``, and every container in it, out of the
    collector's sight (see above)."""
    cdef type t = type(value)
    cdef list seq
    cdef Py_ssize_t i
    cdef Py_ssize_t pos = 0
    cdef PyObject* k
    cdef PyObject* v
    if not PyObject_GC_IsTracked(value):
        return 0
    PyObject_GC_UnTrack(value)
    if t is list:
        seq = <list>value
        for i in range(len(seq)):
            item = seq[i]
            if _is_container(item):
                _untrack_tree(item)
    elif t is dict:
        while PyDict_Next(<dict>value, &pos, &k, &v):
            if _is_container(<object>v):
                _untrack_tree(<object>v)
    return 0


cdef int _untrack_all(object value) except -1:
    """``_untrack_tree`` for data that did not come through normalizing (a loaded log's):
    every container in it is looked at."""
    cdef list seq
    cdef Py_ssize_t i
    _untrack(value)
    if type(value) is list:
        seq = <list>value
        for i in range(len(seq)):
            if _is_container(seq[i]):
                _untrack_all(seq[i])
    elif type(value) is dict:
        for v in (<dict>value).values():
            if _is_container(v):
                _untrack_all(v)
    return 0


cdef inline bint _all_atomic(object seq):
    """Whether every item of the list or tuple ``seq`` is a plain scalar."""
    cdef Py_ssize_t i
    cdef PyObject** items = PySequence_Fast_ITEMS(seq)
    for i in range(PySequence_Fast_GET_SIZE(seq)):
        if not _is_plain_scalar(<object>items[i]):
            return False
    return True


cdef inline bint _atomic_record(dict d):
    """Whether every key of ``d`` is a str or an int and every value a plain scalar: what
    normalizing leaves as it is (a dict record)."""
    cdef Py_ssize_t pos = 0
    cdef PyObject* k
    cdef PyObject* v
    while PyDict_Next(d, &pos, &k, &v):
        if type(<object>k) is not str and type(<object>k) is not int:
            return False
        if not _is_plain_scalar(<object>v):
            return False
    return True


cdef str _index_accessor(str acc, Py_ssize_t i):
    """``f"{acc}[{i}]"`` for ``i >= 0``, made in one allocation (an ASCII ``acc``: the
    usual one) without a str for ``i``: the accessor of every container appended."""
    cdef char digits[24]
    cdef int n = 0
    cdef Py_ssize_t size
    cdef char* out
    if i < 0 or not PyUnicode_IS_ASCII(acc):
        return f"{acc}[{i}]"
    while True:
        digits[n] = <char>(48 + i % 10)
        n += 1
        i //= 10
        if i == 0:
            break
    size = PyUnicode_GET_LENGTH(acc)
    result = PyUnicode_New(size + n + 2, 127)
    out = <char*>PyUnicode_DATA(result)
    memcpy(out, PyUnicode_DATA(acc), size)
    out[size] = b'['
    size += 1
    while n:
        n -= 1
        out[size] = digits[n]
        size += 1
    out[size] = b']'
    return result


cdef str _decode_line(string& s):
    return PyUnicode_DecodeUTF8(s.c_str(), <Py_ssize_t>s.size(), NULL)


cdef class _Forget:
    """The callback of a cached proxy's weak reference: takes the proxy's entry out of the
    cache when the proxy dies, unless the entry is another's by then.  It is C, where a
    Python function (a WeakValueDictionary's) runs bytecode: a signal handler's
    KeyboardInterrupt raised there is lost ("Exception ignored in ...") and a Ctrl-C with
    it; here none is ever raised inside it."""

    cdef dict held
    cdef object key

    def __call__(self, ref):
        if self.held.get(self.key) is ref:
            del self.held[self.key]


cdef class Engine:
    """The mutations of ``store``'s containers, written through ``writer``; containers
    are stored as ``list_type``/``dict_type``/``set_type`` proxies (the twin of
    ``laaos._engine.Engine``)."""

    cdef object _store
    cdef Writer _writer
    cdef object _fallback
    cdef object _list_t
    cdef object _dict_t
    cdef object _set_t
    cdef int _max_depth
    cdef object _slot_store, _slot_accessor, _slot_plain
    cdef dict _held  # id(plain container) -> a weak reference to its proxy (`_Forget`)
    cdef bint _hides  # whether the stored containers are left out of the collector's sight

    def __init__(self, store, Writer writer, list_type, dict_type, set_type):
        # The proxies' slots, each one member descriptor that every proxy type inherits:
        # set and read through it, as attribute access would, without looking it up.
        self._slot_store = _shared_slot("_store", list_type, dict_type, set_type)
        self._slot_accessor = _shared_slot("_accessor", list_type, dict_type, set_type)
        self._slot_plain = _shared_slot("_plain", list_type, dict_type, set_type)
        self._store = store
        self._writer = writer
        self._fallback = store._render_unknown
        self._list_t, self._dict_t, self._set_t = list_type, dict_type, set_type
        self._max_depth = store._max_value_depth
        self._held = {}
        # A type handler may keep an object of its own in the store as it is, and that
        # object may refer to anything (the store itself): the tree could then be part of
        # a cycle, which the collector must see.  Without handlers it cannot (see above).
        self._hides = not store._type_handlers

    cdef inline int _hide(self, object c) except -1:
        return _untrack(c) if self._hides else 0

    cdef inline int _hide_tree(self, object value) except -1:
        return _untrack_tree(value) if self._hides else 0

    cdef inline int _hide_all(self, object value) except -1:
        return _untrack_all(value) if self._hides else 0

    # ---- the steps, also used outside mutations (copies, repr, a new store) -----------

    def normalize(self, obj, depth=0):
        """Plain data for ``obj`` (``Store._normalize`` in C)."""
        return self._normalize(obj, depth)

    def render(self, value):
        """The source text of a plain value."""
        cdef string out
        _render_into(out, value, self._fallback)
        return _decode_line(out)

    def adopt(self, plain):
        """Take the plain data ``plain`` (a new store's root) as the store's own, out of
        the collector's sight (``laaos._engine.Engine.adopt``)."""
        self._hide_all(plain)
        return plain

    def snapshot(self, proxy):
        """A plain copy of ``proxy`` for a reader: each container copied whole in one step
        under the lock, walked outside it (``laaos._engine.Engine.snapshot``)."""
        return _snapshot(self._writer.lock, _get_slot(self._slot_plain, proxy))

    # ---- reaching the stored containers -------------------------------------------------

    def item(self, proxy, key):
        """``proxy``'s item ``key`` (the KeyError or IndexError its builtin raises), a
        container as its proxy (``laaos._engine.Engine.item``)."""
        cdef RLock lock = self._writer.lock
        cdef Py_ssize_t i
        lock.take()
        try:
            plain = _get_slot(self._slot_plain, proxy)
            value = plain[key]
            if not _is_container(value):
                return value
            cached = self._held_proxy(value)
            if cached is not None:
                return cached
            acc = _get_slot(self._slot_accessor, proxy)
            if acc is not None:
                if type(plain) is list:
                    i = _operator.index(key)
                    if i < 0:
                        i += len(<list>plain)
                    acc = _index_accessor(acc, i)
                else:
                    acc = _item_accessor(acc, self._normalize_key(key), self._fallback)
            return self._new_proxy(value, acc)
        finally:
            lock.give_taken()

    def items(self, proxy):
        """The items of the list ``proxy``, or the ``(key, value)`` pairs of the dict
        ``proxy``, each container as its proxy (``laaos._engine.Engine.items``)."""
        cdef RLock lock = self._writer.lock
        cdef list out, seq
        cdef Py_ssize_t i
        lock.take()
        try:
            plain = _get_slot(self._slot_plain, proxy)
            acc = _get_slot(self._slot_accessor, proxy)
            if type(plain) is list:
                seq = <list>plain
                out = PyList_GetSlice(seq, 0, len(seq))
                for i in range(len(out)):
                    v = out[i]
                    if _is_container(v):
                        out[i] = self._proxy(v, None if acc is None else _index_accessor(acc, i))
                return out
            out = []
            for k, v in (<dict>plain).items():
                if _is_container(v):
                    cached = self._held_proxy(v)
                    if cached is None:
                        cached = self._new_proxy(v, None if acc is None else _item_accessor(acc, k, self._fallback))
                    v = cached
                out.append((k, v))
            return out
        finally:
            lock.give_taken()

    def link(self, proxy, accessor):
        """Give ``proxy`` the accessor ``accessor`` (None: unlink it), and the held
        containers inside it theirs below it (``laaos._engine.Engine.link``)."""
        cdef RLock lock = self._writer.lock
        cdef list proxies = [], accessors = []
        lock.take()
        try:
            plain = _get_slot(self._slot_plain, proxy)
            if accessor is None:
                self._held_below(plain, proxies)
                proxies.append(proxy)
                _unlink_all(proxies, self)
            else:
                self._links(plain, accessor, proxies, accessors)
                _set_slot(self._slot_accessor, proxy, accessor)
                _set_accessors(proxies, accessors, self)
        finally:
            lock.give_taken()

    # ---- dicts ---------------------------------------------------------------------------

    def dict_set(self, proxy, key, value):
        """``proxy[key] = value``, logged as ``ACC[KEY]=VALUE``."""
        cdef Writer w = self._writer
        cdef RLock lock = w.lock
        cdef dict plain
        lock.take()
        try:
            acc = self._accessor(proxy)
            plain = <dict>self._plain_as(proxy, dict)
            old = plain.get(key, _MISSING)
            if old is value or (self._is_proxy(value) and _get_slot(self._slot_plain, value) is old):
                return  # (``d[k] += [x]`` sets the item to itself)
            key = self._normalize_key(key)
            value = self._plain_value(value)
            acc = self._accessor(proxy)  # (again: moved? see ``_moved``)
            w._line.clear()
            _append_str(w._line, acc)
            w._line.push_back(b'[')
            _render_into(w._line, key, self._fallback)
            w._line.push_back(b']')
            head = None
            if _is_container(value) or w._line.size() > 1000:
                head = _decode_line(w._line)
            w._line.push_back(b'=')
            self._value_line(w, value, "", head, 0)
            dead = self._held_in(old)
            if _is_container(value):
                self._hide_tree(value)
            self._write(w)
            plain[key] = value
            self._hide(plain)
            if dead is not None:
                _unlink_all(dead, self)
            w._raise_sync_failure()
        finally:
            lock.give_taken()

    def dict_del(self, proxy, key):
        """``del proxy[key]``, logged as ``del ACC[KEY]``."""
        cdef Writer w = self._writer
        cdef RLock lock = w.lock
        cdef dict plain
        lock.take()
        try:
            acc = self._accessor(proxy)
            plain = <dict>self._plain_as(proxy, dict)
            old = plain[key]  # the KeyError a dict raises
            nkey = self._normalize_key(key)
            acc = self._accessor(proxy)  # (again: moved? see ``_moved``)
            w._line.clear()
            w._line.append(b"del ")
            _append_str(w._line, acc)
            w._line.push_back(b'[')
            _render_into(w._line, nkey, self._fallback)
            w._line.append(b"]\n")
            dead = self._held_in(old)
            self._write(w)
            del plain[key]
            if dead is not None:
                _unlink_all(dead, self)
            w._raise_sync_failure()
        finally:
            lock.give_taken()

    # ---- lists ---------------------------------------------------------------------------

    def list_append(self, proxy, obj):
        """``proxy.append(obj)``, logged as ``ACC.append(VALUE)``."""
        self._list_append(proxy, obj)

    cdef int _list_append(self, proxy, obj) except -1:
        cdef Writer w = self._writer
        cdef RLock lock = w.lock
        cdef list seq
        lock.take()
        try:
            acc = self._accessor(proxy)
            seq = <list>self._plain_as(proxy, list)
            if type(obj) is float:  # a metric per step: rendered on the stack
                if not w._put_append_float(<str>acc, <double>obj):
                    seq.append(obj)
                    w._raise_sync_failure()
                    return 0
            value = self._plain_value(obj)
            acc = self._accessor(proxy)  # (again: moved? see ``_moved``)
            w._line.clear()
            _append_str(w._line, acc)
            w._line.append(b".append(")
            self._value_line(w, value, ")", acc, 0, len(seq))
            if _is_container(value):
                self._hide_tree(value)
            self._write(w)
            seq.append(value)
            w._raise_sync_failure()
        finally:
            lock.give_taken()
        return 0

    def list_extend(self, proxy, values):
        """``proxy.extend(values)``, logged as one ``ACC.extend([...])``."""
        cdef Writer w = self._writer
        cdef RLock lock = w.lock
        cdef list seq, items
        cdef Py_ssize_t i, start
        lock.take()
        try:
            acc = self._accessor(proxy)
            seq = <list>self._plain_as(proxy, list)
            if type(values) is list or type(values) is tuple:
                items = <list>self._normalize(values, 0)  # (a new list: the one copy)
            else:
                items = <list>self._normalize(list(seq if values is proxy else values), 0)
            if not items:
                return
            acc = self._accessor(proxy)  # (again: moved? see ``_moved``)
            start = len(seq)
            w._line.clear()
            _append_str(w._line, acc)
            w._line.append(b".extend(")
            self._value_line(w, items, ")", acc, start)
            for i in range(len(items)):
                v = items[i]
                if _is_container(v):
                    self._hide_tree(v)
            self._write(w)
            seq.extend(items)
            w._raise_sync_failure()
        finally:
            lock.give_taken()

    def list_insert(self, proxy, index, obj):
        """``proxy.insert(index, obj)``, logged as ``ACC.insert(I, VALUE)`` with the index
        clamped as ``list.insert`` clamps it."""
        cdef Writer w = self._writer
        cdef RLock lock = w.lock
        cdef list seq, moved, accessors
        cdef Py_ssize_t n, i
        lock.take()
        try:
            acc = self._accessor(proxy)
            seq = <list>self._plain_as(proxy, list)
            if type(index) is not int:
                index = _index(index)
            n = len(seq)
            if index < 0:
                index = index + n if index > -n else 0
            elif index > n:
                index = n
            i = index
            value = self._plain_value(obj)
            acc = self._accessor(proxy)  # (again: moved? see ``_moved``)
            w._line.clear()
            _append_str(w._line, acc)
            w._line.append(b".insert(")
            _append_int(w._line, i)
            w._line.append(b", ")
            self._value_line(w, value, ")", acc, 0, i)
            if _is_container(value):
                self._hide_tree(value)
            moved, accessors = self._relinks(seq, acc, i, 1)
            self._write(w)
            seq.insert(i, value)
            if moved is not None:
                _set_accessors(moved, accessors, self)
            w._raise_sync_failure()
        finally:
            lock.give_taken()

    def list_set(self, proxy, index, obj):
        """``proxy[index] = obj``, logged as ``ACC[I] = VALUE``."""
        cdef Writer w = self._writer
        cdef RLock lock = w.lock
        cdef list seq
        cdef Py_ssize_t i
        lock.take()
        try:
            acc = self._accessor(proxy)
            seq = <list>self._plain_as(proxy, list)
            i = _position(index, len(seq))
            old = seq[i]
            if old is obj or (self._is_proxy(obj) and _get_slot(self._slot_plain, obj) is old):
                return
            value = self._plain_value(obj)
            acc = self._accessor(proxy)  # (again: moved? see ``_moved``)
            item = _index_accessor(acc, i)
            w._line.clear()
            _append_str(w._line, item)
            w._line.append(b" = ")
            self._value_line(w, value, "", item, 0)
            if _is_container(value):
                self._hide_tree(value)
            dead = self._held_in(old)
            self._write(w)
            seq[i] = value
            if dead is not None:
                _unlink_all(dead, self)
            w._raise_sync_failure()
        finally:
            lock.give_taken()

    def list_del(self, proxy, index):
        """``del proxy[index]``, logged as ``del ACC[I]``."""
        cdef Writer w = self._writer
        cdef RLock lock = w.lock
        cdef list seq, moved, accessors
        cdef Py_ssize_t i
        lock.take()
        try:
            acc = self._accessor(proxy)
            seq = <list>self._plain_as(proxy, list)
            i = _position(index, len(seq))
            acc = self._accessor(proxy)  # (again: moved? see ``_moved``)
            old = seq[i]
            w._line.clear()
            w._line.append(b"del ")
            _append_str(w._line, acc)
            w._line.push_back(b'[')
            _append_int(w._line, i)
            w._line.append(b"]\n")
            moved, accessors = self._relinks(seq, acc, i + 1, -1)
            dead = self._held_in(old)
            self._write(w)
            del seq[i]
            if moved is not None:
                _set_accessors(moved, accessors, self)
            if dead is not None:
                _unlink_all(dead, self)
            w._raise_sync_failure()
        finally:
            lock.give_taken()

    # ---- sets ----------------------------------------------------------------------------

    def set_add(self, proxy, obj):
        """``proxy.add(obj)``, logged as ``ACC.add(VALUE)`` unless it is there already."""
        cdef Writer w = self._writer
        cdef RLock lock = w.lock
        cdef set plain
        lock.take()
        try:
            acc = self._accessor(proxy)
            key = self._normalize_key(obj)
            plain = <set>self._plain_as(proxy, set)
            if key in plain:
                return
            acc = self._accessor(proxy)  # (again: moved? see ``_moved``)
            w._line.clear()
            _append_str(w._line, acc)
            w._line.append(b".add(")
            self._value_line(w, key, ")", acc, 0)
            self._write(w)
            plain.add(key)
            w._raise_sync_failure()
        finally:
            lock.give_taken()

    def set_discard(self, proxy, obj):
        """``proxy.discard(obj)``, logged as ``ACC.discard(VALUE)`` if it is there."""
        cdef Writer w = self._writer
        cdef RLock lock = w.lock
        cdef set plain
        lock.take()
        try:
            acc = self._accessor(proxy)
            plain = <set>self._plain_as(proxy, set)
            if obj not in plain:
                return
            key = self._normalize_key(obj)
            acc = self._accessor(proxy)  # (again: moved? see ``_moved``)
            w._line.clear()
            _append_str(w._line, acc)
            w._line.append(b".discard(")
            self._value_line(w, key, ")", acc, 0)
            self._write(w)
            plain.discard(obj)
            w._raise_sync_failure()
        finally:
            lock.give_taken()

    # ---- any container -------------------------------------------------------------------

    def clear(self, proxy):
        """``proxy.clear()``, logged as ``ACC.clear()`` unless it is empty."""
        cdef Writer w = self._writer
        cdef RLock lock = w.lock
        cdef list dead = []
        lock.take()
        try:
            acc = self._accessor(proxy)
            plain = _get_slot(self._slot_plain, proxy)
            if not plain:
                return
            w._line.clear()
            _append_str(w._line, acc)
            w._line.append(b".clear()\n")
            if self._held:
                self._held_below(plain, dead)
            self._write(w)
            plain.clear()
            _unlink_all(dead, self)
            w._raise_sync_failure()
        finally:
            lock.give_taken()

    # ---- whole-container changes (the container API's sort, slices, ``|=``...) ------------

    def replace_items(self, proxy, list items):
        """Make ``items`` the list ``proxy``'s items, logged as one assignment of the whole
        list to its place (``laaos._engine.Engine.replace_items``)."""
        cdef Writer w = self._writer
        cdef RLock lock = w.lock
        cdef list seq, stored, dead, moved, accessors
        cdef set kept, own
        cdef Py_ssize_t i, n
        lock.take()
        try:
            acc = self._accessor(proxy)
            seq = <list>self._plain_as(proxy, list)
            n = len(items)
            if n == len(seq):
                for i in range(n):
                    if items[i] is not seq[i]:
                        break
                else:
                    return
            plain = self._normalize(items, 0)
            w._line.clear()
            _append_str(w._line, acc)
            w._line.push_back(b'=')
            self._value_line(w, plain, "", acc, 0)
            stored = PyList_GetSlice(items, 0, n)
            moved, accessors, dead = [], [], []
            own = {id(v) for v in seq if _is_container(v)}
            kept = set()
            for i in range(n):
                v = stored[i]
                if _is_container(v):
                    if id(v) in own:
                        kept.add(id(v))
                        if self._held:
                            self._links(v, _index_accessor(acc, i), moved, accessors)
                    else:
                        self._hide_tree(v)
            if self._held:
                for old in seq:
                    if _is_container(old) and id(old) not in kept:
                        self._held_subtree(old, dead)
            self._write(w)
            seq[:] = stored
            _unlink_all(dead, self)
            _set_accessors(moved, accessors, self)
            w._raise_sync_failure()
        finally:
            lock.give_taken()

    def update_items(self, proxy, dict changes):
        """Set every key of ``changes`` (raw values) in the dict ``proxy``, logged as one
        ``ACC.update({...})`` (``laaos._engine.Engine.update_items``)."""
        cdef Writer w = self._writer
        cdef RLock lock = w.lock
        cdef dict plain, seq
        cdef list dead
        lock.take()
        try:
            acc = self._accessor(proxy)
            plain = <dict>self._normalize(changes, 0)
            acc = self._accessor(proxy)  # (again: moved? see ``_moved``)
            w._line.clear()
            _append_str(w._line, acc)
            w._line.append(b".update(")
            self._value_line(w, plain, ")", acc, 0)
            seq = <dict>self._plain_as(proxy, dict)
            dead = []
            for key, value in plain.items():
                if self._held:
                    old = seq.get(key)
                    if _is_container(old):
                        self._held_subtree(old, dead)
                if _is_container(value):
                    self._hide_tree(value)
            self._write(w)
            seq.update(plain)
            self._hide(seq)
            _unlink_all(dead, self)
            w._raise_sync_failure()
        finally:
            lock.give_taken()

    def update_elements(self, proxy, str method, list elements):
        """``proxy._plain.<method>(elements)`` for the set ``proxy``, logged as one
        ``ACC.<method>({...})`` (``laaos._engine.Engine.update_elements``)."""
        cdef Writer w = self._writer
        cdef RLock lock = w.lock
        cdef set plain
        lock.take()
        try:
            acc = self._accessor(proxy)
            plain = <set>self._plain_as(proxy, set)
            if method not in ("update", "difference_update", "symmetric_difference_update"):
                raise ValueError(f"not a set update: {method!r}")
            w._line.clear()
            _append_str(w._line, _elements_text(acc, method, elements, self._store._render))
            self._write(w)
            if method == "update":
                plain.update(elements)
            elif method == "difference_update":
                plain.difference_update(elements)
            else:
                plain.symmetric_difference_update(elements)
            w._raise_sync_failure()
        finally:
            lock.give_taken()

    # ---- helpers ---------------------------------------------------------------------------

    cdef inline bint _is_proxy(self, object v):
        cdef type t = type(v)
        return t is self._list_t or t is self._dict_t or t is self._set_t

    # The plain container of a proxy, of the ``kind`` the method expects: a list method
    # called on a dict's proxy (``StoreList.append(d, x)``, or a proxy whose ``__class__``
    # was changed) is refused before anything is written.
    cdef inline object _plain_as(self, proxy, type kind):
        plain = _get_slot(self._slot_plain, proxy)
        if type(plain) is not kind:
            raise _container_mismatch(proxy, plain, kind)
        return plain

    # ``_moved``: the code that making a key, index or value runs (a generator, ``__index__``,
    # ``__hash__``, a type handler, ``tolist()``, and a signal handler in any of them) may
    # move the container (an insert before it in its list) or unlink it: each mutation
    # reads the accessor again once that code has run and before it renders the statement
    # (nothing of ours runs Python code after that), so that the statement names the
    # container where it is now, or the mutation is refused if it is no longer in the store.

    cdef inline object _accessor(self, proxy):
        acc = _get_slot(self._slot_accessor, proxy)
        if acc is None:
            raise _unlinked_container()
        return acc

    cdef inline object _plain_value(self, obj):
        if _is_plain_scalar(obj):
            return obj
        return self._normalize(obj, 0)

    cdef int _value_line(self, Writer w, value, str tail, accessor, Py_ssize_t offset,
                         Py_ssize_t index=-1) except -1:
        """Finish the statement whose head is in the writer's line with the plain
        ``value`` and ``tail``; a statement too long for one line becomes several
        (``laaos._statements``), of which the first has the same head.  ``accessor`` is
        the value's place, or (``index >= 0``) the list in which it goes at ``index``."""
        cdef size_t head_size = w._line.size()
        _render_into(w._line, value, self._fallback)
        _append_str(w._line, tail)
        w._line.push_back(b'\n')
        if w._line.size() > _max_written:
            if not _is_container(value):
                raise _StatementTooLarge(w._line.size(), head_size > _max_written // 2)
            head = PyUnicode_DecodeUTF8(w._line.c_str(), <Py_ssize_t>head_size, NULL)
            if index >= 0:
                accessor = _index_accessor(accessor, index)
            statements = _value_statements(accessor, value, self._store._render, head, tail, offset=offset)
            text = "".join([s + "\n" for s in statements])
            w._line.clear()
            _append_str(w._line, text)
        return 0

    cdef int _write(self, Writer w) except -1:
        """Write the statements in the writer's line (the writer refuses if it is closed)."""
        if w._closed_reason is not None:
            w._refuse()
        return w._put_bytes(w._line.c_str(), w._line.size())

    cdef tuple _relinks(self, list seq, str acc, Py_ssize_t start, Py_ssize_t shift):
        """The held containers at ``seq[start:]`` and inside them, with their accessors
        once they have moved by ``shift`` places (``None, None`` when none is held: the
        lists are made only for a container that moves, an insert of a scalar makes none)."""
        cdef list moved = None, accessors = None
        cdef Py_ssize_t i
        if self._held:
            for i in range(start, len(seq)):
                v = seq[i]
                if _is_container(v):
                    if moved is None:
                        moved, accessors = [], []
                    self._links(v, _index_accessor(acc, i + shift), moved, accessors)
        return _NO_RELINKS if moved is None else (moved, accessors)

    cdef int _links(self, plain, str accessor, list moved, list accessors) except -1:
        """Add the held proxy of ``plain`` (as ``accessor``) and those of the containers
        in it, with their accessors, to ``moved`` and ``accessors``."""
        cdef type t = type(plain)
        cdef list seq
        cdef Py_ssize_t i
        proxy = self._held_proxy(plain)
        if proxy is not None:
            moved.append(proxy)
            accessors.append(accessor)
        if t is list:
            seq = <list>plain
            for i in range(len(seq)):
                v = seq[i]
                if _is_container(v):
                    self._links(v, _index_accessor(accessor, i), moved, accessors)
        elif t is dict:
            for k, v in (<dict>plain).items():
                if _is_container(v):
                    self._links(v, _item_accessor(accessor, k, self._fallback), moved, accessors)
        return 0

    cdef object _held_in(self, old):
        """The held proxies of ``old`` (a value a mutation takes out) and of the
        containers in it, or None."""
        cdef list dead
        if not self._held or not _is_container(old):
            return None
        dead = []
        self._held_subtree(old, dead)
        return dead if dead else None

    cdef int _held_subtree(self, plain, list out) except -1:
        proxy = self._held_proxy(plain)
        if proxy is not None:
            out.append(proxy)
        return self._held_below(plain, out)

    cdef int _held_below(self, plain, list out) except -1:
        cdef type t = type(plain)
        cdef list seq
        cdef Py_ssize_t i
        if t is list:
            seq = <list>plain
            for i in range(len(seq)):
                v = seq[i]
                if _is_container(v):
                    self._held_subtree(v, out)
        elif t is dict:
            for v in (<dict>plain).values():
                if _is_container(v):
                    self._held_subtree(v, out)
        return 0

    cdef object _held_proxy(self, plain):
        """The proxy of the stored container ``plain`` that user code holds, or None."""
        cdef PyObject* target
        ref = self._held.get(PyLong_FromVoidPtr(<void*>plain))
        if ref is None:
            return None
        target = PyWeakref_GetObject(ref)
        if <object>target is None:
            return None
        return <object>target

    cdef object _proxy(self, plain, accessor):
        proxy = self._held_proxy(plain)
        if proxy is None:
            proxy = self._new_proxy(plain, accessor)
        return proxy

    cdef object _new_proxy(self, plain, accessor):
        cdef type t = type(plain)
        cdef _Forget forget = _Forget.__new__(_Forget)
        cls = self._list_t if t is list else self._dict_t if t is dict else self._set_t
        proxy = self._adopt(cls, plain, accessor)
        key = PyLong_FromVoidPtr(<void*>plain)
        forget.held, forget.key = self._held, key
        self._held[key] = PyWeakref_NewRef(proxy, forget)
        return proxy

    # ---- normalizing and proxifying (the twins of Store._normalize and _proxify) ---------

    cdef object _normalize(self, object obj, int depth):
        cdef type t = type(obj)
        cdef list out
        cdef dict d
        if _is_plain_scalar(obj):
            return obj
        if depth >= self._max_depth:
            return self._store._normalize(obj, depth)  # raises the error that says why
        depth += 1
        if t is list or t is tuple:
            if _all_atomic(obj):  # (a record or a row: copied whole, no item by item)
                return PyList_GetSlice(obj, 0, len(<list>obj)) if t is list else list(<tuple>obj)
            out = []
            for v in obj:
                out.append(self._normalize(v, depth))
            return out
        if t is dict:
            if _atomic_record(<dict>obj):
                return PyDict_Copy(obj)
            d = {}
            for k, v in (<dict>obj).items():
                d[self._normalize_key(k, depth)] = self._normalize(v, depth)
            return d
        if t is self._list_t:
            out = []
            for v in <list>self._plain_as(obj, list):
                out.append(self._normalize(v, depth))
            return out
        if t is self._dict_t or (t is not set and isinstance(obj, self._dict_t)):  # StoreRoot too
            d = {}
            for k, v in (<dict>self._plain_as(obj, dict)).items():
                d[k] = self._normalize(v, depth)
            return d
        if t is set:
            return {self._normalize_key(v, depth) for v in <set>obj}
        if t is self._set_t:
            return {self._normalize_key(v, depth) for v in <set>self._plain_as(obj, set)}
        return self._store._normalize_other(obj, depth)

    cdef object _normalize_key(self, object obj, int depth=0):
        cdef type t = type(obj)
        if _is_plain_scalar(obj):
            if (t is float or t is complex) and obj != obj:
                return self._store._normalize_key(obj)  # raises: NaN cannot be found again
            return obj
        if t is tuple and depth < self._max_depth:
            return tuple([self._normalize_key(v, depth + 1) for v in <tuple>obj])
        return self._store._normalize_key(obj, depth)  # frozensets, other types, the error

    cdef object _adopt(self, object cls, object plain, object accessor):
        # (``object.__new__(cls)`` without looking ``__new__`` up: a proxy class has
        # no ``__new__`` or ``__init__`` of its own that would have to run)
        proxy = _alloc(cls)
        _set_slot(self._slot_store, proxy, self._store)
        _set_slot(self._slot_accessor, proxy, accessor)
        _set_slot(self._slot_plain, proxy, plain)
        return proxy


cdef extern from *:
    """
    #include "structmember.h"  /* T_OBJECT_EX */

    /* The object in obj's slot that the __slots__ member descriptor descr reads (borrowed),
     * or NULL where reading it through descr would not simply give it: obj is not of the
     * descriptor's class (or a subclass), or the slot is empty.  A slot's offset is the
     * same in every subclass, and this is the test member_get makes (without its
     * indirect calls, which on an append per step cost more than the rest of the read). */
    static inline PyObject *laaos_slot(PyObject *descr, PyObject *obj) {
        PyMemberDescrObject *d = (PyMemberDescrObject *)descr;
        if (d->d_member->type != T_OBJECT_EX || !PyObject_TypeCheck(obj, PyDescr_TYPE(d)))
            return NULL;
        return *(PyObject **)((char *)obj + d->d_member->offset);
    }
    """
    PyObject* _slot_of "laaos_slot"(object descr, object obj)


cdef object _shared_slot(str name, list_type, dict_type, set_type):
    descr = getattr(list_type, name)
    if getattr(dict_type, name) is not descr or getattr(set_type, name) is not descr:
        raise TypeError(f"the proxy types do not share one {name!r} slot")
    if type(descr) is not _MemberDescriptorType:  # (what `_get_slot` reads it as)
        raise TypeError(f"the proxies' {name!r} is not a __slots__ member")
    return descr


cdef inline int _set_slot(object descr, object obj, object value) except -1:
    cdef type t = type(descr)
    return (<PyTypeObject*>t).tp_descr_set(descr, obj, value)


cdef inline object _get_slot(object descr, object obj):
    """``descr.__get__(obj)`` for a member descriptor ``descr`` (`_shared_slot`)."""
    cdef PyObject* value = _slot_of(descr, obj)
    if value != NULL:
        return <object>value
    cdef type t = type(descr)  # (the error of an empty slot or a foreign object)
    return (<PyTypeObject*>t).tp_descr_get(descr, obj, type(obj))


cdef str _item_accessor(str accessor, object key, object fallback):
    cdef string out
    _append_str(out, accessor)
    out.push_back(b'[')
    _render_into(out, key, fallback)
    out.push_back(b']')
    return _decode_line(out)


cdef int _unlink_all(list proxies, Engine engine) except -1:
    """Unlink each proxy of ``proxies`` (setting a slot: no Python code)."""
    cdef Py_ssize_t i
    for i in range(len(proxies)):
        _set_slot(engine._slot_accessor, proxies[i], None)
    return 0


cdef tuple _NO_RELINKS = (None, None)


cdef int _set_accessors(list proxies, list accessors, Engine engine) except -1:
    cdef Py_ssize_t i
    for i in range(len(proxies)):
        _set_slot(engine._slot_accessor, proxies[i], accessors[i])
    return 0


import operator as _operator
from types import MemberDescriptorType as _MemberDescriptorType
from laaos.errors import SliceNotSupportedError as _SliceNotSupportedError
from laaos.errors import container_mismatch as _container_mismatch
from laaos.errors import unlinked_container as _unlinked_container


cdef object _index(object index):
    if isinstance(index, slice):
        raise _SliceNotSupportedError("Slices are not supported for lists in the store!")
    return _operator.index(index)


cdef Py_ssize_t _position(object index, Py_ssize_t n) except? -1:
    """``index`` of a list of ``n`` items as a position, or the IndexError a list raises."""
    cdef Py_ssize_t i
    if type(index) is not int:
        index = _index(index)
    if not -n <= index < n:
        raise IndexError("list assignment index out of range")
    i = index
    return i + n if i < 0 else i

