/* test_schema.c - the schema language: every construct parses, every parse error names its
 * column, every rule accepts and refuses with its exact message, and checking never allocates. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "alloc_counter.h"
#include "remotes.h"

static alloc_counter ac;

static rmt_schema *parse_ok(const char *text) {
  rmt_error err = {0, ""};
  rmt_schema *s = rmt_schema_parse(text, &ac.hook, &err);
  if (!s) fail_msg("schema %s did not parse: %s", text, err.message);
  assert_int_equal(err.code, 0);
  assert_string_equal(err.message, "");
  assert_string_equal(rmt_schema_text(s), text);
  return s;
}

static void setup_counter(void) { alloc_counter_init(&ac); }
static void expect_no_leak(void) {
  assert_int_equal(ac.live_blocks, 0);
  assert_false(ac.bad_osize);
}

/* ---- parser ---- */

static void test_parse_every_construct(void **state) {
  (void)state;
  setup_counter();
  static const struct {
    const char *text;
    size_t nargs, required;
  } cases[] = {
      {"", 0, 0},
      {"   ", 0, 0},
      {"string, number(0..1000)", 2, 2},
      {"\"yes\" | \"no\"", 1, 1},
      {"number(int, 1..10)?", 1, 0},
      {"number(int)", 1, 1},
      {"number(-1.5..2e3)", 1, 1},
      {"number(0..)", 1, 1},
      {"number(..0)", 1, 1},
      {"number(int, ..10)", 1, 1},
      {"string(1..20)", 1, 1},
      {"string(..20), string(3..)", 2, 2},
      {"boolean, Vector3, CFrame, Color3, Player, any, nil, table", 8, 8},
      {"true | false | 1 | -2.5 | \"x\"", 1, 1},
      {"{number}", 1, 1},
      {"{number}(0..50)", 1, 1},
      {"{name: string, count: number(int)}", 1, 1},
      {"{name: string, count?: number(int),}", 1, 1},
      {"{\"odd key\": string, \"with \\\"quote\\\"\"?: boolean}", 1, 1},
      {"{[string]: number}", 1, 1},
      {"{[string(1..8)]: {number}}(..10)", 1, 1},
      {"{[\"a\" | \"b\"]: any}", 1, 1},
      {"\"vote\" | \"purchase\", (\"yes\" | \"no\")?", 2, 1},
      {"string, number?, boolean?", 3, 1},
      {"{{string}}", 1, 1},
      {"{items: {{id: number(int), tags?: {string}(..4)}}(0..100)}", 1, 1},
      {"((string))", 1, 1},
      {"\"\\n\\t\\r\\0\\x41\\\\\"", 1, 1},
      {"{string: number}", 1, 1}, /* a field called "string" */
      {"\t string ,\n number \r", 2, 2},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    rmt_schema *s = parse_ok(cases[i].text);
    size_t required = 99;
    assert_int_equal(rmt_schema_arg_count(s, &required), cases[i].nargs);
    assert_int_equal(required, cases[i].required);
    rmt_schema_free(s);
  }
  rmt_schema_free(NULL);
  assert_string_equal(rmt_schema_text(NULL), "");
  expect_no_leak();
}

static void test_parse_errors_name_the_column(void **state) {
  (void)state;
  setup_counter();
  static const struct {
    const char *text, *message;
  } cases[] = {
      {"strin", "column 1: unknown type 'strin'"},
      {"string, vector3", "column 9: unknown type 'vector3' (type names are case-sensitive: Vector3)"},
      {"number(10..1)", "column 8: empty range: 10 is greater than 1"},
      {"string?, number",
       "column 10: argument 2 is required but follows an optional one (only trailing arguments "
       "can be optional)"},
      {"string(", "column 8: expected a range such as 1..10, found end of schema"},
      {"string(1", "column 9: expected '..', found end of schema"},
      {"string(..)", "column 8: a range needs a bound: lo..hi, lo.. or ..hi"},
      {"string(1..2", "column 12: expected ')', found end of schema"},
      {"string(1.5..2)", "column 8: a length range takes whole numbers from 0 to 4294967295"},
      {"{number}(-1..2)", "column 10: a length range takes whole numbers from 0 to 4294967295"},
      {"number(1e999..2)", "column 8: number 1e999 is out of range"},
      {"{}", "column 2: empty table type: write table for any table, {T} for an array"},
      {"(string?)",
       "column 8: '?' marks a whole argument or a dictionary field as optional; it cannot "
       "appear here"},
      {"{string?}",
       "column 9: expected ':' after the field name, found '}'"},
      {"\"abc", "column 1: unterminated string or bad escape (use \\\" \\\\ \\n \\t \\r \\0 \\xHH)"},
      {"\"a\\q\"", "column 1: unterminated string or bad escape (use \\\" \\\\ \\n \\t \\r \\0 \\xHH)"},
      {"{[number]: string}", "column 3: dictionary keys are strings: write [string] or string literals"},
      {"{[string] string}", "column 11: expected ':' after the key type, found 'string'"},
      {"{[string: any}", "column 9: expected ']', found ':'"},
      {"number,", "column 8: expected a type, found end of schema"},
      {"number string", "column 8: expected ',', '|', '?' or end of schema, found 'string'"},
      {"number? string", "column 9: expected ',' or end of schema, found 'string'"},
      {"string | ", "column 10: expected a type, found end of schema"},
      {"{a: string, a: number}", "column 13: duplicate field 'a'"},
      {"{a: string b: number}", "column 12: expected ',' or '}', found 'b'"},
      {"{a: string, 5: number}", "column 13: expected a field name, found '5'"},
      {"{number", "column 8: expected '}', found end of schema"},
      {"number(int 1..2)", "column 12: expected ')', found '1'"},
      {"number(int, )", "column 13: expected a range such as 1..10, found ')'"},
      {"string$", "column 7: expected ',', '|', '?' or end of schema, found '$'"},
      {"number??", "column 8: '?' marks a whole argument or a dictionary field as optional; it "
                   "cannot appear here"},
      {",", "column 1: expected a type, found ','"},
      {"averyveryverylongtypenamethatgoesonandon",
       "column 1: unknown type 'averyveryverylongtypenam'"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    rmt_error err = {0, ""};
    rmt_schema *s = rmt_schema_parse(cases[i].text, &ac.hook, &err);
    if (s) fail_msg("schema %s parsed but should not", cases[i].text);
    assert_int_equal(err.code, RMT_EINVAL);
    if (strcmp(err.message, cases[i].message) != 0)
      fail_msg("schema %s:\n  got  %s\n  want %s", cases[i].text, err.message, cases[i].message);
  }
  expect_no_leak();
}

static void test_parse_limits_and_null(void **state) {
  (void)state;
  setup_counter();
  rmt_error err;
  assert_null(rmt_schema_parse(NULL, &ac.hook, &err));
  assert_int_equal(err.code, RMT_EINVAL);
  /* Nesting is bounded (the checker recurses per level). */
  char deep[200];
  size_t n = 0;
  for (int i = 0; i < 33; i++) deep[n++] = '{';
  memcpy(deep + n, "number", 6);
  n += 6;
  for (int i = 0; i < 33; i++) deep[n++] = '}';
  deep[n] = 0;
  assert_null(rmt_schema_parse(deep, &ac.hook, &err));
  assert_string_equal(err.message, "column 33: nested deeper than 32 levels");
  deep[0] = ' '; /* 32 levels is fine */
  deep[n - 1] = 0;
  rmt_schema *s = rmt_schema_parse(deep, &ac.hook, &err);
  assert_non_null(s);
  rmt_schema_free(s);
  /* Over-long text. */
  static char big[70000];
  memset(big, ' ', sizeof big - 1);
  big[sizeof big - 1] = 0;
  assert_null(rmt_schema_parse(big, &ac.hook, &err));
  assert_int_equal(err.code, RMT_ELIMIT);
  expect_no_leak();
}

static void test_parse_out_of_memory(void **state) {
  (void)state;
  const char *text = "{items: {{id: number(int), tags?: {string}(..4), \"k\": \"v\" | \"w\"}}}, "
                     "string, \"yes\" | \"no\"?";
  /* Fail each allocation in turn: always RMT_ENOMEM, never a leak, never a crash. */
  for (size_t k = 1; k < 40; k++) {
    alloc_counter_init(&ac);
    ac.fail_at = k;
    rmt_error err;
    rmt_schema *s = rmt_schema_parse(text, &ac.hook, &err);
    if (s) {
      rmt_schema_free(s);
      expect_no_leak();
      return;
    }
    assert_int_equal(err.code, RMT_ENOMEM);
    assert_string_equal(err.message, "out of memory");
    expect_no_leak();
  }
  fail_msg("the parse never succeeded within 40 allocations");
}

/* ---- checker ---- */

typedef struct check_case {
  const char *schema;
  rmt_value args[4];
  size_t nargs;
  const char *message; /* NULL = passes */
} check_case;

static void run_cases(const check_case *cases, size_t n) {
  for (size_t i = 0; i < n; i++) {
    rmt_schema *s = parse_ok(cases[i].schema);
    rmt_error err = {0, ""};
    int rc = rmt_schema_check(s, cases[i].args, cases[i].nargs, &err);
    if (!cases[i].message) {
      if (rc) fail_msg("case %zu (%s) refused: %s", i, cases[i].schema, err.message);
      assert_string_equal(err.message, "");
    } else {
      if (rc != RMT_EBADARGS) fail_msg("case %zu (%s) passed, want: %s", i, cases[i].schema,
                                       cases[i].message);
      assert_int_equal(err.code, RMT_EBADARGS);
      if (strcmp(err.message, cases[i].message) != 0)
        fail_msg("case %zu (%s):\n  got  %s\n  want %s", i, cases[i].schema, err.message,
                 cases[i].message);
      /* Without an error out-parameter the answer is the same. */
      assert_int_equal(rmt_schema_check(s, cases[i].args, cases[i].nargs, NULL), RMT_EBADARGS);
    }
    rmt_schema_free(s);
  }
}

#define N(x) rmt_num(x)
#define S(x) rmt_str(x)

static void test_check_scalars(void **state) {
  (void)state;
  setup_counter();
  const check_case cases[] = {
      {"string, number(0..1000)", {S("jump"), N(150)}, 2, NULL},
      {"string, number(0..1000)", {S("jump"), N(1500)}, 2,
       "argument 2: expected number in 0..1000, got 1500"},
      {"string, number(0..1000)", {S("jump"), N(-1)}, 2,
       "argument 2: expected number in 0..1000, got -1"},
      {"string, number(0..1000)", {N(1), N(1)}, 2, "argument 1: expected string, got number"},
      {"number", {N(NAN)}, 1, "argument 1: expected number, got NaN (NaN and infinities are refused)"},
      {"number", {N(INFINITY)}, 1,
       "argument 1: expected number, got inf (NaN and infinities are refused)"},
      {"number(0..)", {N(-INFINITY)}, 1,
       "argument 1: expected number >= 0, got -inf (NaN and infinities are refused)"},
      {"any", {N(NAN)}, 1, NULL}, /* only a declared number refuses NaN */
      {"number(int)", {N(3)}, 1, NULL},
      {"number(int)", {N(-0.0)}, 1, NULL},
      {"number(int)", {N(1.5)}, 1, "argument 1: expected integer, got 1.5"},
      {"number(int, 1..10)", {N(10)}, 1, NULL},
      {"number(int, 1..10)", {N(11)}, 1, "argument 1: expected integer in 1..10, got 11"},
      {"number(int, ..10)", {N(-5)}, 1, NULL},
      {"number(..10)", {N(10.5)}, 1, "argument 1: expected number <= 10, got 10.5"},
      {"number(-1.5..2e3)", {N(-1.5)}, 1, NULL},
      {"string(1..20)", {S("")}, 1, "argument 1: expected string of 1..20 bytes, got string of 0 bytes"},
      {"string(1..20)", {S("12345678901234567890")}, 1, NULL},
      {"string(1..20)", {S("123456789012345678901")}, 1,
       "argument 1: expected string of 1..20 bytes, got string of 21 bytes"},
      {"string(3..3)", {S("ab")}, 1, "argument 1: expected string of 3 bytes, got string of 2 bytes"},
      {"string(3..)", {S("ab")}, 1,
       "argument 1: expected string of at least 3 bytes, got string of 2 bytes"},
      {"string(..1)", {S("ab")}, 1, "argument 1: expected string of at most 1 bytes, got string of 2 bytes"},
      {"boolean", {rmt_bool(0)}, 1, NULL},
      {"boolean", {N(0)}, 1, "argument 1: expected boolean, got number"},
      {"true", {rmt_bool(1)}, 1, NULL},
      {"true", {rmt_bool(0)}, 1, "argument 1: expected true, got false"},
      {"5 | 7", {N(7)}, 1, NULL},
      {"5 | 7", {N(6)}, 1, "argument 1: expected 5 | 7, got 6"},
      {"5", {S("5")}, 1, "argument 1: expected 5, got string"},
      {"\"yes\" | \"no\"", {S("no")}, 1, NULL},
      {"\"yes\" | \"no\"", {S("maybe")}, 1, "argument 1: expected \"yes\" | \"no\", got \"maybe\""},
      {"\"yes\" | \"no\"", {S("yes\n\"x\"")}, 1,
       "argument 1: expected \"yes\" | \"no\", got \"yes\\x0a\\\"x\\\"\""},
      {"\"yes\" | \"no\"", {N(1)}, 1, "argument 1: expected \"yes\" | \"no\", got number"},
      {"\"yes\"", {rmt_lstr("yes\0", 4)}, 1, "argument 1: expected \"yes\", got \"yes\\x00\""},
      {"\"\\x00\\n\"", {rmt_lstr("\0\n", 2)}, 1, NULL},
      {"string | number(0..1)", {N(2)}, 1, "argument 1: expected number in 0..1, got 2"},
      {"string | number(0..1)", {rmt_bool(1)}, 1,
       "argument 1: expected string | number in 0..1, got boolean"},
      {"Vector3", {rmt_vector3(1, 2, 3)}, 1, NULL},
      {"Vector3", {rmt_vector3(1, NAN, 3)}, 1,
       "argument 1: expected Vector3, got Vector3 with a NaN or infinite component"},
      {"Vector3", {rmt_color3(1, 1, 1)}, 1, "argument 1: expected Vector3, got Color3"},
      {"CFrame", {rmt_cframe(1, 2, 3)}, 1, NULL},
      {"CFrame", {rmt_cframe(INFINITY, 2, 3)}, 1,
       "argument 1: expected CFrame, got CFrame with a NaN or infinite component"},
      {"Color3", {rmt_color3(0, 0.5f, 1)}, 1, NULL},
      {"Color3", {rmt_color3(0, 0.5f, NAN)}, 1,
       "argument 1: expected Color3, got Color3 with a NaN or infinite component"},
      {"Player", {rmt_player_ref(3)}, 1, NULL},
      {"Player", {N(3)}, 1, "argument 1: expected Player, got number"},
      {"any", {rmt_player_ref(3)}, 1, NULL},
      {"any", {rmt_nil()}, 1, "argument 1: expected any value, got nil"},
      {"nil", {rmt_nil()}, 1, NULL},
      {"nil | number", {S("x")}, 1, "argument 1: expected nil | number, got string"},
      {"table", {rmt_array(NULL, 0)}, 1, NULL},
      {"table", {S("x")}, 1, "argument 1: expected table, got string"},
  };
  run_cases(cases, sizeof cases / sizeof cases[0]);
  /* A CFrame's rotation is checked too. */
  float pos[3] = {0, 0, 0}, rot[9] = {1, 0, 0, 0, 1, 0, 0, 0, NAN};
  rmt_value cf = rmt_cframe_full(pos, rot);
  rmt_schema *s = parse_ok("CFrame");
  rmt_error err;
  assert_int_equal(rmt_schema_check(s, &cf, 1, &err), RMT_EBADARGS);
  assert_string_equal(err.message,
                      "argument 1: expected CFrame, got CFrame with a NaN or infinite component");
  rmt_schema_free(s);
  expect_no_leak();
}

static void test_check_datatypes(void **state) {
  (void)state;
  setup_counter();
  static const rmt_value ray_parts[2] = {{RMT_TVECTOR3, {.vector3 = {0, 0, 0}}},
                                         {RMT_TVECTOR3, {.vector3 = {0, INFINITY, 0}}}};
  const check_case cases[] = {
      {"Vector2", {rmt_vector2(1, 2)}, 1, NULL},
      {"Vector2", {rmt_vector2(1, NAN)}, 1,
       "argument 1: expected Vector2, got Vector2 with a NaN or infinite number"},
      {"Vector2", {rmt_udim2(0, 1, 0, 1)}, 1, "argument 1: expected Vector2, got UDim2"},
      {"Vector2", {rmt_vector3(1, 2, 3)}, 1, "argument 1: expected Vector2, got Vector3"},
      {"UDim2 | Vector2", {rmt_udim2(0.5, 0, 0.5, 0)}, 1, NULL},
      {"{size: UDim2}", {rmt_str("x")}, 1, "argument 1: expected dictionary, got string"},
      {"Ray", {rmt_datatype_list(RMT_DT_RAY, ray_parts, 2)}, 1,
       "argument 1: expected Ray, got Ray with a NaN or infinite number"},
      {"DateTime", {rmt_datatype(RMT_DT_DATETIME, (const double[]){5}, 1)}, 1, NULL},
      {"EnumItem", {rmt_enum_item("KeyCode", 69)}, 1, NULL},
      {"EnumItem", {N(69)}, 1, "argument 1: expected EnumItem, got number"},
      {"Enum.KeyCode", {rmt_enum_item("KeyCode", 69)}, 1, NULL},
      {"Enum.KeyCode", {rmt_enum_item("Material", 256)}, 1,
       "argument 1: expected Enum.KeyCode, got an item of Enum.Material"},
      {"Enum.KeyCode | Enum.UserInputType", {rmt_enum_item("UserInputType", 0)}, 1, NULL},
      {"Enum.KeyCode?", {rmt_nil()}, 1, NULL},
      {"{Enum.Material}(1..2)", {rmt_str("x")}, 1, "argument 1: expected array of 1..2 items, got string"},
  };
  run_cases(cases, sizeof cases / sizeof cases[0]);
  rmt_error err;
  assert_null(rmt_schema_parse("Enum.", NULL, &err));
  assert_string_equal(err.message, "column 6: expected an enum name after 'Enum.'");
  assert_null(rmt_schema_parse("vector2", NULL, &err));
  assert_string_equal(err.message, "column 1: unknown type 'vector2'");
  expect_no_leak();
}

static void test_check_argument_count(void **state) {
  (void)state;
  setup_counter();
  const check_case cases[] = {
      {"", {rmt_nil()}, 0, NULL},
      {"", {rmt_nil()}, 1, "too many arguments: expected at most 0, got 1"},
      {"string", {S("a"), S("b")}, 2, "too many arguments: expected at most 1, got 2"},
      {"string", {S("a"), rmt_nil()}, 2, "too many arguments: expected at most 1, got 2"},
      {"string, number", {S("a")}, 1, "argument 2: expected number, got nil (missing)"},
      {"string, number", {S("a"), rmt_nil()}, 2, "argument 2: expected number, got nil"},
      {"string, number?", {S("a")}, 1, NULL},
      {"string, number?", {S("a"), rmt_nil()}, 2, NULL},
      {"string, number?", {S("a"), N(1)}, 2, NULL},
      {"string, number?", {S("a"), S("1")}, 2, "argument 2: expected number, got string"},
      {"string, number?, boolean?", {S("a"), rmt_nil(), rmt_bool(1)}, 3, NULL},
      {"number(int, 1..10)?", {N(0)}, 1, "argument 1: expected integer in 1..10, got 0"},
      {"\"vote\" | \"purchase\", (\"yes\" | \"no\")?", {S("vote"), S("yes")}, 2, NULL},
      {"\"vote\" | \"purchase\", (\"yes\" | \"no\")?", {S("purchase")}, 1, NULL},
      {"\"vote\" | \"purchase\", (\"yes\" | \"no\")?", {S("vote"), S("maybe")}, 2,
       "argument 2: expected \"yes\" | \"no\", got \"maybe\""},
      {"\"vote\" | \"purchase\", (\"yes\" | \"no\")?", {S("hack")}, 1,
       "argument 1: expected \"vote\" | \"purchase\", got \"hack\""},
      {"string", {S("a")}, 0, "argument 1: expected string, got nil (missing)"},
      {"string | nil, number", {rmt_nil(), N(1)}, 2, NULL},
      {"string | nil, number", {rmt_nil()}, 0, "argument 2: expected number, got nil (missing)"},
  };
  run_cases(cases, sizeof cases / sizeof cases[0]);
  rmt_schema *s = parse_ok("string");
  rmt_error err;
  assert_int_equal(rmt_schema_check(NULL, NULL, 0, &err), RMT_EINVAL);
  assert_int_equal(rmt_schema_check(s, NULL, 1, &err), RMT_EINVAL);
  rmt_schema_free(s);
  expect_no_leak();
}

static void test_check_tables(void **state) {
  (void)state;
  setup_counter();
  rmt_value items[3] = {S("a"), S("b"), N(3)};
  rmt_value strings[2] = {S("a"), S("b")};
  rmt_pair inv[2] = {{S("items"), rmt_array(items, 3)}, {S("count"), N(2)}};
  rmt_pair inv_ok[2] = {{S("items"), rmt_array(strings, 2)}, {S("count"), N(2)}};
  rmt_pair person[2] = {{S("name"), S("Alice")}, {S("count"), N(3)}};
  rmt_pair person_nil[2] = {{S("name"), S("Alice")}, {S("count"), rmt_nil()}};
  rmt_pair person_extra[3] = {{S("name"), S("Alice")}, {S("count"), N(3)}, {S("admin"), rmt_bool(1)}};
  rmt_pair person_noname[1] = {{S("count"), N(3)}};
  rmt_pair scores[3] = {{S("ann"), N(1)}, {S("bob"), N(2.5)}, {S("cy"), S("x")}};
  rmt_pair deep_leaf[1] = {{S("id"), N(1.5)}};
  rmt_value deep_items[2] = {rmt_dict(deep_leaf, 0), rmt_dict(deep_leaf, 1)};
  rmt_pair deep[1] = {{S("list"), rmt_array(deep_items, 2)}};
  rmt_value nums[60];
  for (int i = 0; i < 60; i++) nums[i] = N(i);
  rmt_pair weird_key[1] = {{S("we\"ird"), N(1)}};
  const check_case cases[] = {
      {"{number}", {rmt_array(nums, 60)}, 1, NULL},
      {"{number}(0..50)", {rmt_array(nums, 50)}, 1, NULL},
      {"{number}(0..50)", {rmt_array(nums, 51)}, 1,
       "argument 1: expected array of 0..50 items, got array of 51 items"},
      {"{number(..10)}", {rmt_array(nums, 12)}, 1,
       "argument 1 [12]: expected number <= 10, got 11"},
      {"{string}", {rmt_array(items, 3)}, 1, "argument 1 [3]: expected string, got number"},
      {"{string}", {rmt_dict(NULL, 0)}, 1, NULL}, /* an empty table is any table */
      {"{string}", {rmt_dict(person, 2)}, 1, "argument 1: expected array, got dictionary"},
      {"{string}", {S("a")}, 1, "argument 1: expected array, got string"},
      {"{items: {string}, count: number}", {rmt_dict(inv, 2)}, 1,
       "argument 1 [\"items\"][3]: expected string, got number"},
      {"{items: {string}, count: number}", {rmt_dict(inv_ok, 2)}, 1, NULL},
      {"{name: string, count?: number(int)}", {rmt_dict(person, 2)}, 1, NULL},
      {"{name: string, count?: number(int)}", {rmt_dict(person, 1)}, 1, NULL},
      {"{name: string, count?: number(int)}", {rmt_dict(person_nil, 2)}, 1, NULL},
      {"{name: string, count?: number(int)}", {rmt_dict(person_extra, 3)}, 1,
       "argument 1 [\"admin\"]: unexpected key (not a field of the schema)"},
      {"{name: string, count?: number(int)}", {rmt_dict(person_noname, 1)}, 1,
       "argument 1 [\"name\"]: expected string, got nil (missing)"},
      {"{name: string, count?: number(int)}", {rmt_array(NULL, 0)}, 1,
       "argument 1 [\"name\"]: expected string, got nil (missing)"},
      {"{name?: string}", {rmt_array(NULL, 0)}, 1, NULL},
      {"{name: string}", {rmt_array(items, 3)}, 1, "argument 1: expected dictionary, got array"},
      {"{name: number}", {rmt_dict(person, 1)}, 1,
       "argument 1 [\"name\"]: expected number, got string"},
      {"{[string]: number}", {rmt_dict(scores, 2)}, 1, NULL},
      {"{[string]: number}", {rmt_dict(scores, 3)}, 1,
       "argument 1 [\"cy\"]: expected number, got string"},
      {"{[string]: number}(..2)", {rmt_dict(scores, 3)}, 1,
       "argument 1: expected dictionary of at most 2 entries, got dictionary of 3 entries"},
      {"{[string(3..)]: any}", {rmt_dict(scores, 3)}, 1,
       "argument 1 [\"cy\"]: key: expected string of at least 3 bytes, got string of 2 bytes"},
      {"{[\"ann\" | \"bob\"]: number}", {rmt_dict(scores, 3)}, 1,
       "argument 1 [\"cy\"]: key: expected \"ann\" | \"bob\", got \"cy\""},
      {"{[string]: number}", {rmt_array(NULL, 0)}, 1, NULL},
      {"{[string]: number}", {rmt_array(items, 1)}, 1, "argument 1: expected dictionary, got array"},
      {"{list: {{id?: number(int)}}}", {rmt_dict(deep, 1)}, 1,
       "argument 1 [\"list\"][2][\"id\"]: expected integer, got 1.5"},
      {"{[string]: string}", {rmt_dict(weird_key, 1)}, 1,
       "argument 1 [\"we\\\"ird\"]: expected string, got number"},
      {"{string} | {[string]: number}", {rmt_dict(scores, 2)}, 1, NULL},
      {"{string} | number", {rmt_dict(person, 2)}, 1, "argument 1: expected array, got dictionary"},
      {"{string} | {[string]: number}", {rmt_dict(scores, 3)}, 1,
       "argument 1: expected array | dictionary, got dictionary"},
      {"{name: string} | \"none\"", {rmt_dict(person_noname, 1)}, 1,
       "argument 1 [\"count\"]: unexpected key (not a field of the schema)"},
      {"{count: number, name: string} | \"none\"", {rmt_dict(person_noname, 1)}, 1,
       "argument 1 [\"name\"]: expected string, got nil (missing)"},
      {"table", {rmt_dict(person, 2)}, 1, NULL},
  };
  run_cases(cases, sizeof cases / sizeof cases[0]);
  /* A dict key that is not a string (C-built loose input) is refused, not crashed on. */
  rmt_pair bad[1] = {{N(1), N(1)}};
  rmt_value v = rmt_dict(bad, 1);
  rmt_schema *s = parse_ok("{a?: number}");
  rmt_error err;
  assert_int_equal(rmt_schema_check(s, &v, 1, &err), RMT_EBADARGS);
  assert_string_equal(err.message, "argument 1: dictionary key is not a string");
  rmt_schema_free(s);
  /* A very long path is cut, never overflowed. */
  char key[200];
  memset(key, 'k', sizeof key - 1);
  key[sizeof key - 1] = 0;
  rmt_pair lvl[8];
  rmt_value leaf = S("x");
  lvl[0].key = S(key);
  lvl[0].value = leaf;
  for (int i = 1; i < 8; i++) {
    lvl[i].key = S(key);
    lvl[i].value = rmt_dict(&lvl[i - 1], 1);
  }
  rmt_value top = rmt_dict(&lvl[7], 1);
  s = parse_ok("{[string]: {[string]: {[string]: {[string]: {[string]: {[string]: {[string]: "
               "{[string]: number}}}}}}}}");
  assert_int_equal(rmt_schema_check(s, &top, 1, &err), RMT_EBADARGS);
  assert_true(strlen(err.message) < sizeof err.message);
  assert_non_null(strstr(err.message, "expected number, got string"));
  rmt_schema_free(s);
  expect_no_leak();
}

static void test_check_never_allocates(void **state) {
  (void)state;
  setup_counter();
  rmt_schema *s = parse_ok("\"vote\" | \"purchase\", {name: string(1..20), tags?: {string}(..8), "
                           "pos: Vector3, scores: {[string]: number(0..100)}}, number(int)?");
  rmt_value tags[2] = {S("a"), S("b")};
  rmt_pair scores[2] = {{S("x"), N(1)}, {S("y"), N(200)}};
  rmt_pair fields[4] = {{S("name"), S("Alice")},
                        {S("tags"), rmt_array(tags, 2)},
                        {S("pos"), rmt_vector3(1, 2, 3)},
                        {S("scores"), rmt_dict(scores, 1)}};
  rmt_value args[3] = {S("vote"), rmt_dict(fields, 4), N(7)};
  size_t before = ac.calls;
  rmt_error err;
  for (int i = 0; i < 1000; i++) assert_int_equal(rmt_schema_check(s, args, 3, &err), RMT_OK);
  fields[3].value = rmt_dict(scores, 2);
  for (int i = 0; i < 1000; i++) assert_int_equal(rmt_schema_check(s, args, 3, &err), RMT_EBADARGS);
  assert_string_equal(err.message, "argument 2 [\"scores\"][\"y\"]: expected number in 0..100, got 200");
  args[0] = N(1);
  assert_int_equal(rmt_schema_check(s, args, 3, NULL), RMT_EBADARGS);
  assert_int_equal(ac.calls, before);
  rmt_schema_free(s);
  expect_no_leak();
}

/* Values decoded from the wire check the same as values built in C. */
static void test_check_decoded_values(void **state) {
  (void)state;
  setup_counter();
  rmt_schema *s = parse_ok("string, {number}(..3), {[string]: boolean}");
  rmt_value nums[2] = {N(1), N(2)};
  rmt_pair flags[1] = {{S("on"), rmt_bool(1)}};
  rmt_value args[3] = {S("x"), rmt_array(nums, 2), rmt_dict(flags, 1)};
  rmt_buf buf = {0};
  buf.alloc = &ac.hook;
  assert_int_equal(rmt_encode(&buf, args, 3, NULL, NULL), 0);
  rmt_arena *arena = rmt_arena_create(&ac.hook);
  rmt_value *out;
  size_t n;
  assert_int_equal(rmt_decode(arena, buf.data, buf.len, NULL, &out, &n, NULL), 0);
  rmt_error err;
  assert_int_equal(rmt_schema_check(s, out, n, &err), RMT_OK);
  /* An empty dictionary arrives as an empty array; it still satisfies a map rule. */
  args[2] = rmt_dict(NULL, 0);
  buf.len = 0;
  assert_int_equal(rmt_encode(&buf, args, 3, NULL, NULL), 0);
  rmt_arena_reset(arena);
  assert_int_equal(rmt_decode(arena, buf.data, buf.len, NULL, &out, &n, NULL), 0);
  assert_int_equal(rmt_schema_check(s, out, n, &err), RMT_OK);
  rmt_arena_destroy(arena);
  rmt_buf_free(&buf);
  rmt_schema_free(s);
  expect_no_leak();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_every_construct),
      cmocka_unit_test(test_parse_errors_name_the_column),
      cmocka_unit_test(test_parse_limits_and_null),
      cmocka_unit_test(test_parse_out_of_memory),
      cmocka_unit_test(test_check_scalars),
      cmocka_unit_test(test_check_datatypes),
      cmocka_unit_test(test_check_argument_count),
      cmocka_unit_test(test_check_tables),
      cmocka_unit_test(test_check_never_allocates),
      cmocka_unit_test(test_check_decoded_values),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
