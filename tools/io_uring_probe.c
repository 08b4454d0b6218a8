/* Exits 0 when this process can set up an io_uring and run one NOP through it, 1 otherwise
 * (no kernel support, kernel.io_uring_disabled, a seccomp profile). `make test-io_uring` uses it
 * to decide between running the suite on io_uring and printing a skip line. */
#include <liburing.h>
#include <stdio.h>
#include <string.h>

int main(void) {
    struct io_uring ring;
    int rc = io_uring_queue_init(2, &ring, 0);
    if (rc < 0) {
        fprintf(stderr, "io_uring_probe: io_uring_queue_init: %s\n", strerror(-rc));
        return 1;
    }
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
    io_uring_prep_nop(sqe);
    rc = io_uring_submit_and_wait(&ring, 1);
    struct io_uring_cqe *cqe = NULL;
    if (rc >= 0) rc = io_uring_peek_cqe(&ring, &cqe);
    if (rc == 0 && cqe) rc = cqe->res;
    io_uring_queue_exit(&ring);
    if (rc < 0) {
        fprintf(stderr, "io_uring_probe: io_uring_enter: %s\n", strerror(-rc));
        return 1;
    }
    return 0;
}
