"""The store and CPython's cyclic collector: on the extension a stored list or set that
holds only scalars (a run's series) is left out of the collector's sight, as CPython leaves
out a dict of scalars; whatever puts anything else in such a list or set first puts it back
in sight, so a dropped store is still found and closed.
"""

import gc
import warnings
import weakref

import pytest

import laaos
from helpers import new_store

SCALARS = (int, float, str, bytes, bool, complex, type(None))


def hidden_containers(root):
    """The accessors of stored lists and sets that hold something other than scalars but
    are out of the collector's sight (a cycle through them would never be collected)."""
    found = []

    def walk(proxy):
        plain = proxy._plain
        if type(plain) is not dict and not gc.is_tracked(plain):
            if any(type(v) not in SCALARS for v in plain):
                found.append(proxy._accessor)
        values = plain.values() if type(plain) is dict else plain if type(plain) is list else ()
        for v in values:
            if isinstance(v, laaos.StoreAccessible):
                walk(v)

    walk(root)
    return found


def series_plain(root, key):
    return root[key]._plain


def test_a_stored_series_of_scalars_is_out_of_the_collectors_sight(backend):
    if backend == "python":
        pytest.skip("the pure twin cannot leave a list out of the collector from Python")
    root, _ = new_store(initial_data={"losses": [0.5]})
    assert not gc.is_tracked(series_plain(root, "losses"))
    root["losses"].append(0.25)
    root["losses"].extend([0.125, 1, "x", None, True, b"b", 1j])
    root["losses"].insert(0, 2.0)
    root["losses"][1] = 3
    root["rows"] = [[1, 2.0], (3, 4.0)]
    root["rows"].append([5, 6.0])
    root["tags"] = {"a", 1}
    root["tags"].add(2.0)
    root["tags"] |= {"b"}
    assert not gc.is_tracked(series_plain(root, "losses"))
    assert not gc.is_tracked(series_plain(root, "tags"))
    assert all(not gc.is_tracked(row._plain) for row in root["rows"])
    assert gc.is_tracked(series_plain(root, "rows"))  # (it holds proxies)


def test_a_reopened_series_of_scalars_is_out_of_the_collectors_sight(backend, tmp_path):
    if backend == "python":
        pytest.skip("the pure twin cannot leave a list out of the collector from Python")
    root = laaos.open_file_store("run", "", prefix=f"{tmp_path}/")
    root["losses"] = [0.5, 0.25]
    root["records"] = [{"step": 0, "rows": [[1, 2.0]]}]
    root.close()
    root = laaos.open_file_store("run", "", prefix=f"{tmp_path}/")
    assert not gc.is_tracked(series_plain(root, "losses"))
    assert not gc.is_tracked(root["records"][0]["rows"][0]._plain)
    assert gc.is_tracked(series_plain(root, "records"))
    assert hidden_containers(root) == []
    root["losses"].append({"a": 1})
    assert hidden_containers(root) == []
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
def test_a_list_or_set_is_back_in_the_collectors_sight_before_anything_else_goes_in(backend, put):
    root, log = new_store(initial_data={"xs": [1.0, 0.5], "tags": {"a", "b"}})
    put(root["tags"] if put in SET_PUTS else root["xs"])
    assert hidden_containers(root) == []
    assert laaos.safe_load_str(log.getvalue()) == laaos.to_plain(root)


@pytest.mark.parametrize("put", PUTS, ids=[f.__name__.strip("_") for f in PUTS])
def test_a_dropped_store_whose_series_got_a_container_is_collected(backend, tmp_path, put):
    """The container is a proxy that refers to its store: a cycle the collector must see."""

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
