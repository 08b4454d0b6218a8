/* The scanners behind CSchedulerHTTPScan's entry points, inline so that each entry point is one
 * function: field lines (field_lines.c) and whole request heads (head.c).
 * Private to this target. */
#ifndef CSCHEDULER_HTTP_SCAN_INLINE_H
#define CSCHEDULER_HTTP_SCAN_INLINE_H

#include "CSchedulerHTTPScan.h"

#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* tchar (RFC 9110 section 5.6.2): "!#$%&'*+-.^_`|~", digits and letters. */
static const uint8_t tchar[256] = {
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1, ['+'] = 1,
    ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1, ['~'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1,
    ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
    ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1,
    ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
    ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

/* A field byte: HTAB, SP, VCHAR, obs-text (anything but the other controls and DEL). */
static inline int is_field_byte(uint8_t b) { return (b >= 0x20 && b != 0x7F) || b == 0x09; }

/* The offset of the first byte in [i, end) that is not a field byte, or `end`. */
static inline size_t field_bytes_end(const uint8_t *p, size_t i, size_t end) {
#if defined(__SSE2__)
    const __m128i below = _mm_set1_epi8(0x1F), tab = _mm_set1_epi8(0x09), del = _mm_set1_epi8(0x7F);
    while (i + 16 <= end) {
        __m128i x = _mm_loadu_si128((const __m128i *)(p + i));
        /* b <= 0x1F unsigned: min(b, 0x1F) == b. */
        __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(x, below), x);
        control = _mm_andnot_si128(_mm_cmpeq_epi8(x, tab), control);
        unsigned mask = (unsigned)_mm_movemask_epi8(_mm_or_si128(control, _mm_cmpeq_epi8(x, del)));
        if (mask != 0) return i + (size_t)__builtin_ctz(mask);
        i += 16;
    }
    if (i < end && end >= 16) {
        /* The last few bytes of the buffer (often the head's last value and its CRLF CRLF): the
         * sixteen bytes that end at `end`, read once more from where they start (no byte outside
         * the buffer, no copy), with the bits of the bytes before `i` shifted out. */
        size_t back = end - 16;
        __m128i x = _mm_loadu_si128((const __m128i *)(p + back));
        __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(x, below), x);
        control = _mm_andnot_si128(_mm_cmpeq_epi8(x, tab), control);
        unsigned mask = (unsigned)_mm_movemask_epi8(_mm_or_si128(control, _mm_cmpeq_epi8(x, del)));
        mask = (mask >> (i - back)) | (1u << (end - i));
        return i + (size_t)__builtin_ctz(mask);
    }
    while (i < end && is_field_byte(p[i])) i++;
    return i;
#else
    while (i < end && is_field_byte(p[i])) i++;
    return i;
#endif
}

/* The offset of the first byte in [i, end) that is not a tchar, or `end`; `*colon` says whether
 * that byte is the colon that ends a name. Sixteen bytes at a time while they are letters, digits
 * and "-" (nearly every name): one test per register instead of a branch per byte; the rare other
 * token characters take the table. */
static inline size_t name_end(const uint8_t *p, size_t i, size_t end, int *colon) {
#if defined(__SSE2__)
    const __m128i lower = _mm_set1_epi8(0x20), a = _mm_set1_epi8('a'), z = _mm_set1_epi8('z' - 'a');
    const __m128i zero = _mm_set1_epi8('0'), nine = _mm_set1_epi8(9), dash = _mm_set1_epi8('-');
    while (i + 16 <= end) {
        __m128i x = _mm_loadu_si128((const __m128i *)(p + i));
        /* v in [lo, lo + span] unsigned: min(v - lo, span) == v - lo. */
        __m128i l = _mm_sub_epi8(_mm_or_si128(x, lower), a);
        __m128i letter = _mm_cmpeq_epi8(_mm_min_epu8(l, z), l);
        __m128i d = _mm_sub_epi8(x, zero);
        __m128i digit = _mm_cmpeq_epi8(_mm_min_epu8(d, nine), d);
        __m128i common = _mm_or_si128(_mm_or_si128(letter, digit), _mm_cmpeq_epi8(x, dash));
        unsigned other = ~(unsigned)_mm_movemask_epi8(common) & 0xFFFFu;
        if (other == 0) {
            i += 16;
            continue;
        }
        unsigned at = (unsigned)__builtin_ctz(other);
        i += at;
        /* The usual end, told by the same register: no byte to load again. */
        if (((unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(':'))) >> at) & 1) {
            *colon = 1;
            return i;
        }
        break;
    }
#endif
    while (i < end && tchar[p[i]]) i++;
    *colon = i < end && p[i] == ':';
    return i;
}

/* See csched_http_field_lines. */
static inline size_t scan_field_lines(const uint8_t *p, size_t start, size_t end, csched_http_field_span *out,
                                      size_t room, size_t *next) {
    size_t taken = 0, line = start;
    while (taken < room && line < end) {
        size_t i = line;
        /* name = 1*tchar ":" (a line starting with whitespace, CR or LF stops here) */
        int colon;
        i = name_end(p, i, end, &colon);
        if (i == line || !colon) break;
        size_t name_end = i++;
        /* Whitespace is a field byte: the value's end is found from right after the colon (no
         * wait for the leading whitespace to be skipped first), and both ends trimmed after. */
        size_t value_start = i;
        i = field_bytes_end(p, i, end);
        if (i >= end) break; /* cut short: more bytes may come */
        size_t content_end = i, after;
        if (p[i] == '\n') {
            after = i + 1;
        } else if (p[i] == '\r' && i + 1 < end && p[i + 1] == '\n') {
            after = i + 2;
        } else {
            break; /* a control byte, a bare CR, or a CR at the end of the bytes */
        }
        while (value_start < content_end && (p[value_start] == ' ' || p[value_start] == '\t')) value_start++;
        size_t value_end = content_end;
        while (value_end > value_start && (p[value_end - 1] == ' ' || p[value_end - 1] == '\t')) value_end--;
        out[taken].name_start = (int32_t)line;
        out[taken].name_end = (int32_t)name_end;
        out[taken].value_start = (int32_t)value_start;
        out[taken].value_end = (int32_t)value_end;
        taken++;
        line = after;
    }
    *next = line;
    return taken;
}


/* The offset of the first byte in [i, end) that is not visible ASCII (0x21-0x7E), or `end`. */
static inline size_t vchar_end(const uint8_t *p, size_t i, size_t end) {
#if defined(__SSE2__)
    const __m128i lo = _mm_set1_epi8((char)(0x21 - 1)), hi = _mm_set1_epi8((char)(0x7E + 1));
    while (i + 16 <= end) {
        __m128i x = _mm_loadu_si128((const __m128i *)(p + i));
        /* Signed compares: bytes from 0x80 up are negative, so they fail "> 0x20" as controls do. */
        __m128i ok = _mm_and_si128(_mm_cmpgt_epi8(x, lo), _mm_cmplt_epi8(x, hi));
        unsigned bad = ~(unsigned)_mm_movemask_epi8(ok) & 0xFFFFu;
        if (bad != 0) return i + (size_t)__builtin_ctz(bad);
        i += 16;
    }
#endif
    while (i < end && (uint8_t)(p[i] - 0x21) < 0x5E) i++;
    return i;
}

/* A plainly well-formed request line at p[0] (see csched_http_scan_head); 0 for anything else. */
static inline int scan_request_line(const uint8_t *p, size_t end, size_t max_target, csched_http_request_line *out) {
    size_t i = 0;
    while (i < end && tchar[p[i]]) i++;
    if (i == 0 || i >= end || p[i] != ' ') return 0;
    size_t method_end = i++;
    size_t target_start = i;
    i = vchar_end(p, i, end);
    if (i == target_start || i - target_start > max_target || i >= end || p[i] != ' ') return 0;
    size_t target_end = i++;
    if (i + 9 > end) return 0;
    /* "HTTP/1.1" or "HTTP/1.0" as one eight-byte word (memcpy: an unaligned load). */
    uint64_t version, http11, http10;
    memcpy(&version, p + i, 8);
    memcpy(&http11, "HTTP/1.1", 8);
    memcpy(&http10, "HTTP/1.0", 8);
    if (version != http11 && version != http10) return 0;
    uint8_t minor = p[i + 7];
    i += 8;
    if (p[i] == '\n') {
        i += 1;
    } else if (p[i] == '\r' && i + 1 < end && p[i + 1] == '\n') {
        i += 2;
    } else {
        return 0;
    }
    out->method_end = (int32_t)method_end;
    out->target_start = (int32_t)target_start;
    out->target_end = (int32_t)target_end;
    out->minor_version = minor - '0';
    out->line_end = (int32_t)i;
    return 1;
}

#endif
