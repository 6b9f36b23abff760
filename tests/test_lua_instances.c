/* test_lua_instances.c - the Lua host's instance tree (Roblox semantics checked from Lua with
 * assert), datatypes, services, require, bindables and place loading; nothing leaked. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_lua_util.h"

typedef lua_fixture fixture;

/* Runs a Lua check script that prints "done" at its end; any error fails the test. */
static void check_lua(fixture *f, const char *src) {
  run_lua(f->host, &f->cap, src);
  if (f->cap.errors || !has_line(&f->cap, "P done")) fprintf(stderr, "%s", f->cap.text);
  assert_int_equal(f->cap.errors, 0);
  assert_true(has_line(&f->cap, "P done"));
}

static void test_tree(void **state) {
  check_lua(*state,
            "local f = Instance.new('Folder')\n"
            "assert(f.Name == 'Folder' and f.ClassName == 'Folder' and f.Parent == nil)\n"
            "f.Name = 'Root' f.Parent = workspace\n"
            "assert(workspace:FindFirstChild('Root') == f and workspace.Root == f)\n"
            "local a = Instance.new('Folder', f) a.Name = 'A'\n"
            "local b = Instance.new('IntValue', a) b.Name = 'B'\n"
            "assert(f:FindFirstChild('B') == nil and f:FindFirstChild('B', true) == b)\n"
            "assert(b:GetFullName() == 'Workspace.Root.A.B')\n"
            "assert(#f:GetChildren() == 1 and #f:GetDescendants() == 2)\n"
            "assert(b:IsA('IntValue') and b:IsA('ValueBase') and b:IsA('Instance'))\n"
            "assert(not b:IsA('Folder') and b:IsDescendantOf(f) and f:IsAncestorOf(b))\n"
            "assert(typeof(b) == 'Instance' and tostring(b) == 'B' and type(b) == 'userdata')\n"
            "assert(f:FindFirstChildOfClass('Folder') == a and b:FindFirstAncestor('Root') == f)\n"
            "local added, removed, desc\n"
            "f.ChildAdded:Connect(function(c) added = c.Name end)\n"
            "f.ChildRemoved:Connect(function(c) removed = c.Name end)\n"
            "f.DescendantAdded:Connect(function(c) desc = c.Name end)\n"
            "local c = Instance.new('StringValue') c.Name = 'C' c.Parent = f\n"
            "assert(added == 'C' and desc == 'C')\n"
            "c.Parent = nil assert(removed == 'C')\n"
            "local x = Instance.new('Folder') x.Name = 'X' x.Parent = a assert(desc == 'X')\n"
            "local destroying = false\n"
            "a.Destroying:Connect(function() destroying = true end)\n"
            "a:Destroy()\n"
            "assert(destroying and a.Parent == nil and f:FindFirstChild('A') == nil)\n"
            "assert(b.Parent == nil)\n"
            "local ok, err = pcall(function() a.Parent = f end)\n"
            "assert(not ok and err:find('locked'), err)\n"
            "ok, err = pcall(function() return f.Nope end)\n"
            "assert(not ok and err:find('Nope is not a valid member of Folder \"Workspace.Root\"', 1, true), err)\n"
            "ok, err = pcall(Instance.new, 'Nope')\n"
            "assert(not ok and err:find('Unable to create an Instance of type \"Nope\"', 1, true), err)\n"
            "ok = pcall(function() f.Parent = f end) assert(not ok)\n"
            "ok, err = pcall(function() f.FindFirstChild('x') end)\n"
            "assert(not ok and err:find(\"Expected ':' not '.'\", 1, true), err)\n"
            "local clone = f:Clone() assert(clone ~= f and clone.Name == 'Root' and clone.Parent == nil)\n"
            "print('done')\n");
}

static void test_attributes_and_values(void **state) {
  check_lua(*state,
            "local f = Instance.new('Folder')\n"
            "local changed\n"
            "f:GetAttributeChangedSignal('Level'):Connect(function() changed = f:GetAttribute('Level') end)\n"
            "f:SetAttribute('Level', 3)\n"
            "assert(f:GetAttribute('Level') == 3 and changed == 3 and f:GetAttributes().Level == 3)\n"
            "assert(not pcall(function() f:SetAttribute('Bad', {}) end))\n"
            "local iv = Instance.new('IntValue') local seen, n = nil, 0\n"
            "iv.Changed:Connect(function(v) seen = v n = n + 1 end)\n"
            "iv.Value = 7.9 assert(iv.Value == 7 and seen == 7)\n"
            "iv.Value = 7 assert(n == 1)\n"
            "local sv = Instance.new('StringValue') sv.Value = 5 assert(sv.Value == '5')\n"
            "local ok, err = pcall(function() iv.Value = 'abc' end)\n"
            "assert(not ok and err:find('Unable to assign property Value'), err)\n"
            "local nv = Instance.new('NumberValue') nv.Value = '2.5' assert(nv.Value == 2.5)\n"
            "local bv = Instance.new('BoolValue') assert(bv.Value == false)\n"
            "local ov = Instance.new('ObjectValue') ov.Value = f assert(ov.Value == f)\n"
            "local vv = Instance.new('Vector3Value') vv.Value = Vector3.new(1, 2, 3)\n"
            "assert(vv.Value.Y == 2)\n"
            "local p = 0 iv:GetPropertyChangedSignal('Value'):Connect(function() p = p + 1 end)\n"
            "iv.Value = 1 assert(p == 1)\n"
            "print('done')\n");
}

static void test_services_and_datatypes(void **state) {
  check_lua(*state,
            "assert(game:GetService('ReplicatedStorage') == game.ReplicatedStorage)\n"
            "assert(game:GetService('Workspace') == workspace and game.Workspace == workspace)\n"
            "for _, n in ipairs({'Players', 'RunService', 'ServerScriptService', 'ServerStorage',\n"
            "  'StarterPlayer'}) do assert(game:GetService(n).ClassName == n) end\n"
            "assert(game.StarterPlayer.StarterPlayerScripts)\n"
            "local ok, err = pcall(function() game:GetService('Nope') end)\n"
            "assert(not ok and err:find(\"'Nope' is not a valid Service name\", 1, true))\n"
            "local rs = game:GetService('RunService')\n"
            "assert(rs:IsServer() and not rs:IsClient())\n"
            "assert(workspace.CurrentCamera.CFrame.Position.Y == 20)\n"
            "assert(typeof(workspace.CurrentCamera.CFrame) == 'CFrame')\n"
            "local v = Vector3.new(3, 4, 0)\n"
            "assert(v.Magnitude == 5 and math.abs(v.Unit.X - 0.6) < 1e-6)\n"
            "assert(tostring(v + Vector3.new(1, 1, 1)) == '4, 5, 1')\n"
            "assert(tostring(v * 2) == '6, 8, 0' and tostring(2 * v) == '6, 8, 0')\n"
            "assert(tostring(v - v) == '0, 0, 0' and tostring(-v) == '-3, -4, 0')\n"
            "assert(v == Vector3.new(3, 4, 0) and v.X == 3 and v:Dot(v) == 25)\n"
            "assert(not pcall(function() v.X = 1 end))\n"
            "local cf = CFrame.new(1, 2, 3)\n"
            "assert(tostring((cf * CFrame.new(1, 0, 0)).Position) == '2, 2, 3')\n"
            "assert(tostring(cf * Vector3.new(1, 1, 1)) == '2, 3, 4')\n"
            "assert(tostring((cf + Vector3.new(1, 0, 0)).Position) == '2, 2, 3')\n"
            "local r = CFrame.Angles(0, math.pi / 2, 0) * Vector3.new(1, 0, 0)\n"
            "assert(math.abs(r.Z + 1) < 1e-6, tostring(r))\n"
            "assert(typeof(cf) == 'CFrame' and typeof(v) == 'Vector3' and typeof(Color3.new()) == 'Color3')\n"
            "local col = Color3.fromRGB(255, 0, 51)\n"
            "assert(col.R == 1 and math.abs(col.B - 0.2) < 1e-6 and col:ToHex() == 'FF0033')\n"
            "assert(typeof(nil) == 'nil' and typeof({}) == 'table' and typeof(print) == 'function')\n"
            "assert(('a,b,,c'):split(',')[4] == 'c' and table.find({5, 6}, 6) == 2)\n"
            "assert(math.clamp(5, 0, 3) == 3 and string.format('%s %s', nil, true) == 'nil true')\n"
            "print('done')\n");
}

static void test_wait_for_child(void **state) {
  check_lua(*state,
            "local f = Instance.new('Folder', workspace)\n"
            "task.delay(0.05, function() local x = Instance.new('Folder') x.Name = 'Late' x.Parent = f end)\n"
            "assert(f:WaitForChild('Late').Name == 'Late')\n"
            "local t0 = time()\n"
            /* on the test clock: gives up at the first frame at or after its 0.1 s */
            "local gone = f:WaitForChild('Never', 0.1)\n"
            "assert(gone == nil and time() - t0 >= 0.1 and time() - t0 < 0.1 + 1/60)\n"
            "local renamed = Instance.new('Folder', f)\n"
            "task.delay(0.02, function() renamed.Name = 'Renamed' end)\n"
            "assert(f:WaitForChild('Renamed') == renamed)\n"
            "print('done')\n");
}

static void test_infinite_yield_warning(void **state) {
  fixture *f = *state;
  rmt_host_run_string(f->host,
                      "game:GetService('ReplicatedStorage'):WaitForChild('Missing')", "w.lua");
  /* Roblox warns after 5 s; on the test clock, not a frame before */
  run_for(f->host, 4.98);
  assert_int_equal(f->cap.warns, 0);
  run_for(f->host, 0.05);
  assert_true(rmt_host_busy(f->host));
  assert_int_equal(f->cap.warns, 1);
  assert_true(has_line(&f->cap,
                       "W Infinite yield possible on 'ReplicatedStorage:WaitForChild(\"Missing\")'"));
}

static void test_require_once_and_bindables(void **state) {
  check_lua(*state,
            "local m = Instance.new('ModuleScript')\n"
            "m.Source = 'shared.loads = (shared.loads or 0) + 1 return { n = shared.loads }'\n"
            "local r1, r2 = require(m), require(m)\n"
            "assert(r1 == r2 and r1.n == 1 and shared.loads == 1)\n"
            "local bad = Instance.new('ModuleScript') bad.Source = 'return 1, 2'\n"
            "assert(not pcall(require, bad))\n"
            "assert(not pcall(require, workspace))\n"
            "local be = Instance.new('BindableEvent')\n"
            "local sent = { list = { 1, 2 }, who = workspace }\n"
            "local got\n"
            "be.Event:Connect(function(t) got = t end)\n"
            "be:Fire(sent)\n"
            "assert(got ~= sent and got.list ~= sent.list and got.list[2] == 2)\n"
            "assert(got.who == workspace)\n"
            "local fn = function(x) return x end\n"
            "be:Fire({ cb = fn })\n"
            "assert(got.cb == fn)\n"
            "local bf = Instance.new('BindableFunction')\n"
            "bf.OnInvoke = function(a, b) return a + b, 'sum' end\n"
            "local s, w = bf:Invoke(2, 3) assert(s == 5 and w == 'sum')\n"
            "bf.OnInvoke = function(g) return g, function() return 'back' end end\n"
            "local same, back = bf:Invoke(fn) assert(same == fn and back() == 'back')\n"
            "bf.OnInvoke = function() error('nope') end\n"
            "local ok, err = pcall(function() return bf:Invoke() end)\n"
            "assert(not ok and err:find('nope'))\n"
            "local late = Instance.new('BindableFunction')\n"
            "task.delay(0.05, function() late.OnInvoke = function(x) return x * 2 end end)\n"
            "assert(late:Invoke(21) == 42)\n"
            "assert(not pcall(function() return bf.OnInvoke end))\n"
            "print('done')\n");
}

static void test_bindable_warnings(void **state) {
  fixture *f = *state;
  run_lua(f->host, &f->cap,
          "local be = Instance.new('BindableEvent')\n"
          "be.Event:Connect(function(a, b) print('got', a == print, b[1], b.x, b.f == print) end)\n"
          "be:Fire(print, { 1, x = 2 })\n"
          "be:Fire(print, { f = print })\n"
          "local t = {} t.self = t\n"
          "local ok, err = pcall(function() be:Fire(t) end)\n"
          "print('cycle refused', not ok, err)\n");
  assert_int_equal(f->cap.errors, 0);
  /* a function crosses a bindable as itself (one Lua state), at any depth; a mixed table
   * still loses its non-array keys with a warning */
  assert_true(has_line(&f->cap, "P got true 1 nil false"));
  assert_true(has_line(&f->cap, "P got true nil nil true"));
  assert_int_equal(f->cap.warns, 1);
  assert_non_null(strstr(f->cap.text, "W argument 2: "));
  assert_non_null(strstr(f->cap.text, "P cycle refused true test.lua:6: argument 1: "));
}

static void write_file(const char *path, const char *text) {
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  fputs(text, fp);
  fclose(fp);
}

/* A place: services, init scripts, model files with properties, and the client filter. */
static void make_place(char *dir) {
  char p[512];
  strcpy(dir, "/tmp/rmt_place_XXXXXX");
  assert_non_null(mkdtemp(dir));
#define MK(rel) (snprintf(p, sizeof p, "%s/%s", dir, rel), mkdir(p, 0700))
#define WR(rel, text) (snprintf(p, sizeof p, "%s/%s", dir, rel), write_file(p, text))
  MK("ReplicatedStorage");
  MK("ReplicatedStorage/Remotes");
  MK("ReplicatedStorage/Lib");
  MK("ServerScriptService");
  MK("ServerStorage");
  WR("ReplicatedStorage/Remotes/Ping.model.json", "{\"ClassName\": \"RemoteFunction\"}");
  WR("ReplicatedStorage/Lib/init.lua", "return { name = 'lib', child = script.Helper }");
  WR("ReplicatedStorage/Lib/Helper.lua", "return 1");
  WR("ReplicatedStorage/Config.model.json",
     "{\"ClassName\": \"Folder\", \"Children\": [\n"
     " {\"Name\": \"Speed\", \"ClassName\": \"NumberValue\", \"Properties\": {\"Value\": 16}},\n"
     " {\"Name\": \"Spawn\", \"ClassName\": \"Vector3Value\", \"Properties\": {\"Value\": [1, 2, 3]}},\n"
     " {\"Name\": \"Tint\", \"ClassName\": \"Color3Value\", \"Properties\": {\"Value\": {\"Color3\": [1, 0, 0]}}}\n"
     "], \"Attributes\": {\"Mode\": \"fast\"}}");
  WR("ReplicatedStorage/Motd.txt", "hello");
  WR("ServerStorage/Secret.lua", "return 42");
  WR("ServerScriptService/Main.server.lua", "print('main runs')");
#undef MK
#undef WR
}

static void rm_rf(const char *dir) {
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

static void test_place_server(void **state) {
  fixture *f = *state;
  char dir[64];
  rmt_error err;
  make_place(dir);
  assert_int_equal(rmt_host_load(f->host, dir, &err), 0);
  check_lua(f,
            "local rs = game.ReplicatedStorage\n"
            "assert(rs.Remotes.Ping.ClassName == 'RemoteFunction')\n"
            "assert(rs.Lib.ClassName == 'ModuleScript' and require(rs.Lib).name == 'lib')\n"
            "assert(require(rs.Lib).child == rs.Lib.Helper)\n"
            "assert(rs.Config.Speed.Value == 16 and rs.Config.Spawn.Value == Vector3.new(1, 2, 3))\n"
            "assert(rs.Config.Tint.Value == Color3.new(1, 0, 0) and rs.Config:GetAttribute('Mode') == 'fast')\n"
            "assert(rs.Motd.Value == 'hello' and rs.Motd.ClassName == 'StringValue')\n"
            "assert(require(game.ServerStorage.Secret) == 42)\n"
            "assert(game.ServerScriptService.Main.ClassName == 'Script')\n"
            "print('done')\n");
  rmt_host_start_scripts(f->host);
  assert_true(has_line(&f->cap, "P main runs"));
  rm_rf(dir);
}

static void test_place_client_filter(void **state) {
  fixture *f = *state;
  char dir[64];
  rmt_error err;
  make_place(dir);
  assert_int_equal(rmt_host_load(f->host, dir, &err), 0);
  check_lua(f,
            "local rs = game.ReplicatedStorage\n"
            "assert(rs.Remotes:FindFirstChild('Ping') == nil) -- remotes come from the server\n"
            "assert(rs.Lib and rs.Config.Speed.Value == 16)\n"
            "assert(#game.ServerStorage:GetChildren() == 0)\n"
            "assert(#game.ServerScriptService:GetChildren() == 0)\n"
            "assert(game:GetService('RunService'):IsClient())\n"
            "print('done')\n");
  rm_rf(dir);
}

static void test_place_errors(void **state) {
  fixture *f = *state;
  char dir[64], p[512];
  rmt_error err;
  strcpy(dir, "/tmp/rmt_place_XXXXXX");
  assert_non_null(mkdtemp(dir));
  snprintf(p, sizeof p, "%s/ReplicatedStorage", dir);
  mkdir(p, 0700);
  snprintf(p, sizeof p, "%s/ReplicatedStorage/Bad.model.json", dir);
  write_file(p, "{\"ClassName\": \"NoSuchClass\"}");
  assert_int_equal(rmt_host_load(f->host, dir, &err), -1);
  assert_string_equal(err.message,
                      "ReplicatedStorage/Bad.model.json: unknown class \"NoSuchClass\"");
  write_file(p, "{\"ClassName\": \"IntValue\",\n \"Properties\": {\"Value\": \"x\"}}");
  assert_int_equal(rmt_host_load(f->host, dir, &err), -1);
  assert_non_null(strstr(err.message, "ReplicatedStorage/Bad.model.json: property Value:"));
  write_file(p, "{\"ClassName\": \"IntValue\",\n \"Properties\": {\"Value\": 1,}}");
  assert_int_equal(rmt_host_load(f->host, dir, &err), -1);
  assert_string_equal(err.message, "ReplicatedStorage/Bad.model.json: line 2: expected a string key");
  assert_int_equal(rmt_host_load(f->host, "/nonexistent/x", &err), -1);
  assert_string_equal(err.message, "/nonexistent/x: no such file or directory");
  rm_rf(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_tree, lua_fixture_setup, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_attributes_and_values, lua_fixture_setup, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_services_and_datatypes, lua_fixture_setup, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_wait_for_child, lua_fixture_setup_clocked,
                                      lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_infinite_yield_warning, lua_fixture_setup_clocked,
                                      lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_require_once_and_bindables, lua_fixture_setup, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_bindable_warnings, lua_fixture_setup, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_place_server, lua_fixture_setup, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_place_client_filter, lua_fixture_setup_client, lua_fixture_teardown),
      cmocka_unit_test_setup_teardown(test_place_errors, lua_fixture_setup, lua_fixture_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
