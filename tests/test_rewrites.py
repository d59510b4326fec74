"""Rewriting a log (``compact``, ``recover``) keeps its path, links, mode and owner, and
never replaces a log that a writer holds; files that are no logs are named for what they are."""

import os
import stat
import subprocess
import sys
import textwrap

import pytest

import laaos
from laaos.cli import main

DAMAGED = b"store = {}\nstore['a']=1\nstore['b']=[1, 2\nstore['c']=3\n"


def healthy_log(path):
    root = laaos.open_file_store(path.stem, "", prefix=f"{path.parent}/", provenance=False)
    root["l"] = []
    for i in range(5):
        root["l"].append(i)
    root.close()
    return path


WRITER = """
import sys, laaos
root = laaos.open_file_store("live", "", prefix=sys.argv[1])
root["l"] = [1]
print("ready", flush=True)
sys.stdin.readline()
root["l"].append(2)
root.close()
print("done", flush=True)
"""


@pytest.fixture
def live_writer(tmp_path, backend_env):
    """A writer process holding ``live.py`` open until told to go on."""
    child = subprocess.Popen([sys.executable, "-c", WRITER, f"{tmp_path}/"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, env=backend_env, text=True, cwd=tmp_path)
    assert child.stdout.readline() == "ready\n"
    yield child, tmp_path / "live.py"
    child.kill()
    child.wait()


def test_compact_refuses_a_destination_that_a_writer_process_holds(live_writer, tmp_path, capsys):
    child, live = live_writer
    old = healthy_log(tmp_path / "old.py")
    before = live.read_bytes()
    with pytest.raises(laaos.StoreLockedError, match=rf"live\.py is already open for writing \(process {child.pid} "):
        laaos.compact(old, live)
    assert main(["compact", str(old), "-o", str(live)]) == 1
    assert f"process {child.pid}" in capsys.readouterr().err
    assert live.read_bytes() == before
    child.stdin.write("go on\n")
    child.stdin.flush()
    assert child.stdout.readline() == "done\n"
    assert laaos.safe_load(live) == {"l": [1, 2]}  # nothing the writer wrote after was lost


def test_compact_refuses_a_destination_that_a_store_of_this_process_holds(tmp_path):
    old = healthy_log(tmp_path / "old.py")
    root = laaos.open_file_store("live", "", prefix=f"{tmp_path}/")
    root["a"] = 1
    with pytest.raises(laaos.StoreLockedError, match=rf"live\.py .*a store of this process \(pid {os.getpid()}\)"):
        laaos.compact(old, tmp_path / "live.py")
    root["b"] = 2
    root.close()
    assert laaos.safe_load(tmp_path / "live.py") == {"a": 1, "b": 2}


def test_compact_holds_the_destination_until_the_new_log_is_in_place(tmp_path, monkeypatch, backend_env):
    old = healthy_log(tmp_path / "old.py")
    dest = healthy_log(tmp_path / "dest.py")
    from laaos import files

    attempts = []
    real = files.replace_synced

    def replace_while_a_writer_tries(path, data):
        code = textwrap.dedent("""
            import sys, laaos
            try:
                laaos.open_file_store("dest", "", prefix=sys.argv[1])
            except laaos.StoreLockedError as e:
                print("refused")
        """)
        out = subprocess.run([sys.executable, "-c", code, f"{tmp_path}/"], env=backend_env, capture_output=True,
                             text=True, check=True, cwd=tmp_path)
        attempts.append(out.stdout)
        real(path, data)

    monkeypatch.setattr(files, "replace_synced", replace_while_a_writer_tries)
    laaos.compact(old, dest)
    assert attempts == ["refused\n"]
    assert laaos.safe_load(dest) == {"l": [0, 1, 2, 3, 4]}


@pytest.mark.parametrize("how", ["compact", "recover", "cli compact", "cli recover"])
def test_a_rewrite_through_a_symlink_rewrites_the_real_log_and_keeps_the_link(tmp_path, how):
    (tmp_path / "real").mkdir()
    (tmp_path / "links").mkdir()
    real = tmp_path / "real" / "run.py"
    real.write_bytes(DAMAGED if "recover" in how else healthy_log(real).read_bytes())
    link = tmp_path / "links" / "run.py"
    link.symlink_to(os.path.relpath(real, link.parent))
    target = os.readlink(link)
    if how == "compact":
        laaos.compact(link, link)
    elif how == "recover":
        laaos.recover(link)
    else:
        assert main([how.split()[1], str(link)]) == 0
    assert link.is_symlink() and os.readlink(link) == target
    expected = {"a": 1, "c": 3} if "recover" in how else {"l": [0, 1, 2, 3, 4]}
    assert laaos.safe_load(real) == expected
    if "compact" in how:
        assert real.read_text().count("\n") == 3  # one statement: the real file was compacted
    leftovers = [p.name for d in ("real", "links") for p in (tmp_path / d).iterdir() if ".tmp" in p.name]
    assert not leftovers


@pytest.mark.parametrize("mode", [0o600, 0o444, 0o640])
@pytest.mark.parametrize("how", ["compact", "recover"])
def test_an_in_place_rewrite_keeps_the_mode(tmp_path, how, mode):
    path = tmp_path / "run.py"
    path.write_bytes(DAMAGED if how == "recover" else healthy_log(path).read_bytes())
    os.chmod(path, mode)
    if how == "compact":
        laaos.compact(path, path)
        assert path.read_text().count("\n") == 3
    else:
        assert laaos.recover(path).changed
    assert stat.S_IMODE(os.stat(path).st_mode) == mode


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="giving a file away needs root")
@pytest.mark.parametrize("how", ["compact", "recover"])
def test_an_in_place_rewrite_keeps_the_owner(tmp_path, how):
    path = tmp_path / "run.py"
    path.write_bytes(DAMAGED if how == "recover" else healthy_log(path).read_bytes())
    os.chown(path, 4321, 4322)
    getattr(laaos, how)(path, path) if how == "compact" else laaos.recover(path)
    st = os.stat(path)
    assert (st.st_uid, st.st_gid) == (4321, 4322)


def test_a_log_that_is_a_symlink_to_dev_null_is_named_for_what_it_is(tmp_path, capsys):
    link = tmp_path / "run.py"
    link.symlink_to(os.devnull)
    for command in ("check", "show", "recover", "compact"):
        assert main([command, str(link)]) == 1
        err = capsys.readouterr().err
        assert f"{link}: is a symlink to /dev/null, a character device, not a log file" in err, err
    with pytest.raises(OSError, match="a character device, not a log file"):
        laaos.recover(link)
    log = healthy_log(tmp_path / "log.py")
    with pytest.raises(OSError, match="a character device, not a log file"):
        laaos.compact(log, link, overwrite=True)
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode) and link.is_symlink()


def test_compact_onto_a_symlink_to_a_log_not_yet_written_writes_it_there(tmp_path):
    old = healthy_log(tmp_path / "old.py")
    (tmp_path / "store").mkdir()
    link = tmp_path / "latest.py"
    link.symlink_to(tmp_path / "store" / "compacted.py")
    laaos.compact(old, link)
    assert link.is_symlink() and laaos.safe_load(tmp_path / "store" / "compacted.py") == {"l": [0, 1, 2, 3, 4]}


def test_a_writer_starting_on_a_new_destination_during_compaction_is_refused(tmp_path, monkeypatch, backend_env):
    old = healthy_log(tmp_path / "old.py")
    from laaos import files

    attempts = []
    real = files.replace_synced

    def replace_while_a_writer_starts(path, data):
        code = "import sys, laaos\ntry:\n    laaos.open_file_store('new', '', prefix=sys.argv[1])\n" \
               "except laaos.StoreLockedError:\n    print('refused')\n"
        out = subprocess.run([sys.executable, "-c", code, f"{tmp_path}/"], env=backend_env, capture_output=True,
                             text=True, check=True, cwd=tmp_path)
        attempts.append(out.stdout)
        real(path, data)

    monkeypatch.setattr(files, "replace_synced", replace_while_a_writer_starts)
    laaos.compact(old, tmp_path / "new.py")
    assert attempts == ["refused\n"]
    assert laaos.safe_load(tmp_path / "new.py") == {"l": [0, 1, 2, 3, 4]}


def test_a_failed_compaction_leaves_no_destination_behind(tmp_path):
    damaged = tmp_path / "damaged.py"
    damaged.write_bytes(DAMAGED)
    (tmp_path / "elsewhere").mkdir()
    link = tmp_path / "link.py"
    link.symlink_to(tmp_path / "elsewhere" / "out.py")
    for destination in (tmp_path / "out.py", link):
        with pytest.raises(laaos.LogError):
            laaos.compact(damaged, destination)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["damaged.py", "elsewhere", "link.py"]
    assert not os.listdir(tmp_path / "elsewhere") and link.is_symlink()
