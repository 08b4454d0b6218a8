/* The backend-independent half of a loop: start/stop, the command inbox, the connection
 * table and send queues. The backends (engine_uring.c, engine_epoll.c) drive the I/O. */
#include "engine_internal.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* initial-exec: the engine is linked into the executable, and the loop asks "am I on the
 * loop thread" several times per message; the default model calls __tls_get_addr each time. */
static __thread cse_loop *cse_current_loop __attribute__((tls_model("initial-exec")));

static double cse_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* Cuts a connection: shutdown(2) ends its pending operations, its unsent bytes are reported
 * failed with `error`, and the normal close path frees it. */
static void cse_conn_cut(cse_loop *loop, uint32_t index, int error) {
    cse_conn *conn = &loop->conns[index];
    shutdown(conn->fd, SHUT_RDWR);
    conn->state = CSE_CLOSING;
    if (!conn->send_inflight) cse_conn_fail_sends(loop, conn, error);
    cse_mark_dirty(loop, index);
}

/* The earliest deadline the loop must wake for (the shutdown grace period, a lingering
 * close), in CLOCK_MONOTONIC seconds; 0 if none. Forgets lingering entries whose connection
 * has closed meanwhile. */
double cse_next_deadline(cse_loop *loop) {
    double next = loop->stopping && !loop->forced ? loop->stop_deadline : 0;
    unsigned kept = 0;
    for (unsigned i = 0; i < loop->lingering_count; i++) {
        cse_conn *conn = cse_conn_lookup(loop, loop->lingering[i]);
        if (!conn || !conn->lingering) continue;
        loop->lingering[kept++] = loop->lingering[i];
        if (next == 0 || conn->close_deadline < next) next = conn->close_deadline;
    }
    loop->lingering_count = kept;
    return next;
}

/* Milliseconds until the next deadline (at least 1), or -1 if there is none: a wait timeout. */
int cse_wait_ms(cse_loop *loop) {
    double next = cse_next_deadline(loop);
    if (next == 0) return -1;
    double left = next - cse_now();
    return left <= 0 ? 1 : (int)(left * 1000) + 1;
}

/* Cuts what overran its deadline: every connection once the shutdown grace period is over,
 * and each closing connection whose queued bytes did not drain within close_grace_ms. */
void cse_enforce_deadline(cse_loop *loop) {
    if (loop->lingering_count == 0 && !(loop->stopping && !loop->forced)) return;
    double now = cse_now();
    for (unsigned i = 0; i < loop->lingering_count; i++) {
        cse_conn *conn = cse_conn_lookup(loop, loop->lingering[i]);
        if (!conn || !conn->lingering || now < conn->close_deadline) continue;
        conn->lingering = 0;
        cse_conn_cut(loop, (uint32_t)loop->lingering[i], -ETIMEDOUT);
    }
    if (!loop->stopping || loop->forced || now < loop->stop_deadline) return;
    loop->forced = 1;
    for (uint32_t index = 0; index < loop->config.max_connections; index++) {
        if (loop->conns[index].state != CSE_FREE) cse_conn_cut(loop, index, -ECANCELED);
    }
}

void cse_config_init(cse_config *config) {
    memset(config, 0, sizeof *config);
    config->backend = CSE_BACKEND_IO_URING;
    config->family = AF_INET;
    config->address[0] = 127;
    config->address[3] = 1;
    config->backlog = 1024;
    config->max_connections = 8192;
    config->buffer_count = 256;
    config->buffer_size = 65536;
    config->shutdown_grace_ms = 5000;
    config->close_grace_ms = 5000;
}

int cse_backend_probe(int backend) {
    if (backend == CSE_BACKEND_EPOLL) return 0;
    if (backend != CSE_BACKEND_IO_URING) return -EINVAL;
    struct io_uring ring;
    int rc = io_uring_queue_init(4, &ring, 0);
    if (rc < 0) return rc;
    io_uring_queue_exit(&ring);
    return 0;
}

int cse_queue_push(cse_queue *queue, cse_command command) {
    if (queue->count == queue->capacity) {
        size_t capacity = queue->capacity ? queue->capacity * 2 : 64;
        cse_command *items = realloc(queue->items, capacity * sizeof *items);
        if (!items) return -ENOMEM;
        queue->items = items;
        queue->capacity = capacity;
    }
    queue->items[queue->count++] = command;
    return 0;
}

static uint64_t cse_conn_id(cse_loop *loop, uint32_t index) {
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

/* Runs `flush` once on every live connection marked dirty before this call; connections
 * marked while it runs wait for the next pass. */
void cse_flush_dirty(cse_loop *loop, void (*flush)(cse_loop *, uint32_t)) {
    unsigned count = loop->dirty_count;
    for (unsigned i = 0; i < count; i++) {
        uint32_t index = loop->dirty[i];
        loop->conns[index].dirty = 0;
        if (loop->conns[index].state != CSE_FREE) flush(loop, index);
    }
    memmove(loop->dirty, loop->dirty + count, (loop->dirty_count - count) * sizeof *loop->dirty);
    loop->dirty_count -= count;
}

/* Takes a fresh slot for `fd`; returns its index or -ENFILE when the table is full. */
int cse_conn_open(cse_loop *loop, int fd) {
    if (loop->free_count == 0) return -ENFILE;
    uint32_t index = loop->free_list[--loop->free_count];
    cse_conn *conn = &loop->conns[index];
    uint32_t generation = conn->generation;
    memset(conn, 0, sizeof *conn);
    conn->generation = generation;
    conn->fd = fd;
    conn->state = CSE_OPEN;
    conn->msg.msg_iov = conn->iov;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    loop->open_count++;
    conn->user = loop->callbacks.on_accept(loop->callbacks.context, cse_conn_id(loop, index), fd);
    return (int)index;
}

/* Closes the descriptor, tells the owner, and returns the slot (with a new generation). */
void cse_conn_free(cse_loop *loop, uint32_t index) {
    cse_conn *conn = &loop->conns[index];
    cse_conn_fail_sends(loop, conn, 0);
    close(conn->fd);
    conn->fd = -1;
    conn->state = CSE_FREE;
    conn->lingering = 0;
    conn->generation++;
    loop->open_count--;
    loop->free_list[loop->free_count++] = index;
    loop->callbacks.on_closed(conn->user);
    conn->user = NULL;
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
static void cse_begin_close(cse_loop *loop, uint64_t connection, int linger) {
    cse_conn *conn = cse_conn_lookup(loop, connection);
    if (!conn || conn->state != CSE_OPEN) return;
    conn->state = CSE_CLOSING;
    if (linger && (conn->head || conn->send_inflight)) {
        conn->lingering = 1;
        /* Full only of entries of closed connections (each live one is listed once): forget them. */
        if (loop->lingering_count == loop->config.max_connections) (void)cse_next_deadline(loop);
        conn->close_deadline = cse_now() + loop->config.close_grace_ms / 1000.0;
        loop->lingering[loop->lingering_count++] = connection;
    }
    cse_mark_dirty(loop, (uint32_t)connection);
}

static void cse_begin_shutdown(cse_loop *loop) {
    if (loop->stopping) return;
    loop->stopping = 1;
    loop->stop_deadline = cse_now() + loop->config.shutdown_grace_ms / 1000.0;
    for (uint32_t index = 0; index < loop->config.max_connections; index++) {
        if (loop->conns[index].state == CSE_OPEN) cse_begin_close(loop, cse_conn_id(loop, index), 0);
    }
}

static void cse_execute(cse_loop *loop, cse_command command) {
    switch (command.kind) {
    case CSE_CMD_SEND:
        cse_append_send(loop, command.connection, command.pointer, 0);
        break;
    case CSE_CMD_RELEASE:
        cse_node_release(loop, command.pointer);
        break;
    case CSE_CMD_CLOSE:
        cse_begin_close(loop, command.connection, 1);
        break;
    case CSE_CMD_RESUME: {
        cse_conn *conn = cse_conn_lookup(loop, command.connection);
        if (conn && conn->paused) {
            conn->paused = 0;
            cse_mark_dirty(loop, (uint32_t)command.connection);
        }
        break;
    }
    case CSE_CMD_JOB:
        loop->callbacks.on_job(loop->callbacks.context, command.pointer);
        break;
    case CSE_CMD_SHUTDOWN:
        cse_begin_shutdown(loop);
        break;
    }
}

/* Runs what other threads sent, then the jobs queued on this thread before this call.
 * Returns the number of local jobs still waiting (queued while running). */
int cse_process_commands(cse_loop *loop) {
    /* Most iterations find the inbox empty: a flag spares them the lock. */
    if (atomic_load(&loop->inbox_pending)) {
        pthread_mutex_lock(&loop->inbox_lock);
        cse_queue taken = loop->inbox;
        loop->inbox = loop->work;
        loop->inbox.count = 0;
        atomic_store(&loop->inbox_pending, 0);
        pthread_mutex_unlock(&loop->inbox_lock);
        for (size_t i = 0; i < taken.count; i++) cse_execute(loop, taken.items[i]);
        taken.count = 0;
        loop->work = taken;
    }

    size_t snapshot = loop->local.count;
    for (size_t i = 0; i < snapshot; i++) cse_execute(loop, loop->local.items[i]);
    size_t rest = loop->local.count - snapshot;
    /* (items is NULL until the first local job: memmove must not see it even for 0 bytes) */
    if (snapshot > 0 && rest > 0)
        memmove(loop->local.items, loop->local.items + snapshot, rest * sizeof(cse_command));
    loop->local.count = rest;
    return (int)rest;
}

/* 1 if the loop may block: nothing is queued, and producers will now write the eventfd. */
int cse_prepare_wait(cse_loop *loop) {
    if (loop->local.count > 0) return 0;
    /* Sequentially consistent both sides: a producer sets inbox_pending and then swaps
     * `sleeping`, this sets `sleeping` and then reads inbox_pending, so either the producer
     * sees sleeping == 1 and writes the eventfd or this sees the command and does not block. */
    atomic_store(&loop->sleeping, 1);
    if (atomic_load(&loop->inbox_pending)) {
        atomic_store(&loop->sleeping, 0);
        return 0;
    }
    return 1;
}

int cse_post(cse_loop *loop, cse_command command) {
    if (cse_current_loop == loop && !loop->dead) {
        if (command.kind == CSE_CMD_JOB) return cse_queue_push(&loop->local, command);
        if (command.kind == CSE_CMD_SEND) return cse_append_send(loop, command.connection, command.pointer, 1);
        cse_execute(loop, command);
        return 0;
    }
    pthread_mutex_lock(&loop->inbox_lock);
    if (loop->dead) {
        pthread_mutex_unlock(&loop->inbox_lock);
        return -ESHUTDOWN;
    }
    int rc = cse_queue_push(&loop->inbox, command);
    if (rc == 0) atomic_store(&loop->inbox_pending, 1);
    if (rc == 0 && atomic_exchange(&loop->sleeping, 0)) {
        uint64_t one = 1;
        ssize_t written = write(loop->event_fd, &one, sizeof one);
        (void)written; /* EAGAIN means the counter is already non-zero: the loop wakes anyway */
    }
    pthread_mutex_unlock(&loop->inbox_lock);
    return rc;
}

int cse_close(cse_loop *loop, uint64_t connection) {
    return cse_post(loop, (cse_command){CSE_CMD_CLOSE, connection, NULL});
}

int cse_resume_reading(cse_loop *loop, uint64_t connection) {
    return cse_post(loop, (cse_command){CSE_CMD_RESUME, connection, NULL});
}

int cse_enqueue_job(cse_loop *loop, void *job) {
    return cse_post(loop, (cse_command){CSE_CMD_JOB, 0, job});
}

int cse_shutdown(cse_loop *loop) {
    int rc = cse_post(loop, (cse_command){CSE_CMD_SHUTDOWN, 0, NULL});
    return rc == -ESHUTDOWN ? 0 : rc;
}

int cse_on_loop_thread(const cse_loop *loop) { return cse_current_loop == loop; }

int cse_on_this_loop(const cse_loop *loop) { return cse_current_loop == loop; }

int cse_loop_local_port(const cse_loop *loop) { return loop->local_port; }

const char *cse_loop_features(const cse_loop *loop) { return loop->features; }

static void cse_report_start(cse_loop *loop, int state, const char *failed) {
    pthread_mutex_lock(&loop->start_lock);
    loop->start_state = state;
    loop->failed_operation = failed;
    pthread_cond_signal(&loop->start_cond);
    pthread_mutex_unlock(&loop->start_lock);
}

/* Marks the loop dead, then runs the jobs that were still queued so no task is lost. */
static void cse_drain_after_stop(cse_loop *loop) {
    for (;;) {
        pthread_mutex_lock(&loop->inbox_lock);
        loop->dead = 1;
        cse_queue taken = loop->inbox;
        loop->inbox = (cse_queue){0};
        pthread_mutex_unlock(&loop->inbox_lock);
        cse_queue local = loop->local;
        loop->local = (cse_queue){0};
        if (taken.count == 0 && local.count == 0) {
            free(taken.items);
            free(local.items);
            cse_node_cache_free(loop);
            return;
        }
        for (size_t i = 0; i < local.count; i++) {
            if (local.items[i].kind == CSE_CMD_JOB) cse_execute(loop, local.items[i]);
        }
        for (size_t i = 0; i < taken.count; i++) {
            if (taken.items[i].kind == CSE_CMD_JOB) cse_execute(loop, taken.items[i]);
            else if (taken.items[i].kind == CSE_CMD_SEND || taken.items[i].kind == CSE_CMD_RELEASE)
                cse_node_release(loop, taken.items[i].pointer); /* dead: frees it */
        }
        free(taken.items);
        free(local.items);
    }
}

static void *cse_loop_main(void *argument) {
    cse_loop *loop = argument;
    cse_current_loop = loop;
    pthread_setname_np(pthread_self(), "cse-loop");
    int rc = loop->config.backend == CSE_BACKEND_IO_URING ? cse_uring_setup(loop)
                                                          : cse_epoll_setup(loop);
    if (rc < 0) {
        cse_report_start(loop, rc, loop->failed_operation);
        return NULL;
    }
    cse_report_start(loop, 1, NULL);
    if (loop->config.backend == CSE_BACKEND_IO_URING) cse_uring_run(loop);
    else cse_epoll_run(loop);
    if (loop->listen_fd >= 0) {
        close(loop->listen_fd);
        loop->listen_fd = -1;
    }
    cse_drain_after_stop(loop);
    if (loop->config.backend == CSE_BACKEND_IO_URING) cse_uring_teardown(loop);
    else cse_epoll_teardown(loop);
    close(loop->event_fd);
    loop->event_fd = -1;
    cse_current_loop = NULL;
    /* The owner may free the loop inside on_stopped: touch nothing after it. */
    loop->callbacks.on_stopped(loop->callbacks.context);
    return NULL;
}

static void cse_loop_free(cse_loop *loop) {
    /* The receive ring's memory outlives the loop thread: buffers lent from it may still be
     * held; the owner destroys the loop only after releasing them. */
    cse_uring_free_buffers(loop);
    free(loop->conns);
    free(loop->free_list);
    free(loop->dirty);
    free(loop->lingering);
    free(loop->inbox.items);
    free(loop->work.items);
    free(loop->local.items);
    pthread_mutex_destroy(&loop->inbox_lock);
    pthread_mutex_destroy(&loop->start_lock);
    pthread_cond_destroy(&loop->start_cond);
    free(loop);
}

int cse_loop_start(const cse_config *config, const cse_callbacks *callbacks, cse_loop **out,
                   const char **failed_operation) {
    const char *ignored;
    if (!failed_operation) failed_operation = &ignored;
    *failed_operation = NULL;
    if (config->max_connections == 0 || config->buffer_count == 0 ||
        (config->buffer_count & (config->buffer_count - 1)) != 0 || config->buffer_count > 32768 ||
        config->buffer_size == 0) {
        *failed_operation = "configure engine";
        return -EINVAL;
    }
    if (config->backend != CSE_BACKEND_IO_URING && config->backend != CSE_BACKEND_EPOLL) {
        *failed_operation = "choose backend";
        return -EINVAL;
    }
    cse_loop *loop = calloc(1, sizeof *loop);
    if (!loop) return -ENOMEM;
    loop->config = *config;
    loop->callbacks = *callbacks;
    loop->listen_fd = -1;
    loop->event_fd = -1;
    loop->epoll_fd = -1;
    pthread_mutex_init(&loop->inbox_lock, NULL);
    pthread_mutex_init(&loop->start_lock, NULL);
    pthread_cond_init(&loop->start_cond, NULL);
    unsigned max = config->max_connections;
    loop->conns = calloc(max, sizeof *loop->conns);
    loop->free_list = malloc(max * sizeof *loop->free_list);
    loop->dirty = malloc(max * sizeof *loop->dirty);
    loop->lingering = malloc(max * sizeof *loop->lingering);
    if (!loop->conns || !loop->free_list || !loop->dirty || !loop->lingering) {
        cse_loop_free(loop);
        return -ENOMEM;
    }
    for (unsigned i = 0; i < max; i++) loop->free_list[i] = max - 1 - i;
    loop->free_count = max;

    int rc = cse_listen(config, &loop->listen_fd, &loop->local_port, failed_operation);
    if (rc < 0) {
        cse_loop_free(loop);
        return rc;
    }
    loop->event_fd = eventfd(0, EFD_CLOEXEC);
    if (loop->event_fd < 0) {
        rc = -errno;
        close(loop->listen_fd);
        cse_loop_free(loop);
        *failed_operation = "eventfd";
        return rc;
    }
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    rc = -pthread_create(&loop->thread, &attributes, cse_loop_main, loop);
    pthread_attr_destroy(&attributes);
    if (rc < 0) {
        close(loop->listen_fd);
        close(loop->event_fd);
        cse_loop_free(loop);
        *failed_operation = "pthread_create";
        return rc;
    }
    pthread_mutex_lock(&loop->start_lock);
    while (loop->start_state == 0) pthread_cond_wait(&loop->start_cond, &loop->start_lock);
    int state = loop->start_state;
    pthread_mutex_unlock(&loop->start_lock);
    if (state < 0) {
        /* The thread has returned without touching the loop after reporting. */
        *failed_operation = loop->failed_operation;
        close(loop->listen_fd);
        close(loop->event_fd);
        cse_loop_free(loop);
        return state;
    }
    *out = loop;
    return 0;
}

void cse_loop_destroy(cse_loop *loop) {
    if (loop) cse_loop_free(loop);
}

const char *cse_errno_name(int error) { return strerrorname_np(error); }

const char *cse_errno_text(int error) { return strerror(error); }
