"""Loading many logs at once: a sweep, or one log per rank."""

from __future__ import annotations

import glob
import os
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from .loader import PathLike, load

# Below this many bytes in all, one process loads faster than starting a pool.
PARALLEL_MIN_BYTES = 32 << 20


class Loaded(dict):
    """``{path: store}`` of the logs that loaded; ``errors`` holds ``{path: exception}``
    of those that did not."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: Dict[str, BaseException] = {}


def _paths(logs: Union[str, PathLike, Iterable[PathLike]]) -> List[str]:
    if isinstance(logs, (str, os.PathLike)):
        name = os.fspath(logs)
        if glob.has_magic(name):
            return sorted(glob.glob(name, recursive=True))
        return [name]
    return [os.fspath(p) for p in logs]


def _load_one(
    path: str, exposed_symbols: Any, extra_mappings: Any, skip_errors: bool, keys: Any = None
) -> Tuple[str, Any, Any]:
    try:
        return path, load(path, exposed_symbols, extra_mappings, skip_errors=skip_errors, warn=False, keys=keys).store, None
    except Exception as e:  # collected per file, reported by the caller
        return path, None, e


def load_many(
    logs: Union[str, PathLike, Iterable[PathLike]],
    exposed_symbols: Optional[Iterable[Any]] = None,
    extra_mappings: Optional[Mapping[str, Any]] = None,
    *,
    skip_errors: bool = False,
    executor: Optional[Executor] = None,
    processes: Optional[int] = None,
    keys: Optional[Iterable[Any]] = None,
) -> Loaded:
    """Load many logs: a glob pattern (``"sweep/**/*.py"``) or a list of paths.

    Returns ``{path: store}`` in the order of the paths; a log that fails to load does
    not stop the others: its exception is in ``.errors[path]``.  Large sweeps load in
    parallel on a process pool (``processes`` workers, one per core by default); pass
    ``executor=`` to use any ``concurrent.futures.Executor`` instead, such as a
    cluster's (``dask.distributed.Client(...).get_executor()``).  ``processes=1``
    loads in this process.  ``keys=[...]`` loads only those top-level keys of each log
    (see ``laaos.load``).
    """
    paths = _paths(logs)
    args = (list(exposed_symbols or ()), dict(extra_mappings or {}), skip_errors, None if keys is None else list(keys))
    if executor is None and processes != 1 and len(paths) > 1:
        total = sum(os.path.getsize(p) for p in paths if os.path.isfile(p))
        if total >= PARALLEL_MIN_BYTES or processes:
            workers = min(len(paths), processes or os.cpu_count() or 1)
            if workers > 1:
                with ProcessPoolExecutor(workers) as pool:
                    return _collect(paths, pool, args)
    if executor is None:
        return _collect_results(_load_one(p, *args) for p in paths)
    return _collect(paths, executor, args)


def _collect(paths: List[str], executor: Executor, args: tuple) -> Loaded:
    futures = [executor.submit(_load_one, p, *args) for p in paths]
    return _collect_results(f.result() for f in futures)


def _collect_results(results: Iterable[Tuple[str, Any, Any]]) -> Loaded:
    loaded = Loaded()
    for path, store, error in results:
        if error is None:
            loaded[path] = store
        else:
            loaded.errors[path] = error
    return loaded
