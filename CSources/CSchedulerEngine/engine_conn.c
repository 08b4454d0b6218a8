/* The connection table and its send queues: slots with generation-checked 64-bit ids, the
 * dirty list the backend flushes once per iteration, queued sends, closing and cutting. */
#include "engine_internal.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A connection id: the slot's generation in the high 32 bits, its index in the low 32. */
uint64_t cse_conn_id(const cse_loop *loop, uint32_t index) {
    return ((uint64_t)loop->conns[index].generation << 32) | index;
}

cse_conn *cse_conn_lookup(cse_loop *loop, uint64_t connection) {
    uint32_t index = (uint32_t)connection;
    if (index >= loop->config.max_connections) return NULL;
    cse_conn *conn = &loop->conns[index];
    if (conn->state == CSE_FREE || conn->generation != (uint32_t)(connection >> 32)) return NULL;
    return conn;
}

void cse_mark_dirty(cse_loop *loop, uint32_t index) {
    cse_conn *conn = &loop->conns[index];
    if (conn->dirty) return;
    conn->dirty = 1;
    loop->dirty[loop->dirty_count++] = index;
}

/* Runs `flush` once on every open or closing connection marked dirty before this call;
 * connections marked while it runs wait for the next pass. */
void cse_flush_dirty(cse_loop *loop, void (*flush)(cse_loop *, uint32_t)) {
    unsigned count = loop->dirty_count;
    for (unsigned i = 0; i < count; i++) {
        uint32_t index = loop->dirty[i];
        loop->conns[index].dirty = 0;
        uint8_t state = loop->conns[index].state;
        if (state == CSE_OPEN || state == CSE_CLOSING) flush(loop, index);
    }
    memmove(loop->dirty, loop->dirty + count, (loop->dirty_count - count) * sizeof *loop->dirty);
    loop->dirty_count -= count;
}

/* Takes a fresh slot for `fd` in `state`; returns its index or -ENFILE when the table is full. */
int cse_conn_take_slot(cse_loop *loop, int fd, uint8_t state) {
    if (loop->free_count == 0) return -ENFILE;
    uint32_t index = loop->free_list[--loop->free_count];
    cse_conn *conn = &loop->conns[index];
    uint32_t generation = conn->generation;
    memset(conn, 0, sizeof *conn);
    conn->generation = generation;
    conn->fd = fd;
    conn->state = state;
    conn->msg.msg_iov = conn->iov;
    loop->open_count++;
    return (int)index;
}

/* Returns a slot (with a new generation) without touching its descriptor or owner. */
void cse_conn_release_slot(cse_loop *loop, uint32_t index) {
    cse_conn *conn = &loop->conns[index];
    conn->fd = -1;
    conn->state = CSE_FREE;
    conn->deadline_kind = CSE_DEADLINE_NONE;
    conn->generation++;
    conn->user = NULL;
    loop->open_count--;
    loop->free_list[loop->free_count++] = index;
}

/* An accepted descriptor joins the table; returns its index or -ENFILE (the caller closes fd). */
int cse_conn_open(cse_loop *loop, int fd) {
    int index = cse_conn_take_slot(loop, fd, CSE_OPEN);
    if (index < 0) return index;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    loop->conns[index].user =
        loop->callbacks.on_accept(loop->callbacks.context, cse_conn_id(loop, (uint32_t)index), fd);
    loop->ops->opened(loop, (uint32_t)index);
    cse_mark_dirty(loop, (uint32_t)index);
    return index;
}

/* Closes the descriptor, tells the owner, and returns the slot. */
void cse_conn_free(cse_loop *loop, uint32_t index) {
    cse_conn *conn = &loop->conns[index];
    cse_conn_fail_sends(loop, conn, 0);
    close(conn->fd);
    void *user = conn->user;
    cse_conn_release_slot(loop, index);
    loop->callbacks.on_closed(user);
}

/* Cuts a connection: shutdown(2) ends its pending operations, its unsent bytes are reported
 * failed with `error`, and the normal close path frees it. A connect in progress ends with
 * `error` instead. */
void cse_conn_cut(cse_loop *loop, uint32_t index, int error) {
    cse_conn *conn = &loop->conns[index];
    if (conn->state == CSE_CONNECTING) {
        if (conn->cancelling) return;
        conn->cancelling = 1;
        conn->connect_error = error;
        loop->ops->cancel_connect(loop, index);
        return;
    }
    shutdown(conn->fd, SHUT_RDWR);
    conn->state = CSE_CLOSING;
    if (!conn->send_inflight) cse_conn_fail_sends(loop, conn, error);
    cse_mark_dirty(loop, index);
}

/* Drops every queued send; reports `error` to the owner once if it is an error. */
void cse_conn_fail_sends(cse_loop *loop, cse_conn *conn, int error) {
    int had = conn->head != NULL;
    while (conn->head) {
        cse_send_node *next = conn->head->next;
        cse_node_release(loop, conn->head);
        conn->head = next;
    }
    conn->tail = NULL;
    if (had && error < 0) loop->callbacks.on_sent(conn->user, error);
}

/* Points the connection's iovecs at the unsent bytes; returns how many are used. */
int cse_conn_fill_iov(cse_conn *conn) {
    int count = 0;
    for (cse_send_node *node = conn->head; node && count < CSE_MAX_IOV; node = node->next) {
        conn->iov[count].iov_base = node->data;
        conn->iov[count].iov_len = node->length;
        count++;
    }
    conn->msg.msg_iov = conn->iov;
    conn->msg.msg_iovlen = (size_t)count;
    return count;
}

/* Advances the send queue by `sent` bytes; completed sends are reported and freed. */
void cse_conn_consume(cse_loop *loop, cse_conn *conn, size_t sent) {
    while (conn->head && sent > 0) {
        cse_send_node *node = conn->head;
        size_t left = node->length;
        if (sent < left) {
            node->data += sent;
            node->length -= sent;
            return;
        }
        sent -= left;
        conn->head = node->next;
        if (!conn->head) conn->tail = NULL;
        long length = (long)node->reported;
        cse_node_release(loop, node);
        loop->callbacks.on_sent(conn->user, length);
    }
}

/* Queues `node` on `connection`. A closing or closed connection does not take it: called
 * from the owner's own cse_send* on the loop thread (`direct`), that is returned as
 * -ESHUTDOWN with the node left to the caller (the owner may hold its lock, so no callback);
 * a send posted from another thread is dropped and reported through on_sent. */
int cse_append_send(cse_loop *loop, uint64_t connection, cse_send_node *node, int direct) {
    cse_conn *conn = cse_conn_lookup(loop, connection);
    if (!conn || conn->state != CSE_OPEN) {
        if (direct) return -ESHUTDOWN;
        /* Closing (e.g. the server shuts down): the owner learns that these bytes were lost. */
        if (conn) loop->callbacks.on_sent(conn->user, -ESHUTDOWN);
        cse_node_release(loop, node);
        return 0;
    }
    node->next = NULL;
    node->reported = node->length;
    if (conn->tail) conn->tail->next = node; else conn->head = node;
    conn->tail = node;
    cse_mark_dirty(loop, (uint32_t)connection);
    return 0;
}

/* Starts closing an open connection once its queued bytes are sent; `linger` gives those bytes
 * close_grace_ms (a shutdown passes 0: shutdown_grace_ms is its limit). */
void cse_begin_close(cse_loop *loop, uint64_t connection, int linger) {
    cse_conn *conn = cse_conn_lookup(loop, connection);
    if (!conn || conn->state != CSE_OPEN) return;
    conn->state = CSE_CLOSING;
    if (linger && (conn->head || conn->send_inflight))
        cse_deadline_set(loop, (uint32_t)connection, CSE_DEADLINE_LINGER,
                         cse_now() + loop->config.close_grace_ms / 1000.0);
    cse_mark_dirty(loop, (uint32_t)connection);
}

/* Stops listening, starts closing every open connection and ends every pending connect
 * (ECANCELED). */
void cse_begin_shutdown(cse_loop *loop) {
    if (loop->stopping) return;
    loop->stopping = 1;
    loop->stop_deadline = cse_now() + loop->config.shutdown_grace_ms / 1000.0;
    for (uint32_t index = 0; index < loop->config.max_connections; index++) {
        uint8_t state = loop->conns[index].state;
        if (state == CSE_OPEN) cse_begin_close(loop, cse_conn_id(loop, index), 0);
        else if (state == CSE_CONNECTING) cse_conn_cut(loop, index, -ECANCELED);
    }
}
