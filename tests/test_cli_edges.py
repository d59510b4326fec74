"""The ``laaos`` command given what a hostile user gives it: ints beyond a float, mixed
lists, an empty KEY, file names that start with '-', unknown options, torn logs; each run
as the real command in a child process."""

import json
import subprocess
import sys

import pytest

import laaos


@pytest.fixture
def laaos_cli(tmp_path, backend_env):
    """Run ``laaos ARGV...`` in ``tmp_path`` (outside the checkout): (status, stdout, stderr)."""
    def run(*argv):
        proc = subprocess.run([sys.executable, "-m", "laaos", *map(str, argv)], capture_output=True,
                              text=True, env=backend_env, cwd=tmp_path, timeout=120)
        return proc.returncode, proc.stdout, proc.stderr
    return run


def write(tmp_path, name, **values):
    with laaos.open_file_store(name, "", prefix=f"{tmp_path}/", truncate=True, provenance=False) as store:
        for key, value in values.items():
            store[key] = value
    return f"{name}.py"


@pytest.mark.parametrize("key", ["h", "m.x"])
def test_plot_of_an_int_beyond_a_float_names_the_file_key_and_step(tmp_path, laaos_cli, key):
    pytest.importorskip("matplotlib")
    log = write(tmp_path, "big", h=[1, 2**1024], m=[{"x": 1}, {"x": 2**1024}])
    code, _, err = laaos_cli("plot", log, key, "-o", "h.png")
    assert code == 1 and "Traceback" not in err
    assert err.strip() == f"laaos plot: big.py: {key}: step 1 is an int too large to plot (1,025 bits)"
    assert not (tmp_path / "h.png").exists()


def test_plot_draws_a_series_of_bools_as_zeros_and_ones(tmp_path, laaos_cli):
    pytest.importorskip("matplotlib")
    from laaos.cli.plot import numeric_series

    got = numeric_series([True, False, None, 2], "flags")
    assert got[:2] == [1.0, 0.0] and got[2] != got[2] and got[3] == 2.0
    log = write(tmp_path, "flags", best=[False, True, True, False], m=[{"ok": True}, {"ok": False}])
    for key in ("best", "m.ok"):
        code, _, err = laaos_cli("plot", log, key, "-o", "f.svg")
        assert code == 0, err
        assert (tmp_path / "f.svg").read_text().count("<path") >= 1


def test_diff_counts_every_item_of_a_list_as_a_step_as_compare_does(tmp_path, laaos_cli):
    a = write(tmp_path, "a", l=[1, "a", None, 2.5])
    b = write(tmp_path, "b", l=[1, 2])
    code, out, err = laaos_cli("diff", a, b)
    assert code == 0, err
    assert "  ~ l: 4 steps, last 2.5 -> 2 steps, last 2" in out.splitlines()
    code, out, err = laaos_cli("compare", a, b, "--format", "json")
    assert code == 0, err
    assert [row["len(l)"] for row in json.loads(out)] == [4, 2]


@pytest.mark.parametrize("column", ["", "len()"])
@pytest.mark.parametrize("option", ["-k", "--sort"])
def test_compare_refuses_an_empty_key_as_a_column_as_bad_usage(tmp_path, laaos_cli, option, column):
    a = write(tmp_path, "a", l=[1, 2], lr=0.1)
    b = write(tmp_path, "b", l=[1, 2, 3], lr=0.2)
    code, out, err = laaos_cli("compare", option, column, a, b)
    assert code == 2 and out == ""
    assert err.startswith("usage: laaos compare")
    assert f"laaos compare: error: {option} {column!r}: an empty KEY is the whole store, not a column" in err


@pytest.mark.parametrize("argv, said", [
    (["show", "--", "-dash.py", "l"], "list[2] of int"),
    (["check", "--", "-dash.py"], "-dash.py: OK"),
    (["export", "--", "-dash.py", "l"], "[1, 2]"),
    (["compare", "-k", "l", "--", "-dash.py"], "[1, 2]"),
    (["diff", "--", "-dash.py", "-dash.py"], "no difference"),
    (["compact", "-o", "out.py", "--", "-dash.py"], ""),
    (["recover", "--dry-run", "--", "-dash.py"], ""),
    (["plot", "-o", "p.png", "--", "-dash.py", "l"], "p.png: l"),
    (["follow", "--from-start", "--idle-timeout", "0.2", "--", "-dash.py"], "[1, 2]"),
])
def test_a_double_dash_ends_the_options_of_every_command(tmp_path, laaos_cli, argv, said):
    if argv[0] == "plot":
        pytest.importorskip("matplotlib")
    write(tmp_path, "-dash", l=[1, 2])
    code, out, err = laaos_cli(*argv)
    assert code == 0, err
    assert said in out
    if argv[0] == "compact":
        assert laaos.load(str(tmp_path / "out.py")).store == {"l": [1, 2]}


def test_what_follows_a_double_dash_is_never_an_option(tmp_path, laaos_cli):
    log = write(tmp_path, "run", l=[1, 2])
    code, _, err = laaos_cli("export", log, "--", "-o")
    assert code == 1 and "no key '-o' here" in err
    assert not (tmp_path / "-o").exists()


COMMANDS = ["show", "check", "compact", "recover", "export", "plot", "compare", "diff", "follow"]


def test_every_command_is_tested_for_its_options():
    from laaos.cli import build_parser

    assert sorted(build_parser().commands) == sorted(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unknown_option_without_a_file_is_said_before_the_missing_file(tmp_path, laaos_cli, command):
    code, out, err = laaos_cli(command, "--bogus")
    assert code == 2 and out == ""
    assert err.startswith(f"usage: laaos {command}")
    assert err.splitlines()[-1] == f"laaos {command}: error: unrecognized arguments: --bogus"


def test_a_missing_file_alone_is_still_said(tmp_path, laaos_cli):
    code, _, err = laaos_cli("check", "--quiet")
    assert code == 2 and err.splitlines()[-1] == "laaos check: error: the following arguments are required: FILE"


@pytest.mark.parametrize("to_file", [False, True])
def test_export_of_a_torn_log_says_so_on_stderr_and_exports_the_rest(tmp_path, laaos_cli, to_file):
    log = write(tmp_path, "run", l=[1, 2])
    with open(tmp_path / log, "a") as f:
        f.write("store['x'] = [1,")
    output = ["-o", "out.json"] if to_file else []
    code, out, err = laaos_cli("export", log, *output)
    assert code == 0, err
    written = (tmp_path / "out.json").read_text() if to_file else out
    assert json.loads(written) == {"l": [1, 2]}
    assert ("laaos export: run.py: TORN: the last 16 bytes are an incomplete statement, not exported"
            in err.splitlines())
    code, out, _ = laaos_cli("show", log)
    assert code == 0 and "the last 16 bytes are an incomplete statement" in out


def test_check_explains_each_damaged_statement_up_to_ten(tmp_path, laaos_cli):
    lines = ["store = {}", "store['a']=[]", "store['a'].append(1 +)", "store['b']=__import__('os')"]
    lines += [f"store['a'].append({i} *)" for i in range(10)]
    (tmp_path / "bad.py").write_text("\n".join(lines) + "\n")
    code, out, err = laaos_cli("check", "bad.py")
    assert code == 1, err
    said = out.splitlines()
    assert "bad.py: DAMAGED: 12 statement(s) not well formed, at line(s) 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14" in said
    assert "  bad.py:3: operator '+' is not allowed" in said
    assert any(line.startswith("  bad.py:4: name '__import__' is not allowed") for line in said)
    assert "  bad.py:12: operator '*' is not allowed" in said and "  bad.py:13:" not in out
    assert "  ... and 2 more (`laaos recover --dry-run bad.py` lists them all)" in said
