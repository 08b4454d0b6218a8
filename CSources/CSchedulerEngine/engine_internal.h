/* Shared state of one loop; private to the C core. */
#ifndef CSE_ENGINE_INTERNAL_H
#define CSE_ENGINE_INTERNAL_H

#include "include/CSchedulerEngine.h"

#include <liburing.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/uio.h>

#define CSE_MAX_IOV 16
#define CSE_NODE_CACHE 64
/* Reads up to this many bytes are copied into a small buffer rather than lending a whole
 * receive buffer (or a whole buffer_size block) for a few bytes. */
#define CSE_SMALL_BUFFER 512

/* The loop's buffers are cse_buffer (public header); the old name stays for the send queue. */
typedef cse_buffer cse_send_node;

/* Buffers kept for reuse on the loop thread, by size class. */
enum { CSE_CLASS_LENT = 0, CSE_CLASS_SMALL, CSE_CLASS_LARGE, CSE_CLASS_COUNT };

enum cse_conn_state { CSE_FREE = 0, CSE_CONNECTING, CSE_OPEN, CSE_CLOSING };

/* Why a connection is in the loop's deadline list. */
enum cse_deadline_kind {
    CSE_DEADLINE_NONE = 0,
    CSE_DEADLINE_LINGER,  /* closing with queued bytes: cut when they have not drained by then */
    CSE_DEADLINE_CONNECT, /* connecting: give up with ETIMEDOUT */
};

/* An outbound connect on its way: made by cse_connect, freed when on_connect has reported it. */
typedef struct cse_connect_request {
    int fd;
    void *token; /* the caller's, handed back by on_connect */
    double deadline; /* CLOCK_MONOTONIC seconds, 0 = none */
    struct sockaddr_storage address;
    socklen_t address_length;
} cse_connect_request;

typedef struct cse_conn {
    int fd;
    uint32_t generation;
    uint8_t state;
    uint8_t recv_armed;    /* io_uring: a multishot recv is pending */
    uint8_t send_inflight; /* io_uring: a sendmsg is pending */
    uint8_t paused;        /* owner asked to stop reading */
    uint8_t read_done;     /* EOF or error seen: never read again */
    uint8_t rearm;         /* recv must be re-armed (ENOBUFS, multishot ended) */
    uint8_t dirty;         /* in the loop's dirty list */
    uint8_t shut;          /* shutdown(2) done, waiting for pending ops */
    uint8_t want_out;      /* epoll: EPOLLOUT armed */
    uint8_t want_in;       /* epoll: EPOLLIN armed */
    uint8_t fixed;         /* io_uring: the socket is in the registered file table at its index */
    uint8_t deadline_kind; /* enum cse_deadline_kind: listed in the loop's deadline list */
    uint8_t cancelling;    /* connecting: the backend was asked to end the connect */
    int connect_error;     /* connecting: the error a cancelled connect ends with */
    double deadline;       /* CLOCK_MONOTONIC seconds, for deadline_kind */
    cse_connect_request *connect; /* connecting: what and where */
    void *user;
    cse_send_node *head, *tail;
    struct msghdr msg;
    struct iovec iov[CSE_MAX_IOV];
} cse_conn;

enum cse_command_kind {
    CSE_CMD_SEND, CSE_CMD_RELEASE, CSE_CMD_CLOSE, CSE_CMD_RESUME, CSE_CMD_JOB, CSE_CMD_SHUTDOWN,
    CSE_CMD_CONNECT,
};

typedef struct cse_command {
    int kind;
    uint64_t connection;
    void *pointer;
} cse_command;

typedef struct cse_queue {
    cse_command *items;
    size_t count, capacity;
} cse_queue;

/* One backend (io_uring or epoll) as the loop sees it: the loop code calls only these. Every
 * function runs on the loop thread except probe and free_buffers. */
typedef struct cse_backend_ops {
    const char *name;
    /* 0 if the backend can run on this host, else -errno. Any thread. */
    int (*probe)(void);
    /* Sets up the ring or epoll set (and loop->features); -errno with loop->failed_operation. */
    int (*setup)(cse_loop *loop);
    /* Releases what setup made; the loop has stopped. */
    void (*teardown)(cse_loop *loop);
    /* The loop is stopping: accept no more connections. */
    void (*stop_listening)(cse_loop *loop);
    /* 1 when the backend has nothing of its own pending (an accept) that the loop must await. */
    int (*idle)(const cse_loop *loop);
    /* Submits what is prepared, waits for events (when may_block, bounded by the next
     * deadline) and dispatches them. */
    void (*wait)(cse_loop *loop, int may_block);
    /* Sends, re-arms and finishes the close of one connection marked dirty. */
    void (*flush)(cse_loop *loop, uint32_t index);
    /* A connection joined the table (accepted or connected); it is marked dirty after this. */
    void (*opened)(cse_loop *loop, uint32_t index);
    /* Starts connecting the CSE_CONNECTING connection to its request's address; the backend
     * calls cse_connect_finish once, now or later. */
    void (*connect)(cse_loop *loop, uint32_t index);
    /* Ends a pending connect; it finishes with conn->connect_error (now or on completion). */
    void (*cancel_connect)(cse_loop *loop, uint32_t index);
    /* Gives receive-ring buffer `bid` back to the kernel (only backends that lend buffers). */
    void (*recycle)(cse_loop *loop, unsigned bid);
    /* Frees the memory lent buffers point into; at loop free, from any thread. May be NULL. */
    void (*free_buffers)(cse_loop *loop);
} cse_backend_ops;

extern const cse_backend_ops cse_uring_ops;
extern const cse_backend_ops cse_epoll_ops;

struct cse_loop {
    cse_config config;
    cse_callbacks callbacks;
    const cse_backend_ops *ops;
    char features[160];
    /* cse_counters, field by field: written by the loop thread, read by any (relaxed). */
    _Atomic uint64_t counters[5];
    int listen_fd; /* -1 for a loop without a listener, and once it is closed */
    int local_port;
    int event_fd;
    pthread_t thread;

    /* start handshake */
    pthread_mutex_t start_lock;
    pthread_cond_t start_cond;
    int start_state; /* 0 pending, 1 running, <0 -errno */
    const char *failed_operation;

    /* inbox from other threads */
    pthread_mutex_t inbox_lock;
    cse_queue inbox;
    int dead;
    atomic_int sleeping;
    atomic_int inbox_pending; /* set with each push, cleared when the loop takes the inbox */

    /* loop-thread only */
    cse_queue local; /* commands issued on the loop thread (jobs) */
    cse_queue work;  /* swapped-out inbox being processed */
    cse_conn *conns;
    uint32_t *free_list;
    unsigned free_count;
    unsigned open_count; /* connecting, open and closing connections */
    uint32_t *dirty;
    unsigned dirty_count;
    int stopping;
    int stopped_listening;
    int forced;           /* the shutdown grace period ran out */
    double stop_deadline; /* CLOCK_MONOTONIC seconds */
    uint64_t *deadlines;  /* ids of connections with a deadline (deadline_kind), any order; a
                             live connection is listed at most twice (connect, then linger) */
    unsigned deadline_count, deadline_capacity;

    /* io_uring */
    struct io_uring ring;
    int ring_ready;
    int accept_armed;
    double timer_deadline; /* when the armed wake-up timer fires, 0 if none */
    int fixed_files; /* a sparse registered file table of max_connections slots exists */
    struct io_uring_buf_ring *buf_ring;
    size_t buf_ring_size;
    uint8_t *buffers;
    int buffers_pending; /* recycled since the last advance */
    unsigned buffers_lent; /* receive-ring buffers handed to the owner and not yet back */
    uint64_t event_value;
    struct __kernel_timespec grace_timer;

    /* buffers kept for reuse on the loop thread (header-only for lent ring buffers, small,
     * and buffer_size): a stream would otherwise malloc and free a block per chunk, and glibc
     * trims and refaults the large ones */
    cse_buffer *node_cache[CSE_CLASS_COUNT][CSE_NODE_CACHE];
    unsigned node_cache_count[CSE_CLASS_COUNT];

    /* epoll */
    int epoll_fd;
    cse_buffer *spare; /* the large buffer the next read goes into */
};

/* engine_thread.c: the loop thread's life */
int cse_on_this_loop(const cse_loop *loop);

/* engine_inbox.c: commands from any thread, and waking the loop */
int cse_queue_push(cse_queue *queue, cse_command command);
int cse_post(cse_loop *loop, cse_command command);
int cse_process_commands(cse_loop *loop);
int cse_prepare_wait(cse_loop *loop);
void cse_drain_after_stop(cse_loop *loop);

/* engine_conn.c: the connection table and send queues */
uint64_t cse_conn_id(const cse_loop *loop, uint32_t index);
cse_conn *cse_conn_lookup(cse_loop *loop, uint64_t connection);
void cse_mark_dirty(cse_loop *loop, uint32_t index);
void cse_flush_dirty(cse_loop *loop, void (*flush)(cse_loop *, uint32_t));
int cse_conn_take_slot(cse_loop *loop, int fd, uint8_t state);
void cse_conn_release_slot(cse_loop *loop, uint32_t index);
int cse_conn_open(cse_loop *loop, int fd);
void cse_conn_free(cse_loop *loop, uint32_t index);
void cse_conn_cut(cse_loop *loop, uint32_t index, int error);
void cse_begin_close(cse_loop *loop, uint64_t connection, int linger);
void cse_begin_shutdown(cse_loop *loop);
int cse_append_send(cse_loop *loop, uint64_t connection, cse_buffer *node, int direct);
void cse_conn_fail_sends(cse_loop *loop, cse_conn *conn, int error);
int cse_conn_fill_iov(cse_conn *conn);
void cse_conn_consume(cse_loop *loop, cse_conn *conn, size_t sent);

/* engine_connect.c: outbound connections */
void cse_connect_begin(cse_loop *loop, cse_connect_request *request);
void cse_connect_finish(cse_loop *loop, uint32_t index, int result);

/* engine_deadline.c: the shutdown grace period, lingering closes, connect timeouts */
double cse_now(void);
void cse_deadline_set(cse_loop *loop, uint32_t index, int kind, double when);
double cse_next_deadline(cse_loop *loop);
int cse_wait_ms(cse_loop *loop);
void cse_enforce_deadline(cse_loop *loop);

/* engine_buffer.c */
cse_buffer *cse_node_take(cse_loop *loop, size_t length);
cse_buffer *cse_node_lend(cse_loop *loop, unsigned bid, size_t length);
void cse_node_release(cse_loop *loop, cse_buffer *node);
void cse_node_cache_free(cse_loop *loop);

/* engine_listener.c */
int cse_listen(const cse_config *config, int *fd_out, int *port_out, const char **failed);

/* Indexes into cse_loop.counters, in the order of cse_counters' fields. */
enum { CSE_COUNT_ACCEPT, CSE_COUNT_RECV, CSE_COUNT_SEND, CSE_COUNT_ENOBUFS, CSE_COUNT_EPOLL };

/* Adds `amount` to one of the loop's counters (loop thread only: no read-modify-write race). */
static inline void cse_count(cse_loop *loop, int counter, uint64_t amount) {
    atomic_store_explicit(&loop->counters[counter],
                          atomic_load_explicit(&loop->counters[counter], memory_order_relaxed) + amount,
                          memory_order_relaxed);
}

#endif
