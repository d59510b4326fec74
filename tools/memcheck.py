"""Run the extension's native code under a memory checker (AddressSanitizer + UBSan).

One command builds the extension with ``-fsanitize=address,undefined`` and runs the checks
under it (RELIABILITY.md section 9 records what it found)::

    python tools/memcheck.py --asan all /tmp/fuzz.corpus      # floats, writer, corpus
    python tools/memcheck.py --asan writer                    # one check
    python tools/memcheck.py --asan run pytest -p no:xdist -k "not pure-python" tests/test_store.py

The checks (``CHECK [ARGS]``):

``floats [N]``
    ``laaos_format_double`` (src_ext/floatfmt.h, shortest.h) against ``repr`` on N doubles
    (default 5,000,000): random bit patterns, both ends of every binade, subnormals, the
    neighbours of every power of ten, integers around 2**53, short decimals.
``writer``
    the writer (src_ext/writer.pxi) and the engine's C ``append`` (engine.pxi): every
    value type, and appended floats (``_put_append_float``'s 256-byte stack buffer) with
    accessors of 150 to 260 bytes, ASCII and multi-byte, around its 192-byte limit, for
    ``flush``, ``fsync`` and ``buffered`` writers (a buffer of 1 byte, 100 bytes and
    64 KiB; a flush interval of 0) and a text file object; each log is loaded back and compared with memory.
``corpus FILE [LIMIT]``
    a fuzz corpus (``LAAOS_FUZZ_CORPUS=FILE pytest tests/test_fuzz.py -k mutated``)
    through the C parser, each input whole and in 7-byte chunks; a ``LogError`` is an
    expected outcome, anything else is reported.
``all [FILE]``
    ``floats``, ``writer``, and ``corpus FILE`` when a file is given.
``run CMD...``
    any command (e.g. ``pytest``) under the sanitized build, run in ``--build-dir`` (which
    holds a copy of tests/: the current folder comes first on ``sys.path``, and the
    source tree's would be the unsanitized extension); child processes inherit the build.

``--asan`` builds (when src_ext/ changed) into ``--build-dir`` (default
/tmp/laaos-asan: a copy of laaos/ with the sanitized ``_speedups``), then runs the check
with that folder first on ``PYTHONPATH``, ``LD_PRELOAD`` of libasan and libubsan (Python
itself is not sanitized), ``PYTHONMALLOC=malloc`` (so ASan sees every allocation) and
``halt_on_error``; every process (children too) writes its report to ``--build-dir``/logs/,
which the command prints at the end, and it fails when there is one.  The extension is C++: the flags go into ``CXXFLAGS``
as well as ``CFLAGS``, and ``-fno-wrapv`` undoes Python's ``-fwrapv`` so that UBSan sees
signed overflow.  Without ``--asan`` the checks run on whatever laaos imports (e.g. under
``valgrind --tool=memcheck``).
"""

import argparse
import math
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import warnings
from array import array
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SANITIZE = "-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -fno-wrapv -g -O1"


# ---- the sanitized build -------------------------------------------------------------


def _runtime(name):
    cc = os.environ.get("CC", "gcc")
    return subprocess.run([cc, f"-print-file-name={name}"], capture_output=True, text=True, check=True).stdout.strip()


def build(build_dir):
    """Copy laaos/ and tests/ into build_dir, with the sanitized extension, built again
    when src_ext/ or setup.py is newer than the last one (kept in build_dir/ext)."""
    target = build_dir / "laaos"
    sources = [p for p in (ROOT / "src_ext").iterdir() if p.suffix in (".pyx", ".pxi", ".h")]
    newest = max(p.stat().st_mtime for p in sources + [ROOT / "setup.py"])
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(ROOT / "laaos", target, ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    # the tests and their configuration, so that `run pytest tests/...` finds laaos here
    # first (pytest puts the current folder ahead of PYTHONPATH)
    if (build_dir / "tests").exists():
        shutil.rmtree(build_dir / "tests")
    shutil.copytree(ROOT / "tests", build_dir / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", build_dir / "pyproject.toml")
    cache = build_dir / "ext"
    cached = list(cache.glob("_speedups*.so"))
    if not cached or min(p.stat().st_mtime for p in cached) < newest:
        # (in a copy of the sources: the source tree's own build stays as it is)
        with tempfile.TemporaryDirectory(prefix="laaos-asan-src-") as tmp:
            work = Path(tmp)
            for name in ("setup.py", "pyproject.toml", "README.md", "LICENSE"):
                if (ROOT / name).exists():
                    shutil.copy2(ROOT / name, work / name)
            shutil.copytree(ROOT / "src_ext", work / "src_ext", ignore=shutil.ignore_patterns("*.cpp", "*.html"))
            shutil.copytree(ROOT / "laaos", work / "laaos", ignore=shutil.ignore_patterns("*.so", "__pycache__"))
            env = dict(os.environ, CFLAGS=SANITIZE, CXXFLAGS=SANITIZE, LDFLAGS="-fsanitize=address,undefined",
                       LAAOS_REQUIRE_EXTENSIONS="1")
            print("memcheck: building the sanitized extension (about a minute)", file=sys.stderr)
            subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--inplace"], cwd=work, env=env,
                           check=True, stdout=subprocess.DEVNULL)
            if cache.exists():
                shutil.rmtree(cache)
            cache.mkdir(parents=True)
            for so in (work / "laaos").glob("_speedups*.so"):
                shutil.copy2(so, cache / so.name)
    for so in cache.glob("_speedups*.so"):
        shutil.copy2(so, target / so.name)


def sanitized_env(build_dir):
    logs = build_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["LD_PRELOAD"] = f"{_runtime('libasan.so')}:{_runtime('libubsan.so')}"
    env["ASAN_OPTIONS"] = f"detect_leaks=0:halt_on_error=1:log_path={logs}/asan"
    env["UBSAN_OPTIONS"] = f"halt_on_error=1:print_stacktrace=1:log_path={logs}/ubsan"
    env["PYTHONMALLOC"] = "malloc"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(build_dir), env.get("PYTHONPATH")]))
    env["LAAOS_MEMCHECK_BUILD"] = str(build_dir)
    env.pop("LAAOS_NO_EXTENSIONS", None)
    return env, logs


def run_sanitized(build_dir, argv):
    """Run argv (a check of this file, or a command) under the sanitized build."""
    build(build_dir)
    env, logs = sanitized_env(build_dir)
    for old in logs.iterdir():
        old.unlink()
    if argv[0] == "run":
        command = argv[1:]
        if command and command[0] in ("pytest", "python"):  # this interpreter's
            command = [sys.executable] + (["-m", "pytest"] if command[0] == "pytest" else []) + command[1:]
    else:
        command = [sys.executable, __file__] + argv
    # (run: from the build folder, which holds a copy of tests/, so that the current
    # folder, first on sys.path, is not the source tree with its unsanitized extension)
    status = subprocess.run(command, env=env, cwd=build_dir if argv[0] == "run" else None).returncode
    reports = sorted(logs.iterdir())
    for report in reports:
        print(f"memcheck: sanitizer report {report}:\n{report.read_text()}", file=sys.stderr)
    if reports:
        return 1
    print(f"memcheck: no sanitizer report (exit status {status})")
    return status


# ---- the checks ----------------------------------------------------------------------


def _speedups():
    from laaos import _backend

    impl = _backend.cython_impl
    assert impl is not None, "the extension is not built"
    build_dir = os.environ.get("LAAOS_MEMCHECK_BUILD")
    assert not build_dir or impl.__file__.startswith(build_dir), f"{impl.__file__} is not the sanitized build"
    return impl


def _expected_repr(x):
    if x != x:
        return "float('nan')"
    if x in (float("inf"), float("-inf")):
        return "float('inf')" if x > 0 else "-float('inf')"
    return repr(x)


def _from_bits(bits):
    return struct.unpack("<d", struct.pack("<Q", bits))[0]


def float_cases(n, seed=20261127):
    """Batches of doubles (lists), n in all; the deterministic kinds first."""
    rng = random.Random(seed)
    fixed = []
    for sign in (0, 1 << 63):
        for exp in range(2047):  # both ends of every binade (exp 0: the subnormals)
            for mant in (0, 1, 2, 3, (1 << 52) - 3, (1 << 52) - 2, (1 << 52) - 1, 1 << 51, (1 << 51) + 1):
                fixed.append(_from_bits(sign | exp << 52 | mant))
    for bits in range(1, 100_000):  # the smallest subnormals, and the largest ones
        fixed.append(_from_bits(bits))
        fixed.append(_from_bits((1 << 52) - bits))
    for k in range(-330, 310):  # the neighbours of every power of ten, and of d * 10**k
        for d in (1, 2, 5, 9):
            x = float(f"{d}e{k}")
            lo = hi = x
            for _ in range(25):
                lo, hi = math.nextafter(lo, -1.0), math.nextafter(hi, math.inf)
                fixed += (lo, hi)
            fixed.append(x)
    for i in range(-20_000, 20_000):  # integers around 2**53 and 2**63
        fixed += (float(2**53 + i), float(2**63 + i * 1024), float(i))
    fixed = fixed[:n]
    yield fixed
    left = n - len(fixed)
    kinds = 3
    for kind in range(kinds):
        todo = left // kinds + (left % kinds if kind == kinds - 1 else 0)
        while todo > 0:
            m = min(todo, 100_000)
            if kind == 0:  # random bit patterns
                batch = array("d", rng.randbytes(8 * m)).tolist()
            elif kind == 1:  # random subnormals
                batch = [_from_bits(rng.getrandbits(52) | rng.getrandbits(1) << 63) for _ in range(m)]
            else:  # short decimals, where the shortest digits matter most
                batch = [float(f"{rng.randrange(1, 10 ** rng.randint(1, 17))}e{rng.randint(-340, 310)}")
                         for _ in range(m)]
            yield batch
            todo -= m


def check_floats(n):
    render_float = _speedups().render_float
    done = bad = 0
    for batch in float_cases(n):
        got = list(map(render_float, batch))
        want = list(map(_expected_repr, batch))
        if got != want:
            for x, g, w in zip(batch, got, want):
                if g != w:
                    bad += 1
                    if bad <= 20:
                        print(f"memcheck: float {x.hex()}: rendered {g!r}, repr {w!r}")
        done += len(batch)
    print(f"memcheck: floats: {done:,} doubles rendered, {bad} differ from repr")
    return bad == 0


FLOATS = [0.1, -0.0, float("nan"), float("inf"), -float("inf"), 5e-324, -2.2250738585072014e-308,
          1.7976931348623157e308, 1e16, 1e-5, 123456789012345680.0, 0.30000000000000004]
VALUES = [1, -2**63, 2**64, 2**70, "é\n\x00'\"", b"\x00\xff", None, True, False, (1,), (), {1, (2, "x")},
          1 + 2j, complex(0.0, -1.0), [[[]]], {"k": [1.5, {"n": None}]}, set()] + FLOATS


def _same(a, b):
    """a == b, where floats are equal when their reprs are (NaN, -0.0), and a tuple
    equals the list it is stored as."""
    if type(a) is float and type(b) is float:
        return repr(a) == repr(b)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


def check_writer():
    import io

    import laaos
    from laaos import _backend

    _speedups()
    _backend.impl = _backend.cython_impl
    ok = True
    # (durability, buffer size, flush interval): a buffered writer flushes when its buffer
    # is full, or on the first statement after the interval
    writers = [("flush", 1 << 16, 1.0), ("fsync", 1 << 16, 1.0), ("buffered", 1, 1.0), ("buffered", 100, 1.0),
               ("buffered", 1 << 16, 1.0), ("buffered", 1 << 16, 0.0)]
    lengths = range(150, 261)  # the bytes of store['<key>'], around the 192-byte stack limit
    with tempfile.TemporaryDirectory(prefix="laaos-memcheck-") as tmp:
        statements = 0
        for durability, size, interval in writers:
            root = laaos.open_file_store("w", "", prefix=tmp + "/", truncate=True, durability=durability,
                                         buffer_size=size, flush_interval=interval, provenance=False)
            expected = {}
            for n in lengths:
                if durability == "fsync" and n % 10:
                    continue  # fsync is slow: every tenth length
                for fill in ("x", "é", "€"):
                    # store['<key>'] is n bytes: the key fills n - 9 bytes of UTF-8
                    key = fill * ((n - 9) // len(fill.encode())) + "x" * ((n - 9) % len(fill.encode()))
                    root[key] = []
                    assert len(root[key]._accessor.encode()) == n  # what _put_append_float copies
                    for x in FLOATS:
                        root[key].append(x)
                    root[key].append(len(key))
                    root[key].append("s" * 300)
                    expected[key] = FLOATS + [len(key), "s" * 300]
                    statements += len(FLOATS) + 3
            # a nested list, whose accessor is the longest, and every value type
            root["d"] = {"e": {"f": []}}
            expected["d"] = {"e": {"f": VALUES}}
            for i, v in enumerate(VALUES):
                root["d"]["e"]["f"].append(v)
                root[f"v{i}"] = expected[f"v{i}"] = v
            root.close()
            loaded = laaos.safe_load(os.path.join(tmp, "w.py"))
            if not _same(loaded, expected) or not _same(laaos.to_plain(root), expected):
                ok = False
                print(f"memcheck: writer {durability}/{size}/{interval}: the log does not load to what was written")
        for _ in range(20):  # a text file object (the C writer's Python-write branch)
            out = io.StringIO()
            root = laaos.Store(out, durability="buffered", buffer_size=64).root
            root["l"] = []
            for v in VALUES:
                root["l"].append(v)
            root["d"] = {"s": {1, (2, "x")}, "c": 1 + 2j, "t": (1,), "n": [[[]]]}
            text = out.getvalue()  # (close closes the file object)
            root.close()
            if not _same(laaos.safe_load_str(text), {"l": VALUES, "d": root["d"]}):
                ok = False
                print("memcheck: writer on a text file object: the log does not load to what was written")
    print(f"memcheck: writer: {statements:,} appended floats and other statements through "
          f"{len(writers)} file writers and a text file object, accessors of {lengths[0]} to {lengths[-1]} bytes: "
          + ("all load back" if ok else "MISMATCH"))
    return ok


def _inputs(path, limit):
    with open(path, "rb") as f:
        data = f.read()
    i = n = 0
    while i < len(data) and n < limit:
        (size,) = struct.unpack_from("<I", data, i)
        yield data[i + 4 : i + 4 + size]
        i += 4 + size
        n += 1


def _parse(impl, log, chunk):
    from laaos.errors import LogError

    parser = impl.LogParser("<memcheck>", {}, False)
    try:
        for start in range(0, len(log), chunk):
            parser.feed(log[start : start + chunk])
        parser.finish()
    except LogError:
        pass


def check_corpus(path, limit):
    impl = _speedups()
    n = 0
    for log in _inputs(path, limit):
        _parse(impl, log, len(log) or 1)
        _parse(impl, log, 7)
        n += 1
    print(f"memcheck: corpus: replayed {n:,} inputs, twice each, without a crash")
    return True


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--asan", action="store_true", help="build the sanitized extension and run under it")
    p.add_argument("--build-dir", type=Path, default=Path(tempfile.gettempdir()) / "laaos-asan")
    p.add_argument("check", help="floats [N] | writer | corpus FILE [LIMIT] | all [FILE] | run CMD...")
    p.add_argument("args", nargs=argparse.REMAINDER)
    a = p.parse_args(argv)
    if a.check not in ("floats", "writer", "corpus", "all", "run"):  # the old form: a corpus file
        a.check, a.args = "corpus", [a.check] + a.args
    if a.asan:
        return run_sanitized(a.build_dir.resolve(), [a.check] + a.args)
    if a.check == "run":
        p.error("run needs --asan")
    warnings.simplefilter("ignore")
    ok = True
    if a.check in ("floats", "all"):
        ok &= check_floats(int(a.args[0]) if a.check == "floats" and a.args else 5_000_000)
    if a.check in ("writer", "all"):
        ok &= check_writer()
    if a.check == "corpus" or (a.check == "all" and a.args):
        ok &= check_corpus(a.args[0], int(a.args[1]) if a.check == "corpus" and len(a.args) > 1 else 1 << 62)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
