"""The notebook view and the frames of a loaded sweep: LAAOS_BENCH_VIEW_LOGS runs (default
200) of LAAOS_BENCH_VIEW_STEPS steps each (default 100,000: a float series ``loss`` and a
config), already loaded; the same sweep logged as a list of dicts (``metrics``, one
``{"step", "loss", "acc"}`` per step: what most training scripts log), its runs sharing
LAAOS_BENCH_VIEW_DISTINCT distinct lists (default 20: 200 distinct lists of 100k dicts
would take ~6 GB; a list of 100k dicts is far larger than any CPU cache, so a shared one
costs the same per point: set it to the number of runs to check); one series of
LAAOS_BENCH_VIEW_POINTS points (default 1,000,000).
``frame()`` and ``series()`` are timed against the same frames built by hand from the
loaded dicts, in interleaved rounds (medians of each round's ratio).  The targets are
checked on CPU time (this process's, ``time.process_time``), which other work on a
shared machine disturbs far less than wall time; both are printed.

    pytest benchmarks/test_bench_notebook.py --benchmark-columns=median,min,max,rounds -s
"""

import math
import os
import random
import statistics
import time

import pytest

from laaos.many import Loaded
from laaos.view import series_cells

LOGS = int(os.environ.get("LAAOS_BENCH_VIEW_LOGS", "200"))
STEPS = int(os.environ.get("LAAOS_BENCH_VIEW_STEPS", "100000"))
POINTS = int(os.environ.get("LAAOS_BENCH_VIEW_POINTS", "1000000"))
ROUNDS = int(os.environ.get("LAAOS_BENCH_VIEW_ROUNDS", "5"))
DISTINCT = int(os.environ.get("LAAOS_BENCH_VIEW_DISTINCT", "20"))


@pytest.fixture(scope="module")
def sweep():
    """What ``load_many`` returns for the sweep: every float a distinct object, as loaded."""
    runs = Loaded()
    rng = random.Random(0)
    for i in range(LOGS):
        lr = 10 ** rng.uniform(-4, -1)
        noise = [rng.random() * 1e-2 for _ in range(97)]
        runs[f"/sweeps/lr/run{i:03d}.py"] = {
            "config": {"lr": lr, "seed": i, "model": {"name": "mlp", "depth": 4 + i % 3}},
            "loss": [1 / (1 + lr * s) + noise[s % 97] for s in range(STEPS)],
        }
    return runs


@pytest.fixture(scope="module")
def dict_sweep():
    """The sweep logged as lists of dicts, as loaded: every number a distinct object, the
    keys shared (the loader interns them)."""
    runs = Loaded()
    rng = random.Random(0)
    lists = []
    for i in range(min(DISTINCT, LOGS)):
        lr = 10 ** rng.uniform(-4, -1)
        noise = [rng.random() * 1e-2 for _ in range(97)]
        lists.append([{"step": s, "loss": 1 / (1 + lr * s) + noise[s % 97], "acc": 1 - 1 / (2 + lr * s)}
                      for s in range(STEPS)])
    for i in range(LOGS):
        runs[f"/sweeps/lr/run{i:03d}.py"] = {
            "config": {"lr": 10 ** rng.uniform(-4, -1), "seed": i, "model": {"name": "mlp", "depth": 4 + i % 3}},
            "metrics": lists[i % len(lists)],
        }
    return runs


def cpu_timed(benchmark, fn, rounds, *args):
    """``benchmark.pedantic`` of ``fn(*args)``, also keeping each round's CPU time;
    returns the last result and the CPU times' median (None under --benchmark-disable)."""
    cpu = []

    def call():
        start = time.process_time()
        out = fn(*args)
        cpu.append(time.process_time() - start)
        return out

    result = benchmark.pedantic(call, rounds=rounds, iterations=1)
    if benchmark.stats is None:
        return result, None
    benchmark.extra_info["cpu_median_s"] = median = statistics.median(cpu)
    print(f"\n{benchmark.name}: wall median {benchmark.stats.stats.median * 1e3:.1f} ms, "
          f"CPU median {median * 1e3:.1f} ms ({rounds} rounds)")
    return result, median


def test_view_of_a_sweep(benchmark, sweep):
    html, cpu = cpu_timed(benchmark, sweep._repr_html_, 3)
    benchmark.extra_info["html_bytes"] = size = len(html.encode())
    print(f"HTML: {size / 1e6:.2f} MB for {LOGS} runs")
    assert html.count("<svg") == LOGS and html.count("<tr>") == LOGS + 1
    assert size <= 2_000_000
    assert cpu is None or cpu <= 1.0


def test_view_of_a_sweep_of_lists_of_dicts(benchmark, dict_sweep):
    html, cpu = cpu_timed(benchmark, dict_sweep._repr_html_, 3)
    benchmark.extra_info["html_bytes"] = size = len(html.encode())
    print(f"HTML: {size / 1e6:.2f} MB for {LOGS} runs ({min(DISTINCT, LOGS)} distinct lists)")
    assert html.count("<svg") == 3 * LOGS and html.count("<tr>") == LOGS + 1  # metrics.step, .loss, .acc
    assert size <= 2_000_000
    assert cpu is None or cpu <= 1.0


def test_view_of_one_series(benchmark):
    values = [math.sin(i / 5000) + (i % 101) / 1000 for i in range(POINTS)]
    (svg, _), cpu = cpu_timed(benchmark, series_cells, 7, values)
    benchmark.extra_info["svg_bytes"] = size = len(svg.encode())
    print(f"sparkline: {size} bytes for {POINTS} points")
    assert size <= 2048
    assert cpu is None or cpu <= 0.05


def frame_by_hand(runs):
    import pandas as pd

    return pd.DataFrame.from_dict(
        {path: {"config.lr": s["config"]["lr"], "config.seed": s["config"]["seed"],
                "config.model.name": s["config"]["model"]["name"], "config.model.depth": s["config"]["model"]["depth"],
                "loss": s["loss"][-1]} for path, s in runs.items()}, orient="index")


def series_by_hand(runs):
    import numpy as np
    import pandas as pd
    from itertools import chain

    lengths = [len(s["loss"]) for s in runs.values()]
    return pd.DataFrame({"run": pd.Categorical.from_codes(np.repeat(np.arange(len(runs)), lengths), list(runs)),
                         "step": np.concatenate([np.arange(n) for n in lengths]),
                         "value": list(chain.from_iterable(s["loss"] for s in runs.values()))})


@pytest.mark.parametrize("what", ["frame", "series"])
def test_frames_against_by_hand(sweep, what, capsys):
    """Interleaved rounds: laaos's call, then the frame built by hand; each round's ratio."""
    pytest.importorskip("pandas")
    ours = sweep.frame if what == "frame" else lambda: sweep.series("loss")
    hand = (lambda: frame_by_hand(sweep)) if what == "frame" else lambda: series_by_hand(sweep)
    a, b = ours(), hand()
    if what == "frame":
        assert a.loc[:, list(b.columns)].equals(b.rename_axis("path"))
    else:
        assert a.equals(b)
    times = {"wall": [], "cpu": []}
    for _ in range(ROUNDS):
        for clock, out in ((time.perf_counter, times["wall"]), (time.process_time, times["cpu"])):
            t0 = clock()
            ours()
            t1 = clock()
            hand()
            t2 = clock()
            out.append((t1 - t0, t2 - t1))
    ratios = {}
    for clock, pairs in times.items():
        ratios[clock] = statistics.median(o / h for o, h in pairs)
        with capsys.disabled():
            print(f"\n{what}() {clock}: {statistics.median(o for o, _ in pairs) * 1e3:.1f} ms, by hand "
                  f"{statistics.median(h for _, h in pairs) * 1e3:.1f} ms, ratio {ratios[clock]:.2f} "
                  f"(median of {ROUNDS} interleaved rounds)")
    ratio = ratios["cpu"]
    if os.environ.get("LAAOS_BENCH_VIEW_LOGS") is None:  # (the full size: the target)
        assert ratio <= 2.0
