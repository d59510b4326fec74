"""Shared test helpers (test modules import them from here, never from a conftest)."""

import io
import math
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import laaos
from laaos import _backend

DATA = Path(__file__).parent / "data"


def sized(quick, full):
    """A test's size (an example count, a duration): ``quick`` in the quick suite, ``full``
    under ``pytest --slow`` (conftest sets LAAOS_SLOW before the test modules are
    imported).  Mark such a test ``sized``, which the long pass of .ci/run selects."""
    return full if os.environ.get("LAAOS_SLOW", "") not in ("", "0") else quick

ORIGINAL_VERSION = "2.1.1"  # the original laaos, installed by the `original_laaos` fixture


def new_store(**kwargs):
    """A store on a StringIO; returns (root, log)."""
    log = io.StringIO()
    store = laaos.Store(log, **kwargs)
    return store.root, log


def plain(value):
    """The plain Python value of a store container (for comparisons)."""
    if isinstance(value, laaos.StoreDict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, laaos.StoreList):
        return [plain(v) for v in value]
    if isinstance(value, laaos.StoreSet):
        return set(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def same(a, b):
    """Equality that treats NaN as equal to NaN and tells -0.0 from 0.0."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, complex) and isinstance(b, complex):
        return same(a.real, b.real) and same(a.imag, b.imag)
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def run_original(original_laaos, code, cwd):
    """Run ``code`` in a child Python that imports the original laaos (the directory the
    ``original_laaos`` fixture returns)."""
    env = dict(os.environ, PYTHONPATH=str(original_laaos))
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    if proc.returncode:
        raise AssertionError(f"original laaos failed:\n{proc.stderr}")
    return proc.stdout


def as_nobody(fn):
    """``fn()`` run as the user ``nobody`` in a forked child when this process is root
    (root reads and writes any file, so a test of a refused permission would test
    nothing: CI runs as root); run here otherwise.  Returns what ``fn`` returns; an
    exception in the child fails the test with its traceback."""
    if os.geteuid() != 0:
        return fn()
    import pickle
    import pwd
    import traceback

    user = pwd.getpwnam("nobody")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.close(read)
            try:
                os.setgroups([])
                os.setgid(user.pw_gid)
                os.setuid(user.pw_uid)
                result = ("ok", fn())
            except BaseException:
                result = ("error", traceback.format_exc())
            with os.fdopen(write, "wb") as f:
                pickle.dump(result, f)
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as f:
        data = f.read()
    os.waitpid(pid, 0)
    kind, value = pickle.loads(data)
    if kind == "error":
        raise AssertionError(f"as the user nobody:\n{value}")
    return value


# ---- the two backends side by side -------------------------------------------------------

# The backends this build has (the pure twin always; the extension where it is built).
TWINS = [m for m in (_backend.cython_impl, _backend.python_impl) if m is not None]
needs_both = pytest.mark.skipif(len(TWINS) < 2, reason="the Cython extension is not built")


def parse_with(impl, data, skip=False, keys=None):
    """What ``impl``'s parser makes of ``data``: the store and its counts, or the error."""
    parser = impl.LogParser("<fuzz>", {}, skip, keys=keys)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parser.feed(data)
            root = parser.finish()
    except laaos.LogError as e:
        return ("error", type(e).__name__, e.line, str(e))
    return ("ok", repr(root), parser.statements, parser.valid_bytes, parser.pending, parser.skipped,
            parser.legacy_floats, parser.lines)


SEED_LOG = (
    b"store = (\n{'cfg': {'lr': 0.1}, 'l': [], 's': set()}\n)\n"
    b"store['l'].append(1.5)\nstore['l'].append(-2)\nstore['l'].append('x')\n"
    b"store['cfg']['lr']=0.25\nstore['s'].add((1, 'a'))\nstore['l'][0] = [None, True]\n"
    b"store['l'].append({'a': [1, 2.5e-10], 'b': {3}})\ndel store['l'][1]\nstore['n']=float('nan')\n"
    b"store['l'].extend([1, 2])\nstore['l'].insert(0, '\xc3\xa9')\nstore['l'].append(\"q\\n\")\n"
)
