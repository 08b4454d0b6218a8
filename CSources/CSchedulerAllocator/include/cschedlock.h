/* cschedlock: the lock word behind the library's FutexMutex (SchedulerPool/FutexMutex.swift).
 *
 * A plain, non-priority-inheriting futex mutex (Drepper's "Futexes Are Tricky", mutex 2): the
 * word is 0 when free, 1 when held, 2 when held with possible sleepers. Taking a free lock is
 * one compare-and-swap; a contended one spins briefly, then sleeps in FUTEX_WAIT. Releasing
 * stores 0 and wakes one sleeper only when there may be one. A released lock goes to whichever
 * thread takes it first: it is never handed to a sleeper through the kernel, which is what makes
 * Synchronization.Mutex (a priority-inheriting futex on Linux) convoy when threads outnumber
 * cores. On wasm32 (one thread) the word is only set and cleared. */
#ifndef CSCHEDLOCK_H
#define CSCHEDLOCK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Takes the lock after the fast path failed: spins a little, then sleeps until it is free. */
void cschedlock_lock_contended(uint32_t *word);

/** Wakes one thread sleeping on `word`. */
void cschedlock_wake(uint32_t *word);

/** Takes the lock at `word` (a zero-initialized, 4-byte-aligned word). */
static inline void cschedlock_lock(uint32_t *word) {
    uint32_t expected = 0;
    if (__atomic_compare_exchange_n(word, &expected, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) return;
    cschedlock_lock_contended(word);
}

/** Takes the lock at `word` if it is free; 1 when taken, else 0. */
static inline int cschedlock_try(uint32_t *word) {
    uint32_t expected = 0;
    return __atomic_compare_exchange_n(word, &expected, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/** Releases the lock at `word`, held by the caller. */
static inline void cschedlock_unlock(uint32_t *word) {
    if (__atomic_exchange_n(word, 0, __ATOMIC_RELEASE) == 2) cschedlock_wake(word);
}

#ifdef __cplusplus
}
#endif

#endif /* CSCHEDLOCK_H */
