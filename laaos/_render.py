"""Pure-Python renderer: plain values to the exact Python source the log holds.

The twin of the ``render`` in ``src_ext/render.pxi``; both must return identical text.
``render`` takes *plain* values (what ``Store`` normalized them to); anything else goes
to ``fallback``, which the store implements with its ``TypeHandler``s.
"""

from __future__ import annotations

from typing import Any, Callable

_float_repr = float.__repr__
_INF = float("inf")
# Python refuses to print ints of more than 4300 digits (3.11+); older Pythons would
# write them, and no loader could read them back.  Both backends refuse them.
MAX_INT_DIGITS = 4300


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
    text = int.__repr__(x)
    if len(text) > MAX_INT_DIGITS + 1:
        raise ValueError(
            f"laaos cannot log an int of {len(text.lstrip('-'))} digits "
            f"(the limit is {MAX_INT_DIGITS}): store it as a string"
        )
    return text


def render_complex(x: complex) -> str:
    r, i = x.real, x.imag
    if r - r == 0 and i - i == 0:  # both finite: repr loads back
        return complex.__repr__(x)
    return f"complex({render_float(r)}, {render_float(i)})"


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
    return fallback(value)
