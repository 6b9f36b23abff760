/*
 * output.c - the one path every line of script output takes: control bytes escaped so no
 * text can forge a line or hide behind a NUL, warnings and errors rate-limited per source,
 * and the default "[origin] text" writer. It never touches Lua.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"

#define OUT_LINES_PER_SOURCE 5 /* warning/error lines a second from one source */
#define OUT_LINES_TOTAL 50     /* ... and from all sources together */
#define OUT_WINDOW 1.0         /* seconds */

static void write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return;
    }
    p += w;
    n -= (size_t)w;
  }
}

/* The first line becomes "[origin] text" (with "WARNING: "/"ERROR: " on stderr), every further
 * line "[origin]| text": a first line always has a space after the "]", so no message can
 * print a line that passes for the start or the continuation of another. The text has no
 * control bytes but tab and newline (lh_emitl escaped them). Built into one buffer and
 * written with one write so concurrent processes do not interleave lines. */
void rmt_host_default_output(void *ud, rmt_host_stream stream, const char *text) {
  rmt_host *host = ud;
  const char *tag = stream == RMT_HOST_WARN ? "WARNING: " : stream == RMT_HOST_ERROR ? "ERROR: " : "";
  int fd = stream == RMT_HOST_PRINT ? 1 : 2;
  size_t olen = strlen(host->origin), lines = 1, cap, len = 0;
  const char *p;
  char *buf;
  for (p = text; *p; p++)
    if (*p == '\n') lines++;
  cap = strlen(text) + lines * (olen + 4) + strlen(tag) + 1;
  buf = lh_realloc(host, NULL, 0, cap);
  if (!buf) return;
  p = text;
  for (;;) {
    const char *nl = strchr(p, '\n');
    size_t n = nl ? (size_t)(nl - p) : strlen(p);
    buf[len++] = '[';
    memcpy(buf + len, host->origin, olen);
    len += olen;
    buf[len++] = ']';
    buf[len++] = p == text ? ' ' : '|';
    if (p == text) {
      memcpy(buf + len, tag, strlen(tag));
      len += strlen(tag);
    } else if (n > 0) {
      buf[len++] = ' ';
    }
    memcpy(buf + len, p, n);
    len += n;
    buf[len++] = '\n';
    if (!nl) break;
    p = nl + 1;
  }
  write_all(fd, buf, len);
  lh_realloc(host, buf, cap, 0);
}

/* ---- rate limit: warnings and errors, per source ---- */

/* The source of a message: "file:line:" for a script error or warning that starts with one,
 * else the text up to the first quote (where names and client data begin) and at most
 * RMT_OUT_KEY - 1 bytes, with each run of digits as one '#' (counts and ids vary). */
static size_t source_key(const char *text, size_t len, char *key) {
  size_t i, k = 0;
  const char *colon = memchr(text, ':', len < 200 ? len : 200);
  if (colon && colon > text && (size_t)(colon - text) + 1 < len && colon[1] >= '0' && colon[1] <= '9') {
    const char *q = colon + 1;
    while ((size_t)(q - text) < len && *q >= '0' && *q <= '9') q++;
    if ((size_t)(q - text) < len && *q == ':' && memchr(text, '\n', (size_t)(q - text)) == NULL) {
      size_t n = (size_t)(colon - text);
      if (n > RMT_OUT_KEY - 4) n = RMT_OUT_KEY - 4;
      memcpy(key, text, n);
      memcpy(key + n, ":#:", 3);
      return n + 3;
    }
  }
  for (i = 0; i < len && k < RMT_OUT_KEY - 1; i++) {
    char c = text[i];
    if (c == '"' || c == '\'' || c == '\n') break;
    if (c >= '0' && c <= '9') {
      if (k == 0 || key[k - 1] != '#') key[k++] = '#';
      continue;
    }
    key[k++] = c;
  }
  return k;
}

static void emit_raw(rmt_host *host, rmt_host_stream stream, const char *text) {
  host->output(host->output_ud, stream, text);
}

static void summarize(rmt_host *host, lh_out_slot *s) {
  if (s->hidden) {
    char buf[RMT_OUT_KEY + 96];
    snprintf(buf, sizeof buf, "%u similar messages suppressed (at most %d a second): %.*s%s",
             s->hidden, OUT_LINES_PER_SOURCE, (int)s->keylen, s->key,
             s->keylen == RMT_OUT_KEY - 1 ? "..." : "");
    emit_raw(host, (rmt_host_stream)s->stream, buf);
  }
  s->hidden = 0;
}

void lh_output_tick(rmt_host *host, int final) {
  double now = lh_now(host);
  size_t i;
  for (i = 0; i < RMT_OUT_SLOTS; i++) {
    lh_out_slot *s = &host->outlim.slots[i];
    if (!s->used) continue;
    if (final || now - s->start >= OUT_WINDOW) {
      summarize(host, s);
      s->used = 0;
    }
  }
}

/* 1 if a line from this source may be shown now; otherwise it is counted for the summary. */
static int admit(rmt_host *host, rmt_host_stream stream, const char *text, size_t len) {
  lh_out_limit *lim = &host->outlim;
  char key[RMT_OUT_KEY];
  size_t klen = source_key(text, len, key), i;
  lh_out_slot *s = NULL, *free_slot = NULL, *oldest = NULL;
  double now = lh_now(host);
  for (i = 0; i < RMT_OUT_SLOTS; i++) {
    lh_out_slot *x = &lim->slots[i];
    if (x->used && now - x->start >= OUT_WINDOW) { /* its window ended */
      summarize(host, x);
      x->used = 0;
    }
    if (!x->used) {
      if (!free_slot) free_slot = x;
      continue;
    }
    if (x->stream == (int)stream && x->keylen == klen && memcmp(x->key, key, klen) == 0) s = x;
    if (!oldest || x->start < oldest->start) oldest = x;
  }
  if (!s) {
    s = free_slot;
    if (!s) { /* every slot busy: the oldest window ends early */
      s = oldest;
      summarize(host, s);
    }
    memset(s, 0, sizeof *s);
    s->used = 1;
    s->stream = (int)stream;
    s->start = now;
    memcpy(s->key, key, klen);
    s->keylen = klen;
  }
  if (now - lim->start >= OUT_WINDOW) {
    lim->start = now;
    lim->shown = 0;
  }
  if (s->shown >= OUT_LINES_PER_SOURCE || lim->shown >= OUT_LINES_TOTAL) {
    s->hidden++;
    return 0;
  }
  s->shown++;
  lim->shown++;
  return 1;
}

/* ---- long script names (chunk ids) ---- */

long lh_chunk_add(rmt_host *host, const char *name, size_t len) {
  lh_chunk_names *c = &host->chunks;
  char *copy;
  if (c->count >= RMT_CHUNK_MAX) return -1;
  if (c->count == c->cap) {
    unsigned ncap = c->cap ? c->cap * 2 : 16;
    char **nn = lh_realloc(host, c->names, c->cap * sizeof *nn, ncap * sizeof *nn);
    if (!nn) return -1;
    c->names = nn;
    c->cap = ncap;
  }
  if (len > RMT_CHUNK_NAME_MAX) len = RMT_CHUNK_NAME_MAX;
  copy = lh_realloc(host, NULL, 0, len + 1);
  if (!copy) return -1;
  memcpy(copy, name, len);
  copy[len] = 0;
  c->names[c->count] = copy;
  return (long)c->count++;
}

void lh_chunk_free(rmt_host *host) {
  lh_chunk_names *c = &host->chunks;
  unsigned i;
  for (i = 0; i < c->count; i++) lh_realloc(host, c->names[i], strlen(c->names[i]) + 1, 0);
  if (c->names) lh_realloc(host, c->names, c->cap * sizeof *c->names, 0);
  memset(c, 0, sizeof *c);
}

/* The name of the id marker at text[i] ("\x01<digits>\x02"), its length in *mlen; NULL when
 * there is none. */
static const char *chunk_at(const rmt_host *host, const char *text, size_t len, size_t i, size_t *mlen) {
  size_t j = i + 1;
  unsigned long id = 0;
  if (text[i] != 1) return NULL;
  while (j < len && j - i <= 6 && text[j] >= '0' && text[j] <= '9') id = id * 10 + (unsigned long)(text[j++] - '0');
  if (j == i + 1 || j >= len || text[j] != 2 || id >= host->chunks.count) return NULL;
  *mlen = j + 1 - i;
  return host->chunks.names[id];
}

size_t lh_chunk_expand(const rmt_host *host, const char *text, size_t len, char *out) {
  size_t i, n = 0, mlen;
  if (host->chunks.count == 0 || !memchr(text, 1, len)) {
    if (out) memcpy(out, text, len);
    return len;
  }
  for (i = 0; i < len;) {
    const char *name = chunk_at(host, text, len, i, &mlen);
    if (name) {
      size_t nl = strlen(name);
      if (out) memcpy(out + n, name, nl);
      n += nl;
      i += mlen;
    } else {
      if (out) out[n] = text[i];
      n++;
      i++;
    }
  }
  return n;
}

/* ---- emit ---- */

/* Control bytes other than tab and newline (and DEL, and the C1 controls as UTF-8) become
 * \0, \r, \x1b...: a terminal never acts on script text and a NUL does not end it. */
static size_t escape(const char *text, size_t len, char *out) {
  static const char hex[] = "0123456789abcdef";
  size_t i, n = 0;
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)text[i];
    if (c == '\t' || c == '\n' || (c >= 0x20 && c < 0x7f && c != 0) ||
        (c >= 0x80 && !(c == 0xc2 && i + 1 < len && (unsigned char)text[i + 1] < 0xa0 &&
                        (unsigned char)text[i + 1] >= 0x80))) {
      if (out) out[n] = (char)c;
      n++;
      continue;
    }
    if (c == 0xc2) { /* a C1 control: both bytes as \xc2\x9b */
      if (out) memcpy(out + n, "\\xc2", 4);
      n += 4;
      c = (unsigned char)text[++i];
    }
    if (out) {
      if (c == 0) memcpy(out + n, "\\0", 2);
      else if (c == '\r') memcpy(out + n, "\\r", 2);
      else {
        out[n] = '\\';
        out[n + 1] = 'x';
        out[n + 2] = hex[c >> 4];
        out[n + 3] = hex[c & 15];
      }
    }
    n += (c == 0 || c == '\r') ? 2 : 4;
  }
  return n;
}

static void emit_expanded(rmt_host *host, rmt_host_stream stream, const char *text, size_t len) {
  size_t n;
  char *buf;
  if (stream != RMT_HOST_PRINT && !admit(host, stream, text, len)) return;
  n = escape(text, len, NULL);
  if (n == len) { /* nothing to escape (a NUL would have grown it) */
    emit_raw(host, stream, text);
    return;
  }
  buf = lh_realloc(host, NULL, 0, n + 1);
  if (!buf) return;
  escape(text, len, buf);
  buf[n] = 0;
  emit_raw(host, stream, buf);
  lh_realloc(host, buf, n + 1, 0);
}

void lh_emitl(rmt_host *host, rmt_host_stream stream, const char *text, size_t len) {
  size_t n;
  char *buf;
  if (host->chunks.count && memchr(text, 1, len)) { /* long script names by id: show them */
    n = lh_chunk_expand(host, text, len, NULL);
    buf = lh_realloc(host, NULL, 0, n + 1);
    if (buf) {
      lh_chunk_expand(host, text, len, buf);
      buf[n] = 0;
      emit_expanded(host, stream, buf, n);
      lh_realloc(host, buf, n + 1, 0);
      return;
    }
  }
  emit_expanded(host, stream, text, len);
}

void rmt_host_emit(rmt_host *host, rmt_host_stream stream, const char *text) {
  lh_emitl(host, stream, text, strlen(text));
}

/* One formatted line, truncated at 1 KiB (a longer message is a bug in its caller). */
static void emit_vformat(rmt_host *host, rmt_host_stream stream, const char *fmt, va_list ap) {
  char buf[1024];
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  if (n < 0) return;
  lh_emitl(host, stream, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

void rmt_host_emitf(rmt_host *host, rmt_host_stream stream, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emit_vformat(host, stream, fmt, ap);
  va_end(ap);
}

void lh_errorl(rmt_host *host, const char *text, size_t len) {
  host->errors++;
  lh_emitl(host, RMT_HOST_ERROR, text, len);
}

void rmt_host_error(rmt_host *host, const char *fmt, ...) {
  va_list ap;
  host->errors++;
  va_start(ap, fmt);
  emit_vformat(host, RMT_HOST_ERROR, fmt, ap);
  va_end(ap);
}
