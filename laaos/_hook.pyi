"""Types of ``laaos._hook`` (src_ext/hook.c): a proxy method as one C call to its store's engine."""

from typing import Any, Callable

class EngineMethod:
    engine_method: str
    __wrapped__: Callable[..., Any]
    def __init__(self, func: Callable[..., Any], name: str) -> None: ...
    def __get__(self, obj: Any, type: Any = ...) -> Any: ...
    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...
