"""The rest of the ``list``, ``dict`` and ``set`` API on the store's containers.

``ListAPI``, ``DictAPI`` and ``SetAPI`` are mixins of the proxies (``laaos.proxies``).
Readers (``copy``, ``+``, ``*``, ``|``, ``&``, ``-``, ``^``, comparisons, ``index``,
``count``, ``union``, slices...) return plain values: a list, dict or set with plain
copies of the store's containers in it, so mutating a result never touches the store.
Each mutator ends in one call to the store's engine: a proxy's own mutation
(``self[k] = v``, ``del``, ``extend``, ``add``, ``discard``, ``clear``) where one of them is
the whole change, or one statement of the whole change otherwise (the engine's
``replace_items``, ``update_items``, ``update_elements``).  So a crash never leaves half
of a mutation in the log, an interrupt lands before or after the whole of it, and a
mutation that raises (an unsupported value, a bad argument) changes neither the log nor
memory.  Every statement is one that laaos 2.1.1 loads too.
"""

from __future__ import annotations

import operator
import sys
from typing import Any, Iterable


# A depth to start normalizing at where nothing is written (copies, repr): no limit.
_UNLIMITED = -(1 << 30)
_MISSING = object()


def _plain_copy(proxy: Any, value: Any) -> Any:
    """Plain data for ``value`` (one of ``proxy``'s items, or ``proxy`` itself)."""
    store = proxy._store
    with store._lock:
        return store._normalize(value, _UNLIMITED)


def _stored(value: Any) -> Any:
    """The plain container a proxy shows (``d[k] |= ...`` sets an item to itself)."""
    return value._plain if isinstance(value, (ListAPI, DictAPI, SetAPI)) else value


class ListAPI:
    """What ``list`` offers beyond ``MutableSequence``, for ``StoreList``."""

    __slots__ = ()

    # ---- readers -----------------------------------------------------------------------

    def copy(self) -> list:
        """A plain copy (the store's containers in it copied too)."""
        return _plain_copy(self, self)

    def _get_slice(self, index: slice) -> list:
        with self._store._lock:
            return _plain_copy(self, self._plain[index])

    def index(self, value: Any, start: Any = 0, stop: Any = sys.maxsize) -> int:
        with self._store._lock:
            return self._plain.index(value, start, stop)

    def count(self, value: Any) -> int:
        with self._store._lock:
            return self._plain.count(value)

    def __reversed__(self) -> Any:
        return reversed(self._store._engine.items(self))

    def __add__(self, other: Any) -> Any:
        if isinstance(other, ListAPI):
            other = other.copy()
        elif not isinstance(other, list):
            return NotImplemented
        return self.copy() + other

    def __radd__(self, other: Any) -> Any:
        if not isinstance(other, list):
            return NotImplemented
        return other + self.copy()

    def __mul__(self, n: Any) -> Any:
        try:
            n = operator.index(n)
        except TypeError:
            return NotImplemented
        return self.copy() * n

    __rmul__ = __mul__

    def _compare(self, other: Any, op: Any) -> Any:
        if isinstance(other, ListAPI):
            other = other.copy()
        elif not isinstance(other, list):
            return NotImplemented
        return op(self.copy(), other)

    def __lt__(self, other: Any) -> Any:
        return self._compare(other, operator.lt)

    def __le__(self, other: Any) -> Any:
        return self._compare(other, operator.le)

    def __gt__(self, other: Any) -> Any:
        return self._compare(other, operator.gt)

    def __ge__(self, other: Any) -> Any:
        return self._compare(other, operator.ge)

    # ---- mutators ----------------------------------------------------------------------

    def pop(self, index: Any = -1) -> Any:
        """Remove and return the item at ``index`` (a container as a plain copy)."""
        index = operator.index(index)
        with self._store._lock:
            self._linked_accessor()
            seq = self._plain
            if not seq:
                raise IndexError("pop from empty list")
            if index < 0:
                index += len(seq)
            if not 0 <= index < len(seq):
                raise IndexError("pop index out of range")
            value = _plain_copy(self, seq[index])
            del self[index]
            return value

    def remove(self, value: Any) -> None:
        with self._store._lock:
            self._linked_accessor()
            try:
                index = self._plain.index(value)
            except ValueError:
                raise ValueError("list.remove(x): x not in list") from None
            del self[index]

    def sort(self, *, key: Any = None, reverse: bool = False) -> None:
        """Sort in place, logged as one assignment of the sorted list."""
        with self._store._lock:
            self._linked_accessor()
            plain = self._plain
            if key is None:
                items = plain.copy()
                items.sort(reverse=reverse)
            else:
                # (``key`` sees the items as reading the list gives them: containers as
                # proxies; the sort moves the stored containers themselves)
                shown = self._store._engine.items(self)
                order = sorted(range(len(shown)), key=lambda i: key(shown[i]), reverse=reverse)
                if len(plain) != len(shown) or not all(map(operator.is_, plain, map(_stored, shown))):
                    # (list.sort raises this too; what ``key`` did to the list was logged, so it
                    # stays, and the sort is not done)
                    raise ValueError("list modified during sort")
                items = [plain[i] for i in order]
            self._store._engine.replace_items(self, items)

    def reverse(self) -> None:
        """Reverse in place, logged as one assignment of the reversed list."""
        with self._store._lock:
            self._linked_accessor()
            self._store._engine.replace_items(self, self._plain[::-1])

    def __imul__(self, n: Any) -> Any:
        try:
            n = operator.index(n)
        except TypeError:
            raise TypeError(f"can't multiply sequence by non-int of type '{type(n).__name__}'") from None
        with self._store._lock:
            self._linked_accessor()
            if n <= 0:
                self.clear()
            elif n > 1 and self._plain:
                self.extend(self.copy() * (n - 1))
        return self

    def _set_slice(self, index: slice, values: Any) -> None:
        try:
            values = list(values)
        except TypeError:
            raise TypeError("can only assign an iterable") from None
        store = self._store
        with store._lock:
            self._linked_accessor()
            seq = self._plain
            # A held container that this assignment takes out of the list (``L[:] = L``,
            # ``L[::-1] = L``) stays itself (once: a second is copied); the rest is
            # normalized, which copies a container that stays where it is (``L[1:2] =
            # [L[0]]``: one stored container in two places would log as two and change as
            # one) and refuses what cannot be stored, before anything is written.
            own = {id(v) for v in seq[index] if type(v) in (list, dict, set)}
            new = []
            for v in values:
                plain = _stored(v)
                if plain is not v and id(plain) in own:
                    own.discard(id(plain))
                    new.append(plain)
                else:
                    new.append(store._normalize(v, 1))
            items = seq.copy()
            items[index] = new  # the ValueError of an extended slice of another size
            start, stop, step = index.indices(len(seq))
            removed = len(range(start, stop, step))
            if removed == 0 and start >= len(seq):
                self.extend(new)
            elif removed == len(seq) and not new:
                self.clear()
            else:
                self._store._engine.replace_items(self, items)

    def _delete_slice(self, index: slice) -> None:
        with self._store._lock:
            self._linked_accessor()
            seq = self._plain
            removed = range(*index.indices(len(seq)))
            if len(removed) == len(seq):
                self.clear()
            elif len(removed) == 1:
                del self[removed[0]]
            elif removed:
                items = seq.copy()
                del items[index]
                self._store._engine.replace_items(self, items)


class DictAPI:
    """What ``dict`` offers beyond ``MutableMapping``, for ``StoreDict``."""

    __slots__ = ()

    # ---- readers -----------------------------------------------------------------------

    def copy(self) -> dict:
        """A plain copy (the store's containers in it copied too)."""
        return _plain_copy(self, self)

    @classmethod
    def fromkeys(cls, iterable: Iterable[Any], value: Any = None) -> dict:
        """A new plain dict, as ``dict.fromkeys``."""
        return dict.fromkeys(iterable, value)

    def __reversed__(self) -> Any:
        with self._store._lock:
            return reversed(list(self._plain))

    def __or__(self, other: Any) -> Any:
        if isinstance(other, DictAPI):
            other = other.copy()
        elif not isinstance(other, dict):
            return NotImplemented
        result = self.copy()
        result.update(other)
        return result

    def __ror__(self, other: Any) -> Any:
        if not isinstance(other, dict):
            return NotImplemented
        result = dict(other)
        result.update(self.copy())
        return result

    # ---- mutators ----------------------------------------------------------------------

    def update(self, other: Any = (), /, **kwargs: Any) -> None:
        """As ``dict.update``, logged as one statement: an item set for one changed key,
        ``store[...].update({...})`` for several."""
        changes: dict = {}
        changes.update(other, **kwargs)  # dict's own argument checks and errors
        with self._store._lock:
            self._linked_accessor()
            plain = self._plain
            changes = {k: v for k, v in changes.items() if plain.get(k, _MISSING) is not _stored(v)}
            if len(changes) == 1:
                ((key, value),) = changes.items()
                self[key] = value
            elif changes:
                self._store._engine.update_items(self, changes)

    def __ior__(self, other: Any) -> Any:
        self.update(other)
        return self

    def pop(self, key: Any, default: Any = _MISSING) -> Any:
        """Remove ``key`` and return its value (a container as a plain copy)."""
        with self._store._lock:
            self._linked_accessor()  # (refused on an unlinked dict, key or no key)
            if key not in self._plain:
                if default is _MISSING:
                    raise KeyError(key)
                return default
            value = _plain_copy(self, self._plain[key])
            del self[key]
            return value

    def popitem(self) -> tuple:
        """Remove and return the last ``(key, value)`` pair, as ``dict.popitem``."""
        with self._store._lock:
            self._linked_accessor()
            if not self._plain:
                raise KeyError("popitem(): dictionary is empty")
            key = next(reversed(self._plain))
            value = _plain_copy(self, self._plain[key])
            del self[key]
            return key, value


def _set_operand(other: Any) -> Any:
    """``other`` as a set a builtin set operator takes, or None."""
    if isinstance(other, SetAPI):
        return other.copy()
    if isinstance(other, (set, frozenset)):
        return other
    return None


class SetAPI:
    """What ``set`` offers beyond ``MutableSet``, for ``StoreSet``."""

    __slots__ = ()

    # ---- readers -----------------------------------------------------------------------

    def copy(self) -> set:
        """A plain copy."""
        with self._store._lock:
            return self._plain.copy()

    def union(self, *others: Any) -> set:
        return self.copy().union(*others)

    def intersection(self, *others: Any) -> set:
        return self.copy().intersection(*others)

    def difference(self, *others: Any) -> set:
        return self.copy().difference(*others)

    def symmetric_difference(self, other: Any) -> set:
        return self.copy().symmetric_difference(other)

    def issubset(self, other: Any) -> bool:
        return self.copy().issubset(other)

    def issuperset(self, other: Any) -> bool:
        return self.copy().issuperset(other)

    def isdisjoint(self, other: Any) -> bool:
        return self.copy().isdisjoint(other)

    def _operator(self, other: Any, op: Any, reflected: bool = False) -> Any:
        o = _set_operand(other)
        if o is None:
            return NotImplemented
        # (reflected: `frozenset | store_set` is a frozenset, as with a plain set)
        return op(o, self.copy()) if reflected else op(self.copy(), o)

    def __or__(self, other: Any) -> Any:
        return self._operator(other, operator.or_)

    def __ror__(self, other: Any) -> Any:
        return self._operator(other, operator.or_, True)

    def __and__(self, other: Any) -> Any:
        return self._operator(other, operator.and_)

    def __rand__(self, other: Any) -> Any:
        return self._operator(other, operator.and_, True)

    def __sub__(self, other: Any) -> Any:
        return self._operator(other, operator.sub)

    def __rsub__(self, other: Any) -> Any:
        return self._operator(other, operator.sub, True)

    def __xor__(self, other: Any) -> Any:
        return self._operator(other, operator.xor)

    def __rxor__(self, other: Any) -> Any:
        return self._operator(other, operator.xor, True)

    def __lt__(self, other: Any) -> Any:
        return self._operator(other, operator.lt)

    def __le__(self, other: Any) -> Any:
        return self._operator(other, operator.le)

    def __gt__(self, other: Any) -> Any:
        return self._operator(other, operator.gt)

    def __ge__(self, other: Any) -> Any:
        return self._operator(other, operator.ge)

    # ---- mutators ----------------------------------------------------------------------

    def pop(self) -> Any:
        """Remove and return an element."""
        with self._store._lock:
            self._linked_accessor()
            if not self._plain:
                raise KeyError("pop from an empty set")
            value = next(iter(self._plain))
            self.discard(value)
            return value

    def remove(self, value: Any) -> None:
        """Remove ``value``; KeyError if it is not there."""
        with self._store._lock:
            self._linked_accessor()  # (refused on an unlinked set, element or not)
            if value not in self._plain:
                raise KeyError(value)
            self.discard(value)

    def update(self, *others: Any) -> None:
        """Add the elements of ``others``, logged as one statement: ``add`` for one new
        element, ``store[...].update({...})`` for several."""
        incoming: list = []
        for other in others:
            incoming.extend(other)
        store = self._store
        with store._lock:
            self._linked_accessor()
            keys = dict.fromkeys([store._normalize_key(x) for x in incoming])
            self._add_new([k for k in keys if k not in self._plain])

    def difference_update(self, *others: Any) -> None:
        with self._store._lock:
            self._linked_accessor()
            self._keep_only(self._plain.difference(*others))

    def intersection_update(self, *others: Any) -> None:
        with self._store._lock:
            self._linked_accessor()
            self._keep_only(self._plain.intersection(*others))

    def symmetric_difference_update(self, other: Any) -> None:
        incoming = list(other)
        store = self._store
        with store._lock:
            self._linked_accessor()
            keys = list(dict.fromkeys([store._normalize_key(x) for x in incoming]))
            present = [k for k in keys if k in self._plain]
            if not present:
                self._add_new(keys)
            elif len(present) == len(keys):
                self._keep_only(self._plain.difference(keys))
            else:
                self._store._engine.update_elements(self, "symmetric_difference_update", keys)

    def _in_place(self, other: Any, update: Any) -> Any:
        o = _set_operand(other)
        if o is None:
            return NotImplemented
        update(o)
        return self

    def __ior__(self, other: Any) -> Any:
        return self._in_place(other, self.update)

    def __iand__(self, other: Any) -> Any:
        return self._in_place(other, self.intersection_update)

    def __isub__(self, other: Any) -> Any:
        return self._in_place(other, self.difference_update)

    def __ixor__(self, other: Any) -> Any:
        return self._in_place(other, self.symmetric_difference_update)

    def _add_new(self, new: list) -> None:
        if len(new) == 1:
            self.add(new[0])
        elif new:
            self._store._engine.update_elements(self, "update", new)

    def _keep_only(self, remaining: set) -> None:
        gone = [x for x in self._plain if x not in remaining]
        if len(gone) == 1:
            self.discard(gone[0])
        elif gone and not remaining:
            self.clear()
        elif gone:
            self._store._engine.update_elements(self, "difference_update", gone)
