/* The command inbox: what other threads ask of a loop (send, close, resume, run a job,
 * connect, shut down), the loop thread's own job queue, and the eventfd wake-up that ends a
 * blocking wait when a command arrives. */
#include "engine_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    case CSE_CMD_CONNECT:
        cse_connect_begin(loop, command.pointer);
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
    if (cse_on_this_loop(loop) && !loop->dead) {
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

/* A connect that reached a stopped loop: its socket is closed and the owner told. */
static void cse_refuse_connect(cse_loop *loop, cse_connect_request *request) {
    close(request->fd);
    loop->callbacks.on_connect(loop->callbacks.context, request->token, 0, -1, -ECANCELED);
    free(request);
}

/* Marks the loop dead, then runs the jobs that were still queued so no task is lost. */
void cse_drain_after_stop(cse_loop *loop) {
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
            cse_command command = taken.items[i];
            if (command.kind == CSE_CMD_JOB) cse_execute(loop, command);
            else if (command.kind == CSE_CMD_SEND || command.kind == CSE_CMD_RELEASE)
                cse_node_release(loop, command.pointer); /* dead: frees it */
            else if (command.kind == CSE_CMD_CONNECT) cse_refuse_connect(loop, command.pointer);
        }
        free(taken.items);
        free(local.items);
    }
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
