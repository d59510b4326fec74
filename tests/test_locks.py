"""Who may open a log: a store of this process gives way to a new open of its log (a
notebook cell run again); another process, or a rewrite in progress, is refused, and the
error names who holds the log."""

import os
import subprocess
import sys

import pytest

import laaos
from laaos import _fileops


@pytest.mark.parametrize("durability", ["buffered", "flush"])
def test_reopening_a_log_this_process_holds_takes_it_over_with_all_the_older_store_wrote(tmp_path, durability):
    """A notebook cell run again: the older store is still bound (or kept in ``Out[]``)."""
    older = laaos.open_file_store("run", "", prefix=f"{tmp_path}/", durability=durability, buffer_size=1 << 20)
    older["losses"] = [0.5]
    older["losses"].append(0.25)  # (buffered: still in memory)
    with pytest.warns(laaos.LogReopenedWarning, match=r"run\.py was open in this process.*closed"):
        newer = laaos.open_file_store("run", "", prefix=f"{tmp_path}/", durability=durability)
    assert newer == {"losses": [0.5, 0.25]}
    newer["losses"].append(0.125)
    with pytest.raises(laaos.StoreClosedError):
        older["losses"].append(1.0)  # the older store gave way: nothing of it mixes in
    newer.close()
    assert laaos.safe_load(tmp_path / "run.py") == {"losses": [0.5, 0.25, 0.125]}
    assert len(laaos.load(tmp_path / "run.py").sessions) == 2


def test_a_log_this_process_is_compacting_is_not_taken_over(tmp_path, monkeypatch):
    root = laaos.open_file_store("run", "", prefix=f"{tmp_path}/")
    root["a"] = 1
    root.close()
    seen = []

    def open_during_compact(*args, **kwargs):  # the log is locked by compact now
        with pytest.raises(laaos.StoreLockedError, match=rf"this process \(pid {os.getpid()}\), in a compact"):
            laaos.open_file_store("run", "", prefix=f"{tmp_path}/")
        seen.append(True)
        return real(*args, **kwargs)

    from laaos import files

    real = files.replace_synced
    monkeypatch.setattr(files, "replace_synced", open_during_compact)
    laaos.compact(tmp_path / "run.py", tmp_path / "run.py")
    assert seen and laaos.safe_load(tmp_path / "run.py") == {"a": 1}


WRITER = """
import sys, laaos
root = laaos.open_file_store("run", "", prefix=sys.argv[1])
root["a"] = 1
print("ready", flush=True)
sys.stdin.readline()
"""


def test_where_the_system_does_not_name_the_holder_its_last_session_record_does(tmp_path, monkeypatch, backend_env):
    monkeypatch.setattr(_fileops, "_flock_holder", lambda key: None)  # no /proc/locks (macOS, BSD)
    child = subprocess.Popen([sys.executable, "-c", WRITER, f"{tmp_path}/"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, env=backend_env, text=True, cwd=tmp_path)
    try:
        assert child.stdout.readline() == "ready\n"
        with pytest.raises(laaos.StoreLockedError,
                           match=rf"another process \(the log's last session record: pid {child.pid} on "):
            laaos.open_file_store("run", "", prefix=f"{tmp_path}/")
    finally:
        child.kill()
        child.wait()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX")
def test_a_forked_child_never_takes_over_its_parents_log(tmp_path):
    root = laaos.open_file_store("run", "", prefix=f"{tmp_path}/", durability="buffered")
    root["a"] = 1
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its inherited store belongs to the parent
        try:
            laaos.open_file_store("run", "", prefix=f"{tmp_path}/")
            os.write(write, b"opened")
        except laaos.StoreLockedError as e:
            os.write(write, str(e).encode())
        finally:
            os._exit(0)
    os.close(write)
    message = os.read(read, 4096).decode()
    os.waitpid(pid, 0)
    os.close(read)
    assert f"process {os.getpid()} " in message
    root["b"] = 2  # the parent's store is still open, its buffer still its own
    root.close()
    assert laaos.safe_load(tmp_path / "run.py") == {"a": 1, "b": 2}


def test_an_open_that_races_a_rewrite_writes_to_the_new_log(tmp_path, monkeypatch):
    path = tmp_path / "run.py"
    path.write_text("store = {}\nstore['a']=1\n")
    real, replaced = _fileops.lock, []

    def lock_just_after_a_compact_renamed_a_new_log_into_place(fd):
        if not replaced:
            (tmp_path / "new.py").write_text("store = {'a': 1, 'b': 2}\n")
            os.replace(tmp_path / "new.py", path)
            replaced.append(True)
        real(fd)

    monkeypatch.setattr(_fileops, "lock", lock_just_after_a_compact_renamed_a_new_log_into_place)
    root = laaos.open_file_store("run", "", prefix=f"{tmp_path}/", provenance=False)
    assert root == {"a": 1, "b": 2}
    root["c"] = 3
    root.close()
    assert laaos.safe_load(path) == {"a": 1, "b": 2, "c": 3}


def test_the_older_store_gives_way_whatever_name_or_opener_reaches_the_log(tmp_path):
    older = laaos.open_file_store("run", "", prefix=f"{tmp_path}/", durability="buffered")
    older["a"] = 1
    (tmp_path / "latest.py").symlink_to(tmp_path / "run.py")
    with pytest.warns(laaos.LogReopenedWarning, match=r"latest\.py was open in this process"):
        newer = laaos.create_file_store("latest", "", ".py", f"{tmp_path}/", False, {"b": 2})
    newer.close()
    assert older.laaos_store.closed
    assert (tmp_path / "run.py").read_text().endswith("store['a']=1\nstore = (\n{'b': 2}\n)\n")
