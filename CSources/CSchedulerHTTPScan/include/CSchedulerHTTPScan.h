/* CSchedulerHTTPScan: the fast path of SchedulerHTTP's head parser: a whole usual request head in
 * one call (`csched_http_scan_head`), field lines in bulk (`csched_http_field_lines`).
 *
 * `csched_http_field_lines` walks well-formed field lines (RFC 9112 section 5: a token name, a
 * colon, optional whitespace, field bytes, optional whitespace, CRLF or LF) and records where each
 * name and trimmed value sit. It never judges a bad line: it stops in front of anything that is
 * not plainly well-formed (the empty line ending the head, a line cut short by the end of the
 * bytes, a control byte, a bare CR, whitespace before the colon or at the start of a line, a
 * non-token byte in the name) and leaves that line to the Swift parser, which names the error
 * and its byte offset. So the bytes this accepts are exactly the ones the careful path accepts.
 *
 * Field bytes are checked 16 at a time with SSE2 (every x86-64 CPU has it; no -march flag) and a
 * byte at a time elsewhere. Portable C11; no system calls, no allocation. */
#ifndef CSCHEDULER_HTTP_SCAN_H
#define CSCHEDULER_HTTP_SCAN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Where one field line's parts sit, as offsets from the start of the scanned bytes. */
typedef struct csched_http_field_span {
    int32_t name_start;
    int32_t name_end;
    int32_t value_start;
    int32_t value_end;
} csched_http_field_span;

/** Scans well-formed field lines from `p[start]` (the start of a line) up to `p[end]`, writing at
 * most `room` spans to `out`. Returns how many lines it took; `*next` is the offset of the first
 * line it did not take (its start, never inside it). Offsets must fit in int32_t. */
size_t csched_http_field_lines(const uint8_t *p, size_t start, size_t end, csched_http_field_span *out,
                               size_t room, size_t *next);

/** Where a request line's parts sit, as offsets from its first byte. */
typedef struct csched_http_request_line {
    int32_t method_end;
    int32_t target_start;
    int32_t target_end;
    int32_t minor_version;
    int32_t line_end;
} csched_http_request_line;

/** What `csched_http_scan_head` found. */
typedef struct csched_http_head_scan {
    /** The request line. */
    csched_http_request_line line;
    /** Field lines taken (their spans were written). */
    int32_t field_count;
    /** The offset of the first line not taken. */
    int32_t next;
    /** The offset after the empty line when it is the line at `next` (CRLF): the head's end; else -1. */
    int32_t head_end;
    /** Bit k: field line k's name has a framing field's length and first letter (Host, Expect,
     * Upgrade, Connection, Content-Length, Transfer-Encoding), so the parser reads it. */
    uint64_t framing;
} csched_http_head_scan;

/** A request head from `p[0]`: a plainly well-formed request line (a token method, SP, a target of
 * 1 to `max_target` visible ASCII bytes, SP, `HTTP/1.1` or `HTTP/1.0`, CRLF or LF), then up to
 * `room` (at most 64) field lines as `csched_http_field_lines` takes them, then whether the empty
 * line follows. Returns 0 (and writes no span) when the request line is anything else (an empty
 * line first, a line cut short, any error): the parser then goes byte by byte, naming the error
 * and its offset. Offsets must fit in int32_t. */
int csched_http_scan_head(const uint8_t *p, size_t end, size_t max_target, csched_http_field_span *spans,
                          size_t room, csched_http_head_scan *out);

/** A once-set flag for a value built on first use by whichever thread asks first (a request
 * head's swift-http-types value): 0 unset, 1 being stored, 2 stored. Acquire and release order the
 * value's bytes with the flag. */
static inline uint32_t csched_http_once_state(const uint32_t *flag) {
    return __atomic_load_n(flag, __ATOMIC_ACQUIRE);
}

/** Claims the right to store the value (0 -> 1); false when another thread has it. */
static inline int csched_http_once_claim(uint32_t *flag) {
    uint32_t expected = 0;
    return __atomic_compare_exchange_n(flag, &expected, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/** Publishes the stored value (1 -> 2). */
static inline void csched_http_once_publish(uint32_t *flag) {
    __atomic_store_n(flag, 2, __ATOMIC_RELEASE);
}

#ifdef __cplusplus
}
#endif

#endif
