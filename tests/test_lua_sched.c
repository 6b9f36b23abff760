/* test_lua_sched.c - the Lua host's scheduler: resume ordering of spawn/defer/wait, task.*
 * timing (exact: every host here runs on a test clock that the run loops move from one frame
 * to the next), errors in listeners, Signal:Wait, busy/idle, nothing leaked. */
#define _POSIX_C_SOURCE 200809L

#include "test_lua_util.h"

typedef lua_fixture fixture;

static void expect_clean(fixture *f) {
  if (f->cap.errors || f->cap.warns) fprintf(stderr, "%s", f->cap.text);
  assert_int_equal(f->cap.errors, 0);
}

static void test_order_spawn_defer_wait(void **state) {
  fixture *f = *state;
  run_lua(f->host, &f->cap,
          "local order = {}\n"
          "task.spawn(function() table.insert(order, 'spawn') task.wait() "
          "table.insert(order, 'after-wait') end)\n"
          "task.defer(function() table.insert(order, 'defer') end)\n"
          "table.insert(order, 'main')\n"
          "task.wait(0.05)\n"
          "print(table.concat(order, ','))\n");
  expect_clean(f);
  assert_true(has_line(&f->cap, "P spawn,main,defer,after-wait"));
}

static void test_wait_timing(void **state) {
  fixture *f = *state;
  run_lua(f->host, &f->cap,
          "local t0 = time()\n"
          "local e = task.wait(0.2)\n"
          "local real = time() - t0\n"
          /* timers fire at frames: the first frame at or after the deadline */
          "print('wait', e >= 0.2 and e < 0.2 + 1/60, e == real)\n"
          "local e2 = wait(0.1)\n"
          "print('legacy', e2 >= 0.1 and e2 < 0.1 + 1/60)\n"
          "local e3 = task.wait()\n"
          /* the next frame, never the one it was called in (frames are 1/60 s, to the us) */
          "print('frame', math.abs(e3 - 1/60) < 1e-6)\n");
  expect_clean(f);
  assert_true(has_line(&f->cap, "P wait true true"));
  assert_true(has_line(&f->cap, "P legacy true"));
  assert_true(has_line(&f->cap, "P frame true"));
}

static void test_delay_and_cancel(void **state) {
  fixture *f = *state;
  run_lua(f->host, &f->cap,
          "local fired = false\n"
          "local th = task.delay(0.05, function() fired = true end)\n"
          "task.cancel(th)\n"
          "local t0 = time()\n"
          "task.delay(0.1, function(a, b) print('delay', a, b, time() - t0 >= 0.1) end, 1, 'x')\n"
          "local waiting = task.spawn(function() task.wait(0.05) print('never') end)\n"
          "task.cancel(waiting)\n"
          "task.wait(0.2)\n"
          "print('cancelled fired', fired)\n");
  expect_clean(f);
  assert_true(has_line(&f->cap, "P delay 1 x true"));
  assert_true(has_line(&f->cap, "P cancelled fired false"));
  assert_null(strstr(f->cap.text, "never"));
}

static void test_listener_errors_isolated(void **state) {
  fixture *f = *state;
  run_lua(f->host, &f->cap,
          "local be = Instance.new('BindableEvent')\n"
          "be.Event:Connect(function() error('first listener fails') end)\n"
          "be.Event:Connect(function(v) print('second got', v) end)\n"
          "be:Fire(7)\n"
          "print('after fire')\n"
          "task.spawn(function() local t = nil; return t.x end)\n"
          "print('still running')\n");
  assert_int_equal(f->cap.errors, 2);
  assert_true(has_line(&f->cap, "E test.lua:2: first listener fails"));
  assert_true(has_line(&f->cap, "P second got 7"));
  assert_true(has_line(&f->cap, "P after fire"));
  assert_true(has_line(&f->cap, "P still running"));
  assert_non_null(strstr(f->cap.text, "E test.lua:6: attempt to index"));
  assert_int_equal(f->host->errors, 2);
}

static void test_signal_wait_once_disconnect(void **state) {
  fixture *f = *state;
  run_lua(f->host, &f->cap,
          "local be = Instance.new('BindableEvent')\n"
          "task.delay(0.05, function() be:Fire('hello', 42) end)\n"
          "local a, b = be.Event:Wait()\n"
          "print('waited', a, b)\n"
          "local n = 0\n"
          "local c = be.Event:Connect(function() n = n + 1 end)\n"
          "be.Event:Once(function() n = n + 10 end)\n"
          "be:Fire() be:Fire()\n"
          "print(c.Connected) c:Disconnect() print(c.Connected)\n"
          "be:Fire()\n"
          "print('n', n, typeof(c), typeof(be.Event))\n");
  expect_clean(f);
  assert_true(has_line(&f->cap, "P waited hello 42"));
  assert_true(has_line(&f->cap, "P true"));
  assert_true(has_line(&f->cap, "P false"));
  assert_true(has_line(&f->cap, "P n 12 RBXScriptConnection RBXScriptSignal"));
}

static void test_yielding_listener_does_not_block(void **state) {
  fixture *f = *state;
  run_lua(f->host, &f->cap,
          "local be = Instance.new('BindableEvent')\n"
          "be.Event:Connect(function() task.wait(0.05) print('slow done') end)\n"
          "be.Event:Connect(function() print('fast') end)\n"
          "be:Fire()\n"
          "print('fired')\n");
  expect_clean(f);
  assert_non_null(strstr(f->cap.text, "P fast\nP fired\nP slow done\n"));
}

static void test_heartbeat_rate_and_busy(void **state) {
  fixture *f = *state;
  rmt_host_run_string(f->host,
                      "local s = { count = 0, total = 0 }\n"
                      "shared.hb = s\n"
                      "s.conn = game:GetService('RunService').Heartbeat:Connect(function(dt)\n"
                      "  s.count = s.count + 1 s.total = s.total + dt end)\n",
                      "hb.lua");
  assert_true(rmt_host_busy(f->host)); /* something is connected to Heartbeat */
  run_for(f->host, 0.5);
  run_lua(f->host, &f->cap,
          "local s = shared.hb\n"
          "s.conn:Disconnect()\n"
          /* frames at 0, 1/60, 2/60 ... s (to the us): 30 in the half second, the next one
           * would fall at 500.01 ms */
          "print('rate', s.count == 30, math.abs(s.total / s.count - 1/60) < 1e-6)\n"
          "print('globals are per script', rawget(getfenv(1), 'conn') == nil)\n");
  expect_clean(f);
  assert_true(has_line(&f->cap, "P rate true true"));
  assert_true(has_line(&f->cap, "P globals are per script true"));
  assert_false(rmt_host_busy(f->host));
}

static void test_busy_while_waiting(void **state) {
  fixture *f = *state;
  rmt_host_run_string(f->host, "task.wait(0.1) print('woke')", "busy.lua");
  assert_true(rmt_host_busy(f->host));
  run_until_idle(f->host, 2);
  assert_false(rmt_host_busy(f->host));
  assert_true(has_line(&f->cap, "P woke"));
  /* a thread parked on a signal nobody fires does not keep the host busy */
  rmt_host_run_string(f->host, "Instance.new('BindableEvent').Event:Wait()", "park.lua");
  assert_false(rmt_host_busy(f->host));
}

static void test_print_formatting(void **state) {
  fixture *f = *state;
  run_lua(f->host, &f->cap,
          "print(10/2, 1/3, 2^53, -0.5, 'a', nil, true, Vector3.new(0.1, 2, -3))\n"
          "print(tostring(CFrame.new(1, 2, 3)), Color3.fromRGB(255, 0, 0))\n"
          "print()\n");
  expect_clean(f);
  assert_true(has_line(&f->cap, "P 5 0.3333333333333333 9007199254740992 -0.5 a nil true 0.1, 2, -3"));
  assert_true(has_line(&f->cap, "P 1, 2, 3, 1, 0, 0, 0, 1, 0, 0, 0, 1 1, 0, 0"));
  assert_true(has_line(&f->cap, "P "));
}

static void test_syntax_error_reported(void **state) {
  fixture *f = *state;
  /* Luau syntax is translated (test_lua_luau); what the translator does not know is an error
   * with file:line:column and a hint */
  assert_int_equal(rmt_host_run_string(f->host, "local x = 1\nx = f<<number>>(1)\n", "luau.lua"), -1);
  assert_int_equal(f->cap.errors, 1);
  assert_non_null(strstr(f->cap.text, "E luau.lua:2:7: unexpected symbol near '<'"));
  assert_non_null(strstr(f->cap.text, "explicit type arguments"));
}

/* Luau's library additions that real Roblox modules use: table.clone, bit32, utf8. */
static void test_luau_libraries(void **state) {
  fixture *f = *state;
  run_lua(f->host, &f->cap,
          "local t = setmetatable({1, 2, a = 3}, {__index = function() return 'mt' end})\n"
          "local c = table.clone(t)\n"
          "print(#c, c.a, c.zzz, c ~= t)\n"
          "print(bit32.band(0xFF, 0x0F), bit32.bnot(0), bit32.lshift(1, 31), bit32.rshift(0x80000000, 31),"
          " bit32.extract(0xF0, 4, 4), bit32.replace(0, 5, 8, 4), bit32.countlz(1), bit32.btest(2, 3))\n"
          "local s = utf8.char(72, 233, 0x20AC, 0x1F600)\n"
          "print(#s, utf8.len(s), utf8.codepoint(s, 2), utf8.offset(s, 3), utf8.len('\\xff'))\n"
          "local n = 0 for _ in ('h\\xc3\\xa9'):gmatch(utf8.charpattern) do n = n + 1 end print(n)\n");
  expect_clean(f);
  assert_true(has_line(&f->cap, "P 2 3 mt true"));
  assert_true(has_line(&f->cap, "P 15 4294967295 2147483648 1 15 1280 31 true"));
  assert_true(has_line(&f->cap, "P 10 4 233 4 nil 1"));
  assert_true(has_line(&f->cap, "P 2"));
}

/* The engine under a host keeps time on the host's clock; a host without one leaves a clock
 * set on the engine's config alone. */
static void test_host_clock_reaches_engine(void **state) {
  fixture *f = *state;
  rmt_server_config sc;
  rmt_client_config cc;
  test_clock other;
  rmt_server_config_default(&sc);
  rmt_client_config_default(&cc);
  rmt_host_server_config(f->host, &sc);
  rmt_host_client_config(f->host, &cc);
  assert_ptr_equal(sc.clock, test_clock_read);
  assert_ptr_equal(sc.clock_ud, &f->clock);
  assert_ptr_equal(cc.clock, test_clock_read);
  assert_ptr_equal(cc.clock_ud, &f->clock);
  /* the scheduler's now is that clock's, from the host's creation */
  test_clock_advance_ms(&f->clock, 1500);
  assert_true(fabs(lh_now(f->host) - 1.5) < 1e-9);

  capture cap;
  rmt_host *plain = test_host(RMT_HOST_SERVER, &cap, NULL);
  assert_non_null(plain);
  test_clock_init(&other);
  sc.clock_ud = &other;
  rmt_host_server_config(plain, &sc);
  assert_ptr_equal(sc.clock, test_clock_read);
  assert_ptr_equal(sc.clock_ud, &other);
  rmt_host_destroy(plain);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_luau_libraries, lua_fixture_setup_clocked, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_order_spawn_defer_wait, lua_fixture_setup_clocked, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_wait_timing, lua_fixture_setup_clocked, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_delay_and_cancel, lua_fixture_setup_clocked, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_listener_errors_isolated, lua_fixture_setup_clocked, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_signal_wait_once_disconnect, lua_fixture_setup_clocked, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_yielding_listener_does_not_block, lua_fixture_setup_clocked, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_heartbeat_rate_and_busy, lua_fixture_setup_clocked, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_busy_while_waiting, lua_fixture_setup_clocked, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_print_formatting, lua_fixture_setup_clocked, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_syntax_error_reported, lua_fixture_setup_clocked, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_host_clock_reaches_engine, lua_fixture_setup_clocked,
                                      lua_fixture_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
