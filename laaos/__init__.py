"""laaos: logs as append-only source.

Every change to the store (a nested dict of lists, dicts and sets) is appended to a
file as one line of Python, so results survive any crash; ``safe_load`` reads a log back
without executing it.  The API is that of the original laaos 2.1.1.

The modules, in layers that import only downwards (``tests/test_layers.py`` fails on any
import cycle, imports inside functions included):

- the format: ``errors``, ``_limits`` (every limit of the log format), ``_records`` (the
  ``#laaos:`` comment records), ``_symbols``, ``_fields``, ``_version``;
- reading: ``_literals`` < ``_grammar`` < ``_parser`` (the pure parser), ``loader``;
- writing: ``_render`` < ``_statements`` < ``_writer``, ``_engine``; ``_pure`` and the
  compiled ``_speedups`` are the two backends, picked once by ``_backend``;
- files: ``_fileops`` (locking, synced writes and replaces, sidecars), ``_logfile``;
- display: ``tidy`` < ``view``, ``frames`` (imported at first use by stores and loads);
- the store: ``proxies`` < ``_values`` (normalizing and rendering) < ``store``; ``files``
  (the openers, a session's start and a rewind, ``compact``) above it; ``runs``,
  ``recover``, ``follow``, ``many`` and ``cli`` on top.
"""

import sys as _sys
from types import ModuleType as _ModuleType

from . import _importer  # noqa: F401 - first: it installs the finders the submodules below go through
from ._records import Record
from .errors import (
    CorruptLogError,
    LaaosError,
    LockUnavailableWarning,
    LogError,
    LogLimitError,
    LogReopenedWarning,
    LogSyntaxError,
    MarkError,
    NotALogError,
    SliceNotSupportedError,
    StoreClosedError,
    StoreLockedError,
    TornTailWarning,
    UnknownSymbolError,
    UnlinkedContainerError,
    UnsafeLogError,
    UnsupportedTypeError,
)
from .files import compact, create_file_store, open_file_store
from .handlers import (
    Dataclasses2DictHandler,
    DefaultTypeHandlers,
    Function2StrHandler,
    StrEnumHandler,
    ToReprHandler,
    TypeHandler,
    WeakEnumHandler,
)
from .helpers import can_iter, ensure_dirs, generate_time_id, new_dict, new_list, new_set, put
from .loader import LoadResult, load, safe_load, safe_load_store, safe_load_str
from .proxies import StoreAccessible, StoreDict, StoreList, StoreRoot, StoreSet, to_plain
from .store import Store
from ._version import __version__

__all__ = [
    "BACKEND",
    "CorruptLogError",
    "Dataclasses2DictHandler",
    "DefaultTypeHandlers",
    "Function2StrHandler",
    "LaaosError",
    "LoadResult",
    "LockUnavailableWarning",
    "LogError",
    "LogLimitError",
    "LogReopenedWarning",
    "LogSyntaxError",
    "MarkError",
    "NotALogError",
    "Record",
    "Recovery",
    "SliceNotSupportedError",
    "Store",
    "StoreAccessible",
    "StoreClosedError",
    "StoreDict",
    "StoreList",
    "StoreLockedError",
    "StoreRoot",
    "StoreSet",
    "StrEnumHandler",
    "ToReprHandler",
    "TornTailWarning",
    "TypeHandler",
    "UnknownSymbolError",
    "UnlinkedContainerError",
    "UnsafeLogError",
    "UnsupportedTypeError",
    "WeakEnumHandler",
    "can_iter",
    "compact",
    "create_file_store",
    "ensure_dirs",
    "follow",
    "generate_time_id",
    "json_default",
    "load",
    "load_many",
    "new_dict",
    "new_list",
    "new_set",
    "open_file_store",
    "put",
    "recover",
    "to_plain",
    "safe_load",
    "safe_load_store",
    "safe_load_str",
]

# Imported at first use: what a training script, a notebook or one CLI call does not need
# (the sweep loader starts process pools: concurrent.futures and multiprocessing), the
# name of the backend, which is loaded by the first store or load (laaos._backend), and
# the json hook.
_LAZY = {"load_many": "many", "follow": "follow", "recover": "recover", "Recovery": "recover",
         "BACKEND": "_backend", "json_default": "_json"}


def __getattr__(name: str) -> object:
    """The public names of ``_LAZY``, imported when first asked for."""
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list:
    """The package's names, with those of ``_LAZY`` not imported yet."""
    return sorted(set(globals()) | set(_LAZY))


class _Package(_ModuleType):
    """The class of this package: ``laaos.follow`` and ``laaos.recover`` stay the
    functions when their modules are imported (the import system binds a submodule in its
    package under the module's name, which is the function's)."""

    def __setattr__(self, name: str, value: object) -> None:
        if name in _LAZY and isinstance(value, _ModuleType):
            return  # (the module is sys.modules["laaos.NAME"])
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _Package
