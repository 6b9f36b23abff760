/* test_lua_guard.c - what a client sends or a script does cannot take the Lua host down:
 * argument lists Lua cannot take (events, invokes, invoke answers) are refused and counted
 * while the next good message still arrives; a script that never yields gets the script
 * timeout even in loops LuaJIT compiled; a stop request ends a spin; the memory cap gives
 * "not enough memory" to the allocating script and the host goes on; a raising __gc cannot
 * reach LuaJIT's panic. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>

#include "test_lua_util.h"


/* ---- a Lua server against a plain C client that sends what Lua cannot take ---- */

typedef struct world {
  lua_world lw;       /* lw.client is the plain C client */
  int answers;        /* the client's invoke callbacks */
  int last_status;
  size_t last_n;
  char last_message[256];
} world;

static void pump_until(world *w, int (*done)(world *), double max_seconds) {
  double start = rmt_host_clock();
  while (!done(w) && rmt_host_clock() - start < max_seconds) lua_world_pump_once(&w->lw);
}

static const char *SERVER_SCRIPT =
    "local rs = game:GetService('ReplicatedStorage')\n"
    "local ev = Instance.new('RemoteEvent', rs) ev.Name = 'Ev'\n"
    "local fn = Instance.new('RemoteFunction', rs) fn.Name = 'Fn'\n"
    "local back = Instance.new('RemoteFunction', rs) back.Name = 'Back'\n"
    "ev.OnServerEvent:Connect(function(p, ...) print('event', select('#', ...), (...)) end)\n"
    "fn.OnServerInvoke = function(p, ...) return select('#', ...) end\n"
    "local buf = Instance.new('RemoteEvent', rs) buf.Name = 'Buf'\n"
    "buf.OnServerEvent:Connect(function(p, b)\n"
    "  print('buffer', typeof(b), buffer.len(b), buffer.readu8(b, 1), buffer.tostring(b) == 'a\\0b')\n"
    "  local reply = buffer.create(4) buffer.writeu32(reply, 0, 0xdeadbeef)\n"
    "  buf:FireClient(p, reply, 'x')\n"
    "end)\n"
    "_G.askBack = function(p)\n"
    "  local ok, err = pcall(function() return back:InvokeClient(p) end)\n"
    "  print('back', ok, err)\n"
    "end\n";

static void on_answer(void *ud, int status, const rmt_value *results, size_t n,
                      const char *message) {
  world *w = ud;
  w->answers++;
  w->last_status = status;
  w->last_n = n;
  snprintf(w->last_message, sizeof w->last_message, "%s", message ? message : "");
  (void)results;
}

/* The client answers the server's InvokeClient with 8,000 values. */
static void answer_too_many(void *ud, rmt_invocation *inv, const rmt_value *args, size_t n) {
  rmt_value *vals = calloc(8000, sizeof *vals);
  (void)ud;
  (void)args;
  (void)n;
  rmt_invocation_return(inv, vals, 8000);
  free(vals);
}

static int world_setup(void **state) {
  world *w = calloc(1, sizeof *w);
  if (!w || lua_world_serve(&w->lw, NULL, SERVER_SCRIPT, "server.lua") ||
      lua_world_join_plain(&w->lw, "Raw"))
    return -1;
  lua_world_pump(&w->lw, 0.1);
  *state = w;
  return 0;
}

static int world_teardown(void **state) {
  world *w = *state;
  lua_world_free(&w->lw);
  free(w);
  return 0;
}

static int got_good_event(world *w) {
  return strstr(w->lw.scap.text, "P event 1 good") != NULL;
}

static int got_answer(world *w) {
  return w->answers > 0;
}

static void test_too_many_arguments_event(void **state) {
  world *w = *state;
  rmt_value *nils = calloc(8000, sizeof *nils); /* zeroed: RMT_TNIL */
  rmt_value good = rmt_str("good");
  rmt_remote_id ev = rmt_client_remote_find(w->lw.client, "Ev");
  rmt_stats st;
  assert_true(ev != 0);
  /* 8,000 nils: 8 KB, inside every byte and element limit, more than a Lua call takes */
  assert_int_equal(rmt_client_fire(w->lw.client, ev, nils, 8000, NULL), 0);
  assert_int_equal(rmt_client_fire(w->lw.client, ev, &good, 1, NULL), 0);
  pump_until(w, got_good_event, 5);
  if (!got_good_event(w)) fprintf(stderr, "%s", w->lw.scap.text);
  assert_true(got_good_event(w));
  assert_null(strstr(w->lw.scap.text, "P event 8000"));
  if (!strstr(w->lw.scap.text, "more than max_args 4096")) fprintf(stderr, "%s", w->lw.scap.text);
  assert_non_null(strstr(w->lw.scap.text, "more than max_args 4096"));
  assert_int_equal(rmt_server_remote_stats(w->lw.server, 0, &st), 0);
  assert_true(st.dropped_malformed >= 1);
  free(nils);
}

static void test_too_many_arguments_invoke(void **state) {
  world *w = *state;
  rmt_value *nils = calloc(8000, sizeof *nils);
  rmt_value one = rmt_num(1);
  rmt_remote_id fn = rmt_client_remote_find(w->lw.client, "Fn");
  assert_true(fn != 0);
  assert_int_equal(rmt_client_invoke(w->lw.client, fn, nils, 8000, 5000, on_answer, w, NULL), 0);
  pump_until(w, got_answer, 5);
  assert_int_equal(w->answers, 1);
  assert_true(w->last_status != RMT_OK); /* refused with a reason, not a hang */
  assert_non_null(strstr(w->last_message, "max_args"));
  /* the same remote still answers a good call */
  w->answers = 0;
  assert_int_equal(rmt_client_invoke(w->lw.client, fn, &one, 1, 5000, on_answer, w, NULL), 0);
  pump_until(w, got_answer, 5);
  assert_int_equal(w->answers, 1);
  assert_int_equal(w->last_status, RMT_OK);
  assert_int_equal(w->last_n, 1);
  free(nils);
}

static int got_back(world *w) {
  return strstr(w->lw.scap.text, "P back") != NULL;
}

static void test_too_many_values_in_an_answer(void **state) {
  world *w = *state;
  rmt_remote_id back = rmt_client_remote_find(w->lw.client, "Back");
  assert_true(back != 0);
  assert_int_equal(rmt_client_remote_on_invoke(w->lw.client, back, answer_too_many, w), 0);
  rmt_host_run_string(w->lw.sh, "askBack(game.Players:GetPlayers()[1])", "ask.lua");
  pump_until(w, got_back, 5);
  if (!got_back(w)) fprintf(stderr, "%s", w->lw.scap.text);
  /* the invoking thread gets an error it can catch; the server goes on */
  assert_non_null(strstr(w->lw.scap.text, "P back false"));
  assert_non_null(strstr(w->lw.scap.text, "max_args"));
}

typedef struct got_event {
  int n;
  rmt_type first;
  size_t len;
  unsigned char bytes[8];
} got_event;

static void on_buf_event(void *ud, const rmt_value *args, size_t n) {
  got_event *g = ud;
  g->n++;
  if (n >= 1) {
    g->first = args[0].type;
    g->len = args[0].as.string.len;
    if (g->len <= sizeof g->bytes) memcpy(g->bytes, args[0].as.string.ptr, g->len);
  }
}

static int got_buffer_line(world *w) {
  return strstr(w->lw.scap.text, "P buffer") != NULL;
}

/* Luau's buffer crosses remotes as Roblox lets it (Zap, Blink and ByteNet send nothing else):
 * a C client's RMT_TBUFFER reaches the listener as a buffer, and a buffer the script fires
 * reaches the client as RMT_TBUFFER, bytes intact. */
static void test_buffer_crosses_remotes(void **state) {
  world *w = *state;
  got_event g;
  rmt_remote_id buf = rmt_client_remote_find(w->lw.client, "Buf");
  rmt_value arg = rmt_bytes("a\0b", 3);
  memset(&g, 0, sizeof g);
  assert_true(buf != 0);
  assert_true(rmt_signal_connect(rmt_client_remote_signal(w->lw.client, buf), on_buf_event, &g) != 0);
  assert_int_equal(rmt_client_fire(w->lw.client, buf, &arg, 1, NULL), 0);
  pump_until(w, got_buffer_line, 5);
  lua_world_pump(&w->lw, 0.1);
  if (!got_buffer_line(w)) fprintf(stderr, "%s", w->lw.scap.text);
  assert_true(has_line(&w->lw.scap, "P buffer buffer 3 0 true"));
  assert_int_equal(g.n, 1);
  assert_int_equal(g.first, RMT_TBUFFER);
  assert_int_equal(g.len, 4);
  assert_int_equal(g.bytes[0], 0xef); /* writeu32 is little-endian, as Luau's */
  assert_int_equal(g.bytes[3], 0xde);
}

/* ---- script timeout, stop, memory ---- */

static void test_script_timeout_in_compiled_loops(void **state) {
  capture cap;
  alloc_counter ac;
  rmt_host *h;
  (void)state;
  alloc_counter_init(&ac);
  h = test_host_guarded(RMT_HOST_SERVER, &cap, &ac, 0.2, 0);
  assert_non_null(h);
  /* each spin runs far past LuaJIT's hot-loop threshold, so it is a compiled trace when the
   * deadline passes; a pcall that swallows the error and spins on gets it again */
  rmt_host_run_string(h,
                      "task.spawn(function() while true do end end)\n"
                      "task.spawn(function() local n = 0 repeat n = n + 1 until false end)\n"
                      "task.spawn(function() for i = 1, math.huge do end end)\n"
                      "task.spawn(function() local function r(n) return r(n + 1) end r(1) end)\n"
                      "task.spawn(function() while true do pcall(function() while true do end end) end end)\n"
                      "print('after the spins')\n",
                      "spin.lua");
  run_for(h, 0.1);
  assert_true(has_line(&cap, "P after the spins"));
  assert_int_equal(cap.errors, 5);
  assert_non_null(strstr(cap.text, "E spin.lua:1: Script timeout: exhausted allowed execution time"));
  assert_non_null(strstr(cap.text, "E spin.lua:5: Script timeout: exhausted allowed execution time"));
  assert_int_equal(h->timeouts, 1); /* all in one crossing */
  /* the host goes on: timers still run */
  rmt_host_run_string(h, "task.delay(0.01, function() print('later') end)", "later.lua");
  run_until_idle(h, 2);
  assert_true(has_line(&cap, "P later"));
  rmt_host_destroy(h);
  assert_int_equal(ac.live_blocks, 0);
}

static void test_stop_ends_a_spin(void **state) {
  capture cap;
  rmt_host *h;
  (void)state;
  h = test_host_guarded(RMT_HOST_SERVER, &cap, NULL, -1 /* no timeout */, 0);
  assert_non_null(h);
  rmt_host_stop_at(h, rmt_host_clock() + 0.1);
  rmt_host_run_string(h, "while true do end", "forever.lua");
  assert_true(h->interrupted);
  assert_non_null(strstr(cap.text, "E forever.lua:1: Script stopped: the process is shutting down"));
  rmt_host_destroy(h);
}

static void test_memory_limit(void **state) {
  capture cap;
  alloc_counter ac;
  rmt_host *h;
  int i;
  (void)state;
  alloc_counter_init(&ac);
  h = test_host_guarded(RMT_HOST_SERVER, &cap, &ac, 0, 16u << 20);
  assert_non_null(h);
  rmt_host_run_string(h,
                      "local keep = {}\n"
                      "local ok, err = pcall(function()\n"
                      "  for i = 1, 1e9 do keep[i] = string.rep('x', 1000) .. i end\n"
                      "end)\n"
                      "print('refused', ok, err)\n"
                      "keep = nil\n",
                      "hog.lua");
  if (!has_line(&cap, "P refused false not enough memory")) fprintf(stderr, "%s", cap.text);
  assert_true(has_line(&cap, "P refused false not enough memory"));
  assert_true(h->mem_refused > 0);
  assert_true(h->mem_peak <= (size_t)(18u << 20)); /* the cap plus an eighth of grace */
  /* once the hog's table is garbage, the state works again */
  rmt_host_step(h);
  rmt_host_run_string(h, "local t = {} for i = 1, 10000 do t[i] = {i} end print('fine', #t)",
                      "after.lua");
  assert_true(has_line(&cap, "P fine 10000"));
  /* a hog outside any pcall only ends its own thread */
  rmt_host_run_string(h,
                      "task.spawn(function() local k = {} for i = 1, 1e9 do k[i] = {} end end)\n"
                      "print('spawner goes on')\n",
                      "hog2.lua");
  assert_true(has_line(&cap, "P spawner goes on"));
  assert_non_null(strstr(cap.text, "E not enough memory"));
  /* hog after hog of small strings (each dies with its thread): the state recovers every
   * time; a collection refused half-way used to leave it full of garbage for good */
  for (i = 0; i < 8; i++) {
    rmt_host_run_string(h,
                        "task.spawn(function() local t, i = {}, 0\n"
                        "  while true do i = i + 1 t[i] = string.rep('y', 1000) .. i end end)\n",
                        "hog3.lua");
    rmt_host_step(h);
  }
  cap.len = 0;
  cap.text[0] = 0;
  rmt_host_run_string(h, "local t = {} for i = 1, 10000 do t[i] = {i} end print('recovered', #t)",
                      "after2.lua");
  if (!has_line(&cap, "P recovered 10000"))
    fprintf(stderr, "%s\nused %zu of %zu\n", cap.text, h->mem_used, h->mem_limit);
  assert_true(has_line(&cap, "P recovered 10000"));
  rmt_host_destroy(h);
  assert_int_equal(ac.live_blocks, 0);
}

static void test_raising_gc_never_panics(void **state) {
  capture cap;
  rmt_host *h;
  int i;
  (void)state;
  h = test_host_guarded(RMT_HOST_SERVER, &cap, NULL, 0, 0);
  assert_non_null(h);
  /* Luau never runs __gc. Here a finalizer that raised would run inside whatever allocation
   * steps the collector: outside a crossing that is LuaJIT's panic (exit) */
  rmt_host_run_string(h,
                      "for i = 1, 2000 do local p = newproxy(true)\n"
                      "  getmetatable(p).__gc = function() error('boom in __gc') end end\n",
                      "gc.lua");
  for (i = 0; i < 50; i++) {
    rmt_host_run_string(h, "local t = {} for i = 1, 2000 do t[i] = {i} end", "churn.lua");
    rmt_host_step(h);
  }
  rmt_host_run_string(h, "print('alive')", "alive.lua");
  if (!has_line(&cap, "P alive")) fprintf(stderr, "%.3000s", cap.text);
  assert_true(has_line(&cap, "P alive"));
  assert_null(strstr(cap.text, "boom in __gc"));
  assert_int_equal(cap.errors, 0);
  rmt_host_destroy(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_too_many_arguments_event, world_setup, world_teardown),
      cmocka_unit_test_setup_teardown(test_too_many_arguments_invoke, world_setup, world_teardown),
      cmocka_unit_test_setup_teardown(test_too_many_values_in_an_answer, world_setup,
                                      world_teardown),
      cmocka_unit_test_setup_teardown(test_buffer_crosses_remotes, world_setup, world_teardown),
      cmocka_unit_test(test_script_timeout_in_compiled_loops),
      cmocka_unit_test(test_stop_ends_a_spin),
      cmocka_unit_test(test_memory_limit),
      cmocka_unit_test(test_raising_gc_never_panics),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
