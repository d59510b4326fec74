"""KEY paths down a store (``losses``, ``eval.acc``, ``metrics[-1]``, ``runs['x.y'][0]``,
``[(1, 'a')]``):
their help text, how one is split into steps, and how the steps walk down the store."""

from __future__ import annotations

from typing import Any, List, Optional, Sequence

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
    """Split a KEY (see ``KEY_HELP``) into its steps: ``str`` for a bare name (or bare
    number, kept as ``_Bare``), and the literal value for a bracketed step."""
    import ast  # here: only a bracketed step needs it, and nothing else in laaos does

    steps: List[Any] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "[":
            end = _closing_bracket(text, i)
            if end < 0:
                raise CommandError(f"key {text!r}: '[' without its ']'")
            inner = text[i + 1 : end].strip()
            try:
                step = ast.literal_eval(inner)  # a literal of the user's, never the log's text
            except (ValueError, SyntaxError, TypeError):  # (TypeError: a set or dict of dicts, {{}})
                step = ...  # not a literal: refused below with the literals that are not keys
            if not _key_literal(step):
                raise CommandError(f"key {text!r}: [{inner}] is not a number or a quoted string "
                                   "(or a tuple of them)")
            steps.append(step)
            i = end + 1
        else:
            end = len(text)
            for stop in ".[":
                at = text.find(stop, i)
                if at >= 0:
                    end = min(end, at)
            part = text[i:end]
            if not part:
                raise CommandError(f"key {text!r}: an empty name (two dots, or a leading dot)")
            steps.append(_Bare(part))
            i = end
        if i < n and text[i] == ".":  # a dot between two steps
            i += 1
            if i == n:
                raise CommandError(f"key {text!r} ends in '.'")
    return steps


def _closing_bracket(text: str, i: int) -> int:
    """Where the ``]`` that closes the ``[`` at ``text[i]`` is (-1: nowhere), past the
    brackets in quoted strings (``['a]']``, ``[('x]', 1)]``) and nested ones."""
    depth, j, n = 0, i, len(text)
    while j < n:
        c = text[j]
        if c in "'\"":
            j += 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
        elif c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
            if not depth:
                return j
        j += 1
    return -1


def _key_literal(value: Any) -> bool:
    """Whether ``value`` is a literal that can be a key of a store: a number, a string,
    bytes, None, or a tuple of them."""
    if isinstance(value, tuple):
        return all(_key_literal(v) for v in value)
    return value is None or isinstance(value, (int, float, complex, str, bytes))


class _Bare(str):
    """A step written without brackets: a string key, or a number's text."""


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
