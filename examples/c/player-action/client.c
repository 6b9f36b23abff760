/* player-action/client.c - the seed's LocalScript: WaitForChild("PlayerAction") and
 * FireServer("jump", 150). Fire and forget: it waits for no answer, only for delivery. */
#include "../example.h"

int main(int argc, char **argv) {
  ex_options opt = ex_parse(argc, argv, NULL, NULL);
  ex_client ec;
  rmt_client *client = ex_client_join(&ec, &opt);
  if (!client) return 1;

  /* local remoteEvent = ReplicatedStorage:WaitForChild("PlayerAction") */
  rmt_remote_id action = ex_wait_remote(&ec, "PlayerAction");
  if (!action) {
    rmt_client_destroy(client);
    return 1;
  }

  /* remoteEvent:FireServer("jump", 150). The values are copied (encoded) during the call;
   * they go out with the next service or flush. */
  rmt_value args[2] = {rmt_str("jump"), rmt_num(150)};
  rmt_error err;
  if (rmt_client_fire(client, action, args, 2, &err) != RMT_OK) {
    fprintf(stderr, "%s: fire failed: %s\n", opt.name, err.message);
    rmt_client_destroy(client);
    return 1;
  }
  EX_SAY("Fired PlayerAction: jump 150");

  /* Leaving politely sends what was fired, then a goodbye, and waits (linger_ms) for the
   * server to acknowledge both: the fire is not lost by exiting right away. */
  rmt_client_destroy(client);
  return 0;
}
