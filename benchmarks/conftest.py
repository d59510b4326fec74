"""Benchmark fixtures: the original laaos 2.1.1 (from the package index, loaded under
another module name since it has our distribution name), and a work folder.  The helpers
the benchmarks share are in ``benchtools.py``.

``pytest benchmarks --benchmark-disable`` runs each benchmark once as a test; then the
sizes default to small ones (each LAAOS_BENCH_* variable set still wins), so that the
run checks the code paths in seconds rather than timing them for minutes.
"""

import os

import pytest

SMALL = {"LAAOS_BENCH_N": "20000", "LAAOS_BENCH_WRITE_N": "20000", "LAAOS_BENCH_STEPS": "2000",
         "LAAOS_BENCH_SWEEP_LOGS": "6", "LAAOS_BENCH_SWEEP_MB": "0.2", "LAAOS_BENCH_SWEEP": "1e4,1e5",
         "LAAOS_BENCH_CHECK_LOGS": "20", "LAAOS_BENCH_CHECK_STEPS": "200", "LAAOS_BENCH_CHECK_ROUNDS": "1",
         "LAAOS_BENCH_LOGGER_CALLS": "2000", "LAAOS_BENCH_PAIRS": "3",
         "LAAOS_BENCH_SCALE": "0.02"}
SMALL.update(LAAOS_BENCH_COMPARE_LOGS="8", LAAOS_BENCH_COMPARE_STEPS="200", LAAOS_BENCH_COMPARE_ROUNDS="1")


def pytest_configure(config):
    if config.getoption("benchmark_disable", False):  # before the modules read the sizes
        for name, value in SMALL.items():
            os.environ.setdefault(name, value)


@pytest.fixture(scope="session")
def original():
    from benchtools import load_original  # (not at the top: benchtools reads the sizes when imported)

    return load_original()


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("bench")


SMALL.update(LAAOS_BENCH_VIEW_LOGS="6", LAAOS_BENCH_VIEW_STEPS="2000", LAAOS_BENCH_VIEW_POINTS="20000",
             LAAOS_BENCH_VIEW_DISTINCT="3")
