"""Does pausing the cyclic garbage collector during a load pay?  Loads the same logs with
the collector on (the loader's ``collector_paused`` replaced by a no-op) and paused (the
loader as it is), both backends, in interleaved rounds; prints the median CPU time of each
and the ratio.

    python tools/gc_pause.py [--steps 100000] [--rounds 7]
"""

import argparse
import contextlib
import gc
import os
import statistics
import sys
import tempfile
import time

from laaos import _backend
from laaos import loader


def write_logs(folder, steps):
    """The shapes where the collector has most to walk: an interleaved training log (three
    series in turn, an eval dict every 100 steps, 64 per-sample scores every 1000) and a
    dict per step."""
    paths = {}
    path = os.path.join(folder, "interleaved.py")
    with open(path, "w", encoding="utf-8") as f:
        f.write("store = {'loss': [], 'acc': [], 'lr': [], 'evals': [], 'scores': []}\n")
        for i in range(steps):
            f.write(f"store['loss'].append({1 / (i + 1)!r})\n")
            f.write(f"store['acc'].append({i / steps!r})\n")
            f.write(f"store['lr'].append({0.1 * 0.999 ** (i // 100)!r})\n")
            if i % 100 == 0:
                f.write(f"store['evals'].append({{'step': {i}, 'acc': {i / steps!r}, 'loss': {1 / (i + 2)!r}}})\n")
            if i % 1000 == 0:
                f.write(f"store['scores'].append({[j / 64 for j in range(64)]!r})\n")
    paths["interleaved"] = path
    path = os.path.join(folder, "dict_per_step.py")
    with open(path, "w", encoding="utf-8") as f:
        f.write("store = {'steps': []}\n")
        for i in range(steps):
            f.write(f"store['steps'].append({{'step': {i}, 'loss': {1 / (i + 1)!r}, 'tags': ['a', 'b']}})\n")
    paths["dict_per_step"] = path
    return paths


def timed(path, paused):
    shipped = loader.collector_paused
    if not paused:
        loader.collector_paused = contextlib.nullcontext
    try:
        t = time.process_time()  # this process's CPU time: others' load on a shared machine is not in it
        loader.load(path)
        return time.process_time() - t
    finally:
        loader.collector_paused = shipped


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        paths = write_logs(folder, args.steps)
        backends = [("extension", _backend.cython_impl), ("pure", _backend.python_impl)]
        times = {}
        for r in range(args.rounds):  # interleaved: a noisy machine slows both alike
            for shape, path in paths.items():
                for name, impl in backends:
                    _backend.impl = impl
                    for paused in (False, True) if r % 2 else (True, False):  # neither always first
                        gc.collect()
                        times.setdefault((shape, name, paused), []).append(timed(path, paused))
        print(f"python {sys.version.split()[0]}, {args.steps:,} steps, {args.rounds} rounds, median CPU seconds")
        print(f"{'log':<15} {'backend':<10} {'size':>8} {'gc on':>8} {'paused':>8} {'on/paused':>10}")
        for shape, path in paths.items():
            for name, _ in backends:
                on = statistics.median(times[shape, name, False])
                off = statistics.median(times[shape, name, True])
                size = os.path.getsize(path) / 2**20
                print(f"{shape:<15} {name:<10} {size:>6.1f}MB {on:>8.3f} {off:>8.3f} {on / off:>9.2f}x")


if __name__ == "__main__":
    main()
