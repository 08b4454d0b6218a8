/* CSchedulerEngine: the event loops under SchedulerEngine's TCPServer and Engine.
 *
 * One loop = one thread = one io_uring (or one epoll instance), accepting on its server's
 * listening socket (shared by the server's loops, see cse_listener_open) or with no listener.
 * Connections are accepted or made by cse_connect; both kinds then live in the same table and
 * use the same receive/send path. Every function returns >= 0 or -errno and never leans on the
 * global errno. Swift sees only this narrow API: opaque loops, 64-bit connection ids and
 * callbacks. Addresses, errno names and the process-wide backend choice come from CSchedulerIO,
 * the one shim for those. */
#ifndef CSCHEDULER_ENGINE_H
#define CSCHEDULER_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "CSchedulerIO.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Which system interface a loop drives. */
enum {
    CSE_BACKEND_IO_URING = 1,
    CSE_BACKEND_EPOLL = 2,
};

/* A running event loop; opaque to Swift. */
typedef struct cse_loop cse_loop;

/* A block of bytes with one owner: a received chunk handed over by on_data, or bytes queued
 * by cse_send/cse_send_buffer. `data` and `length` are the bytes not yet read or sent; the
 * owner may advance `data` (and shrink `length`) as it consumes them. Either hand it back with
 * cse_buffer_release or pass it on with cse_send_buffer, exactly once. */
typedef struct cse_buffer {
    struct cse_buffer *next; /* loop-private */
    uint8_t *data;
    size_t length;
    size_t reported;   /* loop-private: the byte count on_sent reports */
    uint32_t capacity; /* memory the buffer holds (a lent receive-ring buffer counts fully) */
    int32_t bid;       /* the receive-ring buffer `data` points into, or -1 */
    uint8_t bytes[];
} cse_buffer;

/* What the loop tells its owner. Every callback runs on the loop's own thread.
 * `user` is the value returned by on_accept for that connection. */
typedef struct cse_callbacks {
    /* The owner's per-loop context, handed back to on_accept/on_job/on_stopped. */
    void *context;
    /* A connection was accepted; returns the connection's user pointer (never NULL). */
    void *(*on_accept)(void *context, uint64_t connection, int fd);
    /* A cse_connect ended: result 0, the connection and its descriptor (returns the
     * connection's user pointer, never NULL, as on_accept), or result -errno (connection 0,
     * fd -1, the return value is ignored). `request` is the caller's value given to cse_connect. */
    void *(*on_connect)(void *context, void *request, uint64_t connection, int fd, int result);
    /* Bytes arrived (length > 0: `buffer` holds them and now belongs to the owner), the peer
     * closed (0) or receiving failed (-errno; `buffer` is NULL for both).
     * Returns 1 to pause reading until cse_resume_reading, else 0. */
    int (*on_data)(void *user, cse_buffer *buffer, long length);
    /* One queued send finished: its byte count, or -errno (then the queue was dropped). */
    void (*on_sent)(void *user, long result);
    /* The descriptor is closed and no callback for this connection follows. */
    void (*on_closed)(void *user);
    /* Runs one job handed to cse_enqueue_job. */
    void (*on_job)(void *context, void *job);
    /* The loop has stopped after cse_shutdown: every connection closed, listener closed,
     * every pending connect reported (ECANCELED). */
    void (*on_stopped)(void *context);
} cse_callbacks;

/* How to build a loop. */
typedef struct cse_config {
    int backend;               /* CSE_BACKEND_IO_URING or CSE_BACKEND_EPOLL */
    int listen;                /* 1: the loop listens on family/address/port; 0: no listener */
    int family;                /* AF_INET or AF_INET6 */
    uint8_t address[16];       /* network byte order; 4 bytes used for AF_INET */
    uint16_t port;             /* host byte order; 0 = ephemeral */
    int backlog;
    unsigned max_connections;  /* per loop */
    unsigned buffer_count;     /* provided receive buffers (power of two) */
    unsigned buffer_size;      /* bytes per receive buffer */
    unsigned shutdown_grace_ms; /* after cse_shutdown, how long queued bytes may take to drain
                                   before the remaining connections are cut */
    unsigned close_grace_ms;    /* after cse_close, how long one connection's queued bytes may
                                   take to drain before it is cut (its sends fail ETIMEDOUT) */
    int reuse_port;             /* 1: the listener sets SO_REUSEPORT, so other sockets (other
                                   processes of the same user too) may listen on the same port */
    int shared_listener;        /* 1: accept on a duplicate of listener_fd (from
                                   cse_listener_open) instead of binding a listener of its own */
    int listener_fd;
} cse_config;

/* Fills `config` with the defaults (io_uring, 127.0.0.1:0, backlog 1024, ...). */
void cse_config_init(cse_config *config);

/* 0 if `backend` can run on this host, else -errno saying why not (e.g. -ENOSYS, -EPERM). */
int cse_backend_probe(int backend);

/* Creates the listener (if config->listen) and starts the loop thread; returns 0 and sets *out, or -errno.
 * `failed_operation` (may be NULL) receives the name of the step that failed. */
int cse_loop_start(const cse_config *config, const cse_callbacks *callbacks, cse_loop **out,
                   const char **failed_operation);

/* Binds and listens as `config` says (SO_REUSEPORT only with reuse_port) and sets *fd_out and
 * *port_out (host byte order); 0 or -errno, `failed_operation` naming the step. One server's
 * loops all accept on this one socket (each on a duplicate): no other socket can join it, so a
 * second server on the address fails with EADDRINUSE. The caller closes it with close(2). */
int cse_listener_open(const cse_config *config, int *fd_out, int *port_out, const char **failed_operation);

/* The port the loop's listener is bound to (host byte order); 0 without a listener. */
int cse_loop_local_port(const cse_loop *loop);

/* A human-readable list of what the loop runs on, e.g. "io_uring SINGLE_ISSUER DEFER_TASKRUN". */
const char *cse_loop_features(const cse_loop *loop);

/* What a loop's backend has done so far: io_uring completions by kind (all 0 on epoll), and on
 * epoll the readiness events handled (0 on io_uring). Counted by the loop thread; read from any
 * thread (each value is read atomically, the set is not a snapshot). */
typedef struct cse_counters {
    uint64_t ring_accepts;  /* accept completions carrying a connection */
    uint64_t ring_receives; /* recv completions carrying bytes from the buffer ring */
    uint64_t ring_sends;    /* send completions */
    uint64_t ring_enobufs;  /* recv completions that found the buffer ring empty (then refilled) */
    uint64_t epoll_events;  /* epoll_wait events handled */
} cse_counters;

/* Copies the loop's counters into *out. */
void cse_loop_counters(const cse_loop *loop, cse_counters *out);

/* Queues a copy of `bytes` for sending on `connection`. Thread-safe. On the loop thread a
 * closing connection refuses it with -ESHUTDOWN (no on_sent call, which the caller may be
 * holding a lock against); from another thread that loss is reported by on_sent. */
int cse_send(cse_loop *loop, uint64_t connection, const void *bytes, size_t length);

/* Queues `buffer` for sending on `connection` without copying it; always takes ownership
 * (the buffer is released when sent, or at once if it cannot be queued). Thread-safe;
 * refusals as for cse_send. */
int cse_send_buffer(cse_loop *loop, uint64_t connection, cse_buffer *buffer);

/* Gives a buffer back to its loop (a lent receive-ring buffer returns to the ring). Thread-safe;
 * after the loop has stopped it only frees the buffer's own memory. */
void cse_buffer_release(cse_loop *loop, cse_buffer *buffer);

/* Closes `connection` after its queued bytes are sent. Thread-safe; idempotent. */
int cse_close(cse_loop *loop, uint64_t connection);

/* Resumes reading on a connection paused by on_data returning 1. Thread-safe. */
int cse_resume_reading(cse_loop *loop, uint64_t connection);

/* Runs `job` on the loop thread via on_job. Thread-safe. -ESHUTDOWN once the loop has stopped. */
int cse_enqueue_job(cse_loop *loop, void *job);

/* 1 when called on `loop`'s own thread. */
int cse_on_loop_thread(const cse_loop *loop);

/* Hands whole free pages of every malloc arena back to the system (glibc's malloc_trim). */
void cse_trim_heap(void);

/* Connects a new non-blocking TCP socket to `destination` on `loop`, from `source` when not
 * NULL (bound first; port 0 lets the kernel pick the port at connect time, with
 * IP_BIND_ADDRESS_NO_PORT), giving up after timeout_ns (0: no limit) with -ETIMEDOUT.
 * Thread-safe. The socket is made and bound on the calling thread: a failure there returns
 * -errno, names the step in *failed_operation (may be NULL), and on_connect is not called.
 * Otherwise returns 0 and on_connect reports the outcome once, on the loop thread: the
 * connection, registered like an accepted one, or -errno (ECONNREFUSED, ETIMEDOUT, ECANCELED
 * when the loop shuts down first, ...). */
int cse_connect(cse_loop *loop, const csched_io_address *destination,
                const csched_io_address *source, uint64_t timeout_ns, void *request,
                const char **failed_operation);

/* Stops accepting, closes every connection after its queued bytes, then calls on_stopped. */
int cse_shutdown(cse_loop *loop);

/* Frees a loop whose on_stopped has been called. */
void cse_loop_destroy(cse_loop *loop);

#ifdef __cplusplus
}
#endif

#endif
