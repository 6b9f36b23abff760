/*
 * luau_parse.c - the Luau translator's recursive descent over statements and expressions,
 * with the rewrites that span tokens: compound assignment, continue, if-expressions,
 * interpolation, //, generalized iteration and the interrupt checks. Statements and
 * expressions call each other (a function body is a block), so they stay in one file. It
 * never touches input LuaJIT accepts except where luau.h says so.
 */
#include <stdio.h>
#include <string.h>

#include "luau_internal.h"

/* ---------------------------------------------------------------------------------------
 * Expressions
 * ------------------------------------------------------------------------------------- */

static void expr(parser *p);
static void subexpr(parser *p, int limit);

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
  while (lh_cur_type(p) == ',') {
    lh_emit(p);
    expr(p);
  }
}

static void table_cons(parser *p) {
  lh_expect(p, '{', "{");
  while (lh_cur_type(p) != '}') {
    if (lh_cur_type(p) == '[') {
      lh_emit(p);
      expr(p);
      lh_expect(p, ']', "]");
      lh_expect(p, '=', "=");
      expr(p);
    } else if (lh_cur_type(p) == TK_NAME && lh_la_type(p, 1) == '=') {
      lh_emit(p);
      lh_emit(p);
      expr(p);
    } else {
      expr(p);
    }
    if (lh_cur_type(p) != ',' && lh_cur_type(p) != ';') break;
    lh_emit(p);
  }
  lh_expect(p, '}', "}");
}

/* RMT_LUAU_INTERRUPTS: a check at the top of every loop body and function body, on the line
 * of the body's first token (line numbers stay), ended by ';' so a body starting with '('
 * is not read as a call of the check's result. */
static void interrupt_check(parser *p) {
  if (!p->interrupts) return;
  lh_flush_to(p, lh_cur(p)->start);
  lh_put_str(p, CHECK_CALL);
}

static void funcbody(parser *p) {
  loop_ctx *saved = p->loop;
  lh_drop_generics(p);
  lh_expect(p, '(', "(");
  while (lh_cur_type(p) != ')') {
    if (lh_cur_type(p) == TK_DOTS) {
      lh_emit(p);
      if (lh_cur_type(p) == ':') {
        size_t first = p->i;
        lh_advance(p);
        lh_skip_pack_item(p);
        lh_drop_tokens_from(p, first);
      }
      break;
    }
    lh_expect(p, TK_NAME, "<name>");
    lh_drop_annotation(p);
    if (lh_cur_type(p) != ',') break;
    lh_emit(p);
  }
  lh_expect(p, ')', ")");
  if (lh_cur_type(p) == ':') {
    size_t first = p->i;
    lh_advance(p);
    lh_skip_pack_item(p);
    lh_drop_tokens_from(p, first);
  }
  p->loop = NULL; /* `continue` cannot leave a function */
  interrupt_check(p);
  lh_block(p, NULL, NULL);
  p->loop = saved;
  lh_expect(p, TK_END, "end");
}

static void args(parser *p) {
  switch (lh_cur_type(p)) {
  case '(':
    lh_emit(p);
    if (lh_cur_type(p) != ')') explist(p);
    lh_expect(p, ')', ")");
    break;
  case '{':
    table_cons(p);
    break;
  case TK_STRING:
    lh_string_token(p);
    break;
  default:
    lh_error_near(p, "function arguments expected");
  }
}

#define NO_TOK ((size_t)-1)

static void suffixedexp(parser *p, suffixed *sx) {
  int prev_name;
  size_t name_tok = NO_TOK;
  sx->start = lh_mark(p);
  sx->callee_tok = NO_TOK;
  if (lh_cur_type(p) == TK_NAME) {
    name_tok = p->i;
    lh_emit(p);
    sx->kind = SX_NAME;
  } else if (lh_cur_type(p) == '(') {
    lh_emit(p);
    expr(p);
    lh_expect(p, ')', ")");
    sx->kind = SX_PAREN;
  } else {
    lh_error_near(p, "unexpected symbol");
  }
  for (;;) {
    prev_name = sx->kind == SX_NAME;
    switch (lh_cur_type(p)) {
    case '.':
      sx->obj_end = p->out->len;
      lh_emit(p);
      sx->field_tok = name_tok = p->i;
      lh_expect(p, TK_NAME, "<name>");
      sx->kind = SX_FIELD;
      sx->obj_is_name = prev_name;
      sx->key_simple = 1;
      break;
    case '[': {
      size_t key_tok;
      sx->obj_end = p->out->len;
      name_tok = NO_TOK;
      lh_emit(p);
      sx->key_start = p->out->len;
      key_tok = p->i;
      expr(p);
      sx->key_simple = p->i == key_tok + 1 &&
                       (p->toks[key_tok].type == TK_NAME || p->toks[key_tok].type == TK_NUMBER ||
                        p->toks[key_tok].type == TK_STRING || p->toks[key_tok].type == TK_TRUE ||
                        p->toks[key_tok].type == TK_FALSE);
      sx->key_end = lh_mark(p);
      lh_expect(p, ']', "]");
      sx->kind = SX_INDEX;
      sx->obj_is_name = prev_name;
      break;
    }
    case ':':
      lh_emit(p);
      name_tok = p->i;
      lh_expect(p, TK_NAME, "<name>");
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


/* `a {x} b` -> ("a " .. tostring(x) .. " b") */
static void interpolation(parser *p) {
  if (lh_cur_type(p) == TK_ISIMPLE) {
    lh_interp_literal(p, lh_cur(p), 0, 0);
    if (p->scratch.len == 0)
      lh_replace(p, "\"\"");
    else
      lh_replace_with_scratch(p, "", "");
    return;
  }
  lh_interp_literal(p, lh_cur(p), 0, 1);
  lh_replace_with_scratch(p, "(", "tostring(");
  for (;;) {
    expr(p);
    if (lh_cur_type(p) == TK_IMID) {
      lh_interp_literal(p, lh_cur(p), 1, 1);
      if (p->scratch.len == 0)
        lh_replace(p, ") .. tostring(");
      else
        lh_replace_with_scratch(p, ")", "tostring(");
    } else if (lh_cur_type(p) == TK_IEND) {
      lh_interp_literal(p, lh_cur(p), 1, 0);
      lh_replace_with_scratch(p, ")", ")");
      return;
    } else {
      lh_error_near(p, "'}' expected in interpolated string");
    }
  }
}

/* if a then b elseif c then d else e -> ((a) and {b} or (c) and {d} or {e})[1]: only the
 * chosen branch runs, and a nil or false result survives because the table is truthy. */
static void if_expression(parser *p) {
  lh_replace(p, "((");
  expr(p);
  if (lh_cur_type(p) != TK_THEN) lh_error_near(p, "'then' expected");
  lh_replace(p, ") and {");
  expr(p);
  while (lh_cur_type(p) == TK_ELSEIF) {
    lh_replace(p, "} or (");
    expr(p);
    if (lh_cur_type(p) != TK_THEN) lh_error_near(p, "'then' expected");
    lh_replace(p, ") and {");
    expr(p);
  }
  if (lh_cur_type(p) != TK_ELSE) lh_error_near(p, "'else' expected in if-expression");
  lh_replace(p, "} or {");
  expr(p);
  lh_put_str(p, "})[1]");
}

enum { SIMPLE_TABLE = 100, SIMPLE_OTHER };

static void simpleexp(parser *p) {
  size_t first = p->i;
  int kind = SIMPLE_OTHER;
  switch (lh_cur_type(p)) {
  case TK_NUMBER:
    lh_number_token(p);
    break;
  case TK_STRING:
    lh_string_token(p);
    break;
  case TK_NIL:
  case TK_TRUE:
  case TK_FALSE:
  case TK_DOTS:
    lh_emit(p);
    break;
  case '{':
    table_cons(p);
    kind = SIMPLE_TABLE;
    break;
  case '@':
    lh_drop_attributes(p);
    if (lh_cur_type(p) != TK_FUNCTION) lh_error_near(p, "'function' expected after attribute");
    /* fallthrough */
  case TK_FUNCTION:
    lh_emit(p);
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
  while (lh_cur_type(p) == TK_DCOLON && !(lh_la_type(p, 1) == TK_NAME && lh_la_type(p, 2) == TK_DCOLON)) {
    size_t cast = p->i;
    lh_advance(p);
    lh_skip_type(p);
    lh_drop_tokens_from(p, cast);
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
  lh_enter(p);
  start = lh_mark(p);
  if (lh_cur_type(p) == TK_NOT || lh_cur_type(p) == '-' || lh_cur_type(p) == '#') {
    lh_emit(p);
    subexpr(p, UNARY_PRIORITY);
  } else {
    simpleexp(p);
  }
  while ((left = binary_priority(lh_cur_type(p), &right)) > limit) {
    if (lh_cur_type(p) == TK_IDIV) {
      static const char open[] = "__luau_idiv(";
      lh_put_insert(p, start, open, sizeof open - 1);
      lh_replace(p, ",");
      p->used_idiv = 1;
      subexpr(p, right);
      lh_put_str(p, ")");
    } else {
      lh_emit(p);
      subexpr(p, right);
    }
  }
  lh_leave(p);
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
  if (rmt_buf_append(&p->scratch, data, n)) lh_fail_nomem(p);
}
static void scratch_str(parser *p, const char *s) { scratch_add(p, s, strlen(s)); }

/* After `=`/`op (` etc.: when the gap before the value is plain spaces, it is dropped so
 * `x += 1` reads `x = x + (1)`. */
static void drop_simple_gap(parser *p) {
  size_t k;
  for (k = p->cur; k < lh_cur(p)->start; k++)
    if (p->src[k] != ' ' && p->src[k] != '\t') return;
  p->cur = lh_cur(p)->start;
}

/* target op= value. The target's translated text is in the output from sx->start. */
static void compound_assignment(parser *p, const suffixed *sx) {
  const char *op = compound_op(lh_cur_type(p));
  int idiv = lh_cur_type(p) == TK_IDIVEQ;
  rmt_buf *o = p->out;
  int direct = sx->kind == SX_NAME ||
               (sx->obj_is_name && sx->key_simple &&
                lh_count_breaks((const char *)o->data + sx->start, sx->end - sx->start) == 0);
  if (sx->kind != SX_NAME && sx->kind != SX_FIELD && sx->kind != SX_INDEX)
    lh_error_near(p, "syntax error");
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
    lh_flush_to(p, lh_cur(p)->start);
    lh_put_mem(p, p->scratch.data, p->scratch.len);
    p->cur = lh_cur(p)->end;
    lh_advance(p);
  } else {
    /* do local t, k = obj, key; t[k] = t[k] + (v) end: obj and key are evaluated once */
    size_t nl;
    const char *slot;
    scratch_str(p, "do local __luau_t");
    if (sx->kind == SX_INDEX) {
      nl = lh_count_breaks((const char *)o->data + sx->obj_end, sx->key_start - sx->obj_end);
      scratch_str(p, ", __luau_k = ");
      scratch_add(p, o->data + sx->start, sx->obj_end - sx->start);
      scratch_str(p, ", ");
      scratch_add(p, o->data + sx->key_start, sx->key_end - sx->key_start);
      slot = "__luau_t[__luau_k]";
    } else {
      nl = lh_count_breaks((const char *)o->data + sx->obj_end, sx->end - sx->obj_end);
      scratch_str(p, " = ");
      scratch_add(p, o->data + sx->start, sx->obj_end - sx->start);
      slot = NULL;
    }
    if (lh_add_breaks(&p->scratch, nl, p->cur < lh_cur(p)->start ? (unsigned char)p->src[p->cur] : ' '))
      lh_fail_nomem(p);
    /* the gap between the target and the operator is kept (it may hold line breaks) */
    scratch_add(p, p->src + p->cur, lh_cur(p)->start - p->cur);
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
    lh_put_mem(p, p->scratch.data, p->scratch.len);
    p->cur = lh_cur(p)->end;
    lh_advance(p);
  }
  if (idiv) p->used_idiv = 1;
  drop_simple_gap(p);
  expr(p);
  lh_put_str(p, idiv ? "))" : ")");
  if (!direct) lh_put_str(p, " end");
}

static void exprstat(parser *p) {
  suffixed sx;
  memset(&sx, 0, sizeof sx);
  suffixedexp(p, &sx);
  if (lh_cur_type(p) == '=' || lh_cur_type(p) == ',') {
    if (sx.kind == SX_CALL || sx.kind == SX_PAREN) lh_error_near(p, "syntax error");
    while (lh_cur_type(p) == ',') {
      lh_emit(p);
      memset(&sx, 0, sizeof sx);
      suffixedexp(p, &sx);
      if (sx.kind == SX_CALL || sx.kind == SX_PAREN) lh_error_near(p, "syntax error");
    }
    lh_expect(p, '=', "=");
    explist(p);
  } else if (compound_op(lh_cur_type(p))) {
    compound_assignment(p, &sx);
  } else if (sx.kind != SX_CALL) {
    lh_error_near(p, "syntax error");
  }
}

/* `[export] type function Name(params) body end` runs in the type checker only: it is parsed
 * as a function (so its extent is exact, if-expressions and all) and the text written for
 * it is taken back, keeping its line breaks. */
static void type_function(parser *p, size_t first) {
  size_t start = p->toks[first].start, at;
  int used_idiv = p->used_idiv, used_iter = p->used_iter; /* its helpers are not needed */
  lh_flush_to(p, start);
  at = p->out->len;
  lh_advance(p); /* function */
  lh_skip_tok(p, TK_NAME, "<name>");
  funcbody(p);
  p->used_idiv = used_idiv;
  p->used_iter = used_iter;
  p->out->len = at;
  p->cur = start;
  lh_drop_to(p, p->toks[p->i - 1].end);
}

/* type Name<T> = Type / export type ...: removed, line breaks kept. */
static void type_alias(parser *p) {
  size_t first = p->i;
  if (lh_cur_is(p, "export")) lh_advance(p);
  lh_advance(p); /* type */
  if (lh_cur_type(p) == TK_FUNCTION) {
    type_function(p, first);
    return;
  }
  lh_skip_tok(p, TK_NAME, "<name>");
  if (lh_cur_type(p) == '<') lh_skip_generics(p);
  lh_skip_tok(p, '=', "=");
  lh_skip_type(p);
  lh_drop_tokens_from(p, first);
}

static void continue_statement(parser *p) {
  char text[48];
  loop_ctx *lc = p->loop;
  if (!lc) lh_error_near(p, "continue statement must be inside a loop");
  if (!lc->label) {
    lc->label = ++p->labels;
    lc->first_cont_stmt = lc->stmt_start;
  }
  snprintf(text, sizeof text, "goto __continue_%d", lc->label);
  lh_replace(p, text);
}

/* The body of a while/for/repeat loop, up to (not including) its `end`/`until`. */
static void loop_body(parser *p, int is_repeat) {
  loop_ctx lc, *saved = p->loop;
  size_t last_jump = (size_t)-1;
  memset(&lc, 0, sizeof lc);
  p->loop = &lc;
  interrupt_check(p);
  lh_block(p, &lc, &last_jump);
  p->loop = saved;
  if (lc.label) {
    char text[48];
    /* a return/break must end its block, so it gets one of its own before the label */
    if (last_jump != (size_t)-1) {
      lh_put_insert(p, last_jump, "do ", 3);
      lh_put_str(p, " end");
    }
    /* in repeat-until the body after the first continue goes into do...end, so the label
     * ends a block (no jump into a local's scope) and the condition still sees the locals
     * declared before that continue */
    if (is_repeat) lh_put_insert(p, lc.first_cont_stmt, "do ", 3);
    lh_flush_to(p, lh_cur(p)->start);
    snprintf(text, sizeof text, "::__continue_%d:: %s", lc.label, is_repeat ? "end " : "");
    lh_put_str(p, text);
  }
}

/* Calls that return an iterator function in every Lua program, left as they are. */
static int known_iterator_call(const parser *p, size_t callee) {
  static const char *const names[] = {"pairs", "ipairs", "gmatch", "gfind", "lines"};
  size_t k;
  if (callee == NO_TOK) return 0;
  for (k = 0; k < sizeof names / sizeof names[0]; k++)
    if (lh_tok_is(p, callee, names[k])) return 1;
  return 0;
}

/* `in e do` with one expression e may be Luau's generalized iteration over a table (`in t`,
 * `in {..}`, `in Players:GetPlayers()`): it goes through __luau_iter, which gives a function
 * back unchanged. Calls of pairs/ipairs/gmatch/lines are left alone. */
static void for_in_explist(parser *p) {
  size_t start = lh_mark(p), first = p->i;
  int k;
  explist(p);
  k = p->last_simple_kind;
  if (!p->keep_iter && lh_cur_type(p) == TK_DO && p->last_simple_tok == first &&
      (k == SX_NAME || k == SX_FIELD || k == SX_INDEX || k == SIMPLE_TABLE ||
       (k == SX_CALL && !known_iterator_call(p, p->last_callee_tok)))) {
    static const char open[] = "__luau_iter(";
    lh_put_insert(p, start, open, sizeof open - 1);
    lh_put_str(p, ")");
    p->used_iter = 1;
  }
}

static void local_names(parser *p) {
  for (;;) {
    lh_expect(p, TK_NAME, "<name>");
    lh_drop_annotation(p);
    if (lh_cur_type(p) != ',') break;
    lh_emit(p);
  }
}

/* Returns 1 for return/break (which must end a block in LuaJIT). */
static int statement(parser *p) {
  switch (lh_cur_type(p)) {
  case ';':
    lh_emit(p);
    return 0;
  case TK_IF:
    lh_emit(p);
    expr(p);
    lh_expect(p, TK_THEN, "then");
    lh_block(p, NULL, NULL);
    while (lh_cur_type(p) == TK_ELSEIF) {
      lh_emit(p);
      expr(p);
      lh_expect(p, TK_THEN, "then");
      lh_block(p, NULL, NULL);
    }
    if (lh_cur_type(p) == TK_ELSE) {
      lh_emit(p);
      lh_block(p, NULL, NULL);
    }
    lh_expect(p, TK_END, "end");
    return 0;
  case TK_WHILE:
    lh_emit(p);
    expr(p);
    lh_expect(p, TK_DO, "do");
    loop_body(p, 0);
    lh_expect(p, TK_END, "end");
    return 0;
  case TK_DO:
    lh_emit(p);
    lh_block(p, NULL, NULL);
    lh_expect(p, TK_END, "end");
    return 0;
  case TK_FOR:
    lh_emit(p);
    lh_expect(p, TK_NAME, "<name>");
    lh_drop_annotation(p);
    if (lh_cur_type(p) == '=') {
      lh_emit(p);
      expr(p);
      lh_expect(p, ',', ",");
      expr(p);
      if (lh_cur_type(p) == ',') {
        lh_emit(p);
        expr(p);
      }
    } else {
      while (lh_cur_type(p) == ',') {
        lh_emit(p);
        lh_expect(p, TK_NAME, "<name>");
        lh_drop_annotation(p);
      }
      lh_expect(p, TK_IN, "in");
      for_in_explist(p);
    }
    lh_expect(p, TK_DO, "do");
    loop_body(p, 0);
    lh_expect(p, TK_END, "end");
    return 0;
  case TK_REPEAT:
    lh_emit(p);
    loop_body(p, 1);
    lh_expect(p, TK_UNTIL, "until");
    expr(p);
    return 0;
  case '@':
    lh_drop_attributes(p);
    if (lh_cur_type(p) != TK_FUNCTION && lh_cur_type(p) != TK_LOCAL) lh_error_near(p, "'function' expected after attribute");
    return statement(p);
  case TK_FUNCTION:
    lh_emit(p);
    lh_expect(p, TK_NAME, "<name>");
    while (lh_cur_type(p) == '.') {
      lh_emit(p);
      lh_expect(p, TK_NAME, "<name>");
    }
    if (lh_cur_type(p) == ':') {
      lh_emit(p);
      lh_expect(p, TK_NAME, "<name>");
    }
    funcbody(p);
    return 0;
  case TK_LOCAL:
    lh_emit(p);
    if (lh_cur_type(p) == '@') lh_drop_attributes(p);
    if (lh_cur_type(p) == TK_FUNCTION) {
      lh_emit(p);
      lh_expect(p, TK_NAME, "<name>");
      funcbody(p);
      return 0;
    }
    local_names(p);
    if (lh_cur_type(p) == '=') {
      lh_emit(p);
      explist(p);
    }
    return 0;
  case TK_RETURN:
    lh_emit(p);
    if (!block_follow(lh_cur_type(p)) && lh_cur_type(p) != ';') explist(p);
    if (lh_cur_type(p) == ';') lh_emit(p);
    return 1;
  case TK_BREAK:
    lh_emit(p);
    return 1;
  case TK_DCOLON:
    lh_emit(p);
    lh_expect(p, TK_NAME, "<name>");
    lh_expect(p, TK_DCOLON, "::");
    return 0;
  case TK_NAME:
    if (lh_cur_is(p, "goto") && lh_la_type(p, 1) == TK_NAME) {
      lh_emit(p);
      lh_emit(p);
      return 0;
    }
    if ((lh_cur_is(p, "type") && (lh_la_type(p, 1) == TK_NAME || lh_la_type(p, 1) == TK_FUNCTION)) ||
        (lh_cur_is(p, "export") && lh_la_is(p, 1, "type") && (lh_la_type(p, 2) == TK_NAME || lh_la_type(p, 2) == TK_FUNCTION))) {
      type_alias(p);
      return 0;
    }
    if (lh_cur_is(p, "continue")) {
      int n = lh_la_type(p, 1);
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
void lh_block(parser *p, loop_ctx *body, size_t *last_jump_start) {
  lh_enter(p);
  if (last_jump_start) *last_jump_start = (size_t)-1;
  while (!block_follow(lh_cur_type(p))) {
    size_t start = lh_mark(p);
    int jump;
    if (body) body->stmt_start = start;
    jump = statement(p);
    if (last_jump_start) *last_jump_start = jump ? start : (size_t)-1;
  }
  lh_leave(p);
}
