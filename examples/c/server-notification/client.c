/* server-notification/client.c - OnClientEvent: print the server's notification, then leave.
 * It only reacts to messages of the type it knows ("notification"), as the seed does. */
#include "../example.h"

static int notified;

/* remoteEvent.OnClientEvent:Connect(function(messageType, message) ... end) */
static void on_client_event(void *ud, const rmt_value *args, size_t nargs) {
  (void)ud;
  if (nargs >= 2 && args[0].type == RMT_TSTRING && args[1].type == RMT_TSTRING &&
      strcmp(args[0].as.string.ptr, "notification") == 0) {
    EX_SAY("Server notification: %s", args[1].as.string.ptr);
    notified = 1;
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
  /* The server fires as soon as we join, maybe before this line runs: events that arrive
   * before anyone listens are queued and delivered to the first listener, as in Roblox. */
  rmt_signal_connect(rmt_client_remote_signal(client, action), on_client_event, NULL);

  int rc = ex_client_until(&ec, &notified);
  rmt_client_destroy(client);
  return rc;
}
