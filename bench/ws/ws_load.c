/* The load generator of `make bench-ws`: WebSocket echo from C, so that the client is not what
 * bounds the servers it compares.
 *
 *   ws_load --port P [--path /ws] [--connections 64] [--size 64] [--depth 1] [--seconds 5]
 *           [--warmup 1] [--pid SERVER_PID]
 *
 * Each connection does the opening handshake (a fixed Sec-WebSocket-Key; the answer must be
 * `101` with the matching Sec-WebSocket-Accept), then keeps `depth` masked binary messages of
 * `size` bytes in flight: every complete echoed message (one or more unmasked frames, FIN on the
 * last, `size` payload bytes in all) is counted and answered with the next one. depth 1 is
 * strict ping-pong; a larger depth lets a server batch reads and writes. One thread on epoll,
 * nonblocking sockets, a read and at most one write call per ready connection; the client's own
 * CPU share is reported so that a run bounded by the client can be told apart. After the
 * warm-up, messages are counted for `seconds`; with --pid the server's user+system CPU time over
 * the same window is read from /proc/PID/stat. A watchdog alarm ends the process if anything
 * hangs. 127.0.0.1 only. Prints one JSON line. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* RFC 6455 section 1.3's example key and its accept value. */
#define HANDSHAKE_KEY    "dGhlIHNhbXBsZSBub25jZQ=="
#define HANDSHAKE_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
#define READ_BUFFER      (256 * 1024)

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A process's user+system CPU seconds from /proc/PID/stat (pid 0: this process), or -1. */
static double cpu_seconds(int pid) {
    char path[64], text[4096];
    if (pid > 0)
        snprintf(path, sizeof path, "/proc/%d/stat", pid);
    else
        snprintf(path, sizeof path, "/proc/self/stat");
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0) return -1;
    text[n] = 0;
    char *p = strrchr(text, ')'); /* the command name may hold spaces */
    if (!p) return -1;
    unsigned long utime = 0, stime = 0;
    int field = 2; /* fields after ")": state(3) ... utime(14) stime(15) */
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

static void fail(const char *what) {
    fprintf(stderr, "ws_load: %s\n", what);
    exit(1);
}

/* Connects, sends the upgrade request and checks the answer; returns the socket, blocking. */
static int handshake(int port, const char *path) {
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in address = {
        .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval timeout = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0) {
        perror("ws_load: connect");
        exit(1);
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char request[512];
    int length =
        snprintf(request, sizeof request,
                 "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: " HANDSHAKE_KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n",
                 path, port);
    if (write(fd, request, (size_t)length) != length) fail("could not send the upgrade request");
    /* Byte by byte up to the end of the head, so nothing after it is taken from the stream. */
    char head[4096];
    size_t used = 0;
    while (used < 4 || memcmp(head + used - 4, "\r\n\r\n", 4) != 0) {
        if (used == sizeof head - 1) fail("the upgrade answer's head is too long");
        ssize_t r = read(fd, head + used, 1);
        if (r <= 0) fail("the server closed or timed out during the handshake");
        used++;
    }
    head[used] = 0;
    if (strncmp(head, "HTTP/1.1 101 ", 13) != 0) {
        fprintf(stderr, "ws_load: expected 101 Switching Protocols, got: %.*s\n", (int)strcspn(head, "\r"),
                head);
        exit(1);
    }
    int accepted = 0;
    for (char *line = strstr(head, "\r\n"); line && line[2] != '\r'; line = strstr(line + 2, "\r\n")) {
        const char *name = "Sec-WebSocket-Accept:";
        if (strncasecmp(line + 2, name, strlen(name)) == 0) {
            const char *value = line + 2 + strlen(name);
            while (*value == ' ') value++;
            accepted = strncmp(value, HANDSHAKE_ACCEPT "\r\n", strlen(HANDSHAKE_ACCEPT) + 2) == 0;
        }
    }
    if (!accepted) fail("the 101 answer lacks the right Sec-WebSocket-Accept");
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/* One masked binary frame (FIN, opcode 2) with `size` payload bytes; returns its length. */
static size_t build_frame(uint8_t *out, size_t size) {
    static const uint8_t key[4] = {0x37, 0xFA, 0x21, 0x3D};
    size_t n = 0;
    out[n++] = 0x82;
    if (size < 126) {
        out[n++] = (uint8_t)(0x80 | size);
    } else if (size <= 0xFFFF) {
        out[n++] = 0x80 | 126;
        out[n++] = (uint8_t)(size >> 8);
        out[n++] = (uint8_t)size;
    } else {
        out[n++] = 0x80 | 127;
        for (int shift = 56; shift >= 0; shift -= 8) out[n++] = (uint8_t)((uint64_t)size >> shift);
    }
    memcpy(out + n, key, 4);
    n += 4;
    for (size_t i = 0; i < size; i++) out[n + i] = (uint8_t)((uint8_t)(i * 31 + 7) ^ key[i & 3]);
    return n + size;
}

/* What one connection owes and expects. The outgoing stream is `depth` identical frames over and
 * over, so what is left to send is a byte count and a position within one frame. */
struct connection {
    int fd;
    size_t owed;           /* bytes still to write */
    size_t frame_position; /* where the next byte to write sits in its frame */
    uint8_t header[14];    /* an incoming frame head split between reads */
    size_t header_used;
    uint64_t payload_left; /* payload bytes of the current incoming frame still to come */
    uint64_t message_bytes;
    int frame_fin, want_out;
};

struct run {
    struct connection *connections;
    const uint8_t *frames; /* `depth` frames back to back */
    size_t frame_length, size;
    int depth, epoll_fd;
    unsigned long messages, errors;
    int measuring;
};

/* Writes as much of what the connection owes as the socket takes; watches for writability
 * while some is left. */
static void flush(struct run *run, struct connection *c) {
    while (c->owed > 0) {
        size_t span = run->frame_length * (size_t)run->depth - c->frame_position;
        if (span > c->owed) span = c->owed;
        ssize_t w = write(c->fd, run->frames + c->frame_position, span);
        if (w < 0) {
            if (errno == EAGAIN) break;
            perror("ws_load: write");
            exit(1);
        }
        c->owed -= (size_t)w;
        c->frame_position = (c->frame_position + (size_t)w) % run->frame_length;
    }
    int want = c->owed > 0;
    if (want != c->want_out) {
        struct epoll_event event = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = c};
        epoll_ctl(run->epoll_fd, EPOLL_CTL_MOD, c->fd, &event);
        c->want_out = want;
    }
}

/* Takes received bytes through the frame parser; returns how many messages they completed. */
static unsigned consume(struct run *run, struct connection *c, const uint8_t *bytes, size_t count) {
    unsigned completed = 0;
    size_t i = 0;
    while (i < count) {
        if (c->payload_left > 0) {
            size_t take = count - i < c->payload_left ? count - i : (size_t)c->payload_left;
            c->payload_left -= take;
            c->message_bytes += take;
            i += take;
        } else {
            /* A frame head: two bytes, then 0, 2 or 8 bytes of length (a server never masks). */
            c->header[c->header_used++] = bytes[i++];
            if (c->header_used < 2) continue;
            size_t need = (c->header[1] & 0x7F) == 126 ? 4 : (c->header[1] & 0x7F) == 127 ? 10 : 2;
            if (c->header_used < need) continue;
            int opcode = c->header[0] & 0x0F;
            if (c->header[1] & 0x80) fail("a masked frame from the server");
            if (opcode != 0x2 && opcode != 0x0) {
                fprintf(stderr, "ws_load: unexpected opcode %d from the server\n", opcode);
                exit(1);
            }
            uint64_t length = c->header[1] & 0x7F;
            if (need > 2) {
                length = 0;
                for (size_t k = 2; k < need; k++) length = (length << 8) | c->header[k];
            }
            c->frame_fin = c->header[0] >> 7;
            c->payload_left = length;
            c->header_used = 0;
        }
        if (c->payload_left == 0 && c->header_used == 0 && c->frame_fin) {
            if (c->message_bytes != run->size) run->errors++;
            c->message_bytes = 0;
            c->frame_fin = 0;
            completed++;
        }
    }
    return completed;
}

int main(int argc, char **argv) {
    int port = 0, connections = 64, depth = 1, pid = 0;
    long size = 64;
    double seconds = 5, warmup = 1;
    const char *path = "/ws";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--port"))
            port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--path"))
            path = argv[i + 1];
        else if (!strcmp(argv[i], "--connections"))
            connections = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--size"))
            size = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--depth"))
            depth = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds"))
            seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--warmup"))
            warmup = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--pid"))
            pid = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "ws_load: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (port <= 0 || connections <= 0 || connections > 10000 || size <= 0 || size > (1 << 24) || depth <= 0 ||
        depth > 256 || seconds <= 0 || seconds > 60 || warmup < 0 || warmup > 10) {
        fprintf(stderr,
                "ws_load: need --port; 0 < connections <= 10000, 0 < size <= 16 MiB, 0 < depth <= 256, "
                "0 < seconds <= 60, 0 <= warmup <= 10\n");
        return 2;
    }
    alarm((unsigned)(seconds + warmup) + 60); /* the watchdog: SIGALRM ends a hung run */

    struct run run = {.size = (size_t)size, .depth = depth};
    uint8_t *frames = malloc(((size_t)size + 14) * (size_t)depth);
    run.frame_length = build_frame(frames, (size_t)size);
    for (int k = 1; k < depth; k++) memcpy(frames + (size_t)k * run.frame_length, frames, run.frame_length);
    run.frames = frames;
    run.connections = calloc((size_t)connections, sizeof *run.connections);
    run.epoll_fd = epoll_create1(0);
    for (int i = 0; i < connections; i++) {
        struct connection *c = &run.connections[i];
        c->fd = handshake(port, path);
        struct epoll_event event = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(run.epoll_fd, EPOLL_CTL_ADD, c->fd, &event);
    }
    for (int i = 0; i < connections; i++) {
        run.connections[i].owed = run.frame_length * (size_t)depth;
        flush(&run, &run.connections[i]);
    }

    uint8_t *buffer = malloc(READ_BUFFER);
    double start = now(), measure_from = start + warmup, end = measure_from + seconds;
    double server_start = -1, client_start = -1;
    struct epoll_event events[256];
    for (;;) {
        double t = now();
        if (!run.measuring && t >= measure_from) {
            run.measuring = 1;
            run.messages = 0;
            measure_from = t;
            end = t + seconds;
            server_start = cpu_seconds(pid);
            client_start = cpu_seconds(0);
        }
        if (run.measuring && t >= end) break;
        int n = epoll_wait(run.epoll_fd, events, 256, 100);
        for (int e = 0; e < n; e++) {
            struct connection *c = events[e].data.ptr;
            if (events[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                ssize_t r = read(c->fd, buffer, READ_BUFFER);
                if (r == 0) fail("the server closed a connection");
                if (r < 0 && errno != EAGAIN) {
                    perror("ws_load: read");
                    exit(1);
                }
                if (r > 0) {
                    unsigned completed = consume(&run, c, buffer, (size_t)r);
                    run.messages += completed;
                    c->owed += (size_t)completed * run.frame_length;
                }
            }
            if (c->owed > 0) flush(&run, c);
        }
    }
    double elapsed = now() - measure_from;
    double server_cpu = pid > 0 ? cpu_seconds(pid) - server_start : -1;
    double client_cpu = cpu_seconds(0) - client_start;
    printf("{\"connections\": %d, \"size\": %ld, \"depth\": %d, \"seconds\": %.3f, \"messages\": %lu, "
           "\"messages_per_s\": %.0f, \"server_cpu_s\": %.3f, \"server_cpu_us_per_message\": %.3f, "
           "\"client_cpu_share\": %.3f, \"errors\": %lu}\n",
           connections, size, depth, elapsed, run.messages, (double)run.messages / elapsed, server_cpu,
           server_cpu >= 0 && run.messages ? server_cpu * 1e6 / (double)run.messages : -1.0,
           client_cpu / elapsed, run.errors);
    /* A close frame (code 1000) where no frame is half sent, then the TCP close. */
    static const uint8_t close_frame[] = {0x88, 0x82, 0, 0, 0, 0, 0x03, 0xE8};
    for (int i = 0; i < connections; i++) {
        struct connection *c = &run.connections[i];
        if (c->frame_position == 0 && write(c->fd, close_frame, sizeof close_frame) < 0) {
            /* the server may be gone already */
        }
        close(c->fd);
    }
    return 0;
}
