/*
 * luau.c - translates Luau source (types, +=, continue, if-expressions, `interpolation`, //,
 * 1_000 numbers) into LuaJIT Lua by editing the text in place; never moves a line break.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "common.h"
#include "luau.h"

/* ---------------------------------------------------------------------------------------
 * Tokens
 * ------------------------------------------------------------------------------------- */

enum {
  TK_EOF = 256,
  TK_NAME,
  TK_NUMBER,
  TK_STRING,
  TK_ISIMPLE, /* `text` */
  TK_IBEGIN,  /* `text{ */
  TK_IMID,    /* }text{ */
  TK_IEND,    /* }text` */
  /* keywords (`goto` is not one: LuaJIT takes it as a name unless a name follows it at the
   * start of a statement) */
  TK_AND,
  TK_BREAK,
  TK_DO,
  TK_ELSE,
  TK_ELSEIF,
  TK_END,
  TK_FALSE,
  TK_FOR,
  TK_FUNCTION,
  TK_IF,
  TK_IN,
  TK_LOCAL,
  TK_NIL,
  TK_NOT,
  TK_OR,
  TK_REPEAT,
  TK_RETURN,
  TK_THEN,
  TK_TRUE,
  TK_UNTIL,
  TK_WHILE,
  /* multi-character operators */
  TK_EQ,
  TK_NE,
  TK_LE,
  TK_GE,
  TK_CONCAT,
  TK_DOTS,
  TK_DCOLON,
  TK_IDIV,
  TK_ARROW,
  TK_ADDEQ,
  TK_SUBEQ,
  TK_MULEQ,
  TK_DIVEQ,
  TK_IDIVEQ,
  TK_MODEQ,
  TK_POWEQ,
  TK_CATEQ
};

static const char *const keywords[] = {"and",   "break", "do",     "else",   "elseif", "end",
                                       "false", "for",   "function", "if",     "in",
                                       "local", "nil",   "not",    "or",     "repeat", "return",
                                       "then",  "true",  "until",  "while"};

typedef struct token {
  int type;
  size_t start, end; /* bytes of the token in the source */
  int line, col;
} token;

#define MAX_DEPTH 200 /* nesting of blocks, (sub)expressions and types, counted as LuaJIT does */
#define MAX_INTERP 64     /* nesting of `{`...`}` interpolations */
/* `a // b`: numbers (and numeric strings) floor the quotient; otherwise Luau's __idiv of
 * either operand. Library functions are upvalues: no global lookups per division. */
#define IDIV_HELPER                                                                            \
  "local __luau_idiv do local floor, tonum, getmt = math.floor, tonumber, getmetatable "      \
  "__luau_idiv = function(a, b) local x, y = tonum(a), tonum(b) "                              \
  "if x and y then return floor(x / y) end local m = getmt(a) "                                \
  "local h = type(m) == \"table\" and m.__idiv if not h then m = getmt(b) "                    \
  "h = type(m) == \"table\" and m.__idiv end if h then return h(a, b) end "                    \
  "return floor(a / b) end end "
/* RMT_LUAU_INTERRUPTS: the chunk takes the host's check once, as a local (no global lookup in
 * a hot loop, and a script that reassigns the global later cannot switch it off). */
#define CHECK_LOCAL "local __rmt_chk = __rmt_chk; "
#define CHECK_CALL "__rmt_chk(); "
/* Luau's generalized iteration (`for k, v in t do`): a table without __call iterates like
 * pairs (or through __iter); anything else is the iterator function as in Lua. */
#define ITER_HELPER                                                                            \
  "local function __luau_iter(o, ...) local t = type(o) if t == \"table\" or t == \"userdata\" then " \
  "local m = getmetatable(o) if type(m) == \"table\" and m.__iter then return m.__iter(o) end "   \
  "if t == \"table\" and not (type(m) == \"table\" and m.__call) then return next, o end "       \
  "elseif t ~= \"function\" then error(\"attempt to iterate over a \" .. t .. \" value\", 2) end "    \
  "return o, ... end "

typedef struct loop_ctx {
  int label;              /* 0 until the first `continue` names the label */
  size_t stmt_start;      /* output offset of the body statement being parsed */
  size_t first_cont_stmt; /* output offset of the body statement holding the first continue */
} loop_ctx;

typedef struct parser {
  const char *src;
  size_t len;
  token *toks;
  size_t ntok, captok, i;
  const rmt_allocator *alloc;
  rmt_buf *out;
  size_t base;   /* out->len at entry: offsets below it belong to the caller */
  size_t cur;    /* source bytes before cur have been copied or dropped */
  size_t header; /* bytes of BOM and '#' line, copied as they are */
  int depth;
  int labels;
  int used_idiv;
  int used_iter;
  int keep_iter;             /* RMT_LUAU_KEEP_ITERATION */
  int interrupts;            /* RMT_LUAU_INTERRUPTS */
  int last_simple_kind;      /* what the last completed simple expression was (SX_* or -1) */
  size_t last_simple_tok;    /* and the token it started at */
  size_t last_callee_tok;    /* for a call: the name of the function called */
  loop_ctx *loop;
  rmt_buf scratch;
  jmp_buf jb;
  int rc;
  char *err;
  size_t errlen;
} parser;

static void fail_at(parser *p, int line, int col, const char *fmt, const char *a) {
  if (p->err && p->errlen) {
    char msg[160];
    snprintf(msg, sizeof msg, fmt, a ? a : "");
    snprintf(p->err, p->errlen, "%d:%d: %s", line, col, msg);
  }
  p->rc = RMT_EINVAL;
  longjmp(p->jb, 1);
}

static void fail_nomem(parser *p) {
  if (p->err && p->errlen) snprintf(p->err, p->errlen, "out of memory");
  p->rc = RMT_ENOMEM;
  longjmp(p->jb, 1);
}

/* ---------------------------------------------------------------------------------------
 * Lexer
 * ------------------------------------------------------------------------------------- */

typedef struct lexer {
  parser *p;
  size_t pos;
  int line;
  size_t line_start;
  int interp[MAX_INTERP]; /* open braces inside each active interpolation */
  int ninterp;
} lexer;

static int is_ident_char(int c) {
  /* LuaJIT takes bytes >= 0x80 as identifier characters (UTF-8 names) */
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c >= 0x80;
}
static int is_digit(int c) { return c >= '0' && c <= '9'; }

static int lx_peek(const lexer *lx, size_t k) {
  size_t at = lx->pos + k;
  return at < lx->p->len ? (unsigned char)lx->p->src[at] : -1;
}

static void lx_fail(lexer *lx, const char *msg) {
  fail_at(lx->p, lx->line, (int)(lx->pos - lx->line_start) + 1, "%s", msg);
}

/* Consumes one line break (\n, \r, \r\n or \n\r count once, as in LuaJIT). */
static void lx_newline(lexer *lx) {
  int c = lx_peek(lx, 0);
  lx->pos++;
  if ((lx_peek(lx, 0) == '\n' || lx_peek(lx, 0) == '\r') && lx_peek(lx, 0) != c) lx->pos++;
  lx->line++;
  lx->line_start = lx->pos;
}

static void push_token(lexer *lx, int type, size_t start, int line, int col) {
  parser *p = lx->p;
  if (p->ntok == p->captok) {
    size_t ncap = p->captok ? p->captok * 2 : 256;
    token *t;
    if (ncap > SIZE_MAX / sizeof(token)) fail_nomem(p);
    t = rmt__realloc(p->alloc, p->toks, p->captok * sizeof(token), ncap * sizeof(token));
    if (!t) fail_nomem(p);
    p->toks = t;
    p->captok = ncap;
  }
  p->toks[p->ntok].type = type;
  p->toks[p->ntok].start = start;
  p->toks[p->ntok].end = lx->pos;
  p->toks[p->ntok].line = line;
  p->toks[p->ntok].col = col;
  p->ntok++;
}

/* At "[" of "[==[": returns the level, or -1 when this is not a long bracket. */
static int long_bracket_level(lexer *lx) {
  size_t k = 1;
  while (lx_peek(lx, k) == '=') k++;
  return lx_peek(lx, k) == '[' ? (int)(k - 1) : (lx_peek(lx, 1) == '=' ? -2 : -1);
}

static void lx_long(lexer *lx, int level, const char *what) {
  lx->pos += (size_t)level + 2;
  for (;;) {
    int c = lx_peek(lx, 0);
    if (c < 0) lx_fail(lx, what);
    if (c == ']') {
      size_t k = 1;
      while (lx_peek(lx, k) == '=') k++;
      if (lx_peek(lx, k) == ']' && (int)(k - 1) == level) {
        lx->pos += k + 1;
        return;
      }
      lx->pos++;
    } else if (c == '\n' || c == '\r') {
      lx_newline(lx);
    } else {
      lx->pos++;
    }
  }
}

static void lx_quoted(lexer *lx, int quote) {
  lx->pos++;
  for (;;) {
    int c = lx_peek(lx, 0);
    if (c < 0 || c == '\n' || c == '\r') lx_fail(lx, "unfinished string");
    if (c == quote) {
      lx->pos++;
      return;
    }
    if (c == '\\') {
      lx->pos++;
      c = lx_peek(lx, 0);
      if (c < 0) lx_fail(lx, "unfinished string");
      if (c == '\n' || c == '\r') {
        lx_newline(lx);
      } else if (c == 'z') {
        lx->pos++;
        for (c = lx_peek(lx, 0); c == ' ' || (c >= '\t' && c <= '\r'); c = lx_peek(lx, 0)) {
          if (c == '\n' || c == '\r')
            lx_newline(lx);
          else
            lx->pos++;
        }
      } else {
        lx->pos++;
      }
      continue;
    }
    lx->pos++;
  }
}

/* The rest of an interpolated string section, after its opening ` or }. */
static int lx_interp_section(lexer *lx, int opened_by_backtick) {
  for (;;) {
    int c = lx_peek(lx, 0);
    if (c < 0 || c == '\n' || c == '\r') lx_fail(lx, "unfinished interpolated string");
    if (c == '`') {
      lx->pos++;
      return opened_by_backtick ? TK_ISIMPLE : TK_IEND;
    }
    if (c == '{') {
      if (lx->ninterp == MAX_INTERP) lx_fail(lx, "interpolated strings nested too deeply");
      lx->interp[lx->ninterp++] = 0;
      lx->pos++;
      return opened_by_backtick ? TK_IBEGIN : TK_IMID;
    }
    if (c == '\\') {
      lx->pos++;
      c = lx_peek(lx, 0);
      if (c < 0) lx_fail(lx, "unfinished interpolated string");
      if (c == '\n' || c == '\r') {
        lx_newline(lx);
      } else if (c == 'z') {
        lx->pos++;
        for (c = lx_peek(lx, 0); c == ' ' || (c >= '\t' && c <= '\r'); c = lx_peek(lx, 0)) {
          if (c == '\n' || c == '\r')
            lx_newline(lx);
          else
            lx->pos++;
        }
      } else if (c == 'u' && lx_peek(lx, 1) == '{') {
        /* \u{XXXX}: its brace does not open an expression */
        lx->pos += 2;
        while ((c = lx_peek(lx, 0)) >= 0 && c != '}' && c != '`' && c != '\n') lx->pos++;
        if (c == '}') lx->pos++;
      } else {
        lx->pos++;
      }
      continue;
    }
    lx->pos++;
  }
}

static int keyword_type(const char *s, size_t n) {
  size_t k;
  for (k = 0; k < sizeof keywords / sizeof keywords[0]; k++)
    if (strlen(keywords[k]) == n && memcmp(keywords[k], s, n) == 0) return TK_AND + (int)k;
  return TK_NAME;
}

static void lex_all(parser *p) {
  lexer lx;
  memset(&lx, 0, sizeof lx);
  lx.p = p;
  lx.line = 1;
  /* like LuaJIT: a UTF-8 byte order mark and a first line starting with '#' are skipped */
  if (p->len >= 3 && memcmp(p->src, "\xEF\xBB\xBF", 3) == 0) lx.pos = 3;
  if (lx_peek(&lx, 0) == '#') {
    while (lx_peek(&lx, 0) >= 0 && lx_peek(&lx, 0) != '\n' && lx_peek(&lx, 0) != '\r') lx.pos++;
    if (lx_peek(&lx, 0) >= 0) lx_newline(&lx);
  }
  p->header = lx.pos;
  for (;;) {
    int c = lx_peek(&lx, 0), type;
    size_t start = lx.pos;
    int line, col;
    if (c < 0) break;
    if (c == '\n' || c == '\r') {
      lx_newline(&lx);
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\v' || c == '\f') {
      lx.pos++;
      continue;
    }
    if (c == '-' && lx_peek(&lx, 1) == '-') {
      lx.pos += 2;
      if (lx_peek(&lx, 0) == '[') {
        int level = long_bracket_level(&lx);
        if (level >= 0) {
          lx_long(&lx, level, "unfinished long comment");
          continue;
        }
      }
      while ((c = lx_peek(&lx, 0)) >= 0 && c != '\n' && c != '\r') lx.pos++;
      continue;
    }
    line = lx.line;
    col = (int)(lx.pos - lx.line_start) + 1;
    if (is_ident_char(c) && !is_digit(c)) {
      while (lx_peek(&lx, 0) >= 0 && is_ident_char(lx_peek(&lx, 0))) lx.pos++;
      push_token(&lx, keyword_type(p->src + start, lx.pos - start), start, line, col);
      continue;
    }
    if (is_digit(c) || (c == '.' && is_digit(lx_peek(&lx, 1)))) {
      /* the same scan as LuaJIT: validity is checked when a literal must be rewritten */
      int xp = 'e', prev = 0;
      if (c == '0' && (lx_peek(&lx, 1) == 'x' || lx_peek(&lx, 1) == 'X')) xp = 'p';
      for (;;) {
        int d = lx_peek(&lx, 0);
        if (d >= 0 && (is_ident_char(d) || d == '.' ||
                       ((d == '-' || d == '+') && (prev | 0x20) == xp))) {
          prev = d;
          lx.pos++;
        } else {
          break;
        }
      }
      push_token(&lx, TK_NUMBER, start, line, col);
      continue;
    }
    switch (c) {
    case '"':
    case '\'':
      lx_quoted(&lx, c);
      push_token(&lx, TK_STRING, start, line, col);
      continue;
    case '`':
      lx.pos++;
      type = lx_interp_section(&lx, 1);
      push_token(&lx, type, start, line, col);
      continue;
    case '[': {
      int level = long_bracket_level(&lx);
      if (level >= 0) {
        lx_long(&lx, level, "unfinished long string");
        push_token(&lx, TK_STRING, start, line, col);
        continue;
      }
      if (level == -2) lx_fail(&lx, "invalid long string delimiter");
      lx.pos++;
      push_token(&lx, '[', start, line, col);
      continue;
    }
    case '{':
      if (lx.ninterp) lx.interp[lx.ninterp - 1]++;
      lx.pos++;
      push_token(&lx, '{', start, line, col);
      continue;
    case '}':
      lx.pos++;
      if (lx.ninterp && lx.interp[lx.ninterp - 1] == 0) {
        lx.ninterp--;
        type = lx_interp_section(&lx, 0);
        push_token(&lx, type, start, line, col);
        continue;
      }
      if (lx.ninterp) lx.interp[lx.ninterp - 1]--;
      push_token(&lx, '}', start, line, col);
      continue;
    default:
      break;
    }
    {
      int n1 = lx_peek(&lx, 1), n2 = lx_peek(&lx, 2);
      size_t n = 1;
      type = c;
      switch (c) {
      case '=': if (n1 == '=') type = TK_EQ, n = 2; break;
      case '~':
        if (n1 != '=') lx_fail(&lx, "unexpected symbol near '~'");
        type = TK_NE, n = 2;
        break;
      case '<': if (n1 == '=') type = TK_LE, n = 2; break;
      case '>': if (n1 == '=') type = TK_GE, n = 2; break;
      case '.':
        if (n1 == '.' && n2 == '.') type = TK_DOTS, n = 3;
        else if (n1 == '.' && n2 == '=') type = TK_CATEQ, n = 3;
        else if (n1 == '.') type = TK_CONCAT, n = 2;
        break;
      case ':': if (n1 == ':') type = TK_DCOLON, n = 2; break;
      case '/':
        if (n1 == '/' && n2 == '=') type = TK_IDIVEQ, n = 3;
        else if (n1 == '/') type = TK_IDIV, n = 2;
        else if (n1 == '=') type = TK_DIVEQ, n = 2;
        break;
      case '-':
        if (n1 == '>') type = TK_ARROW, n = 2;
        else if (n1 == '=') type = TK_SUBEQ, n = 2;
        break;
      case '+': if (n1 == '=') type = TK_ADDEQ, n = 2; break;
      case '*': if (n1 == '=') type = TK_MULEQ, n = 2; break;
      case '%': if (n1 == '=') type = TK_MODEQ, n = 2; break;
      case '^': if (n1 == '=') type = TK_POWEQ, n = 2; break;
      case '#': case '(': case ')': case ']': case ';': case ',': case '?': case '|': case '&':
      case '@':
        break;
      default:
        lx_fail(&lx, "unexpected symbol");
      }
      lx.pos += n;
      push_token(&lx, type, start, line, col);
    }
  }
  if (lx.ninterp) lx_fail(&lx, "unfinished interpolated string");
  push_token(&lx, TK_EOF, lx.pos, lx.line, (int)(lx.pos - lx.line_start) + 1);
}

/* ---------------------------------------------------------------------------------------
 * Output: the source is copied up to p->cur as the parser passes tokens; edits drop or
 * replace ranges and insert text at offsets recorded earlier.
 * ------------------------------------------------------------------------------------- */

static void out_mem(parser *p, const void *data, size_t n) {
  if (rmt_buf_append(p->out, data, n) != 0) fail_nomem(p);
}
static void out_str(parser *p, const char *s) { out_mem(p, s, strlen(s)); }

static void out_insert(parser *p, size_t at, const char *s, size_t n) {
  rmt_buf *o = p->out;
  if (rmt_buf_reserve(o, n) != 0) fail_nomem(p);
  memmove(o->data + at + n, o->data + at, o->len - at);
  memcpy(o->data + at, s, n);
  o->len += n;
}

static void flush_to(parser *p, size_t pos) {
  if (pos > p->cur) out_mem(p, p->src + p->cur, pos - p->cur);
  if (pos > p->cur) p->cur = pos;
}

static size_t count_breaks(const char *s, size_t n) {
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
static int add_breaks(rmt_buf *b, size_t n, int next) {
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
static void drop_to(parser *p, size_t pos) {
  size_t lines;
  if (pos <= p->cur) return;
  lines = count_breaks(p->src + p->cur, pos - p->cur);
  if (lines) {
    if (add_breaks(p->out, lines, pos < p->len ? (unsigned char)p->src[pos] : -1)) fail_nomem(p);
  } else {
    int left = p->out->len > p->base ? p->out->data[p->out->len - 1] : ' ';
    int right = pos < p->len ? (unsigned char)p->src[pos] : ' ';
    int breaks_pair = (left == '\r' || left == '\n') && (right == '\r' || right == '\n') &&
                      left != right; /* would become one "\r\n" */
    if ((!glue_safe_left(left) && !glue_safe_right(right)) || breaks_pair) out_mem(p, " ", 1);
  }
  p->cur = pos;
}

/* ---------------------------------------------------------------------------------------
 * Parser helpers
 * ------------------------------------------------------------------------------------- */

static const token *tk(const parser *p) { return &p->toks[p->i]; }
static int T(const parser *p) { return p->toks[p->i].type; }
static int LA(const parser *p, size_t k) {
  return p->i + k < p->ntok ? p->toks[p->i + k].type : TK_EOF;
}
static int tok_is(const parser *p, size_t idx, const char *name) {
  const token *t = &p->toks[idx];
  size_t n = strlen(name);
  return t->type == TK_NAME && t->end - t->start == n && memcmp(p->src + t->start, name, n) == 0;
}
static int cur_is(const parser *p, const char *name) { return tok_is(p, p->i, name); }
static int la_is(const parser *p, size_t k, const char *name) {
  return p->i + k < p->ntok && tok_is(p, p->i + k, name);
}

static void advance(parser *p) {
  if (p->i + 1 < p->ntok) p->i++;
}

static void error_near(parser *p, const char *msg) {
  const token *t = tk(p);
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
  fail_at(p, t->line, t->col, "%s", near);
}

static void enter(parser *p) {
  if (++p->depth > MAX_DEPTH) error_near(p, "chunk has too many syntax levels");
}
static void leave(parser *p) { p->depth--; }

/* Copies the current token (and the gap before it) to the output. */
static void emit(parser *p) {
  flush_to(p, tk(p)->end);
  advance(p);
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

static void string_token(parser *p) {
  const token *t = tk(p);
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
      flush_to(p, t->start);
      for (k = t->start; k < t->end; k++) {
        unsigned long cp;
        if (p->src[k] == '\\' && (cp = surrogate_escape(p->src + k, end, &n)) != 0) {
          char bytes[16];
          snprintf(bytes, sizeof bytes, "\\x%02X\\x%02X\\x%02X", (unsigned char)(0xE0 | (cp >> 12)),
                   (unsigned char)(0x80 | ((cp >> 6) & 0x3F)), (unsigned char)(0x80 | (cp & 0x3F)));
          out_str(p, bytes);
          k += n - 1;
        } else if (p->src[k] == '\\' && k + 1 < t->end) {
          if (escape_known(p->src[k + 1])) out_mem(p, p->src + k, 2);
          else out_mem(p, p->src + k + 1, 1);
          k++;
        } else {
          out_mem(p, p->src + k, 1);
        }
      }
      p->cur = t->end;
      advance(p);
      return;
    }
  }
  emit(p);
}

/* Writes `text` in place of the current token. */
static void replace(parser *p, const char *text) {
  flush_to(p, tk(p)->start);
  out_str(p, text);
  p->cur = tk(p)->end;
  advance(p);
}

/* Drops tokens from index `first` to the one before the current. */
static void drop_tokens_from(parser *p, size_t first) {
  flush_to(p, p->toks[first].start);
  drop_to(p, p->toks[p->i - 1].end);
}

static void expect(parser *p, int type, const char *what) {
  if (T(p) != type) {
    char msg[48];
    snprintf(msg, sizeof msg, "'%s' expected", what);
    error_near(p, msg);
  }
  emit(p);
}

static void skip(parser *p, int type, const char *what) {
  if (T(p) != type) {
    char msg[48];
    snprintf(msg, sizeof msg, "'%s' expected", what);
    error_near(p, msg);
  }
  advance(p);
}

/* Marks the start of a construct: the gap before the current token is copied first, so the
 * offset is where the token's own text goes. */
static size_t mark(parser *p) {
  flush_to(p, tk(p)->start);
  return p->out->len;
}

/* ---------------------------------------------------------------------------------------
 * Types: only their extent matters, so these advance without emitting anything.
 * ------------------------------------------------------------------------------------- */

static void ty(parser *p);

static void ty_balanced_parens(parser *p) {
  int level = 0;
  skip(p, '(', "(");
  level = 1;
  while (level > 0) {
    if (T(p) == TK_EOF) error_near(p, "')' expected");
    if (T(p) == '(') level++;
    if (T(p) == ')') level--;
    advance(p);
  }
}

/* One element of a type argument list or pack: a type, `...T` or `T...`. */
static void ty_pack_item(parser *p) {
  if (T(p) == TK_DOTS) {
    advance(p);
    ty(p);
  } else {
    ty(p);
  }
}

static void ty_args(parser *p) {
  skip(p, '<', "<");
  while (T(p) != '>') {
    ty_pack_item(p);
    if (T(p) != ',') break;
    advance(p);
  }
  skip(p, '>', ">");
}

/* `<T, U..., V = number>` after a function name, `function`, or a type alias name. */
static void ty_generics(parser *p) {
  skip(p, '<', "<");
  while (T(p) != '>') {
    skip(p, TK_NAME, "<name>");
    if (T(p) == TK_DOTS) advance(p);
    if (T(p) == '=') {
      advance(p);
      ty_pack_item(p);
    }
    if (T(p) != ',') break;
    advance(p);
  }
  skip(p, '>', ">");
}

/* `(A, name: B, ...C)` optionally followed by `-> R`: a parenthesised type, a pack or a
 * function type. */
static void ty_paren(parser *p) {
  skip(p, '(', "(");
  while (T(p) != ')') {
    if (T(p) == TK_NAME && LA(p, 1) == ':') {
      advance(p);
      advance(p);
    }
    ty_pack_item(p);
    if (T(p) != ',') break;
    advance(p);
  }
  skip(p, ')', ")");
  if (T(p) == TK_ARROW) {
    advance(p);
    ty(p);
  }
}

static void ty_table(parser *p) {
  skip(p, '{', "{");
  while (T(p) != '}') {
    if (T(p) == '[') {
      advance(p);
      ty(p);
      skip(p, ']', "]");
      skip(p, ':', ":");
      ty(p);
    } else {
      if ((cur_is(p, "read") || cur_is(p, "write")) && LA(p, 1) == TK_NAME && LA(p, 2) == ':')
        advance(p);
      if (T(p) == TK_NAME && LA(p, 1) == ':') {
        advance(p);
        advance(p);
      }
      ty(p);
    }
    if (T(p) != ',' && T(p) != ';') break;
    advance(p);
  }
  skip(p, '}', "}");
}

static void ty_simple(parser *p) {
  switch (T(p)) {
  case TK_NIL:
  case TK_TRUE:
  case TK_FALSE:
  case TK_STRING:
    advance(p);
    break;
  case TK_NAME:
    if (cur_is(p, "typeof") && LA(p, 1) == '(') {
      advance(p);
      ty_balanced_parens(p);
      break;
    }
    advance(p);
    while (T(p) == '.') {
      advance(p);
      skip(p, TK_NAME, "<name>");
    }
    if (T(p) == '<') ty_args(p);
    if (T(p) == TK_DOTS) advance(p); /* a generic pack T... */
    break;
  case '{':
    ty_table(p);
    break;
  case '(':
    ty_paren(p);
    break;
  case '<':
    ty_generics(p);
    if (T(p) != '(') error_near(p, "'(' expected");
    ty_paren(p);
    break;
  case TK_DOTS:
    advance(p);
    ty(p);
    break;
  default:
    error_near(p, "type expected");
  }
}

static void ty(parser *p) {
  enter(p);
  if (T(p) == '|' || T(p) == '&') advance(p);
  for (;;) {
    ty_simple(p);
    while (T(p) == '?') advance(p);
    if (T(p) != '|' && T(p) != '&') break;
    advance(p);
  }
  leave(p);
}

/* `: Type` at the current token (if there), dropped from the output. */
static void drop_annotation(parser *p) {
  if (T(p) == ':') {
    size_t first = p->i;
    advance(p);
    ty(p);
    drop_tokens_from(p, first);
  }
}

static void drop_generics(parser *p) {
  if (T(p) == '<') {
    size_t first = p->i;
    ty_generics(p);
    drop_tokens_from(p, first);
  }
}

/* `@native`, `@checked`, ...: attributes have no LuaJIT meaning. */
static void drop_attributes(parser *p) {
  while (T(p) == '@') {
    size_t first = p->i;
    advance(p);
    if (T(p) == '[') {
      int level = 0;
      do {
        if (T(p) == TK_EOF) error_near(p, "']' expected");
        if (T(p) == '[') level++;
        if (T(p) == ']') level--;
        advance(p);
      } while (level > 0);
    } else {
      skip(p, TK_NAME, "<name>");
    }
    drop_tokens_from(p, first);
  }
}

/* ---------------------------------------------------------------------------------------
 * Expressions
 * ------------------------------------------------------------------------------------- */

static void expr(parser *p);
static void subexpr(parser *p, int limit);
static void block(parser *p, loop_ctx *body, size_t *last_jump_start);

enum { SX_NAME, SX_PAREN, SX_FIELD, SX_INDEX, SX_CALL };

typedef struct suffixed {
  int kind;
  int obj_is_name; /* the object indexed is one plain name */
  int key_simple;  /* the key is a name or a literal (or a .field) */
  size_t start, obj_end, key_start, key_end, end;
  size_t field_tok;  /* SX_FIELD: the name token */
  size_t callee_tok; /* SX_CALL: the name the call's function was found by, or NO_TOK */
} suffixed;

static void explist(parser *p) {
  expr(p);
  while (T(p) == ',') {
    emit(p);
    expr(p);
  }
}

static void table_cons(parser *p) {
  expect(p, '{', "{");
  while (T(p) != '}') {
    if (T(p) == '[') {
      emit(p);
      expr(p);
      expect(p, ']', "]");
      expect(p, '=', "=");
      expr(p);
    } else if (T(p) == TK_NAME && LA(p, 1) == '=') {
      emit(p);
      emit(p);
      expr(p);
    } else {
      expr(p);
    }
    if (T(p) != ',' && T(p) != ';') break;
    emit(p);
  }
  expect(p, '}', "}");
}

/* RMT_LUAU_INTERRUPTS: a check at the top of every loop body and function body, on the line
 * of the body's first token (line numbers stay), ended by ';' so a body starting with '('
 * is not read as a call of the check's result. */
static void interrupt_check(parser *p) {
  if (!p->interrupts) return;
  flush_to(p, tk(p)->start);
  out_str(p, CHECK_CALL);
}

static void funcbody(parser *p) {
  loop_ctx *saved = p->loop;
  drop_generics(p);
  expect(p, '(', "(");
  while (T(p) != ')') {
    if (T(p) == TK_DOTS) {
      emit(p);
      if (T(p) == ':') {
        size_t first = p->i;
        advance(p);
        ty_pack_item(p);
        drop_tokens_from(p, first);
      }
      break;
    }
    expect(p, TK_NAME, "<name>");
    drop_annotation(p);
    if (T(p) != ',') break;
    emit(p);
  }
  expect(p, ')', ")");
  if (T(p) == ':') {
    size_t first = p->i;
    advance(p);
    ty_pack_item(p);
    drop_tokens_from(p, first);
  }
  p->loop = NULL; /* `continue` cannot leave a function */
  interrupt_check(p);
  block(p, NULL, NULL);
  p->loop = saved;
  expect(p, TK_END, "end");
}

static void args(parser *p) {
  switch (T(p)) {
  case '(':
    emit(p);
    if (T(p) != ')') explist(p);
    expect(p, ')', ")");
    break;
  case '{':
    table_cons(p);
    break;
  case TK_STRING:
    string_token(p);
    break;
  default:
    error_near(p, "function arguments expected");
  }
}

#define NO_TOK ((size_t)-1)

static void suffixedexp(parser *p, suffixed *sx) {
  int prev_name;
  size_t name_tok = NO_TOK;
  sx->start = mark(p);
  sx->callee_tok = NO_TOK;
  if (T(p) == TK_NAME) {
    name_tok = p->i;
    emit(p);
    sx->kind = SX_NAME;
  } else if (T(p) == '(') {
    emit(p);
    expr(p);
    expect(p, ')', ")");
    sx->kind = SX_PAREN;
  } else {
    error_near(p, "unexpected symbol");
  }
  for (;;) {
    prev_name = sx->kind == SX_NAME;
    switch (T(p)) {
    case '.':
      sx->obj_end = p->out->len;
      emit(p);
      sx->field_tok = name_tok = p->i;
      expect(p, TK_NAME, "<name>");
      sx->kind = SX_FIELD;
      sx->obj_is_name = prev_name;
      sx->key_simple = 1;
      break;
    case '[': {
      size_t key_tok;
      sx->obj_end = p->out->len;
      name_tok = NO_TOK;
      emit(p);
      sx->key_start = p->out->len;
      key_tok = p->i;
      expr(p);
      sx->key_simple = p->i == key_tok + 1 &&
                       (p->toks[key_tok].type == TK_NAME || p->toks[key_tok].type == TK_NUMBER ||
                        p->toks[key_tok].type == TK_STRING || p->toks[key_tok].type == TK_TRUE ||
                        p->toks[key_tok].type == TK_FALSE);
      sx->key_end = mark(p);
      expect(p, ']', "]");
      sx->kind = SX_INDEX;
      sx->obj_is_name = prev_name;
      break;
    }
    case ':':
      emit(p);
      name_tok = p->i;
      expect(p, TK_NAME, "<name>");
      args(p);
      sx->kind = SX_CALL;
      sx->callee_tok = name_tok;
      name_tok = NO_TOK;
      break;
    case '(':
    case '{':
    case TK_STRING:
      args(p);
      sx->kind = SX_CALL;
      sx->callee_tok = name_tok;
      name_tok = NO_TOK;
      break;
    default:
      sx->end = p->out->len;
      return;
    }
  }
}

/* Luau's digit separators (1_000, 0xFF_FF): LuaJIT 2.1 reads everything else, 0b1010 too. */
static void number(parser *p) {
  const token *t = tk(p);
  const char *s = p->src + t->start;
  size_t n = t->end - t->start, k, m = 0;
  char buf[128];
  if (memchr(s, '_', n) == NULL) {
    emit(p);
    return;
  }
  if (n >= sizeof buf) error_near(p, "malformed number");
  for (k = 0; k < n; k++)
    if (s[k] != '_') buf[m++] = s[k];
  buf[m] = 0;
  replace(p, buf);
}

/* The text of an interpolated-string section as the inside of a "..." literal. */
static void interp_literal(parser *p, const token *t, int with_concat_before, int with_concat_after) {
  size_t a = t->start + 1, b = t->end - 1, k;
  rmt_buf *s = &p->scratch;
  s->len = 0;
  if (a >= b) return;
  if (with_concat_before && rmt_buf_append(s, " .. ", 4)) fail_nomem(p);
  if (rmt_buf_append(s, "\"", 1)) fail_nomem(p);
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
    if (rc) fail_nomem(p);
  }
  if (rmt_buf_append(s, "\"", 1)) fail_nomem(p);
  if (with_concat_after && rmt_buf_append(s, " .. ", 4)) fail_nomem(p);
}

static void replace_with_scratch(parser *p, const char *before, const char *after) {
  flush_to(p, tk(p)->start);
  out_str(p, before);
  out_mem(p, p->scratch.data, p->scratch.len);
  out_str(p, after);
  p->cur = tk(p)->end;
  advance(p);
}

/* `a {x} b` -> ("a " .. tostring(x) .. " b") */
static void interpolation(parser *p) {
  if (T(p) == TK_ISIMPLE) {
    interp_literal(p, tk(p), 0, 0);
    if (p->scratch.len == 0)
      replace(p, "\"\"");
    else
      replace_with_scratch(p, "", "");
    return;
  }
  interp_literal(p, tk(p), 0, 1);
  replace_with_scratch(p, "(", "tostring(");
  for (;;) {
    expr(p);
    if (T(p) == TK_IMID) {
      interp_literal(p, tk(p), 1, 1);
      if (p->scratch.len == 0)
        replace(p, ") .. tostring(");
      else
        replace_with_scratch(p, ")", "tostring(");
    } else if (T(p) == TK_IEND) {
      interp_literal(p, tk(p), 1, 0);
      replace_with_scratch(p, ")", ")");
      return;
    } else {
      error_near(p, "'}' expected in interpolated string");
    }
  }
}

/* if a then b elseif c then d else e -> ((a) and {b} or (c) and {d} or {e})[1]: only the
 * chosen branch runs, and a nil or false result survives because the table is truthy. */
static void if_expression(parser *p) {
  replace(p, "((");
  expr(p);
  if (T(p) != TK_THEN) error_near(p, "'then' expected");
  replace(p, ") and {");
  expr(p);
  while (T(p) == TK_ELSEIF) {
    replace(p, "} or (");
    expr(p);
    if (T(p) != TK_THEN) error_near(p, "'then' expected");
    replace(p, ") and {");
    expr(p);
  }
  if (T(p) != TK_ELSE) error_near(p, "'else' expected in if-expression");
  replace(p, "} or {");
  expr(p);
  out_str(p, "})[1]");
}

enum { SIMPLE_TABLE = 100, SIMPLE_OTHER };

static void simpleexp(parser *p) {
  size_t first = p->i;
  int kind = SIMPLE_OTHER;
  switch (T(p)) {
  case TK_NUMBER:
    number(p);
    break;
  case TK_STRING:
    string_token(p);
    break;
  case TK_NIL:
  case TK_TRUE:
  case TK_FALSE:
  case TK_DOTS:
    emit(p);
    break;
  case '{':
    table_cons(p);
    kind = SIMPLE_TABLE;
    break;
  case '@':
    drop_attributes(p);
    if (T(p) != TK_FUNCTION) error_near(p, "'function' expected after attribute");
    /* fallthrough */
  case TK_FUNCTION:
    emit(p);
    funcbody(p);
    break;
  case TK_IF:
    if_expression(p);
    break;
  case TK_ISIMPLE:
  case TK_IBEGIN:
    interpolation(p);
    break;
  default: {
    suffixed sx;
    memset(&sx, 0, sizeof sx);
    suffixedexp(p, &sx);
    kind = sx.kind;
    p->last_callee_tok = sx.callee_tok;
  }
  }
  /* a cast `expr :: Type`; `:: name ::` is a LuaJIT label after the expression instead */
  while (T(p) == TK_DCOLON && !(LA(p, 1) == TK_NAME && LA(p, 2) == TK_DCOLON)) {
    size_t cast = p->i;
    advance(p);
    ty(p);
    drop_tokens_from(p, cast);
  }
  p->last_simple_kind = kind;
  p->last_simple_tok = first;
}

static int binary_priority(int op, int *right) {
  switch (op) {
  case '+': case '-': *right = 6; return 6;
  case '*': case '/': case '%': case TK_IDIV: *right = 7; return 7;
  case '^': *right = 9; return 10;
  case TK_CONCAT: *right = 4; return 5;
  case TK_EQ: case TK_NE: case '<': case TK_LE: case '>': case TK_GE: *right = 3; return 3;
  case TK_AND: *right = 2; return 2;
  case TK_OR: *right = 1; return 1;
  default: return 0;
  }
}

#define UNARY_PRIORITY 8

static void subexpr(parser *p, int limit) {
  size_t start;
  int left, right = 0;
  enter(p);
  start = mark(p);
  if (T(p) == TK_NOT || T(p) == '-' || T(p) == '#') {
    emit(p);
    subexpr(p, UNARY_PRIORITY);
  } else {
    simpleexp(p);
  }
  while ((left = binary_priority(T(p), &right)) > limit) {
    if (T(p) == TK_IDIV) {
      static const char open[] = "__luau_idiv(";
      out_insert(p, start, open, sizeof open - 1);
      replace(p, ",");
      p->used_idiv = 1;
      subexpr(p, right);
      out_str(p, ")");
    } else {
      emit(p);
      subexpr(p, right);
    }
  }
  leave(p);
}

static void expr(parser *p) { subexpr(p, 0); }

/* ---------------------------------------------------------------------------------------
 * Statements
 * ------------------------------------------------------------------------------------- */

static int block_follow(int t) {
  return t == TK_EOF || t == TK_ELSE || t == TK_ELSEIF || t == TK_END || t == TK_UNTIL;
}

static const char *compound_op(int t) {
  switch (t) {
  case TK_ADDEQ: return "+";
  case TK_SUBEQ: return "-";
  case TK_MULEQ: return "*";
  case TK_DIVEQ: return "/";
  case TK_IDIVEQ: return "//";
  case TK_MODEQ: return "%";
  case TK_POWEQ: return "^";
  case TK_CATEQ: return "..";
  default: return NULL;
  }
}

static void scratch_add(parser *p, const void *data, size_t n) {
  if (rmt_buf_append(&p->scratch, data, n)) fail_nomem(p);
}
static void scratch_str(parser *p, const char *s) { scratch_add(p, s, strlen(s)); }

/* After `=`/`op (` etc.: when the gap before the value is plain spaces, it is dropped so
 * `x += 1` reads `x = x + (1)`. */
static void drop_simple_gap(parser *p) {
  size_t k;
  for (k = p->cur; k < tk(p)->start; k++)
    if (p->src[k] != ' ' && p->src[k] != '\t') return;
  p->cur = tk(p)->start;
}

/* target op= value. The target's translated text is in the output from sx->start. */
static void compound_assignment(parser *p, const suffixed *sx) {
  const char *op = compound_op(T(p));
  int idiv = T(p) == TK_IDIVEQ;
  rmt_buf *o = p->out;
  int direct = sx->kind == SX_NAME ||
               (sx->obj_is_name && sx->key_simple &&
                count_breaks((const char *)o->data + sx->start, sx->end - sx->start) == 0);
  if (sx->kind != SX_NAME && sx->kind != SX_FIELD && sx->kind != SX_INDEX)
    error_near(p, "syntax error");
  p->scratch.len = 0;
  if (direct) {
    /* x = x + (v): evaluating the target twice is harmless for a name or name[literal] */
    size_t tlen = sx->end - sx->start;
    scratch_str(p, "= ");
    if (idiv) scratch_str(p, "__luau_idiv(");
    scratch_add(p, o->data + sx->start, tlen);
    if (idiv) {
      scratch_str(p, ", (");
    } else {
      scratch_str(p, " ");
      scratch_str(p, op);
      scratch_str(p, " (");
    }
    flush_to(p, tk(p)->start);
    out_mem(p, p->scratch.data, p->scratch.len);
    p->cur = tk(p)->end;
    advance(p);
  } else {
    /* do local t, k = obj, key; t[k] = t[k] + (v) end: obj and key are evaluated once */
    size_t nl;
    const char *slot;
    scratch_str(p, "do local __luau_t");
    if (sx->kind == SX_INDEX) {
      nl = count_breaks((const char *)o->data + sx->obj_end, sx->key_start - sx->obj_end);
      scratch_str(p, ", __luau_k = ");
      scratch_add(p, o->data + sx->start, sx->obj_end - sx->start);
      scratch_str(p, ", ");
      scratch_add(p, o->data + sx->key_start, sx->key_end - sx->key_start);
      slot = "__luau_t[__luau_k]";
    } else {
      nl = count_breaks((const char *)o->data + sx->obj_end, sx->end - sx->obj_end);
      scratch_str(p, " = ");
      scratch_add(p, o->data + sx->start, sx->obj_end - sx->start);
      slot = NULL;
    }
    if (add_breaks(&p->scratch, nl, p->cur < tk(p)->start ? (unsigned char)p->src[p->cur] : ' '))
      fail_nomem(p);
    /* the gap between the target and the operator is kept (it may hold line breaks) */
    scratch_add(p, p->src + p->cur, tk(p)->start - p->cur);
    scratch_str(p, "; ");
    if (slot) {
      scratch_str(p, slot);
    } else {
      const token *f = &p->toks[sx->field_tok];
      scratch_str(p, "__luau_t.");
      scratch_add(p, p->src + f->start, f->end - f->start);
    }
    scratch_str(p, " = ");
    if (idiv) scratch_str(p, "__luau_idiv(");
    if (slot) {
      scratch_str(p, slot);
    } else {
      const token *f = &p->toks[sx->field_tok];
      scratch_str(p, "__luau_t.");
      scratch_add(p, p->src + f->start, f->end - f->start);
    }
    if (idiv) {
      scratch_str(p, ", (");
    } else {
      scratch_str(p, " ");
      scratch_str(p, op);
      scratch_str(p, " (");
    }
    o->len = sx->start;
    out_mem(p, p->scratch.data, p->scratch.len);
    p->cur = tk(p)->end;
    advance(p);
  }
  if (idiv) p->used_idiv = 1;
  drop_simple_gap(p);
  expr(p);
  out_str(p, idiv ? "))" : ")");
  if (!direct) out_str(p, " end");
}

static void exprstat(parser *p) {
  suffixed sx;
  memset(&sx, 0, sizeof sx);
  suffixedexp(p, &sx);
  if (T(p) == '=' || T(p) == ',') {
    if (sx.kind == SX_CALL || sx.kind == SX_PAREN) error_near(p, "syntax error");
    while (T(p) == ',') {
      emit(p);
      memset(&sx, 0, sizeof sx);
      suffixedexp(p, &sx);
      if (sx.kind == SX_CALL || sx.kind == SX_PAREN) error_near(p, "syntax error");
    }
    expect(p, '=', "=");
    explist(p);
  } else if (compound_op(T(p))) {
    compound_assignment(p, &sx);
  } else if (sx.kind != SX_CALL) {
    error_near(p, "syntax error");
  }
}

/* `[export] type function Name(params) body end` runs in the type checker only: it is parsed
 * as a function (so its extent is exact, if-expressions and all) and the text written for
 * it is taken back, keeping its line breaks. */
static void type_function(parser *p, size_t first) {
  size_t start = p->toks[first].start, at;
  int used_idiv = p->used_idiv, used_iter = p->used_iter; /* its helpers are not needed */
  flush_to(p, start);
  at = p->out->len;
  advance(p); /* function */
  skip(p, TK_NAME, "<name>");
  funcbody(p);
  p->used_idiv = used_idiv;
  p->used_iter = used_iter;
  p->out->len = at;
  p->cur = start;
  drop_to(p, p->toks[p->i - 1].end);
}

/* type Name<T> = Type / export type ...: removed, line breaks kept. */
static void type_alias(parser *p) {
  size_t first = p->i;
  if (cur_is(p, "export")) advance(p);
  advance(p); /* type */
  if (T(p) == TK_FUNCTION) {
    type_function(p, first);
    return;
  }
  skip(p, TK_NAME, "<name>");
  if (T(p) == '<') ty_generics(p);
  skip(p, '=', "=");
  ty(p);
  drop_tokens_from(p, first);
}

static void continue_statement(parser *p) {
  char text[48];
  loop_ctx *lc = p->loop;
  if (!lc) error_near(p, "continue statement must be inside a loop");
  if (!lc->label) {
    lc->label = ++p->labels;
    lc->first_cont_stmt = lc->stmt_start;
  }
  snprintf(text, sizeof text, "goto __continue_%d", lc->label);
  replace(p, text);
}

/* The body of a while/for/repeat loop, up to (not including) its `end`/`until`. */
static void loop_body(parser *p, int is_repeat) {
  loop_ctx lc, *saved = p->loop;
  size_t last_jump = (size_t)-1;
  memset(&lc, 0, sizeof lc);
  p->loop = &lc;
  interrupt_check(p);
  block(p, &lc, &last_jump);
  p->loop = saved;
  if (lc.label) {
    char text[48];
    /* a return/break must end its block, so it gets one of its own before the label */
    if (last_jump != (size_t)-1) {
      out_insert(p, last_jump, "do ", 3);
      out_str(p, " end");
    }
    /* in repeat-until the body after the first continue goes into do...end, so the label
     * ends a block (no jump into a local's scope) and the condition still sees the locals
     * declared before that continue */
    if (is_repeat) out_insert(p, lc.first_cont_stmt, "do ", 3);
    flush_to(p, tk(p)->start);
    snprintf(text, sizeof text, "::__continue_%d:: %s", lc.label, is_repeat ? "end " : "");
    out_str(p, text);
  }
}

/* Calls that return an iterator function in every Lua program, left as they are. */
static int known_iterator_call(const parser *p, size_t callee) {
  static const char *const names[] = {"pairs", "ipairs", "gmatch", "gfind", "lines"};
  size_t k;
  if (callee == NO_TOK) return 0;
  for (k = 0; k < sizeof names / sizeof names[0]; k++)
    if (tok_is(p, callee, names[k])) return 1;
  return 0;
}

/* `in e do` with one expression e may be Luau's generalized iteration over a table (`in t`,
 * `in {..}`, `in Players:GetPlayers()`): it goes through __luau_iter, which gives a function
 * back unchanged. Calls of pairs/ipairs/gmatch/lines are left alone. */
static void for_in_explist(parser *p) {
  size_t start = mark(p), first = p->i;
  int k;
  explist(p);
  k = p->last_simple_kind;
  if (!p->keep_iter && T(p) == TK_DO && p->last_simple_tok == first &&
      (k == SX_NAME || k == SX_FIELD || k == SX_INDEX || k == SIMPLE_TABLE ||
       (k == SX_CALL && !known_iterator_call(p, p->last_callee_tok)))) {
    static const char open[] = "__luau_iter(";
    out_insert(p, start, open, sizeof open - 1);
    out_str(p, ")");
    p->used_iter = 1;
  }
}

static void local_names(parser *p) {
  for (;;) {
    expect(p, TK_NAME, "<name>");
    drop_annotation(p);
    if (T(p) != ',') break;
    emit(p);
  }
}

/* Returns 1 for return/break (which must end a block in LuaJIT). */
static int statement(parser *p) {
  switch (T(p)) {
  case ';':
    emit(p);
    return 0;
  case TK_IF:
    emit(p);
    expr(p);
    expect(p, TK_THEN, "then");
    block(p, NULL, NULL);
    while (T(p) == TK_ELSEIF) {
      emit(p);
      expr(p);
      expect(p, TK_THEN, "then");
      block(p, NULL, NULL);
    }
    if (T(p) == TK_ELSE) {
      emit(p);
      block(p, NULL, NULL);
    }
    expect(p, TK_END, "end");
    return 0;
  case TK_WHILE:
    emit(p);
    expr(p);
    expect(p, TK_DO, "do");
    loop_body(p, 0);
    expect(p, TK_END, "end");
    return 0;
  case TK_DO:
    emit(p);
    block(p, NULL, NULL);
    expect(p, TK_END, "end");
    return 0;
  case TK_FOR:
    emit(p);
    expect(p, TK_NAME, "<name>");
    drop_annotation(p);
    if (T(p) == '=') {
      emit(p);
      expr(p);
      expect(p, ',', ",");
      expr(p);
      if (T(p) == ',') {
        emit(p);
        expr(p);
      }
    } else {
      while (T(p) == ',') {
        emit(p);
        expect(p, TK_NAME, "<name>");
        drop_annotation(p);
      }
      expect(p, TK_IN, "in");
      for_in_explist(p);
    }
    expect(p, TK_DO, "do");
    loop_body(p, 0);
    expect(p, TK_END, "end");
    return 0;
  case TK_REPEAT:
    emit(p);
    loop_body(p, 1);
    expect(p, TK_UNTIL, "until");
    expr(p);
    return 0;
  case '@':
    drop_attributes(p);
    if (T(p) != TK_FUNCTION && T(p) != TK_LOCAL) error_near(p, "'function' expected after attribute");
    return statement(p);
  case TK_FUNCTION:
    emit(p);
    expect(p, TK_NAME, "<name>");
    while (T(p) == '.') {
      emit(p);
      expect(p, TK_NAME, "<name>");
    }
    if (T(p) == ':') {
      emit(p);
      expect(p, TK_NAME, "<name>");
    }
    funcbody(p);
    return 0;
  case TK_LOCAL:
    emit(p);
    if (T(p) == '@') drop_attributes(p);
    if (T(p) == TK_FUNCTION) {
      emit(p);
      expect(p, TK_NAME, "<name>");
      funcbody(p);
      return 0;
    }
    local_names(p);
    if (T(p) == '=') {
      emit(p);
      explist(p);
    }
    return 0;
  case TK_RETURN:
    emit(p);
    if (!block_follow(T(p)) && T(p) != ';') explist(p);
    if (T(p) == ';') emit(p);
    return 1;
  case TK_BREAK:
    emit(p);
    return 1;
  case TK_DCOLON:
    emit(p);
    expect(p, TK_NAME, "<name>");
    expect(p, TK_DCOLON, "::");
    return 0;
  case TK_NAME:
    if (cur_is(p, "goto") && LA(p, 1) == TK_NAME) {
      emit(p);
      emit(p);
      return 0;
    }
    if ((cur_is(p, "type") && (LA(p, 1) == TK_NAME || LA(p, 1) == TK_FUNCTION)) ||
        (cur_is(p, "export") && la_is(p, 1, "type") && (LA(p, 2) == TK_NAME || LA(p, 2) == TK_FUNCTION))) {
      type_alias(p);
      return 0;
    }
    if (cur_is(p, "continue")) {
      int n = LA(p, 1);
      if (n != '(' && n != '.' && n != '[' && n != ':' && n != '{' && n != TK_STRING &&
          n != '=' && n != ',' && !compound_op(n)) {
        continue_statement(p);
        return 0;
      }
    }
    exprstat(p);
    return 0;
  default:
    exprstat(p);
    return 0;
  }
}

/* `body`: the loop whose own body this block is (NULL otherwise). *last_jump_start gets the
 * output offset of a final return/break statement, or (size_t)-1. */
static void block(parser *p, loop_ctx *body, size_t *last_jump_start) {
  enter(p);
  if (last_jump_start) *last_jump_start = (size_t)-1;
  while (!block_follow(T(p))) {
    size_t start = mark(p);
    int jump;
    if (body) body->stmt_start = start;
    jump = statement(p);
    if (last_jump_start) *last_jump_start = jump ? start : (size_t)-1;
  }
  leave(p);
}

/* ---------------------------------------------------------------------------------------
 * Entry points
 * ------------------------------------------------------------------------------------- */

/* The only function holding the jump buffer: the parser lives in the caller's frame, so its
 * fields keep their values across the longjmp. */
static int run(parser *p) {
  if (setjmp(p->jb) == 0) {
    lex_all(p);
    block(p, NULL, NULL);
    if (T(p) != TK_EOF) error_near(p, "'<eof>' expected");
    flush_to(p, p->len);
    if (p->used_iter) out_insert(p, p->base + p->header, ITER_HELPER, sizeof ITER_HELPER - 1);
    if (p->used_idiv) out_insert(p, p->base + p->header, IDIV_HELPER, sizeof IDIV_HELPER - 1);
    if (p->interrupts) out_insert(p, p->base + p->header, CHECK_LOCAL, sizeof CHECK_LOCAL - 1);
  }
  return p->rc;
}

int rmt__luau_translate(const char *src, size_t len, rmt_buf *out, char *err, size_t errlen) {
  return rmt__luau_translate_ex(src, len, out, err, errlen, 0);
}

int rmt__luau_translate_ex(const char *src, size_t len, rmt_buf *out, char *err, size_t errlen,
                           unsigned flags) {
  parser pr;
  int rc;
  memset(&pr, 0, sizeof pr);
  if (src == NULL) len = 0;
  pr.src = src ? src : "";
  pr.len = len;
  pr.alloc = out->alloc;
  pr.out = out;
  pr.base = out->len;
  pr.err = err;
  pr.errlen = errlen;
  pr.scratch.alloc = out->alloc;
  pr.keep_iter = (flags & RMT_LUAU_KEEP_ITERATION) != 0;
  pr.interrupts = (flags & RMT_LUAU_INTERRUPTS) != 0;
  pr.last_simple_kind = -1;
  if (err && errlen) err[0] = 0;
  rc = run(&pr);
  if (rc) out->len = pr.base;
  rmt__free(pr.alloc, pr.toks, pr.captok * sizeof(token));
  rmt_buf_free(&pr.scratch);
  return rc;
}

int rmt__luau_l_translate(lua_State *L) {
  size_t len;
  const char *src = luaL_checklstring(L, 1, &len);
  rmt_buf out = {0};
  rmt_allocator alloc;
  char err[256];
  int rc;
  unsigned flags = lua_toboolean(L, 2) ? RMT_LUAU_INTERRUPTS : 0;
  /* the state's allocator is the host's hook (same signature), so memory is accounted */
  alloc.fn = lua_getallocf(L, &alloc.ud);
  out.alloc = &alloc;
  rc = rmt__luau_translate_ex(src, len, &out, err, sizeof err, flags);
  if (rc == RMT_ENOMEM) {
    rmt_buf_free(&out);
    return luaL_error(L, "not enough memory");
  }
  if (rc != 0) {
    rmt_buf_free(&out);
    lua_pushnil(L);
    lua_pushstring(L, err);
    lua_pushinteger(L, atoi(err));
    return 3;
  }
  lua_pushlstring(L, (const char *)out.data, out.len);
  rmt_buf_free(&out);
  return 1;
}
