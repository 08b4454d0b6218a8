/* Shared between the CSchedulerIO sources; never exported to Swift. */
#ifndef CSCHED_IO_INTERNAL_H
#define CSCHED_IO_INTERNAL_H

#include <liburing.h>
#include <sys/socket.h>
#include "include/CSchedulerIO.h"

/* The io_uring operations this core may submit, as bits of csched_io_uring_ops(). */
enum {
    CSCHED_IO_OP_ACCEPT = 1u << 0,
    CSCHED_IO_OP_CONNECT = 1u << 1,
    CSCHED_IO_OP_SEND = 1u << 2,
    CSCHED_IO_OP_RECV = 1u << 3,
    CSCHED_IO_OP_SENDMSG = 1u << 4,
    CSCHED_IO_OP_RECVMSG = 1u << 5,
    CSCHED_IO_OP_LINK_TIMEOUT = 1u << 6,
};

/* This thread's ring when io_uring is the backend and supports `op` (and a linked timeout when
 * timeout_ns > 0); NULL means: use the POSIX call. */
struct io_uring *csched_io_ring_for(unsigned op, int64_t timeout_ns);

/* Submits the prepared `sqe` (plus a linked timeout when timeout_ns > 0) and waits for every
 * completion in the same io_uring_enter. Returns the operation's result; a timed-out operation
 * returns -ECANCELED and sets *timed_out. */
int csched_io_ring_run(struct io_uring *ring, struct io_uring_sqe *sqe, int64_t timeout_ns,
                       int *timed_out);

#endif
