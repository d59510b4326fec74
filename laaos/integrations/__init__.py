"""Loggers for training frameworks: ``laaos.integrations.lightning`` (PyTorch Lightning)
and ``laaos.integrations.huggingface`` (the Hugging Face ``Trainer``).

Each is imported only when asked for by name, so ``import laaos`` never imports torch,
Lightning or transformers.
"""
