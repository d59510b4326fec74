"""The shapes of ``benchmarks/loads.py`` as pytest-benchmark cases, loaded in this process
by each engine: ``python benchmarks/loads.py`` prints the table of BENCHMARKS.md (a child
process per load, with peak memory); CI runs these once each, small, with
``--benchmark-disable`` (``LAAOS_BENCH_SCALE`` sets the size, 1 by default).
"""

import orjson
import pytest

import laaos
from benchtools import bench, use
from loads import KEYS_CASE, SHAPES, make


@pytest.fixture(scope="module")
def stems(workdir):
    return make(str(workdir))


def load_jsonl(path):
    with open(path, "rb") as f:
        return [orjson.loads(line) for line in f]


@pytest.mark.parametrize("engine", ["cython", "python", "2.1.1", "orjson"])
@pytest.mark.parametrize("shape", list(SHAPES))
def test_load_shape(benchmark, stems, shape, engine, original):
    benchmark.group = f"load: {shape}"
    stem = stems[shape]
    if engine == "orjson":
        rows = bench(benchmark, lambda: load_jsonl(stem + ".jsonl"))
        assert rows
        return
    if engine == "2.1.1":
        store = bench(benchmark, lambda: original.safe_load(stem + ".py"), rounds=1)
    else:
        use(engine)
        store = bench(benchmark, lambda: laaos.safe_load(stem + ".py"))
    assert store and all(store.values())


@pytest.mark.parametrize("engine", ["cython", "python"])
def test_load_keys(benchmark, stems, engine):
    shape, keys = KEYS_CASE
    benchmark.group = f"load: {shape}"
    use(engine)
    store = bench(benchmark, lambda: laaos.safe_load(stems[shape] + ".py", keys=keys))
    assert store == {k: laaos.safe_load(stems[shape] + ".py")[k] for k in keys}
