"""Loading the logs of a command that shows many runs (``compare``, ``plot``): in
parallel where that pays (``laaos.load_many``), only the top-level keys shown, with each
log that does not load reported on stderr and left out, the others kept."""

from __future__ import annotations

import argparse
import warnings
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence

from ..errors import LogError, TornTailWarning
from .failures import CommandError, report
from .keys import _Bare, parse_key_path
from .loading import check_log_file


class Runs:
    """The logs that loaded: ``stores`` (``{path: store}``, or ``{path: select(store)}``,
    in the order asked),
    ``torn`` (``{path: bytes dropped}``), and ``failed``, the number that did not load
    (each already reported on stderr)."""

    def __init__(self) -> None:
        self.stores: Dict[str, Any] = {}
        self.torn: Dict[str, int] = {}
        self.failed = 0


def top_keys(paths: Iterable[str]) -> List[Any]:
    """The top-level keys of the store that the KEY paths ``paths`` start at (a bare
    number may be a str or an int key: both)."""
    out: List[Any] = []
    for text in paths:
        steps = parse_key_path(text)
        if not steps:
            continue
        first = steps[0]
        options = [str(first)] if isinstance(first, _Bare) else [first]
        if isinstance(first, _Bare) and first.lstrip("-").isdigit():
            options.append(int(first))
        for key in options:
            if key not in out:
                out.append(key)
    return out


def load_runs(args: argparse.Namespace, paths: Sequence[str], keys: Optional[List[Any]] = None,
              select: Optional[Callable[[Any], Any]] = None) -> Runs:
    """Load the logs ``paths`` with ``args.symbols`` (only the top-level ``keys`` when
    given; ``select(store)`` in place of each store, worked out where the log is loaded:
    see ``laaos.load_many``); report each that does not load as ``laaos COMMAND: ...``
    on stderr."""
    runs = Runs()
    readable = []
    for path in paths:
        try:
            check_log_file(path)
            readable.append(path)
        except CommandError as e:
            report(args, e)
            runs.failed += 1
    if readable:
        from ..many import load_many

        with warnings.catch_warnings():
            # (the torn logs are marked where they are shown, not in a warning)
            warnings.simplefilter("ignore", TornTailWarning)
            loaded = load_many(readable, None, args.symbols, keys=keys, select=select,
                               encoding=getattr(args, "encoding", None))
        errors = dict(loaded.errors)
        for path in readable:
            if path in errors:
                error = errors[path]
                if not isinstance(error, (LogError, CommandError)) and path not in str(error):
                    error = CommandError(f"{path}: {error}")
                report(args, error)
                runs.failed += 1
            else:
                runs.stores[path] = loaded[path]
        runs.torn = {p: n for p, n in loaded.torn.items() if p in runs.stores}
    return runs
