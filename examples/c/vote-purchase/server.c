/* vote-purchase/server.c - the seed's complete example: one PlayerAction RemoteEvent carrying
 * votes and purchases. The server validates everything and owns the coins; clients only ask. */
#include "../example.h"

#define STARTING_COINS 150
#define ITEM_PRICE 100

/* player.leaderstats, kept per player with rmt_server_player_set_data. */
typedef struct leaderstats {
  double coins;
} leaderstats;

typedef struct game {
  rmt_server *server;
  rmt_remote_id action;
  int yes_votes, no_votes;
} game;

static void on_player_added(void *ud, const rmt_value *args, size_t nargs) {
  game *g = ud;
  (void)nargs;
  leaderstats *stats = malloc(sizeof *stats);
  if (stats) stats->coins = STARTING_COINS;
  rmt_server_player_set_data(g->server, args[0].as.player, stats);
}

static void on_player_removing(void *ud, const rmt_value *args, size_t nargs) {
  game *g = ud;
  (void)nargs;
  free(rmt_server_player_data(g->server, args[0].as.player));
  rmt_server_player_set_data(g->server, args[0].as.player, NULL);
}

/* playerAction:FireClient(player, "purchaseResult", result) */
static void send_result(game *g, rmt_player_id player, const char *result) {
  rmt_value msg[2] = {rmt_str("purchaseResult"), rmt_str(result)};
  rmt_server_fire_client(g->server, player, g->action, msg, 2, NULL);
}

/* playerAction.OnServerEvent:Connect(function(player, action, value) ... end) */
static void on_player_action(void *ud, const rmt_value *args, size_t nargs) {
  game *g = ud;
  rmt_player_id player = args[0].as.player;
  const char *name = rmt_server_player_name(g->server, player);
  /* Never trust the client: check every type before using a value. */
  if (nargs < 2 || args[1].type != RMT_TSTRING) return;
  const char *action = args[1].as.string.ptr;

  if (strcmp(action, "vote") == 0) {
    /* if value ~= "yes" and value ~= "no" then return end */
    const char *vote = nargs >= 3 && args[2].type == RMT_TSTRING ? args[2].as.string.ptr : NULL;
    if (!vote || (strcmp(vote, "yes") != 0 && strcmp(vote, "no") != 0)) {
      EX_SAY("%s sent an invalid vote (ignored)", name);
      return;
    }
    if (strcmp(vote, "yes") == 0) g->yes_votes++;
    else g->no_votes++;
    EX_SAY("%s voted %s", name, vote);
  } else if (strcmp(action, "purchase") == 0) {
    /* Server-side purchase logic: the price and the balance are the server's own. */
    leaderstats *stats = rmt_server_player_data(g->server, player);
    if (stats && stats->coins >= ITEM_PRICE) {
      stats->coins -= ITEM_PRICE;
      EX_SAY("%s bought an item (%.0f coins left)", name, stats->coins);
      send_result(g, player, "success");
    } else {
      EX_SAY("%s cannot afford an item (%.0f coins)", name, stats ? stats->coins : 0.0);
      send_result(g, player, "insufficient_funds");
    }
  }
}

int main(int argc, char **argv) {
  ex_options opt = ex_parse(argc, argv, NULL, NULL);
  ex_server es;
  game g = {0};
  g.server = ex_server_start(&es, &opt, NULL);
  if (!g.server) return 1;

  /* local playerAction = Instance.new("RemoteEvent"); playerAction.Name = "PlayerAction";
   * playerAction.Parent = ReplicatedStorage */
  rmt_error err;
  if (rmt_server_remote_create(g.server, "PlayerAction", RMT_REMOTE_EVENT, &g.action, &err) != RMT_OK) {
    fprintf(stderr, "server: %s\n", err.message);
    rmt_server_destroy(g.server);
    return 1;
  }
  /* Flood control beyond Roblox's shared budget: at most 10 actions a second per player on
   * this remote (burst 10). Excess fires are dropped before the handler and reported to
   * the drop hook, so a purchase cannot be spammed. */
  rmt_server_remote_set_rate(g.server, g.action, (rmt_rate){10, 10});
  rmt_signal_connect(rmt_server_player_added(g.server), on_player_added, &g);
  rmt_signal_connect(rmt_server_player_removing(g.server), on_player_removing, &g);
  rmt_signal_connect(rmt_server_remote_signal(g.server, g.action), on_player_action, &g);

  int rc = ex_server_run(&es, &opt, NULL, NULL);
  EX_SAY("Votes: yes %d, no %d", g.yes_votes, g.no_votes);
  ex_server_summary(&es, (const char *const[]){"PlayerAction", NULL});
  /* Destroy does not fire PlayerRemoving: free the stats of anyone still connected. */
  rmt_player_id players[64];
  size_t n = rmt_server_players(g.server, players, 64);
  for (size_t i = 0; i < n && i < 64; i++) free(rmt_server_player_data(g.server, players[i]));
  rmt_server_destroy(g.server);
  return rc;
}
