/* Deadlines: the shutdown grace period, lingering closes (close_grace_ms) and connect
 * timeouts. Each connection with a deadline is listed once in loop->deadlines; the backends
 * only ask how long they may sleep (cse_wait_ms) and then call cse_enforce_deadline. */
#include "engine_internal.h"

#include <errno.h>
#include <time.h>

double cse_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* Gives connection `index` a deadline of `kind` at `when` (CLOCK_MONOTONIC seconds), or
 * removes it (CSE_DEADLINE_NONE; the list entry is dropped lazily by cse_next_deadline). */
void cse_deadline_set(cse_loop *loop, uint32_t index, int kind, double when) {
    cse_conn *conn = &loop->conns[index];
    int listed = conn->deadline_kind != CSE_DEADLINE_NONE;
    conn->deadline_kind = (uint8_t)kind;
    conn->deadline = when;
    if (kind == CSE_DEADLINE_NONE || listed) return;
    /* Full only of stale entries (a live connection is listed at most twice, once for its
     * connect and once for a lingering close, and the list holds two per slot): forget them. */
    if (loop->deadline_count == loop->deadline_capacity) (void)cse_next_deadline(loop);
    loop->deadlines[loop->deadline_count++] = cse_conn_id(loop, index);
}

/* The earliest deadline the loop must wake for, in CLOCK_MONOTONIC seconds; 0 if none.
 * Forgets list entries whose connection has closed or lost its deadline meanwhile. */
double cse_next_deadline(cse_loop *loop) {
    double next = loop->stopping && !loop->forced ? loop->stop_deadline : 0;
    unsigned kept = 0;
    for (unsigned i = 0; i < loop->deadline_count; i++) {
        cse_conn *conn = cse_conn_lookup(loop, loop->deadlines[i]);
        if (!conn || conn->deadline_kind == CSE_DEADLINE_NONE) continue;
        loop->deadlines[kept++] = loop->deadlines[i];
        if (next == 0 || conn->deadline < next) next = conn->deadline;
    }
    loop->deadline_count = kept;
    return next;
}

/* Milliseconds until the next deadline (at least 1), or -1 if there is none: a wait timeout. */
int cse_wait_ms(cse_loop *loop) {
    double next = cse_next_deadline(loop);
    if (next == 0) return -1;
    double left = next - cse_now();
    return left <= 0 ? 1 : (int)(left * 1000) + 1;
}

/* Acts on what overran its deadline: a connect gives up with ETIMEDOUT, a closing connection
 * whose queued bytes did not drain is cut, and once the shutdown grace period is over every
 * connection is cut. */
void cse_enforce_deadline(cse_loop *loop) {
    if (loop->deadline_count == 0 && !(loop->stopping && !loop->forced)) return;
    double now = cse_now();
    for (unsigned i = 0; i < loop->deadline_count; i++) {
        cse_conn *conn = cse_conn_lookup(loop, loop->deadlines[i]);
        if (!conn || conn->deadline_kind == CSE_DEADLINE_NONE || now < conn->deadline) continue;
        conn->deadline_kind = CSE_DEADLINE_NONE;
        /* both kinds: the connect, or the unsent bytes, fail with ETIMEDOUT */
        cse_conn_cut(loop, (uint32_t)loop->deadlines[i], -ETIMEDOUT);
    }
    if (!loop->stopping || loop->forced || now < loop->stop_deadline) return;
    loop->forced = 1;
    for (uint32_t index = 0; index < loop->config.max_connections; index++) {
        if (loop->conns[index].state != CSE_FREE) cse_conn_cut(loop, index, -ECANCELED);
    }
}
