#define _GNU_SOURCE
#include "CLockChurn.h"

#include <CSchedulerAllocator.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

struct shared {
    pthread_mutex_t mutex;
    cschedalloc *allocator;
    atomic_int stop;
    atomic_int failed;
};

struct worker {
    struct shared *shared;
    pthread_t thread;
    int64_t pairs;
};

static void *churn(void *argument) {
    struct worker *worker = argument;
    struct shared *shared = worker->shared;
    int64_t pairs = 0;
    while (!atomic_load_explicit(&shared->stop, memory_order_relaxed)) {
        cschedalloc_offset offset;
        pthread_mutex_lock(&shared->mutex);
        int status = cschedalloc_allocate(shared->allocator, &offset);
        pthread_mutex_unlock(&shared->mutex);
        if (status != 0) {
            atomic_store(&shared->failed, status);
            break;
        }
        pthread_mutex_lock(&shared->mutex);
        status = cschedalloc_unmark(shared->allocator, offset);
        pthread_mutex_unlock(&shared->mutex);
        if (status != 0) {
            atomic_store(&shared->failed, status);
            break;
        }
        pairs++;
    }
    worker->pairs = pairs;
    return NULL;
}

int64_t clockchurn_run(int threads, int priority_inherit, double seconds) {
    if (threads < 1 || seconds <= 0) return -EINVAL;
    struct shared shared = {0};
    pthread_mutexattr_t attributes;
    pthread_mutexattr_init(&attributes);
    if (priority_inherit) pthread_mutexattr_setprotocol(&attributes, PTHREAD_PRIO_INHERIT);
    pthread_mutex_init(&shared.mutex, &attributes);
    pthread_mutexattr_destroy(&attributes);
    int status = cschedalloc_create(16, &shared.allocator);
    if (status != 0) return status < 0 ? status : -status;
    struct worker *workers = calloc((size_t)threads, sizeof *workers);
    if (!workers) {
        cschedalloc_destroy(shared.allocator);
        return -ENOMEM;
    }
    int started = 0;
    for (; started < threads; started++) {
        workers[started].shared = &shared;
        if (pthread_create(&workers[started].thread, NULL, churn, &workers[started]) != 0) break;
    }
    struct timespec pause = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    nanosleep(&pause, NULL);
    atomic_store(&shared.stop, 1);
    int64_t total = 0;
    for (int index = 0; index < started; index++) {
        pthread_join(workers[index].thread, NULL);
        total += workers[index].pairs;
    }
    free(workers);
    cschedalloc_destroy(shared.allocator);
    pthread_mutex_destroy(&shared.mutex);
    if (started < threads) return -EAGAIN;
    if (shared.failed) return shared.failed < 0 ? shared.failed : -shared.failed;
    return total;
}
