/* test_lua_datatypes_net.c - every Roblox datatype that crosses remotes, end to end between a
 * server and a client host over the real engine on loopback: client->server and server->client
 * fires, unreliable fires, invokes both ways and their answers, inside tables too, each equal
 * on arrival (EnumItems the same object); what does not cross (Random, signals) arrives
 * as nil; a schema naming datatypes drops what does not match. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "test_lua_util.h"

typedef struct world {
  alloc_counter sac, cac;
  capture scap, ccap;
  rmt_host *sh, *ch;
} world;

static void pump(world *w, double seconds) {
  double start = rmt_host_clock();
  do {
    rmt_server_service(w->sh->server, 1);
    rmt_host_step(w->sh);
    rmt_client_service(w->ch->client, 1);
    rmt_host_step(w->ch);
  } while (rmt_host_clock() - start < seconds);
}

/* Both sides build the same values and compare what arrives with them. `==` is Roblox's
 * equality for every datatype here except the sequences, whose Keypoints tables are compared
 * keypoint by keypoint. */
#define COMMON                                                                                   \
  "local function values()\n"                                                                    \
  "  return Vector2.new(1.5, -0.1), UDim.new(0.25, -7), UDim2.new(0.5, 10, 1, -20),\n"           \
  "    Rect.new(1, 2, 30, 40), NumberRange.new(2, 8),\n"                                         \
  "    NumberSequence.new({NumberSequenceKeypoint.new(0, 1), NumberSequenceKeypoint.new(0.3, 5, 2),\n" \
  "      NumberSequenceKeypoint.new(1, 0)}),\n"                                                  \
  "    ColorSequence.new({ColorSequenceKeypoint.new(0, Color3.new(1, 0, 0)),\n"                 \
  "      ColorSequenceKeypoint.new(1, Color3.new(0, 0.5, 1))}),\n"                               \
  "    NumberSequenceKeypoint.new(0.5, 3, 1), ColorSequenceKeypoint.new(0.25, Color3.new(0, 1, 0)),\n" \
  "    Ray.new(Vector3.new(1, 2, 3), Vector3.new(0, -50, 0)),\n"                                 \
  "    TweenInfo.new(1.5, Enum.EasingStyle.Bounce, Enum.EasingDirection.In, 2, true, 0.25),\n"   \
  "    DateTime.fromUnixTimestampMillis(1700000000123), Enum.Material.Plastic, Enum.KeyCode.E,\n" \
  "    {inv = {Enum.Material.Neon, Vector2.new(3, 4)}, size = UDim2.fromScale(1, 1)}\n"          \
  "end\n"                                                                                        \
  "local N = select('#', values())\n"                                                            \
  "local function same(a, b)\n"                                                                  \
  "  local t = typeof(a)\n"                                                                      \
  "  if t ~= typeof(b) then return false end\n"                                                  \
  "  if t == 'NumberSequence' or t == 'ColorSequence' then\n"                                    \
  "    if #a.Keypoints ~= #b.Keypoints then return false end\n"                                  \
  "    for i, k in ipairs(a.Keypoints) do if not same(k, b.Keypoints[i]) then return false end end\n" \
  "    return true\n"                                                                            \
  "  end\n"                                                                                      \
  "  if t == 'EnumItem' then return rawequal(a, b) end\n"                                        \
  "  if t == 'table' then\n"                                                                     \
  "    for k, v in pairs(a) do if not same(v, b[k]) then return false end end\n"                 \
  "    for k in pairs(b) do if a[k] == nil then return false end end\n"                          \
  "    return true\n"                                                                            \
  "  end\n"                                                                                      \
  "  return a == b\n"                                                                            \
  "end\n"                                                                                        \
  "local function check(where, ...)\n"                                                           \
  "  local got, want = {n = select('#', ...), ...}, {values()}\n"                                \
  "  if got.n ~= N then print(where, 'count', got.n) return end\n"                               \
  "  for i = 1, N do\n"                                                                          \
  "    if not same(got[i], want[i]) then\n"                                                      \
  "      print(where, 'differs at', i, typeof(got[i]), tostring(got[i])) return\n"               \
  "    end\n"                                                                                    \
  "  end\n"                                                                                      \
  "  print(where, 'ok', N)\n"                                                                    \
  "end\n"

static const char *SERVER_SCRIPT =
    COMMON
    "local rs = game:GetService('ReplicatedStorage')\n"
    "local ev = Instance.new('RemoteEvent', rs) ev.Name = 'DT'\n"
    "local un = Instance.new('UnreliableRemoteEvent', rs) un.Name = 'DTU'\n"
    "local fn = Instance.new('RemoteFunction', rs) fn.Name = 'DTF'\n"
    "local refused = Instance.new('RemoteEvent', rs) refused.Name = 'Refused'\n"
    "ev.OnServerEvent:Connect(function(player, ...)\n"
    "  check('server event', ...)\n"
    "  ev:FireClient(player, values())\n"
    "  task.spawn(function() check('server invokeclient answer', fn:InvokeClient(player, values())) end)\n"
    "end)\n"
    "un.OnServerEvent:Connect(function(player, a, b, c)\n"
    "  print('server unreliable', a == Vector2.new(7, 8), rawequal(b, Enum.KeyCode.Q), c.Y.Offset)\n"
    "  un:FireClient(player, Vector2.new(9, 10), Enum.KeyCode.W)\n"
    "end)\n"
    "fn.OnServerInvoke = function(player, ...)\n"
    "  check('server invoke', ...)\n"
    "  return values()\n"
    "end\n"
    "local typed = Instance.new('RemoteEvent', rs) typed.Name = 'Typed'\n"
    "typed:SetSchema('Enum.KeyCode, UDim2?')\n"
    "typed.OnServerEvent:Connect(function(player, key, size)\n"
    "  print('server typed', key.Name, size and size.X.Offset)\n"
    "end)\n"
    "refused.OnServerEvent:Connect(function(player, ...)\n"
    "  local a, b, c = ...\n"
    "  print('server refused', select('#', ...), a, b, c)\n"
    "end)\n";

static const char *CLIENT_SCRIPT =
    COMMON
    "local rs = game:GetService('ReplicatedStorage')\n"
    "local ev, un = rs:WaitForChild('DT'), rs:WaitForChild('DTU')\n"
    "local fn, refused = rs:WaitForChild('DTF'), rs:WaitForChild('Refused')\n"
    "ev.OnClientEvent:Connect(function(...) check('client event', ...) end)\n"
    "un.OnClientEvent:Connect(function(a, b)\n"
    "  print('client unreliable', a == Vector2.new(9, 10), rawequal(b, Enum.KeyCode.W))\n"
    "end)\n"
    "fn.OnClientInvoke = function(...) check('client invoke', ...) return values() end\n"
    "ev:FireServer(values())\n"
    "un:FireServer(Vector2.new(7, 8), Enum.KeyCode.Q, UDim2.fromOffset(5, 6))\n"
    "task.spawn(function() check('client invoke answer', fn:InvokeServer(values())) end)\n"
    "refused:FireServer(Random.new(1), workspace.ChildAdded, 'after')\n"
    "local typed = rs:WaitForChild('Typed')\n"
    "typed:FireServer(Enum.Material.Plastic)\n"
    "typed:FireServer(Enum.KeyCode.E, UDim2.new(0 / 0, 1, 0, 3))\n"
    "typed:FireServer(Enum.KeyCode.F, UDim2.fromOffset(7, 3))\n";

static int setup(void **state) {
  world *w = calloc(1, sizeof *w);
  rmt_server_config sc;
  rmt_client_config cc;
  rmt_server *server;
  rmt_client *client;
  rmt_error err;
  double start;
  alloc_counter_init(&w->sac);
  alloc_counter_init(&w->cac);
  w->sh = test_host(RMT_HOST_SERVER, &w->scap, &w->sac);
  w->ch = test_host(RMT_HOST_CLIENT, &w->ccap, &w->cac);
  if (!w->sh || !w->ch) return -1;
  rmt_server_config_default(&sc);
  sc.port = 0;
  server = rmt_server_create(&sc, &err);
  if (!server) return -1;
  rmt_host_attach_server(w->sh, server);
  rmt_host_run_string(w->sh, SERVER_SCRIPT, "server.lua");
  rmt_client_config_default(&cc);
  cc.port = rmt_server_port(server);
  cc.name = "Tester";
  rmt_host_client_config(w->ch, &cc);
  client = rmt_client_create(&cc, &err);
  if (!client) return -1;
  rmt_host_attach_client(w->ch, client);
  start = rmt_host_clock();
  while (rmt_client_state(client) == RMT_CLIENT_CONNECTING && rmt_host_clock() - start < 5)
    pump(w, 0);
  if (rmt_client_state(client) != RMT_CLIENT_CONNECTED) return -1;
  rmt_host_client_joined(w->ch);
  *state = w;
  return 0;
}

static int teardown(void **state) {
  world *w = *state;
  rmt_host_destroy(w->ch);
  rmt_host_destroy(w->sh);
  assert_int_equal(w->sac.live_blocks, 0);
  assert_int_equal(w->cac.live_blocks, 0);
  free(w);
  return 0;
}

static void test_datatypes_cross_both_ways(void **state) {
  world *w = *state;
  rmt_host_run_string(w->ch, CLIENT_SCRIPT, "client.lua");
  pump(w, 0.8);
  if (w->scap.errors || w->ccap.errors || !has_line(&w->scap, "P server invokeclient answer ok 15"))
    fprintf(stderr, "--- server\n%s--- client\n%s", w->scap.text, w->ccap.text);
  assert_int_equal(w->scap.errors, 0);
  assert_int_equal(w->ccap.errors, 0);
  assert_true(has_line(&w->scap, "P server event ok 15"));
  assert_true(has_line(&w->ccap, "P client event ok 15"));
  assert_true(has_line(&w->scap, "P server invoke ok 15"));
  assert_true(has_line(&w->ccap, "P client invoke answer ok 15"));
  assert_true(has_line(&w->ccap, "P client invoke ok 15"));
  assert_true(has_line(&w->scap, "P server invokeclient answer ok 15"));
  assert_true(has_line(&w->scap, "P server unreliable true true 6"));
  assert_true(has_line(&w->ccap, "P client unreliable true true"));
  /* Random and a signal arrive as nil, the argument count kept; the sender was warned */
  assert_true(has_line(&w->scap, "P server refused 3 nil nil after"));
  assert_true(has_line(&w->ccap, "W argument 1: Random converted to nil"));
  assert_true(has_line(&w->ccap, "W argument 2: RBXScriptSignal converted to nil"));
  /* a schema naming datatypes: the wrong enum and a NaN inside a UDim2 never reach Lua */
  assert_true(has_line(&w->scap, "P server typed F 7"));
  assert_null(strstr(w->scap.text, "P server typed Plastic"));
  assert_null(strstr(w->scap.text, "P server typed E"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_datatypes_cross_both_ways, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
