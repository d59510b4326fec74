"""Loading many logs at once: a sweep, or one log per rank."""

from __future__ import annotations

import glob
import os
import pickle
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from .errors import TornTailWarning, warn_at_caller
from .loader import PathLike, is_utf8, load

# Below this many bytes in all, one process loads faster than starting a pool.
PARALLEL_MIN_BYTES = 32 << 20


class Loaded(dict):
    """``{path: store}`` (or ``{path: select(store)}``) of the logs that loaded;
    ``errors`` holds ``{path: exception}`` of those that did not, ``torn``
    ``{path: bytes dropped}`` of those that loaded but ended in an incomplete statement
    (a run killed mid-write)."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: Dict[str, BaseException] = {}
        self.torn: Dict[str, int] = {}

    def frame(self) -> Any:
        """A pandas DataFrame, one row per run indexed by path: every scalar leaf as a
        column named by its dotted path (``config.lr``), each numeric series (and each
        numeric field of a list of dicts, ``metrics.loss``) as its last value."""
        from .frames import frame

        return frame(self)

    def series(self, key: Any) -> Any:
        """A long-form pandas DataFrame of the series ``key`` of every run that has it: a
        top-level key, a column name of ``frame()`` (a KEY path: ``config.lr``,
        ``runs['a.b'].lr``, ``metrics.loss``) or a list of keys, one per level.  Columns
        ``run``, ``step``, ``value``; for a list of dicts, ``run``, ``step`` and one
        column per field (``step`` is the item's index, unless the dicts have a field
        ``step``)."""
        from .frames import series

        return series(self, key)

    def _repr_html_(self) -> str:
        """The notebook view (``laaos.view``): one table, a row per run."""
        from .view import sweep

        return sweep(self, self.errors, self.torn)


def _paths(logs: Union[str, PathLike, Iterable[PathLike]]) -> List[str]:
    if isinstance(logs, (str, bytes, os.PathLike)):
        name = os.fsdecode(logs)  # (bytes: iterating them would give ints, not paths)
        if glob.has_magic(name):
            found = sorted(glob.glob(name, recursive=True))
            if not found:
                raise FileNotFoundError(f"no file matches {name!r} (relative to {os.getcwd()})")
            return found
        return [name]
    try:
        return [os.fspath(p) for p in logs]
    except TypeError:
        raise TypeError(f"load_many takes a glob pattern or a list of paths, not {logs!r}") from None


def _load_one(
    path: str, exposed_symbols: Any, extra_mappings: Any, skip_errors: bool, select: Any = None,
    keys: Any = None, encoding: Any = None,
) -> Tuple[str, Any, Any, int]:
    try:
        result = load(path, exposed_symbols, extra_mappings, skip_errors=skip_errors, warn=False, keys=keys,
                      encoding=encoding)
        store = result.store
        torn = result.dropped_bytes if result.torn else 0
        # Where the log was loaded (a worker, a cluster node): only the result travels back.
        return path, store if select is None else select(store), None, torn
    except Exception as e:  # collected per file, reported by the caller
        return path, None, e, 0


def load_many(
    logs: Union[str, PathLike, Iterable[PathLike]],
    exposed_symbols: Optional[Iterable[Any]] = None,
    extra_mappings: Optional[Mapping[str, Any]] = None,
    *,
    skip_errors: bool = False,
    executor: Optional[Executor] = None,
    processes: Optional[int] = None,
    select: Optional[Callable[[dict], Any]] = None,
    keys: Optional[Iterable[Any]] = None,
    encoding: Optional[str] = None,
) -> Loaded:
    """Load many logs: a glob pattern (``"sweep/**/*.py"``) or a list of paths.

    Returns ``{path: store}`` in the order of the paths; a log that fails to load does
    not stop the others: its exception is in ``.errors[path]``.  Logs that end in a torn
    statement load without it, are listed in ``.torn`` and named in one
    ``TornTailWarning``.  A pattern that matches no file raises ``FileNotFoundError``.  Large sweeps load in
    parallel on a process pool (``processes`` workers, one per core by default); pass
    ``executor=`` to use any ``concurrent.futures.Executor`` instead, such as a
    cluster's (``dask.distributed.Client(...).get_executor()``).  ``processes=1``
    loads in this process.  ``keys=[...]`` loads only those top-level keys of each log
    (see ``laaos.load``); ``encoding="cp1252"`` reads logs that laaos 2.1.1 wrote on
    Windows (see ``laaos.load``).

    ``select=fn`` calls ``fn(store)`` where each log is loaded (a worker process, a
    cluster node) and returns ``{path: fn(store)}``: only what the analysis needs is
    sent back.  ``fn`` must pickle for a process pool (a module-level function);
    Dask's executor also takes lambdas and closures.  An exception in ``fn`` is kept in
    ``.errors`` like a log that failed to load.
    """
    # Checked here: a wrong argument would otherwise be one error per log in .errors.
    if select is not None and not callable(select):
        raise TypeError(f"select= takes a function of the store, not {select!r}")
    if processes is not None and (type(processes) is not int or processes < 1):
        raise ValueError(f"processes= takes a number of worker processes >= 1 (or None), not {processes!r}")
    paths = _paths(logs)
    keys = None if keys is None else list(keys)
    is_utf8(encoding)  # an unknown encoding: LookupError here, not one per log
    args = (list(exposed_symbols or ()), dict(extra_mappings or {}), skip_errors, select, keys, encoding)
    if executor is None and processes != 1 and len(paths) > 1:
        total = sum(os.path.getsize(p) for p in paths if os.path.isfile(p))
        if total >= PARALLEL_MIN_BYTES or processes:
            workers = min(len(paths), processes or os.cpu_count() or 1)
            if workers > 1:
                _check_pickles(select)
                with ProcessPoolExecutor(workers) as pool:
                    return _collect(paths, pool, args)
    if executor is None:
        return _collect_results(_load_one(p, *args) for p in paths)
    return _collect(paths, executor, args)


def _check_pickles(select: Any) -> None:
    if select is not None:
        try:
            pickle.dumps(select)
        except Exception as e:
            raise TypeError(
                f"select={select!r} cannot be sent to the worker processes ({e}): pass a "
                "module-level function, or processes=1, or a Dask executor= (which sends lambdas)"
            ) from e


def _collect(paths: List[str], executor: Executor, args: tuple) -> Loaded:
    futures = [executor.submit(_load_one, p, *args) for p in paths]
    return _collect_results(f.result() for f in futures)


def _collect_results(results: Iterable[Tuple[str, Any, Any, int]]) -> Loaded:
    loaded = Loaded()
    for path, store, error, torn in results:
        if error is None:
            loaded[path] = store
        else:
            loaded.errors[path] = error
        if torn:
            loaded.torn[path] = torn
    if loaded.torn:
        names = ", ".join(list(loaded.torn)[:5]) + (", ..." if len(loaded.torn) > 5 else "")
        warn_at_caller(TornTailWarning(
            f"{len(loaded.torn)} of {len(loaded) + len(loaded.errors)} logs end in an incomplete "
            f"statement (a run killed mid-write), dropped: {names} (see .torn)"
        ))
    return loaded
