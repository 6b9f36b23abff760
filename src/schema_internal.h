/* schema_internal.h - the compiled form of an argument schema (src/schema.c), shared with
 * tests and the size model. Internal only; never part of the public API or the wire. */
#ifndef RMT_SCHEMA_INTERNAL_H
#define RMT_SCHEMA_INTERNAL_H

#include <stdint.h>

#include "remotes.h"

#define RMT_SCHEMA_NONE UINT32_MAX
#define RMT_SCHEMA_MAX_TEXT 65535u
#define RMT_SCHEMA_MAX_NESTING 32

typedef enum rmt_schema_kind {
  RMT_SK_ANY = 1,   /* any non-nil value */
  RMT_SK_NIL,
  RMT_SK_BOOLEAN,
  RMT_SK_NUMBER,    /* finite; is_int, range lo..hi */
  RMT_SK_STRING,    /* byte length in lo..hi */
  RMT_SK_VECTOR3,   /* finite components */
  RMT_SK_CFRAME,
  RMT_SK_COLOR3,
  RMT_SK_PLAYER,
  RMT_SK_TABLE,     /* any array or dictionary, contents unchecked */
  RMT_SK_LIT_STRING,
  RMT_SK_LIT_NUMBER,
  RMT_SK_LIT_BOOL,
  RMT_SK_ARRAY,     /* child = element rule; length in lo..hi */
  RMT_SK_DICT,      /* child = first FIELD */
  RMT_SK_MAP,       /* key = key rule, child = value rule; entries in lo..hi */
  RMT_SK_ALT,       /* child = first term, linked through next */
  RMT_SK_FIELD,     /* an argument or a dictionary field: child = rule, name in str */
  RMT_SK_DATATYPE,  /* count = rmt_datatype_kind; every number in it finite */
  RMT_SK_ENUM       /* an EnumItem; of the enum named by str/str_len, or any when str_len 0 */
} rmt_schema_kind;

typedef struct rmt_schema_node {
  uint8_t kind;
  uint8_t is_int;
  uint8_t optional; /* FIELD: may be absent (or nil) */
  uint8_t has_lo, has_hi;
  double lo, hi;
  double num;       /* LIT_NUMBER; LIT_BOOL: 0 or 1 */
  uint32_t str, str_len; /* LIT_STRING bytes or FIELD name: offset/length in the pool */
  uint32_t child, key, next;
  uint32_t count;   /* DICT fields, ALT terms */
} rmt_schema_node;

struct rmt_schema {
  rmt_allocator alloc_copy;
  const rmt_allocator *alloc; /* &alloc_copy, or NULL for malloc */
  rmt_schema_node *nodes;
  size_t nnodes, nodes_cap;
  char *pool;
  size_t pool_len, pool_cap;
  char *text;
  size_t text_len;
  uint32_t first_arg; /* FIELD list */
  uint32_t nargs, nrequired, noptional;
};

/* 1 when `v` satisfies node `idx` (no message, no allocation). */
int rmt__schema_matches(const rmt_schema *s, uint32_t idx, const rmt_value *v);

#endif /* RMT_SCHEMA_INTERNAL_H */
