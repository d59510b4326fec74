"""The proxies: the store's dicts, lists and sets, each of which logs every mutation.

Each mutating method is one call to the store's mutation engine (``Store._engine``, made
by the backend: ``laaos._engine`` or the extension's twin), which does the whole
mutation under the store's lock: check the container is still linked, normalize the
value to plain data, render the statement, write it and change memory in one step.  So a
value that cannot be stored, or a write that fails (a closed store included: the writer
refuses under the same lock), leaves both the log and the in-memory store as they were,
and an interrupt (KeyboardInterrupt) lands before or after a whole mutation.  The rest
of the ``list``, ``dict`` and ``set`` API is written on top of these methods in
``laaos._container_api``.

The stored data is a tree of plain containers: a proxy is made when user code reaches a
container (``d[k]``, ``l[i]``, iteration, ``values()``, ``items()``...) by the engine's
``item``/``items``, which keep it in a cache, so that a container the user holds is the
same proxy on the next access and stays linked as mutations move it.

Reading (iteration, ``repr``, ``==``, ``laaos.to_plain``) copies each container in one
step under the lock (a builtin's ``copy()``: one C call) and walks and renders the copies
outside it.  So a reader sees each container as it really was between two mutations, and
a thread rendering the store in a loop never holds the lock for more than one container's
copy: the writer keeps most of its speed beside it.  A proxy cannot be
pickled (it is a live view of a log that only its process writes): ``copy.deepcopy`` and
``laaos.to_plain`` give plain data.
"""

from __future__ import annotations

from collections.abc import MutableMapping, MutableSequence, MutableSet
from typing import Any, Iterator, Optional

from ._backend import engine_method
from ._container_api import DictAPI, ListAPI, SetAPI
from .errors import StoreClosedError, unlinked_container

SCALARS = frozenset((int, float, str, bool, type(None), bytes, complex))
# A container's store, its accessor and its plain data: what the mutation engines read.
_ENGINE_SLOTS = ("_store", "_accessor", "_plain")


def to_plain(value: Any) -> Any:
    """A plain copy of a store or any of its containers: dicts, lists and sets of plain
    values, detached from the log (for ``pickle``, ``json``, another process...).

    Anything else is returned as it is.
    """
    if isinstance(value, StoreAccessible):
        return value._store._engine.snapshot(value)
    store = getattr(value, "root", None)
    if isinstance(store, StoreAccessible):  # a Store
        return to_plain(store)
    return value


def _not_picklable(obj: Any) -> TypeError:
    return TypeError(
        f"a laaos {type(obj).__name__} cannot be pickled: it is a live view of a log that "
        "only its own process writes. Pass laaos.to_plain(x), a plain copy, instead "
        "(copy.deepcopy(x) gives the same)"
    )


class StoreAccessible:
    """Base of the proxies: knows its store, its accessor (``store['a'][0]``) and the
    plain dict, list or set that holds its items (``_plain``: plain data only, no proxy
    inside)."""

    # Slots: the hot calls read these attributes on every operation.
    __slots__ = _ENGINE_SLOTS + ("__weakref__",)
    _plain_type: Any = None  # dict, list or set

    def __init__(self, store: Any, initial: Any = ()):
        self._store = store
        self._accessor: Optional[str] = None
        self._plain = self._plain_type(initial)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # The engines read these slots at their offsets (the extension) or as attributes
        # (the pure twin): a subclass that redefined one would log one place and change
        # another, or log a container that was replaced, on one backend only.
        # (looked up through the whole MRO: a mixin before the base counts too)
        redefined = [name for name in _ENGINE_SLOTS if getattr(cls, name, None) is not _SLOT_DESCRIPTORS[name]]
        if redefined:
            raise TypeError(
                f"{cls.__name__} redefines {', '.join(redefined)}: a store container's "
                "slots are its store's, which reads and writes them itself"
            )
        super().__init_subclass__(**kwargs)

    @classmethod
    def _adopt(cls, store: Any, plain: Any) -> Any:
        """A proxy of ``plain`` (made by ``Store._normalize``: no copy), not linked yet."""
        self = cls.__new__(cls)
        self._store, self._accessor, self._plain = store, None, plain
        return self

    @property
    def laaos_store(self) -> Any:
        return self._store

    def _linked_accessor(self) -> str:
        """The accessor, or UnlinkedContainerError for a replaced or deleted container."""
        acc = self._accessor
        if acc is None:
            raise unlinked_container()
        return acc

    # The original's helpers, kept for code that calls them.
    def _wrap(self, obj: Any) -> Any:
        return self._store._proxify(self._store._normalize(obj))

    def _repr(self, obj: Any) -> str:
        return self._store._render_any(obj)

    def _write(self, text: str) -> None:
        with self._store._lock:
            self._store._emit_text(text)

    def _unlink(self) -> None:
        self._store._engine.link(self, None)

    def _unlink_children(self) -> None:
        accessor = self._accessor
        self._store._engine.link(self, None)
        self._accessor = accessor

    def _link(self, accessor: str) -> None:
        self._store._engine.link(self, accessor)

    @staticmethod
    def unlink(obj: Any) -> None:
        if isinstance(obj, StoreAccessible):
            obj._unlink()

    @staticmethod
    def link(obj: Any, accessor: str) -> None:
        if isinstance(obj, StoreAccessible):
            obj._link(accessor)

    def __repr__(self) -> str:
        engine = self._store._engine
        return engine.render(engine.snapshot(self))

    def _repr_html_(self) -> str:
        """The notebook view (``laaos.view``): a tree of keys, a sparkline per series."""
        from .view import live_store

        where = self._store.uri or type(self._store._log).__name__
        what = self._accessor or "an unlinked container"
        return live_store(to_plain(self), f"{what} of the live store on {where}")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StoreAccessible):
            other = to_plain(other)
        return to_plain(self) == other

    __hash__ = None  # type: ignore[assignment]

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise _not_picklable(self)

    def __deepcopy__(self, memo: Any) -> Any:
        return to_plain(self)

    def clear(self) -> None:
        self._store._engine.clear(self)

    def __len__(self) -> int:
        return len(self._plain)

    def __contains__(self, item: object) -> bool:
        return item in self._plain

    def __iter__(self) -> Iterator[Any]:
        # Over a snapshot: a dashboard thread reading the store while the training
        # thread adds keys must not get "dictionary changed size during iteration".
        # (A dict's keys and a set's elements are never containers: no proxies.)
        with self._store._lock:
            return iter(list(self._plain))

    def __copy__(self) -> Any:
        return to_plain(self)


_SLOT_DESCRIPTORS = {name: vars(StoreAccessible)[name] for name in _ENGINE_SLOTS}


class StoreDict(StoreAccessible, DictAPI, MutableMapping):
    """A dict in the store."""

    __slots__ = ()
    _plain_type = dict

    def __getitem__(self, key: Any) -> Any:
        return self._store._engine.item(self, key)

    def items(self) -> Any:
        # Views of a snapshot, as iteration is: Mapping's own views look each key up
        # outside the lock, where a key another thread deletes in between is a KeyError.
        return dict(self._store._engine.items(self)).items()

    def values(self) -> Any:
        return dict(self._store._engine.items(self)).values()

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        # numpy takes an object with __getitem__ and __len__ for a sequence: it would make
        # an array of a dict's keys.  To numpy a dict is one object, as a builtin dict is.
        import numpy  # (only numpy calls this: it is imported already)

        array = numpy.empty((), dtype=object)
        array[()] = self
        return array if dtype is None else array.astype(dtype)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        """``store[key]`` if present, else store ``default`` there and return the stored
        container, so that ``store.setdefault("losses", []).append(x)`` logs ``x``
        (``MutableMapping.setdefault`` returns the caller's own list, where it is lost)."""
        with self._store._lock:
            self._linked_accessor()  # (a mutator: refused on an unlinked dict, key or no key)
            if key not in self._plain:
                self[key] = default
            return self[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._store._engine.dict_set(self, key, value)

    def __delitem__(self, key: Any) -> None:
        self._store._engine.dict_del(self, key)


class StoreRoot(StoreDict):
    """The store's top-level dict: also closes, flushes and names the store."""

    __slots__ = ()

    def close(self) -> None:
        return self._store.close()

    def flush(self) -> None:
        return self._store.flush()

    def mark(self, label: str) -> None:
        """Append the mark ``label`` to the log, e.g. when a checkpoint is saved:
        ``open_file_store(..., rewind_to=label)`` later reopens the log at this state."""
        self._store.mark(label)

    @property
    def uri(self) -> Optional[str]:
        return self._store.uri

    def __enter__(self) -> "StoreRoot":
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        try:
            self._store.close()
        except StoreClosedError:
            # A failed write closed the store: its error is the one on its way out, if any.
            if exc_type is None:
                raise


class StoreList(StoreAccessible, ListAPI, MutableSequence):
    """A list in the store."""

    __slots__ = ()
    _plain_type = list

    def __iter__(self) -> Iterator[Any]:
        return iter(self._store._engine.items(self))

    def append(self, obj: Any) -> None:
        """Append ``obj`` (a copy of it, as plain data), logged as ``ACC.append(VALUE)``."""
        self._store._engine.list_append(self, obj)

    # The commonest mutation (a metric per step) without this method's Python frame, where
    # the extension is built: the same call, made in C (``laaos._hook``).
    append = engine_method(append, "list_append")

    def extend(self, values: Any) -> None:
        self._store._engine.list_extend(self, values)

    def insert(self, index: int, obj: Any) -> None:
        self._store._engine.list_insert(self, index, obj)

    def __getitem__(self, index: Any) -> Any:
        if type(index) is slice:
            return self._get_slice(index)
        return self._store._engine.item(self, index)

    def __setitem__(self, index: Any, value: Any) -> None:
        if type(index) is slice:
            return self._set_slice(index, value)
        self._store._engine.list_set(self, index, value)

    def __delitem__(self, index: Any) -> None:
        if type(index) is slice:
            return self._delete_slice(index)
        self._store._engine.list_del(self, index)


class StoreSet(StoreAccessible, SetAPI, MutableSet):
    """A set in the store."""

    __slots__ = ()
    _plain_type = set

    def add(self, x: Any) -> None:
        self._store._engine.set_add(self, x)

    def discard(self, x: Any) -> None:
        self._store._engine.set_discard(self, x)
