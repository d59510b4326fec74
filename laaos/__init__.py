"""laaos: logs as append-only source.

Every change to the store (a nested dict of lists, dicts and sets) is appended to a
file as one line of Python, so results survive any crash; ``safe_load`` reads a log back
without executing it.  The API is that of the original laaos 2.1.1.
"""

from ._backend import BACKEND
from ._importer import install as _install_log_importer
from .errors import (
    CorruptLogError,
    LaaosError,
    LockUnavailableWarning,
    LogError,
    LogLimitError,
    LogSyntaxError,
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
from .follow import follow
from .many import load_many
from .recover import Recovery, recover
from .proxies import StoreAccessible, StoreDict, StoreList, StoreRoot, StoreSet, to_plain
from ._json import json_default
from .runs import MarkError, Record
from .store import Store

__version__ = "3.0.0"

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
    "LogSyntaxError",
    "MarkError",
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

_install_log_importer()
