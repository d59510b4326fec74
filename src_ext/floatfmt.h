/* Shortest round-trip text of a double, laid out exactly as Python's repr(float).
 *
 * std::to_chars gives the shortest digits that read back to the same double (as
 * Python's own dtoa does); repr then uses fixed notation for decimal exponents
 * -4 <= e < 16 and scientific notation otherwise, with at least two exponent digits and
 * ".0" on integral values.  NaN and the infinities become loadable calls.
 */
#ifndef LAAOS_FLOATFMT_H
#define LAAOS_FLOATFMT_H

#include <charconv>
#include <cmath>
#include <cstring>
#include <system_error>

/* Writes at most 40 bytes to out; returns the length. */
static inline int laaos_format_double(double x, char *out) {
    if (std::isnan(x)) {
        std::memcpy(out, "float('nan')", 12);
        return 12;
    }
    if (std::isinf(x)) {
        if (x > 0) {
            std::memcpy(out, "float('inf')", 12);
            return 12;
        }
        std::memcpy(out, "-float('inf')", 13);
        return 13;
    }
    double ax = std::fabs(x);
    if (ax == 0.0 || (ax >= 1e-4 && ax < 1e16)) {
        /* repr's fixed range.  The shortest digits that read back to x are the same in
         * either notation, and they cannot read as a power of ten past either bound (that
         * would be another double), so to_chars' shortest fixed form has repr's digits;
         * repr adds ".0" to an integral value.  (Twice as fast as re-laying out the
         * scientific form below, and this is the common case of a logged metric.) */
        auto res = std::to_chars(out, out + 40, x, std::chars_format::fixed);
        int n = (int)(res.ptr - out);
        /* (Below 1e16 a double's shortest form has no '.' exactly when it is integral:
         * where doubles are 1 or more apart all are integers, and where they are closer
         * every integer is a double of its own, so no other double reads as one.) */
        if (x == (double)(long long)x) {
            out[n++] = '.';
            out[n++] = '0';
        }
        return n;
    }
    char sci[40];
    auto res = std::to_chars(sci, sci + sizeof(sci), x, std::chars_format::scientific);
    char *end = res.ptr;
    char *p = sci;
    int n = 0;
    if (*p == '-') {
        out[n++] = '-';
        p++;
    }
    /* sci is d[.ddd]e(+|-)XX: collect the digits and the exponent */
    char digits[20];
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
    /* strip trailing zeros of the mantissa (to_chars gives none but "0e+00") */
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    int decpt = exp10 + 1; /* digits are 0.d1d2... * 10**decpt */
    if (decpt > -4 && decpt <= 16) {
        /* fixed notation */
        if (decpt <= 0) {
            out[n++] = '0';
            out[n++] = '.';
            for (int i = 0; i < -decpt; i++) out[n++] = '0';
            std::memcpy(out + n, digits, nd);
            n += nd;
        } else if (decpt >= nd) {
            std::memcpy(out + n, digits, nd);
            n += nd;
            for (int i = nd; i < decpt; i++) out[n++] = '0';
            out[n++] = '.';
            out[n++] = '0';
        } else {
            std::memcpy(out + n, digits, decpt);
            n += decpt;
            out[n++] = '.';
            std::memcpy(out + n, digits + decpt, nd - decpt);
            n += nd - decpt;
        }
        return n;
    }
    out[n++] = digits[0];
    if (nd > 1) {
        out[n++] = '.';
        std::memcpy(out + n, digits + 1, nd - 1);
        n += nd - 1;
    }
    out[n++] = 'e';
    int e = decpt - 1;
    if (e < 0) { out[n++] = '-'; e = -e; }
    else out[n++] = '+';
    if (e >= 100) {
        out[n++] = (char)('0' + e / 100);
        e %= 100;
        out[n++] = (char)('0' + e / 10);
        out[n++] = (char)('0' + e % 10);
    } else {
        out[n++] = (char)('0' + e / 10);
        out[n++] = (char)('0' + e % 10);
    }
    return n;
}

/* Parses exactly first..last as a decimal double, correctly rounded as float() does.
 * Returns 0 when it is not one (the caller hands the text to the pure parser). */
static inline int laaos_parse_double(const char *first, const char *last, double *out) {
    auto res = std::from_chars(first, last, *out);
    return res.ec == std::errc() && res.ptr == last;
}

#endif
