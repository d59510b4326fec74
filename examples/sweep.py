"""A small sweep: four runs with different learning rates, one log each, loaded back
into pandas in one call (examples/sweep.ipynb shows it in a notebook).

    python examples/sweep.py
"""

import random

import laaos

SWEEP_DIR = "runs/sweep/"
LEARNING_RATES = [0.01, 0.03, 0.1, 0.3]


def run(lr: float, seed: int) -> None:
    store = laaos.open_file_store(f"lr{lr}", "", prefix=SWEEP_DIR, truncate=True,
                                  initial_data={"config": {"lr": lr, "seed": seed}})
    store["metrics"] = []
    rng = random.Random(seed)
    w = 0.0
    for step in range(100):
        w += lr * (3.0 - w)
        store["metrics"].append({"step": step, "loss": (3.0 - w) ** 2 + rng.random() * 1e-3, "w": w})
    store.close()


def run_all() -> None:
    for seed, lr in enumerate(LEARNING_RATES):
        run(lr, seed)


def main() -> None:
    run_all()
    # (a broken log would land in runs.errors, and the others would still load)
    runs = laaos.load_many(SWEEP_DIR + "*.py")
    try:
        # one row per step of every run, with each run's learning rate beside it
        steps = runs.series("metrics").join(runs.frame()["config.lr"], on="run")
    except ImportError:  # (no pandas)
        for path, store in runs.items():
            print(path, store["config"], "final loss", store["metrics"][-1]["loss"])
        return
    print(steps.groupby("config.lr")["loss"].agg(["first", "last", "min"]))


if __name__ == "__main__":
    main()
