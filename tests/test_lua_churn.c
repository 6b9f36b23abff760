/* test_lua_churn.c - players joining and leaving a Lua server that gives each one leaderstats,
 * watched by a Lua client: the Lua heap of both sides stays flat however many come and go
 * (a leaving Player and its replicated copies are destroyed and collected). */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>

#include "test_lua_util.h"

typedef lua_world world;

static void pump_once(world *w, rmt_client *bot) {
  lua_world_pump_once(w);
  if (bot) rmt_client_service(bot, 0);
}

/* The Lua heap in bytes after two full collections. */
static double heap_bytes(rmt_host *h) {
  lua_gc(h->L, LUA_GCCOLLECT, 0);
  lua_gc(h->L, LUA_GCCOLLECT, 0);
  return lua_gc(h->L, LUA_GCCOUNT, 0) * 1024.0 + lua_gc(h->L, LUA_GCCOUNTB, 0);
}

static const char *const place =
    "local Players = game:GetService('Players')\n"
    "Players.PlayerAdded:Connect(function(p)\n"
    "  local ls = Instance.new('Folder') ls.Name = 'leaderstats'\n"
    "  local gold = Instance.new('IntValue', ls) gold.Name = 'Gold' gold.Value = 10\n"
    "  local kills = Instance.new('IntValue', ls) kills.Name = 'Kills'\n"
    "  gold.Changed:Connect(function(v) p:SetAttribute('Rich', v > 100) end)\n"
    "  ls.Parent = p\n"
    "  gold.Value = gold.Value + 1\n"
    "end)\n"
    "Players.PlayerRemoving:Connect(function(p)\n"
    "  _G.left = (_G.left or 0) + 1\n"
    "  _G.lastGold = p.leaderstats.Gold.Value\n"
    "end)\n";

static const char *const watcher =
    "local Players = game:GetService('Players')\n"
    "Players.PlayerAdded:Connect(function(p)\n"
    "  local ls = p:WaitForChild('leaderstats', 0.3)\n"
    "  local g = ls and ls:WaitForChild('Gold', 0.3)\n"
    "  if g then g.Changed:Connect(function() end) end\n"
    "end)\n"
    "Players.PlayerRemoving:Connect(function(p) _G.seenLeaving = (_G.seenLeaving or 0) + 1 end)\n";

static void max_players_64(rmt_server_config *c) { c->max_players = 64; }

static int setup(void **state) {
  if (lua_world_setup(state, max_players_64, place, "place.server.lua", "Watcher")) return -1;
  lua_world *w = *state;
  rmt_host_run_string(w->ch, watcher, "watcher.client.lua");
  lua_world_pump(w, 0.1);
  return 0;
}

static int lua_global_int(rmt_host *h, const char *name) {
  int v;
  lua_getglobal(h->L, name);
  v = (int)lua_tointeger(h->L, -1);
  lua_pop(h->L, 1);
  return v;
}

/* One bot joins (the server's PlayerAdded gives it leaderstats, the watcher sees them), then
 * leaves politely; returns when both sides have seen it go. */
static void join_and_leave(world *w, int i) {
  rmt_client_config cc;
  rmt_client *bot;
  rmt_error err;
  char name[32];
  int left = lua_global_int(w->sh, "left"), seen = lua_global_int(w->ch, "seenLeaving");
  double start;
  snprintf(name, sizeof name, "Bot%d", i);
  rmt_client_config_default(&cc);
  cc.port = rmt_server_port(w->sh->server);
  cc.name = name;
  cc.linger_ms = 0; /* the server is not serviced while a client lingers */
  bot = rmt_client_create(&cc, &err);
  assert_non_null(bot);
  start = rmt_host_clock();
  while (rmt_client_state(bot) == RMT_CLIENT_CONNECTING && rmt_host_clock() - start < 5)
    pump_once(w, bot);
  assert_int_equal(rmt_client_state(bot), RMT_CLIENT_CONNECTED);
  for (int k = 0; k < 3; k++) pump_once(w, bot); /* the watcher sees it with its leaderstats */
  if (getenv("CHURN_DEBUG")) fprintf(stderr, "join %.3f\n", rmt_host_clock() - start);
  rmt_client_destroy(bot);
  start = rmt_host_clock();
  while ((lua_global_int(w->sh, "left") == left || lua_global_int(w->ch, "seenLeaving") == seen) &&
         rmt_host_clock() - start < 5)
    pump_once(w, NULL);
  if (getenv("CHURN_DEBUG")) fprintf(stderr, "leave %.3f\n", rmt_host_clock() - start);
  assert_int_equal(lua_global_int(w->sh, "left"), left + 1);
  assert_int_equal(lua_global_int(w->ch, "seenLeaving"), seen + 1);
}

static void test_join_leave_heap_is_flat(void **state) {
  world *w = *state;
  const char *env = getenv("REMOTES_CHURN");
  int n = env ? atoi(env) : 600, warm = 300, i;
  double s0, c0, s1, c1;
  /* the warm-up lets the state's tables (string table, id maps) reach their size first: after
   * 50 joins the next 600 still grew 35-50 KB by table resizes alone, with or without a leak
   * (a plateau, not proportional to n); after 300 they grow 10-15 KB */
  for (i = 0; i < warm; i++) join_and_leave(w, i);
  lua_world_pump(w, 0.4); /* the watcher's WaitForChild timeouts (cancelled, still in the heap) expire */
  s0 = heap_bytes(w->sh);
  c0 = heap_bytes(w->ch);
  for (; i < warm + n; i++) join_and_leave(w, i);
  lua_world_pump(w, 0.4);
  s1 = heap_bytes(w->sh);
  c1 = heap_bytes(w->ch);
  fprintf(stderr, "%d joins/leaves: server heap %.0f -> %.0f bytes, client heap %.0f -> %.0f\n",
          n, s0, s1, c0, c1);
  if (w->scap.errors || w->ccap.errors) fprintf(stderr, "%s%s", w->scap.text, w->ccap.text);
  assert_int_equal(w->scap.errors, 0);
  assert_int_equal(w->ccap.errors, 0);
  assert_int_equal(lua_global_int(w->sh, "lastGold"), 11); /* PlayerRemoving saw leaderstats */
  /* Before the fix each join/leave kept 2.5-5 KB; a bound independent of n. */
  assert_true(s1 - s0 < 48 * 1024);
  assert_true(c1 - c0 < 48 * 1024);
  /* and nothing is left in the tables that name players or replicated instances */
  rmt_host_run_string(w->sh,
                      "local n = 0 for _ in pairs(game.Players:GetPlayers()) do n = n + 1 end\n"
                      "print('players', n)\n",
                      "count.lua");
  assert_true(has_line(&w->scap, "P players 1"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_join_leave_heap_is_flat, setup, lua_world_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
