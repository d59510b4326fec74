/* The store's lock: reentrant and owned by one thread, like threading.RLock, and taken by
 * C code without a Python call (lock.pxi wraps it for Python).
 *
 * With a GIL, the lock's state (its owner and depth) is read and written only by the
 * thread that holds the GIL, which makes every test-and-set of it atomic: taking a free
 * lock is two stores, with no atomic instruction and no call into libc (on the proxies'
 * fast path, an append per training step, a std::mutex's try_lock and unlock were ~3% of
 * a buffered append).  The owner can give the GIL away in the middle of its statement (a
 * long write(2), Python code a handler runs); a thread that then finds the lock taken
 * waits on a condition variable with the GIL released, so the owner can run and finish,
 * and is woken when the lock is given back.  The waiter reads the count of gives before
 * it releases the GIL and waits until that count moves: a give between the two is never
 * missed.  No thread waits for wait_mutex while it holds it and wants the GIL.
 *
 * A free-threaded build has no GIL to lean on: its lock is a std::mutex, and a thread
 * that has to wait for it detaches first (the owner may need to run Python code).
 */
#ifndef LAAOS_RLOCK_H
#define LAAOS_RLOCK_H

#include <Python.h>
#include <pythread.h>

#include <condition_variable>
#include <mutex>

struct laaos_rlock {
    unsigned long owner = 0;
    Py_ssize_t count = 0;
#ifdef Py_GIL_DISABLED
    std::mutex mutex;
#else
    Py_ssize_t waiters = 0;  /* threads waiting for it */
    unsigned long gives = 0; /* times it was given back with a thread waiting */
    std::mutex wait_mutex;   /* guards gives for the waiters (who do not hold the GIL) */
    std::condition_variable given;
#endif
};

#ifndef Py_GIL_DISABLED
static void laaos_rlock_wait(laaos_rlock *l) {
    l->waiters++;
    while (l->count) {
        unsigned long seen = l->gives;
        Py_BEGIN_ALLOW_THREADS
        {
            std::unique_lock<std::mutex> hold(l->wait_mutex);
            l->given.wait(hold, [l, seen] { return l->gives != seen; });
        }
        Py_END_ALLOW_THREADS
    }
    l->waiters--;
}
#endif

/* Take the lock (the caller holds the GIL or, free-threaded, is attached). */
static inline void laaos_rlock_take(laaos_rlock *l) {
    unsigned long me = PyThread_get_thread_ident();
    /* (free-threaded, another thread can be changing these: whatever it reads, a thread
     * that is not the owner sees an owner that is not itself, and takes the mutex) */
    if (l->count && l->owner == me) {
        l->count++;
        return;
    }
#ifdef Py_GIL_DISABLED
    if (!l->mutex.try_lock()) {
        Py_BEGIN_ALLOW_THREADS
        l->mutex.lock();
        Py_END_ALLOW_THREADS
    }
#else
    if (l->count) laaos_rlock_wait(l);
#endif
    l->owner = me;
    l->count = 1;
}

/* Give it back once, by its owner. */
static inline void laaos_rlock_give_taken(laaos_rlock *l) {
    if (--l->count) return;
    l->owner = 0;
#ifdef Py_GIL_DISABLED
    l->mutex.unlock();
#else
    if (l->waiters) {
        {
            std::lock_guard<std::mutex> hold(l->wait_mutex);
            l->gives++;
        }
        l->given.notify_all();
    }
#endif
}

/* Whether the calling thread holds it. */
static inline int laaos_rlock_owned(laaos_rlock *l) {
    return l->count && l->owner == PyThread_get_thread_ident();
}

#endif
