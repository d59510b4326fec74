"""Picks the backend: the Cython extension ``laaos._speedups`` or its pure-Python twin.

``LAAOS_NO_EXTENSIONS=1`` picks the pure twin; ``LAAOS_REQUIRE_EXTENSIONS=1`` makes a
missing extension an ImportError (CI and wheel builds set it).  Everything else in laaos
reaches the backend through ``impl`` only (a store makes its ``Writer`` and ``Engine``
from it when it is made), so the tests can swap it.  ``python_impl``, the pure twin, is
imported only where it runs or is asked for: the extension does not need the pure engine
and writer.
"""

import os
import sys
from types import ModuleType
from typing import Any, Optional

NO_EXTENSIONS = os.environ.get("LAAOS_NO_EXTENSIONS", "") not in ("", "0")
REQUIRE_EXTENSIONS = os.environ.get("LAAOS_REQUIRE_EXTENSIONS", "") not in ("", "0")

cython_impl: Optional[ModuleType] = None
if not NO_EXTENSIONS and sys.implementation.name == "cpython":
    try:
        from . import _speedups as cython_impl
    except ImportError:
        if REQUIRE_EXTENSIONS:
            raise ImportError(
                "LAAOS_REQUIRE_EXTENSIONS=1 but the laaos._speedups extension did not import; "
                "reinstall laaos with a C++ compiler and Cython available"
            ) from None

if cython_impl is not None:
    impl: ModuleType = cython_impl
else:
    from . import _pure as python_impl

    impl = python_impl
BACKEND = "cython" if impl is cython_impl else "python"


def __getattr__(name: str) -> Any:
    """``python_impl``, imported when first asked for."""
    if name == "python_impl":
        from . import _pure

        return _pure
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

