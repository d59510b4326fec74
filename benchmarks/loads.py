"""Loading every shape of log, one table: laaos with the extension, the pure twin, laaos
2.1.1 and orjson JSON Lines of the same records, side by side, with peak memory:

    python benchmarks/loads.py            # ~5 minutes; LAAOS_BENCH_SCALE=0.1 for a quick look

Each load runs in a fresh child process (the pure twin with ``LAAOS_NO_EXTENSIONS=1``, as
it runs where the extension is not installed), which reports the load's wall time and its
peak memory: the peak resident set (``VmHWM``) minus the resident set before the load
(after the imports).  Rounds of every case are interleaved (the machine may be shared);
the table shows the median of each case and ratios of the medians.  laaos 2.1.1 has no
partial loads; JSON has no bytes (its rows hold the bytes as a latin-1 string, every byte
one escape or character).
"""

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile

SCALE = float(os.environ.get("LAAOS_BENCH_SCALE", "1"))
ROUNDS = int(os.environ.get("LAAOS_BENCH_ROUNDS", "3"))
ENGINES = ("cython", "pure", "2.1.1", "orjson")


def steps(n):
    return max(int(n * SCALE), 10)


def shape_series(out):
    """One series: float appends to one list."""
    rnd = random.Random(0)
    out.set("losses", [])
    for _ in range(steps(300_000)):
        out.append("losses", rnd.random())


def shape_interleaved(out):
    """A training log: three series appended in turn every step (loss, acc, lr), an eval
    dict every 100 steps, 64 per-sample scores every 1,000 steps, and a config."""
    rnd = random.Random(1)
    n = steps(100_000)
    out.set("config", {"lr": 0.001, "batch_size": 64, "model": "resnet18", "seed": 1})
    for key in ("loss", "acc", "lr", "eval", "scores"):
        out.set(key, [])
    for i in range(n):
        out.append("loss", rnd.random())
        out.append("acc", rnd.random())
        out.append("lr", 0.001 * (1 - i / n))
        if i % 100 == 0:
            out.append("eval", {"step": i, "val_loss": rnd.random(), "val_acc": rnd.random()})
        if i % 1000 == 0:
            out.append("scores", [rnd.random() for _ in range(64)])


def shape_dicts(out):
    """A dict of five metrics per step."""
    rnd = random.Random(2)
    out.set("metrics", [])
    for i in range(steps(100_000)):
        out.append("metrics", {"step": i, "loss": rnd.random(), "acc": rnd.random(), "lr": 0.001,
                               "grad_norm": rnd.random() * 10})


def shape_active_learning(out):
    """Active-learning rounds: a dict of the 64 acquired indices and 10,000 scores per round."""
    rnd = random.Random(3)
    out.set("rounds", [])
    for r in range(max(steps(50), 2)):
        out.append("rounds", {"round": r, "indices": rnd.sample(range(100_000), 64),
                              "scores": [rnd.random() for _ in range(10_000)]})


def shape_long_str(out):
    """A 10 MB str with dense escapes (control characters, quotes, backslashes, non-ASCII)."""
    n = int(10 * 2**20 * SCALE)
    out.set("text", ("line\n\t\"q\" \\ \u00e9\u4e2d \x01'" * (n // 16 + 1))[:n])


def shape_long_bytes(out):
    """A 10 MB bytes value of every byte value: repr writes it with dense \\x escapes."""
    out.set("blob", bytes(range(256)) * int(10 * 2**20 * SCALE / 256))


def shape_deep(out):
    """Deep but legal nesting: 10k values nested 40 levels (dicts in lists)."""
    out.set("trees", [])
    for i in range(steps(10_000)):
        value = [i, 0.5]
        for level in range(20):
            value = [{"k": value, "n": level}]
        out.append("trees", value)


SHAPES = {
    "one series (300k float appends)": shape_series,
    "interleaved training log (100k steps)": shape_interleaved,
    "a dict per step (100k)": shape_dicts,
    "active-learning rounds (50 x 10k scores)": shape_active_learning,
    "10 MB str, dense escapes": shape_long_str,
    "10 MB bytes, dense escapes": shape_long_bytes,
    "deep nesting (10k x 40 levels)": shape_deep,
}
KEYS_CASE = ("interleaved training log (100k steps)", ["config"])


class Writer:
    """Writes a shape as the statements laaos (and 2.1.1) write, and as JSON Lines."""

    def __init__(self, stem):
        self.py = open(stem + ".py", "w", encoding="utf-8")
        self.jsonl = open(stem + ".jsonl", "wb")
        self.py.write("store = {}\n")
        import orjson

        self.dumps = orjson.dumps

    def _json(self, row):
        self.jsonl.write(self.dumps(row, default=lambda b: b.decode("latin-1")) + b"\n")

    def set(self, key, value):
        self.py.write(f"store[{key!r}]={value!r}\n")
        self._json({key: value})

    def append(self, key, value):
        self.py.write(f"store[{key!r}].append({value!r})\n")
        self._json({key: value})

    def close(self):
        self.py.close()
        self.jsonl.close()


def make(workdir):
    """Write every shape into ``workdir``: {shape: stem}."""
    stems = {}
    for i, (name, shape) in enumerate(SHAPES.items()):
        stem = os.path.join(workdir, f"shape{i}")
        w = Writer(stem)
        shape(w)
        w.close()
        stems[name] = stem
    return stems


CHILD = """
import sys, time, json, gc
engine, path, keys = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
def rss(field):
    with open('/proc/self/status') as f:
        return int([l for l in f if l.startswith(field)][0].split()[1]) / 1024
if engine in ('cython', 'pure'):
    import laaos
    assert laaos.BACKEND == ('cython' if engine == 'cython' else 'python')
    load = lambda: laaos.safe_load(path + '.py', keys=keys or None)
elif engine == '2.1.1':
    sys.path.insert(0, sys.argv[4])
    from benchtools import load_original
    orig = load_original()
    load = lambda: orig.safe_load(path + '.py')
else:
    import orjson
    def load():
        with open(path + '.jsonl', 'rb') as f:
            return [orjson.loads(line) for line in f]
gc.collect()
base = rss('VmRSS')
t, cpu = time.perf_counter(), time.process_time()
result = load()
t, cpu = time.perf_counter() - t, time.process_time() - cpu
print(json.dumps([t, rss('VmHWM') - base, cpu]))
"""


def measure(engine, stem, keys=None):
    """(seconds, peak MiB over the resident set before the load, CPU seconds) of one load in a child."""
    env = dict(os.environ)
    env.pop("LAAOS_NO_EXTENSIONS", None)
    if engine == "pure":
        env["LAAOS_NO_EXTENSIONS"] = "1"
    here = os.path.dirname(os.path.abspath(__file__))
    out = subprocess.run(
        [sys.executable, "-c", CHILD, engine, stem, json.dumps(keys), here],
        env=env, capture_output=True, text=True, cwd=os.path.dirname(stem),  # outside the checkout
    )
    if out.returncode:
        sys.exit(f"{engine} on {stem}: {out.stderr}")
    return json.loads(out.stdout)


def cases():
    for shape in SHAPES:
        for engine in ENGINES:
            yield shape, engine, None
    for engine in ("cython", "pure"):
        yield KEYS_CASE[0], engine, KEYS_CASE[1]


def main():
    results = {}
    with tempfile.TemporaryDirectory() as workdir:
        stems = make(workdir)
        sizes = {shape: os.path.getsize(stem + ".py") / 2**20 for shape, stem in stems.items()}
        for r in range(ROUNDS):
            for shape, engine, keys in cases():
                key = (shape if keys is None else f"{shape}, keys={keys}", engine)
                results.setdefault(key, []).append(measure(engine, stems[shape], keys))
            print(f"round {r + 1} of {ROUNDS} done", file=sys.stderr)
    med = {k: tuple(statistics.median(r[i] for r in v) for i in range(3)) for k, v in results.items()}
    print(f"Medians of {ROUNDS} interleaved rounds, each load in a fresh child process: wall time of "
          "the load, and its peak memory (the child's peak resident set, VmHWM, minus its resident "
          "set before the load).\n")
    print("| shape | MiB | cython | pure | 2.1.1 | orjson JSONL | 2.1.1 / cython | 2.1.1 / pure "
          "| orjson / cython | pure / cython |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for shape in list(SHAPES) + [f"{KEYS_CASE[0]}, keys={KEYS_CASE[1]}"]:
        row = {e: med.get((shape, e)) for e in ENGINES}
        cells = [f"{row[e][0] * 1e3:,.1f} ms, {row[e][1]:,.0f} MiB" if row[e] else "" for e in ENGINES]
        c, p, o, j = (row[e][0] if row[e] else None for e in ENGINES)
        ratio = lambda a, b: f"{a / b:.1f}x" if a and b else ""
        size = sizes.get(shape, sizes[KEYS_CASE[0]])
        print(f"| {shape} | {size:.1f} | " + " | ".join(cells) +
              f" | {ratio(o, c)} | {ratio(o, p)} | {ratio(j, c)} | {ratio(p, c)} |")
    print("\nThe same ratios from the CPU time of each load (the child's process_time, less sensitive "
          "to other work on the machine):\n")
    print("| shape | 2.1.1 / cython | 2.1.1 / pure | orjson / cython | pure / cython |")
    print("|---|---|---|---|---|")
    for shape in list(SHAPES) + [f"{KEYS_CASE[0]}, keys={KEYS_CASE[1]}"]:
        c, p, o, j = (med[shape, e][2] if (shape, e) in med else None for e in ENGINES)
        ratio = lambda a, b: f"{a / b:.1f}x" if a and b else ""
        print(f"| {shape} | {ratio(o, c)} | {ratio(o, p)} | {ratio(j, c)} | {ratio(p, c)} |")
    partial = f"{KEYS_CASE[0]}, keys={KEYS_CASE[1]}"
    for i, what in ((0, "wall"), (2, "CPU")):
        print(f"\nkeys={KEYS_CASE[1]} against the whole load ({what} time): "
              f"cython {med[KEYS_CASE[0], 'cython'][i] / med[partial, 'cython'][i]:.1f}x faster, "
              f"pure {med[KEYS_CASE[0], 'pure'][i] / med[partial, 'pure'][i]:.1f}x faster")


if __name__ == "__main__":
    main()
