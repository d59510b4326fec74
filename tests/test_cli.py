"""The ``laaos`` command, ``laaos.follow`` and ``laaos.load_many``."""

import contextlib
import io
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest

import laaos
from laaos.cli import main

from helpers import as_nobody


@pytest.fixture
def run_log(tmp_path):
    root = laaos.open_file_store("run", "", prefix=f"{tmp_path}/", initial_data={"cfg": {"lr": 0.1}}, provenance=False)
    root["losses"] = []
    root["metrics"] = []
    for i in range(50):
        root["losses"].append(1.0 / (i + 1))
        root["metrics"].append({"step": i, "acc": i / 50})
    root["losses"].append(float("nan"))
    root["tags"] = {"a", "b"}
    root["blob"] = b"\x00\xff"
    root.close()
    return str(tmp_path / "run.py")


def cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_show_gives_min_and_max_of_the_finite_values_and_counts_the_others(tmp_path, capsys):
    # as the notebook view does: an infinity is no max, and the series says it holds one
    root = laaos.open_file_store("inf", "", prefix=f"{tmp_path}/", truncate=True)
    root["s"] = [2, 1.5, float("inf"), float("-inf"), float("nan"), 3]
    root["none"] = [float("inf")]
    root.close()
    code, out, _ = cli(capsys, "show", str(tmp_path / "inf.py"))
    assert code == 0
    assert "s:  list[6] of float/int  last 3  min 1.5  max 3  (3 NaN/inf)" in out
    assert "none:  list[1] of float  last inf  (1 NaN/inf)" in out


def test_show_prints_the_tree_with_latest_values(run_log, capsys):
    code, out, _ = cli(capsys, "show", run_log)
    assert code == 0
    assert "cfg:  dict[1]" in out and "lr:  0.1" in out
    assert "losses:  list[51] of float  last nan  min 0.02  max 1  (1 NaN/inf)" in out
    assert "metrics:  list[50] of dict {step, acc}" in out
    assert "tags:  set[2]" in out
    code, out, _ = cli(capsys, "show", run_log, "metrics", "49")
    assert code == 0 and "acc:  0.98" in out
    code, _, err = cli(capsys, "show", run_log, "nope")
    assert code == 1 and "no key 'nope'" in err
    # an unhashable literal as a key step: one line, no traceback
    code, _, err = cli(capsys, "show", run_log, "[{{}}]")
    assert code == 1 and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_check_reports_ok_torn_and_damaged(run_log, capsys, tmp_path):
    code, out, _ = cli(capsys, "check", run_log)
    assert code == 0 and "106 statements, 108 lines" in out and "OK" in out
    with open(run_log, "ab") as f:
        f.write(b"store['losses'].append(0.")
    code, out, _ = cli(capsys, "check", run_log)
    assert code == 1 and "TORN" in out and "line 109" in out
    with open(run_log, "ab") as f:  # a writer that appended without repairing the tear
        f.write(b"store['x'] = 1\nstore['y'] = __import__('os')\nstore['z'] = 3\n")
    code, out, _ = cli(capsys, "check", run_log)
    assert code == 1 and "DAMAGED" in out and "run.py:109" in out and "line(s) 109, 110" in out
    code, out, _ = cli(capsys, "recover", run_log)
    assert code == 0 and "rejected line 109" in out and "rejected line 110" in out
    code, out, _ = cli(capsys, "check", run_log)
    assert code == 0
    store = laaos.safe_load(run_log)
    assert store["z"] == 3 and "x" not in store and "y" not in store  # x was in the torn line
    code, _, err = cli(capsys, "check", str(tmp_path / "missing.py"))
    assert code == 1 and "no such log file" in err


def test_compact_in_place_and_to_another_file(run_log, capsys, tmp_path):
    before = laaos.safe_load(run_log)
    out_path = str(tmp_path / "small.py")
    assert cli(capsys, "compact", run_log, "-o", out_path)[0] == 0
    assert repr(laaos.safe_load(out_path)) == repr(before)
    assert cli(capsys, "compact", run_log)[0] == 0
    assert repr(laaos.safe_load(run_log)) == repr(before)
    assert open(run_log).read().count("\n") == 3  # `store = (`, the store, `)`


@pytest.mark.parametrize("nan,expected", [("null", None), ("string", "NaN")])
def test_export_writes_json(run_log, capsys, tmp_path, nan, expected):
    out_path = tmp_path / "run.json"
    code, _, _ = cli(capsys, "export", run_log, "-o", str(out_path), "--nan", nan)
    assert code == 0
    data = json.loads(out_path.read_text())
    assert data["losses"][-1] == expected and data["losses"][0] == 1.0
    assert data["tags"] == ["a", "b"] and data["blob"] == {"base64": "AP8="}
    assert data["metrics"][3] == {"step": 3, "acc": 0.06}


def test_export_js_nan_is_what_python_json_reads(run_log, capsys):
    code, out, _ = cli(capsys, "export", run_log, "losses", "--nan", "js")
    assert code == 0 and math.isnan(json.loads(out)[-1])


def test_plot_writes_a_png(run_log, capsys, tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "plot.png"
    code, out, _ = cli(capsys, "plot", run_log, "losses", "metrics.acc", "-o", str(png))
    assert code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    code, _, err = cli(capsys, "plot", run_log, "metrics", "-o", str(png))
    assert code == 1 and "KEY.FIELD" in err


def test_plot_without_matplotlib_says_how_to_get_it(run_log, tmp_path, backend_env):
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "matplotlib.py").write_text("raise ImportError('no matplotlib here')\n")
    env = dict(backend_env, PYTHONPATH=str(blocker))
    proc = subprocess.run([sys.executable, "-m", "laaos", "plot", run_log, "losses", "-o", "x.png"],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 1
    assert "laaos plot needs matplotlib: pip install matplotlib" in proc.stderr


def test_every_subcommand_has_help_and_bad_usage_exits_2(tmp_path):
    for command in ["show", "check", "compact", "recover", "export", "plot", "follow"]:
        proc = subprocess.run([sys.executable, "-m", "laaos", command, "--help"], capture_output=True,
                              text=True, cwd=tmp_path)
        assert proc.returncode == 0 and "usage: laaos " + command in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "laaos", "frobnicate"], capture_output=True, text=True,
                          cwd=tmp_path)
    assert proc.returncode == 2


WRITER = r"""
import sys, time, os
path = sys.argv[1]
with open(path, "wb", buffering=0) as f:
    f.write(b"store = {}\nstore['xs']=[]\n")
    for i in range(40):
        line = b"store['xs'].append(%d)\n" % i
        f.write(line[:10])  # a statement in flight, torn for a moment
        time.sleep(0.01)
        f.write(line[10:])
"""


def test_follow_yields_growing_stores_and_never_a_torn_statement(tmp_path):
    path = tmp_path / "live.py"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], cwd=tmp_path)
    lengths = []
    for store in laaos.follow(path, interval=0.005, idle_timeout=1.5):
        xs = store["xs"]
        assert xs == list(range(len(xs)))
        lengths.append(len(xs))
        if len(xs) == 40:
            break
    writer.wait()
    assert lengths[-1] == 40 and lengths == sorted(lengths) and len(lengths) > 5


def test_follow_starts_over_when_the_log_is_compacted(tmp_path):
    root = laaos.open_file_store("run", "", prefix=f"{tmp_path}/")
    root["xs"] = [1]
    root.flush()
    seen = []

    def later():
        time.sleep(0.2)
        root["xs"].append(2)
        root.close()
        laaos.compact(tmp_path / "run.py", tmp_path / "run.py")

    t = threading.Thread(target=later)
    t.start()
    for store in laaos.follow(tmp_path / "run.py", interval=0.01, idle_timeout=0.8):
        seen.append(list(store["xs"]))
    t.join()
    assert seen[0] == [1] and seen[-1] == [1, 2]


def test_cli_follow_prints_new_statements(tmp_path):
    path = tmp_path / "live.py"
    path.write_text("store = {}\nstore['a']=1\n")
    proc = subprocess.Popen([sys.executable, "-m", "laaos", "follow", str(path), "--interval", "0.02",
                             "--idle-timeout", "1"], stdout=subprocess.PIPE, text=True, cwd=tmp_path)
    first = proc.stdout.readline()  # it has looked at the file: what comes now is new
    assert first.startswith("following")
    with open(path, "a") as f:
        f.write("store['b']=2\n")
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert "store['b']=2" in out and "store['a']=1" not in out and "      3  " in out


def make_sweep(tmp_path, n=6):
    for i in range(n):
        root = laaos.open_file_store(f"seed{i}", "", prefix=f"{tmp_path}/sweep/")
        root["cfg"] = {"seed": i}
        root["metrics"] = [{"step": s, "loss": 1.0 / (s + 1 + i)} for s in range(20)]
        root.close()
    (tmp_path / "sweep" / "broken.py").write_text("store = {}\nstore['a'] = __import__('os')\n")


@pytest.mark.parametrize("how", ["serial", "processes", "executor"])
def test_load_many_loads_a_sweep_and_collects_errors(tmp_path, how):
    make_sweep(tmp_path)
    pattern = str(tmp_path / "sweep" / "*.py")
    if how == "serial":
        runs = laaos.load_many(pattern, processes=1)
    elif how == "processes":
        runs = laaos.load_many(pattern, processes=2)
    else:
        with ProcessPoolExecutor(2) as pool:
            runs = laaos.load_many(pattern, executor=pool)
    assert sorted(os.path.basename(p) for p in runs) == [f"seed{i}.py" for i in range(6)]
    assert [runs[p]["cfg"]["seed"] for p in sorted(runs)] == list(range(6))
    (bad,) = runs.errors
    assert bad.endswith("broken.py")
    assert isinstance(runs.errors[bad], laaos.UnsafeLogError) and runs.errors[bad].line == 2


def test_load_many_into_pandas(tmp_path):
    pd = pytest.importorskip("pandas")
    make_sweep(tmp_path, 3)
    runs = laaos.load_many([tmp_path / "sweep" / f"seed{i}.py" for i in range(3)],
                           executor=ThreadPoolExecutor(2))
    frame = pd.concat({os.path.basename(p): pd.DataFrame(s["metrics"]) for p, s in runs.items()},
                      names=["run", "row"])
    assert frame.shape == (60, 2) and list(frame.columns) == ["step", "loss"]
    assert frame.loc["seed0.py"]["loss"].iloc[0] == 1.0


# ---- symbols: a healthy log that names them is not damaged -------------------------------


def test_check_of_a_healthy_log_with_symbols_says_which_to_pass(symbol_log, capsys):
    path, _ = symbol_log
    code, out, _ = cli(capsys, "check", str(path))
    assert code == 0, out
    assert "DAMAGED" not in out and "recover" not in out
    assert "NEEDS SYMBOLS" in out and "datetime, first at" in out and "Color, first at" in out
    assert "--symbol datetime" in out and "--symbol MODULE:Color" in out
    code, out, _ = cli(capsys, "check", str(path), "--symbol", "datetime", "--symbol", "laaos_test_colors:Color")
    assert code == 0 and "NEEDS SYMBOLS" not in out and out.rstrip().endswith("OK")


def test_commands_take_symbols_and_say_which_are_missing(symbol_log, capsys, tmp_path):
    path, _ = symbol_log
    code, _, err = cli(capsys, "show", str(path))
    assert code == 1 and "not damaged" in err and "--symbol datetime" in err and "Traceback" not in err
    syms = ["--symbol", "datetime", "--symbol", "Colour=laaos_test_colors:Color"]
    code, _, _ = cli(capsys, "show", str(path), *syms)
    assert code == 1  # the log says Color, not Colour
    syms[-1] = "laaos_test_colors:Color"
    code, out, _ = cli(capsys, "show", str(path), *syms)
    assert code == 0 and "Color.RED" in out and "datetime.datetime(2026, 1, 2, 3, 4, 5)" in out
    code, out, _ = cli(capsys, "recover", str(path))
    assert code == 0 and "nothing to recover" in out and "not damage" in out
    out_path = str(tmp_path / "small.py")
    code, out, err = cli(capsys, "compact", str(path), "-o", out_path, *syms)
    assert code == 0, err
    import datetime

    from laaos_test_colors import Color

    assert laaos.safe_load(out_path, [datetime, Color])["color"] is Color.RED
    for bad in ("nosuchmodule_xyz", "datetime:nope", "=datetime", "a b=datetime:date"):
        with pytest.raises(SystemExit) as e:
            main(["check", str(path), "--symbol", bad])
        assert e.value.code == 2


# ---- no user mistake ends in a traceback -------------------------------------------------


@pytest.fixture
def mistakes(tmp_path, run_log):
    """Logs and paths that users get wrong."""
    paths = {"log": run_log, "dir": str(tmp_path), "missing": str(tmp_path / "typo.py")}
    for name, data in {
        "empty": b"",
        "nul": b"\x00" * 512,
        "tornfirst": b"store = {'a': [1,\n2,",
        "damaged": b"store = {}\nstore['a'] = 1\nstore['b'] = 1 +* 2\nstore['c'] = 3\n",
        "torn": b"store = {}\nstore['a'] = [1.5]\nstore['a'].append(2.",
        "binary": bytes(range(256)) * 4,
        "latin1": "store = {'caf\xe9': 1}\n".encode("latin-1"),
        "nostore": b"x = 1\n",
        "keys": b"store = {1: 'int', '1': 'str', 'a.b': [1.0, 2.0], 'm': [{'acc': 0.5}, {'acc': 0.75}]}\n",
        "symbols": b"store = {}\nstore['t'] = datetime.datetime(2026, 1, 1, 0, 0)\n",
    }.items():
        (tmp_path / f"{name}.py").write_bytes(data)
        paths[name] = str(tmp_path / f"{name}.py")
    paths["nodir"] = str(tmp_path / "no" / "such" / "dir" / "out.json")
    paths["png"] = str(tmp_path / "p.png")
    return paths


MISTAKES = [
    # (argv with {names} of the fixture's paths, exit status, a piece of the message)
    ("show {missing}", 1, "no such log file"),
    ("show {dir}", 1, "is a directory"),
    ("show {damaged}", 1, "damaged.py:3"),
    ("show {binary}", 1, "binary.py: not a laaos log"),
    ("show {latin1}", 1, "latin1.py:1"),
    ("show {nostore}", 1, "nostore.py: not a laaos log"),
    ("show {empty}", 1, "no complete `store = ...` statement"),
    ("show {torn}", 0, "incomplete statement, not shown"),
    ("show {symbols}", 1, "--symbol datetime"),
    ("show {log} nope", 1, "no key 'nope'"),
    ("show {log} losses[", 1, "without its ']'"),
    ("show {log} losses..x", 1, "empty name"),
    ("show {log} losses.", 1, "ends in '.'"),
    ("show {log} losses[x+y]", 1, "not a number or a quoted string"),
    ("show {log} losses[999]", 1, "out of range"),
    ("show {log} losses.x", 1, "not an index"),
    ("show {log} cfg.lr.x", 1, "cannot look up"),
    ("show {keys} 1", 1, "write ['1'] or [1]"),
    ("show {keys} [1]", 0, "int"),
    ("show {keys} ['1']", 0, "str"),
    ("show {keys} ['a.b']", 0, "list[2] of float"),
    ("show {keys} m.acc", 0, "list[2] of float"),
    ("show {keys} m[-1].acc", 0, "0.75"),
    ("check {missing}", 1, "no such log file"),
    ("check {dir}", 1, "is a directory"),
    ("check {empty}", 1, "EMPTY"),
    ("check {nul}", 1, "EMPTY"),
    ("recover {nul}", 0, "empty: nothing to recover"),
    ("check {tornfirst}", 1, "incomplete last statement (from line 1)"),
    ("show {tornfirst}", 1, "no complete `store = ...` statement"),
    ("check {torn}", 1, "(from line 3)"),
    ("check {binary}", 1, "not a laaos log"),
    ("check {torn}", 1, "TORN"),
    ("check {nostore}", 1, "not a laaos log"),
    ("check {symbols}", 0, "NEEDS SYMBOLS"),
    ("recover {missing}", 1, "no such log file"),
    ("recover {dir}", 1, "is a directory"),
    ("recover {empty}", 0, "empty: nothing to recover"),
    ("recover {damaged} --dry-run", 0, "would reject line 3"),
    ("compact {missing}", 1, "no such log file"),
    ("compact {dir}", 2, "is a directory"),  # (needs -o DIR or --in-place: bad usage)
    ("compact {damaged}", 1, "damaged.py:3"),
    ("compact {empty}", 1, "no complete `store = ...` statement"),
    ("compact {log} -o {dir}", 1, "laaos compact:"),
    ("export {keys}", 1, "would both be the JSON key"),
    ("export {keys} --repr-keys", 0, "\"'1'\": \"str\""),
    ("export {log} -o {dir}", 1, "laaos export:"),
    ("export {log} --indent x", 2, "is not a whole number"),
    ("export {log} --nan maybe", 2, "invalid choice"),
    ("export {symbols} --symbol datetime", 1, "cannot write this store as JSON"),
    ("plot {log} losses -o x.jpgg", 1, "cannot write a .jpgg image"),
    ("plot {log} losses -o {png} --x cfg", 1, "is not a non-empty list"),
    ("plot {log} metrics -o {png}", 1, "name a field"),
    ("plot {log} tags -o {png}", 1, "not a non-empty list"),
    ("plot {log} nope -o {png}", 1, "no key 'nope'"),
    ("plot {missing} losses -o {png}", 1, "no such log file"),
    ("plot {log} losses", 2, "required: -o"),
    ("follow {missing}", 1, "no such log file"),
    ("follow {dir}", 1, "is a directory"),
    ("follow {log} --interval x", 2, "is not a number of seconds"),
    ("check {log} --symbol nosuchmodule_xyz", 2, "cannot import 'nosuchmodule_xyz'"),
    ("frobnicate {log}", 2, "invalid choice"),
    ("", 2, "required"),
]


@pytest.mark.parametrize("argv, status, message", MISTAKES, ids=[m[0] or "(nothing)" for m in MISTAKES])
def test_no_user_mistake_ends_in_a_traceback(mistakes, capsys, argv, status, message):
    if argv.startswith("plot"):
        pytest.importorskip("matplotlib")
    args = [a.format(**mistakes) for a in argv.split()]
    try:
        code = main(args)
    except SystemExit as e:
        code = e.code
    out, err = capsys.readouterr()
    assert code == status, out + err
    assert message in out + err
    assert "Traceback" not in out + err


def test_show_where_stdout_cannot_encode_a_key(tmp_path, backend_env):
    path = tmp_path / "run.py"
    path.write_text("store = {'caf\xe9 \u4e2d': [1.0, 2.0]}\n", encoding="utf-8")
    env = dict(backend_env, PYTHONUTF8="0", LC_ALL="C", PYTHONIOENCODING="ascii")
    for argv in (["show", str(path)], ["export", str(path)], ["check", str(path)]):
        proc = subprocess.run([sys.executable, "-m", "laaos", *argv], capture_output=True, env=env,
                              cwd=tmp_path, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert b"Traceback" not in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "laaos", "show", str(path)], capture_output=True, env=env,
                          cwd=tmp_path, timeout=60)
    assert b"caf\\xe9 \\u4e2d" in proc.stdout


def test_export_keeps_keys_1_and_str_1_apart_or_refuses(tmp_path, capsys):
    path = tmp_path / "run.py"
    path.write_text("store = {'d': {1: 'int', '1': 'str', (1, 2): 't'}}\n")
    code, _, err = cli(capsys, "export", str(path))
    assert code == 1 and "store['d']: the keys 1 and '1'" in err
    code, out, _ = cli(capsys, "export", str(path), "--repr-keys")
    assert code == 0 and json.loads(out) == {"'d'": {"1": "int", "'1'": "str", "(1, 2)": "t"}}
    code, out, _ = cli(capsys, "export", str(path), "d", "[(1, 2)]")
    assert code == 0 and json.loads(out) == "t"


def test_plot_names_any_key_and_labels_the_x_axis_honestly(tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    import matplotlib.axes

    labels = []
    monkeypatch.setattr(matplotlib.axes.Axes, "set_xlabel", lambda self, text, *a, **k: labels.append(text))
    path = tmp_path / "run.py"
    path.write_text("store = {'eval.acc': [0.5, 0.75], 'eval': {'acc': [0.1, 0.2]}, 'step': [10, 20]}\n")
    png = str(tmp_path / "p.png")
    code, out, err = cli(capsys, "plot", str(path), "['eval.acc']", "eval.acc", "-o", png)
    assert code == 0, err
    assert labels == ["index in the list"]
    code, out, err = cli(capsys, "plot", str(path), "eval.acc", "--x", "step", "-o", png)
    assert code == 0 and labels[-1] == "step"


def test_compact_of_a_torn_log_keeps_the_tail_and_reads_its_source_only(tmp_path, capsys):
    src = tmp_path / "src" / "run.py"
    src.parent.mkdir()
    src.write_bytes(b"store = {}\nstore['a'] = [1.5]\nstore['a'].append(2.")
    out = tmp_path / "out" / "small.py"
    opened = []

    def audit(event, args):
        if event == "open" and args[0] == str(src):
            opened.append(args[2] if len(args) > 2 else args[1])

    _AUDIT.append(audit)
    try:
        os.chmod(src.parent, 0o555)
        os.chmod(src, 0o444)
        code, text, err = cli(capsys, "compact", str(src), "-o", str(out))
    finally:
        _AUDIT.remove(audit)
        os.chmod(src.parent, 0o755)
    assert code == 0, err
    assert opened and all(f & (os.O_WRONLY | os.O_RDWR) == 0 for f in opened if isinstance(f, int))
    assert all("w" not in f and "a" not in f and "+" not in f for f in opened if isinstance(f, str))
    assert laaos.safe_load(out) == {"a": [1.5]}
    sidecars = list(out.parent.glob("small.py.torn_*"))
    assert len(sidecars) == 1 and sidecars[0].read_bytes() == b"store['a'].append(2."
    assert "incomplete statement" in text and str(sidecars[0]) in text


_AUDIT = []
sys.addaudithook(lambda event, args: [hook(event, args) for hook in list(_AUDIT)])


def test_load_many_of_a_pattern_matching_nothing_raises_and_torn_logs_are_reported(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no file matches .*nothing\*\.py"):
        laaos.load_many(str(tmp_path / "nothing*.py"))
    make_sweep(tmp_path, n=3)
    with open(tmp_path / "sweep" / "seed1.py", "ab") as f:
        f.write(b"store['metrics'].append({'step': 20, 'lo")
    with pytest.warns(laaos.TornTailWarning, match=r"1 of 4 logs end in an incomplete statement.*seed1\.py"):
        loaded = laaos.load_many(str(tmp_path / "sweep" / "*.py"))
    assert list(loaded.torn) == [str(tmp_path / "sweep" / "seed1.py")]
    assert len(loaded["" + str(tmp_path / "sweep" / "seed1.py")]["metrics"]) == 20


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
@pytest.mark.parametrize("command", ["show", "check", "compact", "recover", "export", "follow"])
def test_an_unreadable_log_is_one_line_not_a_traceback(run_log, command):
    folder = tempfile.mkdtemp()  # (not under pytest's folders, which only their owner may enter)
    try:
        os.chmod(folder, 0o755)
        log = shutil.copy(run_log, folder)
        os.chmod(log, 0)

        def run():
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main([command, log])
            return code, out.getvalue(), err.getvalue()

        code, out, err = as_nobody(run)  # (as root, every file is readable)
    finally:
        shutil.rmtree(folder)
    assert code == 1 and "Permission denied" in err and "Traceback" not in out + err
    assert log in err


def test_check_of_a_2_1_1_log_with_bare_nan_says_old_format_not_damage(capsys):
    path = os.path.join(os.path.dirname(__file__), "data", "laaos-2.1.1", "nonfinite.py")
    code, out, _ = cli(capsys, "check", path)
    assert code == 0, out
    assert "OLD FORMAT" in out and "DAMAGED" not in out and "recover" not in out
    assert out.rstrip().endswith("OK")
