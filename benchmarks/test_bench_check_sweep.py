"""``laaos check`` over a sweep, as a user runs it (a whole process), against
``laaos.load_many`` of the same logs in this process: the target is check <= 3x
load_many + 1 s.  Also timed: ``load_many`` in a process of its own (the start-up both
pay), and ``check`` as it chooses (a worker process per core for a sweep of 32 MiB or
more) and in one process (``--jobs 1``), to show whether the pool pays.

LAAOS_BENCH_CHECK_LOGS logs (1,000) of LAAOS_BENCH_CHECK_STEPS training steps each
(1,000: the loss, accuracy and learning rate appended in turn, an eval dict every 100
steps, 64 per-sample scores every 1,000, a config; one log written by laaos, the others
its copies with a seed of their own).  Each round runs every command once, in an order
that rotates from round to round; the figures are medians over LAAOS_BENCH_CHECK_ROUNDS
rounds (3) of wall and CPU time (user + system, of the children too).  Run as a script
to print the table:

    python benchmarks/test_bench_check_sweep.py
"""

import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import pytest

import laaos
from laaos import _backend

LOGS = int(os.environ.get("LAAOS_BENCH_CHECK_LOGS", "1000"))
STEPS = int(os.environ.get("LAAOS_BENCH_CHECK_STEPS", "1000"))
ROUNDS = int(os.environ.get("LAAOS_BENCH_CHECK_ROUNDS", "3"))


def make_sweep(folder, logs=LOGS, steps=STEPS):
    """The sweep's logs in ``folder``; returns their paths."""
    os.makedirs(folder, exist_ok=True)
    rnd = random.Random(1)
    root = laaos.open_file_store("base", "", prefix=f"{folder}/", durability="buffered", provenance=False,
                                 initial_data={"config": {"lr": 0.001, "batch_size": 64, "model": "resnet18",
                                                          "seed": 0}})
    for key in ("loss", "acc", "lr", "eval", "scores"):
        root[key] = []
    for i in range(steps):
        root["loss"].append(rnd.random())
        root["acc"].append(rnd.random())
        root["lr"].append(0.001 * (1 - i / steps))
        if i % 100 == 0:
            root["eval"].append({"step": i, "val_loss": rnd.random(), "val_acc": rnd.random()})
        if i % 1000 == 0:
            root["scores"].append([rnd.random() for _ in range(64)])
    root.close()
    base = os.path.join(folder, "base.py")
    with open(base, "rb") as f:
        data = f.read()
    os.remove(base)
    paths = []
    for i in range(logs):
        path = os.path.join(folder, f"seed{i:04d}.py")
        with open(path, "wb") as f:
            f.write(data + b"store['config']['seed'] = %d\n" % i)
        paths.append(path)
    return paths


def child_env(backend, scratch):
    drop = ("PYTHONPATH", "LAAOS_NO_EXTENSIONS", "PYTHONDONTWRITEBYTECODE")
    env = dict({k: v for k, v in os.environ.items() if k not in drop},
               PYTHONPYCACHEPREFIX=os.path.join(scratch, "pycache"))
    return dict(env, LAAOS_NO_EXTENSIONS="1") if backend == "python" else env


def commands(backend, folder, scratch):
    """``{name: () -> (wall, cpu) seconds}``: the commands compared, over the logs of
    ``folder``."""
    logs = len(os.listdir(folder))
    env = child_env(backend, scratch)
    py = sys.executable
    pattern = os.path.join(folder, "*.py")

    def process(*argv, status=0):
        def run():
            start = time.perf_counter()
            proc = subprocess.Popen([py, *argv], env=env, stdout=subprocess.DEVNULL, cwd=scratch)
            _, code, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(code)
            assert proc.returncode == status, argv
            return wall, usage.ru_utime + usage.ru_stime
        return run

    def in_this_process():
        impl = _backend.impl
        _backend.impl = {"cython": _backend.cython_impl, "python": _backend.python_impl}[backend]
        try:
            before = resource.getrusage(resource.RUSAGE_SELF)
            start = time.perf_counter()
            loaded = laaos.load_many(pattern, processes=1)
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_SELF)
        finally:
            _backend.impl = impl
        assert len(loaded) == logs and not loaded.errors
        del loaded
        return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    return {
        "load_many, this process": in_this_process,
        "load_many, a process": process("-c", f"import laaos; laaos.load_many({pattern!r}, processes=1)"),
        "laaos check -q DIR": process("-m", "laaos", "check", "--quiet", folder),
        "laaos check -q --jobs 1 DIR": process("-m", "laaos", "check", "--quiet", "--jobs", "1", folder),
    }


def paired(cmds, rounds):
    """``{name: [(wall, cpu) of each round]}``: every command once a round, rotated."""
    names = list(cmds)
    times = {name: [] for name in names}
    for r in range(rounds + 1):
        order = names[r % len(names):] + names[: r % len(names)]
        for name in order:
            timing = cmds[name]()
            if r:  # (round 0 warms the file cache and writes the bytecode)
                times[name].append(timing)
    return times


def figures(times):
    """Medians of wall and CPU time per command, and of check's ratio to load_many in
    this process (per round), with the target's verdict."""
    base = times["load_many, this process"]
    out = {}
    for name, ts in times.items():
        row = {"wall_s": round(statistics.median(w for w, _ in ts), 3),
               "cpu_s": round(statistics.median(c for _, c in ts), 3)}
        if name.startswith("laaos check"):
            row["wall_ratio"] = round(statistics.median(w / b for (w, _), (b, _) in zip(ts, base)), 2)
            row["target_s"] = round(3 * statistics.median(b for b, _ in base) + 1, 3)
            row["met"] = row["wall_s"] <= row["target_s"]
        out[name] = row
    return out


@pytest.mark.parametrize("backend", ["cython", "python"])
def test_check_sweep(benchmark, tmp_path, backend):
    """The paired figures (in ``extra_info``)."""
    if backend == "cython" and _backend.cython_impl is None:
        pytest.skip("the Cython extension is not built")
    folder = str(tmp_path / "sweep")
    size = sum(os.path.getsize(p) for p in make_sweep(folder))
    cmds = commands(backend, folder, str(tmp_path))
    result = {}
    benchmark.pedantic(lambda: result.update(figures(paired(cmds, ROUNDS))), rounds=1, iterations=1)
    benchmark.extra_info.update(result, bytes=size)
    print(backend, result)


def main():
    with tempfile.TemporaryDirectory() as scratch:
        folder = os.path.join(scratch, "sweep")
        size = sum(os.path.getsize(p) for p in make_sweep(folder))
        print(f"{LOGS:,} logs of {STEPS:,} steps, {size / 2**20:.1f} MiB; {ROUNDS} rounds, medians")
        for backend in ("cython", "python"):
            if backend == "cython" and _backend.cython_impl is None:
                continue
            print(f"{backend} backend:")
            for name, row in figures(paired(commands(backend, folder, scratch), ROUNDS)).items():
                extra = (f"   {row['wall_ratio']:.2f}x load_many; target {row['target_s']:.2f} s: "
                         f"{'met' if row['met'] else 'NOT met'}" if "met" in row else "")
                print(f"  {name:28} {row['wall_s']:7.3f} s wall {row['cpu_s']:7.3f} s cpu{extra}")
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
