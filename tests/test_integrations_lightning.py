"""``laaos.integrations.lightning.LaaosLogger`` with the real Lightning, tiny models on
CPU: a run preempted (``os._exit``) after its checkpoint at step 10, at step 15, then
resumed from that checkpoint, logs every step exactly once; in one process and in DDP
over two CPU processes (gloo), where only rank zero opens the log."""

import ast
import importlib.util
import os
import subprocess
import sys
import textwrap

import pytest

import laaos
from helpers import run_original

RUN_THEM = "pip install '.[test,lightning]' && pytest tests/test_integrations_lightning.py"
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("lightning") is None or importlib.util.find_spec("torch") is None,
    reason=f"needs torch and Lightning; run these tests with: {RUN_THEM} (.ci/run does)",
)

# Run as a child (DDP's launcher starts the other rank by running this file again).
# argv: log, checkpoint dir, attempt (0: preempted at step 15; 1: resumed from step 10),
# devices, "callbacks" (the logger in callbacks= too) or "logger" (in logger= only).
SCRIPT = textwrap.dedent('''\
    import os, sys
    import torch
    import lightning as L
    from torch.utils.data import DataLoader, TensorDataset
    from laaos.integrations.lightning import LaaosLogger

    ATTEMPT = int(sys.argv[3])


    class Tiny(L.LightningModule):
        def __init__(self, lr=0.05, optim={"name": "sgd", "nesterov": False}, widths=(4, 1)):
            super().__init__()
            self.save_hyperparameters()
            self.layer = torch.nn.Linear(4, 1)

        def training_step(self, batch, batch_idx):
            x, y = batch
            loss = torch.nn.functional.mse_loss(self.layer(x), y)
            self.log("train_loss", loss)
            self.log("attempt", float(ATTEMPT))
            return loss

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


    class Preempt(L.Callback):
        def on_train_batch_end(self, trainer, *args):
            if trainer.global_step == 15:
                os._exit(3)  # no clean-up, as when a job is preempted


    def main():
        log, ckdir, devices, register = sys.argv[1], sys.argv[2], int(sys.argv[4]), sys.argv[5]
        torch.manual_seed(0)
        data = TensorDataset(torch.randn(64, 4), torch.randn(64, 1))
        logger = LaaosLogger(log)
        callbacks = [L.pytorch.callbacks.ModelCheckpoint(dirpath=ckdir, every_n_train_steps=10, save_top_k=-1,
                                                         filename="{step}")]
        callbacks += [Preempt()] if ATTEMPT == 0 else []
        callbacks += [logger] if register == "callbacks" else []
        trainer = L.Trainer(max_steps=25, log_every_n_steps=1, logger=logger, callbacks=callbacks,
                            accelerator="cpu", devices=devices, strategy="ddp" if devices > 1 else "auto",
                            enable_progress_bar=False, enable_model_summary=False,
                            default_root_dir=os.getcwd())
        ckpt = os.path.join(ckdir, "step=10.ckpt") if ATTEMPT == 1 else None
        trainer.fit(Tiny(), DataLoader(data, batch_size=4), ckpt_path=ckpt)
        if torch.distributed.is_initialized():
            # (as a DDP script should: left to interpreter exit, gloo's threads may abort it)
            torch.distributed.destroy_process_group()


    if __name__ == "__main__":
        main()
''')

# (the tuple is stored as a list)
HPARAMS = {"lr": 0.05, "optim": {"name": "sgd", "nesterov": False}, "widths": [4, 1]}


def train(tmp_path, env, attempt, devices, register):
    script = tmp_path / "train_lit.py"
    script.write_text(SCRIPT)
    env = dict(env, OMP_NUM_THREADS="1")
    args = ["run.py", "ckpt", str(attempt), str(devices), register]
    return subprocess.run([sys.executable, str(script), *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)


def preempt_and_resume(tmp_path, env, devices, register):
    dead = train(tmp_path, env, 0, devices, register)
    assert dead.returncode == 3, dead.stderr[-3000:]
    assert sorted(os.listdir(tmp_path / "ckpt")) == ["step=10.ckpt"]
    died = laaos.safe_load(tmp_path / "run.py")
    # The preempted run logged past its checkpoint (steps 10-13; step 14's row comes after
    # the batch end at which it died).
    assert [row["step"] for row in died["metrics"]] == list(range(14))
    resumed = train(tmp_path, env, 1, devices, register)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    return died


def check_resumed_log(tmp_path, original_laaos, sessions):
    result = laaos.load(tmp_path / "run.py")
    rows = result.store["metrics"]
    # Every step once; steps 0-9 from the preempted run (step 9's row was logged after the
    # checkpoint at step 10 was saved), the rest from the resumed run: nothing the
    # preempted run logged after its checkpoint.
    assert [row["step"] for row in rows] == list(range(25))
    assert [row["attempt"] for row in rows] == [0.0] * 10 + [1.0] * 15
    assert all(type(row["train_loss"]) is float and type(row["epoch"]) is int for row in rows)
    assert result.store["hparams"] == HPARAMS
    # What the preempted run logged after the checkpoint stays in the file, as history.
    text = (tmp_path / "run.py").read_text()
    assert text.count("{'step': 12, ") == 2
    assert [r.kind for r in result.marks].count("rewind") == 1
    assert len(result.sessions) == sessions
    # laaos 2.1.1 executes the log to the same rows.
    out = run_original(original_laaos, "import laaos\nprint(repr(laaos.safe_load('run.py')['metrics']))\n",
                       tmp_path)
    assert ast.literal_eval(out) == rows


@pytest.mark.parametrize(("backend", "register"), [("cython", "callbacks"), ("python", "logger")],
                         indirect=["backend"])
def test_a_preempted_run_resumed_from_its_checkpoint_logs_every_step_once(tmp_path, backend_env,
                                                                          original_laaos, register):
    preempt_and_resume(tmp_path, backend_env, 1, register)
    check_resumed_log(tmp_path, original_laaos, sessions=2)


@pytest.mark.parametrize("backend", ["cython"], indirect=True)
def test_ddp_over_two_cpu_processes_resumes_exactly_and_only_rank_zero_opens_the_log(tmp_path, backend_env,
                                                                                     original_laaos):
    preempt_and_resume(tmp_path, backend_env, 2, "callbacks")
    # One session per run: rank one never opened the log.
    check_resumed_log(tmp_path, original_laaos, sessions=2)


# ---- in this process: values ----------------------------------------------------------


def test_tensors_and_numpy_scalars_are_stored_as_plain_numbers(tmp_path):
    import numpy as np
    import torch
    from laaos.integrations.lightning import LaaosLogger

    logger = LaaosLogger(tmp_path / "run.py")
    logger.log_hyperparams({"lr": torch.tensor(0.5), "layers": [np.int64(2), {"act": "relu"}]})
    logger.log_metrics({"loss": torch.tensor(1.5), "acc": np.float32(0.25), "epoch": 3}, step=7)
    logger.finalize("success")
    store = laaos.safe_load(tmp_path / "run.py")
    assert store == {"metrics": [{"step": 7, "epoch": 3, "loss": 1.5, "acc": 0.25}],
                     "hparams": {"lr": 0.5, "layers": [2, {"act": "relu"}]}}
    assert type(store["metrics"][0]["acc"]) is float


def test_a_value_laaos_cannot_store_is_refused_naming_its_key_and_nothing_is_written(tmp_path):
    from laaos.integrations.lightning import LaaosLogger

    log = tmp_path / "run.py"
    logger = LaaosLogger(log)
    with pytest.raises(laaos.UnsupportedTypeError, match=r"run\.py: store\['hparams'\]\['model'\]\['act'\]: "
                                                         r"laaos cannot store a value of type object"):
        logger.log_hyperparams({"lr": 0.1, "model": {"depth": 2, "act": object()}})
    assert not log.exists()
    logger.log_metrics({"loss": 1.0}, step=0)
    before = log.read_bytes()
    with pytest.raises(laaos.UnsupportedTypeError, match=r"run\.py: store\['metrics'\]\[-1\]\['bad'\]: "):
        logger.log_metrics({"loss": 2.0, "bad": object()}, step=1)
    assert log.read_bytes() == before
    logger.finalize("success")
    assert laaos.safe_load(log) == {"metrics": [{"step": 0, "loss": 1.0}]}


def test_other_ranks_never_open_the_log(tmp_path, monkeypatch):
    from lightning.pytorch.utilities import rank_zero_only
    from laaos.integrations.lightning import LaaosLogger

    monkeypatch.setattr(rank_zero_only, "rank", 1)
    logger = LaaosLogger(tmp_path / "run.py")
    logger.log_hyperparams({"lr": 0.1})
    logger.log_metrics({"loss": 1.0}, step=0)
    assert logger.state_dict() == {}
    logger.save()
    logger.finalize("success")
    assert logger.experiment is None
    assert os.listdir(tmp_path) == []


def test_open_file_store_options_are_passed_on_and_naming_options_refused(tmp_path):
    from laaos.integrations.lightning import LaaosLogger

    logger = LaaosLogger(tmp_path / "run.py", provenance=False, durability="fsync")
    logger.log_metrics({"loss": 1.0}, step=0)
    logger.finalize("success")
    assert laaos.load(tmp_path / "run.py").sessions == []
    with pytest.raises(TypeError, match="rewind_to= is not an option here"):
        LaaosLogger(tmp_path / "run.py", rewind_to="x")


def test_a_resumed_log_rewinds_once_and_carries_on_after_it_is_closed(tmp_path):
    from laaos.integrations.lightning import LaaosLogger

    log = tmp_path / "run.py"
    first = LaaosLogger(log)
    for step in range(3):
        first.log_metrics({"loss": float(step)}, step)
    state = first.state_dict()  # a checkpoint after step 2
    first.on_train_batch_start(None, None, None, 3)
    first.log_metrics({"loss": 3.0}, 3)
    first.finalize("failed")

    resumed = LaaosLogger(log)
    resumed.load_state_dict(state)
    resumed.log_metrics({"loss": 30.0}, 3)
    resumed.finalize("success")  # (fit ends; a test run logs on with the same logger)
    resumed.log_metrics({"test_loss": 0.5}, 4)
    resumed.finalize("success")
    assert laaos.safe_load(log)["metrics"] == [{"step": 0, "loss": 0.0}, {"step": 1, "loss": 1.0},
                                               {"step": 2, "loss": 2.0}, {"step": 3, "loss": 30.0},
                                               {"step": 4, "test_loss": 0.5}]


@pytest.mark.skipif(importlib.util.find_spec("pytorch_lightning") is None,
                    reason=f"needs pytorch_lightning (which Lightning installs); run with: {RUN_THEM}")
def test_the_pytorch_lightning_namespace_has_its_own_logger_class(tmp_path):
    import pytorch_lightning as pl
    from laaos.integrations.pytorch_lightning import LaaosLogger

    logger = LaaosLogger(tmp_path / "run.py")
    assert isinstance(logger, pl.loggers.Logger) and isinstance(logger, pl.Callback)
    logger.log_metrics({"loss": 1.0}, 0)
    logger.finalize("success")
    assert laaos.safe_load(tmp_path / "run.py")["metrics"] == [{"step": 0, "loss": 1.0}]


def test_two_loggers_keep_their_checkpoint_states_apart(tmp_path):
    from laaos.integrations.lightning import LaaosLogger

    a, b = LaaosLogger(tmp_path / "a.py"), LaaosLogger(tmp_path / "b.py")
    assert a.state_key != b.state_key and str(tmp_path / "a.py") in a.state_key
    a.finalize("success")
    b.finalize("success")
