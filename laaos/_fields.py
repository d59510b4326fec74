"""The dataclass view of laaos's plain record classes (``LoadResult``, ``Record``).

Those classes are written out by hand (``__init__``, ``__repr__``, ``__eq__``) because
``dataclasses`` imports ``inspect``, which with ``ast``, ``dis`` and ``tokenize`` would be
most of what ``import laaos`` costs.  To ``dataclasses`` they still look like what they
would be with ``@dataclass``: ``dataclasses.fields``, ``asdict``, ``replace`` and
``is_dataclass`` work on them, through a class attribute ``__dataclass_fields__`` that
imports ``dataclasses`` when it is first read and has it make the fields.
"""

from typing import Any, Callable, Dict, Optional


class DataclassFields:
    """The ``__dataclass_fields__`` of a plain class whose annotations are its fields
    (their defaults: the class attributes of those names, or ``factories[name]()``), as
    ``@dataclass(frozen=frozen)`` would make them; made at first use."""

    def __init__(self, frozen: bool = False, factories: Optional[Dict[str, Callable[[], Any]]] = None):
        self.frozen = frozen
        self.factories = factories or {}

    def __get__(self, obj: Any, owner: type) -> Any:
        import dataclasses

        namespace: Dict[str, Any] = {"__annotations__": dict(owner.__annotations__),
                                     "__module__": owner.__module__, "__qualname__": owner.__qualname__}
        for name in owner.__annotations__:
            if name in self.factories:
                namespace[name] = dataclasses.field(default_factory=self.factories[name])
            elif name in vars(owner):
                namespace[name] = vars(owner)[name]
        twin = dataclasses.dataclass(frozen=self.frozen)(type(owner.__name__, (), namespace))
        # (stored on the class, in place of this descriptor: made once)
        owner.__dataclass_params__ = twin.__dataclass_params__  # type: ignore[attr-defined]
        owner.__dataclass_fields__ = twin.__dataclass_fields__  # type: ignore[attr-defined]
        return twin.__dataclass_fields__


class _Factory:
    """The default of a field whose default is made per instance (``[]``, ``{}``)."""

    def __repr__(self) -> str:
        return "<factory>"  # (as in a dataclass's signature)


FACTORY: Any = _Factory()


def fields_repr(obj: Any) -> str:
    """``Class(field=value, ...)``, as a dataclass's ``repr``."""
    shown = ", ".join(f"{name}={getattr(obj, name)!r}" for name in type(obj).__match_args__)
    return f"{type(obj).__qualname__}({shown})"


def fields_eq(obj: Any, other: Any) -> Any:
    """``obj == other``, as a dataclass's: the fields compared in order, for two
    instances of the same class."""
    if other.__class__ is not obj.__class__:
        return NotImplemented
    names = type(obj).__match_args__
    return tuple(getattr(obj, n) for n in names) == tuple(getattr(other, n) for n in names)
