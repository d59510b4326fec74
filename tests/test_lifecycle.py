"""The store over its whole life, in real processes: dropped without ``close()``, at exit,
on SIGTERM, and across ``fork`` (``multiprocessing`` with each start method).

Each case runs a small script in a child Python, on the backend under test, and then
loads the log it left.
"""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

import laaos


def _default_ctrl_c():
    # A child gets the SIGINT a user's terminal gives (Python then installs its own
    # handler), whatever the test runner inherited: a runner started in the background by
    # a shell without job control has SIGINT ignored, and that is passed on through exec.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run(script, tmp_path, env, timeout=60):
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=timeout, preexec_fn=_default_ctrl_c,
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


@pytest.mark.parametrize("durability", ["buffered", "flush"])
def test_a_dropped_store_on_a_file_only_it_holds_writes_its_buffer(tmp_path, backend_env, durability):
    """``Store(open(...))`` dropped without ``close()``: the store and its file are freed
    by the cyclic collector together, and the file must not be closed before the store
    has written its buffer to it."""
    proc = run(f"""
        import gc
        import laaos
        def work():
            store = laaos.Store(open("run.py", "w", encoding="utf-8"), durability={durability!r},
                                flush_interval=1000)
            store.root["xs"] = [1, 2, 3]
        work()
        gc.collect()
        import os
        os._exit(0)  # no atexit: the drop itself must have written the buffer
    """, tmp_path, backend_env)
    assert proc.returncode == 0, proc.stderr
    assert "Exception ignored" not in proc.stderr, proc.stderr
    assert laaos.safe_load(tmp_path / "run.py") == {"xs": [1, 2, 3]}


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


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
def test_sigterm_and_sighup_write_the_buffer(tmp_path, backend_env, signame):
    """A scheduler's SIGTERM and a closed terminal's SIGHUP: the buffer is written, then
    the process dies of the signal as it would have without laaos."""
    proc = run(f"""
        import os, signal
        import laaos
        root = laaos.open_file_store("run", "", prefix="./", durability="buffered", flush_interval=1000)
        root["xs"] = []
        for i in range(50):
            root["xs"].append(i)
        os.kill(os.getpid(), signal.{signame})
        import time; time.sleep(10)
    """, tmp_path, backend_env)
    assert proc.returncode == -getattr(signal, signame), proc.stderr
    assert laaos.safe_load(tmp_path / "run.py") == {"xs": list(range(50))}


DISPOSITIONS = """
    import os, signal, sys
    import laaos

    SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)

    def user_handler(signum, frame):
        pass

    def dispositions():
        names = {signal.SIG_DFL: "default", signal.SIG_IGN: "ignore",
                 signal.default_int_handler: "python's SIGINT", user_handler: "the user's"}
        return [names.get(signal.getsignal(s), "laaos's") for s in SIGNALS]

    def in_child(fn):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.write(w, repr(fn()).encode())
            os._exit(0)
        os.close(w)
        os.waitpid(pid, 0)
        return os.read(r, 4096).decode()

    before = dispositions()
    root = laaos.open_file_store("run", "", prefix="./", durability="buffered")
    print("before laaos", before)
    print("with a store", dispositions())
    print("forked child", in_child(dispositions))

    def child_opens_a_store():
        own = laaos.open_file_store("child", "", prefix="./", durability="buffered")
        return dispositions()

    print("child with a store of its own", in_child(child_opens_a_store))
    signal.signal(signal.SIGHUP, user_handler)  # the user's, set after laaos's: never touched
    print("user's SIGHUP, forked child", in_child(dispositions))
    root["x"] = 1
    root.close()
"""


def test_forked_children_get_the_signal_handlers_the_process_had_before_laaos(tmp_path, backend_env):
    """A Pool worker with laaos's Python-level SIGTERM handler may never run it (blocked in
    a semaphore when terminate() sends the signal), and the pool hangs; a forked child
    gets back what the process had before laaos, a user's own handler stays."""
    proc = run(DISPOSITIONS, tmp_path, backend_env)
    assert proc.returncode == 0, proc.stderr
    lines = dict(line.split(" [", 1) for line in proc.stdout.splitlines())
    lines = {k: "[" + v for k, v in lines.items()}
    before = "['default', 'default', \"python's SIGINT\"]"
    assert lines["before laaos"] == before
    assert lines["with a store"] == "[\"laaos's\", \"laaos's\", \"python's SIGINT\"]"
    assert lines["forked child"] == before
    assert lines["child with a store of its own"] == lines["with a store"]
    assert lines["user's SIGHUP, forked child"] == "['default', \"the user's\", \"python's SIGINT\"]"
    assert laaos.safe_load(tmp_path / "run.py")["x"] == 1


def test_a_sigterm_that_reaches_a_forked_child_early_kills_it_and_writes_nothing(tmp_path, backend_env):
    """A SIGTERM can reach a child right after the fork, before laaos gives back the old
    handlers (``Pool.terminate`` right after starting its workers): it must act as the
    default does there, not be lost (a worker that never dies) and never run laaos's
    handler (which would write the parent's buffer a second time)."""
    proc = run("""
        import os, signal
        # an at-fork hook that runs before laaos's (registered first): the signal lands
        # while laaos's handler is still the inherited one
        os.register_at_fork(after_in_child=lambda: os.kill(os.getpid(), signal.SIGTERM))
        import laaos
        root = laaos.open_file_store("run", "", prefix="./", durability="buffered", flush_interval=1000)
        root["xs"] = [1, 2, 3]
        pid = os.fork()
        if pid == 0:
            import time
            time.sleep(5)
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        print(os.WIFSIGNALED(status) and os.WTERMSIG(status))
        root.close()
    """, tmp_path, backend_env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [str(int(signal.SIGTERM))], proc.stdout + proc.stderr
    text = (tmp_path / "run.py").read_text()
    assert text.count("store['xs']=[1, 2, 3]") == 1, text


POOLS = """
    import multiprocessing, sys
    import laaos

    if __name__ == "__main__":
        ctx = multiprocessing.get_context("fork")
        root = laaos.open_file_store("run", "", prefix="./", durability="buffered",
                                     flush_interval=1000, initial_data={"xs": []})
        for r in range(int(sys.argv[1])):
            with ctx.Pool(2) as pool:
                got = pool.map(abs, range(-4, 0))
            root["xs"].append([r, sum(got)])
            print(r, flush=True)
        root.close()
"""


@pytest.mark.slow
def test_pools_beside_a_buffered_store_never_hang(tmp_path, backend_env):
    """30 ``Pool(2)`` map-and-exit rounds over a buffered store, with two CPU-bound
    processes beside them (which made a worker miss SIGTERM now and then): none hangs,
    and the log holds every value."""
    rounds = 30
    (tmp_path / "pools.py").write_text(textwrap.dedent(POOLS))
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    # (a session of its own: a hung run's workers are killed with it)
    proc = subprocess.Popen([sys.executable, "pools.py", str(rounds)], cwd=tmp_path, env=backend_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"a Pool hung after round {out.split()[-1:]}")
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
    assert proc.returncode == 0, err
    assert laaos.safe_load(tmp_path / "run.py") == {"xs": [[r, 10] for r in range(rounds)]}


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
