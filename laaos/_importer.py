"""``from laaos.NAME import store``: load ``./laaos/NAME.py`` through the safe loader.

The original laaos let a log be imported as Python (which executed it).  This finder
sits at the end of ``sys.meta_path``, so real submodules of the package always win; for
any other ``laaos.NAME`` it looks for ``laaos/NAME.py`` under the working directory and
makes a module whose ``store`` is the safely loaded store.

A log named after a real submodule (``laaos/torch.py``) cannot be imported that way: the
submodule wins (the package imports its own modules).  ``laaos.safe_load("laaos/torch.py")``
loads it; ``from laaos.torch import store`` says so (``shadowed``).
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import os
import sys
from types import ModuleType
from typing import Any, Optional

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class _LogLoader(importlib.abc.Loader):
    def __init__(self, path: str):
        self.path = path

    def create_module(self, spec: Any) -> Optional[ModuleType]:
        return None

    def exec_module(self, module: ModuleType) -> None:
        from .loader import safe_load

        module.__file__ = self.path
        module.store = safe_load(self.path)  # type: ignore[attr-defined]


class LogFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        package, _, name = fullname.partition(".")
        if package != "laaos" or not name or "." in name:
            return None
        folder = os.path.abspath("laaos")
        if os.path.normcase(folder) == os.path.normcase(_PACKAGE_DIR):
            return None  # the working directory is the laaos source tree itself
        candidate = os.path.join(folder, name + ".py")
        if not os.path.isfile(candidate):
            return None
        return importlib.util.spec_from_loader(fullname, _LogLoader(candidate), origin=candidate)


def install() -> None:
    if not any(isinstance(f, LogFinder) for f in sys.meta_path):
        sys.meta_path.append(LogFinder())


def shadowed(module: str, attribute: str) -> Any:
    """A real submodule's ``__getattr__``: explain ``from laaos.torch import store`` when
    ``./laaos/torch.py`` is a log of that name."""
    name = module.rpartition(".")[2]
    candidate = os.path.join("laaos", name + ".py")
    if attribute == "store" and os.path.isfile(candidate) and \
            os.path.normcase(os.path.abspath("laaos")) != os.path.normcase(_PACKAGE_DIR):
        raise ImportError(
            f"{module} is a module of laaos itself, so `from {module} import store` cannot load "
            f"your log {candidate}: load it with laaos.safe_load({candidate!r})"
        )
    raise AttributeError(f"module {module!r} has no attribute {attribute!r}")
