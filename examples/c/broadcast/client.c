/* broadcast/client.c - waits in the lobby until the server announces a round to everyone.
 * Same OnClientEvent as for a single-player notification: the client cannot tell them apart. */
#include "../example.h"

static int announced;

static void on_client_event(void *ud, const rmt_value *args, size_t nargs) {
  (void)ud;
  if (nargs >= 2 && args[0].type == RMT_TSTRING && args[1].type == RMT_TSTRING &&
      strcmp(args[0].as.string.ptr, "event") == 0) {
    EX_SAY("Server event: %s", args[1].as.string.ptr);
    announced = 1;
  }
}

int main(int argc, char **argv) {
  ex_options opt = ex_parse(argc, argv, NULL, NULL);
  ex_client ec;
  rmt_client *client = ex_client_join(&ec, &opt);
  if (!client) return 1;
  rmt_remote_id action = ex_wait_remote(&ec, "PlayerAction");
  if (!action) {
    rmt_client_destroy(client);
    return 1;
  }
  rmt_signal_connect(rmt_client_remote_signal(client, action), on_client_event, NULL);
  EX_SAY("Waiting for the round to start");
  int rc = ex_client_until(&ec, &announced);
  rmt_client_destroy(client);
  return rc;
}
