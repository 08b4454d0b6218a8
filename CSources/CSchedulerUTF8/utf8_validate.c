/* UTF-8 validation: the lookup algorithm on AVX2 and SSSE3, a scalar loop elsewhere.
 * See include/CSchedulerUTF8.h for the contract. Written for this project from the paper
 * (Keiser and Lemire, "Validating UTF-8 in less than one instruction per byte", Software:
 * Practice and Experience 51(5), 2021). */
#include "CSchedulerUTF8.h"

#include <stdatomic.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------
 * Scalar: Unicode's table 3-7, one character at a time, ASCII skipped eight bytes at a time.
 * Returns 0 when bytes[0..<count] is UTF-8 ending on a character boundary, -1 otherwise. */
static long scalar_check_complete(const uint8_t *bytes, size_t count) {
    size_t i = 0;
    while (i < count) {
        uint8_t b0 = bytes[i];
        if (b0 < 0x80) {
            while (i + 8 <= count) {
                uint64_t word;
                memcpy(&word, bytes + i, 8);
                if (word & 0x8080808080808080ull) break;
                i += 8;
            }
            while (i < count && bytes[i] < 0x80) i++;
            continue;
        }
        size_t left = count - i;
        if (b0 < 0xE0) {
            if (b0 < 0xC2 || left < 2 || (bytes[i + 1] & 0xC0) != 0x80) return -1; /* C0/C1: overlong */
            i += 2;
        } else if (b0 < 0xF0) {
            uint8_t low = b0 == 0xE0 ? 0xA0 : 0x80;  /* E0 80-9F: overlong */
            uint8_t high = b0 == 0xED ? 0x9F : 0xBF; /* ED A0-BF: surrogates D800-DFFF */
            if (left < 3 || bytes[i + 1] < low || bytes[i + 1] > high || (bytes[i + 2] & 0xC0) != 0x80)
                return -1;
            i += 3;
        } else {
            uint8_t low = b0 == 0xF0 ? 0x90 : 0x80;  /* F0 80-8F: overlong */
            uint8_t high = b0 == 0xF4 ? 0x8F : 0xBF; /* F4 90-BF: above U+10FFFF */
            if (b0 > 0xF4 || left < 4 || bytes[i + 1] < low || bytes[i + 1] > high ||
                (bytes[i + 2] & 0xC0) != 0x80 || (bytes[i + 3] & 0xC0) != 0x80)
                return -1;
            i += 4;
        }
    }
    return 0;
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

/* The error classes of a pair of bytes (the one before, the current one). Each table below
 * sets, for its nibble, the classes that nibble allows; a pair is in error when all three
 * tables agree on a class. */
/* TOO_SHORT: 11______ 0_______ or 11______ 11______, a lead byte not followed by a continuation. */
#define TOO_SHORT      (1 << 0)
#define TOO_LONG       (1 << 1) /* 0_______ 10______: a continuation after ASCII */
#define OVERLONG_3     (1 << 2) /* 11100000 100_____ */
#define TOO_LARGE      (1 << 3) /* 11110100 1001____ and above: beyond U+10FFFF */
#define SURROGATE      (1 << 4) /* 11101101 101_____ */
#define OVERLONG_2     (1 << 5) /* 1100000_ 10______ */
#define TOO_LARGE_1000 (1 << 6) /* 11110101 1000____ and above */
#define OVERLONG_4     (1 << 6) /* 11110000 1000____ */
#define TWO_CONTS      (1 << 7) /* 10______ 10______: right only as the third or fourth byte */
#define CARRY          (TOO_SHORT | TOO_LONG | TWO_CONTS)

/* The tables, indexed by the previous byte's high nibble, its low nibble, and the current
 * byte's high nibble (ranges in brackets are a GNU C extension that GCC and Clang share). */
static const uint8_t byte_1_high_table[16] = {
    [0x0 ... 0x7] = TOO_LONG,  /* ASCII */
    [0x8 ... 0xB] = TWO_CONTS, /* a continuation byte */
    [0xC] = TOO_SHORT | OVERLONG_2,
    [0xD] = TOO_SHORT,
    [0xE] = TOO_SHORT | OVERLONG_3 | SURROGATE,
    [0xF] = TOO_SHORT | TOO_LARGE | TOO_LARGE_1000 | OVERLONG_4,
};
static const uint8_t byte_1_low_table[16] = {
    [0x0] = CARRY | OVERLONG_3 | OVERLONG_2 | OVERLONG_4,
    [0x1] = CARRY | OVERLONG_2,
    [0x2 ... 0x3] = CARRY,
    [0x4] = CARRY | TOO_LARGE,
    [0x5 ... 0xC] = CARRY | TOO_LARGE | TOO_LARGE_1000,
    [0xD] = CARRY | TOO_LARGE | TOO_LARGE_1000 | SURROGATE,
    [0xE ... 0xF] = CARRY | TOO_LARGE | TOO_LARGE_1000,
};
static const uint8_t byte_2_high_table[16] = {
    [0x0 ... 0x7] = TOO_SHORT,
    [0x8] = TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE_1000 | OVERLONG_4,
    [0x9] = TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE,
    [0xA ... 0xB] = TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE,
    [0xC ... 0xF] = TOO_SHORT,
};

/* The last bytes of a register that leave a character unfinished: the last byte >= C0, the one
 * before >= E0, or the one before that >= F0 (saturating subtraction leaves a non-zero byte). */
#define INCOMPLETE_TAIL (char)0xEF, (char)0xDF, (char)0xBF

/* ---- SSSE3: 16-byte registers, four per 64-byte block. ---- */

#define SSSE3 __attribute__((target("ssse3")))

SSSE3 static inline __m128i ssse3_check_pair(__m128i input, __m128i previous) {
    const __m128i nibble = _mm_set1_epi8(0x0F);
    __m128i prev1 = _mm_alignr_epi8(input, previous, 15);
    __m128i byte_1_high = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)byte_1_high_table),
                                           _mm_and_si128(_mm_srli_epi16(prev1, 4), nibble));
    __m128i byte_1_low =
        _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)byte_1_low_table), _mm_and_si128(prev1, nibble));
    __m128i byte_2_high = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)byte_2_high_table),
                                           _mm_and_si128(_mm_srli_epi16(input, 4), nibble));
    __m128i special = _mm_and_si128(_mm_and_si128(byte_1_high, byte_1_low), byte_2_high);
    /* Where the byte two back starts a 3- or 4-byte character, or the byte three back a 4-byte
     * one, this byte must be a continuation after a continuation (TWO_CONTS); anywhere else
     * TWO_CONTS is an error. The xor leaves 0x80 in both wrong cases. */
    __m128i prev2 = _mm_alignr_epi8(input, previous, 14);
    __m128i prev3 = _mm_alignr_epi8(input, previous, 13);
    __m128i third = _mm_subs_epu8(prev2, _mm_set1_epi8((char)(0xE0 - 0x80)));
    __m128i fourth = _mm_subs_epu8(prev3, _mm_set1_epi8((char)(0xF0 - 0x80)));
    __m128i must_continue = _mm_and_si128(_mm_or_si128(third, fourth), _mm_set1_epi8((char)0x80));
    return _mm_xor_si128(must_continue, special);
}

SSSE3 static inline __m128i ssse3_incomplete(__m128i input) {
    const __m128i max = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, INCOMPLETE_TAIL);
    return _mm_subs_epu8(input, max);
}

/* Runs one 64-byte block through the check; updates the error, the last register and whether
 * it ended inside a character. */
SSSE3 static inline void ssse3_block(const uint8_t *block, __m128i *error, __m128i *previous,
                                     __m128i *incomplete) {
    __m128i a = _mm_loadu_si128((const __m128i *)block);
    __m128i b = _mm_loadu_si128((const __m128i *)(block + 16));
    __m128i c = _mm_loadu_si128((const __m128i *)(block + 32));
    __m128i d = _mm_loadu_si128((const __m128i *)(block + 48));
    if (_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(a, b), _mm_or_si128(c, d))) == 0) {
        /* All ASCII: fine unless the block before ended inside a character. */
        *error = _mm_or_si128(*error, *incomplete);
        *incomplete = _mm_setzero_si128();
    } else {
        __m128i e = _mm_or_si128(ssse3_check_pair(a, *previous), ssse3_check_pair(b, a));
        e = _mm_or_si128(e, _mm_or_si128(ssse3_check_pair(c, b), ssse3_check_pair(d, c)));
        *error = _mm_or_si128(*error, e);
        *incomplete = ssse3_incomplete(d);
    }
    *previous = d;
}

SSSE3 static long ssse3_check_complete(const uint8_t *bytes, size_t count) {
    __m128i error = _mm_setzero_si128(), previous = _mm_setzero_si128(), incomplete = _mm_setzero_si128();
    size_t i = 0;
    for (; i + 64 <= count; i += 64) ssse3_block(bytes + i, &error, &previous, &incomplete);
    if (i < count) {
        /* The rest, zero-padded: a character cut off by the end meets a zero and fails. */
        uint8_t last[64] = {0};
        memcpy(last, bytes + i, count - i);
        ssse3_block(last, &error, &previous, &incomplete);
    }
    error = _mm_or_si128(error, incomplete);
    return _mm_movemask_epi8(_mm_cmpeq_epi8(error, _mm_setzero_si128())) == 0xFFFF ? 0 : -1;
}

/* ---- AVX2: 32-byte registers, two per 64-byte block. ---- */

#define AVX2 __attribute__((target("avx2")))

/* The register made of the last n bytes of `previous` and the first 32 - n of `input`. */
#define AVX2_PREVIOUS(input, previous, n)                                                                    \
    _mm256_alignr_epi8((input), _mm256_permute2x128_si256((previous), (input), 0x21), 16 - (n))

AVX2 static inline __m256i avx2_check_pair(__m256i input, __m256i previous) {
    const __m256i nibble = _mm256_set1_epi8(0x0F);
    __m256i prev1 = AVX2_PREVIOUS(input, previous, 1);
    __m256i byte_1_high =
        _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)byte_1_high_table)),
                            _mm256_and_si256(_mm256_srli_epi16(prev1, 4), nibble));
    __m256i byte_1_low =
        _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)byte_1_low_table)),
                            _mm256_and_si256(prev1, nibble));
    __m256i byte_2_high =
        _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)byte_2_high_table)),
                            _mm256_and_si256(_mm256_srli_epi16(input, 4), nibble));
    __m256i special = _mm256_and_si256(_mm256_and_si256(byte_1_high, byte_1_low), byte_2_high);
    __m256i prev2 = AVX2_PREVIOUS(input, previous, 2);
    __m256i prev3 = AVX2_PREVIOUS(input, previous, 3);
    __m256i third = _mm256_subs_epu8(prev2, _mm256_set1_epi8((char)(0xE0 - 0x80)));
    __m256i fourth = _mm256_subs_epu8(prev3, _mm256_set1_epi8((char)(0xF0 - 0x80)));
    __m256i must_continue = _mm256_and_si256(_mm256_or_si256(third, fourth), _mm256_set1_epi8((char)0x80));
    return _mm256_xor_si256(must_continue, special);
}

AVX2 static inline __m256i avx2_incomplete(__m256i input) {
    const __m256i max = _mm256_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                         -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, INCOMPLETE_TAIL);
    return _mm256_subs_epu8(input, max);
}

AVX2 static inline void avx2_block(const uint8_t *block, __m256i *error, __m256i *previous,
                                   __m256i *incomplete) {
    __m256i a = _mm256_loadu_si256((const __m256i *)block);
    __m256i b = _mm256_loadu_si256((const __m256i *)(block + 32));
    if (_mm256_movemask_epi8(_mm256_or_si256(a, b)) == 0) {
        *error = _mm256_or_si256(*error, *incomplete);
        *incomplete = _mm256_setzero_si256();
    } else {
        __m256i e = _mm256_or_si256(avx2_check_pair(a, *previous), avx2_check_pair(b, a));
        *error = _mm256_or_si256(*error, e);
        *incomplete = avx2_incomplete(b);
    }
    *previous = b;
}

AVX2 static long avx2_check_complete(const uint8_t *bytes, size_t count) {
    __m256i error = _mm256_setzero_si256(), previous = _mm256_setzero_si256(),
            incomplete = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 64 <= count; i += 64) avx2_block(bytes + i, &error, &previous, &incomplete);
    if (i < count) {
        uint8_t last[64] = {0};
        memcpy(last, bytes + i, count - i);
        avx2_block(last, &error, &previous, &incomplete);
    }
    error = _mm256_or_si256(error, incomplete);
    return _mm256_testz_si256(error, error) ? 0 : -1;
}

#define HAVE_X86_KERNELS 1
#endif

/* ---------------------------------------------------------------------------------------------
 * Dispatch. */

typedef long (*check_complete_fn)(const uint8_t *, size_t);

static int kernel_supported(int kernel) {
    switch (kernel) {
    case CSCHED_UTF8_KERNEL_SCALAR: return 1;
#ifdef HAVE_X86_KERNELS
    case CSCHED_UTF8_KERNEL_SSSE3: __builtin_cpu_init(); return __builtin_cpu_supports("ssse3");
    case CSCHED_UTF8_KERNEL_AVX2: __builtin_cpu_init(); return __builtin_cpu_supports("avx2");
#endif
    default: return 0;
    }
}

static check_complete_fn kernel_function(int kernel) {
    switch (kernel) {
#ifdef HAVE_X86_KERNELS
    case CSCHED_UTF8_KERNEL_SSSE3: return ssse3_check_complete;
    case CSCHED_UTF8_KERNEL_AVX2: return avx2_check_complete;
#endif
    default: return scalar_check_complete;
    }
}

int csched_utf8_best_kernel(void) {
    static _Atomic int best = 0; /* 0: not yet known */
    int known = atomic_load_explicit(&best, memory_order_relaxed);
    if (known) return known;
    known = kernel_supported(CSCHED_UTF8_KERNEL_AVX2)    ? CSCHED_UTF8_KERNEL_AVX2
            : kernel_supported(CSCHED_UTF8_KERNEL_SSSE3) ? CSCHED_UTF8_KERNEL_SSSE3
                                                         : CSCHED_UTF8_KERNEL_SCALAR;
    atomic_store_explicit(&best, known, memory_order_relaxed);
    return known;
}

/* How many bytes at the end start a character that needs more than are there (0...3). */
static size_t unfinished_tail(const uint8_t *bytes, size_t count) {
    for (size_t back = 1; back <= 3 && back <= count; back++) {
        uint8_t byte = bytes[count - back];
        if (byte < 0x80) return 0;
        if (byte >= 0xC0) {
            size_t length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2;
            return length > back ? back : 0;
        }
    }
    return 0;
}

static long check_with(check_complete_fn check, const uint8_t *bytes, size_t count) {
    size_t tail = unfinished_tail(bytes, count);
    return check(bytes, count - tail) < 0 ? -1 : (long)tail;
}

long csched_utf8_check(const uint8_t *bytes, size_t count) {
    /* Short pieces (control frames' reasons, tiny messages) skip the padded SIMD block. */
    if (count < 16) return check_with(scalar_check_complete, bytes, count);
    return check_with(kernel_function(csched_utf8_best_kernel()), bytes, count);
}

long csched_utf8_check_with(int kernel, const uint8_t *bytes, size_t count) {
    if (kernel == CSCHED_UTF8_KERNEL_BEST) kernel = csched_utf8_best_kernel();
    if (!kernel_supported(kernel)) return -2;
    return check_with(kernel_function(kernel), bytes, count);
}
