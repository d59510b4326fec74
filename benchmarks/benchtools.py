"""Helpers the benchmarks share (benchmark modules import them from here, never from a
conftest: with ``pytest tests benchmarks`` the name ``conftest`` is taken twice)."""

import gc
import importlib.util
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from laaos import _backend

N = int(os.environ.get("LAAOS_BENCH_N", "1000000"))  # float appends
STEPS = int(os.environ.get("LAAOS_BENCH_STEPS", "100000"))  # steps of five metrics


IMPLS = {"cython": _backend.cython_impl, "python": _backend.python_impl}


def use(backend):
    """Run laaos on ``backend`` (``"cython"`` or ``"python"``) from here on; skip the
    benchmark when the extension is not built."""
    if IMPLS[backend] is None:
        pytest.skip("the Cython extension is not built")
    _backend.impl = IMPLS[backend]


def bench(benchmark, fn, rounds=3):
    """Time ``rounds`` calls of ``fn``, one each, with no warm-up round."""
    # Each round starts from a collected heap: the stores of earlier rounds and tests are
    # reference cycles, and collecting them would otherwise land in whichever round runs
    # when the collector's thresholds trip.
    return benchmark.pedantic(fn, rounds=rounds, iterations=1, warmup_rounds=0, setup=_collect)


def _collect():
    gc.collect()  # (returns None: pytest-benchmark takes a returned value as arguments)


def os_write_floor(path, floats):
    """The floor of a `flush` writer: a function that writes one pre-rendered append
    statement per float with one ``os.write`` each."""
    lines = [f"store['losses'].append({x!r})\n".encode() for x in floats]

    def run():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND)
        write = os.write
        for line in lines:
            write(fd, line)
        os.close(fd)

    return run


def log_series(opener, name, prefix, key, rows, **kwargs):
    """A training run's logging: a new log, ``rows`` appended one by one to ``store[key]``."""
    root = opener(name, "", prefix=prefix, truncate=True, **kwargs)
    root[key] = []
    append = root[key].append
    for row in rows:
        append(row)
    root.close()


TRAINING_KEYS = ("loss", "lr", "grad_norm", "eval", "samples")


def training_records(steps):
    """A realistic training log as ``(key, value)`` records: three interleaved series, an
    eval dict every 100 steps, a per-sample list every 1000."""
    rnd = random.Random(2)
    for step in range(steps):
        yield "loss", rnd.random()
        yield "lr", 1e-3 * (1 - step / steps)
        yield "grad_norm", rnd.random() * 10
        if step % 100 == 99:
            yield "eval", {"step": step, "acc": rnd.random(), "loss": rnd.random(), "split": "val"}
        if step % 1000 == 999:
            yield "samples", [rnd.random() for _ in range(64)]


def log_records(root, records):
    """Append each ``(key, value)`` of ``records`` to ``root[key]`` (a list of
    ``TRAINING_KEYS``), then close the store."""
    lists = {k: root[k].append for k in TRAINING_KEYS}
    for key, value in records:
        lists[key](value)
    root.close()


def records_jsonl(path, records):
    """The records as orjson JSON Lines, one ``{key: value}`` a line."""
    import orjson

    dumps, opt = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    with open(path, "wb") as f:
        write = f.write
        for key, value in records:
            write(dumps({key: value}, option=opt))


ORIGINAL = Path.home() / ".cache" / "laaos-bench" / "laaos-2.1.1"


def original_dir():
    """A folder holding laaos 2.1.1 from the package index (installed there once)."""
    if not (ORIGINAL / "laaos" / "__init__.py").exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(ORIGINAL),
                        "laaos==2.1.1"], check=True)
    return ORIGINAL


def load_original():
    """laaos 2.1.1 as the module ``laaos_original`` (it has our distribution's name)."""
    spec = importlib.util.spec_from_file_location("laaos_original", original_dir() / "laaos" / "__init__.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
