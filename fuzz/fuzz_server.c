/* fuzz_server.c - arbitrary packets as if from a connected peer, through the server's real
 * receive path (handshake, framing, registry lookups, rate limits, queues, invokes).
 * Input: a sequence of [u16 length LE][channel byte][bytes]; when the first byte's low bit
 * is set a valid HELLO is fed first, so the fuzzer also explores the joined state. */
#include <stdint.h>
#include <string.h>

#include "engine.h"

static rmt_server *server;

static void listener(void *ud, const rmt_value *args, size_t n) {
  (void)ud;
  (void)args;
  (void)n;
}

/* Warnings (queue overflow) are expected by the thousand here; keep them off stderr. */
static void quiet(void *ud, rmt_log_level level, const char *message) {
  (void)ud;
  (void)level;
  (void)message;
}

static void echo(void *ud, rmt_invocation *inv, const rmt_value *args, size_t n) {
  (void)ud;
  if (n > 1 && args[1].type == RMT_TSTRING) rmt_invocation_error(inv, args[1].as.string.ptr);
  else rmt_invocation_return(inv, args, n);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  rmt_server_config cfg;
  rmt_server_config_default(&cfg);
  cfg.log = quiet;
  server = rmt_server_create(&cfg, NULL);
  if (!server) return 1;
  rmt_remote_id id;
  rmt_server_remote_create(server, "Ev", RMT_REMOTE_EVENT, &id, NULL);
  rmt_signal_connect(rmt_server_remote_signal(server, id), listener, NULL);
  rmt_server_remote_create(server, "Un", RMT_UNRELIABLE_REMOTE_EVENT, &id, NULL);
  rmt_signal_connect(rmt_server_remote_signal(server, id), listener, NULL);
  rmt_server_remote_create(server, "Fn", RMT_REMOTE_FUNCTION, &id, NULL);
  rmt_server_remote_on_invoke(server, id, echo, NULL);
  rmt_server_remote_create(server, "Queued", RMT_REMOTE_EVENT, NULL, NULL);
  /* Id 6 and 7: declared argument types, checked after decoding. */
  rmt_server_remote_create(server, "Typed", RMT_REMOTE_EVENT, &id, NULL);
  rmt_signal_connect(rmt_server_remote_signal(server, id), listener, NULL);
  rmt_server_remote_set_schema(server, id, "\"vote\" | \"purchase\", (\"yes\" | \"no\")?", NULL);
  rmt_server_remote_create(server, "TypedFn", RMT_REMOTE_FUNCTION, &id, NULL);
  rmt_server_remote_on_invoke(server, id, echo, NULL);
  rmt_server_remote_set_schema(server, id, "{name: string(1..20), count: number(int, 0..99)}, Vector3?", NULL);
  rmt_server_remote_create(server, "NoHandler", RMT_REMOTE_FUNCTION, NULL, NULL);
  return 0;
}

static const uint8_t hello[] = {
    /* tag (HELLO<<3 | CONTROL), body length, magic "RMT1" LE, the version (one varint byte
     * while it is below 128), name "Fz", no ticket */
    (RMT_CTL_HELLO << 3) | RMT_MSG_CONTROL, 9, 0x31, 0x54, 0x4d, 0x52, RMT_PROTOCOL_VERSION, 2,
    'F', 'z', 0};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rmt_fed_packet packets[64];
  size_t n = 0;
  if (size && (data[0] & 1)) packets[n++] = (rmt_fed_packet){hello, sizeof hello, 0};
  size_t off = size ? 1 : 0;
  while (n < 64 && size - off >= 3) {
    size_t len = (size_t)data[off] | (size_t)data[off + 1] << 8;
    int ch = data[off + 2];
    off += 3;
    if (len > size - off) len = size - off;
    packets[n++] = (rmt_fed_packet){data + off, len, ch};
    off += len;
  }
  rmt__server_feed(server, packets, n);
  return 0;
}
