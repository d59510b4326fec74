"""``LaaosLogger`` for the ``pytorch_lightning`` package (the same logger as
``laaos.integrations.lightning``'s, made of that package's classes)."""

from ._lightning import logger_of

__all__ = ["LaaosLogger"]

LaaosLogger = logger_of("pytorch_lightning", __name__, "pytorch_lightning: pip install pytorch-lightning")
