/* test_lua_facts.c - Roblox's facts in the Lua host (src/lua/facts_*.c, generated from the API
 * dump): Enum with its items and methods, GetService of any real service with its real
 * ClassName, Instance.new of creatable classes with typed properties; wrong uses fail as
 * Roblox fails them. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "test_lua_util.h"

static void expect_lines(const char *src, const char *const *lines, size_t n) {
  capture cap;
  alloc_counter ac;
  rmt_host *h;
  size_t i;
  alloc_counter_init(&ac);
  h = test_host(RMT_HOST_SERVER, &cap, &ac);
  assert_non_null(h);
  run_lua(h, &cap, src);
  for (i = 0; i < n; i++) {
    if (!has_line(&cap, lines[i])) fprintf(stderr, "missing: %s\n--- got\n%s", lines[i], cap.text);
    assert_true(has_line(&cap, lines[i]));
  }
  assert_int_equal(cap.errors, 0);
  rmt_host_destroy(h);
  assert_int_equal(ac.live_blocks, 0);
}

static void test_enum(void **state) {
  static const char *const lines[] = {
      "P Enum.KeyCode.A 97 A EnumItem Enum Enums",
      "P true Enum.KeyCode.Return true",
      "P KeyCode true 633",
      "P false test.lua:6: Nope is not a valid member of \"Enum\"",
      "P false test.lua:7: Nope is not a valid member of \"Enum.KeyCode\"",
  };
  (void)state;
  expect_lines(
      "local a = Enum.KeyCode.A\n"
      "print(a, a.Value, a.Name, typeof(a), typeof(Enum.KeyCode), typeof(Enum))\n"
      "print(a == Enum.KeyCode:FromName('A'), Enum.KeyCode:FromValue(13), a.EnumType == Enum.KeyCode)\n"
      "local found = false for _, e in ipairs(Enum:GetEnums()) do if e == Enum.KeyCode then found = true end end\n"
      "print(tostring(Enum.KeyCode), found and a:IsA('KeyCode'), #Enum:GetEnums())\n"
      "print(pcall(function() return Enum.Nope end))\n"
      "print(pcall(function() return Enum.KeyCode.Nope end))\n",
      lines, sizeof lines / sizeof lines[0]);
}

static void test_services(void **state) {
  static const char *const lines[] = {
      "P UserInputService UserInputService true",
      "P TweenService TweenService true",
      "P CollectionService CollectionService true",
      "P DataStoreService DataStoreService true",
      "P MarketplaceService MarketplaceService true",
      "P ContextActionService ContextActionService true",
      "P same true",
      "P false 'NotAService' is not a valid Service name",
      /* the services made at start have the facts' properties too; roblox-ts's project
       * template sets these three */
      "P started true false false 0 true",
      "P false test.lua:10: Unable to assign property FilteringEnabled. boolean expected, got string",
  };
  (void)state;
  expect_lines(
      "for _, n in ipairs({'UserInputService', 'TweenService', 'CollectionService',\n"
      "    'DataStoreService', 'MarketplaceService', 'ContextActionService'}) do\n"
      "  local s = game:GetService(n) print(n, s.ClassName, s.Parent == game)\n"
      "end\n"
      "print('same', game:GetService('Debris') == game:GetService('Debris'))\n"
      "print(pcall(function() return game:GetService('NotAService') end))\n"
      "local snd, http = game:GetService('SoundService'), game:GetService('HttpService')\n"
      "print('started', workspace.FilteringEnabled, snd.RespectFilteringEnabled, http.HttpEnabled,\n"
      "  game:GetService('Lighting').ClockTime, (function() snd.RespectFilteringEnabled = true return snd.RespectFilteringEnabled end)())\n"
      "print(pcall(function() workspace.FilteringEnabled = 'x' end))\n",
      lines, sizeof lines / sizeof lines[0]);
}

static void test_classes(void **state) {
  static const char *const lines[] = {
      "P ScreenGui Attachment Sound Humanoid UIListLayout",
      "P 0.5 false Enum.RollOffMode.Inverse true",
      "P Enum.RollOffMode.Linear Enum.RollOffMode.Linear",
      "P false Enum.RollOffMode",
      "P false Unable to create an Instance of type \"Players\"",
  };
  (void)state;
  expect_lines(
      "local names = {}\n"
      "for _, c in ipairs({'ScreenGui', 'Attachment', 'Sound', 'Humanoid', 'UIListLayout'}) do\n"
      "  names[#names + 1] = Instance.new(c).ClassName end\n"
      "print(table.concat(names, ' '))\n"
      "local s = Instance.new('Sound') s.Volume = 0.5\n"
      "print(s.Volume, s.Looped, s.RollOffMode, s:IsA('Instance'))\n"
      "s.RollOffMode = Enum.RollOffMode.Linear local a = s.RollOffMode\n"
      "s.RollOffMode = 'Linear' print(a, s.RollOffMode)\n"
      "local ok, err = pcall(function() s.RollOffMode = Enum.KeyCode.A end)\n"
      "print(ok, err:match('Enum%.RollOffMode'))\n"
      "ok, err = pcall(Instance.new, 'Players') print(ok, err)\n",
      lines, sizeof lines / sizeof lines[0]);
}

static void test_datatypes(void **state) {
  static const char *const lines[] = {
      "P 3, 4 5 4, 6 6, 8 11 Vector2 true 0, 0",
      "P {0.5, 10}, {1, -5} 0.5 -5 UDim2 {1, 0}, {1, 0} {0, 5}, {0, 6}",
      "P 1 5 1 0",
      "P Time:2 DelayTime:0 RepeatCount:0 Reverses:False EasingDirection:Out EasingStyle:Quad",
      "P true true true",
      "P 1970-01-01T00:00:00.000Z 1582977600 1704164645678",
      "P {0, 0}, {0, 0} {1, 0}, {1, 0} false",
      "P 3",
  };
  (void)state;
  expect_lines(
      "local a, b = Vector2.new(3, 4), Vector2.new(1, 2)\n"
      "print(a, a.Magnitude, a + b, a * 2, a:Dot(b), typeof(a), a == Vector2.new(3, 4), Vector2.zero)\n"
      "local u = UDim2.new(0.5, 10, 1, -5)\n"
      "print(u, u.X.Scale, u.Y.Offset, typeof(u), UDim2.fromScale(1, 1), UDim2.fromOffset(5, 6))\n"
      "print(NumberRange.new(1, 5).Min, NumberRange.new(1, 5).Max,\n"
      "  NumberSequence.new(0, 1).Keypoints[2].Value, ColorSequence.new(Color3.new(1, 0, 0)).Keypoints[1].Time)\n"
      "print(TweenInfo.new(2))\n"
      "local r1, r2 = Random.new(42), Random.new(42)\n"
      "local same = true for i = 1, 100 do if r1:NextInteger(1, 1000) ~= r2:NextInteger(1, 1000) then same = false end end\n"
      "local inRange = true for i = 1, 1000 do local x = r1:NextNumber(2, 3) if x < 2 or x >= 3 then inRange = false end end\n"
      "print(same, inRange, Random.new(1):NextInteger(1, 1e9) ~= Random.new(2):NextInteger(1, 1e9))\n"
      "print(DateTime.fromUnixTimestamp(0):ToIsoDate(), DateTime.fromUniversalTime(2020, 2, 29, 12, 0, 0).UnixTimestamp,\n"
      "  DateTime.fromIsoDate('2024-01-02T03:04:05.678Z').UnixTimestampMillis)\n"
      "local g = Instance.new('Frame') local before = g.Size g.Size = UDim2.new(1, 0, 1, 0)\n"
      "print(before, g.Size, (pcall(function() g.Size = Vector2.new(1, 1) end)))\n"
      "print(Ray.new(Vector3.new(0, 0, 0), Vector3.new(10, 0, 0)):Distance(Vector3.new(5, 3, 0)))\n",
      lines, sizeof lines / sizeof lines[0]);
}

static void test_service_behaviour(void **state) {
  static const char *const lines[] = {
      "P [1,2,\"x\"] {\"a\":true} [] 2 d 3",
      "P 38 36 true",
      "P false test.lua:5: Http requests are not enabled. Enable via game settings",
      "P false Can't convert to JSON: Tables with cycles cannot be converted to JSON",
      "P added Part",
      "P true 1 Lava Lava",
      "P false 0",
      "P tween done 10 Enum.PlaybackState.Completed",
      "P debris nil 10, 0, 0",
  };
  (void)state;
  expect_lines(
      "local Http = game:GetService('HttpService')\n"
      "local t = Http:JSONDecode('{\"a\":[1,2,{\"b\":null}],\"c\":\"d\"}')\n"
      "print(Http:JSONEncode({1, 2, 'x'}), Http:JSONEncode({a = true}), Http:JSONEncode({}), t.a[2], t.c, #t.a)\n"
      "print(#Http:GenerateGUID(), #Http:GenerateGUID(false), Http:GenerateGUID():match('^{%x+%-%x+%-4%x+%-[89AB]%x+%-%x+}$') ~= nil)\n"
      "print(pcall(function() return Http:GetAsync('http://example.com') end))\n"
      "local cyc = {} cyc.self = cyc print(pcall(function() return Http:JSONEncode(cyc) end))\n"
      "local CS = game:GetService('CollectionService')\n"
      "local p = Instance.new('Part') p.Parent = workspace\n"
      "CS:GetInstanceAddedSignal('Lava'):Connect(function(i) print('added', i.Name) end)\n"
      "CS:AddTag(p, 'Lava') print(p:HasTag('Lava'), #CS:GetTagged('Lava'), CS:GetTags(p)[1], CS:GetAllTags()[1])\n"
      "p:RemoveTag('Lava') print(p:HasTag('Lava'), #CS:GetTagged('Lava'))\n"
      "local q = Instance.new('Part', workspace) game:GetService('Debris'):AddItem(q, 0.05)\n"
      "local TS = game:GetService('TweenService')\n"
      "local v = Instance.new('NumberValue', workspace)\n"
      "local tw = TS:Create(v, TweenInfo.new(0.1, Enum.EasingStyle.Linear), {Value = 10})\n"
      "tw.Completed:Connect(function(state) print('tween done', v.Value, state) end)\n"
      "tw:Play()\n"
      "local pp = Instance.new('Part', workspace)\n"
      "TS:Create(pp, TweenInfo.new(0.1), {Position = Vector3.new(10, 0, 0)}):Play()\n"
      "task.wait(0.3)\n"
      "print('debris', q.Parent, pp.Position)\n",
      lines, sizeof lines / sizeof lines[0]);
}

/* BrickColor as Roblox's reference page documents it; the expected names, numbers and colours
 * are that page's table (creator-docs, pinned in scripts/gen_roblox_facts.py) and its own
 * examples (0.502, 0.734, 0.859 -> Pastel Blue; palette(70) -> Gold). */
static void test_brickcolor(void **state) {
  static const char *const lines[] = {
      "P Medium stone grey 194 Medium stone grey BrickColor true",
      "P 0.6392157, 0.63529414, 0.64705884 true true true true",
      "P 11 Pastel Blue Pastel Blue Gold",
      "P unknown 194 194 194 Medium stone grey",
      "P named 1 194 199 26 21 24 28 23",
      "P nearest Bright red Really red Really black",
      "P names Dirt brown White Really black",
      "P eq true false true true",
      "P palette 128 random 200",
      "P errors false false false false test.lua:23: Number cannot be assigned to",
      "P part Medium stone grey BrickColor true 21 Really red",
      "P Unable to assign property BrickColor. BrickColor expected, got Color3",
      "P value Medium stone grey Bright blue",
      "P team White Medium stone grey",
  };
  (void)state;
  expect_lines(
      "local b = BrickColor.new(194)\n"
      "print(b, b.Number, b.Name, typeof(b), tostring(b) == b.Name)\n"
      "print(b.Color, b.r == b.Color.R, b.g == b.Color.G, b.b == b.Color.B, b.Color == Color3.fromRGB(163, 162, 165))\n"
      "print(BrickColor.new('Pastel Blue').Number, BrickColor.new(11).Name,\n"
      "  BrickColor.new(0.502, 0.734, 0.859).Name, BrickColor.palette(70).Name)\n"
      "print('unknown', BrickColor.new('No such colour').Number, BrickColor.new(9999).Number,\n"
      "  BrickColor.new(0).Number, BrickColor.new('medium stone grey').Name)\n"
      "print('named', BrickColor.White().Number, BrickColor.Gray().Number, BrickColor.DarkGray().Number,\n"
      "  BrickColor.Black().Number, BrickColor.Red().Number, BrickColor.Yellow().Number,\n"
      "  BrickColor.Green().Number, BrickColor.Blue().Number)\n"
      "print('nearest', BrickColor.new(Color3.fromRGB(196, 40, 28)).Name, BrickColor.new(Color3.new(1, 0, 0)).Name,\n"
      "  BrickColor.new(0, 0, 0).Name)\n"
      "print('names', BrickColor.new(361).Name, BrickColor.new('White').Name, BrickColor.new(1003).Name)\n"
      "local t = { [BrickColor.new(1)] = 'w' }\n"
      "print('eq', BrickColor.new(1) == BrickColor.White(), BrickColor.new(1) == BrickColor.new(2),\n"
      "  t[BrickColor.new('White')] == 'w', BrickColor.new(23) == BrickColor.Blue())\n"
      "local pal, n = {}, 0\n"
      "for i = 0, 127 do pal[BrickColor.palette(i)] = true end\n"
      "local distinct = 0 for _ in pairs(pal) do distinct = distinct + 1 end\n"
      "for _ = 1, 200 do if pal[BrickColor.random()] then n = n + 1 end end\n"
      "print('palette', distinct, 'random', n)\n"
      "print('errors', pcall(BrickColor.palette, 128), pcall(BrickColor.palette, -1),\n"
      "  pcall(BrickColor.new, true), pcall(function() b.Number = 1 end))\n"
      "local p = Instance.new('Part')\n"
      "local pb = p.BrickColor\n"
      "p.BrickColor = BrickColor.Red()\n"
      "local red = p.Color == BrickColor.Red().Color\n"
      "local redNumber = p.BrickColor.Number\n"
      "p.Color = Color3.new(1, 0, 0)\n"
      "print('part', pb, typeof(pb), red, redNumber, p.BrickColor)\n"
      "local ok, err = pcall(function() p.BrickColor = Color3.new() end)\n"
      "print(not ok and err:match('Unable.*'))\n"
      "local v = Instance.new('BrickColorValue') local v0 = v.Value v.Value = BrickColor.Blue()\n"
      "print('value', v0, v.Value)\n"
      "print('team', Instance.new('Team').TeamColor, Instance.new('SpawnLocation').TeamColor)\n",
      lines, sizeof lines / sizeof lines[0]);
}

/* Instance.new gives Roblox's defaults. The expected values are those of the generator's
 * sources (rbx-dom's reflection database and Roblox's Full-API-Dump.json, pinned in
 * scripts/gen_roblox_facts.py): Part.Size 4, 1.2, 2; Humanoid.Health 100 (the dump's; rbx-dom
 * has it only as Health_XML); TextLabel.TextSize 8 (both agree); UICorner.CornerRadius 0, 8
 * (the dump's; not saved, so not in rbx-dom); LineForce.MaxForce inf. */
static void test_defaults(void **state) {
  static const char *const lines[] = {
      "P 4, 1.2, 2 false 0 true Enum.SurfaceType.Studs Enum.SurfaceType.Inlet Enum.PartType.Block Enum.Material.Plastic",
      "P 100 100 16 50 7.2 true Enum.HumanoidRigType.R6",
      "P 0.5 1 10 10000 false Enum.RollOffMode.Inverse",
      "P true true true 0 false",
      "P {0, 0}, {0, 0} 0 1 true",
      "P 0.6392157, 0.63529414, 0.64705884 0.105882354, 0.16470589, 0.20784314",
      "P Label 8 Enum.Font.Legacy Enum.TextXAlignment.Center 0.10588236, 0.16470589, 0.20784315",
      "P 0 0 false 0",
      "P 0, 8 inf 70 true",
      /* a default is a value like any other: setting it again is no change, an instance's own
       * value wins over it, Clone keeps both */
      "P changed 0 Size",
      "P clone 1, 1, 1 Enum.SurfaceType.Studs 100",
      "P 50 false",
  };
  (void)state;
  expect_lines(
      "local p = Instance.new('Part')\n"
      "print(p.Size, p.Anchored, p.Transparency, p.CanCollide, p.TopSurface, p.BottomSurface, p.Shape, p.Material)\n"
      "local h = Instance.new('Humanoid')\n"
      "print(h.Health, h.MaxHealth, h.WalkSpeed, h.JumpPower, h.JumpHeight, h.UseJumpPower, h.RigType)\n"
      "local s = Instance.new('Sound')\n"
      "print(s.Volume, s.PlaybackSpeed, s.RollOffMinDistance, s.RollOffMaxDistance, s.Looped, s.RollOffMode)\n"
      "local g = Instance.new('ScreenGui')\n"
      "print(g.ResetOnSpawn, g.Enabled, g.ClipToDeviceSafeArea, g.DisplayOrder, g.IgnoreGuiInset)\n"
      "local f = Instance.new('Frame')\n"
      "print(f.Size, f.BackgroundTransparency, f.BorderSizePixel, f.Visible)\n"
      "print(f.BackgroundColor3, f.BorderColor3)\n"
      "local t = Instance.new('TextLabel')\n"
      "print(t.Text, t.TextSize, t.Font, t.TextXAlignment, t.TextColor3)\n"
      "print(Instance.new('IntValue').Value, Instance.new('NumberValue').Value,\n"
      "  Instance.new('BoolValue').Value, #Instance.new('StringValue').Value)\n"
      "print(Instance.new('UICorner').CornerRadius, Instance.new('LineForce').MaxForce,\n"
      "  Instance.new('Camera').FieldOfView, Instance.new('Model').Archivable)\n"
      "local seen = {}\n"
      "p.Changed:Connect(function(k) seen[#seen + 1] = k end)\n"
      "p.Size = Vector3.new(4, 1.2, 2) p.Anchored = false p.CanCollide = true\n"
      "local before = #seen\n"
      "p.Size = Vector3.new(1, 1, 1)\n"
      "print('changed', before, table.concat(seen, ','))\n"
      "local q = p:Clone()\n"
      "print('clone', q.Size, q.TopSurface, h:Clone().Health)\n"
      "h.Health = 50 print(h.Health, Instance.new('Humanoid').Health == 50)\n",
      lines, sizeof lines / sizeof lines[0]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_enum),
      cmocka_unit_test(test_services),
      cmocka_unit_test(test_classes),
      cmocka_unit_test(test_datatypes),
      cmocka_unit_test(test_service_behaviour),
      cmocka_unit_test(test_brickcolor),
      cmocka_unit_test(test_defaults),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
