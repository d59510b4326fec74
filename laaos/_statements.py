"""Statements that give an accessor a whole value, each within the loader's limits.

One literal is the natural way to log a value (``store['x']=[...]``), but a literal
deeper than the loader's nesting limit, or longer than the longest statement laaos
writes, would make a log that does not load.  Such a value is written as several
statements instead: the first with as much of it as fits (an empty container at
least), then ``extend`` statements for a list's further items, ``update`` statements
for a dict's or a set's (a chunk of about ``CHUNK_BYTES`` each), and an item assignment
or ``append`` of its own, split the same way, for any item that is itself too deep or
too long.  Every statement is one laaos 2.1.1 loads too.

``store_statements`` writes a whole store this way: the Store's initial data,
``compact`` and ``recover`` all use it.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator, List, Optional

from ._limits import MAX_LITERAL_DEPTH, MAX_WRITTEN_STATEMENT, MAX_WRITTEN_VALUE
from ._render import StatementTooLarge

# How long a chunk of a split container's items is.
CHUNK_BYTES = 1 << 20
# The longest place (``store['key'][3]``, a statement's head) a split value can go to:
# each of its statements holds the place and a chunk.
MAX_PLACE = MAX_WRITTEN_STATEMENT - 2 * CHUNK_BYTES

Render = Callable[[Any], str]


def store_statements(data: dict, render: Render) -> Iterator[str]:
    """The statements of a log whose store is ``data`` (plain values): ``store = (...)``
    as one literal where it fits, several statements otherwise (see the module).

    ``render`` renders a plain value (a backend's ``render`` with a fallback for handled
    types).  Each yielded string is one statement without its newline.
    """
    if not data:
        yield "store = {}"
    else:
        yield from value_statements("store", data, render, "store = (\n", "\n)")


def value_statements(
    accessor: str, value: Any, render: Render, head: str, tail: str, *, offset: int = 0
) -> Iterator[str]:
    """Statements after which ``accessor`` holds the plain ``value``.

    The first is ``head + <value or its first part> + tail`` (``store['x']=`` and ``""``,
    or ``store['l'].append(`` and ``")"``, ...); the others address ``accessor``.
    ``offset`` is the index of ``value``'s first item in ``accessor``, for a list whose
    first statement is an ``extend`` of an existing list.
    """
    for place in (head, accessor):  # (a key of megabytes: every statement would hold it)
        if len(place) > MAX_PLACE // 4 and _size(place) > MAX_PLACE:
            raise StatementTooLarge(_size(place) + len(tail), by_place=True)
    text = _render_whole(value, render, MAX_LITERAL_DEPTH)
    if text is not None:
        yield head + text + tail
        return
    t = type(value)
    if t is list:
        yield from _list_statements(accessor, value, render, head, tail, offset)
    elif t is dict:
        yield from _dict_statements(accessor, value, render, head, tail)
    else:  # a set: its elements are scalars and tuples, split only by length
        yield from _set_statements(accessor, value, render, head, tail)


def statement_text(head: str, value: Any, tail: str, accessor: str, render: Render, offset: int = 0) -> str:
    """The text (with newlines) that logs ``head + value + tail`` for a plain ``value``:
    one statement, or several (``value_statements``) when one would be longer than a
    statement laaos writes; a scalar that long raises ``StatementTooLarge``."""
    text = head + render(value) + tail + "\n"
    if len(text) > MAX_WRITTEN_STATEMENT // 4:  # (a character is at most four bytes)
        size = len(text.encode("utf-8"))
        if size > MAX_WRITTEN_STATEMENT:
            if type(value) not in (list, dict, set):
                raise StatementTooLarge(size, by_place=_size(head) > MAX_WRITTEN_STATEMENT // 2)
            return "".join([s + "\n" for s in value_statements(accessor, value, render, head, tail, offset=offset)])
    return text


def elements_text(accessor: str, method: str, elements: list, render: Render) -> str:
    """The text (with newlines) that logs ``accessor.<method>({...})`` of a set's
    ``elements`` (plain, distinct): one statement, or several, each of some of the
    elements, when one would be longer than a statement laaos writes."""
    texts = [render(x) for x in elements]
    limit = MAX_WRITTEN_VALUE
    if sum(map(len, texts)) + 2 * len(texts) > limit // 4:  # (utf-8: up to 4 bytes a char)
        sizes = [_size(text) + 2 for text in texts]
        if max(sizes) > limit:
            raise StatementTooLarge(max(sizes))
        if sum(sizes) > limit:
            return "".join([f"{accessor}.{method}({{{chunk}}})\n" for chunk in _regroup(texts, "", "")])
    return f"{accessor}.{method}({{{', '.join(texts)}}})\n"


def _render_whole(value: Any, render: Render, depth: int) -> Optional[str]:
    """``render(value)`` if it fits in one literal of at most ``depth`` levels, else None;
    a scalar too long for any statement raises StatementTooLarge."""
    t = type(value)
    if t is list or t is dict or t is set or t is tuple or t is frozenset:
        if t is not tuple and t is not frozenset and len(value) * 3 > CHUNK_BYTES:
            return None  # (each item takes 3 bytes at least: too long without rendering it)
        if _deeper_than(value, depth):
            if t is tuple or t is frozenset:  # a key or set element: cannot be split
                raise ValueError(f"laaos cannot log a {t.__name__} nested more than {depth} levels deep")
            return None
        text = render(value)
        return text if len(text) <= CHUNK_BYTES or _size(text) <= CHUNK_BYTES else None
    text = render(value)
    if len(text) > MAX_WRITTEN_STATEMENT // 4 and _size(text) > MAX_WRITTEN_VALUE:
        raise StatementTooLarge(_size(text))
    return text


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _deeper_than(value: Any, limit: int) -> bool:
    t = type(value)
    if t is frozenset:  # frozenset({...}): two levels of brackets
        limit -= 1
    if limit < 1:
        return True
    if t is dict:
        return (not _flat(value.values()) and any(
            type(v) in _NESTED and _deeper_than(v, limit - 1) for v in value.values()
        )) or (not _flat(value) and any(type(k) in _NESTED and _deeper_than(k, limit - 1) for k in value))
    return not _flat(value) and any(type(v) in _NESTED and _deeper_than(v, limit - 1) for v in value)


_NESTED = frozenset((list, dict, set, tuple, frozenset))


def _flat(items: Any) -> bool:
    """Whether no item is a container (in one pass in C: the common huge value)."""
    return _NESTED.isdisjoint(map(type, items))


def _list_statements(
    acc: str, value: list, render: Render, head: str, tail: str, offset: int
) -> Iterator[str]:
    if _flat(value):
        yield from _flat_statements(acc, value, list, "extend", render, head, tail)
        return
    first = True
    pending: List[str] = []
    size = 0
    for i, item in enumerate(value):
        text = _render_whole(item, render, MAX_LITERAL_DEPTH - 1)
        if text is not None and (not pending or size + len(text) <= CHUNK_BYTES):
            pending.append(text)
            size += len(text) + 2
            continue
        if pending or first:
            yield _list_chunk(acc, pending, head, tail, first)
            first, pending, size = False, [], 0
        if text is not None:
            pending.append(text)
            size = len(text) + 2
        else:
            yield from value_statements(f"{acc}[{offset + i}]", item, render, f"{acc}.append(", ")")
    if pending or first:
        yield _list_chunk(acc, pending, head, tail, first)


def _flat_statements(
    acc: str, items: list, make: Callable[[list], Any], method: str, render: Render, head: str, tail: str
) -> Iterator[str]:
    """A long list, dict or set of scalars (the common huge value): ``make`` turns a slice
    of ``items`` (a dict's pairs) into a container again, rendered one slice a statement,
    each after the first a ``method`` call (``extend``, ``update``).  The slice is sized from
    the first items' length; a slice that comes out far too long (its strings are longer)
    is rendered again item by item and regrouped by size."""
    sample = items[:1000]
    per = max(1, CHUNK_BYTES * len(sample) // (len(render(make(sample))) + 1))
    first = True
    for start in range(0, len(items), per):
        part = items[start : start + per]
        text = render(make(part))
        if len(text) <= CHUNK_BYTES or _size(text) <= 4 * CHUNK_BYTES:
            texts: Iterable[str] = [text]
        else:  # each item rendered alone, without its container's brackets
            texts = _regroup([render(make([item]))[1:-1] for item in part], text[0], text[-1])
        for text in texts:
            if len(text) > MAX_WRITTEN_STATEMENT // 4 and _size(text) > MAX_WRITTEN_VALUE:
                raise StatementTooLarge(_size(text))  # one string too long for any statement
            yield (head + text + tail) if first else f"{acc}.{method}({text})"
            first = False


def _regroup(pieces: List[str], opening: str, closing: str) -> Iterator[str]:
    """Containers of consecutive ``pieces`` (items' text), each of about ``CHUNK_BYTES``."""
    group: List[str] = []
    size = 0
    for piece in pieces:
        n = _size(piece) + 2
        if group and size + n > CHUNK_BYTES:
            yield opening + ", ".join(group) + closing
            group, size = [], 0
        group.append(piece)
        size += n
    if group:
        yield opening + ", ".join(group) + closing


def _list_chunk(acc: str, items: List[str], head: str, tail: str, first: bool) -> str:
    """The first statement of a split list, or an ``extend`` of it."""
    if first:
        return head + "[" + ", ".join(items) + "]" + tail
    return f"{acc}.extend([" + ", ".join(items) + "])"


def _dict_statements(acc: str, value: dict, render: Render, head: str, tail: str) -> Iterator[str]:
    if _flat(value.values()):
        yield from _flat_statements(acc, list(value.items()), dict, "update", render, head, tail)
        return
    first = True
    pending: List[str] = []
    size = 0
    for key, item in value.items():
        k = render(key)
        text = _render_whole(item, render, MAX_LITERAL_DEPTH - 1)
        if text is not None and (not pending or size + len(k) + len(text) <= CHUNK_BYTES):
            pending.append(f"{k}: {text}")
            size += len(k) + len(text) + 4
            continue
        if pending or first:
            yield _chunk(acc, "{" + ", ".join(pending) + "}", head, tail, first)
            first, pending, size = False, [], 0
        if text is not None:
            pending.append(f"{k}: {text}")
            size = len(k) + len(text) + 4
        else:
            yield from value_statements(f"{acc}[{k}]", item, render, f"{acc}[{k}]=", "")
    if pending or first:
        yield _chunk(acc, "{" + ", ".join(pending) + "}", head, tail, first)


def _set_statements(acc: str, value: set, render: Render, head: str, tail: str) -> Iterator[str]:
    # (its elements are scalars, tuples and frozensets: never split)
    yield from _flat_statements(acc, list(value), set, "update", render, head, tail)


def _chunk(acc: str, literal: str, head: str, tail: str, first: bool) -> str:
    """The first statement of a split dict or set, or an ``update`` of it with more."""
    return head + literal + tail if first else f"{acc}.update({literal})"
