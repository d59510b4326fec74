"""``LaaosLogger`` for the ``pytorch_lightning`` package (the same logger as
``laaos.integrations.lightning``'s, made of that package's classes)."""

try:
    from pytorch_lightning.callbacks import Callback
    from pytorch_lightning.loggers import Logger
    from pytorch_lightning.utilities import rank_zero_only
except ImportError as e:  # pragma: no cover - the message is the point
    raise ImportError(f"laaos.integrations.pytorch_lightning needs pytorch_lightning: "
                      f"pip install pytorch-lightning ({e})") from e

from ._lightning import make_logger

__all__ = ["LaaosLogger"]

LaaosLogger = make_logger(Logger, Callback, rank_zero_only)
LaaosLogger.__module__ = __name__
