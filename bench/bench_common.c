/* bench_common.c - clocks, /proc readings and the socket byte counter shared by the C
 * benchmark programs. Must never change what the measured libraries send or receive. */
#define _GNU_SOURCE
#include "bench_common.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

uint64_t bench_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void bench_sleep_ns(uint64_t ns) {
  struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
  nanosleep(&ts, NULL);
}

uint64_t bench_rss_bytes(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  uint64_t kib = 0;
  if (!f) return 0;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "VmRSS:", 6) == 0) {
      kib = strtoull(line + 6, NULL, 10);
      break;
    }
  }
  fclose(f);
  return kib * 1024u;
}

uint64_t bench_cpu_ns(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000u +
         ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000u;
}

void bench_raise_fd_limit(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

int bench_cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

bench_shared *bench_shared_create(void) {
  void *p = mmap(NULL, sizeof(bench_shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                 -1, 0);
  if (p == MAP_FAILED) return NULL;
  memset(p, 0, sizeof(bench_shared));
  return p;
}

/* Counting at the socket: this definition takes precedence over libc's sendmsg for every
 * call in the process, libenet.so's included (ENet sends every datagram with sendmsg),
 * and forwards to the real function. */
static _Atomic uint64_t socket_bytes, socket_datagrams;

uint64_t bench_socket_bytes_sent(void) { return atomic_load(&socket_bytes); }
uint64_t bench_socket_datagrams_sent(void) { return atomic_load(&socket_datagrams); }

static void count_sent(ssize_t n) {
  if (n > 0) {
    atomic_fetch_add_explicit(&socket_bytes, (uint64_t)n, memory_order_relaxed);
    atomic_fetch_add_explicit(&socket_datagrams, 1, memory_order_relaxed);
  }
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags) {
  static ssize_t (*real)(int, const struct msghdr *, int);
  if (!real) *(void **)&real = dlsym(RTLD_NEXT, "sendmsg");
  ssize_t n = real(fd, msg, flags);
  count_sent(n);
  return n;
}
