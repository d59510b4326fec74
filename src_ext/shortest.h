/* The shortest decimal that reads back as a given double, and the closest such one:
 * the digits and exponent that Python's repr(float) prints.
 *
 * Schubfach (R. Giulietti, "The Schubfach way to render doubles", 2020-2021), as the
 * JDK's DoubleToDecimal does it, but strictly shortest: Java's Double.toString keeps a
 * closer two-digit decimal where a one-digit one exists (its 4.9E-324 and 8.9E-323 are
 * Python's 5e-324 and 9e-323), so this tries the one-digit-fewer candidates from two
 * digits on (Java: from three), and leaves the two smallest subnormals (which Java
 * scales by 10 first) to the caller.  (One step is enough: the candidates are multiples
 * of 10**(k+1), so a shorter decimal in x's interval is one of them, with its zeros.)  It
 * needs a 64x64->128 bit multiply: where the compiler has none, laaos_shortest returns 0
 * and the caller uses std::to_chars.
 *
 * tests/test_twins.py checks the result against repr on the ends of every binade and
 * decade, the smallest subnormals and (slow) 2 million random doubles; tools/memcheck.py
 * `floats` checks 5-20 million under ASan+UBSan (RELIABILITY.md).
 */
#ifndef LAAOS_SHORTEST_H
#define LAAOS_SHORTEST_H

#include <stdint.h>
#include <string.h>

#include "pow10_table.h"

#if defined(__SIZEOF_INT128__)
#define LAAOS_HAVE_SHORTEST 1

static inline uint64_t laaos_mul_high(uint64_t a, uint64_t b) {
    return (uint64_t)(((unsigned __int128)a * b) >> 64);
}

/* floor(log10(2**e)), floor(log10(3/4 * 2**e)), floor(log2(10**e)) for the exponents a
 * double has (the paper's section 9.8.2). */
static inline int laaos_flog10pow2(int e) { return (int)(((int64_t)e * 661971961083LL) >> 41); }
static inline int laaos_flog10_3q_pow2(int e) {
    return (int)(((int64_t)e * 661971961083LL - 274743187321LL) >> 41);
}
static inline int laaos_flog2pow10(int e) { return (int)(((int64_t)e * 913124641741LL) >> 38); }

/* cp * g * 2**-127 rounded to odd, g = g1 * 2**63 + g0 (the paper's figure 8). */
static inline uint64_t laaos_rop(uint64_t g1, uint64_t g0, uint64_t cp) {
    uint64_t x1 = laaos_mul_high(g0, cp);
    uint64_t y0 = g1 * cp;
    uint64_t y1 = laaos_mul_high(g1, cp);
    uint64_t z = (y0 >> 1) + x1;
    uint64_t vbp = y1 + (z >> 63);
    const uint64_t mask63 = ((uint64_t)1 << 63) - 1;
    return vbp | (((z & mask63) + mask63) >> 63);
}

/* For a finite, non-zero |x|: *f and *e with |x| printed shortest = f * 10**e (f may
 * end in zeros).  Returns 0 for the values it leaves to the caller. */
static inline int laaos_shortest(double x, uint64_t *f, int *e) {
    const int P = 53, Q_MIN = -1074;
    const uint64_t C_MIN = (uint64_t)1 << (P - 1);
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    uint64_t t = bits & (C_MIN - 1);
    int bq = (int)((bits >> (P - 1)) & 0x7ff);
    uint64_t c;
    int q;
    if (bq == 0x7ff) return 0;                /* inf, nan */
    if (bq != 0) {
        int mq = -Q_MIN + 1 - bq;             /* x = c * 2**-mq */
        c = C_MIN | t;
        if (0 < mq && mq < P) {               /* an integer below 2**53: itself */
            uint64_t i = c >> mq;
            if (i << mq == c) {
                *f = i;
                *e = 0;
                return 1;
            }
        }
        q = -mq;
    } else {
        if (t < 3) return 0;                  /* 0, and Java's two-digit cases */
        c = t;
        q = Q_MIN;
    }
    int out = (int)(c & 1);
    uint64_t cb = c << 2;
    uint64_t cbr = cb + 2;
    uint64_t cbl;
    int k;
    if (c != C_MIN || q == Q_MIN) {           /* regular spacing */
        cbl = cb - 2;
        k = laaos_flog10pow2(q);
    } else {                                  /* a power of two: the gap below is half */
        cbl = cb - 1;
        k = laaos_flog10_3q_pow2(q);
    }
    int h = q + laaos_flog2pow10(-k) + 2;
    const uint64_t *g = laaos_g[k - LAAOS_K_MIN];
    uint64_t vb = laaos_rop(g[0], g[1], cb << h);
    uint64_t vbl = laaos_rop(g[0], g[1], cbl << h);
    uint64_t vbr = laaos_rop(g[0], g[1], cbr << h);
    uint64_t s = vb >> 2;
    if (s >= 10) {
        /* one digit fewer: u' = 10 floor(s / 10) or w' = u' + 10, if exactly one of them
         * rounds to x (both cannot: x's interval is narrower than 10**(k+1)).  (Java
         * requires s >= 100 here, which keeps two digits where one would do.) */
        uint64_t sp10 = 10 * (s / 10);
        uint64_t tp10 = sp10 + 10;
        int upin = vbl + out <= sp10 << 2;
        int wpin = (tp10 << 2) + out <= vbr;
        if (upin != wpin) {
            *f = upin ? sp10 : tp10;
            *e = k;
            return 1;
        }
    }
    uint64_t tt = s + 1;
    int uin = vbl + out <= s << 2;
    int win = (tt << 2) + out <= vbr;
    if (uin != win) {
        *f = uin ? s : tt;
        *e = k;
        return 1;
    }
    /* both round to x: the closer one, the even one on a tie */
    int64_t cmp = (int64_t)(vb - ((s + tt) << 1));
    *f = (cmp < 0 || (cmp == 0 && (s & 1) == 0)) ? s : tt;
    *e = k;
    return 1;
}

#else
#define LAAOS_HAVE_SHORTEST 0
static inline int laaos_shortest(double, uint64_t *, int *) { return 0; }
#endif

#endif
