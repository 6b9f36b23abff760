/* test_clock.h - a clock that moves only when a test says so, for the rmt_clock_fn of the
 * server, client and Lua host configs. It must never read real time: a test that needs real
 * time uses no clock at all (NULL = the monotonic clock). */
#ifndef RMT_TEST_CLOCK_H
#define RMT_TEST_CLOCK_H

#include <stdint.h>

typedef struct test_clock {
  uint64_t us;
} test_clock;

static inline uint64_t test_clock_read(void *ud) { return ((const test_clock *)ud)->us; }
/* It starts away from zero so that no deadline computed from it is mistaken for "none". */
static inline void test_clock_init(test_clock *c) { c->us = 1000000u; }
static inline void test_clock_advance_ms(test_clock *c, uint64_t ms) { c->us += ms * 1000u; }
static inline void test_clock_advance_us(test_clock *c, uint64_t us) { c->us += us; }

#endif /* RMT_TEST_CLOCK_H */
