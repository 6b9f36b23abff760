#!/usr/bin/env bash
# valgrind.sh - runs the loopback integration tests under valgrind memcheck (leaks and
# invalid accesses fail the test). Skips, saying so, only when valgrind is not installed or
# this is the ASan build: exit 77, which CTest reports as skipped (SKIP_RETURN_CODE), never
# as passed.
set -uo pipefail

BIN=${REMOTES_BIN:?set REMOTES_BIN to the build directory}
if [[ ${REMOTES_SANITIZE:-0} == 1 ]]; then
  # AddressSanitizer and memcheck cannot watch the same process; the plain build runs this.
  echo "valgrind.sh: SKIPPED: this is the ASan+UBSan build"
  exit 77
fi
if ! command -v valgrind >/dev/null 2>&1; then
  echo "valgrind.sh: SKIPPED: valgrind is not installed (scripts/deps.sh installs it)"
  exit 77
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
  REMOTES_UNDER_VALGRIND=1 timeout 240 valgrind --quiet --leak-check=full --error-exitcode=99 "$BIN/$t" >"$log" 2>&1
  rc=$?
  echo "valgrind.sh: $t exit $rc in $(( $(date +%s) - start )) s"
  if [[ $rc -ne 0 ]]; then
    cat "$log" >&2
    failures=$((failures + 1))
  fi
  rm -f "$log"
done
exit $((failures > 0))
