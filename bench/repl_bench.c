/* repl_bench.c - scenario 8, replication cost (remotes only: ENet and socket.io have no
 * replicated state): bytes a client receives when it joins a server holding N IntValues,
 * bytes per Value change, and what ten changes to one Value in one tick cost. Figures come
 * from the server's own byte counters (ENet packets as handed to ENet, UDP/IP headers not
 * included). Prints one JSON object. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remotes.h"

typedef struct seen {
  size_t created, values;
} seen;

static void on_replica(void *ud, rmt_replica_event ev, rmt_instance_id id, const char *attr) {
  seen *s = ud;
  (void)id;
  (void)attr;
  if (ev == RMT_REPLICA_CREATED) s->created++;
  if (ev == RMT_REPLICA_VALUE) s->values++;
}

static uint64_t sent(const rmt_server *server) {
  rmt_stats st;
  rmt_server_player_stats(server, 0, &st);
  return st.bytes_out;
}

static void pump(rmt_server *s, rmt_client *c, const size_t *counter, size_t want) {
  for (int i = 0; i < 20000 && *counter < want; i++) {
    rmt_server_service(s, 0);
    rmt_client_service(c, 1);
  }
  for (int i = 0; i < 20; i++) { /* let acknowledgements and stragglers settle */
    rmt_server_service(s, 0);
    rmt_client_service(c, 1);
  }
}

int main(int argc, char **argv) {
  size_t n = 1000;
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], "--instances") == 0) n = (size_t)strtoul(argv[i + 1], NULL, 10);
  rmt_server_config sc;
  rmt_server_config_default(&sc);
  rmt_server *server = rmt_server_create(&sc, NULL);
  if (!server) return 1;
  rmt_instance_id root, *ids = calloc(n, sizeof *ids);
  if (!ids) return 1;
  rmt_server_instance_create(server, 0, "Workspace", "Workspace", &root, NULL);
  for (size_t i = 0; i < n; i++) {
    char name[32];
    snprintf(name, sizeof name, "Value%zu", i);
    rmt_server_instance_create(server, root, "IntValue", name, &ids[i], NULL);
    rmt_value v = rmt_num((double)i);
    rmt_server_instance_set_value(server, ids[i], &v, NULL);
  }
  rmt_server_flush(server);

  rmt_client_config cc;
  rmt_client_config_default(&cc);
  cc.port = rmt_server_port(server);
  cc.name = "Bench";
  rmt_client *client = rmt_client_create(&cc, NULL);
  if (!client) return 1;
  seen s = {0, 0};
  rmt_client_on_replica(client, on_replica, &s);
  uint64_t before = sent(server);
  /* n values + the root + the client's own Player instance */
  pump(server, client, &s.created, n + 2);
  uint64_t join = sent(server) - before;

  before = sent(server);
  for (size_t i = 0; i < n; i++) {
    rmt_value v = rmt_num((double)(n + i));
    rmt_server_instance_set_value(server, ids[i], &v, NULL);
  }
  pump(server, client, &s.values, n);
  uint64_t changes = sent(server) - before;

  before = sent(server);
  size_t values_before = s.values;
  for (int k = 0; k < 10; k++) {
    rmt_value v = rmt_num(5000 + k);
    rmt_server_instance_set_value(server, ids[0], &v, NULL);
  }
  pump(server, client, &s.values, values_before + 1);
  uint64_t ten_in_a_tick = sent(server) - before;

  printf("{\"peer\":\"remotes\",\"scenario\":\"replication\",\"clients\":1,\"runs\":[{"
         "\"instances\":%zu,\"join_bytes\":%llu,\"bytes_per_change\":%.2f,"
         "\"ten_sets_one_tick_bytes\":%llu,\"ten_sets_one_tick_messages\":%zu}]}\n",
         n, (unsigned long long)join, (double)changes / (double)n,
         (unsigned long long)ten_in_a_tick, s.values - values_before);
  rmt_client_destroy(client);
  rmt_server_destroy(server);
  free(ids);
  return s.created >= n + 2 ? 0 : 1;
}
