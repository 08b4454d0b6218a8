#define _GNU_SOURCE
#include "CTestProbes.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- SIGPIPE ---- */

static atomic_long sigpipes;
static struct sigaction replaced;

static void count_sigpipe(int signal) {
    (void)signal;
    atomic_fetch_add(&sigpipes, 1);
}

int ctp_sigpipe_count_begin(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = count_sigpipe;
    sigemptyset(&action.sa_mask);
    atomic_store(&sigpipes, 0);
    return sigaction(SIGPIPE, &action, &replaced) == 0 ? 0 : -errno;
}

long ctp_sigpipe_count_end(void) {
    sigaction(SIGPIPE, &replaced, NULL);
    return atomic_load(&sigpipes);
}

long ctp_sigpipe_count(void) { return atomic_load(&sigpipes); }

int ctp_sigpipe_ignored(void) {
    struct sigaction current;
    if (sigaction(SIGPIPE, NULL, &current) != 0) return 0;
    return current.sa_handler == SIG_IGN;
}

/* ---- fdatasync ---- */

static atomic_uint_least64_t ticks;

uint64_t ctp_now(void) { return atomic_fetch_add(&ticks, 1) + 1; }

/* Successful syncs: the file and the ticks around the call. Bounded; later syncs are dropped
 * (ctp_sync_ran_between then answers 0, so a test would fail, never pass wrongly). */
enum { SYNC_LOG_CAPACITY = 1 << 16 };
struct sync_entry {
    uint64_t device, inode, started, returned;
};
static struct sync_entry sync_log[SYNC_LOG_CAPACITY];
static size_t sync_log_count;
static pthread_mutex_t sync_log_lock = PTHREAD_MUTEX_INITIALIZER;

int fdatasync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    uint64_t started = ctp_now();
    int result = real(fd);
    if (result != 0) return result;
    int saved = errno;
    uint64_t returned = ctp_now();
    struct stat status;
    if (fstat(fd, &status) == 0) {
        pthread_mutex_lock(&sync_log_lock);
        if (sync_log_count < SYNC_LOG_CAPACITY)
            sync_log[sync_log_count++] =
                (struct sync_entry){(uint64_t)status.st_dev, (uint64_t)status.st_ino, started, returned};
        pthread_mutex_unlock(&sync_log_lock);
    }
    errno = saved;
    return result;
}

long ctp_syncs_of(uint64_t device, uint64_t inode) {
    long count = 0;
    pthread_mutex_lock(&sync_log_lock);
    for (size_t i = 0; i < sync_log_count; i++)
        if (sync_log[i].device == device && sync_log[i].inode == inode) count++;
    pthread_mutex_unlock(&sync_log_lock);
    return count;
}

int ctp_sync_ran_between(uint64_t device, uint64_t inode, uint64_t after, uint64_t before) {
    int found = 0;
    pthread_mutex_lock(&sync_log_lock);
    for (size_t i = 0; i < sync_log_count && !found; i++) {
        const struct sync_entry *e = &sync_log[i];
        found = e->device == device && e->inode == inode && e->started > after && e->returned < before;
    }
    pthread_mutex_unlock(&sync_log_lock);
    return found;
}

/* ---- plain socket calls, per thread ---- */

static _Thread_local long plain_socket_calls;

long ctp_thread_plain_socket_calls(void) { return plain_socket_calls; }

/* Under AddressSanitizer its interceptor of `name` (weak, so these definitions replace it in
 * the test binary; calling it keeps ASan's checks of the buffers), else null. */
#define SANITIZER_INTERCEPTOR(name) extern __typeof__(name) __interceptor_##name __attribute__((weak))
SANITIZER_INTERCEPTOR(send);
SANITIZER_INTERCEPTOR(recv);
SANITIZER_INTERCEPTOR(sendmsg);
SANITIZER_INTERCEPTOR(recvmsg);
SANITIZER_INTERCEPTOR(accept4);
SANITIZER_INTERCEPTOR(connect);

/* What `name` would have called: ASan's interceptor when there is one, else the C library's. */
#define REAL(name) \
    static __typeof__(name) *real_##name; \
    if (!real_##name) \
    real_##name = __interceptor_##name ? __interceptor_##name : (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

ssize_t send(int fd, const void *bytes, size_t length, int flags) {
    REAL(send);
    plain_socket_calls++;
    return real_send(fd, bytes, length, flags);
}

ssize_t recv(int fd, void *bytes, size_t length, int flags) {
    REAL(recv);
    plain_socket_calls++;
    return real_recv(fd, bytes, length, flags);
}

ssize_t sendmsg(int fd, const struct msghdr *message, int flags) {
    REAL(sendmsg);
    plain_socket_calls++;
    return real_sendmsg(fd, message, flags);
}

ssize_t recvmsg(int fd, struct msghdr *message, int flags) {
    REAL(recvmsg);
    plain_socket_calls++;
    return real_recvmsg(fd, message, flags);
}

int accept4(int fd, struct sockaddr *address, socklen_t *length, int flags) {
    REAL(accept4);
    plain_socket_calls++;
    return real_accept4(fd, address, length, flags);
}

int connect(int fd, const struct sockaddr *address, socklen_t length) {
    REAL(connect);
    plain_socket_calls++;
    return real_connect(fd, address, length);
}
