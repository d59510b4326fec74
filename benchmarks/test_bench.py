"""laaos vs the original laaos 2.1.1 vs JSON Lines (json, orjson), side by side.

    pip install ".[test,bench]" && pytest benchmarks/ --benchmark-columns=median,min,max,rounds

Sizes: LAAOS_BENCH_N float appends (default 1,000,000) and LAAOS_BENCH_STEPS steps of a
dict of five metrics (default 100,000).  Peak memory of each load is measured in a child
process (test_load_peak_memory prints the table).
"""

import json
import os
import random
import subprocess
import sys

import orjson
import pytest

import laaos
from laaos import _backend

from benchtools import IMPLS, N, STEPS, bench, log_series, os_write_floor, use

random.seed(0)
FLOATS = [random.random() for _ in range(N)]
METRICS = [
    {"step": i, "loss": random.random(), "acc": random.random(), "lr": 0.001, "grad_norm": random.random() * 10}
    for i in range(STEPS)
]
# ---- writing 1M float appends ---------------------------------------------------------

WRITE_FLOATS = {"flush": "write floats, flush (one write per append)", "buffered": "write floats, buffered"}


@pytest.mark.parametrize("durability", list(WRITE_FLOATS))
@pytest.mark.parametrize("backend", ["cython", "python"])
def test_write_floats_laaos(benchmark, workdir, backend, durability):
    benchmark.group = WRITE_FLOATS[durability]
    use(backend)
    prefix = f"{workdir}/{backend}-{durability}-"
    bench(benchmark, lambda: log_series(laaos.open_file_store, "f", prefix, "losses", FLOATS, durability=durability))


@pytest.mark.benchmark(group=WRITE_FLOATS["flush"])
def test_write_floats_original(benchmark, workdir, original):
    bench(benchmark, lambda: log_series(original.open_file_store, "f", f"{workdir}/orig-", "losses", FLOATS),
          rounds=1)


@pytest.mark.benchmark(group=WRITE_FLOATS["flush"])
def test_write_floats_os_write_loop(benchmark, workdir):
    """The floor: one os.write per pre-rendered line."""
    bench(benchmark, os_write_floor(f"{workdir}/oswrite.py", FLOATS))


def write_jsonl(path, codec, buffering):
    with open(path, "wb", buffering=buffering) as f:
        write = f.write
        if codec == "json":
            for x in FLOATS:
                write((json.dumps({"loss": x}) + "\n").encode())
        else:
            for x in FLOATS:
                write(orjson.dumps({"loss": x}) + b"\n")


@pytest.mark.parametrize("durability", list(WRITE_FLOATS))
@pytest.mark.parametrize("codec", ["json", "orjson"])
def test_write_floats_jsonl(benchmark, workdir, codec, durability):
    benchmark.group = WRITE_FLOATS[durability]
    buffering = 0 if durability == "flush" else -1  # one write per line, or Python's buffer
    bench(benchmark, lambda: write_jsonl(f"{workdir}/f-{durability}.{codec}.jsonl", codec, buffering))


# ---- writing 100k steps of five metrics ---------------------------------------------------


@pytest.mark.benchmark(group="write metrics dicts, flush")
@pytest.mark.parametrize("backend", ["cython", "python", "original"])
def test_write_metrics(benchmark, workdir, backend, original):
    if backend == "original":
        opener = original.open_file_store
    else:
        use(backend)
        opener = laaos.open_file_store

    bench(benchmark, lambda: log_series(opener, "m", f"{workdir}/{backend}-", "metrics", METRICS),
             rounds=1 if backend == "original" else 3)


@pytest.mark.benchmark(group="write metrics dicts, flush")
@pytest.mark.parametrize("codec", ["json", "orjson"])
def test_write_metrics_jsonl(benchmark, workdir, codec):
    dumps = (lambda m: (json.dumps(m) + "\n").encode()) if codec == "json" else (lambda m: orjson.dumps(m) + b"\n")

    def run():
        with open(f"{workdir}/m.{codec}.jsonl", "wb", buffering=0) as f:
            for m in METRICS:
                f.write(dumps(m))

    bench(benchmark, run)


# ---- loading -----------------------------------------------------------------------------


def make_logs(workdir):
    if not (workdir / "floats.py").exists():
        _backend.impl = IMPLS["cython"] or IMPLS["python"]
        log_series(laaos.open_file_store, "floats", f"{workdir}/", "losses", FLOATS, durability="buffered")
        log_series(laaos.open_file_store, "metrics", f"{workdir}/", "metrics", METRICS, durability="buffered")
        with open(workdir / "floats.jsonl", "wb") as f:
            for x in FLOATS:
                f.write(orjson.dumps({"loss": x}) + b"\n")
        with open(workdir / "metrics.jsonl", "wb") as f:
            for m in METRICS:
                f.write(orjson.dumps(m) + b"\n")


LOADERS = {
    "laaos-cython": "import laaos; from laaos import _backend; _backend.impl = _backend.cython_impl; "
                    "store = laaos.safe_load(PATH + '.py')",
    "laaos-python": "import laaos; from laaos import _backend; _backend.impl = _backend.python_impl; "
                    "store = laaos.safe_load(PATH + '.py')",
    "jsonl-json": "import json\nwith open(PATH + '.jsonl', 'rb') as f: rows = [json.loads(l) for l in f]",
    "jsonl-orjson": "import orjson\nwith open(PATH + '.jsonl', 'rb') as f: rows = [orjson.loads(l) for l in f]",
    "original": "import importlib.util, pathlib\n"
                "p = pathlib.Path.home() / '.cache/laaos-bench/laaos-2.1.1/laaos/__init__.py'\n"
                "spec = importlib.util.spec_from_file_location('laaos_original', p)\n"
                "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
                "store = m.safe_load(PATH + '.py')",
}


LOAD_GROUPS = {"floats": "load 1M float appends", "metrics": "load 100k metrics dicts"}


@pytest.mark.parametrize("loader", list(LOADERS))
@pytest.mark.parametrize("log", list(LOAD_GROUPS))
def test_load(benchmark, workdir, log, loader, original):
    benchmark.group = LOAD_GROUPS[log]
    make_logs(workdir)
    load_with(benchmark, loader, workdir / log)


# ---- loading the shapes users write ------------------------------------------------------------
#
# Each shape is written by laaos (buffered) and as JSON Lines of the same records, then
# loaded by every loader side by side.  The original 2.1.1 runs one round: it is slow.


def shape_training(root, rows):
    """100k steps: three interleaved series, an eval dict every 100 steps, 64 per-sample
    floats every 1000 steps, and a config."""
    rnd = random.Random(1)
    root["config"] = {"lr": 0.001, "batch_size": 64, "model": "resnet18", "seed": 1}
    rows.append({"config": {"lr": 0.001, "batch_size": 64, "model": "resnet18", "seed": 1}})
    for key in ("loss", "acc", "lr", "eval", "scores"):
        root[key] = []
    loss, acc, lr, evals, scores = (root[k].append for k in ("loss", "acc", "lr", "eval", "scores"))
    for i in range(STEPS):
        row = {"step": i, "loss": rnd.random(), "acc": rnd.random(), "lr": 0.001 * (1 - i / STEPS)}
        loss(row["loss"])
        acc(row["acc"])
        lr(row["lr"])
        rows.append(row)
        if i % 100 == 0:
            e = {"step": i, "val_loss": rnd.random(), "val_acc": rnd.random()}
            evals(e)
            rows.append({"eval": e})
        if i % 1000 == 0:
            s = [rnd.random() for _ in range(64)]
            scores(s)
            rows.append({"scores": s})


def shape_active_learning(root, rows):
    """Per-sample data: a dict of lists of 10k floats, replaced each of 50 acquisition rounds."""
    rnd = random.Random(2)
    root["al"] = {}
    for r in range(50):
        data = {k: [rnd.random() for _ in range(10_000)] for k in ("entropy", "margin")}
        root["al"]["round"] = r
        root["al"]["scores"] = data
        rows.append({"round": r, "scores": data})


def shape_config_1mb(root, rows):
    """A config holding a 1 MB string (a model card, a printed architecture), and a few metrics."""
    text = "".join(f"layer {i}: Conv2d(64, 64, kernel_size=(3, 3)) 'quoted' \\ \u00e9\n" for i in range(20_000))[:1 << 20]
    root["config"] = {"lr": 0.1, "notes": text}
    root["final"] = {"acc": 0.9}
    rows.append({"config": {"lr": 0.1, "notes": text}})
    rows.append({"final": {"acc": 0.9}})


def shape_deep(root, rows):
    """Deep but legal nesting: 10k values nested 40 levels (dicts in lists)."""
    root["trees"] = []
    append = root["trees"].append
    for i in range(10_000):
        value = [i, 0.5]
        for level in range(20):
            value = [{"k": value, "n": level}]
        append(value)
        rows.append({"tree": value})


SHAPES = {
    "training log": shape_training,
    "active learning": shape_active_learning,
    "config with a 1 MB string": shape_config_1mb,
    "deep nesting": shape_deep,
}


def make_shape(workdir, shape):
    stem = workdir / ("shape-" + shape.replace(" ", "-"))
    if not stem.with_suffix(".jsonl").exists():
        _backend.impl = IMPLS["cython"] or IMPLS["python"]
        rows = []
        root = laaos.open_file_store(stem.name, "", prefix=f"{workdir}/", truncate=True, durability="buffered")
        SHAPES[shape](root, rows)
        root.close()
        with open(stem.with_suffix(".jsonl"), "wb") as f:
            for row in rows:
                f.write(orjson.dumps(row) + b"\n")
    return stem


@pytest.mark.parametrize("loader", list(LOADERS))
@pytest.mark.parametrize("shape", list(SHAPES))
def test_load_shape(benchmark, workdir, shape, loader, original):
    benchmark.group = f"load: {shape}"
    load_with(benchmark, loader, make_shape(workdir, shape))


def load_with(benchmark, loader, stem):
    """Time ``loader`` (a key of ``LOADERS``) on the log ``stem`` (.py or .jsonl)."""
    code = LOADERS[loader].replace("PATH", repr(str(stem)))
    bench(benchmark, lambda: exec(code, {}), rounds=1 if loader == "original" else 3)


@pytest.mark.benchmark(group="load: training log")
@pytest.mark.parametrize("backend", ["cython", "python"])
def test_load_training_log_keys_config(benchmark, workdir, backend):
    """A partial load: only store['config'] of the training log."""
    use(backend)
    stem = make_shape(workdir, "training log")
    result = bench(benchmark, lambda: laaos.safe_load(str(stem) + ".py", keys=["config"]))
    assert list(result) == ["config"]


@pytest.mark.benchmark(group=LOAD_GROUPS["floats"])
@pytest.mark.parametrize("backend", ["cython", "python"])
def test_load_two_alternating_series(benchmark, workdir, backend):
    """Two lists appended alternately (half the float log each): the head table's case."""
    use(backend)
    path = workdir / "alternating.py"
    if not path.exists():
        with open(path, "w") as f:
            f.write("store = {}\nstore['a']=[]\nstore['b']=[]\n")
            for i, x in enumerate(FLOATS):
                f.write(f"store['{'ab'[i % 2]}'].append({x!r})\n")
    bench(benchmark, lambda: laaos.safe_load(path))


@pytest.mark.parametrize("log", ["floats", "metrics"])
def test_load_peak_memory(workdir, log, original, capsys):
    """Peak RSS of a child process that loads the log (minus the interpreter's own)."""
    make_logs(workdir)
    rows = []
    for loader, code in LOADERS.items():
        # VmHWM, not ru_maxrss: the latter keeps the parent's peak across fork and exec.
        hwm = "int([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1])"
        script = f"base = {hwm}\n" + code.replace("PATH", repr(str(workdir / log))) + f"\nprint(base, {hwm})\n"
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                             cwd=workdir).stdout  # not the source tree: the installed laaos
        base, peak = map(int, out.split())
        rows.append((loader, peak / 1024, (peak - base) / 1024))
    size = os.path.getsize(workdir / f"{log}.py") / 2**20
    with capsys.disabled():
        print(f"\npeak memory loading {log} ({size:.1f} MiB log):")
        for loader, peak, extra in rows:
            print(f"  {loader:14s} peak RSS {peak:8.1f} MiB  (+{extra:8.1f} MiB over the bare interpreter)")


@pytest.mark.benchmark(group="render 1M floats")
@pytest.mark.parametrize("how", ["cython render_float", "repr"])
def test_render_floats(benchmark, how):
    if how == "repr":
        fn = repr
    else:
        use("cython")
        fn = _backend.cython_impl.render_float

    def run():
        for x in FLOATS:
            fn(x)

    bench(benchmark, run)


# ---- growth: 10^4 to 10^7 appends ------------------------------------------------------------

SWEEP = [int(float(s)) for s in os.environ.get("LAAOS_BENCH_SWEEP", "1e4,1e5,1e6,1e7").split(",")]

SWEEP_CHILD = """
import sys, time, random
import laaos
from laaos import _backend
what, n, path, backend = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
_backend.impl = _backend.cython_impl if backend == "cython" else _backend.python_impl
hwm = lambda: int([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1])
if what == "write":
    random.seed(0)
    xs = [random.random() for _ in range(n)]
    root = laaos.open_file_store("sweep", "", prefix=path, truncate=True, durability="buffered")
    root["losses"] = []
    append = root["losses"].append
    t = time.perf_counter()
    for x in xs:
        append(x)
    root.close()
    print(time.perf_counter() - t)
else:
    base = hwm()
    t = time.perf_counter()
    store = laaos.safe_load(path + "sweep.py")
    load = time.perf_counter() - t
    assert len(store["losses"]) == n
    print(load, (hwm() - base) / 1024)
"""


def sweep_child(*args):
    out = subprocess.run([sys.executable, "-c", SWEEP_CHILD, *map(str, args)],
                         capture_output=True, text=True, check=True, cwd=args[2].rsplit("/", 1)[0]).stdout
    return [float(v) for v in out.split()]


@pytest.mark.parametrize("backend", ["cython", "python"])
def test_growth_is_linear(workdir, backend, capsys):
    """Write (buffered) and load 10^4..10^7 float appends, each size in a fresh child.

    Time and peak memory per append should stay flat as the log grows; the table is
    what BENCHMARKS.md quotes.  Memory is checked (it does not depend on the machine's
    load); times are printed.
    """
    use(backend)
    rows = []
    for n in SWEEP:
        (write,) = sweep_child("write", n, f"{workdir}/{backend}-", backend)
        load, mib = sweep_child("load", n, f"{workdir}/{backend}-", backend)
        rows.append((n, write, load, mib))
    with capsys.disabled():
        print(f"\ngrowth, {backend} backend: n, write ns/append, load ns/append, peak load MiB over the interpreter, bytes/append")
        for n, write, load, mib in rows:
            print(f"  {n:>10,d} {write / n * 1e9:8.0f} {load / n * 1e9:8.0f} {mib:9.1f} {mib * 2**20 / n:7.0f}")
    big = [r for r in rows if r[0] >= 10**6]
    if len(big) >= 2:  # below 10^6 the interpreter's own allocations dominate
        per_op = [mib / n for n, _, _, mib in big]
        assert max(per_op) < 1.5 * min(per_op), rows
