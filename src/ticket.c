/* ticket.c - signed join tickets: mint, verify and a bounded table of used nonces for the
 * reuse policy. Never trusts a byte before the signature checks, never grows past its cap. */
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "remotes_ticket.h"

#define TICKET_VERSION 1
#define TICKET_PREFIX "rmt1."
#define TICKET_PREFIX_LEN 5
#define TICKET_NAME_MAX 32
#define TICKET_TAG_BYTES crypto_auth_hmacsha256_BYTES
/* version, user id, expiry, nonce, name length */
#define TICKET_HEAD_BYTES (1 + 8 + 8 + RMT_TICKET_NONCE_BYTES + 1)
#define TICKET_MAX_BYTES (TICKET_HEAD_BYTES + TICKET_NAME_MAX + TICKET_TAG_BYTES)
#define TICKET_MAX_TTL 31536000u /* one year: anything longer is a key that never rotates */

typedef char ticket_text_fits_[(TICKET_PREFIX_LEN + (TICKET_MAX_BYTES * 4 + 2) / 3 + 1 <=
                                RMT_TICKET_TEXT_MAX) ? 1 : -1];

static int ticket_name_valid(const char *name, size_t len) {
  if (len < 1 || len > TICKET_NAME_MAX) return 0;
  for (size_t i = 0; i < len; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return 0;
  }
  return 1;
}

static void put_u64le(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64le(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

static uint64_t unix_now(void) {
  time_t t = time(NULL);
  return t > 0 ? (uint64_t)t : 0;
}

int rmt_ticket_mint(const uint8_t *key, size_t keylen, uint64_t user_id, const char *name,
                    uint32_t ttl_seconds, char *out, size_t cap, rmt_error *err) {
  if (out && cap) out[0] = 0;
  if (!key || keylen != RMT_TICKET_KEY_BYTES)
    return rmt__seterr(err, RMT_EINVAL, "ticket key must be %d bytes", RMT_TICKET_KEY_BYTES);
  size_t name_len = name ? strlen(name) : 0;
  if (!ticket_name_valid(name, name_len))
    return rmt__seterr(err, RMT_EINVAL, "ticket name must be 1-32 characters of A-Z, a-z, 0-9 and _");
  if (ttl_seconds < 1 || ttl_seconds > TICKET_MAX_TTL)
    return rmt__seterr(err, RMT_EINVAL, "ticket lifetime must be 1..%u seconds", TICKET_MAX_TTL);
  if (!out) return rmt__seterr(err, RMT_EINVAL, "no output buffer");
  if (sodium_init() < 0) return rmt__seterr(err, RMT_EINVAL, "libsodium could not initialise");
  uint8_t bin[TICKET_MAX_BYTES];
  size_t n = 0;
  bin[n++] = TICKET_VERSION;
  put_u64le(bin + n, user_id);
  n += 8;
  put_u64le(bin + n, unix_now() + ttl_seconds);
  n += 8;
  randombytes_buf(bin + n, RMT_TICKET_NONCE_BYTES);
  n += RMT_TICKET_NONCE_BYTES;
  bin[n++] = (uint8_t)name_len;
  memcpy(bin + n, name, name_len);
  n += name_len;
  crypto_auth_hmacsha256(bin + n, bin, n, key);
  n += TICKET_TAG_BYTES;
  size_t need = TICKET_PREFIX_LEN +
                sodium_base64_encoded_len(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  if (cap < need)
    return rmt__seterr(err, RMT_ELIMIT, "ticket needs %zu bytes of output, got %zu", need, cap);
  memcpy(out, TICKET_PREFIX, TICKET_PREFIX_LEN);
  sodium_bin2base64(out + TICKET_PREFIX_LEN, cap - TICKET_PREFIX_LEN, bin, n,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  rmt__clearerr(err);
  return RMT_OK;
}

static int refuse(rmt_ticket *out, rmt_error *err, int v,
                                 const char *fmt, ...) RMT_PRINTF(4, 5);
static int refuse(rmt_ticket *out, rmt_error *err, int v,
                                 const char *fmt, ...) {
  va_list ap;
  if (out) memset(out, 0, sizeof *out);
  va_start(ap, fmt);
  rmt__vseterr(err, v, fmt, ap);
  va_end(ap);
  return v;
}

/* Decodes the text into bin; on success *len is the byte count and *body the signed part. */
static int parse(const char *text, size_t len, uint8_t *bin, size_t *n,
                                rmt_ticket *t, rmt_error *err) {
  const char *why = NULL;
  if (!text || len == 0) return refuse(t, err, RMT_ENOTICKET, "ticket missing");
  if (len >= RMT_TICKET_TEXT_MAX) why = "too long";
  else if (len <= TICKET_PREFIX_LEN || memcmp(text, TICKET_PREFIX, TICKET_PREFIX_LEN) != 0)
    why = "does not start with rmt1.";
  else if (sodium_base642bin(bin, TICKET_MAX_BYTES, text + TICKET_PREFIX_LEN,
                             len - TICKET_PREFIX_LEN, NULL, n, NULL,
                             sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
    why = "not base64url";
  else if (*n < TICKET_HEAD_BYTES + 1 + TICKET_TAG_BYTES)
    why = "too short";
  else if (bin[0] != TICKET_VERSION)
    why = "unknown version";
  else if ((size_t)bin[TICKET_HEAD_BYTES - 1] + TICKET_HEAD_BYTES + TICKET_TAG_BYTES != *n)
    why = "wrong length";
  else if (!ticket_name_valid((const char *)bin + TICKET_HEAD_BYTES, bin[TICKET_HEAD_BYTES - 1]))
    why = "invalid name";
  if (why) return refuse(t, err, RMT_EDECODE, "ticket malformed: %s", why);
  if (t) {
    memset(t, 0, sizeof *t);
    t->user_id = get_u64le(bin + 1);
    t->expires_at = get_u64le(bin + 9);
    memcpy(t->nonce, bin + 17, RMT_TICKET_NONCE_BYTES);
    memcpy(t->name, bin + TICKET_HEAD_BYTES, bin[TICKET_HEAD_BYTES - 1]);
  }
  return RMT_OK;
}

int rmt_ticket_peek(const char *text, size_t len, rmt_ticket *out,
                                   rmt_error *err) {
  uint8_t bin[TICKET_MAX_BYTES];
  size_t n = 0;
  int v = parse(text, len, bin, &n, out, err);
  if (v == RMT_OK) rmt__clearerr(err);
  return v;
}

/* ---- the used-ticket table: open addressing keyed by the (random) nonce ---- */

typedef struct used_slot {
  uint8_t nonce[RMT_TICKET_NONCE_BYTES];
  uint64_t expires_at; /* 0 = empty slot */
  uint32_t uses;
} used_slot;

struct rmt_ticket_guard {
  rmt_allocator alloc_copy;
  const rmt_allocator *alloc;
  uint32_t max_uses;
  uint32_t capacity;
  used_slot *slots;
  size_t nslots; /* power of two, at least twice count */
  size_t count;
};

rmt_ticket_guard *rmt_ticket_guard_create(uint32_t max_uses, uint32_t capacity,
                                          const rmt_allocator *alloc) {
  rmt_ticket_guard *g = rmt__alloc(alloc, sizeof *g);
  if (!g) return NULL;
  memset(g, 0, sizeof *g);
  if (alloc) {
    g->alloc_copy = *alloc;
    g->alloc = &g->alloc_copy;
  }
  g->max_uses = max_uses;
  g->capacity = capacity ? capacity : 65536;
  return g;
}

void rmt_ticket_guard_destroy(rmt_ticket_guard *g) {
  if (!g) return;
  rmt__free(g->alloc, g->slots, g->nslots * sizeof *g->slots);
  rmt_allocator a = g->alloc_copy;
  rmt__free(g->alloc ? &a : NULL, g, sizeof *g);
}

size_t rmt_ticket_guard_count(const rmt_ticket_guard *g) { return g ? g->count : 0; }

static size_t slot_home(const rmt_ticket_guard *g, const uint8_t *nonce) {
  uint64_t h = get_u64le(nonce);
  return (size_t)(h ^ (h >> 29)) & (g->nslots - 1);
}

static used_slot *slot_find(rmt_ticket_guard *g, const uint8_t *nonce, int *found) {
  size_t i = slot_home(g, nonce);
  for (;;) {
    used_slot *s = &g->slots[i];
    if (!s->expires_at) {
      *found = 0;
      return s;
    }
    if (memcmp(s->nonce, nonce, RMT_TICKET_NONCE_BYTES) == 0) {
      *found = 1;
      return s;
    }
    i = (i + 1) & (g->nslots - 1);
  }
}

/* Rebuilds the table without expired entries, sized for one more live ticket. */
static int guard_rebuild(rmt_ticket_guard *g, uint64_t now) {
  size_t live = 0;
  for (size_t i = 0; i < g->nslots; i++)
    if (g->slots[i].expires_at > now) live++;
  size_t want = 16;
  while (want < 2 * (live + 1)) want *= 2;
  used_slot *fresh = rmt__alloc(g->alloc, want * sizeof *fresh);
  if (!fresh) return RMT_ENOMEM;
  memset(fresh, 0, want * sizeof *fresh);
  used_slot *old = g->slots;
  size_t nold = g->nslots;
  g->slots = fresh;
  g->nslots = want;
  g->count = 0;
  for (size_t i = 0; i < nold; i++) {
    if (old[i].expires_at <= now) continue;
    int found;
    *slot_find(g, old[i].nonce, &found) = old[i];
    g->count++;
  }
  rmt__free(g->alloc, old, nold * sizeof *old);
  return RMT_OK;
}

static int guard_admit(rmt_ticket_guard *g, const rmt_ticket *t, uint64_t now,
                                      rmt_ticket *out, rmt_error *err) {
  if (g->max_uses == 0) return RMT_OK;
  int found = 0;
  used_slot *s = g->nslots ? slot_find(g, t->nonce, &found) : NULL;
  if (found) {
    if (s->uses >= g->max_uses) {
      if (g->max_uses == 1)
        return refuse(out, err, RMT_EREUSED, "ticket already used (single use)");
      return refuse(out, err, RMT_EREUSED, "ticket reused: at most %u joins per ticket",
                    g->max_uses);
    }
    s->uses++;
    return RMT_OK;
  }
  if (!g->nslots || g->count >= g->capacity || 2 * (g->count + 1) > g->nslots) {
    size_t live = 0;
    for (size_t i = 0; i < g->nslots; i++)
      if (g->slots[i].expires_at > now) live++;
    if (live >= g->capacity)
      return refuse(out, err, RMT_ELIMIT,
                    "ticket refused: the server is tracking too many live tickets; try again later");
    if (guard_rebuild(g, now))
      return refuse(out, err, RMT_ELIMIT, "ticket refused: server out of memory");
    s = slot_find(g, t->nonce, &found);
  }
  memcpy(s->nonce, t->nonce, RMT_TICKET_NONCE_BYTES);
  s->expires_at = t->expires_at;
  s->uses = 1;
  g->count++;
  return RMT_OK;
}

int rmt_ticket_verify(const uint8_t *key, size_t keylen, const char *text,
                                     size_t len, uint64_t now, rmt_ticket_guard *guard,
                                     rmt_ticket *out, rmt_error *err) {
  if (!key || keylen != RMT_TICKET_KEY_BYTES)
    return refuse(out, err, RMT_EINVAL, "ticket key must be %d bytes", RMT_TICKET_KEY_BYTES);
  uint8_t bin[TICKET_MAX_BYTES];
  size_t n = 0;
  rmt_ticket t;
  int v = parse(text, len, bin, &n, &t, err);
  if (v != RMT_OK) {
    if (out) memset(out, 0, sizeof *out);
    return v;
  }
  if (crypto_auth_hmacsha256_verify(bin + n - TICKET_TAG_BYTES, bin, n - TICKET_TAG_BYTES, key) != 0)
    return refuse(out, err, RMT_EFORGED, "ticket forged: bad signature");
  if (!now) now = unix_now();
  if (now >= t.expires_at) {
    return refuse(out, err, RMT_EEXPIRED, "ticket expired %llu s ago",
                  (unsigned long long)(now - t.expires_at));
  }
  if (guard && (v = guard_admit(guard, &t, now, out, err)) != RMT_OK) return v;
  if (out) *out = t;
  rmt__clearerr(err);
  return RMT_OK;
}
