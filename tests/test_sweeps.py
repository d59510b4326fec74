"""Sweeps: ``load_many(..., select=fn)`` runs ``fn`` where each log is loaded (in this
process, on a process pool, on a Dask cluster of worker processes)."""

import os
import pickle

import pytest

import laaos


@pytest.fixture
def sweep(tmp_path):
    paths = []
    for seed in range(6):
        root = laaos.open_file_store(
            f"seed{seed}", "", prefix=f"{tmp_path}/sweep/", initial_data={"seed": seed}
        )
        root["loss"] = []
        for step in range(300):
            root["loss"].append(seed + 1 / (step + 1))
        root["notes"] = "x" * 20000  # bulk that the analysis does not need
        root.close()
        paths.append(str(tmp_path / "sweep" / f"seed{seed}.py"))
    (tmp_path / "sweep" / "broken.py").write_text("store = {}\nstore['a'] = os.system('x')\n")
    return paths


def last_loss(store):
    """Module level, so that a process pool can pickle it."""
    if store.get("seed") == 3:
        raise KeyError("no loss for seed 3")
    from laaos import _backend

    backend = "python" if _backend.impl is _backend.python_impl else "cython"
    return {"seed": store["seed"], "last": store["loss"][-1], "pid": os.getpid(), "backend": backend}


def check(runs, paths, backend):
    assert list(runs) == [p for i, p in enumerate(paths) if i != 3]
    for i, path in enumerate(paths):
        if i != 3:
            assert runs[path]["seed"] == i and runs[path]["last"] == i + 1 / 300
            assert runs[path]["backend"] == backend
    assert isinstance(runs.errors[paths[3]], KeyError)
    broken = os.path.join(os.path.dirname(paths[0]), "broken.py")
    assert isinstance(runs.errors[broken], laaos.UnsafeLogError)
    # Only the selected values came back: a fraction of the stores.
    full = laaos.load_many(paths, processes=1)
    assert len(pickle.dumps(dict(runs))) * 20 < len(pickle.dumps(dict(full)))
    return {r["pid"] for r in runs.values()}


def test_a_select_that_cannot_reach_the_workers_is_refused_with_the_way_out(sweep):
    with pytest.raises(TypeError, match="module-level function"):
        laaos.load_many(sweep, processes=2, select=lambda store: store["seed"])
    seeds = laaos.load_many(sweep[:2], processes=1, select=lambda store: store["seed"])
    assert seeds == {sweep[0]: 0, sweep[1]: 1}


@pytest.mark.parametrize("processes", [1, 2])
def test_select_in_this_process_and_on_a_process_pool(sweep, processes, backend):
    pattern = os.path.join(os.path.dirname(sweep[0]), "*.py")
    runs = laaos.load_many(pattern, processes=processes, select=last_loss)
    pids = check(runs, sorted(sweep), "cython" if backend == "cython" else "python")
    assert (pids == {os.getpid()}) == (processes == 1)


def test_select_on_a_dask_cluster_of_worker_processes(sweep, backend):
    distributed = pytest.importorskip("distributed")
    env = {"LAAOS_NO_EXTENSIONS": "1"} if backend == "python" else {}
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, env=env
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        workers = set(client.run(os.getpid).values())

        def last(store):  # a closure: Dask ships it by value, a process pool could not
            return last_loss(store)

        runs = laaos.load_many(
            sweep + [sweep[0].replace("seed0", "broken")],
            executor=client.get_executor(),
            select=lambda store: last(store),
        )
    pids = check(runs, sweep, "cython" if backend == "cython" else "python")
    assert pids <= workers and os.getpid() not in pids
