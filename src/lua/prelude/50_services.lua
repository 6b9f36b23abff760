-- ---------------------------------------------------------------------------------------
-- Services
-- ---------------------------------------------------------------------------------------
local services = {}
local serviceClasses = { "Workspace", "Players", "ReplicatedStorage", "ReplicatedFirst",
  "ServerScriptService", "ServerStorage", "StarterPlayer", "StarterGui", "StarterPack",
  "Lighting", "RunService", "SoundService", "Teams", "Chat", "HttpService", "TextChatService" }

defclass("ServiceProvider", "Instance")
defclass("DataModel", "ServiceProvider", {
  props = { PlaceId = { default = 0, readonly = true }, GameId = { default = 0, readonly = true },
            JobId = { default = "", readonly = true } },
  methods = {
    GetService = function(self, name)
      local s = services[name]
      if s then return s end
      error(sformat("'%s' is not a valid Service name", tostring(name)), 2)
    end,
    FindService = function(self, name) return services[name] end,
    IsLoaded = function() return true end,
  },
  events = { Loaded = true },
})
for _, n in ipairs(serviceClasses) do defclass(n, "Instance") end
defclass("StarterPlayerScripts", "Instance")
defclass("StarterCharacterScripts", "Instance")
defclass("PlayerScripts", "Instance")

-- RunService
local runEvents = { Heartbeat = true, Stepped = true, RenderStepped = true, PreSimulation = true,
                    PostSimulation = true, PreRender = true }
classes.RunService.events = runEvents
classes.RunService.signalOpts = function() return { busy = true } end
classes.RunService.methods = {
  IsServer = function() return IS_SERVER end,
  IsClient = function() return not IS_SERVER end,
  IsStudio = function() return false end,
  IsRunning = function() return true end,
  IsRunMode = function() return false end,
  IsEdit = function() return false end,
}

-- Workspace
classes.Workspace.props = {
  CurrentCamera = { get = function(_, d) return d.camera end, readonly = true },
  Gravity = { default = 196.2, check = numCheck },
  -- always on here, as in Roblox today; not in the API dump, yet roblox-ts's project template sets it
  FilteringEnabled = { default = true, check = boolCheck },
}
classes.Workspace.methods = {
  GetServerTimeNow = function() return H.clock() end,
}

-- Players and Player
local PlayersById = {}
local localPlayer
classes.Players.props = {
  LocalPlayer = { get = function() return localPlayer end, readonly = true },
  MaxPlayers = { default = 256, readonly = true },
}
classes.Players.events = { PlayerAdded = true, PlayerRemoving = true }
classes.Players.methods = {
  GetPlayers = function(self)
    local out = {}
    for _, c in ipairs(Inst[self].children) do
      if PlayerIds[c] then out[#out + 1] = c end
    end
    return out
  end,
  GetPlayerByUserId = function(self, uid)
    for _, c in ipairs(Inst[self].children) do
      if PlayerIds[c] and Inst[c].props.UserId == uid then return c end
    end
    return nil
  end,
  GetPlayerFromCharacter = function() return nil end,
}
defclass("Player", "Instance", {
  props = { UserId = { default = 0, readonly = true },
            DisplayName = { get = function(_, d) return d.Name end, readonly = true },
            Character = { default = nil, check = instCheck },
            Team = { default = nil, check = instCheck },
            AccountAge = { default = 0, readonly = true } },
  events = { CharacterAdded = true, CharacterRemoving = true, Chatted = true },
  methods = {
    Kick = function(self, message)
      local id = PlayerIds[self]
      if id then H.net_kick(id, message ~= nil and tostring(message) or "") end
    end,
    GetNetworkPing = function() return 0 end,
  },
})
defclass("Team", "Instance", { creatable = true })
classes.Team.props = { TeamColor = { default = nil } }

-- the Roblox reflection for a "builtin" container: never replaced by place folders
local function makeService(name, parent)
  local s, d = newInstance(name, true)
  d.Name = name
  d.builtin = true
  d.locked = true
  setParent(s, d, parent, true)
  return s, d
end

do
  local d
  game, d = newInstance("DataModel", true)
  d.Name = "Game"
  for _, n in ipairs(serviceClasses) do
    services[n] = (makeService(n, game))
  end
  local sp = services.StarterPlayer
  makeService("StarterPlayerScripts", sp)
  makeService("StarterCharacterScripts", sp)
  local cam, cd = newInstance("Camera", true)
  cd.Name = "Camera"
  cd.noReplicate = true -- each side has its own camera, as in Roblox
  setParent(cam, cd, services.Workspace, true)
  Inst[services.Workspace].camera = cam
end

G.game = game
G.Game = game
G.workspace = services.Workspace
G.Workspace = services.Workspace

