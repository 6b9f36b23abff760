/* vote-purchase/client.c - the seed's LocalScript: vote, try to buy twice, print each
 * purchaseResult the server sends back. It decides nothing; the server's answer is final. */
#include "../example.h"

static int results_wanted, results_seen, all_answered;

/* playerAction.OnClientEvent:Connect(function(resultType, result) ... end) */
static void on_client_event(void *ud, const rmt_value *args, size_t nargs) {
  (void)ud;
  if (nargs >= 2 && args[0].type == RMT_TSTRING && args[1].type == RMT_TSTRING &&
      strcmp(args[0].as.string.ptr, "purchaseResult") == 0) {
    EX_SAY("Purchase result: %s", args[1].as.string.ptr);
    all_answered = ++results_seen >= results_wanted;
  }
}

static int fire(rmt_client *client, rmt_remote_id remote, rmt_value *args, size_t nargs) {
  rmt_error err;
  if (rmt_client_fire(client, remote, args, nargs, &err) == RMT_OK) return 0;
  fprintf(stderr, "%s: fire failed: %s\n", rmt_client_local_name(client), err.message);
  return 1;
}

int main(int argc, char **argv) {
  static const char *const extra[] = {"--vote", "--purchases", NULL};
  ex_options opt = ex_parse(argc, argv, extra, " [--vote yes|no] [--purchases N]");
  const char *vote = opt.extra[0] ? opt.extra[0] : "yes";
  int purchases = opt.extra[1] ? atoi(opt.extra[1]) : 2;
  results_wanted = purchases;
  all_answered = purchases <= 0;

  ex_client ec;
  rmt_client *client = ex_client_join(&ec, &opt);
  if (!client) return 1;
  rmt_remote_id action = ex_wait_remote(&ec, "PlayerAction");
  if (!action) {
    rmt_client_destroy(client);
    return 1;
  }
  /* Listen first, then act: the answers cannot be missed (and would be queued anyway). */
  rmt_signal_connect(rmt_client_remote_signal(client, action), on_client_event, NULL);

  /* playerAction:FireServer("vote", "yes") */
  rmt_value ballot[2] = {rmt_str("vote"), rmt_str(vote)};
  int rc = fire(client, action, ballot, 2);
  if (!rc) EX_SAY("Sent vote: %s", vote);
  /* Two purchases of a 100-coin item with 150 coins: the second must fail. Both fires leave
   * in one packet at the next service and arrive in order. */
  for (int i = 0; i < purchases && !rc; i++) {
    rmt_value buy[1] = {rmt_str("purchase")};
    rc = fire(client, action, buy, 1);
  }
  /* Pump the client (network + callbacks) until every purchase has been answered. */
  if (!rc) rc = ex_client_until(&ec, &all_answered);
  rmt_client_destroy(client);
  return rc;
}
