"""Compacting a log of ``benchmarks/loads.py`` (the interleaved training log of 100k
steps, or with ``dicts`` the log of 100k metric dicts), on both backends: wall time and
peak memory of ``laaos.compact`` (the load included), and the time of the text alone
(``laaos.files.compacted`` of the loaded store):

    python benchmarks/compaction.py [dicts]   # ~1 minute (dicts: ~2); LAAOS_BENCH_ROUNDS=5 by default

Each round runs in a fresh child process (the pure twin with ``LAAOS_NO_EXTENSIONS=1``)
that reports the compaction's wall time and its peak memory: the peak resident set
(``VmHWM``) minus the resident set before it (after the imports).  Rounds of the two
backends are interleaved (the machine may be shared); the table shows medians.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from loads import Writer, shape_dicts, shape_interleaved  # noqa: E402

ROUNDS = int(os.environ.get("LAAOS_BENCH_ROUNDS", "5"))

CHILD = """
import sys, time, json, gc
import laaos
from laaos.files import compacted
path, out = sys.argv[1], sys.argv[2]
def rss(field):
    with open('/proc/self/status') as f:
        return int([l for l in f if l.startswith(field)][0].split()[1]) / 1024
gc.collect()
base = rss('VmRSS')
t = time.perf_counter()
laaos.compact(path, out, overwrite=True)
t = time.perf_counter() - t
peak = rss('VmHWM') - base
store = laaos.safe_load(path)
t2 = time.perf_counter()
compacted(store)
t2 = time.perf_counter() - t2
print(json.dumps([t, peak, t2]))
"""


def measure(backend, path):
    env = dict(os.environ)
    env.pop("LAAOS_NO_EXTENSIONS", None)
    if backend == "pure":
        env["LAAOS_NO_EXTENSIONS"] = "1"
    out = subprocess.run(
        [sys.executable, "-c", CHILD, path, path + ".compact"],
        env=env, capture_output=True, text=True, cwd=os.path.dirname(path),  # outside the checkout
    )
    if out.returncode:
        sys.exit(f"{backend}: {out.stderr}")
    return json.loads(out.stdout)


def main():
    with tempfile.TemporaryDirectory() as workdir:
        name = sys.argv[1] if len(sys.argv) > 1 else "interleaved"
        stem = os.path.join(workdir, name)
        w = Writer(stem)
        {"interleaved": shape_interleaved, "dicts": shape_dicts}[name](w)
        w.close()
        path = stem + ".py"
        runs = {"cython": [], "pure": []}
        for _ in range(ROUNDS):
            for backend in runs:
                runs[backend].append(measure(backend, path))
        print(f"Compacting the {name} log ({os.path.getsize(path) / 2**20:.1f} MiB); "
              f"medians of {ROUNDS} interleaved rounds, each in a fresh child process")
        print("| backend | compact (s) | compact peak (MiB) | text of the loaded store (s) |")
        print("|---|---|---|---|")
        for backend, rows in runs.items():
            t, peak, text = (statistics.median(col) for col in zip(*rows))
            print(f"| {backend} | {t:.3f} | {peak:.1f} | {text:.3f} |")


if __name__ == "__main__":
    main()
