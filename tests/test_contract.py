"""The writer's side of the contract, as a property: everything the store accepts loads
back equal (``safe_load`` with default settings) and the log reopens; everything it
refuses raises a clear error and changes neither the log nor the store.

``LAAOS_CONTRACT_EXAMPLES`` sets the number of examples (CI runs 2000).
"""

import math
import os
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import laaos

from helpers import same

pytestmark = pytest.mark.contract

EXAMPLES = int(os.environ.get("LAAOS_CONTRACT_EXAMPLES", "120"))

floats = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.0, -0.0, math.nan, math.inf, -math.inf])
ints = st.integers() | st.sampled_from([2**64, -(2**100)])
scalars = (
    st.none() | st.booleans() | ints | floats | st.text(max_size=20) | st.binary(max_size=10)
    | st.complex_numbers(allow_nan=True, allow_infinity=True)
    | st.builds(complex, st.sampled_from([0.0, -0.0]), floats)  # signed zero real parts
)
keys = st.recursive(st.none() | st.booleans() | st.integers() | floats | st.text(max_size=8),
                    lambda inner: st.tuples(inner, inner) | st.frozensets(inner, max_size=2), max_leaves=4)
values = st.recursive(
    scalars,
    lambda inner: (st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4)
                   | st.sets(keys, max_size=4) | st.tuples(inner, inner)),
    max_leaves=12,
)


def nested(depth):
    value = []
    for _ in range(depth):
        value = [value]
    return value


deep = st.integers(min_value=85, max_value=110).map(nested)
any_value = values | deep


def containers(value, kind):
    """Every container of ``kind`` in the store, the root included."""
    found = []

    def walk(v):
        if isinstance(v, kind):
            found.append(v)
        if isinstance(v, laaos.StoreDict):
            for x in list(v.values()):
                walk(x)
        elif isinstance(v, laaos.StoreList):
            for x in list(v):
                walk(x)

    walk(value)
    return found


REFUSALS = (ValueError, TypeError)  # UnsupportedTypeError, StatementTooLarge... are both


def operation(data, root):
    kind = data.draw(st.sampled_from(
        ["set", "set", "append", "insert", "extend", "add", "discard", "del", "clear", "alias"]))
    if kind in ("set", "del", "alias"):
        target = data.draw(st.sampled_from(containers(root, laaos.StoreDict) + containers(root, laaos.StoreList)))
    elif kind in ("add", "discard"):
        sets = containers(root, laaos.StoreSet) or [None]
        target = data.draw(st.sampled_from(sets))
        if target is None:
            return lambda: root.__setitem__("s", set())
    elif kind == "clear":
        target = data.draw(st.sampled_from(containers(root, (laaos.StoreDict, laaos.StoreList, laaos.StoreSet))))
        return target.clear
    else:
        lists = containers(root, laaos.StoreList) or [None]
        target = data.draw(st.sampled_from(lists))
        if target is None:
            return lambda: root.__setitem__("l", [])
    if kind == "set":
        value = data.draw(any_value)
        if isinstance(target, laaos.StoreList):
            if not len(target):
                return lambda: target.append(value)
            i = data.draw(st.integers(0, len(target) - 1))
            return lambda: target.__setitem__(i, value)
        key = data.draw(keys)
        return lambda: target.__setitem__(key, value)
    if kind == "alias":  # a store container as a value: copied
        source = data.draw(st.sampled_from(containers(root, (laaos.StoreDict, laaos.StoreList, laaos.StoreSet))))
        if isinstance(target, laaos.StoreList):
            return lambda: target.append(source)
        return lambda: target.__setitem__(data.draw(keys), source)
    if kind == "del":
        if not len(target):
            return lambda: None
        if isinstance(target, laaos.StoreList):
            i = data.draw(st.integers(0, len(target) - 1))
            return lambda: target.__delitem__(i)
        key = data.draw(st.sampled_from(list(target)))
        return lambda: target.__delitem__(key)
    if kind == "append":
        value = data.draw(any_value)
        return lambda: target.append(value)
    if kind == "insert":
        value = data.draw(any_value)
        i = data.draw(st.integers(-3, len(target) + 3))
        return lambda: target.insert(i, value)
    if kind == "extend":
        value = data.draw(st.lists(any_value, max_size=3))
        return lambda: target.extend(value)
    element = data.draw(keys)
    if kind == "add":
        return lambda: target.add(element)
    present = list(target)
    if present and data.draw(st.booleans()):
        element = data.draw(st.sampled_from(present))
    return lambda: target.discard(element)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_what_the_store_accepts_loads_back_and_what_it_refuses_changes_nothing(backend, data):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "run.py")
        initial = data.draw(st.dictionaries(st.text(max_size=5), values, max_size=3))
        try:
            root = laaos.open_file_store("run", "", prefix=f"{tmp}/", initial_data=initial)
        except REFUSALS as e:
            assert str(e)
            return
        try:
            for _ in range(data.draw(st.integers(1, 12))):
                op = operation(data, root)
                before_log = open(path, "rb").read()
                before = laaos.to_plain(root)
                try:
                    op()
                except REFUSALS as e:
                    assert str(e), "a refusal says why"
                    assert open(path, "rb").read() == before_log, "a refused operation wrote"
                    assert same(laaos.to_plain(root), before), "a refused operation changed memory"
            memory = laaos.to_plain(root)
        finally:
            root.close()
        assert same(laaos.safe_load(path), memory)
        again = laaos.open_file_store("run", "", prefix=f"{tmp}/")
        try:
            assert same(laaos.to_plain(again), memory)
        finally:
            again.close()


@pytest.mark.parametrize("real", [0.0, -0.0])
@pytest.mark.parametrize("imag", [1.0, -1.0, 0.0, -0.0, -1e300, math.inf, -math.inf])
def test_complex_numbers_keep_the_sign_of_each_part(backend, tmp_path, real, imag):
    # repr(complex(0.0, -1.0)) is '-1j', which is -(1j): its real part loads as -0.0
    value = complex(real, imag)
    root = laaos.open_file_store("c", "", prefix=f"{tmp_path}/", provenance=False)
    root["z"] = value
    root.close()
    loaded = laaos.safe_load(tmp_path / "c.py")["z"]
    assert [math.copysign(1, p) for p in (loaded.real, loaded.imag)] == [
        math.copysign(1, p) for p in (value.real, value.imag)
    ] and same(loaded, value)


@pytest.mark.slow
def test_a_73_mb_list_is_logged_in_chunks_and_loads_back(backend, tmp_path):
    value = [i + 0.1234567 for i in range(5_000_000)]  # ~ 75 MB of source
    with laaos.open_file_store("run", "", prefix=f"{tmp_path}/", durability="buffered") as root:
        root["x"] = value
        root["y"] = []
        root["y"].append(value[:1_000_000])
    text = (tmp_path / "run.py").read_bytes()
    assert len(text) > 70e6
    assert max(map(len, text.split(b"\n"))) <= laaos._limits.MAX_WRITTEN_STATEMENT
    loaded = laaos.safe_load(tmp_path / "run.py")
    assert loaded["x"] == value and loaded["y"] == [value[:1_000_000]]


def test_a_string_longer_than_a_statement_is_refused(backend, tmp_path):
    with laaos.open_file_store("run", "", prefix=f"{tmp_path}/") as root:
        with pytest.raises(ValueError, match="cannot log a statement of .* bytes"):
            root["s"] = "x" * (9 << 20)
        with pytest.raises(ValueError, match="cannot log a statement"):
            root["l"] = ["x" * (9 << 20)]
        assert "s" not in root and "l" not in root
    assert laaos.safe_load(tmp_path / "run.py") == {}


def test_nan_keys_and_elements_are_refused(backend, tmp_path):
    with laaos.open_file_store("run", "", prefix=f"{tmp_path}/", initial_data={"s": set()}) as root:
        with pytest.raises(ValueError, match="NaN"):
            root["s"].add(math.nan)
        with pytest.raises(ValueError, match="NaN"):
            root["d"] = {math.nan: 1}
        with pytest.raises(ValueError, match="NaN"):
            root[(1, math.nan)] = 1
        root["s"].discard(math.nan)  # not there: nothing to do
    assert laaos.safe_load(tmp_path / "run.py") == {"s": set()}


def test_too_deep_values_are_refused_naming_the_limit(backend, tmp_path):
    with laaos.open_file_store("run", "", prefix=f"{tmp_path}/") as root:
        root["ok"] = nested(90)
        with pytest.raises(ValueError, match="nested more than 96 levels"):
            root["deep"] = nested(101)
    assert laaos.safe_load(tmp_path / "run.py") == {"ok": nested(90)}


def test_ints_over_4300_digits_are_refused(backend, tmp_path):
    # (outside the property: hypothesis cannot print such ints when it reports)
    with laaos.open_file_store("run", "", prefix=f"{tmp_path}/") as root:
        root["ok"] = 10**4299
        with pytest.raises(ValueError, match="4300"):
            root["big"] = [-(10**4300)]
    assert laaos.safe_load(tmp_path / "run.py") == {"ok": 10**4299}


@pytest.mark.slow
def test_compact_writes_logs_that_load_wherever_their_input_loaded(backend, tmp_path):
    """120 nested `d['n'] = {}` must not become one 120-deep literal, nor 4M appends one
    77 MB line: too deep or too long parts become statements of their own."""
    src = tmp_path / "src.py"
    with laaos.open_file_store("src", "", prefix=f"{tmp_path}/", durability="buffered") as root:
        d = root
        for _ in range(120):
            d["n"] = {}
            d = d["n"]
        d["leaf"] = [1, {2}]
        root["xs"] = []
        xs = root["xs"]
        for i in range(4_000_000):
            xs.append(i + 0.12345)
    before = laaos.safe_load(src)
    laaos.compact(src, tmp_path / "out.py")
    text = (tmp_path / "out.py").read_bytes()
    assert max(map(len, text.split(b"\n"))) <= laaos._limits.MAX_WRITTEN_STATEMENT
    assert laaos.safe_load(tmp_path / "out.py") == before
    laaos.open_file_store("out", "", prefix=f"{tmp_path}/").close()  # and it reopens


def test_compact_splits_what_is_too_deep(backend, tmp_path):
    src = tmp_path / "src.py"
    with laaos.open_file_store("src", "", prefix=f"{tmp_path}/") as root:
        d = root
        for _ in range(120):
            d["n"] = {}
            d = d["n"]
        d["leaf"] = [nested(90), {2}]
    before = laaos.safe_load(src)
    laaos.compact(src, tmp_path / "out.py")
    assert laaos.safe_load(tmp_path / "out.py") == before
