/* The slow paths of cschedlock (include/cschedlock.h). */
#include "cschedlock.h"

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

/* How long a waiter spins before it sleeps, in `pause` instructions (tens of µs on current x86),
 * and the longest wait between two looks at the lock word (under a µs). Measured with
 * `make bench-pool` on 2 cores: a longer backoff (128-1024) gave the pool 0.94-0.97x of one
 * thread at 2 threads but let two threads hammering a lock starve the engine's loop thread
 * (0.73x of Synchronization.Mutex in engine-lock-bench); 16 keeps 0.8x and 1.0-1.1x. */
enum { cschedlock_spin_budget = 2048, cschedlock_max_backoff = 16 };

static inline void cschedlock_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Spins with exponential backoff, then sleeps. The backoff matters more than the spinning: a
 * waiter that reads the word on every pause pulls its cache line away from the holder, so each
 * release and re-acquisition costs a transfer between cores; one that looks rarely lets the
 * running holder release and take the lock again within its own cache, and two threads on two
 * cores then lose little against one. Spinning covers a holder that is running; a holder that
 * was preempted (more threads than cores) costs one budget of spinning, then the waiter sleeps. */
void cschedlock_lock_contended(uint32_t *word) {
    unsigned backoff = 1;
    for (unsigned spent = 0; spent < cschedlock_spin_budget; spent += backoff) {
        if (__atomic_load_n(word, __ATOMIC_RELAXED) == 0 && cschedlock_try(word)) return;
        for (unsigned pause = 0; pause < backoff; pause++) cschedlock_relax();
        if (backoff < cschedlock_max_backoff) backoff *= 2;
    }
    /* Mark the lock contended (2) whether or not it is free now: whoever takes it this way
     * wakes a sleeper when releasing it. */
    while (__atomic_exchange_n(word, 2, __ATOMIC_ACQUIRE) != 0) {
        syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, 2, (void *)0, (void *)0, 0);
    }
}

void cschedlock_wake(uint32_t *word) { syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, (void *)0, (void *)0, 0); }

#else /* wasm32 and other single-threaded builds: the fast path always succeeds. */

void cschedlock_lock_contended(uint32_t *word) { *word = 1; }

void cschedlock_wake(uint32_t *word) { (void)word; }

#endif
