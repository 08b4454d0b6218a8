/* CSchedulerUTF8: UTF-8 validation for WebSocket text messages (RFC 6455 section 8.1), fast on
 * whole buffers. Behind SchedulerHTTP's UTF8Validator, which handles a character split between
 * two pieces and calls this on the rest.
 *
 * The check is Keiser and Lemire's "lookup" algorithm ("Validating UTF-8 in less than one
 * instruction per byte", 2021): three 16-entry table lookups on the high and low nibbles of each
 * byte and of the byte before it classify every pair of bytes, and the bytes two and three back
 * say where a continuation byte must be. Kernels: AVX2 (32 bytes per register) and SSSE3 (16),
 * picked at run time from what the CPU supports (no -march flag), and a scalar loop everywhere
 * else. Portable C11 otherwise; no system calls, no errno. */
#ifndef CSCHEDULER_UTF8_H
#define CSCHEDULER_UTF8_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The implementations, for tests and benchmarks that want one in particular. */
enum csched_utf8_kernel {
    /** The fastest one this CPU supports. */
    CSCHED_UTF8_KERNEL_BEST = 0,
    /** A byte-at-a-time state machine with an eight-byte ASCII skip; runs everywhere. */
    CSCHED_UTF8_KERNEL_SCALAR = 1,
    /** The lookup algorithm on 16-byte SSSE3 registers (x86 only). */
    CSCHED_UTF8_KERNEL_SSSE3 = 2,
    /** The lookup algorithm on 32-byte AVX2 registers (x86 only). */
    CSCHED_UTF8_KERNEL_AVX2 = 3,
};

/** Checks that bytes[0..<count] is UTF-8 up to an unfinished last character, which the next
 *  piece of the text may complete. Returns how many bytes that unfinished character has so far
 *  (0...3; the caller checks those few, which may still be wrong, such as 0xC0 or 0xFF), or -1
 *  when the bytes before it cannot be UTF-8. The kernel is the fastest this CPU supports. */
long csched_utf8_check(const uint8_t *bytes, size_t count);

/** csched_utf8_check with a chosen kernel; -2 when this CPU or build lacks it. */
long csched_utf8_check_with(int kernel, const uint8_t *bytes, size_t count);

/** The kernel csched_utf8_check uses on this CPU (an enum csched_utf8_kernel value). */
int csched_utf8_best_kernel(void);

#ifdef __cplusplus
}
#endif

#endif
