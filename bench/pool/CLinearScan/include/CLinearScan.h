/* CLinearScan: the benchmark's peer, a flat bitmap allocated by a linear scan from a random
 * start, the strategy of the Kubernetes ClusterIP allocator (pkg/registry/core/service/
 * allocator, randomScanStrategy: pick a random offset, test bit after bit, wrap around).
 * Returns >= 0 or a negative errno code. */
#ifndef CLINEARSCAN_H
#define CLINEARSCAN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A flat bitmap of `size` bits; opaque. */
typedef struct clinearscan clinearscan;

/** Creates an empty bitmap of `size` bits whose random starts come from `seed`. */
int clinearscan_create(uint64_t size, uint64_t seed, clinearscan **out);

/** Frees the bitmap; NULL is ignored. */
void clinearscan_destroy(clinearscan *bitmap);

/** Kubernetes-style: tests one bit at a time from a random start; the offset, or -ENOSPC. */
int64_t clinearscan_allocate_bitwise(clinearscan *bitmap);

/** The same scan taking 64 bits at a time (a stronger peer than Kubernetes); the offset, or -ENOSPC. */
int64_t clinearscan_allocate_wordwise(clinearscan *bitmap);

/** Marks `offset` free; -ENOENT if it was free, -ERANGE beyond the size. */
int clinearscan_release(clinearscan *bitmap, uint64_t offset);

#ifdef __cplusplus
}
#endif

#endif /* CLINEARSCAN_H */
