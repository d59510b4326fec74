"""On the extension, the proxies' Python methods run with their steps in C.

The proxies (laaos/proxies.py) are the one definition of each mutation; the steps they
call on the Store and on the proxies have C twins in src_ext/proxies.pxi, which
laaos/_backend.py installs over the Python methods (``install_store_steps``,
``install_linking``, ``install_list_append``).  Each C twin hands a store on the pure
backend, and the cases it does not know, to the Python method it replaced.  These tests
watch which of those Python methods run (``sys.setprofile``) while a real file store is
mutated: on the extension none of them may, except where the C side hands over on
purpose (``StoreList.append`` of a container); on the pure backend they must.  A
missing ``install_*`` call, or a C twin that hands every case back, fails here.

Left out because the C twins hand them to Python by design: values a TypeHandler
renders, numpy values, errors (NaN keys, unsupported types, too deep) and statements
longer than one line may be.
"""

import functools
import gc
import sys
import types

import pytest

import laaos
from laaos import _backend

# The Python methods that the extension replaces, by the class that defines them.
STEPS = {
    "Store": (
        "_normalize",
        "_normalize_key",
        "_proxify",
        "_write_value",
        "_write_items",
        "_emit_value",
        "_emit_text",
        "_render",
    ),
    "StoreAccessible": ("_unlink",),
    "StoreDict": ("_link",),
    "StoreList": ("_link", "_relink", "append"),
}

once_on_extension = pytest.mark.parametrize("backend", ["cython"], indirect=True)
once_pure = pytest.mark.parametrize("backend", ["python"], indirect=True)


@functools.lru_cache(maxsize=None)
def python_twins():
    """``{code object: "Class.method"}`` of the Python methods in ``STEPS``.

    With the extension installed, a class attribute is the C twin; the Python function
    lives on only where the extension saved it, so it is found among the interpreter's
    live functions by its module and qualified name."""
    wanted = {f"{cls}.{name}" for cls, names in STEPS.items() for name in names}
    found = {}
    for obj in gc.get_objects():
        if (
            type(obj) is types.FunctionType
            and obj.__qualname__ in wanted
            and (obj.__module__ or "").startswith("laaos.")
        ):
            found[obj.__code__] = obj.__qualname__
    missing = wanted - set(found.values())
    assert not missing, f"no Python function {sorted(missing)} in laaos: update STEPS"
    return found


def python_steps_run(fn):
    """Call ``fn()`` and return the names of the Python twins that ran during it."""
    twins = python_twins()
    ran = set()

    def profile(frame, event, arg):
        if event == "call":
            name = twins.get(frame.f_code)
            if name is not None:
                ran.add(name)

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(previous)
    return ran


NESTED_DICT = {"a": [1, 2.5], "b": {"c": None, "d": "x"}, "s": {1, 2}}
NESTED_LIST = [1, [2.5, "x"], {"k": {3}}, (4, 5)]


def _set(container, key, value):
    container[key] = value


def _del(container, key):
    del container[key]


# name: (initial store, mutation, the Python twins that must run on the pure backend,
#        the Python twins the extension hands over to on purpose)
CASES = {
    # dict: set, del, clear
    "dict set, scalar": (
        {"d": {"old": 1}}, lambda r: _set(r["d"], "k", 1.5),
        {"Store._write_value", "Store._normalize_key", "Store._render"}, set()),
    "dict set, nested dict over a nested one": (
        {"d": {"k": {"x": [1]}}}, lambda r: _set(r["d"], "k", NESTED_DICT),
        {"Store._write_value", "Store._normalize", "Store._proxify", "StoreAccessible._unlink"}, set()),
    "dict set, nested list": (
        {"d": {}}, lambda r: _set(r["d"], ("t", 1), NESTED_LIST),
        {"Store._write_value", "Store._normalize", "Store._proxify"}, set()),
    "dict set, a container of the store": (
        {"d": {"a": [1, {2}]}}, lambda r: _set(r, "copy", r["d"]),
        {"Store._write_value", "Store._normalize", "Store._proxify"}, set()),
    "dict del, scalar": (
        {"d": {"k": 1, "j": 2}}, lambda r: _del(r["d"], "k"),
        {"Store._emit_text", "Store._render", "Store._normalize_key"}, set()),
    "dict del, nested": (
        {"d": {"k": {"x": [1, {2}]}}}, lambda r: _del(r["d"], "k"),
        {"Store._emit_text", "StoreAccessible._unlink"}, set()),
    "dict clear, scalars": (
        {"d": {"a": 1, "b": "x"}}, lambda r: r["d"].clear(),
        {"Store._emit_text"}, set()),
    "dict clear, nested": (
        {"d": {"a": [1], "b": {"c": 2}}}, lambda r: r["d"].clear(),
        {"Store._emit_text", "StoreAccessible._unlink"}, set()),
    # list: append, extend, insert, set item, del item
    "list append, float": (
        {"l": [0.5]}, lambda r: r["l"].append(1.5),
        {"StoreList.append", "Store._write_value"}, set()),
    "list append, str": (
        {"l": []}, lambda r: r["l"].append("x"),
        {"StoreList.append", "Store._write_value"}, set()),
    "list append, int": (
        {"l": []}, lambda r: r["l"].append(7),
        {"StoreList.append", "Store._write_value"}, set()),
    "list append, None": (
        {"l": [1]}, lambda r: r["l"].append(None),
        {"StoreList.append", "Store._write_value"}, set()),
    # A container is appended by the Python method (its steps in C): only a scalar's
    # append is done whole in C, where its steps are trivial.
    "list append, flat dict": (
        {"l": []}, lambda r: r["l"].append({"loss": 0.5, "step": 1}),
        {"StoreList.append", "Store._write_value", "Store._proxify"}, {"StoreList.append"}),
    "list append, nested list": (
        {"l": []}, lambda r: r["l"].append(NESTED_LIST),
        {"StoreList.append", "Store._write_value", "Store._normalize"}, {"StoreList.append"}),
    "list append, nested dict": (
        {"l": []}, lambda r: r["l"].append(NESTED_DICT),
        {"StoreList.append", "Store._write_value", "Store._normalize"}, {"StoreList.append"}),
    "list extend, scalars": (
        {"l": [1]}, lambda r: r["l"].extend([2, 3.5, "x", None]),
        {"Store._write_items"}, set()),
    "list extend, nested": (
        {"l": [1]}, lambda r: r["l"].extend([NESTED_LIST, NESTED_DICT, {7}]),
        {"Store._write_items", "Store._normalize", "Store._proxify"}, set()),
    "list insert, scalar before containers": (
        {"l": [{"a": 1}, [2]]}, lambda r: r["l"].insert(0, 1.5),
        {"Store._write_value", "StoreList._relink", "StoreDict._link", "StoreList._link"}, set()),
    "list insert, nested": (
        {"l": [1, [2]]}, lambda r: r["l"].insert(1, NESTED_DICT),
        {"Store._write_value", "Store._proxify", "StoreList._relink", "StoreList._link"}, set()),
    "list set item, scalar over a list": (
        {"l": [[1], 2]}, lambda r: _set(r["l"], 0, 1.5),
        {"Store._write_value", "StoreAccessible._unlink"}, set()),
    "list set item, nested": (
        {"l": [1, 2]}, lambda r: _set(r["l"], -1, NESTED_LIST),
        {"Store._write_value", "Store._normalize", "Store._proxify"}, set()),
    "list del item, scalar before containers": (
        {"l": [1, {"a": 1}, [2]]}, lambda r: _del(r["l"], 0),
        {"Store._emit_text", "StoreList._relink", "StoreDict._link", "StoreList._link"}, set()),
    "list del item, nested": (
        {"l": [1, {"a": [1]}, [2]]}, lambda r: _del(r["l"], 1),
        {"Store._emit_text", "StoreAccessible._unlink", "StoreList._relink", "StoreList._link"}, set()),
    # set: add, discard
    "set add, scalar": (
        {"s": {1}}, lambda r: r["s"].add(2.5),
        {"Store._normalize_key", "Store._emit_value"}, set()),
    "set add, nested tuple": (
        {"s": set()}, lambda r: r["s"].add((1, ("a", 2.5), b"x")),
        {"Store._normalize_key", "Store._emit_value"}, set()),
    "set discard, scalar": (
        {"s": {1, "x"}}, lambda r: r["s"].discard("x"),
        {"Store._normalize_key", "Store._emit_value"}, set()),
    "set discard, nested tuple": (
        {"s": {(1, (2, 3)), 4}}, lambda r: r["s"].discard((1, (2, 3))),
        {"Store._normalize_key", "Store._emit_value"}, set()),
}


def run_case(tmp_path, initial, mutate):
    """Open a log with ``initial``, mutate it under the profiler, and check that the log
    says what memory holds; return the Python twins that ran during the mutation."""
    root = laaos.open_file_store("run", "", prefix=f"{tmp_path}/", initial_data=initial, provenance=False)
    with root:
        ran = python_steps_run(lambda: mutate(root))
        expected = laaos.to_plain(root)
    assert laaos.load(tmp_path / "run.py").store == expected
    return ran


@once_on_extension
@pytest.mark.parametrize("case", list(CASES))
def test_on_the_extension_the_steps_run_in_c(tmp_path, backend, case):
    initial, mutate, _, handed_over = CASES[case]
    assert run_case(tmp_path, initial, mutate) == handed_over


@once_pure
@pytest.mark.parametrize("case", list(CASES))
def test_on_the_pure_backend_the_python_steps_run(tmp_path, backend, case):
    initial, mutate, pure_steps, _ = CASES[case]
    ran = run_case(tmp_path, initial, mutate)
    assert pure_steps <= ran, f"did not run: {sorted(pure_steps - ran)}"


@once_on_extension
def test_every_step_is_replaced_on_the_extension(backend):
    """What the cases above rely on: each Python twin is off its class, a C function in
    its place (and ``python_twins`` still finds the Python one)."""
    from laaos.proxies import StoreAccessible, StoreDict, StoreList
    from laaos.store import Store

    twins = set(python_twins().values())
    for cls in (Store, StoreAccessible, StoreDict, StoreList):
        for name in STEPS[cls.__name__]:
            assert type(getattr(cls, name)) is not types.FunctionType, f"{cls.__name__}.{name} is Python"
            assert f"{cls.__name__}.{name}" in twins
    assert _backend.cython_impl is not None
