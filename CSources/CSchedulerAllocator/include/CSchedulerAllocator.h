/* CSchedulerAllocator: a sparse hierarchical bitmap over the offsets of one address range.
 *
 * Portable C11 with no system calls (only malloc and free), so that it also builds for
 * wasm32. Every function that returns int returns >= 0 on success or a negative code below;
 * none touches errno. Not thread-safe: the caller serialises access (IPPool holds a mutex). A range holds 2^host_bits offsets, host_bits 0...128, addressed by 128-bit offsets.
 *
 * An offset in use may carry a 64-bit value (the pool stores the slot of its binding and its
 * owner's hash there, so that releasing an address finds its owner in the same walk).
 *
 * Layout: leaves of 4096 bits (64 words of 64 bits plus one summary word whose bit w says
 * "word w is full"), under internal nodes of fanout 64 whose summary word says "child i is
 * full". An absent child is entirely free, so memory grows with what is allocated, and a
 * subtree is freed as soon as it holds nothing. Find-first-free takes count-trailing-zeros of
 * the inverted summary at each level: O(log64 n) for allocate, mark and unmark, whatever the
 * fill, and the offset handed out is always the lowest free one. */
#ifndef CSCHEDULER_ALLOCATOR_H
#define CSCHEDULER_ALLOCATOR_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "cschedlock.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A 128-bit offset inside a range: high * 2^64 + low. */
typedef struct cschedalloc_offset {
    uint64_t high;
    uint64_t low;
} cschedalloc_offset;

/** One range's allocator; opaque. */
typedef struct cschedalloc cschedalloc;

/** Negative results. */
enum {
    /** malloc failed; nothing changed. */
    CSCHEDALLOC_ENOMEM = -ENOMEM,
    /** host_bits above 128, or a NULL argument. */
    CSCHEDALLOC_EINVAL = -EINVAL,
    /** Every offset is in use. */
    CSCHEDALLOC_ENOSPC = -ENOSPC,
    /** mark: the offset is already in use. */
    CSCHEDALLOC_EEXIST = -EEXIST,
    /** unmark: the offset is not in use. */
    CSCHEDALLOC_ENOENT = -ENOENT,
    /** The offset lies beyond 2^host_bits. */
    CSCHEDALLOC_ERANGE = -ERANGE,
};

/** Creates an empty allocator for 2^host_bits offsets (host_bits 0...128) in *out. */
int cschedalloc_create(unsigned host_bits, cschedalloc **out);

/** Frees the allocator and everything it holds; NULL is ignored. */
void cschedalloc_destroy(cschedalloc *allocator);

/** Marks the lowest free offset used and stores it in *out; CSCHEDALLOC_ENOSPC when full. */
int cschedalloc_allocate(cschedalloc *allocator, cschedalloc_offset *out);

/** Marks a given offset used; CSCHEDALLOC_EEXIST if it already is. */
int cschedalloc_mark(cschedalloc *allocator, cschedalloc_offset offset);

/** Like cschedalloc_allocate, and stores `value` (below UINT64_MAX) with the offset. */
int cschedalloc_allocate_value(cschedalloc *allocator, uint64_t value, cschedalloc_offset *out);

/** Like cschedalloc_mark, and stores `value` (below UINT64_MAX) with the offset. */
int cschedalloc_mark_value(cschedalloc *allocator, cschedalloc_offset offset, uint64_t value);

/** The value stored with an offset in use, in *value; CSCHEDALLOC_ENOENT if the offset is free
 * or was marked without a value. Values cost 8 bytes per offset, in blocks of 64 offsets that
 * exist only while one of them holds a value. */
int cschedalloc_value(const cschedalloc *allocator, cschedalloc_offset offset, uint64_t *value);

/** Marks a given offset free (dropping its value, if any); CSCHEDALLOC_ENOENT if it is not in use. */
int cschedalloc_unmark(cschedalloc *allocator, cschedalloc_offset offset);

/** Marks an offset that carries a value free and returns that value in *value, in one walk;
 * CSCHEDALLOC_ENOENT, changing nothing, if the offset is free or carries no value. */
int cschedalloc_take(cschedalloc *allocator, cschedalloc_offset offset, uint64_t *value);

/** 1 if the offset is in use, 0 if free, or CSCHEDALLOC_ERANGE. */
int cschedalloc_test(const cschedalloc *allocator, cschedalloc_offset offset);

/** The number of offsets in use. */
cschedalloc_offset cschedalloc_used(const cschedalloc *allocator);

/** The number of offsets in use that carry a value. */
cschedalloc_offset cschedalloc_valued(const cschedalloc *allocator);

/** 1 when no offset is free, else 0. */
int cschedalloc_is_full(const cschedalloc *allocator);

/** Bytes of memory the allocator holds now (nodes, leaves and the header). */
size_t cschedalloc_memory_bytes(const cschedalloc *allocator);

/** Asks the CPU to start fetching the cache line at address for writing; changes no result. */
static inline void cschedalloc_prefetch(const void *address) { __builtin_prefetch(address, 1); }

#ifdef __cplusplus
}
#endif

#endif /* CSCHEDULER_ALLOCATOR_H */
