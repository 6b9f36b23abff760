/*
 * luau_internal.h - what the Luau translator's files share: token kinds, the parser state and
 * the lh_ functions they call in one another. Only src/lua/luau*.c include it; it must never
 * become part of the host's or the library's interface (luau.h is that).
 *
 * The files, each calling only those above it (scripts/host_graph.py checks):
 *   luau_edit.c   errors, the output (copy, drop, insert: line breaks never move), the token
 *                 cursor, and rewrites of single literals (strings, numbers, `...` sections)
 *   luau_lex.c    the source into tokens
 *   luau_types.c  type syntax: skipped, and dropped from the output
 *   luau_parse.c  statements and expressions, with every rewrite that spans tokens
 *   luau.c        the entry points of luau.h and the helpers a chunk is given
 */
#ifndef RMT_LUAU_INTERNAL_H
#define RMT_LUAU_INTERNAL_H

#include <setjmp.h>
#include <stddef.h>
#include <string.h>

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

typedef struct token {
  int type;
  size_t start, end; /* bytes of the token in the source */
  int line, col;
} token;

/* RMT_LUAU_INTERRUPTS: the chunk takes the host's check once, as a local (no global lookup in
 * a hot loop, and a script that reassigns the global later cannot switch it off). */
#define CHECK_LOCAL "local __rmt_chk = __rmt_chk; "
#define CHECK_CALL "__rmt_chk(); "

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

/* luau_edit.c: errors (both longjmp to the entry point; they never return) */
void lh_fail_at(parser *p, int line, int col, const char *fmt, const char *a);
void lh_fail_nomem(parser *p);
void lh_error_near(parser *p, const char *msg);

/* luau_edit.c: the output */
void lh_put_mem(parser *p, const void *data, size_t n);
void lh_put_str(parser *p, const char *s);
void lh_put_insert(parser *p, size_t at, const char *s, size_t n);
void lh_flush_to(parser *p, size_t pos);
size_t lh_count_breaks(const char *s, size_t n);
int lh_add_breaks(rmt_buf *b, size_t n, int next);
void lh_drop_to(parser *p, size_t pos);

/* luau_edit.c: the token cursor (the small ones are here so they inline) */
static inline const token *lh_cur(const parser *p) { return &p->toks[p->i]; }
static inline int lh_cur_type(const parser *p) { return p->toks[p->i].type; }
static inline int lh_la_type(const parser *p, size_t k) {
  return p->i + k < p->ntok ? p->toks[p->i + k].type : TK_EOF;
}
static inline int lh_tok_is(const parser *p, size_t idx, const char *name) {
  const token *t = &p->toks[idx];
  size_t n = strlen(name);
  return t->type == TK_NAME && t->end - t->start == n && memcmp(p->src + t->start, name, n) == 0;
}
static inline int lh_cur_is(const parser *p, const char *name) { return lh_tok_is(p, p->i, name); }
static inline int lh_la_is(const parser *p, size_t k, const char *name) {
  return p->i + k < p->ntok && lh_tok_is(p, p->i + k, name);
}

static inline void lh_advance(parser *p) {
  if (p->i + 1 < p->ntok) p->i++;
}
void lh_enter(parser *p);
void lh_leave(parser *p);
void lh_emit(parser *p);
void lh_replace(parser *p, const char *text);
void lh_drop_tokens_from(parser *p, size_t first);
void lh_expect(parser *p, int type, const char *what);
void lh_skip_tok(parser *p, int type, const char *what);
size_t lh_mark(parser *p);

/* luau_edit.c: single literals */
void lh_string_token(parser *p);
void lh_number_token(parser *p);
void lh_interp_literal(parser *p, const token *t, int with_concat_before, int with_concat_after);
void lh_replace_with_scratch(parser *p, const char *before, const char *after);

/* luau_lex.c */
void lh_lex_all(parser *p);

/* luau_types.c */
void lh_skip_type(parser *p);
void lh_skip_pack_item(parser *p);
void lh_skip_generics(parser *p);
void lh_drop_annotation(parser *p);
void lh_drop_generics(parser *p);
void lh_drop_attributes(parser *p);

/* luau_parse.c */
void lh_block(parser *p, loop_ctx *body, size_t *last_jump_start);

#endif
