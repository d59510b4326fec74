"""Tidy pandas frames of loaded logs: ``frame`` (a row per run) and ``series`` (long form).

pandas is imported here, when a frame is asked for: laaos itself has no dependency.
"""

from __future__ import annotations

from itertools import chain
from typing import Any, List, Mapping, Tuple

from .tidy import fields_of, lookup, row_of


def pandas() -> Any:
    """The pandas module, or an ImportError that says what to install."""
    try:
        import pandas as pd
    except ImportError as e:
        raise ImportError(
            "laaos frames need pandas, which is not installed: pip install pandas "
            "(or pip install 'laaos[frames]')"
        ) from e
    return pd


def frame(runs: Mapping[str, Any]) -> Any:
    """A DataFrame, one row per run (``{path: store}``) indexed by path: every single
    value as a column named by its KEY path (``config.lr``, ``config['a.b']``), each
    numeric series as its last value."""
    pd = pandas()
    rows = [row_of(store) for store in runs.values()]
    return pd.DataFrame(rows, index=pd.Index(list(runs), name="path"))


def series(runs: Mapping[str, Any], key: Any) -> Any:
    """A long-form DataFrame of the series ``key`` of each run that has it: ``run``,
    ``step``, ``value`` for a list of values, ``run``, ``step`` and one column per field
    for a list of dicts (``step`` is the item's index unless the dicts have a ``step``
    field of their own).  ``run`` is a categorical of the paths, in the runs' order."""
    pd = pandas()
    import numpy as np  # (pandas requires it)

    found: List[Tuple[str, list]] = []
    for path, store in runs.items():
        value = lookup(store, key)
        if type(value) is list and value:
            found.append((path, value))
    if not found:
        raise KeyError(f"no run has a non-empty list at {key!r} (runs: {len(runs)})")
    paths = [p for p, _ in found]
    lengths = np.fromiter((len(v) for _, v in found), dtype=np.int64, count=len(found))
    run = pd.Categorical.from_codes(np.repeat(np.arange(len(found)), lengths), categories=paths)
    step = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    items = list(chain.from_iterable(v for _, v in found))
    if all(type(v[-1]) is dict and type(v[0]) is dict for _, v in found):
        fields = pd.DataFrame.from_records(items, columns=_fields(found))
        if "step" in fields.columns:
            return pd.concat([pd.DataFrame({"run": run}), fields], axis=1)
        return pd.concat([pd.DataFrame({"run": run, "step": step}), fields], axis=1)
    return pd.DataFrame({"run": run, "step": step, "value": items})


def _fields(found: List[Tuple[str, list]]) -> List[Any]:
    fields: dict = {}
    for _, rows in found:
        fields.update(dict.fromkeys(fields_of(rows)))
    return list(fields)
