"""Every mutation kind against laaos 2.1.1, the pure twin and orjson JSON Lines, as one table:

    python benchmarks/mutations.py            # ~3 minutes; LAAOS_BENCH_OPS=20000 for a quick look

100k operations of each kind into a ``durability="buffered"`` file store (laaos 2.1.1 has
no buffering: it writes and flushes each statement), and orjson writing the same change
as one JSON line (``dumps(change, option=OPT_APPEND_NEWLINE)`` into a buffered binary
file).  Each round times the operations and the close (which writes what is buffered),
not the open; rounds of every case are interleaved, and the table shows medians.  The
pure twin runs in a child process with ``LAAOS_NO_EXTENSIONS=1``, as it runs where the
extension is not installed.  Then the write targets kept from before: 300k float appends
(a plain loop over the values) buffered against 2.1.1, the same with ``durability="flush"``
against one ``os.write`` per pre-rendered statement in the same loop, and a training log
against orjson JSON Lines; these too time neither side's open.
"""

import gc
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

from benchtools import TRAINING_KEYS, load_original, log_records, records_jsonl, training_records

OPS = int(os.environ.get("LAAOS_BENCH_OPS", "100000"))
ROUNDS = int(os.environ.get("LAAOS_BENCH_ROUNDS", "5"))
KINDS = [
    "dict-record append",
    "small-list append",
    "item set, top level",
    "item set, nested",
    "scalar append",
    "extend (two floats)",
    "insert",
]
rnd = random.Random(1)
VALUES = [rnd.random() for _ in range(max(OPS, 300_000))]
KEYS = [f"k{j}" for j in range(64)]
INITIAL = {"l": [], "d": {}, "li": [0.0]}
SERIES = VALUES[:300_000]  # the kept targets' 300k appends


def mutate(kind, root, n=OPS):
    """``n`` operations of ``kind`` on a store whose root is ``root`` (laaos or 2.1.1)."""
    v = VALUES
    if kind == "dict-record append":
        append = root["l"].append
        for i in range(n):
            append({"step": i, "loss": v[i], "acc": v[n - 1 - i]})
    elif kind == "small-list append":
        append = root["l"].append
        for i in range(n):
            append([i, v[i]])
    elif kind == "item set, top level":
        for i in range(n):
            root[KEYS[i & 63]] = v[i]
    elif kind == "item set, nested":
        d = root["d"]
        for i in range(n):
            d[i & 63] = v[i]
    elif kind == "scalar append":
        append = root["l"].append
        for i in range(n):
            append(v[i])
    elif kind == "extend (two floats)":
        extend = root["l"].extend
        for i in range(n):
            extend([v[i], v[n - 1 - i]])
    elif kind == "300k series":  # (a plain loop over the values: the floor's loop)
        append = root["l"].append
        for x in SERIES:
            append(x)
    elif kind == "insert":
        insert = root["li"].insert  # before the last item (2.1.1 relinks every item after
        for i in range(n):  # the index, so an insert near the front would time that)
            insert(i, v[i])


def jsonl(kind, path, n=OPS):
    """The same changes as JSON lines, written with orjson."""
    import orjson

    opt = orjson.OPT_APPEND_NEWLINE
    dumps = orjson.dumps
    v = VALUES
    with open(path, "wb") as f:
        write = f.write
        if kind == "dict-record append":
            for i in range(n):
                write(dumps({"step": i, "loss": v[i], "acc": v[n - 1 - i]}, option=opt))
        elif kind == "small-list append":
            for i in range(n):
                write(dumps([i, v[i]], option=opt))
        elif kind == "item set, top level":
            for i in range(n):
                write(dumps([KEYS[i & 63], v[i]], option=opt))
        elif kind == "item set, nested":
            for i in range(n):
                write(dumps(["d", i & 63, v[i]], option=opt))
        elif kind == "scalar append":
            for i in range(n):
                write(dumps(v[i], option=opt))
        elif kind == "extend (two floats)":
            for i in range(n):
                write(dumps([v[i], v[n - 1 - i]], option=opt))
        elif kind == "insert":
            for i in range(n):
                write(dumps([i, v[i]], option=opt))


def timed(fn):
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def laaos_round(kind, workdir, n=OPS, durability="buffered"):
    import laaos

    root = laaos.open_file_store(
        "m", "", prefix=f"{workdir}/", truncate=True, durability=durability,
        initial_data=INITIAL, provenance=False,
    )

    def run():
        mutate(kind, root, n)
        root.close()

    return timed(run)


def original():
    return load_original()


def original_round(orig, kind, workdir, n=OPS):
    root = orig.open_file_store("o", "", prefix=f"{workdir}/", truncate=True, initial_data=INITIAL)

    def run():
        mutate(kind, root, n)
        root.close()

    return timed(run)


def pure_round(workdir):
    """One round of every kind on the pure twin, in a child process without the extension."""
    env = dict(os.environ, LAAOS_NO_EXTENSIONS="1")
    out = subprocess.run(
        [sys.executable, __file__, "--pure-round", str(workdir)], env=env, check=True,
        capture_output=True, text=True,
    ).stdout
    return json.loads(out)


def floor_round(workdir):
    """The floor of the kept flush target: one ``os.write`` per pre-rendered statement
    (the store's own, byte for byte), in the same plain loop; the file is opened (and
    emptied) before the timing, as a store is."""
    lines = [f"store['l'].append({x!r})\n".encode() for x in SERIES]
    fd = os.open(f"{workdir}/floor.py", os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND)

    def run():
        write = os.write
        for line in lines:
            write(fd, line)
        os.close(fd)

    return timed(run)


def kept_round(orig, workdir, records, r):
    """The kept targets: {case: seconds}.  The flush round and its floor take turns at
    going first (round ``r``), so that neither always follows the other's writeback."""
    import laaos

    out = {}
    out["300k appends, buffered"] = laaos_round("300k series", workdir)
    out["300k appends, 2.1.1"] = original_round(orig, "300k series", workdir)
    flush = ("300k appends, flush", lambda: laaos_round("300k series", workdir, durability="flush"))
    floor = ("300k appends, os.write floor", lambda: floor_round(workdir))
    for case, run in (flush, floor) if r % 2 == 0 else (floor, flush):
        out[case] = run()
    root = laaos.open_file_store("t", "", prefix=f"{workdir}/", truncate=True, durability="buffered",
                                 provenance=False, initial_data={k: [] for k in TRAINING_KEYS})
    out["training log, buffered"] = timed(lambda: log_records(root, records))
    out["training log, orjson JSONL"] = timed(lambda: records_jsonl(f"{workdir}/t.jsonl", records))
    return out


def main():
    from laaos import _backend

    if _backend.cython_impl is None:
        sys.exit("the extension is not built: build it first (python setup.py build_ext --inplace)")
    orig = original()
    records = list(training_records(100_000))
    # The inputs live through every round: out of the collector's sight, so that its
    # full collections (which every writer that makes containers triggers) walk only
    # what the rounds themselves make.
    gc.collect()
    gc.freeze()
    times = {(k, e): [] for k in KINDS for e in ("cython", "pure", "2.1.1", "orjson")}
    kept = {}
    with tempfile.TemporaryDirectory() as workdir:
        for r in range(ROUNDS):
            for kind, t in pure_round(workdir).items():
                times[kind, "pure"].append(t)
            for kind in KINDS:
                times[kind, "cython"].append(laaos_round(kind, workdir))
                times[kind, "2.1.1"].append(original_round(orig, kind, workdir))
                times[kind, "orjson"].append(timed(lambda: jsonl(kind, f"{workdir}/j.jsonl")))
            for case, t in kept_round(orig, workdir, records, r).items():
                kept.setdefault(case, []).append(t)
            print(f"round {r + 1} of {ROUNDS} done", file=sys.stderr)
    med = {key: statistics.median(ts) for key, ts in times.items()}
    print(f"{OPS:,} operations of each kind, buffered; medians of {ROUNDS} interleaved rounds "
          "(ms for the whole run; ratios of the medians)\n")
    print("| kind | laaos cython | laaos pure | laaos 2.1.1 | orjson JSONL "
          "| 2.1.1 / cython | cython / orjson | 2.1.1 / pure |")
    print("|---|---|---|---|---|---|---|---|")
    for kind in KINDS:
        c, p, o, j = (med[kind, e] * 1e3 for e in ("cython", "pure", "2.1.1", "orjson"))
        print(f"| {kind} | {c:,.1f} | {p:,.1f} | {o:,.1f} | {j:,.1f} | {o / c:.1f}x | {c / j:.2f}x | {o / p:.2f}x |")
    k = {case: statistics.median(ts) * 1e3 for case, ts in kept.items()}
    print(f"\nKept targets (medians of {len(next(iter(kept.values())))} rounds, ms)\n")
    print("| case | laaos cython | reference | ratio |")
    print("|---|---|---|---|")
    b, o = k["300k appends, buffered"], k["300k appends, 2.1.1"]
    print(f"| 300k float appends, buffered, vs laaos 2.1.1 | {b:,.1f} | {o:,.1f} | {o / b:.1f}x faster |")
    f, fl = k["300k appends, flush"], k["300k appends, os.write floor"]
    print(f"| 300k float appends, flush, vs one os.write per line | {f:,.1f} | {fl:,.1f} | {f / fl:.2f}x the time |")
    t, tj = k["training log, buffered"], k["training log, orjson JSONL"]
    print(f"| training log (306k records), buffered, vs orjson JSONL | {t:,.1f} | {tj:,.1f} | {t / tj:.2f}x the time |")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--pure-round":
        from laaos import _backend

        assert _backend.BACKEND == "python"
        print(json.dumps({kind: laaos_round(kind, sys.argv[2]) for kind in KINDS}))
    else:
        main()
