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


@pytest.mark.parametrize("retry", ["close", "flush"])
def test_a_failed_close_keeps_the_buffer_and_a_retry_writes_it(small_fs, retry):
    """A buffered store whose close() hits a full disk stays open with its buffer and its
    lock; once there is room, the retried close() (or flush()) writes every statement."""
    ballast = small_fs / "ballast"
    ballast.write_bytes(b"\0" * 40_000)  # the disk is 64 KiB: this leaves less than the buffer
    root = laaos.open_file_store("run", "", prefix=f"{small_fs}/", durability="buffered",
                                 buffer_size=1 << 20, flush_interval=1000, provenance=False)
    root["rows"] = []
    for i in range(20):
        root["rows"].append([i, "x" * 2000])  # 40 KB, all in memory
    with pytest.raises(OSError) as info:
        root.flush()
    assert info.value.errno == errno.ENOSPC and "run.py" in str(info.value)
    for _ in range(2):  # never a silent success: each attempt without room says so
        with pytest.raises(OSError) as info:
            root.close()
        assert info.value.errno == errno.ENOSPC
    assert (small_fs / "run.py").read_bytes() == b""  # nothing in part reached the log
    assert not root.laaos_store.closed
    root["rows"].append([20, "y"])  # still open: it buffers on
    # Opening the log again asks this store to give way, which needs its buffer written:
    # the open fails as the close does, and this store keeps its buffer and the log.
    with pytest.raises(OSError) as info:
        laaos.open_file_store("run", "", prefix=f"{small_fs}/")
    assert info.value.errno == errno.ENOSPC
    assert not root.laaos_store.closed
    ballast.unlink()
    getattr(root, retry)()
    root.close()
    assert root.laaos_store.closed
    root.close()  # closing again does nothing
    assert loaded(small_fs / "run.py") == {"rows": [[i, "x" * 2000] for i in range(20)] + [[20, "y"]]}


def test_a_close_that_fails_at_exit_says_what_is_lost(small_fs, backend_env):
    script = f"""
import laaos
root = laaos.open_file_store("run", "", prefix={str(small_fs) + "/"!r}, durability="buffered",
                             buffer_size=1 << 20, flush_interval=1000, provenance=False)
root["rows"] = [[i, "x" * 2000] for i in range(40)]  # 80 KB: more than the disk holds
"""
    proc = subprocess.run([sys.executable, "-c", script], env=backend_env, capture_output=True, text=True,
                          timeout=60, cwd=small_fs.parent)
    assert proc.returncode == 0, proc.stderr
    assert "laaos: closing the store on" in proc.stderr and "run.py" in proc.stderr, proc.stderr
    assert "No space left on device" in proc.stderr and "lost" in proc.stderr


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


def test_a_buffered_file_object_whose_close_fails_refuses_every_later_flush_and_close():
    log = FailingFile()
    root = laaos.Store(log, durability="buffered", flush_interval=1000).root
    root["x"] = 1
    log.fail = errno.EIO
    with pytest.raises(OSError) as info:
        root.close()
    assert info.value.errno == errno.EIO
    log.fail = None
    for call in (root.flush, root.close):  # a text file object cannot be repaired: it says so
        with pytest.raises(laaos.StoreClosedError, match="earlier write .* failed"):
            call()


def test_a_with_block_on_a_failing_file_object_ends_with_the_write_error():
    log = FailingFile()
    with pytest.raises(OSError) as info:
        with laaos.Store(log).root as root:
            root["x"] = 1
            log.fail = errno.ENOSPC
            root["y"] = 2
    assert info.value.errno == errno.ENOSPC  # not the StoreClosedError of the close after it


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


def test_a_close_that_fails_at_exit_after_writing_everything_says_nothing_is_lost(backend_env, tmp_path):
    script = f"""
import laaos

class Log:  # a text file object whose own close fails, after every statement reached it
    def __init__(self):
        self.f = open({str(tmp_path / "run.py")!r}, "w", encoding="utf-8")
        self.encoding, self.write, self.flush = "utf-8", self.f.write, self.f.flush
    def close(self):
        self.f.close()
        raise OSError(5, "Input/output error")

root = laaos.Store(Log(), durability="buffered").root
root["rows"] = [[1, 2.5]]
root["rows"].append([2, 3.5])
"""
    proc = subprocess.run([sys.executable, "-c", script], env=backend_env, capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "laaos: closing the store on" in proc.stderr and "Input/output error" in proc.stderr, proc.stderr
    assert "lost" not in proc.stderr, proc.stderr
    assert loaded(tmp_path / "run.py") == {"rows": [[1, 2.5], [2, 3.5]]}


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
def test_a_failed_write_to_a_file_from_open_names_its_path():
    with pytest.raises(OSError) as info:
        laaos.Store(open("/dev/full", "w", encoding="utf-8"))
    assert info.value.errno == errno.ENOSPC and info.value.filename == "/dev/full"
    assert "/dev/full" in str(info.value)
