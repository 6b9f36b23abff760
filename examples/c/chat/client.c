/* chat/client.c - joins the room, waits until everyone expected is there, says one line and
 * prints every line the server relays until it has heard from all of them. */
#include "../example.h"

typedef struct chatter {
  rmt_client *client;
  int heard, expected, heard_everyone;
} chatter;

/* chat.OnClientEvent:Connect(function(sender, text) ... end) */
static void on_message(void *ud, const rmt_value *args, size_t nargs) {
  chatter *c = ud;
  if (nargs < 2 || args[0].type != RMT_TPLAYER || args[1].type != RMT_TSTRING) return;
  /* The sender is a player reference: look its name up in our own player list. */
  const char *sender = rmt_client_player_name(c->client, args[0].as.player);
  EX_SAY("%s: %s", sender ? sender : "(someone who left)", args[1].as.string.ptr);
  c->heard_everyone = ++c->heard >= c->expected;
}

int main(int argc, char **argv) {
  static const char *const extra[] = {"--say", "--peers", NULL};
  ex_options opt = ex_parse(argc, argv, extra, " [--say TEXT] [--peers N]");
  chatter c = {0};
  c.expected = opt.extra[1] ? atoi(opt.extra[1]) : 1;
  char hello[100];
  snprintf(hello, sizeof hello, "Hello from %s!", opt.name);
  const char *text = opt.extra[0] ? opt.extra[0] : hello;

  ex_client ec;
  c.client = ex_client_join(&ec, &opt);
  if (!c.client) return 1;
  rmt_remote_id chat = ex_wait_remote(&ec, "Chat/SayMessage");
  if (!chat) {
    rmt_client_destroy(c.client);
    return 1;
  }
  rmt_signal_connect(rmt_client_remote_signal(c.client, chat), on_message, &c);

  /* Messages go to whoever is in the room when they are sent, so wait for the others
   * (the client's player list includes itself) before speaking. */
  int everyone_here = 0;
  while (!everyone_here && !ec.disconnected && ex_now_ms() < ec.deadline) {
    rmt_client_service(c.client, 10);
    everyone_here = rmt_client_players(c.client, NULL, 0) >= (size_t)c.expected;
  }
  int rc = 1;
  if (everyone_here) {
    rmt_value msg = rmt_str(text);
    rmt_error err;
    rc = rmt_client_fire(c.client, chat, &msg, 1, &err) != RMT_OK;
    if (rc) fprintf(stderr, "%s: fire failed: %s\n", opt.name, err.message);
  }
  if (!rc) rc = ex_client_until(&ec, &c.heard_everyone);
  rmt_client_destroy(c.client);
  return rc;
}
