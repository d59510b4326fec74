"""Build laaos, with its Cython extension ``laaos._speedups`` when it can be compiled.

Without Cython or a C++ compiler the pure-Python package is installed with a warning,
unless ``LAAOS_REQUIRE_EXTENSIONS=1`` (CI, wheel builds): then the build fails.
``LAAOS_NO_EXTENSIONS=1`` skips the extension on purpose.
"""

import os
import platform
import sys
import warnings
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

try:  # setuptools >= 59 vendors distutils' errors; older ones use the stdlib's
    from setuptools.errors import CCompilerError, ExecError, PlatformError
except ImportError:  # pragma: no cover
    from distutils.errors import CCompilerError
    from distutils.errors import DistutilsExecError as ExecError
    from distutils.errors import DistutilsPlatformError as PlatformError

# What a failed optional build raises (as markupsafe catches them): no compiler, a
# compiler that fails, missing headers.  Anything else is a bug and propagates.
BUILD_ERRORS = (CCompilerError, ExecError, PlatformError, OSError, ValueError)


def _flag(name):
    return os.environ.get(name, "") not in ("", "0")


REQUIRE = _flag("LAAOS_REQUIRE_EXTENSIONS")
SKIP = _flag("LAAOS_NO_EXTENSIONS") or platform.python_implementation() != "CPython"


def _build_pure_instead(reason):
    if REQUIRE:
        raise SystemExit(f"laaos: LAAOS_REQUIRE_EXTENSIONS=1 but the extension failed: {reason}")
    warnings.warn(f"laaos: building without the Cython extension ({reason}); using pure Python")


class OptionalBuildExt(build_ext):
    """A failed compile installs the pure package instead (unless it is required)."""

    def run(self):
        try:
            super().run()
        except BUILD_ERRORS as e:  # no compiler, missing headers, ...
            _build_pure_instead(repr(e))

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except BUILD_ERRORS as e:
            _build_pure_instead(f"{ext.name}: {e!r}")


def extensions():
    if SKIP:
        return []
    try:
        from Cython.Build import cythonize
        from Cython.Compiler.Errors import CompileError
    except ImportError as e:
        _build_pure_instead(repr(e))
        return []
    if sys.platform == "win32":
        args, c_args = ["/O2", "/std:c++17"], ["/O2"]
    else:
        args, c_args = ["-O3", "-std=c++17"], ["-O3"]
    ext = Extension(
        "laaos._speedups",
        ["src_ext/_speedups.pyx"],
        language="c++",
        include_dirs=["src_ext"],
        # (the headers the .pxi files include, directly or not: a change rebuilds)
        depends=sorted(str(p) for p in Path("src_ext").glob("*.h")),
        extra_compile_args=args,
    )
    # StoreList.append as one C call to the store's engine (plain C: no Cython module's
    # set-up at `import laaos`, which imports it)
    hook = Extension("laaos._hook", ["src_ext/hook.c"], extra_compile_args=c_args)
    try:
        return cythonize([ext], compiler_directives={"language_level": "3"}, quiet=True) + [hook]
    except (CompileError, ValueError) as e:  # a Cython too old or too new for our sources
        _build_pure_instead(repr(e))
        return []


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
