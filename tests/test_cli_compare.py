"""Comparing runs on the command line: ``laaos compare``, ``laaos diff`` and ``laaos plot``
of several logs, on the example sweep and on damaged, torn and oddly named runs."""

import csv
import html
import glob
import io
import json
import os
import re
import subprocess
import sys
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import laaos
from laaos.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def sweep(tmp_path, backend_env, monkeypatch):
    """``python examples/sweep.py`` run in a scratch folder, which is the working directory
    of the test: the four logs as ``runs/sweep/*.py`` names them, in the shell's order."""
    subprocess.run([sys.executable, str(EXAMPLES / "sweep.py")], cwd=tmp_path, env=backend_env, check=True,
                   capture_output=True, timeout=120)
    monkeypatch.chdir(tmp_path)
    return sorted(glob.glob("runs/sweep/*.py"))


def write_run(folder, name, config, losses, **more):
    root = laaos.open_file_store(name, "", prefix=f"{folder}/", initial_data={"config": config},
                                 provenance=False)
    root["metrics"] = [{"step": i, "loss": x} for i, x in enumerate(losses)]
    for key, value in more.items():
        root[key] = value
    root.close()
    return str(Path(folder) / f"{name}.py")


def display_width(text):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


# ---- the checks of "Done when", after `python examples/sweep.py` --------------------------------


def test_compare_of_the_example_sweep_shows_a_row_per_run_with_lr_and_the_last_loss(sweep, capsys):
    code, out, err = cli(capsys, "compare", *sweep)
    assert code == 0, err
    header, *rows = out.splitlines()
    assert header.split()[:2] == ["run", "config.lr"] and "metrics.loss[-1]" in header
    assert len(rows) == 4
    for path, row in zip(sweep, rows):
        store = laaos.safe_load(path)
        cells = row.split()
        assert cells[0] == os.path.basename(path)[:-3]
        assert float(cells[1]) == store["config"]["lr"]
        last = float(cells[header.split().index("metrics.loss[-1]")])
        assert last == pytest.approx(store["metrics"][-1]["loss"], rel=1e-5)


def test_compare_csv_reads_into_pandas_with_one_row_per_run(sweep, capsys):
    pd = pytest.importorskip("pandas")
    code, out, err = cli(capsys, "compare", *sweep, "--format", "csv")
    assert code == 0, err
    # (round_trip: the default float parser of pandas before 3 may be off in the last
    # digit; pandas 3 parses exactly by default and deprecates the option)
    exact = {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}
    frame = pd.read_csv(io.StringIO(out), **exact)
    assert len(frame) == 4
    assert list(frame["run"]) == ["lr0.01", "lr0.03", "lr0.1", "lr0.3"]
    for path, (_, row) in zip(sweep, frame.iterrows()):
        store = laaos.safe_load(path)
        assert row["path"] == path and row["config.lr"] == store["config"]["lr"]
        assert row["metrics.loss[-1]"] == store["metrics"][-1]["loss"]  # whole, not rounded
        assert row["len(metrics)"] == 100


def test_compare_sorts_by_config_lr_either_way(sweep, capsys):
    shuffled = [sweep[2], sweep[0], sweep[3], sweep[1]]
    code, out, _ = cli(capsys, "compare", *shuffled, "--sort", "config.lr")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["lr0.01", "lr0.03", "lr0.1", "lr0.3"]
    code, out, _ = cli(capsys, "compare", *shuffled, "--sort", "config.lr", "--reverse", "--format", "json")
    assert code == 0
    assert [row["config.lr"] for row in json.loads(out)] == [0.3, 0.1, 0.03, 0.01]


def test_diff_names_config_lr_with_both_values(sweep, capsys):
    code, out, err = cli(capsys, "diff", "runs/sweep/lr0.1.py", "runs/sweep/lr0.3.py")
    assert code == 0, err
    assert "config.lr: 0.1 -> 0.3" in out
    assert "metrics.loss: 100 steps, last " in out
    code, _, _ = cli(capsys, "diff", "runs/sweep/lr0.1.py", "runs/sweep/lr0.3.py", "--exit-code")
    assert code == 1
    code, out, _ = cli(capsys, "diff", "runs/sweep/lr0.1.py", "runs/sweep/lr0.1.py", "--exit-code")
    assert code == 0 and "no difference" in out


def test_plot_of_the_sweep_draws_one_labelled_line_per_run(sweep, capsys, tmp_path):
    pytest.importorskip("matplotlib")
    svg = tmp_path / "s.svg"
    code, out, err = cli(capsys, "plot", *sweep, "metrics.loss", "-o", svg)
    assert code == 0, err
    tree = ET.parse(svg)
    ns = "{http://www.w3.org/2000/svg}"
    legend = next(g for g in tree.iter(f"{ns}g") if g.get("id", "").startswith("legend"))
    assert [t.text for t in legend.iter(f"{ns}text")] == ["lr0.01", "lr0.03", "lr0.1", "lr0.3"]
    # one drawn line per run: the axes' Line2D groups with 100 points each
    lines = [g for g in tree.iter(f"{ns}g") if g.get("id", "").startswith("line2d")
             and any(p.get("d", "").count("L") == 99 for p in g.iter(f"{ns}path"))]
    assert len(lines) == 4


def test_plot_labels_lines_by_a_keys_value(sweep, capsys, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    import matplotlib.figure

    figures = []
    save = matplotlib.figure.Figure.savefig
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig",
                        lambda self, *a, **k: (figures.append(self), save(self, *a, **k))[1])
    code, _, err = cli(capsys, "plot", *sweep, "metrics.loss", "metrics.w", "--label", "config.lr",
                       "-o", tmp_path / "s.png")
    assert code == 0, err
    (ax,) = figures[0].axes
    assert [line.get_label() for line in ax.get_lines()] == [
        f"{lr} {key}" for lr in (0.01, 0.03, 0.1, 0.3) for key in ("metrics.loss", "metrics.w")]
    assert ax.get_legend().get_title().get_text() == "config.lr"
    assert all(len(line.get_ydata()) == 100 for line in ax.get_lines())


# ---- damaged, torn and missing -------------------------------------------------------------------


@pytest.fixture
def mixed(tmp_path):
    """Three good runs (one torn, one without config.momentum), a damaged log and a missing one."""
    folder = tmp_path / "runs"
    folder.mkdir()
    a = write_run(folder, "a", {"lr": 0.1, "momentum": 0.9}, [3.0, 2.0, 1.0])
    b = write_run(folder, "b", {"lr": 0.2, "momentum": 0.8}, [3.0, 1.5])
    c = write_run(folder, "c", {"lr": 0.3}, [2.0, 0.5, 0.25, 0.125])
    with open(c, "ab") as f:
        f.write(b"store['metrics'].append({'step': 4, 'loss': 0.0")  # killed mid-write
    damaged = folder / "damaged.py"
    damaged.write_text("store = {'config': {'lr': 0.4}}\nstore['metrics'] = [1 +* 2]\n")
    return {"a": a, "b": b, "c": c, "damaged": str(damaged), "missing": str(folder / "typo.py")}


def test_compare_reports_a_damaged_log_marks_a_torn_one_and_shows_the_others(mixed, capsys):
    code, out, err = cli(capsys, "compare", mixed["a"], mixed["damaged"], mixed["b"], mixed["c"])
    assert code == 1
    assert f"laaos compare: {mixed['damaged']}:2:" in err
    assert "damaged" not in out
    rows = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert list(rows) == ["a", "b", "c"]
    assert "TORN (" in rows["c"] and "TORN" not in rows["a"] + rows["b"]
    assert out.splitlines()[0].split()[:2] == ["run", "torn"]
    code, out, err = cli(capsys, "compare", mixed["a"], mixed["missing"], mixed["c"], "--format", "csv")
    assert code == 1 and f"{mixed['missing']}: no such log file" in err
    table = list(csv.DictReader(io.StringIO(out)))
    assert [r["run"] for r in table] == ["a", "c"]
    assert table[0]["torn"] == "" and int(table[1]["torn"]) > 0
    # the torn statement is not part of the run
    assert table[1]["len(metrics)"] == "4" and table[1]["metrics.loss[-1]"] == "0.125"


def test_a_key_missing_from_some_runs_is_an_empty_cell(mixed, capsys):
    runs = [mixed["a"], mixed["b"], mixed["c"]]
    code, out, err = cli(capsys, "compare", *runs, "-k", "config.momentum", "-k", "metrics[-1].loss",
                         "--format", "csv")
    assert code == 0, err
    table = list(csv.DictReader(io.StringIO(out)))
    assert [r["config.momentum"] for r in table] == ["0.9", "0.8", ""]
    assert [r["metrics[-1].loss"] for r in table] == ["1.0", "1.5", "0.125"]
    code, out, _ = cli(capsys, "compare", *runs, "-k", "config.momentum", "--format", "json")
    assert [r.get("config.momentum", "absent") for r in json.loads(out)] == [0.9, 0.8, "absent"]
    # by default too: momentum differs between the runs (c has none)
    code, out, _ = cli(capsys, "compare", *runs, "--format", "csv")
    assert [r["config.momentum"] for r in csv.DictReader(io.StringIO(out))] == ["0.9", "0.8", ""]
    # sorted by it: the run without it last, in either order
    for extra, order in (([], ["b", "a", "c"]), (["--reverse"], ["a", "b", "c"])):
        code, out, _ = cli(capsys, "compare", *runs, "--sort", "config.momentum", *extra, "--format", "csv")
        assert [r["run"] for r in csv.DictReader(io.StringIO(out))] == order


def test_compare_with_keys_loads_only_the_keys_it_shows(tmp_path, capsys):
    # Damage under a key that is not shown goes unparsed with -k (a partial load); the
    # whole load of the default columns reports it.
    path = tmp_path / "run.py"
    path.write_text("store = {'config': {'lr': 0.1}}\nstore['big'] = [1 +* 2]\n")
    other = write_run(tmp_path, "other", {"lr": 0.2}, [1.0])
    code, out, err = cli(capsys, "compare", path, other, "-k", "config.lr")
    assert code == 0, err
    assert [line.split() for line in out.splitlines()] == [["run", "config.lr"], ["run", "0.1"], ["other", "0.2"]]
    code, _, err = cli(capsys, "compare", path, other)
    assert code == 1 and f"{path}:2:" in err


def test_plot_skips_a_damaged_log_and_plots_the_others(mixed, capsys, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    import matplotlib.figure

    figures = []
    save = matplotlib.figure.Figure.savefig
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig",
                        lambda self, *a, **k: (figures.append(self), save(self, *a, **k))[1])
    code, out, err = cli(capsys, "plot", mixed["a"], mixed["damaged"], mixed["c"], "metrics.loss",
                         "-o", tmp_path / "p.png")
    assert code == 1 and f"{mixed['damaged']}:2:" in err
    assert [line.get_label() for line in figures[0].axes[0].get_lines()] == ["a", "c"]


def test_folders_and_quoted_globs_name_the_runs(mixed, capsys, tmp_path):
    os.remove(mixed["damaged"])
    code, out, _ = cli(capsys, "compare", tmp_path / "runs", "-k", "config.lr")
    assert code == 0 and [line.split()[0] for line in out.splitlines()[1:]] == ["a", "b", "c"]
    code, out, _ = cli(capsys, "compare", str(tmp_path / "runs" / "[ab].py"), "-k", "config.lr")
    assert code == 0 and [line.split()[0] for line in out.splitlines()[1:]] == ["a", "b"]


# ---- names, widths and the terminal --------------------------------------------------------------


def test_non_ascii_run_names_line_up_and_control_characters_are_escaped(tmp_path, capsys):
    runs = [write_run(tmp_path, name, {"lr": lr, "note": note}, [1.0, lr])
            for name, lr, note in (("学习率", 0.1, "plain"), ("café", 0.25, "\x1b[31mred"), ("b", 0.5, "x"))]
    code, out, err = cli(capsys, "compare", *runs, "-k", "config.lr")
    assert code == 0, err
    lines = out.splitlines()
    assert [line.split()[0] for line in lines[1:]] == ["学习率", "café", "b"]
    assert len({display_width(line) for line in lines}) == 1  # right-aligned numbers: equal widths
    code, out, _ = cli(capsys, "compare", *runs)
    assert "\x1b" not in out and "\\u001b[31mred" in out


def test_the_table_is_cut_to_the_terminal_width_and_csv_is_whole(tmp_path, capsys, monkeypatch):
    config = {f"option_{i}": i for i in range(12)}
    runs = [write_run(tmp_path, f"run{j}", {**config, "lr": j / 10}, [1.0]) for j in range(3)]
    monkeypatch.setenv("COLUMNS", "50")
    code, out, err = cli(capsys, "compare", *runs, "-k", "config.lr", *[f"-kconfig.option_{i}" for i in range(12)])
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= 50
    assert out.splitlines()[0].split()[:2] == ["run", "config.lr"]
    assert "more column(s) past the terminal's width" in err
    code, out, err = cli(capsys, "compare", *runs, "-k", "config.lr", *[f"-kconfig.option_{i}" for i in range(12)],
                         "--format", "csv")
    assert len(next(csv.reader(io.StringIO(out)))) == 2 + 13 and not err


def test_diff_compares_session_records_and_sees_values_added_and_removed(tmp_path, capsys):
    def log(name, commit, dirty, argv, config):
        session = {"time": "2026-12-05T10:00:00Z", "host": "node1", "pid": 1, "argv": argv,
                   "git": {"root": "/src", "commit": commit, "branch": "main", "dirty": dirty}}
        path = tmp_path / f"{name}.py"
        path.write_text(f"#laaos:session {json.dumps(session)}\nstore = {config!r}\n"
                        "store['losses'] = [1.0, 0.5]\n")
        return path

    a = log("a", "a" * 40, False, ["train.py", "--lr", "0.1"], {"config": {"lr": 0.1, "old": 1}})
    b = log("b", "b" * 40, True, ["train.py", "--lr", "0.3"], {"config": {"lr": 0.3, "new": "x"}})
    code, out, err = cli(capsys, "diff", a, b)
    assert code == 0, err
    assert f"session 1 git commit: '{'a' * 40}' -> '{'b' * 40}'" in out
    assert "session 1 git dirty: False -> True" in out
    assert "session 1 argv: 'train.py --lr 0.1' -> 'train.py --lr 0.3'" in out
    assert "host" not in out  # the same host: not a difference
    assert "- config.old: 1" in out and "+ config.new: 'x'" in out and "~ config.lr: 0.1 -> 0.3" in out
    assert "losses" not in out  # the same series


def test_bad_keys_and_missing_logs_are_one_line_each(mixed, capsys):
    code, _, err = cli(capsys, "compare", mixed["a"], "-k", "metrics[")
    assert code == 1 and "without its ']'" in err and "Traceback" not in err
    code, _, err = cli(capsys, "compare", mixed["missing"])
    assert code == 1 and "no such log file" in err
    code, _, err = cli(capsys, "diff", mixed["a"], mixed["missing"])
    assert code == 1 and "no such log file" in err
    code, _, err = cli(capsys, "diff", mixed["a"], mixed["damaged"])
    assert code == 1 and f"{mixed['damaged']}:2:" in err


def test_help_says_which_arguments_are_files(tmp_path):
    for command in ("plot", "compare", "diff"):
        proc = subprocess.run([sys.executable, "-m", "laaos", command, "--help"], capture_output=True,
                              text=True, cwd=tmp_path, timeout=60)
        assert proc.returncode == 0 and f"usage: laaos {command}" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "laaos", "plot", "--help"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60)
    assert "An argument that is an existing path" in " ".join(proc.stdout.split())


def test_compare_on_a_process_pool_shows_what_one_process_shows(mixed, capsys, monkeypatch):
    import laaos.many

    runs = [mixed["a"], mixed["damaged"], mixed["b"], mixed["c"]]
    for options in ([], ["-k", "config.lr", "-k", "len(metrics)", "--sort", "metrics[-1].loss"]):
        monkeypatch.setattr(laaos.many, "PARALLEL_MIN_BYTES", 1 << 40)
        alone = cli(capsys, "compare", *runs, "--format", "json", *options)
        monkeypatch.setattr(laaos.many, "PARALLEL_MIN_BYTES", 0)  # a pool for any sweep
        pooled = cli(capsys, "compare", *runs, "--format", "json", *options)
        assert pooled == alone and alone[0] == 1 and len(json.loads(alone[1])) == 3


def test_the_readme_shows_the_real_output_of_the_sweep_commands(sweep, capsys, monkeypatch):
    import re
    import shlex

    readme = (EXAMPLES.parent / "README.md").read_text("utf-8")
    section = readme[readme.index("## Many runs"):]
    block = re.search(r"^```\n(.*?)^```", section, re.M | re.S).group(1)
    commands = re.split(r"^\$ ", block, flags=re.M)[1:]
    assert len(commands) >= 4
    monkeypatch.setenv("COLUMNS", "80")  # a terminal of 80 columns, as the README shows
    for text in commands:
        command, _, shown = text.partition("\n")
        argv = shlex.split(command, comments=True)
        assert argv[0] == "laaos"
        if argv[1] == "plot":
            pytest.importorskip("matplotlib")
        argv = [p for a in argv[1:] for p in (sorted(glob.glob(a)) if "*" in a else [a])]  # as a shell does
        code, out, err = cli(capsys, *argv)
        assert code == 0, err
        assert out + err == shown, command


def test_columns_named_run_or_path_are_the_logs_values(tmp_path, capsys):
    a = write_run(tmp_path, "a", {"lr": 0.1}, [1.0], run="first", path="/data/x")
    b = write_run(tmp_path, "b", {"lr": 0.2}, [1.0], run="second", path="/data/y")
    code, out, _ = cli(capsys, "compare", a, b, "-k", "run", "-k", "path")
    assert [line.split() for line in out.splitlines()] == [
        ["run", "run", "path"], ["a", "first", "/data/x"], ["b", "second", "/data/y"]]
    code, out, _ = cli(capsys, "compare", a, b, "-k", "run", "--format", "csv")
    assert out.splitlines()[1] == f"a,{a},first"


def test_plot_says_a_missing_log_among_several_is_missing(mixed, capsys, tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "p.png"
    code, _, err = cli(capsys, "plot", mixed["a"], mixed["missing"], "metrics.loss", "-o", png)
    assert code == 1 and f"{mixed['missing']}: no such log file" in err and not png.exists()
    code, _, err = cli(capsys, "plot", mixed["a"], mixed["b"], "-o", png)
    assert code == 1 and "no KEY to plot" in err


def test_compare_the_frame_and_the_view_name_a_column_alike_and_the_name_selects_it(tmp_path, capsys):
    runs = [write_run(tmp_path, f"r{i}", {"lr": i / 10, 1: i, "a.b": {"x y": i}, "tags": {"a", "b"[:i]}},
                      [1.0, 0.5 + i]) for i in range(2)]
    names = ["config.lr", "config[1]", "config['a.b']['x y']", "config.tags"]
    code, out, err = cli(capsys, "compare", *runs, "--format", "json")
    assert code == 0, err
    shown = json.loads(out)
    assert list(shown[1])[2:] == names + ["metrics.step[-1]", "metrics.loss[-1]", "len(metrics)"]
    for name in names + ["metrics.loss[-1]"]:  # each name, given back as a KEY, picks its value
        code, out, err = cli(capsys, "compare", *runs, "-k", name, "--format", "json")
        assert code == 0, err
        assert [row[name] for row in json.loads(out)] == [row[name] for row in shown]
    loaded = laaos.load_many(runs)
    header = re.findall(r"<th[^>]*>(.*?)</th>", loaded._repr_html_())
    assert [html.unescape(h) for h in header] == ["run"] + names + ["metrics.step", "metrics.loss"]
    code, out, _ = cli(capsys, "diff", *runs)
    assert "~ config['a.b']['x y']: 0 -> 1" in out
    assert "~ metrics.loss: 2 steps, last 0.5 -> 2 steps, last 1.5" in out
    try:
        frame = loaded.frame()
    except ImportError:  # (without pandas: the frame's names are the view's, from the same walk)
        return
    assert list(frame.columns) == names + ["metrics.step", "metrics.loss"]
    assert frame["config.tags"].tolist() == [{"a", ""}, {"a", "b"}]


def test_plot_writes_a_logs_text_escaped_and_a_well_formed_svg(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    import warnings

    runs = [write_run(tmp_path, name, {"lr": 0.1}, [1.0, 0.5], val=val)
            for name, val in (("a", "\x1b[2J"), ("b", "two\nlines"), ("c", "$x$ \t cost"))]
    svg = tmp_path / "p.svg"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code, _, err = cli(capsys, "plot", *runs, "metrics.loss", "--label", "val", "-o", svg)
    assert code == 0, err
    assert [str(w.message) for w in caught] == []  # (no "Glyph 27 missing" from the font)
    tree = ET.parse(svg)  # well-formed XML
    ns = "{http://www.w3.org/2000/svg}"
    legend = next(g for g in tree.iter(f"{ns}g") if g.get("id", "").startswith("legend"))
    assert [t.text for t in legend.iter(f"{ns}text")] == ["val", "\\u001b[2J", "two\\nlines", "$x$ \\t cost"]
    # the title of one log: its file name, escaped as well
    name = tmp_path / "new\nline.py"
    os.rename(runs[0], name)
    code, _, err = cli(capsys, "plot", name, "metrics.loss", "-o", svg)
    assert code == 0, err
    texts = [t.text for t in ET.parse(svg).iter(f"{ns}text")]
    assert "new\\nline.py" in texts and not any("\n" in (t or "") for t in texts)


def test_the_table_shows_newlines_and_tabs_in_values_and_run_names_escaped(tmp_path, capsys):
    runs = [write_run(tmp_path, name, {"lr": lr, "note": note}, [1.0, lr])
            for name, lr, note in (("a", 0.1, "two\nlines"), ("b\nfake", 0.2, "tab\there"))]
    code, out, err = cli(capsys, "compare", *runs)
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 3  # a header and a row per run: no cell splits its row
    assert lines[1].split()[:2] == ["a", "0.1"] and "two\\nlines" in lines[1]
    assert lines[2].split()[:2] == ["b\\nfake", "0.2"] and "tab\\there" in lines[2]
    code, out, err = cli(capsys, "compare", *runs, "-k", "config.note", "--format", "csv")
    assert code == 0 and list(csv.reader(io.StringIO(out)))[1][2] == "two\nlines"  # csv: whole


def test_diff_names_its_logs_on_one_line_each(tmp_path, capsys):
    a = write_run(tmp_path, "a\n+++ b.py", {"lr": 0.1}, [1.0])
    b = write_run(tmp_path, "b", {"lr": 0.2}, [1.0])
    code, out, err = cli(capsys, "diff", a, b)
    assert code == 0, err
    assert out.splitlines()[:2] == [f"--- {tmp_path}/a\\n+++ b.py.py", f"+++ {b}"]


def test_diff_exit_code_says_differ_with_1_and_an_error_with_2(mixed, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # (the usage line on one line)
    a, b = mixed["a"], mixed["c"]
    assert cli(capsys, "diff", a, b, "--exit-code")[0] == 1
    assert cli(capsys, "diff", a, a, "--exit-code")[0] == 0
    for other in (mixed["missing"], mixed["damaged"]):
        code, out, err = cli(capsys, "diff", a, other, "--exit-code")
        assert (code, out, len(err.splitlines())) == (2, "", 1), err
        assert err.startswith(f"laaos diff: {other}")
        assert cli(capsys, "diff", a, other)[0] == 1  # without --exit-code: 1, as every command
    with pytest.raises(SystemExit) as e:
        main(["diff", a])
    assert e.value.code == 2
    assert "usage: laaos diff [-h] [--symbol SPEC] [--encoding NAME] [--exit-code] A B" in capsys.readouterr().err


def test_plot_says_which_log_lacks_a_key_without_a_misleading_list(mixed, capsys, tmp_path):
    pytest.importorskip("matplotlib")
    other = write_run(tmp_path, "other", {"lr": 0.5}, [1.0], val=[1.0, 2.0])
    png = tmp_path / "p.png"
    code, out, err = cli(capsys, "plot", mixed["a"], other, "val", "-o", png)
    assert code == 1 and out == f"{png}: val of 1 logs\n"
    assert err == f"laaos plot: {mixed['a']}: this log has no key 'val'\n"
    code, _, err = cli(capsys, "plot", mixed["a"], other, "config.wd", "-o", png)
    assert code == 1 and f"laaos plot: {other}: key 'config.wd': no key 'wd' here (keys: 'lr')" in err
    code, _, err = cli(capsys, "plot", other, "nope", "-o", png)  # one log, loaded whole: its keys
    assert code == 1 and err == f"laaos plot: {other}: key 'nope': no key 'nope' here (keys: 'config', 'metrics', 'val')\n"


def test_compare_says_a_key_no_run_has_and_shows_the_table(mixed, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    runs = [mixed["a"], mixed["b"]]
    code, out, err = cli(capsys, "compare", *runs, "-k", "nope", "-k", "config.lr", "-k", "len(config.lr)",
                         "--sort", "nope")
    assert code == 0
    assert err == ("laaos compare: no run has KEY 'nope'\n"
                   "laaos compare: no run has a length for 'len(config.lr)'\n")
    assert [line.split() for line in out.splitlines()] == [["run", "nope", "config.lr", "len(config.lr)"],
                                                           ["a", "0.1"], ["b", "0.2"]]
    code, out, err = cli(capsys, "compare", *runs, "--sort", "config.wd")
    assert code == 0 and err.startswith("laaos compare: no run has KEY 'config.wd'\n") and len(out.splitlines()) == 3
    code, _, err = cli(capsys, "compare", *runs, "-k", "config.momentum", "--sort", "config.lr")
    assert (code, err) == (0, "")


def test_plot_shows_runs_and_keys_named_with_a_leading_underscore_in_the_legend(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    runs = [write_run(tmp_path, name, {"lr": 0.1}, [1.0, 0.5], _x=[3, 2, 1]) for name in ("_a", "_b")]
    svg = tmp_path / "p.svg"
    ns = "{http://www.w3.org/2000/svg}"

    def legend_texts(*argv):
        code, _, err = cli(capsys, "plot", *argv, "-o", svg)
        assert code == 0, err
        legend = next(g for g in ET.parse(svg).iter(f"{ns}g") if g.get("id", "").startswith("legend"))
        return [t.text for t in legend.iter(f"{ns}text")]

    assert legend_texts(*runs, "_x") == ["_a", "_b"]
    assert legend_texts(runs[0], "_x", "metrics.loss") == ["_x", "metrics.loss"]


@pytest.mark.parametrize("command", ["compare", "diff", "plot", "show", "export"])
def test_every_command_says_a_script_is_not_a_laaos_log_as_check_does(tmp_path, capsys, command):
    script = tmp_path / "train.py"
    script.write_text("import os\nprint('training')\n")
    log = write_run(tmp_path, "run", {"lr": 0.1}, [1.0, 0.5])
    code, out, _ = cli(capsys, "check", script)
    assert code == 1 and "not a laaos log: its first line is 'import os'" in out
    argv = {"compare": [script, log], "diff": [script, log], "plot": [script, "metrics.loss", "-o", tmp_path / "p.png"],
            "show": [script], "export": [script, "-o", tmp_path / "out.json"]}[command]
    code, out, err = cli(capsys, command, *argv)
    assert code == 1
    assert err.strip() == (f"laaos {command}: {script}: not a laaos log: its first line is 'import os' "
                           "(a laaos log begins with `store = ...` or a `#laaos:` record)")


def test_a_commands_unknown_option_shows_that_commands_usage(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["check", "--bogus", "run.py"])
    _, err = capsys.readouterr()
    assert exit.value.code == 2
    assert err.startswith("usage: laaos check ") and "laaos check: error: unrecognized arguments: --bogus" in err
