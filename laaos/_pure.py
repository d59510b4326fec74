"""The pure-Python backend: the same names as the ``laaos._speedups`` extension."""

from ._engine import Engine, list_append
from ._parser import LogParser
from ._render import render
from ._writer import Writer

__all__ = ["Engine", "LogParser", "Writer", "list_append", "render"]
