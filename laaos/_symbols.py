"""Names a log may never reach, whoever passes them: what can run code or change files.

The loader refuses an attribute of a passed symbol that is one of them, or that is a
module (a log that may use ``datetime`` must not reach ``datetime.sys``); ``diagnose``
never counts a statement naming one as healthy, and the command line never suggests or
accepts one as a ``--symbol``.
"""

from __future__ import annotations

import builtins

# Modules that run commands, load code or objects, or change files and the process.  A
# log written by laaos never names them; a hostile or foreign log may.
UNSAFE_MODULES = frozenset("""
    os posix nt posixpath ntpath sys subprocess shutil builtins importlib imp runpy code
    codeop pickle cPickle _pickle marshal shelve dill cloudpickle joblib ctypes cffi socket
    ssl select selectors signal pty tty termios fcntl resource mmap multiprocessing
    threading _thread concurrent asyncio tempfile glob fnmatch io _io pathlib zipfile
    tarfile zipimport pkgutil site sysconfig platform inspect types gc ast dis webbrowser
    urllib http ftplib smtplib poplib imaplib telnetlib xmlrpc socketserver pdb bdb trace
    faulthandler atexit sqlite3 dbm logging unittest doctest distutils setuptools pip
    operator functools
""".split())
# Builtins other than exception classes (``eval``, ``exec``, ``open``, ``getattr``,
# ``__import__``, ...): laaos writes literals, ``set()``, ``float()`` and ``complex()``
# only, which the loader knows without being passed anything.
UNSAFE_BUILTINS = frozenset(
    name for name, value in vars(builtins).items()
    if not (isinstance(value, type) and issubclass(value, BaseException))
)
# Attributes that, reached through any symbol, only ever run code or change the system.
# (Kept to names no enum member or field of a user's class plausibly has: a healthy log's
# `Mode.write` or `Phase.run` must stay a missing symbol, not damage.)
UNSAFE_ATTRIBUTES = frozenset("""
    system popen spawnl spawnle spawnlp spawnlpe spawnv spawnve spawnvp spawnvpe execl
    execle execlp execlpe execv execve execvp execvpe fork forkpty kill killpg rmtree
    unlink removedirs putenv unsetenv environ modules import_module check_call
    check_output getoutput getstatusoutput Popen urlopen eval exec compile getattr setattr
    delattr globals locals setrecursionlimit settrace setprofile breakpoint
    os posix nt sys subprocess shutil builtins importlib pickle marshal ctypes socket runpy
    pty multiprocessing pathlib tempfile shelve
""".split())  # (and the modules that most modules import, e.g. `datetime.sys`, `pathlib.os`)


def unsafe_symbol(name: str) -> bool:
    """Whether ``name`` (a symbol, ``a.b.c``, or a ``--symbol`` spec ``a.b:c.d``) names
    something that can run code or change files: never a symbol a log needs."""
    parts = name.replace(":", ".").split(".")
    top = parts[0]
    return (top in UNSAFE_MODULES or top in UNSAFE_BUILTINS
            or any(p in UNSAFE_ATTRIBUTES or p.startswith("_") for p in parts[1:]))


def unsafe_why(name: str) -> str:
    """Why a statement naming ``name`` (an ``unsafe_symbol``) is damage, for ``check``."""
    return (f"names {name}, which can run code or change files: no laaos writer puts it in a log "
            f"(a foreign or tampered statement; never pass it as a symbol)")
