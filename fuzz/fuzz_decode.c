/* fuzz_decode.c - libFuzzer target for rmt_decode: any input must decode or fail cleanly;
 * what decodes must pass the strict check, re-encode, and decode back to equal values. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "remotes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static rmt_arena *first_arena, *second_arena;
static rmt_buf reencoded;

static void check_round_trip(const rmt_value *args, size_t nargs) {
  rmt_error err;
  if (rmt_values_check(args, nargs, NULL, &err) != 0) abort();
  reencoded.len = 0;
  /* canonical re-encoding is never larger than any valid input, so it must fit */
  if (rmt_encode(&reencoded, args, nargs, NULL, &err) != 0) abort();
  rmt_arena_reset(second_arena);
  rmt_value *again;
  size_t nagain;
  if (rmt_decode(second_arena, reencoded.data, reencoded.len, NULL, &again, &nagain, &err) != 0)
    abort();
  if (nagain != nargs) abort();
  for (size_t i = 0; i < nargs; i++)
    if (!rmt_value_equal(&args[i], &again[i])) abort();
  /* the canonical form is a fixed point */
  size_t first_len = reencoded.len;
  uint8_t *first = malloc(first_len ? first_len : 1);
  if (first == NULL) return;
  memcpy(first, reencoded.data, first_len);
  reencoded.len = 0;
  if (rmt_encode(&reencoded, again, nagain, NULL, &err) != 0) abort();
  if (reencoded.len != first_len || memcmp(first, reencoded.data, first_len) != 0) abort();
  free(first);
  rmt_value *copy;
  if (rmt_values_copy(args, nargs, NULL, &copy, &err) != 0) abort();
  for (size_t i = 0; i < nargs; i++)
    if (!rmt_value_equal(&args[i], &copy[i])) abort();
  rmt_values_free(copy, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (first_arena == NULL) {
    first_arena = rmt_arena_create(NULL);
    second_arena = rmt_arena_create(NULL);
    if (first_arena == NULL || second_arena == NULL) abort();
  }
  rmt_value *args;
  size_t nargs;
  rmt_error err;
  rmt_arena_reset(first_arena);
  int rc = rmt_decode(first_arena, data, size, NULL, &args, &nargs, &err);
  if (rc == 0) {
    check_round_trip(args, nargs);
  } else if (err.code != rc || err.message[0] == '\0' || args != NULL || nargs != 0) {
    abort();
  }
  /* tight limits exercise every limit path on the same input */
  rmt_limits tight = {3, 40, 12, 512, 0};
  rmt_arena_reset(first_arena);
  rc = rmt_decode(first_arena, data, size, &tight, &args, &nargs, &err);
  if (rc == 0 && rmt_values_check(args, nargs, &tight, &err) != 0) abort();
  return 0;
}
