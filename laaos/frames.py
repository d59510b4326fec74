"""Tidy pandas frames of loaded logs: ``frame`` (a row per run) and ``series`` (long form).

pandas is imported here, when a frame is asked for: laaos itself has no dependency.
"""

from __future__ import annotations

from itertools import chain
from typing import Any, List, Mapping, Tuple

from .tidy import fields_of, find_series, row_of


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
    ``step``, ``value`` for a list of values (or one field of a list of dicts,
    ``metrics.loss``), ``run``, ``step`` and one column per field for a list of dicts
    (``step`` is the item's index unless the dicts have a ``step`` field of their own).
    ``run`` is a categorical of the paths, in the runs' order.  ``key`` is a top-level
    key, a KEY path as ``frame()`` names its columns (``config.lr``, ``runs['a.b'].lr``,
    ``[7]``) or a list of keys, one per level (see ``laaos.tidy.find_series``)."""
    pd = pandas()
    import numpy as np  # (pandas requires it)

    found: List[Tuple[str, list]] = []
    field: Any = None
    for path, store in runs.items():
        items, field_here = find_series(store, key)
        if items is not None:
            found.append((path, items))
            field = field_here if field_here is not None else field
    if not found:
        raise KeyError(f"no run has a non-empty list at {key!r} (runs: {len(runs)})")
    paths = [p for p, _ in found]
    lengths = np.fromiter((len(v) for _, v in found), dtype=np.int64, count=len(found))
    run = pd.Categorical.from_codes(np.repeat(np.arange(len(found)), lengths), categories=paths)
    step = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    items = list(chain.from_iterable(v for _, v in found))
    if field is not None:  # one field of lists of dicts
        steps: Any = step
        if "step" in _fields(found):
            steps = [r.get("step") if type(r) is dict else None for r in items]
        return pd.DataFrame({"run": run, "step": steps,
                             "value": [r.get(field) if type(r) is dict else None for r in items]})
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
