"""Symbols a log names (``datetime.datetime(...)``, ``Color.RED``): the ``--symbol`` option
that passes them, and what a command says about a symbol that was not passed or must
never be (a name that runs code is damage, never a symbol to advise)."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Any, Iterable, Optional

from .._symbols import unsafe_symbol
from ..errors import UnknownSymbolError

SYMBOL_HELP = """\
A log written with type handlers names symbols (datetime.datetime(...), Color.RED):
pass them with --symbol, repeatable: --symbol datetime (a module, under its name),
--symbol mypkg.enums:Color (an attribute of a module, under its own name), or
--symbol Colour=mypkg.enums:Color (under another name); --symbol np passes numpy's scalar
types as np (np.float64(...), which 2.1.1 wrote). The module is imported, so it
runs: name only modules you trust; the log itself is never executed.
"""


def numpy_scalars() -> Any:
    """What ``--symbol np`` passes: numpy's scalar types (``np.float64``, ``np.str_``,
    ``np.True_``, ...) under their names, and nothing else of numpy.  A log that names
    ``np`` was written by laaos 2.1.1, which wrote a numpy scalar as its repr
    (``np.float64(0.5)``): it needs them only, and numpy's functions read and write
    files (``np.savetxt``, ``np.load`` of a pickle)."""
    import numpy
    from types import SimpleNamespace

    types = set(numpy.sctypeDict.values())
    names = {t.__name__: t for t in types}
    names.update((name, t) for name, t in numpy.sctypeDict.items()
                 if isinstance(name, str) and name.isidentifier() and vars(numpy).get(name) is t)
    return SimpleNamespace(True_=numpy.True_, False_=numpy.False_, **names)


def symbol_spec(spec: str) -> Any:
    """``--symbol``: ``module``, ``module:attr.path``, ``NAME=module`` (the module ``a.b``
    itself, as ``import a.b as NAME``) or ``NAME=module:attr.path``; ``np`` (where no
    module ``np`` exists) is ``numpy_scalars()``."""
    alias, eq, target = spec.partition("=")
    if not eq:
        alias, target = "", spec
    module_name, colon, attr = target.partition(":")
    if not module_name or (colon and not attr) or (eq and not alias.isidentifier()):
        raise argparse.ArgumentTypeError(f"{spec!r}: expected MODULE, MODULE:NAME or ALIAS=MODULE:NAME")
    if unsafe_symbol(target):  # checked before the import: importing it may already act
        raise argparse.ArgumentTypeError(
            f"{spec!r}: refused: {target} can run code or change files, and a log written by "
            "laaos never needs it (a statement naming it is foreign or tampered: "
            "`laaos check` shows it, `laaos recover` moves it aside)")
    sys.path.insert(0, os.getcwd())  # the user's own modules, as `python -m` finds them
    try:
        try:
            obj = importlib.import_module(module_name)
        except ModuleNotFoundError as e:
            if e.name != "np" or spec != "np":
                raise
            return "np", numpy_scalars()  # (numpy missing: said below, as for any module)
    except Exception as e:  # noqa: BLE001 - whatever the user's module raises is a usage error
        raise argparse.ArgumentTypeError(f"cannot import {module_name!r}: {type(e).__name__}: {e}") from None
    finally:
        sys.path.remove(os.getcwd())
    if colon:
        for part in attr.split("."):
            if not hasattr(obj, part):
                raise argparse.ArgumentTypeError(f"{module_name!r} has no attribute {attr!r}")
            obj = getattr(obj, part)
        name = attr.rpartition(".")[2]
    elif alias:  # as `import a.b as ALIAS` binds `a.b`
        name = alias
    else:
        obj = importlib.import_module(module_name.partition(".")[0])  # as `import a.b` binds `a`
        name = module_name.partition(".")[0]
    # The log reaches the symbol's attributes: never a module it imports (datetime.sys).
    # (the loader itself keeps a log from reaching further through it: laaos/_symbols.py)
    return (alias or name, obj)


def unsafe_statement(error: UnknownSymbolError) -> Optional[str]:
    """What unsafe name the statement of ``error`` reaches (``os``, or ``datetime.sys``
    behind a harmless first name), if any: such a name is never to be suggested."""
    if unsafe_symbol(error.name):
        return error.name
    if error.line is None or not os.path.isfile(error.path):
        return None
    text = line_at(error.path, error.line)
    if text is None:
        return None
    from ..diagnosis import diagnose

    # that statement alone (an appended statement is one line), after an empty store
    return diagnose(error.path, data=b"store = {}\n" + text + b"\n").unsafe.get(2)


def line_at(path: str, number: int) -> Optional[bytes]:
    """Line ``number`` (from 1) of the file at ``path``, without its line end; None past
    the end."""
    with open(path, "rb") as f:
        for i, line in enumerate(f, 1):
            if i == number:
                return line.rstrip(b"\r\n")
    return None


def symbol_hint(names: Iterable[str]) -> str:
    """How to pass ``names``: the ``--symbol`` flags, or the arguments of ``laaos.load``.
    (A capitalised name is most likely a class: it needs its module.)"""
    names = sorted(names)
    flags = " ".join(f"--symbol MODULE:{n}" if n[:1].isupper() else f"--symbol {n}" for n in names)
    return (f"`{flags}` on the command line (a module by its name, a class as MODULE:NAME), "
            f"or exposed_symbols=[...] / extra_mappings={{...}} in Python")
