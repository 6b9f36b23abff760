/* arena/client.c - joins, finds its own Score through replication (no remote asks for it),
 * moves a few times over the UnreliableRemoteEvent, attacks `--target` three times with
 * power 2 and once with a power the server's schema refuses, then waits until its Score
 * has replicated as 6. Prints what it saw; never blocks past its --timeout. */
#include "../example.h"

typedef struct watcher {
  rmt_client *client;
  rmt_instance_id score;
  int reached; /* Score replicated as the value we expect */
  double want;
  int moves_heard;
} watcher;

/* The replication observer: the client's view of Value changes (Roblox's .Changed). */
static void on_replica(void *ud, rmt_replica_event ev, rmt_instance_id id, const char *attr) {
  watcher *w = ud;
  (void)attr;
  if (!w->score || id != w->score || (ev != RMT_REPLICA_VALUE && ev != RMT_REPLICA_CREATED))
    return;
  rmt_instance_info info;
  if (rmt_client_instance_info(w->client, id, &info) == RMT_OK && info.value &&
      info.value->type == RMT_TNUMBER && info.value->as.number == w->want)
    w->reached = 1;
}

static void on_move(void *ud, const rmt_value *args, size_t nargs) {
  watcher *w = ud;
  if (nargs >= 2 && args[0].type == RMT_TPLAYER && args[1].type == RMT_TVECTOR3) w->moves_heard++;
}

/* Services until `path` (from our own Player instance) exists or the deadline passes. */
static rmt_instance_id wait_instance(ex_client *ec, const char *path) {
  while (!ec->disconnected && ex_now_ms() < ec->deadline) {
    rmt_player_id me = rmt_client_local_player(ec->client);
    rmt_instance_id found =
        rmt_client_instance_find_path(ec->client, rmt_client_player_instance(ec->client, me), path);
    if (found) return found;
    rmt_client_service(ec->client, 10);
  }
  return 0;
}

int main(int argc, char **argv) {
  static const char *const extra[] = {"--target", NULL};
  ex_options opt = ex_parse(argc, argv, extra, " [--target NAME]");
  const char *target = opt.extra[0] ? opt.extra[0] : "Nobody";
  ex_client ec;
  watcher w = {0};
  w.want = 6;
  rmt_client *client = ex_client_join(&ec, &opt);
  if (!client) return 1;
  w.client = client;
  rmt_client_on_replica(client, on_replica, &w);

  rmt_remote_id attack = ex_wait_remote(&ec, "Attack");
  rmt_remote_id move = ex_wait_remote(&ec, "Move");
  if (!attack || !move) return 1;
  rmt_signal_connect(rmt_client_remote_signal(client, move), on_move, &w);

  /* player.leaderstats.Score: made by the server in PlayerAdded, so it follows our Player
   * instance (the join snapshot's last root) as soon as the server has serviced once. */
  w.score = wait_instance(&ec, "leaderstats.Score");
  if (!w.score) {
    EX_SAY("%s: no leaderstats.Score", opt.name);
    rmt_client_destroy(client);
    return 1;
  }
  EX_SAY("%s: found leaderstats.Score", opt.name);

  for (int i = 0; i < 3; i++) {
    rmt_value pos = rmt_vector3((float)i, 0, 0);
    rmt_client_fire(client, move, &pos, 1, NULL);
  }
  rmt_value hit[2] = {rmt_str(target), rmt_num(2)};
  for (int i = 0; i < 3; i++) rmt_client_fire(client, attack, hit, 2, NULL);
  rmt_value cheat[2] = {rmt_str(target), rmt_num(99)}; /* refused by the schema */
  rmt_client_fire(client, attack, cheat, 2, NULL);

  int rc = ex_client_until(&ec, &w.reached);
  if (!rc) EX_SAY("%s: my Score is 6", opt.name);
  rmt_client_destroy(client);
  return rc;
}
