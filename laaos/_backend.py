"""Picks the backend: the Cython extension ``laaos._speedups`` or its pure-Python twin.

``LAAOS_NO_EXTENSIONS=1`` picks the pure twin; ``LAAOS_REQUIRE_EXTENSIONS=1`` makes a
missing extension an ImportError (CI and wheel builds set it).  Everything else in laaos
reaches the backend through ``impl`` only (a store makes its ``Writer`` and ``Engine``
from it when it is made, a load its ``LogParser``), so the tests can swap it.

``engine_method`` is not a backend: it gives the proxies' one method written in C
(``laaos._hook``, imported with the proxies), which calls whichever engine a store has.

The backend is imported at first use, not by ``import laaos``: ``impl``, ``BACKEND``,
``cython_impl`` and ``python_impl`` are made when first read (the extension loads the
parser modules, whose tokenizer and json scanner a script that only writes never uses).
"""

import os
import sys
from types import ModuleType
from typing import Any, Optional

NO_EXTENSIONS = os.environ.get("LAAOS_NO_EXTENSIONS", "") not in ("", "0")
REQUIRE_EXTENSIONS = os.environ.get("LAAOS_REQUIRE_EXTENSIONS", "") not in ("", "0")
# (compiled code is for CPython only, and only where not turned off)
COMPILED = not NO_EXTENSIONS and sys.implementation.name == "cpython"


def _extension() -> Optional[ModuleType]:
    """The extension, or None where it is not to be used or does not import."""
    if not COMPILED:
        return None
    module = "_speedups"
    try:
        from . import _speedups

        if REQUIRE_EXTENSIONS:  # (and the proxies' C method, built with it)
            module = "_hook"
            from . import _hook  # noqa: F401
    except ImportError as e:
        if REQUIRE_EXTENSIONS:
            raise ImportError(
                f"LAAOS_REQUIRE_EXTENSIONS=1 but the laaos.{module} extension did not import ({e}); "
                "reinstall laaos with a C++ compiler and Cython available"
            ) from None
        return None
    return _speedups


def engine_method(func: Any, name: str) -> Any:
    """``func``, a proxy's method that is the one call ``self._store._engine.<name>(self,
    ...)``, as ``laaos._hook.EngineMethod``: the same call made in C, without the
    method's Python frame, for whichever engine the store has.  ``func`` itself where
    compiled code is not to be used or was not built (``LAAOS_REQUIRE_EXTENSIONS`` is
    checked at the backend's first use, with the extension)."""
    if not COMPILED:
        return func
    try:
        from ._hook import EngineMethod
    except ImportError:
        return func
    return EngineMethod(func, name)


def __getattr__(name: str) -> Any:
    """``impl`` (the backend in use: the extension where it imports), ``BACKEND`` (its
    name: ``"cython"`` or ``"python"``), ``cython_impl`` (the extension, or None) and
    ``python_impl`` (the pure twin), imported when first asked for."""
    names = globals()
    if name == "python_impl":
        from . import _pure

        names["python_impl"] = _pure
        return _pure
    if name in ("impl", "BACKEND", "cython_impl"):
        extension = _extension()
        chosen = extension if extension is not None else __getattr__("python_impl")
        names["cython_impl"] = extension
        names["BACKEND"] = "python" if extension is None else "cython"
        names.setdefault("impl", chosen)  # (unless a test set it already)
        return names[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
