/* The one load client that drives every echo server in `make bench-echo`.
 *
 *   load_client --port P --mode pingpong --connections 64 --size 64 --seconds 5 [--pid SERVER_PID]
 *               [--io io_uring|epoll]
 *   load_client --port P --mode bulk --size 65536 --seconds 5 [--pid SERVER_PID]
 *
 * pingpong: each connection sends `size` bytes, waits for all of them back, and repeats;
 * every round trip's latency goes into a 1-microsecond histogram. --io picks how the client
 * itself does its I/O: io_uring (the default: multishot receives, batched sends, about one
 * system call per batch) or epoll (a read and a write call per round trip, the first version).
 * The client is single-threaded; its own CPU share is reported so that a run bounded by the
 * client rather than the server can be told apart.
 * bulk: one connection writes `size`-byte blocks as fast as the socket takes them while
 * reading the echo back; the figure is echoed bytes per second.
 * With --pid, the server's user+system CPU time over the measured window is read from
 * /proc/PID/stat. One line of `key=value` results goes to stdout. 127.0.0.1 only. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HIST_US 200000 /* latencies above 200 ms land in the last bucket */
#define WARMUP_SECONDS 0.5

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A process's user and system CPU seconds from /proc/PID/stat (pid 0: this process);
 * both -1 when it cannot be read. */
struct cpu_times {
    double user, system;
};

static struct cpu_times cpu_times_of(int pid) {
    struct cpu_times none = {-1, -1};
    char path[64], text[4096];
    if (pid > 0) snprintf(path, sizeof path, "/proc/%d/stat", pid);
    else snprintf(path, sizeof path, "/proc/self/stat");
    int fd = open(path, O_RDONLY);
    if (fd < 0) return none;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0) return none;
    text[n] = 0;
    char *p = strrchr(text, ')'); /* the command name may hold spaces */
    if (!p) return none;
    unsigned long utime = 0, stime = 0;
    /* fields after ")": state(3) ... utime(14) stime(15) */
    int field = 2;
    for (char *token = strtok(p + 1, " "); token; token = strtok(NULL, " ")) {
        field++;
        if (field == 14) utime = strtoul(token, NULL, 10);
        if (field == 15) {
            stime = strtoul(token, NULL, 10);
            break;
        }
    }
    double tick = (double)sysconf(_SC_CLK_TCK);
    return (struct cpu_times){(double)utime / tick, (double)stime / tick};
}

/* The server's utime+stime in seconds, or -1. */
static double cpu_seconds(int pid) {
    if (pid <= 0) return -1;
    struct cpu_times times = cpu_times_of(pid);
    return times.user < 0 ? -1 : times.user + times.system;
}

static int connect_to(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0) {
        perror("connect");
        exit(1);
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

static unsigned long percentile(const unsigned long *hist, unsigned long total, double q) {
    unsigned long want = (unsigned long)(q * (double)total), seen = 0;
    for (unsigned long us = 0; us < HIST_US; us++) {
        seen += hist[us];
        if (seen > want) return us;
    }
    return HIST_US;
}

struct client {
    int fd;
    int received;
    double started;
};

/* The measured window of a ping-pong run: round trips, their latencies, CPU times. */
struct window {
    unsigned long *hist;
    unsigned long trips;
    double measure_from, end;
    int measuring, pid;
    struct cpu_times server_start, client_start;
};

static void window_init(struct window *w, double seconds, int pid) {
    memset(w, 0, sizeof *w);
    w->hist = calloc(HIST_US + 1, sizeof *w->hist);
    w->measure_from = now() + WARMUP_SECONDS;
    w->end = w->measure_from + seconds;
    w->pid = pid;
}

/* Starts measuring once the warm-up is over; returns 0 once the window has ended. */
static int window_tick(struct window *w, double t) {
    if (!w->measuring && t >= w->measure_from) {
        w->measuring = 1;
        w->server_start = cpu_times_of(w->pid);
        w->client_start = cpu_times_of(0);
        w->trips = 0;
        memset(w->hist, 0, (HIST_US + 1) * sizeof *w->hist);
        w->measure_from = t;
    }
    return t < w->end;
}

static void window_trip(struct window *w, double started, double done) {
    unsigned long us = (unsigned long)((done - started) * 1e6);
    w->hist[us < HIST_US ? us : HIST_US]++;
    w->trips++;
}

static void window_report(const struct window *w, int connections, int size, const char *io) {
    double elapsed = now() - w->measure_from;
    struct cpu_times server_end = cpu_times_of(w->pid), client_end = cpu_times_of(0);
    double user = server_end.user - w->server_start.user, system = server_end.system - w->server_start.system;
    double cpu = w->pid > 0 && w->server_start.user >= 0 && server_end.user >= 0 ? user + system : -1.0;
    double per_trip = w->trips ? 1e6 / (double)w->trips : 0;
    /* The client's own CPU share over the window: near 1.0 means the client, not the server,
     * bounds the round trips per second. */
    double client_share =
        (client_end.user - w->client_start.user + client_end.system - w->client_start.system) / elapsed;
    printf("mode=pingpong io=%s connections=%d size=%d seconds=%.3f round_trips=%lu rps=%.0f p50_us=%lu "
           "p99_us=%lu server_cpu_s=%.3f cpu_us_per_trip=%.3f user_us_per_trip=%.3f "
           "sys_us_per_trip=%.3f client_cpu_share=%.3f\n",
           io, connections, size, elapsed, w->trips, (double)w->trips / elapsed,
           percentile(w->hist, w->trips, 0.50), percentile(w->hist, w->trips, 0.99), cpu,
           cpu >= 0 ? cpu * per_trip : -1.0, cpu >= 0 ? user * per_trip : -1.0,
           cpu >= 0 ? system * per_trip : -1.0, client_share);
}

/* Ping-pong on epoll: a read and a write system call per round trip. */
static int pingpong_epoll(int port, int connections, int size, double seconds, int pid) {
    char *message = malloc((size_t)size), *buffer = malloc(65536);
    memset(message, 'x', (size_t)size);
    struct client *clients = calloc((size_t)connections, sizeof *clients);
    int epfd = epoll_create1(0);
    for (int i = 0; i < connections; i++) {
        clients[i].fd = connect_to(port);
        struct epoll_event event = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(epfd, EPOLL_CTL_ADD, clients[i].fd, &event);
    }
    struct window w;
    window_init(&w, seconds, pid);
    for (int i = 0; i < connections; i++) {
        clients[i].started = now();
        if (write(clients[i].fd, message, (size_t)size) != size) {
            perror("write");
            return 1;
        }
    }
    struct epoll_event events[256];
    while (window_tick(&w, now())) {
        int n = epoll_wait(epfd, events, 256, 100);
        for (int e = 0; e < n; e++) {
            struct client *c = &clients[events[e].data.u32];
            ssize_t r = read(c->fd, buffer, 65536);
            if (r <= 0) {
                if (r < 0 && errno == EAGAIN) continue;
                fprintf(stderr, "load_client: server closed a connection\n");
                return 1;
            }
            c->received += (int)r;
            if (c->received < size) continue;
            double done = now();
            window_trip(&w, c->started, done);
            c->received -= size;
            c->started = done;
            if (write(c->fd, message, (size_t)size) != size) {
                perror("write");
                return 1;
            }
        }
    }
    window_report(&w, connections, size, "epoll");
    for (int i = 0; i < connections; i++) close(clients[i].fd);
    return 0;
}

/* Ping-pong on io_uring: one multishot receive per connection into a provided-buffer ring,
 * and every send of an iteration submitted with the wait for the next completions, so the
 * client spends about one system call per batch of round trips instead of two per trip. */
#define CLIENT_BUFFERS 256
#define CLIENT_BUFFER_SIZE 4096
#define CLIENT_GROUP 3
enum { CLIENT_RECV = 1, CLIENT_SEND = 2 };

static void client_arm_recv(struct io_uring *ring, int index) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    io_uring_prep_recv_multishot(sqe, index, NULL, 0, 0);
    sqe->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
    sqe->buf_group = CLIENT_GROUP;
    io_uring_sqe_set_data64(sqe, ((uint64_t)index << 8) | CLIENT_RECV);
}

static void client_send(struct io_uring *ring, int index, const char *bytes, int length) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    while (!sqe) {
        io_uring_submit(ring);
        sqe = io_uring_get_sqe(ring);
    }
    io_uring_prep_send(sqe, index, bytes, (size_t)length, MSG_NOSIGNAL);
    sqe->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data64(sqe, ((uint64_t)index << 8) | CLIENT_SEND);
}

static int pingpong_uring(int port, int connections, int size, double seconds, int pid) {
    char *message = malloc((size_t)size);
    memset(message, 'x', (size_t)size);
    struct client *clients = calloc((size_t)connections, sizeof *clients);
    int *fds = calloc((size_t)connections, sizeof *fds);
    for (int i = 0; i < connections; i++) fds[i] = clients[i].fd = connect_to(port);
    struct io_uring ring;
    struct io_uring_params params = {.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
                                              IORING_SETUP_CQSIZE,
                                     .cq_entries = 4096};
    int rc = io_uring_queue_init_params(1024, &ring, &params);
    if (rc == 0) rc = io_uring_register_files(&ring, fds, (unsigned)connections);
    if (rc < 0) {
        fprintf(stderr, "load_client: io_uring setup: %s\n", strerror(-rc));
        return 1;
    }
    io_uring_register_ring_fd(&ring);
    struct io_uring_buf_ring *buffer_ring =
        mmap(NULL, CLIENT_BUFFERS * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE,
             MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    char *buffers = malloc((size_t)CLIENT_BUFFERS * CLIENT_BUFFER_SIZE);
    struct io_uring_buf_reg registration = {.ring_addr = (unsigned long)buffer_ring,
                                            .ring_entries = CLIENT_BUFFERS, .bgid = CLIENT_GROUP};
    if ((rc = io_uring_register_buf_ring(&ring, &registration, 0)) < 0) {
        fprintf(stderr, "load_client: io_uring_register_buf_ring: %s\n", strerror(-rc));
        return 1;
    }
    io_uring_buf_ring_init(buffer_ring);
    int mask = io_uring_buf_ring_mask(CLIENT_BUFFERS), recycled = 0;
    for (int b = 0; b < CLIENT_BUFFERS; b++)
        io_uring_buf_ring_add(buffer_ring, buffers + (size_t)b * CLIENT_BUFFER_SIZE, CLIENT_BUFFER_SIZE,
                              (unsigned short)b, mask, b);
    io_uring_buf_ring_advance(buffer_ring, CLIENT_BUFFERS);

    struct window w;
    window_init(&w, seconds, pid);
    for (int i = 0; i < connections; i++) {
        client_arm_recv(&ring, i);
        clients[i].started = now();
        client_send(&ring, i, message, size);
    }
    struct __kernel_timespec tick = {.tv_sec = 0, .tv_nsec = 100 * 1000000};
    while (window_tick(&w, now())) {
        struct io_uring_cqe *cqe;
        rc = io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &tick, NULL);
        if (rc < 0 && rc != -ETIME && rc != -EINTR) {
            fprintf(stderr, "load_client: io_uring_submit_and_wait_timeout: %s\n", strerror(-rc));
            return 1;
        }
        unsigned head, seen = 0;
        double done = 0;
        io_uring_for_each_cqe(&ring, head, cqe) {
            seen++;
            uint64_t data = io_uring_cqe_get_data64(cqe);
            int index = (int)(data >> 8), res = cqe->res;
            struct client *c = &clients[index];
            if ((data & 0xff) == CLIENT_SEND) {
                if (res < 0) {
                    fprintf(stderr, "load_client: send: %s\n", strerror(-res));
                    return 1;
                }
                if (res < size) { /* a short send: the rest follows (never for small messages) */
                    fprintf(stderr, "load_client: short send of %d bytes\n", res);
                    return 1;
                }
                continue;
            }
            if (cqe->flags & IORING_CQE_F_BUFFER) {
                unsigned short bid = (unsigned short)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
                io_uring_buf_ring_add(buffer_ring, buffers + (size_t)bid * CLIENT_BUFFER_SIZE,
                                      CLIENT_BUFFER_SIZE, bid, mask, recycled++);
            }
            if (res == -ENOBUFS) {
                if (!(cqe->flags & IORING_CQE_F_MORE)) client_arm_recv(&ring, index);
                continue;
            }
            if (res <= 0) {
                fprintf(stderr, "load_client: server closed a connection\n");
                return 1;
            }
            if (!(cqe->flags & IORING_CQE_F_MORE)) client_arm_recv(&ring, index);
            c->received += res;
            if (c->received < size) continue;
            if (done == 0) done = now(); /* one clock read per batch of completions */
            window_trip(&w, c->started, done);
            c->received -= size;
            c->started = done;
            client_send(&ring, index, message, size);
        }
        io_uring_cq_advance(&ring, seen);
        if (recycled) {
            io_uring_buf_ring_advance(buffer_ring, recycled);
            recycled = 0;
        }
    }
    window_report(&w, connections, size, "io_uring");
    io_uring_queue_exit(&ring);
    for (int i = 0; i < connections; i++) close(clients[i].fd);
    return 0;
}

static int bulk(int port, int size, double seconds, int pid) {
    char *block = malloc((size_t)size), *buffer = malloc(1 << 20);
    memset(block, 'y', (size_t)size);
    int fd = connect_to(port);
    int epfd = epoll_create1(0);
    struct epoll_event event = {.events = EPOLLIN | EPOLLOUT, .data.fd = fd};
    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event);
    double start = now(), measure_from = start + WARMUP_SECONDS, end = measure_from + seconds;
    double cpu_start = -1;
    int measuring = 0, offset = 0;
    unsigned long long received = 0, sent = 0;
    for (;;) {
        double t = now();
        if (!measuring && t >= measure_from) {
            measuring = 1;
            cpu_start = cpu_seconds(pid);
            received = 0;
            measure_from = t;
        }
        if (t >= end) break;
        struct epoll_event events[4];
        int n = epoll_wait(epfd, events, 4, 100);
        for (int e = 0; e < n; e++) {
            if (events[e].events & EPOLLIN) {
                ssize_t r;
                while ((r = read(fd, buffer, 1 << 20)) > 0) received += (unsigned long long)r;
                if (r == 0) {
                    fprintf(stderr, "load_client: server closed the bulk connection\n");
                    return 1;
                }
            }
            if (events[e].events & EPOLLOUT) {
                ssize_t w;
                while ((w = write(fd, block + offset, (size_t)(size - offset))) > 0) {
                    sent += (unsigned long long)w;
                    offset = (offset + (int)w) % size;
                }
            }
        }
    }
    double elapsed = now() - measure_from;
    double cpu = cpu_seconds(pid) - cpu_start;
    double mib = (double)received / 1048576.0;
    printf("mode=bulk size=%d seconds=%.3f echoed_mib=%.1f mib_per_s=%.1f server_cpu_s=%.3f "
           "cpu_ms_per_gib=%.2f\n",
           size, elapsed, mib, mib / elapsed, pid > 0 ? cpu : -1.0,
           pid > 0 && mib > 0 ? cpu * 1e3 / (mib / 1024.0) : -1.0);
    (void)sent;
    close(fd);
    return 0;
}

int main(int argc, char **argv) {
    int port = 0, connections = 64, size = 64, pid = 0;
    double seconds = 5;
    const char *mode = "pingpong", *io = "io_uring";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--mode")) mode = argv[i + 1];
        else if (!strcmp(argv[i], "--connections")) connections = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--size")) size = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--pid")) pid = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--io")) io = argv[i + 1];
        else {
            fprintf(stderr, "load_client: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (port <= 0 || size <= 0 || connections <= 0 || seconds <= 0 || seconds > 60) {
        fprintf(stderr, "load_client: need --port, positive sizes, 0 < seconds <= 60\n");
        return 2;
    }
    if (!strcmp(mode, "bulk")) return bulk(port, size, seconds, pid);
    if (!strcmp(io, "epoll")) return pingpong_epoll(port, connections, size, seconds, pid);
    if (strcmp(io, "io_uring") != 0) {
        fprintf(stderr, "load_client: --io must be io_uring or epoll, not %s\n", io);
        return 2;
    }
    return pingpong_uring(port, connections, size, seconds, pid);
}
