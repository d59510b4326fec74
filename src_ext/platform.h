/* The few OS calls the writer makes, on POSIX and on Windows. */
#ifndef LAAOS_PLATFORM_H
#define LAAOS_PLATFORM_H

#include <chrono>
#include <cstddef>
#include <ctime>

#ifdef _WIN32
#include <io.h>
#include <limits.h>
static inline long long laaos_write(int fd, const void *buf, size_t count) {
    unsigned int n = count > (size_t)INT_MAX ? (unsigned int)INT_MAX : (unsigned int)count;
    return _write(fd, buf, n);
}
static inline int laaos_truncate(int fd, long long length) {
    return _chsize_s(fd, length) == 0 ? 0 : -1;
}
#else
#include <unistd.h>
static inline long long laaos_write(int fd, const void *buf, size_t count) {
    return (long long)write(fd, buf, count);
}
static inline int laaos_truncate(int fd, long long length) {
    return ftruncate(fd, (off_t)length);
}
#endif

/* Seconds on a clock that never goes back, read on every buffered statement: so the
 * cheapest one there is.  Linux's coarse clock costs a few ns where the precise one can
 * cost 50 (a virtualized clock source); its resolution of a few ms is plenty for a flush
 * interval. */
#if defined(__linux__) && defined(CLOCK_MONOTONIC_COARSE)
static inline double laaos_monotonic(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
#else
static inline double laaos_monotonic(void) {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}
#endif

#endif
