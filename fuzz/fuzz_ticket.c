/* fuzz_ticket.c - libFuzzer target for join tickets: arbitrary text through peek and verify
 * (with a fixed key and a small single-use guard). Must never crash, read out of bounds,
 * hand out fields of a refused ticket or let a single-use ticket pass twice. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "remotes.h"
#include "remotes_ticket.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t key[RMT_TICKET_KEY_BYTES] = {0x42};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static rmt_ticket_guard *guard;
  if (!guard) guard = rmt_ticket_guard_create(1, 64, NULL);
  rmt_ticket t;
  rmt_error err;
  int v = rmt_ticket_peek((const char *)data, size, &t, &err);
  if (v != RMT_OK && v != RMT_EDECODE && v != RMT_ENOTICKET) abort();
  if (v == RMT_OK && (t.name[0] == 0 || strlen(t.name) > 32)) abort();
  rmt_ticket peeked = t;
  v = rmt_ticket_verify(key, sizeof key, (const char *)data, size, 1, guard, &t, &err);
  if (v == RMT_OK) {
    /* Only the corpus's tickets (signed with this key) get here: they read as peek reads
     * them, and being single use they cannot pass twice. */
    if (t.user_id != peeked.user_id || t.expires_at != peeked.expires_at ||
        strcmp(t.name, peeked.name) != 0 || memcmp(t.nonce, peeked.nonce, sizeof t.nonce) != 0)
      abort();
    v = rmt_ticket_verify(key, sizeof key, (const char *)data, size, 1, guard, &t, &err);
    if (v != RMT_EREUSED && v != RMT_ELIMIT) abort();
  }
  if (memchr(err.message, 0, sizeof err.message) == NULL || err.message[0] == 0) abort();
  if (t.user_id || t.name[0]) abort(); /* nothing of a refused ticket is handed out */
  return 0;
}
