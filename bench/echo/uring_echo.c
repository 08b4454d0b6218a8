/* Hand-written single-threaded io_uring echo server: the C baseline for `make bench-echo`.
 * Multishot accept, multishot recv into a provided-buffer ring, the received buffer sent back
 * as-is (recycled when the send completes), short sends continued, SINGLE_ISSUER|DEFER_TASKRUN.
 * usage: uring_echo PORT   (127.0.0.1; SIGINT/SIGTERM stop it) */
#define _GNU_SOURCE
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF_COUNT 256
#define BUF_SIZE 65536
#define GROUP 1
#define MAX_FD 65536
enum { OP_ACCEPT = 1, OP_RECV, OP_SEND };

/* A buffer being echoed back, possibly in several sends. */
struct pending {
    struct pending *next;
    int bid, len, off;
};
static struct conn {
    struct pending *head, *tail;
    int sending;
} conns[MAX_FD];

static struct io_uring ring;
static struct io_uring_buf_ring *br;
static char *buffers;
static int recycled;
static volatile sig_atomic_t stop;

static void on_signal(int number) { (void)number; stop = 1; }

static uint64_t tag(int op, int fd) { return ((uint64_t)fd << 8) | (uint64_t)op; }

static struct io_uring_sqe *sqe_get(void) {
    struct io_uring_sqe *sqe;
    while (!(sqe = io_uring_get_sqe(&ring))) io_uring_submit(&ring);
    return sqe;
}

static void arm_accept(int listener) {
    struct io_uring_sqe *sqe = sqe_get();
    io_uring_prep_multishot_accept(sqe, listener, NULL, NULL, 0);
    io_uring_sqe_set_data64(sqe, tag(OP_ACCEPT, listener));
}

static void arm_recv(int fd) {
    struct io_uring_sqe *sqe = sqe_get();
    io_uring_prep_recv_multishot(sqe, fd, NULL, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = GROUP;
    io_uring_sqe_set_data64(sqe, tag(OP_RECV, fd));
}

static void send_head(int fd) {
    struct pending *p = conns[fd].head;
    struct io_uring_sqe *sqe = sqe_get();
    io_uring_prep_send(sqe, fd, buffers + (size_t)p->bid * BUF_SIZE + p->off, (size_t)(p->len - p->off),
                       MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, tag(OP_SEND, fd));
    conns[fd].sending = 1;
}

static void recycle(int bid) {
    io_uring_buf_ring_add(br, buffers + (size_t)bid * BUF_SIZE, BUF_SIZE, (unsigned short)bid,
                          io_uring_buf_ring_mask(BUF_COUNT), recycled++);
}

static void drop(int fd) {
    struct pending *p = conns[fd].head;
    while (p) {
        struct pending *next = p->next;
        recycle(p->bid);
        free(p);
        p = next;
    }
    conns[fd].head = conns[fd].tail = NULL;
    conns[fd].sending = 0;
    close(fd);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s PORT\n", argv[0]);
        return 2;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    int listener = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(listener, (struct sockaddr *)&address, sizeof address) < 0 || listen(listener, 1024) < 0) {
        perror("bind/listen");
        return 1;
    }
    struct io_uring_params params = {.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
                                              IORING_SETUP_CQSIZE,
                                     .cq_entries = 8192};
    int rc = io_uring_queue_init_params(1024, &ring, &params);
    if (rc < 0) {
        fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-rc));
        return 1;
    }
    br = mmap(NULL, BUF_COUNT * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE,
              MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    buffers = malloc((size_t)BUF_COUNT * BUF_SIZE);
    struct io_uring_buf_reg reg = {.ring_addr = (unsigned long)br, .ring_entries = BUF_COUNT, .bgid = GROUP};
    if ((rc = io_uring_register_buf_ring(&ring, &reg, 0)) < 0) {
        fprintf(stderr, "io_uring_register_buf_ring: %s\n", strerror(-rc));
        return 1;
    }
    io_uring_buf_ring_init(br);
    for (int i = 0; i < BUF_COUNT; i++) recycle(i);
    io_uring_buf_ring_advance(br, recycled);
    recycled = 0;
    arm_accept(listener);
    printf("uring_echo: listening on 127.0.0.1:%s\n", argv[1]);
    fflush(stdout);

    while (!stop) {
        rc = io_uring_submit_and_wait(&ring, 1);
        if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) break;
        struct io_uring_cqe *cqe;
        unsigned head, seen = 0;
        io_uring_for_each_cqe(&ring, head, cqe) {
            seen++;
            uint64_t data = io_uring_cqe_get_data64(cqe);
            int fd = (int)(data >> 8), res = cqe->res, more = cqe->flags & IORING_CQE_F_MORE;
            switch ((int)(data & 0xff)) {
            case OP_ACCEPT:
                if (res >= 0 && res < MAX_FD) {
                    setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    arm_recv(res);
                } else if (res >= 0) {
                    close(res);
                }
                if (!more) arm_accept(listener);
                break;
            case OP_RECV:
                if (res > 0) {
                    struct pending *p = malloc(sizeof *p);
                    *p = (struct pending){NULL, (int)(cqe->flags >> IORING_CQE_BUFFER_SHIFT), res, 0};
                    if (conns[fd].tail) conns[fd].tail->next = p; else conns[fd].head = p;
                    conns[fd].tail = p;
                    if (!conns[fd].sending) send_head(fd);
                    if (!more) arm_recv(fd);
                } else if (res == -ENOBUFS) {
                    arm_recv(fd); /* buffers come back as sends complete */
                } else if (!more) {
                    drop(fd);
                }
                break;
            case OP_SEND: {
                conns[fd].sending = 0;
                struct pending *p = conns[fd].head;
                if (!p) break;
                if (res < 0) break; /* the recv side sees the error and drops the connection */
                p->off += res;
                if (p->off == p->len) {
                    conns[fd].head = p->next;
                    if (!conns[fd].head) conns[fd].tail = NULL;
                    recycle(p->bid);
                    free(p);
                }
                if (conns[fd].head) send_head(fd);
                break;
            }
            }
        }
        io_uring_cq_advance(&ring, seen);
        if (recycled) {
            io_uring_buf_ring_advance(br, recycled);
            recycled = 0;
        }
    }
    io_uring_queue_exit(&ring);
    close(listener);
    return 0;
}
