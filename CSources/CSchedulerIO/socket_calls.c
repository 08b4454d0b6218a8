/* The socket calls: io_uring where the thread's ring supports the operation, else POSIX.
 *
 * Timeouts: a ring call links an IORING_OP_LINK_TIMEOUT of timeout_ns; the POSIX call relies on
 * SO_RCVTIMEO/SO_SNDTIMEO holding the same value (csched_io_set_timeout). Both report a timed-out
 * accept, send or receive as -EAGAIN and a timed-out connect as -ETIMEDOUT, and neither loses
 * data: a cancelled receive leaves the bytes queued on the socket. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "internal.h"

static inline int negative_errno(void) { return -errno; }

int csched_io_socket(int family, int stream) {
    int domain = family == 4 ? AF_INET : family == 6 ? AF_INET6 : -1;
    if (domain < 0) return -EAFNOSUPPORT;
    int fd = socket(domain, (stream ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
    return fd >= 0 ? fd : negative_errno();
}

int csched_io_close(int fd) { return close(fd) == 0 ? 0 : negative_errno(); }

int csched_io_shutdown(int fd) { return shutdown(fd, SHUT_RDWR) == 0 ? 0 : negative_errno(); }

int csched_io_bind(int fd, const csched_io_address *address) {
    struct sockaddr_storage storage;
    socklen_t length;
    int rc = csched_io_to_sockaddr(address, &storage, &length);
    if (rc < 0) return rc;
    return bind(fd, (struct sockaddr *)&storage, length) == 0 ? 0 : negative_errno();
}

int csched_io_listen(int fd, int backlog) {
    return listen(fd, backlog) == 0 ? 0 : negative_errno();
}

int csched_io_accept(int fd, csched_io_address *peer, int64_t timeout_ns) {
    struct sockaddr_storage storage;
    socklen_t length = sizeof storage;
    int rc;
    struct io_uring *ring = csched_io_ring_for(CSCHED_IO_OP_ACCEPT, timeout_ns);
    if (ring) {
        struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
        io_uring_prep_accept(sqe, fd, (struct sockaddr *)&storage, &length, SOCK_CLOEXEC);
        int timed_out;
        rc = csched_io_ring_run(ring, sqe, timeout_ns, &timed_out);
        if (timed_out) return -EAGAIN;
    } else {
        rc = accept4(fd, (struct sockaddr *)&storage, &length, SOCK_CLOEXEC);
        if (rc < 0) return negative_errno();
    }
    if (rc >= 0 && peer) csched_io_from_sockaddr(&storage, length, peer);
    return rc;
}

/* A connect interrupted by a signal goes on in the kernel; wait for it and read its outcome. */
static int finish_connect(int fd, int64_t timeout_ns) {
    struct pollfd poller = {.fd = fd, .events = POLLOUT};
    int milliseconds = timeout_ns > 0 ? (int)((timeout_ns + 999999) / 1000000) : -1;
    int ready;
    do ready = poll(&poller, 1, milliseconds); while (ready < 0 && errno == EINTR);
    if (ready < 0) return negative_errno();
    if (ready == 0) return -ETIMEDOUT;
    int error = 0;
    socklen_t length = sizeof error;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return negative_errno();
    return -error;
}

int csched_io_connect(int fd, const csched_io_address *address, int64_t timeout_ns) {
    struct sockaddr_storage storage;
    socklen_t length;
    int rc = csched_io_to_sockaddr(address, &storage, &length);
    if (rc < 0) return rc;
    struct io_uring *ring = csched_io_ring_for(CSCHED_IO_OP_CONNECT, timeout_ns);
    if (ring) {
        struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
        io_uring_prep_connect(sqe, fd, (struct sockaddr *)&storage, length);
        int timed_out;
        rc = csched_io_ring_run(ring, sqe, timeout_ns, &timed_out);
        if (timed_out) return -ETIMEDOUT;
    } else {
        rc = connect(fd, (struct sockaddr *)&storage, length) == 0 ? 0 : negative_errno();
        /* A blocking socket only says EINPROGRESS when SO_SNDTIMEO expired. */
        if (rc == -EINPROGRESS) return -ETIMEDOUT;
    }
    if (rc == -EINTR) return finish_connect(fd, timeout_ns);
    return rc;
}

ssize_t csched_io_send(int fd, const void *bytes, size_t length, int64_t timeout_ns) {
    struct io_uring *ring = csched_io_ring_for(CSCHED_IO_OP_SEND, timeout_ns);
    if (ring) {
        struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
        io_uring_prep_send(sqe, fd, bytes, length, MSG_NOSIGNAL);
        int timed_out;
        int rc = csched_io_ring_run(ring, sqe, timeout_ns, &timed_out);
        return timed_out ? -EAGAIN : rc;
    }
    ssize_t sent = send(fd, bytes, length, MSG_NOSIGNAL);
    return sent >= 0 ? sent : negative_errno();
}

ssize_t csched_io_recv(int fd, void *bytes, size_t length, int64_t timeout_ns) {
    struct io_uring *ring = csched_io_ring_for(CSCHED_IO_OP_RECV, timeout_ns);
    if (ring) {
        struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
        io_uring_prep_recv(sqe, fd, bytes, length, 0);
        int timed_out;
        int rc = csched_io_ring_run(ring, sqe, timeout_ns, &timed_out);
        return timed_out ? -EAGAIN : rc;
    }
    ssize_t received = recv(fd, bytes, length, 0);
    return received >= 0 ? received : negative_errno();
}

ssize_t csched_io_sendmsg(int fd, const void *bytes, size_t length,
                          const csched_io_address *to, int64_t timeout_ns) {
    struct sockaddr_storage storage;
    socklen_t storage_length;
    int rc = csched_io_to_sockaddr(to, &storage, &storage_length);
    if (rc < 0) return rc;
    struct iovec vector = {.iov_base = (void *)bytes, .iov_len = length};
    struct msghdr message = {
        .msg_name = &storage, .msg_namelen = storage_length, .msg_iov = &vector, .msg_iovlen = 1,
    };
    struct io_uring *ring = csched_io_ring_for(CSCHED_IO_OP_SENDMSG, timeout_ns);
    if (ring) {
        struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
        io_uring_prep_sendmsg(sqe, fd, &message, MSG_NOSIGNAL);
        int timed_out;
        rc = csched_io_ring_run(ring, sqe, timeout_ns, &timed_out);
        return timed_out ? -EAGAIN : rc;
    }
    ssize_t sent = sendmsg(fd, &message, MSG_NOSIGNAL);
    return sent >= 0 ? sent : negative_errno();
}

ssize_t csched_io_recvmsg(int fd, void *bytes, size_t length,
                          csched_io_address *from, int64_t timeout_ns) {
    struct sockaddr_storage storage;
    memset(&storage, 0, sizeof storage);
    struct iovec vector = {.iov_base = bytes, .iov_len = length};
    struct msghdr message = {
        .msg_name = &storage, .msg_namelen = sizeof storage, .msg_iov = &vector, .msg_iovlen = 1,
    };
    ssize_t received;
    struct io_uring *ring = csched_io_ring_for(CSCHED_IO_OP_RECVMSG, timeout_ns);
    if (ring) {
        struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
        io_uring_prep_recvmsg(sqe, fd, &message, 0);
        int timed_out;
        received = csched_io_ring_run(ring, sqe, timeout_ns, &timed_out);
        if (timed_out) return -EAGAIN;
    } else {
        received = recvmsg(fd, &message, 0);
        if (received < 0) return negative_errno();
    }
    if (received >= 0 && from) csched_io_from_sockaddr(&storage, message.msg_namelen, from);
    return received;
}

int csched_io_local_address(int fd, csched_io_address *address) {
    struct sockaddr_storage storage;
    socklen_t length = sizeof storage;
    if (getsockname(fd, (struct sockaddr *)&storage, &length) != 0) return negative_errno();
    return csched_io_from_sockaddr(&storage, length, address);
}

int csched_io_peer_address(int fd, csched_io_address *address) {
    struct sockaddr_storage storage;
    socklen_t length = sizeof storage;
    if (getpeername(fd, (struct sockaddr *)&storage, &length) != 0) return negative_errno();
    return csched_io_from_sockaddr(&storage, length, address);
}
