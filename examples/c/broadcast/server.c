/* broadcast/server.c - FireAllClients: once the expected players are in, announce a new
 * round to everyone at once. The message is encoded once whatever the number of players. */
#include "../example.h"

typedef struct game {
  ex_server *es;
  rmt_remote_id action;
  int round_started;
} game;

/* Runs every frame: the "round" starts when everybody the server waits for has joined. */
static void tick(void *ud) {
  game *g = ud;
  if (g->round_started || g->es->joined < g->es->expected) return;
  g->round_started = 1;
  /* remoteEvent:FireAllClients("event", "A new round is starting!") */
  rmt_value msg[2] = {rmt_str("event"), rmt_str("A new round is starting!")};
  rmt_error err;
  if (rmt_server_fire_all(g->es->server, g->action, msg, 2, &err) != RMT_OK) {
    EX_SAY("broadcast failed: %s", err.message);
    return;
  }
  EX_SAY("Broadcast to %zu players: A new round is starting!",
         rmt_server_players(g->es->server, NULL, 0));
}

int main(int argc, char **argv) {
  ex_options opt = ex_parse(argc, argv, NULL, NULL);
  if (!opt.clients) opt.clients = 1; /* a round needs somebody to play it */
  ex_server es;
  game g = {&es, 0, 0};
  rmt_server *server = ex_server_start(&es, &opt, NULL);
  if (!server) return 1;
  rmt_error err;
  if (rmt_server_remote_create(server, "PlayerAction", RMT_REMOTE_EVENT, &g.action, &err) != RMT_OK) {
    fprintf(stderr, "server: %s\n", err.message);
    rmt_server_destroy(server);
    return 1;
  }
  int rc = ex_server_run(&es, &opt, tick, &g);
  ex_server_summary(&es, (const char *const[]){"PlayerAction", NULL});
  rmt_server_destroy(server);
  return rc;
}
