"""``laaos.follow`` and ``laaos follow`` stay in step when the log is rewritten under them:
a resumed writer cutting a torn tail off, a ``truncate=True`` restart, a compaction, a
replace.  Real writer processes, killed with SIGKILL mid-statement; and a thread."""

import os
import signal
import subprocess
import sys
import threading
import time
import warnings

import pytest

import laaos

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is a POSIX signal")

WRITER = r"""
import os, sys, laaos
path, start, stop, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
folder, name = os.path.split(path)
root = laaos.open_file_store(name[:-3], "", prefix=folder + "/", truncate=mode == "truncate",
                             initial_data={"xs": [], "run": mode})
for i in range(start, stop):
    root["xs"].append(i)
root.flush()
if mode == "tear":
    # Killed mid-statement: the first bytes of a statement are in the file, the rest never
    # come (a write cut short).  The resumed writer writes other bytes where these are.
    with open(path, "ab") as f:
        f.write(b"store['xs'].append(999999")
print("ready", flush=True)
if mode == "tear":
    import time
    time.sleep(60)  # the test kills us here
root.close()
"""


def write(path, start, stop, mode, env):
    """Run a writer process; a "tear" one is killed with SIGKILL after its torn statement."""
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(start), str(stop), mode],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                             cwd=os.path.dirname(path), text=True)
    assert child.stdout.readline() == "ready\n", child.stderr.read()
    if mode == "tear":
        child.send_signal(signal.SIGKILL)
    _, err = child.communicate(timeout=60)
    assert child.returncode == (-signal.SIGKILL if mode == "tear" else 0), err


class Follower(threading.Thread):
    """``laaos.follow`` in a thread: the snapshots it saw, or the error it raised."""

    def __init__(self, path, until, interval=0.3, idle_timeout=20.0):
        super().__init__(daemon=True)
        self.path, self.until, self.interval, self.idle_timeout = path, until, interval, idle_timeout
        self.seen, self.error = [], None

    def run(self):
        try:
            for store in laaos.follow(self.path, interval=self.interval, idle_timeout=self.idle_timeout):
                self.seen.append(repr(store))
                if self.seen[-1] == self.until:  # the state the test waits for (or idle_timeout)
                    return
        except BaseException as e:  # noqa: BLE001 - reported by the test
            self.error = e

    def settle(self):
        """Until the follower has read the file, and two looks more."""
        deadline = time.monotonic() + 30
        while not self.seen and self.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(3 * self.interval)


def store_of(xs, run):
    return repr({"xs": list(xs), "run": run})


def test_follow_survives_a_killed_writer_whose_torn_tail_the_next_one_cuts(tmp_path, backend_env):
    path = tmp_path / "run.py"
    write(path, 0, 20, "tear", backend_env)
    follower = Follower(path, until=store_of(range(30), "tear"))
    follower.start()
    follower.settle()  # it has read the torn statement and waits for its newline
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", laaos.TornTailWarning)
        write(path, 20, 30, "resume", backend_env)  # cuts the tail, appends: between two looks
    follower.join(30)
    assert follower.error is None, follower.error
    assert follower.seen[-1] == store_of(range(30), "tear")
    assert "999999" not in "".join(follower.seen)


def test_follow_survives_a_truncate_restart(tmp_path, backend_env):
    path = tmp_path / "run.py"
    write(path, 0, 40, "first", backend_env)
    follower = Follower(path, until=store_of(range(100, 160), "truncate"))
    follower.start()
    follower.settle()
    write(path, 100, 160, "truncate", backend_env)  # a new run, longer than the old one
    follower.join(30)
    assert follower.error is None, follower.error
    assert follower.seen[0] == store_of(range(40), "first")
    assert follower.seen[-1] == store_of(range(100, 160), "truncate")


@pytest.mark.parametrize("how", ["compact", "replace"])
def test_follow_survives_a_compaction_and_a_replace(tmp_path, backend_env, how):
    path = tmp_path / "run.py"
    write(path, 0, 40, "first", backend_env)
    expected = store_of(range(45), "first") if how == "compact" else store_of(range(7, 9), "other")
    follower = Follower(path, until=expected)
    follower.start()
    follower.settle()
    if how == "compact":
        laaos.compact(path, path)
        write(path, 40, 45, "resume", backend_env)
    else:
        write(tmp_path / "other.py", 7, 9, "other", backend_env)
        os.replace(tmp_path / "other.py", path)
    follower.join(30)
    assert follower.error is None, follower.error
    assert follower.seen[-1] == expected


def test_follow_survives_a_thread_that_truncates_and_tears(tmp_path):
    """A thread that tears the log, cuts the tear and writes more between two looks, and
    truncates it to a new run of the same first bytes."""
    path = tmp_path / "run.py"
    root = laaos.open_file_store("run", "", prefix=f"{tmp_path}/", initial_data={"xs": [], "run": "t"})
    for i in range(10):
        root["xs"].append(i)
    root.flush()
    follower = Follower(path, until=store_of(range(50, 70), "t"), interval=0.2)
    follower.start()

    def writer():
        with open(path, "ab") as f:
            f.write(b"store['xs'].append(777")
        follower.settle()
        size = os.path.getsize(path)
        with open(path, "r+b") as f:  # cut the tear and append, as a resumed writer does
            f.truncate(size - len(b"store['xs'].append(777"))
            f.seek(0, os.SEEK_END)
            f.write(b"store['xs'].append(10)\nstore['xs'].append(11)\n")
        follower.settle()
        root.close()
        again = laaos.open_file_store("run", "", prefix=f"{tmp_path}/", truncate=True,
                                      initial_data={"xs": [], "run": "t"})
        for i in range(50, 70):
            again["xs"].append(i)
        again.close()

    t = threading.Thread(target=writer)
    t.start()
    t.join()
    follower.join(30)
    assert follower.error is None, follower.error
    assert store_of(range(12), "t") in follower.seen
    assert follower.seen[-1] == store_of(range(50, 70), "t")
    assert "777" not in "".join(follower.seen)


def test_follow_still_reports_real_damage(tmp_path):
    path = tmp_path / "run.py"
    path.write_bytes(b"store = {}\nstore['a'] = 1\nstore['b'] = 1 +* 2\n")
    with pytest.raises(laaos.LogError, match=r"run\.py:3"):
        for _ in laaos.follow(path, interval=0.01, idle_timeout=0.5):
            pass


def test_cli_follow_says_when_the_log_was_rewritten(tmp_path, backend_env):
    path = tmp_path / "run.py"
    write(path, 0, 5, "first", backend_env)
    proc = subprocess.Popen([sys.executable, "-m", "laaos", "follow", str(path), "--interval", "0.2",
                             "--idle-timeout", "4", "--from-start"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=backend_env)
    assert proc.stdout.readline().startswith("      1  ")  # it has read the file
    write(path, 100, 103, "truncate", backend_env)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "was rewritten" in out and "append(102)" in out and "Traceback" not in err


def test_cli_follow_of_a_missing_file_errors_at_once_or_waits_when_told(tmp_path, capsys):
    from laaos.cli import main

    started = time.monotonic()
    assert main(["follow", str(tmp_path / "typo.py")]) == 1
    assert "no such log file" in capsys.readouterr().err and time.monotonic() - started < 5
    assert main(["follow", str(tmp_path / "typo.py"), "--wait", "0.3"]) == 1
    err = capsys.readouterr().err
    assert "waiting for" in err and "did not appear within 0.3 seconds" in err


def test_follow_waits_for_a_file_to_appear_without_spinning(tmp_path):
    from laaos.follow import tail_bytes

    naps = []

    def nap(seconds):
        naps.append(seconds)
        time.sleep(0.05)

    assert list(tail_bytes(tmp_path / "later.py", interval=0.05, idle_timeout=0.3, sleep=nap)) == []
    assert 1 <= len(naps) < 20  # it slept between looks (a spin would look thousands of times)


def test_follow_keeps_torn_tail_damage_and_missing_symbols_apart(tmp_path, capsys):
    import datetime

    from laaos.cli import main

    path = tmp_path / "run.py"
    path.write_bytes(b"store = {}\nstore['t'] = datetime.datetime(2026, 1, 1, 0, 0)\nstore['a'] = [1,")
    with pytest.raises(laaos.UnknownSymbolError) as e:  # a healthy log: pass the symbol
        for _ in laaos.follow(path, interval=0.01, idle_timeout=0.3):
            pass
    assert e.value.name == "datetime" and e.value.line == 2
    seen = [repr(s) for s in laaos.follow(path, extra_mappings={"datetime": datetime}, interval=0.01,
                                          idle_timeout=0.3)]
    assert seen == [repr({"t": datetime.datetime(2026, 1, 1)})]  # the torn tail waits
    assert main(["follow", str(path), "--from-start", "--idle-timeout", "0.3", "--interval", "0.01"]) == 1
    err = capsys.readouterr().err
    assert "not damaged" in err and "--symbol datetime" in err
    code = main(["follow", str(path), "--from-start", "--idle-timeout", "0.3", "--interval", "0.01",
                 "--symbol", "datetime"])
    out = capsys.readouterr().out
    assert code == 0 and "datetime.datetime(2026, 1, 1, 0, 0)" in out and "[1," not in out
