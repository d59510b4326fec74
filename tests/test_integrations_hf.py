"""``laaos.integrations.huggingface.LaaosCallback`` with the real Hugging Face ``Trainer``,
a tiny GPT-2 built from its config on CPU: a run preempted (``os._exit``) after its
checkpoint at step 10, at step 15, then resumed from that checkpoint, logs every step
exactly once."""

import ast
import importlib.util
import json
import subprocess
import sys
import textwrap

import pytest

import laaos
from helpers import run_original

RUN_THEM = "pip install '.[test,transformers]' && pytest tests/test_integrations_hf.py"
pytestmark = pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("torch", "transformers", "accelerate")),
    reason=f"needs torch, transformers and accelerate; run these tests with: {RUN_THEM} (.ci/run does)",
)

# argv: log, output dir, attempt (0: preempted at step 15; 1: resumed from checkpoint-10).
SCRIPT = textwrap.dedent('''\
    import os, sys
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel, Trainer, TrainerCallback, TrainingArguments
    from laaos.integrations.huggingface import LaaosCallback

    ATTEMPT = int(sys.argv[3])


    class Preempt(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == 15:
                os._exit(3)  # no clean-up, as when a job is preempted


    class Attempt(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            logs["attempt"] = ATTEMPT  # (callbacks see the same dict, in order: this one first)


    log, out = sys.argv[1], sys.argv[2]
    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=32, n_positions=16, n_embd=8, n_layer=1, n_head=2))
    data = [{"input_ids": ids, "labels": ids} for ids in torch.randint(0, 32, (64, 8))]
    args = TrainingArguments(out, max_steps=25, logging_steps=1, save_steps=10, per_device_train_batch_size=4,
                             report_to=[], use_cpu=True, disable_tqdm=True, seed=0)
    callbacks = [Attempt(), LaaosCallback(log)] + ([Preempt()] if ATTEMPT == 0 else [])
    trainer = Trainer(model=model, args=args, train_dataset=data, callbacks=callbacks)
    trainer.train(resume_from_checkpoint=os.path.join(out, "checkpoint-10") if ATTEMPT == 1 else None)
''')


def train(tmp_path, env, attempt):
    script = tmp_path / "train_hf.py"
    script.write_text(SCRIPT)
    env = dict(env, OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    return subprocess.run([sys.executable, str(script), "run.py", "out", str(attempt)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)


def test_a_preempted_trainer_resumed_from_its_checkpoint_logs_every_step_once(tmp_path, backend_env,
                                                                              original_laaos):
    dead = train(tmp_path, backend_env, 0)
    assert dead.returncode == 3, dead.stderr[-3000:]
    died = laaos.safe_load(tmp_path / "run.py")
    assert [row["step"] for row in died["metrics"]] == list(range(1, 15))  # past its checkpoint
    resumed = train(tmp_path, backend_env, 1)
    assert resumed.returncode == 0, resumed.stderr[-3000:]

    result = laaos.load(tmp_path / "run.py")
    store = result.store
    steps = [row for row in store["metrics"] if "loss" in row]  # (the last row is the run's summary)
    assert [row["step"] for row in steps] == list(range(1, 26))
    assert [row["attempt"] for row in steps] == [0] * 10 + [1] * 15
    assert all(type(row["loss"]) is float and type(row["epoch"]) is float for row in steps)
    assert "train_runtime" in store["metrics"][-1]
    # The hyperparameters: the TrainingArguments and the model's config, nested as given.
    assert store["hparams"]["training_args"]["max_steps"] == 25
    assert store["hparams"]["training_args"]["save_steps"] == 10
    assert store["hparams"]["model_config"]["n_embd"] == 8
    assert store["hparams"]["model_config"]["model_type"] == "gpt2"
    # The checkpoint keeps its mark; the preempted run's rows after it stay in the file.
    state = json.loads((tmp_path / "out" / "checkpoint-10" / "trainer_state.json").read_text())
    label = state["stateful_callbacks"]["LaaosCallback"]["attributes"]["checkpoint_mark"]
    assert [r.label for r in result.marks if r.kind == "rewind"] == [label]
    assert (tmp_path / "run.py").read_text().count("{'step': 12, ") == 2
    assert len(result.sessions) == 2
    out = run_original(original_laaos, "import laaos\nprint(repr(laaos.safe_load('run.py')['metrics']))\n",
                       tmp_path)
    assert ast.literal_eval(out) == store["metrics"]


def test_a_value_laaos_cannot_store_is_refused_naming_its_key(tmp_path):
    from types import SimpleNamespace

    from laaos.integrations.huggingface import LaaosCallback

    log = tmp_path / "run.py"
    callback = LaaosCallback(log)
    state = SimpleNamespace(is_world_process_zero=True, global_step=0, epoch=0.0, stateful_callbacks={})
    args = SimpleNamespace(to_dict=lambda: {"lr": 0.1, "extra": {"fn": object()}})
    with pytest.raises(laaos.UnsupportedTypeError, match=r"run\.py: store\['hparams'\]\['training_args'\]"
                                                         r"\['extra'\]\['fn'\]: laaos cannot store"):
        callback.on_train_begin(args, state, None)
    assert not log.exists()


def test_only_process_zero_opens_the_log(tmp_path):
    from types import SimpleNamespace

    from laaos.integrations.huggingface import LaaosCallback

    callback = LaaosCallback(tmp_path / "run.py")
    state = SimpleNamespace(is_world_process_zero=False, global_step=0, epoch=0.0, stateful_callbacks={})
    args = SimpleNamespace(to_dict=lambda: {"lr": 0.1})
    callback.on_train_begin(args, state, None)
    callback.on_log(args, state, None, logs={"loss": 1.0})
    callback.state()
    callback.on_train_end(args, state, None)
    assert list(tmp_path.iterdir()) == []
