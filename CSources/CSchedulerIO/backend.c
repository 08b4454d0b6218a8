/* Chooses the backend once per process and keeps one io_uring per thread.
 *
 * The probe sets up a ring with the best setup flags this kernel takes (SINGLE_ISSUER and
 * DEFER_TASKRUN suit a ring used by one thread that always waits for its own completions;
 * each is dropped when the kernel answers EINVAL), runs one NOP through it (a seccomp profile
 * may allow io_uring_setup yet refuse io_uring_enter), and keeps only the opcodes the kernel
 * reports. Anything missing falls back to the POSIX call with the same result. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum { RING_ENTRIES = 8 };

static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static pthread_key_t ring_key;
static int chosen_backend = CSCHED_IO_BACKEND_POSIX;
static unsigned chosen_setup_flags;
static unsigned supported_ops;
static char backend_error[256];
static char backend_features[256];

static __thread struct io_uring *thread_ring;
static __thread int thread_ring_failed;

static int setup_ring(struct io_uring *ring, unsigned flags) {
    struct io_uring_params params;
    memset(&params, 0, sizeof params);
    params.flags = flags;
    return io_uring_queue_init_params(RING_ENTRIES, ring, &params);
}

/* Returns 0 and the flags that worked, or the first error that is not EINVAL. */
static int setup_best_ring(struct io_uring *ring, unsigned *flags) {
    const unsigned attempts[] = {
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
        IORING_SETUP_SINGLE_ISSUER,
        0,
    };
    int rc = -EINVAL;
    for (size_t i = 0; i < sizeof attempts / sizeof attempts[0]; i++) {
        rc = setup_ring(ring, attempts[i]);
        if (rc == 0) {
            *flags = attempts[i];
            return 0;
        }
        if (rc != -EINVAL) return rc;
    }
    return rc;
}

static int run_nop(struct io_uring *ring) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    if (!sqe) return -EBUSY;
    io_uring_prep_nop(sqe);
    int rc;
    do rc = io_uring_submit_and_wait(ring, 1); while (rc == -EINTR);
    if (rc < 0) return rc;
    struct io_uring_cqe *cqe;
    do rc = io_uring_wait_cqe(ring, &cqe); while (rc == -EINTR);
    if (rc < 0) return rc;
    rc = cqe->res;
    io_uring_cqe_seen(ring, cqe);
    return rc;
}

static unsigned probe_opcodes(struct io_uring *ring) {
    struct io_uring_probe *probe = io_uring_get_probe_ring(ring);
    if (!probe) return 0;
    const struct { int opcode; unsigned bit; } wanted[] = {
        {IORING_OP_ACCEPT, CSCHED_IO_OP_ACCEPT},     {IORING_OP_CONNECT, CSCHED_IO_OP_CONNECT},
        {IORING_OP_SEND, CSCHED_IO_OP_SEND},         {IORING_OP_RECV, CSCHED_IO_OP_RECV},
        {IORING_OP_SENDMSG, CSCHED_IO_OP_SENDMSG},   {IORING_OP_RECVMSG, CSCHED_IO_OP_RECVMSG},
        {IORING_OP_LINK_TIMEOUT, CSCHED_IO_OP_LINK_TIMEOUT},
    };
    unsigned ops = 0;
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++)
        if (io_uring_opcode_supported(probe, wanted[i].opcode)) ops |= wanted[i].bit;
    io_uring_free_probe(probe);
    return ops;
}

static void describe_features(void) {
    snprintf(backend_features, sizeof backend_features,
             "setup:%s%s ops:%s%s%s%s%s%s%s",
             (chosen_setup_flags & IORING_SETUP_SINGLE_ISSUER) ? " SINGLE_ISSUER" : "",
             (chosen_setup_flags & IORING_SETUP_DEFER_TASKRUN) ? " DEFER_TASKRUN" : "",
             (supported_ops & CSCHED_IO_OP_ACCEPT) ? " accept" : "",
             (supported_ops & CSCHED_IO_OP_CONNECT) ? " connect" : "",
             (supported_ops & CSCHED_IO_OP_SEND) ? " send" : "",
             (supported_ops & CSCHED_IO_OP_RECV) ? " recv" : "",
             (supported_ops & CSCHED_IO_OP_SENDMSG) ? " sendmsg" : "",
             (supported_ops & CSCHED_IO_OP_RECVMSG) ? " recvmsg" : "",
             (supported_ops & CSCHED_IO_OP_LINK_TIMEOUT) ? " link_timeout" : "");
}

static void destroy_thread_ring(void *ring) {
    io_uring_queue_exit(ring);
    free(ring);
}

/* A forked child must not touch the parent's ring (SINGLE_ISSUER rings belong to one task). */
static void forget_ring_after_fork(void) {
    thread_ring = NULL;
    thread_ring_failed = 0;
}

static void probe_backend(void) {
    pthread_key_create(&ring_key, destroy_thread_ring);
    pthread_atfork(NULL, NULL, forget_ring_after_fork);
    const char *requested = getenv("SCHEDULER_CORE_BACKEND");
    int forced = 0;
    if (requested && *requested) {
        if (strcmp(requested, "posix") == 0) {
            snprintf(backend_features, sizeof backend_features, "posix (forced)");
            return;
        }
        if (strcmp(requested, "io_uring") != 0) {
            chosen_backend = -EINVAL;
            snprintf(backend_error, sizeof backend_error,
                     "SCHEDULER_CORE_BACKEND=%s is not one of posix, io_uring", requested);
            return;
        }
        forced = 1;
    }
    struct io_uring ring;
    int rc = setup_best_ring(&ring, &chosen_setup_flags);
    if (rc == 0) {
        rc = run_nop(&ring);
        if (rc == 0) supported_ops = probe_opcodes(&ring);
        io_uring_queue_exit(&ring);
    }
    unsigned needed = CSCHED_IO_OP_ACCEPT | CSCHED_IO_OP_CONNECT | CSCHED_IO_OP_SEND |
                      CSCHED_IO_OP_RECV | CSCHED_IO_OP_SENDMSG | CSCHED_IO_OP_RECVMSG;
    if (rc == 0 && (supported_ops & needed) == 0) rc = -EOPNOTSUPP;
    if (rc == 0) {
        chosen_backend = CSCHED_IO_BACKEND_IO_URING;
        describe_features();
        return;
    }
    supported_ops = 0;
    if (forced) {
        chosen_backend = rc;
        snprintf(backend_error, sizeof backend_error,
                 "SCHEDULER_CORE_BACKEND=io_uring, but io_uring cannot be used here: %s (%s)%s",
                 strerror(-rc), csched_io_errno_name(-rc) ? csched_io_errno_name(-rc) : "?",
                 (rc == -EPERM) ? "; see kernel.io_uring_disabled or the seccomp profile" : "");
    } else {
        snprintf(backend_features, sizeof backend_features,
                 "posix (io_uring unavailable: %s)", strerror(-rc));
    }
}

int csched_io_backend(void) {
    pthread_once(&probe_once, probe_backend);
    return chosen_backend;
}

const char *csched_io_backend_error(void) {
    csched_io_backend();
    return backend_error;
}

const char *csched_io_backend_features(void) {
    csched_io_backend();
    return backend_features;
}

struct io_uring *csched_io_ring_for(unsigned op, int64_t timeout_ns) {
    if (csched_io_backend() != CSCHED_IO_BACKEND_IO_URING) return NULL;
    if (!(supported_ops & op)) return NULL;
    if (timeout_ns > 0 && !(supported_ops & CSCHED_IO_OP_LINK_TIMEOUT)) return NULL;
    if (thread_ring) return thread_ring;
    if (thread_ring_failed) return NULL;
    struct io_uring *ring = malloc(sizeof *ring);
    if (!ring || setup_ring(ring, chosen_setup_flags) != 0) {
        /* Out of rings for this thread (ENOMEM, RLIMIT_MEMLOCK): the POSIX call behaves the same. */
        free(ring);
        thread_ring_failed = 1;
        return NULL;
    }
    pthread_setspecific(ring_key, ring);
    thread_ring = ring;
    return ring;
}
