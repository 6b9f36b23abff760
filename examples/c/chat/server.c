/* chat/server.c - a chat room on one RemoteEvent: a client sends text, the server checks it
 * and relays it to everyone with the sender attached. A client can never choose the sender. */
#include "../example.h"

#define MAX_MESSAGE 200

typedef struct room {
  rmt_server *server;
  rmt_remote_id chat;
} room;

/* chat.OnServerEvent:Connect(function(player, text) ... end) */
static void on_chat(void *ud, const rmt_value *args, size_t nargs) {
  room *r = ud;
  rmt_player_id sender = args[0].as.player;
  const char *name = rmt_server_player_name(r->server, sender);
  if (nargs < 2 || args[1].type != RMT_TSTRING || args[1].as.string.len == 0 ||
      args[1].as.string.len > MAX_MESSAGE || !ex_printable(&args[1])) {
    EX_SAY("%s sent an invalid message (ignored)", name);
    return;
  }
  const char *text = args[1].as.string.ptr;
  /* Moderation is the server's job too: here, a player who swears is kicked with a reason
   * their client receives in its disconnect callback. */
  if (strstr(text, "badword")) {
    EX_SAY("Kicking %s for inappropriate language", name);
    rmt_server_player_kick(r->server, sender, "Kicked: inappropriate language", NULL);
    return;
  }
  EX_SAY("%s: %s", name, text);
  /* chat:FireAllClients(player, text): the sender travels as a player reference, which each
   * client resolves to its own copy of the player (like passing a Player Instance). */
  rmt_value relay[2] = {rmt_player_ref(sender), args[1]};
  rmt_server_fire_all(r->server, r->chat, relay, 2, NULL);
}

int main(int argc, char **argv) {
  ex_options opt = ex_parse(argc, argv, NULL, NULL);
  ex_server es;
  room r = {0};
  r.server = ex_server_start(&es, &opt, NULL);
  if (!r.server) return 1;
  /* Names may be paths, like folders in ReplicatedStorage. */
  rmt_error err;
  if (rmt_server_remote_create(r.server, "Chat/SayMessage", RMT_REMOTE_EVENT, &r.chat, &err) != RMT_OK) {
    fprintf(stderr, "server: %s\n", err.message);
    rmt_server_destroy(r.server);
    return 1;
  }
  /* The seed's advice for chat-like traffic: throttle. 5 messages a second, burst 5. */
  rmt_server_remote_set_rate(r.server, r.chat, (rmt_rate){5, 5});
  rmt_signal_connect(rmt_server_remote_signal(r.server, r.chat), on_chat, &r);

  int rc = ex_server_run(&es, &opt, NULL, NULL);
  ex_server_summary(&es, (const char *const[]){"Chat/SayMessage", NULL});
  rmt_server_destroy(r.server);
  return rc;
}
