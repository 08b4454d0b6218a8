/* CSchedulerIO: the blocking socket core under SchedulerSocket.
 *
 * Every call returns >= 0 on success or -errno on failure and never leaves its result in the
 * global errno. Blocking calls go through a per-thread io_uring (submit and wait in one
 * io_uring_enter) or, where io_uring cannot be used, through the plain POSIX calls with the
 * same results. Swift sees only the types declared here, never liburing's. */
#ifndef CSCHEDULER_IO_H
#define CSCHEDULER_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The backends csched_io_backend() reports. */
enum {
    CSCHED_IO_BACKEND_POSIX = 0,
    CSCHED_IO_BACKEND_IO_URING = 1,
};

/* An IPv4 or IPv6 socket address in plain fields: family is 4 or 6, bytes holds the address
 * in network order (4 or 16 bytes), port is in host order. */
typedef struct csched_io_address {
    int32_t family;
    uint16_t port;
    uint8_t bytes[16];
    uint32_t scope_id;
} csched_io_address;

/* csched_io_address <-> struct sockaddr, the one place the package builds sockaddrs (the
 * engine's listener and connects use them too); return 0 or -EAFNOSUPPORT. */
int csched_io_to_sockaddr(const csched_io_address *address, struct sockaddr_storage *storage,
                          socklen_t *length);
int csched_io_from_sockaddr(const struct sockaddr_storage *storage, socklen_t length,
                            csched_io_address *address);

/* Chooses the backend once per process (SCHEDULER_CORE_BACKEND=posix|io_uring, otherwise
 * io_uring where it works). Returns the backend or -errno when io_uring was forced but cannot
 * be used; csched_io_backend_error() then says why. Safe to call from any thread, any time. */
int csched_io_backend(void);

/* A static, human-readable reason why the forced io_uring backend is unavailable, or "". */
const char *csched_io_backend_error(void);

/* The io_uring setup flags and opcodes the probe kept, as a readable static string. */
const char *csched_io_backend_features(void);

/* socket(2) with SOCK_CLOEXEC; family is 4 or 6, stream selects TCP (1) or UDP (0). */
int csched_io_socket(int family, int stream);

/* close(2), never retried: after EINTR the descriptor is gone on Linux. */
int csched_io_close(int fd);

/* shutdown(2) with SHUT_RDWR, used to wake calls blocked on a socket being closed. */
int csched_io_shutdown(int fd);

/* bind(2) and listen(2). */
int csched_io_bind(int fd, const csched_io_address *address);
int csched_io_listen(int fd, int backlog);

/* accept4(2) with SOCK_CLOEXEC; fills peer. timeout_ns > 0 bounds the wait (-EAGAIN). */
int csched_io_accept(int fd, csched_io_address *peer, int64_t timeout_ns);

/* connect(2); timeout_ns > 0 bounds the wait (-ETIMEDOUT). EINTR is finished, not returned. */
int csched_io_connect(int fd, const csched_io_address *address, int64_t timeout_ns);

/* send(2)/recv(2) with MSG_NOSIGNAL; timeout_ns > 0 bounds the wait (-EAGAIN). */
ssize_t csched_io_send(int fd, const void *bytes, size_t length, int64_t timeout_ns);
ssize_t csched_io_recv(int fd, void *bytes, size_t length, int64_t timeout_ns);

/* sendmsg(2)/recvmsg(2) to or from one address, as sendto/recvfrom would. */
ssize_t csched_io_sendmsg(int fd, const void *bytes, size_t length,
                          const csched_io_address *to, int64_t timeout_ns);
ssize_t csched_io_recvmsg(int fd, void *bytes, size_t length,
                          csched_io_address *from, int64_t timeout_ns);

/* getsockname(2)/getpeername(2). */
int csched_io_local_address(int fd, csched_io_address *address);
int csched_io_peer_address(int fd, csched_io_address *address);

/* Socket options Swift cannot reach through macros. */
enum {
    CSCHED_IO_OPTION_REUSE_ADDRESS = 1,
    CSCHED_IO_OPTION_NO_DELAY = 2,
    CSCHED_IO_OPTION_V6_ONLY = 3,
    CSCHED_IO_OPTION_FREE_BIND = 4,
    CSCHED_IO_OPTION_TYPE = 5,          /* read-only: SOCK_STREAM or SOCK_DGRAM */
    CSCHED_IO_OPTION_DOMAIN = 6,        /* read-only: AF_INET or AF_INET6 */
    CSCHED_IO_OPTION_ACCEPT_CONN = 7,   /* read-only: 1 when listening */
    CSCHED_IO_OPTION_LINGER_ZERO = 8,   /* SO_LINGER {1, 0}: close sends RST */
};
int csched_io_set_option(int fd, int option, int value);
int csched_io_get_option(int fd, int option);

/* SO_RCVTIMEO (receive != 0) or SO_SNDTIMEO; timeout_ns == 0 clears it. */
int csched_io_set_timeout(int fd, int receive, int64_t timeout_ns);
/* Reads SO_RCVTIMEO or SO_SNDTIMEO in nanoseconds (0 = none), or -errno. */
int64_t csched_io_get_timeout(int fd, int receive);

/* The errno's symbolic name ("EACCES") or NULL when unknown: the one function that names
 * errnos for the whole package (SocketError, EngineError, the backend probe's message). */
const char *csched_io_errno_name(int error);

#ifdef __cplusplus
}
#endif
#endif
