"""A log damaged in the middle is reported at the right line, and ``recover`` keeps
everything else while setting the bad bytes aside."""

import os

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
