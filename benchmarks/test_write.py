"""The write path against its targets, side by side in one run:

    pytest benchmarks/test_write.py --benchmark-columns=median,min,max,rounds

300k float appends (laaos buffered and flush, both backends; laaos 2.1.1; one
``os.write`` per pre-rendered line), a realistic training log (three interleaved series,
an eval dict every 100 steps, a per-sample list every 1000) against orjson and json JSON
Lines of the same records, and each mutation kind, scalar and nested, extension against
the pure twin.  ``LAAOS_BENCH_WRITE_N`` changes the 300k.
"""

import json
import os
import random

import pytest

import laaos

from benchtools import TRAINING_KEYS, bench, log_records, log_series, os_write_floor, records_jsonl, training_records, use

N = int(os.environ.get("LAAOS_BENCH_WRITE_N", "300000"))
random.seed(1)
FLOATS = [random.random() for _ in range(N)]


@pytest.mark.benchmark(group="300k float appends, buffered")
@pytest.mark.parametrize("backend", ["cython", "python"])
def test_appends_buffered(benchmark, workdir, backend):
    use(backend)
    bench(
        benchmark, lambda: log_series(laaos.open_file_store, "f", f"{workdir}/wb-{backend}-", "losses", FLOATS, durability="buffered")
    )


@pytest.mark.benchmark(group="300k float appends, buffered")
def test_appends_original(benchmark, workdir, original):
    bench(benchmark, lambda: log_series(original.open_file_store, "f", f"{workdir}/wb-orig-", "losses", FLOATS))


@pytest.mark.benchmark(group="300k float appends, flush")
@pytest.mark.parametrize("backend", ["cython", "python"])
def test_appends_flush(benchmark, workdir, backend):
    use(backend)
    bench(benchmark, lambda: log_series(laaos.open_file_store, "f", f"{workdir}/wf-{backend}-", "losses", FLOATS))


@pytest.mark.benchmark(group="300k float appends, flush")
def test_appends_os_write_floor(benchmark, workdir):
    bench(benchmark, os_write_floor(f"{workdir}/floor.py", FLOATS))


# ---- a realistic training log -------------------------------------------------------


RECORDS = list(training_records(N // 3))


@pytest.mark.benchmark(group="realistic training log")
@pytest.mark.parametrize("backend", ["cython", "python"])
def test_training_log_laaos_buffered(benchmark, workdir, backend):
    use(backend)

    def run():
        root = laaos.open_file_store(
            "t", "", prefix=f"{workdir}/t-{backend}-", truncate=True, durability="buffered"
        )
        root.update({k: [] for k in TRAINING_KEYS})
        log_records(root, RECORDS)

    bench(benchmark, run)


@pytest.mark.benchmark(group="realistic training log")
@pytest.mark.parametrize("codec", ["orjson", "json"])
def test_training_log_jsonl(benchmark, workdir, codec):
    path = f"{workdir}/t.{codec}.jsonl"

    def run_json():
        with open(path, "wb") as f:
            write = f.write
            for key, value in RECORDS:
                write((json.dumps({key: value}) + "\n").encode())

    bench(benchmark, (lambda: records_jsonl(path, RECORDS)) if codec == "orjson" else run_json)


# ---- each mutation kind, extension against the pure twin ----------------------------

OPS = N // 15
NESTED = {"a": [1, 2.5, "x"], "b": {"c": None}}


def mutate(kind, nested, root):
    value = NESTED if nested else 0.5
    if kind == "set":
        d = root["d"]
        values = [value] * OPS if nested else FLOATS[:OPS]  # a new scalar each time: an
        for i in range(OPS):  # identical one is not written again (`old is value`)
            d[i % 64] = values[i]
    elif kind == "append":
        append = root["l"].append
        for i in range(OPS):
            append(value)
    elif kind == "insert":
        lst = root["l"]
        for i in range(OPS):
            lst.insert(-1, value)  # near the end: what moves is relinked, not the point here
    elif kind == "extend":
        lst = root["l"]
        for i in range(OPS):
            lst.extend([value, value])
    elif kind == "add":
        s = root["s"]
        for i in range(OPS):
            s.add((i, "x") if nested else i)
    elif kind == "del":
        d = root["d"]
        for i in range(OPS):
            d[i] = value
        for i in range(OPS):
            del d[i]


@pytest.mark.benchmark(group="mutations")
@pytest.mark.parametrize("nested", [False, True], ids=["scalar", "nested"])
@pytest.mark.parametrize("kind", ["set", "append", "insert", "extend", "add", "del"])
@pytest.mark.parametrize("backend", ["cython", "python"])
def test_mutation(benchmark, workdir, backend, kind, nested):
    use(backend)

    def run():
        root = laaos.open_file_store(
            "m",
            "",
            prefix=f"{workdir}/m-{backend}-",
            truncate=True,
            durability="buffered",
            initial_data={"d": {}, "l": [], "s": set()},
        )
        mutate(kind, nested, root)
        root.close()

    bench(benchmark, run, rounds=7)  # short runs on a shared machine: more rounds
