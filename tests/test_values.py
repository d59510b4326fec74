"""Values that are not simply copied: numpy NaN as a key, objects whose iteration would
drop their data (a pandas DataFrame, a Series with labels, an enum.Flag), frozensets as
keys, dicts and sets too long for one statement, and logs nested deeper than Python's
recursion limit on the command line.  Each is stored whole or refused with nothing
written and nothing changed."""

import collections
import enum
import math

import numpy as np
import pytest

import laaos
from laaos.cli import main

from helpers import run_original
from helpers import new_store, plain


def load(log):
    return laaos.safe_load_str(log.getvalue())


def refused(root, log, operation, error, match):
    """``operation()`` raises ``error`` matching ``match``; the log and the store are as
    they were."""
    before_log, before = log.getvalue(), laaos.to_plain(root)
    with pytest.raises(error, match=match):
        operation()
    assert log.getvalue() == before_log
    assert laaos.to_plain(root) == before


# ---- NaN as a key ----------------------------------------------------------------------


@pytest.mark.parametrize("nan", [np.float32("nan"), np.float64("nan"), np.complex64(complex(math.nan, 0))],
                         ids=["float32", "float64", "complex64"])
def test_a_numpy_nan_is_refused_as_a_key_or_element_as_a_float_nan_is(nan):
    root, log = new_store(initial_data={"s": set(), "d": {}})
    for operation in (
        lambda: root["s"].add(nan),
        lambda: root.__setitem__(nan, 1),
        lambda: root["d"].__setitem__((1, (nan,)), 1),
        lambda: root.__setitem__("x", {nan: 1}),
        lambda: root.__setitem__("x", [{(nan, 2)}]),
        lambda: root["s"].add(frozenset({nan})),
    ):
        refused(root, log, operation, ValueError, "NaN as a dict key or set element")
    root["s"].add(np.float64(0.5))  # a number is a key as before
    assert load(log) == {"s": {0.5}, "d": {}}


# ---- objects whose iteration would drop their data --------------------------------------


def test_a_dataframe_is_stored_as_a_dict_of_its_columns_with_its_index():
    pd = pytest.importorskip("pandas")
    root, log = new_store()
    frame = pd.DataFrame({"step": [0, 10, 20], "loss": np.array([0.5, 0.25, 0.125], dtype=np.float32)})
    root["plain"] = frame
    root["indexed"] = frame.set_index("step")
    loaded = load(log)
    assert loaded["plain"] == {"step": [0, 10, 20], "loss": [0.5, 0.25, 0.125]}
    assert loaded["indexed"] == {"loss": {0: 0.5, 10: 0.25, 20: 0.125}}
    assert loaded == plain(root)
    pd.testing.assert_frame_equal(pd.DataFrame(loaded["plain"]), frame, check_dtype=False)
    assert pd.DataFrame(loaded["indexed"]).loc[20, "loss"] == 0.125


def test_a_series_is_a_list_and_with_labels_a_dict():
    pd = pytest.importorskip("pandas")
    root, log = new_store()
    root["values"] = pd.Series([3, 4])
    root["means"] = pd.DataFrame({"a": [1.0, 3.0], "b": [2.0, 4.0]}).mean()
    root["pairs"] = pd.Series([1, 2], index=pd.MultiIndex.from_tuples([("x", 1), ("y", 2)]))
    assert load(log) == {"values": [3, 4], "means": {"a": 2.0, "b": 3.0}, "pairs": {("x", 1): 1, ("y", 2): 2}}


def test_labels_that_repeat_are_refused_not_merged():
    pd = pytest.importorskip("pandas")
    root, log = new_store()
    series = pd.Series([1, 2], index=["a", "a"])
    frame = pd.DataFrame([[1, 2]], columns=["a", "a"])
    refused(root, log, lambda: root.__setitem__("s", series), ValueError, "labels repeat")
    refused(root, log, lambda: root.__setitem__("f", frame), ValueError, "labels repeat")


class Table:
    """A mapping in all but name: iterating it gives its keys only."""

    def __init__(self, **columns):
        self._columns = columns

    def keys(self):
        return self._columns.keys()

    def __getitem__(self, key):
        return self._columns[key]

    def __iter__(self):
        return iter(self._columns)


def test_an_object_with_keys_and_items_is_stored_as_the_dict_of_them():
    root, log = new_store()
    root["t"] = Table(a=[1, 2], b=(3, 4))
    root["l"] = [Table(x=1)]
    assert load(log) == {"t": {"a": [1, 2], "b": [3, 4]}, "l": [{"x": 1}]}


def test_iterables_are_stored_as_lists_of_their_items():
    root, log = new_store()
    root["gen"] = (i * i for i in range(3))
    root["range"] = range(2, 5)
    root["keys"] = {"a": 1}.keys()
    root["items"] = {"a": 1}.items()
    root["deque"] = collections.deque([1, 2])
    root["zip"] = zip("ab", [1, 2])
    assert load(log) == {"gen": [0, 1, 4], "range": [2, 3, 4], "keys": ["a"], "items": [["a", 1]],
                         "deque": [1, 2], "zip": [["a", 1], ["b", 2]]}


class Perm(enum.Flag):
    R = 4
    W = 2


class IntPerm(enum.IntFlag):
    R = 4
    W = 2


def test_an_enum_flag_is_refused_as_a_type_without_a_handler_and_stored_with_one():
    root, log = new_store()
    for member in (Perm.R, Perm.R | Perm.W):
        refused(root, log, lambda: root.__setitem__("p", member), laaos.UnsupportedTypeError,
                "type test_values.Perm.*StrEnumHandler")
    root["i"] = IntPerm.R | IntPerm.W  # an int subclass: its int
    assert load(log) == {"i": 6}
    handled, handled_log = new_store(type_handlers=[laaos.StrEnumHandler()])
    handled["p"] = Perm.R
    assert load(handled_log) == {"p": str(Perm.R)}


def test_an_object_that_iterates_over_itself_is_refused_as_unsupported():
    class Atom:
        def __iter__(self):
            yield self

    root, log = new_store()
    refused(root, log, lambda: root.__setitem__("a", Atom()), laaos.UnsupportedTypeError, "type .*Atom")


def test_np_asarray_of_a_store_list_of_dicts_holds_the_dicts():
    root, _ = new_store()
    root["evals"] = [{"step": 0, "acc": 0.5}, {"step": 1, "acc": 0.75}]
    array = np.asarray(root["evals"])
    assert array.shape == (2,) and array.dtype == object
    assert array[1] == {"step": 1, "acc": 0.75}
    assert np.asarray(root["evals"][0]).item() == {"step": 0, "acc": 0.5}


# ---- frozensets ---------------------------------------------------------------------------


def test_frozenset_keys_and_elements_are_stored_and_load_back(tmp_path, original_laaos):
    with laaos.open_file_store("run", "", prefix=f"{tmp_path}/", provenance=False) as root:
        root[frozenset({1, 2})] = "pair"
        root["edges"] = {frozenset({"a", "b"}), frozenset()}
        root["edges"].add(frozenset({("c", 1)}))
        root["by"] = {(frozenset({1}), 2): [1]}
        root["by"][(frozenset({1}), 2)].append(2)
        root["value"] = frozenset({3})  # a frozenset value is a set, as a tuple is a list
        memory = laaos.to_plain(root)
    expected = {frozenset({1, 2}): "pair",
                "edges": {frozenset({"a", "b"}), frozenset(), frozenset({("c", 1)})},
                "by": {(frozenset({1}), 2): [1, 2]}, "value": {3}}
    assert memory == expected == laaos.safe_load(tmp_path / "run.py")
    laaos.compact(tmp_path / "run.py", tmp_path / "compact.py")
    assert laaos.safe_load(tmp_path / "compact.py") == expected
    with laaos.open_file_store("run", "", prefix=f"{tmp_path}/") as again:
        assert again == expected
    # laaos 2.1.1 loads it given the name, as it loads a handler's symbols
    out = run_original(original_laaos, "import laaos\nprint(repr(laaos.safe_load("
                       "'run.py', extra_mappings={'frozenset': frozenset})))\n", tmp_path)
    assert eval(out) == expected  # (our own test's output)


@pytest.mark.parametrize("make", [lambda k: (k,), lambda k: frozenset({k})], ids=["tuple", "frozenset"])
def test_keys_nested_too_deep_for_the_loader_are_refused(make):
    root, log = new_store(initial_data={"s": set()})
    key = 1
    for _ in range(150):
        key = make(key)
    refused(root, log, lambda: root.__setitem__(key, 1), ValueError, "nested more than 96 levels")
    refused(root, log, lambda: root["s"].add(key), ValueError, "nested more than 96 levels")
    refused(root, log, lambda: root.__setitem__("d", {key: 1}), ValueError, "nested more than 96 levels")
    key = 1
    for _ in range(40):
        key = make(key)
    root[key] = 1
    root["s"].add(key)
    assert load(log) == {"s": {key}, key: 1}


# ---- dicts and sets longer than a statement ------------------------------------------------


BIG = {f"k{i:07d}": i for i in range(500_000)}  # ~ 10 MB as one literal
ELEMENTS = {f"element number {i:07d}" for i in range(400_000)}  # ~ 10 MB


def test_a_dict_or_set_too_long_for_one_statement_is_written_in_chunks(tmp_path):
    with laaos.open_file_store("run", "", prefix=f"{tmp_path}/", provenance=False,
                               durability="buffered") as root:
        root["d"] = BIG
        root["s"] = ELEMENTS
    lines = (tmp_path / "run.py").read_text().splitlines()
    assert len(lines) < 30, "one statement per key"
    assert sum(line.startswith("store['d'].update({") for line in lines) >= 7
    assert sum(line.startswith("store['s'].update({") for line in lines) >= 7
    assert max(map(len, lines)) <= laaos._limits.MAX_WRITTEN_STATEMENT
    assert laaos.safe_load(tmp_path / "run.py") == {"d": BIG, "s": ELEMENTS}


def test_long_non_ascii_strings_after_short_ones_are_chunked_by_their_bytes(tmp_path):
    # the first items (the sample that sizes a chunk) are short; the rest are long and
    # take three bytes a character: chunks are still at most a few MiB, and not one a string
    items = ["a"] * 1000 + ["中" * 3000] * 1000  # ~ 9 MB
    with laaos.open_file_store("run", "", prefix=f"{tmp_path}/", provenance=False) as root:
        root["l"] = items
        root["d"] = dict(enumerate(items))
    lines = (tmp_path / "run.py").read_bytes().split(b"\n")
    assert max(map(len, lines)) <= 4 << 20
    assert len(lines) < 40
    assert laaos.safe_load(tmp_path / "run.py") == {"l": items, "d": dict(enumerate(items))}


@pytest.mark.slow
def test_chunked_values_load_in_the_original_and_compact_keeps_them_chunked(tmp_path, original_laaos):
    with laaos.open_file_store("run", "", prefix=f"{tmp_path}/", provenance=False,
                               durability="buffered") as root:
        root["d"] = BIG
        root["l"] = []
        root["l"].append({"s": ELEMENTS, "d": BIG})
    expected = {"d": BIG, "l": [{"s": ELEMENTS, "d": BIG}]}
    assert len((tmp_path / "run.py").read_text().splitlines()) < 50
    assert laaos.safe_load(tmp_path / "run.py") == expected
    assert laaos.load(tmp_path / "run.py", keys=["l"]).store == {"l": expected["l"]}
    laaos.compact(tmp_path / "run.py", tmp_path / "compact.py")
    assert len((tmp_path / "compact.py").read_text().splitlines()) < 50
    assert laaos.safe_load(tmp_path / "compact.py") == expected
    out = run_original(original_laaos, "import laaos\ns = laaos.safe_load('compact.py')\n"
                       "print(len(s['d']), s['d'] == s['l'][0]['d'], len(s['l'][0]['s']))\n", tmp_path)
    assert out.split() == ["500000", "True", "400000"]


def test_update_statements_load_whole_and_in_part():
    log = ("store = {'a': 1}\n"
           "store.update({'b': [2], 'c': {3}})\n"
           "store['b'].append(4)\n"
           "store['c'].update({5, 6})\n"
           "store['c'].update(set())\n")
    assert laaos.safe_load_str(log) == {"a": 1, "b": [2, 4], "c": {3, 5, 6}}
    assert laaos.safe_load_str(log, keys=["b"]) == {"b": [2, 4]}
    assert laaos.safe_load_str(log, keys=["a"]) == {"a": 1}
    for bad in ("store['b'].update([1])", "store.update({1})", "store['c'].update({1: 2})", "store.update()"):
        with pytest.raises(laaos.LogError, match=":2: .*update"):
            laaos.safe_load_str(f"store = {{'b': [], 'c': set()}}\n{bad}\n")


# ---- deep logs on the command line ------------------------------------------------------------


def nested_log(path, levels):
    """A log that builds a list nested ``levels`` deep, one append at a time (as a
    training loop may), each statement within the loader's limits."""
    lines = ["store = {}", "store['a']=[]"]
    acc = "store['a']"
    for _ in range(levels - 1):
        lines.append(acc + ".append([])")
        acc += "[0]"
    lines.append(acc + ".append(1)")
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_show_and_export_of_a_log_nested_deeper_than_the_recursion_limit(tmp_path, capsys):
    log = nested_log(tmp_path / "deep.py", 1050)
    assert main(["show", log]) == 0
    assert "a:  list[1] of list  last [[[[[[" in capsys.readouterr().out
    assert main(["export", log]) == 1
    err = capsys.readouterr().err
    assert "nests 1,051 levels deep" in err and "at most 400" in err and "Traceback" not in err
    shallow = nested_log(tmp_path / "ok.py", 399)  # 400 with the store itself
    for indent in ([], ["--indent", "1"]):
        assert main(["export", shallow, *indent]) == 0
        assert "[[[[[[[[1]]]]]]]]" in capsys.readouterr().out.replace("\n", "").replace(" ", "")
