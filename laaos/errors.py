"""The exceptions and warnings laaos raises.

Every error about a log names the file and the line where there is one, so a user can
open the log at the right place. Errors keep compatible base classes with what the
original laaos 2.1.1 raised (``KeyError`` for unsupported types, ``AssertionError`` for
mutating an unlinked container or assigning a slice), so old ``except`` clauses still
catch them.
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import Optional

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class LaaosError(Exception):
    """Base class of every error laaos raises on purpose."""


class LogError(LaaosError, ValueError):
    """A log could not be loaded. ``path``, ``line`` and ``construct`` say where and what."""

    def __init__(
        self, message: str, path: str = "<string>", line: Optional[int] = None, construct: str = ""
    ):
        self.message = message
        self.path = path
        self.line = line
        self.construct = construct
        where = path if line is None else f"{path}:{line}"
        super().__init__(f"{where}: {message}")

    def __reduce__(self):  # so that errors cross process pools (load_many) intact
        return type(self), (self.message, self.path, self.line, self.construct)


class LogSyntaxError(LogError):
    """A statement is malformed: not a statement laaos or the original laaos writes."""


class CorruptLogError(LogSyntaxError):
    """A damaged statement is followed by valid ones, or a statement cannot be applied."""


class UnsafeLogError(LogError):
    """The log uses a construct the safe loader refuses (names, calls, operators, ...)."""


class UnknownSymbolError(UnsafeLogError):
    """A well-formed statement names a symbol that nobody passed (a ``datetime`` logged
    through ``DefaultTypeHandlers``, an enum through ``WeakEnumHandler``, ...).

    The log is healthy: loading it with the name in ``exposed_symbols=`` /
    ``extra_mappings=`` (``--symbol module:name`` on the command line) succeeds.  ``name``
    is the symbol that was missing.
    """

    def __init__(self, message: str, path: str = "<string>", line=None, construct: str = "", name: str = ""):
        self.name = name or construct.partition(" ")[2].strip("'")
        super().__init__(message, path, line, construct)

    def __reduce__(self):
        return type(self), (self.message, self.path, self.line, self.construct, self.name)


class MarkError(LogError):
    """``rewind_to=`` names a mark the log does not have, or one that cannot be used."""


class LogLimitError(LogError):
    """A statement exceeds a resource limit (nesting depth, statement size, number size)."""


class UnsupportedTypeError(LaaosError, TypeError, KeyError):
    """A value of a type that no built-in rule and no ``TypeHandler`` can store.

    Subclasses ``KeyError`` because the original laaos raised ``KeyError`` here.
    """

    def __str__(self) -> str:  # KeyError would show the message with quotes around it
        return str(self.args[0]) if self.args else ""


class UnlinkedContainerError(LaaosError, AssertionError):
    """A store container that was replaced or deleted was mutated.

    Subclasses ``AssertionError`` because the original laaos used ``assert`` here.
    """


class SliceNotSupportedError(LaaosError, TypeError, AssertionError):
    """Not raised: store lists take slices as lists do.  The name stays importable for
    code written for laaos 2.1.1, which refused slice assignment and deletion."""


def unlinked_container() -> UnlinkedContainerError:
    """The error for a mutation of a store container that was replaced or deleted, which
    both backends raise (themselves: a subclass's methods cannot let it through) before
    anything is written or changed."""
    return UnlinkedContainerError(
        "You tried to mutate a store collection after it has been unlinked "
        "(it was replaced or deleted in the store): mutate the store's current "
        "container instead."
    )


def container_mismatch(proxy: object, plain: object, expected: type) -> TypeError:
    """The error for a store container used as another kind than it holds (a list method
    called on a dict's proxy, ``StoreList.append(d, x)``, or on a proxy whose ``__class__``
    was changed), which both backends raise before anything is written or changed."""
    return TypeError(
        f"a {type(proxy).__name__} that holds a {type(plain).__name__} was used as a "
        f"{expected.__name__}; nothing was changed"
    )


class StoreLockedError(LaaosError, BlockingIOError):
    """Another writer holds the exclusive lock on the log file."""


class NotALogError(LaaosError, ValueError):
    """A file that something would write over or repair is not a laaos log (a script, a
    data file): it was left as it was.  ``path`` names it and ``why`` says what it holds
    instead of a log's first statement.  See ``laaos._logfile`` for the rule."""

    def __init__(self, message: str, path: str = "", why: str = ""):
        super().__init__(message)
        self.path = path
        self.why = why

    def __reduce__(self):
        return type(self), (self.args[0], self.path, self.why)


class StoreClosedError(LaaosError, ValueError):
    """The store was closed, or an earlier write failed and the store stopped writing."""


class TornTailWarning(UserWarning):
    """The log ended in an incomplete statement (a crash mid-write); it was dropped."""


class LogReopenedWarning(UserWarning):
    """A log that a store of this process held was opened again (a re-run notebook
    cell): the older store wrote what it had buffered and was closed, so that the new
    one carries on from everything it wrote."""


class LockUnavailableWarning(UserWarning):
    """The log's filesystem cannot lock files, so a second writer cannot be refused."""


def warn_at_caller(warning: Warning) -> None:
    """Issue ``warning`` at the user's line: the first frame outside the laaos package,
    however deep inside laaos it was found (``safe_load`` -> ``load`` -> ``finish``)."""
    frame = sys._getframe(1)
    level = 2  # 1 would be this function; 2 is its caller
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    warnings.warn(warning, stacklevel=level)
