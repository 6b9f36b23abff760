#!/usr/bin/env bash
# valgrind.sh - runs the loopback integration tests under valgrind memcheck (leaks and
# invalid accesses fail the test). Skips, saying so, only when valgrind is not installed.
set -uo pipefail

BIN=${REMOTES_BIN:?set REMOTES_BIN to the build directory}
if ! command -v valgrind >/dev/null 2>&1; then
  echo "valgrind.sh: SKIPPED: valgrind is not installed (scripts/deps.sh installs it)"
  exit 0
fi
# test_faults (about 35 s under memcheck) and test_soak run by hand: see docs/robustness.md.
tests=(${REMOTES_VALGRIND_TESTS:-test_net test_hostile})
failures=0
for t in "${tests[@]}"; do
  if [[ ! -x $BIN/$t ]]; then
    echo "valgrind.sh: $BIN/$t not built" >&2
    failures=$((failures + 1))
    continue
  fi
  log=$(mktemp)
  start=$(date +%s)
  timeout 240 valgrind --quiet --leak-check=full --error-exitcode=99 "$BIN/$t" >"$log" 2>&1
  rc=$?
  echo "valgrind.sh: $t exit $rc in $(( $(date +%s) - start )) s"
  if [[ $rc -ne 0 ]]; then
    cat "$log" >&2
    failures=$((failures + 1))
  fi
  rm -f "$log"
done
exit $((failures > 0))
