"""Pure-Python renderer: plain values to the exact Python source the log holds.

The twin of the ``render`` in ``src_ext/render.pxi``; both must return identical text.
``render`` takes *plain* values (what ``Store`` normalized them to); anything else goes
to ``fallback``, which the store implements with its ``TypeHandler``s.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from ._limits import MAX_INT_DIGITS, MAX_WRITTEN_STATEMENT

_float_repr = float.__repr__
_INF = float("inf")
_INT_BOUND = 10**MAX_INT_DIGITS  # the least int of more than MAX_INT_DIGITS digits


def render_float(x: float) -> str:
    """``repr(x)``, except that NaN and the infinities become loadable calls."""
    if x != x:
        return "float('nan')"
    if x == _INF:
        return "float('inf')"
    if x == -_INF:
        return "-float('inf')"
    return _float_repr(x)


def render_int(x: int) -> str:
    # (compared, not counted in the text: the text may be what Python refuses to make)
    if -_INT_BOUND < x < _INT_BOUND:
        return int.__repr__(x)
    raise ValueError(
        f"laaos cannot log an int of more than {MAX_INT_DIGITS} digits (the most a loader "
        "with Python's default limit reads back): store it as a string"
    )


def render_complex(x: complex) -> str:
    r, i = x.real, x.imag
    # repr loads back when both parts are finite, except a negative zero (`-0j` and
    # `(-0+1j)` evaluate to a positive zero part) and a zero real part left out before a
    # negative imaginary one (`-1j` is -(1j), whose real part is -0.0)
    if r - r == 0 and i - i == 0 and not _negative_zero(r) and not _negative_zero(i):
        text = complex.__repr__(x)
        if text[0] != "-":
            return text
    return f"complex({render_float(r)}, {render_float(i)})"


def _negative_zero(x: float) -> bool:
    return x == 0 and math.copysign(1.0, x) < 0


def render(value: Any, fallback: Callable[[Any], str]) -> str:
    """Render a plain value as Python source, exactly as ``repr`` would where it loads."""
    t = type(value)
    if t is float:  # the hot case: finite floats straight to repr (x - x is 0 for them only)
        return _float_repr(value) if value - value == 0 else render_float(value)
    if t is str or t is bool or value is None or t is bytes:
        return repr(value)
    if t is int:
        return render_int(value)
    if t is list:
        return "[" + ", ".join([render(v, fallback) for v in value]) + "]"
    if t is dict:
        return (
            "{"
            + ", ".join([render(k, fallback) + ": " + render(v, fallback) for k, v in value.items()])
            + "}"
        )
    if t is set:
        if not value:
            return "set()"
        return "{" + ", ".join([render(v, fallback) for v in value]) + "}"
    if t is tuple:
        if len(value) == 1:
            return "(" + render(value[0], fallback) + ",)"
        return "(" + ", ".join([render(v, fallback) for v in value]) + ")"
    if t is complex:
        return render_complex(value)
    if t is frozenset:  # a key or set element (a frozenset value is stored as a set)
        if not value:
            return "frozenset()"
        return "frozenset({" + ", ".join([render(v, fallback) for v in value]) + "})"
    return fallback(value)


class StatementTooLarge(ValueError):
    """A statement longer than ``MAX_WRITTEN_STATEMENT``; nothing was written.

    ``by_place``: the place the value goes to (its keys, ``store['...']``) takes most of
    the limit by itself, so no statement could hold the value there."""

    def __init__(self, size: int, by_place: bool = False):
        self.size = size
        if by_place:
            why = ("the keys that lead to the value take most of that by themselves: use "
                   "shorter keys")
        else:
            why = ("containers are split to fit, a single string or bytes value cannot be: "
                   "store such data in a file of its own and log its path")
        super().__init__(
            f"laaos cannot log a statement of {size} bytes (the limit is {MAX_WRITTEN_STATEMENT}); {why}"
        )
