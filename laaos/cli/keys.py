"""KEY paths down a store (``losses``, ``eval.acc``, ``metrics[-1]``, ``runs['x.y'][0]``,
``[(1, 'a')]``):
their help text, how one is split into steps, and how the steps walk down the store."""

from __future__ import annotations

from typing import Any, List, Optional, Sequence

from ..keypaths import Bare as _Bare
from ..keypaths import KeyPathError
from ..keypaths import parse_key_path as _parse_key_path
from .failures import CommandError

KEY_HELP = """\
KEY is a path down the store: names joined by dots (losses, eval.acc), list indexes and
keys in brackets ([3], [-1], ['a.b'], ["1"], [None], a tuple key [(1, 'a')]), or both
(metrics[3].acc, runs['x.y'][0]).
A bare name is a string key; a bare number (metrics.3) is a list index, or the dict key
that is that number or its text when only one of them exists. On a list of dicts a name
selects that field of every item (metrics.acc). Quote brackets in the shell:
laaos show run.py "['a.b']" 'metrics[-1]'.
"""


def parse_key_path(text: str) -> List[Any]:
    """Split a KEY (see ``KEY_HELP``) into its steps (``laaos.keypaths``): ``str`` for a
    bare name (or bare number, kept as ``_Bare``), and the literal value for a bracketed step."""
    try:
        return _parse_key_path(text)
    except KeyPathError as e:
        raise CommandError(str(e)) from None


def select(store: Any, keys: Sequence[str], partial: bool = False) -> Any:
    """Walk the KEY paths ``keys`` down the store (see ``KEY_HELP``).  ``partial``: the
    store holds only the top-level keys a partial load asked for (``keys=``), so a missing
    one is said without listing the keys it holds (they are not the log's)."""
    value = store
    for key in keys:
        for step in parse_key_path(key):
            value = select_step(value, step, key, partial and value is store)
    return value


def select_step(value: Any, step: Any, key: str, partial: bool = False) -> Any:
    """One step of the KEY ``key`` down from ``value``: a dict key, a list index, or a field
    of every dict in a list (``partial``: ``value`` is a partly loaded store)."""
    bare = isinstance(step, _Bare)
    number: Optional[int] = None
    if bare and step.lstrip("-").isdigit():
        number = int(step)
    elif type(step) is int:
        number = step
    if isinstance(value, dict):
        if bare:
            matches = [k for k in (str(step), number) if k is not None and k in value]
            if len(matches) > 1:
                raise CommandError(f"key {key!r}: both {matches[0]!r} and {matches[1]!r} are keys here; "
                                   f"write [{matches[0]!r}] or [{matches[1]!r}]")
        else:
            matches = [step] if step in value else []  # (parse_key_path keeps hashable steps only)
        if not matches and partial:
            said = f"this log has no key {step!r}"
            raise CommandError(said if str(step) == key else f"key {key!r}: {said}")
        if not matches:
            keys = ", ".join(repr(k) for k in list(value)[:20]) + (", ..." if len(value) > 20 else "")
            raise CommandError(f"key {key!r}: no key {step!r} here (keys: {keys})")
        return value[matches[0]]
    if isinstance(value, (list, tuple)):
        if number is not None:
            try:
                return value[number]
            except IndexError:
                raise CommandError(f"key {key!r}: index {number} is out of range for a list of {len(value)}") from None
        if bare and value and all(isinstance(v, dict) for v in value):
            return [v.get(str(step)) for v in value]  # a field of a list of per-step dicts
        raise CommandError(f"key {key!r}: {step!r} is not an index of a list of {len(value)}")
    raise CommandError(f"key {key!r}: cannot look up {step!r} in a {type(value).__name__}")
