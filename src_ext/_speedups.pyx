# cython: language_level=3, boundscheck=False, cdivision=True, binding=False
# cython: freethreading_compatible=True
# distutils: language = c++
"""The Cython backend of laaos: the same names as the pure-Python ``laaos._pure``.

``render`` writes values as exact source, ``Writer`` appends statements through a C
buffer, and ``LogParser`` parses the common statements in C and hands every other one
to the pure twin's code (never to ``exec``).  The three parts live in the included files.
"""

cimport cython

include "render.pxi"
include "lock.pxi"
include "writer.pxi"
include "proxies.pxi"
include "parser.pxi"
