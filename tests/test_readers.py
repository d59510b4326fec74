"""A thread that renders the store in a tight loop beside the thread that writes it (a
dashboard, a live view, ``while True: print(store)``): the writer keeps at least a tenth of
its speed alone, and every render shows each container as it really was."""

import threading
import time

import pytest

import laaos

from helpers import plain

HISTORY = 100_000


def item_sets(root, n, deadline=None):
    """``root["d"][i] = i`` for i < n; how many were done before ``deadline``."""
    d = root["d"]
    for i in range(n):
        d[i] = i
        if deadline is not None and i % 1000 == 999 and time.perf_counter() > deadline:
            return i + 1
    return n


def open_store(tmp_path, name, history=0):
    """A store to write beside readers; ``history`` floats already logged make every
    render long from the first set on (a dashboard over a long run)."""
    return laaos.open_file_store(name, "", prefix=f"{tmp_path}/", durability="buffered", provenance=False,
                                 initial_data={"d": {}, "rows": [{"i": -1, "sq": 1}], "tags": {-1},
                                               "history": [i / 7 for i in range(history)]})


@pytest.mark.parametrize("sets", [50_000, pytest.param(200_000, marks=pytest.mark.slow)])
@pytest.mark.parametrize("render", [repr, laaos.to_plain], ids=["repr", "to_plain"])
def test_a_reader_in_a_tight_loop_leaves_the_writer_a_tenth_of_its_speed(tmp_path, render, sets):
    root = open_store(tmp_path, "alone", HISTORY)
    start = time.perf_counter()
    item_sets(root, sets)
    alone = time.perf_counter() - start
    root.close()

    root = open_store(tmp_path, "run", HISTORY)
    stop = threading.Event()
    renders, errors = [0], []

    def reader():
        try:
            while not stop.is_set():
                render(root)
                renders[0] += 1
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        start = time.perf_counter()
        done = item_sets(root, sets, deadline=start + 10 * alone)
        took = time.perf_counter() - start
    finally:
        stop.set()
        thread.join()
    assert not errors
    assert done == sets, f"{done} of {sets} sets in 10x their time alone ({alone:.2f} s)"
    assert renders[0] > 1 and took <= 10 * alone
    memory = laaos.to_plain(root)
    root.close()
    assert laaos.safe_load(tmp_path / "run.py") == memory
    assert memory["d"] == {i: i for i in range(sets)} and len(memory["history"]) == HISTORY


def test_every_render_shows_each_container_as_it_really_was(tmp_path):
    """Each container read beside the writer is one of the states it had: a prefix of
    what the writer put in, each row whole.  Different readers walk the store their own
    way (repr, str, to_plain, ==, iteration, copy.deepcopy)."""
    import copy

    root = open_store(tmp_path, "run")
    stop = threading.Event()
    errors, seen = [], []

    def check(state):
        d, rows, tags = state["d"], state["rows"], state["tags"]
        assert d == {i: i for i in range(len(d))}  # a prefix: the keys were set in order
        assert rows == [{"i": i, "sq": i * i} for i in range(-1, len(rows) - 1)]
        assert tags == set(range(-1, len(tags) - 1))
        seen.append(len(d))

    readers = [
        lambda: check(laaos.to_plain(root)),
        lambda: check(laaos.safe_load_str("store = " + repr(root))),
        lambda: check(laaos.safe_load_str("store = " + str(root.laaos_store))),
        lambda: check(copy.deepcopy(root)),
        lambda: check({"d": dict(root["d"].items()), "rows": [plain(r) for r in root["rows"]],
                       "tags": set(root["tags"])}),
        lambda: root == {} or root["rows"] == [] or root["d"] != {-1: -1},
    ]

    def read(fn):
        try:
            while not stop.is_set():
                fn()
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=read, args=(fn,)) for fn in readers]
    for thread in threads:
        thread.start()
    try:
        for i in range(5_000):
            root["d"][i] = i
            root["rows"].append({"i": i, "sq": i * i})
            root["rows"][-1]["sq"] = i * i  # (the same value again: a row is never seen torn)
            root["tags"].add(i)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert not errors, errors
    assert seen and max(seen) > 0
    memory = laaos.to_plain(root)
    root.close()
    assert laaos.safe_load(tmp_path / "run.py") == memory
