/* get-player-data/client.c - InvokeServer("Gold") yields until the server answers, then
 * prints the value. Also shows the server's type check: a number key gets nil back. */
#include "../example.h"

/* Prints what one InvokeServer call returned, formatted like Lua's print. */
static int ask(ex_client *ec, rmt_remote_id fn, rmt_value key, const char *label) {
  rmt_value *results = NULL;
  size_t nresults = 0;
  rmt_error err;
  uint64_t now = ex_now_ms();
  uint32_t left = ec->deadline > now ? (uint32_t)(ec->deadline - now) : 1;
  /* local goldValue = remoteFunction:InvokeServer("Gold")
   * The blocking form pumps this client until the answer (or the timeout) arrives. In a
   * game loop, use rmt_client_invoke with a completion callback instead. */
  int rc = rmt_client_invoke_sync(ec->client, fn, &key, 1, left, &results, &nresults, &err);
  if (rc != RMT_OK) {
    EX_SAY("InvokeServer failed: %s (%s)", err.message, rmt_status_name(rc));
    return 1;
  }
  char num[32];
  if (nresults >= 1 && results[0].type == RMT_TNUMBER)
    EX_SAY("%s %s", label, ex_num(results[0].as.number, num));
  else
    EX_SAY("%s %s", label, nresults ? rmt_typeof(&results[0]) : "nil");
  rmt_values_free(results, NULL); /* an owned block, freed with the client's allocator */
  return 0;
}

int main(int argc, char **argv) {
  ex_options opt = ex_parse(argc, argv, NULL, NULL);
  ex_client ec;
  rmt_client *client = ex_client_join(&ec, &opt);
  if (!client) return 1;
  rmt_remote_id fn = ex_wait_remote(&ec, "GetPlayerData");
  int rc = !fn;
  if (!rc) rc = ask(&ec, fn, rmt_str("Gold"), "Player gold:");
  if (!rc) rc = ask(&ec, fn, rmt_str("Gems"), "Player gems:");
  if (!rc) rc = ask(&ec, fn, rmt_num(42), "Bad key 42 gave:");
  rmt_client_destroy(client);
  return rc;
}
