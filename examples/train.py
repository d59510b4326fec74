"""The main job: a training run that logs with laaos, is killed, resumes and loads.

    python examples/train.py            # the whole demo
    python examples/train.py --train    # just the training loop (resumes its log)
    python examples/train.py --train --name live --steps 4000   # a longer run to follow:
    laaos follow runs/live.py           # ... in a second terminal

The demo starts the training loop in a child process, kills it with SIGKILL part-way
(as a preempted cluster job dies), starts it again (it reopens its log and carries on
from the last logged step), then loads the log the way a notebook would.
"""

import argparse
import math
import os
import random
import signal
import subprocess
import sys
import time

import laaos

LOG_DIR = "runs/"
NAME = "example"
STEPS = 200
CONFIG = {"lr": 0.05, "seed": 0, "steps": STEPS, "model": "linear"}


def train(name: str = NAME, steps: int = STEPS) -> None:
    config = dict(CONFIG, steps=steps)
    store = laaos.open_file_store(name, "", prefix=LOG_DIR, initial_data={"config": config})
    if store["config"] != config:
        raise SystemExit(f"{store.uri} was written with another config: {store['config']}")
    if "losses" not in store:
        store["losses"] = []
        store["evals"] = []
    start = len(store["losses"])
    print(f"training from step {start} (log {store.uri})", flush=True)
    rng = random.Random(start)
    # Restore the model where the log left off (a real run loads its checkpoint here).
    w = 3.0 * (1 - (1 - CONFIG["lr"]) ** start)
    for step in range(start, steps):
        w += CONFIG["lr"] * (3.0 - w)  # a very small model learning w = 3
        loss = (3.0 - w) ** 2 + rng.random() * 1e-3
        store["losses"].append(loss)
        if step % 50 == 49:
            store["evals"].append({"step": step, "accuracy": 1 - math.exp(-step / 60), "nan_check": float("nan")})
        time.sleep(0.005)  # the "GPU work"
    store["done"] = True
    store.close()
    print("training finished", flush=True)


def wait_for_steps(log: str, steps: int, child: subprocess.Popen, timeout: float = 120) -> None:
    """Wait until the training child has logged ``steps`` losses (however slow its start
    on a busy machine), or has ended."""
    deadline = time.monotonic() + timeout
    while child.poll() is None and time.monotonic() < deadline:
        try:
            with open(log, "rb") as f:
                if f.read().count(b"['losses'].append(") >= steps:
                    return
        except FileNotFoundError:
            pass
        time.sleep(0.01)


def demo() -> None:
    log = os.path.join(LOG_DIR, NAME + ".py")
    if os.path.exists(log):
        os.remove(log)
    cmd = [sys.executable, os.path.abspath(__file__), "--train"]
    child = subprocess.Popen(cmd)
    wait_for_steps(log, STEPS // 4, child)
    child.send_signal(signal.SIGKILL)  # preempted: no cleanup runs
    child.wait()
    partial = laaos.load(log)
    print(f"killed after {len(partial.store['losses'])} logged steps; the log holds {partial.statements} statements")
    subprocess.run(cmd, check=True)  # resumes from its log
    store = laaos.safe_load(log)
    losses = store["losses"]
    print(f"loaded {log}: {len(losses)} losses (first {losses[0]:.4f}, last {losses[-1]:.6f}), "
          f"evals at steps {[e['step'] for e in store['evals']]}, done={store.get('done')}")
    assert len(losses) == STEPS and store["done"] is True
    print(f"backend: {laaos.BACKEND}")
    print(f"look at it: laaos show {log}    laaos plot {log} losses --logy -o losses.png")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", action="store_true", help="run only the training loop")
    parser.add_argument("--name", default=NAME, help=f"the log's name in {LOG_DIR} (with --train)")
    parser.add_argument("--steps", type=int, default=STEPS, help="training steps (with --train)")
    args = parser.parse_args()
    if args.train:
        train(args.name, args.steps)
    else:
        demo()
