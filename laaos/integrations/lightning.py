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

from ._lightning import logger_of

__all__ = ["LaaosLogger"]

LaaosLogger = logger_of("lightning.pytorch", __name__, "Lightning: pip install 'laaos[lightning]'")
