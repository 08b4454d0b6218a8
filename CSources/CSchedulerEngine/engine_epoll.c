/* The epoll backend: the same loop shape as io_uring with readiness instead of completions. */
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

int cse_epoll_setup(cse_loop *loop) {
    snprintf(loop->features, sizeof loop->features, "epoll");
    loop->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (loop->epoll_fd < 0) {
        loop->failed_operation = "epoll_create1";
        return -errno;
    }
    /* accept4 is called in a loop until EAGAIN: the listener must not block. */
    int flags = fcntl(loop->listen_fd, F_GETFL);
    if (flags < 0 || fcntl(loop->listen_fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        loop->failed_operation = "fcntl O_NONBLOCK";
        int rc = -errno;
        cse_epoll_teardown(loop);
        return rc;
    }
    struct epoll_event listen_event = {.events = EPOLLIN, .data.u64 = CSE_TAG_LISTEN};
    struct epoll_event wake_event = {.events = EPOLLIN, .data.u64 = CSE_TAG_EVENT};
    if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, loop->listen_fd, &listen_event) < 0 ||
        epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, loop->event_fd, &wake_event) < 0) {
        int rc = -errno;
        loop->failed_operation = "epoll_ctl";
        cse_epoll_teardown(loop);
        return rc;
    }
    return 0;
}

void cse_epoll_teardown(cse_loop *loop) {
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
        int index = cse_conn_open(loop, fd);
        if (index < 0) {
            close(fd);
            continue;
        }
        cse_conn *conn = &loop->conns[index];
        struct epoll_event event = {.events = EPOLLIN, .data.u64 = (uint64_t)index};
        epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, fd, &event);
        conn->want_in = 1;
    }
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
static void cse_flush_one(cse_loop *loop, uint32_t index) {
    cse_conn *conn = &loop->conns[index];
    if (conn->head) cse_write_queued(loop, conn);
    if (conn->state == CSE_CLOSING && !conn->head) {
        if (conn->want_in || conn->want_out) epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, conn->fd, NULL);
        cse_conn_free(loop, index);
        return;
    }
    cse_update_interest(loop, index);
}

void cse_epoll_run(cse_loop *loop) {
    struct epoll_event events[256];
    int listening = 1;
    for (;;) {
        cse_process_commands(loop);
        if (loop->stopping && listening) {
            epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, loop->listen_fd, NULL);
            close(loop->listen_fd);
            loop->listen_fd = -1;
            listening = 0;
        }
        cse_enforce_deadline(loop);
        cse_flush_dirty(loop, cse_flush_one);
        if (loop->stopping && loop->open_count == 0) return;
        int timeout = cse_prepare_wait(loop) ? cse_wait_ms(loop) : 0;
        int n = epoll_wait(loop->epoll_fd, events, 256, timeout);
        atomic_store(&loop->sleeping, 0);
        for (int i = 0; i < n; i++) {
            uint64_t tag = events[i].data.u64;
            if (tag == CSE_TAG_LISTEN) {
                if (listening) cse_accept_ready(loop);
            } else if (tag == CSE_TAG_EVENT) {
                uint64_t value;
                ssize_t ignored = read(loop->event_fd, &value, sizeof value);
                (void)ignored;
            } else {
                uint32_t index = (uint32_t)tag;
                if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) cse_read_ready(loop, index);
                if (events[i].events & EPOLLOUT) cse_mark_dirty(loop, index);
            }
        }
    }
}
