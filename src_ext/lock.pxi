# The store's lock: a reentrant lock that C code takes without a Python call.
#
# It is `threading.RLock` in behaviour (reentrant, owned by one thread); the proxies'
# fast path (proxies.pxi) takes it with two C calls instead of two method calls.

from cpython.pythread cimport (
    NOWAIT_LOCK, WAIT_LOCK, PyThread_acquire_lock, PyThread_allocate_lock,
    PyThread_free_lock, PyThread_get_thread_ident, PyThread_release_lock,
    PyThread_type_lock,
)


cdef class RLock:
    """A reentrant lock, usable as ``with lock:`` like ``threading.RLock``."""

    cdef PyThread_type_lock _lock
    # Only the owner writes these; another thread reading them sees an owner that is
    # not itself, whatever it reads, so it waits on the lock.
    cdef unsigned long _owner
    cdef Py_ssize_t _count

    def __cinit__(self):
        self._lock = PyThread_allocate_lock()
        if self._lock == NULL:
            raise MemoryError("cannot allocate a lock")

    def __dealloc__(self):
        if self._lock != NULL:
            PyThread_free_lock(self._lock)

    cdef inline int take(self) except -1:
        cdef unsigned long me = PyThread_get_thread_ident()
        if self._count and self._owner == me:
            self._count += 1
            return 0
        if not PyThread_acquire_lock(self._lock, NOWAIT_LOCK):
            with nogil:
                PyThread_acquire_lock(self._lock, WAIT_LOCK)
        self._owner = me
        self._count = 1
        return 0

    cdef inline int give(self) except -1:
        if not self._count or self._owner != PyThread_get_thread_ident():
            raise RuntimeError("cannot release un-acquired lock")
        self._count -= 1
        if self._count == 0:
            self._owner = 0
            PyThread_release_lock(self._lock)
        return 0

    def acquire(self):
        self.take()
        return True

    def release(self):
        self.give()

    def __enter__(self):
        self.take()
        return True

    def __exit__(self, *exc):
        self.give()
