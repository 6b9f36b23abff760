/* test_net_stats.c - byte counters against what actually crossed the wire: every packet the
 * server sends is counted once, including batches split before a flush. Loopback only. */
#include "net_fixture.h"

static void count(void *ud, const rmt_value *args, size_t nargs) {
  (void)args;
  (void)nargs;
  ++*(int *)ud;
}

/* Regression: bytes_out used to count only what was left in the batches at flush time, so
 * a service that split batches (anything over batch_bytes) undercounted, e.g. 20 MB of
 * answers reported as 0.14 MB under a flood. */
static void test_bytes_out_counts_split_batches(void **state) {
  (void)state;
  net_world w;
  net_world_init(&w, NET_CLOCK_MANUAL);
  rmt_server_config sc;
  net_server_config(&w, &sc);
  rmt_server *s = net_start_server(&w, &sc);
  rmt_remote_id ev;
  assert_int_equal(rmt_server_remote_create(s, "Ev", RMT_REMOTE_EVENT, &ev, NULL), 0);
  rmt_client *c = net_join_new(&w, "Counter");
  int got = 0;
  rmt_signal_connect(rmt_client_remote_signal(c, ev), count, &got);
  net_pump(&w, 50);
  rmt_stats before_s, before_c;
  rmt_server_player_stats(s, rmt_client_local_player(c), &before_s);
  rmt_client_remote_stats(c, 0, &before_c);
  /* 200 events of ~300 bytes between two services: about fifty 1200-byte batches. */
  char payload[300];
  memset(payload, 'p', sizeof payload);
  rmt_value arg = rmt_lstr(payload, sizeof payload);
  for (int i = 0; i < 200; i++) assert_int_equal(rmt_server_fire_client(s, rmt_client_local_player(c), ev, &arg, 1, NULL), 0);
  net_pump_count(&w, &got, 200);
  assert_int_equal(got, 200);
  rmt_stats after_s, after_c;
  rmt_server_player_stats(s, rmt_client_local_player(c), &after_s);
  rmt_client_remote_stats(c, 0, &after_c);
  uint64_t sent = after_s.bytes_out - before_s.bytes_out;
  uint64_t received = after_c.bytes_in - before_c.bytes_in;
  print_message("server counted %llu bytes out, client counted %llu bytes in\n",
                (unsigned long long)sent, (unsigned long long)received);
  assert_true(received >= 200 * sizeof payload);
  assert_int_equal(sent, received);
  net_world_finish(&w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bytes_out_counts_split_batches),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
