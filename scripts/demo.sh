#!/usr/bin/env bash
# demo.sh BUILD_DIR - runs the seed's vote + purchase example as one server and three client
# processes over UDP loopback, output prefixed per process; exits 0 only if all four did.
set -uo pipefail

BUILD=${1:-build}
LIMIT=${DEMO_LIMIT:-10} # seconds any one process may run

# What runs. The Lua host will take over by replacing these two commands (each gets
# --port N; clients also get --name NAME and their own options).
SERVER_CMD=("$BUILD/ex_vote_purchase_server" --clients 3 --duration 8)
CLIENT_CMD=("$BUILD/ex_vote_purchase_client" --timeout 6000)

for exe in "${SERVER_CMD[0]}" "${CLIENT_CMD[0]}"; do
  [[ -x $exe ]] || { echo "demo: $exe not built (run: cmake --build $BUILD)" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run TAG CMD...: runs CMD with stdout+stderr prefixed by "[TAG] ", copies the raw lines to
# $tmp/TAG.log and leaves CMD's exit status in $tmp/TAG.rc.
run() {
  local tag=$1
  shift
  # tee and sed -u pass each line on as soon as it is written, so lines from the four
  # processes interleave in (nearly) the order they happened.
  { timeout "$LIMIT" "$@" 2>&1; echo $? >"$tmp/$tag.rc"; } | tee "$tmp/$tag.log" | sed -u "s/^/[$tag] /"
}

run Server "${SERVER_CMD[@]}" --port 0 &

# The server's first line is `listening on <port>`.
port=
for _ in $(seq 1 100); do
  port=$(sed -n 's/^listening on \([0-9][0-9]*\)$/\1/p' "$tmp/Server.log" 2>/dev/null | head -n 1)
  [[ -n $port ]] && break
  [[ -f $tmp/Server.rc ]] && break # exited before listening
  sleep 0.05
done
if [[ -z $port ]]; then
  wait
  echo "demo: the server did not start" >&2
  exit 1
fi

run Player1 "${CLIENT_CMD[@]}" --port "$port" --name Player1 --vote yes &
run Player2 "${CLIENT_CMD[@]}" --port "$port" --name Player2 --vote no &
run Player3 "${CLIENT_CMD[@]}" --port "$port" --name Player3 --vote maybe & # refused by the server
wait

status=0
for tag in Server Player1 Player2 Player3; do
  rc=$(cat "$tmp/$tag.rc" 2>/dev/null || echo "?")
  if [[ $rc != 0 ]]; then
    echo "demo: $tag exited with status $rc" >&2
    status=1
  fi
done
[[ $status == 0 ]] && echo "demo: server and 3 clients finished cleanly"
exit $status
