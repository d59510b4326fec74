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
--symbol mypkg.enums:Color (an attribute of a module, under its own name),
--symbol Colour=mypkg.enums:Color or --symbol np=numpy (under another name; --symbol np
alone means numpy too). The module is imported, so it
runs: name only modules you trust; the log itself is never executed.
"""


# The names code gives a module by custom (`import numpy as np`), which a log written by
# the original laaos holds (2.1.1 wrote a numpy scalar as its repr, `np.float64(0.5)`).
ALIASES = {"np": "numpy"}


def symbol_spec(spec: str) -> Any:
    """``--symbol``: ``module``, ``module:attr.path``, ``NAME=module`` (the module ``a.b``
    itself, as ``import a.b as NAME``) or ``NAME=module:attr.path``; ``np`` alone is numpy."""
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
            if e.name != module_name or eq or colon or module_name not in ALIASES:
                raise
            alias, module_name = module_name, ALIASES[module_name]  # `--symbol np`: numpy, as np
            obj = importlib.import_module(module_name)
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
    flags = " ".join(f"--symbol MODULE:{n}" if n[:1].isupper() else
                     f"--symbol {n}={ALIASES[n]}" if n in ALIASES else f"--symbol {n}" for n in names)
    return (f"`{flags}` on the command line (a module by its name, a class as MODULE:NAME), "
            f"or exposed_symbols=[...] / extra_mappings={{...}} in Python")
