/* The loop's own SO_REUSEPORT listening socket. */
#include "engine_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int cse_listen(const cse_config *config, int *fd_out, int *port_out, const char **failed) {
    struct sockaddr_storage storage;
    socklen_t length;
    memset(&storage, 0, sizeof storage);
    if (config->family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&storage;
        in->sin_family = AF_INET;
        in->sin_port = htons(config->port);
        memcpy(&in->sin_addr, config->address, 4);
        length = sizeof *in;
    } else if (config->family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&storage;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(config->port);
        memcpy(&in6->sin6_addr, config->address, 16);
        length = sizeof *in6;
    } else {
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
    *port_out = ntohs(config->family == AF_INET ? ((struct sockaddr_in *)&storage)->sin_port
                                                : ((struct sockaddr_in6 *)&storage)->sin6_port);
    *fd_out = fd;
    return 0;
}

int cse_peer_name(int fd, char *out, size_t size) {
    struct sockaddr_storage storage;
    socklen_t length = sizeof storage;
    if (getpeername(fd, (struct sockaddr *)&storage, &length) < 0) return -errno;
    char text[INET6_ADDRSTRLEN];
    if (storage.ss_family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&storage;
        inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
        snprintf(out, size, "%s:%u", text, ntohs(in->sin_port));
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&storage;
        inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
        snprintf(out, size, "[%s]:%u", text, ntohs(in6->sin6_port));
    }
    return 0;
}
