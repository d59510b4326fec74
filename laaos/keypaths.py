"""KEY paths down a store, as the frames name their columns and the ``laaos`` commands
take them: names joined by dots (``losses``, ``eval.acc``), list indexes and keys in
brackets (``metrics[-1]``, ``runs['a.b'].lr``, ``[7]``, ``[(1, 'a')]``).  How a path is
split into steps; ``laaos.tidy`` writes the names, ``laaos.frames`` and ``laaos.cli.keys``
walk them down a store."""

from __future__ import annotations

from typing import Any, List


class KeyPathError(ValueError):
    """A KEY path that is not well formed (a ``[`` without its ``]``, an empty name...)."""


class Bare(str):
    """A step written without brackets: a string key, or a number's text."""


def parse_key_path(text: str) -> List[Any]:
    """Split a KEY path into its steps: a ``Bare`` str for a bare name (or bare number),
    and the literal value for a bracketed step; ``KeyPathError`` if it is not well formed."""
    import ast  # here: only a bracketed step needs it

    steps: List[Any] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "[":
            end = _closing_bracket(text, i)
            if end < 0:
                raise KeyPathError(f"key {text!r}: '[' without its ']'")
            inner = text[i + 1 : end].strip()
            try:
                step = ast.literal_eval(inner)  # a literal of the user's, never the log's text
            except (ValueError, SyntaxError, TypeError):  # (TypeError: a set or dict of dicts, {{}})
                step = ...  # not a literal: refused below with the literals that are not keys
            if not _key_literal(step):
                raise KeyPathError(f"key {text!r}: [{inner}] is not a number or a quoted string "
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
                raise KeyPathError(f"key {text!r}: an empty name (two dots, or a leading dot)")
            steps.append(Bare(part))
            i = end
        if i < n and text[i] == ".":  # a dot between two steps
            i += 1
            if i == n:
                raise KeyPathError(f"key {text!r} ends in '.'")
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
