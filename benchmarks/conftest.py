"""Benchmark fixtures: the original laaos 2.1.1 (from the package index, loaded under
another module name since it has our distribution name), and a work folder.  The helpers
the benchmarks share are in ``benchtools.py``.

``pytest benchmarks --benchmark-disable`` runs each benchmark once as a test; then the
sizes default to small ones (each LAAOS_BENCH_* variable set still wins), so that the
run checks the code paths in seconds rather than timing them for minutes.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

SMALL = {"LAAOS_BENCH_N": "20000", "LAAOS_BENCH_WRITE_N": "20000", "LAAOS_BENCH_STEPS": "2000",
         "LAAOS_BENCH_SWEEP_LOGS": "6", "LAAOS_BENCH_SWEEP_MB": "0.2", "LAAOS_BENCH_SWEEP": "1e4,1e5"}


def pytest_configure(config):
    if config.getoption("benchmark_disable", False):  # before the modules read the sizes
        for name, value in SMALL.items():
            os.environ.setdefault(name, value)


@pytest.fixture(scope="session")
def original():
    target = Path.home() / ".cache" / "laaos-bench" / "laaos-2.1.1"
    if not (target / "laaos" / "__init__.py").exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
                        "laaos==2.1.1"], check=True)
    spec = importlib.util.spec_from_file_location("laaos_original", target / "laaos" / "__init__.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("bench")
