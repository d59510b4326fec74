"""One Lightning logging call: ``LaaosLogger`` against Lightning's ``CSVLogger`` and
``TensorBoardLogger``, in one run:

    pytest benchmarks/test_bench_trainer_loggers.py --benchmark-columns=median,min,max,rounds

A round makes the logger, makes N calls as Lightning makes them (``log_metrics`` of five
numbers with the step, then ``save``) and finalizes it, so that every logger has written
all it was given; the time per call is the round's time / N.  Target: laaos costs no more
than ``CSVLogger``.  ``LAAOS_BENCH_LOGGER_CALLS`` changes N (default 20,000).
"""

import importlib.util
import os

import pytest

from benchtools import bench, use

# (imported here, not in a round: importing Lightning takes seconds)
pytest.importorskip("lightning.pytorch",
                    reason="needs Lightning: pip install '.[bench,lightning]' tensorboard")
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger  # noqa: E402

from laaos.integrations.lightning import LaaosLogger  # noqa: E402

TENSORBOARD = importlib.util.find_spec("tensorboard") is not None

N = int(os.environ.get("LAAOS_BENCH_LOGGER_CALLS", "20000"))
METRICS = [{"train_loss": 1.0 / (i + 1), "train_acc": 0.5, "lr": 1e-3, "grad_norm": 2.5 + i,
            "epoch": i // 1000} for i in range(N)]


def make(kind, folder):
    if kind.startswith("laaos"):
        durability = "buffered" if kind.endswith("buffered") else "flush"
        return LaaosLogger(os.path.join(folder, "run.py"), truncate=True, durability=durability)
    if kind == "csv":
        return CSVLogger(folder, name="csv", version=0)
    return TensorBoardLogger(folder, name="tb", version=0)


def calls(kind, folder):
    def run():
        logger = make(kind, folder)
        for step, metrics in enumerate(METRICS):
            logger.log_metrics(metrics, step)
            logger.save()
        logger.finalize("success")

    return run


@pytest.mark.benchmark(group="Lightning loggers: N log_metrics calls")
@pytest.mark.parametrize(("backend", "kind"), [("cython", "laaos"), ("cython", "laaos-buffered"),
                                               ("python", "laaos")])
def test_laaos_logger_calls(benchmark, workdir, backend, kind):
    use(backend)
    bench(benchmark, calls(kind, str(workdir / f"lightning-{backend}-{kind}")))


@pytest.mark.benchmark(group="Lightning loggers: N log_metrics calls")
@pytest.mark.parametrize("kind", ["csv", "tensorboard"])
def test_lightning_logger_calls(benchmark, workdir, kind):
    if kind == "tensorboard" and not TENSORBOARD:
        pytest.skip("TensorBoardLogger needs tensorboard: pip install tensorboard")
    bench(benchmark, calls(kind, str(workdir / f"lightning-{kind}")))
