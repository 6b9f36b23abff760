#!/usr/bin/env bash
# examples.sh - runs every examples/c pair as separate processes over UDP loopback and checks
# the exact lines each side prints; never passes without seeing them. Every process is bounded.
set -uo pipefail

BIN=${REMOTES_BIN:?set REMOTES_BIN to the build directory}
SRC=${REMOTES_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
LIMIT=15 # seconds any one process may live

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
scenario=
port=

dump() {
  echo "---- captured output of scenario '$scenario' ----" >&2
  for f in "$tmp/$scenario".*.log; do
    [[ -f $f ]] || continue
    echo "== ${f##*/} (exit $(cat "${f%.log}.rc" 2>/dev/null || echo '?'))" >&2
    sed 's/^/   | /' "$f" >&2
  done
}

fail() {
  echo "FAIL [$scenario]: $*" >&2
  failures=$((failures + 1))
}

# start_server EXAMPLE ARGS...: starts ex_EXAMPLE_server --port 0 ARGS in the background
# and sets $port from its first line.
start_server() {
  local ex=$1
  shift
  local log=$tmp/$scenario.server.log
  ( timeout "$LIMIT" "$BIN/ex_${ex}_server" --port 0 "$@" >"$log" 2>&1; echo $? >"${log%.log}.rc" ) &
  port=
  for _ in $(seq 1 200); do
    port=$(sed -n 's/^listening on \([0-9][0-9]*\)$/\1/p' "$log" 2>/dev/null | head -n 1)
    [[ -n $port ]] && return 0
    [[ -f ${log%.log}.rc ]] && break
    sleep 0.05
  done
  fail "server did not print 'listening on <port>'"
  return 1
}

# client EXAMPLE NAME ARGS...: starts one client in the background (log: $scenario.NAME.log).
client() {
  local ex=$1 name=$2
  shift 2
  local log=$tmp/$scenario.$name.log
  ( timeout "$LIMIT" "$BIN/ex_${ex}_client" --port "$port" --name "$name" "$@" >"$log" 2>&1
    echo $? >"${log%.log}.rc" ) &
}

# expect WHO LINE [COUNT]: LINE appears exactly COUNT times (default 1) as a whole line.
expect() {
  local who=$1 line=$2 want=${3:-1}
  local got
  got=$(grep -cxF -- "$line" "$tmp/$scenario.$who.log" 2>/dev/null)
  [[ $got == "$want" ]] || fail "$who: expected '$line' $want time(s), saw it ${got:-0} time(s)"
}

# expect_part WHO TEXT: TEXT appears somewhere in WHO's output.
expect_part() {
  grep -qF -- "$2" "$tmp/$scenario.$1.log" 2>/dev/null || fail "$1: expected to contain '$2'"
}

# expect_exit WHO STATUS
expect_exit() {
  local rc
  rc=$(cat "$tmp/$scenario.$1.rc" 2>/dev/null || echo missing)
  [[ $rc == "$2" ]] || fail "$1: exit status $rc, expected $2"
}

begin() {
  scenario=$1
  before=$failures
  echo "== $scenario"
}
end() {
  wait
  if [[ $failures != "$before" ]]; then dump; else echo "   ok"; fi
}

# ---- player-action: FireServer("jump", 150) -> OnServerEvent(player, action, value)
begin player-action
if start_server player_action --clients 2; then
  client player_action Alice
  client player_action Bob
  wait # every process of the scenario has exited
  for p in Alice Bob; do
    expect server "$p performed jump with value 150"
    expect server "$p joined"
    expect server "$p left"
    expect "$p" "Fired PlayerAction: jump 150"
    expect_exit "$p" 0
  done
  expect_part server "stats PlayerAction: events in 2 out 0,"
  expect_exit server 0
fi
end

# ---- server-notification: FireClient(player, "notification", "You earned a badge!")
begin server-notification
if start_server server_notification --clients 3; then
  for p in Ann Ben Cat; do client server_notification $p; done
  wait # every process of the scenario has exited
  for p in Ann Ben Cat; do
    expect "$p" "Server notification: You earned a badge!"
    expect server "Sent notification to $p"
    expect_exit "$p" 0
  done
  expect_part server "stats PlayerAction: events in 0 out 3,"
  expect_exit server 0
fi
end

# ---- broadcast: FireAllClients("event", "A new round is starting!") once all 3 are in
begin broadcast
if start_server broadcast --clients 3; then
  for p in Ann Ben Cat; do client broadcast $p; done
  wait # every process of the scenario has exited
  for p in Ann Ben Cat; do
    expect "$p" "Server event: A new round is starting!"
    expect_exit "$p" 0
  done
  expect server "Broadcast to 3 players: A new round is starting!"
  expect_part server "stats PlayerAction: events in 0 out 3,"
  expect_exit server 0
fi
end

# ---- get-player-data: InvokeServer("Gold") -> leaderstats Gold; bad keys give nil
begin get-player-data
if start_server get_player_data --clients 2; then
  client get_player_data Alice
  client get_player_data Bob
  wait # every process of the scenario has exited
  for p in Alice Bob; do
    expect "$p" "Player gold: 250"
    expect "$p" "Player gems: nil"
    expect "$p" "Bad key 42 gave: nil"
    expect server "$p asked for Gold: returning 250"
    expect server "$p asked for Gems: no such stat, returning nil"
    expect server "$p asked with a number key: returning nil"
    expect_exit "$p" 0
  done
  expect_part server "stats GetPlayerData: events in 0 out 0, invokes in 6"
  expect_exit server 0
fi
end

# ---- vote-purchase: the seed's complete example, 150 coins each, items cost 100
begin vote-purchase
if start_server vote_purchase --clients 3; then
  client vote_purchase Player1 --vote yes
  client vote_purchase Player2 --vote no
  client vote_purchase Player3 --vote maybe
  wait # every process of the scenario has exited
  for p in Player1 Player2 Player3; do
    expect "$p" "Purchase result: success"
    expect "$p" "Purchase result: insufficient_funds"
    expect server "$p bought an item (50 coins left)"
    expect server "$p cannot afford an item (50 coins)"
    expect_exit "$p" 0
  done
  expect server "Player1 voted yes"
  expect server "Player2 voted no"
  expect server "Player3 sent an invalid vote (ignored)"
  expect server "Votes: yes 1, no 1"
  expect_part server "stats PlayerAction: events in 9 out 6,"
  expect_exit server 0
fi
end

# ---- chat: every client sees every message, with the sender's name
begin chat
if start_server chat --clients 3; then
  for p in Ann Ben Cat; do client chat $p --peers 3; done
  wait # every process of the scenario has exited
  for p in Ann Ben Cat; do
    for from in Ann Ben Cat; do expect "$p" "$from: Hello from $from!"; done
    expect server "$p: Hello from $p!"
    expect_exit "$p" 0
  done
  expect_part server "stats Chat/SayMessage: events in 3 out 9,"
  expect_exit server 0
fi
end

# ---- arena: a schema'd RemoteEvent, an UnreliableRemoteEvent, leaderstats read by replication
begin arena
if start_server arena --clients 2; then
  client arena Alice --target Bob
  client arena Bob --target Alice
  wait # every process of the scenario has exited
  for p in Alice Bob; do
    expect "$p" "$p: found leaderstats.Score"
    expect "$p" "$p: my Score is 6"
    expect server "$p attacks $( [[ $p == Alice ]] && echo Bob || echo Alice ) with power 2" 3
    expect server "dropped a message from $p on Attack: schema (argument 2: expected integer in 1..5, got 99)"
    expect_exit "$p" 0
  done
  expect_exit server 0
fi
end

# ---- kick with a reason, seen by the kicked client in another process
begin kick
if start_server chat --clients 1; then
  client chat Troll --say "you badword"
  wait # every process of the scenario has exited
  expect Troll "Disconnected: Kicked: inappropriate language"
  expect_exit Troll 1
  expect server "Kicking Troll for inappropriate language"
  expect server "Troll left"
  expect_exit server 0
fi
end

# ---- a message with a newline cannot print a line that passes for the server's own; a
# later good message is still relayed
begin chat-forged
if start_server chat --clients 2; then
  client chat Forger --say $'hi\nKicking Ann for inappropriate language' --peers 2 --timeout 2000
  client chat Ann --peers 2
  wait # every process of the scenario has exited
  expect server "Forger sent an invalid message (ignored)"
  expect server "Kicking Ann for inappropriate language" 0
  expect server "Ann: Hello from Ann!"
  expect Forger "Ann: Hello from Ann!" # (both then wait in vain for Forger's line)
fi
end

# ---- server shutdown seen by a connected client: the server gives up waiting for a
# second player after 1 s and exits; the client, still waiting for its round, is told.
begin shutdown
if start_server broadcast --clients 2 --duration 1; then
  client broadcast Lonely --timeout 8000
  wait # every process of the scenario has exited
  expect Lonely "Waiting for the round to start"
  expect Lonely "Disconnected: server shut down"
  expect_exit Lonely 1
  expect server "gave up after 1.0 s: 1 of 2 players joined, 0 left"
  expect_exit server 1
fi
end

# ---- make demo: the script itself, one server and three clients
begin demo
bash "$SRC/scripts/demo.sh" "$BIN" >"$tmp/demo.all.log" 2>&1
echo $? >"$tmp/demo.all.rc"
expect_exit all 0
expect all "[Player1] Purchase result: success"
expect all "[Player3] Purchase result: insufficient_funds"
expect all "[Server] Votes: yes 1, no 1"
end

if [[ $failures != 0 ]]; then
  echo "examples.sh: $failures check(s) failed" >&2
  exit 1
fi
echo "examples.sh: all scenarios passed"
