/* The one load client that drives every echo server in `make bench-echo`.
 *
 *   load_client --port P --mode pingpong --connections 64 --size 64 --seconds 5 [--pid SERVER_PID]
 *   load_client --port P --mode bulk --size 65536 --seconds 5 [--pid SERVER_PID]
 *
 * pingpong: each connection sends `size` bytes, waits for all of them back, and repeats;
 * every round trip's latency goes into a 1-microsecond histogram.
 * bulk: one connection writes `size`-byte blocks as fast as the socket takes them while
 * reading the echo back; the figure is echoed bytes per second.
 * With --pid, the server's user+system CPU time over the measured window is read from
 * /proc/PID/stat. One line of `key=value` results goes to stdout. 127.0.0.1 only. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
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

/* The server's utime+stime in seconds, or -1. */
static double cpu_seconds(int pid) {
    if (pid <= 0) return -1;
    char path[64], text[4096];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0) return -1;
    text[n] = 0;
    char *p = strrchr(text, ')'); /* the command name may hold spaces */
    if (!p) return -1;
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
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
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

static int pingpong(int port, int connections, int size, double seconds, int pid) {
    unsigned long *hist = calloc(HIST_US + 1, sizeof *hist);
    char *message = malloc((size_t)size), *buffer = malloc(65536);
    memset(message, 'x', (size_t)size);
    struct client *clients = calloc((size_t)connections, sizeof *clients);
    int epfd = epoll_create1(0);
    for (int i = 0; i < connections; i++) {
        clients[i].fd = connect_to(port);
        struct epoll_event event = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(epfd, EPOLL_CTL_ADD, clients[i].fd, &event);
    }
    double start = now(), measure_from = start + WARMUP_SECONDS, end = measure_from + seconds;
    double cpu_start = -1;
    int measuring = 0;
    unsigned long trips = 0;
    for (int i = 0; i < connections; i++) {
        clients[i].started = now();
        if (write(clients[i].fd, message, (size_t)size) != size) {
            perror("write");
            return 1;
        }
    }
    struct epoll_event events[256];
    for (;;) {
        double t = now();
        if (!measuring && t >= measure_from) {
            measuring = 1;
            cpu_start = cpu_seconds(pid);
            trips = 0;
            memset(hist, 0, (HIST_US + 1) * sizeof *hist);
            measure_from = t;
        }
        if (t >= end) break;
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
            unsigned long us = (unsigned long)((done - c->started) * 1e6);
            hist[us < HIST_US ? us : HIST_US]++;
            trips++;
            c->received -= size;
            c->started = done;
            if (write(c->fd, message, (size_t)size) != size) {
                perror("write");
                return 1;
            }
        }
    }
    double elapsed = now() - measure_from;
    double cpu = cpu_seconds(pid) - cpu_start;
    printf("mode=pingpong connections=%d size=%d seconds=%.3f round_trips=%lu rps=%.0f p50_us=%lu "
           "p99_us=%lu server_cpu_s=%.3f cpu_us_per_trip=%.3f\n",
           connections, size, elapsed, trips, (double)trips / elapsed, percentile(hist, trips, 0.50),
           percentile(hist, trips, 0.99), pid > 0 ? cpu : -1.0,
           pid > 0 && trips ? cpu * 1e6 / (double)trips : -1.0);
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
    const char *mode = "pingpong";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--mode")) mode = argv[i + 1];
        else if (!strcmp(argv[i], "--connections")) connections = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--size")) size = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--pid")) pid = atoi(argv[i + 1]);
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
    return pingpong(port, connections, size, seconds, pid);
}
