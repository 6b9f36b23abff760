/* test_lua_util.h - helpers for the Lua host tests: a host whose output is captured into a
 * buffer, a loop that runs it until idle, and leak checks through the counting allocator. */
#ifndef RMT_TEST_LUA_UTIL_H
#define RMT_TEST_LUA_UTIL_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alloc_counter.h"
#include "lua/host.h"

typedef struct capture {
  char text[1 << 16];
  size_t len;
  int prints, warns, errors;
} capture;

/* Lines as "P text", "W text", "E text" so tests can match one stream. */
static inline void capture_output(void *ud, rmt_host_stream stream, const char *text) {
  capture *c = ud;
  char tag = stream == RMT_HOST_PRINT ? 'P' : stream == RMT_HOST_WARN ? 'W' : 'E';
  int n;
  if (stream == RMT_HOST_PRINT) c->prints++;
  if (stream == RMT_HOST_WARN) c->warns++;
  if (stream == RMT_HOST_ERROR) c->errors++;
  n = snprintf(c->text + c->len, sizeof c->text - c->len, "%c %s\n", tag, text);
  if (n > 0 && c->len + (size_t)n < sizeof c->text) c->len += (size_t)n;
}

static inline rmt_host *test_host(rmt_host_side side, capture *cap, alloc_counter *ac) {
  rmt_host_config hc;
  rmt_error err;
  rmt_host *h;
  memset(&hc, 0, sizeof hc);
  memset(cap, 0, sizeof *cap);
  hc.side = side;
  hc.origin = side == RMT_HOST_SERVER ? "Server" : "Player1";
  hc.output = capture_output;
  hc.output_ud = cap;
  hc.alloc = ac ? &ac->hook : NULL;
  h = rmt_host_create(&hc, &err);
  if (!h) fprintf(stderr, "host: %s\n", err.message);
  return h;
}

static inline void sleep_ms(int ms) {
  struct timespec ts;
  ts.tv_sec = ms / 1000;
  ts.tv_nsec = (long)(ms % 1000) * 1000000L;
  nanosleep(&ts, NULL);
}

/* Steps the host until nothing waits (or max_seconds pass). Returns seconds spent. */
static inline double run_until_idle(rmt_host *h, double max_seconds) {
  double start = rmt_host_clock();
  for (;;) {
    rmt_host_step(h);
    if (!rmt_host_busy(h)) break;
    if (rmt_host_clock() - start > max_seconds) break;
    sleep_ms(1);
  }
  return rmt_host_clock() - start;
}

static inline void run_for(rmt_host *h, double seconds) {
  double start = rmt_host_clock();
  while (rmt_host_clock() - start < seconds) {
    rmt_host_step(h);
    sleep_ms(1);
  }
}

/* Runs Lua source as a Script and steps until idle; returns the capture's error count. */
static inline int run_lua(rmt_host *h, capture *cap, const char *src) {
  rmt_host_run_string(h, src, "test.lua");
  run_until_idle(h, 10);
  return cap->errors;
}

static inline int has_line(const capture *c, const char *line) {
  const char *p = c->text;
  size_t n = strlen(line);
  while ((p = strstr(p, line)) != NULL) {
    if ((p == c->text || p[-1] == '\n') && (p[n] == '\n' || p[n] == 0)) return 1;
    p += n;
  }
  return 0;
}

#endif /* RMT_TEST_LUA_UTIL_H */
