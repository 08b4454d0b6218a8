/* One blocking call through the thread's ring: submit and wait in the same io_uring_enter,
 * then drain every completion so that no kernel work still points at the caller's stack. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum { OPERATION_TAG = 1, TIMEOUT_TAG = 2 };

static void die(const char *what, int rc) {
    /* Only a bug of ours (a bad ring or pointer) gets here; continuing could corrupt memory. */
    fprintf(stderr, "CSchedulerIO: %s failed: %s\n", what, strerror(-rc));
    abort();
}

int csched_io_ring_run(struct io_uring *ring, struct io_uring_sqe *sqe, int64_t timeout_ns,
                       int *timed_out) {
    struct __kernel_timespec timeout = {
        .tv_sec = timeout_ns / 1000000000,
        .tv_nsec = timeout_ns % 1000000000,
    };
    unsigned expected = 1;
    io_uring_sqe_set_data64(sqe, OPERATION_TAG);
    if (timeout_ns > 0) {
        sqe->flags |= IOSQE_IO_LINK;
        struct io_uring_sqe *timer = io_uring_get_sqe(ring);
        if (!timer) die("io_uring_get_sqe", -EBUSY);
        io_uring_prep_link_timeout(timer, &timeout, 0);
        io_uring_sqe_set_data64(timer, TIMEOUT_TAG);
        expected = 2;
    }
    int rc;
    do rc = io_uring_submit_and_wait(ring, expected); while (rc == -EINTR || rc == -EAGAIN);
    if (rc < 0) die("io_uring_submit_and_wait", rc);

    int result = -ECANCELED;
    for (unsigned seen = 0; seen < expected; seen++) {
        struct io_uring_cqe *cqe;
        do rc = io_uring_wait_cqe(ring, &cqe); while (rc == -EINTR || rc == -EAGAIN);
        if (rc < 0) die("io_uring_wait_cqe", rc);
        if (io_uring_cqe_get_data64(cqe) == OPERATION_TAG) result = cqe->res;
        io_uring_cqe_seen(ring, cqe);
    }
    *timed_out = (timeout_ns > 0 && result == -ECANCELED);
    return result;
}
