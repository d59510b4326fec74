"""Picks the backend: the Cython extension ``laaos._speedups`` or its pure-Python twin.

``LAAOS_NO_EXTENSIONS=1`` picks the pure twin; ``LAAOS_REQUIRE_EXTENSIONS=1`` makes a
missing extension an ImportError (CI and wheel builds set it).  Everything else in laaos
reaches the backend through ``impl`` only, so the tests can swap it.
"""

import os
import platform
from types import ModuleType
from typing import Any, Optional

from . import _pure as python_impl

NO_EXTENSIONS = os.environ.get("LAAOS_NO_EXTENSIONS", "") not in ("", "0")
REQUIRE_EXTENSIONS = os.environ.get("LAAOS_REQUIRE_EXTENSIONS", "") not in ("", "0")

cython_impl: Optional[ModuleType] = None
if not NO_EXTENSIONS and platform.python_implementation() == "CPython":
    try:
        from . import _speedups as cython_impl
    except ImportError:
        if REQUIRE_EXTENSIONS:
            raise ImportError(
                "LAAOS_REQUIRE_EXTENSIONS=1 but the laaos._speedups extension did not import; "
                "reinstall laaos with a C++ compiler and Cython available"
            ) from None

impl: ModuleType = cython_impl if cython_impl is not None else python_impl
BACKEND = "cython" if impl is cython_impl else "python"


def speed_up_proxies(base_cls: Any, list_cls: Any, dict_cls: Any) -> None:
    """Let the extension take over the proxies' linking steps (``_link``, ``_unlink``,
    ``_relink``); it hands a store on the pure backend to the Python methods."""
    if cython_impl is not None:
        cython_impl.install_linking(base_cls, list_cls, dict_cls)


def speed_up_store(store_cls: Any, list_cls: Any, dict_cls: Any, set_cls: Any, max_value_depth: int) -> None:
    """Let the extension take over the steps the proxies call (``Store._normalize``,
    ``_normalize_key``, ``_proxify``, ``_write_value``, ``_write_items``, ``_emit_value``,
    ``_emit_text``, ``_render``) for the plain types, and ``StoreList.append`` of a
    scalar whole; it hands everything else, and a store on the pure backend, to the
    Python methods."""
    if cython_impl is not None:
        cython_impl.install_store_steps(store_cls, list_cls, dict_cls, set_cls, max_value_depth)
        cython_impl.install_list_append(store_cls, list_cls)


def speed_up_snapshot(snapshot: Any, base_cls: Any) -> Any:
    """The extension's twin of ``proxies.snapshot`` (which it hands a store on the pure
    backend to), or ``snapshot`` itself."""
    if cython_impl is not None:
        return cython_impl.install_snapshot(snapshot, base_cls)
    return snapshot
