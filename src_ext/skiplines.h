/* The run of lines a partial load passes over, found a block of bytes at a time.
 *
 * A line is passed over when it starts with the `store[KEY]` head of a key the load
 * leaves out and its rest, up to its newline, holds no quote, no '#' and no non-ASCII
 * byte, as many opening brackets as closing ones, and the line (without its newline) is
 * at most max_bytes long: the rule the parser's per-line loop applies, so any other line
 * is left to that loop, which decides it exactly.
 *
 * Three copies of the rest's scan, one chosen when first used: 32 bytes at a time where
 * the processor has AVX2 (GCC and Clang on x86), 16 on any other x86-64 (SSE2), a byte
 * at a time elsewhere.  A block is loaded only where it lies wholly inside the data. */
#ifndef LAAOS_SKIPLINES_H
#define LAAOS_SKIPLINES_H

#include <cstddef>
#include <cstring>

#if defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#define LAAOS_SKIP_SSE2 1
#include <emmintrin.h>
#endif
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__)) && defined(LAAOS_SKIP_SSE2)
#define LAAOS_SKIP_AVX2 1
#include <immintrin.h>
#endif

static inline unsigned laaos_low_bit(unsigned x) {  /* the index of the lowest set bit of x != 0 */
#if defined(_MSC_VER) && !defined(__clang__)
    unsigned long i;
    _BitScanForward(&i, x);
    return (unsigned)i;
#else
    return (unsigned)__builtin_ctz(x);
#endif
}

/* Bits set in 16 bits: a table, as the baseline x86-64 has no popcount instruction. */
struct laaos_pop8_table {
    unsigned char n[256];
    laaos_pop8_table() {
        for (int i = 0; i < 256; i++) {
            int c = 0;
            for (int b = i; b; b >>= 1) c += b & 1;
            n[i] = (unsigned char)c;
        }
    }
};
static const laaos_pop8_table laaos_pop8;

static inline int laaos_pop16(unsigned x) {
    return laaos_pop8.n[x & 0xff] + laaos_pop8.n[(x >> 8) & 0xff];
}

/* The heads are at least 8 bytes (`store[0]`): whole words, the last one overlapping. */
static inline bool laaos_same_head(const char* a, const char* b, std::ptrdiff_t n) {
    unsigned long long x, y;
    std::ptrdiff_t i = 0;
    for (; i + 8 < n; i += 8) {
        std::memcpy(&x, a + i, 8);
        std::memcpy(&y, b + i, 8);
        if (x != y) return false;
    }
    std::memcpy(&x, a + n - 8, 8);
    std::memcpy(&y, b + n - 8, 8);
    return x == y;
}

/* The rest from q on a byte at a time, with the brackets counted so far: its newline, or
 * NULL if it breaks the rule.  [q, stop) ends with a newline. */
static inline const char* laaos_plain_tail(const char* q, long depth) {
    for (;; q++) {
        unsigned char k = (unsigned char)*q;
        if (k == '\n') return depth == 0 ? q : NULL;
        if (k >= 0x80 || k == '#' || k == '\'' || k == '"') return NULL;
        if (k == '(' || k == '[' || k == '{') depth++;
        else if (k == ')' || k == ']' || k == '}') depth--;
    }
}

#ifdef LAAOS_SKIP_SSE2
static inline const char* laaos_plain_rest_sse2(const char* q, const char* stop) {
    long depth = 0;
    const __m128i nl = _mm_set1_epi8('\n'), hash = _mm_set1_epi8('#'), q1 = _mm_set1_epi8('\''),
                  q2 = _mm_set1_epi8('"'), o1 = _mm_set1_epi8('('), o2 = _mm_set1_epi8('['),
                  o3 = _mm_set1_epi8('{'), c1 = _mm_set1_epi8(')'), c2 = _mm_set1_epi8(']'),
                  c3 = _mm_set1_epi8('}');
    while (stop - q >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i*)q);
        unsigned ends = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl));
        unsigned special = (unsigned)_mm_movemask_epi8(_mm_or_si128(  /* the sign bit: non-ASCII */
            v, _mm_or_si128(_mm_cmpeq_epi8(v, hash), _mm_or_si128(_mm_cmpeq_epi8(v, q1), _mm_cmpeq_epi8(v, q2)))));
        unsigned opens = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(v, o1), _mm_or_si128(_mm_cmpeq_epi8(v, o2), _mm_cmpeq_epi8(v, o3))));
        unsigned closes = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(v, c1), _mm_or_si128(_mm_cmpeq_epi8(v, c2), _mm_cmpeq_epi8(v, c3))));
        unsigned before = ends ? (ends & (0u - ends)) - 1 : 0xffffu;  /* the bytes before the newline */
        if (special & before) return NULL;
        depth += laaos_pop16(opens & before) - laaos_pop16(closes & before);
        if (ends) return depth == 0 ? q + laaos_low_bit(ends) : NULL;
        q += 16;
    }
    return laaos_plain_tail(q, depth);
}
#endif

#ifdef LAAOS_SKIP_AVX2
__attribute__((target("avx2,popcnt"))) static inline const char* laaos_plain_rest_avx2(const char* q,
                                                                                      const char* stop) {
    /* Fewer compares, by the bits the characters share: ( ) are 0x28 0x29; [ { are 0x5b
     * 0x7b and ] } 0x5d 0x7d (equal but for 0x20); " # & ' are 0x22 0x23 0x26 0x27 (equal
     * but for 0x05): '&' counts as special too, which only sends its line to the exact
     * loop. */
    long depth = 0;
    const __m256i nl = _mm256_set1_epi8('\n'), quote_bits = _mm256_set1_epi8(0x05), quote = _mm256_set1_epi8(0x27),
                  case_bit = _mm256_set1_epi8((char)0xdf), open = _mm256_set1_epi8('('), close = _mm256_set1_epi8(')'),
                  opens2 = _mm256_set1_epi8('['), closes2 = _mm256_set1_epi8(']');
    while (stop - q >= 32) {
        __m256i v = _mm256_loadu_si256((const __m256i*)q);
        __m256i folded = _mm256_and_si256(v, case_bit);
        unsigned ends = (unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, nl));
        unsigned special = (unsigned)_mm256_movemask_epi8(
            _mm256_or_si256(v, _mm256_cmpeq_epi8(_mm256_or_si256(v, quote_bits), quote)));  /* sign bit: non-ASCII */
        unsigned opens = (unsigned)_mm256_movemask_epi8(
            _mm256_or_si256(_mm256_cmpeq_epi8(v, open), _mm256_cmpeq_epi8(folded, opens2)));
        unsigned closes = (unsigned)_mm256_movemask_epi8(
            _mm256_or_si256(_mm256_cmpeq_epi8(v, close), _mm256_cmpeq_epi8(folded, closes2)));
        unsigned before = ends ? (ends & (0u - ends)) - 1 : 0xffffffffu;
        if (special & before) return NULL;
        depth += __builtin_popcount(opens & before) - __builtin_popcount(closes & before);
        if (ends) return depth == 0 ? q + __builtin_ctz(ends) : NULL;
        q += 32;
    }
    return laaos_plain_tail(q, depth);
}
#endif

/* Passes over the lines from p on (to stop, which follows a newline) that start with one
 * of the n heads and whose rest follows the rule; returns where the first other line
 * starts, and adds the lines passed over to *lines.  The head that followed each head
 * last is tried first: series appended in turn repeat their order. */
#define LAAOS_SKIP_LOOP(REST)                                                                             \
    int next[8] = {0, 0, 0, 0, 0, 0, 0, 0};                                                               \
    int last = 0;                                                                                         \
    std::ptrdiff_t count = 0;                                                                             \
    if (n > 8) n = 8;                                                                                     \
    while (p < stop) {                                                                                    \
        int first = next[last], i = first;                                                                \
        std::ptrdiff_t h = lens[i];                                                                       \
        if (!(stop - p > h && p[h - 2] == heads[i][h - 2] && laaos_same_head(p, heads[i], h))) {          \
            for (i = 0; i < n; i++) { /* then every other head */                                         \
                h = lens[i];                                                                              \
                if (i != first && stop - p > h && p[h - 2] == heads[i][h - 2] && laaos_same_head(p, heads[i], h)) \
                    break;                                                                                \
            }                                                                                             \
            if (i == n) break;                                                                            \
        }                                                                                                 \
        const char* end = REST(p + h, stop);                                                              \
        if (end == NULL || end - p > max_bytes) break;                                                    \
        next[last] = i;                                                                                   \
        last = i;                                                                                         \
        p = end + 1;                                                                                      \
        count++;                                                                                          \
    }                                                                                                     \
    *lines += count;                                                                                      \
    return p;

#ifdef LAAOS_SKIP_SSE2
#define LAAOS_REST_BASE(q, stop) laaos_plain_rest_sse2(q, stop)
#else
#define LAAOS_REST_BASE(q, stop) laaos_plain_tail(q, 0)
#endif

static const char* laaos_skip_lines_base(const char* p, const char* stop, const char* const* heads,
                                         const std::ptrdiff_t* lens, int n, std::ptrdiff_t max_bytes,
                                         std::ptrdiff_t* lines) {
    LAAOS_SKIP_LOOP(LAAOS_REST_BASE)
}

#ifdef LAAOS_SKIP_AVX2
__attribute__((target("avx2,popcnt"))) static const char* laaos_skip_lines_avx2(
    const char* p, const char* stop, const char* const* heads, const std::ptrdiff_t* lens, int n,
    std::ptrdiff_t max_bytes, std::ptrdiff_t* lines) {
    LAAOS_SKIP_LOOP(laaos_plain_rest_avx2)
}
#endif

#ifdef LAAOS_SKIP_AVX2
static bool laaos_has_avx2() {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
}
#endif

static inline const char* laaos_skip_lines(const char* p, const char* stop, const char* const* heads,
                                           const std::ptrdiff_t* lens, int n, std::ptrdiff_t max_bytes,
                                           std::ptrdiff_t* lines) {
#ifdef LAAOS_SKIP_AVX2
    static const bool avx2 = laaos_has_avx2();  /* once, thread-safe (a C++ static) */
    if (avx2) return laaos_skip_lines_avx2(p, stop, heads, lens, n, max_bytes, lines);
#endif
    return laaos_skip_lines_base(p, stop, heads, lens, n, max_bytes, lines);
}

#endif
