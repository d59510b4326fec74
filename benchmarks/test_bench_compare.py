"""``laaos compare`` on a sweep: LAAOS_BENCH_COMPARE_LOGS logs (default 1,000) of a
training run's shape (a config, a dict of metrics per step for LAAOS_BENCH_COMPARE_STEPS
steps (default 2,000), an eval dict every 100 steps), against loading each log whole
with ``laaos.load`` in one process.  The command runs in this process (``main([...])``,
its output to a file); the rounds of the cases are interleaved (the machine is shared),
and ``test_compare_table`` prints their medians.

    pytest benchmarks/test_bench_compare.py --benchmark-columns=median,min,max,rounds -s
"""

import contextlib
import gc
import os
import shutil
import statistics
import time

import pytest
from benchtools import use

import laaos
import laaos.many
from laaos.cli import main

LOGS = int(os.environ.get("LAAOS_BENCH_COMPARE_LOGS", "1000"))
STEPS = int(os.environ.get("LAAOS_BENCH_COMPARE_STEPS", "2000"))
ROUNDS = int(os.environ.get("LAAOS_BENCH_COMPARE_ROUNDS", "3"))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One run's log written by laaos, copied with its own learning rate per run."""
    use("cython")
    base = tmp_path_factory.mktemp("compare")
    root = laaos.open_file_store("run", "", prefix=f"{base}/", durability="buffered",
                                 initial_data={"config": {"lr": 1e-3, "seed": 0, "depth": 12, "model": "mlp"},
                                               "metrics": [], "evals": []})
    for step in range(STEPS):
        root["metrics"].append({"step": step, "loss": 1 / (step + 1), "acc": 1 - 1 / (step + 2), "lr": 1e-3})
        if step % 100 == 0:
            root["evals"].append({"step": step, "loss": 0.5 / (step + 1), "acc": 0.9})
    root.close()
    data = (base / "run.py").read_bytes()
    paths = []
    for i in range(LOGS):
        path = base / f"lr{i:04d}.py"
        path.write_bytes(data + b"store['config']['lr'] = %r\n" % (1e-4 * (i + 1)))
        paths.append(str(path))
    os.remove(base / "run.py")
    yield paths
    shutil.rmtree(base, ignore_errors=True)


def compare(paths, out, *options, pool=True):
    """``laaos compare PATHS --format csv OPTIONS`` (``pool=False``: ``load_many`` in
    this process, as for a sweep under its pool threshold)."""
    def run():
        threshold = laaos.many.PARALLEL_MIN_BYTES
        laaos.many.PARALLEL_MIN_BYTES = threshold if pool else 1 << 62
        try:
            with open(out, "w") as f, contextlib.redirect_stdout(f):
                assert main(["compare", *paths, "--format", "csv", *options]) == 0
        finally:
            laaos.many.PARALLEL_MIN_BYTES = threshold
    return run


def load_each_whole(paths):
    def run():
        for p in paths:
            laaos.load(p)
    return run


def cases(runs, tmp_path):
    out = str(tmp_path / "out.csv")
    return {
        "laaos.load of each log, whole, one process": load_each_whole(runs),
        "laaos compare (default columns: whole logs, load_many's pool)": compare(runs, out),
        "laaos compare, in one process": compare(runs, out, pool=False),
        "laaos compare -k config.lr -k 'evals[-1].acc' (keys=['config', 'evals'], pool)":
            compare(runs, out, "-k", "config.lr", "-k", "evals[-1].acc"),
        "laaos compare -k ... as above, in one process":
            compare(runs, out, "-k", "config.lr", "-k", "evals[-1].acc", pool=False),
    }


TIMES = {}


def test_compare_interleaved(runs, tmp_path, benchmark):
    """Each case once per round, the rounds interleaved; the medians go to the table."""
    todo = cases(runs, tmp_path)
    times = {name: [] for name in todo}

    def one_round():
        for name, fn in todo.items():
            gc.collect()
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)

    benchmark.pedantic(one_round, rounds=ROUNDS, iterations=1, warmup_rounds=0)
    TIMES.update({name: statistics.median(ts) for name, ts in times.items()})
    with open(tmp_path / "out.csv") as f:
        assert len(f.read().splitlines()) == len(runs) + 1  # a row per run and the header


def test_compare_table(runs, capsys):
    """Print the table BENCHMARKS.md shows (after the case above)."""
    if not TIMES:
        pytest.skip("run with test_compare_interleaved")
    size = sum(os.path.getsize(p) for p in runs)
    base = TIMES["laaos.load of each log, whole, one process"]
    lines = [f"\n{len(runs)} logs of {STEPS} steps, {size / 1e6:,.0f} MB in all, {os.cpu_count()} cores; "
             f"medians of {ROUNDS} interleaved rounds",
             "| case | time | vs. laaos.load |", "|---|---|---|"]
    for name, t in TIMES.items():
        lines.append(f"| {name} | {t:.2f} s | {base / t:.2f}x |")
    with capsys.disabled():
        print("\n".join(lines))
