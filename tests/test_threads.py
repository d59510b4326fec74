"""Many threads mutating one store: every operation lands exactly once, whole, and the
log loads to exactly what memory holds."""

import sys
import threading
from collections import Counter

import pytest

import laaos

from helpers import plain

THREADS = 8
OPS = 600


@pytest.fixture(autouse=True)
def switch_often():
    """Make the interpreter switch threads as often as it can, to interleave the calls."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def hammer(root, t, barrier):
    barrier.wait()
    own = root["own"][t]
    for i in range(OPS):
        root["shared"].append(t * OPS + i)  # one list, every thread (the C fast path)
        root["shared_rows"].append({"t": t, "i": i, "x": [i, str(i)]})  # containers
        own.append(i)  # a list of its own
        root["nested"][f"t{t}"][str(i)] = {"v": i, "sq": i * i}  # nested dicts
        root["tags"].add((t, i))  # one set
        if i % 50 == 49:
            root["nested"][f"t{t}"].clear()  # reshaping under the others' feet
        root["counter"] = t * OPS + i  # the same key from every thread


@pytest.mark.parametrize("durability", ["flush", "buffered"])
def test_threads_land_every_operation_once_and_whole(tmp_path, durability):
    root = laaos.open_file_store("run", "", prefix=f"{tmp_path}/", durability=durability,
                                 initial_data={"shared": [], "shared_rows": [], "own": [[] for _ in range(THREADS)],
                                               "nested": {f"t{t}": {} for t in range(THREADS)}, "tags": set(),
                                               "counter": -1})
    barrier = threading.Barrier(THREADS)
    errors = []

    def run(t):
        try:
            hammer(root, t, barrier)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    memory = plain(root)
    root.close()
    loaded = laaos.safe_load(tmp_path / "run.py")
    assert loaded == memory

    total = THREADS * OPS
    assert sorted(loaded["shared"]) == list(range(total))
    rows = Counter((r["t"], r["i"]) for r in loaded["shared_rows"])
    assert len(rows) == total and set(rows.values()) == {1}
    assert all(r["x"] == [r["i"], str(r["i"])] for r in loaded["shared_rows"])
    for t in range(THREADS):
        assert loaded["own"][t] == list(range(OPS))
        # cleared every 50: what remains is the last 50 steps' entries
        assert loaded["nested"][f"t{t}"] == {}
    assert loaded["tags"] == {(t, i) for t in range(THREADS) for i in range(OPS)}
    assert loaded["counter"] in {t * OPS + OPS - 1 for t in range(THREADS)}
    # each thread's own appends are in order in the shared list too
    for t in range(THREADS):
        mine = [x for x in loaded["shared"] if x // OPS == t]
        assert mine == sorted(mine)


def test_threads_reading_while_others_write(tmp_path):
    """Readers iterate and copy containers while writers append: no error, no torn value."""
    root = laaos.open_file_store("run", "", prefix=f"{tmp_path}/", initial_data={"xs": [], "d": {}, "s": set()})
    stop = threading.Event()
    seen, errors = [], []

    def reader():
        try:
            while not stop.is_set():
                xs = list(root["xs"])
                assert xs == list(range(len(xs)))
                seen.append(len(xs))
                dict(root["d"])
                set(root["s"])
                list(root.items())
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    def writer():
        for i in range(3000):
            root["xs"].append(i)
            root["d"][i] = i
            root["s"].add(i)

    readers = [threading.Thread(target=reader) for _ in range(2)]
    for r in readers:
        r.start()
    w = threading.Thread(target=writer)
    w.start()
    w.join()
    stop.set()
    for r in readers:
        r.join()
    assert not errors
    assert seen and max(seen) <= 3000
    root.close()
    assert laaos.safe_load(tmp_path / "run.py")["xs"] == list(range(3000))


def test_appends_racing_close_never_write_anywhere_else(tmp_path):
    """An append that loses the race with close() raises StoreClosedError; it never
    writes into the file that reuses the closed log's descriptor number."""
    import os

    for round in range(30):
        root = laaos.open_file_store(f"run{round}", "", prefix=f"{tmp_path}/", initial_data={"xs": []})
        xs = root["xs"]
        stop = threading.Event()
        errors = []

        def append(xs=xs, stop=stop, errors=errors):
            while not stop.is_set():
                try:
                    xs.append(1.5)
                    xs.append({"a": 1})
                except laaos.StoreClosedError:
                    pass
                except BaseException as e:  # pragma: no cover - reported below
                    errors.append(e)
                    return

        threads = [threading.Thread(target=append) for _ in range(4)]
        for thread in threads:
            thread.start()
        root.close()
        other = tmp_path / f"other{round}"
        fd = os.open(other, os.O_RDWR | os.O_CREAT | os.O_APPEND)  # likely the log's old number
        try:
            for _ in range(200):
                if any(t.is_alive() for t in threads):
                    pass
            stop.set()
            for thread in threads:
                thread.join()
        finally:
            os.close(fd)
        assert not errors
        assert other.read_bytes() == b"", round
        loaded = laaos.safe_load(tmp_path / f"run{round}.py")
        assert len(loaded["xs"]) == len(plain(root)["xs"])


def test_reading_while_another_thread_writes(tmp_path):
    """repr, iteration, copies, == and to_plain from one thread while another adds keys."""
    import copy

    root = laaos.open_file_store("run", "", prefix=f"{tmp_path}/", durability="buffered",
                                 initial_data={"d": {}, "l": [], "s": set()})
    stop = threading.Event()
    errors = []

    def write():
        for i in range(1500):
            root["d"][str(i)] = {"v": [i]}
            root["l"].append({"i": i})
            root["s"].add(i)
            root[f"k{i}"] = i
        stop.set()

    def read():
        try:
            while not stop.is_set():
                repr(root)
                list(root.items())
                copy.deepcopy(root["d"])
                copy.copy(root["l"])
                assert root["s"] != {-1} and root != {} and root["l"] != [-1]
                laaos.to_plain(root)
                set(root["s"])
        except BaseException as e:
            errors.append(e)

    writer = threading.Thread(target=write)
    readers = [threading.Thread(target=read) for _ in range(2)]
    writer.start()
    for r in readers:
        r.start()
    for r in readers:
        r.join()
    stop.set()
    writer.join()
    root.close()
    assert not errors, errors
    assert laaos.safe_load(tmp_path / "run.py") == laaos.to_plain(root)
