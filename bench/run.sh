#!/usr/bin/env bash
# The benchmark driver: runs every scenario for remotes, raw ENet and socket.io back to
# back, then bench/aggregate.py writes bench/results/latest.{json,md} and the plots.
# Usage: bash bench/run.sh BUILD_DIR [--quick]. Never edits a figure: all come from runs.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
QUICK=0
[ "${2:-}" = "--quick" ] && QUICK=1
RUNS=5 # reported runs per measurement (median); each program warms up first, unreported
RESULTS=${BENCH_RESULTS:-bench/results}
RAW=$RESULTS/raw.jsonl.tmp
mkdir -p "$RESULTS"
: > "$RAW"

# socket.io from npm, pinned by the committed package-lock.json, into bench/node_modules.
if [ ! -d bench/node_modules/socket.io ] || [ bench/package-lock.json -nt bench/node_modules/.package-lock.json ]; then
  echo "bench: installing socket.io into bench/node_modules (npm ci)" >&2
  (cd bench && npm ci --no-audit --no-fund --loglevel=error >&2)
fi

REMOTES_BIN=$BUILD/bench/bench_remotes
ENET_BIN=$BUILD/bench/bench_enet
[ -x "$ENET_BIN" ] || { echo "bench: $ENET_BIN missing (build first)" >&2; exit 1; }
HAVE_REMOTES=1
if [ ! -x "$REMOTES_BIN" ]; then
  HAVE_REMOTES=0
  echo "bench: $REMOTES_BIN not built (engine missing?): remotes figures will be null" >&2
fi

if [ "$QUICK" = 1 ]; then
  FIRE_S=0.12 BCAST_S=0.12 INVOKE_S=0.25 BURST_S=0.2 SCALE_S=0.1 CODEC_S=0.2
else
  FIRE_S=2 BCAST_S=2 INVOKE_S=4 BURST_S=10 SCALE_S=3 CODEC_S=3
fi

# The floor carries exactly the bytes remotes puts on the wire for the same arguments.
ENET_PAYLOAD=()
if [ "$HAVE_REMOTES" = 1 ]; then
  payload=$("$REMOTES_BIN" payload)
  hex() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$payload" "$1"; }
  ENET_PAYLOAD=(--jump-hex "$(hex jump_hex)" --table-hex "$(hex table_hex)" --event-hex "$(hex event_hex)")
fi

procs_for() { # client processes for a client count (socket.io needs several for 100+)
  if [ "$1" -ge 1000 ]; then echo 4; elif [ "$1" -ge 100 ]; then echo 2; else echo 1; fi
}

# run PEER SCENARIO ARGS...: one program invocation, one JSON line appended to $RAW.
run() {
  local peer=$1 scenario=$2
  shift 2
  local cmd=()
  case $peer in
    remotes) [ "$HAVE_REMOTES" = 1 ] || return 0; cmd=("$REMOTES_BIN" "$scenario") ;;
    enet) cmd=("$ENET_BIN" "$scenario" "${ENET_PAYLOAD[@]}") ;;
    enet-batched) cmd=("$ENET_BIN" "$scenario" --batch "${ENET_PAYLOAD[@]}") ;;
    socketio) cmd=(node --expose-gc bench/socketio/bench.js "$scenario") ;;
  esac
  local out start=$SECONDS
  if out=$(timeout 300 "${cmd[@]}" "$@" 2> >(tail -n 5 >&2)) && [ -n "$out" ]; then
    echo "$out" | tail -n 1 >> "$RAW"
    printf '  %-13s %-9s %-28s %3ss\n' "$peer" "$scenario" "$*" $((SECONDS - start)) >&2
  else
    echo "bench: FAILED: $peer $scenario $*" >&2
    python3 -c 'import json,sys; print(json.dumps({"peer":sys.argv[1],"scenario":sys.argv[2],"args":sys.argv[3],"error":"failed"}))' \
      "$peer" "$scenario" "$*" >> "$RAW"
    return 1
  fi
}

# A failed invocation is tried once more; the failure stays in the results as a note.
run_retry() {
  run "$@" || { echo "bench: trying once more: $*" >&2; run "$@"; } || true
}

echo "bench: $([ "$QUICK" = 1 ] && echo QUICK || echo full) run, $RUNS runs per figure" >&2
for clients in 1 10 100; do
  echo "== 1. fire to server, $clients clients" >&2
  for peer in remotes enet enet-batched socketio; do
    run_retry $peer fire --clients $clients --procs "$(procs_for $clients)" --runs $RUNS --seconds $FIRE_S --quick $QUICK
  done
done
echo "== 4. wire cost, 3-field table" >&2
for peer in remotes enet enet-batched socketio; do
  run_retry $peer fire --clients 1 --payload table --runs $RUNS --seconds $FIRE_S --quick $QUICK
done
for clients in 10 100 1000; do
  echo "== 2. broadcast to $clients clients" >&2
  seconds=$BCAST_S
  # At 1000 clients, runs longer than about a second lose clients to ENet timeouts on a
  # 2-core machine (remotes and raw ENet alike; see docs/benchmarks.md): 0.5 s runs.
  [ "$clients" -ge 1000 ] && [ "$QUICK" = 0 ] && seconds=0.5
  for peer in remotes enet enet-batched socketio; do
    run_retry $peer broadcast --clients $clients --procs "$(procs_for $clients)" --runs $RUNS --seconds $seconds --quick $QUICK
  done
done
echo "== 3. invoke" >&2
for peer in remotes enet socketio; do
  run_retry $peer invoke --runs $RUNS --seconds $INVOKE_S
done
echo "== 7. burst" >&2
for peer in remotes enet enet-batched socketio; do
  run_retry $peer burst --runs $RUNS --seconds $BURST_S
done
echo "== 5. scale: 1000 idle players (a fresh server per run)" >&2
# Until each peer has $RUNS good runs, with at most 2 extra attempts; a failed attempt stays
# in the results as a FAILED note (it is a finding, not noise to hide).
declare -A scale_ok=() scale_tries=()
for i in $(seq $((RUNS + 2))); do
  for peer in remotes enet socketio; do
    [ "${scale_ok[$peer]:-0}" -ge $RUNS ] && continue
    [ $peer = remotes ] && [ "$HAVE_REMOTES" = 0 ] && continue
    scale_tries[$peer]=$((${scale_tries[$peer]:-0} + 1))
    if run $peer scale --clients 1000 --procs 4 --runs 1 --seconds $SCALE_S; then
      scale_ok[$peer]=$((${scale_ok[$peer]:-0} + 1))
    fi
  done
done
echo "== 6. codec" >&2
for peer in remotes socketio; do
  run_retry $peer codec --runs $RUNS --seconds $CODEC_S
done

echo "== 8. replication (remotes only)" >&2
if [ "$HAVE_REMOTES" = 1 ] && [ -x "$BUILD/bench/bench_replication" ]; then
  for i in $(seq $RUNS); do "$BUILD/bench/bench_replication" --instances 1000 >> "$RAW" || echo "bench: FAILED: replication" >&2; done
fi

echo "== 9. cost of the script-timeout checks (Lua host only)" >&2
if [ -x "$BUILD/remotes" ]; then
  REMOTES_BENCH_UNCHECKED=1 "$BUILD/remotes" serve bench/places/interrupt-cost --port 0 --duration 300 --script-timeout 0 \
    2>&1 | sed 's/^\[Server\] //' | grep '^interrupt-cost' > "$RESULTS/interrupt_cost.txt" \
    || echo "bench: FAILED: interrupt-cost" >&2
  cat "$RESULTS/interrupt_cost.txt" >&2
fi

python3 bench/aggregate.py --raw "$RAW" --out "$RESULTS" --runs $RUNS --quick $QUICK
