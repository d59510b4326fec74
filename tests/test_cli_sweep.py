"""``laaos check|recover|compact`` over a sweep: many logs in one call, named on the command
line, read from standard input or found in folders; and what those FILE arguments stand
for (``laaos.cli.logfiles``)."""

import contextlib
import io
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest

import laaos
from laaos.cli import main
from laaos.cli.failures import CommandError
from laaos.cli.logfiles import log_paths

from helpers import as_nobody

TORN, BAD, EMPTY = 17, 101, 250  # the damaged members of the sweep
STATEMENTS, LINES = 48, 50  # of each log that write_sweep writes


def write_sweep(folder, n):
    """``n`` runs' logs, ``seed000.py`` ... (one written by laaos, the rest its copies with
    a seed of their own); return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    root = laaos.open_file_store("base", "", prefix=f"{folder}/", provenance=False,
                                 initial_data={"cfg": {"lr": 1e-3, "seed": 0}})
    root["loss"] = []
    root["eval"] = []
    for step in range(40):
        root["loss"].append(1 / (step + 1))
        if step % 10 == 0:
            root["eval"].append({"step": step, "acc": step / 40})
    root.close()
    base = folder / "base.py"
    data = base.read_bytes()
    base.unlink()
    paths = []
    for i in range(n):
        path = folder / f"seed{i:03d}.py"
        path.write_bytes(data + b"store['cfg']['seed'] = %d\n" % i)
        paths.append(str(path))
    result = laaos.load(paths[0])
    assert (result.statements, result.lines) == (STATEMENTS, LINES)
    return paths


@pytest.fixture
def sweep(tmp_path):
    """300 logs, three of them damaged: a torn tail, a bad statement in the middle, an
    empty file."""
    paths = write_sweep(tmp_path / "sweep", 300)
    with open(paths[TORN], "ab") as f:
        f.write(b"store['loss'].append(0.")
    lines = open(paths[BAD], "rb").read().splitlines(keepends=True)
    lines.insert(20, b"store['loss'].append(1 +* 2)\n")
    with open(paths[BAD], "wb") as f:
        f.writelines(lines)
    open(paths[EMPTY], "wb").close()
    return paths


def cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def snapshot(folder):
    """Every file under ``folder``: its bytes and modification time."""
    found = {}
    for root, _, files in os.walk(folder):
        for f in files:
            path = os.path.join(root, f)
            found[path] = (open(path, "rb").read(), os.stat(path).st_mtime_ns)
    return found


# ---- check ---------------------------------------------------------------------------------


def test_check_of_a_sweep_names_exactly_the_damaged_logs(sweep, capsys):
    code, out, err = cli(capsys, "check", *sweep)
    assert code == 1 and err == ""
    lines = out.splitlines()
    assert lines[-1] == "300 logs: 297 OK, 1 torn, 1 damaged, 1 empty"
    named = [line for line in lines if line.startswith(os.path.dirname(sweep[0]))]
    assert named == [
        f"{sweep[TORN]}:{LINES + 1}: TORN: the last 23 bytes are an incomplete last statement",
        f"{sweep[BAD]}:21: DAMAGED: operator '*' is not allowed",
        f"{sweep[EMPTY]}: EMPTY: no `store = ...` statement yet",
    ]
    assert "laaos recover FILE..." in out  # what to do about the torn and damaged ones


def test_check_of_the_sweep_as_a_process_takes_at_most_3x_load_many_plus_1_s(sweep, tmp_path, backend_env):
    # CPU time (user + system), which the other work of a shared machine disturbs far
    # less than wall time; the figures in wall time are in BENCHMARKS.md
    sound = [p for i, p in enumerate(sweep) if i not in (TORN, BAD, EMPTY)]
    start = time.process_time()
    loaded = laaos.load_many(sound, processes=1)
    load_many = time.process_time() - start
    assert len(loaded) == 297
    proc = subprocess.Popen([sys.executable, "-m", "laaos", "check", "--quiet", os.path.dirname(sweep[0])],
                            stdout=subprocess.PIPE, env=backend_env, cwd=tmp_path)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert (proc.returncode, out) == (1, b"300 logs: 297 OK, 1 torn, 1 damaged, 1 empty\n")
    check = usage.ru_utime + usage.ru_stime
    assert check <= 3 * load_many + 1, (check, load_many)


def test_check_quiet_prints_the_summary_and_a_sound_sweep_exits_0(sweep, capsys):
    code, out, _ = cli(capsys, "check", "--quiet", *sweep)
    assert (code, out) == (1, "300 logs: 297 OK, 1 torn, 1 damaged, 1 empty\n")
    sound = [p for i, p in enumerate(sweep) if i not in (TORN, BAD, EMPTY)]
    code, out, _ = cli(capsys, "check", *sound)
    assert (code, out) == (0, "297 logs: 297 OK, 0 torn, 0 damaged, 0 empty\n")
    code, out, _ = cli(capsys, "check", "-q", sound[0])  # one log, the summary alone
    assert (code, out) == (0, "1 log: 1 OK, 0 torn, 0 damaged, 0 empty\n")


def test_check_json_gives_each_log_and_the_summary(sweep, capsys):
    code, out, _ = cli(capsys, "check", "--json", *sweep)
    assert code == 1
    data = json.loads(out)
    assert data["summary"] == {"logs": 300, "ok": 297, "torn": 1, "damaged": 1, "empty": 1, "unreadable": 0,
                               "not_a_log": 0, "need_symbols": 0}
    logs = data["logs"]
    assert [log["path"] for log in logs] == sweep
    assert [i for i, log in enumerate(logs) if log["status"] != "ok"] == [TORN, BAD, EMPTY]
    assert logs[TORN]["status"] == "torn"
    assert (logs[TORN]["torn_line"], logs[TORN]["torn_bytes"]) == (LINES + 1, 23)
    assert logs[BAD]["damaged"] == [{"line": 21, "why": "operator '*' is not allowed"}]
    assert logs[0]["statements"] == STATEMENTS and logs[0]["bytes"] == os.path.getsize(sweep[0])
    code, out, _ = cli(capsys, "check", "--json", sweep[0])  # one log: JSON too
    assert code == 0 and json.loads(out)["logs"][0]["status"] == "ok"


def test_check_in_worker_processes_says_the_same(sweep, capsys):
    serial = cli(capsys, "check", "--jobs", "1", *sweep)
    assert cli(capsys, "check", "--jobs", "2", *sweep) == serial
    assert json.loads(cli(capsys, "check", "--jobs", "2", "--json", *sweep)[1]) == \
        json.loads(cli(capsys, "check", "--json", *sweep)[1])


def test_check_of_one_log_file_keeps_its_detailed_report(sweep, capsys):
    code, out, _ = cli(capsys, "check", sweep[BAD])
    assert code == 1 and "1 statement(s) not well formed, at line(s) 21" in out and f"{sweep[BAD]}:21:" in out
    code, out, _ = cli(capsys, "check", sweep[0])
    assert code == 0 and out.endswith(f"{sweep[0]}: OK\n") and "logs:" not in out


def test_logs_that_cannot_be_read_are_named_while_the_others_go_on(sweep, tmp_path, capsys):
    script = tmp_path / "train.py"
    script.write_text("import torch\n")
    argv = [sweep[0], tmp_path / "typo.py", tmp_path, script, sweep[1]]
    code, out, err = cli(capsys, "check", *argv)
    assert code == 1
    assert out.splitlines() == [
        f"{tmp_path / 'typo.py'}: UNREADABLE: no such log file",
        f"{sweep[TORN]}:{LINES + 1}: TORN: the last 23 bytes are an incomplete last statement",
        f"{sweep[BAD]}:21: DAMAGED: operator '*' is not allowed",
        f"{sweep[EMPTY]}: EMPTY: no `store = ...` statement yet",
        f"{script}: NOT A LAAOS LOG: its first line is 'import torch' (a laaos log begins with `store = ...` or a "
        "`#laaos:` record)",
    ] + [
        "`laaos recover FILE...` repairs the torn and damaged logs (`--dry-run` first shows how)",
        "302 logs: 297 OK, 1 torn, 1 damaged, 1 empty, 1 unreadable, 1 not a laaos log",
    ]
    # (the folder stands for its logs: sweep/ under it; train.py is left out, and said so)
    assert f"{tmp_path} is a directory: 300 laaos logs under it; left out 1 .py file that is not a laaos log: " \
           f"{script} (its first line is 'import torch')" in err
    # a name read from standard input that is a folder is a name, not a folder to search
    code, out, err = cli_stdin(capsys, f"{sweep[0]}\n{tmp_path}\n", "check", "-")
    assert code == 1 and out.splitlines() == [f"{tmp_path}: UNREADABLE: is a directory, not a log file",
                                              "2 logs: 1 OK, 0 torn, 0 damaged, 0 empty, 1 unreadable"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_a_log_without_read_permission_is_named_with_its_reason():
    folder = tempfile.mkdtemp()  # (not under pytest's folders, which only their owner may enter)
    try:
        os.chmod(folder, 0o777)
        paths = write_sweep(pathlib.Path(folder), 3)
        os.chmod(paths[1], 0)
        out_dir = os.path.join(folder, "out")

        def run(*argv):
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(list(argv))
            return code, out.getvalue(), err.getvalue()

        check = as_nobody(lambda: run("check", *paths))  # (as root, every file is readable)
        recover = as_nobody(lambda: run("recover", *paths))
        compact = as_nobody(lambda: run("compact", *paths, "-o", out_dir))
        written = sorted(os.listdir(out_dir))
    finally:
        shutil.rmtree(folder)
    assert check == (1, f"{paths[1]}: UNREADABLE: Permission denied\n3 logs: 2 OK, 0 torn, 0 damaged, 0 empty, "
                        "1 unreadable\n", "")
    code, out, err = recover
    assert code == 1 and "Permission denied" in err and paths[1] in err and "Traceback" not in err
    assert out == "3 logs: 0 repaired, 2 sound (left as they were), 0 empty (nothing to recover), 1 failed\n"
    code, out, err = compact
    assert code == 1 and "Permission denied" in err and paths[1] in err and "Traceback" not in err
    assert out.splitlines()[-1].startswith(f"3 logs: 2 compacted into {out_dir} (") and out.endswith(", 1 failed\n")
    assert written == ["seed000.py", "seed002.py"]


def test_each_log_is_one_line_under_the_worst_of_what_is_wrong(tmp_path, capsys):
    logs = {
        "both": b"store = {}\nstore['a'] = 1 +* 2\nstore['b'] = 2\nstore['c'] = 1 +* 3\nstore['d'] = [1,",
        "first": b"store = {'a': 1 +* 2}\nstore['b'] = 1\n",
        "nul": b"store = {}\nstore['a'] = 1\n\0\0\0\0",
        "tornfirst": b"store = {'a': [1,\n2,",
    }
    for name, data in logs.items():
        (tmp_path / f"{name}.py").write_bytes(data)
    code, out, _ = cli(capsys, "check", tmp_path)
    p = {name: tmp_path / f"{name}.py" for name in logs}
    assert code == 1 and out.splitlines() == [
        f"{p['both']}:2: DAMAGED: operator '*' is not allowed (2 statements not well formed, at lines 2, 4); "
        "and TORN: the last 16 bytes are an incomplete last statement (from line 5)",
        f"{p['first']}:1: DAMAGED: operator '*' is not allowed (2 statements not well formed, at lines 1, 2); "
        "not one statement loads",
        f"{p['nul']}:3: TORN: the last 4 bytes are NUL padding",
        f"{p['tornfirst']}:1: TORN: the last 20 bytes are an incomplete last statement",
        "`laaos recover FILE...` repairs the torn and damaged logs (`--dry-run` first shows how)",
        "4 logs: 0 OK, 2 torn, 2 damaged, 0 empty",
    ]


def test_check_says_which_symbols_a_log_needs_and_takes_them(tmp_path, capsys):
    paths = write_sweep(tmp_path, 3)
    with open(paths[1], "ab") as f:
        f.write(b"store['start'] = datetime.datetime(2026, 1, 2, 3, 4, 5)\n")
    code, out, _ = cli(capsys, "check", *paths)
    assert code == 0  # not damage
    assert out.splitlines() == [
        f"{paths[1]}:{LINES + 1}: NEEDS SYMBOLS: datetime (line {LINES + 1}): not damage; load it with "
        "`--symbol datetime` on the command line (a module by its name, a class as MODULE:NAME), or "
        "exposed_symbols=[...] / extra_mappings={...} in Python",
        "3 logs: 3 OK (1 of them need --symbol), 0 torn, 0 damaged, 0 empty",
    ]
    for jobs in ("1", "2"):  # (a module does not travel to a worker: checked here then)
        code, out, _ = cli(capsys, "check", "--symbol", "datetime", "--jobs", jobs, *paths)
        assert (code, out) == (0, "3 logs: 3 OK, 0 torn, 0 damaged, 0 empty\n")
    with open(paths[2], "ab") as f:  # a name that runs code is damage, never a symbol to pass
        f.write(b"store['x'] = os.system('true')\n")
    code, out, _ = cli(capsys, "check", *paths)
    assert code == 1 and f"{paths[2]}:{LINES + 1}: DAMAGED:" in out and "--symbol os" not in out


# ---- recover -------------------------------------------------------------------------------


def test_recover_dry_run_changes_nothing(sweep, capsys):
    folder = os.path.dirname(sweep[0])
    before = snapshot(folder)
    time.sleep(0.01)  # (a change would show in the times)
    code, out, err = cli(capsys, "recover", "--dry-run", folder)
    assert code == 0
    assert snapshot(folder) == before
    assert out.splitlines() == [
        f"{sweep[TORN]}: would keep {STATEMENTS} statements; would move a torn tail of 23 bytes aside",
        f"{sweep[BAD]}: would keep {STATEMENTS} statements; would move line 21 (operator '*' is not allowed) "
        "aside",
        "300 logs: 2 to repair, 297 sound, 1 empty (nothing to recover); dry run: nothing was changed",
    ]
    assert err == f"laaos recover: {folder} is a directory: 300 laaos logs under it\n"


def test_recover_leaves_every_log_loadable_and_the_sound_ones_as_they_were(sweep, capsys):
    folder = os.path.dirname(sweep[0])
    before = snapshot(folder)
    time.sleep(0.01)
    code, out, _ = cli(capsys, "recover", *sweep)
    assert code == 0
    after = snapshot(folder)
    sidecars = sorted(set(after) - set(before))
    assert [os.path.basename(p).split(".rejected_")[0] for p in sidecars] == ["seed017.py", "seed101.py"]
    assert open(sidecars[0], "rb").read() == b"store['loss'].append(0."
    assert open(sidecars[1], "rb").read() == b"store['loss'].append(1 +* 2)\n"
    lines = out.splitlines()
    assert lines[0] == f"{sweep[TORN]}: kept {STATEMENTS} statements; moved a torn tail of 23 bytes to " \
                       f"{sidecars[0]}"
    assert lines[1] == f"{sweep[BAD]}: kept {STATEMENTS} statements; moved line 21 (operator '*' is not " \
                       f"allowed) to {sidecars[1]}"
    assert lines[2:] == ["300 logs: 2 repaired, 297 sound (left as they were), 1 empty (nothing to recover)"]
    for i, path in enumerate(sweep):
        if i in (TORN, BAD):
            assert laaos.load(path).store["cfg"]["seed"] == i
        else:  # byte for byte, not even rewritten
            assert after[path] == before[path]
    assert after[sweep[EMPTY]][0] == b""  # nothing to keep: an empty log stays empty
    assert cli(capsys, "check", "-q", folder)[1] == "300 logs: 299 OK, 0 torn, 0 damaged, 1 empty\n"


def test_recover_names_a_log_it_cannot_repair_and_repairs_the_others(sweep, tmp_path, capsys):
    hopeless = tmp_path / "hopeless.py"
    hopeless.write_bytes(b"store = {'a': 1 +* 2}\n")  # a log whose first statement is damaged
    code, out, err = cli(capsys, "recover", sweep[TORN], hopeless, tmp_path / "typo.py", sweep[BAD])
    assert code == 1
    assert f"laaos recover: {hopeless}: not one statement of it loads" in err
    assert f"laaos recover: {tmp_path / 'typo.py'}: no such log file" in err
    assert out.splitlines()[-1] == "4 logs: 2 repaired, 0 sound (left as they were), 0 empty (nothing to recover), " \
                                   "2 failed"
    assert hopeless.read_bytes() == b"store = {'a': 1 +* 2}\n"
    assert not laaos.load(sweep[TORN]).dropped_bytes and laaos.load(sweep[BAD]).store["cfg"]["seed"] == BAD


# ---- compact -------------------------------------------------------------------------------


def test_compact_of_50_logs_into_a_folder_keeps_their_values(tmp_path, capsys):
    paths = write_sweep(tmp_path / "sweep", 50)
    before = snapshot(tmp_path / "sweep")
    out_dir = tmp_path / "small"
    code, out, err = cli(capsys, "compact", *paths, "-o", out_dir)
    assert (code, err) == (0, "")
    written = sorted(os.listdir(out_dir))
    assert written == [os.path.basename(p) for p in paths]
    for path in paths:
        small = out_dir / os.path.basename(path)
        assert repr(laaos.load(small).store) == repr(laaos.load(path).store)
        assert small.read_bytes().count(b"\n") == 3  # one statement
    assert snapshot(tmp_path / "sweep") == before  # the sources are only read
    assert out.splitlines()[-1].startswith(f"50 logs: 50 compacted into {out_dir} (")


def test_compact_of_a_folder_keeps_the_layout_below_it(tmp_path, capsys):
    for name in ("a", "b"):
        write_sweep(tmp_path / "runs" / name, 2)  # runs/a/seed000.py, runs/b/seed000.py, ...
    code, out, err = cli(capsys, "compact", tmp_path / "runs", "-o", tmp_path / "small")
    assert code == 0 and "4 logs: 4 compacted" in out
    found = sorted(os.path.relpath(os.path.join(r, f), tmp_path / "small")
                   for r, _, fs in os.walk(tmp_path / "small") for f in fs)
    assert found == [os.path.join(d, f"seed00{i}.py") for d in "ab" for i in range(2)]


def test_compact_of_several_logs_in_place_only_when_told(tmp_path, capsys):
    paths = write_sweep(tmp_path / "sweep", 3)
    before = snapshot(tmp_path)
    values = [repr(laaos.load(p).store) for p in paths]
    for argv in (paths, [tmp_path / "sweep"]):  # bad usage: exit status 2, with the usage line
        with pytest.raises(SystemExit) as e:
            cli(capsys, "compact", *argv)
        err = capsys.readouterr().err
        assert e.value.code == 2 and err.startswith("usage: laaos compact ")
        assert "laaos compact: error: " in err and "needs -o DIR (a folder to write them to) or --in-place" in err
    code, _, err = cli(capsys, "compact", tmp_path / "sweep", "-o", tmp_path / "sweep")
    assert code == 1 and "over itself" in err and "--in-place" in err
    assert snapshot(tmp_path) == before  # refused: nothing written
    code, out, _ = cli(capsys, "compact", "--in-place", *paths)
    assert code == 0 and out.splitlines()[-1].startswith("3 logs: 3 compacted in place (")
    assert [repr(laaos.load(p).store) for p in paths] == values
    assert all(open(p, "rb").read().count(b"\n") == 3 for p in paths)


def test_compact_into_a_folder_never_writes_over_another_of_the_logs(tmp_path, capsys):
    top = write_sweep(tmp_path / "sweep", 1)[0]  # sweep/seed000.py
    below = write_sweep(tmp_path / "sweep" / "out", 1)[0]  # sweep/out/seed000.py
    before = snapshot(tmp_path)
    code, _, err = cli(capsys, "compact", top, below, "-o", tmp_path / "sweep" / "out")
    assert code == 1 and f"would write {top} over {below}, another of the logs" in err
    assert snapshot(tmp_path) == before


def test_compact_of_one_log_reads_o_as_a_file_or_as_a_folder(tmp_path, capsys):
    path = write_sweep(tmp_path / "sweep", 1)[0]
    value = repr(laaos.load(path).store)
    assert cli(capsys, "compact", path, "-o", tmp_path / "one.py")[0] == 0  # a file, as ever
    (tmp_path / "there").mkdir()
    assert cli(capsys, "compact", path, "-o", tmp_path / "there")[0] == 0  # an existing folder
    assert cli(capsys, "compact", path, "-o", f"{tmp_path / 'new'}{os.sep}")[0] == 0  # `name/`
    for out in (tmp_path / "one.py", tmp_path / "there" / "seed000.py", tmp_path / "new" / "seed000.py"):
        assert repr(laaos.load(out).store) == value
    code, _, err = cli(capsys, "compact", path, "-o", tmp_path / "sweep")  # its own folder
    assert code == 1 and f"would write {path} over itself" in err


def test_compact_names_a_log_that_fails_and_writes_the_others(sweep, tmp_path, capsys):
    out_dir = tmp_path / "small"
    code, out, err = cli(capsys, "compact", sweep[TORN - 1], sweep[TORN], sweep[BAD], sweep[EMPTY], "-o", out_dir)
    assert code == 1
    assert f"laaos compact: {sweep[BAD]}:21" in err and len(err.splitlines()) == 1
    assert sorted(os.listdir(out_dir))[:2] == ["seed016.py", "seed017.py"]
    assert "seed017.py.torn_" in " ".join(os.listdir(out_dir))  # the torn tail is kept, as for one log
    # an empty log has no store to write: nothing to do, as for recover (not a failure)
    assert f"{sweep[EMPTY]}: empty: nothing to compact (no `store = ...` statement yet)\n" in out
    assert out.splitlines()[-1].startswith("4 logs: 2 compacted into")
    assert out.endswith(", 1 empty (not written), 1 failed\n")


# ---- what FILE... stands for -----------------------------------------------------------


def cli_stdin(capsys, text, *argv):
    old = sys.stdin
    sys.stdin = io.StringIO(text)
    try:
        return cli(capsys, *argv)
    finally:
        sys.stdin = old


def test_names_read_from_standard_input(sweep, capsys):
    code, out, _ = cli_stdin(capsys, "".join(p + "\n" for p in sweep[:20]) + "\n", "check", "-")
    assert (code, out.splitlines()[-1]) == (1, "20 logs: 19 OK, 1 torn, 0 damaged, 0 empty")
    code, out, _ = cli_stdin(capsys, f"{sweep[0]}\r\n{sweep[0]}\n", "check", "-", sweep[1])  # once each
    assert (code, out) == (0, "2 logs: 2 OK, 0 torn, 0 damaged, 0 empty\n")


def test_standard_input_that_names_no_log_is_an_error(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for text in ("", "\n\n"):  # (a `find` that matched nothing)
        for argv in (["check", "-"], ["check", "--quiet", "-"], ["compact", "-", "-o", "out/"],
                     ["compact", "-", "--in-place"], ["recover", "-"], ["compare", "-"]):
            code, out, err = cli_stdin(capsys, text, *argv)
            assert (code, out) == (1, ""), argv
            assert err == f"laaos {argv[0]}: -: standard input named no log file (one name a line)\n", argv
    assert os.listdir(tmp_path) == []


def test_a_folder_stands_for_the_logs_under_it(tmp_path):
    runs = tmp_path / "runs"
    write_sweep(runs / "a", 2)
    write_sweep(runs / ".hidden", 1)
    write_sweep(runs / "__pycache__", 1)
    (runs / "train.py").write_text("import laaos\n")
    (runs / "__init__.py").write_text("")
    (runs / "new.py").write_text("")  # a log nothing was written to yet
    (runs / "notes.txt").write_text("store = {}\n")
    left_out = []
    found = log_paths([str(runs)], left_out=left_out)
    assert found == [str(runs / "new.py"), str(runs / "a" / "seed000.py"), str(runs / "a" / "seed001.py")]
    assert left_out == [(str(runs / "__init__.py"), "an empty __init__.py marks a package"),
                        (str(runs / "train.py"), "its first line is 'import laaos'")]
    (tmp_path / "nothing").mkdir()
    with pytest.raises(CommandError, match="no laaos log in this folder"):
        log_paths([str(tmp_path / "nothing")])


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_in_a_folder_is_left_out_unopened(tmp_path, backend_env):
    # (opened, a pipe without a writer would hold the command forever: a child process, with a timeout)
    write_sweep(tmp_path / "runs", 2)
    os.mkfifo(tmp_path / "runs" / "fifo.py")
    for argv in (["check", "runs"], ["compare", "runs"], ["compact", "runs", "-o", "small"]):
        proc = subprocess.run([sys.executable, "-m", "laaos", *argv], capture_output=True, text=True,
                              env=backend_env, cwd=tmp_path, timeout=60)
        assert proc.returncode == 0, (argv, proc.stderr)
        if argv[0] != "compare":
            assert "left out 1 .py file that is not a laaos log: " \
                   f"{os.path.join('runs', 'fifo.py')} (not a regular file)" in proc.stderr, argv
    assert log_paths([str(tmp_path / "runs")], left_out=[]) == [
        str(tmp_path / "runs" / "seed000.py"), str(tmp_path / "runs" / "seed001.py")]


def test_patterns_and_names_given_twice(tmp_path, monkeypatch):
    paths = write_sweep(tmp_path / "sweep", 3)
    monkeypatch.chdir(tmp_path)
    assert log_paths(["sweep/seed00[12].py"]) == [os.path.join("sweep", "seed001.py"),
                                                  os.path.join("sweep", "seed002.py")]
    assert log_paths(["sweep/seed000.py", "./sweep/seed000.py", paths[1]]) == ["sweep/seed000.py", paths[1]]
    with pytest.raises(CommandError, match=r"no file matches 'swep/\*.py'"):
        log_paths(["swep/*.py"])


def test_non_ascii_names_through_arguments_folders_and_standard_input(tmp_path, backend_env):
    folder = tmp_path / "s\xe9ance \u4e2d"
    paths = write_sweep(folder, 3)
    torn = folder / "caf\xe9 \u4e2d.py"
    shutil.copy(paths[0], torn)
    with open(torn, "ab") as f:
        f.write(b"store['loss'].append(0.")
    env = dict(backend_env, PYTHONUTF8="1")
    line = f"{torn}:{LINES + 1}: TORN: the last 23 bytes are an incomplete last statement"
    names = [*paths, str(torn)]
    for argv, stdin in (([str(folder)], None), (names, None), (["-"], "\n".join(names))):
        proc = subprocess.run([sys.executable, "-m", "laaos", "check", *argv], input=stdin, capture_output=True,
                              text=True, encoding="utf-8", env=env, cwd=tmp_path, timeout=120)
        assert proc.returncode == 1, proc.stderr
        assert proc.stdout.splitlines()[0] == line
        assert proc.stdout.splitlines()[-1] == "4 logs: 3 OK, 1 torn, 0 damaged, 0 empty"
    proc = subprocess.run([sys.executable, "-m", "laaos", "check", "--json", str(folder)], capture_output=True,
                          env=env, cwd=tmp_path, timeout=120)
    assert [log["path"] for log in json.loads(proc.stdout)["logs"]][0] == str(torn)


def test_usage_errors_exit_2(sweep, capsys):
    for argv in (["check"], ["check", "--json", "--quiet", sweep[0]], ["check", "--jobs", "0", sweep[0]],
                 ["compact", sweep[0], sweep[1], "-o", "x", "--in-place"], ["recover"]):
        with pytest.raises(SystemExit) as e:
            main(argv)
        assert e.value.code == 2, argv
    capsys.readouterr()


def test_a_required_extension_that_does_not_import_is_one_line(tmp_path):
    # laaos without its compiled extension, as an install without a compiler leaves it
    shutil.copytree(os.path.dirname(laaos.__file__), tmp_path / "lib" / "laaos",
                    ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__"))
    log = write_sweep(tmp_path / "sweep", 2)[0]
    blocker = tmp_path / "block"  # and without matplotlib: plot says so before it loads a log
    blocker.mkdir()
    (blocker / "matplotlib.py").write_text("raise ImportError('no matplotlib here')\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAAOS_")}
    env.update(PYTHONPATH=f"{tmp_path / 'lib'}{os.pathsep}{blocker}", LAAOS_REQUIRE_EXTENSIONS="1")
    for argv in (["check", log], ["check", str(tmp_path / "sweep")], ["show", log], ["plot", log, "loss", "-o", "p.png"]):
        proc = subprocess.run([sys.executable, "-m", "laaos", *argv], capture_output=True, text=True, env=env,
                              cwd=tmp_path, timeout=60)
        assert (proc.returncode, proc.stdout) == (1, ""), argv
        lines = proc.stderr.splitlines()
        if argv[0] == "plot":
            assert lines[-1].startswith("laaos plot: laaos plot needs matplotlib: pip install matplotlib")
            continue
        assert len(lines) == 1 + (argv[1] != log), proc.stderr  # (a folder's count of logs, then the error)
        assert lines[-1].startswith(f"laaos {argv[0]}: LAAOS_REQUIRE_EXTENSIONS=1 but the laaos._speedups "
                                    "extension did not import (cannot import name '_speedups'"), proc.stderr
        assert lines[-1].endswith("); reinstall laaos with a C++ compiler and Cython available")


# ---- Ctrl-C ----------------------------------------------------------------------------------


def _holding(pid, path):
    """Whether the process ``pid`` or one of its children has the file at ``path`` open."""
    pids = [pid]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        pids.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    for p in pids:
        try:
            fds = os.listdir(f"/proc/{p}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{p}/fd/{fd}") == path:
                    return True
            except OSError:
                pass
    return False


@pytest.fixture(scope="module")
def slow_sweep(tmp_path_factory):
    """A sweep with a log in the middle that takes a second or more to check."""
    folder = tmp_path_factory.mktemp("slow")
    paths = write_sweep(folder, 6)
    with open(paths[3], "ab") as f:
        for block in range(20):
            numbers = range(block * 100_000, (block + 1) * 100_000)
            f.write(b"".join(b"store['loss'].append(%d.5)\n" % i for i in numbers))
    return paths


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to see the log opened")
@pytest.mark.parametrize("argv", [["check"], ["check", "--jobs", "2"], ["recover"], ["recover", "--dry-run"],
                                  ["compact", "-o", "{out}"]], ids=" ".join)
def test_ctrl_c_stops_a_sweep_with_one_line_and_status_130(slow_sweep, tmp_path, backend_env, argv):
    before = snapshot(os.path.dirname(slow_sweep[0]))
    argv = [a.format(out=tmp_path / "out") for a in argv]
    # (a child of a background job inherits SIGINT ignored, and Python then leaves it so;
    # in a group of its own, it gets Ctrl-C as from a terminal: with its workers)
    proc = subprocess.Popen([sys.executable, "-m", "laaos", *argv, *slow_sweep], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=backend_env, cwd=tmp_path, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 60
        while not _holding(proc.pid, slow_sweep[3]):  # at the slow log: the earlier ones are done
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.005)
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:  # (a hung child and its workers)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode == 130, err
    assert err.decode() == f"laaos {argv[0]}: interrupted\n"
    assert snapshot(os.path.dirname(slow_sweep[0])) == before  # no log changed, no file left
    if argv[0] == "compact":  # the logs before it were written, whole
        assert sorted(os.listdir(tmp_path / "out")) == ["seed000.py", "seed001.py", "seed002.py"]


def test_a_file_name_with_a_newline_cannot_fake_a_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    paths = write_sweep(tmp_path / "runs", 2)
    evil = "runs/torn\nseed000.py: OK\nz.py"  # its lines, printed raw, would say another log is OK
    shutil.copy(paths[0], evil)
    with open(evil, "ab") as f:
        f.write(b"store['loss'].append(0.")
    open("runs/empty\nfake.py", "wb").close()
    shown = "runs/torn\\nseed000.py: OK\\nz.py"
    code, out, _ = cli(capsys, "check", "runs")
    assert code == 1 and out.splitlines()[:2] == [
        "runs/empty\\nfake.py: EMPTY: no `store = ...` statement yet",
        f"{shown}:{LINES + 1}: TORN: the last 23 bytes are an incomplete last statement"]
    code, out, _ = cli(capsys, "check", evil)
    assert code == 1 and out.splitlines()[0].startswith(f"{shown}: {STATEMENTS} statements, ")
    assert all(line.startswith((shown, "  ")) for line in out.splitlines())
    faked = ("seed000.py", "z.py", "fake.py")  # (lines a raw name would start)
    code, out, _ = cli(capsys, "compact", "runs", "-o", "small")
    assert code == 0 and "runs/empty\\nfake.py: empty: nothing to compact" in out
    assert f"kept in small/{shown[5:]}.torn_" in out and not any(line.startswith(faked) for line in out.splitlines())
    code, out, _ = cli(capsys, "recover", "--dry-run", "runs")
    assert code == 0 and out.splitlines()[0].startswith(f"{shown}: would keep {STATEMENTS} statements; ")
    assert not any(line.startswith(faked) for line in out.splitlines())
    code, out, _ = cli(capsys, "recover", "--dry-run", evil)
    assert out.splitlines()[0] == f"{shown}: would keep {STATEMENTS} statements"
    code, out, err = cli(capsys, "check", "no\nsuch.py", paths[0])
    assert code == 1 and out.splitlines()[0] == "no\\nsuch.py: UNREADABLE: no such log file"
    code, out, err = cli(capsys, "recover", "no\nsuch.py")  # an error names it on one line
    assert code == 1 and err == "laaos recover: no\\nsuch.py: no such log file\n"
