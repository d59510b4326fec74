"""A file that is not a laaos log (the training script beside the log, above all) is never
written over, appended to or "repaired": every path that would change it refuses, names
it and leaves it byte for byte as it was; real logs of every kind still open, truncate
and recover as before."""

import enum
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import laaos
from laaos._logfile import not_a_log
from laaos.cli import main

CORPUS = Path(__file__).parent / "data" / "laaos-2.1.1"

SCRIPT = '''#!/usr/bin/env python
# Train a tiny model and log its losses.
"""Train."""
import laaos

store = laaos.open_file_store("run", "", prefix="")
store["losses"] = [1 / (step + 1) for step in range(3)]
store.close()
print("trained")
'''


@pytest.fixture
def script(tmp_path):
    """``train.py``: a script that runs (and logs to ``run.py`` beside it)."""
    path = tmp_path / "train.py"
    path.write_text(SCRIPT)
    return path


def unchanged(path):
    """The script is as it was, runs as before, and nothing was left beside it."""
    assert path.read_text() == SCRIPT
    assert sorted(p.name for p in path.parent.iterdir()) == ["train.py"]
    out = subprocess.run([sys.executable, str(path)], cwd=path.parent, capture_output=True, text=True, check=True)
    assert out.stdout == "trained\n"
    os.unlink(path.parent / "run.py")
    return True


NOT_A_LOG = r"train\.py: not a laaos log \(after comments, its first statement is '\"\"\"Train\.\"\"\"'"


def test_truncate_refuses_a_script_and_overwrite_replaces_it(script):
    prefix = f"{script.parent}/"
    with pytest.raises(laaos.NotALogError, match=NOT_A_LOG + r".*truncate=True would empty it.*overwrite=True"):
        laaos.open_file_store("train", "", prefix=prefix, truncate=True)
    assert unchanged(script)
    root = laaos.open_file_store("train", "", prefix=prefix, truncate=True, overwrite=True, provenance=False)
    root["a"] = 1
    root.close()
    assert script.read_text() == "store = {}\nstore['a']=1\n"


def test_opening_a_script_to_append_refuses_it(script):
    with pytest.raises(laaos.NotALogError, match=NOT_A_LOG + r".*would load it and append to it"):
        laaos.open_file_store("train", "", prefix=f"{script.parent}/")
    assert unchanged(script)


def test_a_one_line_script_without_newline_is_not_cut_off_as_a_torn_tail(tmp_path):
    path = tmp_path / "hello.py"
    path.write_bytes(b"print('hello')")  # to the loader: an incomplete last statement
    with pytest.raises(laaos.NotALogError, match=r"hello\.py: not a laaos log \(its first line is \"print\('hello'\)\""):
        laaos.open_file_store("hello", "", prefix=f"{tmp_path}/")
    assert path.read_bytes() == b"print('hello')" and os.listdir(tmp_path) == ["hello.py"]


def test_create_file_store_refuses_to_append_a_store_to_a_script(script):
    with pytest.raises(laaos.NotALogError, match=NOT_A_LOG + r".*create_file_store would append a new store"):
        laaos.create_file_store("train", "", ".py", f"{script.parent}/")
    assert unchanged(script)
    with pytest.raises(laaos.NotALogError):
        laaos.create_file_store("train", "", ".py", f"{script.parent}/", True)
    assert unchanged(script)


def test_recover_refuses_a_script(script, capsys):
    for dry_run in (True, False):
        with pytest.raises(laaos.NotALogError, match=NOT_A_LOG + r".*recovering would rewrite it.*--force"):
            laaos.recover(script, dry_run=dry_run)
        assert unchanged(script)
    assert main(["recover", str(script)]) == 1
    assert "not a laaos log" in capsys.readouterr().err
    assert unchanged(script)


def test_recover_forced_repairs_a_log_whose_first_statement_is_damaged(tmp_path, capsys):
    path = tmp_path / "run.py"
    # a flipped byte in the first store of a log that 2.1.1's create_file_store restarted
    path.write_bytes(b"stoRe = {'a': 1}\nstore['b']=2\nstore = {}\nstore['c']=3\n")
    before = path.read_bytes()
    with pytest.raises(laaos.NotALogError, match=r"its first line is \"stoRe = \{'a': 1\}\".*first statement is damaged"):
        laaos.recover(path)
    assert main(["recover", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"`laaos recover --force {path}`" in err
    assert path.read_bytes() == before
    assert main(["recover", "--force", str(path)]) == 0
    assert laaos.safe_load(path) == {"c": 3}
    assert path.read_bytes() == b"store = {}\nstore['c']=3\n"


def test_compact_refuses_to_replace_a_script(script, tmp_path_factory, capsys):
    log = tmp_path_factory.mktemp("logs") / "run.py"
    shutil.copy(CORPUS / "losses.py", log)
    with pytest.raises(laaos.NotALogError, match=NOT_A_LOG + r".*compacting would replace it.*--force"):
        laaos.compact(log, script)
    assert unchanged(script)
    assert main(["compact", str(log), "-o", str(script)]) == 1
    assert "not a laaos log" in capsys.readouterr().err
    assert unchanged(script)
    with pytest.raises(laaos.NotALogError, match="compacting it in place would rewrite it"):
        laaos.compact(script, script)
    assert unchanged(script)
    assert main(["compact", str(script)]) == 1
    assert unchanged(script)
    assert main(["compact", str(log), "-o", str(script), "--force"]) == 0
    laaos.compact(log, script, overwrite=True)
    assert laaos.safe_load(script) == laaos.safe_load(log)


def test_check_says_a_script_is_not_a_log_and_does_not_advise_recover(script, capsys):
    assert main(["check", str(script)]) == 1
    out = capsys.readouterr().out
    assert "not a laaos log" in out and "laaos recover" not in out and "--force" not in out
    assert unchanged(script)


# ---- real logs are still logs ------------------------------------------------------------


Color = enum.Enum("Color", "RED GREEN")  # as the corpus's weak_enum log names it


def corpus_logs():
    return sorted(p.name for p in CORPUS.glob("*.py"))


@pytest.mark.parametrize("name", corpus_logs())
def test_logs_of_2_1_1_recover_compact_and_truncate_as_before(tmp_path, name):
    path = tmp_path / name
    shutil.copy(CORPUS / name, path)
    recovery = laaos.recover(path)
    assert not recovery.changed and not recovery.needed and path.read_bytes() == (CORPUS / name).read_bytes()
    laaos.compact(path, path, exposed_symbols=[Color], type_handlers=[laaos.WeakEnumHandler()])
    root = laaos.open_file_store(name[:-3], "", prefix=f"{tmp_path}/", truncate=True, provenance=False)
    root.close()
    assert path.read_text() == "store = {}\n"


@pytest.mark.parametrize("data", [
    b"",
    b"\n\n  \n",
    b"\x00" * 4096,  # a log that a power loss left as zeroes
    b"store = {}\n",
    b"store={}\n",
    b"store = (\n{'a': 1}\n)\n",
    b"\xef\xbb\xbfstore = {}\r\nstore['a']=1\r\n",  # through Windows, with a byte-order mark
    b"# a note\n\nstore = {}\n",
    b'#laaos:session {"pid": 1}\nstore = {}\n',
    b'#laaos:session {"pid": 1',  # a torn first record
    b"sto",  # a torn first statement
    b"store = {'a': [1,",
    b"store = {}\nstore['a'] = float('nan')\nstore['b'] = nan\n",  # laaos and 2.1.1 NaN
], ids=repr)
def test_what_laaos_and_2_1_1_write_is_a_log_however_it_is_read(data):
    assert not_a_log([data]) is None
    assert not_a_log([data[i:i + 1] for i in range(len(data))]) is None


@pytest.mark.parametrize("data, why", [
    (SCRIPT.encode(), "after comments, its first statement is '\"\"\"Train.\"\"\"'"),
    (b"import os\n", "its first line is 'import os'"),
    (b"store == 1\n", "its first line is 'store == 1'"),
    (b"store['a'] = 1\n", "its first line is \"store['a'] = 1\""),
    (b"# only a comment\n", "it holds only comments (its first line is '# only a comment') and no statement"),
    (b"\x89PNG\r\n\x1a\n", "its first line is '\ufffdPNG'"),
    (b"x" * 500 + b"\n", "its first line is '" + "x" * 57 + "...'"),
], ids=lambda x: repr(x)[:30])
def test_anything_else_is_not_a_log_and_the_reason_quotes_its_first_line(data, why):
    assert not_a_log([data]) == why
    assert not_a_log([data[i:i + 1] for i in range(len(data))]) == why


LOGS = {
    "empty": b"",
    "torn": b"store = {}\nstore['a'] = [1.5]\nstore['a'].append(2.",
    "nan": (CORPUS / "nonfinite.py").read_bytes(),
    "tornfirst": b"store = {'a': [1,",
}


@pytest.mark.parametrize("name", LOGS)
def test_torn_empty_and_nan_bearing_logs_open_truncate_and_recover(tmp_path, name):
    path = tmp_path / f"{name}.py"
    path.write_bytes(LOGS[name])
    recovery = laaos.recover(path, dry_run=True)
    assert recovery.needed == (name.startswith("torn"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", laaos.TornTailWarning)
        root = laaos.open_file_store(name, "", prefix=f"{tmp_path}/", provenance=False)
    before = laaos.to_plain(root)
    root.close()
    assert laaos.safe_load(path) == before
    laaos.open_file_store(name, "", prefix=f"{tmp_path}/", truncate=True).close()
    assert laaos.safe_load(path) == {}
