"""Real writer processes killed at random moments: nothing acknowledged is ever lost.

A child process resumes the log, appends 0, 1, 2, ... to ``store['xs']`` (and every
fifth step sets a nested entry in ``store['d']``) and writes each index to a pipe once
the call has returned.  The parent kills it, reloads the log and checks that it holds
exactly ``0 .. n-1`` -- no gap, no duplicate, no statement in part -- and that ``n``
covers every acknowledged index (``flush``, ``fsync``).  ``buffered`` may lose the
unwritten buffer, never more, and never a statement in part.

The number of kills per backend is ``LAAOS_KILLS`` (500, so 1000 in all, by default).  Each test
prints its figures; RELIABILITY.md quotes them.
"""

import os
import random
import signal
import subprocess
import sys
import time
import warnings

import pytest

import laaos

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL, SIGTERM and SIGINT are POSIX signals"),
]

KILLS = int(os.environ.get("LAAOS_KILLS", "500"))  # per backend: 1000 kills in all
SHARE = {"flush": 0.4, "fsync": 0.2, "buffered": 0.4}
KILLS_PER_LOG = 25  # a fresh log now and then keeps each reload short

WRITER = r"""
import os, sys, time, laaos
prefix, durability = sys.argv[1], sys.argv[2]
stop_after = int(sys.argv[3])
pause = float(sys.argv[5])  # seconds of sleep every 100 operations (a paced run)
root = laaos.open_file_store("run", "", prefix=prefix, durability=durability,
                             initial_data={"xs": [], "d": {}}, buffer_size=4096)
xs, d = root["xs"], root["d"]
i = len(xs)
out = sys.stdout.fileno()
os.write(out, b"start %d\n" % i)
while stop_after < 0 or i < stop_after:
    if i % 5 == 0:
        d["k%d" % i] = {"i": i, "text": "\u00e9\u4e2d" * (i % 37), "nested": [i, [float(i) / 3, {"x": None}]]}
    xs.append(i)
    os.write(out, b"%d\n" % i)
    i += 1
    if pause and i % 100 == 0:
        time.sleep(pause)
if sys.argv[4] == "raise":
    raise RuntimeError("the training run failed")
sys.exit(int(sys.argv[4]))
"""


def start(prefix, durability, env, stop_after=-1, ending="0", pause=0.0):
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, prefix, durability, str(stop_after), ending, str(pause)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        cwd=os.path.dirname(prefix),  # not the source tree: the installed laaos
        # Unbuffered: a buffered readline() of the "start" line may read acknowledgements
        # ahead, which communicate() (reading the descriptor itself) then never sees.
        bufsize=0,
    )


def stop(child, sig):
    """Send ``sig``, wait for the child to die of it; its stdout and stderr."""
    child.send_signal(sig)
    output, err = child.communicate()
    assert child.returncode == -sig, err
    return output, err


def acked(output: bytes) -> int:
    """The highest index acknowledged on the pipe (-1 when none)."""
    lines = output.split(b"\n")[:-1]  # the last piece is a partial line or empty
    numbers = [int(line) for line in lines if line and not line.startswith(b"start")]
    return max(numbers, default=-1)


def check_log(path, durability, last_acked, before=0):
    """Load the log; it must hold 0..n-1 exactly, with every acknowledged index, and at
    most one call more than was acknowledged or there before (the one in flight)."""
    # A kill may tear the tail (dropped, not warned about here); a buffered writer
    # killed before its first flush leaves an empty file.
    store = laaos.load(path, warn=False, allow_empty=True).store or {"xs": [], "d": {}}
    xs = store["xs"]
    n = len(xs)
    assert xs == list(range(n)), "a gap or a duplicate"
    assert n <= max(last_acked + 1, before) + 1, "more than the one call in flight at the kill"
    if durability != "buffered":
        assert n >= last_acked + 1, f"acknowledged {last_acked} but the log has {n}"
    for i in range(0, n, 5):
        entry = store["d"][f"k{i}"]
        assert entry["i"] == i and entry["text"] == "\u00e9\u4e2d" * (i % 37)
        assert entry["nested"] == [i, [float(i) / 3, {"x": None}]]
    assert all(int(k[1:]) <= n for k in store["d"])
    return n


@pytest.mark.parametrize("durability", ["flush", "fsync", "buffered"])
def test_sigkill_loop_loses_nothing_acknowledged(tmp_path, durability, backend_env, capsys):
    kills = max(1, round(KILLS * SHARE[durability]))
    rng = random.Random(f"{durability}-{KILLS}")
    total_acked = total_lost = torn = 0
    prefix = None
    history = []
    for trial in range(kills):
        if trial % KILLS_PER_LOG == 0:
            prefix = f"{tmp_path}/series{trial // KILLS_PER_LOG}-"
            before, high = 0, -1  # the log's length, the highest index acknowledged
        child = start(prefix, durability, backend_env)
        early = rng.random() < 0.1
        if early:
            time.sleep(rng.uniform(0, 0.05))  # anywhere, even while it opens and repairs
        else:
            line = child.stdout.readline()
            assert line.startswith(b"start"), child.stderr.read()
            time.sleep(rng.uniform(0, 0.02))
        output, err = stop(child, signal.SIGKILL)
        last = acked(output)
        path = f"{prefix}run.py"
        if not os.path.exists(path):
            assert last == -1
            continue
        if os.path.getsize(path) and open(path, "rb").read()[-1:] != b"\n":
            torn += 1
        if last >= 0:
            total_acked += last + 1 - before
        high = max(high, last)
        try:
            n = check_log(path, durability, high, before)
        except AssertionError as e:
            raise AssertionError(f"{e}; trial {trial} (early kill: {early}), (trial, early, acked, n) before: "
                                 f"{history[-3:]}, acks: {output[-60:]!r}, stderr {err[-300:]!r}") from None
        history.append((trial, early, last, n))
        total_lost += max(0, high + 1 - n)
        high = min(high, n - 1)  # buffered: the next run redoes what was lost
        before = n
    with capsys.disabled():
        print(f"\nSIGKILL loop, {durability}: {kills} kills, {total_acked} operations acknowledged, "
              f"{total_lost} acknowledged operations not in the log, {torn} torn tails repaired")
    if durability != "buffered":
        assert total_lost == 0


@pytest.mark.parametrize("durability", ["flush", "fsync", "buffered"])
def test_sigterm_writes_everything_acknowledged(tmp_path, durability, backend_env):
    """SIGTERM (a scheduler preempting the job): even the buffer reaches the log."""
    prefix = f"{tmp_path}/"
    rng = random.Random(durability)
    before = 0
    for _ in range(20):
        child = start(prefix, durability, backend_env)
        assert child.stdout.readline().startswith(b"start")
        time.sleep(rng.uniform(0, 0.02))
        output, _ = stop(child, signal.SIGTERM)
        last = acked(output)
        # nothing acknowledged lost, even with "buffered"
        before = check_log(f"{prefix}run.py", "flush", max(last, before - 1), before)


@pytest.mark.parametrize("ending", ["raise", "3"])
def test_an_exception_or_exit_writes_the_buffer(tmp_path, ending, backend_env):
    child = start(f"{tmp_path}/", "buffered", backend_env, stop_after=1234, ending=ending)
    output, err = child.communicate()
    assert child.returncode == (1 if ending == "raise" else 3)
    if ending == "raise":
        assert b"the training run failed" in err
    assert acked(output) == 1233
    assert laaos.safe_load(tmp_path / "run.py")["xs"] == list(range(1234))


def test_sigint_writes_the_buffer(tmp_path, backend_env):
    """Ctrl-C: KeyboardInterrupt ends the run, and the buffer is written at exit."""
    child = start(f"{tmp_path}/", "buffered", backend_env)
    assert child.stdout.readline().startswith(b"start")
    time.sleep(0.02)
    child.send_signal(signal.SIGINT)
    output, err = child.communicate()
    assert b"KeyboardInterrupt" in err
    check_log(tmp_path / "run.py", "flush", acked(output))


@pytest.mark.parametrize("durability", ["flush", "buffered"])
def test_readers_during_a_live_writer_always_see_a_consistent_prefix(tmp_path, durability, backend_env):
    """Load the log over and over while another process writes it: every load is a
    prefix of the writer's operations, whole statements only (a statement caught
    half-written is a torn tail the loader drops), and the writer keeps writing while
    the loads run."""
    import threading

    prefix = f"{tmp_path}/"
    # (paced: at most 10,000 operations a second; it writes until the loads are done, so
    # that a busy machine's slow loads still see it write, up to a minute)
    child = start(prefix, durability, backend_env, stop_after=600_000, pause=0.01)
    assert child.stdout.readline().startswith(b"start")
    # Drain the acknowledgements: a full pipe would stop the writer, and the loads would
    # read a file that no longer changes.
    drain = threading.Thread(target=lambda: child.stdout.read(), daemon=True)
    drain.start()
    loads, lengths, torn = 0, [], 0
    deadline = time.monotonic() + 60
    while child.poll() is None and loads < 40 and time.monotonic() < deadline:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = laaos.load(tmp_path / "run.py", allow_empty=True)
        torn += any(issubclass(w.category, laaos.TornTailWarning) for w in caught)
        loads += 1
        time.sleep(0.01)  # (loads spread over the run)
        if result.store is None:  # buffered: not even `store = ...` written yet
            continue
        xs = result.store["xs"]
        assert xs == list(range(len(xs)))
        for i in range(0, len(xs), 5):
            assert result.store["d"][f"k{i}"]["i"] == i
        lengths.append(len(xs))
    child.kill()
    child.wait()
    drain.join()
    child.stdout.close()
    child.stderr.close()
    assert loads >= 20 and lengths and lengths == sorted(lengths) and lengths[-1] > 0
    # the writer moved while the loads ran, up to the last ones: they saw the log at many
    # lengths (a writer stopped by a full pipe leaves the later loads one length)
    seen = len(set(lengths))
    assert seen >= 10 and len(set(lengths[-10:])) >= 5, f"{loads} loads saw the lengths {lengths}"
    print(f"\nreaders, {durability}: {loads} loads during writes saw {seen} lengths, "
          f"{torn} saw a statement in flight")
