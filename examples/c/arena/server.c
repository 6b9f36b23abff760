/* arena/server.c - a small game that uses the three parts of the C API a real game needs
 * beyond plain events: a schema on a RemoteEvent (the server states what it accepts and the
 * engine refuses the rest before any listener runs), an UnreliableRemoteEvent for movement
 * (fire and forget, relayed to the others), and replication (each player's Score lives in
 * `Player.leaderstats.Score`, so clients read it without a remote, as in Roblox).
 * Never trusts a client for anything the schema does not pin down. */
#include "../example.h"

typedef struct arena {
  ex_server es;
  rmt_remote_id attack, move;
} arena;

/* Players.PlayerAdded: leaderstats go under the player's own Player instance, which exists
 * from PlayerAdded on. Everything parented there replicates to every client. */
static void on_join(void *ud, const rmt_value *args, size_t nargs) {
  arena *a = ud;
  rmt_server *s = a->es.server;
  (void)nargs;
  rmt_instance_id me = rmt_server_player_instance(s, args[0].as.player);
  rmt_instance_id stats, score;
  rmt_value zero = rmt_num(0);
  rmt_error err;
  if (rmt_server_instance_create(s, me, "Folder", "leaderstats", &stats, &err) != RMT_OK ||
      rmt_server_instance_create(s, stats, "IntValue", "Score", &score, &err) != RMT_OK ||
      rmt_server_instance_set_value(s, score, &zero, &err) != RMT_OK)
    EX_SAY("could not make leaderstats for %s: %s", rmt_server_player_name(s, args[0].as.player),
           err.message);
}

/* Attack.OnServerEvent(player, target, power). The schema below has already checked the
 * types and the range, so the listener only does the game's rule: power adds to the
 * attacker's Score. */
static void on_attack(void *ud, const rmt_value *args, size_t nargs) {
  arena *a = ud;
  rmt_server *s = a->es.server;
  (void)nargs;
  rmt_player_id who = args[0].as.player;
  rmt_instance_id score =
      rmt_server_instance_find_path(s, rmt_server_player_instance(s, who), "leaderstats.Score");
  rmt_instance_info info;
  if (!score || rmt_server_instance_info(s, score, &info) != RMT_OK || !info.value) return;
  rmt_value next = rmt_num(info.value->as.number + args[2].as.number);
  rmt_server_instance_set_value(s, score, &next, NULL);
  char num[32];
  EX_SAY("%s attacks %s with power %s", rmt_server_player_name(s, who), args[1].as.string.ptr,
         ex_num(args[2].as.number, num));
}

/* Move.OnServerEvent(player, position): relayed to everyone else, unreliably. A lost move is
 * replaced by the next one, which is why movement is unreliable in the first place. */
static void on_move(void *ud, const rmt_value *args, size_t nargs) {
  arena *a = ud;
  rmt_server_fire_all_except(a->es.server, args[0].as.player, a->move, args, nargs, NULL);
}

int main(int argc, char **argv) {
  ex_options opt = ex_parse(argc, argv, NULL, NULL);
  arena a;
  rmt_server *s = ex_server_start(&a.es, &opt, NULL);
  if (!s) return 1;
  rmt_error err;
  /* Names 1..20 bytes, power a whole number 1..5: "Attack for 99" never reaches on_attack;
   * the drop hook (example.h) reports it with reason `schema`. */
  if (rmt_server_remote_create(s, "Attack", RMT_REMOTE_EVENT, &a.attack, &err) != RMT_OK ||
      rmt_server_remote_set_schema(s, a.attack, "string(1..20), number(int, 1..5)", &err) != RMT_OK ||
      rmt_server_remote_create(s, "Move", RMT_UNRELIABLE_REMOTE_EVENT, &a.move, &err) != RMT_OK ||
      rmt_server_remote_set_schema(s, a.move, "Vector3", &err) != RMT_OK) {
    fprintf(stderr, "server: %s\n", err.message);
    rmt_server_destroy(s);
    return 1;
  }
  rmt_signal_connect(rmt_server_player_added(s), on_join, &a);
  rmt_signal_connect(rmt_server_remote_signal(s, a.attack), on_attack, &a);
  rmt_signal_connect(rmt_server_remote_signal(s, a.move), on_move, &a);

  int rc = ex_server_run(&a.es, &opt, NULL, NULL);
  rmt_server_destroy(s);
  return rc;
}
