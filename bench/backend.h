/* backend.h - what the scenario driver needs from a peer under test: a server and clients
 * that move the benchmark's events. A backend must do exactly the work a real user of its
 * library would do for the same event, nothing added and nothing skipped. */
#ifndef REMOTES_BENCH_BACKEND_H
#define REMOTES_BENCH_BACKEND_H

#include <stddef.h>
#include <stdint.h>

typedef enum bench_payload {
  BENCH_PAYLOAD_JUMP = 0,  /* ("jump", 150) */
  BENCH_PAYLOAD_TABLE = 1, /* ({name = "Alice", gold = 1200, level = 7}) */
  BENCH_PAYLOAD_COUNT_
} bench_payload;

/* Called from inside bsrv_service. client_index is the index the client was created with. */
typedef struct bench_server_hooks {
  void (*joined)(void *ud, uint32_t client_index);
  void (*fired)(void *ud, uint32_t client_index, uint32_t events);
  void *ud;
} bench_server_hooks;

typedef struct bench_server bench_server;
typedef struct bench_client bench_client;

/* Parses backend options (e.g. --batch for raw ENet); returns 1 when argv[i] was one. */
int bench_backend_option(const char *arg);
/* "remotes", "enet" or "enet-batched". */
const char *bench_backend_name(void);
/* Encoded argument bytes of a payload as this backend puts it on the wire. */
size_t bench_payload_len(bench_payload payload);
/* Hex of the encoded argument list `which` (0 jump, 1 table, 2 the broadcast event) into
 * out (NUL-terminated); returns the number of hex digits. */
size_t bench_payload_hex(int which, char *out, size_t cap);
int bench_backend_init(void);

bench_server *bsrv_create(uint32_t max_clients, const bench_server_hooks *hooks);
uint16_t bsrv_port(const bench_server *server);
/* Pumps the network up to timeout_ms; returns events handled or a negative status. */
int bsrv_service(bench_server *server, uint32_t timeout_ms);
/* Fires ("event", "A new round is starting!") to every client. */
int bsrv_broadcast(bench_server *server);
int bsrv_flush(bench_server *server);
uint32_t bsrv_clients(const bench_server *server);
void bsrv_destroy(bench_server *server);

bench_client *bcli_create(uint16_t port, uint32_t index);
int bcli_service(bench_client *client, uint32_t timeout_ms);
/* 1 joined, 0 still connecting, negative failed. */
int bcli_state(const bench_client *client);
int bcli_fire(bench_client *client, bench_payload payload);
int bcli_flush(bench_client *client);
/* Broadcast deliveries seen by this client so far. */
uint64_t bcli_received(const bench_client *client);
/* Invokes the echo function with ("jump", 150): async (completion counted by
 * bcli_completed) and blocking. */
int bcli_invoke(bench_client *client);
uint64_t bcli_completed(const bench_client *client);
int bcli_invoke_sync(bench_client *client);
void bcli_destroy(bench_client *client);

/* Scenario 6 (codec): fills ns per encode and decode for argument list `which`
 * (0 ("jump",150), 1 a 3-field table, 2 Vector3 + CFrame). Returns -1 when the backend
 * has no codec. */
int bench_codec(int which, double seconds, double *encode_ns, double *decode_ns,
                size_t *encoded_len);

#endif
