/*
 * luau_lex.c - scans Luau source into tokens (Luau's operators, `interpolated` sections, the
 * rest as LuaJIT scans it). It only records where tokens are; it never writes output.
 */
#include <stdint.h>
#include <string.h>

#include "luau_internal.h"

#define MAX_INTERP 64 /* nesting of `{`...`}` interpolations */

static const char *const keywords[] = {"and",   "break", "do",     "else",   "elseif", "end",
                                       "false", "for",   "function", "if",     "in",
                                       "local", "nil",   "not",    "or",     "repeat", "return",
                                       "then",  "true",  "until",  "while"};

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
  lh_fail_at(lx->p, lx->line, (int)(lx->pos - lx->line_start) + 1, "%s", msg);
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
    if (ncap > SIZE_MAX / sizeof(token)) lh_fail_nomem(p);
    t = rmt__realloc(p->alloc, p->toks, p->captok * sizeof(token), ncap * sizeof(token));
    if (!t) lh_fail_nomem(p);
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

void lh_lex_all(parser *p) {
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
