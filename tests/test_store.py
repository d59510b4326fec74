"""The store's documented behaviour, as the original laaos defines it, plus the values ML
code logs.  Each test checks the log text and what it loads back to."""

import dataclasses
import enum
import io
import math
import threading
import time

import numpy as np
import pytest

import laaos
from helpers import new_store, plain, same


def load(log):
    return laaos.safe_load_str(log.getvalue())


def test_statements_match_the_format_table():
    root, log = new_store()
    root["d"] = {"k": 1}
    root["l"] = [1]
    root["s"] = set()
    root["l"][0] = 5
    root["l"].append(2)
    root["l"].insert(0, 0)
    root["l"].extend([3, 4])
    root["s"].add("a")
    root["s"].discard("a")
    del root["d"]["k"]
    root["l"].clear()
    assert log.getvalue().splitlines() == [
        "store = {}",
        "store['d']={'k': 1}",
        "store['l']=[1]",
        "store['s']=set()",
        "store['l'][0] = 5",
        "store['l'].append(2)",
        "store['l'].insert(0, 0)",
        "store['l'].extend([3, 4])",
        "store['s'].add('a')",
        "store['s'].discard('a')",
        "del store['d']['k']",
        "store['l'].clear()",
    ]
    assert load(log) == {"d": {}, "l": [], "s": set()}


def test_assigning_a_store_container_elsewhere_copies_it():
    root, log = new_store()
    root["a"] = [1, 2]
    root["b"] = root["a"]
    root["a"].append(3)
    assert plain(root) == {"a": [1, 2, 3], "b": [1, 2]}
    assert load(log) == {"a": [1, 2, 3], "b": [1, 2]}


def test_replaced_or_deleted_containers_refuse_mutation():
    root, log = new_store()
    root["a"] = {"x": [1]}
    old = root["a"]
    inner = old["x"]
    root["a"] = {}
    with pytest.raises(AssertionError, match="unlinked"):
        old["y"] = 1
    with pytest.raises(laaos.UnlinkedContainerError):
        inner.append(2)
    root["l"] = [[1]]
    first = root["l"][0]
    del root["l"][0]
    with pytest.raises(AssertionError):
        first.append(1)
    assert load(log) == {"a": {}, "l": []}


WRONG_CONTAINER_CALLS = {
    "list append on a dict": lambda r: laaos.StoreList.append(r["d"], 1.0),
    "list append on the root": lambda r: laaos.StoreList.append(r, 1),
    "list extend on a dict": lambda r: laaos.StoreList.extend(r["d"], [1.0, 2.0]),
    "list extend on a set": lambda r: laaos.StoreList.extend(r["s"], [1.0]),
    "list insert on a set": lambda r: laaos.StoreList.insert(r["s"], 0, 1.0),
    "list item set on a dict": lambda r: laaos.StoreList.__setitem__(r["d"], 0, 1.0),
    "list item del on a dict": lambda r: laaos.StoreList.__delitem__(r["d"], 0),
    "dict item set on a list": lambda r: laaos.StoreDict.__setitem__(r["l"], 0, 1.0),
    "dict item del on a list": lambda r: laaos.StoreDict.__delitem__(r["l"], 0),
    "set add on a dict": lambda r: laaos.StoreSet.add(r["d"], 2),
    "set discard on a list": lambda r: laaos.StoreSet.discard(r["l"], 1),
}


@pytest.mark.parametrize("case", list(WRONG_CONTAINER_CALLS))
def test_a_method_of_another_container_type_is_refused_and_changes_nothing(case):
    # (the extension cast the container unchecked: a segfault, or a statement written
    # that then failed in memory, a log that no longer loads; the pure twin wrote some)
    root, log = new_store()
    root.update({"d": {"a": 1}, "l": [1], "s": {1}})
    before = log.getvalue()
    with pytest.raises(TypeError, match="that holds a .* was used as a "):
        WRONG_CONTAINER_CALLS[case](root)
    assert log.getvalue() == before
    assert plain(root) == load(log) == {"d": {"a": 1}, "l": [1], "s": {1}}


def test_a_proxy_whose_class_was_changed_is_refused_and_changes_nothing():
    root, log = new_store()
    root["d"] = {"a": 1}
    d = root["d"]
    d.__class__ = laaos.StoreList  # (allowed: the proxies share one layout)
    with pytest.raises(TypeError, match="a StoreList that holds a dict was used as a list"):
        d.insert(0, 1.0)
    with pytest.raises(TypeError, match="a StoreList that holds a dict was used as a list"):
        root["copy"] = d  # (copied as a list: the extension read the dict as one, and crashed)
    with pytest.raises(TypeError, match="a StoreList that holds a dict was used as a list"):
        root["rows"] = [{"nested": d}]
    d.__class__ = laaos.StoreDict
    assert plain(root) == load(log) == {"d": {"a": 1}}


def test_a_key_too_long_for_any_statement_is_refused_and_changes_nothing():
    # (a container under a key of 70 MB was written as statements of 70 MB, which the
    # loader refuses by default; the pure twin also wrote a float under a 9 MB key)
    from laaos._limits import MAX_WRITTEN_STATEMENT

    root, log = new_store()
    near = "k" * (MAX_WRITTEN_STATEMENT - 20)  # `store['…']=[]` fits, one float more does not
    root[near] = []
    root["d"] = {}
    before = log.getvalue()
    for mutate in (
        lambda: root[near].append(0.123456789),
        lambda: root[near].insert(0, 0.5),
        lambda: root[near].extend([0.5, 1.5]),
        lambda: root[near].append({"step": 1}),
        lambda: root["d"].__setitem__("k" * (MAX_WRITTEN_STATEMENT + 1), 1.5),
        lambda: root.__setitem__("k" * 7_000_000, [1.0] * 300_000),  # split: each part holds the key
        lambda: root.__setitem__("k" * 70_000_000, [1.0]),
    ):
        with pytest.raises(ValueError, match="the keys that lead to the value"):
            mutate()
    assert log.getvalue() == before
    assert load(log) == plain(root) == {near: [], "d": {}}


def test_a_lone_surrogate_from_a_handler_is_refused_on_a_text_file_object():
    # (the pure twin wrote it to a text file object as it was: a log that no longer
    # encodes, where the extension and every file descriptor refuse it)
    from laaos.handlers import ToReprHandler

    class Odd:
        def __repr__(self):
            return "'a\ud800b'"

    root, log = new_store(type_handlers=[ToReprHandler()])
    root["l"] = []
    before = log.getvalue()
    for mutate in (lambda: root.__setitem__("x", Odd()), lambda: root["l"].append(Odd())):
        with pytest.raises(UnicodeEncodeError):
            mutate()
    assert log.getvalue() == before
    assert load(log) == plain(root) == {"l": []}


def test_slices_work_as_on_a_list_and_negative_indexes_work():
    root, log = new_store()
    root["l"] = [1, 2, 3]
    lst = root["l"]
    lst[0:2] = [5]
    assert lst == [5, 3] and "store['l']=[5, 3]" in log.getvalue()
    del lst[0:1]
    assert lst == [3] and "del store['l'][0]" in log.getvalue()
    lst.extend([1, 2])
    lst[-1] = 30
    del lst[-3]
    assert lst[0:2] == [1, 30]  # a plain list
    assert "store['l'][2] = 30" in log.getvalue()
    assert load(log) == {"l": [1, 30]}


def test_unknown_index_or_key_raise_like_list_and_dict():
    root, log = new_store()
    root["l"] = [1]
    before = log.getvalue()
    with pytest.raises(IndexError):
        root["l"][5] = 1
    with pytest.raises(IndexError):
        root["l"][-2] = 1
    with pytest.raises(IndexError):
        del root["l"][1]
    with pytest.raises(KeyError):
        del root["nope"]
    with pytest.raises(KeyError):
        root["nope"]
    assert log.getvalue() == before


def test_tuples_and_iterables_are_stored_as_lists():
    root, log = new_store()
    root["t"] = (1, 2)
    root["r"] = range(3)
    root["g"] = (i * i for i in range(3))
    root["l"] = []
    root["l"].extend(x for x in "ab")
    assert load(log) == {"t": [1, 2], "r": [0, 1, 2], "g": [0, 1, 4], "l": ["a", "b"]}
    assert isinstance(root["t"], laaos.StoreList)


def test_tuple_keys_and_set_elements_stay_tuples():
    root, log = new_store()
    root[("a", 1)] = 1
    root["s"] = {(1, 2)}
    assert load(log) == {("a", 1): 1, "s": {(1, 2)}}


def test_extend_is_one_statement():
    root, log = new_store()
    root["l"] = []
    root["l"].extend(range(1000))
    assert log.getvalue().count("\n") == 3
    assert load(log)["l"] == list(range(1000))


def test_nan_and_infinities_round_trip():
    root, log = new_store()
    root["v"] = [float("nan"), float("inf"), -float("inf"), -0.0, 5e-324]
    root["c"] = complex(float("nan"), 1.0)
    text = log.getvalue()
    assert "float('nan')" in text and "-float('inf')" in text
    loaded = load(log)
    assert same(loaded["v"], [float("nan"), float("inf"), -float("inf"), -0.0, 5e-324])
    assert math.isnan(loaded["c"].real) and loaded["c"].imag == 1.0


def test_bytes_big_ints_and_complex_round_trip():
    root, log = new_store()
    values = [b"\x00\xff'\"", 2**200, -(3**100), 1 + 2j, -1.5j, 0j]
    root["v"] = values
    assert load(log)["v"] == values


def test_complex_with_a_zero_real_part_keeps_its_signs():
    # `-2.5j` (repr of complex(0.0, -2.5)) would load with a real part of -0.0
    root, log = new_store()
    values = [complex(0.0, -2.5), complex(-0.0, -1.0), complex(0.0, 1.0), complex(-0.0, 2.0)]
    root["v"] = values
    loaded = load(log)["v"]
    assert [(math.copysign(1, z.real), math.copysign(1, z.imag)) for z in loaded] == [
        (math.copysign(1, z.real), math.copysign(1, z.imag)) for z in values
    ]


def test_numpy_values_are_stored_as_plain_python():
    root, log = new_store()
    root["s"] = np.float32(0.5)
    root["i"] = np.int64(7)
    root["b"] = np.bool_(True)
    root["a"] = np.arange(6).reshape(2, 3)
    root["z"] = np.array(3.25)
    root["l"] = []
    root["l"].append(np.float64("nan"))
    loaded = load(log)
    assert loaded["s"] == 0.5 and type(loaded["s"]) is float
    assert loaded["i"] == 7 and type(loaded["i"]) is int
    assert loaded["b"] is True
    assert loaded["a"] == [[0, 1, 2], [3, 4, 5]]
    assert loaded["z"] == 3.25
    assert math.isnan(loaded["l"][0])
    assert "np." not in log.getvalue()


class Color(enum.IntEnum):
    RED = 1
    GREEN = 2


class Shade(str, enum.Enum):
    DARK = "dark"


class Mode(enum.Enum):
    TRAIN = 1


def test_int_and_str_subclasses_without_handler_store_their_value():
    root, log = new_store()
    root["c"] = Color.RED
    root["s"] = Shade.DARK
    assert load(log) == {"c": 1, "s": "dark"}
    assert "<" not in log.getvalue()


def test_handlers_claim_subclasses_first():
    root, log = new_store(type_handlers=[laaos.WeakEnumHandler()])
    root["c"] = Color.GREEN
    root[Color.RED] = [Color.GREEN]
    assert log.getvalue().splitlines()[1:] == ["store['c']=Color.GREEN", "store[Color.RED]=[Color.GREEN]"]
    assert laaos.safe_load_str(log.getvalue(), exposed_symbols=[Color]) == {
        "c": Color.GREEN,
        Color.RED: [Color.GREEN],
    }


@dataclasses.dataclass
class Config:
    lr: float
    layers: tuple


def test_default_type_handlers():
    root, log = new_store(type_handlers=laaos.DefaultTypeHandlers)
    root["cfg"] = Config(0.1, (64, 64))
    root["mode"] = Mode.TRAIN
    root["fn"] = math.sqrt
    assert load(log) == {"cfg": {"lr": 0.1, "layers": [64, 64]}, "mode": "Mode.TRAIN", "fn": "math.sqrt"}


class Opaque:
    pass


def test_unsupported_value_is_refused_and_nothing_changes():
    root, log = new_store()
    root["l"] = [1]
    before = log.getvalue()
    for bad in (Opaque(), [1, Opaque()], {"k": Opaque()}):
        with pytest.raises(laaos.UnsupportedTypeError, match=r"Opaque.*TypeHandler"):
            root["x"] = bad
        with pytest.raises(KeyError):  # what the original raised
            root["l"].append(bad)
    assert log.getvalue() == before
    assert plain(root) == {"l": [1]}


def test_handler_output_the_loader_cannot_read_is_refused():
    root, log = new_store(type_handlers=[laaos.ToReprHandler()])
    before = log.getvalue()
    with pytest.raises(laaos.UnsupportedTypeError, match="cannot read"):
        root["x"] = Opaque()
    assert log.getvalue() == before and "x" not in root


def test_unhashable_key_is_refused():
    root, log = new_store()
    with pytest.raises(TypeError):
        root[[1]] = 1  # type: ignore[index]
    assert load(log) == {}


def test_initial_data_is_one_statement_and_loads():
    root, log = new_store(initial_data={"cfg": {"lr": 0.1}, "series": [1, 2], "s": {1}})
    root["series"].append(3)
    assert log.getvalue().startswith("store = (\n{'cfg': {'lr': 0.1}, 'series': [1, 2], 's': {1}}\n)\n")
    assert load(log) == {"cfg": {"lr": 0.1}, "series": [1, 2, 3], "s": {1}}


def test_mutable_mapping_sequence_and_set_mixins_log_correctly():
    root, log = new_store()
    root["d"] = {"a": 1, "b": 2}
    root["d"].update(c=3)
    assert root["d"].pop("a") == 1
    root["d"].setdefault("e", [])
    root["d"]["e"].append(1)
    root["l"] = [3, 1, 2]
    root["l"].reverse()
    root["l"].remove(1)
    root["l"] += [9]
    assert root["l"].pop() == 9
    root["s"] = {1, 2}
    root["s"] |= {3}
    root["s"] -= {1}
    root["d2"] = {"x": 1}
    root["d2"].clear()
    root["s"].clear()
    assert load(log) == plain(root) == {
        "d": {"b": 2, "c": 3, "e": [1]},
        "l": [2, 3],
        "s": set(),
        "d2": {},
    }


def test_repr_and_equality_of_proxies():
    root, _ = new_store()
    root["l"] = [1, float("nan")]
    root["d"] = {"s": {1}}
    assert repr(root["l"]) == "[1, float('nan')]"
    assert root["d"] == {"s": {1}}
    assert root["l"][0:1] == [1]
    assert root.uri is None


def test_store_on_any_text_file_object(tmp_path):
    path = tmp_path / "log.py"
    with open(path, "w") as f:
        store = laaos.Store(f, uri=str(path))
        store.root["a"] = 1
        store.close()
    assert laaos.safe_load(path) == {"a": 1}


def test_closed_store_refuses_writes():
    root, _ = new_store()
    root["losses"] = []
    losses = root["losses"]
    root.close()
    root.close()  # closing twice is harmless
    with pytest.raises(laaos.StoreClosedError, match="closed"):
        root["a"] = 1
    for value in (1.5, 2, "x", None, True, [1]):
        with pytest.raises(laaos.StoreClosedError, match="closed"):
            losses.append(value)
    assert list(losses) == []


def test_the_store_lock_is_reentrant_and_owned():
    root, _ = new_store()
    lock = root.laaos_store._lock
    with lock:
        with lock:
            root["a"] = 1  # the store takes it again inside
    errors = []

    def release_foreign():
        try:
            lock.release()
        except RuntimeError as e:
            errors.append(e)

    with lock:
        t = threading.Thread(target=release_foreign)
        t.start()
        t.join()
    assert len(errors) == 1
    with pytest.raises(RuntimeError):
        lock.release()


def test_the_store_lock_keeps_other_threads_out_while_its_owner_gives_the_gil_away():
    """Threads that find the lock taken wait (with the GIL released, so the owner runs on)
    and each gets it in turn, also when the owner sleeps or writes while holding it."""
    root, log = new_store()
    lock = root.laaos_store._lock
    inside, overlaps = [], []

    def worker(i):
        for j in range(40):
            with lock:
                inside.append(i)
                if len(inside) > 1:
                    overlaps.append(list(inside))
                time.sleep(0.0002)  # (gives the GIL away, as a long write does)
                root[f"t{i}"] = j  # (the store takes the lock again inside)
                inside.remove(i)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert overlaps == []
    assert load(log) == {f"t{i}": 39 for i in range(4)}


def test_a_thread_waiting_for_the_store_lock_gets_it_while_its_owner_keeps_taking_it():
    """An owner that gives the GIL away while it holds the lock (an fsync, a sleep or a
    write in ``with store._lock:``) and takes the lock again at once, over and over, does
    not keep another thread out until it stops (at exit, that would be a hang)."""
    root, log = new_store()
    lock = root.laaos_store._lock
    done = threading.Event()

    def other():
        for j in range(20):
            root["other"] = j
        done.set()

    thread = threading.Thread(target=other)
    deadline = time.monotonic() + 20
    with lock:  # (the other thread's first item set waits from the start)
        thread.start()
        time.sleep(0.01)
    while not done.is_set() and time.monotonic() < deadline:
        with lock:
            time.sleep(0.0002)
            root["owner"] = 1
    assert done.is_set()  # (before the owner stopped)
    thread.join()
    assert load(log) == laaos.to_plain(root) and load(log)["other"] == 19


@pytest.mark.parametrize("index", [1, -1, 0])
def test_a_held_container_moved_by_an_insert_or_a_del_keeps_logging_where_it_is(index):
    """An insert before the last item (one item moves), at the front (all move) or a del
    relinks the held containers that move, and what they log lands where they are."""
    root, log = new_store()
    root["l"] = [1, {"a": [1]}]
    held = root["l"][1]
    inner = held["a"]
    root["l"].insert(index, 9.5)
    held["b"] = 2
    inner.append(3)
    root["l"].insert(-1, 7)
    held["c"] = 3
    del root["l"][0]
    held["d"] = 4
    inner.append(4)
    assert load(log) == plain(root)
    assert plain(root)["l"][-1] == {"a": [1, 3, 4], "b": 2, "c": 3, "d": 4}


def test_helpers():
    root, log = new_store()
    laaos.new_list(root, "l").append(1)
    laaos.new_dict(root, "d")["k"] = 2
    laaos.new_set(root, "s").add(3)
    assert laaos.put(root, "p", [1]) == [1]
    assert load(log) == {"l": [1], "d": {"k": 2}, "s": {3}, "p": [1]}
    assert laaos.can_iter([]) and not laaos.can_iter(1)
    assert laaos.generate_time_id().startswith("_20")


def test_a_failing_text_log_stops_the_store_with_a_clear_error():
    class Failing(io.StringIO):
        fail = False

        def write(self, s):
            if self.fail:
                raise OSError(28, "No space left on device")
            return super().write(s)

    log = Failing()
    root = laaos.Store(log).root
    root["a"] = [1]
    log.fail = True
    with pytest.raises(OSError):
        root["a"].append(2)
    assert plain(root) == {"a": [1]}
    log.fail = False
    with pytest.raises(laaos.StoreClosedError, match="earlier write"):
        root["a"].append(3)
    assert laaos.safe_load_str(log.getvalue()) == {"a": [1]}


def test_appended_dicts_are_linked_copies():
    """Per-step metric dicts (the C fast path for flat dicts, the Python path for the
    rest) are stored as copies, linked at their index, and mutable in place."""
    root, log = new_store()
    root["m"] = []
    row = {"step": 0, "loss": float("nan"), "tag": "é", "ok": True, "none": None}
    root["m"].append(row)
    root["m"].append({1: "int key"})
    root["m"].append({"nested": {"x": [1]}})
    row["step"] = 99  # the store holds a copy
    assert root["m"][0]["step"] == 0
    assert isinstance(root["m"][0], laaos.StoreDict) and isinstance(root["m"][2]["nested"], laaos.StoreDict)
    root["m"][0]["lr"] = 0.1
    root["m"][1][2] = "another"
    root["m"][2]["nested"]["x"].append(2)
    del root["m"][1]
    root["m"][1]["after_delete"] = 1  # relinked to index 1
    loaded = load(log)
    assert same(plain(root), loaded)  # (NaN == NaN here: the loss is NaN)
    assert loaded["m"][0]["lr"] == 0.1 and loaded["m"][1] == {"nested": {"x": [1, 2]}, "after_delete": 1}
    assert "store['m'][0]['lr']=0.1" in log.getvalue()


def test_copying_out_gives_plain_data_or_names_the_helper():
    import copy
    import json
    import pickle

    root, log = new_store(initial_data={"l": [1, {"a": {2}}], "d": {"x": [1.5]}})
    for value in (root, root["l"], root["d"], root["l"][1]["a"]):
        snapshot = copy.deepcopy(value)
        assert type(snapshot) in (dict, list, set) and snapshot == laaos.to_plain(value)
        with pytest.raises(TypeError, match=r"laaos\.to_plain"):
            pickle.dumps(value)
    with pytest.raises(TypeError, match=r"laaos\.to_plain"):
        pickle.dumps(root.laaos_store)
    shallow = copy.copy(root["l"])
    assert shallow == [1, {"a": {2}}] and type(shallow[1]) is dict  # plain all the way down
    assert json.loads(json.dumps(laaos.to_plain(root["d"]))) == {"x": [1.5]}
    # json has no hook for its own message: its TypeError is the same on both backends,
    # and default=laaos.json_default (what the README says) dumps any proxy, nested too
    with pytest.raises(TypeError, match="Object of type StoreRoot is not JSON serializable"):
        json.dumps(root)
    assert json.loads(json.dumps({"run": root["d"], "l": root["l"][:1]}, default=laaos.json_default)) == {
        "run": {"x": [1.5]}, "l": [1]}
    assert json.loads(json.dumps(root["d"], default=laaos.json_default)) == {"x": [1.5]}
    root["l"].append(copy.deepcopy(root["d"]))  # a plain copy goes back in as a value
    assert load(log)["l"][2] == {"x": [1.5]}


def test_json_default_writes_what_laaos_export_writes_and_names_what_it_cannot(tmp_path, capsys):
    """``json.dumps(x, default=laaos.json_default)`` follows export's policy for what JSON
    lacks (sets, bytes, complex, non-string keys), nested in a store and in other data."""
    import datetime
    import json

    from laaos.cli import main

    data = {"s": {3, 1, 2}, "b": b"\x00\xff", "c": 1 + 2j, "nan": float("nan"), "l": [1.5, -float("inf")],
            "n": {"t": (1, "x"), 2: [{"k", "j"}], "f": frozenset()}}
    root = laaos.open_file_store("run", "", prefix=f"{tmp_path}/", provenance=False, initial_data=data)
    text = json.dumps({"run": root, "sets": [root["s"], {5, 4}]}, default=laaos.json_default)
    root.close()
    assert main(["export", str(tmp_path / "run.py"), "--nan", "js"]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert same(json.loads(text), {"run": exported, "sets": [[1, 2, 3], [4, 5]]})
    assert exported["b"] == {"base64": "AP8="} and exported["c"] == {"real": 1.0, "imag": 2.0}
    assert exported["n"] == {"t": [1, "x"], "2": [["j", "k"]], "f": []}
    with pytest.raises(TypeError, match=r"Object of type datetime is not JSON serializable: "
                                        r"laaos\.json_default writes .* default= of your own"):
        json.dumps({"when": datetime.datetime(2026, 1, 1)}, default=laaos.json_default)
