/* test_lua_fuzz_regress.c - what fuzz_host (fuzz/fuzz_host.c) found in the Lua host, each
 * kept as a test: the input's effect reproduced in the smallest setting that shows it. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "engine.h"
#include "protocol.h"
#include "test_lua_util.h"


/* Found by fuzz_host: a crossing that filled the cap with many small objects (a message of
 * many small tables; here a script) left the state holding more than the cap in garbage.
 * Every later crossing, the collection included, needs a small allocation to start (its
 * C closure) and was refused: the host never ran Lua again. */
static void test_cap_filled_with_small_objects_recovers(void **state) {
  capture cap;
  alloc_counter ac;
  rmt_host *h;
  int i;
  (void)state;
  alloc_counter_init(&ac);
  h = test_host_guarded(RMT_HOST_SERVER, &cap, &ac, 0, 8u << 20);
  assert_non_null(h);
  rmt_host_run_string(h, "local k = {} for i = 1, 1e9 do k[i] = {} end", "hog.lua");
  assert_non_null(strstr(cap.text, "not enough memory"));
  assert_true(h->mem_refused > 0);
  for (i = 0; i < 3; i++) rmt_host_step(h);
  rmt_host_run_string(h, "print('alive after the cap')", "after.lua");
  if (!has_line(&cap, "P alive after the cap")) fprintf(stderr, "%.4000s", cap.text);
  assert_true(has_line(&cap, "P alive after the cap"));
  /* and the garbage was collected: the state is back well under its cap */
  assert_true(h->mem_used < (size_t)(4u << 20));
  rmt_host_destroy(h);
  assert_int_equal(ac.live_blocks, 0);
}

/* A client host whose session was opened by a fed WELCOME (as in fuzz_host): its peer never
 * connects, so every send of a full batch fails. remotes: 1 = "Ev" (event), 2 = "Fn". */
static rmt_host *fed_client_host(capture *cap, alloc_counter *ac) {
  rmt_client_config cc;
  rmt_client *client;
  rmt_buf body = {0}, msg = {0};
  rmt_fed_packet p;
  rmt_host *h = test_host_guarded(RMT_HOST_CLIENT, cap, ac, 0, 0);
  if (!h) return NULL;
  rmt_client_config_default(&cc);
  cc.port = 9;
  cc.name = "Fuzz";
  cc.linger_ms = 0;
  cc.alloc = &ac->hook;
  rmt_host_client_config(h, &cc);
  client = rmt_client_create(&cc, NULL);
  if (!client || rmt_host_attach_client(h, client) != 0) return NULL;
  rmt__put_varint(&body, RMT_PROTOCOL_VERSION);
  rmt__put_varint(&body, 1);
  rmt__put_varint(&body, 1001);
  rmt__put_lstr(&body, "Fuzz", 4);
  rmt__put_varint(&body, 2);
  rmt__put_varint(&body, 1);
  rmt__put_varint(&body, RMT_REMOTE_EVENT);
  rmt__put_lstr(&body, "Ev", 2);
  rmt__put_varint(&body, 2);
  rmt__put_varint(&body, RMT_REMOTE_FUNCTION);
  rmt__put_lstr(&body, "Fn", 2);
  rmt__msg_put(&msg, RMT_MSG_CONTROL, RMT_CTL_WELCOME, NULL, 0, body.data, body.len);
  p.data = msg.data;
  p.len = msg.len;
  p.channel = RMT_CHANNEL_RELIABLE;
  rmt__client_feed(client, &p);
  rmt_buf_free(&body);
  rmt_buf_free(&msg);
  return rmt_client_state(client) == RMT_CLIENT_CONNECTED ? h : NULL;
}

/* Found by fuzz_host (a use after free at exit): an invoke whose message pushed the batch
 * past batch_bytes made the engine send what was batched before it; when that send failed,
 * rmt_client_invoke (and rmt_server_invoke_client) returned the error although the call
 * stayed registered. The host took the error at its word and freed the call's context,
 * which the call's completion (answer, timeout, disconnect) then used. A registered call now
 * returns OK and completes through its callback, exactly once. */
static void test_invoke_after_a_failed_flush_stays_pending(void **state) {
  capture cap;
  alloc_counter ac;
  rmt_host *h;
  (void)state;
  alloc_counter_init(&ac);
  h = fed_client_host(&cap, &ac);
  assert_non_null(h);
  rmt_host_run_string(h,
                      "local rs = game:GetService('ReplicatedStorage')\n"
                      "local ev, fn = rs:WaitForChild('Ev'), rs:WaitForChild('Fn')\n"
                      "ev:FireServer(string.rep('x', 1500))\n"
                      "task.spawn(function()\n"
                      "  print('answered', pcall(fn.InvokeServer, fn, 1))\n"
                      "end)\n"
                      "print('invoked')\n",
                      "invoke.lua");
  rmt_host_step(h);
  if (!has_line(&cap, "P invoked") || cap.errors) fprintf(stderr, "%s", cap.text);
  assert_true(has_line(&cap, "P invoked"));
  assert_null(strstr(cap.text, "P answered"));
  assert_int_equal(h->pending_invokes, 1);
  rmt_host_destroy(h); /* completes the call (canceled) while Lua is off limits */
  assert_int_equal(ac.live_blocks, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cap_filled_with_small_objects_recovers),
      cmocka_unit_test(test_invoke_after_a_failed_flush_stays_pending),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
