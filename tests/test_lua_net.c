/* test_lua_net.c - the Lua host over the real engine on loopback, server and client hosts in
 * one process: remotes by path replicated as instances, fires with the player first, invokes
 * yielding only the caller, handler errors reaching the client, destroy, PlayerRemoving. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>

#include "test_lua_util.h"

typedef lua_world world;

static const char *SERVER_SCRIPT =
    "local rs = game:GetService('ReplicatedStorage')\n"
    "local folder = Instance.new('Folder') folder.Name = 'Remotes' folder.Parent = rs\n"
    "local ping = Instance.new('RemoteEvent') ping.Name = 'Ping' ping.Parent = folder\n"
    "local ask = Instance.new('RemoteFunction', folder) ask.Name = 'Ask'\n"
    "ping.OnServerEvent:Connect(function(player, msg, v)\n"
    "  print('server got', player.Name, msg, typeof(v), tostring(v))\n"
    "  ping:FireClient(player, player, 7)\n"
    "end)\n"
    "ask.OnServerInvoke = function(player, n)\n"
    "  if type(n) ~= 'number' then error('need a number') end\n"
    "  task.wait(0.05)\n"
    "  return n + 1, player.Name\n"
    "end\n"
    "game.Players.PlayerAdded:Connect(function(p) print('added', p.Name, p.UserId > 0) end)\n"
    "game.Players.PlayerRemoving:Connect(function(p) print('removing', p.Name) end)\n";

static const char *CLIENT_SCRIPT =
    "local rs = game:GetService('ReplicatedStorage')\n"
    "local ping = rs:WaitForChild('Remotes'):WaitForChild('Ping')\n"
    "local ask = rs.Remotes:WaitForChild('Ask')\n"
    "print('local', game.Players.LocalPlayer.Name, ask.ClassName, ask:GetFullName())\n"
    "ping.OnClientEvent:Connect(function(who, v)\n"
    "  print('client got', typeof(who), who == game.Players.LocalPlayer, v)\n"
    "end)\n"
    "ping:FireServer('hi', Vector3.new(1, 2, 3))\n"
    "task.spawn(function() print('answer', ask:InvokeServer(20)) end)\n"
    "print('caller did not block')\n"
    "local ok, err = pcall(function() return ask:InvokeServer('bad') end)\n"
    "print('error', ok, err)\n"
    "assert(not pcall(function() ping:FireClient(game.Players.LocalPlayer) end))\n";

static int setup(void **state) {
  return lua_world_setup(state, NULL, SERVER_SCRIPT, "server.lua", "Tester");
}

static void dump(world *w) {
  fprintf(stderr, "--- server\n%s--- client\n%s", w->scap.text, w->ccap.text);
}

static void test_remotes_end_to_end(void **state) {
  world *w = *state;
  rmt_host_run_string(w->ch, CLIENT_SCRIPT, "client.lua");
  lua_world_pump(w, 0.6);
  if (w->scap.errors || w->ccap.errors != 0) dump(w);
  assert_int_equal(w->scap.errors, 0);
  assert_int_equal(w->ccap.errors, 0);
  assert_true(has_line(&w->scap, "P added Tester true"));
  assert_true(has_line(&w->scap, "P server got Tester hi Vector3 1, 2, 3"));
  assert_true(has_line(&w->ccap, "P local Tester RemoteFunction ReplicatedStorage.Remotes.Ask"));
  assert_true(has_line(&w->ccap, "P client got Instance true 7"));
  assert_true(has_line(&w->ccap, "P answer 21 Tester"));
  assert_true(has_line(&w->ccap, "P error false server.lua:10: need a number"));
  /* the invoking thread yielded; the script that spawned it went on at once */
  assert_true(strstr(w->ccap.text, "P caller did not block") <
              strstr(w->ccap.text, "P answer 21 Tester"));
  assert_false(rmt_host_busy(w->ch));
}

static void test_destroy_and_reparent_replicate(void **state) {
  world *w = *state;
  rmt_host_run_string(w->ch,
                      "local rs = game.ReplicatedStorage\n"
                      "rs:WaitForChild('Remotes'):WaitForChild('Ping')\n"
                      "rs.Remotes.ChildRemoved:Connect(function(c) print('removed', c.Name) end)\n"
                      "rs:WaitForChild('Moved'):WaitForChild('Ask')\n"
                      "print('moved', rs.Moved.Ask.ClassName, rs.Remotes:FindFirstChild('Ask'))\n",
                      "client.lua");
  lua_world_pump(w, 0.2);
  rmt_host_run_string(w->sh,
                      "local rs = game.ReplicatedStorage\n"
                      "rs.Remotes.Ping:Destroy()\n"
                      "local moved = Instance.new('Folder') moved.Name = 'Moved' moved.Parent = rs\n"
                      "rs.Remotes.Ask.Parent = moved\n",
                      "server2.lua");
  lua_world_pump(w, 0.4);
  if (w->scap.errors || w->ccap.errors) dump(w);
  assert_true(has_line(&w->ccap, "P removed Ping"));
  assert_true(has_line(&w->ccap, "P removed Ask"));
  assert_true(has_line(&w->ccap, "P moved RemoteFunction nil"));
}

static void test_player_removing_on_leave(void **state) {
  world *w = *state;
  lua_world_pump(w, 0.1);
  rmt_host_destroy(w->ch); /* leaves politely, destroying its client */
  w->ch = NULL;
  w->client = NULL;
  lua_world_pump(w, 0.5);
  assert_true(has_line(&w->scap, "P removing Tester"));
  assert_int_equal(w->sh->players_present, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_remotes_end_to_end, setup, lua_world_teardown),
      cmocka_unit_test_setup_teardown(test_destroy_and_reparent_replicate, setup, lua_world_teardown),
      cmocka_unit_test_setup_teardown(test_player_removing_on_leave, setup, lua_world_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
