"""The store's lists, dicts and sets against the builtins they replace.

A differential property test applies random methods and operators of ``list``, ``dict``
and ``set`` to store containers and to plain twins: after every step the results, the
exception types and the contents agree, readers return plain data that shares nothing
with the store, a proxy held across the steps stays valid while its container is in the
store, and a failed mutation changes nothing.  Each run's log loads to the twin in laaos
and, all runs at once in one child process, in laaos 2.1.1.

``LAAOS_CONTRACT_EXAMPLES`` sizes the property test (as in test_contract.py).
"""

import ast
import copy
import operator
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import laaos
import laaos._statements
from helpers import run_original
from helpers import new_store, same

pytestmark = pytest.mark.contract

EXAMPLES = int(os.environ.get("LAAOS_CONTRACT_EXAMPLES", "100"))
STEPS = 25

SELF, OTHER = "<self>", "<other>"  # stand for the target itself and its sibling container

scalars = st.integers(-3, 6) | st.sampled_from(["a", "b", "c", None, True, 0.5, 1.0])
ints = st.integers(-3, 6)
small_lists = st.lists(ints, max_size=3)
list_items = st.lists(scalars, max_size=4)
keys = st.sampled_from(["a", "b", "c", "d", 1, 2])
dict_values = scalars | small_lists
elements = st.integers(-2, 6) | st.sampled_from(["a", "b", (1, 2)])
element_sets = st.sets(elements, max_size=4)
indexes = st.integers(-6, 6)
slices = st.builds(
    slice, st.none() | indexes, st.none() | indexes, st.none() | st.sampled_from([1, 2, -1, -2])
)


def resolve(arg, target, other):
    return target if arg == SELF else other if arg == OTHER else copy.deepcopy(arg)


# Each op: (name, function of (container, sibling), kind) where kind says how to compare
# the results: "plain" (a reader: plain data, compared), "item" (compared as plain data,
# may be a store container, as d[k] is), "self" (an in-place operator: returns the
# container), "any" (set.pop: an arbitrary element).


def list_ops(values, draw_flat):
    """The list operations; values draws an item, draw_flat says whether operations
    that repeat the list's own items (its items stay plain scalars) may be drawn."""
    operand = st.lists(values, max_size=3)
    some = operand | st.just(OTHER) | st.just(SELF) if draw_flat else operand
    ops = [
        st.builds(lambda: ("copy", lambda c, o: c.copy(), "plain")),
        st.builds(lambda s: ("getslice", lambda c, o: c[s], "plain"), slices),
        st.builds(lambda x: ("add", lambda c, o: c + resolve(x, c, o), "plain"), some | st.just((1,))),
        st.builds(lambda x: ("radd", lambda c, o: resolve(x, c, o) + c, "plain"), operand),
        st.builds(lambda n: ("mul", lambda c, o: c * n, "plain"), st.integers(-1, 3) | st.just("x")),
        st.builds(lambda n: ("rmul", lambda c, o: n * c, "plain"), st.integers(-1, 3)),
        st.builds(
            lambda op, x: ("compare", lambda c, o: op(c, resolve(x, c, o)), "plain"),
            st.sampled_from([operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne]),
            some | st.just((1,)),
        ),
        st.builds(lambda x: ("index", lambda c, o: c.index(x), "plain"), values),
        st.builds(lambda x, a, b: ("index3", lambda c, o: c.index(x, a, b), "plain"),
                  values, indexes, indexes),
        st.builds(lambda x: ("count", lambda c, o: c.count(x), "plain"), values),
        st.builds(lambda x: ("contains", lambda c, o: x in c, "plain"), values),
        st.builds(lambda: ("reversed", lambda c, o: list(reversed(c)), "item")),
        st.builds(lambda i: ("getitem", lambda c, o: c[i], "item"), indexes),
        st.builds(lambda x: ("append", lambda c, o: c.append(x), "plain"), values),
        st.builds(lambda x: ("extend", lambda c, o: c.extend(resolve(x, c, o)), "plain"), some),
        st.builds(lambda i, x: ("insert", lambda c, o: c.insert(i, x), "plain"), indexes, values),
        st.builds(lambda: ("pop", lambda c, o: c.pop(), "plain")),
        st.builds(lambda i: ("pop_i", lambda c, o: c.pop(i), "plain"), indexes),
        st.builds(lambda x: ("remove", lambda c, o: c.remove(x), "plain"), values),
        st.builds(lambda r: ("sort", lambda c, o: c.sort(reverse=r), "plain"), st.booleans()),
        st.builds(lambda: ("sort_key", lambda c, o: c.sort(key=repr), "plain")),
        st.builds(lambda: ("reverse", lambda c, o: c.reverse(), "plain")),
        st.builds(lambda: ("clear", lambda c, o: c.clear(), "plain")),
        st.builds(lambda x: ("iadd", lambda c, o: operator.iadd(c, resolve(x, c, o)), "self"), some),
        st.builds(lambda i, x: ("setitem", lambda c, o: c.__setitem__(i, x), "plain"), indexes, values),
        st.builds(lambda i: ("delitem", lambda c, o: c.__delitem__(i), "plain"), indexes),
        st.builds(
            lambda s, x: ("setslice", lambda c, o: c.__setitem__(s, resolve(x, c, o)), "plain"),
            slices, some | st.just(5),
        ),
        st.builds(lambda s: ("delslice", lambda c, o: c.__delitem__(s), "plain"), slices),
    ]
    if draw_flat:
        ops.append(st.builds(lambda n: ("imul", lambda c, o: operator.imul(c, n), "self"),
                             st.integers(-1, 3) | st.just("x")))
    else:  # the list's own items (held containers, on the store) put back into a slice of it
        ops += [st.builds(lambda s, idx: ("setslice_own", lambda c, o: set_own_slice(c, s, idx), "plain"),
                          slices, st.lists(st.integers(-2, 1), min_size=1, max_size=2))] * 2
    return st.one_of(ops)


def set_own_slice(c, index, positions):
    """``c[index] = [c[i] for i in positions]``; on a builtin (the twin) as laaos does it:
    an item that the slice takes out goes back in as itself (once), any other as a copy
    (one container in two places would log as two and change as one)."""
    values = [c[i] for i in positions]
    if isinstance(c, list):
        taken = [id(v) for v in c[index]]
        for j, v in enumerate(values):
            if id(v) in taken:
                taken.remove(id(v))
            else:
                values[j] = copy.deepcopy(v)
    c[index] = values


def dict_ops():
    operand = st.dictionaries(keys, dict_values, max_size=3)
    some = operand | st.just(OTHER) | st.just(SELF)
    pairs = st.lists(st.tuples(keys, dict_values), max_size=3)
    ops = [
        st.builds(lambda: ("copy", lambda c, o: c.copy(), "plain")),
        st.builds(lambda x: ("or", lambda c, o: c | resolve(x, c, o), "plain"), some | st.just([(1, 2)])),
        st.builds(lambda x: ("ror", lambda c, o: resolve(x, c, o) | c, "plain"), operand),
        st.builds(lambda x: ("eq", lambda c, o: c == resolve(x, c, o), "plain"), some),
        st.builds(lambda x: ("lt", lambda c, o: c < resolve(x, c, o), "plain"), some),
        st.builds(lambda k: ("get", lambda c, o: c.get(k), "item"), keys),
        st.builds(lambda k: ("getitem", lambda c, o: c[k], "item"), keys),
        st.builds(lambda k: ("contains", lambda c, o: k in c, "plain"), keys),
        st.builds(lambda: ("keys", lambda c, o: list(c.keys()), "plain")),
        st.builds(lambda: ("values", lambda c, o: list(c.values()), "item")),
        st.builds(lambda: ("items", lambda c, o: list(c.items()), "item")),
        st.builds(lambda: ("reversed", lambda c, o: list(reversed(c)), "plain")),
        st.builds(lambda ks: ("fromkeys", lambda c, o: c.fromkeys(ks, 0), "plain"), st.lists(keys)),
        st.builds(lambda k, v: ("setitem", lambda c, o: c.__setitem__(k, v), "plain"), keys, dict_values),
        st.builds(lambda k: ("delitem", lambda c, o: c.__delitem__(k), "plain"), keys),
        st.builds(lambda x: ("update", lambda c, o: c.update(resolve(x, c, o)), "plain"), some),
        st.builds(lambda x: ("update_pairs", lambda c, o: c.update(x), "plain"),
                  pairs | st.just([(1, 2), 3]) | st.just([(1, 2, 3)])),
        st.builds(lambda kw: ("update_kw", lambda c, o: c.update(**kw), "plain"),
                  st.dictionaries(st.sampled_from("abcd"), dict_values, max_size=3)),
        st.builds(lambda x: ("ior", lambda c, o: operator.ior(c, resolve(x, c, o)), "self"), some | pairs),
        st.builds(lambda k: ("pop", lambda c, o: c.pop(k), "plain"), keys),
        st.builds(lambda k: ("pop_default", lambda c, o: c.pop(k, "gone"), "plain"), keys),
        st.builds(lambda: ("popitem", lambda c, o: c.popitem(), "plain")),
        st.builds(lambda k, v: ("setdefault", lambda c, o: c.setdefault(k, v), "item"), keys, dict_values),
        st.builds(lambda: ("clear", lambda c, o: c.clear(), "plain")),
    ]
    return st.one_of(ops)


def set_ops():
    operand = element_sets | element_sets.map(frozenset) | st.just(OTHER) | st.just(SELF)
    iterable = operand | st.lists(elements, max_size=3)
    named = ["union", "intersection", "difference", "symmetric_difference", "issubset",
             "issuperset", "isdisjoint"]
    updates = ["update", "difference_update", "intersection_update", "symmetric_difference_update"]
    ops = [
        st.builds(lambda: ("copy", lambda c, o: c.copy(), "plain")),
        st.builds(lambda m, x: (m, lambda c, o: getattr(c, m)(resolve(x, c, o)), "plain"),
                  st.sampled_from(named), iterable),
        st.builds(
            lambda op, x: ("operator", lambda c, o: op(c, resolve(x, c, o)), "plain"),
            st.sampled_from([operator.or_, operator.and_, operator.sub, operator.xor, operator.lt,
                             operator.le, operator.gt, operator.ge, operator.eq]),
            iterable,
        ),
        st.builds(
            lambda op, x: ("roperator", lambda c, o: op(resolve(x, c, o), c), "plain"),
            st.sampled_from([operator.or_, operator.and_, operator.sub, operator.xor, operator.le]),
            element_sets | element_sets.map(frozenset),
        ),
        st.builds(lambda x: ("contains", lambda c, o: x in c, "plain"), elements | st.just([1])),
        st.builds(lambda x: ("add", lambda c, o: c.add(x), "plain"), elements | st.just([1])),
        st.builds(lambda x: ("discard", lambda c, o: c.discard(x), "plain"), elements),
        st.builds(lambda x: ("remove", lambda c, o: c.remove(x), "plain"), elements),
        st.builds(lambda: ("pop", lambda c, o: c.pop(), "any")),
        st.builds(lambda: ("clear", lambda c, o: c.clear(), "plain")),
        st.builds(lambda m, x: (m, lambda c, o: getattr(c, m)(resolve(x, c, o)), "plain"),
                  st.sampled_from(updates), iterable | st.just(5) | st.just([[1]])),
        st.builds(lambda x, y: ("update2", lambda c, o: c.update(x, resolve(y, c, o)), "plain"),
                  element_sets, iterable),
        st.builds(
            lambda op, x: ("inplace", lambda c, o: op(c, resolve(x, c, o)), "self"),
            st.sampled_from([operator.ior, operator.iand, operator.isub, operator.ixor]),
            iterable,
        ),
    ]
    return st.one_of(ops)


OPS = {
    "l": list_ops(scalars, draw_flat=True),
    "n": list_ops(small_lists, draw_flat=False),
    "n0": list_ops(ints, draw_flat=False),
    "d": dict_ops(),
    "s": set_ops(),
}


def store_plains(root):
    """The ids of the plain containers inside the store's proxies."""
    found = set()

    def walk(v):
        if isinstance(v, laaos.StoreAccessible):
            found.add(id(v._plain))
            for x in list(v._plain.values() if isinstance(v, laaos.StoreDict) else v._plain):
                walk(x)

    walk(root)
    return found


def assert_detached(value, plains):
    """``value`` holds no proxy and no container that the store holds."""
    if isinstance(value, laaos.StoreAccessible):
        raise AssertionError(f"a reader returned a store container: {value!r}")
    if isinstance(value, (list, dict, set, tuple)):
        assert id(value) not in plains, "a reader returned a container the store holds"
        items = list(value.items()) if isinstance(value, dict) else list(value)
        for item in items:
            assert_detached(item, plains)


def deep_plain(value):
    """``value`` with every store container in it replaced by its plain copy."""
    if isinstance(value, laaos.StoreAccessible):
        return laaos.to_plain(value)
    if isinstance(value, (list, tuple)):
        return type(value)(deep_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: deep_plain(v) for k, v in value.items()}
    return value


def commit(twin, work):
    """Make the twin container hold what ``work`` (its shallow copy) holds, in place."""
    if isinstance(twin, list):
        twin[:] = work
    else:
        twin.clear()
        twin.update(work)


INITIAL = {
    "l": [3, 1, "a", 2],
    "l2": [1, 2],
    "n": [[2, 1], [0], [5]],
    "d": {"a": 1, "b": [1, 2]},
    "d2": {"b": 5, 1: 0},
    "s": {1, 2, "a"},
    "s2": {2, 3},
}
SIBLING = {"l": "l2", "n": "l2", "d": "d2", "s": "s2"}


def step(data, root, twin, held, twin_held):
    name = data.draw(st.sampled_from(["l", "l", "n", "n0", "d", "d", "s", "s"]))
    if name == "n0":  # a list held across steps: the item of `n` it was when fetched
        if not any(x is twin_held[0] for x in twin["n"]):
            assert held[0]._accessor is None, "a container removed from the store is still linked"
            if not twin["n"]:
                return
            held[0], twin_held[0] = root["n"][0], twin["n"][0]
        assert held[0]._accessor is not None, "a held container was unlinked while in the store"
        target, twin_target, sibling = held[0], twin_held[0], "l2"
    else:
        target, twin_target, sibling = root[name], twin[name], SIBLING[name]
    label, fn, kind = data.draw(OPS[name], label=f"op on {name}")
    before = laaos.to_plain(root)
    try:
        result, error = fn(target, root[sibling]), None
    except Exception as e:  # noqa: BLE001 - compared with the builtin's below
        result, error = None, e
    work = copy.copy(twin_target)
    try:
        expected, twin_error = fn(work, twin[sibling]), None
    except Exception as e:  # noqa: BLE001
        expected, twin_error = None, e
    if twin_error is None:
        commit(twin_target, work)
    assert (error is None) == (twin_error is None), f"{label}: store {error!r}, builtin {twin_error!r}"
    if error is not None:
        assert isinstance(error, type(twin_error)), f"{label}: store {error!r}, builtin {twin_error!r}"
        assert same(laaos.to_plain(root), before), f"{label} failed and changed the store"
    elif kind == "self":
        assert result is target
    elif kind == "any":
        assert result in twin_target or result == expected
        if result != expected:  # set.pop: the store popped another element
            twin_target.add(expected)
            twin_target.remove(result)
    else:
        if kind == "plain":
            assert_detached(result, store_plains(root))
        assert same(deep_plain(result), expected), f"{label}: store {result!r}, builtin {expected!r}"
    assert same(laaos.to_plain(root), twin), f"after {label}: {laaos.to_plain(root)!r} != {twin!r}"
    assert_unshared(root, label)


def assert_unshared(root, label):
    """No stored container is in the store at two places."""
    seen = set()

    def walk(plain):
        assert id(plain) not in seen, f"after {label}: one container at two places in the store"
        seen.add(id(plain))
        for x in plain.values() if type(plain) is dict else plain if type(plain) is list else ():
            if type(x) in (list, dict, set):
                walk(x)

    walk(root._plain)


def test_containers_behave_as_the_builtins_and_their_logs_load_in_laaos_and_2_1_1(
    tmp_path, original_laaos
):
    logs = []

    @settings(max_examples=EXAMPLES, deadline=None)
    @given(st.data())
    def run(data):
        root, log = new_store(initial_data=INITIAL)
        twin = copy.deepcopy(INITIAL)
        held, twin_held = [root["n"][0]], [twin["n"][0]]
        for _ in range(data.draw(st.integers(1, STEPS), label="steps")):
            step(data, root, twin, held, twin_held)
        root.update({"u": 1, "v": [2]})  # the root's own `store.update({...})`
        twin.update({"u": 1, "v": [2]})
        assert same(laaos.safe_load_str(log.getvalue()), twin)
        logs.append((log.getvalue(), twin))

    run()
    for i, (text, _) in enumerate(logs):
        (tmp_path / f"run{i}.py").write_text(text, encoding="utf-8")
    out = run_original(
        original_laaos,
        f"import laaos\nprint(repr([laaos.safe_load('run%d.py' % i) for i in range({len(logs)})]))\n",
        tmp_path,
    )
    loaded = ast.literal_eval(out)
    assert len(loaded) == len(logs) >= min(EXAMPLES, 10)
    for (text, twin), theirs in zip(logs, loaded):
        assert same(theirs, twin), f"laaos 2.1.1 loads\n{text}\nto {theirs!r}, not {twin!r}"


def test_the_builtins_messages():
    root, log = new_store(initial_data={"l": [1, 2], "d": {}, "s": set()})
    with pytest.raises(ValueError, match="^3 is not in list$"):
        root["l"].index(3)
    with pytest.raises(ValueError, match=r"^list.remove\(x\): x not in list$"):
        root["l"].remove(3)
    with pytest.raises(KeyError, match=r"popitem\(\): dictionary is empty"):
        root["d"].popitem()
    with pytest.raises(KeyError, match="pop from an empty set"):
        root["s"].pop()
    root["l"].clear()
    with pytest.raises(IndexError, match="^pop from empty list$"):
        root["l"].pop()


def test_popitem_pops_the_last_item_and_pop_returns_plain_data():
    root, log = new_store(initial_data={"d": {"a": 1, "b": [1], "c": 3}})
    d = root["d"]
    assert d.popitem() == ("c", 3)
    key, value = d.popitem()
    assert (key, value) == ("b", [1]) and type(value) is list
    value.append(2)  # a plain list of its own
    assert laaos.safe_load_str(log.getvalue()) == {"d": {"a": 1}} == laaos.to_plain(root)


def test_mutators_are_one_statement_each_and_held_containers_keep_working():
    root, log = new_store(initial_data={"l": [[3], [1], [2]], "d": {"a": 1}, "s": {1, 2, 3}})
    inner = root["l"][0]
    start = len(log.getvalue().splitlines())
    root["l"].sort()
    root["l"].reverse()
    inner.append(4)  # still the store's [3], now at index 0
    root["l"][1:2] = [[9], [8]]
    del root["l"][1::2]
    inner.append(5)
    root["d"].update({"b": 2, "c": [3]})
    root["d"] |= {"e": 4}
    root["s"] |= {4, 5}
    root["s"] -= {1, 2}
    root["s"] &= {3, 4, 9}
    root["s"] ^= {3, 7}
    assert root["l"].pop(0) == [3, 4, 5]
    lines = log.getvalue().splitlines()[start:]
    assert lines == [
        "store['l']=[[1], [2], [3]]",
        "store['l']=[[3], [2], [1]]",
        "store['l'][0].append(4)",
        "store['l']=[[3, 4], [9], [8], [1]]",
        "store['l']=[[3, 4], [8]]",
        "store['l'][0].append(5)",
        "store['d'].update({'b': 2, 'c': [3]})",
        "store['d']['e']=4",
        "store['s'].update({4, 5})",
        "store['s'].difference_update({1, 2})",
        "store['s'].discard(5)",
        "store['s'].symmetric_difference_update({3, 7})",
        "del store['l'][0]",
    ]
    with pytest.raises(laaos.UnlinkedContainerError):
        inner.append(6)  # popped: no longer in the store
    assert laaos.safe_load_str(log.getvalue()) == laaos.to_plain(root) == {
        "l": [[8]], "d": {"a": 1, "b": 2, "c": [3], "e": 4}, "s": {4, 7}}


def test_a_list_assigned_to_its_own_slices_keeps_the_containers_user_code_holds():
    root, log = new_store(initial_data={"l": [[1], [2], 3]})
    first = root["l"][0]
    root["l"][:] = root["l"]
    root["l"][::-1] = root["l"]
    first.append(4)  # still the store's [1], now last
    twin = [[1], [2], 3]
    twin[:] = twin
    twin[::-1] = twin
    twin[2].append(4)
    assert laaos.safe_load_str(log.getvalue()) == laaos.to_plain(root) == {"l": twin} == {"l": [3, [2], [1, 4]]}


@pytest.mark.parametrize("assign, expected", [
    ("l[1:] = l", [[1, "X"], [1], [2, "Y"]]),
    ("l[0:0] = [l[1]]", [[2, "X"], [1], [2, "Y"]]),
    ("l[:1] = l", [[1, "X"], [2], [2, "Y"]]),
    ("l[2:2] = l[0:1]", [[1, "X"], [2], [1, "Y"]]),
    ("l[1:2] = [l[0], l[0]]", [[1, "X"], [1], [1, "Y"]]),
])
def test_a_slice_assignment_copies_a_container_that_stays_where_it_is(assign, expected):
    """A stored container assigned into its own list where it also stays (not taken out
    by the slice) goes in as a copy, as a value from elsewhere does: one container in two
    places would log as two and change as one."""
    root, log = new_store(initial_data={"l": [[1], [2]]})
    l = root["l"]
    exec(assign)
    l[0].append("X")
    l[-1].append("Y")
    assert laaos.to_plain(root) == laaos.safe_load_str(log.getvalue()) == {"l": expected}


class _Moves:
    """Moves the store's list ``root["n"][0]`` (an insert before it) the first time a
    mutation's own code runs it: as ``__index__``, as a value's ``tolist()``, as a
    generator's next item."""

    def __init__(self, root, value=0):
        self.root, self.value, self.done = root, value, False

    def move(self):
        if not self.done:
            self.done = True
            self.root["n"].insert(0, ["moved in"])

    def __index__(self):
        self.move()
        return self.value

    def tolist(self):
        self.move()
        return self.value

    def items(self, values):
        for i, v in enumerate(values):
            if i == 1:
                self.move()
            yield v


MOVING_MUTATIONS = {
    "extend from a generator": lambda h, m: h.extend(m.items([10, 11])),
    "extend of floats from a generator": lambda h, m: h.extend(m.items([1.5, 2.5])),
    "item set at an __index__": lambda h, m: h.__setitem__(m, 99),
    "insert at an __index__": lambda h, m: h.insert(m, 98),
    "del at an __index__": lambda h, m: h.__delitem__(m),
    "append of a value made by tolist()": lambda h, m: h.append(_Moves(m.root, [7])),
    "dict item set of a value made by tolist()": lambda h, m: h[2].__setitem__("k", _Moves(m.root, [7])),
    "dict update of a value made by tolist()": lambda h, m: h[2].update({"a": _Moves(m.root, 5), "b": 6}),
}


@pytest.mark.parametrize("kind", sorted(MOVING_MUTATIONS))
def test_a_container_that_a_mutations_own_code_moves_is_logged_where_it_is_then(kind):
    """The code a mutation runs to make its index or value (``__index__``, ``tolist()``, a
    generator) inserts before the container in its list: the statement names the
    container at its new place, so the log loads to memory."""
    root, log = new_store(initial_data={"n": [[3, 1, {"a": 1}]]})
    held = root["n"][0]
    moves = _Moves(root)
    if kind.startswith("dict"):
        held = held[2]
        MOVING_MUTATIONS[kind](root["n"][0], moves)
    else:
        MOVING_MUTATIONS[kind](held, moves)
    assert laaos.to_plain(root)["n"][0] == ["moved in"]  # (it moved)
    assert laaos.to_plain(root) == laaos.safe_load_str(log.getvalue())


def test_a_container_that_a_mutations_own_code_unlinks_refuses_the_mutation():
    root, log = new_store(initial_data={"n": [[3, 1]]})
    held = root["n"][0]

    def items():
        yield 10
        del root["n"][0]
        yield 11

    with pytest.raises(laaos.UnlinkedContainerError):
        held.extend(items())
    assert laaos.to_plain(root) == laaos.safe_load_str(log.getvalue()) == {"n": []}


def test_a_sort_key_that_changes_the_list_raises_as_list_sort_and_the_log_keeps_up():
    root, log = new_store(initial_data={"l": [3, 1, 2]})
    seq = root["l"]

    def key(x):
        if x == 1:
            seq.append(9)
        return x

    with pytest.raises(ValueError, match="list modified during sort"):
        seq.sort(key=key)
    twin = [3, 1, 2]
    with pytest.raises(ValueError, match="list modified during sort"):  # (the builtin's error)
        twin.sort(key=lambda x: (twin.append(9), x)[1])
    assert laaos.safe_load_str(log.getvalue()) == laaos.to_plain(root) == {"l": [3, 1, 2, 9]}


def test_an_unlinked_container_refuses_a_mutator_whatever_its_arguments():
    root, log = new_store(initial_data={"d": {"a": 1}, "l": [], "m": [1], "s": {1}})
    d, empty, m, s = root["d"], root["l"], root["m"], root["s"]
    del root["d"], root["l"], root["m"], root["s"]
    before = log.getvalue()
    for mutate in (
        lambda: d.setdefault("a"),  # (a key it has)
        lambda: d.__delitem__("missing"),
        lambda: empty.__setitem__(0, 1),  # (an index it has not)
        lambda: empty.__delitem__(0),
        lambda: m.__setitem__(5, 1),
        lambda: d.pop("missing", 0),
        lambda: d.pop("missing"),
        lambda: s.remove(99),
        lambda: s.remove(1),
        lambda: m.remove(99),
    ):
        with pytest.raises(laaos.UnlinkedContainerError):
            mutate()
    assert log.getvalue() == before


def test_an_unlinked_container_refuses_mutators_even_where_a_subclass_lets_it_through():
    # The engine makes the check itself: a proxy subclass whose ``_linked_accessor``
    # returns instead of raising must not get ``None.append(1.5)`` into the log.
    root, log = new_store(initial_data={"d": {"a": 1}, "l": [1.0, 2.0], "s": {1}})
    d, seq, s = root["d"], root["l"], root["s"]
    del root["d"], root["l"], root["s"]
    for proxy in (d, seq, s):
        proxy.__class__ = type("Quiet" + type(proxy).__name__, (type(proxy),), {
            "__slots__": (), "_linked_accessor": lambda self: "store['elsewhere']"})
    before = log.getvalue()
    for mutate in (
        lambda: d.__setitem__("a", 2.5),
        lambda: d.__setitem__("b", [1]),
        lambda: d.__delitem__("a"),
        lambda: d.update(a=3),
        lambda: seq.append(1.5),
        lambda: seq.append([1]),
        lambda: seq.extend([2.0]),
        lambda: seq.extend([[2]]),
        lambda: seq.insert(0, 3),
        lambda: seq.__setitem__(0, 4),
        lambda: seq.__delitem__(0),
        lambda: seq.sort(),
        lambda: seq.clear(),
        lambda: s.add(2),
        lambda: s.discard(1),
        lambda: s.update({5}),
    ):
        with pytest.raises(laaos.UnlinkedContainerError):
            mutate()
    assert log.getvalue() == before
    assert laaos.safe_load_str(before) == laaos.to_plain(root) == {}
    assert (laaos.to_plain(d), laaos.to_plain(seq), laaos.to_plain(s)) == ({"a": 1}, [1.0, 2.0], {1})


@pytest.mark.parametrize("name", ["_store", "_accessor", "_plain"])
@pytest.mark.parametrize("base", [laaos.StoreList, laaos.StoreDict, laaos.StoreSet])
def test_a_subclass_cannot_redefine_a_slot_that_the_store_reads_itself(name, base):
    # (the extension reads the slot, the pure twin the attribute: a property there would
    # make the two log different things)
    with pytest.raises(TypeError, match=f"Quiet redefines {name}: a store container's slots"):
        type("Quiet", (base,), {"__slots__": (), name: property(lambda self: "store['x']")})
    mixin = type("Mixin", (), {"__slots__": (), name: property(lambda self: "store['x']")})
    with pytest.raises(TypeError, match=f"Quiet redefines {name}"):  # (before the base in the MRO)
        type("Quiet", (mixin, base), {"__slots__": ()})
    type("Fine", (base,), {"__slots__": (), "extra": property(lambda self: 1)})


def test_the_update_statements_load_whole_partly_and_after_cached_statements():
    root, log = new_store()
    root["d"] = {"x": [0]}
    root["d"]["x"].append(1)
    root["d"]["x"].append(2)  # the loader caches `store['d']['x']` as a target here
    root["d"].update(x=[], y={"z": 1})
    root["d"]["x"].append(3)  # ...which the update replaced
    root.update(a=[1], b={2})
    root["b"] |= {3, 4}
    root["b"] ^= {2, 5}
    root["b"] -= {3, 5}
    text = log.getvalue()
    assert "store.update({'a': [1], 'b': {2}})" in text
    whole = laaos.to_plain(root)
    assert whole == {"d": {"x": [3], "y": {"z": 1}}, "a": [1], "b": {4}}
    assert laaos.safe_load_str(text) == whole
    assert laaos.safe_load_str(text, keys=["a"]) == {"a": [1]}
    assert laaos.safe_load_str(text, keys=["d", "b"]) == {"d": whole["d"], "b": {4}}


@pytest.mark.parametrize(
    "statement, error",
    [
        ("store['l'].update({1: 2})", laaos.CorruptLogError),
        ("store['d'].update([1])", laaos.LogSyntaxError),
        ("store['s'].update(1)", laaos.LogSyntaxError),
        ("store['s'].update([[1]])", laaos.LogSyntaxError),
        ("store['d'].difference_update({1})", laaos.CorruptLogError),
        ("store['l'].symmetric_difference_update({1})", laaos.CorruptLogError),
        ("store['s'].intersection_update({1})", laaos.UnsafeLogError),
    ],
)
def test_update_statements_that_do_not_apply_are_refused_at_their_line(statement, error):
    text = "store = {'l': [], 'd': {}, 's': set()}\n" + statement + "\n"
    with pytest.raises(error, match="^<string>:2: "):
        laaos.safe_load_str(text)


def test_a_refused_mutation_changes_neither_log_nor_memory():
    root, log = new_store(initial_data={"l": [2, 1], "d": {"a": 1}, "s": {1}})
    before = log.getvalue()
    with pytest.raises(TypeError):
        root["l"][0:1] = [object()]  # an unsupported value
    with pytest.raises(ValueError):
        root["l"][::2] = [1, 2, 3]  # an extended slice of another size
    with pytest.raises(TypeError):
        root["l"].sort(key=lambda x: None if x == 1 else x)
    with pytest.raises(ValueError):
        root["d"].update({"b": 1, float("nan"): 2})  # NaN as a key
    with pytest.raises(TypeError):
        root["s"].update([3, 4, [5]])
    with pytest.raises(TypeError):
        root["s"] ^= {2, 3, (4, object())}
    assert log.getvalue() == before
    assert laaos.to_plain(root) == {"l": [2, 1], "d": {"a": 1}, "s": {1}}


def test_a_large_change_is_one_statement_up_to_the_statement_limit():
    root, log = new_store()
    root["l"] = list(range(200_000))  # 1.3 MB of source
    root["l"].reverse()
    lines = log.getvalue().splitlines()
    assert len(lines) == 3 and lines[2].startswith("store['l']=[199999, ")
    assert laaos.safe_load_str(log.getvalue()) == laaos.to_plain(root)


def test_set_changes_too_large_for_one_statement_are_split_and_load(monkeypatch):
    # (the statement limit scaled down 32 times: the same splitting on 32 times less data)
    monkeypatch.setattr(laaos._statements, "MAX_WRITTEN_STATEMENT", 256 << 10)
    monkeypatch.setattr(laaos._statements, "MAX_WRITTEN_VALUE", (256 << 10) - laaos._limits.ACCESSOR_ROOM)
    monkeypatch.setattr(laaos._statements, "CHUNK_BYTES", 32 << 10)
    root, log = new_store()
    root["s"] = {f"element-{i:08}" for i in range(30_000)}
    start = len(log.getvalue().splitlines())
    root["s"] -= {f"element-{i:08}" for i in range(0, 30_000, 2)}
    root["s"] ^= {f"element-{i:08}" for i in range(15_000, 45_000)}
    root["s"] |= {f"new-{i:08}" for i in range(20_000)}
    with pytest.raises(ValueError, match="cannot log a statement of"):
        root["s"].update({"x" * (300 << 10), "y"})
    lines = log.getvalue().splitlines()[start:]
    assert max(len(line) for line in lines) <= 256 << 10
    for method in ("difference_update", "symmetric_difference_update", "update"):
        assert sum(line.startswith(f"store['s'].{method}(") for line in lines) >= 4, method
    assert laaos.safe_load_str(log.getvalue()) == laaos.to_plain(root)
    assert len(root["s"]) == 15_000 - 7_500 + 7_500 + 15_000 + 20_000


@pytest.mark.slow
def test_a_dict_update_over_the_statement_limit_is_split_and_loads():
    root, log = new_store(initial_data={"d": {"a": 1}})
    root["d"].update({f"key-{i:08}": i for i in range(500_000)})  # 9 MB of source
    lines = log.getvalue().splitlines()
    # split as any large dict is: update statements of about a MiB each, within the
    # statement limit, never one statement per key
    assert max(len(line) for line in lines) <= laaos._limits.MAX_WRITTEN_STATEMENT
    updates = lines[lines.index(")") + 1:]  # after the new store's statement
    assert 2 <= len(updates) <= 20 and all(line.startswith("store['d'].update({'key-") for line in updates)
    assert laaos.safe_load_str(log.getvalue()) == laaos.to_plain(root)
    assert len(root["d"]) == 500_001


@pytest.mark.parametrize(
    "plain, proxy",
    [(list, laaos.StoreList), (dict, laaos.StoreDict), (dict, laaos.StoreRoot), (set, laaos.StoreSet)],
)
def test_the_proxies_have_every_method_and_operator_of_the_builtin(plain, proxy):
    missing = [n for n in dir(plain) if getattr(proxy, n, None) is None and getattr(plain, n) is not None]
    assert missing == []


def test_a_loop_walks_the_container_as_it_was_when_it_began():
    """README: a loop that changes the container it walks sees the items as they were
    when it began (a list's new items are not reached; a dict or set raises nothing), and
    the log keeps up with every change."""
    root, log = new_store(initial_data={"l": [1, 2], "d": {"a": 1, "b": 2}, "s": {1, 2}})
    for v in root["l"]:
        root["l"].append(v + 1)
    for k in root["d"]:
        root["d"][k + "x"] = 0
    for k in root["d"].keys():
        del root["d"][k]
    for x in root["s"]:
        root["s"].add(x + 10)
    assert laaos.to_plain(root) == laaos.safe_load_str(log.getvalue()) == {
        "l": [1, 2, 2, 3], "d": {}, "s": {1, 2, 11, 12}}
