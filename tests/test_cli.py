"""The ``laaos`` command, ``laaos.follow`` and ``laaos.load_many``."""

import json
import math
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest

import laaos
from laaos.cli import main


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


def test_show_prints_the_tree_with_latest_values(run_log, capsys):
    code, out, _ = cli(capsys, "show", run_log)
    assert code == 0
    assert "cfg:  dict[1]" in out and "lr:  0.1" in out
    assert "losses:  list[51] of float  last nan  min 0.02  max 1" in out
    assert "metrics:  list[50] of dict {step, acc}" in out
    assert "tags:  set[2]" in out
    code, out, _ = cli(capsys, "show", run_log, "metrics", "49")
    assert code == 0 and "acc:  0.98" in out
    code, _, err = cli(capsys, "show", run_log, "nope")
    assert code == 1 and "no key 'nope'" in err


def test_check_reports_ok_torn_and_damaged(run_log, capsys, tmp_path):
    code, out, _ = cli(capsys, "check", run_log)
    assert code == 0 and "106 statements, 108 lines" in out and "OK" in out
    with open(run_log, "ab") as f:
        f.write(b"store['losses'].append(0.")
    code, out, _ = cli(capsys, "check", run_log)
    assert code == 1 and "TORN" in out and "line 109" in out
    with open(run_log, "ab") as f:  # a writer that appended without repairing the tear
        f.write(b"store['x'] = 1\nstore['y'] = os.system('x')\nstore['z'] = 3\n")
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
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)])
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
    time.sleep(0.5)
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
