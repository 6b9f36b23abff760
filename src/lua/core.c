/*
 * core.c - the host's clock and its one allocation helper, the bottom every other host file
 * stands on. It must never call into any other host file, nor touch Lua.
 */
#define _POSIX_C_SOURCE 200809L
#include <time.h>

#include "common.h"
#include "core.h"

double rmt_host_clock(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double lh_clock_seconds(const rmt_host *host) {
  return host->clock ? (double)host->clock(host->clock_ud) / 1e6 : rmt_host_clock();
}

double lh_now(const rmt_host *host) {
  return lh_clock_seconds(host) - host->t0;
}

/* The engine's helpers (common.h) with the host's hook: one place that knows the hook's
 * conventions (NULL = malloc, sizes passed back on free). */
void *lh_alloc(rmt_host *host, size_t size) {
  return rmt__alloc(host->alloc, size);
}

void *lh_realloc(rmt_host *host, void *ptr, size_t osize, size_t nsize) {
  return rmt__realloc(host->alloc, ptr, osize, nsize);
}

void lh_free(rmt_host *host, void *ptr, size_t size) {
  rmt__free(host->alloc, ptr, size);
}
