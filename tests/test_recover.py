"""A log damaged in the middle is reported at the right line, and ``recover`` keeps
everything else while setting the bad bytes aside."""

import os
import sys

import pytest

import laaos


def torn_then_resumed(tmp_path):
    """A torn statement, then a writer that appended without repairing (as 2.1.1 did)."""
    path = tmp_path / "run.py"
    good = "store = (\n{'cfg': {'name': 'é中'}, 'l': []}\n)\nstore['l'].append(1.5)\n"
    torn = "store['l'].append(2.7"
    resumed = "store['l'].append(3.5)\nstore['cfg']['done'] = True\n"
    path.write_bytes((good + torn + resumed).encode())
    return path, good, torn, resumed


def test_torn_statement_followed_by_more_is_corruption_at_its_line(tmp_path):
    path, *_ = torn_then_resumed(tmp_path)
    with pytest.raises(laaos.LogSyntaxError, match=r"run\.py:5:"):
        laaos.safe_load(path)
    with pytest.raises(laaos.LogSyntaxError):  # and a writer will not append to it
        laaos.open_file_store("run", "", prefix=f"{tmp_path}/")
    assert laaos.safe_load(path, skip_errors=True) == {"cfg": {"name": "é中", "done": True}, "l": [1.5]}


def test_recover_keeps_every_good_statement_and_sets_the_bad_bytes_aside(tmp_path):
    path, good, torn, resumed = torn_then_resumed(tmp_path)
    before = path.read_bytes()
    recovery = laaos.recover(path)
    assert recovery.changed and not recovery.compacted
    assert [line for line, _ in recovery.rejected_lines] == [5]
    assert path.read_text() == good + resumed.split("\n", 1)[1]
    rejected = open(recovery.rejected_path, "rb").read()
    assert rejected == (torn + resumed.split("\n", 1)[0] + "\n").encode()
    # nothing lost: the kept and the rejected bytes are the old file's bytes
    assert sorted(path.read_bytes() + rejected) == sorted(before)
    assert laaos.safe_load(path) == {"cfg": {"name": "é中", "done": True}, "l": [1.5]}
    # and the log is writable again
    root = laaos.open_file_store("run", "", prefix=f"{tmp_path}/")
    root["l"].append(4.5)
    root.close()
    assert laaos.safe_load(path)["l"] == [1.5, 4.5]


def test_recover_cuts_a_torn_tail_into_the_rejected_file(tmp_path):
    path = tmp_path / "run.py"
    path.write_bytes(b"store = {}\nstore['a']=1\nstore['b']=[1, 2\x00\x00")
    recovery = laaos.recover(path)
    assert recovery.dropped_bytes == len(b"store['b']=[1, 2\x00\x00")
    assert path.read_bytes() == b"store = {}\nstore['a']=1\n"
    assert open(recovery.rejected_path, "rb").read() == b"store['b']=[1, 2\x00\x00"


def test_recover_rewrites_when_a_bad_statement_spans_lines(tmp_path):
    path = tmp_path / "run.py"
    path.write_text("store = {}\nstore['a']=[1,\n2, @]\nstore['b']=2\n")
    recovery = laaos.recover(path)
    assert laaos.safe_load(path) == {"b": 2}
    assert recovery.changed


def test_recover_that_rewrites_keeps_the_session_records(tmp_path, monkeypatch):
    # the rewrite is the fallback for kept lines that no longer load to the same store
    monkeypatch.setattr(sys.modules["laaos.recover"], "_loads_to", lambda *args: False)
    root = laaos.open_file_store("run", "", prefix=f"{tmp_path}/", initial_data={"b": 1})
    root.close()
    path = tmp_path / "run.py"
    sessions = laaos.load(path).sessions
    assert len(sessions) == 1
    with open(path, "a") as f:
        f.write("store['a']=[1,\n2, @]\nstore['b']=2\n")
    recovery = laaos.recover(path)
    assert recovery.compacted
    assert laaos.safe_load(path) == {"b": 2}
    assert [s.info for s in laaos.load(path).sessions] == [s.info for s in sessions]


def test_recover_leaves_a_healthy_log_alone_and_refuses_a_live_one(tmp_path):
    root = laaos.open_file_store("run", "", prefix=f"{tmp_path}/")
    root["a"] = 1
    with pytest.raises(laaos.StoreLockedError):
        laaos.recover(tmp_path / "run.py")
    root.close()
    before = (tmp_path / "run.py").read_bytes()
    recovery = laaos.recover(tmp_path / "run.py")
    assert not recovery.changed and recovery.statements == 2
    assert (tmp_path / "run.py").read_bytes() == before
    assert os.listdir(tmp_path) == ["run.py"]


# ---- a healthy log that names symbols is not damage --------------------------------------


def test_recover_keeps_statements_that_name_symbols_not_passed(symbol_log):
    path, _ = symbol_log
    torn_line = path.read_bytes().count(b"\n") + 1
    with open(path, "ab") as f:  # damage in the middle: a torn statement, then more
        f.write(b"store['losses'].append(0.1\nstore['losses'].append(0.125)\nstore['when'] = datetime.date(2026, 1, 3)\n")
    before = path.read_bytes()
    dry = laaos.recover(path, dry_run=True)
    assert path.read_bytes() == before and not dry.changed and dry.dry_run
    assert [line for line, _ in dry.rejected_lines] == [torn_line]
    assert set(dry.missing_symbols) == {"datetime", "Color"}
    recovery = laaos.recover(path)
    assert recovery.changed and not recovery.compacted
    assert [line for line, _ in recovery.rejected_lines] == [torn_line]
    text = path.read_text()
    assert "datetime.datetime(2026, 1, 2, 3, 4, 5)" in text and "Color.RED" in text
    assert "datetime.date(2026, 1, 3)" in text
    import datetime

    from laaos_test_colors import Color

    store = laaos.safe_load(path, [datetime, Color])
    assert store["losses"] == [0.5, 0.25, 0.125] and store["color"] is Color.RED
    assert store["when"] == datetime.date(2026, 1, 3)


def test_recover_dry_run_of_a_torn_tail_changes_nothing(tmp_path):
    path = tmp_path / "run.py"
    path.write_bytes(b"store = {}\nstore['a']=1\nstore['b']=[1, 2")
    recovery = laaos.recover(path, dry_run=True)
    assert recovery.needed and not recovery.changed and recovery.dropped_bytes == len(b"store['b']=[1, 2")
    assert path.read_bytes() == b"store = {}\nstore['a']=1\nstore['b']=[1, 2"
    assert [p.name for p in tmp_path.iterdir()] == ["run.py"]
