/* Conversions between csched_io_address and the kernel's sockaddr structures. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "internal.h"

int csched_io_to_sockaddr(const csched_io_address *address, struct sockaddr_storage *storage,
                          socklen_t *length) {
    memset(storage, 0, sizeof *storage);
    if (address->family == 4) {
        struct sockaddr_in *v4 = (struct sockaddr_in *)storage;
        v4->sin_family = AF_INET;
        v4->sin_port = htons(address->port);
        memcpy(&v4->sin_addr, address->bytes, 4);
        *length = sizeof *v4;
        return 0;
    }
    if (address->family == 6) {
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)storage;
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(address->port);
        memcpy(&v6->sin6_addr, address->bytes, 16);
        v6->sin6_scope_id = address->scope_id;
        *length = sizeof *v6;
        return 0;
    }
    return -EAFNOSUPPORT;
}

int csched_io_from_sockaddr(const struct sockaddr_storage *storage, socklen_t length,
                            csched_io_address *address) {
    memset(address, 0, sizeof *address);
    if (storage->ss_family == AF_INET && length >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)storage;
        address->family = 4;
        address->port = ntohs(v4->sin_port);
        memcpy(address->bytes, &v4->sin_addr, 4);
        return 0;
    }
    if (storage->ss_family == AF_INET6 && length >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)storage;
        address->family = 6;
        address->port = ntohs(v6->sin6_port);
        memcpy(address->bytes, &v6->sin6_addr, 16);
        address->scope_id = v6->sin6_scope_id;
        return 0;
    }
    return -EAFNOSUPPORT;
}

_Static_assert(sizeof(((csched_io_address *)0)->bytes) == sizeof(struct in6_addr),
               "csched_io_address must hold an IPv6 address");
