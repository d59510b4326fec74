"""Faults: a full disk, a failing file object, closed stores.  The caller gets the error,
memory matches what reached the log, and the log stays loadable."""

import errno
import io
import os
import subprocess
import sys
import warnings

import pytest

import laaos

from helpers import plain


@pytest.fixture
def small_fs(tmp_path):
    """A real 64 KiB filesystem (tmpfs), where this machine lets us mount one."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root on Linux")
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], capture_output=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.decode().strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=True)  # lazy: a failed test may leave a file open


def loaded(path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no torn tail either: a failed statement is cut back
        return laaos.safe_load(path)


@pytest.mark.parametrize("durability", ["flush", "fsync"])
def test_a_full_disk_raises_and_keeps_memory_and_log_in_step(small_fs, durability):
    root = laaos.open_file_store("run", "", prefix=f"{small_fs}/", durability=durability)
    root["rows"] = []
    chunk = "é" * 3000
    with pytest.raises(OSError) as info:
        for i in range(1000):
            root["rows"].append([i, chunk])
    assert info.value.errno == errno.ENOSPC
    n = len(root["rows"])
    assert 0 < n < 1000
    assert loaded(small_fs / "run.py") == plain(root)  # the refused row is in neither
    # once there is room again, the same store carries on
    root["rows"].clear()
    os.truncate(small_fs / "run.py", 0)  # (make room; the next statement rewrites nothing)
    root.close()
    root = laaos.open_file_store("run", "", prefix=f"{small_fs}/", durability=durability, truncate=True)
    root["x"] = 1
    root.close()
    assert loaded(small_fs / "run.py") == {"x": 1}


def test_a_full_disk_in_buffered_mode_keeps_the_buffer_for_a_retry(small_fs):
    root = laaos.open_file_store(
        "run", "", prefix=f"{small_fs}/", durability="buffered", buffer_size=1 << 20, provenance=False
    )
    root["rows"] = []
    for i in range(40):
        root["rows"].append([i, "x" * 2000])  # 80 KB: more than the disk holds, all in memory
    with pytest.raises(OSError) as info:
        root.flush()
    assert info.value.errno == errno.ENOSPC
    assert (small_fs / "run.py").read_bytes() == b""  # nothing in part reached the log
    with pytest.raises(OSError):
        root.close()  # closing writes the buffer: still no room, and it says so
    assert root.laaos_store.closed
    with pytest.raises(laaos.StoreClosedError, match="closed"):
        root["rows"].append(1)


class FailingFile(io.StringIO):
    def __init__(self):
        super().__init__()
        self.fail = None

    def write(self, s):
        if self.fail:
            raise OSError(self.fail, os.strerror(self.fail))
        return super().write(s)


@pytest.mark.parametrize("code", [errno.EIO, errno.ENOSPC])
def test_a_failing_file_object_stops_the_store_with_a_clear_error(code):
    log = FailingFile()
    root = laaos.Store(log).root
    root["d"] = {"a": [1]}
    log.fail = code
    with pytest.raises(OSError) as info:
        root["d"]["a"].append(2)
    assert info.value.errno == code
    assert plain(root) == {"d": {"a": [1]}}
    log.fail = None
    for write in (lambda: root["d"]["a"].append(3), lambda: root.__setitem__("e", 1), lambda: root["d"].clear()):
        with pytest.raises(laaos.StoreClosedError, match="earlier write .* failed .*reopen it to repair"):
            write()
    assert plain(root) == {"d": {"a": [1]}}
    assert laaos.safe_load_str(log.getvalue()) == {"d": {"a": [1]}}


def test_closed_stores_refuse_every_operation_and_close_twice_quietly(tmp_path):
    root = laaos.open_file_store("run", "", prefix=f"{tmp_path}/", initial_data={"l": [1], "d": {}, "s": {1}})
    lst, dct, st = root["l"], root["d"], root["s"]
    root.close()
    root.close()
    operations = [lambda: lst.append(2), lambda: lst.extend([2]), lambda: lst.insert(0, 2),
                  lambda: lst.__setitem__(0, 5), lambda: lst.__delitem__(0), lambda: dct.__setitem__("k", 1),
                  lambda: st.add(2), lambda: root.__setitem__("x", 1), lambda: root.flush()]
    for op in operations[:-1]:
        with pytest.raises(laaos.StoreClosedError, match=r"run\.py' is closed"):
            op()
    operations[-1]()  # flushing a closed store has nothing to do
    assert loaded(tmp_path / "run.py") == {"l": [1], "d": {}, "s": {1}}
