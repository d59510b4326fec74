"""How a store's values become JSON: one policy for ``laaos export`` and for
``json.dumps(x, default=laaos.json_default)``.

Sets become sorted lists, bytes ``{"base64": ...}``, complex numbers ``{"real", "imag"}``,
non-string dict keys their JSON text; NaN and the infinities as ``nan`` says.  Anything
else is refused with a ``TypeError`` naming its type.
"""

import math
from typing import Any

from .proxies import StoreAccessible, to_plain


def to_json(value: Any, nan: str = "js", repr_keys: bool = False, where: str = "store") -> Any:
    """``value`` (plain data or a store container) as data that ``json.dumps`` writes.

    ``nan`` says how NaN and the infinities go: ``"null"``, ``"string"`` (``"NaN"``,
    ``"Infinity"``, ``"-Infinity"``) or ``"js"`` (left as floats: json writes bare ``NaN``,
    which Python's json and JavaScript read and strict parsers refuse).  ``repr_keys``
    writes every dict key as its Python repr.  Two keys that would be one JSON key (``1``
    and ``'1'``) raise ``ValueError`` naming them and ``where`` (the part of the store)
    rather than lose one.  Values of other types are left as they are (``json.dumps``
    hands them to its ``default``)."""
    if isinstance(value, StoreAccessible):
        value = to_plain(value)
    if isinstance(value, float) and not math.isfinite(value):
        if nan == "null":
            return None
        if nan == "string":
            return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        return value
    if isinstance(value, dict):
        out = {}
        keys = {}  # JSON key -> the key of `value` written as it
        for k, v in value.items():
            text = repr(k) if repr_keys else k if isinstance(k, str) else _dumps(to_json(k, nan))
            if text in keys:  # 1 and '1' would both be "1": say so rather than lose one
                raise ValueError(f"{where}: the keys {keys[text]!r} and {k!r} would both be the JSON key "
                                 f"{_dumps(text)}: write every key as its Python repr ('a' as \"'a'\", "
                                 "1 as \"1\"; laaos export --repr-keys), which keeps them apart")
            keys[text] = k
            out[text] = to_json(v, nan, repr_keys, f"{where}[{k!r}]")
        return out
    if isinstance(value, (list, tuple)):
        return [to_json(v, nan, repr_keys, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, (set, frozenset)):
        items = [to_json(v, nan) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return sorted(items, key=repr)
    if isinstance(value, bytes):
        import base64

        return {"base64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, complex):
        return {"real": to_json(value.real, nan), "imag": to_json(value.imag, nan)}
    return value


def _dumps(value: Any) -> str:
    """``json.dumps(value)`` (json imported here: import laaos needs no json)."""
    import json

    return json.dumps(value)


def json_default(obj: Any) -> Any:
    """The ``default`` hook for ``json.dumps``: ``json.dumps(x, default=laaos.json_default)``
    writes a store, any of its containers (nested in other data too), sets, bytes and
    complex numbers as ``laaos export`` does (NaN and the infinities as json writes them:
    bare ``NaN``, or ``ValueError`` with ``allow_nan=False``; ``laaos export`` writes
    ``null``).  Any other type raises ``TypeError`` naming it."""
    if isinstance(obj, (StoreAccessible, set, frozenset, bytes, complex)):
        return to_json(obj)
    raise TypeError(
        f"Object of type {type(obj).__name__} is not JSON serializable: laaos.json_default writes "
        "store containers, sets, bytes and complex numbers; turn this value into one of those or "
        "into plain JSON data first (str(x), x.isoformat(), dataclasses.asdict(x)), or pass a "
        "default= of your own that does and calls laaos.json_default for the rest"
    )
