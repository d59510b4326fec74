"""The store over its whole life, in real processes: dropped without ``close()``, at exit,
on SIGTERM, and across ``fork`` (``multiprocessing`` with each start method).

Each case runs a small script in a child Python, on the backend under test, and then
loads the log it left.
"""

import subprocess
import sys
import textwrap

import pytest

import laaos


def run(script, tmp_path, env, timeout=60):
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=timeout,
    )
    return proc


def test_dropped_buffered_store_writes_its_buffer_and_releases_its_lock(tmp_path, backend_env):
    proc = run("""
        import gc, warnings
        import laaos
        warnings.simplefilter("always")
        def work():
            root = laaos.open_file_store("run", "", prefix="./", durability="buffered",
                                         flush_interval=1000)
            for i in range(10):
                root.setdefault("xs", []).append(i) if "xs" in root else root.__setitem__("xs", [i])
        with warnings.catch_warnings(record=True) as caught:
            work()
            gc.collect()
        print([w.category.__name__ for w in caught])
        # the lock is free again: the same process opens the log anew, without restarting
        again = laaos.open_file_store("run", "", prefix="./")
        print(again["xs"] == list(range(10)))
        again.close()
        import os
        os._exit(0)  # no atexit: the drop itself must have written the buffer
    """, tmp_path, backend_env)
    assert proc.returncode == 0, proc.stderr
    assert "ResourceWarning" in proc.stdout
    assert proc.stdout.splitlines()[-1] == "True"
    assert laaos.safe_load(tmp_path / "run.py") == {"xs": list(range(10))}


def test_every_live_store_is_flushed_at_exit(tmp_path, backend_env):
    proc = run("""
        import laaos
        a = laaos.open_file_store("a", "", prefix="./", durability="buffered", flush_interval=1000)
        b = laaos.open_file_store("b", "", prefix="./", durability="buffered", flush_interval=1000)
        for i in range(100):
            a["x"] = i
            b.setdefault("ys", []) if "ys" in b else b.__setitem__("ys", [])
            b["ys"].append(i)
    """, tmp_path, backend_env)
    assert proc.returncode == 0, proc.stderr
    assert laaos.safe_load(tmp_path / "a.py") == {"x": 99}
    assert laaos.safe_load(tmp_path / "b.py") == {"ys": list(range(100))}


def test_sigterm_flushes_the_buffer(tmp_path, backend_env):
    proc = run("""
        import os, signal
        import laaos
        root = laaos.open_file_store("run", "", prefix="./", durability="buffered", flush_interval=1000)
        root["xs"] = []
        for i in range(50):
            root["xs"].append(i)
        os.kill(os.getpid(), signal.SIGTERM)
        import time; time.sleep(10)
    """, tmp_path, backend_env)
    assert proc.returncode == -15, proc.stderr
    assert laaos.safe_load(tmp_path / "run.py") == {"xs": list(range(50))}


@pytest.mark.parametrize("rounds", [5])
def test_fork_pool_children_never_write_the_parents_buffer(tmp_path, backend_env, rounds):
    """The bug: a fork Pool's workers inherited the unwritten buffer and the SIGTERM flush;
    ``Pool.__exit__`` terminates them, and each wrote the buffer again."""
    proc = run(f"""
        import multiprocessing, time
        import laaos
        for r in range({rounds}):
            root = laaos.open_file_store(f"run{{r}}", "", prefix="./", durability="buffered",
                                         flush_interval=1000)
            root["xs"] = []
            for i in range(20):
                root["xs"].append(i)
            with multiprocessing.get_context("fork").Pool(2) as pool:
                pool.map_async(time.sleep, [3, 3])
                time.sleep(0.3)  # the workers are inside sleep when __exit__ terminates them
            for i in range(20, 40):
                root["xs"].append(i)
            root.close()
    """, tmp_path, backend_env)
    assert proc.returncode == 0, proc.stderr
    for r in range(rounds):
        lines = [line for line in (tmp_path / f"run{r}.py").read_text().splitlines()
                 if not line.startswith("#")]  # (the session record)
        assert len(lines) == 42, lines  # `store = {}`, `store['xs'] = []`, 40 appends: once each
        assert laaos.safe_load(tmp_path / f"run{r}.py") == {"xs": list(range(40))}


def test_forked_child_exit_does_not_flush_the_parents_buffer(tmp_path, backend_env):
    proc = run("""
        import os, sys
        import laaos
        root = laaos.open_file_store("run", "", prefix="./", durability="buffered", flush_interval=1000)
        root["xs"] = [1, 2, 3]
        pid = os.fork()
        if pid == 0:
            sys.exit(0)  # runs atexit in the child
        os.waitpid(pid, 0)
        root["xs"].append(4)
        root.close()
    """, tmp_path, backend_env)
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "run.py").read_text()
    assert text.count("store['xs']=[1, 2, 3]") == 1, text
    assert laaos.safe_load(tmp_path / "run.py") == {"xs": [1, 2, 3, 4]}


CHILD_WRITES = """
    import multiprocessing, sys
    import laaos

    def child(root, queue):
        try:
            value = root["xs"][:]  # reading the inherited snapshot is fine
            root["xs"].append(99)
        except Exception as e:
            queue.put(("refused", type(e).__name__, str(e), value))
        else:
            queue.put(("wrote",))

    if __name__ == "__main__":
        ctx = multiprocessing.get_context(sys.argv[1])
        root = laaos.open_file_store("run", "", prefix="./", durability=sys.argv[2])
        root["xs"] = [1, 2]
        queue = ctx.Queue()
        try:
            p = ctx.Process(target=child, args=(root, queue))
            p.start()
        except Exception as e:
            print("start:", type(e).__name__, e)
        else:
            print("child:", queue.get(timeout=30))
            p.join()
        root["xs"].append(3)
        root.close()
"""


@pytest.mark.parametrize("durability", ["flush", "buffered"])
@pytest.mark.parametrize("method", ["fork", "forkserver", "spawn"])
def test_what_a_child_may_do_with_an_inherited_store(tmp_path, backend_env, method, durability):
    """A forked child reads the store as it was at the fork, and any write raises
    StoreClosedError naming the fork; spawn and forkserver cannot pickle a store (a
    TypeError naming ``laaos.to_plain``).  Either way the parent's log is untouched."""
    (tmp_path / "script.py").write_text(textwrap.dedent(CHILD_WRITES))
    proc = subprocess.run([sys.executable, "script.py", method, durability], cwd=tmp_path,
                          env=backend_env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    if method == "fork":
        assert "'refused', 'StoreClosedError'" in proc.stdout, proc.stdout
        assert "fork" in proc.stdout and "[1, 2]" in proc.stdout
    else:
        assert "start: TypeError" in proc.stdout and "laaos.to_plain" in proc.stdout, proc.stdout
    assert laaos.safe_load(tmp_path / "run.py") == {"xs": [1, 2, 3]}


def test_a_refused_initial_data_leaves_no_unclosed_store_behind(tmp_path, backend_env):
    proc = run("""
        import gc, warnings, io
        import laaos
        warnings.simplefilter("error")
        try:
            laaos.Store(io.StringIO(), initial_data={"s": {float("nan")}})
        except ValueError as e:
            print("refused")
        gc.collect()
        print("clean")
    """, tmp_path, backend_env)
    assert proc.returncode == 0 and proc.stdout.split() == ["refused", "clean"], proc.stderr
    assert "ResourceWarning" not in proc.stderr
