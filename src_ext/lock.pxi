# The store's lock: a reentrant lock that C code takes without a Python call.
#
# It is `threading.RLock` in behaviour (reentrant, owned by one thread).  Underneath is a
# std::mutex, not a PyThread lock: on the proxies' fast path (an append per training step)
# taking and releasing it is two atomic operations, where CPython 3.11's
# PyThread_acquire_lock_timed reads the precise monotonic clock even when it does not
# wait.  A thread that has to wait releases the GIL first, so the owner (which may need
# the GIL to finish its statement) is never stuck behind it.

from cpython.pythread cimport PyThread_get_thread_ident


cdef extern from "<mutex>" namespace "std" nogil:
    cdef cppclass mutex:
        void lock()
        bint try_lock()
        void unlock()


cdef class RLock:
    """A reentrant lock, usable as ``with lock:`` like ``threading.RLock``."""

    cdef mutex _mutex
    # Only the owner writes these; another thread reading them sees an owner that is
    # not itself, whatever it reads, so it waits on the mutex.
    cdef unsigned long _owner
    cdef Py_ssize_t _count

    cdef inline int take(self) except -1:
        cdef unsigned long me = PyThread_get_thread_ident()
        if self._count and self._owner == me:
            self._count += 1
            return 0
        if not self._mutex.try_lock():
            with nogil:
                self._mutex.lock()
        self._owner = me
        self._count = 1
        return 0

    cdef inline int give(self) except -1:
        if not self._count or self._owner != PyThread_get_thread_ident():
            raise RuntimeError("cannot release un-acquired lock")
        self._count -= 1
        if self._count == 0:
            self._owner = 0
            self._mutex.unlock()
        return 0

    cdef inline void give_taken(self) noexcept:
        """``give`` for a caller that took the lock itself a moment ago (the proxies'
        fast path): no ownership check to make."""
        self._count -= 1
        if self._count == 0:
            self._owner = 0
            self._mutex.unlock()

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
