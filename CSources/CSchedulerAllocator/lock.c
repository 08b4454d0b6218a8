/* The slow paths of cschedlock (include/cschedlock.h). */
#include "cschedlock.h"

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Rounds of spinning before sleeping: about the length of a short critical section, so that a
 * lock held by a running thread is taken without a system call, while a lock whose holder was
 * preempted (more threads than cores) costs little spinning before the waiter sleeps. */
enum { cschedlock_spins = 64 };

static inline void cschedlock_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

void cschedlock_lock_contended(uint32_t *word) {
    for (int spin = 0; spin < cschedlock_spins; spin++) {
        uint32_t seen = __atomic_load_n(word, __ATOMIC_RELAXED);
        if (seen == 0 && cschedlock_try(word)) return;
        cschedlock_relax();
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
