"""The mutation engine: each mutation is one call that writes the statement and changes
memory together, so an interrupt lands before or after a whole mutation; the backend is
picked once, and nothing is installed into the Python classes."""

import gc
import inspect
import pickle
import pydoc
import subprocess
import sys
import textwrap
import types

import pytest

import laaos
from laaos import _backend
from laaos.proxies import StoreAccessible, StoreDict, StoreList, StoreRoot, StoreSet
from laaos.store import Store

from helpers import TWINS

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="needs setitimer and SIGALRM")


# ---- interrupts --------------------------------------------------------------------------

INTERRUPTED_LOOP = """
import random, signal, time, laaos

armed = False


def handler(signum, frame):
    global armed
    if armed:  # (as Ctrl-C does, but never while the loop itself handles one: it disarms
        armed = False  # here, before the loop's own `except` runs, which older Pythons
        raise KeyboardInterrupt  # interrupt too)


root = laaos.open_file_store("run", "", prefix="./", provenance=False, durability={durability!r})
root["log"] = []
root["rows"] = []
root["d"] = {{"n": {{}}}}
root["s"] = set()
root["small"] = [0]
rnd = random.Random(1)


def mutate(i):
    kind = i % 19
    if kind == 0:
        root["log"].append({{"step": i, "loss": rnd.random(), "acc": rnd.random()}})
    elif kind == 1:
        root[f"k{{i % 40}}"] = i  # an item set at the top level
    elif kind == 2:
        root["d"]["n"][i % 60] = [i, {{"x": i}}]  # nested, over a container
    elif kind == 3:
        root["rows"].extend([i, [i], {{"i": i}}])
    elif kind == 4:
        rows = root["rows"]
        rows.insert(rnd.randrange(len(rows) + 1), {{"at": i}})  # moves the containers after it
    elif kind == 5:
        root["s"].add((i % 500, "x"))
    elif kind == 6:
        d = root["d"]["n"]
        if d:
            del d[next(iter(d))]
    elif kind == 7:
        if root["rows"]:
            root["rows"].pop(rnd.randrange(len(root["rows"])))
    elif kind == 8:
        rows = root["rows"]
        for j in range(len(rows) - 1, -1, -1):  # an item whose accessor moved
            if isinstance(rows[j], laaos.StoreDict):
                rows[j]["seen"] = i
                break
    elif kind == 9:
        root["log"].append(rnd.random())
    elif kind == 10:
        root["s"].discard((rnd.randrange(500), "x"))
    elif kind == 11:  # whole-list assignments that keep the containers, relinked
        root["rows"].reverse()
    elif kind == 12:
        root["rows"].sort(key=lambda v: rnd.random())
    elif kind == 13:
        rows = root["rows"]
        a = rnd.randrange(len(rows) + 1)
        rows[a : a + 3] = [{{"sl": i}}, i]
        if len(rows) > 6:
            del rows[1:5:2]
    elif kind == 14:
        root["d"]["n"] |= {{i % 60: {{"u": i}}, (i + 1) % 60: [i]}}  # one update over containers
    elif kind == 15:
        s = root["s"]
        s |= {{(j, "x") for j in range(i % 500, i % 500 + 4)}}
        s ^= {{(rnd.randrange(500), "x") for _ in range(3)}}
    elif kind == 16:
        s = root["s"]
        s -= {{(rnd.randrange(500), "x") for _ in range(3)}}
        s &= {{(j, "x") for j in range(rnd.randrange(100), 500)}}
    elif kind == 17:
        root["log"][-3:] = root["log"][-2:]  # a slice of stored records, relinked
        root["d"]["n"].update({{-1: i, -2: [i]}})
    else:
        small = root["small"]
        small *= 2
        small += [i, {{"v": i}}]
        if len(small) > 40:
            small *= 0
    if len(root["rows"]) > 300:
        root["rows"].clear()


signal.signal(signal.SIGALRM, handler)
signal.setitimer(signal.ITIMER_REAL, 0.0003, 0.0003)
hits = i = 0
end = time.monotonic() + 2.0
while time.monotonic() < end:
    try:
        armed = True
        mutate(i)
        armed = False
    except KeyboardInterrupt:
        armed = False
        hits += 1
    i += 1
signal.setitimer(signal.ITIMER_REAL, 0, 0)
memory = laaos.to_plain(root)
root.close()
try:
    log = laaos.safe_load("run.py")
except laaos.LogError as e:  # the log and memory went apart so far that it no longer loads
    log = {{"unloadable": str(e)}}
print(hits, i, memory == log)
if memory != log:
    for key in set(memory) | set(log):
        if memory[key] != log.get(key):
            print(key, repr(memory.get(key))[:300], repr(log.get(key))[:300])
"""


@posix_only
@pytest.mark.parametrize("durability", ["flush", "buffered"])
def test_an_interrupt_never_leaves_the_log_and_memory_apart(backend, backend_env, tmp_path, durability):
    """Ctrl-C in a notebook while a cell logs, and the next cell carries on with the same
    store: a KeyboardInterrupt raised by a signal handler at a random point of a mutation
    (SIGALRM every 0.3 ms for 2 s over a mix of appends, item sets, extends, inserts,
    set adds, deletes, pops, and the container API's whole-container changes: sort,
    reverse, slice assignment, ``|=``, ``^=``, ``-=``, ``&=``, ``*=``, ``+=``) must land
    before or after the whole mutation, so that the log loads to exactly what memory
    holds."""
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(INTERRUPTED_LOOP.format(durability=durability))],
        cwd=tmp_path, env=backend_env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    hits, steps, same = proc.stdout.split()[:3]
    assert int(hits) > 200, proc.stdout  # the interrupts did arrive
    assert same == "True", proc.stdout
    # and none was lost: one raised in code that Python calls on its own (a weak
    # reference's callback when a proxy dies) is printed and dropped, and a Ctrl-C with it
    assert "Exception ignored" not in proc.stderr, proc.stderr[-2000:]


# ---- the backend is chosen once; nothing is patched ------------------------------------------


PROXY_CLASSES = (StoreAccessible, StoreDict, StoreRoot, StoreList, StoreSet, Store)
# The one method its class body names as a C call to the engine where the extension is
# built (laaos._hook): its Python method, and the engine method it calls.
HOOKS = {"StoreList.append": "list_append"}


def _is_hook(cls, name):
    return type(vars(cls)[name]).__name__ == "EngineMethod"


@pytest.mark.parametrize("backend", ["cython"], indirect=True)
def test_the_classes_hold_their_own_python_methods(backend):
    """The extension installs nothing into the proxies or the Store: every method in
    their class bodies is a Python function of laaos, but for the one hook named in its
    class body, which wraps one."""
    hooks = set()
    for cls in PROXY_CLASSES:
        for name, value in vars(cls).items():
            if isinstance(value, (staticmethod, classmethod)):
                value = value.__func__
            if _is_hook(cls, name):
                hooks.add(f"{cls.__name__}.{name}")
                assert value.engine_method == HOOKS[f"{cls.__name__}.{name}"]
                value = value.__wrapped__
            if callable(value) and not isinstance(value, type):
                assert type(value) is types.FunctionType, f"{cls.__name__}.{name} is {type(value)}"
                assert value.__module__.startswith("laaos."), f"{cls.__name__}.{name}"
    assert hooks == set(HOOKS)  # (the extension is built here: LAAOS_REQUIRE_EXTENSIONS)


def test_without_compiled_code_the_hook_is_its_python_method(tmp_path, backend_env):
    env = dict(backend_env, LAAOS_NO_EXTENSIONS="1")
    code = ("import types, laaos, laaos.proxies as p\n"
            "print(type(vars(p.StoreList)['append']) is types.FunctionType, laaos.BACKEND)")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.stdout.split() == ["True", "python"], out.stderr


def _outcome(call, folder):
    try:
        return ("returned", call())
    except Exception as e:
        return (type(e).__name__, str(e).replace(str(folder), "<folder>"))


def test_the_hook_does_what_its_python_method_does(backend, tmp_path):
    """Every way to call ``StoreList.append`` (bound, through the class, by keyword, with
    too few or too many arguments, on what is not a list proxy, an unlinked list, a closed
    store) ends as its Python method ends, with the same log."""
    method = vars(StoreList)["append"]
    python = getattr(method, "__wrapped__", method)
    calls = [
        lambda a, r: a(r["l"], 1.5),
        lambda a, r: a(r["l"], {"step": 1, "x": [0.5]}),
        lambda a, r: a(r["l"], obj=2),
        lambda a, r: a(obj=3, self=r["l"]),
        lambda a, r: a(r["l"]),
        lambda a, r: a(r["l"], 1, 2),
        lambda a, r: a(),
        lambda a, r: a(5, 1),
        lambda a, r: a(r["d"], 1),  # a dict's proxy
        lambda a, r: a(r["l"], object()),  # a value that cannot be stored
        lambda a, r: a(r["l"], r["l"]),  # the list itself: a copy of what it holds
        lambda a, r: (r.__setitem__("u", [1]), u := r["u"], r.__delitem__("u"), a(u, 1)),  # unlinked
        lambda a, r: (r.laaos_store.close(), a(r["l"], 1)),  # closed
    ]
    for i, call in enumerate(calls):
        outcomes, logs = [], []
        for j, fn in enumerate((method, python)):
            folder = tmp_path / f"{i}_{j}"
            folder.mkdir()
            with laaos.open_file_store("run", "", prefix=f"{folder}/", provenance=False,
                                       initial_data={"l": [0], "d": {}}) as root:
                outcomes.append(_outcome(lambda: call(fn, root), folder))
            logs.append((folder / "run.py").read_text())
        assert outcomes[0] == outcomes[1], i
        assert logs[0] == logs[1], i
        assert outcomes[0][0] != "returned" or "append(" in logs[0], i
    assert inspect.signature(method) == inspect.signature(python)
    assert method.__doc__ == python.__doc__ and method.__name__ == "append"
    assert pydoc.getdoc(method) == pydoc.getdoc(python) != ""  # (help(StoreList) shows it)
    assert pickle.loads(pickle.dumps(method)) is method


def test_the_hook_reads_a_slot_only_where_it_is_one(backend, tmp_path):
    """A subclass whose ``_store`` is a property (made after the hook has read the slot of
    that class) gets the Python method, which calls the property."""

    class Sub(StoreList):
        __slots__ = ()

    def refuse(self):
        raise RuntimeError("the property ran")

    with laaos.open_file_store("run", "", prefix=f"{tmp_path}/", provenance=False,
                               initial_data={"l": []}) as root:
        seq = root["l"]
        seq.__class__ = Sub
        seq.append(1)
        seq.append(2)
        Sub._store = property(refuse)
        with pytest.raises(RuntimeError, match="the property ran"):
            seq.append(3)
        del Sub._store
        seq.append(4)
        seq.__class__ = StoreList
    assert laaos.load(tmp_path / "run.py").store == {"l": [1, 2, 4]}


def test_the_hook_calls_whichever_engine_the_store_has(backend, tmp_path):
    """The hook knows no backend: it calls the method of the store's engine, an engine of
    another class included, as the Python method does."""
    calls = []
    engine_class = _backend.impl.Engine

    class Recording:
        def __init__(self, engine):
            self.engine = engine

        def list_append(self, proxy, obj):
            calls.append(obj)
            self.engine.list_append(proxy, obj)

        def __getattr__(self, name):
            return getattr(self.engine, name)

    with laaos.open_file_store("run", "", prefix=f"{tmp_path}/", provenance=False,
                               initial_data={"l": []}) as root:
        store = root.laaos_store
        assert type(store._engine) is engine_class
        root["l"].append(1)
        store._engine = Recording(store._engine)
        root["l"].append(2.5)
        StoreList.append(root["l"], [3])
        store._engine = store._engine.engine
        root["l"].append(4)
    assert calls == [2.5, [3]]
    assert laaos.load(tmp_path / "run.py").store == {"l": [1, 2.5, [3], 4]}


def test_a_store_uses_the_engine_of_its_backend(backend):
    root = laaos.Store(__import__("io").StringIO()).root
    assert type(root.laaos_store._engine) is _backend.impl.Engine


def _python_calls(fn):
    """The laaos Python functions (``module.qualname``) that run during ``fn()``."""
    ran = set()

    def profile(frame, event, arg):
        if event == "call":
            code = frame.f_code
            module = frame.f_globals.get("__name__", "")
            if module.startswith("laaos"):
                ran.add(f"{module}.{getattr(code, 'co_qualname', code.co_name)}")

    gc.collect()  # (a store another test dropped would close itself in the window)
    gc.disable()
    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(previous)
        gc.enable()
    return ran


def _q(name):
    """``module.Class.method`` as ``_python_calls`` sees it: before Python 3.11 a code
    object has no qualified name, so the class is left out (``module.method``)."""
    if sys.version_info >= (3, 11):
        return name
    parts = name.split(".")
    module = ".".join(p for p in parts[:-1] if not p[:1].isupper())
    return f"{module}.{parts[-1]}"


NESTED = {"a": [1, 2.5], "b": {"c": None, "d": "x"}, "s": {1, 2}}

# name: (mutation, the proxy method it is, the engine method it calls)
MUTATIONS = {
    "dict set": (lambda r: r["d"].__setitem__("k", NESTED), "StoreDict.__setitem__", "dict_set"),
    "dict set top level": (lambda r: r.__setitem__("x", 1.5), "StoreDict.__setitem__", "dict_set"),
    "dict del": (lambda r: r["d"].__delitem__("old"), "StoreDict.__delitem__", "dict_del"),
    "dict clear": (lambda r: r["d"].clear(), "StoreAccessible.clear", "clear"),
    "list append scalar": (lambda r: r["l"].append(1.5), "StoreList.append", "list_append"),
    "list append record": (lambda r: r["l"].append({"step": 1, "loss": 0.5}), "StoreList.append", "list_append"),
    "list extend": (lambda r: r["l"].extend([1, [2], NESTED]), "StoreList.extend", "list_extend"),
    "list insert": (lambda r: r["l"].insert(0, NESTED), "StoreList.insert", "list_insert"),
    "list set": (lambda r: r["l"].__setitem__(1, [3]), "StoreList.__setitem__", "list_set"),
    "list del": (lambda r: r["l"].__delitem__(0), "StoreList.__delitem__", "list_del"),
    "set add": (lambda r: r["s"].add((1, "x")), "StoreSet.add", "set_add"),
    "set discard": (lambda r: r["s"].discard(1), "StoreSet.discard", "set_discard"),
}


@pytest.mark.parametrize("case", list(MUTATIONS))
def test_each_mutation_is_one_call_to_the_engine(backend, tmp_path, case):
    """A proxy method is one call to its store's engine: on the extension no other laaos
    Python code runs (the whole mutation is C); on the pure twin, the engine's method."""
    mutate, method, engine_method = MUTATIONS[case]
    initial = {"d": {"old": {"x": [1]}, "y": 2}, "l": [{"a": [1]}, 2, [3]], "s": {1, 2}}
    with laaos.open_file_store("run", "", prefix=f"{tmp_path}/", initial_data=initial, provenance=False) as root:
        ran = _python_calls(lambda: mutate(root))
        expected = laaos.to_plain(root)
    assert laaos.load(tmp_path / "run.py").store == expected
    ran -= {_q("laaos.proxies.StoreDict.__getitem__")}  # (the lambdas' own `root["d"]`)
    cls, name = method.split(".")
    # (the hook is a C call: no Python frame of its own)
    proxy_methods = set() if _is_hook(vars(laaos.proxies)[cls], name) else {_q(f"laaos.proxies.{method}")}
    if backend == "cython":
        assert ran == proxy_methods
    else:
        assert _q(f"laaos._engine.Engine.{engine_method}") in ran
        assert {r for r in ran if r.startswith("laaos.proxies.")} <= proxy_methods | {
            _q("laaos.proxies.StoreAccessible._adopt")}  # (Store._proxify makes proxies)


# ---- both engines write the same text -------------------------------------------------------


RECORDS = [
    {"step": 1, "loss": 0.5, "acc": 1e-300, "split": "val", "ok": True, "none": None},
    {"loss": float("nan")}, {"loss": float("inf")}, {"x": -float("inf")}, {"info": "nan, inf"},
    {1: 2.5, "k": -0.0}, {True: 1}, {"big": 10**4000}, {"s": "é\ud800\n'\""}, {}, [],
    [1, 2.5, "x", None, False], [float("nan"), 1], [10**4000], [1, [2]], {"a": {"b": 1}},
    {"t": (1, 2)}, [b"x"], [1 + 2j], {"x": 1.5, "y": [1.5]},
]


@pytest.mark.parametrize("backend", ["cython"], indirect=True)  # (it runs both itself)
def test_both_engines_write_the_same_statements(backend, monkeypatch):
    """The pure twin's shortcut for flat records (their repr) writes what the extension's
    renderer writes, byte for byte, and refuses what it refuses (NaN and infinities are
    calls, not repr's ``nan``; an int too long for any loader is an error)."""
    logs = []
    for impl in TWINS:
        monkeypatch.setattr(_backend, "impl", impl)
        log = __import__("io").StringIO()
        root = Store(log, initial_data={"l": [], "d": {}}).root
        for i, record in enumerate(RECORDS):
            root["l"].append(record)
            root["d"][i] = record
            root["l"][0] = record
            root["l"].insert(1, record)
        with pytest.raises(ValueError, match="4300 digits"):
            root["l"].append({"huge": 10**4400})
        logs.append(log.getvalue())
        assert repr(laaos.safe_load_str(log.getvalue())) == repr(laaos.to_plain(root))  # (NaN)
    assert len(logs) == 2 and logs[0] == logs[1]
