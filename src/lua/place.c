/*
 * place.c - the filesystem side of loading places: directory listings (sorted, so places load
 * the same way everywhere), file reads and JSON for the prelude. It never writes files.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host.h"

static int path_kind(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) return 0;
  if (S_ISDIR(st.st_mode)) return 2;
  if (S_ISREG(st.st_mode)) return 1;
  return 0;
}

static int l_is_dir(lua_State *L) {
  lua_pushboolean(L, path_kind(luaL_checkstring(L, 1)) == 2);
  return 1;
}

static int l_is_file(lua_State *L) {
  lua_pushboolean(L, path_kind(luaL_checkstring(L, 1)) == 1);
  return 1;
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* list_dir(path) -> { {name=, dir=}, ... } sorted by name, or nil, message */
static int l_list_dir(lua_State *L) {
  rmt_host *host = (rmt_host *)lua_touserdata(L, lua_upvalueindex(1));
  const char *path = luaL_checkstring(L, 1);
  DIR *d = opendir(path);
  struct dirent *e;
  char **names = NULL;
  size_t n = 0, cap = 0, i;
  int oom = 0;
  if (!d) {
    lua_pushnil(L);
    lua_pushfstring(L, "%s: %s", path, strerror(errno));
    return 2;
  }
  while ((e = readdir(d)) != NULL) {
    size_t len;
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (n == cap) {
      size_t ncap = cap ? cap * 2 : 32;
      char **p = lh_realloc(host, names, cap * sizeof *names, ncap * sizeof *names);
      if (!p) {
        oom = 1;
        break;
      }
      names = p;
      cap = ncap;
    }
    len = strlen(e->d_name) + 1;
    names[n] = lh_realloc(host, NULL, 0, len);
    if (!names[n]) {
      oom = 1;
      break;
    }
    memcpy(names[n], e->d_name, len);
    n++;
  }
  closedir(d);
  if (oom) {
    for (i = 0; i < n; i++) lh_realloc(host, names[i], strlen(names[i]) + 1, 0);
    lh_realloc(host, names, cap * sizeof *names, 0);
    lua_pushnil(L);
    lua_pushfstring(L, "%s: out of memory", path);
    return 2;
  }
  if (n > 0) qsort(names, n, sizeof *names, cmp_names);
  lua_createtable(L, (int)n, 0);
  for (i = 0; i < n; i++) {
    lua_createtable(L, 0, 2);
    lua_pushstring(L, names[i]);
    lua_setfield(L, -2, "name");
    /* the full path is built on the Lua stack: no C buffer to size or free */
    lua_pushfstring(L, "%s/%s", path, names[i]);
    lua_pushboolean(L, path_kind(lua_tostring(L, -1)) == 2);
    lua_remove(L, -2);
    lua_setfield(L, -2, "dir");
    lua_rawseti(L, -2, (int)i + 1);
    lh_realloc(host, names[i], strlen(names[i]) + 1, 0);
  }
  lh_realloc(host, names, cap * sizeof *names, 0);
  return 1;
}

/* read_file(path) -> contents, or nil, message */
static int l_read_file(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  FILE *f = fopen(path, "rb");
  luaL_Buffer b;
  char chunk[4096];
  size_t n;
  if (!f) {
    lua_pushnil(L);
    lua_pushfstring(L, "%s: %s", path, strerror(errno));
    return 2;
  }
  luaL_buffinit(L, &b);
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) luaL_addlstring(&b, chunk, n);
  if (ferror(f)) {
    fclose(f);
    luaL_pushresult(&b);
    lua_pop(L, 1);
    lua_pushnil(L);
    lua_pushfstring(L, "%s: read error", path);
    return 2;
  }
  fclose(f);
  luaL_pushresult(&b);
  return 1;
}

/* json_decode(text) -> value, or nil, message */
static int l_json_decode(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  char err[160];
  if (lh_json_push(L, s, len, err, sizeof err) != 0) {
    lua_pushnil(L);
    lua_pushstring(L, err);
    return 2;
  }
  return 1;
}

void lh_place_open(rmt_host *host, lua_State *L, int idx) {
  static const luaL_Reg fns[] = {{"is_dir", l_is_dir},         {"is_file", l_is_file},
                                 {"list_dir", l_list_dir},     {"read_file", l_read_file},
                                 {"json_decode", l_json_decode}, {NULL, NULL}};
  lh_register(host, L, idx, fns);
}
