/* bench_common.h - clocks, process figures (RSS, CPU), socket byte counting and the shared
 * memory the benchmark's server and client processes coordinate through. Never on the
 * measured path of a message: control goes through shared memory, not the network. */
#ifndef REMOTES_BENCH_COMMON_H
#define REMOTES_BENCH_COMMON_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_MAX_CLIENTS 1100
#define BENCH_MAX_PROCS 8
#define BENCH_MAX_SAMPLES 200000

uint64_t bench_now_ns(void);
void bench_sleep_ns(uint64_t ns);
/* Resident set size of this process in bytes (VmRSS of /proc/self/status). */
uint64_t bench_rss_bytes(void);
/* User + system CPU time of this process in nanoseconds. */
uint64_t bench_cpu_ns(void);
/* Bytes and datagrams this process has sent with sendmsg since it started (the interposed
 * libc call counts them; ENet sends every datagram through sendmsg). */
uint64_t bench_socket_bytes_sent(void);
uint64_t bench_socket_datagrams_sent(void);
void bench_raise_fd_limit(void);
int bench_cmp_u64(const void *a, const void *b);

/* Everything the server process and its client processes share. Written by one side,
 * read by the other; all fields atomic so the two never need a lock. */
typedef struct bench_shared {
  _Atomic uint32_t port;
  _Atomic int32_t run;                   /* clients start run r when it changes to r */
  _Atomic int32_t quit;
  _Atomic int32_t proc_ready[BENCH_MAX_PROCS]; /* clients of process p connected (count) */
  _Atomic int32_t proc_done[BENCH_MAX_PROCS];  /* last run finished by process p */
  _Atomic int32_t proc_failed[BENCH_MAX_PROCS];
  _Atomic uint64_t window;               /* fire: events one client may have in flight */
  _Atomic uint64_t run_ns;               /* fire: how long clients fire in this run */
  _Atomic uint64_t target;               /* broadcast rounds to wait for, 0 = still firing */
  _Atomic uint64_t fired[BENCH_MAX_CLIENTS];    /* per client, cumulative */
  _Atomic uint64_t acked[BENCH_MAX_CLIENTS];    /* per client: events the server has handled */
  _Atomic uint64_t received[BENCH_MAX_CLIENTS]; /* per client: broadcast deliveries */
  _Atomic uint8_t lost[BENCH_MAX_CLIENTS];      /* per client: connection lost */
  _Atomic uint64_t proc_bytes[BENCH_MAX_PROCS];     /* socket bytes sent by process p */
  _Atomic uint64_t proc_datagrams[BENCH_MAX_PROCS];
  /* Figures measured on the client side (scenario 3). */
  _Atomic uint64_t rtt_p50_ns, rtt_p99_ns, completed;
  _Atomic uint64_t elapsed_ns;
} bench_shared;

bench_shared *bench_shared_create(void);

#endif
