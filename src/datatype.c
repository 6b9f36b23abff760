/* datatype.c - Roblox datatypes (Vector2, UDim2, NumberSequence, TweenInfo, ...) and
 * EnumItems as values: their constructors, names and the rules one must obey to cross a
 * remote (counts, integer parts, keypoint order). The one place those rules are written;
 * check, copy, normalize, encode and decode all ask rmt__datatype_check. Never allocates. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "value_internal.h"

rmt_value rmt_datatype(rmt_datatype_kind kind, const double *numbers, size_t count) {
  rmt_value v = rmt_nil();
  if (count > RMT_DATATYPE_MAX_NUMBERS || (numbers == NULL && count)) return v;
  v.type = RMT_TDATATYPE;
  v.as.datatype.kind = (uint32_t)kind;
  v.as.datatype.count = (uint32_t)count;
  for (size_t i = 0; i < count; i++) v.as.datatype.u.n[i] = numbers[i];
  return v;
}

rmt_value rmt_datatype_list(rmt_datatype_kind kind, const rmt_value *items, size_t count) {
  rmt_value v = rmt_nil();
  if (count > UINT32_MAX) return v;
  v.type = RMT_TDATATYPE;
  v.as.datatype.kind = (uint32_t)kind;
  v.as.datatype.count = items ? (uint32_t)count : 0;
  v.as.datatype.u.items = items;
  return v;
}

rmt_value rmt_vector2(double x, double y) {
  const double n[2] = {x, y};
  return rmt_datatype(RMT_DT_VECTOR2, n, 2);
}

rmt_value rmt_udim2(double x_scale, double x_offset, double y_scale, double y_offset) {
  const double n[4] = {x_scale, x_offset, y_scale, y_offset};
  return rmt_datatype(RMT_DT_UDIM2, n, 4);
}

rmt_value rmt_enum_item(const char *enum_name, int32_t value) {
  rmt_value v = rmt_nil();
  if (enum_name == NULL) return v;
  v.type = RMT_TENUM;
  v.as.enumitem.name = enum_name;
  v.as.enumitem.len = strlen(enum_name);
  v.as.enumitem.value = value;
  return v;
}

/* One row per rmt_datatype_kind: Roblox's name, and the component count of numeric kinds
 * (0 = a list kind). */
static const struct {
  const char *name;
  unsigned char arity;
} datatype_kinds[RMT_DT_KIND_COUNT_] = {
    [RMT_DT_VECTOR2] = {"Vector2", 2},
    [RMT_DT_UDIM] = {"UDim", 2},
    [RMT_DT_UDIM2] = {"UDim2", 4},
    [RMT_DT_RECT] = {"Rect", 4},
    [RMT_DT_NUMBERRANGE] = {"NumberRange", 2},
    [RMT_DT_NUMBERSEQUENCEKEYPOINT] = {"NumberSequenceKeypoint", 3},
    [RMT_DT_COLORSEQUENCEKEYPOINT] = {"ColorSequenceKeypoint", 4},
    [RMT_DT_BRICKCOLOR] = {"BrickColor", 1},
    [RMT_DT_DATETIME] = {"DateTime", 1},
    [RMT_DT_NUMBERSEQUENCE] = {"NumberSequence", 0},
    [RMT_DT_COLORSEQUENCE] = {"ColorSequence", 0},
    [RMT_DT_RAY] = {"Ray", 0},
    [RMT_DT_TWEENINFO] = {"TweenInfo", 0},
};

const char *rmt_datatype_name(rmt_datatype_kind kind) {
  if ((unsigned)kind >= RMT_DT_KIND_COUNT_) return NULL;
  return datatype_kinds[kind].name;
}

size_t rmt_datatype_arity(rmt_datatype_kind kind) {
  if ((unsigned)kind >= RMT_DT_KIND_COUNT_) return 0;
  return datatype_kinds[kind].arity;
}

int rmt__datatype_is_list(uint32_t kind) {
  return kind < RMT_DT_KIND_COUNT_ && datatype_kinds[kind].name && datatype_kinds[kind].arity == 0;
}

static int is_int_in(double x, double lo, double hi) { return x >= lo && x <= hi && x == floor(x); }

static int why(char *out, size_t cap, const char *fmt, ...) RMT_PRINTF(3, 4);
static int why(char *out, size_t cap, const char *fmt, ...) {
  if (out && cap) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, cap, fmt, ap);
    va_end(ap);
  }
  return RMT_EINVAL;
}

int rmt__enum_name_ok(const char *name, size_t len) {
  if (name == NULL || len == 0 || len > RMT_ENUM_NAME_MAX) return 0;
  for (size_t i = 0; i < len; i++) {
    char ch = name[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
          ch == '_'))
      return 0;
  }
  return 1;
}

static int enum_named(const rmt_value *v, const char *name) {
  size_t n = strlen(name);
  return v->type == RMT_TENUM && v->as.enumitem.len == n &&
         memcmp(v->as.enumitem.name, name, n) == 0;
}

/* Keypoints of a sequence: the right kind, Time from 0 to 1 and never decreasing (what
 * NumberSequence.new/ColorSequence.new insist on, so a peer cannot build one Lua could not). */
static int check_sequence(const rmt_value *v, uint32_t kp_kind, const char *name, char *out,
                          size_t cap) {
  uint32_t n = v->as.datatype.count;
  const rmt_value *it = v->as.datatype.u.items;
  if (n < 2 || n > RMT_SEQUENCE_MAX_KEYPOINTS)
    return why(out, cap, "%s with %u keypoints (2..%d allowed)", name, (unsigned)n,
               RMT_SEQUENCE_MAX_KEYPOINTS);
  for (uint32_t i = 0; i < n; i++) {
    if (it[i].type != RMT_TDATATYPE || it[i].as.datatype.kind != kp_kind ||
        it[i].as.datatype.count != datatype_kinds[kp_kind].arity)
      return why(out, cap, "%s keypoint %u is not a %s", name, (unsigned)i + 1,
                 datatype_kinds[kp_kind].name);
    double t = it[i].as.datatype.u.n[0];
    if (i == 0 ? !(t == 0) : !(t >= it[i - 1].as.datatype.u.n[0]))
      return why(out, cap, "%s keypoint times must start at 0 and never decrease", name);
  }
  if (!(it[n - 1].as.datatype.u.n[0] == 1))
    return why(out, cap, "%s keypoint times must end at 1", name);
  return 0;
}

int rmt__datatype_check(const rmt_value *v, char *out, size_t cap) {
  if (v->type == RMT_TENUM) {
    if (!rmt__enum_name_ok(v->as.enumitem.name, v->as.enumitem.len))
      return why(out, cap, "EnumItem with a bad enum name (1..%d bytes of [A-Za-z0-9_])",
                 RMT_ENUM_NAME_MAX);
    return 0;
  }
  uint32_t kind = v->as.datatype.kind, n = v->as.datatype.count;
  if (kind >= RMT_DT_KIND_COUNT_ || datatype_kinds[kind].name == NULL)
    return why(out, cap, "unknown datatype kind %u", (unsigned)kind);
  const char *name = datatype_kinds[kind].name;
  unsigned arity = datatype_kinds[kind].arity;
  if (arity) {
    const double *x = v->as.datatype.u.n;
    if (n != arity)
      return why(out, cap, "%s with %u numbers (expected %u)", name, (unsigned)n, arity);
    switch (kind) {
    case RMT_DT_UDIM:
      if (!is_int_in(x[1], -2147483648.0, 2147483647.0))
        return why(out, cap, "UDim Offset must be an int32");
      break;
    case RMT_DT_UDIM2:
      if (!is_int_in(x[1], -2147483648.0, 2147483647.0) ||
          !is_int_in(x[3], -2147483648.0, 2147483647.0))
        return why(out, cap, "UDim2 Offsets must be int32");
      break;
    case RMT_DT_NUMBERRANGE:
      if (x[0] > x[1]) return why(out, cap, "NumberRange with Min greater than Max");
      break;
    case RMT_DT_BRICKCOLOR:
      if (!is_int_in(x[0], 0, 65535)) return why(out, cap, "BrickColor number must be 0..65535");
      break;
    case RMT_DT_DATETIME:
      if (!is_int_in(x[0], -9007199254740992.0, 9007199254740992.0))
        return why(out, cap, "DateTime milliseconds must be an integer within 2^53");
      break;
    default: break;
    }
    return 0;
  }
  const rmt_value *it = v->as.datatype.u.items;
  if (n && it == NULL) return why(out, cap, "%s with NULL items", name);
  switch (kind) {
  case RMT_DT_NUMBERSEQUENCE:
    return check_sequence(v, RMT_DT_NUMBERSEQUENCEKEYPOINT, name, out, cap);
  case RMT_DT_COLORSEQUENCE:
    return check_sequence(v, RMT_DT_COLORSEQUENCEKEYPOINT, name, out, cap);
  case RMT_DT_RAY:
    if (n != 2 || it[0].type != RMT_TVECTOR3 || it[1].type != RMT_TVECTOR3)
      return why(out, cap, "Ray must be two Vector3 (Origin, Direction)");
    return 0;
  case RMT_DT_TWEENINFO:
    if (n != 6 || it[0].type != RMT_TNUMBER || !enum_named(&it[1], "EasingStyle") ||
        !enum_named(&it[2], "EasingDirection") || it[3].type != RMT_TNUMBER ||
        it[4].type != RMT_TBOOLEAN || it[5].type != RMT_TNUMBER)
      return why(out, cap, "TweenInfo must be (number, Enum.EasingStyle, "
                           "Enum.EasingDirection, number, boolean, number)");
    return 0;
  default: return why(out, cap, "unknown datatype kind %u", (unsigned)kind);
  }
}
