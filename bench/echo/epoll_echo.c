/* Hand-written single-threaded epoll echo server: the second C baseline for `make bench-echo`.
 * Level-triggered, nonblocking; what cannot be written at once waits for EPOLLOUT.
 * usage: epoll_echo PORT   (127.0.0.1; SIGINT/SIGTERM stop it) */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF_SIZE 65536
#define MAX_FD 65536

/* Bytes read but not yet written back. */
static struct conn {
    char *pending;
    int len, off;
} conns[MAX_FD];
static volatile sig_atomic_t stop;

static void on_signal(int number) { (void)number; stop = 1; }

static void drop(int epfd, int fd) {
    epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
    free(conns[fd].pending);
    conns[fd] = (struct conn){0};
    close(fd);
}

static void watch(int epfd, int fd, int out) {
    struct epoll_event event = {.events = out ? EPOLLOUT : EPOLLIN, .data.fd = fd};
    epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &event);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s PORT\n", argv[0]);
        return 2;
    }
    struct sigaction action = {.sa_handler = on_signal};
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    signal(SIGPIPE, SIG_IGN);
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(listener, (struct sockaddr *)&address, sizeof address) < 0 || listen(listener, 1024) < 0) {
        perror("bind/listen");
        return 1;
    }
    int epfd = epoll_create1(0);
    struct epoll_event event = {.events = EPOLLIN, .data.fd = listener};
    epoll_ctl(epfd, EPOLL_CTL_ADD, listener, &event);
    printf("epoll_echo: listening on 127.0.0.1:%s\n", argv[1]);
    fflush(stdout);
    static char buffer[BUF_SIZE];
    struct epoll_event events[256];
    while (!stop) {
        int n = epoll_wait(epfd, events, 256, -1);
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == listener) {
                int client;
                while ((client = accept4(listener, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    if (client >= MAX_FD) {
                        close(client);
                        continue;
                    }
                    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct epoll_event in = {.events = EPOLLIN, .data.fd = client};
                    epoll_ctl(epfd, EPOLL_CTL_ADD, client, &in);
                }
                continue;
            }
            struct conn *c = &conns[fd];
            if (c->pending) { /* EPOLLOUT: finish the earlier write first */
                ssize_t w = write(fd, c->pending + c->off, (size_t)(c->len - c->off));
                if (w < 0 && errno != EAGAIN) {
                    drop(epfd, fd);
                    continue;
                }
                if (w > 0) c->off += (int)w;
                if (c->off == c->len) {
                    free(c->pending);
                    c->pending = NULL;
                    watch(epfd, fd, 0);
                }
                continue;
            }
            ssize_t r = read(fd, buffer, sizeof buffer);
            if (r == 0 || (r < 0 && errno != EAGAIN)) {
                drop(epfd, fd);
                continue;
            }
            if (r < 0) continue;
            ssize_t w = write(fd, buffer, (size_t)r);
            if (w < 0 && errno != EAGAIN) {
                drop(epfd, fd);
                continue;
            }
            if (w < 0) w = 0;
            if (w < r) {
                c->len = (int)(r - w);
                c->off = 0;
                c->pending = malloc((size_t)c->len);
                memcpy(c->pending, buffer + w, (size_t)c->len);
                watch(epfd, fd, 1);
            }
        }
    }
    close(epfd);
    close(listener);
    return 0;
}
