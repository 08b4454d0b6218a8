/* A loop's life: configuration, the start handshake, the loop thread's run (the one loop
 * body both backends share, through their operations table), the drain after stopping, and
 * freeing. */
#include "engine_internal.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

/* initial-exec: the engine is linked into the executable, and the loop asks "am I on the
 * loop thread" several times per message; the default model calls __tls_get_addr each time. */
static __thread cse_loop *cse_current_loop __attribute__((tls_model("initial-exec")));

static const cse_backend_ops *cse_ops_for(int backend) {
    if (backend == CSE_BACKEND_IO_URING) return &cse_uring_ops;
    if (backend == CSE_BACKEND_EPOLL) return &cse_epoll_ops;
    return NULL;
}

void cse_config_init(cse_config *config) {
    memset(config, 0, sizeof *config);
    config->backend = CSE_BACKEND_IO_URING;
    config->listen = 1;
    config->family = AF_INET;
    config->address[0] = 127;
    config->address[3] = 1;
    config->backlog = 1024;
    config->max_connections = 16384;
    config->buffer_count = 256;
    config->buffer_size = 65536;
    config->shutdown_grace_ms = 5000;
    config->close_grace_ms = 5000;
}

int cse_backend_probe(int backend) {
    const cse_backend_ops *ops = cse_ops_for(backend);
    return ops ? ops->probe() : -EINVAL;
}

int cse_on_loop_thread(const cse_loop *loop) { return cse_current_loop == loop; }

int cse_on_this_loop(const cse_loop *loop) { return cse_current_loop == loop; }

int cse_loop_local_port(const cse_loop *loop) { return loop->local_port; }

const char *cse_loop_features(const cse_loop *loop) { return loop->features; }

void cse_loop_counters(const cse_loop *loop, cse_counters *out) {
    uint64_t values[5];
    for (int index = 0; index < 5; index++)
        values[index] = atomic_load_explicit(&((cse_loop *)loop)->counters[index], memory_order_relaxed);
    out->ring_accepts = values[CSE_COUNT_ACCEPT];
    out->ring_receives = values[CSE_COUNT_RECV];
    out->ring_sends = values[CSE_COUNT_SEND];
    out->ring_enobufs = values[CSE_COUNT_ENOBUFS];
    out->epoll_events = values[CSE_COUNT_EPOLL];
}

static void cse_report_start(cse_loop *loop, int state, const char *failed) {
    pthread_mutex_lock(&loop->start_lock);
    loop->start_state = state;
    loop->failed_operation = failed;
    pthread_cond_signal(&loop->start_cond);
    pthread_mutex_unlock(&loop->start_lock);
}

/* The loop body: commands, deadlines, dirty connections, then one backend wait. It ends once
 * a shutdown has closed every connection and the backend has nothing pending. */
static void cse_run(cse_loop *loop) {
    const cse_backend_ops *ops = loop->ops;
    for (;;) {
        cse_process_commands(loop);
        if (loop->stopping && !loop->stopped_listening) {
            loop->stopped_listening = 1;
            ops->stop_listening(loop);
        }
        cse_enforce_deadline(loop);
        cse_flush_dirty(loop, ops->flush);
        if (loop->stopping && loop->open_count == 0 && ops->idle(loop)) return;
        ops->wait(loop, cse_prepare_wait(loop));
    }
}

static void *cse_loop_main(void *argument) {
    cse_loop *loop = argument;
    cse_current_loop = loop;
    pthread_setname_np(pthread_self(), "cse-loop");
    int rc = loop->ops->setup(loop);
    if (rc < 0) {
        cse_report_start(loop, rc, loop->failed_operation);
        return NULL;
    }
    cse_report_start(loop, 1, NULL);
    cse_run(loop);
    if (loop->listen_fd >= 0) {
        close(loop->listen_fd);
        loop->listen_fd = -1;
    }
    cse_drain_after_stop(loop);
    loop->ops->teardown(loop);
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
    if (loop->ops && loop->ops->free_buffers) loop->ops->free_buffers(loop);
    free(loop->conns);
    free(loop->free_list);
    free(loop->dirty);
    free(loop->deadlines);
    free(loop->inbox.items);
    free(loop->work.items);
    free(loop->local.items);
    pthread_mutex_destroy(&loop->inbox_lock);
    pthread_mutex_destroy(&loop->start_lock);
    pthread_cond_destroy(&loop->start_cond);
    free(loop);
}

/* Closes what cse_loop_start opened before the thread ran, and frees the loop. */
static int cse_abandon(cse_loop *loop, int rc) {
    if (loop->listen_fd >= 0) close(loop->listen_fd);
    if (loop->event_fd >= 0) close(loop->event_fd);
    cse_loop_free(loop);
    return rc;
}

int cse_loop_start(const cse_config *config, const cse_callbacks *callbacks, cse_loop **out,
                   const char **failed_operation) {
    const char *ignored;
    if (!failed_operation) failed_operation = &ignored;
    *failed_operation = NULL;
    if (config->max_connections == 0 || config->max_connections > (1u << 24) ||
        config->buffer_count == 0 ||
        (config->buffer_count & (config->buffer_count - 1)) != 0 || config->buffer_count > 32768 ||
        config->buffer_size == 0) {
        *failed_operation = "configure engine";
        return -EINVAL;
    }
    const cse_backend_ops *ops = cse_ops_for(config->backend);
    if (!ops) {
        *failed_operation = "choose backend";
        return -EINVAL;
    }
    cse_loop *loop = calloc(1, sizeof *loop);
    if (!loop) return -ENOMEM;
    loop->config = *config;
    loop->callbacks = *callbacks;
    loop->ops = ops;
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
    loop->deadline_capacity = 2 * max;
    loop->deadlines = malloc((size_t)loop->deadline_capacity * sizeof *loop->deadlines);
    if (!loop->conns || !loop->free_list || !loop->dirty || !loop->deadlines)
        return cse_abandon(loop, -ENOMEM);
    for (unsigned i = 0; i < max; i++) loop->free_list[i] = max - 1 - i;
    loop->free_count = max;

    if (config->listen) {
        int rc = cse_listen(config, &loop->listen_fd, &loop->local_port, failed_operation);
        if (rc < 0) return cse_abandon(loop, rc);
    }
    loop->event_fd = eventfd(0, EFD_CLOEXEC);
    if (loop->event_fd < 0) {
        *failed_operation = "eventfd";
        return cse_abandon(loop, -errno);
    }
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    int rc = -pthread_create(&loop->thread, &attributes, cse_loop_main, loop);
    pthread_attr_destroy(&attributes);
    if (rc < 0) {
        *failed_operation = "pthread_create";
        return cse_abandon(loop, rc);
    }
    pthread_mutex_lock(&loop->start_lock);
    while (loop->start_state == 0) pthread_cond_wait(&loop->start_cond, &loop->start_lock);
    int state = loop->start_state;
    pthread_mutex_unlock(&loop->start_lock);
    if (state < 0) {
        /* The thread has returned without touching the loop after reporting. */
        *failed_operation = loop->failed_operation;
        return cse_abandon(loop, state);
    }
    *out = loop;
    return 0;
}

void cse_loop_destroy(cse_loop *loop) {
    if (loop) cse_loop_free(loop);
}

void cse_trim_heap(void) {
    malloc_trim(0);
}
