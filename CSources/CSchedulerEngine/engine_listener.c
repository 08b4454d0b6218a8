/* The listening socket: one per server, shared by its loops.
 *
 * Why one shared socket rather than one SO_REUSEPORT socket per loop: a SO_REUSEPORT group
 * admits any later socket of the same user that also sets the option, so a second server (or a
 * stale process) would silently take part of the connections; no check made before binding
 * closes that door. One socket, duplicated into each loop (each loop's epoll set or io_uring
 * multishot accept waits on it), cannot be joined at all; SO_REUSEPORT is set only when the
 * caller asks to share the port (reuse_port). */
#include "engine_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int cse_listen(const cse_config *config, int *fd_out, int *port_out, const char **failed) {
    if (config->shared_listener) {
        int fd = fcntl(config->listener_fd, F_DUPFD_CLOEXEC, 0);
        if (fd < 0) {
            *failed = "dup listener";
            return -errno;
        }
        struct sockaddr_storage storage;
        socklen_t length = sizeof storage;
        csched_io_address bound;
        if (getsockname(fd, (struct sockaddr *)&storage, &length) < 0 ||
            csched_io_from_sockaddr(&storage, length, &bound) < 0) {
            int error = errno ? -errno : -EAFNOSUPPORT;
            close(fd);
            *failed = "getsockname";
            return error;
        }
        *port_out = bound.port;
        *fd_out = fd;
        return 0;
    }
    return cse_listener_open(config, fd_out, port_out, failed);
}

int cse_listener_open(const cse_config *config, int *fd_out, int *port_out, const char **failed) {
    const char *ignored;
    if (!failed) failed = &ignored;
    /* The address in CSchedulerIO's form: its conversion is the one sockaddr builder. */
    csched_io_address address = {.family = config->family == AF_INET ? 4
                                           : config->family == AF_INET6 ? 6 : 0,
                                 .port = config->port};
    memcpy(address.bytes, config->address, sizeof address.bytes);
    struct sockaddr_storage storage;
    socklen_t length;
    if (csched_io_to_sockaddr(&address, &storage, &length) < 0) {
        *failed = "socket";
        return -EAFNOSUPPORT;
    }
    int fd = socket(config->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *failed = "socket";
        return -errno;
    }
    int one = 1;
    /* SO_REUSEADDR: a restarted server may bind while old connections sit in TIME_WAIT; it
     * never lets two listeners share a port. */
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) {
        int error = -errno;
        close(fd);
        *failed = "setsockopt SO_REUSEADDR";
        return error;
    }
    if (config->reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) {
        int error = -errno;
        close(fd);
        *failed = "setsockopt SO_REUSEPORT";
        return error;
    }
    if (config->family == AF_INET6) {
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    }
    if (bind(fd, (struct sockaddr *)&storage, length) < 0) {
        int error = -errno;
        close(fd);
        *failed = "bind";
        return error;
    }
    if (listen(fd, config->backlog > 0 ? config->backlog : 1024) < 0) {
        int error = -errno;
        close(fd);
        *failed = "listen";
        return error;
    }
    length = sizeof storage;
    if (getsockname(fd, (struct sockaddr *)&storage, &length) < 0) {
        int error = -errno;
        close(fd);
        *failed = "getsockname";
        return error;
    }
    csched_io_address bound;
    if (csched_io_from_sockaddr(&storage, length, &bound) < 0) {
        close(fd);
        *failed = "getsockname";
        return -EAFNOSUPPORT;
    }
    *port_out = bound.port;
    *fd_out = fd;
    return 0;
}
