"""Start-up, as every training script, notebook kernel and CLI call pays it: whole
processes of ``python -c "import laaos"``, of a first store (import, open, two values,
close) and of ``laaos show SMALL_LOG``, paired in the same run against laaos 2.1.1's
import and store and ``python -c "import json"``.  (``import laaos`` leaves the backend
to the first store or load: the store row shows what a script that writes pays in all.)

Every command reads compiled bytecode, as after an install (a wheel's modules are compiled
when installed; a source checkout, or PYTHONDONTWRITEBYTECODE, would compile laaos on
every start): the children write and read it under a PYTHONPYCACHEPREFIX of their own.
Each round runs every command once, in an order that rotates from round to round, so that
a slower moment of a shared machine falls on all of them; the figures are the medians
over the rounds of each command's time and of its ratio to the baseline of the same
round, wall time and CPU time (user + system: on a machine busy with other work, the
steadier of the two).  ``LAAOS_BENCH_PAIRS`` sets the rounds (15).  ``LAAOS_BENCH_PYTHON``
runs the children with another interpreter of the same version (a venv made without
``--system-site-packages``, whose ``site`` imports little: ``re``, ``typing`` and the rest
then count in every import), laaos imported there from where this process imports it.  Run as a script to print the table:

    python benchmarks/test_startup.py
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time

import pytest
from benchtools import original_dir

PAIRS = int(os.environ.get("LAAOS_BENCH_PAIRS", "15"))


def original_path():
    """A directory to put on ``PYTHONPATH`` for ``import laaos`` to be 2.1.1."""
    return str(original_dir())


def commands(backend, log, pycache):
    """``{name: (argv, environment)}`` of the commands compared, their bytecode under
    ``pycache``."""
    drop = ("PYTHONPATH", "LAAOS_NO_EXTENSIONS", "PYTHONDONTWRITEBYTECODE")
    env = dict({k: v for k, v in os.environ.items() if k not in drop}, PYTHONPYCACHEPREFIX=pycache)
    py = os.environ.get("LAAOS_BENCH_PYTHON", sys.executable)
    ours = dict(env, LAAOS_NO_EXTENSIONS="1") if backend == "python" else env
    if py != sys.executable:
        import laaos

        ours = dict(ours, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(laaos.__file__))))
    original = dict(env, PYTHONPATH=original_path())
    return {
        "python -c 'import json'": ([py, "-c", "import json"], env),
        "import laaos 2.1.1": ([py, "-c", "import laaos"], original),
        "import laaos": ([py, "-c", "import laaos"], ours),
        "a store 2.1.1": ([py, "-c", A_STORE], original),
        "a store": ([py, "-c", A_STORE], ours),
        "laaos show": ([py, "-m", "laaos", "show", log], ours),
    }


# A first store, in the children's folder (``run.py``, made anew each time): the same code
# for both versions.
A_STORE = ("import laaos\nroot = laaos.open_file_store('run', '', prefix='./', truncate=True)\n"
           "root['losses'] = [0.5]\nroot['losses'].append(0.25)\nroot.close()")


def scratch(env):
    """The folder the children run in: the benchmark's own (its bytecode's parent).  A
    ``-c`` child puts its working directory first on ``sys.path``, so in a checkout it
    would import the checkout's ``laaos/``, whichever laaos was meant."""
    return os.path.dirname(env["PYTHONPYCACHEPREFIX"])


def run(argv, env):
    """Run ``argv``; its wall time and its CPU time (user + system, which other processes
    of a busy machine disturb far less), in seconds."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, cwd=scratch(env))
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0, argv
    return wall, usage.ru_utime + usage.ru_stime


def paired(cmds, rounds):
    """``{name: [(wall, cpu) seconds of each round]}``: every command once a round, in
    rotated order."""
    names = list(cmds)
    times = {name: [] for name in names}
    for r in range(rounds + 1):
        order = names[r % len(names):] + names[: r % len(names)]
        for name in order:
            timing = run(*cmds[name])
            if r:  # (round 0 warms the file cache and writes the bytecode)
                times[name].append(timing)
    return times


def figures(times):
    """Each command's median wall and CPU times, and their median ratios to its baseline's
    of the same round."""
    ratio = {"import laaos": "import laaos 2.1.1", "a store": "a store 2.1.1", "laaos show": "python -c 'import json'"}
    out = {}
    for name, ts in times.items():
        row = {"wall_ms": round(1e3 * statistics.median(w for w, _ in ts), 1),
               "cpu_ms": round(1e3 * statistics.median(c for _, c in ts), 1)}
        if name in ratio:
            base = times[ratio[name]]
            row["wall_ratio"] = round(statistics.median(w / b for (w, _), (b, _) in zip(ts, base)), 2)
            row["cpu_ratio"] = round(statistics.median(c / b for (_, c), (_, b) in zip(ts, base)), 2)
            row["to"] = ratio[name]
        out[name] = row
    return out


def import_time(cmds, rounds):
    """``{name: median ms}``: the cumulative time ``python -X importtime`` gives the
    ``laaos`` package, ours and 2.1.1's."""
    out = {}
    for name in ("import laaos", "import laaos 2.1.1"):
        argv, env = cmds[name]
        cumulative = []
        subprocess.run(argv, env=env, check=True, cwd=scratch(env))  # (the bytecode written)
        for _ in range(rounds):
            err = subprocess.run([argv[0], "-X", "importtime", *argv[1:]], env=env, check=True,
                                 capture_output=True, text=True, cwd=scratch(env)).stderr
            line = [line for line in err.splitlines() if line.endswith("| laaos")][-1]
            cumulative.append(int(line.split("|")[1]) / 1e3)
        out[name] = round(statistics.median(cumulative), 1)
    return out


def small_log(folder):
    path = os.path.join(folder, "small.py")
    with open(path, "w") as f:
        f.write("store = {'losses': [0.5], 'cfg': {'lr': 0.1}}\nstore['losses'].append(0.25)\n"
                "store['done'] = True\n")
    return path


@pytest.mark.parametrize("backend", ["cython", "python"])
def test_startup(benchmark, tmp_path, backend):
    """The paired start-up figures (in ``extra_info``: medians and ratios)."""
    from laaos import _backend

    if backend == "cython" and _backend.cython_impl is None:
        pytest.skip("the Cython extension is not built")
    cmds = commands(backend, small_log(str(tmp_path)), str(tmp_path / "pycache"))
    result = {}
    benchmark.pedantic(lambda: result.update(figures(paired(cmds, PAIRS)), importtime_ms=import_time(cmds, PAIRS)),
                       rounds=1, iterations=1)
    benchmark.extra_info.update(result)
    print(backend, result)


def main():
    with tempfile.TemporaryDirectory() as folder:
        log = small_log(folder)
        for backend in ("cython", "python"):
            print(f"{backend} backend, {PAIRS} rounds:")
            cmds = commands(backend, log, os.path.join(folder, "pycache"))
            print(f"  {'':26} {'wall':>9} {'cpu':>9}")
            for name, row in figures(paired(cmds, PAIRS)).items():
                ratio = (f"   {row['wall_ratio']:.2f}x wall, {row['cpu_ratio']:.2f}x cpu of {row['to']}"
                         if "to" in row else "")
                print(f"  {name:26} {row['wall_ms']:6.1f} ms {row['cpu_ms']:6.1f} ms{ratio}")
            for name, ms in import_time(cmds, PAIRS).items():
                print(f"  -X importtime, {name:12} {ms:5.1f} ms (the laaos package, cumulative)")


if __name__ == "__main__":
    main()
