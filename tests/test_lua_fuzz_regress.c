/* test_lua_fuzz_regress.c - what fuzz_host (fuzz/fuzz_host.c) found in the Lua host, each
 * kept as a test: the input's effect reproduced in the smallest setting that shows it. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "test_lua_util.h"

static rmt_host *capped_host(rmt_host_side side, capture *cap, alloc_counter *ac,
                             size_t memory) {
  rmt_host_config hc;
  rmt_error err;
  rmt_host *h;
  memset(&hc, 0, sizeof hc);
  memset(cap, 0, sizeof *cap);
  hc.side = side;
  hc.origin = side == RMT_HOST_SERVER ? "Server" : "Player1";
  hc.output = capture_output;
  hc.output_ud = cap;
  hc.alloc = &ac->hook;
  hc.memory_limit = memory;
  h = rmt_host_create(&hc, &err);
  if (!h) fprintf(stderr, "host: %s\n", err.message);
  return h;
}

/* Found by fuzz_host: a crossing that filled the cap with many small objects (a message of
 * many small tables; here a script) left the state holding more than the cap in garbage.
 * Every later crossing, the collection included, needs a small allocation to start (its
 * C closure) and was refused: the host never ran Lua again. */
static void test_cap_filled_with_small_objects_recovers(void **state) {
  capture cap;
  alloc_counter ac;
  rmt_host *h;
  int i;
  (void)state;
  alloc_counter_init(&ac);
  h = capped_host(RMT_HOST_SERVER, &cap, &ac, 8u << 20);
  assert_non_null(h);
  rmt_host_run_string(h, "local k = {} for i = 1, 1e9 do k[i] = {} end", "hog.lua");
  assert_non_null(strstr(cap.text, "not enough memory"));
  assert_true(h->mem_refused > 0);
  for (i = 0; i < 3; i++) rmt_host_step(h);
  rmt_host_run_string(h, "print('alive after the cap')", "after.lua");
  if (!has_line(&cap, "P alive after the cap")) fprintf(stderr, "%.4000s", cap.text);
  assert_true(has_line(&cap, "P alive after the cap"));
  /* and the garbage was collected: the state is back well under its cap */
  assert_true(h->mem_used < (size_t)(4u << 20));
  rmt_host_destroy(h);
  assert_int_equal(ac.live_blocks, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cap_filled_with_small_objects_recovers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
