/* value_internal.h - what value.c shares with codec.c: path frames for error messages and
 * cycle detection, limit resolution. Never installed; nothing here allocates. */
#ifndef RMT_VALUE_INTERNAL_H
#define RMT_VALUE_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

/* Every walker (check, copy, normalize, encode, decode) recurses once per table level, so
 * configured depth limits are clamped to this to keep the C stack safe. */
#define RMT_DEPTH_CEILING 1000u

enum { RMT__SEG_ARG, RMT__SEG_INDEX, RMT__SEG_KEY };

/* One level of the path from an argument down to the value being looked at. Frames live on
 * the walkers' C stacks and link to their parent, so the chain is also the ancestor list
 * used for cycle detection. */
typedef struct rmt__frame {
  const struct rmt__frame *parent;
  const void *container; /* identity of the table holding this value (NULL for arguments) */
  int kind;              /* RMT__SEG_* */
  size_t index;          /* argument number or array index, both 1-based */
  const rmt_value *key;  /* RMT__SEG_KEY: the key as given (any type in loose tables) */
} rmt__frame;

/* 1 when a table with identity `id` is the container of `f` or of any ancestor. */
int rmt__frame_in_ancestors(const rmt__frame *f, const void *id);

/* Writes `argument N: <fmt...> (at <path>)` into out (always NUL-terminated, truncated
 * with "..." when long). The path part is omitted for the argument itself. */
void rmt__path_vformat(char *out, size_t cap, const rmt__frame *f, const char *fmt,
                       va_list ap) RMT_PRINTF(4, 0);
int rmt__path_error(rmt_error *err, int code, const rmt__frame *f, const char *fmt, ...)
    RMT_PRINTF(4, 5);

/* Copies `in` (NULL = defaults) into out, clamping max_depth to RMT_DEPTH_CEILING. */
void rmt__limits_resolve(const rmt_limits *in, rmt_limits *out);

/* Identity of a table value for cycle detection (NULL for non-tables and empty ones). */
const void *rmt__table_id(const rmt_value *v);

/* Shape rules of an RMT_TDATATYPE or RMT_TENUM value (kind, counts, integer components,
 * sequence order, enum name): 0, or RMT_EINVAL with the reason (no path) in out. Does not
 * recurse beyond a list kind's direct parts, which the rules restrict to non-tables. */
int rmt__datatype_check(const rmt_value *v, char *out, size_t cap);
/* 1 for kinds whose parts are values (as.datatype.u.items), 0 for numeric/unknown kinds. */
int rmt__datatype_is_list(uint32_t kind);
/* 1 when name[0..len) is a valid enum type name. */
int rmt__enum_name_ok(const char *name, size_t len);

#endif /* RMT_VALUE_INTERNAL_H */
