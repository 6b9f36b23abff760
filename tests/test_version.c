/* test_version.c - the version macros agree with each other and with what the library reports,
 * so a program can compare RMT_VERSION with rmt_version() to detect a mismatched library. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "remotes.h"

static void library_reports_the_header_it_was_built_with(void **state) {
  (void)state;
  assert_int_equal(rmt_version(), RMT_VERSION);
  assert_string_equal(rmt_version_string(), RMT_VERSION_STRING);
}

static void string_and_number_are_the_three_parts(void **state) {
  char expect[32];
  (void)state;
  snprintf(expect, sizeof expect, "%d.%d.%d", RMT_VERSION_MAJOR, RMT_VERSION_MINOR,
           RMT_VERSION_PATCH);
  assert_string_equal(RMT_VERSION_STRING, expect);
  assert_int_equal(RMT_VERSION / 10000, RMT_VERSION_MAJOR);
  assert_int_equal(RMT_VERSION / 100 % 100, RMT_VERSION_MINOR);
  assert_int_equal(RMT_VERSION % 100, RMT_VERSION_PATCH);
}

static void numbers_order_like_versions(void **state) {
  (void)state;
  assert_true(RMT_MAKE_VERSION(0, 1, 9) < RMT_MAKE_VERSION(0, 2, 0));
  assert_true(RMT_MAKE_VERSION(0, 99, 99) < RMT_MAKE_VERSION(1, 0, 0));
  assert_true(RMT_VERSION >= RMT_MAKE_VERSION(0, 1, 0));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(library_reports_the_header_it_was_built_with),
      cmocka_unit_test(string_and_number_are_the_three_parts),
      cmocka_unit_test(numbers_order_like_versions),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
