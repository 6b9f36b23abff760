/* fuzz_client.c - arbitrary packets as if from the server, through a client's receive path
 * (welcome, registry and player updates, events, invokes, results). One client lives across
 * inputs, so sequences of packets build up state the way a long session does. It is
 * connected over an in-memory transport, so its HELLO and answers are really sent (counted
 * and dropped there) instead of failing against a peer that never connected.
 * Input: [channel byte][packet bytes]. */
#include <stdint.h>
#include <string.h>

#include "engine.h"

static rmt_client *client;

static void listener(void *ud, const rmt_value *args, size_t n) {
  (void)ud;
  (void)args;
  (void)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!client) {
    rmt_client_config cfg;
    rmt_client_config_default(&cfg);
    cfg.name = "Fuzz";
    cfg.linger_ms = 0;
    rmt_transport *tr = rmt__transport_mem_create(NULL, 0);
    rmt_conn *conn = tr ? rmt__mem_connect(tr, 1) : NULL;
    client = conn ? rmt__client_create_on(&cfg, tr, conn, NULL) : NULL;
    if (!client) {
      if (tr) tr->ops->destroy(tr);
      return 0;
    }
    rmt_client_service(client, 0); /* takes the CONNECT: HELLO goes out, WELCOME is awaited */
  }
  if (!size) return 0;
  rmt_fed_packet p = {data + 1, size - 1, data[0]};
  rmt__client_feed(client, &p);
  /* Listen on whatever exists so the dispatch path runs too. */
  for (rmt_remote_id id = 1; id < 8; id++) {
    rmt_signal *sig = rmt_client_remote_signal(client, id);
    if (sig && !rmt_signal_listener_count(sig)) rmt_signal_connect(sig, listener, NULL);
  }
  return 0;
}
