/* The loop's own SO_REUSEPORT listening socket. */
#include "engine_internal.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int cse_listen(const cse_config *config, int *fd_out, int *port_out, const char **failed) {
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
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) {
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
