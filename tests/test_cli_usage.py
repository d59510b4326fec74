"""How the ``laaos`` command is used: the order of its arguments, KEY paths, how keys are
shown, symbols to pass, and Ctrl-C."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from laaos.cli import main


def cli(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as e:
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def keys_log(tmp_path):
    path = tmp_path / "run.py"
    path.write_text("store = {'losses': [1.0, 0.5], 'cfg': {'lr': 0.1}, (1, 'a'): [3.0], (2,): 'two', "
                    "1: 'int', '1': 'str', None: 'none', 'None': 'str none', 'a b': 'space', b'k': 'bytes'}\n")
    return str(path)


# ---- options and KEYs in any order -------------------------------------------------------


@pytest.mark.parametrize("command", ["show", "export"])
def test_a_key_after_an_option_is_taken(keys_log, capsys, tmp_path, command):
    out_file = str(tmp_path / "out.json")
    options = ["-o", out_file] if command == "export" else ["--symbol", "datetime"]
    code, out, err = cli(capsys, command, keys_log, *options, "losses")
    assert code == 0, err
    if command == "export":
        with open(out_file) as f:
            assert json.load(f) == [1.0, 0.5]
    else:
        assert "list[2] of float" in out and "cfg" not in out


def test_an_option_between_two_keys_and_the_file_after_an_option(keys_log, capsys):
    code, out, err = cli(capsys, "export", "--indent", "0", keys_log, "cfg", "--nan", "string", "lr")
    assert code == 0, err
    assert json.loads(out) == 0.1


# ---- tuple keys in the KEY syntax ---------------------------------------------------------


@pytest.mark.parametrize("key, expected", [
    ("[(1, 'a')]", [3.0]),
    ("[(1,'a')][0]", 3.0),
    ("[(2,)]", "two"),
    ("[b'k']", "bytes"),
    ("[None]", "none"),
])
def test_a_bracketed_literal_addresses_a_tuple_bytes_or_none_key(keys_log, capsys, key, expected):
    code, out, err = cli(capsys, "export", keys_log, key)
    assert code == 0, err
    assert json.loads(out) == expected


def test_a_key_that_cannot_be_a_store_key_is_refused_in_one_line(keys_log, capsys):
    code, _, err = cli(capsys, "show", keys_log, "[[1, 2]]")
    assert code == 1 and "[[1, 2]] is not a number or a quoted string (or a tuple of them)" in err
    code, _, err = cli(capsys, "show", keys_log, "[(1, 'b')]")
    assert code == 1 and "no key (1, 'b') here" in err


# ---- show tells distinct keys apart ------------------------------------------------------


def test_show_tells_distinct_keys_apart(keys_log, capsys):
    code, out, err = cli(capsys, "show", keys_log)
    assert code == 0, err
    lines = [line.strip() for line in out.splitlines()]
    assert "losses:  list[2] of float  last 0.5  min 0.5  max 1" in lines  # plain names as they are
    assert "lr:  0.1" in lines
    assert "1:  'int'" in lines and "'1':  'str'" in lines
    assert "None:  'none'" in lines and "'None':  'str none'" in lines
    assert "(1, 'a'):  list[1] of float  last 3  min 3  max 3" in lines
    assert "'a b':  'space'" in lines and "b'k':  'bytes'" in lines
    keys = [line.partition(":  ")[0] for line in lines[1:]]
    assert len(keys) == len(set(keys))


def test_show_names_the_fields_of_a_list_of_dicts_apart(tmp_path, capsys):
    path = tmp_path / "run.py"
    path.write_text("store = {'m': [{'step': 1, 1: 2, '1': 3}]}\n")
    code, out, err = cli(capsys, "show", str(path))
    assert code == 0, err
    assert "list[1] of dict {step, 1, '1'}" in out


# ---- symbols: what the hint says works ---------------------------------------------------


@pytest.fixture
def numpy_log(tmp_path):
    """A log as laaos 2.1.1 wrote numpy scalars: their repr, which numpy 2 writes as np.float64(...)."""
    path = tmp_path / "np.py"
    path.write_text("store = {}\nstore['loss'] = [np.float64(0.5), np.float64(0.25)]\n")
    return str(path)


def test_the_hint_for_a_numpy_log_is_a_flag_that_works(numpy_log, capsys):
    pytest.importorskip("numpy")
    code, _, err = cli(capsys, "show", numpy_log)
    assert code == 1 and "`--symbol np` on the command line" in err
    code, out, err = cli(capsys, "check", numpy_log)
    assert "`--symbol np` on the command line" in out
    hinted = err.split("`")[1] if code else out.split("`")[-2]
    code, out, err = cli(capsys, "export", numpy_log, *hinted.split())
    assert code == 0, err
    assert json.loads(out) == {"loss": [0.5, 0.25]}


@pytest.mark.parametrize("spec", ["np", "np=numpy"])
def test_symbol_np_passes_numpy_and_np_alone_its_scalar_types_only(tmp_path, capsys, spec):
    pytest.importorskip("numpy")
    path = tmp_path / "np.py"
    path.write_text("store = {'x': [np.float64(0.5), np.int64(3), np.True_, np.str_('a'), np.float32(0.25)]}\n")
    code, out, err = cli(capsys, "show", str(path), "--symbol", spec)
    assert code == 0, err
    assert "list[5] of bool/float32/float64/int64/str_" in out


def test_symbol_np_alone_passes_no_function_of_numpy(tmp_path, capsys):
    pytest.importorskip("numpy")
    path, written = tmp_path / "np.py", tmp_path / "written.txt"
    path.write_text(f"store = {{}}\nstore['x'] = np.savetxt({str(written)!r}, [1.0])\n")
    code, out, err = cli(capsys, "show", str(path), "--symbol", "np")
    assert code == 1 and "np.py:2: np has no attribute 'savetxt'" in err and not written.exists()


# ---- Ctrl-C ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_log(tmp_path_factory):
    """A log that takes a second or more to load."""
    path = tmp_path_factory.mktemp("big") / "big.py"
    with open(path, "wb") as f:
        f.write(b"store = {'xs': []}\n")
        for block in range(40):
            f.write(b"".join(b"store['xs'].append(%d.5)\n" % i for i in range(block * 100_000, (block + 1) * 100_000)))
    return str(path)


def _opened(pid, path):
    """Whether the process ``pid`` has the file at ``path`` open."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == path:
                return True
        except OSError:
            pass
    return False


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to see the log opened")
@pytest.mark.parametrize("command", ["show", "export", "compact", "check"])
def test_ctrl_c_stops_a_long_command_with_one_line_and_status_130(big_log, tmp_path, backend_env, command):
    before = os.stat(big_log)
    argv = [sys.executable, "-m", "laaos", command, big_log]
    if command == "export":
        argv += ["-o", str(tmp_path / "out.json")]
    # (a child of a background job inherits SIGINT ignored, and Python then leaves it so)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=backend_env, cwd=tmp_path,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while not _opened(proc.pid, big_log):  # loading: Python's SIGINT handler is in place
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.decode() == f"laaos {command}: interrupted\n"
    after = os.stat(big_log)
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (before.st_ino, before.st_size, before.st_mtime_ns)
    assert os.listdir(os.path.dirname(big_log)) == ["big.py"]  # no temporary file left


def test_ctrl_c_is_how_follow_ends_with_status_0(tmp_path, backend_env):
    path = tmp_path / "run.py"
    path.write_text("store = {}\nstore['a'] = 1\n")
    proc = subprocess.Popen([sys.executable, "-m", "laaos", "follow", str(path), "--interval", "0.05"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=backend_env, cwd=tmp_path,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert proc.stdout.readline().startswith("following")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, err) == (0, "")


class _InterruptedOnAbandon:
    """A file whose ``with`` exit raises KeyboardInterrupt when the generator holding it
    is left unfinished (GeneratorExit): the Ctrl-C that arrives while it closes."""

    def __init__(self, f):
        self._f = f

    def __enter__(self):
        return self._f.__enter__()

    def __exit__(self, kind, value, tb):
        self._f.__exit__(kind, value, tb)
        if kind is GeneratorExit:
            raise KeyboardInterrupt


@pytest.mark.parametrize("argv", [["check"], ["check", "other.py"], ["compact"], ["compact", "other.py", "--in-place"]],
                         ids=["check", "check-two", "compact", "compact-two"])
def test_a_ctrl_c_while_a_log_read_stops_early_is_not_lost(tmp_path, capsys, monkeypatch, argv):
    """A command reads the start of a log (is it a log? an empty one?) and stops there: a
    Ctrl-C that arrives as the file is closed stops the command, with status 130, and
    is not printed as "Exception ignored" while the command carries on."""
    from laaos import _fileops

    logs = {}
    for name in ("run.py", "other.py"):  # more than one chunk each, so that a read stops early
        text = "store = {'xs': []}\n" + "".join(f"store['xs'].append({i}.5)\n" for i in range(_fileops.CHUNK // 20))
        (tmp_path / name).write_text(text)
        logs[name] = text.encode()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(_fileops, "open", lambda *a: _InterruptedOnAbandon(open(*a)), raising=False)
    code, out, err = cli(capsys, argv[0], "run.py", *argv[1:])
    assert code == 130, (code, out, err)
    assert "interrupted" in err and "Exception ignored" not in err
    assert {name: (tmp_path / name).read_bytes() for name in logs} == logs
