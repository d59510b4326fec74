"""The writer's throughput with a reader beside it, side by side with builtin dicts:

    pytest benchmarks/test_bench_readers.py --benchmark-columns=median,min,max,rounds

200k item sets ``d[i] = i`` in the main thread, alone and with a second thread rendering
the whole store (``repr`` or ``laaos.to_plain``) in a tight loop; the builtins run the
same two threads over a plain dict (``repr``, or a copy of each dict).  A reader may cost the
writer a share of the GIL, never the whole lock: the target is at most 10x the time
alone.  ``LAAOS_BENCH_READERS_N`` changes the 200k.
"""

import os
import threading

import pytest

import laaos

from benchtools import bench, use

N = int(os.environ.get("LAAOS_BENCH_READERS_N", "200000"))
READERS = {
    "alone": None,
    "repr": repr,
    "to_plain": laaos.to_plain,
}
# (copy.deepcopy of a dict another thread grows raises "dictionary changed size during
# iteration": a copy that takes each dict in one C call is the builtins' to_plain)
BUILTIN_READERS = {"alone": None, "repr": repr, "to_plain": lambda root: {k: v.copy() for k, v in root.items()}}


def sets_beside(d, root, reader):
    """``d[i] = i`` for i < N, with ``reader(root)`` looping in another thread."""
    stop = threading.Event()
    errors = []

    def read():
        try:
            while not stop.is_set():
                reader(root)
        except BaseException as e:  # reported by the round
            errors.append(e)

    thread = threading.Thread(target=read) if reader else None
    if thread:
        thread.start()
    try:
        for i in range(N):
            d[i] = i
    finally:
        stop.set()
        if thread:
            thread.join()
    assert not errors, errors


@pytest.mark.benchmark(group="200k item sets beside a reader")
@pytest.mark.parametrize("reader", list(READERS))
@pytest.mark.parametrize("backend", ["cython", "python"])
def test_item_sets_beside_a_reader(benchmark, workdir, backend, reader):
    use(backend)

    def run():
        root = laaos.open_file_store("r", "", prefix=f"{workdir}/readers-{backend}-", truncate=True,
                                     durability="buffered", provenance=False, initial_data={"d": {}})
        sets_beside(root["d"], root, READERS[reader])
        root.close()

    bench(benchmark, run)


@pytest.mark.benchmark(group="200k item sets beside a reader")
@pytest.mark.parametrize("reader", list(BUILTIN_READERS))
def test_item_sets_beside_a_reader_builtins(benchmark, reader):
    def run():
        root = {"d": {}}
        sets_beside(root["d"], root, BUILTIN_READERS[reader])

    bench(benchmark, run)
