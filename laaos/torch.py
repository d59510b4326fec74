"""Type handlers for PyTorch tensors (laaos stores them as plain lists without this too).

laaos never imports torch: tensors are recognised by their ``tolist`` method.  This
module keeps the original's names for code that passes ``laaos.torch.TypeHandlers``.
"""

from typing import Any, Callable

from .handlers import TypeHandler


class TensorHandler(TypeHandler):
    """Stores a tensor as ``tensor.tolist()`` (a number for a 0-d tensor)."""

    def supports(self, obj: Any) -> bool:
        return any(c.__name__ == "Tensor" and c.__module__ == "torch" for c in type(obj).__mro__)

    def wrap(self, obj: Any, wrap: Callable[[Any], Any]) -> Any:
        return obj.tolist()

    def repr(self, obj: Any, repr: Callable[[Any], str], store: Any) -> str:
        return repr(obj.tolist())


TypeHandlers = [TensorHandler()]
