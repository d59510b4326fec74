"""Untrusted input: logs that name code-running symbols, bad options and arguments, odd
files.  None of them runs code or gets a traceback; each gets an error that says why.

Every test works on real files (and, where it matters, real processes) and runs on both
backends (the autouse ``backend`` fixture).
"""

import sys

import pytest

import laaos
from laaos.cli import main


def cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ---- a log must never talk the user into running code ------------------------------------

# Statements no laaos writer produces, each naming something that runs code or touches
# files once passed as a symbol.  `PWNED` is replaced by a path that must never appear.
HOSTILE = [
    ("os", "store['x']=os.system('touch PWNED')"),
    ("subprocess", "store['x']=subprocess.call(['touch', 'PWNED'])"),
    ("shutil", "store['x']=shutil.rmtree('PWNED')"),
    ("open", "store['x']=open('PWNED', 'w')"),
    ("getattr", "store['x']=getattr(os, 'system')('touch PWNED')"),
    ("builtins", "store['x']=builtins.exec('open(\"PWNED\", \"w\")')"),
    ("importlib", "store['x']=importlib.import_module('os')"),
    ("pickle", "store['x']=pickle.loads(b'')"),
    ("sys", "store['x']=sys.exit(3)"),
    # a harmless-looking module that reaches a dangerous one through an attribute
    ("pathlib.os", "store['x']=pathlib.os.system('touch PWNED')"),
    ("datetime.sys", "store['x']=datetime.sys.exit(3)"),
]


@pytest.fixture
def hostile_log(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def make(statement):
        path = tmp_path / "evil.py"
        path.write_text(f"store = {{}}\nstore['a']=1\n{statement}\nstore['b']=2\n")
        return str(path)

    return make


@pytest.mark.parametrize("name, statement", HOSTILE, ids=[n for n, _ in HOSTILE])
def test_check_calls_a_statement_naming_a_dangerous_name_damage_and_never_suggests_it(
    hostile_log, capsys, tmp_path, name, statement
):
    path = hostile_log(statement)
    code, out, err = cli(capsys, "check", path)
    assert code == 1, out
    assert "DAMAGED" in out and f"{path}:3" in out and "OK" not in out.splitlines()[-1]
    top = name.partition(".")[0]
    assert "NEEDS SYMBOLS" not in out and f"--symbol {top}" not in out + err
    assert "--symbol MODULE:" not in out  # no class-like hint either
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize("name, statement", HOSTILE, ids=[n for n, _ in HOSTILE])
def test_show_and_export_of_a_hostile_log_never_advise_passing_the_name(
    hostile_log, capsys, tmp_path, name, statement
):
    path = hostile_log(statement)
    for command in ("show", "export"):
        code, out, err = cli(capsys, command, path)
        assert code == 1
        assert f"{path}:3" in err and "Traceback" not in err
        assert "--symbol" not in err and "not damaged" not in err, err
    assert not (tmp_path / "PWNED").exists()


def test_recover_moves_a_hostile_statement_aside_and_keeps_the_rest(hostile_log, capsys, tmp_path):
    path = hostile_log("store['x']=os.system('touch PWNED')")
    code, out, _ = cli(capsys, "recover", path)
    assert code == 0 and "rejected line 3" in out and "not damage" not in out
    assert laaos.safe_load(path) == {"a": 1, "b": 2}
    rejected = [p for p in tmp_path.iterdir() if ".rejected_" in p.name]
    assert len(rejected) == 1 and b"os.system" in rejected[0].read_bytes()  # nothing lost
    assert not (tmp_path / "PWNED").exists()


def test_a_legitimate_symbol_is_still_suggested_next_to_a_hostile_one(hostile_log, capsys):
    path = hostile_log("store['t']=datetime.datetime(2026, 1, 1)\nstore['x']=os.system('touch PWNED')")
    code, out, _ = cli(capsys, "check", path)
    assert code == 1 and "DAMAGED" in out and "at line(s) 4" in out
    assert "NEEDS SYMBOLS" in out and "--symbol datetime" in out and "--symbol os" not in out


@pytest.mark.parametrize("spec", ["os", "os.path", "subprocess", "S=os:system", "builtins:eval",
                                  "shutil:rmtree", "sys", "importlib:import_module"])
def test_the_command_line_refuses_dangerous_symbols(hostile_log, capsys, tmp_path, spec):
    path = hostile_log("store['x']=os.system('touch PWNED')")
    with pytest.raises(SystemExit) as e:
        main(["show", path, "--symbol", spec])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "never" in err and "Traceback" not in err
    assert not (tmp_path / "PWNED").exists()


def test_enum_members_with_everyday_names_stay_symbols_to_pass(hostile_log, capsys):
    path = hostile_log("store['m']=Mode.write\nstore['p']=Phase.run\nstore['s']=Step.save")
    code, out, _ = cli(capsys, "check", path)
    assert code == 0 and "DAMAGED" not in out and "NEEDS SYMBOLS" in out
    assert "--symbol MODULE:Mode" in out and "--symbol MODULE:Phase" in out


# ---- bad options are usage errors, not tracebacks ----------------------------------------


@pytest.fixture
def small_log(tmp_path):
    with laaos.open_file_store("run", "", prefix=f"{tmp_path}/") as root:
        root["losses"] = [0.5, 0.25]
    return str(tmp_path / "run.py")


@pytest.mark.parametrize("option", [
    ["--interval", "-1"], ["--interval", "0"], ["--interval", "nan"], ["--interval", "inf"],
    ["--idle-timeout", "-1"], ["--idle-timeout", "nan"], ["--wait", "-3"], ["--wait", "nan"],
])
def test_follow_refuses_bad_seconds(small_log, capsys, option):
    with pytest.raises(SystemExit) as e:
        main(["follow", small_log, "--idle-timeout", "0.2", *option])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert option[0] in err and "Traceback" not in err


@pytest.mark.parametrize("interval", [-1, float("nan"), float("inf"), 0])
def test_laaos_follow_refuses_a_bad_interval_clearly(small_log, interval):
    with pytest.raises(ValueError, match="interval"):
        next(laaos.follow(small_log, interval=interval, idle_timeout=0.1))


def test_export_refuses_a_negative_indent(small_log, capsys):
    with pytest.raises(SystemExit) as e:
        main(["export", small_log, "--indent", "-5"])
    assert e.value.code == 2 and "--indent" in capsys.readouterr().err


# ---- marks: errors and listings stay readable --------------------------------------------


@pytest.fixture
def many_marks(tmp_path):
    with laaos.open_file_store("run", "", prefix=f"{tmp_path}/") as root:
        root["x"] = []
        for i in range(1000):
            root["x"].append(i)
            root.mark(f"step{i}")
    return tmp_path


def test_an_unknown_label_lists_the_latest_marks_in_log_order_not_thousands(many_marks):
    with pytest.raises(laaos.MarkError) as e:
        laaos.open_file_store("run", "", prefix=f"{many_marks}/", rewind_to="step1000")
    message = str(e.value)
    assert len(message) < 1000, len(message)
    assert "'step998', 'step999'" in message and "step10'" not in message
    assert "1000 marks" in message and str(many_marks / "run.py") in message
    assert laaos.load(str(many_marks / "run.py")).store["x"][-1] == 999  # left as it was


def test_laaos_show_lists_the_latest_marks_only(many_marks, capsys):
    code, out, _ = cli(capsys, "show", str(many_marks / "run.py"))
    assert code == 0 and len(out.splitlines()) < 60
    assert "mark 'step999'" in out and "mark 'step0'" not in out and "980 earlier marks" in out


def test_rewind_after_compaction_says_compaction_folded_the_marks_away(tmp_path):
    with laaos.open_file_store("run", "", prefix=f"{tmp_path}/") as root:
        root["x"] = [1]
        root.mark("epoch1")
    laaos.compact(str(tmp_path / "run.py"), str(tmp_path / "run.py"))
    with pytest.raises(laaos.MarkError) as e:
        laaos.open_file_store("run", "", prefix=f"{tmp_path}/", rewind_to="epoch1")
    message = str(e.value).replace(str(tmp_path), "")
    assert "epoch1" in message and "compact" in message


# ---- a line over the loader's limit is damage that check reports and recover moves -------


def test_check_reports_a_line_over_the_limit_as_damage_with_its_line(tmp_path, capsys):
    path = tmp_path / "run.py"
    with laaos.open_file_store("run", "", prefix=f"{tmp_path}/") as root:
        root["a"] = 1
    lines = path.read_bytes().count(b"\n")
    with open(path, "ab") as f:  # no laaos writer writes such a line (it splits big values)
        f.write(b"store['x']='" + b"a" * (65 << 20) + b"'\nstore['b']=2\n")
    code, out, err = cli(capsys, "check", str(path))
    assert code == 1 and "Traceback" not in err
    assert "DAMAGED" in out and f"{path}:{lines + 1}" in out and "laaos recover" in out
    code, out, _ = cli(capsys, "recover", str(path))
    assert code == 0 and f"rejected line {lines + 1}" in out
    assert laaos.safe_load(str(path)) == {"a": 1, "b": 2}


# ---- a symbol the user passes is not a way into os or sys --------------------------------


@pytest.mark.parametrize("statement", [
    "store['x']=datetime.sys.exit(7)",
    "store['x']=datetime.sys.stdout.write('PWNED')",
    "store['x']=datetime.sys.setrecursionlimit(50)",
])
def test_a_passed_module_does_not_reach_the_modules_it_imports(hostile_log, capsys, statement):
    path = hostile_log(statement)
    code, out, err = cli(capsys, "show", path, "--symbol", "datetime")  # the advice for datetimes
    assert code == 1 and "PWNED" not in out and f"{path}:3" in err and "Traceback" not in err
    import sys

    assert sys.getrecursionlimit() > 50


def test_passed_symbols_still_load_what_handlers_wrote(hostile_log, capsys):
    path = hostile_log("store['t']=datetime.datetime(2026, 1, 2, 3, 4)\n"
                       "store['d']=datetime.date.fromordinal(1)\nstore['e']=enum.Enum")
    code, out, err = cli(capsys, "show", path, "--symbol", "datetime", "--symbol", "enum")
    assert code == 0, err
    assert "datetime.datetime(2026, 1, 2, 3, 4)" in out and "datetime.date(1, 1, 1)" in out


# ---- load_many: a wrong argument is an error at once, not a dict of per-file errors -------


@pytest.fixture
def sweep(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for i in range(3):
        with laaos.open_file_store(f"r{i}", "", prefix="sweep/") as root:
            root["x"] = [i]
    return tmp_path


@pytest.mark.parametrize("kwargs, match", [
    ({"select": 5}, "select="),
    ({"select": "x"}, "select="),
    ({"processes": 0}, "processes="),
    ({"processes": -1}, "processes="),
    ({"processes": 1.5}, "processes="),
])
def test_load_many_refuses_bad_arguments_at_once(sweep, kwargs, match):
    with pytest.raises((TypeError, ValueError), match=match):
        laaos.load_many("sweep/*.py", **kwargs)


def test_load_many_takes_a_bytes_pattern_and_refuses_none(sweep):
    assert sorted(laaos.load_many(b"sweep/*.py")) == [f"sweep/r{i}.py" for i in range(3)]
    with pytest.raises(TypeError, match="glob pattern"):
        laaos.load_many(None)


# ---- recover does not turn a file that is no laaos log into an empty one -----------------


@pytest.mark.parametrize("data", [bytes(range(256)) * 20 + b"\n" * 3,
                                  b"\x89PNG\r\n\x1a\n" + b"\x00\x01\x02garbage\n" * 50,
                                  b"#!/bin/sh\nrm -rf /tmp/nothing\necho hi\n"])
def test_recover_refuses_a_file_of_which_no_statement_loads(tmp_path, capsys, data):
    path = tmp_path / "notalog.py"
    path.write_bytes(data)
    for dry in ([], ["--dry-run"]):
        code, out, err = cli(capsys, "recover", str(path), *dry)
        assert code == 1 and "nothing was changed" in err and str(path) in err
    assert path.read_bytes() == data
    assert [p.name for p in tmp_path.iterdir()] == ["notalog.py"]
    code, out, _ = cli(capsys, "check", str(path))
    assert code == 1 and "not a laaos log" in out and "laaos recover" not in out


# ---- a log cannot send escape sequences to the user's terminal ---------------------------


def test_no_command_prints_a_control_character_from_the_log(tmp_path, capsys):
    healthy = tmp_path / "esc.py"
    healthy.write_bytes(
        b'#laaos:session {"time": "t", "host": "h\\u001b]0;owned\\u0007", "pid": 1, "user": "u", '
        b'"argv": ["\\u001b[2J\\u001b[31mrm -rf ~"]}\n'
        b"store = {}\nstore['k\x1b[2J']='\x1b]0;title\x07'\n"
        b"#laaos:mark {\"label\": \"e\\u001b[2J\", \"time\": \"t\"}\n"
        b"store['z']=1\n"
    )
    damaged = tmp_path / "bad.py"
    damaged.write_bytes(b"store = {}\nstore['c']=Color.RED  # \x1b[2J\nstore['bad']=1 +* '\x1b[2J'\n"
                        b"store['z']=1\n")
    outputs = []
    for argv in (["show", str(healthy)], ["check", str(healthy)],
                 ["follow", str(healthy), "--from-start", "--idle-timeout", "0.2", "--interval", "0.05"],
                 ["check", str(damaged)], ["recover", str(damaged), "--dry-run"]):
        code, out, err = cli(capsys, *argv)
        outputs.append(out + err)
    text = "".join(outputs)
    assert "store['z']=1" in text and "NEEDS SYMBOLS" in text and "owned" in text  # all shown
    assert "\x1b" not in text and "\x07" not in text


# ---- follow: a torn tail cut off by a resumed writer hides none of its new statements ---


def test_cli_follow_prints_what_a_resumed_writer_appends_after_cutting_a_torn_tail(tmp_path, backend_env):
    import subprocess
    import sys
    import time

    path = tmp_path / "run.py"
    with laaos.open_file_store("run", "", prefix=f"{tmp_path}/", provenance=False) as root:
        root["x"] = [0]
    proc = subprocess.Popen([sys.executable, "-m", "laaos", "follow", str(path), "--interval", "0.3",
                             "--idle-timeout", "3"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=tmp_path, env=backend_env)
    assert proc.stdout.readline().startswith("following")
    time.sleep(0.4)
    with open(path, "ab") as f:  # a writer killed mid-statement
        f.write(b"store['x'].append(12")
    time.sleep(0.8)  # the follower has read the torn bytes
    # the run resumes: the torn tail is cut off and new statements land between two looks
    resume = ("import laaos, warnings; warnings.simplefilter('ignore')\n"
              f"r = laaos.open_file_store('run', '', prefix={str(tmp_path) + '/'!r}, provenance=False)\n"
              "r['x'].append(1); r['x'].append(2); r.close()\n")
    subprocess.run([sys.executable, "-c", resume], check=True, cwd=tmp_path, env=backend_env)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "store['x'].append(1)" in out and "store['x'].append(2)" in out, out
    assert "store = " not in out  # the lines shown before are not shown again


def test_compact_and_export_into_a_directory_say_so(small_log, tmp_path, capsys):
    for argv in (["compact", small_log, "-o", str(tmp_path)], ["export", small_log, "-o", str(tmp_path)]):
        code, out, err = cli(capsys, *argv)
        assert code == 1 and f"{tmp_path}: is a directory" in err and ".tmp" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.py"]


def test_recover_of_a_directory_says_it_is_one(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a directory"):
        laaos.recover(tmp_path)


@pytest.mark.parametrize("command", ["show", "export"])
def test_a_missing_file_argument_does_not_call_the_optional_key_required(capsys, command):
    with pytest.raises(SystemExit) as e:
        main([command])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "required: file" in err and "key" not in err.splitlines()[-1]


# ---- the Python API: a passed symbol leads nowhere else -----------------------------------

@pytest.mark.parametrize("statement", [
    "store['x']=helpers.sys.exit(7)",
    "store['x']=helpers.sys.stdout.write('PWNED')",
    "store['x']=helpers.os.system('touch PWNED')",
    "store['x']=os.system('touch PWNED')",
    "store['x']=os.path.join('a', 'b')",
])
def test_a_symbol_passed_to_the_loader_reaches_no_module_and_runs_nothing(tmp_path, statement):
    import datetime
    import os as os_module
    import types

    # a module the user trusts, which imports others (as datetime.py, pathlib, ... do on
    # some Python versions)
    helpers = types.ModuleType("helpers")
    helpers.sys, helpers.os, helpers.datetime = sys, os_module, datetime.datetime
    path = tmp_path / "log.py"
    path.write_text("store = {}\n" + statement + "\n")
    with pytest.raises(laaos.UnsafeLogError, match=r"log\.py:2:"):
        laaos.safe_load(path, [helpers, os_module])
    assert not (tmp_path / "PWNED").exists()
    # what a handler writes through the same symbols still loads
    path.write_text("store = {}\nstore['t']=helpers.datetime(2020, 1, 2)\nstore['u']=datetime.date(2020, 1, 3)\n")
    assert laaos.safe_load(path, [helpers, datetime]) == {
        "t": datetime.datetime(2020, 1, 2), "u": datetime.date(2020, 1, 3)
    }


@pytest.mark.parametrize("name", ["__import__", "_private", "__builtins__"])
def test_a_name_starting_with_an_underscore_is_never_advised_as_a_symbol(name):
    # (passing `__import__` as a symbol, as the advice said, let the log import os)
    with pytest.raises(laaos.LogError) as e:
        laaos.safe_load_str(f"store = {{}}\nstore['x']={name}('os')\n")
    assert "exposed_symbols" not in str(e.value) and "extra_mappings" not in str(e.value)
    assert not isinstance(e.value, laaos.UnknownSymbolError)
