/* fuzz_schema.c - libFuzzer target for schemas: the input is schema text, optionally followed
 * by a NUL and an encoded argument list to check against it (and against fixed schemas). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "remotes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fixed[] = {
    "string, number(0..1000)",
    "\"vote\" | \"purchase\", (\"yes\" | \"no\")?",
    "number(int, 1..10)?",
    "string(1..20), boolean, Vector3, CFrame, Color3, Player, any?",
    "{number}(0..50)",
    "{name: string, count?: number(int), tags?: {string(..8)}(..4)}",
    "{[string]: number}",
    "{[\"a\" | \"b\"]: {x: number, y: number} | \"none\"}, table?",
    "nil | true | 5 | \"x\" | {{{any}}}",
    "",
};

static void check_message(int rc, const rmt_error *err) {
  if (rc == RMT_OK) {
    if (err->message[0]) abort();
    return;
  }
  if (rc != RMT_EBADARGS || err->code != RMT_EBADARGS) abort();
  if (memchr(err->message, 0, sizeof err->message) == NULL) abort();
  if (strncmp(err->message, "argument ", 9) != 0 &&
      strncmp(err->message, "too many arguments", 18) != 0)
    abort();
}

static void check_all(const rmt_schema *s, const rmt_value *args, size_t n) {
  rmt_error err;
  int rc = rmt_schema_check(s, args, n, &err);
  check_message(rc, &err);
  /* The answer does not depend on whether a message is wanted. */
  if (rmt_schema_check(s, args, n, NULL) != rc) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static rmt_schema *compiled[sizeof fixed / sizeof fixed[0]];
  static rmt_arena *arena;
  if (!arena) {
    arena = rmt_arena_create(NULL);
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
      compiled[i] = rmt_schema_parse(fixed[i], NULL, NULL);
      if (!compiled[i]) abort();
    }
  }
  const uint8_t *nul = memchr(data, 0, size);
  size_t text_len = nul ? (size_t)(nul - data) : size;
  char *text = malloc(text_len + 1);
  if (!text) return 0;
  memcpy(text, data, text_len);
  text[text_len] = 0;

  rmt_error err;
  rmt_schema *s = rmt_schema_parse(text, NULL, &err);
  if (s) {
    if (strcmp(rmt_schema_text(s), text) != 0 || err.code != 0) abort();
    size_t required;
    if (rmt_schema_arg_count(s, &required) < required) abort();
  } else if (!((err.code == RMT_EINVAL && strncmp(err.message, "column ", 7) == 0) ||
               err.code == RMT_ELIMIT || err.code == RMT_ENOMEM)) {
    abort();
  }

  rmt_value *args = NULL;
  size_t n = 0;
  rmt_arena_reset(arena);
  int decoded = nul && rmt_decode(arena, nul + 1, size - text_len - 1, NULL, &args, &n, NULL) == 0;
  if (decoded) {
    if (s) check_all(s, args, n);
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) check_all(compiled[i], args, n);
  } else if (s) {
    rmt_value none = rmt_nil();
    check_all(s, &none, 0);
    check_all(s, &none, 1);
  }
  rmt_schema_free(s);
  free(text);
  return 0;
}
