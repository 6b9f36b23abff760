/* test_lua_convert.c - Lua <-> rmt_value conversions of the Lua host: every type both ways,
 * what Roblox mangles (functions, mixed tables, non-string keys) with warnings naming the
 * argument and path, cycles and limits refused, players as refs; nothing leaked. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>

#include "test_lua_util.h"

typedef lua_fixture fixture;

/* Evaluates "return <exprs>" on the host's state; returns the number of values pushed. */
static int eval(fixture *f, const char *exprs) {
  lua_State *L = f->host->L;
  int top = lua_gettop(L);
  char src[2048];
  snprintf(src, sizeof src, "return %s", exprs);
  if (luaL_loadstring(L, src) != 0 || lua_pcall(L, 0, LUA_MULTRET, 0) != 0) {
    fprintf(stderr, "eval: %s\n", lua_tostring(L, -1));
    fail();
  }
  return lua_gettop(L) - top;
}

static int convert(fixture *f, const char *exprs, rmt_value **out, size_t *n, rmt_error *err) {
  lua_State *L = f->host->L;
  int nargs = eval(f, exprs);
  int rc = lh_lua_to_values(f->host, L, -nargs, nargs, RMT_CONV_NETWORK, out, err);
  lua_pop(L, nargs);
  *n = (size_t)nargs;
  return rc;
}

static void test_every_type_round_trip(void **state) {
  fixture *f = *state;
  lua_State *L = f->host->L;
  rmt_value *v;
  size_t n;
  rmt_error err;
  int top = lua_gettop(L);
  assert_int_equal(convert(f,
                           "nil, true, 5.5, 'hi\\0there', {1, 2, 3}, {a = 1, b = {c = 'x'}}, "
                           "Vector3.new(1, 2, 3), CFrame.new(4, 5, 6), Color3.new(0, 0.5, 1), {}",
                           &v, &n, &err),
                   0);
  assert_int_equal(n, 10);
  assert_int_equal(v[0].type, RMT_TNIL);
  assert_int_equal(v[1].type, RMT_TBOOLEAN);
  assert_true(v[2].type == RMT_TNUMBER && v[2].as.number == 5.5);
  assert_true(v[3].type == RMT_TSTRING && v[3].as.string.len == 8);
  assert_true(v[4].type == RMT_TARRAY && v[4].as.array.count == 3);
  assert_true(v[5].type == RMT_TDICT && v[5].as.table.count == 2);
  assert_true(v[6].type == RMT_TVECTOR3 && v[6].as.vector3.z == 3);
  assert_true(v[7].type == RMT_TCFRAME && v[7].as.cframe.y == 5 && v[7].as.cframe.r[4] == 1);
  assert_true(v[8].type == RMT_TCOLOR3 && v[8].as.color3.g == 0.5f);
  assert_int_equal(v[9].type, RMT_TARRAY); /* an empty table is an empty array */
  assert_int_equal(f->cap.warns, 0);

  lh_lua_push_values(f->host, L, v, n, RMT_CONV_NETWORK, 0);
  rmt_values_free(v, &f->ac.hook);
  lua_getglobal(L, "select"); /* unused; keeps the values below a known function */
  lua_pop(L, 1);
  /* check the pushed values from Lua */
  luaL_loadstring(L,
                  "local a, b, c, d, e, g, h, i, j, k = ...\n"
                  "assert(a == nil and b == true and c == 5.5 and d == 'hi\\0there')\n"
                  "assert(#e == 3 and e[3] == 3 and g.a == 1 and g.b.c == 'x')\n"
                  "assert(h == Vector3.new(1, 2, 3) and i == CFrame.new(4, 5, 6))\n"
                  "assert(j == Color3.new(0, 0.5, 1) and next(k) == nil)\n"
                  "return 'ok'");
  lua_insert(L, top + 1);
  assert_int_equal(lua_pcall(L, 10, 1, 0), 0);
  assert_string_equal(lua_tostring(L, -1), "ok");
  lua_settop(L, top);
}

static void test_lossy_steps_warn(void **state) {
  fixture *f = *state;
  rmt_value *v;
  size_t n;
  rmt_error err;
  const rmt_value *items;
  assert_int_equal(convert(f,
                           "'a', print, {1, 2, x = 3}, {[5] = 'five'}, "
                           "{items = {1, coroutine.create(print), 3}}, setmetatable({}, {}), workspace",
                           &v, &n, &err),
                   0);
  assert_int_equal(n, 7);
  assert_int_equal(v[1].type, RMT_TNIL);
  assert_true(v[2].type == RMT_TARRAY && v[2].as.array.count == 2);
  assert_true(v[3].type == RMT_TDICT && v[3].as.table.count == 1);
  assert_string_equal(v[3].as.table.pairs[0].key.as.string.ptr, "5");
  items = rmt_dict_get(&v[4], "items");
  assert_non_null(items);
  assert_true(items->type == RMT_TARRAY && items->as.array.count == 3 &&
              items->as.array.items[1].type == RMT_TNIL);
  assert_int_equal(v[6].type, RMT_TNIL); /* a non-player Instance cannot cross */
  rmt_values_free(v, &f->ac.hook);
  assert_non_null(strstr(f->cap.text, "W argument 2: function converted to nil"));
  assert_non_null(strstr(f->cap.text, "W argument 3: mixed table, dictionary keys dropped"));
  assert_non_null(strstr(f->cap.text, "W argument 4: number key converted to string \"5\" (at [5])"));
  assert_non_null(strstr(f->cap.text, "W argument 5: thread converted to nil (at [\"items\"][2])"));
  assert_non_null(strstr(f->cap.text, "W argument 6: "));
  assert_non_null(strstr(f->cap.text, "W argument 7: Instance converted to nil"));
}

static void test_cycles_and_limits_refused(void **state) {
  fixture *f = *state;
  rmt_value *v = NULL;
  size_t n;
  rmt_error err;
  int rc;
  lua_State *L = f->host->L;
  luaL_dostring(L, "cyc = {a = {}} cyc.a.back = cyc "
                   "deep = {} local t = deep for i = 1, 40 do t[1] = {} t = t[1] end "
                   "shared_t = {1} dag = {shared_t, shared_t}");
  rc = convert(f, "'ok', cyc", &v, &n, &err);
  assert_int_equal(rc, RMT_ECYCLE);
  assert_null(v);
  assert_non_null(strstr(err.message, "argument 2"));
  rc = convert(f, "deep", &v, &n, &err);
  assert_int_equal(rc, RMT_ELIMIT);
  assert_non_null(strstr(err.message, "argument 1"));
  rc = convert(f, "string.rep('x', 2 * 1024 * 1024)", &v, &n, &err);
  assert_int_equal(rc, RMT_ELIMIT);
  /* the same table twice (no cycle) is fine and arrives as two copies */
  rc = convert(f, "dag", &v, &n, &err);
  assert_int_equal(rc, 0);
  assert_int_equal(v[0].as.array.count, 2);
  rmt_values_free(v, &f->ac.hook);
}

static void test_players_as_refs(void **state) {
  fixture *f = *state;
  lua_State *L = f->host->L;
  rmt_value *v;
  size_t n;
  rmt_error err;
  rmt_value ref = rmt_player_ref(5);
  lua_pushnumber(L, 5);
  lua_pushstring(L, "Bob");
  lua_pushnumber(L, 55);
  lua_pushboolean(L, 0);
  assert_int_equal(lh_call_hook(f->host, "player_added", 4, 0), 0);
  assert_int_equal(convert(f, "game.Players.Bob, {owner = game.Players.Bob}", &v, &n, &err), 0);
  assert_true(v[0].type == RMT_TPLAYER && v[0].as.player == 5);
  assert_true(rmt_dict_get(&v[1], "owner")->as.player == 5);
  rmt_values_free(v, &f->ac.hook);
  /* a received ref is this side's Player object; unknown ids arrive as nil */
  lh_lua_push_values(f->host, L, &ref, 1, RMT_CONV_NETWORK, 0);
  eval(f, "game.Players.Bob");
  assert_true(lua_rawequal(L, -1, -2));
  lua_pop(L, 2);
  ref = rmt_player_ref(99);
  lh_lua_push_values(f->host, L, &ref, 1, RMT_CONV_NETWORK, 0);
  assert_true(lua_isnil(L, -1));
  lua_pop(L, 1);
}

/* Every Roblox datatype that crosses: Lua -> values (kinds and parts) -> Lua again, equal on
 * arrival, EnumItems the same object; Random and signals arrive as nil with a warning. */
static void test_datatypes_round_trip(void **state) {
  fixture *f = *state;
  lua_State *L = f->host->L;
  rmt_value *v;
  size_t n;
  rmt_error err;
  int top = lua_gettop(L);
  const char *exprs =
      "Vector2.new(1.5, -2), UDim.new(0.5, 10), UDim2.new(0.1, 20, 0.3, -40), "
      "Rect.new(1, 2, 3, 4), NumberRange.new(-1, 5), "
      "NumberSequence.new({NumberSequenceKeypoint.new(0, 1, 0.5), NumberSequenceKeypoint.new(0.25, 3), "
      "NumberSequenceKeypoint.new(1, 2)}), "
      "ColorSequence.new(Color3.new(1, 0, 0), Color3.new(0, 0, 1)), "
      "NumberSequenceKeypoint.new(0.5, 7, 1), ColorSequenceKeypoint.new(0.75, Color3.new(0, 1, 0)), "
      "Ray.new(Vector3.new(1, 2, 3), Vector3.new(0, -10, 0)), "
      "TweenInfo.new(2, Enum.EasingStyle.Linear, Enum.EasingDirection.InOut, 3, true, 0.5), "
      "DateTime.fromUnixTimestampMillis(1700000000123), Enum.Material.Plastic, "
      "{fx = {Vector2.new(3, 4), Enum.KeyCode.E}}";
  assert_int_equal(convert(f, exprs, &v, &n, &err), 0);
  assert_int_equal(n, 14);
  assert_int_equal(f->cap.warns, 0);
  static const rmt_datatype_kind kinds[13] = {
      RMT_DT_VECTOR2, RMT_DT_UDIM, RMT_DT_UDIM2, RMT_DT_RECT, RMT_DT_NUMBERRANGE,
      RMT_DT_NUMBERSEQUENCE, RMT_DT_COLORSEQUENCE, RMT_DT_NUMBERSEQUENCEKEYPOINT,
      RMT_DT_COLORSEQUENCEKEYPOINT, RMT_DT_RAY, RMT_DT_TWEENINFO, RMT_DT_DATETIME, 0};
  for (int i = 0; i < 12; i++) {
    assert_int_equal(v[i].type, RMT_TDATATYPE);
    assert_int_equal(v[i].as.datatype.kind, kinds[i]);
  }
  assert_true(v[0].as.datatype.u.n[0] == 1.5 && v[0].as.datatype.u.n[1] == -2);
  assert_true(v[2].as.datatype.u.n[1] == 20 && v[2].as.datatype.u.n[3] == -40);
  assert_int_equal(v[5].as.datatype.count, 3);
  assert_true(v[5].as.datatype.u.items[1].as.datatype.u.n[1] == 3);
  assert_true(v[9].as.datatype.u.items[1].type == RMT_TVECTOR3 &&
              v[9].as.datatype.u.items[1].as.vector3.y == -10);
  const rmt_value *tw = v[10].as.datatype.u.items;
  assert_true(tw[1].type == RMT_TENUM && tw[1].as.enumitem.value == 0);
  assert_string_equal(tw[2].as.enumitem.name, "EasingDirection");
  assert_true(tw[4].type == RMT_TBOOLEAN && tw[4].as.boolean == 1);
  assert_true(v[11].as.datatype.u.n[0] == 1700000000123.0);
  assert_true(v[12].type == RMT_TENUM && v[12].as.enumitem.value == 256);
  assert_string_equal(v[12].as.enumitem.name, "Material");
  assert_int_equal(rmt_values_check(v, n, NULL, &err), 0);

  lh_lua_push_values(f->host, L, v, n, RMT_CONV_NETWORK, 0);
  rmt_values_free(v, &f->ac.hook);
  luaL_loadstring(L,
                  "local a = {...}\n"
                  "local function kp(s, i) return s.Keypoints[i] end\n"
                  "assert(a[1] == Vector2.new(1.5, -2) and typeof(a[1]) == 'Vector2')\n"
                  "assert(a[2] == UDim.new(0.5, 10))\n"
                  "assert(a[3] == UDim2.new(0.1, 20, 0.3, -40) and a[3].Y.Offset == -40)\n"
                  "assert(a[4] == Rect.new(1, 2, 3, 4) and a[5] == NumberRange.new(-1, 5))\n"
                  "assert(typeof(a[6]) == 'NumberSequence' and #a[6].Keypoints == 3)\n"
                  "assert(kp(a[6], 1) == NumberSequenceKeypoint.new(0, 1, 0.5))\n"
                  "assert(kp(a[6], 2) == NumberSequenceKeypoint.new(0.25, 3))\n"
                  "assert(kp(a[7], 2).Value == Color3.new(0, 0, 1) and kp(a[7], 2).Time == 1)\n"
                  "assert(a[8] == NumberSequenceKeypoint.new(0.5, 7, 1))\n"
                  "assert(a[9].Time == 0.75 and a[9].Value == Color3.new(0, 1, 0))\n"
                  "assert(a[10].Origin == Vector3.new(1, 2, 3) and a[10].Direction == Vector3.new(0, -10, 0))\n"
                  "assert(a[11].Time == 2 and a[11].EasingStyle == Enum.EasingStyle.Linear)\n"
                  "assert(a[11].EasingDirection == Enum.EasingDirection.InOut and a[11].RepeatCount == 3)\n"
                  "assert(a[11].Reverses == true and a[11].DelayTime == 0.5)\n"
                  "assert(a[12] == DateTime.fromUnixTimestampMillis(1700000000123))\n"
                  "assert(rawequal(a[13], Enum.Material.Plastic))\n"
                  "assert(a[14].fx[1] == Vector2.new(3, 4) and rawequal(a[14].fx[2], Enum.KeyCode.E))\n"
                  "return 'ok'");
  lua_insert(L, top + 1);
  if (lua_pcall(L, 14, 1, 0) != 0) fail_msg("%s", lua_tostring(L, -1));
  assert_string_equal(lua_tostring(L, -1), "ok");
  lua_settop(L, top);

  /* Not values Roblox sends: a Random, a signal, the Enum type itself arrive as nil */
  assert_int_equal(convert(f, "Random.new(1), workspace.ChildAdded, Enum.Material", &v, &n, &err), 0);
  assert_int_equal(v[0].type, RMT_TNIL);
  assert_int_equal(v[1].type, RMT_TNIL);
  assert_int_equal(v[2].type, RMT_TNIL);
  rmt_values_free(v, &f->ac.hook);
  assert_int_equal(f->cap.warns, 3);
  assert_non_null(strstr(f->cap.text, "W argument 1: Random converted to nil"));
  assert_non_null(strstr(f->cap.text, "W argument 2: RBXScriptSignal converted to nil"));
  assert_non_null(strstr(f->cap.text, "W argument 3: Enum converted to nil"));
}

/* What a peer can send that this host cannot build arrives as nil, never an error: an enum
 * that does not exist, a value no item has, BrickColor while the host has none. */
static void test_datatypes_unknown_arrive_nil(void **state) {
  fixture *f = *state;
  lua_State *L = f->host->L;
  rmt_value vals[4] = {rmt_enum_item("NoSuchEnum", 1), rmt_enum_item("Material", 123456),
                       rmt_enum_item("GetEnums", 0),
                       rmt_datatype(RMT_DT_BRICKCOLOR, (const double[]){194}, 1)};
  int top = lua_gettop(L);
  lh_lua_push_values(f->host, L, vals, 3, RMT_CONV_NETWORK, 0);
  assert_int_equal(lua_gettop(L), top + 3);
  for (int i = 1; i <= 3; i++) assert_true(lua_isnil(L, top + i));
  lua_settop(L, top);
  lh_lua_push_values(f->host, L, vals + 3, 1, RMT_CONV_NETWORK, 0);
  eval(f, "BrickColor ~= nil");
  if (lua_toboolean(L, -1)) /* once the host has BrickColor it must arrive as one */
    assert_string_equal(luaL_typename(L, -2), "userdata");
  else
    assert_true(lua_isnil(L, -2));
  lua_settop(L, top);
}

/* A BindableEvent copies datatypes the same way (they used to arrive as nil there too). */
static void test_datatypes_through_bindable(void **state) {
  fixture *f = *state;
  lua_State *L = f->host->L;
  rmt_value *v;
  rmt_error err;
  int top = lua_gettop(L);
  int nargs = eval(f, "Vector2.new(1, 2), {Enum.Material.Neon}, TweenInfo.new(3)");
  assert_int_equal(lh_lua_to_values(f->host, L, top + 1, nargs, RMT_CONV_BINDABLE, &v, &err), 0);
  lh_lua_push_values(f->host, L, v, (size_t)nargs, RMT_CONV_BINDABLE, top + nargs + 1);
  rmt_values_free(v, &f->ac.hook);
  luaL_loadstring(L, "local a, b, c = ...\n"
                     "assert(a == Vector2.new(1, 2) and rawequal(b[1], Enum.Material.Neon))\n"
                     "assert(c == TweenInfo.new(3))\n"
                     "return 'ok'");
  lua_insert(L, top + nargs + 2);
  if (lua_pcall(L, nargs, 1, 0) != 0) fail_msg("%s", lua_tostring(L, -1));
  assert_string_equal(lua_tostring(L, -1), "ok");
  lua_settop(L, top);
  assert_int_equal(f->cap.warns, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_every_type_round_trip, lua_fixture_setup, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_lossy_steps_warn, lua_fixture_setup, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_cycles_and_limits_refused, lua_fixture_setup, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_players_as_refs, lua_fixture_setup, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_datatypes_round_trip, lua_fixture_setup, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_datatypes_unknown_arrive_nil, lua_fixture_setup, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_datatypes_through_bindable, lua_fixture_setup, lua_fixture_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
