# cython: language_level=3, boundscheck=False, cdivision=True, binding=False
# cython: freethreading_compatible=True
# distutils: language = c++
"""The Cython backend of laaos: the same names as the pure-Python ``laaos._pure``.

``render`` writes values as exact source (render.pxi), ``Writer`` appends statements
through a C buffer and keeps the closed state (writer.pxi, with the lock of lock.pxi),
``Engine`` does each mutation of a store's containers in one C call (engine.pxi), and
``LogParser`` parses the common statements in C and hands every other one to the pure
twin's code, never to ``exec`` (parser.pxi).
"""

cimport cython

include "render.pxi"
include "lock.pxi"
include "writer.pxi"
include "snapshot.pxi"
include "engine.pxi"
include "parser.pxi"
include "extremes.pxi"
