/* CLockChurn: pool-bench's C reference for contention. Threads churn (allocate, then release)
 * on one CSchedulerAllocator bitmap behind one pthread mutex, plain or priority-inheriting,
 * for a fixed time: the two ends the Swift pool's lock is compared with. */
#ifndef CLOCKCHURN_H
#define CLOCKCHURN_H

#include <stdint.h>

/** Runs `threads` threads for `seconds`, each repeating lock, allocate, unlock, lock, release,
 * unlock on one shared /16 allocator; `priority_inherit` selects PTHREAD_PRIO_INHERIT. Returns
 * the total allocate+release pairs done, or a negative errno code. */
int64_t clockchurn_run(int threads, int priority_inherit, double seconds);

#endif
