/* Outbound connections: cse_connect makes and binds the socket on the caller's thread, the
 * loop starts the connect through its backend, and cse_connect_finish registers the
 * connected socket exactly like an accepted one (same table, receive and send path). */
#include "engine_internal.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

/* A non-blocking TCP socket for `destination`'s family, bound to `source` when given. */
static int cse_connect_socket(const csched_io_address *destination,
                              const csched_io_address *source, const char **failed) {
    if (source && source->family != destination->family) {
        *failed = "bind";
        return -EAFNOSUPPORT;
    }
    int domain = destination->family == 4 ? AF_INET : destination->family == 6 ? AF_INET6 : -1;
    if (domain < 0) {
        *failed = "socket";
        return -EAFNOSUPPORT;
    }
    int fd = socket(domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *failed = "socket";
        return -errno;
    }
    if (source) {
        struct sockaddr_storage storage;
        socklen_t length;
        int rc = csched_io_to_sockaddr(source, &storage, &length);
        /* Port 0: the port is chosen at connect time, for the 4-tuple, not reserved by bind
         * for this address alone (many connections from one source address would run out). */
        int one = 1;
        if (rc == 0 && source->port == 0 && domain == AF_INET)
            (void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        if (rc == 0 && bind(fd, (struct sockaddr *)&storage, length) < 0) rc = -errno;
        if (rc < 0) {
            close(fd);
            *failed = "bind";
            return rc;
        }
    }
    return fd;
}

int cse_connect(cse_loop *loop, const csched_io_address *destination,
                const csched_io_address *source, uint64_t timeout_ns, void *token,
                const char **failed_operation) {
    const char *ignored;
    if (!failed_operation) failed_operation = &ignored;
    *failed_operation = NULL;
    cse_connect_request *request = calloc(1, sizeof *request);
    if (!request) {
        *failed_operation = "connect";
        return -ENOMEM;
    }
    int rc = csched_io_to_sockaddr(destination, &request->address, &request->address_length);
    if (rc < 0) {
        free(request);
        *failed_operation = "connect";
        return rc;
    }
    int fd = cse_connect_socket(destination, source, failed_operation);
    if (fd < 0) {
        free(request);
        return fd;
    }
    request->fd = fd;
    request->token = token;
    request->deadline = timeout_ns > 0 ? cse_now() + (double)timeout_ns / 1e9 : 0;
    rc = cse_post(loop, (cse_command){CSE_CMD_CONNECT, 0, request});
    if (rc < 0) {
        close(fd);
        free(request);
        *failed_operation = "connect";
    }
    return rc;
}

/* On the loop thread: takes a slot for the request's socket and starts connecting it. */
void cse_connect_begin(cse_loop *loop, cse_connect_request *request) {
    int error = loop->stopping ? -ECANCELED : 0;
    /* A timeout that ran out before the loop got to it (e.g. 1 ns) ends the same on both
     * backends, however fast the connect would have been. */
    if (!error && request->deadline > 0 && cse_now() >= request->deadline) error = -ETIMEDOUT;
    int index = error ? -1 : cse_conn_take_slot(loop, request->fd, CSE_CONNECTING);
    if (index < 0) {
        close(request->fd);
        loop->callbacks.on_connect(loop->callbacks.context, request->token, 0, -1,
                                   error ? error : index);
        free(request);
        return;
    }
    loop->conns[index].connect = request;
    if (request->deadline > 0)
        cse_deadline_set(loop, (uint32_t)index, CSE_DEADLINE_CONNECT, request->deadline);
    loop->ops->connect(loop, (uint32_t)index);
}

/* Ends the connect of CSE_CONNECTING connection `index` with `result` (0 or -errno): the
 * owner learns it through on_connect, and a connected socket becomes an open connection. */
void cse_connect_finish(cse_loop *loop, uint32_t index, int result) {
    cse_conn *conn = &loop->conns[index];
    cse_connect_request *request = conn->connect;
    conn->connect = NULL;
    conn->deadline_kind = CSE_DEADLINE_NONE;
    if (result == 0 && conn->cancelling) result = conn->connect_error;
    if (result == 0 && loop->stopping) result = -ECANCELED;
    if (result < 0) {
        close(conn->fd);
        cse_conn_release_slot(loop, index);
        loop->callbacks.on_connect(loop->callbacks.context, request->token, 0, -1, result);
        free(request);
        return;
    }
    conn->state = CSE_OPEN;
    int one = 1;
    setsockopt(conn->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    conn->user = loop->callbacks.on_connect(loop->callbacks.context, request->token,
                                            cse_conn_id(loop, index), conn->fd, 0);
    free(request);
    loop->ops->opened(loop, index);
    cse_mark_dirty(loop, index);
}
