/*
 * types.c - Roblox value datatypes for the Lua host: Vector3, CFrame, Color3 as immutable
 * userdata of float32 components (as Roblox). Never touches the DataModel or the network.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

#define MT_VECTOR3 "rmt.Vector3"
#define MT_CFRAME "rmt.CFrame"
#define MT_COLOR3 "rmt.Color3"

typedef struct vec3 {
  float v[3];
} vec3;
typedef struct cframe {
  float p[3];
  float r[9]; /* row-major rotation */
} cframe;
typedef struct color3 {
  float c[3];
} color3;

void lh_format_number(char *buf, size_t cap, double n) {
  if (n != n) {
    snprintf(buf, cap, "nan");
  } else if (isinf(n)) {
    snprintf(buf, cap, n > 0 ? "inf" : "-inf");
  } else {
    snprintf(buf, cap, "%.14g", n);
  }
}

/* The shortest text that reads back as the same float32, as Roblox shows components. */
static void format_float(char *buf, size_t cap, float f) {
  int prec;
  if (f != f || isinf(f)) {
    lh_format_number(buf, cap, f);
    return;
  }
  if (f == 0) f = 0; /* no "-0" */
  for (prec = 6; prec <= 9; prec++) {
    snprintf(buf, cap, "%.*g", prec, (double)f);
    if (strtof(buf, NULL) == f) return;
  }
}

/* LuaJIT 2.1 has luaL_testudata only with 5.2 compat; this is the 5.1 way. */
static void *check_udata(lua_State *L, int idx, const char *mt, const char *what) {
  void *p = lua_touserdata(L, idx);
  if (p == NULL || !lua_getmetatable(L, idx)) return NULL;
  lua_getfield(L, LUA_REGISTRYINDEX, mt);
  if (!lua_rawequal(L, -1, -2)) p = NULL;
  lua_pop(L, 2);
  (void)what;
  return p;
}

const float *lh_to_vector3(lua_State *L, int idx) {
  vec3 *v = check_udata(L, idx, MT_VECTOR3, "Vector3");
  return v ? v->v : NULL;
}
const float *lh_to_cframe(lua_State *L, int idx) {
  cframe *c = check_udata(L, idx, MT_CFRAME, "CFrame");
  return c ? c->p : NULL;
}
const float *lh_to_color3(lua_State *L, int idx) {
  color3 *c = check_udata(L, idx, MT_COLOR3, "Color3");
  return c ? c->c : NULL;
}

static vec3 *check_vec3(lua_State *L, int idx) {
  vec3 *v = check_udata(L, idx, MT_VECTOR3, "Vector3");
  if (!v) luaL_typerror(L, idx, "Vector3");
  return v;
}
static cframe *check_cframe(lua_State *L, int idx) {
  cframe *c = check_udata(L, idx, MT_CFRAME, "CFrame");
  if (!c) luaL_typerror(L, idx, "CFrame");
  return c;
}
static color3 *check_color3(lua_State *L, int idx) {
  color3 *c = check_udata(L, idx, MT_COLOR3, "Color3");
  if (!c) luaL_typerror(L, idx, "Color3");
  return c;
}

void lh_push_vector3(lua_State *L, float x, float y, float z) {
  vec3 *v = lua_newuserdata(L, sizeof *v);
  v->v[0] = x;
  v->v[1] = y;
  v->v[2] = z;
  luaL_getmetatable(L, MT_VECTOR3);
  lua_setmetatable(L, -2);
}

void lh_push_cframe(lua_State *L, const float pos[3], const float rot[9]) {
  cframe *c = lua_newuserdata(L, sizeof *c);
  memcpy(c->p, pos, sizeof c->p);
  memcpy(c->r, rot, sizeof c->r);
  luaL_getmetatable(L, MT_CFRAME);
  lua_setmetatable(L, -2);
}

void lh_push_color3(lua_State *L, float r, float g, float b) {
  color3 *c = lua_newuserdata(L, sizeof *c);
  c->c[0] = r;
  c->c[1] = g;
  c->c[2] = b;
  luaL_getmetatable(L, MT_COLOR3);
  lua_setmetatable(L, -2);
}

static const float IDENTITY[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};

/* ---- Vector3 ---- */

static float v3_mag(const vec3 *a) {
  return sqrtf(a->v[0] * a->v[0] + a->v[1] * a->v[1] + a->v[2] * a->v[2]);
}

static int v3_new(lua_State *L) {
  lh_push_vector3(L, (float)luaL_optnumber(L, 1, 0), (float)luaL_optnumber(L, 2, 0),
                   (float)luaL_optnumber(L, 3, 0));
  return 1;
}

static int v3_dot(lua_State *L) {
  vec3 *a = check_vec3(L, 1), *b = check_vec3(L, 2);
  lua_pushnumber(L, a->v[0] * b->v[0] + a->v[1] * b->v[1] + a->v[2] * b->v[2]);
  return 1;
}

static int v3_cross(lua_State *L) {
  vec3 *a = check_vec3(L, 1), *b = check_vec3(L, 2);
  lh_push_vector3(L, a->v[1] * b->v[2] - a->v[2] * b->v[1],
                   a->v[2] * b->v[0] - a->v[0] * b->v[2],
                   a->v[0] * b->v[1] - a->v[1] * b->v[0]);
  return 1;
}

static int v3_lerp(lua_State *L) {
  vec3 *a = check_vec3(L, 1), *b = check_vec3(L, 2);
  float t = (float)luaL_checknumber(L, 3);
  lh_push_vector3(L, a->v[0] + (b->v[0] - a->v[0]) * t, a->v[1] + (b->v[1] - a->v[1]) * t,
                   a->v[2] + (b->v[2] - a->v[2]) * t);
  return 1;
}

static int v3_fuzzy(lua_State *L) {
  vec3 *a = check_vec3(L, 1), *b = check_vec3(L, 2);
  double eps = luaL_optnumber(L, 3, 1e-5);
  int i, eq = 1;
  for (i = 0; i < 3; i++) eq = eq && fabs((double)a->v[i] - b->v[i]) <= eps;
  lua_pushboolean(L, eq);
  return 1;
}

static int v3_index(lua_State *L) {
  vec3 *a = check_vec3(L, 1);
  const char *k = luaL_checkstring(L, 2);
  if (strcmp(k, "X") == 0 || strcmp(k, "x") == 0) {
    lua_pushnumber(L, a->v[0]);
  } else if (strcmp(k, "Y") == 0 || strcmp(k, "y") == 0) {
    lua_pushnumber(L, a->v[1]);
  } else if (strcmp(k, "Z") == 0 || strcmp(k, "z") == 0) {
    lua_pushnumber(L, a->v[2]);
  } else if (strcmp(k, "Magnitude") == 0 || strcmp(k, "magnitude") == 0) {
    lua_pushnumber(L, v3_mag(a));
  } else if (strcmp(k, "Unit") == 0 || strcmp(k, "unit") == 0) {
    float m = v3_mag(a);
    if (m == 0) {
      lh_push_vector3(L, NAN, NAN, NAN);
    } else {
      lh_push_vector3(L, a->v[0] / m, a->v[1] / m, a->v[2] / m);
    }
  } else if (strcmp(k, "Dot") == 0) {
    lua_pushcfunction(L, v3_dot);
  } else if (strcmp(k, "Cross") == 0) {
    lua_pushcfunction(L, v3_cross);
  } else if (strcmp(k, "Lerp") == 0) {
    lua_pushcfunction(L, v3_lerp);
  } else if (strcmp(k, "FuzzyEq") == 0) {
    lua_pushcfunction(L, v3_fuzzy);
  } else {
    return luaL_error(L, "%s is not a valid member of Vector3", k);
  }
  return 1;
}

/* Arithmetic accepts Vector3 op Vector3 and, for * and /, Vector3 op number either side. */
static int v3_arith(lua_State *L, char op) {
  float a[3], b[3];
  int i;
  for (i = 0; i < 2; i++) {
    float *dst = i == 0 ? a : b;
    const float *v = lh_to_vector3(L, i + 1);
    if (v) {
      memcpy(dst, v, sizeof a);
    } else if (lua_type(L, i + 1) == LUA_TNUMBER && (op == '*' || op == '/')) {
      dst[0] = dst[1] = dst[2] = (float)lua_tonumber(L, i + 1);
    } else {
      return luaL_error(L, "invalid argument #%d to '%s' (Vector3%s expected, got %s)", i + 1,
                        op == '+' ? "add" : op == '-' ? "sub" : op == '*' ? "mul" : "div",
                        (op == '*' || op == '/') ? " or number" : "",
                        luaL_typename(L, i + 1));
    }
  }
  for (i = 0; i < 3; i++) {
    switch (op) {
    case '+': a[i] += b[i]; break;
    case '-': a[i] -= b[i]; break;
    case '*': a[i] *= b[i]; break;
    default: a[i] /= b[i]; break;
    }
  }
  lh_push_vector3(L, a[0], a[1], a[2]);
  return 1;
}
static int v3_add(lua_State *L) { return v3_arith(L, '+'); }
static int v3_sub(lua_State *L) { return v3_arith(L, '-'); }
static int v3_mul(lua_State *L) { return v3_arith(L, '*'); }
static int v3_div(lua_State *L) { return v3_arith(L, '/'); }
static int v3_unm(lua_State *L) {
  vec3 *a = check_vec3(L, 1);
  lh_push_vector3(L, -a->v[0], -a->v[1], -a->v[2]);
  return 1;
}
static int v3_eq(lua_State *L) {
  const float *a = lh_to_vector3(L, 1), *b = lh_to_vector3(L, 2);
  lua_pushboolean(L, a && b && a[0] == b[0] && a[1] == b[1] && a[2] == b[2]);
  return 1;
}
static int v3_tostring(lua_State *L) {
  vec3 *a = check_vec3(L, 1);
  char x[32], y[32], z[32];
  format_float(x, sizeof x, a->v[0]);
  format_float(y, sizeof y, a->v[1]);
  format_float(z, sizeof z, a->v[2]);
  lua_pushfstring(L, "%s, %s, %s", x, y, z);
  return 1;
}

static int immutable(lua_State *L) {
  return luaL_error(L, "%s cannot be assigned to", luaL_optstring(L, 2, "?"));
}

/* ---- CFrame ---- */

static void cf_mul(const cframe *a, const cframe *b, cframe *out) {
  int i, j, k;
  cframe r;
  for (i = 0; i < 3; i++) {
    for (j = 0; j < 3; j++) {
      float s = 0;
      for (k = 0; k < 3; k++) s += a->r[i * 3 + k] * b->r[k * 3 + j];
      r.r[i * 3 + j] = s;
    }
    r.p[i] = a->p[i];
    for (k = 0; k < 3; k++) r.p[i] += a->r[i * 3 + k] * b->p[k];
  }
  *out = r;
}

static void cf_point(const cframe *a, const float v[3], float out[3]) {
  int i, k;
  for (i = 0; i < 3; i++) {
    out[i] = a->p[i];
    for (k = 0; k < 3; k++) out[i] += a->r[i * 3 + k] * v[k];
  }
}

static void cf_inverse(const cframe *a, cframe *out) {
  cframe r;
  int i, j;
  for (i = 0; i < 3; i++)
    for (j = 0; j < 3; j++) r.r[i * 3 + j] = a->r[j * 3 + i];
  for (i = 0; i < 3; i++) {
    r.p[i] = 0;
    for (j = 0; j < 3; j++) r.p[i] -= r.r[i * 3 + j] * a->p[j];
  }
  *out = r;
}

static void push_cf(lua_State *L, const cframe *c) {
  lh_push_cframe(L, c->p, c->r);
}

static int cf_new(lua_State *L) {
  cframe c;
  int n = lua_gettop(L);
  memcpy(c.r, IDENTITY, sizeof c.r);
  memset(c.p, 0, sizeof c.p);
  if (n == 0) {
    /* identity */
  } else if (lh_to_vector3(L, 1)) {
    memcpy(c.p, lh_to_vector3(L, 1), sizeof c.p);
    if (n >= 2) {
      /* CFrame.new(pos, lookAt): -Z faces lookAt, world up is Y */
      const float *at = lh_to_vector3(L, 2);
      float f[3], r[3], u[3], m;
      if (!at) return luaL_typerror(L, 2, "Vector3");
      f[0] = at[0] - c.p[0];
      f[1] = at[1] - c.p[1];
      f[2] = at[2] - c.p[2];
      m = sqrtf(f[0] * f[0] + f[1] * f[1] + f[2] * f[2]);
      if (m > 0) {
        f[0] /= m, f[1] /= m, f[2] /= m;
        /* right = forward x up(0,1,0) */
        r[0] = -f[2], r[1] = 0, r[2] = f[0];
        m = sqrtf(r[0] * r[0] + r[2] * r[2]);
        if (m < 1e-6f) {
          r[0] = 1, r[1] = 0, r[2] = 0;
        } else {
          r[0] /= m, r[2] /= m;
        }
        u[0] = r[1] * f[2] - r[2] * f[1];
        u[1] = r[2] * f[0] - r[0] * f[2];
        u[2] = r[0] * f[1] - r[1] * f[0];
        c.r[0] = r[0], c.r[1] = u[0], c.r[2] = -f[0];
        c.r[3] = r[1], c.r[4] = u[1], c.r[5] = -f[1];
        c.r[6] = r[2], c.r[7] = u[2], c.r[8] = -f[2];
      }
    }
  } else if (n == 3 || n == 7 || n == 12) {
    int i;
    for (i = 0; i < 3; i++) c.p[i] = (float)luaL_checknumber(L, i + 1);
    if (n == 12) {
      for (i = 0; i < 9; i++) c.r[i] = (float)luaL_checknumber(L, i + 4);
    } else if (n == 7) {
      /* quaternion qx, qy, qz, qw */
      float qx = (float)luaL_checknumber(L, 4), qy = (float)luaL_checknumber(L, 5);
      float qz = (float)luaL_checknumber(L, 6), qw = (float)luaL_checknumber(L, 7);
      float m = sqrtf(qx * qx + qy * qy + qz * qz + qw * qw);
      if (m > 0) qx /= m, qy /= m, qz /= m, qw /= m;
      c.r[0] = 1 - 2 * (qy * qy + qz * qz), c.r[1] = 2 * (qx * qy - qz * qw);
      c.r[2] = 2 * (qx * qz + qy * qw), c.r[3] = 2 * (qx * qy + qz * qw);
      c.r[4] = 1 - 2 * (qx * qx + qz * qz), c.r[5] = 2 * (qy * qz - qx * qw);
      c.r[6] = 2 * (qx * qz - qy * qw), c.r[7] = 2 * (qy * qz + qx * qw);
      c.r[8] = 1 - 2 * (qx * qx + qy * qy);
    }
  } else {
    return luaL_error(L, "invalid number of arguments to CFrame.new (%d)", n);
  }
  push_cf(L, &c);
  return 1;
}

static void rot_axis(cframe *c, int axis, float a) {
  float s = sinf(a), co = cosf(a);
  memcpy(c->r, IDENTITY, sizeof c->r);
  memset(c->p, 0, sizeof c->p);
  if (axis == 0) {
    c->r[4] = co, c->r[5] = -s, c->r[7] = s, c->r[8] = co;
  } else if (axis == 1) {
    c->r[0] = co, c->r[2] = s, c->r[6] = -s, c->r[8] = co;
  } else {
    c->r[0] = co, c->r[1] = -s, c->r[3] = s, c->r[4] = co;
  }
}

/* CFrame.Angles(rx, ry, rz) = Rx * Ry * Rz, as Roblox's fromEulerAnglesXYZ. */
static int cf_angles(lua_State *L) {
  cframe x, y, z, t;
  rot_axis(&x, 0, (float)luaL_optnumber(L, 1, 0));
  rot_axis(&y, 1, (float)luaL_optnumber(L, 2, 0));
  rot_axis(&z, 2, (float)luaL_optnumber(L, 3, 0));
  cf_mul(&x, &y, &t);
  cf_mul(&t, &z, &t);
  push_cf(L, &t);
  return 1;
}

static int cf_inverse_l(lua_State *L) {
  cframe r;
  cf_inverse(check_cframe(L, 1), &r);
  push_cf(L, &r);
  return 1;
}

static int cf_components(lua_State *L) {
  cframe *c = check_cframe(L, 1);
  int i;
  for (i = 0; i < 3; i++) lua_pushnumber(L, c->p[i]);
  for (i = 0; i < 9; i++) lua_pushnumber(L, c->r[i]);
  return 12;
}

static int cf_point_world(lua_State *L) {
  float out[3];
  cf_point(check_cframe(L, 1), check_vec3(L, 2)->v, out);
  lh_push_vector3(L, out[0], out[1], out[2]);
  return 1;
}

static int cf_point_object(lua_State *L) {
  cframe inv;
  float out[3];
  cf_inverse(check_cframe(L, 1), &inv);
  cf_point(&inv, check_vec3(L, 2)->v, out);
  lh_push_vector3(L, out[0], out[1], out[2]);
  return 1;
}

static int cf_to_world(lua_State *L) {
  cframe r;
  cf_mul(check_cframe(L, 1), check_cframe(L, 2), &r);
  push_cf(L, &r);
  return 1;
}

static int cf_to_object(lua_State *L) {
  cframe inv, r;
  cf_inverse(check_cframe(L, 1), &inv);
  cf_mul(&inv, check_cframe(L, 2), &r);
  push_cf(L, &r);
  return 1;
}

static int cf_index(lua_State *L) {
  cframe *c = check_cframe(L, 1);
  const char *k = luaL_checkstring(L, 2);
  if (strcmp(k, "Position") == 0 || strcmp(k, "p") == 0) {
    lh_push_vector3(L, c->p[0], c->p[1], c->p[2]);
  } else if (strcmp(k, "X") == 0 || strcmp(k, "x") == 0) {
    lua_pushnumber(L, c->p[0]);
  } else if (strcmp(k, "Y") == 0 || strcmp(k, "y") == 0) {
    lua_pushnumber(L, c->p[1]);
  } else if (strcmp(k, "Z") == 0 || strcmp(k, "z") == 0) {
    lua_pushnumber(L, c->p[2]);
  } else if (strcmp(k, "LookVector") == 0 || strcmp(k, "lookVector") == 0) {
    lh_push_vector3(L, -c->r[2], -c->r[5], -c->r[8]);
  } else if (strcmp(k, "RightVector") == 0) {
    lh_push_vector3(L, c->r[0], c->r[3], c->r[6]);
  } else if (strcmp(k, "UpVector") == 0) {
    lh_push_vector3(L, c->r[1], c->r[4], c->r[7]);
  } else if (strcmp(k, "Rotation") == 0) {
    static const float zero[3] = {0, 0, 0};
    lh_push_cframe(L, zero, c->r);
  } else if (strcmp(k, "Inverse") == 0) {
    lua_pushcfunction(L, cf_inverse_l);
  } else if (strcmp(k, "GetComponents") == 0 || strcmp(k, "components") == 0) {
    lua_pushcfunction(L, cf_components);
  } else if (strcmp(k, "PointToWorldSpace") == 0) {
    lua_pushcfunction(L, cf_point_world);
  } else if (strcmp(k, "PointToObjectSpace") == 0) {
    lua_pushcfunction(L, cf_point_object);
  } else if (strcmp(k, "ToWorldSpace") == 0) {
    lua_pushcfunction(L, cf_to_world);
  } else if (strcmp(k, "ToObjectSpace") == 0) {
    lua_pushcfunction(L, cf_to_object);
  } else {
    return luaL_error(L, "%s is not a valid member of CFrame", k);
  }
  return 1;
}

static int cf_mul_l(lua_State *L) {
  cframe *a = check_cframe(L, 1);
  if (lh_to_cframe(L, 2)) {
    cframe r;
    cf_mul(a, check_cframe(L, 2), &r);
    push_cf(L, &r);
  } else if (lh_to_vector3(L, 2)) {
    float out[3];
    cf_point(a, lh_to_vector3(L, 2), out);
    lh_push_vector3(L, out[0], out[1], out[2]);
  } else {
    return luaL_error(L, "invalid argument #2 to 'mul' (CFrame or Vector3 expected, got %s)",
                      luaL_typename(L, 2));
  }
  return 1;
}

static int cf_addsub(lua_State *L, float sign) {
  cframe c = *check_cframe(L, 1);
  const float *v = lh_to_vector3(L, 2);
  int i;
  if (!v) return luaL_typerror(L, 2, "Vector3");
  for (i = 0; i < 3; i++) c.p[i] += sign * v[i];
  push_cf(L, &c);
  return 1;
}
static int cf_add(lua_State *L) { return cf_addsub(L, 1); }
static int cf_sub(lua_State *L) { return cf_addsub(L, -1); }

static int cf_eq(lua_State *L) {
  const float *a = lh_to_cframe(L, 1), *b = lh_to_cframe(L, 2);
  lua_pushboolean(L, a && b && memcmp(a, b, 12 * sizeof(float)) == 0);
  return 1;
}

static int cf_tostring(lua_State *L) {
  cframe *c = check_cframe(L, 1);
  luaL_Buffer b;
  int i;
  luaL_buffinit(L, &b);
  for (i = 0; i < 12; i++) {
    char t[32];
    format_float(t, sizeof t, i < 3 ? c->p[i] : c->r[i - 3]);
    if (i) luaL_addstring(&b, ", ");
    luaL_addstring(&b, t);
  }
  luaL_pushresult(&b);
  return 1;
}

/* ---- Color3 ---- */

static int c3_new(lua_State *L) {
  lh_push_color3(L, (float)luaL_optnumber(L, 1, 0), (float)luaL_optnumber(L, 2, 0),
                  (float)luaL_optnumber(L, 3, 0));
  return 1;
}
static int c3_from_rgb(lua_State *L) {
  lh_push_color3(L, (float)(luaL_optnumber(L, 1, 0) / 255.0),
                  (float)(luaL_optnumber(L, 2, 0) / 255.0),
                  (float)(luaL_optnumber(L, 3, 0) / 255.0));
  return 1;
}
static int c3_from_hsv(lua_State *L) {
  double h = luaL_checknumber(L, 1), s = luaL_checknumber(L, 2), v = luaL_checknumber(L, 3);
  double r, g, b, f, p, q, t;
  int i;
  h = fmod(h, 1.0) * 6.0;
  i = (int)floor(h);
  f = h - i;
  p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
  switch (i % 6) {
  case 0: r = v, g = t, b = p; break;
  case 1: r = q, g = v, b = p; break;
  case 2: r = p, g = v, b = t; break;
  case 3: r = p, g = q, b = v; break;
  case 4: r = t, g = p, b = v; break;
  default: r = v, g = p, b = q; break;
  }
  lh_push_color3(L, (float)r, (float)g, (float)b);
  return 1;
}
static int c3_lerp(lua_State *L) {
  color3 *a = check_color3(L, 1), *b = check_color3(L, 2);
  float t = (float)luaL_checknumber(L, 3);
  lh_push_color3(L, a->c[0] + (b->c[0] - a->c[0]) * t, a->c[1] + (b->c[1] - a->c[1]) * t,
                  a->c[2] + (b->c[2] - a->c[2]) * t);
  return 1;
}
static int c3_hex(lua_State *L) {
  color3 *a = check_color3(L, 1);
  char buf[8];
  int i;
  for (i = 0; i < 3; i++) {
    float f = a->c[i] < 0 ? 0 : a->c[i] > 1 ? 1 : a->c[i];
    snprintf(buf + 2 * i, sizeof buf - 2 * (size_t)i, "%02X", (unsigned)lroundf(f * 255));
  }
  lua_pushstring(L, buf);
  return 1;
}
static int c3_index(lua_State *L) {
  color3 *a = check_color3(L, 1);
  const char *k = luaL_checkstring(L, 2);
  if (strcmp(k, "R") == 0 || strcmp(k, "r") == 0) {
    lua_pushnumber(L, a->c[0]);
  } else if (strcmp(k, "G") == 0 || strcmp(k, "g") == 0) {
    lua_pushnumber(L, a->c[1]);
  } else if (strcmp(k, "B") == 0 || strcmp(k, "b") == 0) {
    lua_pushnumber(L, a->c[2]);
  } else if (strcmp(k, "Lerp") == 0) {
    lua_pushcfunction(L, c3_lerp);
  } else if (strcmp(k, "ToHex") == 0) {
    lua_pushcfunction(L, c3_hex);
  } else {
    return luaL_error(L, "%s is not a valid member of Color3", k);
  }
  return 1;
}
static int c3_eq(lua_State *L) {
  const float *a = lh_to_color3(L, 1), *b = lh_to_color3(L, 2);
  lua_pushboolean(L, a && b && a[0] == b[0] && a[1] == b[1] && a[2] == b[2]);
  return 1;
}
static int c3_tostring(lua_State *L) {
  color3 *a = check_color3(L, 1);
  char r[32], g[32], b[32];
  format_float(r, sizeof r, a->c[0]);
  format_float(g, sizeof g, a->c[1]);
  format_float(b, sizeof b, a->c[2]);
  lua_pushfstring(L, "%s, %s, %s", r, g, b);
  return 1;
}

static void make_meta(lua_State *L, const char *name, const char *type_name,
                      const luaL_Reg *methods) {
  luaL_newmetatable(L, name);
  luaL_register(L, NULL, methods);
  lua_pushstring(L, type_name);
  lua_setfield(L, -2, "__type");
  lua_pushcfunction(L, immutable);
  lua_setfield(L, -2, "__newindex");
  lua_pushstring(L, type_name);
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 1);
}

void lh_types_open(lua_State *L) {
  static const luaL_Reg v3_meta[] = {{"__index", v3_index}, {"__add", v3_add},
                                     {"__sub", v3_sub},     {"__mul", v3_mul},
                                     {"__div", v3_div},     {"__unm", v3_unm},
                                     {"__eq", v3_eq},       {"__tostring", v3_tostring},
                                     {NULL, NULL}};
  static const luaL_Reg cf_meta[] = {{"__index", cf_index}, {"__mul", cf_mul_l},
                                     {"__add", cf_add},     {"__sub", cf_sub},
                                     {"__eq", cf_eq},       {"__tostring", cf_tostring},
                                     {NULL, NULL}};
  static const luaL_Reg c3_meta[] = {{"__index", c3_index}, {"__eq", c3_eq},
                                     {"__tostring", c3_tostring}, {NULL, NULL}};
  static const luaL_Reg v3_lib[] = {{"new", v3_new}, {NULL, NULL}};
  static const luaL_Reg cf_lib[] = {{"new", cf_new}, {"Angles", cf_angles},
                                    {"fromEulerAnglesXYZ", cf_angles}, {NULL, NULL}};
  static const luaL_Reg c3_lib[] = {{"new", c3_new}, {"fromRGB", c3_from_rgb},
                                    {"fromHSV", c3_from_hsv}, {NULL, NULL}};
  make_meta(L, MT_VECTOR3, "Vector3", v3_meta);
  make_meta(L, MT_CFRAME, "CFrame", cf_meta);
  make_meta(L, MT_COLOR3, "Color3", c3_meta);

  lua_newtable(L);
  luaL_register(L, NULL, v3_lib);
  lh_push_vector3(L, 0, 0, 0);
  lua_setfield(L, -2, "zero");
  lh_push_vector3(L, 1, 1, 1);
  lua_setfield(L, -2, "one");
  lh_push_vector3(L, 1, 0, 0);
  lua_setfield(L, -2, "xAxis");
  lh_push_vector3(L, 0, 1, 0);
  lua_setfield(L, -2, "yAxis");
  lh_push_vector3(L, 0, 0, 1);
  lua_setfield(L, -2, "zAxis");
  lua_setglobal(L, "Vector3");

  lua_newtable(L);
  luaL_register(L, NULL, cf_lib);
  {
    static const float zero[3] = {0, 0, 0};
    lh_push_cframe(L, zero, IDENTITY);
    lua_setfield(L, -2, "identity");
  }
  lua_setglobal(L, "CFrame");

  lua_newtable(L);
  luaL_register(L, NULL, c3_lib);
  lua_setglobal(L, "Color3");
}
