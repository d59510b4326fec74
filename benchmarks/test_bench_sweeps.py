"""A sweep: LAAOS_BENCH_SWEEP_LOGS logs (default 200) of LAAOS_BENCH_SWEEP_MB MB each
(default 5; LAAOS_BENCH_SWEEP_SHAPE below), loaded serially, on a process pool and on a Dask LocalCluster, with and
without ``select=``.  Each case also records the bytes sent back (the pickled results),
printed by ``test_sweep_table``.

    pytest benchmarks/test_bench_sweeps.py --benchmark-columns=median,min,max,rounds -s
"""

import os
import pickle
import shutil

import pytest

import laaos
from laaos import _backend

LOGS = int(os.environ.get("LAAOS_BENCH_SWEEP_LOGS", "200"))
MB = float(os.environ.get("LAAOS_BENCH_SWEEP_MB", "5"))
SHAPE = os.environ.get("LAAOS_BENCH_SWEEP_SHAPE", "dicts")
WORKERS = 2
ROWS = {}  # (engine, select) -> (seconds, bytes back)


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """One run's log, written by laaos, then copied with a different seed per run.

    LAAOS_BENCH_SWEEP_SHAPE: ``dicts`` (default) logs a dict of metrics per step,
    ``series`` two float series appended in turn (``loss``, ``acc``)."""
    if _backend.cython_impl is not None:
        _backend.impl = _backend.cython_impl
    base = tmp_path_factory.mktemp("sweep")
    root = laaos.open_file_store("run", "", prefix=f"{base}/", durability="buffered",
                                 initial_data={"cfg": {"lr": 1e-3, "depth": 12, "seed": 0}, "metrics": [],
                                               "loss": [], "acc": [], "eval": []})
    step = 0
    while os.path.getsize(base / "run.py") < MB * 1e6:
        if SHAPE == "series":
            root["loss"].append(1 / (step + 1) + step * 1e-9)
            root["acc"].append(1 - 1 / (step + 2))
        else:
            root["metrics"].append({"step": step, "loss": 1 / (step + 1) + step * 1e-9, "acc": 1 - 1 / (step + 2),
                                    "lr": 1e-3})
        if step % 100 == 0:
            root["eval"].append({"step": step, "loss": 0.5 / (step + 1), "acc": 0.9, "time": step * 0.01})
        step += 1
        if step % 10000 == 0:
            root.flush()
    root.close()
    data = (base / "run.py").read_bytes()
    paths = []
    for i in range(LOGS):
        path = base / f"seed{i:03d}.py"
        path.write_bytes(data + b"store['cfg']['seed'] = %d\n" % i)
        paths.append(str(path))
    yield paths
    shutil.rmtree(base, ignore_errors=True)


def summary(store):
    """What a sweep's analysis typically needs from each run."""
    series = store["acc"] or [m["acc"] for m in store["metrics"]]
    return {"seed": store["cfg"]["seed"], "best_acc": max(series), "evals": len(store["eval"]),
            "final_eval": store["eval"][-1]}


def run(benchmark, engine, select, paths, **kwargs):
    result = benchmark.pedantic(lambda: laaos.load_many(paths, select=select, **kwargs), rounds=1, iterations=1)
    assert len(result) == len(paths) and not result.errors
    back = sum(len(pickle.dumps(v, protocol=pickle.HIGHEST_PROTOCOL)) for v in result.values())
    benchmark.extra_info["bytes_back"] = back
    if benchmark.stats is not None:  # (None under --benchmark-disable: nothing was timed)
        ROWS[engine, select is not None] = (benchmark.stats.stats.median, back)
    if select is not None:
        assert [v["seed"] for v in result.values()] == list(range(len(paths)))


@pytest.mark.benchmark(group="sweep")
@pytest.mark.parametrize("select", [None, summary], ids=["whole-stores", "select"])
def test_sweep_serial(benchmark, sweep, select):
    run(benchmark, "serial (1 process)", select, sweep, processes=1)


@pytest.mark.benchmark(group="sweep")
@pytest.mark.parametrize("select", [None, summary], ids=["whole-stores", "select"])
def test_sweep_process_pool(benchmark, sweep, select):
    run(benchmark, f"process pool ({WORKERS} workers)", select, sweep, processes=WORKERS)


@pytest.mark.benchmark(group="sweep")
@pytest.mark.parametrize("select", [None, summary], ids=["whole-stores", "select"])
def test_sweep_dask_local_cluster(benchmark, sweep, select):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        run(benchmark, f"Dask LocalCluster ({WORKERS} worker processes)", select, sweep,
            executor=client.get_executor())


def test_sweep_table(sweep, capsys):
    """Print the table BENCHMARKS.md shows (run after the cases above)."""
    if not ROWS:
        pytest.skip("run with the sweep cases")
    size = sum(os.path.getsize(p) for p in sweep)
    lines = [f"\n{len(sweep)} logs ({SHAPE}), {size / 1e6:,.0f} MB in all",
             "| engine | whole stores: time | bytes back | select=: time | bytes back |", "|---|---|---|---|---|"]
    for engine in dict.fromkeys(e for e, _ in ROWS):
        cells = []
        for selected in (False, True):
            t, b = ROWS.get((engine, selected), (float("nan"), 0))
            cells += [f"{t:.2f} s", f"{b / 1e6:,.1f} MB" if b >= 1e5 else f"{b / 1e3:,.1f} kB"]
        lines.append(f"| {engine} | " + " | ".join(cells) + " |")
    with capsys.disabled():
        print("\n".join(lines))
