/* test_protocol.c - the framing layer alone: messages of every body size around the varint
 * boundaries survive a write/read round trip, every truncation is refused, and malformed
 * tags and varints are errors, never reads outside the buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "protocol.h"

static const size_t sizes[] = {0, 1, 127, 128, 300, 16383, 16384, 70000};

static void test_round_trip_sizes(void **state) {
  (void)state;
  uint8_t *body = malloc(70000);
  assert_non_null(body);
  for (size_t i = 0; i < 70000; i++) body[i] = (uint8_t)(i * 31);
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    rmt_buf b = {0};
    uint32_t fields[2] = {7, 123456};
    /* Three kinds back to back: built whole, and built in place (begin/end). */
    assert_int_equal(rmt__msg_put(&b, RMT_MSG_INVOKE, 3, fields, 2, body, sizes[k]), 0);
    rmt_msg_mark mark;
    assert_int_equal(rmt__msg_begin(&b, RMT_MSG_EVENT, 70000, NULL, 0, &mark), 0);
    assert_int_equal(rmt_buf_append(&b, body, sizes[k]), 0);
    assert_int_equal(rmt__msg_end(&b, &mark), 0);
    assert_int_equal(rmt__msg_put(&b, RMT_MSG_ERROR, 1, fields, 2, body, sizes[k]), 0);
    size_t off = 0;
    rmt_msg m;
    assert_int_equal(rmt__msg_next(b.data, b.len, &off, &m), 1);
    assert_int_equal(m.kind, RMT_MSG_INVOKE);
    assert_int_equal(m.id, 3);
    assert_int_equal(m.call_id, 7);
    assert_int_equal(m.timeout_ms, 123456);
    assert_int_equal(m.body_len, sizes[k]);
    if (sizes[k]) assert_memory_equal(m.body, body, sizes[k]);
    assert_int_equal(rmt__msg_next(b.data, b.len, &off, &m), 1);
    assert_int_equal(m.kind, RMT_MSG_EVENT);
    assert_int_equal(m.id, 70000);
    assert_int_equal(m.body_len, sizes[k]);
    if (sizes[k]) assert_memory_equal(m.body, body, sizes[k]);
    assert_int_equal(rmt__msg_next(b.data, b.len, &off, &m), 1);
    assert_int_equal(m.kind, RMT_MSG_ERROR);
    assert_int_equal(m.status, 123456);
    assert_int_equal(rmt__msg_next(b.data, b.len, &off, &m), 0);
    assert_int_equal(off, b.len);
    rmt_buf_free(&b);
  }
  free(body);
}

static void test_every_truncation_refused(void **state) {
  (void)state;
  rmt_buf b = {0};
  uint8_t body[200];
  memset(body, 0xab, sizeof body);
  uint32_t fields[2] = {300, 5000};
  assert_int_equal(rmt__msg_put(&b, RMT_MSG_INVOKE, 1000, fields, 2, body, sizeof body), 0);
  for (size_t cut = 1; cut < b.len; cut++) {
    /* A copy of exactly `cut` bytes, so a read past the end is an ASan error. */
    uint8_t *copy = malloc(cut);
    memcpy(copy, b.data, cut);
    size_t off = 0;
    rmt_msg m;
    assert_true(rmt__msg_next(copy, cut, &off, &m) < 0);
    free(copy);
  }
  rmt_buf_free(&b);
}

static void test_malformed(void **state) {
  (void)state;
  rmt_msg m;
  size_t off = 0;
  /* kind 5 and 6 do not exist */
  uint8_t kind5[] = {5, 0};
  assert_int_equal(rmt__msg_next(kind5, sizeof kind5, &off, &m), RMT_EDECODE);
  /* a varint of eleven bytes */
  uint8_t long_varint[12];
  memset(long_varint, 0x80, 11);
  long_varint[11] = 0;
  off = 0;
  assert_true(rmt__msg_next(long_varint, sizeof long_varint, &off, &m) < 0);
  /* a body length larger than what is left */
  uint8_t overlong[] = {0, 0x7f, 1, 2};
  off = 0;
  assert_int_equal(rmt__msg_next(overlong, sizeof overlong, &off, &m), RMT_ETRUNC);
  /* readers flag instead of reading past the end */
  uint8_t s[] = {5, 'a', 'b'};
  rmt_reader r = {s, sizeof s, 0, 0};
  size_t len;
  assert_null(rmt__get_lstr(&r, 100, &len));
  assert_true(r.bad);
  rmt_reader r2 = {s, 2, 0, 0};
  (void)rmt__get_u32le(&r2);
  assert_true(r2.bad);
}

static void test_length_prefixed_region(void **state) {
  (void)state;
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    rmt_buf b = {0};
    assert_int_equal(rmt_buf_append(&b, "x", 1), 0);
    size_t at;
    assert_int_equal(rmt__lp_begin(&b, &at), 0);
    for (size_t i = 0; i < sizes[k]; i++) assert_int_equal(rmt_buf_append(&b, "y", 1), 0);
    assert_int_equal(rmt__lp_end(&b, at), 0);
    rmt_reader r = {b.data, b.len, 1, 0};
    size_t len;
    const uint8_t *p = rmt__get_lstr(&r, SIZE_MAX, &len);
    assert_false(r.bad);
    assert_int_equal(len, sizes[k]);
    assert_int_equal(r.off, b.len);
    for (size_t i = 0; i < len; i++) assert_int_equal(p[i], 'y');
    rmt_buf_free(&b);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip_sizes),
      cmocka_unit_test(test_every_truncation_refused),
      cmocka_unit_test(test_malformed),
      cmocka_unit_test(test_length_prefixed_region),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
