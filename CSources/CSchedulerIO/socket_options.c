/* Socket options by name, so that Swift needs no socket-level macros or struct layouts. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "internal.h"

#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78 /* Linux 4.15; older glibc headers lack it */
#endif

static int domain_of(int fd) {
    int domain = 0;
    socklen_t length = sizeof domain;
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &length) != 0) return -errno;
    return domain;
}

static int set_int(int fd, int level, int name, int value) {
    return setsockopt(fd, level, name, &value, sizeof value) == 0 ? 0 : -errno;
}

static int get_int(int fd, int level, int name) {
    int value = 0;
    socklen_t length = sizeof value;
    return getsockopt(fd, level, name, &value, &length) == 0 ? value : -errno;
}

int csched_io_set_option(int fd, int option, int value) {
    switch (option) {
    case CSCHED_IO_OPTION_REUSE_ADDRESS: return set_int(fd, SOL_SOCKET, SO_REUSEADDR, value != 0);
    case CSCHED_IO_OPTION_NO_DELAY: return set_int(fd, IPPROTO_TCP, TCP_NODELAY, value != 0);
    case CSCHED_IO_OPTION_V6_ONLY: return set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, value != 0);
    case CSCHED_IO_OPTION_FREE_BIND: {
        int domain = domain_of(fd);
        if (domain < 0) return domain;
        if (domain == AF_INET6) return set_int(fd, IPPROTO_IPV6, IPV6_FREEBIND, value != 0);
        return set_int(fd, IPPROTO_IP, IP_FREEBIND, value != 0);
    }
    case CSCHED_IO_OPTION_LINGER_ZERO: {
        struct linger linger = {.l_onoff = value != 0, .l_linger = 0};
        return setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, sizeof linger) == 0 ? 0 : -errno;
    }
    default: return -ENOPROTOOPT;
    }
}

int csched_io_get_option(int fd, int option) {
    switch (option) {
    case CSCHED_IO_OPTION_REUSE_ADDRESS: return get_int(fd, SOL_SOCKET, SO_REUSEADDR);
    case CSCHED_IO_OPTION_NO_DELAY: return get_int(fd, IPPROTO_TCP, TCP_NODELAY);
    case CSCHED_IO_OPTION_V6_ONLY: return get_int(fd, IPPROTO_IPV6, IPV6_V6ONLY);
    case CSCHED_IO_OPTION_FREE_BIND: {
        int domain = domain_of(fd);
        if (domain < 0) return domain;
        if (domain == AF_INET6) return get_int(fd, IPPROTO_IPV6, IPV6_FREEBIND);
        return get_int(fd, IPPROTO_IP, IP_FREEBIND);
    }
    case CSCHED_IO_OPTION_TYPE: return get_int(fd, SOL_SOCKET, SO_TYPE);
    case CSCHED_IO_OPTION_DOMAIN: {
        int domain = domain_of(fd);
        return domain == AF_INET ? 4 : domain == AF_INET6 ? 6 : domain < 0 ? domain : -EAFNOSUPPORT;
    }
    case CSCHED_IO_OPTION_ACCEPT_CONN: return get_int(fd, SOL_SOCKET, SO_ACCEPTCONN);
    case CSCHED_IO_OPTION_LINGER_ZERO: {
        struct linger linger;
        socklen_t length = sizeof linger;
        if (getsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, &length) != 0) return -errno;
        return linger.l_onoff && linger.l_linger == 0;
    }
    default: return -ENOPROTOOPT;
    }
}

int csched_io_set_timeout(int fd, int receive, int64_t timeout_ns) {
    if (timeout_ns < 0) return -EINVAL;
    struct timeval value = {.tv_sec = timeout_ns / 1000000000,
                            .tv_usec = (timeout_ns % 1000000000 + 999) / 1000};
    if (value.tv_usec >= 1000000) {
        value.tv_sec += 1;
        value.tv_usec -= 1000000;
    }
    int name = receive ? SO_RCVTIMEO : SO_SNDTIMEO;
    return setsockopt(fd, SOL_SOCKET, name, &value, sizeof value) == 0 ? 0 : -errno;
}

int64_t csched_io_get_timeout(int fd, int receive) {
    struct timeval value;
    socklen_t length = sizeof value;
    int name = receive ? SO_RCVTIMEO : SO_SNDTIMEO;
    if (getsockopt(fd, SOL_SOCKET, name, &value, &length) != 0) return -errno;
    return (int64_t)value.tv_sec * 1000000000 + (int64_t)value.tv_usec * 1000;
}

const char *csched_io_errno_name(int error) { return strerrorname_np(error); }
