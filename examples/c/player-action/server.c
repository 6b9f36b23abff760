/* player-action/server.c - the seed's first RemoteEvent: OnServerEvent prints who did what.
 * Tutorial code: it trusts nothing in the payload except what it checks, and never blocks. */
#include "../example.h"

/* OnServerEvent:Connect(function(player, action, value) ... end)
 * args[0] is always the sender, taken from the connection: a client cannot fake it. */
static void on_player_action(void *ud, const rmt_value *args, size_t nargs) {
  rmt_server *server = ud;
  const char *name = rmt_server_player_name(server, args[0].as.player);
  /* Roblox would raise inside the handler on a bad concatenation; in C we check first. */
  if (nargs < 3 || args[1].type != RMT_TSTRING || args[1].as.string.len > 64 ||
      !ex_printable(&args[1]) || args[2].type != RMT_TNUMBER) {
    EX_SAY("%s sent a malformed action (ignored)", name);
    return;
  }
  char num[32];
  EX_SAY("%s performed %s with value %s", name, args[1].as.string.ptr,
         ex_num(args[2].as.number, num));
}

int main(int argc, char **argv) {
  ex_options opt = ex_parse(argc, argv, NULL, NULL);
  ex_server es;
  rmt_server *server = ex_server_start(&es, &opt, NULL);
  if (!server) return 1;

  /* Instance.new("RemoteEvent") named PlayerAction, parented to ReplicatedStorage. */
  rmt_remote_id action;
  rmt_error err;
  if (rmt_server_remote_create(server, "PlayerAction", RMT_REMOTE_EVENT, &action, &err) != RMT_OK) {
    fprintf(stderr, "server: %s\n", err.message);
    rmt_server_destroy(server);
    return 1;
  }
  rmt_signal_connect(rmt_server_remote_signal(server, action), on_player_action, server);

  int rc = ex_server_run(&es, &opt, NULL, NULL);
  ex_server_summary(&es, (const char *const[]){"PlayerAction", NULL});
  rmt_server_destroy(server);
  return rc;
}
