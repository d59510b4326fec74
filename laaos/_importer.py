"""``from laaos.NAME import store``: load ``./laaos/NAME.py`` through the safe loader.

The original laaos let a log be imported as Python (which executed it).  ``LogFinder``
sits at the end of ``sys.meta_path``, so real submodules of the package always win; for
any other ``laaos.NAME`` it looks for ``laaos/NAME.py`` under the working directory and
makes a module whose ``store`` is the safely loaded store.

A log named after a real submodule (``laaos/files.py``, ``laaos/torch.py``) cannot be
imported that way: the submodule wins (the package imports its own modules).
``laaos.safe_load("laaos/files.py")`` loads it, and ``from laaos.files import store``
says so: ``SubmoduleFinder``, at the front of ``sys.meta_path``, finds each submodule of
laaos as the path finder would and gives it a module ``__getattr__`` that does.

Only ``importlib.machinery`` is imported here (``importlib.abc`` and ``importlib.util``
cost an import of laaos milliseconds): a finder and a loader need only their methods.
"""

from __future__ import annotations

import os
import sys
from importlib.machinery import ModuleSpec, PathFinder
from types import ModuleType
from typing import Any, Optional

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _submodule(fullname: str) -> Optional[str]:
    """``NAME`` of ``laaos.NAME`` (one level down), else None."""
    package, _, name = fullname.partition(".")
    return name if package == "laaos" and name and "." not in name else None


def _log_of(name: str) -> Optional[str]:
    """``laaos/NAME.py`` under the working directory, when it is a file and the working
    directory is not the laaos source tree itself."""
    folder = os.path.abspath("laaos")
    if os.path.normcase(folder) == os.path.normcase(_PACKAGE_DIR):
        return None
    candidate = os.path.join(folder, name + ".py")
    return candidate if os.path.isfile(candidate) else None


class _LogLoader:
    """Makes the module of a log: its ``store`` is the safely loaded store."""

    def __init__(self, path: str):
        self.path = path

    def create_module(self, spec: Any) -> Optional[ModuleType]:
        return None

    def exec_module(self, module: ModuleType) -> None:
        from .loader import safe_load

        module.__file__ = self.path
        module.store = safe_load(self.path)  # type: ignore[attr-defined]


class LogFinder:
    """``laaos.NAME`` that is no submodule of laaos: the log ``./laaos/NAME.py``."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        name = _submodule(fullname)
        candidate = _log_of(name) if name else None
        if candidate is None:
            return None
        return ModuleSpec(fullname, _LogLoader(candidate), origin=candidate)


class SubmoduleFinder:
    """A submodule of laaos, found as the path finder finds it, whose missing ``store``
    explains how to load a log of the same name (see the module's docstring)."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if path is None or _submodule(fullname) is None:
            return None
        spec = PathFinder.find_spec(fullname, path, target)
        if spec is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _Explaining(spec.loader)
        return spec


class _Explaining:
    """A submodule's own loader, which then gives the module its ``__getattr__``."""

    def __init__(self, loader: Any):
        self.loader = loader

    def create_module(self, spec: Any) -> Optional[ModuleType]:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        # Once loaded, the module and its spec name its own loader, as any module's do.
        module.__spec__.loader = module.__loader__ = self.loader  # type: ignore[union-attr]
        self.loader.exec_module(module)
        own = module.__dict__.get("__getattr__")
        fullname = module.__name__

        def __getattr__(attribute: str) -> Any:
            if own is not None:
                try:
                    return own(attribute)
                except AttributeError:
                    pass
            explain(fullname, attribute)
            raise AttributeError(f"module {fullname!r} has no attribute {attribute!r}")

        module.__getattr__ = __getattr__  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> Any:  # (get_source, get_resource_reader, ...)
        return getattr(self.loader, name)


def install() -> None:
    """Put ``SubmoduleFinder`` first and ``LogFinder`` last on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, SubmoduleFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, SubmoduleFinder())
    if not any(isinstance(f, LogFinder) for f in sys.meta_path):
        sys.meta_path.append(LogFinder())


def explain(module: str, attribute: str) -> None:
    """Raise the ImportError that explains ``from laaos.files import store`` when
    ``./laaos/files.py`` is a log of that name; return otherwise."""
    candidate = _log_of(module.rpartition(".")[2]) if attribute == "store" else None
    if candidate is not None:
        shown = os.path.join("laaos", os.path.basename(candidate))
        raise ImportError(
            f"{module} is a module of laaos itself, so `from {module} import store` cannot load "
            f"your log {shown}: load it with laaos.safe_load({shown!r})"
        )


install()  # on import, before the package imports its submodules (laaos/__init__.py)
