/* get-player-data/server.c - RemoteFunction GetPlayerData: OnServerInvoke answers with a
 * stat from the player's leaderstats. The server owns the stats; a client can only ask. */
#include "../example.h"

/* A player's leaderstats, kept per player with rmt_server_player_set_data. */
typedef struct leaderstats {
  double gold;
} leaderstats;

#define STARTING_GOLD 250

static void on_player_added(void *ud, const rmt_value *args, size_t nargs) {
  rmt_server *server = ud;
  (void)nargs;
  leaderstats *stats = malloc(sizeof *stats);
  if (!stats) return; /* no stats: GetPlayerData answers nil, as for a missing leaderstats */
  stats->gold = STARTING_GOLD;
  rmt_server_player_set_data(server, args[0].as.player, stats);
}

/* PlayerRemoving fires while the player can still be queried: free what we attached. */
static void on_player_removing(void *ud, const rmt_value *args, size_t nargs) {
  rmt_server *server = ud;
  (void)nargs;
  free(rmt_server_player_data(server, args[0].as.player));
  rmt_server_player_set_data(server, args[0].as.player, NULL);
}

/* remoteFunction.OnServerInvoke = function(player, dataKey) ... end
 * Every invocation must be completed exactly once: with values (possibly none = nil) or
 * with an error, which reaches the caller's InvokeServer as an error. */
static void get_player_data(void *ud, rmt_invocation *inv, const rmt_value *args, size_t nargs) {
  rmt_server *server = ud;
  rmt_player_id player = rmt_invocation_player(inv);
  const char *name = rmt_server_player_name(server, player);
  rmt_value nil = rmt_nil();

  /* if typeof(dataKey) ~= "string" then return nil end */
  if (nargs < 2 || args[1].type != RMT_TSTRING) {
    EX_SAY("%s asked with a %s key: returning nil", name,
           rmt_typeof(nargs < 2 ? &nil : &args[1]));
    rmt_invocation_return(inv, &nil, 1);
    return;
  }
  const char *key = args[1].as.string.ptr;
  const leaderstats *stats = rmt_server_player_data(server, player);
  if (stats && strcmp(key, "Gold") == 0) {
    rmt_value gold = rmt_num(stats->gold);
    char num[32];
    EX_SAY("%s asked for Gold: returning %s", name, ex_num(stats->gold, num));
    rmt_invocation_return(inv, &gold, 1);
    return;
  }
  if (args[1].as.string.len <= 64 && ex_printable(&args[1]))
    EX_SAY("%s asked for %s: no such stat, returning nil", name, key);
  else
    EX_SAY("%s asked for an unprintable or long key: returning nil", name);
  rmt_invocation_return(inv, &nil, 1);
}

int main(int argc, char **argv) {
  ex_options opt = ex_parse(argc, argv, NULL, NULL);
  ex_server es;
  rmt_server *server = ex_server_start(&es, &opt, NULL);
  if (!server) return 1;
  rmt_remote_id fn;
  rmt_error err;
  if (rmt_server_remote_create(server, "GetPlayerData", RMT_REMOTE_FUNCTION, &fn, &err) != RMT_OK) {
    fprintf(stderr, "server: %s\n", err.message);
    rmt_server_destroy(server);
    return 1;
  }
  rmt_signal_connect(rmt_server_player_added(server), on_player_added, server);
  rmt_signal_connect(rmt_server_player_removing(server), on_player_removing, server);
  /* Set the handler before clients call (the seed's advice). Here an early call would
   * not hang anyway: it waits for a handler until its timeout, then fails "no handler". */
  rmt_server_remote_on_invoke(server, fn, get_player_data, server);

  int rc = ex_server_run(&es, &opt, NULL, NULL);
  ex_server_summary(&es, (const char *const[]){"GetPlayerData", NULL});
  /* Destroy does not fire PlayerRemoving: free the stats of anyone still connected. */
  rmt_player_id players[64];
  size_t n = rmt_server_players(server, players, 64);
  for (size_t i = 0; i < n && i < 64; i++) free(rmt_server_player_data(server, players[i]));
  rmt_server_destroy(server);
  return rc;
}
