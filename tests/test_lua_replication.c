/* test_lua_replication.c - the Lua host's replication over the real engine on loopback (server
 * and client hosts in one process): what the server mirrors into the engine tree (and what it
 * must not: the camera, ServerStorage), subtrees moving in and out, one folder and one remote
 * for a remote's path and its replicated copy, CollectionService tags, and a client's local
 * edits staying local. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>

#include "test_lua_util.h"

typedef lua_world world;

static const char *SERVER_SCRIPT =
    "local rs = game.ReplicatedStorage\n"
    "local remotes = Instance.new('Folder') remotes.Name = 'Remotes'\n"
    "Instance.new('RemoteEvent', remotes).Name = 'Ping'\n"
    "Instance.new('StringValue', remotes).Name = 'Motd'\n"
    "remotes.Parent = rs\n"
    "local gold = Instance.new('IntValue') gold.Name = 'Gold' gold.Value = 5\n"
    "gold.Parent = rs\n"
    "local loot = Instance.new('Folder', game.ServerStorage) loot.Name = 'Loot'\n"
    "local coins = Instance.new('IntValue', loot) coins.Name = 'Coins'\n"
    "coins.Value = 3\n"
    "local CS = game:GetService('CollectionService')\n"
    "CS:AddTag(remotes.Ping, 'NetManagedEvent')\n"
    "gold:AddTag('Currency')\n"
    "loot:AddTag('Hidden')\n";

static int setup(void **state) {
  if (lua_world_setup(state, NULL, SERVER_SCRIPT, "server.lua", "Tester")) return -1;
  lua_world_pump(*state, 0.1);
  return 0;
}

static void dump(world *w) {
  fprintf(stderr, "--- server\n%s--- client\n%s", w->scap.text, w->ccap.text);
}

/* The client engine's child of `parent` named `name` (0 = none). */
static rmt_instance_id child_named(rmt_client *c, rmt_instance_id parent, const char *name) {
  rmt_instance_id ids[64];
  size_t n = rmt_client_instance_children(c, parent, ids, 64), i;
  for (i = 0; i < n && i < 64; i++) {
    rmt_instance_info info;
    if (rmt_client_instance_info(c, ids[i], &info) == 0 && strcmp(info.name, name) == 0)
      return ids[i];
  }
  return 0;
}

static size_t count_children(rmt_client *c, rmt_instance_id parent) {
  return rmt_client_instance_children(c, parent, NULL, 0);
}

static void test_what_the_server_mirrors(void **state) {
  world *w = *state;
  rmt_client *c = w->ch->client;
  rmt_instance_id rs = child_named(c, 0, "ReplicatedStorage");
  rmt_instance_id ws = child_named(c, 0, "Workspace");
  rmt_instance_id remotes, gold, me;
  rmt_instance_info info;
  assert_int_not_equal(rs, 0);
  assert_int_not_equal(ws, 0);
  /* roots: the two services and the one player; ServerStorage/ServerScriptService are not */
  assert_int_equal(count_children(c, 0), 3);
  assert_int_equal(child_named(c, 0, "ServerStorage"), 0);
  me = rmt_client_player_instance(c, rmt_client_local_player(c));
  assert_int_not_equal(me, 0);
  /* the camera stays on its side; the workspace has nothing else */
  assert_int_equal(count_children(c, ws), 0);
  /* the remote replicates as an instance too (its tags and attributes travel with it) */
  remotes = child_named(c, rs, "Remotes");
  assert_int_not_equal(remotes, 0);
  assert_int_equal(count_children(c, remotes), 2);
  assert_int_equal(rmt_client_instance_info(c, child_named(c, remotes, "Ping"), &info), 0);
  assert_string_equal(info.class_name, "RemoteEvent");
  assert_int_not_equal(child_named(c, remotes, "Motd"), 0);
  gold = child_named(c, rs, "Gold");
  assert_int_equal(rmt_client_instance_info(c, gold, &info), 0);
  assert_string_equal(info.class_name, "IntValue");
  assert_non_null(info.value);
  assert_int_equal(info.value->type, RMT_TNUMBER);
  assert_true(info.value->as.number == 5);

  /* on the Lua side: one Remotes folder holding the remote (the registry's and the replica's
   * are one instance) and the value */
  rmt_host_run_string(w->ch,
                      "local rs = game.ReplicatedStorage\n"
                      "print('rs', #rs:GetChildren(), #rs.Remotes:GetChildren(),\n"
                      "  rs.Remotes.Ping.ClassName, rs.Gold.Value)\n",
                      "client.lua");
  if (w->ccap.errors) dump(w);
  assert_true(has_line(&w->ccap, "P rs 2 2 RemoteEvent 5"));
}

static void test_subtrees_move_in_and_out(void **state) {
  world *w = *state;
  rmt_client *c = w->ch->client;
  rmt_instance_id rs = child_named(c, 0, "ReplicatedStorage"), loot;
  rmt_instance_info info;
  rmt_host_run_string(w->ch,
                      "game.ReplicatedStorage.ChildAdded:Connect(function(x)\n"
                      "  x:WaitForChild('Coins')\n"
                      "  print('in', x.Name, x.Coins.Value)\n"
                      "end)\n"
                      "game.ReplicatedStorage.ChildRemoved:Connect(function(x)\n"
                      "  print('out', x.Name, x.Parent)\n"
                      "end)\n",
                      "client.lua");
  rmt_host_run_string(w->sh, "game.ServerStorage.Loot.Parent = game.ReplicatedStorage\n",
                      "server2.lua");
  lua_world_pump(w, 0.2);
  loot = child_named(c, rs, "Loot");
  assert_int_not_equal(loot, 0);
  assert_int_equal(count_children(c, loot), 1);
  assert_true(has_line(&w->ccap, "P in Loot 3"));
  rmt_host_run_string(w->sh, "game.ReplicatedStorage.Loot.Parent = game.ServerStorage\n",
                      "server3.lua");
  lua_world_pump(w, 0.2);
  assert_int_equal(child_named(c, rs, "Loot"), 0);
  assert_int_not_equal(rmt_client_instance_info(c, loot, &info), 0);
  assert_true(has_line(&w->ccap, "P out Loot nil"));
  /* moved back in: a fresh copy */
  rmt_host_run_string(w->sh, "game.ServerStorage.Loot.Parent = game.ReplicatedStorage\n",
                      "server4.lua");
  lua_world_pump(w, 0.2);
  assert_int_not_equal(child_named(c, rs, "Loot"), 0);
  assert_int_not_equal(child_named(c, rs, "Loot"), loot);
  if (w->ccap.errors || w->scap.errors || w->scap.warns) dump(w);
  assert_int_equal(w->ccap.errors, 0);
  assert_int_equal(w->scap.errors + w->scap.warns, 0);
}

static void test_client_edits_stay_local(void **state) {
  world *w = *state;
  rmt_host_run_string(w->ch,
                      "local gold = game.ReplicatedStorage.Gold\n"
                      "gold.Value = 1e9\n"
                      "gold:SetAttribute('Hacked', true)\n"
                      "gold.Name = 'Mine'\n"
                      "print('client', gold.Value)\n",
                      "client.lua");
  lua_world_pump(w, 0.2);
  rmt_host_run_string(w->sh,
                      "local gold = game.ReplicatedStorage.Gold\n"
                      "print('server', gold.Name, gold.Value, gold:GetAttribute('Hacked'))\n"
                      "gold.Value = 6\n",
                      "server2.lua");
  lua_world_pump(w, 0.2);
  rmt_host_run_string(w->ch,
                      "local gold = game.ReplicatedStorage.Mine\n"
                      "print('client now', gold.Value)\n",
                      "client2.lua");
  if (w->ccap.errors || w->scap.errors) dump(w);
  assert_true(has_line(&w->ccap, "P client 1000000000"));
  assert_true(has_line(&w->scap, "P server Gold 5 nil"));
  /* the server's next change wins over the local edit */
  assert_true(has_line(&w->ccap, "P client now 6"));
}

/* Tags: set before the client joined (on a remote, a value and a server-only folder), added
 * and removed later, on a new instance, a client's own, a remote renamed while tagged, and a
 * remote whose name holds a '/' (as @rbxts/net's namespaces make). */
static void test_tags(void **state) {
  world *w = *state;
  rmt_host_run_string(w->ch,
                      "local CS = game:GetService('CollectionService')\n"
                      "local rs = game.ReplicatedStorage\n"
                      "local net = CS:GetTagged('NetManagedEvent')\n"
                      "print('tagged', #net, net[1] == rs.Remotes.Ping, rs.Remotes.Ping:HasTag('NetManagedEvent'))\n"
                      "print('gold', table.concat(rs.Gold:GetTags(), ','), #CS:GetTagged('Hidden'))\n"
                      "_G.ping = rs.Remotes.Ping\n"
                      "_G.ping.OnClientEvent:Connect(function(x) print('ping got', x) end)\n"
                      "CS:GetInstanceAddedSignal('Later'):Connect(function(x)\n"
                      "  print('added', x.Name, x.Parent and x.Parent.Name)\n"
                      "end)\n"
                      "CS:GetInstanceRemovedSignal('Later'):Connect(function(x)\n"
                      "  print('gone', x.Name, x:HasTag('Later'), #CS:GetTagged('Later'))\n"
                      "end)\n"
                      "CS:GetInstanceRemovedSignal('Currency'):Connect(function(x)\n"
                      "  print('removed', x.Name, x:HasTag('Currency'))\n"
                      "end)\n"
                      "rs.Gold:AddTag('Mine')\n",
                      "client.lua");
  rmt_host_run_string(w->sh,
                      "local CS = game:GetService('CollectionService')\n"
                      "local rs = game.ReplicatedStorage\n"
                      "print('server mine', rs.Gold:HasTag('Mine'))\n"
                      "rs.Gold:AddTag('Later')\n"
                      "CS:RemoveTag(rs.Gold, 'Currency')\n"
                      "local p = Instance.new('Part') p.Name = 'Crate'\n"
                      "CS:AddTag(p, 'Later')\n"
                      "p.Parent = workspace\n"
                      "local e = Instance.new('RemoteEvent') e.Name = 'Fresh' e:AddTag('NetManagedEvent')\n"
                      "e.Parent = rs.Remotes\n"
                      "local sc = Instance.new('RemoteEvent') sc.Name = 'Game/Score%'\n"
                      "sc.Parent = rs.Remotes\n",
                      "server2.lua");
  lua_world_pump(w, 0.3);
  rmt_host_run_string(w->ch,
                      "local CS = game:GetService('CollectionService')\n"
                      "local rs = game.ReplicatedStorage\n"
                      "print('gold now', table.concat(rs.Gold:GetTags(), ','))\n"
                      "local names = {}\n"
                      "for _, x in ipairs(CS:GetTagged('NetManagedEvent')) do names[#names + 1] = x.Name end\n"
                      "table.sort(names)\n"
                      "print('net now', table.concat(names, ','), #rs.Remotes:GetChildren())\n"
                      "rs.Remotes['Game/Score%'].OnClientEvent:Connect(function(x) print('score got', x) end)\n",
                      "client2.lua");
  /* renamed on the server: the client's instance (held in _G.ping) follows, still bound */
  rmt_host_run_string(w->sh,
                      "local ping = game.ReplicatedStorage.Remotes.Ping\n"
                      "ping.Name = 'Pong'\n"
                      "ping:RemoveTag('NetManagedEvent')\n"
                      "workspace.Crate:Destroy()\n",
                      "server3.lua");
  lua_world_pump(w, 0.3);
  rmt_host_run_string(w->sh,
                      "local r = game.ReplicatedStorage.Remotes\n"
                      "r.Pong:FireAllClients('hi')\n"
                      "r['Game/Score%']:FireAllClients(5)\n",
                      "server4.lua");
  lua_world_pump(w, 0.3);
  rmt_host_run_string(w->ch,
                      "local rs = game.ReplicatedStorage\n"
                      "print('renamed', _G.ping.Name, rs.Remotes.Pong == _G.ping,\n"
                      "  #rs.Remotes:GetChildren(), _G.ping:HasTag('NetManagedEvent'))\n",
                      "client3.lua");
  if (w->ccap.errors || w->scap.errors || w->scap.warns) dump(w);
  assert_true(has_line(&w->ccap, "P tagged 1 true true"));
  assert_true(has_line(&w->ccap, "P gold Currency 0"));
  assert_true(has_line(&w->scap, "P server mine false"));
  assert_true(has_line(&w->ccap, "P added Gold ReplicatedStorage"));
  assert_true(has_line(&w->ccap, "P added Crate Workspace"));
  assert_true(has_line(&w->ccap, "P removed Gold false"));
  assert_true(has_line(&w->ccap, "P gold now Later,Mine"));
  /* a remote named with a '/' is one instance, not a folder "Game" holding "Score%" */
  assert_true(has_line(&w->ccap, "P net now Fresh,Ping 4"));
  assert_true(has_line(&w->ccap, "P score got 5"));
  assert_true(has_line(&w->ccap, "P ping got hi"));
  assert_true(has_line(&w->ccap, "P renamed Pong true 4 false"));
  /* destroyed on the server: the client's copy leaves GetTagged('Later') (Gold stays) */
  assert_true(has_line(&w->ccap, "P gone Crate true 1"));
  assert_int_equal(w->ccap.errors, 0);
  assert_int_equal(w->scap.errors + w->scap.warns, 0);
}

/* A server tag the engine refuses stays on the server, with one warning naming it. */
static void test_tag_over_limit_warns(void **state) {
  world *w = *state;
  rmt_host_run_string(w->sh,
                      "local gold = game.ReplicatedStorage.Gold\n"
                      "gold:AddTag(string.rep('x', 101))\n"
                      "gold:AddTag(string.rep('x', 101))\n"
                      "print('kept', gold:HasTag(string.rep('x', 101)))\n",
                      "server2.lua");
  lua_world_pump(w, 0.2);
  rmt_host_run_string(w->ch,
                      "print('client tags', #game.ReplicatedStorage.Gold:GetTags())\n",
                      "client.lua");
  if (w->scap.warns != 1) dump(w);
  assert_int_equal(w->scap.warns, 1);
  assert_true(has_line(&w->scap, "P kept true"));
  assert_true(has_line(&w->ccap, "P client tags 1"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_what_the_server_mirrors, setup, lua_world_teardown),
      cmocka_unit_test_setup_teardown(test_subtrees_move_in_and_out, setup, lua_world_teardown),
      cmocka_unit_test_setup_teardown(test_client_edits_stay_local, setup, lua_world_teardown),
      cmocka_unit_test_setup_teardown(test_tags, setup, lua_world_teardown),
      cmocka_unit_test_setup_teardown(test_tag_over_limit_warns, setup, lua_world_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
