/* schema.c - declared argument types for remotes: parses the schema text once into nodes and
 * checks argument lists against them. Checking never allocates and never trusts the values. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "schema_internal.h"

/* ======================================================================================
 * Building the compiled form
 * ==================================================================================== */

static uint32_t new_node(rmt_schema *s, rmt_schema_kind kind) {
  if (s->nnodes == s->nodes_cap) {
    size_t ncap = s->nodes_cap ? s->nodes_cap * 2 : 16;
    rmt_schema_node *n = rmt__realloc(s->alloc, s->nodes, s->nodes_cap * sizeof *n,
                                      ncap * sizeof *n);
    if (!n) return RMT_SCHEMA_NONE;
    s->nodes = n;
    s->nodes_cap = ncap;
  }
  rmt_schema_node *n = &s->nodes[s->nnodes];
  memset(n, 0, sizeof *n);
  n->kind = (uint8_t)kind;
  n->child = n->key = n->next = RMT_SCHEMA_NONE;
  return (uint32_t)s->nnodes++;
}

static int pool_put(rmt_schema *s, const char *bytes, size_t len, uint32_t *off) {
  if (s->pool_len + len + 1 > s->pool_cap) {
    size_t ncap = s->pool_cap ? s->pool_cap : 64;
    while (ncap < s->pool_len + len + 1) ncap *= 2;
    char *p = rmt__realloc(s->alloc, s->pool, s->pool_cap, ncap);
    if (!p) return RMT_ENOMEM;
    s->pool = p;
    s->pool_cap = ncap;
  }
  if (len) memcpy(s->pool + s->pool_len, bytes, len);
  s->pool[s->pool_len + len] = 0;
  *off = (uint32_t)s->pool_len;
  s->pool_len += len + 1;
  return RMT_OK;
}

void rmt_schema_free(rmt_schema *s) {
  if (!s) return;
  const rmt_allocator *a = s->alloc;
  rmt__free(a, s->nodes, s->nodes_cap * sizeof *s->nodes);
  rmt__free(a, s->pool, s->pool_cap);
  rmt__free(a, s->text, s->text_len + 1);
  rmt__free(a, s, sizeof *s);
}

const char *rmt_schema_text(const rmt_schema *s) { return s && s->text ? s->text : ""; }

size_t rmt_schema_arg_count(const rmt_schema *s, size_t *required) {
  if (required) *required = s ? s->nrequired : 0;
  return s ? s->nargs : 0;
}

/* ======================================================================================
 * Lexer
 * ==================================================================================== */

typedef enum tok_type { T_END, T_IDENT, T_STRING, T_NUMBER, T_DOTDOT, T_PUNCT, T_BAD } tok_type;

typedef struct token {
  tok_type type;
  size_t start, end;
  char ch; /* T_PUNCT */
} token;

typedef struct parser {
  const char *text;
  size_t len, pos;
  rmt_schema *s;
  rmt_error *err;
  int failed;
  int depth;
} parser;

static int is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Scans one token at `pos` without consuming it. Bad tokens (stray characters, unterminated
 * strings) come back as T_BAD so the caller reports them with a column. */
static token lex_at(const parser *p, size_t pos) {
  const char *t = p->text;
  while (pos < p->len && (t[pos] == ' ' || t[pos] == '\t' || t[pos] == '\n' || t[pos] == '\r'))
    pos++;
  token k = {T_END, pos, pos, 0};
  if (pos >= p->len) return k;
  char c = t[pos];
  if (is_ident_start(c)) {
    size_t e = pos + 1;
    while (e < p->len && (is_ident_start(t[e]) || is_digit(t[e]))) e++;
    k.type = T_IDENT;
    k.end = e;
    return k;
  }
  if (is_digit(c) || (c == '-' && pos + 1 < p->len && is_digit(t[pos + 1]))) {
    size_t e = pos + 1;
    while (e < p->len && is_digit(t[e])) e++;
    if (e + 1 < p->len && t[e] == '.' && is_digit(t[e + 1])) {
      e += 2;
      while (e < p->len && is_digit(t[e])) e++;
    }
    if (e < p->len && (t[e] == 'e' || t[e] == 'E')) {
      size_t x = e + 1;
      if (x < p->len && (t[x] == '+' || t[x] == '-')) x++;
      if (x < p->len && is_digit(t[x])) {
        while (x < p->len && is_digit(t[x])) x++;
        e = x;
      }
    }
    k.type = T_NUMBER;
    k.end = e;
    return k;
  }
  if (c == '"') {
    size_t e = pos + 1;
    while (e < p->len && t[e] != '"') {
      if (t[e] == '\\') {
        e++;
        if (e >= p->len) break;
        if (t[e] == 'x') {
          if (e + 2 >= p->len || !is_hex(t[e + 1]) || !is_hex(t[e + 2])) {
            k.type = T_BAD;
            k.end = e;
            return k;
          }
          e += 2;
        } else if (!strchr("\"\\ntr0", t[e])) {
          k.type = T_BAD;
          k.end = e;
          return k;
        }
      }
      e++;
    }
    if (e >= p->len) {
      k.type = T_BAD;
      k.end = p->len;
      return k;
    }
    k.type = T_STRING;
    k.end = e + 1;
    return k;
  }
  if (c == '.' && pos + 1 < p->len && t[pos + 1] == '.') {
    k.type = T_DOTDOT;
    k.end = pos + 2;
    return k;
  }
  if (strchr(",|?(){}[]:", c)) {
    k.type = T_PUNCT;
    k.ch = c;
    k.end = pos + 1;
    return k;
  }
  k.type = T_BAD;
  k.end = pos + 1;
  return k;
}

static token peek(const parser *p) { return lex_at(p, p->pos); }
static token peek2(const parser *p) { return lex_at(p, lex_at(p, p->pos).end); }
static token next_tok(parser *p) {
  token k = lex_at(p, p->pos);
  p->pos = k.end;
  return k;
}
static int is_punct(token k, char c) { return k.type == T_PUNCT && k.ch == c; }
static int tok_is(const parser *p, token k, const char *word) {
  size_t n = strlen(word);
  return k.type == T_IDENT && k.end - k.start == n && memcmp(p->text + k.start, word, n) == 0;
}

/* A token as the user wrote it, for messages: `","`, `"strin"`, `end of schema`. */
static void describe_tok(const parser *p, token k, char *out, size_t cap) {
  if (k.type == T_END) {
    snprintf(out, cap, "end of schema");
    return;
  }
  size_t n = k.end - k.start;
  if (n == 0) n = 1;
  if (n > 24) {
    snprintf(out, cap, "'%.24s...'", p->text + k.start);
    return;
  }
  snprintf(out, cap, "'%.*s'", (int)n, p->text + k.start);
}

static uint32_t fail_at(parser *p, size_t col0, const char *fmt, ...) RMT_PRINTF(3, 4);
static uint32_t fail_at(parser *p, size_t col0, const char *fmt, ...) {
  if (p->failed) return RMT_SCHEMA_NONE;
  p->failed = RMT_EINVAL;
  char msg[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  rmt__seterr(p->err, RMT_EINVAL, "column %zu: %s", col0 + 1, msg);
  return RMT_SCHEMA_NONE;
}

static uint32_t oom(parser *p) {
  if (!p->failed) {
    p->failed = RMT_ENOMEM;
    rmt__seterr(p->err, RMT_ENOMEM, "out of memory");
  }
  return RMT_SCHEMA_NONE;
}

static uint32_t unexpected(parser *p, token k, const char *wanted) {
  char found[40];
  describe_tok(p, k, found, sizeof found);
  if (k.type == T_BAD && k.start < p->len && p->text[k.start] == '"')
    return fail_at(p, k.start, "unterminated string or bad escape (use \\\" \\\\ \\n \\t \\r \\0 \\xHH)");
  if (is_punct(k, '?'))
    return fail_at(p, k.start,
                   "'?' marks a whole argument or a dictionary field as optional; it cannot "
                   "appear here");
  return fail_at(p, k.start, "expected %s, found %s", wanted, found);
}

static int expect(parser *p, char c, const char *wanted) {
  token k = next_tok(p);
  if (is_punct(k, c)) return 1;
  unexpected(p, k, wanted);
  return 0;
}

/* Decodes a string literal token (escapes already validated by the lexer) into the pool. */
static int put_string_literal(parser *p, token k, uint32_t *off, uint32_t *len) {
  char small[256] = {0};
  size_t cap = k.end - k.start;
  char *buf = cap <= sizeof small ? small : rmt__alloc(p->s->alloc, cap);
  if (!buf) return RMT_ENOMEM;
  size_t n = 0;
  for (size_t i = k.start + 1; i + 1 < k.end; i++) {
    char c = p->text[i];
    if (c != '\\') {
      buf[n++] = c;
      continue;
    }
    c = p->text[++i];
    switch (c) {
    case 'n': buf[n++] = '\n'; break;
    case 't': buf[n++] = '\t'; break;
    case 'r': buf[n++] = '\r'; break;
    case '0': buf[n++] = '\0'; break;
    case 'x': {
      char hex[3] = {p->text[i + 1], p->text[i + 2], 0};
      buf[n++] = (char)strtol(hex, NULL, 16);
      i += 2;
      break;
    }
    default: buf[n++] = c; break;
    }
  }
  int rc = pool_put(p->s, buf, n, off);
  *len = (uint32_t)n;
  if (buf != small) rmt__free(p->s->alloc, buf, cap);
  return rc;
}

static int number_value(parser *p, token k, double *out) {
  char buf[64];
  size_t n = k.end - k.start;
  if (n >= sizeof buf) {
    fail_at(p, k.start, "number literal too long");
    return 0;
  }
  memcpy(buf, p->text + k.start, n);
  buf[n] = 0;
  double d = strtod(buf, NULL);
  if (!isfinite(d)) {
    fail_at(p, k.start, "number %s is out of range", buf);
    return 0;
  }
  *out = d;
  return 1;
}

/* range := [number] ".." [number]; lengths must be whole numbers >= 0. */
static int parse_range(parser *p, rmt_schema_node *tmp, int is_length) {
  token first = peek(p);
  if (first.type == T_NUMBER) {
    next_tok(p);
    if (!number_value(p, first, &tmp->lo)) return 0;
    tmp->has_lo = 1;
  }
  token dd = next_tok(p);
  if (dd.type != T_DOTDOT) {
    unexpected(p, dd, tmp->has_lo ? "'..'" : "a range such as 1..10");
    return 0;
  }
  token last = peek(p);
  if (last.type == T_NUMBER) {
    next_tok(p);
    if (!number_value(p, last, &tmp->hi)) return 0;
    tmp->has_hi = 1;
  }
  if (!tmp->has_lo && !tmp->has_hi) {
    fail_at(p, dd.start, "a range needs a bound: lo..hi, lo.. or ..hi");
    return 0;
  }
  if (is_length) {
    if ((tmp->has_lo && (tmp->lo < 0 || floor(tmp->lo) != tmp->lo || tmp->lo > 4294967295.0)) ||
        (tmp->has_hi && (tmp->hi < 0 || floor(tmp->hi) != tmp->hi || tmp->hi > 4294967295.0))) {
      fail_at(p, first.type == T_NUMBER ? first.start : dd.start,
              "a length range takes whole numbers from 0 to 4294967295");
      return 0;
    }
  }
  if (tmp->has_lo && tmp->has_hi && tmp->lo > tmp->hi) {
    fail_at(p, first.start, "empty range: %.14g is greater than %.14g", tmp->lo, tmp->hi);
    return 0;
  }
  return 1;
}

/* Optional "(range)" after a table or string type. */
static int parse_length_suffix(parser *p, rmt_schema_node *tmp) {
  if (!is_punct(peek(p), '(')) return 1;
  next_tok(p);
  if (!parse_range(p, tmp, 1)) return 0;
  return expect(p, ')', "')'");
}

static uint32_t parse_alt(parser *p);

static uint32_t finish_node(parser *p, rmt_schema_kind kind, const rmt_schema_node *tmp) {
  uint32_t idx = new_node(p->s, kind);
  if (idx == RMT_SCHEMA_NONE) return oom(p);
  rmt_schema_node *n = &p->s->nodes[idx];
  n->is_int = tmp->is_int;
  n->has_lo = tmp->has_lo;
  n->has_hi = tmp->has_hi;
  n->lo = tmp->lo;
  n->hi = tmp->hi;
  n->num = tmp->num;
  n->str = tmp->str;
  n->str_len = tmp->str_len;
  n->child = tmp->child;
  n->key = tmp->key;
  n->count = tmp->count;
  return idx;
}

static int string_only(const rmt_schema *s, uint32_t idx) {
  const rmt_schema_node *n = &s->nodes[idx];
  if (n->kind == RMT_SK_STRING || n->kind == RMT_SK_LIT_STRING) return 1;
  if (n->kind != RMT_SK_ALT) return 0;
  for (uint32_t t = n->child; t != RMT_SCHEMA_NONE; t = s->nodes[t].next)
    if (!string_only(s, t)) return 0;
  return 1;
}

static int field_name(parser *p, token k, uint32_t *off, uint32_t *len) {
  if (k.type == T_STRING) return put_string_literal(p, k, off, len);
  *len = (uint32_t)(k.end - k.start);
  return pool_put(p->s, p->text + k.start, k.end - k.start, off);
}

static uint32_t parse_dict(parser *p, size_t open_col) {
  rmt_schema_node tmp = {0};
  tmp.child = RMT_SCHEMA_NONE;
  uint32_t last = RMT_SCHEMA_NONE;
  for (;;) {
    token name = next_tok(p);
    if (name.type != T_IDENT && name.type != T_STRING)
      return unexpected(p, name, "a field name");
    uint32_t off, len;
    if (field_name(p, name, &off, &len)) return oom(p);
    for (uint32_t f = tmp.child; f != RMT_SCHEMA_NONE; f = p->s->nodes[f].next) {
      const rmt_schema_node *fn = &p->s->nodes[f];
      if (fn->str_len == len && memcmp(p->s->pool + fn->str, p->s->pool + off, len) == 0)
        return fail_at(p, name.start, "duplicate field '%s'", p->s->pool + off);
    }
    int optional = 0;
    if (is_punct(peek(p), '?')) {
      next_tok(p);
      optional = 1;
    }
    if (!expect(p, ':', "':' after the field name")) return RMT_SCHEMA_NONE;
    uint32_t rule = parse_alt(p);
    if (rule == RMT_SCHEMA_NONE) return RMT_SCHEMA_NONE;
    uint32_t f = new_node(p->s, RMT_SK_FIELD);
    if (f == RMT_SCHEMA_NONE) return oom(p);
    rmt_schema_node *fn = &p->s->nodes[f];
    fn->str = off;
    fn->str_len = len;
    fn->optional = (uint8_t)optional;
    fn->child = rule;
    if (last == RMT_SCHEMA_NONE) tmp.child = f;
    else p->s->nodes[last].next = f;
    last = f;
    tmp.count++;
    token sep = next_tok(p);
    if (is_punct(sep, '}')) break;
    if (!is_punct(sep, ',')) return unexpected(p, sep, "',' or '}'");
    if (is_punct(peek(p), '}')) { /* trailing comma */
      next_tok(p);
      break;
    }
  }
  (void)open_col;
  return finish_node(p, RMT_SK_DICT, &tmp);
}

/* After '{': a map `{[K]: V}`, a dictionary `{name: T, ...}` or an array `{T}`. */
static uint32_t parse_table(parser *p, size_t open_col) {
  rmt_schema_node tmp = {0};
  tmp.child = tmp.key = RMT_SCHEMA_NONE;
  token k = peek(p);
  if (is_punct(k, '}'))
    return fail_at(p, k.start, "empty table type: write table for any table, {T} for an array");
  if (is_punct(k, '[')) {
    next_tok(p);
    size_t key_col = peek(p).start;
    tmp.key = parse_alt(p);
    if (tmp.key == RMT_SCHEMA_NONE) return RMT_SCHEMA_NONE;
    if (!string_only(p->s, tmp.key))
      return fail_at(p, key_col, "dictionary keys are strings: write [string] or string literals");
    if (!expect(p, ']', "']'") || !expect(p, ':', "':' after the key type"))
      return RMT_SCHEMA_NONE;
    tmp.child = parse_alt(p);
    if (tmp.child == RMT_SCHEMA_NONE) return RMT_SCHEMA_NONE;
    if (!expect(p, '}', "'}'") || !parse_length_suffix(p, &tmp)) return RMT_SCHEMA_NONE;
    return finish_node(p, RMT_SK_MAP, &tmp);
  }
  token k2 = peek2(p);
  if ((k.type == T_IDENT || k.type == T_STRING) && (is_punct(k2, ':') || is_punct(k2, '?')))
    return parse_dict(p, open_col);
  tmp.child = parse_alt(p);
  if (tmp.child == RMT_SCHEMA_NONE) return RMT_SCHEMA_NONE;
  if (!expect(p, '}', "'}'") || !parse_length_suffix(p, &tmp)) return RMT_SCHEMA_NONE;
  return finish_node(p, RMT_SK_ARRAY, &tmp);
}

static const struct {
  const char *name;
  rmt_schema_kind kind;
} simple_types[] = {
    {"any", RMT_SK_ANY},         {"nil", RMT_SK_NIL},         {"boolean", RMT_SK_BOOLEAN},
    {"Vector3", RMT_SK_VECTOR3}, {"CFrame", RMT_SK_CFRAME},   {"Color3", RMT_SK_COLOR3},
    {"Player", RMT_SK_PLAYER},   {"table", RMT_SK_TABLE},     {"number", RMT_SK_NUMBER},
    {"string", RMT_SK_STRING},
};

static int ieq(const char *a, const char *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = (char)(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = (char)(y - 'A' + 'a');
    if (x != y) return 0;
  }
  return b[n] == 0;
}

static uint32_t parse_term(parser *p) {
  token k = next_tok(p);
  rmt_schema_node tmp = {0};
  tmp.child = tmp.key = RMT_SCHEMA_NONE;
  if (is_punct(k, '(') || is_punct(k, '{')) {
    if (++p->depth > RMT_SCHEMA_MAX_NESTING)
      return fail_at(p, k.start, "nested deeper than %d levels", RMT_SCHEMA_MAX_NESTING);
    uint32_t r;
    if (k.ch == '(') {
      r = parse_alt(p);
      if (r != RMT_SCHEMA_NONE && !expect(p, ')', "')'")) r = RMT_SCHEMA_NONE;
    } else {
      r = parse_table(p, k.start);
    }
    p->depth--;
    return r;
  }
  if (k.type == T_STRING) {
    if (put_string_literal(p, k, &tmp.str, &tmp.str_len)) return oom(p);
    return finish_node(p, RMT_SK_LIT_STRING, &tmp);
  }
  if (k.type == T_NUMBER) {
    if (!number_value(p, k, &tmp.num)) return RMT_SCHEMA_NONE;
    return finish_node(p, RMT_SK_LIT_NUMBER, &tmp);
  }
  if (k.type != T_IDENT) return unexpected(p, k, "a type");
  if (tok_is(p, k, "true") || tok_is(p, k, "false")) {
    tmp.num = tok_is(p, k, "true");
    return finish_node(p, RMT_SK_LIT_BOOL, &tmp);
  }
  for (uint32_t kind = 1; kind < RMT_DT_KIND_COUNT_; kind++) {
    const char *name = rmt_datatype_name((rmt_datatype_kind)kind);
    if (name == NULL || !tok_is(p, k, name)) continue;
    tmp.count = kind;
    return finish_node(p, RMT_SK_DATATYPE, &tmp);
  }
  if (tok_is(p, k, "EnumItem")) return finish_node(p, RMT_SK_ENUM, &tmp);
  if (tok_is(p, k, "Enum") && k.end < p->len && p->text[k.end] == '.') {
    /* Enum.Material: the lexer has no single '.', so the name is read here */
    p->pos = k.end + 1;
    token e = next_tok(p);
    if (e.type != T_IDENT || e.end - e.start > RMT_ENUM_NAME_MAX)
      return fail_at(p, e.start, "expected an enum name after 'Enum.'");
    if (pool_put(p->s, p->text + e.start, e.end - e.start, &tmp.str)) return oom(p);
    tmp.str_len = (uint32_t)(e.end - e.start);
    return finish_node(p, RMT_SK_ENUM, &tmp);
  }
  for (size_t i = 0; i < sizeof simple_types / sizeof simple_types[0]; i++) {
    if (!tok_is(p, k, simple_types[i].name)) continue;
    rmt_schema_kind kind = simple_types[i].kind;
    if (kind == RMT_SK_STRING && !parse_length_suffix(p, &tmp)) return RMT_SCHEMA_NONE;
    if (kind == RMT_SK_NUMBER && is_punct(peek(p), '(')) {
      next_tok(p);
      if (tok_is(p, peek(p), "int")) {
        next_tok(p);
        tmp.is_int = 1;
        if (is_punct(peek(p), ',')) {
          next_tok(p);
          if (!parse_range(p, &tmp, 0)) return RMT_SCHEMA_NONE;
        }
      } else if (!parse_range(p, &tmp, 0)) {
        return RMT_SCHEMA_NONE;
      }
      if (!expect(p, ')', "')'")) return RMT_SCHEMA_NONE;
    }
    return finish_node(p, kind, &tmp);
  }
  size_t n = k.end - k.start;
  for (size_t i = 0; i < sizeof simple_types / sizeof simple_types[0]; i++)
    if (ieq(p->text + k.start, simple_types[i].name, n))
      return fail_at(p, k.start, "unknown type '%.*s' (type names are case-sensitive: %s)",
                     (int)n, p->text + k.start, simple_types[i].name);
  if (n > 24) n = 24;
  return fail_at(p, k.start, "unknown type '%.*s'", (int)n, p->text + k.start);
}

/* alt := term { "|" term } */
static uint32_t parse_alt(parser *p) {
  uint32_t first = parse_term(p);
  if (first == RMT_SCHEMA_NONE || !is_punct(peek(p), '|')) return first;
  rmt_schema_node tmp = {0};
  tmp.key = RMT_SCHEMA_NONE;
  tmp.child = first;
  tmp.count = 1;
  uint32_t last = first;
  while (is_punct(peek(p), '|')) {
    next_tok(p);
    uint32_t t = parse_term(p);
    if (t == RMT_SCHEMA_NONE) return RMT_SCHEMA_NONE;
    p->s->nodes[last].next = t;
    last = t;
    tmp.count++;
  }
  return finish_node(p, RMT_SK_ALT, &tmp);
}

/* schema := [ arg { "," arg } ];  arg := alt [ "?" ] */
static void parse_args(parser *p) {
  rmt_schema *s = p->s;
  if (peek(p).type == T_END) return;
  uint32_t last = RMT_SCHEMA_NONE;
  for (;;) {
    size_t col = peek(p).start;
    uint32_t rule = parse_alt(p);
    if (rule == RMT_SCHEMA_NONE) return;
    int optional = 0;
    if (is_punct(peek(p), '?')) {
      next_tok(p);
      optional = 1;
    }
    if (!optional && s->noptional) {
      fail_at(p, col, "argument %u is required but follows an optional one (only trailing "
                      "arguments can be optional)", s->nargs + 1);
      return;
    }
    uint32_t f = new_node(s, RMT_SK_FIELD);
    if (f == RMT_SCHEMA_NONE) {
      oom(p);
      return;
    }
    s->nodes[f].child = rule;
    s->nodes[f].optional = (uint8_t)optional;
    if (last == RMT_SCHEMA_NONE) s->first_arg = f;
    else s->nodes[last].next = f;
    last = f;
    s->nargs++;
    if (optional) s->noptional++;
    else s->nrequired++;
    token sep = next_tok(p);
    if (sep.type == T_END) return;
    if (!is_punct(sep, ',')) {
      unexpected(p, sep, optional ? "',' or end of schema" : "',', '|', '?' or end of schema");
      return;
    }
  }
}

rmt_schema *rmt_schema_parse(const char *text, const rmt_allocator *a, rmt_error *err) {
  if (!text) {
    rmt__seterr(err, RMT_EINVAL, "schema text is NULL");
    return NULL;
  }
  size_t len = strlen(text);
  if (len > RMT_SCHEMA_MAX_TEXT) {
    rmt__seterr(err, RMT_ELIMIT, "schema text of %zu bytes is longer than %u", len,
                RMT_SCHEMA_MAX_TEXT);
    return NULL;
  }
  rmt_schema *s = rmt__alloc(a, sizeof *s);
  if (!s) {
    rmt__seterr(err, RMT_ENOMEM, "out of memory");
    return NULL;
  }
  memset(s, 0, sizeof *s);
  if (a) {
    s->alloc_copy = *a;
    s->alloc = &s->alloc_copy;
  }
  s->first_arg = RMT_SCHEMA_NONE;
  s->text = rmt__alloc(s->alloc, len + 1);
  if (!s->text) {
    rmt__free(s->alloc, s, sizeof *s);
    rmt__seterr(err, RMT_ENOMEM, "out of memory");
    return NULL;
  }
  memcpy(s->text, text, len + 1);
  s->text_len = len;
  parser p = {s->text, len, 0, s, err, 0, 0};
  parse_args(&p);
  if (p.failed) {
    rmt_schema_free(s);
    return NULL;
  }
  rmt__clearerr(err);
  return s;
}

/* ======================================================================================
 * Checking (never allocates)
 * ==================================================================================== */

typedef struct checker {
  const rmt_schema *s;
  rmt_error *err;
  int quiet;  /* trying alternatives: no messages */
  int in_key; /* checking a dictionary key against a map's key rule */
  size_t arg; /* 1-based */
  char path[192];
  size_t path_len;
} checker;

static const rmt_value missing_value = {RMT_TNIL, {0}};

/* Appends a Lua-style quoted, escaped and shortened copy of bytes. */
static void quote(char *out, size_t cap, const char *s, size_t len, size_t max) {
  size_t o = 0;
  if (cap < 8) {
    if (cap) out[0] = 0;
    return;
  }
  out[o++] = '"';
  for (size_t i = 0; i < len; i++) {
    if (i == max || o + 8 >= cap) {
      memcpy(out + o, "...", 3);
      o += 3;
      break;
    }
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      out[o++] = '\\';
      out[o++] = (char)c;
    } else if (c >= 0x20 && c < 0x7f) {
      out[o++] = (char)c;
    } else {
      o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
    }
  }
  out[o++] = '"';
  out[o] = 0;
}

static void fmt_num(char *out, size_t cap, double d) {
  if (isnan(d)) snprintf(out, cap, "NaN");
  else if (isinf(d)) snprintf(out, cap, d > 0 ? "inf" : "-inf");
  else snprintf(out, cap, "%.14g", d);
}

static size_t append(char *out, size_t cap, size_t o, const char *fmt, ...) RMT_PRINTF(4, 5);
static size_t append(char *out, size_t cap, size_t o, const char *fmt, ...) {
  if (o >= cap) return o;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(out + o, cap - o, fmt, ap);
  va_end(ap);
  if (n < 0) return o;
  return o + (size_t)n >= cap ? cap - 1 : o + (size_t)n;
}

/* " in 1..10", " >= 1", " <= 10" */
static size_t describe_range(char *out, size_t cap, size_t o, const rmt_schema_node *n) {
  char lo[32], hi[32];
  fmt_num(lo, sizeof lo, n->lo);
  fmt_num(hi, sizeof hi, n->hi);
  if (n->has_lo && n->has_hi) return append(out, cap, o, " in %s..%s", lo, hi);
  if (n->has_lo) return append(out, cap, o, " >= %s", lo);
  if (n->has_hi) return append(out, cap, o, " <= %s", hi);
  return o;
}

/* " of 1..20 bytes", " of at least 1 byte"... */
static size_t describe_length(char *out, size_t cap, size_t o, const rmt_schema_node *n,
                              const char *unit) {
  if (n->has_lo && n->has_hi && n->lo == n->hi)
    return append(out, cap, o, " of %.0f %s", n->lo, unit);
  if (n->has_lo && n->has_hi) return append(out, cap, o, " of %.0f..%.0f %s", n->lo, n->hi, unit);
  if (n->has_lo) return append(out, cap, o, " of at least %.0f %s", n->lo, unit);
  if (n->has_hi) return append(out, cap, o, " of at most %.0f %s", n->hi, unit);
  return o;
}

static size_t describe(const rmt_schema *s, uint32_t idx, char *out, size_t cap, size_t o) {
  const rmt_schema_node *n = &s->nodes[idx];
  switch ((rmt_schema_kind)n->kind) {
  case RMT_SK_ANY: return append(out, cap, o, "any value");
  case RMT_SK_NIL: return append(out, cap, o, "nil");
  case RMT_SK_BOOLEAN: return append(out, cap, o, "boolean");
  case RMT_SK_NUMBER:
    o = append(out, cap, o, n->is_int ? "integer" : "number");
    return describe_range(out, cap, o, n);
  case RMT_SK_STRING:
    o = append(out, cap, o, "string");
    return describe_length(out, cap, o, n, "bytes");
  case RMT_SK_VECTOR3: return append(out, cap, o, "Vector3");
  case RMT_SK_CFRAME: return append(out, cap, o, "CFrame");
  case RMT_SK_COLOR3: return append(out, cap, o, "Color3");
  case RMT_SK_PLAYER: return append(out, cap, o, "Player");
  case RMT_SK_TABLE: return append(out, cap, o, "table");
  case RMT_SK_LIT_STRING: {
    char q[64];
    quote(q, sizeof q, s->pool + n->str, n->str_len, 40);
    return append(out, cap, o, "%s", q);
  }
  case RMT_SK_LIT_NUMBER: {
    char q[32];
    fmt_num(q, sizeof q, n->num);
    return append(out, cap, o, "%s", q);
  }
  case RMT_SK_LIT_BOOL: return append(out, cap, o, n->num != 0 ? "true" : "false");
  case RMT_SK_ARRAY:
    o = append(out, cap, o, "array");
    return describe_length(out, cap, o, n, "items");
  case RMT_SK_DICT: return append(out, cap, o, "dictionary");
  case RMT_SK_MAP:
    o = append(out, cap, o, "dictionary");
    return describe_length(out, cap, o, n, "entries");
  case RMT_SK_ALT:
    for (uint32_t t = n->child; t != RMT_SCHEMA_NONE; t = s->nodes[t].next) {
      if (t != n->child) o = append(out, cap, o, " | ");
      o = describe(s, t, out, cap, o);
    }
    return o;
  case RMT_SK_FIELD: return describe(s, n->child, out, cap, o);
  case RMT_SK_DATATYPE: return append(out, cap, o, "%s", rmt_datatype_name(n->count));
  case RMT_SK_ENUM:
    if (n->str_len == 0) return append(out, cap, o, "EnumItem");
    return append(out, cap, o, "Enum.%.*s", (int)n->str_len, s->pool + n->str);
  }
  return o;
}

static const char *value_type_name(const rmt_value *v) {
  switch (v->type) {
  case RMT_TNIL: return "nil";
  case RMT_TBOOLEAN: return "boolean";
  case RMT_TNUMBER: return "number";
  case RMT_TSTRING: return "string";
  case RMT_TBUFFER: return "buffer";
  case RMT_TARRAY: return "array";
  case RMT_TDICT: return "dictionary";
  case RMT_TVECTOR3: return "Vector3";
  case RMT_TCFRAME: return "CFrame";
  case RMT_TCOLOR3: return "Color3";
  case RMT_TPLAYER: return "Player";
  case RMT_TFUNCTION: return "function";
  case RMT_TTABLE: return "table";
  case RMT_TDATATYPE: return rmt_typeof(v);
  case RMT_TENUM: return "EnumItem";
  default: return "unknown value";
  }
}

/* The value itself for scalars ("1500", "\"maybe\"", "true"), else its type. */
static void value_detail(const rmt_value *v, char *out, size_t cap) {
  if (v == &missing_value) snprintf(out, cap, "nil (missing)");
  else if (v->type == RMT_TNUMBER) fmt_num(out, cap, v->as.number);
  else if (v->type == RMT_TSTRING) quote(out, cap, v->as.string.ptr, v->as.string.len, 40);
  else if (v->type == RMT_TBOOLEAN) snprintf(out, cap, "%s", v->as.boolean ? "true" : "false");
  else snprintf(out, cap, "%s", value_type_name(v));
}

static int fail_msg(checker *c, const char *fmt, ...) RMT_PRINTF(2, 3);
static int fail_msg(checker *c, const char *fmt, ...) {
  if (c->quiet || !c->err) return 0;
  char msg[220];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  rmt__seterr(c->err, RMT_EBADARGS, "argument %zu%s%s: %s%s", c->arg, c->path_len ? " " : "",
              c->path, c->in_key ? "key: " : "", msg);
  return 0;
}

/* "expected <rule>, got <got>" */
static int fail_expected(checker *c, uint32_t idx, const char *got) {
  if (c->quiet || !c->err) return 0;
  char want[160];
  want[0] = 0;
  describe(c->s, idx, want, sizeof want, 0);
  return fail_msg(c, "expected %s, got %s", want, got);
}

static int fail_type(checker *c, uint32_t idx, const rmt_value *v) {
  return fail_expected(c, idx, v == &missing_value ? "nil (missing)" : value_type_name(v));
}

static int fail_value(checker *c, uint32_t idx, const rmt_value *v) {
  char got[80];
  if (c->quiet || !c->err) return 0;
  value_detail(v, got, sizeof got);
  return fail_expected(c, idx, got);
}

static int fail_count(checker *c, uint32_t idx, const char *what, size_t count,
                      const char *unit) {
  char got[64];
  if (c->quiet || !c->err) return 0;
  snprintf(got, sizeof got, "%s of %zu %s", what, count, unit);
  return fail_expected(c, idx, got);
}

static int in_length(const rmt_schema_node *n, size_t len) {
  return (!n->has_lo || (double)len >= n->lo) && (!n->has_hi || (double)len <= n->hi);
}

static int floats_finite(const float *f, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isfinite(f[i])) return 0;
  return 1;
}

/* Whether a value is of the kind a term describes (used to pick which alternative's own
 * message to report when every alternative fails). */
static int compatible(const rmt_schema *s, uint32_t idx, const rmt_value *v) {
  const rmt_schema_node *n = &s->nodes[idx];
  switch ((rmt_schema_kind)n->kind) {
  case RMT_SK_ANY: return v->type != RMT_TNIL;
  case RMT_SK_NIL: return v->type == RMT_TNIL;
  case RMT_SK_BOOLEAN:
  case RMT_SK_LIT_BOOL: return v->type == RMT_TBOOLEAN;
  case RMT_SK_NUMBER:
  case RMT_SK_LIT_NUMBER: return v->type == RMT_TNUMBER;
  case RMT_SK_STRING:
  case RMT_SK_LIT_STRING: return v->type == RMT_TSTRING;
  case RMT_SK_VECTOR3: return v->type == RMT_TVECTOR3;
  case RMT_SK_CFRAME: return v->type == RMT_TCFRAME;
  case RMT_SK_COLOR3: return v->type == RMT_TCOLOR3;
  case RMT_SK_PLAYER: return v->type == RMT_TPLAYER;
  case RMT_SK_TABLE:
  case RMT_SK_ARRAY:
  case RMT_SK_DICT:
  case RMT_SK_MAP: return v->type == RMT_TARRAY || v->type == RMT_TDICT;
  case RMT_SK_ALT:
    for (uint32_t t = n->child; t != RMT_SCHEMA_NONE; t = s->nodes[t].next)
      if (compatible(s, t, v)) return 1;
    return 0;
  case RMT_SK_FIELD: return compatible(s, n->child, v);
  case RMT_SK_DATATYPE: return v->type == RMT_TDATATYPE && v->as.datatype.kind == n->count;
  case RMT_SK_ENUM: return v->type == RMT_TENUM;
  }
  return 0;
}

/* Every number inside a datatype is finite (as for a declared Vector3: a NaN size or an
 * infinite time is how a handler gets poisoned). */
static int datatype_finite(const rmt_value *v) {
  uint32_t n = v->as.datatype.count;
  if (rmt_datatype_arity((rmt_datatype_kind)v->as.datatype.kind)) {
    for (uint32_t i = 0; i < n && i < RMT_DATATYPE_MAX_NUMBERS; i++)
      if (!isfinite(v->as.datatype.u.n[i])) return 0;
    return 1;
  }
  for (uint32_t i = 0; i < n; i++) {
    const rmt_value *it = &v->as.datatype.u.items[i];
    if (it->type == RMT_TNUMBER && !isfinite(it->as.number)) return 0;
    if (it->type == RMT_TVECTOR3 &&
        !(isfinite(it->as.vector3.x) && isfinite(it->as.vector3.y) && isfinite(it->as.vector3.z)))
      return 0;
    if (it->type == RMT_TDATATYPE && !datatype_finite(it)) return 0;
  }
  return 1;
}

static size_t path_push_index(checker *c, size_t i) {
  size_t saved = c->path_len;
  if (!c->quiet && c->err) {
    c->path_len = append(c->path, sizeof c->path, c->path_len, "[%zu]", i);
  }
  return saved;
}

static size_t path_push_key(checker *c, const char *key, size_t len) {
  size_t saved = c->path_len;
  if (!c->quiet && c->err) {
    char q[48];
    quote(q, sizeof q, key, len, 24);
    c->path_len = append(c->path, sizeof c->path, c->path_len, "[%s]", q);
  }
  return saved;
}

static void path_pop(checker *c, size_t saved) {
  c->path_len = saved;
  c->path[saved] = 0;
}

static int check_node(checker *c, uint32_t idx, const rmt_value *v);

/* An empty table arrives as an empty array whatever the sender meant, so it also stands for
 * an empty dictionary (and an empty dictionary for an empty array). */
static int is_array_like(const rmt_value *v) {
  return v->type == RMT_TARRAY || (v->type == RMT_TDICT && v->as.table.count == 0);
}
static int is_dict_like(const rmt_value *v) {
  return v->type == RMT_TDICT || (v->type == RMT_TARRAY && v->as.array.count == 0);
}
static size_t table_count(const rmt_value *v) {
  return v->type == RMT_TARRAY ? v->as.array.count : v->as.table.count;
}

static int check_dict(checker *c, uint32_t idx, const rmt_value *v) {
  const rmt_schema *s = c->s;
  const rmt_schema_node *n = &s->nodes[idx];
  if (!is_dict_like(v)) return fail_type(c, idx, v);
  size_t count = table_count(v);
  const rmt_pair *pairs = v->type == RMT_TDICT ? v->as.table.pairs : NULL;
  for (size_t i = 0; i < count; i++) {
    const rmt_value *key = &pairs[i].key;
    if (key->type != RMT_TSTRING) return fail_msg(c, "dictionary key is not a string");
    uint32_t f = n->child;
    for (; f != RMT_SCHEMA_NONE; f = s->nodes[f].next) {
      const rmt_schema_node *fn = &s->nodes[f];
      if (fn->str_len == key->as.string.len &&
          memcmp(s->pool + fn->str, key->as.string.ptr, fn->str_len) == 0)
        break;
    }
    size_t saved = path_push_key(c, key->as.string.ptr, key->as.string.len);
    int ok;
    if (f == RMT_SCHEMA_NONE) ok = fail_msg(c, "unexpected key (not a field of the schema)");
    else if (s->nodes[f].optional && pairs[i].value.type == RMT_TNIL) ok = 1;
    else ok = check_node(c, s->nodes[f].child, &pairs[i].value);
    path_pop(c, saved);
    if (!ok) return 0;
  }
  /* Every required field must be there; duplicate keys (the decoder keeps them) were each
   * checked above, so presence is all that is left. */
  for (uint32_t f = n->child; f != RMT_SCHEMA_NONE; f = s->nodes[f].next) {
    const rmt_schema_node *fn = &s->nodes[f];
    if (fn->optional) continue;
    size_t i = 0;
    for (; i < count; i++) {
      const rmt_value *key = &pairs[i].key;
      if (key->as.string.len == fn->str_len &&
          memcmp(s->pool + fn->str, key->as.string.ptr, fn->str_len) == 0)
        break;
    }
    if (i == count) {
      size_t saved = path_push_key(c, s->pool + fn->str, fn->str_len);
      int ok = check_node(c, fn->child, &missing_value);
      path_pop(c, saved);
      if (!ok) return 0;
    }
  }
  return 1;
}

static int check_alt(checker *c, uint32_t idx, const rmt_value *v) {
  const rmt_schema *s = c->s;
  const rmt_schema_node *n = &s->nodes[idx];
  int was_quiet = c->quiet;
  c->quiet = 1;
  uint32_t only = RMT_SCHEMA_NONE;
  size_t ncompatible = 0;
  for (uint32_t t = n->child; t != RMT_SCHEMA_NONE; t = s->nodes[t].next) {
    if (check_node(c, t, v)) {
      c->quiet = was_quiet;
      return 1;
    }
    if (compatible(s, t, v)) {
      ncompatible++;
      only = t;
    }
  }
  c->quiet = was_quiet;
  if (c->quiet || !c->err) return 0;
  /* Exactly one alternative of the right kind: its own message says most. */
  if (ncompatible == 1 && s->nodes[only].kind != RMT_SK_LIT_STRING &&
      s->nodes[only].kind != RMT_SK_LIT_NUMBER && s->nodes[only].kind != RMT_SK_LIT_BOOL)
    return check_node(c, only, v);
  return ncompatible ? fail_value(c, idx, v) : fail_type(c, idx, v);
}

static int check_node(checker *c, uint32_t idx, const rmt_value *v) {
  const rmt_schema *s = c->s;
  const rmt_schema_node *n = &s->nodes[idx];
  switch ((rmt_schema_kind)n->kind) {
  case RMT_SK_ANY: return v->type != RMT_TNIL ? 1 : fail_type(c, idx, v);
  case RMT_SK_NIL: return v->type == RMT_TNIL ? 1 : fail_type(c, idx, v);
  case RMT_SK_BOOLEAN: return v->type == RMT_TBOOLEAN ? 1 : fail_type(c, idx, v);
  case RMT_SK_NUMBER: {
    if (v->type != RMT_TNUMBER) return fail_type(c, idx, v);
    double d = v->as.number;
    if (!isfinite(d)) {
      if (c->quiet || !c->err) return 0;
      char got[80];
      value_detail(v, got, sizeof got);
      strcat(got, " (NaN and infinities are refused)");
      return fail_expected(c, idx, got);
    }
    if ((n->is_int && floor(d) != d) || (n->has_lo && d < n->lo) || (n->has_hi && d > n->hi))
      return fail_value(c, idx, v);
    return 1;
  }
  case RMT_SK_STRING:
    if (v->type != RMT_TSTRING) return fail_type(c, idx, v);
    if (!in_length(n, v->as.string.len))
      return fail_count(c, idx, "string", v->as.string.len, "bytes");
    return 1;
  case RMT_SK_VECTOR3:
    if (v->type != RMT_TVECTOR3) return fail_type(c, idx, v);
    if (!floats_finite(&v->as.vector3.x, 1) || !floats_finite(&v->as.vector3.y, 1) ||
        !floats_finite(&v->as.vector3.z, 1))
      return fail_expected(c, idx, "Vector3 with a NaN or infinite component");
    return 1;
  case RMT_SK_CFRAME:
    if (v->type != RMT_TCFRAME) return fail_type(c, idx, v);
    if (!isfinite(v->as.cframe.x) || !isfinite(v->as.cframe.y) || !isfinite(v->as.cframe.z) ||
        !floats_finite(v->as.cframe.r, 9))
      return fail_expected(c, idx, "CFrame with a NaN or infinite component");
    return 1;
  case RMT_SK_COLOR3:
    if (v->type != RMT_TCOLOR3) return fail_type(c, idx, v);
    if (!isfinite(v->as.color3.r) || !isfinite(v->as.color3.g) || !isfinite(v->as.color3.b))
      return fail_expected(c, idx, "Color3 with a NaN or infinite component");
    return 1;
  case RMT_SK_PLAYER: return v->type == RMT_TPLAYER ? 1 : fail_type(c, idx, v);
  case RMT_SK_DATATYPE:
    if (v->type != RMT_TDATATYPE || v->as.datatype.kind != n->count) return fail_type(c, idx, v);
    if (!datatype_finite(v)) {
      if (c->quiet || !c->err) return 0;
      char got[80];
      snprintf(got, sizeof got, "%s with a NaN or infinite number", rmt_typeof(v));
      return fail_expected(c, idx, got);
    }
    return 1;
  case RMT_SK_ENUM:
    if (v->type != RMT_TENUM) return fail_type(c, idx, v);
    if (n->str_len && (v->as.enumitem.len != n->str_len ||
                       memcmp(v->as.enumitem.name, s->pool + n->str, n->str_len) != 0)) {
      if (c->quiet || !c->err) return 0;
      char got[96];
      snprintf(got, sizeof got, "an item of Enum.%.*s", (int)(v->as.enumitem.len > 64 ? 64 : v->as.enumitem.len),
               v->as.enumitem.name);
      return fail_expected(c, idx, got);
    }
    return 1;
  case RMT_SK_TABLE:
    return v->type == RMT_TARRAY || v->type == RMT_TDICT ? 1 : fail_type(c, idx, v);
  case RMT_SK_LIT_STRING:
    if (v->type == RMT_TSTRING && v->as.string.len == n->str_len &&
        memcmp(v->as.string.ptr, s->pool + n->str, n->str_len) == 0)
      return 1;
    return v->type == RMT_TSTRING ? fail_value(c, idx, v) : fail_type(c, idx, v);
  case RMT_SK_LIT_NUMBER:
    if (v->type == RMT_TNUMBER && v->as.number == n->num) return 1;
    return v->type == RMT_TNUMBER ? fail_value(c, idx, v) : fail_type(c, idx, v);
  case RMT_SK_LIT_BOOL:
    if (v->type == RMT_TBOOLEAN && (v->as.boolean != 0) == (n->num != 0)) return 1;
    return v->type == RMT_TBOOLEAN ? fail_value(c, idx, v) : fail_type(c, idx, v);
  case RMT_SK_ARRAY: {
    if (!is_array_like(v)) return fail_type(c, idx, v);
    size_t count = table_count(v);
    if (!in_length(n, count)) return fail_count(c, idx, "array", count, "items");
    for (size_t i = 0; i < count; i++) {
      size_t saved = path_push_index(c, i + 1);
      int ok = check_node(c, n->child, &v->as.array.items[i]);
      path_pop(c, saved);
      if (!ok) return 0;
    }
    return 1;
  }
  case RMT_SK_MAP: {
    if (!is_dict_like(v)) return fail_type(c, idx, v);
    size_t count = table_count(v);
    if (!in_length(n, count)) return fail_count(c, idx, "dictionary", count, "entries");
    const rmt_pair *pairs = v->type == RMT_TDICT ? v->as.table.pairs : NULL;
    for (size_t i = 0; i < count; i++) {
      const rmt_value *key = &pairs[i].key;
      if (key->type != RMT_TSTRING) return fail_msg(c, "dictionary key is not a string");
      size_t saved = path_push_key(c, key->as.string.ptr, key->as.string.len);
      int was_key = c->in_key;
      c->in_key = 1;
      int ok = check_node(c, n->key, key);
      c->in_key = was_key;
      if (ok) ok = check_node(c, n->child, &pairs[i].value);
      path_pop(c, saved);
      if (!ok) return 0;
    }
    return 1;
  }
  case RMT_SK_DICT: return check_dict(c, idx, v);
  case RMT_SK_ALT: return check_alt(c, idx, v);
  case RMT_SK_FIELD: return check_node(c, n->child, v);
  }
  return 0;
}

int rmt__schema_matches(const rmt_schema *s, uint32_t idx, const rmt_value *v) {
  checker c;
  memset(&c, 0, sizeof c);
  c.s = s;
  c.quiet = 1;
  return check_node(&c, idx, v);
}

int rmt_schema_check(const rmt_schema *s, const rmt_value *args, size_t n, rmt_error *err) {
  if (!s || (n && !args)) return rmt__seterr(err, RMT_EINVAL, "schema or args is NULL");
  if (n > s->nargs)
    return rmt__seterr(err, RMT_EBADARGS, "too many arguments: expected at most %u, got %zu",
                       s->nargs, n);
  checker c;
  c.s = s;
  c.err = err;
  c.quiet = 0;
  c.in_key = 0;
  c.path[0] = 0;
  c.path_len = 0;
  size_t i = 0;
  for (uint32_t f = s->first_arg; f != RMT_SCHEMA_NONE; f = s->nodes[f].next, i++) {
    const rmt_schema_node *fn = &s->nodes[f];
    const rmt_value *v = i < n ? &args[i] : &missing_value;
    if (fn->optional && v->type == RMT_TNIL) continue;
    c.arg = i + 1;
    if (!check_node(&c, fn->child, v)) {
      if (!err) return RMT_EBADARGS;
      err->code = RMT_EBADARGS;
      return RMT_EBADARGS;
    }
  }
  rmt__clearerr(err);
  return RMT_OK;
}
