"""The pure-Python backend: the same names as the ``laaos._speedups`` extension."""

from ._parser import LogParser
from ._render import render
from ._writer import Writer

__all__ = ["LogParser", "Writer", "render"]
