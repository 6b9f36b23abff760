/* server-notification/server.c - FireClient: the server tells one specific player something
 * (here: a badge for joining). It never fires to players it was not asked to notify. */
#include "../example.h"

typedef struct game {
  rmt_server *server;
  rmt_remote_id action;
} game;

/* Players.PlayerAdded: award the newcomer a badge and tell only that player. */
static void on_player_added(void *ud, const rmt_value *args, size_t nargs) {
  game *g = ud;
  (void)nargs;
  rmt_player_id player = args[0].as.player;
  /* remoteEvent:FireClient(player, "notification", "You earned a badge!") */
  rmt_value msg[2] = {rmt_str("notification"), rmt_str("You earned a badge!")};
  rmt_error err;
  if (rmt_server_fire_client(g->server, player, g->action, msg, 2, &err) != RMT_OK) {
    EX_SAY("could not notify %s: %s", rmt_server_player_name(g->server, player), err.message);
    return;
  }
  EX_SAY("Sent notification to %s", rmt_server_player_name(g->server, player));
}

int main(int argc, char **argv) {
  ex_options opt = ex_parse(argc, argv, NULL, NULL);
  ex_server es;
  game g = {0};
  g.server = ex_server_start(&es, &opt, NULL);
  if (!g.server) return 1;
  rmt_error err;
  if (rmt_server_remote_create(g.server, "PlayerAction", RMT_REMOTE_EVENT, &g.action, &err) != RMT_OK) {
    fprintf(stderr, "server: %s\n", err.message);
    rmt_server_destroy(g.server);
    return 1;
  }
  /* Listeners run in connection order: ex_server_start's "joined" line comes first. */
  rmt_signal_connect(rmt_server_player_added(g.server), on_player_added, &g);

  int rc = ex_server_run(&es, &opt, NULL, NULL);
  ex_server_summary(&es, (const char *const[]){"PlayerAction", NULL});
  rmt_server_destroy(g.server);
  return rc;
}
