"""``LaaosCallback``: a Hugging Face ``Trainer`` callback that writes a laaos log.

```
trainer = transformers.Trainer(..., callbacks=[LaaosCallback("runs/gpt.py")])
```

``store["metrics"]`` gets one dict per ``on_log`` (``"step"``, ``"epoch"`` and the logged
values as plain numbers), ``store["hparams"]`` the ``TrainingArguments``
(``args.to_dict()``) and the model's config (``model.config.to_dict()``).  Each checkpoint
marks the log and keeps the mark's label in its ``trainer_state.json``;
``trainer.train(resume_from_checkpoint=...)`` rewinds the log to that mark, so the resumed
run's history holds every step once.  Only the world's process zero opens the log.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Optional

try:
    from transformers import TrainerCallback
    from transformers.trainer_callback import ExportableState
except ImportError as e:  # pragma: no cover - the message is the point
    raise ImportError(f"laaos.integrations.huggingface needs transformers: "
                      f"pip install 'laaos[transformers]' ({e})") from e

from ._runlog import RunLog

__all__ = ["LaaosCallback"]


class LaaosCallback(TrainerCallback, ExportableState):
    """A ``transformers.TrainerCallback`` that writes the laaos log ``path``.

    ``options`` are those of ``laaos.open_file_store`` (``durability``, ``buffer_size``,
    ``flush_interval``, ``provenance``, ``type_handlers``, ``truncate``, ...).
    """

    def __init__(self, path: str, **options: Any):
        self._log = RunLog(path, options)
        self._options = options
        self._training = False
        self._zero = False
        self.checkpoint_mark: Optional[str] = None  # the mark of the checkpoint last saved
        self._step: Optional[int] = None

    @property
    def path(self) -> str:
        """The log's path."""
        return self._log.path

    @property
    def store(self) -> Any:
        """The store (``laaos.StoreRoot``) while the log is open on this process."""
        return self._log.store

    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        self._zero = state.is_world_process_zero
        if not self._zero:
            return
        if state.global_step > 0:  # resumed from a checkpoint, whose trainer_state.json keeps its mark
            saved = (state.stateful_callbacks or {}).get(type(self).__name__)
            if isinstance(saved, list):
                saved = saved[0] if saved else None
            self._log.resume(((saved or {}).get("attributes") or {}).get("checkpoint_mark"))
        hparams: Dict[str, Any] = {"training_args": args.to_dict()}
        config = getattr(model, "config", None)
        if config is not None and hasattr(config, "to_dict"):
            hparams["model_config"] = config.to_dict()
        self._log.log_hparams(hparams)
        self._log.open()
        self._training = True

    def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._log.step_begins()

    def on_log(self, args: Any, state: Any, control: Any, logs: Optional[Dict[str, Any]] = None,
               **kwargs: Any) -> None:
        if not self._zero or logs is None:
            return
        row: Dict[str, Any] = {"step": state.global_step}
        if state.epoch is not None:
            row["epoch"] = state.epoch
        row.update(logs)
        self._log.log_row(row)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._training = False
        if self._zero and self._log.store is not None:
            self._log.store.flush()

    def state(self) -> dict:
        """The state a checkpoint keeps: the label of the mark made for it (``Trainer``
        calls this while it saves a checkpoint, before writing ``trainer_state.json``)."""
        if self._training and self._zero:
            self.checkpoint_mark = self._log.mark_checkpoint(self._step)
        # ("args" remakes the callback where TrainingArguments.restore_callback_states_from_checkpoint
        # is set: the options that fit in trainer_state.json)
        args = {"path": self.path, **{k: v for k, v in self._options.items() if _is_json(v)}}
        return {"args": args, "attributes": {"checkpoint_mark": self.checkpoint_mark}}

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._step = state.global_step

    def close(self) -> None:
        """Close the log (the next logging call opens it again)."""
        self._log.close()


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True
