/* Probes the tests use to see what the library really did: SIGPIPEs delivered to this process,
 * and the fdatasync calls that really ran (this target defines fdatasync, so every call in the
 * test binary passes through it to the C library's). Linked into tests only. */
#ifndef CTESTPROBES_H
#define CTESTPROBES_H

#include <stdint.h>

/* Installs a handler that counts SIGPIPE (replacing SIG_IGN or SIG_DFL); 0 or -errno. */
int ctp_sigpipe_count_begin(void);
/* Restores the disposition ctp_sigpipe_count_begin replaced; returns the SIGPIPEs counted. */
long ctp_sigpipe_count_end(void);
/* SIGPIPEs counted since ctp_sigpipe_count_begin. */
long ctp_sigpipe_count(void);
/* 1 when SIGPIPE is ignored (SIG_IGN) in this process, 0 otherwise. */
int ctp_sigpipe_ignored(void);

/* A tick of the probe clock (strictly increasing, shared with the fdatasync log). */
uint64_t ctp_now(void);
/* How many fdatasync calls on the file (device, inode) succeeded so far. */
long ctp_syncs_of(uint64_t device, uint64_t inode);
/* 1 when a successful fdatasync on (device, inode) started after tick `after` and returned
 * before tick `before`, 0 otherwise. */
int ctp_sync_ran_between(uint64_t device, uint64_t inode, uint64_t after, uint64_t before);

/* Plain socket calls (send, recv, sendmsg, recvmsg, accept4, connect) made by the calling
 * thread so far: this target defines them too, counting and passing each to the C library.
 * An io_uring Socket must make none of them for its transfers. */
long ctp_thread_plain_socket_calls(void);

#endif
