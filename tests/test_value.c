/* test_value.c - values: constructors, equality, strict checks, copy, and Roblox's argument
 * rules (normalize) with their warnings, strict-mode errors, cycles, limits and OOM. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "alloc_counter.h"
#include "remotes.h"

/* Collects warnings so tests can assert their exact text. */
typedef struct warnings {
  int count;
  char text[16][256];
} warnings;

static void collect(void *ud, const char *message) {
  warnings *w = ud;
  if (w->count < 16) snprintf(w->text[w->count], sizeof w->text[0], "%s", message);
  w->count++;
}

static rmt_pair kv(rmt_value k, rmt_value v) {
  rmt_pair p = {k, v};
  return p;
}

static rmt_value fn(void) {
  rmt_value v = rmt_nil();
  v.type = RMT_TFUNCTION;
  return v;
}

static rmt_value loose(const rmt_pair *pairs, size_t n, const void *identity, int meta) {
  rmt_value v = rmt_nil();
  v.type = RMT_TTABLE;
  v.as.table.pairs = pairs;
  v.as.table.count = n;
  v.as.table.identity = identity;
  v.as.table.has_metatable = meta;
  return v;
}

static void test_constructors_and_typeof(void **state) {
  (void)state;
  static const float pos[3] = {1, 2, 3}, rot[9] = {0, 1, 0, 1, 0, 0, 0, 0, 1};
  rmt_value items[1] = {rmt_num(1)};
  rmt_pair pairs[1] = {kv(rmt_str("a"), rmt_num(2))};
  struct {
    rmt_value v;
    const char *name;
  } cases[] = {
      {rmt_nil(), "nil"},
      {rmt_bool(7), "boolean"},
      {rmt_num(1.5), "number"},
      {rmt_str("hi"), "string"},
      {rmt_array(items, 1), "table"},
      {rmt_dict(pairs, 1), "table"},
      {rmt_vector3(1, 2, 3), "Vector3"},
      {rmt_cframe(1, 2, 3), "CFrame"},
      {rmt_cframe_full(pos, rot), "CFrame"},
      {rmt_color3(0.5f, 0.25f, 1), "Color3"},
      {rmt_player_ref(42), "Instance"},
      {fn(), "function"},
      {loose(pairs, 1, NULL, 0), "table"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    assert_string_equal(rmt_typeof(&cases[i].v), cases[i].name);
  assert_string_equal(rmt_typeof(NULL), "nil");
  assert_int_equal(rmt_bool(7).as.boolean, 1);
  assert_int_equal(rmt_str(NULL).type, RMT_TNIL);
  rmt_value s = rmt_lstr("a\0b", 3);
  assert_int_equal(s.as.string.len, 3);
  rmt_value c = rmt_cframe(4, 5, 6);
  assert_true(c.as.cframe.x == 4 && c.as.cframe.r[0] == 1 && c.as.cframe.r[4] == 1 &&
              c.as.cframe.r[8] == 1 && c.as.cframe.r[1] == 0);
  rmt_value cf = rmt_cframe_full(pos, rot);
  assert_memory_equal(cf.as.cframe.r, rot, sizeof rot);
  assert_int_equal(rmt_player_ref(42).as.player, 42);
}

static void test_dict_get_and_equal(void **state) {
  (void)state;
  rmt_pair p[2] = {kv(rmt_str("a"), rmt_num(1)), kv(rmt_str("b"), rmt_str("x"))};
  rmt_pair q[2] = {kv(rmt_str("b"), rmt_str("x")), kv(rmt_str("a"), rmt_num(1))};
  rmt_value d = rmt_dict(p, 2), e = rmt_dict(q, 2);
  assert_non_null(rmt_dict_get(&d, "b"));
  assert_string_equal(rmt_dict_get(&d, "b")->as.string.ptr, "x");
  assert_null(rmt_dict_get(&d, "zz"));
  rmt_value n = rmt_num(1);
  assert_null(rmt_dict_get(&n, "a"));
  assert_true(rmt_value_equal(&d, &e)); /* pairs compare as sets */
  rmt_value nan1 = rmt_num(NAN), nan2 = rmt_num(-NAN);
  assert_true(rmt_value_equal(&nan1, &nan2));
  rmt_value z = rmt_num(0.0), nz = rmt_num(-0.0);
  assert_true(rmt_value_equal(&z, &nz));
  rmt_value arr = rmt_array(NULL, 0), dict = rmt_dict(NULL, 0);
  assert_false(rmt_value_equal(&arr, &dict));
  rmt_value s1 = rmt_lstr("a\0b", 3), s2 = rmt_lstr("a\0c", 3);
  assert_false(rmt_value_equal(&s1, &s2));
  rmt_pair r[2] = {kv(rmt_str("a"), rmt_num(1)), kv(rmt_str("b"), rmt_str("y"))};
  rmt_value f = rmt_dict(r, 2);
  assert_false(rmt_value_equal(&d, &f));
  rmt_value v1 = rmt_vector3(1, NAN, 3), v2 = rmt_vector3(1, NAN, 3), v3 = rmt_vector3(1, 2, 3);
  assert_true(rmt_value_equal(&v1, &v2));
  assert_false(rmt_value_equal(&v1, &v3));
  rmt_value p1 = rmt_player_ref(1), p2 = rmt_player_ref(2);
  assert_false(rmt_value_equal(&p1, &p2));
}

static void test_limits_default(void **state) {
  (void)state;
  rmt_limits l;
  rmt_limits_default(&l);
  assert_int_equal(l.max_depth, 32);
  assert_int_equal(l.max_elements, 65536);
  assert_int_equal(l.max_string, 1 << 20);
  assert_int_equal(l.max_bytes, 4 << 20);
}

static void test_check_messages(void **state) {
  (void)state;
  rmt_error err;
  rmt_value items[3] = {rmt_num(1), rmt_num(2), fn()};
  rmt_pair pairs[1] = {kv(rmt_str("items"), rmt_array(items, 3))};
  rmt_value args[2] = {rmt_num(0), rmt_dict(pairs, 1)};
  assert_int_equal(rmt_values_check(args, 2, NULL, &err), RMT_ETYPE);
  assert_string_equal(err.message, "argument 2: function not allowed (at [\"items\"][3])");
  assert_int_equal(err.code, RMT_ETYPE);

  rmt_value top = fn();
  assert_int_equal(rmt_values_check(&top, 1, NULL, &err), RMT_ETYPE);
  assert_string_equal(err.message, "argument 1: function not allowed");

  rmt_value lt = loose(NULL, 0, NULL, 0);
  assert_int_equal(rmt_values_check(&lt, 1, NULL, &err), RMT_ETYPE);

  rmt_pair badkey[1] = {kv(rmt_num(5), rmt_num(1))};
  rmt_value bk = rmt_dict(badkey, 1);
  assert_int_equal(rmt_values_check(&bk, 1, NULL, &err), RMT_ETYPE);
  assert_string_equal(err.message, "argument 1: number dictionary key not allowed (only strings) (at [5])");

  /* keys with quotes and control bytes are escaped in paths */
  rmt_pair esc[1] = {kv(rmt_lstr("a\"\n", 3), fn())};
  rmt_value ev = rmt_dict(esc, 1);
  assert_int_equal(rmt_values_check(&ev, 1, NULL, &err), RMT_ETYPE);
  assert_string_equal(err.message, "argument 1: function not allowed (at [\"a\\\"\\x0a\"])");

  rmt_value good[4] = {rmt_str("x"), rmt_vector3(1, 2, 3), rmt_dict(NULL, 0), rmt_nil()};
  assert_int_equal(rmt_values_check(good, 4, NULL, &err), 0);
  assert_int_equal(err.code, 0);
  assert_string_equal(err.message, "");
  assert_int_equal(rmt_values_check(good, 4, NULL, NULL), 0);
  assert_int_equal(rmt_values_check(NULL, 0, NULL, NULL), 0);
}

static void test_check_cycles(void **state) {
  (void)state;
  rmt_error err;
  /* an array whose only item is itself */
  rmt_value self[1];
  self[0] = rmt_nil();
  self[0] = rmt_array(self, 1);
  assert_int_equal(rmt_values_check(self, 1, NULL, &err), RMT_ECYCLE);
  assert_string_equal(err.message, "argument 1: table contains itself (cycle) (at [1])");
  /* a dict whose value is the dict */
  rmt_pair dp[1];
  dp[0] = kv(rmt_str("me"), rmt_nil());
  dp[0].value = rmt_dict(dp, 1);
  rmt_value d = rmt_dict(dp, 1);
  assert_int_equal(rmt_values_check(&d, 1, NULL, &err), RMT_ECYCLE);
  /* the same table twice as siblings is not a cycle */
  rmt_value leaf[1] = {rmt_num(1)};
  rmt_value sib[2] = {rmt_array(leaf, 1), rmt_array(leaf, 1)};
  rmt_value outer = rmt_array(sib, 2);
  assert_int_equal(rmt_values_check(&outer, 1, NULL, &err), 0);
}

/* Builds a chain of `levels` nested arrays in `store` (innermost last). */
static rmt_value chain(rmt_value *store, size_t levels) {
  store[levels - 1] = rmt_array(NULL, 0);
  for (size_t i = levels - 1; i > 0; i--) store[i - 1] = rmt_array(&store[i], 1);
  return store[0];
}

static void test_check_limits_one_past(void **state) {
  (void)state;
  rmt_error err;
  rmt_limits l;
  rmt_limits_default(&l);
  rmt_value store[40];
  /* depth: tables at depth 0..32 allowed (33 nested tables), 34 refused */
  rmt_value ok = chain(store, 33);
  assert_int_equal(rmt_values_check(&ok, 1, &l, &err), 0);
  rmt_value deep = chain(store, 34);
  assert_int_equal(rmt_values_check(&deep, 1, &l, &err), RMT_ELIMIT);
  assert_non_null(strstr(err.message, "argument 1: nesting deeper than max_depth 32 (at [1][1]"));

  /* elements: args and nested values each count */
  l.max_elements = 4;
  rmt_value three[3] = {rmt_num(1), rmt_num(2), rmt_num(3)};
  rmt_value a = rmt_array(three, 3);
  assert_int_equal(rmt_values_check(&a, 1, &l, &err), 0);
  l.max_elements = 3;
  assert_int_equal(rmt_values_check(&a, 1, &l, &err), RMT_ELIMIT);
  assert_string_equal(err.message, "argument 1: more than max_elements 3 values (at [3])");

  rmt_limits_default(&l);
  l.max_string = 3;
  rmt_value s3 = rmt_str("abc"), s4 = rmt_str("abcd");
  assert_int_equal(rmt_values_check(&s3, 1, &l, &err), 0);
  assert_int_equal(rmt_values_check(&s4, 1, &l, &err), RMT_ELIMIT);
  assert_string_equal(err.message, "argument 1: string of 4 bytes longer than max_string 3");
  rmt_pair kp[1] = {kv(rmt_str("long"), rmt_num(1))};
  rmt_value kd = rmt_dict(kp, 1);
  assert_int_equal(rmt_values_check(&kd, 1, &l, &err), RMT_ELIMIT);
}

static void test_copy_deep_and_leak_free(void **state) {
  (void)state;
  alloc_counter ca;
  alloc_counter_init(&ca);
  rmt_allocator al = ca.hook;
  char buf[] = "mutable";
  rmt_value inner[3] = {rmt_lstr(buf, 7), rmt_cframe(1, 2, 3), rmt_player_ref(9)};
  rmt_pair pairs[2] = {kv(rmt_str("k"), rmt_array(inner, 3)), kv(rmt_str(""), rmt_bool(1))};
  rmt_value args[3] = {rmt_dict(pairs, 2), rmt_num(-0.0), rmt_lstr("a\0b", 3)};
  rmt_value *copy = NULL;
  rmt_error err;
  assert_int_equal(rmt_values_copy(args, 3, &al, &copy, &err), 0);
  assert_non_null(copy);
  assert_int_equal(ca.live_blocks, 1); /* one block */
  for (int i = 0; i < 3; i++) assert_true(rmt_value_equal(&args[i], &copy[i]));
  buf[0] = 'X'; /* the copy owns its bytes */
  const rmt_value *k = rmt_dict_get(&copy[0], "k");
  assert_non_null(k);
  assert_string_equal(k->as.array.items[0].as.string.ptr, "mutable");
  assert_ptr_not_equal(k->as.array.items, inner);
  assert_true(signbit(copy[1].as.number));
  assert_int_equal(copy[2].as.string.ptr[3], '\0');
  rmt_values_free(copy, &al);
  assert_int_equal(ca.live_blocks, 0);
  assert_int_equal(ca.bad_osize, 0);

  assert_int_equal(rmt_values_copy(NULL, 0, &al, &copy, &err), 0);
  assert_null(copy);
  rmt_values_free(NULL, &al);

  rmt_value bad = fn();
  assert_int_equal(rmt_values_copy(&bad, 1, &al, &copy, &err), RMT_ETYPE);
  assert_null(copy);
  rmt_value self[1];
  self[0] = rmt_nil();
  self[0] = rmt_array(self, 1);
  assert_int_equal(rmt_values_copy(self, 1, &al, &copy, &err), RMT_ECYCLE);
  assert_int_equal(ca.live_blocks, 0);
}

static void test_copy_oom(void **state) {
  (void)state;
  alloc_counter ca;
  alloc_counter_init(&ca);
  rmt_allocator al = ca.hook;
  rmt_value inner[2] = {rmt_str("x"), rmt_num(1)};
  rmt_value args[2] = {rmt_array(inner, 2), rmt_str("y")};
  rmt_value *copy = NULL;
  rmt_error err;
  size_t n;
  for (n = 1; n < 10; n++) {
    ca.fail_at = ca.attempts + n;
    int rc = rmt_values_copy(args, 2, &al, &copy, &err);
    if (rc == 0) break;
    assert_int_equal(rc, RMT_ENOMEM);
    assert_null(copy);
    assert_int_equal(ca.live_blocks, 0);
  }
  assert_int_equal(n, 2); /* exactly one allocation, failed once */
  rmt_values_free(copy, &al);
  assert_int_equal(ca.live_blocks, 0);
}

/* ---- normalize ---------------------------------------------------------------------- */

typedef struct norm_result {
  int rc;
  rmt_value *out;
  warnings w;
  rmt_error err;
} norm_result;

static alloc_counter g_ca;
static rmt_allocator g_al;

static norm_result run(const rmt_value *args, size_t n, rmt_convert_mode mode,
                       const rmt_limits *l) {
  norm_result r;
  memset(&r, 0, sizeof r);
  r.rc = rmt_values_normalize(args, n, mode, l, &g_al, collect, &r.w, &r.out, &r.err);
  return r;
}

static int setup(void **state) {
  (void)state;
  alloc_counter_init(&g_ca);
  g_al = g_ca.hook;
  return 0;
}

static int teardown(void **state) {
  (void)state;
  assert_int_equal(g_ca.live_blocks, 0);
  assert_int_equal(g_ca.bad_osize, 0);
  return 0;
}

static void test_norm_function_becomes_nil(void **state) {
  (void)state;
  rmt_value items[3] = {rmt_num(1), fn(), rmt_num(3)};
  rmt_pair pairs[2] = {kv(rmt_str("items"), rmt_array(items, 3)), kv(rmt_str("cb"), fn())};
  rmt_value args[3] = {fn(), rmt_dict(pairs, 2), rmt_str("z")};
  norm_result r = run(args, 3, RMT_CONVERT_LOSSY, NULL);
  assert_int_equal(r.rc, 0);
  assert_int_equal(r.w.count, 3);
  assert_string_equal(r.w.text[0], "argument 1: function converted to nil");
  assert_string_equal(r.w.text[1], "argument 2: function converted to nil, key dropped (at [\"cb\"])");
  assert_string_equal(r.w.text[2], "argument 2: function converted to nil (at [\"items\"][2])");
  assert_int_equal(r.out[0].type, RMT_TNIL);
  assert_int_equal(r.out[1].type, RMT_TDICT);
  assert_int_equal(r.out[1].as.table.count, 1); /* "cb" is gone */
  const rmt_value *it = rmt_dict_get(&r.out[1], "items");
  assert_non_null(it);
  assert_int_equal(it->type, RMT_TARRAY);
  assert_int_equal(it->as.array.count, 3); /* position kept: {1, nil, 3} */
  assert_int_equal(it->as.array.items[1].type, RMT_TNIL);
  assert_string_equal(r.out[2].as.string.ptr, "z");
  assert_int_equal(g_ca.live_blocks, 1);
  rmt_values_free(r.out, &g_al);

  /* STRICT: the first lossy step is the error, same text */
  r = run(args, 3, RMT_CONVERT_STRICT, NULL);
  assert_int_equal(r.rc, RMT_ELOSSY);
  assert_null(r.out);
  assert_int_equal(r.w.count, 0);
  assert_string_equal(r.err.message, "argument 1: function converted to nil");
  assert_int_equal(r.err.code, RMT_ELOSSY);
}

static void test_norm_metatable_dropped(void **state) {
  (void)state;
  rmt_pair pairs[1] = {kv(rmt_str("a"), rmt_num(1))};
  rmt_value arg = loose(pairs, 1, (void *)0x1, 1);
  norm_result r = run(&arg, 1, RMT_CONVERT_LOSSY, NULL);
  assert_int_equal(r.rc, 0);
  assert_int_equal(r.w.count, 1);
  assert_string_equal(r.w.text[0], "argument 1: metatable dropped");
  assert_int_equal(r.out[0].type, RMT_TDICT);
  assert_int_equal(r.out[0].as.table.has_metatable, 0);
  assert_null(r.out[0].as.table.identity);
  rmt_values_free(r.out, &g_al);
  r = run(&arg, 1, RMT_CONVERT_STRICT, NULL);
  assert_int_equal(r.rc, RMT_ELOSSY);
  assert_string_equal(r.err.message, "argument 1: metatable dropped");
}

static void test_norm_mixed_table_keeps_array(void **state) {
  (void)state;
  rmt_pair mixed[4] = {kv(rmt_num(1), rmt_str("a")), kv(rmt_str("name"), rmt_str("x")),
                       kv(rmt_num(2), rmt_str("b")), kv(rmt_num(0.5), rmt_str("half"))};
  rmt_pair outer[1] = {kv(rmt_str("items"), loose(mixed, 4, NULL, 0))};
  rmt_value args[2] = {rmt_num(1), loose(outer, 1, NULL, 0)};
  norm_result r = run(args, 2, RMT_CONVERT_LOSSY, NULL);
  assert_int_equal(r.rc, 0);
  assert_int_equal(r.w.count, 1);
  assert_string_equal(r.w.text[0], "argument 2: mixed table, dictionary keys dropped (at [\"items\"])");
  const rmt_value *it = rmt_dict_get(&r.out[1], "items");
  assert_non_null(it);
  assert_int_equal(it->type, RMT_TARRAY);
  assert_int_equal(it->as.array.count, 2);
  assert_string_equal(it->as.array.items[0].as.string.ptr, "a");
  assert_string_equal(it->as.array.items[1].as.string.ptr, "b");
  rmt_values_free(r.out, &g_al);
  r = run(args, 2, RMT_CONVERT_STRICT, NULL);
  assert_int_equal(r.rc, RMT_ELOSSY);
  assert_string_equal(r.err.message, "argument 2: mixed table, dictionary keys dropped (at [\"items\"])");
}

static void test_norm_sparse_and_order(void **state) {
  (void)state;
  /* {[3]="c", [1]="a", [2]="b"}: an array, whatever order the pairs come in */
  rmt_pair shuffled[3] = {kv(rmt_num(3), rmt_str("c")), kv(rmt_num(1), rmt_str("a")),
                          kv(rmt_num(2), rmt_str("b"))};
  rmt_value a = loose(shuffled, 3, NULL, 0);
  norm_result r = run(&a, 1, RMT_CONVERT_STRICT, NULL);
  assert_int_equal(r.rc, 0);
  assert_int_equal(r.out[0].as.array.count, 3);
  assert_string_equal(r.out[0].as.array.items[2].as.string.ptr, "c");
  rmt_values_free(r.out, &g_al);

  /* {1, 2, [4]=4, [100]=5}: array part stops at the first hole */
  rmt_pair sparse[4] = {kv(rmt_num(1), rmt_num(1)), kv(rmt_num(2), rmt_num(2)),
                        kv(rmt_num(4), rmt_num(4)), kv(rmt_num(100), rmt_num(5))};
  rmt_value s = loose(sparse, 4, NULL, 0);
  r = run(&s, 1, RMT_CONVERT_LOSSY, NULL);
  assert_int_equal(r.rc, 0);
  assert_int_equal(r.w.count, 1);
  assert_string_equal(r.w.text[0], "argument 1: sparse array, elements after index 2 dropped");
  assert_int_equal(r.out[0].type, RMT_TARRAY);
  assert_int_equal(r.out[0].as.array.count, 2);
  rmt_values_free(r.out, &g_al);

  /* a nil value is a hole too (absent in Lua terms) */
  rmt_pair nilhole[3] = {kv(rmt_num(1), rmt_num(1)), kv(rmt_num(2), rmt_nil()),
                         kv(rmt_num(3), rmt_num(3))};
  rmt_value nh = loose(nilhole, 3, NULL, 0);
  r = run(&nh, 1, RMT_CONVERT_LOSSY, NULL);
  assert_int_equal(r.rc, 0);
  assert_int_equal(r.out[0].as.array.count, 1);
  assert_int_equal(r.w.count, 1);
  rmt_values_free(r.out, &g_al);

  /* empty loose table: an empty array */
  rmt_value e = loose(NULL, 0, NULL, 0);
  r = run(&e, 1, RMT_CONVERT_STRICT, NULL);
  assert_int_equal(r.rc, 0);
  assert_int_equal(r.out[0].type, RMT_TARRAY);
  assert_int_equal(r.out[0].as.array.count, 0);
  rmt_values_free(r.out, &g_al);
}

static void test_norm_key_conversion(void **state) {
  (void)state;
  rmt_pair keys[9] = {
      kv(rmt_num(5), rmt_str("five")),         kv(rmt_num(1.5), rmt_str("x")),
      kv(rmt_num(1e15), rmt_str("big")),       kv(rmt_bool(1), rmt_str("t")),
      kv(rmt_vector3(1, 2, 3), rmt_str("v")),  kv(rmt_str("s"), rmt_str("kept")),
      kv(loose(NULL, 0, NULL, 0), rmt_num(1)), kv(fn(), rmt_num(2)),
      kv(rmt_player_ref(3), rmt_num(3)),
  };
  rmt_value arg = loose(keys, 9, NULL, 0);
  norm_result r = run(&arg, 1, RMT_CONVERT_LOSSY, NULL);
  assert_int_equal(r.rc, 0);
  assert_int_equal(r.w.count, 8);
  assert_string_equal(r.w.text[0], "argument 1: number key converted to string \"5\" (at [5])");
  assert_string_equal(r.w.text[1], "argument 1: number key converted to string \"1.5\" (at [1.5])");
  assert_string_equal(r.w.text[2], "argument 1: number key converted to string \"1e+15\" (at [1e+15])");
  assert_string_equal(r.w.text[3], "argument 1: boolean key converted to string \"true\" (at [true])");
  assert_string_equal(r.w.text[4], "argument 1: Vector3 key converted to string \"1, 2, 3\" (at [<Vector3>])");
  assert_string_equal(r.w.text[5], "argument 1: table key dropped (no string form) (at [<table>])");
  assert_string_equal(r.w.text[6], "argument 1: function key dropped (no string form) (at [<function>])");
  assert_string_equal(r.w.text[7], "argument 1: Instance key dropped (no string form) (at [<Instance>])");
  const rmt_value *d = &r.out[0];
  assert_int_equal(d->type, RMT_TDICT);
  assert_int_equal(d->as.table.count, 6);
  assert_string_equal(rmt_dict_get(d, "5")->as.string.ptr, "five");
  assert_string_equal(rmt_dict_get(d, "1.5")->as.string.ptr, "x");
  assert_string_equal(rmt_dict_get(d, "1e+15")->as.string.ptr, "big");
  assert_string_equal(rmt_dict_get(d, "true")->as.string.ptr, "t");
  assert_string_equal(rmt_dict_get(d, "1, 2, 3")->as.string.ptr, "v");
  assert_string_equal(rmt_dict_get(d, "s")->as.string.ptr, "kept");
  assert_int_equal(rmt_values_check(d, 1, NULL, NULL), 0);
  rmt_values_free(r.out, &g_al);

  r = run(&arg, 1, RMT_CONVERT_STRICT, NULL);
  assert_int_equal(r.rc, RMT_ELOSSY);
  assert_string_equal(r.err.message, "argument 1: number key converted to string \"5\" (at [5])");

  /* {[2]="a"}: no array part (key 1 missing), so a dictionary {"2"="a"} */
  rmt_pair two[1] = {kv(rmt_num(2), rmt_str("a"))};
  rmt_value t = loose(two, 1, NULL, 0);
  r = run(&t, 1, RMT_CONVERT_LOSSY, NULL);
  assert_int_equal(r.rc, 0);
  assert_string_equal(rmt_dict_get(&r.out[0], "2")->as.string.ptr, "a");
  rmt_values_free(r.out, &g_al);

  /* NaN and inf keys: NaN has no string form, inf is "inf" */
  rmt_pair odd[2] = {kv(rmt_num(NAN), rmt_num(1)), kv(rmt_num(-INFINITY), rmt_num(2))};
  rmt_value o = loose(odd, 2, NULL, 0);
  r = run(&o, 1, RMT_CONVERT_LOSSY, NULL);
  assert_int_equal(r.rc, 0);
  assert_int_equal(r.out[0].as.table.count, 1);
  assert_non_null(rmt_dict_get(&r.out[0], "-inf"));
  rmt_values_free(r.out, &g_al);
}

static void test_norm_duplicate_after_conversion(void **state) {
  (void)state;
  rmt_pair dup[3] = {kv(rmt_num(1.5), rmt_str("first")), kv(rmt_str("1.5"), rmt_str("second")),
                     kv(rmt_str("other"), rmt_num(0))};
  rmt_value a = loose(dup, 3, NULL, 0);
  norm_result r = run(&a, 1, RMT_CONVERT_LOSSY, NULL);
  assert_int_equal(r.rc, 0);
  assert_int_equal(r.w.count, 2);
  assert_string_equal(r.w.text[1], "argument 1: duplicate key after conversion to string, entry dropped (at [\"1.5\"])");
  assert_int_equal(r.out[0].as.table.count, 2);
  assert_string_equal(rmt_dict_get(&r.out[0], "1.5")->as.string.ptr, "first");
  rmt_values_free(r.out, &g_al);
}

static void test_norm_numbers_unchanged(void **state) {
  (void)state;
  rmt_value args[4] = {rmt_num(NAN), rmt_num(INFINITY), rmt_num(-INFINITY), rmt_num(-0.0)};
  norm_result r = run(args, 4, RMT_CONVERT_STRICT, NULL);
  assert_int_equal(r.rc, 0);
  assert_true(isnan(r.out[0].as.number));
  assert_true(isinf(r.out[1].as.number) && r.out[1].as.number > 0);
  assert_true(isinf(r.out[2].as.number) && r.out[2].as.number < 0);
  assert_true(signbit(r.out[3].as.number));
  rmt_values_free(r.out, &g_al);
}

static void test_norm_cycles(void **state) {
  (void)state;
  static int table_a;
  rmt_pair inner[1], outer[1];
  inner[0] = kv(rmt_str("back"), loose(outer, 1, &table_a, 0));
  outer[0] = kv(rmt_str("child"), loose(inner, 1, NULL, 0));
  rmt_value arg = loose(outer, 1, &table_a, 0);
  norm_result r = run(&arg, 1, RMT_CONVERT_LOSSY, NULL);
  assert_int_equal(r.rc, RMT_ECYCLE);
  assert_null(r.out);
  assert_string_equal(r.err.message, "argument 1: table contains itself (cycle) (at [\"child\"][\"back\"])");

  /* the same table twice, as siblings: copied twice as Roblox does */
  static int table_b;
  rmt_pair leaf[1] = {kv(rmt_str("v"), rmt_num(7))};
  rmt_pair sib[2] = {kv(rmt_num(1), loose(leaf, 1, &table_b, 0)),
                     kv(rmt_num(2), loose(leaf, 1, &table_b, 0))};
  rmt_value s = loose(sib, 2, NULL, 0);
  r = run(&s, 1, RMT_CONVERT_STRICT, NULL);
  assert_int_equal(r.rc, 0);
  assert_int_equal(r.out[0].as.array.count, 2);
  assert_true(rmt_value_equal(&r.out[0].as.array.items[0], &r.out[0].as.array.items[1]));
  assert_ptr_not_equal(r.out[0].as.array.items[0].as.table.pairs,
                       r.out[0].as.array.items[1].as.table.pairs);
  rmt_values_free(r.out, &g_al);

  /* strict values nested inside loose input are checked by pointer too */
  rmt_value self[1];
  self[0] = rmt_nil();
  self[0] = rmt_array(self, 1);
  r = run(self, 1, RMT_CONVERT_LOSSY, NULL);
  assert_int_equal(r.rc, RMT_ECYCLE);
}

static void test_norm_limits_one_past(void **state) {
  (void)state;
  rmt_limits l;
  rmt_limits_default(&l);
  /* depth, using loose tables {[1]={[1]=...}} */
  enum { N = 34 };
  rmt_pair p[N];
  rmt_value t[N];
  for (int i = N - 1; i >= 0; i--) {
    t[i] = loose(i == N - 1 ? NULL : &p[i], i == N - 1 ? 0 : 1, NULL, 0);
    if (i < N - 1) p[i] = kv(rmt_str("a"), t[i + 1]);
  }
  norm_result r = run(&t[1], 1, RMT_CONVERT_STRICT, &l); /* 33 tables */
  assert_int_equal(r.rc, 0);
  rmt_values_free(r.out, &g_al);
  r = run(&t[0], 1, RMT_CONVERT_STRICT, &l); /* 34 tables */
  assert_int_equal(r.rc, RMT_ELIMIT);
  assert_non_null(strstr(r.err.message, "argument 1: nesting deeper than max_depth 32 (at [\"a\"][\"a\"]"));

  l.max_elements = 3;
  rmt_pair three[2] = {kv(rmt_num(1), rmt_num(1)), kv(rmt_num(2), rmt_num(2))};
  rmt_value a = loose(three, 2, NULL, 0);
  r = run(&a, 1, RMT_CONVERT_STRICT, &l);
  assert_int_equal(r.rc, 0);
  rmt_values_free(r.out, &g_al);
  l.max_elements = 2;
  r = run(&a, 1, RMT_CONVERT_STRICT, &l);
  assert_int_equal(r.rc, RMT_ELIMIT);
  assert_string_equal(r.err.message, "argument 1: more than max_elements 2 values (at [2])");

  rmt_limits_default(&l);
  l.max_string = 2;
  rmt_value s = rmt_str("ab"), s3 = rmt_str("abc");
  r = run(&s, 1, RMT_CONVERT_STRICT, &l);
  assert_int_equal(r.rc, 0);
  rmt_values_free(r.out, &g_al);
  r = run(&s3, 1, RMT_CONVERT_STRICT, &l);
  assert_int_equal(r.rc, RMT_ELIMIT);
  assert_string_equal(r.err.message, "argument 1: string of 3 bytes longer than max_string 2");
  /* a converted key is measured after conversion */
  rmt_pair numkey[1] = {kv(rmt_num(123), rmt_num(1))};
  rmt_value nk = loose(numkey, 1, NULL, 0);
  r = run(&nk, 1, RMT_CONVERT_LOSSY, &l);
  assert_int_equal(r.rc, RMT_ELIMIT);
}

static void test_norm_large_table_and_oom(void **state) {
  (void)state;
  /* big enough that the per-table scratch uses the allocator */
  enum { N = 300 };
  static rmt_pair pairs[N];
  static char names[N][8];
  for (int i = 0; i < N; i++) {
    if (i % 2) {
      snprintf(names[i], sizeof names[i], "k%d", i);
      pairs[i] = kv(rmt_str(names[i]), rmt_num(i));
    } else {
      pairs[i] = kv(rmt_num(i + 1000), rmt_str("v")); /* converted keys */
    }
  }
  rmt_value arg = loose(pairs, N, NULL, 0);
  norm_result r = run(&arg, 1, RMT_CONVERT_LOSSY, NULL);
  assert_int_equal(r.rc, 0);
  assert_int_equal(r.out[0].as.table.count, N);
  assert_non_null(rmt_dict_get(&r.out[0], "1000"));
  assert_int_equal(g_ca.live_blocks, 1);
  rmt_values_free(r.out, &g_al);

  size_t n;
  int failures = 0;
  for (n = 1; n < 50; n++) {
    g_ca.fail_at = g_ca.attempts + n;
    warnings w = {0};
    rmt_value *out = NULL;
    rmt_error err;
    int rc = rmt_values_normalize(&arg, 1, RMT_CONVERT_LOSSY, NULL, &g_al, collect, &w, &out, &err);
    if (rc == 0) {
      rmt_values_free(out, &g_al);
      break;
    }
    failures++;
    assert_int_equal(rc, RMT_ENOMEM);
    assert_null(out);
    assert_int_equal(g_ca.live_blocks, 0);
  }
  g_ca.fail_at = 0;
  assert_true(failures >= 3); /* slots, key texts and the block can each fail */
  assert_true(n < 50);
}

static void test_norm_output_is_strict(void **state) {
  (void)state;
  rmt_pair mixed[3] = {kv(rmt_num(1), fn()), kv(rmt_str("x"), rmt_num(1)),
                       kv(rmt_num(2), rmt_color3(1, 0, 0))};
  rmt_value args[2] = {loose(mixed, 3, NULL, 1), rmt_str("tail")};
  norm_result r = run(args, 2, RMT_CONVERT_LOSSY, NULL);
  assert_int_equal(r.rc, 0);
  assert_int_equal(r.w.count, 3);
  assert_int_equal(rmt_values_check(r.out, 2, NULL, NULL), 0);
  rmt_value *copy;
  assert_int_equal(rmt_values_copy(r.out, 2, &g_al, &copy, NULL), 0);
  assert_true(rmt_value_equal(&copy[0], &r.out[0]));
  rmt_values_free(copy, &g_al);
  rmt_values_free(r.out, &g_al);
  assert_int_equal(rmt_values_normalize(NULL, 0, RMT_CONVERT_STRICT, NULL, NULL, NULL, NULL,
                                        &r.out, NULL),
                   0);
  assert_null(r.out);
}

/* Random loose trees: LOSSY always succeeds with output that passes the strict check;
 * STRICT either gives the same values with no warnings, or refuses with exactly the first
 * LOSSY warning as its message. */
static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

typedef struct loose_pool {
  rmt_pair pairs[2048];
  size_t np;
  rmt_value values[1024];
  size_t nv;
} loose_pool;

static const char *const key_names[] = {"a", "b", "items", "1", "true", "x y"};

static rmt_value random_key(void) {
  switch (rnd() % 8) {
  case 0:
  case 1:
  case 2: return rmt_num((double)(rnd() % 6)); /* 0..5: array-ish and holes */
  case 3: return rmt_str(key_names[rnd() % 6]);
  case 4: return rmt_bool((int)(rnd() & 1));
  case 5: return rmt_num((double)(rnd() % 7) / 2.0);
  case 6: return fn();
  default: return rmt_str(key_names[rnd() % 3]);
  }
}

static rmt_value random_loose(loose_pool *p, int depth) {
  switch (rnd() % (depth < 4 ? 9 : 6)) {
  case 0: return rmt_nil();
  case 1: return rmt_num((double)(rnd() % 100) - 50);
  case 2: return rmt_str(key_names[rnd() % 6]);
  case 3: return fn();
  case 4: return rmt_vector3(1, 2, 3);
  case 5: return rmt_bool(1);
  case 6: {
    size_t n = rnd() % 4;
    if (p->nv + n > sizeof p->values / sizeof p->values[0]) return rmt_nil();
    rmt_value *items = p->values + p->nv;
    p->nv += n;
    for (size_t i = 0; i < n; i++) items[i] = random_loose(p, depth + 1);
    return rmt_array(n ? items : NULL, n);
  }
  default: {
    size_t n = rnd() % 7;
    if (p->np + n > sizeof p->pairs / sizeof p->pairs[0]) return rmt_nil();
    rmt_pair *pairs = p->pairs + p->np;
    p->np += n;
    for (size_t i = 0; i < n; i++) {
      pairs[i].key = random_key();
      pairs[i].value = random_loose(p, depth + 1);
    }
    return loose(n ? pairs : NULL, n, NULL, (int)(rnd() % 5 == 0));
  }
  }
}

static void test_norm_property_random_loose(void **state) {
  (void)state;
  static loose_pool p;
  int strict_ok = 0, strict_refused = 0;
  for (int round = 0; round < 3000; round++) {
    p.np = p.nv = 0;
    size_t nargs = 1 + rnd() % 3;
    rmt_value args[3];
    for (size_t i = 0; i < nargs; i++) args[i] = random_loose(&p, 0);
    norm_result lossy_r = run(args, nargs, RMT_CONVERT_LOSSY, NULL);
    assert_int_equal(lossy_r.rc, 0);
    rmt_error err;
    if (rmt_values_check(lossy_r.out, nargs, NULL, &err) != 0) fail_msg("%s", err.message);
    /* normalizing the output again changes nothing */
    norm_result again = run(lossy_r.out, nargs, RMT_CONVERT_STRICT, NULL);
    assert_int_equal(again.rc, 0);
    for (size_t i = 0; i < nargs; i++) assert_true(rmt_value_equal(&again.out[i], &lossy_r.out[i]));
    rmt_values_free(again.out, &g_al);
    norm_result strict_r = run(args, nargs, RMT_CONVERT_STRICT, NULL);
    if (lossy_r.w.count == 0) {
      assert_int_equal(strict_r.rc, 0);
      for (size_t i = 0; i < nargs; i++)
        assert_true(rmt_value_equal(&strict_r.out[i], &lossy_r.out[i]));
      rmt_values_free(strict_r.out, &g_al);
      strict_ok++;
    } else {
      assert_int_equal(strict_r.rc, RMT_ELOSSY);
      assert_null(strict_r.out);
      assert_string_equal(strict_r.err.message, lossy_r.w.text[0]);
      strict_refused++;
    }
    rmt_values_free(lossy_r.out, &g_al);
    assert_int_equal(g_ca.live_blocks, 0);
  }
  print_message("random loose trees: %d clean, %d lossy\n", strict_ok, strict_refused);
  assert_true(strict_ok > 100 && strict_refused > 100);
}

/* Datatypes and EnumItems through normalize: carried through loose tables unchanged (a list
 * kind's parts copied into the block), dropped as dictionary keys, a named loose value
 * warned about by its name; equality sees every component and part. */
static void test_norm_datatypes(void **state) {
  (void)state;
  rmt_value kps[2] = {rmt_datatype(RMT_DT_NUMBERSEQUENCEKEYPOINT, (const double[]){0, 1, 0}, 3),
                      rmt_datatype(RMT_DT_NUMBERSEQUENCEKEYPOINT, (const double[]){1, 2, 0}, 3)};
  rmt_value seq = rmt_datatype_list(RMT_DT_NUMBERSEQUENCE, kps, 2);
  rmt_value rnd = fn();
  rnd.as.string.ptr = "Random";
  rmt_pair pairs[4] = {kv(rmt_str("seq"), seq), kv(rmt_str("key"), rmt_enum_item("KeyCode", 69)),
                       kv(rmt_vector2(1, 2), rmt_num(1)), kv(rmt_str("rng"), rnd)};
  rmt_value args[2] = {loose(pairs, 4, NULL, 0), rnd};
  norm_result r = run(args, 2, RMT_CONVERT_LOSSY, NULL);
  assert_int_equal(r.rc, 0);
  assert_int_equal(r.w.count, 3);
  assert_string_equal(r.w.text[0], "argument 1: Vector2 key dropped (no string form) (at [<Vector2>])");
  assert_string_equal(r.w.text[1], "argument 1: Random converted to nil, key dropped (at [\"rng\"])");
  assert_string_equal(r.w.text[2], "argument 2: Random converted to nil");
  const rmt_value *got = rmt_dict_get(&r.out[0], "seq");
  assert_non_null(got);
  assert_true(rmt_value_equal(got, &seq));
  assert_ptr_not_equal(got->as.datatype.u.items, kps); /* copied into the block */
  assert_true(rmt_value_equal(rmt_dict_get(&r.out[0], "key"), &pairs[1].value));
  assert_int_equal(r.out[1].type, RMT_TNIL);
  rmt_values_free(r.out, &g_al);

  /* equality: kind, every number, every part, enum name and value */
  rmt_value kps2[2] = {kps[0], rmt_datatype(RMT_DT_NUMBERSEQUENCEKEYPOINT, (const double[]){1, 2, 1e-9}, 3)};
  rmt_value seq2 = rmt_datatype_list(RMT_DT_NUMBERSEQUENCE, kps2, 2);
  assert_false(rmt_value_equal(&seq, &seq2));
  rmt_value a = rmt_vector2(NAN, 1), b = rmt_vector2(NAN, 1), c = rmt_vector2(1, 1);
  assert_true(rmt_value_equal(&a, &b));
  assert_false(rmt_value_equal(&b, &c));
  rmt_value u = rmt_datatype(RMT_DT_UDIM, (const double[]){1, 1}, 2);
  assert_false(rmt_value_equal(&c, &u)); /* same numbers, another kind */
  rmt_value e1 = rmt_enum_item("KeyCode", 1), e2 = rmt_enum_item("KeyCodf", 1),
            e3 = rmt_enum_item("KeyCode", 2);
  assert_false(rmt_value_equal(&e1, &e2));
  assert_false(rmt_value_equal(&e1, &e3));

  /* STRICT refuses the same lossy steps with the first message; datatypes alone pass */
  r = run(args, 2, RMT_CONVERT_STRICT, NULL);
  assert_int_equal(r.rc, RMT_ELOSSY);
  assert_string_equal(r.err.message, "argument 1: Vector2 key dropped (no string form) (at [<Vector2>])");
  r = run(&seq, 1, RMT_CONVERT_STRICT, NULL);
  assert_int_equal(r.rc, 0);
  assert_true(rmt_value_equal(&r.out[0], &seq));
  rmt_values_free(r.out, &g_al);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_norm_datatypes, setup, teardown),
      cmocka_unit_test(test_constructors_and_typeof),
      cmocka_unit_test(test_dict_get_and_equal),
      cmocka_unit_test(test_limits_default),
      cmocka_unit_test(test_check_messages),
      cmocka_unit_test(test_check_cycles),
      cmocka_unit_test(test_check_limits_one_past),
      cmocka_unit_test(test_copy_deep_and_leak_free),
      cmocka_unit_test(test_copy_oom),
      cmocka_unit_test_setup_teardown(test_norm_function_becomes_nil, setup, teardown),
      cmocka_unit_test_setup_teardown(test_norm_metatable_dropped, setup, teardown),
      cmocka_unit_test_setup_teardown(test_norm_mixed_table_keeps_array, setup, teardown),
      cmocka_unit_test_setup_teardown(test_norm_sparse_and_order, setup, teardown),
      cmocka_unit_test_setup_teardown(test_norm_key_conversion, setup, teardown),
      cmocka_unit_test_setup_teardown(test_norm_duplicate_after_conversion, setup, teardown),
      cmocka_unit_test_setup_teardown(test_norm_numbers_unchanged, setup, teardown),
      cmocka_unit_test_setup_teardown(test_norm_cycles, setup, teardown),
      cmocka_unit_test_setup_teardown(test_norm_limits_one_past, setup, teardown),
      cmocka_unit_test_setup_teardown(test_norm_large_table_and_oom, setup, teardown),
      cmocka_unit_test_setup_teardown(test_norm_output_is_strict, setup, teardown),
      cmocka_unit_test_setup_teardown(test_norm_property_random_loose, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
