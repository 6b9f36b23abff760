/*
 * remotes_ticket.h - join tickets: who may join a remotes server, and as whom. Separate from
 * remotes.h because the code that mints tickets (a login service, a matchmaker) usually
 * has nothing else to do with remotes. Same conventions as remotes.h: rmt_ prefix, an
 * rmt_status from every call that can fail, detail in a nullable rmt_error.
 */
#ifndef REMOTES_TICKET_H
#define REMOTES_TICKET_H

#include "remotes.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------
 * Join tickets: who may join, and as whom
 *
 * A ticket is a short text token (`rmt1.` + unpadded base64url) carrying a user id, a
 * display name, an expiry (unix seconds) and a 16-byte random nonce, authenticated with
 * HMAC-SHA256 (libsodium crypto_auth_hmacsha256) under a 32-byte key shared by whoever
 * mints tickets and the servers that admit them. Clients hold tickets, never the key.
 * Format and reasoning: docs/security.md, "Join tickets".
 * ------------------------------------------------------------------------------------- */
#define RMT_TICKET_NONCE_BYTES 16
#define RMT_TICKET_TEXT_MAX 160 /* a ticket's text with its NUL always fits in this */

/* Why a ticket is refused: rmt_ticket_verify and rmt_ticket_peek return an rmt_status, RMT_OK
 * or one of
 *   RMT_ENOTICKET   the server requires a ticket and none was sent
 *   RMT_EDECODE     not a ticket: bad prefix, base64, length, version or name
 *   RMT_EFORGED     the signature does not match (another key, or altered bytes)
 *   RMT_EEXPIRED    now >= expiry
 *   RMT_EREUSED     used more often than the reuse policy allows
 *   RMT_ELIMIT      the used-ticket table is full of live tickets: try later
 *   RMT_EINVAL      the key is not RMT_TICKET_KEY_BYTES long (a caller bug)
 * with a sentence fit to show the client in err (nullable). */
/* What a ticket says. name is NUL-terminated (1..32 bytes of [A-Za-z0-9_]). */
typedef struct rmt_ticket {
  uint64_t user_id;
  char name[33];
  uint64_t expires_at; /* unix seconds */
  uint8_t nonce[RMT_TICKET_NONCE_BYTES];
} rmt_ticket;

/* Mints a ticket for (user_id, name) valid for ttl_seconds (1..31536000) from now, with a
 * fresh random nonce, and writes its NUL-terminated text into out[cap] (cap >=
 * RMT_TICKET_TEXT_MAX always suffices). key: RMT_TICKET_KEY_BYTES bytes, borrowed. Returns
 * RMT_OK; RMT_EINVAL (key length, name, ttl) or RMT_ELIMIT (cap too small) with err set. */
RMT_API int rmt_ticket_mint(const uint8_t *key, size_t keylen, uint64_t user_id,
                            const char *name, uint32_t ttl_seconds, char *out, size_t cap,
                            rmt_error *err);

/* Remembers which tickets were used, for a reuse policy: max_uses 0 = any number of uses
 * within expiry (nothing is tracked), 1 = single use, N = at most N joins per ticket. A
 * used nonce is kept until its ticket expires, in a table of at most `capacity` live
 * tickets (0 = 65536); when it is full of unexpired tickets new ones are refused with
 * RMT_ELIMIT rather than the table growing. Memory grows with use up to at
 * most 128 bytes per capacity slot (a power-of-two table kept at most half full). `alloc` is copied (NULL = malloc). NULL when out of memory;
 * free with rmt_ticket_guard_destroy (NULL is a no-op). */
typedef struct rmt_ticket_guard rmt_ticket_guard;
RMT_API rmt_ticket_guard *rmt_ticket_guard_create(uint32_t max_uses, uint32_t capacity,
                                                  const rmt_allocator *alloc);
RMT_API void rmt_ticket_guard_destroy(rmt_ticket_guard *guard);
/* Tickets currently tracked (used and not yet expired or swept). */
RMT_API size_t rmt_ticket_guard_count(const rmt_ticket_guard *guard);

/* Verifies `text` (len bytes, need not be NUL-terminated) under key at time `now` (unix
 * seconds; 0 = the current time). On RMT_OK *out (nullable) holds the identity
 * and, when `guard` is given, the use is recorded there (verification is checked before
 * the guard is touched, so forged or expired tickets never fill it). Otherwise *out is
 * zeroed and err (nullable) says why in a sentence fit to show the client, e.g.
 * `ticket forged: bad signature`. Constant-time signature comparison. */
RMT_API int rmt_ticket_verify(const uint8_t *key, size_t keylen, const char *text, size_t len,
                              uint64_t now, rmt_ticket_guard *guard, rmt_ticket *out,
                              rmt_error *err);

/* Reads a ticket's fields WITHOUT checking its signature or expiry: for display only
 * (e.g. a client showing whom its ticket names). RMT_OK, RMT_ENOTICKET (empty text) or
 * RMT_EDECODE. */
RMT_API int rmt_ticket_peek(const char *text, size_t len, rmt_ticket *out, rmt_error *err);

#ifdef __cplusplus
}
#endif
#endif /* REMOTES_TICKET_H */
