"""File stores: locking, reopening with repair, durability, compact, create_file_store."""

import enum
import gc
import io
import os
import subprocess
import sys
import textwrap
import warnings

import pytest

import laaos
import laaos.files
from laaos.proxies import StoreAccessible


def test_open_file_store_writes_and_reopens(tmp_path):
    prefix = f"{tmp_path}/"
    root = laaos.open_file_store("run", "", prefix=prefix, initial_data={"cfg": {"lr": 0.1}})
    root["losses"] = []
    root["losses"].append(0.5)
    root.close()
    root = laaos.open_file_store("run", "", prefix=prefix, initial_data={"cfg": {"lr": 0.9}})
    assert root["cfg"] == {"lr": 0.1}  # the existing store wins over initial_data
    root["losses"].append(0.25)
    root.close()
    assert laaos.safe_load(tmp_path / "run.py") == {"cfg": {"lr": 0.1}, "losses": [0.5, 0.25]}
    assert (tmp_path / "run.py").read_text().count("store = ") == 1


def test_truncate_starts_afresh(tmp_path):
    root = laaos.open_file_store("run", "", prefix=f"{tmp_path}/")
    root["a"] = 1
    root.close()
    root = laaos.open_file_store("run", "", prefix=f"{tmp_path}/", truncate=True, provenance=False)
    root.close()
    assert (tmp_path / "run.py").read_text() == "store = {}\n"


def test_default_suffix_is_a_time_id(tmp_path):
    root = laaos.open_file_store("run", prefix=f"{tmp_path}/sub/")
    root.close()
    (name,) = os.listdir(tmp_path / "sub")
    assert name.startswith("run_20") and name.endswith(".py")
    assert root.uri == f"{tmp_path}/sub/{name}"


def test_second_writer_process_is_refused_and_a_killed_writer_never_blocks(tmp_path, backend_env):
    code = textwrap.dedent(
        f"""
        import sys, laaos
        root = laaos.open_file_store("run", "", prefix={str(tmp_path) + '/'!r})
        root["a"] = 1
        print("ready", flush=True)
        sys.stdin.readline()
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=backend_env, text=True,
        cwd=tmp_path,
    )
    try:
        assert child.stdout.readline().strip() == "ready"
        with pytest.raises(laaos.StoreLockedError, match=rf"run\.py is already open .*process {child.pid} "):
            laaos.open_file_store("run", "", prefix=f"{tmp_path}/")
        assert laaos.safe_load(tmp_path / "run.py") == {"a": 1}  # readers need no lock
    finally:
        child.kill()
        child.wait()
    root = laaos.open_file_store("run", "", prefix=f"{tmp_path}/")
    root["b"] = 2
    root.close()
    assert laaos.safe_load(tmp_path / "run.py") == {"a": 1, "b": 2}


def test_reopening_cuts_a_torn_tail_into_a_sidecar(tmp_path):
    path = tmp_path / "run.py"
    path.write_bytes(b"store = {}\nstore['l']=[1]\nstore['l'].append(2")
    with pytest.warns(laaos.TornTailWarning, match="torn"):
        root = laaos.open_file_store("run", "", prefix=f"{tmp_path}/", provenance=False)
    root["l"].append(3)
    root.close()
    assert path.read_text() == "store = {}\nstore['l']=[1]\nstore['l'].append(3)\n"
    (sidecar,) = [p for p in tmp_path.iterdir() if ".torn" in p.name]
    assert sidecar.read_bytes() == b"store['l'].append(2"


def test_reopening_a_log_with_only_a_torn_first_statement_starts_afresh(tmp_path):
    path = tmp_path / "run.py"
    path.write_bytes(b"store = (\n{'a': ")
    with pytest.warns(laaos.TornTailWarning):
        root = laaos.open_file_store("run", "", prefix=f"{tmp_path}/", initial_data={"a": 1})
    root.close()
    assert laaos.safe_load(path) == {"a": 1}


def test_reopening_a_corrupt_log_is_refused_and_changes_nothing(tmp_path):
    path = tmp_path / "run.py"
    data = b"store = {}\nstore['a'].app\nstore['b']=1\n"
    path.write_bytes(data)
    with pytest.raises(laaos.CorruptLogError, match="run.py:2"):
        laaos.open_file_store("run", "", prefix=f"{tmp_path}/")
    assert path.read_bytes() == data
    laaos.open_file_store("run", "", prefix=f"{tmp_path}/", truncate=True).close()  # the lock was released


@pytest.mark.parametrize("durability", ["flush", "fsync", "buffered"])
def test_durability_modes_write_the_same_log(tmp_path, durability):
    root = laaos.open_file_store("run", "", prefix=f"{tmp_path}/", durability=durability)
    root["l"] = []
    for i in range(100):
        root["l"].append(i / 7)
    root.close()
    assert laaos.safe_load(tmp_path / "run.py") == {"l": [i / 7 for i in range(100)]}


def test_buffered_mode_holds_statements_until_flush(tmp_path):
    path = tmp_path / "run.py"
    root = laaos.open_file_store(
        "run", "", prefix=f"{tmp_path}/", durability="buffered", flush_interval=3600, provenance=False
    )
    root["a"] = 1
    assert path.read_bytes() == b""
    root.flush()
    assert laaos.safe_load(path) == {"a": 1}
    root["b"] = 2
    root.close()
    assert laaos.safe_load(path) == {"a": 1, "b": 2}


def test_buffered_mode_writes_at_interpreter_exit(tmp_path, backend_env):
    code = (
        "import laaos\n"
        f"root = laaos.open_file_store('run', '', prefix={str(tmp_path) + '/'!r}, durability='buffered',"
        " flush_interval=3600)\n"
        "root['a'] = [1, 2]\n"
        "raise SystemExit(3)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], env=backend_env, cwd=tmp_path)
    assert proc.returncode == 3
    assert laaos.safe_load(tmp_path / "run.py") == {"a": [1, 2]}


def test_bad_durability_is_refused(tmp_path):
    with pytest.raises(ValueError, match="durability"):
        laaos.open_file_store("run", "", prefix=f"{tmp_path}/", durability="sometimes")
    laaos.open_file_store("run", "", prefix=f"{tmp_path}/").close()  # not left locked


def test_compact(tmp_path):
    root = laaos.open_file_store("run", "", prefix=f"{tmp_path}/", provenance=False)
    root["l"] = []
    for i in range(10):
        root["l"].append(i)
    root["n"] = float("nan")
    del root["l"][0]
    with pytest.raises(laaos.StoreLockedError):
        laaos.compact(tmp_path / "run.py", tmp_path / "small.py")
    root.close()
    laaos.compact(tmp_path / "run.py", tmp_path / "out" / "small.py")
    text = (tmp_path / "out" / "small.py").read_text()
    assert text == "store = (\n{'l': [1, 2, 3, 4, 5, 6, 7, 8, 9], 'n': float('nan')}\n)\n"
    laaos.compact(tmp_path / "run.py", tmp_path / "run.py")  # in place
    assert (tmp_path / "run.py").read_text() == text
    assert not [p for p in tmp_path.iterdir() if ".tmp" in p.name]


class Color(enum.Enum):
    RED = 1


def varied_log(path):
    """A log of every kind of value: scalars of every type, keys that are tuples and
    frozensets, sets, a handled type, a value too deep and a list too long for one
    statement, and the history (deletes, pops, marks) that compaction folds away."""
    root = laaos.open_file_store(path.stem, "", prefix=f"{path.parent}/", provenance=False,
                                 type_handlers=[laaos.WeakEnumHandler()], durability="buffered")
    root["scalars"] = [0, -1, 10**4299, 0.1, -0.0, float("inf"), float("nan"), 1e300, 2 + 3j,
                       True, None, "é\n\x00'\"", b"\x00\xff", ""]
    root["keys"] = {(1, "a"): 1, frozenset({2, 3}): {4, (5, 6)}, -0.0: "z", b"k": None}
    root["color"] = Color.RED
    root["eval"] = []
    for i in range(50):
        root["eval"].append({"step": i, "acc": i / 7, "tags": {"x", "y"}})
    root["eval"].pop(3)
    del root["keys"][b"k"]
    root.mark("half")
    d = root
    for _ in range(120):  # deeper than one statement may nest
        d["n"] = {}
        d = d["n"]
    d["leaf"] = [[[1]], {2}]
    root["long"] = []
    root["long"].extend(i / 3 for i in range(200_000))  # longer than one statement's chunk
    root.close()


def test_compact_writes_what_a_new_store_of_the_loaded_value_writes(tmp_path):
    varied_log(tmp_path / "run.py")
    loaded = laaos.safe_load(tmp_path / "run.py", exposed_symbols=[Color])
    fresh = laaos.Store(io.StringIO(), initial_data=loaded, type_handlers=[laaos.WeakEnumHandler()])
    text = fresh._log.getvalue()
    fresh.close()
    assert text.count("\n") > 10  # (split: too deep and too long for one)

    laaos.compact(tmp_path / "run.py", tmp_path / "small.py", exposed_symbols=[Color],
                  type_handlers=[laaos.WeakEnumHandler()])
    assert (tmp_path / "small.py").read_text(encoding="utf-8") == text
    assert repr(laaos.safe_load(tmp_path / "small.py", exposed_symbols=[Color])) == repr(loaded)  # (NaN)


def test_compact_keeps_the_tuples_and_frozensets_of_a_log(tmp_path):
    # (laaos 2.1.1 wrote tuples where a type handler or its initial data held them; a
    # store of this laaos keeps them as lists, but a rewrite must load to what it read)
    log = tmp_path / "tup.py"
    log.write_text("store = {}\nstore['t']=(1, 2)\nstore['u']=[(3, (4,)), ()]\nstore[(5, 6)]={(7,): (8, [9])}\n"
                   "store['f']=frozenset({1, (2, 3)})\nstore['s']={(1, frozenset({2}))}\n")
    before = laaos.safe_load(log)
    assert before["t"] == (1, 2) and type(before["f"]) is frozenset
    laaos.compact(log, tmp_path / "small.py")
    after = laaos.safe_load(tmp_path / "small.py")
    assert after == before
    assert repr(after) == repr(before)  # the same types all the way down, not only equal values


def test_compact_makes_no_store_and_no_proxy(tmp_path, monkeypatch):
    varied_log(tmp_path / "run.py")
    expected = laaos.files.compacted(laaos.safe_load(tmp_path / "run.py", exposed_symbols=[Color]),
                                     [laaos.WeakEnumHandler()])

    def no_store(*args, **kwargs):
        raise AssertionError("compaction made a Store")

    monkeypatch.setattr(laaos.Store, "__init__", no_store)
    gc.collect()
    proxies = sum(isinstance(x, StoreAccessible) for x in gc.get_objects())
    laaos.compact(tmp_path / "run.py", tmp_path / "run.py", exposed_symbols=[Color],
                  type_handlers=[laaos.WeakEnumHandler()])
    assert sum(isinstance(x, StoreAccessible) for x in gc.get_objects()) == proxies
    assert (tmp_path / "run.py").read_bytes() == expected


def test_create_file_store_keeps_the_older_behaviour(tmp_path):
    root = laaos.create_file_store("run", "", ".py", f"{tmp_path}/", False, {"a": 1})
    root["b"] = 2
    root.close()
    root = laaos.create_file_store("run", "", ".py", f"{tmp_path}/")
    root["c"] = 3
    root.close()
    text = (tmp_path / "run.py").read_text()
    assert text == "store = (\n{'a': 1}\n)\nstore['b']=2\nstore = {}\nstore['c']=3\n"
    assert laaos.safe_load(tmp_path / "run.py") == {"c": 3}


FULL_DISK_CHILD = """
import os, resource, signal, sys, laaos
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
root = laaos.open_file_store("run", "", prefix=sys.argv[1])
root["l"] = [1]
size = os.path.getsize(root.uri)
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (size + 20, hard))  # the "disk" fills up mid-statement
try:
    root["l"].append("x" * 100)
except OSError as e:
    print("refused", e.errno, flush=True)
print("memory", list(root["l"]), flush=True)
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))  # room again
root["l"].append(3)
root.close()
"""


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_a_write_that_fails_part_way_is_cut_back_and_the_log_stays_loadable(tmp_path, backend_env):
    proc = subprocess.run(
        [sys.executable, "-c", FULL_DISK_CHILD, f"{tmp_path}/"],
        env=backend_env, capture_output=True, text=True, check=True, cwd=tmp_path,
    )
    assert proc.stdout.splitlines() == ["refused 27", "memory [1]"]  # EFBIG; memory unchanged
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no torn tail: the partial statement was cut back
        assert laaos.safe_load(tmp_path / "run.py") == {"l": [1, 3]}


def test_a_filesystem_without_locks_warns_and_still_logs(tmp_path, monkeypatch):
    """Lustre without -o flock answers flock with ENOSYS, NFS with nolock with ENOLCK."""
    import errno

    from laaos import _fileops

    def no_locks(fd):
        raise OSError(errno.ENOSYS, "Function not implemented")

    monkeypatch.setattr(_fileops, "lock", no_locks)
    with pytest.warns(laaos.LockUnavailableWarning, match=r"run\.py: this filesystem does not support file locks"):
        root = laaos.open_file_store("run", "", prefix=f"{tmp_path}/")
    root["a"] = 1
    root.close()
    assert laaos.safe_load(tmp_path / "run.py") == {"a": 1}


# ---- bad arguments, names of logs, exposed symbols -----------------------------------------


@pytest.mark.parametrize("kwargs, error", [
    ({"durability": "sync"}, ValueError),
    ({"initial_data": [1, 2]}, TypeError),
    ({"initial_data": {"a": object()}}, laaos.UnsupportedTypeError),
])
def test_a_bad_argument_leaves_no_empty_log_behind(tmp_path, kwargs, error):
    with pytest.raises(error):
        laaos.open_file_store("run", "", prefix=f"{tmp_path}/", **kwargs)
    assert not (tmp_path / "run.py").exists()
    root = laaos.open_file_store("run", "", prefix=f"{tmp_path}/")  # and the name is free
    root["a"] = 1
    root.close()
    if "durability" in kwargs:  # (initial_data is not used for an existing log)
        with pytest.raises(error):  # an existing log is kept as it was
            laaos.open_file_store("run", "", prefix=f"{tmp_path}/", **kwargs)
    assert laaos.safe_load(tmp_path / "run.py") == {"a": 1}


def test_runs_started_in_the_same_second_get_logs_of_their_own(tmp_path, backend_env):
    roots = [laaos.open_file_store("run", prefix=f"{tmp_path}/") for _ in range(3)]
    for root in roots:
        root.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len(files) == 3 and all(f"-{os.getpid()}" in f for f in files), files
    code = "import laaos; laaos.open_file_store('run', prefix='logs/').close()"
    children = [subprocess.Popen([sys.executable, "-c", code], cwd=tmp_path, env=backend_env) for _ in range(4)]
    assert all(c.wait(60) == 0 for c in children)
    assert len(list((tmp_path / "logs").iterdir())) == 4
    assert laaos.generate_time_id().count("-") == 3  # the original's format is kept


def test_exposed_symbols_of_strings_say_what_to_pass(tmp_path):
    (tmp_path / "run.py").write_text("store = {}\n")
    with pytest.raises(TypeError, match=r"exposed_symbols holds 'str', which has no __name__.*extra_mappings"):
        laaos.safe_load(tmp_path / "run.py", exposed_symbols=["str"])


def test_torn_tail_warnings_point_at_the_callers_line(tmp_path):
    (tmp_path / "run.py").write_bytes(b"store = {}\nstore['a'] = 1\nstore['b'] = [")
    for call in (lambda: laaos.safe_load(tmp_path / "run.py"), lambda: laaos.load(tmp_path / "run.py"),
                 lambda: laaos.load_many([tmp_path / "run.py"]),
                 lambda: laaos.open_file_store("run", "", prefix=f"{tmp_path}/").close()):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        torn = [w for w in caught if issubclass(w.category, laaos.TornTailWarning)]
        assert torn and all(w.filename == __file__ for w in torn), [(w.filename, w.lineno) for w in torn]


def test_a_log_named_after_a_submodule_says_how_to_load_it(tmp_path, backend_env):
    (tmp_path / "laaos").mkdir()
    (tmp_path / "laaos" / "torch.py").write_text("store = {'a': 1}\n")
    code = textwrap.dedent("""\
        import laaos
        try:
            from laaos.torch import store
        except ImportError as e:
            print(e)
        print(laaos.safe_load("laaos/torch.py"))
        """)
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=backend_env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "laaos.torch is a module of laaos itself" in out.stdout
    assert "laaos.safe_load('laaos/torch.py')" in out.stdout and "{'a': 1}" in out.stdout
