"""One fixture runs every test against both backends: the Cython extension and the
pure-Python twin.  Tests that start a child process pass the backend on through the
environment (``backend_env``).

The quick suite (``pytest``) leaves out the tests marked ``slow`` (the SIGKILL loops) and
runs those marked ``sized`` (fuzz and property tests) small; ``pytest --slow`` or
``LAAOS_SLOW=1`` runs them all at full size (``.ci/run`` does).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from laaos import _backend
from helpers import ORIGINAL_VERSION

# The property and fuzz tests draw the same examples on every run by default, so that CI
# passes or fails on the code, not on the draw; LAAOS_HYPOTHESIS=explore draws new ones
# (what the long fuzz runs in RELIABILITY.md do).
# (The ``backend`` fixture only selects a module: sharing it across examples is safe.)
_SHARED = dict(print_blob=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
settings.register_profile("repeatable", derandomize=True, **_SHARED)
settings.register_profile("explore", derandomize=False, **_SHARED)
settings.load_profile("explore" if os.environ.get("LAAOS_HYPOTHESIS") == "explore" else "repeatable")

ROOT = Path(__file__).resolve().parent.parent
SLOW = os.environ.get("LAAOS_SLOW", "") not in ("", "0")


def pytest_addoption(parser):
    parser.addoption("--slow", action="store_true", default=False,
                     help="also run the tests marked slow (crash loops, long fuzz runs)")


def pytest_configure(config):
    global SLOW
    SLOW = SLOW or config.getoption("--slow")
    if SLOW:  # test modules size their long runs by it (test_fuzz.py)
        os.environ["LAAOS_SLOW"] = "1"
    _refuse_a_shadowed_extension()


def _refuse_a_shadowed_extension():
    """``python -m pytest`` in a checkout puts the source tree first on ``sys.path``: its
    ``laaos/`` has no compiled extension, so every Cython test would be skipped without a
    word.  Fail instead, and say what to run."""
    import laaos

    here = Path(laaos.__file__).resolve().parent
    if _backend.cython_impl is not None or _backend.NO_EXTENSIONS or here != ROOT / "laaos":
        return
    raise pytest.UsageError(
        f"the tests imported laaos from the source tree ({here}), which has no compiled "
        "extension, so the Cython backend would not be tested. Run `pytest` (not "
        "`python -m pytest`) after `pip install \".[test]\"`, or build the extension in "
        "place (`python setup.py build_ext --inplace`), or set LAAOS_NO_EXTENSIONS=1 to "
        "test the pure-Python backend only."
    )


def pytest_collection_modifyitems(config, items):
    if SLOW:
        return
    skip = pytest.mark.skip(reason="slow: run with `pytest --slow` or LAAOS_SLOW=1")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
@pytest.fixture(params=["cython", "python"], ids=["cython-extension", "pure-python"], autouse=True)
def backend(request, monkeypatch):
    if request.param == "cython":
        if _backend.cython_impl is None:
            if _backend.REQUIRE_EXTENSIONS:
                pytest.fail("LAAOS_REQUIRE_EXTENSIONS=1 but the extension is missing")
            pytest.skip("the Cython extension is not built here")
        monkeypatch.setattr(_backend, "impl", _backend.cython_impl)
    else:
        monkeypatch.setattr(_backend, "impl", _backend.python_impl)
    return request.param


@pytest.fixture
def backend_env(backend):
    """Environment for a child process that must use the same backend."""
    env = dict(os.environ)
    env.pop("LAAOS_NO_EXTENSIONS", None)
    if backend == "python":
        env["LAAOS_NO_EXTENSIONS"] = "1"
    return env


@pytest.fixture(scope="session")
def original_laaos(tmp_path_factory):
    """A directory holding the original laaos 2.1.1 from the package index, for use on
    ``sys.path`` in a child process (it has our distribution name, so it never shares a
    process with us)."""
    cache = Path(os.environ.get("LAAOS_ORIGINAL_CACHE", Path.home() / ".cache" / "laaos-tests"))
    target = cache / f"laaos-{ORIGINAL_VERSION}"
    if not (target / "laaos" / "__init__.py").exists():
        tmp = tmp_path_factory.mktemp("original")
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(tmp),
             f"laaos=={ORIGINAL_VERSION}"],
            check=True,
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            shutil.move(str(tmp), str(target))
    return target


@pytest.fixture
def small_fs(tmp_path):
    """A real 64 KiB filesystem (tmpfs), where this machine lets us mount one."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root on Linux")
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], capture_output=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.decode().strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=True)  # lazy: a failed test may leave a file open


COLORS = "import enum\n\n\nclass Color(enum.Enum):\n    RED = 1\n    BLUE = 2\n"


@pytest.fixture
def symbol_log(tmp_path, monkeypatch):
    """A healthy log written with DefaultTypeHandlers (a datetime) and WeakEnumHandler (an
    enum from the user's module ``laaos_test_colors`` in the working directory)."""
    import datetime
    import importlib

    import laaos

    (tmp_path / "laaos_test_colors.py").write_text(COLORS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("laaos_test_colors", None)
    colors = importlib.import_module("laaos_test_colors")
    handlers = [laaos.WeakEnumHandler(), *laaos.DefaultTypeHandlers]
    root = laaos.open_file_store("run", "", prefix=f"{tmp_path}/", type_handlers=handlers)
    root["losses"] = [0.5]
    root["start"] = datetime.datetime(2026, 1, 2, 3, 4, 5)
    root["color"] = colors.Color.RED
    root["losses"].append(0.25)
    root.close()
    return tmp_path / "run.py", colors
