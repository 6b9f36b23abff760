/*
 * luau_types.c - Luau's type syntax (annotations, generics, aliases' right-hand sides,
 * attributes): walked to find its extent, then dropped. It never emits a type's text.
 */
#include <stddef.h>

#include "luau_internal.h"

/* ---------------------------------------------------------------------------------------
 * Types: only their extent matters, so these advance without emitting anything.
 * ------------------------------------------------------------------------------------- */

static void ty_balanced_parens(parser *p) {
  int level = 0;
  lh_skip_tok(p, '(', "(");
  level = 1;
  while (level > 0) {
    if (lh_cur_type(p) == TK_EOF) lh_error_near(p, "')' expected");
    if (lh_cur_type(p) == '(') level++;
    if (lh_cur_type(p) == ')') level--;
    lh_advance(p);
  }
}

/* One element of a type argument list or pack: a type, `...T` or `T...`. */
void lh_skip_pack_item(parser *p) {
  if (lh_cur_type(p) == TK_DOTS) {
    lh_advance(p);
    lh_skip_type(p);
  } else {
    lh_skip_type(p);
  }
}

static void ty_args(parser *p) {
  lh_skip_tok(p, '<', "<");
  while (lh_cur_type(p) != '>') {
    lh_skip_pack_item(p);
    if (lh_cur_type(p) != ',') break;
    lh_advance(p);
  }
  lh_skip_tok(p, '>', ">");
}

/* `<T, U..., V = number>` after a function name, `function`, or a type alias name. */
void lh_skip_generics(parser *p) {
  lh_skip_tok(p, '<', "<");
  while (lh_cur_type(p) != '>') {
    lh_skip_tok(p, TK_NAME, "<name>");
    if (lh_cur_type(p) == TK_DOTS) lh_advance(p);
    if (lh_cur_type(p) == '=') {
      lh_advance(p);
      lh_skip_pack_item(p);
    }
    if (lh_cur_type(p) != ',') break;
    lh_advance(p);
  }
  lh_skip_tok(p, '>', ">");
}

/* `(A, name: B, ...C)` optionally followed by `-> R`: a parenthesised type, a pack or a
 * function type. */
static void ty_paren(parser *p) {
  lh_skip_tok(p, '(', "(");
  while (lh_cur_type(p) != ')') {
    if (lh_cur_type(p) == TK_NAME && lh_la_type(p, 1) == ':') {
      lh_advance(p);
      lh_advance(p);
    }
    lh_skip_pack_item(p);
    if (lh_cur_type(p) != ',') break;
    lh_advance(p);
  }
  lh_skip_tok(p, ')', ")");
  if (lh_cur_type(p) == TK_ARROW) {
    lh_advance(p);
    lh_skip_type(p);
  }
}

static void ty_table(parser *p) {
  lh_skip_tok(p, '{', "{");
  while (lh_cur_type(p) != '}') {
    if (lh_cur_type(p) == '[') {
      lh_advance(p);
      lh_skip_type(p);
      lh_skip_tok(p, ']', "]");
      lh_skip_tok(p, ':', ":");
      lh_skip_type(p);
    } else {
      if ((lh_cur_is(p, "read") || lh_cur_is(p, "write")) && lh_la_type(p, 1) == TK_NAME && lh_la_type(p, 2) == ':')
        lh_advance(p);
      if (lh_cur_type(p) == TK_NAME && lh_la_type(p, 1) == ':') {
        lh_advance(p);
        lh_advance(p);
      }
      lh_skip_type(p);
    }
    if (lh_cur_type(p) != ',' && lh_cur_type(p) != ';') break;
    lh_advance(p);
  }
  lh_skip_tok(p, '}', "}");
}

static void ty_simple(parser *p) {
  switch (lh_cur_type(p)) {
  case TK_NIL:
  case TK_TRUE:
  case TK_FALSE:
  case TK_STRING:
    lh_advance(p);
    break;
  case TK_NAME:
    if (lh_cur_is(p, "typeof") && lh_la_type(p, 1) == '(') {
      lh_advance(p);
      ty_balanced_parens(p);
      break;
    }
    lh_advance(p);
    while (lh_cur_type(p) == '.') {
      lh_advance(p);
      lh_skip_tok(p, TK_NAME, "<name>");
    }
    if (lh_cur_type(p) == '<') ty_args(p);
    if (lh_cur_type(p) == TK_DOTS) lh_advance(p); /* a generic pack T... */
    break;
  case '{':
    ty_table(p);
    break;
  case '(':
    ty_paren(p);
    break;
  case '<':
    lh_skip_generics(p);
    if (lh_cur_type(p) != '(') lh_error_near(p, "'(' expected");
    ty_paren(p);
    break;
  case TK_DOTS:
    lh_advance(p);
    lh_skip_type(p);
    break;
  default:
    lh_error_near(p, "type expected");
  }
}

void lh_skip_type(parser *p) {
  lh_enter(p);
  if (lh_cur_type(p) == '|' || lh_cur_type(p) == '&') lh_advance(p);
  for (;;) {
    ty_simple(p);
    while (lh_cur_type(p) == '?') lh_advance(p);
    if (lh_cur_type(p) != '|' && lh_cur_type(p) != '&') break;
    lh_advance(p);
  }
  lh_leave(p);
}

/* `: Type` at the current token (if there), dropped from the output. */
void lh_drop_annotation(parser *p) {
  if (lh_cur_type(p) == ':') {
    size_t first = p->i;
    lh_advance(p);
    lh_skip_type(p);
    lh_drop_tokens_from(p, first);
  }
}

void lh_drop_generics(parser *p) {
  if (lh_cur_type(p) == '<') {
    size_t first = p->i;
    lh_skip_generics(p);
    lh_drop_tokens_from(p, first);
  }
}

/* `@native`, `@checked`, ...: attributes have no LuaJIT meaning. */
void lh_drop_attributes(parser *p) {
  while (lh_cur_type(p) == '@') {
    size_t first = p->i;
    lh_advance(p);
    if (lh_cur_type(p) == '[') {
      int level = 0;
      do {
        if (lh_cur_type(p) == TK_EOF) lh_error_near(p, "']' expected");
        if (lh_cur_type(p) == '[') level++;
        if (lh_cur_type(p) == ']') level--;
        lh_advance(p);
      } while (level > 0);
    } else {
      lh_skip_tok(p, TK_NAME, "<name>");
    }
    lh_drop_tokens_from(p, first);
  }
}
