/* codec_test_util.h - a counting, optionally failing allocator for value/codec tests.
 * Test-only; checks osize on every free/realloc so a wrong size bookkeeping fails loudly. */
#ifndef CODEC_TEST_UTIL_H
#define CODEC_TEST_UTIL_H

#include <stdlib.h>
#include <string.h>

#include "remotes.h"

typedef struct counting_alloc {
  size_t live;      /* blocks currently allocated */
  size_t bytes;     /* bytes currently allocated */
  size_t peak;      /* peak bytes */
  size_t requests;  /* successful + failed allocation requests (not frees) */
  size_t fail_at;   /* 1-based request number to fail; 0 = never */
  size_t bad_osize; /* frees/reallocs whose osize did not match */
} counting_alloc;

typedef union counting_hdr {
  size_t size;
  max_align_t align_;
} counting_hdr;

static void *counting_fn(void *ud, void *ptr, size_t osize, size_t nsize) {
  counting_alloc *c = ud;
  counting_hdr *h = ptr ? (counting_hdr *)ptr - 1 : NULL;
  if (h && h->size != osize) c->bad_osize++;
  if (nsize == 0) {
    if (h) {
      c->live--;
      c->bytes -= h->size;
      free(h);
    }
    return NULL;
  }
  c->requests++;
  if (c->fail_at && c->requests == c->fail_at) return NULL;
  size_t old = h ? h->size : 0;
  counting_hdr *n = realloc(h, sizeof *n + nsize);
  if (n == NULL) return NULL;
  if (!h) c->live++;
  c->bytes = c->bytes - old + nsize;
  if (c->bytes > c->peak) c->peak = c->bytes;
  n->size = nsize;
  return n + 1;
}

static inline rmt_allocator counting_allocator(counting_alloc *c) {
  memset(c, 0, sizeof *c);
  rmt_allocator a = {counting_fn, c};
  return a;
}

#endif
