/* Hand-written single-threaded io_uring HTTP/1.1 server: the C baseline for `make bench-http`.
 * Multishot accept, multishot recv into a provided-buffer ring (registered by hand with
 * io_uring_register_buf_ring: Debian's liburing 2.3 has no io_uring_setup_buf_ring),
 * SINGLE_ISSUER|DEFER_TASKRUN. Each request head is scanned (request line: method token, target,
 * HTTP/1.x; then every header line: a token, a colon, a value without control bytes, up to the
 * blank line); requests without a body only. `GET /json` gets the JSON body, anything else
 * `Hello, World!`, each with a Date header cached per second. Pipelining: every complete head in a
 * receive is answered, in order, with one send; a head split across receives is kept per
 * connection. A malformed head gets 400 and the connection is closed.
 * usage: uring_http PORT   (127.0.0.1; SIGINT/SIGTERM stop it) */
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
#include <time.h>
#include <unistd.h>

#define BUF_COUNT 512
#define BUF_SIZE 16384
#define GROUP 1
#define MAX_FD 65536
#define MAX_HEAD 65536
enum { OP_ACCEPT = 1, OP_RECV, OP_SEND };

/* A growable byte buffer. */
struct bytes {
    char *data;
    size_t len, cap;
};
static struct conn {
    struct bytes partial;  /* an incomplete head carried to the next receive */
    struct bytes inflight; /* responses being sent (off bytes sent so far) */
    struct bytes pending;  /* responses made while a send is in flight */
    size_t off;
    int sending, closing;
} conns[MAX_FD];

static struct io_uring ring;
static struct io_uring_buf_ring *br;
static char *buffers;
static int recycled;
static volatile sig_atomic_t stop;
static char date_line[64]; /* "Date: Sat, 28 Nov 2026 09:50:52 GMT\r\n" */
static size_t date_len;
static time_t date_time;

static void on_signal(int number) { (void)number; stop = 1; }

static uint64_t tag(int op, int fd) { return ((uint64_t)fd << 8) | (uint64_t)op; }

static void update_date(void) {
    time_t now = time(NULL);
    if (now == date_time) return;
    date_time = now;
    struct tm parts;
    gmtime_r(&now, &parts);
    date_len = strftime(date_line, sizeof date_line, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &parts);
}

static void append(struct bytes *b, const char *p, size_t n) {
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n) cap *= 2;
        b->data = realloc(b->data, cap);
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void release(struct bytes *b) {
    free(b->data);
    *b = (struct bytes){0};
}

/* Output buffers of idle connections go back to a pool: an idle connection holds no buffer. */
#define POOL_MAX 1024
static struct bytes pool[POOL_MAX];
static int pooled;

static void ensure(struct bytes *b) {
    if (b->data == NULL && pooled > 0) *b = pool[--pooled];
}

static void give_back(struct bytes *b) {
    if (b->data == NULL) return;
    if (pooled < POOL_MAX && b->cap == 4096) {
        b->len = 0;
        pool[pooled++] = *b;
        *b = (struct bytes){0};
    } else {
        release(b);
    }
}

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

static void send_inflight(int fd) {
    struct conn *c = &conns[fd];
    struct io_uring_sqe *sqe = sqe_get();
    io_uring_prep_send(sqe, fd, c->inflight.data + c->off, c->inflight.len - c->off, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, tag(OP_SEND, fd));
    c->sending = 1;
}

/* Starts a send of the pending responses if none is in flight. */
static void flush(int fd) {
    struct conn *c = &conns[fd];
    if (c->sending || c->pending.len == 0) return;
    struct bytes t = c->inflight;
    c->inflight = c->pending;
    c->pending = t;
    c->pending.len = 0;
    c->off = 0;
    send_inflight(fd);
}

static void recycle(int bid) {
    io_uring_buf_ring_add(br, buffers + (size_t)bid * BUF_SIZE, BUF_SIZE, (unsigned short)bid,
                          io_uring_buf_ring_mask(BUF_COUNT), recycled++);
}

static void drop(int fd) {
    struct conn *c = &conns[fd];
    release(&c->partial);
    release(&c->inflight);
    release(&c->pending);
    c->off = 0;
    c->sending = c->closing = 0;
    close(fd);
}

/* RFC 9110 tchar. */
static unsigned char tchar[256];
static void init_tables(void) {
    const char *extra = "!#$%&'*+-.^_`|~";
    for (int ch = '0'; ch <= '9'; ch++) tchar[ch] = 1;
    for (int ch = 'a'; ch <= 'z'; ch++) tchar[ch] = 1;
    for (int ch = 'A'; ch <= 'Z'; ch++) tchar[ch] = 1;
    for (const char *p = extra; *p; p++) tchar[(unsigned char)*p] = 1;
}

/* Scans one head at p[0..n). Returns its length, 0 if incomplete, -1 if malformed.
 * *json is set when the target is /json. */
static long scan_head(const char *p, size_t n, int *json) {
    const char *end = p + n, *s = p;
    /* request line */
    const char *m = s;
    while (s < end && tchar[(unsigned char)*s]) s++;
    if (s == end) return 0;
    if (s == m || *s != ' ') return -1;
    const char *target = ++s;
    while (s < end && (unsigned char)*s > ' ' && *s != 0x7f) s++;
    if (s == end) return 0;
    if (s == target || *s != ' ') return -1;
    *json = (s - target == 5 && memcmp(target, "/json", 5) == 0);
    s++;
    if (end - s < 10) return 0;
    if (memcmp(s, "HTTP/1.", 7) != 0 || s[7] < '0' || s[7] > '9' || s[8] != '\r' || s[9] != '\n') return -1;
    s += 10;
    /* header lines up to the blank line */
    for (;;) {
        if (end - s < 2) return 0;
        if (s[0] == '\r') return s[1] == '\n' ? (long)(s + 2 - p) : -1;
        const char *name = s;
        while (s < end && tchar[(unsigned char)*s]) s++;
        if (s == end) return 0;
        if (s == name || *s != ':') return -1;
        s++;
        const char *eol = memchr(s, '\r', (size_t)(end - s));
        if (!eol || eol + 1 >= end) return 0;
        if (eol[1] != '\n') return -1;
        for (; s < eol; s++)
            if (((unsigned char)*s < ' ' && *s != '\t') || *s == 0x7f) return -1;
        s = eol + 2;
    }
}

static const char plain_head[] = "HTTP/1.1 200 OK\r\nServer: uring_http\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n";
static const char plain_body[] = "Hello, World!";
static const char json_head[] =
    "HTTP/1.1 200 OK\r\nServer: uring_http\r\nContent-Type: application/json\r\nContent-Length: 27\r\n";
static const char json_body[] = "{\"message\":\"Hello, World!\"}";
static const char bad_request[] =
    "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

static void respond(struct bytes *out, int json) {
    size_t hl = json ? sizeof json_head - 1 : sizeof plain_head - 1;
    size_t bl = json ? sizeof json_body - 1 : sizeof plain_body - 1;
    size_t need = hl + date_len + 2 + bl;
    ensure(out);
    if (out->len + need > out->cap) {
        size_t cap = out->cap ? out->cap : 4096;
        while (cap < out->len + need) cap *= 2;
        out->data = realloc(out->data, cap);
        out->cap = cap;
    }
    char *w = out->data + out->len;
    memcpy(w, json ? json_head : plain_head, hl), w += hl;
    memcpy(w, date_line, date_len), w += date_len;
    *w++ = '\r', *w++ = '\n';
    memcpy(w, json ? json_body : plain_body, bl);
    out->len += need;
}

/* Answers every complete head in p[0..n); returns the bytes consumed, or -1 after a bad head. */
static long serve(int fd, const char *p, size_t n) {
    size_t used = 0;
    while (used < n) {
        int json = 0;
        long len = scan_head(p + used, n - used, &json);
        if (len == 0) break;
        if (len < 0) {
            append(&conns[fd].pending, bad_request, sizeof bad_request - 1);
            conns[fd].closing = 1;
            return -1;
        }
        respond(&conns[fd].pending, json);
        used += (size_t)len;
    }
    return (long)used;
}

static void on_data(int fd, const char *data, size_t n) {
    struct conn *c = &conns[fd];
    if (c->closing) return;
    if (c->partial.len == 0) {
        long used = serve(fd, data, n);
        if (used >= 0 && (size_t)used < n) append(&c->partial, data + used, n - (size_t)used);
    } else {
        append(&c->partial, data, n);
        long used = serve(fd, c->partial.data, c->partial.len);
        if (used > 0) {
            memmove(c->partial.data, c->partial.data + used, c->partial.len - (size_t)used);
            c->partial.len -= (size_t)used;
        }
    }
    if (c->partial.len > MAX_HEAD) {
        append(&c->pending, bad_request, sizeof bad_request - 1);
        c->closing = 1;
    }
    flush(fd);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s PORT\n", argv[0]);
        return 2;
    }
    init_tables();
    update_date();
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    int listener = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(listener, (struct sockaddr *)&address, sizeof address) < 0 || listen(listener, 4096) < 0) {
        perror("bind/listen");
        return 1;
    }
    struct io_uring_params params = {.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
                                              IORING_SETUP_CQSIZE,
                                     .cq_entries = 16384};
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
    printf("uring_http: listening on 127.0.0.1:%s\n", argv[1]);
    fflush(stdout);

    while (!stop) {
        rc = io_uring_submit_and_wait(&ring, 1);
        if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) break;
        update_date();
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
                    int bid = (int)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
                    on_data(fd, buffers + (size_t)bid * BUF_SIZE, (size_t)res);
                    recycle(bid);
                    if (!more && !conns[fd].closing) arm_recv(fd);
                } else if (res == -ENOBUFS) {
                    arm_recv(fd);
                } else if (!more) {
                    if (conns[fd].sending) conns[fd].closing = 2; /* dropped when the send completes */
                    else drop(fd);
                }
                break;
            case OP_SEND: {
                struct conn *c = &conns[fd];
                c->sending = 0;
                if (res < 0) {
                    if (c->closing == 2) drop(fd);
                    else shutdown(fd, SHUT_RDWR); /* the recv side ends and drops the connection */
                    break;
                }
                c->off += (size_t)res;
                if (c->off < c->inflight.len) {
                    send_inflight(fd);
                    break;
                }
                c->inflight.len = c->off = 0;
                if (c->pending.len) {
                    flush(fd);
                    break;
                }
                give_back(&c->inflight);
                give_back(&c->pending);
                if (c->closing == 2) drop(fd);
                else if (c->closing) shutdown(fd, SHUT_RDWR);
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
