/* The io_uring backend: multishot accept, IORING_OP_CONNECT, multishot recv into a
 * provided-buffer ring, one send (sendmsg when several buffers are queued) in flight per
 * connection, and one io_uring_submit_and_wait per iteration. The loop reaches it only
 * through cse_uring_ops. */
#include "engine_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

/* What a completion is for. */
enum cse_uring_op {
    CSE_OP_ACCEPT = 1, /* the listener's multishot accept */
    CSE_OP_RECV,       /* a connection's multishot recv */
    CSE_OP_SEND,       /* a connection's send or sendmsg */
    CSE_OP_EVENT,      /* the read of the wake-up eventfd */
    CSE_OP_CANCEL,     /* an async cancel (its own completion is ignored) */
    CSE_OP_TIMER,      /* the deadline timer */
    CSE_OP_CONNECT,    /* a connection's connect */
};
#define CSE_BUFFER_GROUP 7

/* The user_data of every SQE this backend submits:
 *
 *     63           40 39                          8 7          0
 *    +---------------+-----------------------------+------------+
 *    |     zero      |   connection slot index     |     op     |
 *    +---------------+-----------------------------+------------+
 *
 * `op` is an enum cse_uring_op; the index is the connection's slot (0 for the loop-wide
 * ACCEPT, EVENT and TIMER). The slot's generation is not needed: a slot is reused only after
 * every operation on it has completed. A cancel targets the user_data of what it cancels. */
enum { CSE_TAG_OP_BITS = 8, CSE_TAG_INDEX_BITS = 32 };

static inline uint64_t cse_tag_encode(enum cse_uring_op op, uint32_t index) {
    return ((uint64_t)index << CSE_TAG_OP_BITS) | (uint64_t)op;
}

static inline enum cse_uring_op cse_tag_op(uint64_t tag) {
    return (enum cse_uring_op)(tag & ((1u << CSE_TAG_OP_BITS) - 1));
}

static inline uint32_t cse_tag_index(uint64_t tag) {
    return (uint32_t)(tag >> CSE_TAG_OP_BITS);
}

/* An SQE, submitting what is queued when the SQ is full. */
static struct io_uring_sqe *cse_sqe(cse_loop *loop) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&loop->ring);
    while (!sqe) {
        io_uring_submit(&loop->ring);
        sqe = io_uring_get_sqe(&loop->ring);
    }
    return sqe;
}

/* Tries the setup flags from the most to the least helpful; records which ones took. */
static int cse_ring_init(cse_loop *loop) {
    static const struct {
        unsigned flags;
        const char *name;
    } attempts[] = {
        {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, "SINGLE_ISSUER DEFER_TASKRUN"},
        {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN, "SINGLE_ISSUER COOP_TASKRUN"},
        {IORING_SETUP_COOP_TASKRUN, "COOP_TASKRUN"},
        {0, "no setup flags"},
    };
    int rc = -EINVAL;
    for (size_t i = 0; i < sizeof attempts / sizeof attempts[0]; i++) {
        struct io_uring_params params;
        memset(&params, 0, sizeof params);
        params.flags = attempts[i].flags | IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL;
        params.cq_entries = 8192;
        rc = io_uring_queue_init_params(1024, &loop->ring, &params);
        if (rc == -EINVAL) {
            params.flags &= ~(unsigned)IORING_SETUP_SUBMIT_ALL;
            rc = io_uring_queue_init_params(1024, &loop->ring, &params);
        }
        if (rc == 0) {
            snprintf(loop->features, sizeof loop->features, "io_uring %s%s", attempts[i].name,
                     (params.features & IORING_FEAT_NODROP) ? " NODROP" : "");
            return 0;
        }
        if (rc != -EINVAL) return rc; /* ENOSYS, EPERM, ENOMEM: no flag will help */
    }
    return rc;
}

static void cse_arm_accept(cse_loop *loop) {
    struct io_uring_sqe *sqe = cse_sqe(loop);
    /* On a listener shared by several loops a multishot accept would keep the first ring at the
     * head of the socket's (exclusive) wait queue and take every connection; a one-shot accept
     * re-armed per connection queues behind the other loops, so they take turns. */
    if (loop->config.shared_listener)
        io_uring_prep_accept(sqe, loop->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    else
        io_uring_prep_multishot_accept(sqe, loop->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    io_uring_sqe_set_data64(sqe, cse_tag_encode(CSE_OP_ACCEPT, 0));
    loop->accept_armed = 1;
}

static void cse_arm_event(cse_loop *loop) {
    struct io_uring_sqe *sqe = cse_sqe(loop);
    io_uring_prep_read(sqe, loop->event_fd, &loop->event_value, sizeof loop->event_value, 0);
    io_uring_sqe_set_data64(sqe, cse_tag_encode(CSE_OP_EVENT, 0));
}

static void cse_arm_recv(cse_loop *loop, uint32_t index) {
    cse_conn *conn = &loop->conns[index];
    struct io_uring_sqe *sqe = cse_sqe(loop);
    io_uring_prep_recv_multishot(sqe, conn->fixed ? (int)index : conn->fd, NULL, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT | (conn->fixed ? IOSQE_FIXED_FILE : 0);
    sqe->buf_group = CSE_BUFFER_GROUP;
    io_uring_sqe_set_data64(sqe, cse_tag_encode(CSE_OP_RECV, index));
    conn->recv_armed = 1;
    conn->rearm = 0;
}

static void cse_cancel_recv(cse_loop *loop, uint32_t index) {
    struct io_uring_sqe *sqe = cse_sqe(loop);
    io_uring_prep_cancel64(sqe, cse_tag_encode(CSE_OP_RECV, index), 0);
    io_uring_sqe_set_data64(sqe, cse_tag_encode(CSE_OP_CANCEL, index));
}

static void cse_arm_send(cse_loop *loop, uint32_t index) {
    cse_conn *conn = &loop->conns[index];
    int count = cse_conn_fill_iov(conn);
    struct io_uring_sqe *sqe = cse_sqe(loop);
    /* One buffer: a plain send spares the kernel the msghdr and iovec import. */
    int fd = conn->fixed ? (int)index : conn->fd;
    if (count == 1) io_uring_prep_send(sqe, fd, conn->iov[0].iov_base, conn->iov[0].iov_len, MSG_NOSIGNAL);
    else io_uring_prep_sendmsg(sqe, fd, &conn->msg, MSG_NOSIGNAL);
    if (conn->fixed) sqe->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data64(sqe, cse_tag_encode(CSE_OP_SEND, index));
    conn->send_inflight = 1;
}

static int cse_uring_probe(void) {
    struct io_uring ring;
    int rc = io_uring_queue_init(4, &ring, 0);
    if (rc < 0) return rc;
    io_uring_queue_exit(&ring);
    return 0;
}

static void cse_uring_teardown(cse_loop *loop);

static int cse_uring_setup(cse_loop *loop) {
    int rc = cse_ring_init(loop);
    if (rc < 0) {
        loop->failed_operation = "io_uring_queue_init";
        return rc;
    }
    loop->ring_ready = 1;
    /* Optional, each: sockets in a registered file table spare the kernel a file lookup per
     * send and receive, and a registered ring fd one per io_uring_enter. */
    if (io_uring_register_files_sparse(&loop->ring, loop->config.max_connections) == 0) {
        loop->fixed_files = 1;
        strncat(loop->features, " FIXED_FILES", sizeof loop->features - strlen(loop->features) - 1);
    }
    if (io_uring_register_ring_fd(&loop->ring) == 1)
        strncat(loop->features, " RING_FD", sizeof loop->features - strlen(loop->features) - 1);
    unsigned count = loop->config.buffer_count;
    loop->buf_ring_size = count * sizeof(struct io_uring_buf);
    void *ring_memory = mmap(NULL, loop->buf_ring_size, PROT_READ | PROT_WRITE,
                             MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (ring_memory == MAP_FAILED) {
        rc = -errno;
        loop->failed_operation = "mmap buffer ring";
        goto fail;
    }
    loop->buf_ring = ring_memory;
    loop->buffers = malloc((size_t)count * loop->config.buffer_size);
    if (!loop->buffers) {
        rc = -ENOMEM;
        loop->failed_operation = "allocate receive buffers";
        goto fail;
    }
    struct io_uring_buf_reg registration;
    memset(&registration, 0, sizeof registration);
    registration.ring_addr = (unsigned long)(uintptr_t)loop->buf_ring;
    registration.ring_entries = count;
    registration.bgid = CSE_BUFFER_GROUP;
    rc = io_uring_register_buf_ring(&loop->ring, &registration, 0);
    if (rc < 0) {
        loop->failed_operation = "io_uring_register_buf_ring";
        goto fail;
    }
    io_uring_buf_ring_init(loop->buf_ring);
    int mask = io_uring_buf_ring_mask(count);
    for (unsigned bid = 0; bid < count; bid++) {
        io_uring_buf_ring_add(loop->buf_ring, loop->buffers + (size_t)bid * loop->config.buffer_size,
                              loop->config.buffer_size, (unsigned short)bid, mask, (int)bid);
    }
    io_uring_buf_ring_advance(loop->buf_ring, (int)count);
    /* submitted with the first wait */
    if (loop->listen_fd >= 0) cse_arm_accept(loop);
    cse_arm_event(loop);
    return 0;
fail:
    cse_uring_teardown(loop);
    return rc;
}

static void cse_uring_teardown(cse_loop *loop) {
    if (loop->ring_ready) {
        io_uring_queue_exit(&loop->ring); /* also drops the buffer ring registration */
        loop->ring_ready = 0;
    }
}

/* Frees the receive buffers; only when no lent buffer can be read any more (cse_loop_free). */
static void cse_uring_free_buffers(cse_loop *loop) {
    if (loop->buf_ring) munmap(loop->buf_ring, loop->buf_ring_size);
    loop->buf_ring = NULL;
    free(loop->buffers);
    loop->buffers = NULL;
}

static void cse_uring_recycle(cse_loop *loop, unsigned bid) {
    io_uring_buf_ring_add(loop->buf_ring, loop->buffers + (size_t)bid * loop->config.buffer_size,
                          loop->config.buffer_size, (unsigned short)bid,
                          io_uring_buf_ring_mask(loop->config.buffer_count), loop->buffers_pending++);
}

static void cse_deliver_uring(cse_loop *loop, uint32_t index, cse_buffer *buffer, long length) {
    cse_conn *conn = &loop->conns[index];
    if (conn->state != CSE_OPEN) {
        if (buffer) cse_node_release(loop, buffer);
        return;
    }
    if (loop->callbacks.on_data(conn->user, buffer, length) && !conn->paused) {
        conn->paused = 1;
        if (conn->recv_armed) cse_cancel_recv(loop, index);
    }
}

static void cse_on_accept(cse_loop *loop, struct io_uring_cqe *cqe) {
    if (!(cqe->flags & IORING_CQE_F_MORE)) loop->accept_armed = 0;
    if (cqe->res >= 0) {
        cse_count(loop, CSE_COUNT_ACCEPT, 1);
        if (loop->stopping || cse_conn_open(loop, cqe->res) < 0) close(cqe->res);
    }
    if (!loop->accept_armed) {
        if (loop->stopping) {
            close(loop->listen_fd);
            loop->listen_fd = -1;
        } else {
            cse_arm_accept(loop);
        }
    }
}

/* A connection joined the table: its socket goes into the registered file table (without a
 * slot there it works on its plain descriptor). */
static void cse_uring_opened(cse_loop *loop, uint32_t index) {
    cse_conn *conn = &loop->conns[index];
    if (loop->fixed_files)
        conn->fixed = io_uring_register_files_update(&loop->ring, index, &conn->fd, 1) == 1;
}

static void cse_uring_connect(cse_loop *loop, uint32_t index) {
    cse_conn *conn = &loop->conns[index];
    struct io_uring_sqe *sqe = cse_sqe(loop);
    io_uring_prep_connect(sqe, conn->fd, (struct sockaddr *)&conn->connect->address,
                          conn->connect->address_length);
    io_uring_sqe_set_data64(sqe, cse_tag_encode(CSE_OP_CONNECT, index));
}

static void cse_uring_cancel_connect(cse_loop *loop, uint32_t index) {
    struct io_uring_sqe *sqe = cse_sqe(loop);
    io_uring_prep_cancel64(sqe, cse_tag_encode(CSE_OP_CONNECT, index), 0);
    io_uring_sqe_set_data64(sqe, cse_tag_encode(CSE_OP_CANCEL, index));
}

static void cse_on_connect(cse_loop *loop, uint32_t index, struct io_uring_cqe *cqe) {
    cse_conn *conn = &loop->conns[index];
    /* A cancelled connect completes with ECANCELED: report why it was cancelled. */
    int result = cqe->res < 0 && conn->cancelling ? conn->connect_error : cqe->res;
    cse_connect_finish(loop, index, result);
}

static void cse_on_recv(cse_loop *loop, uint32_t index, struct io_uring_cqe *cqe) {
    cse_conn *conn = &loop->conns[index];
    int more = (cqe->flags & IORING_CQE_F_MORE) != 0;
    if (!more) conn->recv_armed = 0;
    if (cqe->res > 0) {
        cse_count(loop, CSE_COUNT_RECV, 1);
        unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
        size_t length = (size_t)cqe->res;
        uint8_t *bytes = loop->buffers + (size_t)bid * loop->config.buffer_size;
        cse_buffer *buffer = NULL;
        /* A large chunk is lent as it lies in the ring (an echo sends it back from there);
         * a few bytes are copied, and so is everything while half the ring is out on loan,
         * so that the kernel always has buffers to fill. */
        if (length > CSE_SMALL_BUFFER && loop->buffers_lent < loop->config.buffer_count / 2)
            buffer = cse_node_lend(loop, bid, length);
        if (!buffer) {
            buffer = cse_node_take(loop, length);
            if (buffer) memcpy(buffer->data, bytes, length);
            cse_uring_recycle(loop, bid);
        }
        if (buffer) {
            cse_deliver_uring(loop, index, buffer, cqe->res);
        } else {
            conn->read_done = 1;
            cse_deliver_uring(loop, index, NULL, -ENOMEM);
        }
    } else if (cqe->res == -ENOBUFS || cqe->res == -ECANCELED) {
        /* ENOBUFS: re-armed below once this iteration's buffers are back in the ring. */
        if (cqe->res == -ENOBUFS) cse_count(loop, CSE_COUNT_ENOBUFS, 1);
    } else {
        if (cqe->flags & IORING_CQE_F_BUFFER) cse_uring_recycle(loop, cqe->flags >> IORING_CQE_BUFFER_SHIFT);
        conn->read_done = 1;
        cse_deliver_uring(loop, index, NULL, cqe->res);
    }
    if (!conn->recv_armed) {
        conn->rearm = 1;
        cse_mark_dirty(loop, index);
    }
}

static void cse_on_send(cse_loop *loop, uint32_t index, struct io_uring_cqe *cqe) {
    cse_conn *conn = &loop->conns[index];
    cse_count(loop, CSE_COUNT_SEND, 1);
    conn->send_inflight = 0;
    if (cqe->res < 0) cse_conn_fail_sends(loop, conn, cqe->res);
    else cse_conn_consume(loop, conn, (size_t)cqe->res);
    cse_mark_dirty(loop, index);
}

static void cse_handle_cqe(cse_loop *loop, struct io_uring_cqe *cqe) {
    uint64_t tag = io_uring_cqe_get_data64(cqe);
    uint32_t index = cse_tag_index(tag);
    switch (cse_tag_op(tag)) {
    case CSE_OP_ACCEPT: cse_on_accept(loop, cqe); break;
    case CSE_OP_RECV: cse_on_recv(loop, index, cqe); break;
    case CSE_OP_SEND: cse_on_send(loop, index, cqe); break;
    case CSE_OP_CONNECT: cse_on_connect(loop, index, cqe); break;
    case CSE_OP_EVENT:
        atomic_store(&loop->sleeping, 0);
        cse_arm_event(loop);
        break;
    case CSE_OP_CANCEL: break;
    case CSE_OP_TIMER: /* only wakes the loop: cse_enforce_deadline looks at the clock */
        loop->timer_deadline = 0;
        break;
    }
}

/* Sends, re-arms, and finishes the close of one connection touched since the last pass. */
static void cse_uring_flush(cse_loop *loop, uint32_t index) {
    cse_conn *conn = &loop->conns[index];
    if (conn->head && !conn->send_inflight && !conn->shut) cse_arm_send(loop, index);
    if (conn->state == CSE_CLOSING && !conn->head && !conn->send_inflight && !conn->shut) {
        shutdown(conn->fd, SHUT_RDWR); /* ends the multishot recv */
        conn->shut = 1;
    }
    if (conn->state == CSE_OPEN && !conn->paused && !conn->read_done && !conn->recv_armed)
        cse_arm_recv(loop, index);
    if (conn->shut && !conn->recv_armed && !conn->send_inflight) {
        if (conn->fixed) {
            int none = -1; /* the slot's reference would keep the socket open past close(2) */
            io_uring_register_files_update(&loop->ring, index, &none, 1);
        }
        cse_conn_free(loop, index);
    }
}

static void cse_reap(cse_loop *loop) {
    for (;;) {
        struct io_uring_cqe *cqe;
        unsigned head, seen = 0;
        io_uring_for_each_cqe(&loop->ring, head, cqe) {
            cse_handle_cqe(loop, cqe);
            seen++;
        }
        io_uring_cq_advance(&loop->ring, seen);
        /* Completions the kernel kept aside while the CQ was full come back on request. */
        if (!io_uring_cq_has_overflow(&loop->ring)) return;
        io_uring_get_events(&loop->ring);
    }
}

/* Makes sure a timeout wakes the loop by its next deadline (one timer at a time; a later
 * deadline waits for the armed one to fire). */
static void cse_arm_timer(cse_loop *loop) {
    double next = cse_next_deadline(loop);
    if (next == 0 || (loop->timer_deadline != 0 && loop->timer_deadline <= next)) return;
    int wait_ms = cse_wait_ms(loop);
    loop->timer_deadline = next;
    loop->grace_timer.tv_sec = wait_ms / 1000;
    loop->grace_timer.tv_nsec = (long long)(wait_ms % 1000) * 1000000;
    struct io_uring_sqe *sqe = cse_sqe(loop);
    io_uring_prep_timeout(sqe, &loop->grace_timer, 0, 0);
    io_uring_sqe_set_data64(sqe, cse_tag_encode(CSE_OP_TIMER, 0));
}

static void cse_uring_stop_listening(cse_loop *loop) {
    if (!loop->accept_armed) return;
    struct io_uring_sqe *sqe = cse_sqe(loop);
    io_uring_prep_cancel64(sqe, cse_tag_encode(CSE_OP_ACCEPT, 0), 0);
    io_uring_sqe_set_data64(sqe, cse_tag_encode(CSE_OP_CANCEL, 0));
}

static int cse_uring_idle(const cse_loop *loop) { return !loop->accept_armed; }

static void cse_uring_wait(cse_loop *loop, int may_block) {
    if (loop->deadline_count > 0 || (loop->stopping && !loop->forced)) cse_arm_timer(loop);
    if (loop->buffers_pending) {
        io_uring_buf_ring_advance(loop->buf_ring, loop->buffers_pending);
        loop->buffers_pending = 0;
    }
    int rc = io_uring_submit_and_wait(&loop->ring, may_block ? 1 : 0);
    if (rc < 0 && rc != -EINTR && rc != -EBUSY && rc != -EAGAIN && rc != -ETIME) {
        fprintf(stderr, "scheduler-core engine: io_uring_submit_and_wait: %s (errno %d)\n",
                strerror(-rc), -rc);
    }
    atomic_store(&loop->sleeping, 0);
    cse_reap(loop);
}

const cse_backend_ops cse_uring_ops = {
    .name = "io_uring",
    .probe = cse_uring_probe,
    .setup = cse_uring_setup,
    .teardown = cse_uring_teardown,
    .stop_listening = cse_uring_stop_listening,
    .idle = cse_uring_idle,
    .wait = cse_uring_wait,
    .flush = cse_uring_flush,
    .opened = cse_uring_opened,
    .connect = cse_uring_connect,
    .cancel_connect = cse_uring_cancel_connect,
    .recycle = cse_uring_recycle,
    .free_buffers = cse_uring_free_buffers,
};
