"""The class of ``LaaosLogger``, made for one Lightning namespace (``lightning.pytorch``
or ``pytorch_lightning``); this module imports neither until ``logger_of`` is called."""

from __future__ import annotations

import importlib
from argparse import Namespace
from typing import Any, Dict, Mapping, Optional, Union

from ._runlog import RunLog


def logger_of(namespace: str, module: str, needs: str) -> type:
    """The ``LaaosLogger`` of the Lightning ``namespace`` (``lightning.pytorch`` or
    ``pytorch_lightning``) for the module ``module`` that exports it; without the package,
    an ``ImportError`` saying what ``module`` ``needs`` (what to install)."""
    try:
        callbacks, loggers, utilities = (importlib.import_module(f"{namespace}.{part}")
                                         for part in ("callbacks", "loggers", "utilities"))
    except ImportError as e:  # pragma: no cover - the message is the point
        raise ImportError(f"{module} needs {needs} ({e})") from e
    logger = make_logger(loggers.Logger, callbacks.Callback, utilities.rank_zero_only)
    logger.__module__ = module
    return logger


def make_logger(Logger: Any, Callback: Any, rank_zero_only: Any) -> type:
    """The logger class for one Lightning namespace (``lightning.pytorch`` or
    ``pytorch_lightning``, whose classes Lightning tells apart)."""

    class LaaosLogger(Logger, Callback):
        """A Lightning ``Logger`` (and ``Callback``) that writes the laaos log ``path``.

        ``options`` are those of ``laaos.open_file_store`` (``durability``,
        ``buffer_size``, ``flush_interval``, ``provenance``, ``type_handlers``,
        ``truncate``, ...).  The log opens at first use, on rank zero only.
        """

        def __init__(self, path: str, *, name: str = "laaos", version: Union[int, str] = 0, **options: Any):
            super().__init__()
            self._log = RunLog(path, options)
            self._name = name
            self._version = version
            self._restored = False
            self._trainer: Any = None

        # ---- Logger ----------------------------------------------------------------

        @property
        def name(self) -> str:
            return self._name

        @property
        def version(self) -> Union[int, str]:
            return self._version

        @property
        def path(self) -> str:
            """The log's path."""
            return self._log.path

        @property
        @rank_zero_only
        def experiment(self) -> Any:
            """The store (``laaos.StoreRoot``) once the logger has written to it, on rank
            zero; ``None`` before that and on other ranks.  (Lightning asks for it when a
            run is set up, before a checkpoint is restored: the log opens later, at the
            first write, so that a resumed run opens it once, at its checkpoint's mark.)"""
            return self._log.store

        @rank_zero_only
        def log_hyperparams(self, params: Union[Dict[str, Any], Namespace], *args: Any,
                            **kwargs: Any) -> None:
            if isinstance(params, Namespace):
                params = vars(params)
            self._log.log_hparams(dict(params))

        @rank_zero_only
        def log_metrics(self, metrics: Mapping[str, Any], step: Optional[int] = None) -> None:
            row: Dict[str, Any] = {"step": step}
            if "epoch" in metrics:
                row["epoch"] = metrics["epoch"]
            row.update(metrics)
            self._log.log_row(row)

        def log_graph(self, model: Any, input_array: Any = None) -> None:
            # Called on every rank when fitting starts: the place to join the callbacks
            # if the logger was passed in `logger=` only.
            trainer = getattr(model, "_trainer", None)
            if trainer is None or any(cb is self for cb in trainer.callbacks):
                return
            self._trainer = trainer
            trainer.callbacks.append(self)
            if not self._restored and trainer.ckpt_path:
                # (the checkpoint's callback states were restored before this hook)
                loaded = getattr(trainer._checkpoint_connector, "_loaded_checkpoint", None) or {}
                state = loaded.get("callbacks", {}).get(self.state_key)
                if state is not None:
                    self.load_state_dict(state)

        def save(self) -> None:
            # Lightning calls this after every logging call: the log reaches the OS as
            # its ``durability`` says (a mark at once), so there is nothing to do here.
            pass

        @rank_zero_only
        def finalize(self, status: str) -> None:
            self._log.close()

        # ---- Callback: marks and rewinds ----------------------------------------------

        @property
        def state_key(self) -> str:
            # (two loggers of different logs keep their states apart in a checkpoint)
            return self._generate_state_key(path=self._log.path)

        def setup(self, trainer: Any, pl_module: Any, stage: str) -> None:
            self._trainer = trainer

        def on_train_batch_start(self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int) -> None:
            self._log.step_begins()

        def state_dict(self) -> Dict[str, Any]:
            # Called on every rank while a checkpoint is made (before it is written);
            # rank zero's state is the one saved.
            if rank_zero_only.rank != 0:
                return {}
            step = getattr(getattr(self, "_trainer", None), "global_step", None)
            return {"log": self._log.path, "mark": self._log.mark_checkpoint(step)}

        def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
            self._restored = True
            if rank_zero_only.rank == 0:
                self._log.resume(state_dict.get("mark"))

    return LaaosLogger

