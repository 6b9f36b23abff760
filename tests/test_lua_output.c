/* test_lua_output.c - the host's output path: control bytes and NUL escaped with nothing cut,
 * multi-line messages, and warnings/errors rate-limited per source with one summary line per
 * second (on a test clock) while print() is never limited. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "test_lua_util.h"

static void test_escapes_and_nul(void **state) {
  lua_fixture *f = *state;
  rmt_host *h = f->host;
  capture *cap = &f->cap;
  run_lua(h, cap,
          "print('a\\0b', 'esc\\27[31m', 'cr\\r', 'tab\\tx', '\\194\\155csi', 'caf\\195\\169')\n"
          "warn('two\\nlines')\n"
          "error('after\\0nul')\n");
  if (!has_line(cap, "P a\\0b esc\\x1b[31m cr\\r tab\tx \\xc2\\x9bcsi caf\xc3\xa9"))
    fprintf(stderr, "%s", cap->text);
  assert_true(has_line(cap, "P a\\0b esc\\x1b[31m cr\\r tab\tx \\xc2\\x9bcsi caf\xc3\xa9"));
  assert_true(has_line(cap, "W two"));
  assert_true(has_line(cap, "lines"));
  assert_true(has_line(cap, "E test.lua:3: after\\0nul"));
}

static int count_prefix(const capture *c, const char *prefix) {
  int n = 0;
  const char *p = c->text;
  size_t len = strlen(prefix);
  while (p && *p) {
    if (strncmp(p, prefix, len) == 0) n++;
    p = strchr(p, '\n');
    if (p) p++;
  }
  return n;
}

static void test_rate_limit_per_source(void **state) {
  lua_fixture *f = *state;
  rmt_host *h = f->host;
  capture *cap = &f->cap;
  /* 1,000 errors from one line, 1,000 warnings of one kind (numbers vary), 1,000 prints */
  rmt_host_run_string(h,
                      "for i = 1, 1000 do task.spawn(error, 'bad input ' .. i) end\n"
                      "for i = 1, 1000 do task.spawn(function() error('at line ' .. i) end) end\n"
                      "for i = 1, 1000 do warn('value ' .. i .. ' dropped') end\n"
                      "for i = 1, 1000 do print('line', i) end\n"
                      "warn('another kind')\n",
                      "flood.lua");
  assert_int_equal(cap->prints, 1000);
  /* the first 1,000 errors have no position (error is called directly): their text is the
   * source; the second 1,000 are one source, flood.lua:2 */
  assert_int_equal(count_prefix(cap, "E bad input "), 5);
  assert_int_equal(count_prefix(cap, "E flood.lua:2:"), 5);
  assert_int_equal(count_prefix(cap, "W value "), 5);
  assert_true(has_line(cap, "W another kind"));
  /* on the fixture's test clock the windows end at 1 s exactly: no summary before */
  run_for(h, 0.99);
  assert_int_equal(count_prefix(cap, "W 995 similar"), 0);
  run_for(h, 0.11);
  if (!has_line(cap, "W 995 similar messages suppressed (at most 5 a second): value # dropped"))
    fprintf(stderr, "%s", cap->text + (cap->len > 4000 ? cap->len - 4000 : 0));
  assert_true(has_line(cap, "W 995 similar messages suppressed (at most 5 a second): value # dropped"));
  assert_true(has_line(cap, "E 995 similar messages suppressed (at most 5 a second): flood.lua:#:"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_escapes_and_nul, lua_fixture_setup, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_rate_limit_per_source, lua_fixture_setup_clocked,
                                      lua_fixture_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
