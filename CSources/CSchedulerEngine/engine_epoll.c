/* The epoll backend: the same loop shape as io_uring with readiness instead of completions:
 * accept4 and read on EPOLLIN, sendmsg until EAGAIN then EPOLLOUT, a non-blocking connect
 * finished on EPOLLOUT with SO_ERROR. The loop reaches it only through cse_epoll_ops.
 * The epoll data of a connection is its slot index; the listener and the eventfd have tags
 * no index reaches. */
#include "engine_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define CSE_TAG_LISTEN UINT64_MAX
#define CSE_TAG_EVENT (UINT64_MAX - 1)
#define CSE_READS_PER_EVENT 4

static int cse_epoll_probe(void) { return 0; }

static void cse_epoll_teardown(cse_loop *loop);

static int cse_epoll_setup(cse_loop *loop) {
    snprintf(loop->features, sizeof loop->features, "epoll");
    loop->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (loop->epoll_fd < 0) {
        loop->failed_operation = "epoll_create1";
        return -errno;
    }
    if (loop->listen_fd >= 0) {
        /* accept4 is called in a loop until EAGAIN: the listener must not block. */
        int flags = fcntl(loop->listen_fd, F_GETFL);
        if (flags < 0 || fcntl(loop->listen_fd, F_SETFL, flags | O_NONBLOCK) < 0) {
            loop->failed_operation = "fcntl O_NONBLOCK";
            int rc = -errno;
            cse_epoll_teardown(loop);
            return rc;
        }
    }
    struct epoll_event listen_event = {.events = EPOLLIN, .data.u64 = CSE_TAG_LISTEN};
    struct epoll_event wake_event = {.events = EPOLLIN, .data.u64 = CSE_TAG_EVENT};
    if ((loop->listen_fd >= 0 &&
         epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, loop->listen_fd, &listen_event) < 0) ||
        epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, loop->event_fd, &wake_event) < 0) {
        int rc = -errno;
        loop->failed_operation = "epoll_ctl";
        cse_epoll_teardown(loop);
        return rc;
    }
    return 0;
}

static void cse_epoll_teardown(cse_loop *loop) {
    if (loop->epoll_fd >= 0) close(loop->epoll_fd);
    loop->epoll_fd = -1;
    free(loop->spare);
    loop->spare = NULL;
}

/* Registers exactly the readiness the connection waits for. With nothing to wait for it leaves
 * the epoll set: EPOLLHUP/EPOLLERR are reported even for an empty mask and would spin the loop
 * on a reset connection that its owner has not closed yet. */
static void cse_update_interest(cse_loop *loop, uint32_t index) {
    cse_conn *conn = &loop->conns[index];
    uint8_t in = conn->state == CSE_OPEN && !conn->paused && !conn->read_done;
    uint8_t out = conn->head != NULL;
    if (in == conn->want_in && out == conn->want_out) return;
    int registered = conn->want_in || conn->want_out;
    struct epoll_event event = {.events = (in ? EPOLLIN : 0) | (out ? EPOLLOUT : 0),
                                .data.u64 = index};
    int operation = !(in || out) ? EPOLL_CTL_DEL : registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    epoll_ctl(loop->epoll_fd, operation, conn->fd, &event);
    conn->want_in = in;
    conn->want_out = out;
}

static void cse_accept_ready(cse_loop *loop) {
    for (int i = 0; i < 64; i++) {
        int fd = accept4(loop->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return; /* EAGAIN, or a transient error the next readiness retries */
        if (cse_conn_open(loop, fd) < 0) close(fd);
    }
}

/* Nothing to do: the flush that follows registers the interest the connection needs. */
static void cse_epoll_opened(cse_loop *loop, uint32_t index) {
    (void)loop;
    (void)index;
}

/* Leaves the epoll set (a connect waits there for EPOLLOUT alone). */
static void cse_forget_interest(cse_loop *loop, cse_conn *conn) {
    if (conn->want_in || conn->want_out) epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, conn->fd, NULL);
    conn->want_in = 0;
    conn->want_out = 0;
}

static void cse_epoll_connect(cse_loop *loop, uint32_t index) {
    cse_conn *conn = &loop->conns[index];
    cse_connect_request *request = conn->connect;
    int rc = connect(conn->fd, (struct sockaddr *)&request->address, request->address_length);
    if (rc == 0) {
        cse_connect_finish(loop, index, 0);
        return;
    }
    if (errno != EINPROGRESS && errno != EINTR) {
        cse_connect_finish(loop, index, -errno);
        return;
    }
    struct epoll_event event = {.events = EPOLLOUT, .data.u64 = index};
    if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, conn->fd, &event) < 0) {
        cse_connect_finish(loop, index, -errno);
        return;
    }
    conn->want_out = 1;
}

/* The connecting socket became writable (or failed): SO_ERROR tells which. */
static void cse_connect_ready(cse_loop *loop, uint32_t index) {
    cse_conn *conn = &loop->conns[index];
    int error = 0;
    socklen_t length = sizeof error;
    if (getsockopt(conn->fd, SOL_SOCKET, SO_ERROR, &error, &length) < 0) error = errno;
    if (error == EINPROGRESS || error == EALREADY) return; /* a spurious wake-up */
    cse_forget_interest(loop, conn);
    cse_connect_finish(loop, index, -error);
}

static void cse_epoll_cancel_connect(cse_loop *loop, uint32_t index) {
    cse_conn *conn = &loop->conns[index];
    cse_forget_interest(loop, conn);
    cse_connect_finish(loop, index, conn->connect_error);
}

static void cse_read_ready(cse_loop *loop, uint32_t index) {
    cse_conn *conn = &loop->conns[index];
    for (int i = 0; i < CSE_READS_PER_EVENT; i++) {
        if (conn->state != CSE_OPEN || conn->paused || conn->read_done) break;
        /* Read straight into a large buffer and hand it over; a few bytes are copied into a
         * small one instead and the large one waits for the next read. */
        if (!loop->spare) loop->spare = cse_node_take(loop, loop->config.buffer_size);
        cse_buffer *buffer = loop->spare;
        ssize_t n = buffer ? read(conn->fd, buffer->bytes, loop->config.buffer_size) : -1;
        if (!buffer) errno = ENOMEM;
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
        long result = n < 0 ? -errno : (long)n;
        if (result <= 0) {
            conn->read_done = 1;
            buffer = NULL;
        } else if (n <= CSE_SMALL_BUFFER) {
            buffer = cse_node_take(loop, (size_t)n);
            if (buffer) memcpy(buffer->data, loop->spare->bytes, (size_t)n);
            else result = -ENOMEM, conn->read_done = 1;
        } else {
            loop->spare = NULL;
            buffer->data = buffer->bytes;
            buffer->length = (size_t)n;
        }
        if (loop->callbacks.on_data(conn->user, buffer, result)) conn->paused = 1;
        if ((size_t)n < loop->config.buffer_size) break;
    }
    cse_mark_dirty(loop, index);
}

/* Writes queued bytes until the kernel pushes back; then waits for EPOLLOUT. */
static void cse_write_queued(cse_loop *loop, cse_conn *conn) {
    while (conn->head) {
        int count = cse_conn_fill_iov(conn);
        /* sendmsg with MSG_NOSIGNAL, not writev: a peer that reset must be an EPIPE for this
         * connection, never a SIGPIPE that kills the whole process. */
        struct msghdr msg = {.msg_iov = conn->iov, .msg_iovlen = (size_t)count};
        ssize_t n = sendmsg(conn->fd, &msg, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) return;
            cse_conn_fail_sends(loop, conn, -errno);
            return;
        }
        cse_conn_consume(loop, conn, (size_t)n);
    }
}

/* Writes, closes, or updates the interest of one connection touched since the last pass. */
static void cse_epoll_flush(cse_loop *loop, uint32_t index) {
    cse_conn *conn = &loop->conns[index];
    if (conn->head) cse_write_queued(loop, conn);
    if (conn->state == CSE_CLOSING && !conn->head) {
        cse_forget_interest(loop, conn);
        cse_conn_free(loop, index);
        return;
    }
    cse_update_interest(loop, index);
}

static void cse_epoll_stop_listening(cse_loop *loop) {
    if (loop->listen_fd < 0) return;
    epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, loop->listen_fd, NULL);
    close(loop->listen_fd);
    loop->listen_fd = -1;
}

static int cse_epoll_idle(const cse_loop *loop) {
    (void)loop;
    return 1;
}

static void cse_epoll_wait(cse_loop *loop, int may_block) {
    struct epoll_event events[256];
    int n = epoll_wait(loop->epoll_fd, events, 256, may_block ? cse_wait_ms(loop) : 0);
    atomic_store(&loop->sleeping, 0);
    if (n > 0) cse_count(loop, CSE_COUNT_EPOLL, (uint64_t)n);
    for (int i = 0; i < n; i++) {
        uint64_t tag = events[i].data.u64;
        if (tag == CSE_TAG_LISTEN) {
            if (loop->listen_fd >= 0) cse_accept_ready(loop);
        } else if (tag == CSE_TAG_EVENT) {
            uint64_t value;
            ssize_t ignored = read(loop->event_fd, &value, sizeof value);
            (void)ignored;
        } else {
            uint32_t index = (uint32_t)tag;
            uint8_t state = loop->conns[index].state;
            if (state == CSE_CONNECTING) {
                cse_connect_ready(loop, index);
                continue;
            }
            if (state == CSE_FREE) continue; /* closed by an earlier event of this batch */
            if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) cse_read_ready(loop, index);
            if (events[i].events & EPOLLOUT) cse_mark_dirty(loop, index);
        }
    }
}

const cse_backend_ops cse_epoll_ops = {
    .name = "epoll",
    .probe = cse_epoll_probe,
    .setup = cse_epoll_setup,
    .teardown = cse_epoll_teardown,
    .stop_listening = cse_epoll_stop_listening,
    .idle = cse_epoll_idle,
    .wait = cse_epoll_wait,
    .flush = cse_epoll_flush,
    .opened = cse_epoll_opened,
    .connect = cse_epoll_connect,
    .cancel_connect = cse_epoll_cancel_connect,
    .recycle = NULL, /* epoll never lends receive-ring buffers */
    .free_buffers = NULL,
};
