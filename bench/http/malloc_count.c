/* An LD_PRELOAD heap-allocation counter for `make bench-http`.
 * Counts calls to malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign, valloc and
 * free in the whole process (all threads, relaxed atomics) and forwards them to glibc's
 * __libc_* functions. On SIGUSR1 it appends one line to the file named by MALLOC_COUNT_OUT
 * (default /dev/stderr):  "allocs=N reallocs=N frees=N\n"  (running totals; realloc counted on
 * its own, not in allocs). The benchmark reads the totals before and after a wrk run and divides
 * the difference by the requests wrk counted.
 * build: gcc -O2 -shared -fPIC -o malloc_count.so malloc_count.c */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static uint64_t allocs, reallocs, frees;
static int out_fd = 2;

#define COUNT(counter) __atomic_fetch_add(&(counter), 1, __ATOMIC_RELAXED)

void *malloc(size_t n) { COUNT(allocs); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { COUNT(allocs); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { COUNT(reallocs); return __libc_realloc(p, n); }
void free(void *p) { if (p) COUNT(frees); __libc_free(p); }
void *memalign(size_t align, size_t n) { COUNT(allocs); return __libc_memalign(align, n); }
void *aligned_alloc(size_t align, size_t n) { COUNT(allocs); return __libc_memalign(align, n); }
void *valloc(size_t n) { COUNT(allocs); return __libc_memalign((size_t)sysconf(_SC_PAGESIZE), n); }
int posix_memalign(void **out, size_t align, size_t n) {
    COUNT(allocs);
    void *p = __libc_memalign(align, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

/* Async-signal-safe decimal formatting. */
static char *put_u64(char *w, uint64_t v) {
    char tmp[24];
    int n = 0;
    do tmp[n++] = (char)('0' + v % 10), v /= 10; while (v);
    while (n) *w++ = tmp[--n];
    return w;
}

static void report(int number) {
    (void)number;
    char line[128], *w = line;
    memcpy(w, "allocs=", 7), w = put_u64(w + 7, __atomic_load_n(&allocs, __ATOMIC_RELAXED));
    memcpy(w, " reallocs=", 10), w = put_u64(w + 10, __atomic_load_n(&reallocs, __ATOMIC_RELAXED));
    memcpy(w, " frees=", 7), w = put_u64(w + 7, __atomic_load_n(&frees, __ATOMIC_RELAXED));
    *w++ = '\n';
    ssize_t rc = write(out_fd, line, (size_t)(w - line));
    (void)rc;
}

__attribute__((constructor)) static void setup(void) {
    const char *path = getenv("MALLOC_COUNT_OUT");
    if (path) {
        int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd >= 0) out_fd = fd;
    }
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = report;
    action.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &action, NULL);
}
