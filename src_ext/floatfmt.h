/* Shortest round-trip text of a double, laid out exactly as Python's repr(float).
 *
 * The digits are the shortest that read back to the same double, the closest such on a
 * choice, as Python's own dtoa gives them: shortest.h computes them (Schubfach), and
 * std::to_chars does where it cannot.  repr then uses fixed notation for decimal
 * exponents -4 <= e < 16 and scientific notation otherwise, with at least two exponent
 * digits and ".0" on integral values.  NaN and the infinities become loadable calls.
 */
#ifndef LAAOS_FLOATFMT_H
#define LAAOS_FLOATFMT_H

#include <charconv>
#include <cmath>
#include <cstring>
#include <system_error>

#include "shortest.h"

static const char laaos_digit_pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Exactly 8 digits of v < 10**8 (zero-padded), in independent 32-bit steps. */
static inline void laaos_8digits(uint32_t v, char *p) {
    uint32_t hi = v / 10000, lo = v % 10000;
    memcpy(p, laaos_digit_pairs + 2 * (hi / 100), 2);
    memcpy(p + 2, laaos_digit_pairs + 2 * (hi % 100), 2);
    memcpy(p + 4, laaos_digit_pairs + 2 * (lo / 100), 2);
    memcpy(p + 6, laaos_digit_pairs + 2 * (lo % 100), 2);
}

/* The digits of v < 10**8 without leading zeros; returns their count. */
static inline int laaos_small_digits(uint32_t v, char *p) {
    if (v < 10) {  /* the first digit of a 17-digit mantissa */
        p[0] = (char)('0' + v);
        return 1;
    }
    char tmp[8];
    laaos_8digits(v, tmp);
    int skip = 0;
    while (skip < 7 && tmp[skip] == '0') skip++;
    memcpy(p, tmp + skip, 8 - skip);
    return 8 - skip;
}

/* The decimal digits of f > 0, with no trailing zeros, into digits (at most 20);
 * returns their count and adds the zeros dropped to *exp10. */
static inline int laaos_u64_digits(uint64_t f, char *digits, int *exp10) {
    int n;
    if (f < 100000000u) {
        n = laaos_small_digits((uint32_t)f, digits);
    } else {
        uint64_t hi = f / 100000000u;
        uint32_t lo = (uint32_t)(f % 100000000u);
        if (hi < 100000000u) {
            n = laaos_small_digits((uint32_t)hi, digits);
        } else {
            n = laaos_small_digits((uint32_t)(hi / 100000000u), digits);
            laaos_8digits((uint32_t)(hi % 100000000u), digits + n);
            n += 8;
        }
        laaos_8digits(lo, digits + n);
        n += 8;
    }
    while (digits[n - 1] == '0') {
        n--;
        (*exp10)++;
    }
    return n;
}

/* digits d1..dn (no trailing zeros) meaning 0.d1d2...dn * 10**decpt, laid out as repr
 * lays it out after the sign; returns the length written to out. */
static inline int laaos_layout(const char *digits, int nd, int decpt, char *out) {
    int n = 0;
    if (decpt > -4 && decpt <= 16) {
        /* fixed notation */
        if (decpt <= 0) {
            out[n++] = '0';
            out[n++] = '.';
            for (int i = 0; i < -decpt; i++) out[n++] = '0';
            memcpy(out + n, digits, nd);
            n += nd;
        } else if (decpt >= nd) {
            memcpy(out + n, digits, nd);
            n += nd;
            for (int i = nd; i < decpt; i++) out[n++] = '0';
            out[n++] = '.';
            out[n++] = '0';
        } else {
            memcpy(out + n, digits, decpt);
            n += decpt;
            out[n++] = '.';
            memcpy(out + n, digits + decpt, nd - decpt);
            n += nd - decpt;
        }
        return n;
    }
    out[n++] = digits[0];
    if (nd > 1) {
        out[n++] = '.';
        memcpy(out + n, digits + 1, nd - 1);
        n += nd - 1;
    }
    out[n++] = 'e';
    int e = decpt - 1;
    if (e < 0) { out[n++] = '-'; e = -e; }
    else out[n++] = '+';
    if (e >= 100) {
        out[n++] = (char)('0' + e / 100);
        e %= 100;
    }
    out[n++] = (char)('0' + e / 10);
    out[n++] = (char)('0' + e % 10);
    return n;
}

/* The shortest digits by std::to_chars: for what laaos_shortest leaves. */
static inline int laaos_digits_to_chars(double ax, char *digits, int *decpt) {
    char sci[40];
    auto res = std::to_chars(sci, sci + sizeof(sci), ax, std::chars_format::scientific);
    char *end = res.ptr;
    char *p = sci;
    int nd = 0;
    while (p < end && *p != 'e') {
        if (*p != '.') digits[nd++] = *p;
        p++;
    }
    int exp10 = 0;
    if (p < end) {
        p++;  /* 'e' */
        int sign = 1;
        if (*p == '-') { sign = -1; p++; }
        else if (*p == '+') { p++; }
        while (p < end) exp10 = exp10 * 10 + (*p++ - '0');
        exp10 *= sign;
    }
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    *decpt = exp10 + 1;
    return nd;
}

/* Writes at most 40 bytes to out; returns the length. */
static inline int laaos_format_double(double x, char *out) {
    if (std::isnan(x)) {
        memcpy(out, "float('nan')", 12);
        return 12;
    }
    if (std::isinf(x)) {
        if (x > 0) {
            memcpy(out, "float('inf')", 12);
            return 12;
        }
        memcpy(out, "-float('inf')", 13);
        return 13;
    }
    int n = 0;
    if (std::signbit(x)) out[n++] = '-';
    if (x == 0) {
        memcpy(out + n, "0.0", 3);
        return n + 3;
    }
    char digits[24];
    int nd, decpt;
    uint64_t f;
    int e;
    if (laaos_shortest(x, &f, &e)) {
        nd = laaos_u64_digits(f, digits, &e);
        decpt = nd + e;
    } else {
        nd = laaos_digits_to_chars(std::fabs(x), digits, &decpt);
    }
    return n + laaos_layout(digits, nd, decpt, out + n);
}

/* Parses the decimal double that starts at first (ends at most at last), correctly
 * rounded as float() does; returns where it ends, or NULL when there is none (the
 * caller hands the text to the pure parser).  The caller has checked that first holds
 * digits, with at most a '-' before them: from_chars then reads exactly what Python's
 * float literal is (no '+', no "inf", no hex in the general format). */
static inline const char *laaos_parse_double(const char *first, const char *last, double *out) {
    auto res = std::from_chars(first, last, *out);
    return res.ec == std::errc() ? res.ptr : nullptr;
}

#endif
