"""The mutation engine of the pure-Python backend: the twin of ``Engine`` in
``src_ext/engine.pxi``.

A store has one engine (``Store._engine``), made by its backend; the proxies call it once
per mutation.  Each method is the whole mutation, under the store's lock: check that the
container is still linked, normalize the value (the one copy it gets on its way in),
render the statement, work out which held containers (proxies) get a new accessor or
lose theirs, and only then write.  Everything that can run
Python code (a ``TypeHandler``, ``__index__``, ``__hash__``) or fail runs before the
write, so a refused operation leaves the log and memory as they were.

The stored data is a tree of plain dicts, lists and sets (no proxy inside it).  A proxy
is made only when user code reaches a container (``store["l"][0]``, iteration,
``values()``...), and kept in the engine's cache (``id(plain) -> proxy``, held weakly: a
proxy holds its plain container, so an entry's id stays valid while the proxy lives), so
that a container the user holds is the same object on the next access and follows its
item when a mutation moves it.  Appending records makes no proxy.

The write and the change in memory are one step (``Writer.commit``): the change is an
iterator of builtin calls (``list.append``, ``dict.__setitem__``, ``setattr`` of a new
accessor...) that the writer exhausts in the same C loop that puts the statement in the
log (the hot mutations hand over the one call itself: ``commit_append``, ``commit_insert``,
``commit_set``).  CPython runs signal handlers only between bytecodes, so a KeyboardInterrupt lands
before the whole mutation or after it, never between its statement and its change.
"""

from __future__ import annotations

import operator
import weakref
from _weakref import _remove_dead_weakref
from itertools import chain, repeat, starmap
from typing import Any, Iterator, List, Optional

from ._limits import MAX_WRITTEN_STATEMENT
from ._render import render
from ._statements import elements_text, statement_text
from ._writer import END
from .errors import SliceNotSupportedError, container_mismatch, unlinked_container

_float_repr = float.__repr__
_setitem = operator.setitem
_SCALARS = frozenset((int, float, str, bool, type(None), bytes, complex))
_CONTAINERS = (list, dict, set)
_CONTAINER_TYPES = frozenset(_CONTAINERS)
_MISSING = object()
_FLOATS = frozenset((float,))
# Ints this small render as themselves, far inside the digit limit (both bounds made once:
# a negation per call makes a new int).
_SMALL = 1 << 60
_MINUS_SMALL = -_SMALL
# A statement of more characters than this may be more bytes than laaos writes in one.
_LONG = MAX_WRITTEN_STATEMENT // 4
_NOTHING: Iterator[Any] = iter(())
# What a flat record holds (exact types: a subclass's repr may be anything).
_FLAT_KEYS = frozenset((str, int))
_FLAT_VALUES = frozenset((str, int, float, bool, type(None)))
_SET_UPDATES = ("update", "difference_update", "symmetric_difference_update")


class Engine:
    """The mutations of ``store``'s containers, written through ``writer``; the
    containers that user code reaches are shown as ``list_type``/``dict_type``/``set_type``
    proxies."""

    __slots__ = ("_store", "_writer", "_fallback", "_types", "_proxies", "_held", "_dead")

    def __init__(self, store: Any, writer: Any, list_type: Any, dict_type: Any, set_type: Any):
        self._store = store
        self._writer = writer
        self._fallback = store._render_unknown
        self._types = {list: list_type, dict: dict_type, set: set_type}
        self._proxies = (list_type, dict_type, set_type)
        # id(plain container) -> a weak reference to its proxy, for the containers user
        # code has reached.  A dead proxy's reference puts itself in ``_dead`` (its
        # callback is ``list.append``, C: a Python callback, a WeakValueDictionary's, runs
        # bytecode, where a Ctrl-C's KeyboardInterrupt is raised and lost, "Exception
        # ignored"); the next proxy made takes the dead entries out (``_proxy``).
        self._held: dict = {}
        self._dead: list = []

    # ---- the steps, also used outside mutations (copies, repr, a new store) -----------

    def normalize(self, obj: Any, depth: int = 0) -> Any:
        """Plain data for ``obj`` (``Store._normalize``)."""
        return self._store._normalize(obj, depth)

    def render(self, value: Any) -> str:
        """The source text of a plain value."""
        return render(value, self._fallback)

    def adopt(self, plain: Any) -> Any:
        """Take the plain data ``plain`` (a new store's root) as the store's own; the
        extension leaves its containers out of the cyclic collector."""
        return plain

    def snapshot(self, proxy: Any) -> Any:
        """A plain copy of ``proxy`` for a reader: each container is copied in one step
        (a builtin's ``copy()``, one C call) under the store's lock, and walked outside
        it, so a thread rendering the store in a loop never holds the lock for a walk and
        still sees each container whole (a set holds plain values only)."""
        return self._copy(proxy._plain)

    def _copy(self, plain: Any) -> Any:
        with self._writer.lock:
            items = plain.copy()
        if type(items) is dict:
            for key, value in items.items():
                if type(value) in _CONTAINERS:
                    items[key] = self._copy(value)
        elif type(items) is list:
            for i, value in enumerate(items):
                if type(value) in _CONTAINERS:
                    items[i] = self._copy(value)
        return items

    # ---- reaching the stored containers -------------------------------------------------

    def item(self, proxy: Any, key: Any) -> Any:
        """``proxy``'s item ``key`` (the KeyError or IndexError its builtin raises), a
        container as its proxy."""
        with self._writer.lock:
            plain = proxy._plain
            value = plain[key]
            if type(value) not in _CONTAINERS:
                return value
            if type(plain) is list:
                key = operator.index(key)
                if key < 0:
                    key += len(plain)
            elif type(key) is not str:
                key = self._store._normalize_key(key)  # (rendered in its accessor)
            return self._proxy(value, proxy._accessor, key, type(plain) is list)

    def items(self, proxy: Any) -> list:
        """The items of the list ``proxy``, or the ``(key, value)`` pairs of the dict
        ``proxy``, as they are now, each container as its proxy."""
        with self._writer.lock:
            plain = proxy._plain
            acc = proxy._accessor
            if type(plain) is list:
                return [
                    self._proxy(v, acc, i, True) if type(v) in _CONTAINERS else v for i, v in enumerate(plain)
                ]
            return [
                (k, self._proxy(v, acc, k, False) if type(v) in _CONTAINERS else v) for k, v in plain.items()
            ]

    def link(self, proxy: Any, accessor: Optional[str]) -> None:
        """Give ``proxy`` the accessor ``accessor`` (None: unlink it), and the held
        containers inside it theirs below it."""
        with self._writer.lock:
            if accessor is None:
                dead = [proxy]
                self._held_below(proxy._plain, dead)
                for p in dead:
                    p._accessor = None
            else:
                proxies: List[Any] = []
                accessors: List[str] = []
                self._links(proxy._plain, accessor, proxies, accessors)
                proxy._accessor = accessor
                for p, a in zip(proxies, accessors):
                    p._accessor = a

    def _proxy(self, plain: Any, acc: Optional[str], key: Any, index: bool) -> Any:
        """The proxy of the stored container ``plain``, item ``key`` of the container
        whose accessor is ``acc``: the one made before if user code still holds it."""
        ref = self._held.get(id(plain))
        proxy = ref() if ref is not None else None
        if proxy is None:
            proxy = self._types[type(plain)]._adopt(self._store, plain)
            if acc is not None:
                proxy._accessor = f"{acc}[{key}]" if index else f"{acc}[{self.render(key)}]"
            dead = self._dead
            while dead:  # (an entry is taken out only while its reference is dead)
                _remove_dead_weakref(self._held, dead.pop().key)
            self._held[id(plain)] = weakref.KeyedRef(proxy, dead.append, id(plain))
        return proxy

    # ---- dicts ---------------------------------------------------------------------------

    def dict_set(self, proxy: Any, key: Any, value: Any) -> None:
        """``proxy[key] = value``, logged as ``ACC[KEY]=VALUE``."""
        with self._writer.lock:
            acc = proxy._accessor
            if acc is None:
                raise unlinked_container()
            plain = proxy._plain
            if plain.__class__ is not dict:
                raise container_mismatch(proxy, plain, dict)
            old = plain.get(key, _MISSING)
            if old is value:
                return
            # The key's text: the common keys inline (a call costs more than they do), and
            # a small int as itself, which the f-strings below render.
            key_type = type(key)
            if key_type is int and _MINUS_SMALL < key < _SMALL:
                shown = key
            elif key_type is str:
                shown = f"{key!r}"
            else:
                key = self._store._normalize_key(key)
                shown = render(key, self._fallback)
            if type(value) is float and value - value == 0:  # a metric: one f-string
                text = f"{acc}[{shown}]={value!r}\n"
                if len(text) > _LONG:  # (a key of megabytes: refused as the extension does)
                    self._text(f"{acc}[{shown}]=", value, "", "", 0)
            elif type(value) in self._proxies and value._plain is old:
                return  # (``d[k] += [x]`` sets the item to itself)
            else:
                head = f"{acc}[{shown}]"
                value, text = self._statement(head + "=", value, "", head)
            if proxy._accessor is not acc:  # (moved: see ``_moved``)
                return self.dict_set(proxy, key, value)
            if type(old) in _CONTAINER_TYPES and self._held:
                self._commit_replacing(text, map(_setitem, (plain,), (key,), (value,)), old)
            else:
                self._writer.commit_set(text, plain, key, value)

    def dict_del(self, proxy: Any, key: Any) -> None:
        """``del proxy[key]``, logged as ``del ACC[KEY]``."""
        with self._writer.lock:
            acc = self._accessor(proxy)
            plain = proxy._plain
            if plain.__class__ is not dict:
                raise container_mismatch(proxy, plain, dict)
            old = plain[key]  # the KeyError a dict raises
            nkey = self._store._normalize_key(key)
            if proxy._accessor is not acc:  # (moved: see ``_moved``)
                return self.dict_del(proxy, nkey)
            text = f"del {acc}[{self.render(nkey)}]\n"
            after: Iterator[Any] = starmap(plain.__delitem__, ((key,),))
            self._commit_replacing(text, after, old)

    # ---- lists ---------------------------------------------------------------------------

    def list_append(self, proxy: Any, obj: Any) -> None:
        """``proxy.append(obj)``, logged as ``ACC.append(VALUE)``."""
        with self._writer.lock:
            acc = proxy._accessor  # (``_accessor``, inline as in ``dict_set``: the hottest call)
            if acc is None:
                raise unlinked_container()
            seq = proxy._plain
            if seq.__class__ is not list:
                raise container_mismatch(proxy, seq, list)
            if type(obj) is float and obj - obj == 0:  # a metric per step: the hot case
                text = f"{acc}.append({obj!r})\n"
                if len(text) > _LONG:  # (an accessor of megabytes)
                    self._text(acc + ".append(", obj, ")", "", 0)
                self._writer.commit_append(text, seq, obj)
                return
            value, text = self._statement(acc + ".append(", obj, ")", f"{acc}[{len(seq)}]")
            if proxy._accessor is not acc:  # (moved: see ``_moved``)
                return self.list_append(proxy, value)
            self._writer.commit_append(text, seq, value)

    def list_extend(self, proxy: Any, values: Any) -> None:
        """``proxy.extend(values)``, logged as one ``ACC.extend([...])``."""
        with self._writer.lock:
            acc = self._accessor(proxy)
            seq = proxy._plain
            if seq.__class__ is not list:
                raise container_mismatch(proxy, seq, list)
            items = list(seq if values is proxy else values)
            if not items:
                return
            if proxy._accessor is not acc:  # (moved: see ``_moved``)
                return self.list_extend(proxy, items)
            start = len(seq)
            if _FLOATS.issuperset(map(type, items)) and (total := sum(items)) - total == 0:
                # finite floats only (a sum of them is finite unless it overflows, and
                # then the general path takes them): rendered without a call per item
                text = f"{acc}.extend([{', '.join(map(_float_repr, items))}])\n"
                if len(text) <= _LONG:  # (longer: split below)
                    self._writer.commit_set(text, seq, END, items)
                    return
            plain = self._store._normalize(items)
            if proxy._accessor is not acc:  # (moved: see ``_moved``)
                return self.list_extend(proxy, plain)
            text = self._text(acc + ".extend(", plain, ")", acc, start)
            self._writer.commit_set(text, seq, END, plain)

    def list_insert(self, proxy: Any, index: Any, obj: Any) -> None:
        """``proxy.insert(index, obj)``, logged as ``ACC.insert(I, VALUE)`` with the index
        clamped as ``list.insert`` clamps it."""
        with self._writer.lock:
            acc = proxy._accessor  # (``_accessor``, inline as in ``list_append``)
            if acc is None:
                raise unlinked_container()
            seq = proxy._plain
            if seq.__class__ is not list:
                raise container_mismatch(proxy, seq, list)
            if type(index) is not int:
                index = _index(index)
            n = len(seq)
            asked = index
            if index < 0:
                index = index + n if index > -n else 0
            elif index > n:
                index = n
            if type(obj) is float and obj - obj == 0:
                value = obj
                text = f"{acc}.insert({index}, {obj!r})\n"
                if len(text) > _LONG:  # (an accessor of megabytes)
                    self._text(f"{acc}.insert({index}, ", obj, ")", "", 0)
            else:
                value, text = self._statement(f"{acc}.insert({index}, ", obj, ")", f"{acc}[{index}]")
                if proxy._accessor is not acc:  # (moved: see ``_moved``)
                    return self.list_insert(proxy, asked, value)
            # (what moves is relinked: the held containers in it; one item, as before the last
            # item, is one type test, without the slice and the scan: a tenth of the insert)
            if index < n and self._held and (
                seq[index].__class__ in _CONTAINER_TYPES if index == n - 1 else _holds_containers(seq, index)
            ):
                after = chain(map(seq.insert, (index,), (value,)), self._relinks(seq, acc, index, 1))
                self._writer.commit(text, after)
            else:
                self._writer.commit_insert(text, seq, index, value)

    def list_set(self, proxy: Any, index: Any, obj: Any) -> None:
        """``proxy[index] = obj``, logged as ``ACC[I] = VALUE``."""
        with self._writer.lock:
            acc = self._accessor(proxy)
            seq = proxy._plain
            if seq.__class__ is not list:
                raise container_mismatch(proxy, seq, list)
            index = _position(index, len(seq))
            old = seq[index]
            if old is obj or (type(obj) in self._proxies and obj._plain is old):
                return
            item = f"{acc}[{index}]"
            value, text = self._statement(item + " = ", obj, "", item)
            if proxy._accessor is not acc:  # (moved: see ``_moved``)
                return self.list_set(proxy, index, value)
            if type(old) in _CONTAINERS and self._held:
                self._commit_replacing(text, map(_setitem, (seq,), (index,), (value,)), old)
            else:
                self._writer.commit_set(text, seq, index, value)

    def list_del(self, proxy: Any, index: Any) -> None:
        """``del proxy[index]``, logged as ``del ACC[I]``."""
        with self._writer.lock:
            acc = self._accessor(proxy)
            seq = proxy._plain
            if seq.__class__ is not list:
                raise container_mismatch(proxy, seq, list)
            index = _position(index, len(seq))
            if proxy._accessor is not acc:  # (moved: see ``_moved``)
                return self.list_del(proxy, index)
            old = seq[index]
            after: Iterator[Any] = starmap(seq.__delitem__, ((index,),))
            if self._held and _holds_containers(seq, index + 1):
                after = chain(after, self._relinks(seq, acc, index + 1, -1))
            self._commit_replacing(f"del {acc}[{index}]\n", after, old)

    # ---- sets ----------------------------------------------------------------------------

    def set_add(self, proxy: Any, obj: Any) -> None:
        """``proxy.add(obj)``, logged as ``ACC.add(VALUE)`` unless it is there already."""
        with self._writer.lock:
            acc = self._accessor(proxy)
            key = self._store._normalize_key(obj)
            plain = proxy._plain
            if plain.__class__ is not set:
                raise container_mismatch(proxy, plain, set)
            if key in plain:
                return
            if proxy._accessor is not acc:  # (moved: see ``_moved``)
                return self.set_add(proxy, key)
            text = self._text(acc + ".add(", key, ")", acc, 0)
            self._writer.commit(text, map(plain.add, (key,)))

    def set_discard(self, proxy: Any, obj: Any) -> None:
        """``proxy.discard(obj)``, logged as ``ACC.discard(VALUE)`` if it is there."""
        with self._writer.lock:
            acc = self._accessor(proxy)
            plain = proxy._plain
            if plain.__class__ is not set:
                raise container_mismatch(proxy, plain, set)
            if obj not in plain:
                return
            key = self._store._normalize_key(obj)
            if proxy._accessor is not acc:  # (moved: see ``_moved``)
                return self.set_discard(proxy, key)
            text = self._text(acc + ".discard(", key, ")", acc, 0)
            self._writer.commit(text, map(plain.discard, (obj,)))

    # ---- any container -------------------------------------------------------------------

    def clear(self, proxy: Any) -> None:
        """``proxy.clear()``, logged as ``ACC.clear()`` unless it is empty."""
        with self._writer.lock:
            acc = self._accessor(proxy)
            plain = proxy._plain
            if not plain:
                return
            dead: List[Any] = []
            if self._held and type(plain) is not set:
                self._held_below(plain, dead)
            after = chain(starmap(plain.clear, ((),)), map(setattr, dead, repeat("_accessor"), repeat(None)))
            self._writer.commit(f"{acc}.clear()\n", after)

    # ---- whole-container changes (the container API's sort, slices, ``|=``...) ------------

    def replace_items(self, proxy: Any, items: List[Any]) -> None:
        """Make ``items`` the list ``proxy``'s items, logged as one assignment of the whole
        list to its place (``ACC=[...]``; several statements only for a list over the
        statement limit); ``proxy`` stays valid.

        ``items`` holds the list's own items (each at most once: a held container among
        them stays the same proxy, relinked to its new index) and new plain values (made
        by ``Store._normalize``).  Nothing changes if ``items`` is the list as it is."""
        with self._writer.lock:
            acc = self._accessor(proxy)
            seq = proxy._plain
            if seq.__class__ is not list:
                raise container_mismatch(proxy, seq, list)
            if len(items) == len(seq) and all(map(operator.is_, items, seq)):
                return
            text = self._text(acc + "=", self._store._normalize(items), "", acc, 0)
            dead: List[Any] = []
            proxies: List[Any] = []
            accessors: List[str] = []
            if self._held:
                own = {id(v) for v in seq if type(v) in _CONTAINERS}
                kept = {id(v) for v in items if type(v) in _CONTAINERS and id(v) in own}
                for old in seq:
                    if type(old) in _CONTAINERS and id(old) not in kept:
                        self._held_in(old, dead)
                for i, v in enumerate(items):
                    if id(v) in kept:
                        self._links(v, f"{acc}[{i}]", proxies, accessors)
            after = chain(
                starmap(seq.__setitem__, ((slice(None), items),)),
                map(setattr, dead, repeat("_accessor"), repeat(None)),
                map(setattr, proxies, repeat("_accessor"), accessors),
            )
            self._writer.commit(text, after)

    def update_items(self, proxy: Any, changes: dict) -> None:
        """Set every key of ``changes`` (raw values) in the dict ``proxy``, logged as one
        ``ACC.update({...})`` (several statements only for a dict too large for one)."""
        with self._writer.lock:
            acc = self._accessor(proxy)
            plain = self._store._normalize(changes)
            if proxy._accessor is not acc:  # (moved: see ``_moved``)
                return self.update_items(proxy, plain)
            text = self._text(acc + ".update(", plain, ")", acc, 0)
            seq = proxy._plain
            if seq.__class__ is not dict:
                raise container_mismatch(proxy, seq, dict)
            dead: List[Any] = []
            if self._held:
                for key in plain:
                    old = seq.get(key)
                    if type(old) in _CONTAINERS:
                        self._held_in(old, dead)
            after = chain(
                starmap(seq.update, ((plain,),)), map(setattr, dead, repeat("_accessor"), repeat(None))
            )
            self._writer.commit(text, after)

    def update_elements(self, proxy: Any, method: str, elements: list) -> None:
        """``proxy._plain.<method>(elements)`` for the set ``proxy`` (``method`` is
        ``update``, ``difference_update`` or ``symmetric_difference_update``; ``elements``
        distinct, each made by ``Store._normalize_key``), logged as one statement
        ``ACC.<method>({...})`` (several only for a set too large for one)."""
        with self._writer.lock:
            acc = self._accessor(proxy)
            if method not in _SET_UPDATES:
                raise ValueError(f"not a set update: {method!r}")
            text = elements_text(acc, method, elements, self._store._render)
            plain = proxy._plain
            if plain.__class__ is not set:
                raise container_mismatch(proxy, plain, set)
            self._writer.commit(text, starmap(getattr(plain, method), ((elements,),)))

    # ---- helpers ---------------------------------------------------------------------------

    # ``_moved``: the code that making a key, index or value runs (a generator, ``__index__``,
    # ``__hash__``, a type handler, ``tolist()``; a signal handler between two bytecodes)
    # may move the container (an insert before it in its list) or unlink it: its accessor
    # is read again once that code has run, and if it changed, the mutation starts again
    # with what was made (plain data, which runs no code), so that the statement names the
    # container where it is now, or is refused if it is no longer in the store.

    @staticmethod
    def _accessor(proxy: Any) -> str:
        acc = proxy._accessor
        if acc is None:
            raise unlinked_container()
        return acc

    def _statement(self, head: str, obj: Any, tail: str, accessor: str) -> Any:
        """``(plain value, statement text)`` of a mutation that stores ``obj`` as
        ``accessor``: normalized and rendered (several statements if one would be too
        long)."""
        t = type(obj)
        if t in _SCALARS:
            return obj, self._text(head, obj, tail, accessor, 0)
        if (t is dict or t is list) and len(obj) <= 64:
            # A flat record ({'step': 1, 'loss': 0.5}, [i, x]): its repr is its source
            # (finite floats, ints of fewer digits than the text is long), made in C.
            if t is dict:
                flat = _FLAT_KEYS.issuperset(map(type, obj)) and _FLAT_VALUES.issuperset(map(type, obj.values()))
            else:
                flat = _FLAT_VALUES.issuperset(map(type, obj))
            if flat:
                try:
                    text = repr(obj)
                except ValueError:  # an int longer than Python prints: refused below
                    text = "nan"
                if len(text) <= 4096 and "nan" not in text and "inf" not in text and len(head) < _LONG - 4096:
                    return obj.copy(), f"{head}{text}{tail}\n"
        plain = self._store._normalize(obj)
        return plain, self._text(head, plain, tail, accessor, 0)

    def _text(self, head: str, plain: Any, tail: str, accessor: str, offset: int) -> str:
        return statement_text(head, plain, tail, accessor, self._store._render, offset)

    def _held_in(self, plain: Any, out: List[Any]) -> None:
        """Add the proxies of the container ``plain`` and of every container inside it
        that user code holds to ``out`` (a walk against the cache: the walk keeps its own
        stack, as a log may nest deeper than the recursion limit)."""
        held = self._held
        stack = [plain]
        while stack:
            c = stack.pop()
            ref = held.get(id(c))
            if ref is not None:
                proxy = ref()
                if proxy is not None and proxy._plain is c:
                    out.append(proxy)
            if type(c) is dict:
                stack.extend(v for v in c.values() if type(v) in _CONTAINERS)
            elif type(c) is list:
                stack.extend(v for v in c if type(v) in _CONTAINERS)

    def _held_below(self, plain: Any, out: List[Any]) -> None:
        """``_held_in`` for the containers inside ``plain`` (not ``plain`` itself)."""
        for v in plain.values() if type(plain) is dict else plain if type(plain) is list else ():
            if type(v) in _CONTAINERS:
                self._held_in(v, out)

    def _commit_replacing(self, text: str, after: Iterator[Any], old: Any) -> None:
        """Write ``text``, then apply ``after`` and, when ``old`` (the value a set or a
        delete takes out) is a container that user code holds or holds something in,
        unlink those."""
        if type(old) in _CONTAINERS and self._held:
            dead: List[Any] = []
            self._held_in(old, dead)
            if dead:
                after = chain(after, map(setattr, dead, repeat("_accessor"), repeat(None)))
        self._writer.commit(text, after)

    def _relinks(self, seq: list, acc: str, start: int, shift: int) -> Iterator[Any]:
        """The calls that give the held containers at ``seq[start:]``, and those inside
        them, their accessors once they have moved by ``shift`` places."""
        proxies: List[Any] = []
        accessors: List[str] = []
        for i in range(start, len(seq)):
            v = seq[i]
            if type(v) in _CONTAINERS:
                self._links(v, f"{acc}[{i + shift}]", proxies, accessors)
        if not proxies:
            return _NOTHING
        return map(setattr, proxies, repeat("_accessor"), accessors)

    def _links(self, plain: Any, accessor: str, proxies: List[Any], accessors: List[str]) -> None:
        """Add the held proxies of ``plain`` (as ``accessor``) and of the containers in
        it, with their accessors, to ``proxies`` and ``accessors``."""
        held = self._held
        stack = [(plain, accessor)]
        while stack:
            c, acc = stack.pop()
            ref = held.get(id(c))
            if ref is not None:
                proxy = ref()
                if proxy is not None and proxy._plain is c:
                    proxies.append(proxy)
                    accessors.append(acc)
            t = type(c)
            if t is list:
                stack.extend((v, f"{acc}[{i}]") for i, v in enumerate(c) if type(v) in _CONTAINERS)
            elif t is dict:
                stack.extend((v, f"{acc}[{self.render(k)}]") for k, v in c.items() if type(v) in _CONTAINERS)


def _index(index: Any) -> int:
    if isinstance(index, slice):
        raise SliceNotSupportedError("Slices are not supported for lists in the store!")
    return operator.index(index)


def _holds_containers(seq: list, start: int) -> bool:
    """Whether ``seq[start:]`` holds a container: what an insert or a del moves, whose held
    proxies it relinks."""
    return not _CONTAINER_TYPES.isdisjoint(map(type, seq[start:]))


def _position(index: Any, n: int) -> int:
    """``index`` of a list of ``n`` items as a position, or the IndexError a list raises."""
    if type(index) is not int:
        index = _index(index)
    if not -n <= index < n:
        raise IndexError("list assignment index out of range")
    return index + n if index < 0 else index
