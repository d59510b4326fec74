"""Tidy pandas frames of a sweep and of one log: ``frame()`` and ``series(key)``."""

import subprocess
import sys
import textwrap

import pytest

import laaos

pd = pytest.importorskip("pandas", reason="the frames are pandas DataFrames")


@pytest.fixture
def sweep(tmp_path):
    for seed, lr in enumerate([0.1, 0.01]):
        with laaos.open_file_store(f"lr{lr}", "", prefix=str(tmp_path) + "/", truncate=True) as store:
            store["config"] = {"lr": lr, "seed": seed, "model": {"name": "mlp", "layers": [64, 64]}}
            store["losses"] = [1.0 / (seed + 1), 0.5 / (seed + 1)]
            store["metrics"] = [{"loss": 2.0 - i - seed, "acc": 0.5 + i / 10} for i in range(3)]
            store["done"] = True
    return laaos.load_many(str(tmp_path / "*.py")), tmp_path


def test_frame_is_a_row_per_run_with_dotted_columns(sweep):
    runs, tmp = sweep
    frame = runs.frame()
    assert frame.index.name == "path" and list(frame.index) == [str(tmp / "lr0.01.py"), str(tmp / "lr0.1.py")]
    assert list(frame.columns) == ["config.lr", "config.seed", "config.model.name", "config.model.layers",
                                   "losses", "metrics.loss", "metrics.acc", "done"]
    row = frame.loc[str(tmp / "lr0.1.py")]
    assert row.to_dict() == {"config.lr": 0.1, "config.seed": 0, "config.model.name": "mlp",
                             "config.model.layers": 64, "losses": 0.5, "metrics.loss": 0.0, "metrics.acc": 0.7,
                             "done": True}
    assert frame["config.lr"].dtype == float and frame["config.seed"].dtype == "int64"


def test_series_is_long_form(sweep):
    runs, tmp = sweep
    long = runs.series("losses")
    assert list(long.columns) == ["run", "step", "value"]
    assert long.values.tolist() == [[str(tmp / "lr0.01.py"), 0, 0.5], [str(tmp / "lr0.01.py"), 1, 0.25],
                                    [str(tmp / "lr0.1.py"), 0, 1.0], [str(tmp / "lr0.1.py"), 1, 0.5]]
    rows = runs.series("metrics")
    assert list(rows.columns) == ["run", "step", "loss", "acc"]
    assert rows[rows.run == str(tmp / "lr0.1.py")][["step", "loss"]].values.tolist() == [[0, 2.0], [1, 1.0], [2, 0.0]]
    # a dotted path reaches into dicts; a seaborn-ready frame needs no glue
    assert runs.series("config.model.layers")["value"].tolist() == [64, 64, 64, 64]
    with pytest.raises(KeyError, match="no run has a non-empty list at 'nope'"):
        runs.series("nope")


def test_a_step_field_is_the_step(tmp_path):
    log = tmp_path / "run.py"
    log.write_text("store = {'m': [{'step': 10, 'loss': 1.0}, {'step': 20, 'loss': 0.5}]}\n")
    frame = laaos.load(log).series("m")
    assert frame[["step", "loss"]].values.tolist() == [[10, 1.0], [20, 0.5]]
    assert list(frame.columns) == ["run", "step", "loss"]


def test_one_log_has_the_same_two_frames(sweep):
    runs, tmp = sweep
    result = laaos.load(tmp / "lr0.1.py")
    assert result.frame().equals(runs.frame().loc[[str(tmp / "lr0.1.py")]])
    one = result.series("metrics")
    assert one[["step", "loss", "acc"]].values.tolist() == [[0, 2.0, 0.5], [1, 1.0, 0.6], [2, 0.0, 0.7]]


def test_without_pandas_the_error_says_what_to_install(tmp_path, backend_env):
    log = tmp_path / "run.py"
    log.write_text("store = {'a': [1]}\n")
    code = textwrap.dedent(f"""\
        import sys
        sys.modules["pandas"] = None  # as if it were not installed
        import laaos
        result = laaos.load({str(log)!r})
        assert "n=1" in result._repr_html_()  # the view needs no pandas
        for call in (result.frame, lambda: result.series("a")):
            try:
                call()
            except ImportError as e:
                print(e)
        """)
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=backend_env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["laaos frames need pandas, which is not installed: pip install pandas "
                                        "(or pip install 'laaos[frames]')"] * 2


def test_keys_that_print_alike_are_columns_apart(tmp_path):
    # 7 and '7', 'a.b' and a -> b: four values, four columns, none lost
    store = laaos.open_file_store("run", "", prefix=f"{tmp_path}/")
    store[7] = 1
    store["7"] = 2
    store["a.b"] = 3
    store["a"] = {"b": 4}
    store.close()
    frame = laaos.load_many(str(tmp_path / "run.py")).frame()
    assert dict(zip(frame.columns, frame.iloc[0])) == {"[7]": 1, "['7']": 2, "['a.b']": 3, "a.b": 4}


def test_series_takes_every_name_frame_gives_a_series_and_the_commands_key_paths(tmp_path):
    with laaos.open_file_store("run", "", prefix=f"{tmp_path}/", provenance=False) as store:
        store["runs"] = {"a.b": {"lr": [0.1, 0.2]}, "c": {"losses": [3.0, 2.0, 1.0]}}
        store[7] = [7.0, 8.0]
        store["7"] = [70.0]
        store["metrics"] = [{"step": 10 * i, "loss": 1.0 / (i + 1), "val loss": 2.0 * i} for i in range(3)]
    result = laaos.load(tmp_path / "run.py")
    frame = result.frame()
    assert list(frame.columns) == ["runs['a.b'].lr", "runs.c.losses", "[7]", "['7']", "metrics.step",
                                   "metrics.loss", "metrics['val loss']"]
    for name in frame.columns:  # each column's name, given back, is the series it ends
        long = result.series(name)
        assert list(long.columns) == ["run", "step", "value"], name
        assert long["value"].iloc[-1] == frame[name].iloc[0], name
    assert result.series("[7]")["value"].tolist() == [7.0, 8.0]
    assert result.series(7)["value"].tolist() == [7.0, 8.0]  # the plain key, as it is
    assert result.series("['7']")["value"].tolist() == [70.0]
    assert result.series("metrics['val loss']")["step"].tolist() == [0, 10, 20]  # the dicts' own step
    assert result.series(["runs", "a.b", "lr"])["value"].tolist() == [0.1, 0.2]  # a key per level
    assert result.series("runs['a.b'].lr")["value"].tolist() == [0.1, 0.2]
    assert result.series("runs.c.losses")["step"].tolist() == [0, 1, 2]
    assert list(result.series("metrics").columns) == ["run", "step", "loss", "val loss"]
    for missing in ("runs['a.c'].lr", "metrics[9]", "runs[", "nope", ["runs", "x"]):
        with pytest.raises(KeyError, match="no run has a non-empty list"):
            result.series(missing)


def test_a_dotted_name_is_the_column_frame_names_so_even_beside_a_key_spelled_alike(tmp_path):
    # m.x is the field x of m, as frame() and `compare -k m.x` name it; ['m.x'] the key 'm.x'
    (tmp_path / "one.py").write_text("store = {}\nstore['m'] = [{'x': 1}, {'x': 2}]\nstore['m.x'] = [9, 9]\n")
    (tmp_path / "two.py").write_text("store = {}\nstore['m'] = [{'x': 3}, {'x': 4}]\n")
    (tmp_path / "lone.py").write_text("store = {}\nstore['a.b'] = [5, 6]\n")
    sweep = laaos.load_many(str(tmp_path / "[ot]*.py"))
    frame = sweep.frame()
    assert frame.loc[str(tmp_path / "one.py"), "m.x"] == 2
    assert frame.loc[str(tmp_path / "one.py"), "['m.x']"] == 9
    long = sweep.series("m.x")
    assert long["value"].tolist() == [1, 2, 3, 4]
    assert long["run"].tolist() == [str(tmp_path / "one.py")] * 2 + [str(tmp_path / "two.py")] * 2
    assert sweep.series("['m.x']")["value"].tolist() == [9, 9]
    one = laaos.load(tmp_path / "one.py")
    assert one.series("m.x")["value"].tolist() == [1, 2]
    assert one.series("['m.x']")["value"].tolist() == [9, 9]
    # a key that no path names is still taken as it is
    assert laaos.load(tmp_path / "lone.py").series("a.b")["value"].tolist() == [5, 6]
