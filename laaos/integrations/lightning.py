"""``LaaosLogger``: a PyTorch Lightning logger that writes a laaos log.

```
logger = LaaosLogger("runs/mnist.py")
trainer = lightning.Trainer(logger=logger, callbacks=[logger], ...)
```

``store["metrics"]`` gets one dict per logging call (``"step"``, ``"epoch"`` and the
metric values as plain numbers), ``store["hparams"]`` what ``save_hyperparameters``
gives.  The logger is also a callback: each checkpoint marks the log and keeps the mark's
label, and ``trainer.fit(..., ckpt_path=...)`` rewinds the log to the checkpoint's mark,
so the resumed run's history holds every step once.  (Passed in ``logger=`` only, it
joins ``trainer.callbacks`` by itself when fitting starts.)  Only rank zero opens the log.
"""

from __future__ import annotations

try:
    from lightning.pytorch.callbacks import Callback
    from lightning.pytorch.loggers import Logger
    from lightning.pytorch.utilities import rank_zero_only
except ImportError as e:  # pragma: no cover - the message is the point
    raise ImportError(f"laaos.integrations.lightning needs Lightning: "
                      f"pip install 'laaos[lightning]' ({e})") from e

from ._lightning import make_logger

__all__ = ["LaaosLogger"]


LaaosLogger = make_logger(Logger, Callback, rank_zero_only)
LaaosLogger.__module__ = __name__
