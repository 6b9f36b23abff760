/* remotes_bench.c - our engine as a benchmark backend, through include/remotes.h only:
 * the same calls an application makes (fire, fire_all, invoke, listeners). Must never
 * reach into the engine's internals or turn off anything but the rate limits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "bench_common.h"
#include "remotes.h"

static rmt_value jump_args[2];
static rmt_pair table_pairs[3];
static rmt_value table_args[1];
static rmt_value event_args[2];

int bench_backend_option(const char *arg) {
  (void)arg;
  return 0;
}

const char *bench_backend_name(void) { return "remotes"; }

int bench_backend_init(void) {
  jump_args[0] = rmt_str("jump");
  jump_args[1] = rmt_num(150);
  table_pairs[0].key = rmt_str("name");
  table_pairs[0].value = rmt_str("Alice");
  table_pairs[1].key = rmt_str("gold");
  table_pairs[1].value = rmt_num(1200);
  table_pairs[2].key = rmt_str("level");
  table_pairs[2].value = rmt_num(7);
  table_args[0] = rmt_dict(table_pairs, 3);
  event_args[0] = rmt_str("event");
  event_args[1] = rmt_str("A new round is starting!");
  return 0;
}

static const rmt_value *payload_args(bench_payload payload, size_t *nargs) {
  if (payload == BENCH_PAYLOAD_TABLE) {
    *nargs = 1;
    return table_args;
  }
  *nargs = 2;
  return jump_args;
}

static size_t encoded_len(const rmt_value *args, size_t nargs) {
  rmt_buf buf = {0};
  size_t len = rmt_encode(&buf, args, nargs, NULL, NULL) == RMT_OK ? buf.len : 0;
  rmt_buf_free(&buf);
  return len;
}

size_t bench_payload_len(bench_payload payload) {
  size_t nargs;
  const rmt_value *args = payload_args(payload, &nargs);
  return encoded_len(args, nargs);
}

size_t bench_payload_hex(int which, char *out, size_t cap) {
  const rmt_value *args = which == 0 ? jump_args : which == 1 ? table_args : event_args;
  size_t nargs = which == 1 ? 1 : 2;
  rmt_buf buf = {0};
  size_t written = 0;
  if (rmt_encode(&buf, args, nargs, NULL, NULL) == RMT_OK && buf.len * 2 + 1 <= cap) {
    for (size_t i = 0; i < buf.len; i++) snprintf(out + 2 * i, 3, "%02x", buf.data[i]);
    written = buf.len * 2;
  }
  out[written] = '\0';
  rmt_buf_free(&buf);
  return written;
}

/* ---- codec (scenario 6) ---- */
int bench_codec(int which, double seconds, double *encode_ns, double *decode_ns,
                size_t *out_len) {
  static const float position[3] = {10.5f, 4.0f, -2.5f};
  static const float rotation[9] = {1, 0, 0, 0, 0.70710677f, -0.70710677f, 0, 0.70710677f, 0.70710677f};
  rmt_value spatial[2];
  spatial[0] = rmt_vector3(1.5f, 2.25f, -3.75f);
  spatial[1] = rmt_cframe_full(position, rotation);
  const rmt_value *args = which == 0 ? jump_args : which == 1 ? table_args : spatial;
  size_t nargs = which == 1 ? 1 : 2;

  rmt_buf buf = {0};
  uint64_t n = 0, budget = (uint64_t)(seconds * 1e9), t0 = bench_now_ns(), elapsed;
  do {
    for (int k = 0; k < 1000; k++) {
      buf.len = 0;
      if (rmt_encode(&buf, args, nargs, NULL, NULL) != RMT_OK) {
        rmt_buf_free(&buf);
        return -1;
      }
    }
    n += 1000;
    elapsed = bench_now_ns() - t0;
  } while (elapsed < budget);
  *encode_ns = (double)elapsed / (double)n;
  *out_len = buf.len;

  rmt_arena *arena = rmt_arena_create(NULL);
  if (!arena) {
    rmt_buf_free(&buf);
    return -1;
  }
  size_t seen = 0;
  n = 0;
  t0 = bench_now_ns();
  do {
    for (int k = 0; k < 1000; k++) {
      rmt_value *out;
      size_t nout;
      if (rmt_decode(arena, buf.data, buf.len, NULL, &out, &nout, NULL) != RMT_OK) {
        rmt_arena_destroy(arena);
        rmt_buf_free(&buf);
        return -1;
      }
      seen += nout;
      rmt_arena_reset(arena);
    }
    n += 1000;
    elapsed = bench_now_ns() - t0;
  } while (elapsed < budget);
  *decode_ns = (double)elapsed / (double)n;
  rmt_arena_destroy(arena);
  rmt_buf_free(&buf);
  return seen == n * nargs ? 0 : -1;
}

/* ---- server ---- */
struct bench_server {
  rmt_server *server;
  bench_server_hooks hooks;
  rmt_remote_id fire, broadcast, invoke;
  uint32_t clients;
};

static uint32_t player_index(bench_server *s, const rmt_value *player) {
  if (player->type != RMT_TPLAYER) return UINT32_MAX;
  return (uint32_t)((uintptr_t)rmt_server_player_data(s->server, player->as.player) - 1);
}

static void on_player_added(void *ud, const rmt_value *args, size_t nargs) {
  bench_server *s = ud;
  if (nargs < 1 || args[0].type != RMT_TPLAYER) return;
  const char *name = rmt_server_player_name(s->server, args[0].as.player);
  uint32_t index = name && name[0] == 'c' ? (uint32_t)strtoul(name + 1, NULL, 10) : 0;
  rmt_server_player_set_data(s->server, args[0].as.player, (void *)(uintptr_t)(index + 1));
  s->clients++;
  if (s->hooks.joined) s->hooks.joined(s->hooks.ud, index);
}

static void on_player_removing(void *ud, const rmt_value *args, size_t nargs) {
  bench_server *s = ud;
  (void)args;
  (void)nargs;
  s->clients--;
}

static void on_fire(void *ud, const rmt_value *args, size_t nargs) {
  bench_server *s = ud;
  if (nargs < 1 || !s->hooks.fired) return;
  s->hooks.fired(s->hooks.ud, player_index(s, &args[0]), 1);
}

static void on_invoke(void *ud, rmt_invocation *inv, const rmt_value *args, size_t nargs) {
  (void)ud;
  /* Echo the arguments (args[0] is the player). */
  rmt_invocation_return(inv, args + 1, nargs - 1);
}

bench_server *bsrv_create(uint32_t max_clients, const bench_server_hooks *hooks) {
  bench_server *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->hooks = *hooks;
  rmt_server_config config;
  rmt_server_config_default(&config);
  config.port = 0;
  config.max_players = max_clients + 8;
  config.max_per_address = 0; /* every client comes from 127.0.0.1 */
  config.max_pending_invokes = 1024;
  /* Scenario 1 says "rate limits off": unlimited buckets. */
  rmt_rate unlimited = {0, 0};
  config.event_rate = unlimited;
  config.unreliable_rate = unlimited;
  config.invoke_rate = unlimited;
  config.byte_rate = unlimited;
  rmt_error err = {0};
  s->server = rmt_server_create(&config, &err);
  if (!s->server) {
    fprintf(stderr, "rmt_server_create: %s\n", err.message);
    free(s);
    return NULL;
  }
  if (rmt_server_remote_create(s->server, "Bench/Fire", RMT_REMOTE_EVENT, &s->fire, &err) != RMT_OK ||
      rmt_server_remote_create(s->server, "Bench/Broadcast", RMT_REMOTE_EVENT, &s->broadcast, &err) != RMT_OK ||
      rmt_server_remote_create(s->server, "Bench/Invoke", RMT_REMOTE_FUNCTION, &s->invoke, &err) != RMT_OK ||
      !rmt_signal_connect(rmt_server_remote_signal(s->server, s->fire), on_fire, s) ||
      !rmt_signal_connect(rmt_server_player_added(s->server), on_player_added, s) ||
      !rmt_signal_connect(rmt_server_player_removing(s->server), on_player_removing, s) ||
      rmt_server_remote_on_invoke(s->server, s->invoke, on_invoke, s) != RMT_OK) {
    fprintf(stderr, "server setup: %s\n", err.message[0] ? err.message : "a signal or handler");
    rmt_server_destroy(s->server);
    free(s);
    return NULL;
  }
  return s;
}

uint16_t bsrv_port(const bench_server *s) { return rmt_server_port(s->server); }

int bsrv_service(bench_server *s, uint32_t timeout_ms) {
  int r = rmt_server_service(s->server, timeout_ms);
  if (r < 0) fprintf(stderr, "rmt_server_service: %s\n", rmt_strerror(r));
  return r;
}

int bsrv_broadcast(bench_server *s) {
  rmt_error err = {0};
  int r = rmt_server_fire_all(s->server, s->broadcast, event_args, 2, &err);
  if (r != RMT_OK) fprintf(stderr, "rmt_server_fire_all: %s\n", err.message);
  return r;
}

int bsrv_flush(bench_server *s) { return rmt_server_flush(s->server); }

uint32_t bsrv_clients(const bench_server *s) { return s->clients; }

void bsrv_destroy(bench_server *s) {
  if (!s) return;
  rmt_server_destroy(s->server);
  free(s);
}

/* ---- client ---- */
struct bench_client {
  rmt_client *client;
  int ready;
  rmt_remote_id fire, broadcast, invoke;
  uint64_t received, completed, failed;
};

static void on_broadcast(void *ud, const rmt_value *args, size_t nargs) {
  bench_client *c = ud;
  (void)args;
  (void)nargs;
  c->received++;
}

static void on_result(void *ud, int status, const rmt_value *results, size_t nresults,
                      const char *message) {
  bench_client *c = ud;
  (void)results;
  (void)nresults;
  if (status == RMT_OK) {
    c->completed++;
  } else if (status != RMT_ECANCELED) {
    fprintf(stderr, "invoke failed: %s (%s)\n", rmt_status_name(status), message);
    c->failed++;
  }
}

static void on_disconnect(void *ud, int status, const char *reason) {
  bench_client *c = ud;
  (void)c;
  fprintf(stderr, "bench remotes: client disconnected: %s (%s)\n", rmt_status_name(status), reason);
}

bench_client *bcli_create(uint16_t port, uint32_t index) {
  bench_client *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  char name[32];
  snprintf(name, sizeof name, "c%u", index);
  rmt_client_config config;
  rmt_client_config_default(&config);
  config.port = port;
  config.name = name;
  config.connect_timeout_ms = 30000;
  config.on_disconnect = on_disconnect;
  config.disconnect_ud = c;
  rmt_error err = {0};
  c->client = rmt_client_create(&config, &err);
  if (!c->client) {
    fprintf(stderr, "rmt_client_create: %s\n", err.message);
    free(c);
    return NULL;
  }
  return c;
}

/* Once joined: look the remotes up by name and listen, as an application would. */
static int client_setup(bench_client *c) {
  c->fire = rmt_client_remote_find(c->client, "Bench/Fire");
  c->broadcast = rmt_client_remote_find(c->client, "Bench/Broadcast");
  c->invoke = rmt_client_remote_find(c->client, "Bench/Invoke");
  if (!c->fire || !c->broadcast || !c->invoke) return -1;
  if (!rmt_signal_connect(rmt_client_remote_signal(c->client, c->broadcast), on_broadcast, c))
    return -1;
  c->ready = 1;
  return 0;
}

int bcli_service(bench_client *c, uint32_t timeout_ms) {
  int r = rmt_client_service(c->client, timeout_ms);
  if (r < 0) {
    fprintf(stderr, "rmt_client_service: %s\n", rmt_client_disconnect_reason(c->client));
    return r;
  }
  if (!c->ready && rmt_client_state(c->client) == RMT_CLIENT_CONNECTED &&
      client_setup(c) != 0) {
    fprintf(stderr, "client setup: remotes not found\n");
    return -1;
  }
  return c->failed ? -1 : r;
}

int bcli_state(const bench_client *c) {
  rmt_connection_state state = rmt_client_state(c->client);
  if (state == RMT_CLIENT_DISCONNECTED) return -1;
  return c->ready;
}

int bcli_fire(bench_client *c, bench_payload payload) {
  size_t nargs;
  const rmt_value *args = payload_args(payload, &nargs);
  rmt_error err = {0};
  int r = rmt_client_fire(c->client, c->fire, args, nargs, &err);
  if (r != RMT_OK) fprintf(stderr, "rmt_client_fire: %s\n", err.message);
  return r;
}

int bcli_flush(bench_client *c) { return rmt_client_flush(c->client); }

uint64_t bcli_received(const bench_client *c) { return c->received; }

int bcli_invoke(bench_client *c) {
  rmt_error err = {0};
  int r = rmt_client_invoke(c->client, c->invoke, jump_args, 2, 0, on_result, c, &err);
  if (r != RMT_OK) fprintf(stderr, "rmt_client_invoke: %s\n", err.message);
  return r;
}

uint64_t bcli_completed(const bench_client *c) { return c->completed; }

int bcli_invoke_sync(bench_client *c) {
  rmt_value *results = NULL;
  size_t nresults = 0;
  rmt_error err = {0};
  int r = rmt_client_invoke_sync(c->client, c->invoke, jump_args, 2, 0, &results, &nresults,
                                 &err);
  if (r != RMT_OK) {
    fprintf(stderr, "rmt_client_invoke_sync: %s\n", err.message);
    return r;
  }
  rmt_values_free(results, NULL);
  c->completed++;
  return 0;
}

void bcli_destroy(bench_client *c) {
  if (!c) return;
  rmt_client_destroy(c->client);
  free(c);
}
