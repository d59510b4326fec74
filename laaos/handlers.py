"""Type handlers: how values of types that laaos does not know are stored.

A ``TypeHandler`` claims values (``supports``), may turn them into something storable
(``wrap``) and renders them as source (``repr``).  The names and behaviour are those of
the original laaos 2.1.1, so handlers written for it work unchanged.
"""

from __future__ import annotations

import enum
import typing
from typing import Any, Callable


class TypeHandler:
    """Extends a ``Store`` to support additional types.

    Subclass it and pass instances as ``type_handlers=[...]`` to ``Store`` or
    ``open_file_store``.  The first handler whose ``supports`` returns true is used.
    """

    def supports(self, obj: Any) -> bool:
        """Whether this type handler supports handling `obj`."""
        return False

    def wrap(self, obj: Any, wrap: Callable[[Any], Any]) -> Any:
        """Wraps `obj` for being used within a Store.

        Return `obj` itself to keep it in the store as it is (then ``repr`` renders it),
        or a value laaos can store (then that value is stored and rendered instead).
        `wrap` is the store's own wrap function, for fields.
        """
        return obj

    def repr(self, obj: Any, repr: Callable[[Any], str], store: Any) -> str:
        """The source text of `obj` in the log; `repr` renders fields the store's way.
        `store` is the store (a rewrite such as ``compact`` passes its renderer instead,
        ``laaos._values.Values``: it makes no store)."""
        return obj


class WeakEnumHandler(TypeHandler):
    """Writes enum members as ``Color.RED``: load with ``exposed_symbols=[Color]``."""

    def supports(self, obj: Any) -> bool:
        return isinstance(obj, enum.Enum)

    def repr(self, obj: enum.Enum, repr: Callable[[Any], str], store: Any) -> str:
        return f"{obj.__class__.__qualname__}.{obj.name}"


class StrEnumHandler(TypeHandler):
    """Writes enum members as the string ``str(member)``, e.g. ``'Color.RED'``."""

    def supports(self, obj: Any) -> bool:
        return isinstance(obj, enum.Enum)

    def repr(self, obj: enum.Enum, repr: Callable[[Any], str], store: Any) -> str:
        return repr(str(obj))


class ToReprHandler(TypeHandler):
    """Writes anything as its ``repr``: a catch-all.

    laaos checks that the text is an expression its loader accepts; an object whose
    ``repr`` is not (``<Foo object at 0x...>``) is refused and nothing is written.
    """

    def supports(self, obj: Any) -> bool:
        return True

    def repr(self, obj: Any, _repr: Callable[[Any], str], store: Any) -> str:
        return repr(obj)


class Dataclasses2DictHandler(TypeHandler):
    """Writes dataclass instances as a dict of their fields."""

    def supports(self, obj: Any) -> bool:
        # (dataclasses.is_dataclass's test: a dataclass instance has imported dataclasses,
        # which a store need not import itself)
        return hasattr(type(obj), "__dataclass_fields__") and not isinstance(obj, type)

    def repr(self, obj: Any, repr: Callable[[Any], str], store: Any) -> str:
        import dataclasses

        return repr({f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)})


class Function2StrHandler(TypeHandler):
    """Writes callables as the string ``'module.qualname'``."""

    def supports(self, obj: Any) -> bool:
        return isinstance(obj, typing.Callable)  # type: ignore[arg-type]

    def repr(self, obj: Any, repr: Callable[[Any], str], store: Any) -> str:
        return repr(f"{obj.__module__}.{obj.__qualname__}")


DefaultTypeHandlers = [
    Dataclasses2DictHandler(),
    StrEnumHandler(),
    Function2StrHandler(),
    ToReprHandler(),
]
