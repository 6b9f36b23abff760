/* alloc_counter.h - a test allocator for the rmt_allocator hook: counts live blocks and
 * bytes, checks every osize against what was asked for, and can fail the Nth allocation. */
#ifndef RMT_TEST_ALLOC_COUNTER_H
#define RMT_TEST_ALLOC_COUNTER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "remotes.h"

typedef struct alloc_counter {
  size_t live_blocks;
  size_t live_bytes;
  size_t peak_bytes;
  size_t calls;       /* every call into the hook, frees included */
  size_t attempts;    /* allocations and reallocations to a non-zero size */
  size_t fail_at;     /* 1-based attempt that fails; 0 = never */
  int fail_all_after; /* when set, every attempt from fail_at on fails */
  int bad_osize;      /* set when a caller passed an osize that does not match */
  rmt_allocator hook;
} alloc_counter;

/* Each block carries its requested size in a header so osize can be checked. */
#define ALLOC_COUNTER_HDR 16

static inline void *alloc_counter_fn(void *ud, void *ptr, size_t osize, size_t nsize) {
  alloc_counter *ac = ud;
  ac->calls++;
  unsigned char *base = ptr ? (unsigned char *)ptr - ALLOC_COUNTER_HDR : NULL;
  if (base) {
    size_t recorded;
    memcpy(&recorded, base, sizeof recorded);
    if (recorded != osize) ac->bad_osize = 1;
  } else if (osize != 0) {
    ac->bad_osize = 1;
  }
  if (nsize == 0) {
    if (base) {
      ac->live_blocks--;
      ac->live_bytes -= osize;
      free(base);
    }
    return NULL;
  }
  ac->attempts++;
  if (ac->fail_at && (ac->attempts == ac->fail_at ||
                      (ac->fail_all_after && ac->attempts > ac->fail_at)))
    return NULL;
  unsigned char *nb = realloc(base, nsize + ALLOC_COUNTER_HDR);
  if (!nb) return NULL;
  memcpy(nb, &nsize, sizeof nsize);
  if (base) {
    ac->live_bytes -= osize;
  } else {
    ac->live_blocks++;
  }
  ac->live_bytes += nsize;
  if (ac->live_bytes > ac->peak_bytes) ac->peak_bytes = ac->live_bytes;
  return nb + ALLOC_COUNTER_HDR;
}

static inline void alloc_counter_init(alloc_counter *ac) {
  memset(ac, 0, sizeof *ac);
  ac->hook.fn = alloc_counter_fn;
  ac->hook.ud = ac;
}

#ifdef cmocka_unit_test /* with cmocka.h included first */
/* Nothing left, and every osize matched what was asked for. */
static inline void alloc_counter_assert_clean(const alloc_counter *ac) {
  assert_int_equal(ac->live_blocks, 0);
  assert_int_equal(ac->live_bytes, 0);
  assert_false(ac->bad_osize);
}

/* Defines `static alloc_counter name` and the cmocka setup/teardown of a group whose tests all
 * allocate through it: a fresh counter before each test, the leak check after it. */
#define ALLOC_COUNTER_FIXTURE(name)                                                            \
  static alloc_counter name;                                                                   \
  static int setup(void **state) {                                                             \
    (void)state;                                                                               \
    alloc_counter_init(&name);                                                                 \
    return 0;                                                                                  \
  }                                                                                            \
  static int teardown(void **state) {                                                          \
    (void)state;                                                                               \
    alloc_counter_assert_clean(&name);                                                         \
    return 0;                                                                                  \
  }
#endif

#endif
