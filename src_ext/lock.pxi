# The store's lock: a reentrant lock that C code takes without a Python call.
#
# It is `threading.RLock` in behaviour (reentrant, owned by one thread); rlock.h has how
# it works and why: with a GIL, taking a free lock is two stores.

cdef extern from "rlock.h":
    cdef cppclass laaos_rlock:
        pass
    void laaos_rlock_take(laaos_rlock*)
    void laaos_rlock_give_taken(laaos_rlock*) noexcept
    bint laaos_rlock_owned(laaos_rlock*) noexcept


cdef class RLock:
    """A reentrant lock, usable as ``with lock:`` like ``threading.RLock``."""

    cdef laaos_rlock _lock

    cdef inline int take(self) except -1:
        laaos_rlock_take(&self._lock)
        return 0

    cdef inline int give(self) except -1:
        if not laaos_rlock_owned(&self._lock):
            raise RuntimeError("cannot release un-acquired lock")
        laaos_rlock_give_taken(&self._lock)
        return 0

    cdef inline void give_taken(self) noexcept:
        """``give`` for a caller that took the lock itself a moment ago (the proxies'
        fast path): no ownership check to make."""
        laaos_rlock_give_taken(&self._lock)

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
