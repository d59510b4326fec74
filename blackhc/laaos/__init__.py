"""``blackhc.laaos``: the original package name, kept so that old imports work.

``blackhc`` is a namespace package (no ``__init__.py``), so this portion coexists with
other installed ``blackhc.*`` packages.
"""

from laaos import *  # noqa: F401,F403
from laaos import __all__, __version__  # noqa: F401
