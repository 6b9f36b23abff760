/* test_lua_place.c - the place loader's Rojo fidelity: $properties converted by the
 * property's type (explicit and implicit forms), unknown properties as warnings, $attributes,
 * meta files, globIgnorePaths, nested projects, .txt/.csv/.rbxmx files; nothing leaked. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_lua_util.h"

typedef struct fixture {
  alloc_counter ac;
  capture cap;
  rmt_host *host;
  char dir[64];
} fixture;

static int setup_side(void **state, rmt_host_side side) {
  fixture *f = calloc(1, sizeof *f);
  alloc_counter_init(&f->ac);
  f->host = test_host(side, &f->cap, &f->ac);
  if (!f->host) return -1;
  strcpy(f->dir, "/tmp/rmt_rojo_XXXXXX");
  if (!mkdtemp(f->dir)) return -1;
  *state = f;
  return 0;
}
static int setup(void **state) { return setup_side(state, RMT_HOST_SERVER); }
static int setup_client(void **state) { return setup_side(state, RMT_HOST_CLIENT); }

static int teardown(void **state) {
  fixture *f = *state;
  char cmd[128];
  rmt_host_destroy(f->host);
  assert_int_equal(f->ac.live_blocks, 0);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
  assert_int_equal(system(cmd), 0);
  free(f);
  return 0;
}

/* Writes dir/rel, making its folders. */
static void put(fixture *f, const char *rel, const char *text) {
  char p[512];
  size_t i, n;
  FILE *fp;
  n = (size_t)snprintf(p, sizeof p, "%s/%s", f->dir, rel);
  for (i = strlen(f->dir) + 1; i < n; i++) {
    if (p[i] == '/') {
      p[i] = 0;
      mkdir(p, 0700);
      p[i] = '/';
    }
  }
  fp = fopen(p, "w");
  assert_non_null(fp);
  fputs(text, fp);
  fclose(fp);
}

static int load(fixture *f, rmt_error *err) {
  return rmt_host_load(f->host, f->dir, err);
}

static void load_ok(fixture *f) {
  rmt_error err;
  int rc = load(f, &err);
  if (rc != 0) fprintf(stderr, "load: %s\n", err.message);
  assert_int_equal(rc, 0);
}

/* Runs a Lua check that prints "done" at its end; any error fails the test. */
static void check_lua(fixture *f, const char *src) {
  run_lua(f->host, &f->cap, src);
  if (f->cap.errors || !has_line(&f->cap, "P done")) fprintf(stderr, "%s", f->cap.text);
  assert_int_equal(f->cap.errors, 0);
  assert_true(has_line(&f->cap, "P done"));
}

/* roblox-ts's template sets these three; each must load. Then every property form. */
static void test_project_properties(void **state) {
  fixture *f = *state;
  rmt_error err;
  put(f, "default.project.json",
      "{\"name\": \"t\", \"tree\": {\"$className\": \"DataModel\",\n"
      " \"HttpService\": {\"$className\": \"HttpService\", \"$properties\": {\"HttpEnabled\": true}},\n"
      " \"Workspace\": {\"$className\": \"Workspace\", \"$properties\": {\"FilteringEnabled\": true,\n"
      "    \"Gravity\": {\"Float32\": 50}, \"Frobnicate\": 1},\n"
      "   \"$attributes\": {\"Mode\": \"fast\", \"Level\": 3, \"At\": {\"Vector3\": [1, 2, 3]}},\n"
      "   \"$ignoreUnknownInstances\": true,\n"
      "   \"Block\": {\"$className\": \"Part\", \"$properties\": {\n"
      "     \"Size\": {\"Vector3\": [4, 5, 6]}, \"Position\": [1, 2, 3], \"Color\": [1, 0, 0],\n"
      "     \"CFrame\": [1, 2, 3, 1, 0, 0, 0, 1, 0, 0, 0, 1], \"Material\": \"Neon\",\n"
      "     \"Shape\": {\"Enum\": 0}, \"Anchored\": {\"Bool\": true}, \"Tags\": [\"a\", \"b\"]}}},\n"
      " \"SoundService\": {\"$className\": \"SoundService\", \"$properties\": {\"RespectFilteringEnabled\": true}},\n"
      " \"Lighting\": {\"$properties\": {\"Ambient\": {\"Color3uint8\": [255, 0, 0]}, \"TimeOfDay\": \"12:00:00\"}},\n"
      " \"StarterGui\": {\"$className\": \"StarterGui\", \"Gui\": {\"$className\": \"ScreenGui\",\n"
      "   \"Box\": {\"$className\": \"Frame\", \"$properties\": {\"Size\": {\"UDim2\": [[0.5, 10], [1, -20]]},\n"
      "     \"Position\": [[0, 1], [0, 2]], \"AnchorPoint\": [0.5, 0.5], \"FontFace\": {\"Font\": {\"family\": \"x\"}}},\n"
      "     \"List\": {\"$className\": \"UIListLayout\", \"$properties\": {\"Padding\": [0, 8]}}}}},\n"
      " \"ReplicatedStorage\": {\"$className\": \"ReplicatedStorage\",\n"
      "   \"Speed\": {\"$className\": \"NumberValue\", \"$properties\": {\"Value\": 12.5}},\n"
      "   \"Tool\": {\"$className\": \"Tool\", \"$properties\": {\"Grip\": {\"CFrame\": {\"position\": [0, 1, 0],\n"
      "     \"orientation\": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}}}}}\n"
      "}}\n");
  assert_int_equal(load(f, &err), 0);
  assert_true(has_line(&f->cap, "W default.project.json: unknown property Workspace.Frobnicate; ignored"));
  assert_true(has_line(&f->cap, "W default.project.json: property Frame.FontFace: values of type Font are not "
                                "supported by this host; ignored"));
  assert_int_equal(f->cap.warns, 2);
  check_lua(f,
            "assert(game:GetService('HttpService').HttpEnabled == true)\n"
            "assert(workspace.FilteringEnabled == true and workspace.Gravity == 50)\n"
            "assert(game:GetService('SoundService').RespectFilteringEnabled == true)\n"
            "assert(workspace:GetAttribute('Mode') == 'fast' and workspace:GetAttribute('Level') == 3)\n"
            "assert(workspace:GetAttribute('At') == Vector3.new(1, 2, 3))\n"
            "local b = workspace.Block\n"
            "assert(b.Size == Vector3.new(4, 5, 6) and b.Color == Color3.new(1, 0, 0))\n"
            "assert(b.CFrame == CFrame.new(1, 2, 3) and b.Material == Enum.Material.Neon)\n"
            "assert(b.Shape == Enum.PartType.Ball and b.Anchored == true)\n"
            "assert(b:HasTag('a') and b:HasTag('b'))\n"
            "local l = game:GetService('Lighting')\n"
            "assert(l.Ambient == Color3.fromRGB(255, 0, 0) and l.TimeOfDay == '12:00:00')\n"
            "local box = game.StarterGui.Gui.Box\n"
            "assert(game.StarterGui.Gui.ClassName == 'ScreenGui')\n"
            "assert(box.Size == UDim2.new(0.5, 10, 1, -20) and box.Position == UDim2.new(0, 1, 0, 2))\n"
            "assert(box.AnchorPoint == Vector2.new(0.5, 0.5) and box.List.Padding == UDim.new(0, 8))\n"
            "assert(game.ReplicatedStorage.Speed.Value == 12.5)\n"
            "assert(game.ReplicatedStorage.Tool.Grip == CFrame.new(0, 1, 0))\n"
            "print('done')\n");
}

/* A wrong value for a known property is still an error naming the file and property. */
static void test_property_errors(void **state) {
  fixture *f = *state;
  rmt_error err;
  put(f, "default.project.json",
      "{\"tree\": {\"$className\": \"DataModel\", \"Workspace\": {\"$className\": \"Workspace\",\n"
      " \"P\": {\"$className\": \"Part\", \"$properties\": {\"Size\": {\"Vector3\": [1, 2]}}}}}}");
  assert_int_equal(load(f, &err), -1);
  assert_string_equal(err.message, "default.project.json: property Size: Vector3 expects 3 numbers");
  put(f, "default.project.json",
      "{\"tree\": {\"$className\": \"DataModel\", \"Workspace\": {\"$className\": \"Workspace\",\n"
      " \"P\": {\"$className\": \"Part\", \"$properties\": {\"Material\": \"Cheese\"}}}}}");
  assert_int_equal(load(f, &err), -1);
  assert_string_equal(err.message, "default.project.json: property Material: Unable to assign property "
                                   "Material. Enum.Material expected, got string");
  put(f, "default.project.json",
      "{\"tree\": {\"$className\": \"DataModel\", \"Workspace\": {\"$className\": \"Workspace\",\n"
      " \"P\": {\"$className\": \"NoSuchClass\"}}}}");
  assert_int_equal(load(f, &err), -1);
  assert_string_equal(err.message, "default.project.json: unknown class \"NoSuchClass\"");
}

/* init.meta.json (className, properties, attributes; also beside an init script) and
 * X.meta.json (properties, attributes, ignoreUnknownInstances). */
static void test_meta_files(void **state) {
  fixture *f = *state;
  put(f, "ReplicatedStorage/Sword/init.meta.json",
      "{\"className\": \"Tool\", \"properties\": {\"Grip\": [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1],"
      " \"ToolTip\": \"sharp\"}, \"attributes\": {\"Damage\": 10}, \"ignoreUnknownInstances\": true}");
  put(f, "ReplicatedStorage/Sword/Handle.model.json",
      "{\"ClassName\": \"Part\", \"Name\": \"Ignored\", \"Properties\": {\"Size\": [1, 4, 1]},"
      " \"Children\": [{\"Name\": \"Mesh\", \"ClassName\": \"Folder\"}]}");
  put(f, "ServerScriptService/Off/init.server.lua", "print('must not run')");
  put(f, "ServerScriptService/Off/init.meta.json", "{\"properties\": {\"Disabled\": true}}");
  put(f, "ServerScriptService/Quiet.server.lua", "print('must not run either')");
  put(f, "ServerScriptService/Quiet.meta.json",
      "{\"properties\": {\"Disabled\": true}, \"attributes\": {\"Why\": \"testing\"}}");
  put(f, "ServerScriptService/Loud.server.lua", "print('runs')");
  put(f, "ReplicatedStorage/Motd.txt", "hello");
  put(f, "ReplicatedStorage/Motd.meta.json", "{\"attributes\": {\"Lang\": \"en\"}}");
  load_ok(f);
  assert_int_equal(f->cap.warns, 0);
  check_lua(f,
            "local s = game.ReplicatedStorage.Sword\n"
            "assert(s.ClassName == 'Tool' and s.ToolTip == 'sharp' and s:GetAttribute('Damage') == 10)\n"
            "assert(s.Grip == CFrame.new())\n"
            "assert(s.Handle.ClassName == 'Part' and s.Handle.Size == Vector3.new(1, 4, 1))\n"
            "assert(s.Handle.Mesh.ClassName == 'Folder')\n"
            "local sss = game.ServerScriptService\n"
            "assert(sss.Off.ClassName == 'Script' and sss.Off.Disabled == true)\n"
            "assert(sss.Quiet.Disabled == true and sss.Quiet:GetAttribute('Why') == 'testing')\n"
            "assert(game.ReplicatedStorage.Motd.Value == 'hello')\n"
            "assert(game.ReplicatedStorage.Motd:GetAttribute('Lang') == 'en')\n"
            "print('done')\n");
  rmt_host_start_scripts(f->host);
  run_until_idle(f->host, 5);
  assert_true(has_line(&f->cap, "P runs"));
  assert_null(strstr(f->cap.text, "must not run"));
}

/* globIgnorePaths: relative to the project file; "**" and "*" as Rojo's globset reads them. */
static void test_glob_ignore_paths(void **state) {
  fixture *f = *state;
  put(f, "default.project.json",
      "{\"name\": \"g\", \"globIgnorePaths\": [\"**/*.spec.lua\", \"src/shared/secret*\", \"**/tmp/**\","
      " \"src/shared/Only?.lua\"],\n"
      " \"tree\": {\"$className\": \"DataModel\", \"ReplicatedStorage\": {\"$className\": \"ReplicatedStorage\",\n"
      "   \"Shared\": {\"$path\": \"src/shared\"}}}}");
  put(f, "src/shared/Keep.lua", "return 1");
  put(f, "src/shared/Keep.spec.lua", "return 2");
  put(f, "src/shared/deep/er/Thing.spec.lua", "return 3");
  put(f, "src/shared/deep/er/Thing.lua", "return 4");
  put(f, "src/shared/secretStuff.lua", "return 5");
  put(f, "src/shared/tmp/Junk.lua", "return 6");
  put(f, "src/shared/Only1.lua", "return 7");
  put(f, "src/shared/Only12.lua", "return 8");
  load_ok(f);
  check_lua(f,
            "local s = game.ReplicatedStorage.Shared\n"
            "assert(s:FindFirstChild('Keep') and not s:FindFirstChild('Keep.spec'))\n"
            "assert(s.deep.er:FindFirstChild('Thing') and not s.deep.er:FindFirstChild('Thing.spec'))\n"
            "assert(not s:FindFirstChild('secretStuff'))\n"
            "assert(s:FindFirstChild('tmp') and #s.tmp:GetChildren() == 0)\n"
            "assert(not s:FindFirstChild('Only1') and s:FindFirstChild('Only12'))\n"
            "print('done')\n");
}

/* A folder holding default.project.json is that project; $path may name a project file. */
static void test_nested_projects(void **state) {
  fixture *f = *state;
  put(f, "default.project.json",
      "{\"tree\": {\"$className\": \"DataModel\", \"ReplicatedStorage\": {\"$className\": \"ReplicatedStorage\",\n"
      "  \"Pkg\": {\"$path\": \"pkg\"}, \"Other\": {\"$path\": \"other.project.json\"},\n"
      "  \"Lib\": {\"$path\": \"lib\"}}}}");
  put(f, "pkg/default.project.json", "{\"name\": \"pkg\", \"tree\": {\"$path\": \"src\"}}");
  put(f, "pkg/src/init.lua", "return 'pkg'");
  put(f, "other.project.json", "{\"name\": \"o\", \"tree\": {\"$className\": \"Folder\", \"X\": {\"$className\": \"IntValue\","
                               " \"$properties\": {\"Value\": 7}}}}");
  put(f, "lib/Inner/default.project.json", "{\"name\": \"inner\", \"tree\": {\"$className\": \"Configuration\"}}");
  load_ok(f);
  check_lua(f,
            "local rs = game.ReplicatedStorage\n"
            "assert(rs.Pkg.ClassName == 'ModuleScript' and require(rs.Pkg) == 'pkg')\n"
            "assert(rs.Other.ClassName == 'Folder' and rs.Other.X.Value == 7)\n"
            "assert(rs.Lib.Inner.ClassName == 'Configuration')\n"
            "print('done')\n");
}

/* .csv is a LocalizationTable with its entries. */
static void test_csv(void **state) {
  fixture *f = *state;
  put(f, "ReplicatedStorage/Strings.csv",
      "Key,Source,Context,Example,es,fr\n"
      "Ack,Ack!,,An exclamation,\xc2\xa1" "Ay!,\n"
      "Greet,\"Hello, \"\"friend\"\"\",,,Hola,Salut\n");
  load_ok(f);
  check_lua(f,
            "local t = game.ReplicatedStorage.Strings\n"
            "assert(t.ClassName == 'LocalizationTable')\n"
            "local e = t:GetEntries()\n"
            "assert(#e == 2 and e[1].Key == 'Ack' and e[1].Source == 'Ack!' and e[1].Example == 'An exclamation')\n"
            "assert(e[1].Values.es == '\xc2\xa1" "Ay!' and e[1].Values.fr == nil)\n"
            "assert(e[2].Source == 'Hello, \"friend\"' and e[2].Values.fr == 'Salut')\n"
            "t:SetEntries({ { Key = 'K', Source = 's', Values = { de = 'x' } } })\n"
            "assert(#t:GetEntries() == 1 and t:GetEntries()[1].Values.de == 'x')\n"
            "print('done')\n");
}

/* The client sees the same properties (and no warnings of its own: the server warns). */
static void test_client_side(void **state) {
  fixture *f = *state;
  put(f, "default.project.json",
      "{\"tree\": {\"$className\": \"DataModel\",\n"
      " \"HttpService\": {\"$className\": \"HttpService\", \"$properties\": {\"HttpEnabled\": true, \"Nope\": 1}},\n"
      " \"ServerScriptService\": {\"$className\": \"ServerScriptService\", \"S\": {\"$path\": \"s\"}}}}");
  put(f, "s/Main.server.lua", "print('server')");
  load_ok(f);
  assert_int_equal(f->cap.warns, 0);
  check_lua(f,
            "assert(game:GetService('HttpService').HttpEnabled == true)\n"
            "assert(#game.ServerScriptService:GetChildren() == 0)\n"
            "print('done')\n");
}

/* A Roblox XML model as Studio writes it: Folder, Model, Part, value objects, scripts. */
static const char *RBXMX =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
    "<roblox xmlns:xmime=\"http://www.w3.org/2005/05/xmlmime\" version=\"4\">\n"
    "  <Meta name=\"ExplicitAutoJoints\">true</Meta>\n"
    "  <External>null</External><External>nil</External>\n"
    "  <!-- a comment -->\n"
    "  <Item class=\"Model\" referent=\"RBX0\">\n"
    "    <Properties>\n"
    "      <string name=\"Name\">Ignored</string>\n"
    "      <Ref name=\"PrimaryPart\">RBX1</Ref>\n"
    "      <BinaryString name=\"Tags\">YQBi</BinaryString>\n"
    "      <BinaryString name=\"AttributesSerialize\"></BinaryString>\n"
    "      <int64 name=\"SourceAssetId\">-1</int64>\n"
    "    </Properties>\n"
    "    <Item class=\"Part\" referent=\"RBX1\">\n"
    "      <Properties>\n"
    "        <string name=\"Name\">Base &amp; &#x4e16;</string>\n"
    "        <bool name=\"Anchored\">true</bool>\n"
    "        <Vector3 name=\"size\"><X>4</X><Y>1.2</Y><Z>2</Z></Vector3>\n"
    "        <Vector3 name=\"Size\"><X>4</X><Y>1.5</Y><Z>2</Z></Vector3>\n"
    "        <CoordinateFrame name=\"CFrame\"><X>1</X><Y>2</Y><Z>3</Z><R00>1</R00><R01>0</R01><R02>0</R02>"
    "<R10>0</R10><R11>1</R11><R12>0</R12><R20>0</R20><R21>0</R21><R22>1</R22></CoordinateFrame>\n"
    "        <Color3uint8 name=\"Color3uint8\">4294901760</Color3uint8>\n"
    "        <Color3 name=\"Color\"><R>0</R><G>1</G><B>0</B></Color3>\n"
    "        <token name=\"Material\">288</token>\n"
    "        <float name=\"Transparency\">0.5</float>\n"
    "        <PhysicalProperties name=\"CustomPhysicalProperties\"><CustomPhysics>false</CustomPhysics></PhysicalProperties>\n"
    "      </Properties>\n"
    "    </Item>\n"
    "    <Item class=\"Folder\" referent=\"RBX2\">\n"
    "      <Properties><string name=\"Name\">Config</string></Properties>\n"
    "      <Item class=\"IntValue\" referent=\"RBX3\"><Properties><string name=\"Name\">Lives</string>"
    "<int64 name=\"Value\">3</int64></Properties></Item>\n"
    "      <Item class=\"StringValue\" referent=\"RBX4\"><Properties><string name=\"Name\">Motd</string>"
    "<string name=\"Value\">a &lt;b&gt; &quot;c&quot;</string></Properties></Item>\n"
    "      <Item class=\"ObjectValue\" referent=\"RBX5\"><Properties><string name=\"Name\">Link</string>"
    "<Ref name=\"Value\">RBX1</Ref></Properties></Item>\n"
    "      <Item class=\"Frame\" referent=\"RBX6\"><Properties><string name=\"Name\">Box</string>"
    "<UDim2 name=\"Size\"><XS>0.5</XS><XO>10</XO><YS>1</YS><YO>-20</YO></UDim2></Properties></Item>\n"
    "    </Item>\n"
    "    <Item class=\"ModuleScript\" referent=\"RBX7\">\n"
    "      <Properties><string name=\"Name\">Lib</string>\n"
    "        <ProtectedString name=\"Source\"><![CDATA[return { x = 1 < 2 and \"ok\" }]]></ProtectedString>\n"
    "      </Properties>\n"
    "    </Item>\n"
    "    <Item class=\"Script\" referent=\"RBX8\">\n"
    "      <Properties><string name=\"Name\">Main</string><bool name=\"Disabled\">false</bool>\n"
    "        <ProtectedString name=\"Source\">print(&quot;model script&quot;, require(script.Parent.Lib).x)</ProtectedString>\n"
    "      </Properties>\n"
    "    </Item>\n"
    "  </Item>\n"
    "</roblox>\n";

static void test_rbxmx(void **state) {
  fixture *f = *state;
  rmt_error err;
  put(f, "Workspace/Tower.rbxmx", RBXMX);
  load_ok(f);
  assert_int_equal(f->cap.warns, 0);
  check_lua(f,
            "local m = workspace.Tower\n"
            "assert(m.ClassName == 'Model' and m:HasTag('a') and m:HasTag('b'))\n"
            "local p = m['Base & \xe4\xb8\x96']\n"
            "assert(p.ClassName == 'Part' and p.Anchored and p.Size == Vector3.new(4, 1.5, 2))\n"
            "assert(p.CFrame == CFrame.new(1, 2, 3) and p.Color == Color3.new(0, 1, 0))\n"
            "assert(p.Material == Enum.Material.Neon and p.Transparency == 0.5)\n"
            "assert(m.PrimaryPart == p)\n"
            "local c = m.Config\n"
            "assert(c.Lives.Value == 3 and c.Motd.Value == 'a <b> \"c\"' and c.Link.Value == p)\n"
            "assert(c.Box.Size == UDim2.new(0.5, 10, 1, -20))\n"
            "assert(require(m.Lib).x == 'ok' and m.Main.ClassName == 'Script')\n"
            "print('done')\n");
  rmt_host_start_scripts(f->host);
  run_until_idle(f->host, 5);
  assert_true(has_line(&f->cap, "P model script ok"));
  /* malformed files fail with the file and line */
  put(f, "Workspace/Tower.rbxmx", "<roblox>\n<Item class=\"Folder\">\n</roblox>");
  assert_int_equal(load(f, &err), -1);
  assert_string_equal(err.message, "Workspace/Tower.rbxmx: line 3: </roblox> does not close <Item>");
  put(f, "Workspace/Tower.rbxmx", "<roblox><Item class=\"Folder\"></Item><Item class=\"Folder\"></Item></roblox>");
  assert_int_equal(load(f, &err), -1);
  assert_string_equal(err.message, "Workspace/Tower.rbxmx: a model file must hold exactly one top-level instance (it holds 2)");
  put(f, "Workspace/Tower.rbxmx", "<roblox><Item class=\"Nope\"></Item></roblox>");
  assert_int_equal(load(f, &err), -1);
  assert_string_equal(err.message, "Workspace/Tower.rbxmx: unknown class \"Nope\"");
}

/* Scripts run under their full names, never cut: errors, pcall, traceback, debug.info. */
#define LONG_DIR "ServerScriptService/AVeryLongFolderNameForTesting/AnotherLongFolderName/"
#define LONG_NAME "ServerScriptService.AVeryLongFolderNameForTesting.AnotherLongFolderName."
static void test_full_names(void **state) {
  fixture *f = *state;
  put(f, LONG_DIR "TheMainScriptWithALongName.server.lua",
      "local ok, e = pcall(error, 'plain', 0)\n"
      "print(select(2, pcall(function() error('caught') end)))\n"
      "print(debug.info(1, 's'))\n"
      "print((debug.traceback('tb'):gsub('\\n$', '')))\n"
      "require(script.Parent.Mod).boom()\n");
  put(f, LONG_DIR "Mod.lua", "return { boom = function() error('from module') end }\n");
  put(f, "ServerScriptService/Short.server.lua", "error('short')\n");
  load_ok(f);
  rmt_host_start_scripts(f->host);
  run_until_idle(f->host, 5);
  if (!has_line(&f->cap, "E " LONG_NAME "Mod:1: from module")) fprintf(stderr, "%s", f->cap.text);
  assert_true(has_line(&f->cap, "P " LONG_NAME "TheMainScriptWithALongName:2: caught"));
  assert_true(has_line(&f->cap, "P " LONG_NAME "TheMainScriptWithALongName"));
  assert_true(has_line(&f->cap, "P tb\n" LONG_NAME "TheMainScriptWithALongName:4"));
  assert_true(has_line(&f->cap, "E " LONG_NAME "Mod:1: from module"));
  assert_true(has_line(&f->cap, "E ServerScriptService.Short:1: short"));
  assert_int_equal(f->cap.errors, 2);
  /* a marker naming no script stays as it is */
  run_lua(f->host, &f->cap, "print('[\\1' .. '99\\2]')");
  assert_true(has_line(&f->cap, "P [\\x0199\\x02]"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_project_properties, setup, teardown),
      cmocka_unit_test_setup_teardown(test_property_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_meta_files, setup, teardown),
      cmocka_unit_test_setup_teardown(test_glob_ignore_paths, setup, teardown),
      cmocka_unit_test_setup_teardown(test_nested_projects, setup, teardown),
      cmocka_unit_test_setup_teardown(test_csv, setup, teardown),
      cmocka_unit_test_setup_teardown(test_client_side, setup_client, teardown),
      cmocka_unit_test_setup_teardown(test_full_names, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rbxmx, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
