"""The store and CPython's cyclic collector: the stored data is a tree of plain containers
with no proxy inside it (a proxy is made when user code reaches a container), so it cannot
be part of a reference cycle; on the extension every stored container is out of the
collector's sight, as CPython leaves out a dict of scalars, so the collector's passes never
walk a run's data.  A dropped store (its proxies refer to it) is still found and closed.
"""

import gc
import warnings
import weakref

import pytest

import laaos
from helpers import new_store


def stored_containers(root):
    """``(path, container)`` for every plain container of the store (the root's included)."""
    found = []
    stack = [("store", root._plain)]
    while stack:
        path, plain = stack.pop()
        found.append((path, plain))
        items = plain.items() if type(plain) is dict else enumerate(plain) if type(plain) is list else ()
        for k, v in items:
            if isinstance(v, (list, dict, set, laaos.StoreAccessible)):
                stack.append((f"{path}[{k!r}]", v))
    return found


def proxies_inside(root):
    return [path for path, c in stored_containers(root) if isinstance(c, laaos.StoreAccessible)]


def in_sight(root):
    """The paths of stored containers the cyclic collector tracks."""
    return [path for path, c in stored_containers(root) if gc.is_tracked(c)]


def check_tree(root, backend):
    assert proxies_inside(root) == []
    if backend == "cython":
        assert in_sight(root) == []


def test_stored_containers_hold_no_proxy_and_are_out_of_the_collectors_sight(backend):
    root, log = new_store(initial_data={"losses": [0.5]})
    check_tree(root, backend)
    root["losses"].append(0.25)
    root["losses"].extend([0.125, 1, "x", None, True, b"b", 1j])
    root["losses"].insert(0, 2.0)
    root["losses"][1] = 3
    root["rows"] = [[1, 2.0], (3, 4.0)]
    root["rows"].append([5, 6.0])
    root["rows"].append({"a": [1, {2}], "b": {"c": {}}})
    root["tags"] = {"a", 1}
    root["tags"].add(2.0)
    root["tags"] |= {"b", (1, 2)}
    root["d"] = {"x": 1}
    root["d"]["y"] = [1, [2]]
    root["d"].update({"z": {"w": []}, "v": [3]})
    held = root["rows"][3]["a"]
    root["rows"].insert(0, [0])
    root["rows"].sort(key=len)
    held.append([4])
    check_tree(root, backend)
    assert laaos.to_plain(root)["rows"][0] == [0]
    assert laaos.safe_load_str(log.getvalue()) == laaos.to_plain(root)


def test_a_reopened_store_is_out_of_the_collectors_sight(backend, tmp_path):
    root = laaos.open_file_store("run", "", prefix=f"{tmp_path}/")
    root["losses"] = [0.5, 0.25]
    root["records"] = [{"step": 0, "rows": [[1, 2.0]]}]
    root.close()
    root = laaos.open_file_store("run", "", prefix=f"{tmp_path}/")
    check_tree(root, backend)
    root["losses"].append({"a": 1})
    root["records"][0]["rows"].append([3])
    check_tree(root, backend)
    root.close()


def _append(xs):
    xs.append({"a": 1})


def _insert(xs):
    xs.insert(0, [1, 2])


def _set_item(xs):
    xs[0] = {3}


def _extend(xs):
    xs.extend([1.0, {"a": 1}])


def _slice_assignment(xs):
    xs[0:1] = [1.0, [2.0]]


def _slice_at_the_end(xs):
    xs[len(xs):] = [[2.0]]


def _iadd(xs):
    xs += [{"b": 2}]


def _sort_then_add(xs):
    xs.sort()
    xs.append([1])


def _move_a_stored_container_in(xs):
    root = xs._store.root
    root["other"] = [[1.0]]
    xs[0:1] = [root["other"][0], 2.0]


def _set_add(tags):
    tags.add((1, "a"))


def _set_update(tags):
    tags |= {frozenset({1})}


def _set_symmetric_difference(tags):
    tags ^= {"a", (2, 3)}


PUTS = [_append, _insert, _set_item, _extend, _slice_assignment, _slice_at_the_end, _iadd,
        _sort_then_add, _move_a_stored_container_in]
SET_PUTS = [_set_add, _set_update, _set_symmetric_difference]


@pytest.mark.parametrize("put", PUTS + SET_PUTS, ids=[f.__name__.strip("_") for f in PUTS + SET_PUTS])
def test_whatever_goes_in_stays_a_plain_tree_out_of_sight(backend, put):
    root, log = new_store(initial_data={"xs": [1.0, 0.5], "tags": {"a", "b"}})
    put(root["tags"] if put in SET_PUTS else root["xs"])
    check_tree(root, backend)
    assert laaos.safe_load_str(log.getvalue()) == laaos.to_plain(root)


@pytest.mark.parametrize("put", PUTS, ids=[f.__name__.strip("_") for f in PUTS])
def test_a_dropped_store_whose_series_got_a_container_is_collected(backend, tmp_path, put):
    """The store and its root refer to each other (a cycle the collector must see)."""

    def work():
        root = laaos.open_file_store("run", "", prefix=f"{tmp_path}/", durability="buffered",
                                     flush_interval=1000)
        root["xs"] = [1.0, 0.5]
        put(root["xs"])
        return weakref.ref(root._store), laaos.to_plain(root)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        store, contents = work()
        gc.collect()
    assert store() is None
    assert any(w.category is ResourceWarning for w in caught)
    assert laaos.safe_load(tmp_path / "run.py") == contents


class Holder:
    """A value a type handler keeps in the store as it is: it may refer to anything."""

    def __init__(self):
        self.root = None


class KeepsHolders(laaos.TypeHandler):
    def supports(self, obj):
        return isinstance(obj, Holder)

    def repr(self, obj, repr, store):
        return "None"


def test_a_store_whose_handler_keeps_an_object_that_refers_to_it_is_collected(backend, tmp_path):
    """A handler's object in the tree may close a cycle through the store: with type
    handlers the tree stays in the collector's sight, so a dropped store is still found."""

    def work():
        root = laaos.open_file_store("run", "", prefix=f"{tmp_path}/", durability="buffered",
                                     type_handlers=[KeepsHolders()])
        holder = Holder()
        holder.root = root  # the cycle: store -> its tree -> holder -> root -> store
        root["rows"] = [{"held": [holder]}]
        root["rows"].append([holder, 1.0])
        return weakref.ref(root._store)

    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        store = work()
        gc.collect()
    assert store() is None
