"""The pure-Python backend: the same names as the ``laaos._speedups`` extension."""

from threading import RLock

from ._engine import Engine
from ._extremes import extremes
from ._parser import LogParser
from ._render import render, render_float
from ._writer import Writer

__all__ = ["Engine", "extremes", "LogParser", "RLock", "Writer", "render", "render_float"]
