/*
 * luau_edit.c - the Luau translator's editing primitives: error reports, the output (source
 * copied up to a point, ranges dropped or replaced, text inserted at recorded offsets), the
 * token cursor, and rewrites of one literal token. It must never move a line break.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include "luau_internal.h"

#define MAX_DEPTH 200 /* nesting of blocks, (sub)expressions and types, counted as LuaJIT does */

void lh_fail_at(parser *p, int line, int col, const char *fmt, const char *a) {
  if (p->err && p->errlen) {
    char msg[160];
    snprintf(msg, sizeof msg, fmt, a ? a : "");
    snprintf(p->err, p->errlen, "%d:%d: %s", line, col, msg);
  }
  p->rc = RMT_EINVAL;
  longjmp(p->jb, 1);
}

void lh_fail_nomem(parser *p) {
  if (p->err && p->errlen) snprintf(p->err, p->errlen, "out of memory");
  p->rc = RMT_ENOMEM;
  longjmp(p->jb, 1);
}

/* ---------------------------------------------------------------------------------------
 * Output: the source is copied up to p->cur as the parser passes tokens; edits drop or
 * replace ranges and insert text at offsets recorded earlier.
 * ------------------------------------------------------------------------------------- */

void lh_put_mem(parser *p, const void *data, size_t n) {
  if (rmt_buf_append(p->out, data, n) != 0) lh_fail_nomem(p);
}
void lh_put_str(parser *p, const char *s) { lh_put_mem(p, s, strlen(s)); }

void lh_put_insert(parser *p, size_t at, const char *s, size_t n) {
  rmt_buf *o = p->out;
  if (rmt_buf_reserve(o, n) != 0) lh_fail_nomem(p);
  memmove(o->data + at + n, o->data + at, o->len - at);
  memcpy(o->data + at, s, n);
  o->len += n;
}

void lh_flush_to(parser *p, size_t pos) {
  if (pos > p->cur) lh_put_mem(p, p->src + p->cur, pos - p->cur);
  if (pos > p->cur) p->cur = pos;
}

size_t lh_count_breaks(const char *s, size_t n) {
  size_t k, lines = 0;
  for (k = 0; k < n; k++) {
    if (s[k] == '\n' || s[k] == '\r') {
      lines++;
      if (k + 1 < n && (s[k + 1] == '\n' || s[k + 1] == '\r') && s[k + 1] != s[k]) k++;
    }
  }
  return lines;
}

/* Appends n line breaks to b as "\n"; a space keeps them from pairing with a neighbouring
 * '\r' (LuaJIT counts "\r\n" and "\n\r" as one break). `next` is the byte that will follow. */
int lh_add_breaks(rmt_buf *b, size_t n, int next) {
  if (n == 0) return 0;
  if (b->len && b->data[b->len - 1] == '\r' && rmt_buf_append(b, " ", 1)) return RMT_ENOMEM;
  while (n--)
    if (rmt_buf_append(b, "\n", 1)) return RMT_ENOMEM;
  if (next == '\r' && rmt_buf_append(b, " ", 1)) return RMT_ENOMEM;
  return 0;
}

static int glue_safe_left(int c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(' || c == '{' || c == ',' ||
         c == ';';
}
static int glue_safe_right(int c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(' || c == ')' || c == '}' ||
         c == ']' || c == ',' || c == ';' || c == '=';
}

/* Drops source bytes up to pos, keeping their line breaks; a space stands in for a dropped
 * range on one line when the bytes around it could otherwise fuse into another token. */
void lh_drop_to(parser *p, size_t pos) {
  size_t lines;
  if (pos <= p->cur) return;
  lines = lh_count_breaks(p->src + p->cur, pos - p->cur);
  if (lines) {
    if (lh_add_breaks(p->out, lines, pos < p->len ? (unsigned char)p->src[pos] : -1)) lh_fail_nomem(p);
  } else {
    int left = p->out->len > p->base ? p->out->data[p->out->len - 1] : ' ';
    int right = pos < p->len ? (unsigned char)p->src[pos] : ' ';
    int breaks_pair = (left == '\r' || left == '\n') && (right == '\r' || right == '\n') &&
                      left != right; /* would become one "\r\n" */
    if ((!glue_safe_left(left) && !glue_safe_right(right)) || breaks_pair) lh_put_mem(p, " ", 1);
  }
  p->cur = pos;
}

/* ---------------------------------------------------------------------------------------
 * Parser helpers
 * ------------------------------------------------------------------------------------- */

void lh_error_near(parser *p, const char *msg) {
  const token *t = lh_cur(p);
  char near[128];
  if (t->type == TK_EOF) {
    snprintf(near, sizeof near, "%s near <eof>", msg);
  } else {
    size_t n = t->end - t->start;
    char text[24];
    size_t k;
    if (n > 20) n = 20;
    for (k = 0; k < n; k++) {
      char c = p->src[t->start + k];
      text[k] = (c == '\n' || c == '\r') ? ' ' : c;
    }
    text[n] = 0;
    snprintf(near, sizeof near, "%.60s near '%s'", msg, text);
  }
  lh_fail_at(p, t->line, t->col, "%s", near);
}

void lh_enter(parser *p) {
  if (++p->depth > MAX_DEPTH) lh_error_near(p, "chunk has too many syntax levels");
}
void lh_leave(parser *p) { p->depth--; }

/* Copies the current token (and the gap before it) to the output. */
void lh_emit(parser *p) {
  lh_flush_to(p, lh_cur(p)->end);
  lh_advance(p);
}

/* Escapes LuaJIT reads; Luau reads any other escaped character as itself (roblox-ts emits
 * "\}" in template strings), so those lose their backslash. */
static int escape_known(char d) {
  return (d != 0 && strchr("abfnrtvxzu\\\"'\n\r", d) != NULL) || (d >= '0' && d <= '9');
}

/* A string token: quoted strings with escapes LuaJIT does not know are rewritten. */
/* "\u{D800}".."\u{DFFF}": Luau writes a surrogate as its three UTF-8-style bytes, LuaJIT
 * refuses it. Returns the code point of the escape at s (0 when not one), *n its length. */
static unsigned long surrogate_escape(const char *s, const char *end, size_t *n) {
  unsigned long v = 0;
  const char *q = s + 3;
  if (end - s < 4 || s[1] != 'u' || s[2] != '{') return 0;
  while (q < end && isxdigit((unsigned char)*q) && v < 0x110000)
    v = v * 16 + (unsigned long)(isdigit((unsigned char)*q) ? *q - '0' : (*q | 0x20) - 'a' + 10), q++;
  if (q == end || *q != '}' || v < 0xD800 || v > 0xDFFF) return 0;
  *n = (size_t)(q + 1 - s);
  return v;
}

void lh_string_token(parser *p) {
  const token *t = lh_cur(p);
  size_t k, n;
  int q = p->src[t->start];
  const char *end = p->src + t->end;
  if (q == '"' || q == '\'') {
    for (k = t->start + 1; k + 1 < t->end; k++) {
      if (p->src[k] != '\\') continue;
      if (!escape_known(p->src[k + 1]) || surrogate_escape(p->src + k, end, &n)) break;
      k++;
    }
    if (k + 1 < t->end) {
      lh_flush_to(p, t->start);
      for (k = t->start; k < t->end; k++) {
        unsigned long cp;
        if (p->src[k] == '\\' && (cp = surrogate_escape(p->src + k, end, &n)) != 0) {
          char bytes[16];
          snprintf(bytes, sizeof bytes, "\\x%02X\\x%02X\\x%02X", (unsigned char)(0xE0 | (cp >> 12)),
                   (unsigned char)(0x80 | ((cp >> 6) & 0x3F)), (unsigned char)(0x80 | (cp & 0x3F)));
          lh_put_str(p, bytes);
          k += n - 1;
        } else if (p->src[k] == '\\' && k + 1 < t->end) {
          if (escape_known(p->src[k + 1])) lh_put_mem(p, p->src + k, 2);
          else lh_put_mem(p, p->src + k + 1, 1);
          k++;
        } else {
          lh_put_mem(p, p->src + k, 1);
        }
      }
      p->cur = t->end;
      lh_advance(p);
      return;
    }
  }
  lh_emit(p);
}

/* Writes `text` in place of the current token. */
void lh_replace(parser *p, const char *text) {
  lh_flush_to(p, lh_cur(p)->start);
  lh_put_str(p, text);
  p->cur = lh_cur(p)->end;
  lh_advance(p);
}

/* Drops tokens from index `first` to the one before the current. */
void lh_drop_tokens_from(parser *p, size_t first) {
  lh_flush_to(p, p->toks[first].start);
  lh_drop_to(p, p->toks[p->i - 1].end);
}

void lh_expect(parser *p, int type, const char *what) {
  if (lh_cur_type(p) != type) {
    char msg[48];
    snprintf(msg, sizeof msg, "'%s' expected", what);
    lh_error_near(p, msg);
  }
  lh_emit(p);
}

void lh_skip_tok(parser *p, int type, const char *what) {
  if (lh_cur_type(p) != type) {
    char msg[48];
    snprintf(msg, sizeof msg, "'%s' expected", what);
    lh_error_near(p, msg);
  }
  lh_advance(p);
}

/* Marks the start of a construct: the gap before the current token is copied first, so the
 * offset is where the token's own text goes. */
size_t lh_mark(parser *p) {
  lh_flush_to(p, lh_cur(p)->start);
  return p->out->len;
}

/* Luau's digit separators (1_000, 0xFF_FF): LuaJIT 2.1 reads everything else, 0b1010 too. */
void lh_number_token(parser *p) {
  const token *t = lh_cur(p);
  const char *s = p->src + t->start;
  size_t n = t->end - t->start, k, m = 0;
  char buf[128];
  if (memchr(s, '_', n) == NULL) {
    lh_emit(p);
    return;
  }
  if (n >= sizeof buf) lh_error_near(p, "malformed number");
  for (k = 0; k < n; k++)
    if (s[k] != '_') buf[m++] = s[k];
  buf[m] = 0;
  lh_replace(p, buf);
}

/* The text of an interpolated-string section as the inside of a "..." literal. */
void lh_interp_literal(parser *p, const token *t, int with_concat_before, int with_concat_after) {
  size_t a = t->start + 1, b = t->end - 1, k;
  rmt_buf *s = &p->scratch;
  s->len = 0;
  if (a >= b) return;
  if (with_concat_before && rmt_buf_append(s, " .. ", 4)) lh_fail_nomem(p);
  if (rmt_buf_append(s, "\"", 1)) lh_fail_nomem(p);
  for (k = a; k < b; k++) {
    char c = p->src[k];
    int rc;
    if (c == '\\' && k + 1 < b) {
      char d = p->src[k + 1];
      if (d == '{' || d == '`' || (!escape_known(d) && d != '"'))
        rc = rmt_buf_append(s, &d, 1);
      else
        rc = rmt_buf_append(s, p->src + k, 2);
      k++;
    } else if (c == '"') {
      rc = rmt_buf_append(s, "\\\"", 2);
    } else {
      rc = rmt_buf_append(s, &c, 1);
    }
    if (rc) lh_fail_nomem(p);
  }
  if (rmt_buf_append(s, "\"", 1)) lh_fail_nomem(p);
  if (with_concat_after && rmt_buf_append(s, " .. ", 4)) lh_fail_nomem(p);
}

void lh_replace_with_scratch(parser *p, const char *before, const char *after) {
  lh_flush_to(p, lh_cur(p)->start);
  lh_put_str(p, before);
  lh_put_mem(p, p->scratch.data, p->scratch.len);
  lh_put_str(p, after);
  p->cur = lh_cur(p)->end;
  lh_advance(p);
}

